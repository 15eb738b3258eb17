#!/bin/sh
# run-tsan.sh - build the engine's threaded unit tests with ThreadSanitizer and run them.
# Objects go to build/tsan (separate from the normal and SANITIZE=1 builds).
# -Wno-tsan: GCC warns that TSan does not model atomic_thread_fence (disk.c seqlock); every
# shared ring word is still accessed through atomics, so races on the data are still checked.
# Usage: tests/run-tsan.sh [test names...]   (default: test_mem test_engine test_connwatch)
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-gcc}
OUT=build/tsan
FLAGS="-std=gnu11 -D_GNU_SOURCE -fPIC -pthread -I. -O1 -g -fsanitize=thread -fno-omit-frame-pointer
 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wpointer-arith -Wvla -Wno-tsan"
mkdir -p "$OUT"
SRCS="$(ls cache/*.c) preload/config.c"
OBJS=""
for s in $SRCS; do
	o="$OUT/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')"
	$CC $FLAGS -Wmissing-prototypes -c "$s" -o "$o"
	OBJS="$OBJS $o"
done
TESTS=${*:-test_mem test_engine test_connwatch}
rc=0
for t in $TESTS; do
	# Criterion's runner cannot start under TSan (its issue #274): the same test file is built
	# against the small stand-in in tests/tsan/criterion/criterion.h instead.
	$CC $FLAGS -Wno-unused-function -Itests/tsan -o "$OUT/$t" "tests/unit/$t.c" $OBJS -ldl -lm
	# Each test runs in a forked child; a TSan report fails it (exitcode 66).
	if TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" "$OUT/$t"; then
		echo "tsan: $t ok"
	else
		echo "tsan: $t FAILED"
		rc=1
	fi
done
exit $rc

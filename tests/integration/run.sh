#!/bin/bash
# run.sh - run the integration tests against one throwaway PostgreSQL and one MariaDB.
#
#     CAP_BUILD=build tests/integration/run.sh [NAME-SUBSTRING...]
#
# Starts both servers once (tests/fixture.sh; or uses CAP_TEST_USE_PG / CAP_TEST_USE_MY), then
# runs every tests/integration/t_*.sh (bash) and t_*.py (/usr/bin/python3), plus soak_*.sh when
# CAP_SOAK=1, each with a 300 s timeout (CAP_TEST_TIMEOUT) and a fresh, empty CAPACITOR_DIR
# (mode 0700). A test passes with exit 0, is skipped with exit 77, and fails otherwise; a
# failure prints the tail of its output. Every log stays in the directory printed at the end.
# The last line is exactly "N passed, N failed" (", N skipped" appended when any were).
#
# Exported to tests: CAP_ROOT (the source tree), CAP_BUILD, CAP_LIB, CAP_TOOL, CAP_PRELOAD
# (the LD_PRELOAD value to use), CAP_PRELOAD_PREFIX (libasan when SANITIZE=1, else empty),
# CAPACITOR_DIR, CAP_TEST_LOG (this test's log directory), and the fixture's CAP_PG_* /
# PG* / CAP_MY_* variables.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAP_ROOT=$(cd "$here/../.." && pwd)
CAP_BUILD=$(cd "${CAP_BUILD:-$CAP_ROOT/build}" 2>/dev/null && pwd) || {
	echo "run.sh: build directory ${CAP_BUILD:-$CAP_ROOT/build} not found (run make)" >&2
	exit 1
}
CAP_LIB=$CAP_BUILD/libcapacitor.so
CAP_TOOL=$CAP_BUILD/capacitor
CAP_PRELOAD_PREFIX=
if [ "${SANITIZE:-0}" = 1 ]; then
	CAP_PRELOAD_PREFIX=$(gcc -print-file-name=libasan.so)
	# tests/san/asan_first.c: makes libasan initialise before glibc's locale lock is taken
	if gcc -shared -fPIC -O2 -o "$CAP_BUILD/libsan-asan-first.so" "$CAP_ROOT/tests/san/asan_first.c"; then
		CAP_PRELOAD_PREFIX="$CAP_PRELOAD_PREFIX:$CAP_BUILD/libsan-asan-first.so"
	fi
	# Foreign programs (psql, python, ...) are not ours to leak-check.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
# Colons, not spaces: tests may pass "LD_PRELOAD=$CAP_PRELOAD" through word splitting.
CAP_PRELOAD=${CAP_PRELOAD_PREFIX:+$CAP_PRELOAD_PREFIX:}$CAP_LIB
export CAP_ROOT CAP_BUILD CAP_LIB CAP_TOOL CAP_PRELOAD_PREFIX CAP_PRELOAD
timeout_s=${CAP_TEST_TIMEOUT:-300}

for f in "$CAP_LIB" "$CAP_TOOL"; do
	[ -e "$f" ] || echo "run.sh: warning: $f is missing; tests that need it will fail" >&2
done

# Which tests.
tests=()
for t in "$here"/t_*.sh "$here"/t_*.py; do
	[ -e "$t" ] && tests+=("$t")
done
if [ "${CAP_SOAK:-0}" = 1 ]; then
	for t in "$here"/soak_*.sh; do
		[ -e "$t" ] && tests+=("$t")
	done
fi
if [ $# -gt 0 ]; then
	picked=()
	for t in "${tests[@]}"; do
		for pat in "$@"; do
			if [[ "$(basename "$t")" == *"$pat"* ]]; then
				picked+=("$t")
				break
			fi
		done
	done
	tests=("${picked[@]}")
fi

logdir=$(mktemp -d /tmp/capacitor-tests.XXXXXX)
passed=0 failed=0 skipped=0

# shellcheck source=../fixture.sh
. "$CAP_ROOT/tests/fixture.sh"
if [ ${#tests[@]} -gt 0 ]; then
	if ! cap_fixture_start_pg 2>"$logdir/fixture-pg.log"; then
		echo "FAIL fixture: PostgreSQL"
		sed 's/^/    /' "$logdir/fixture-pg.log"
		failed=$((failed + 1))
		unset CAP_PG_HOST CAP_PG_PORT
	fi
	if ! cap_fixture_start_mariadb 2>"$logdir/fixture-my.log"; then
		echo "FAIL fixture: MariaDB"
		sed 's/^/    /' "$logdir/fixture-my.log"
		failed=$((failed + 1))
		unset CAP_MY_SOCKET CAP_MY_PORT
	fi
fi

# With libasan alone preloaded, programs that load libp11-kit (psql, pgbench, sysbench) hang in
# glibc's locale lock, which the runtime's lazy initialisation breaks (tests/san/asan_first.c,
# preloaded above, says how and avoids it). The probe stays as a fallback: if they still hang,
# tests call cap_need_clean_exit to skip.
export CAP_SAN_EXIT_HANG=0
if [ -n "$CAP_PRELOAD_PREFIX" ] && [ -n "${CAP_PG_BIN:-}" ]; then
	rc=0
	timeout -k 2 10 env LD_PRELOAD="$CAP_PRELOAD_PREFIX" "$CAP_PG_BIN/psql" --version >/dev/null 2>&1 || rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		CAP_SAN_EXIT_HANG=1
		echo "warning: libpq programs hang at exit with libasan preloaded; tests that need them are skipped"
	fi
fi

for t in "${tests[@]}"; do
	name=$(basename "$t")
	name=${name%.*}
	log=$logdir/$name.log
	export CAP_TEST_LOG=$logdir/$name.d
	mkdir -p "$CAP_TEST_LOG"
	CAPACITOR_DIR=$(mktemp -d /tmp/capacitor-dir.XXXXXX)
	chmod 0700 "$CAPACITOR_DIR"
	export CAPACITOR_DIR
	case "$t" in
	*.py) runner=(/usr/bin/python3 -u) ;;
	*) runner=(bash) ;;
	esac
	start=$(date +%s.%N)
	(cd "$CAP_ROOT" && exec timeout -k 10 "$timeout_s" "${runner[@]}" "$t") </dev/null >"$log" 2>&1
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	rm -rf -- "$CAPACITOR_DIR"
	if [ "$rc" -eq 0 ]; then
		echo "ok   $name (${secs}s)"
		passed=$((passed + 1))
	elif [ "$rc" -eq 77 ]; then
		echo "skip $name: $(tail -n 1 "$log")"
		skipped=$((skipped + 1))
	else
		why="exit $rc"
		[ "$rc" -eq 124 ] && why="timed out after ${timeout_s}s"
		echo "FAIL $name ($why, ${secs}s); last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
unset CAPACITOR_DIR CAP_TEST_LOG

cap_fixture_stop
echo "logs: $logdir"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]

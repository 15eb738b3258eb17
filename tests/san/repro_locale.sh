#!/bin/bash
# repro_locale.sh - the glibc locale lock that a lazily initialised libasan breaks, without
# Capacitor (tests/san/asan_first.c says why it happens).
#
#     tests/san/repro_locale.sh
#
# A library whose constructor calls newlocale (as libp11-kit's does), linked into a program
# that calls strerror and then setlocale (as psql does, with Capacitor's constructor calling
# strerror first). Prints one line per run; exits 0 when the program hangs with libasan alone
# preloaded and runs with tests/san/asan_first.c preloaded after it, 1 otherwise.
set -u
t=$(mktemp -d /tmp/capacitor-sanrepro.XXXXXX)
trap 'rm -rf "$t"' EXIT
cat >"$t/ctor.c" <<'C'
#include <locale.h>
locale_t ctor_locale;
__attribute__((constructor)) static void init(void)
{
	ctor_locale = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
}
C
cat >"$t/main.c" <<'C'
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	printf("%s; ", strerror(ENOENT));
	setlocale(LC_ALL, "");
	printf("setlocale returned\n");
	return 0;
}
C
asan=$(gcc -print-file-name=libasan.so)
gcc -shared -fPIC -o "$t/libctor.so" "$t/ctor.c" &&
	gcc -o "$t/main" "$t/main.c" -Wl,--no-as-needed -L"$t" -lctor -Wl,-rpath,"$t" &&
	gcc -shared -fPIC -O2 -o "$t/libfirst.so" "$(dirname "$0")/asan_first.c" || exit 1
run() { # NAME PRELOAD - run the program, print NAME and how it ended; returns its status
	local rc=0
	timeout -k 1 5 env ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$2" "$t/main" >"$t/out" 2>&1 || rc=$?
	local how=hung
	[ $rc -eq 124 ] || how=$(tr -d '\n' <"$t/out")
	echo "$1: exit $rc ($how)"
	return $rc
}
run "no preload" "" || exit 1
run "libasan alone" "$asan" && exit 1
run "libasan, then asan_first.c" "$asan:$t/libfirst.so" || exit 1
exit 0

#!/bin/bash
# repro_cancel.sh - a thread cancelled below an instrumented frame makes AddressSanitizer
# report its own call, without Capacitor (the reason tests/clients/pq_catstall.c's cleanup
# handler clears the stack's poison under ASan).
#
#     tests/san/repro_cancel.sh
#
# deep() has small arrays (each with redzones) and blocks in read, a cancellation point. The
# cancellation unwinds deep's frames without their epilogues, so their redzones stay
# poisoned; the cleanup macro's __asan_handle_no_return then calls the intercepted sigaltstack
# with a local that lies there, and ASan reports it (google/sanitizers#1010). Exits 0 when the
# plain build runs and the ASan build reports; else 1.
set -u
t=$(mktemp -d /tmp/capacitor-sanrepro.XXXXXX)
trap 'rm -rf "$t"' EXIT
{
	cat <<'C'
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static int fds[2];
static void cleanup(void *p)
{
	(void)p;
}
__attribute__((noinline)) static void deep(int depth)
{
C
	for i in $(seq 0 47); do echo "	char x${i}[1];"; done
	echo "	char *volatile p[48] = { $(seq -s ', ' -f 'x%g' 0 47) };"
	cat <<'C'
	if (depth > 0)
		deep(depth - 1);
	else
		(void)!read(fds[0], p[0], 1); /* nothing is written: blocks until cancelled */
}
static void *worker(void *arg)
{
	pthread_cleanup_push(cleanup, NULL);
	deep((int)(long)arg);
	pthread_cleanup_pop(0);
	return NULL;
}
int main(void)
{
	if (pipe(fds) != 0)
		return 2;
	for (long depth = 0; depth < 8; depth++) {
		pthread_t t;
		pthread_create(&t, NULL, worker, (void *)depth);
		usleep(20000);
		pthread_cancel(t);
		pthread_join(t, NULL);
	}
	printf("every cancelled thread unwound\n");
	return 0;
}
C
} >"$t/cancel.c"
gcc -O1 -pthread -o "$t/plain" "$t/cancel.c" &&
	gcc -O1 -pthread -fsanitize=address -fno-omit-frame-pointer -o "$t/asan" "$t/cancel.c" || exit 1
echo -n "plain: " && timeout 20 "$t/plain" || exit 1
rc=0
timeout 20 env ASAN_OPTIONS=detect_leaks=0 "$t/asan" >"$t/out" 2>&1 || rc=$?
echo "AddressSanitizer: exit $rc: $(grep -m1 -o 'ERROR: AddressSanitizer: [a-z-]*\|CHECK failed.*' "$t/out" || head -n 1 "$t/out")"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]

#!/bin/bash
# repro_fork.sh - a fork child's thread that never runs under AddressSanitizer, without
# Capacitor (the reason tests/unit/test_connwatch.c's fork_child_watches lets the parent's
# watcher finish starting before it forks, under ASan only).
#
#     tests/san/repro_fork.sh
#
# gcc 12's libasan takes no lock of its allocator around fork (it has no fork interceptor and
# no pthread_atfork handler). A thread inside the allocator at the fork, here a thread just
# created and still in the runtime's own start-up (which allocates: pthread_getattr_np), leaves
# the child one of the allocator's mutexes held by nobody, and the child's first thread that
# needs it (any thread's start-up) waits for ever. The program starts a thread, forks
# at once, and in the child starts a thread and joins it, 500 rounds. Exits 0 when the plain
# build runs every round and the ASan build, in one of three tries, has a child whose thread
# never runs (usually within a few hundred rounds); else 1.
set -u
t=$(mktemp -d /tmp/capacitor-sanrepro.XXXXXX)
trap 'rm -rf "$t"' EXIT
cat >"$t/fork.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static void *nothing(void *arg)
{
	return arg;
}
int main(void)
{
	for (int i = 0; i < 500; i++) {
		pid_t pid = fork(); /* a fresh single-threaded process for each round */
		if (pid == 0) {
			pthread_t t;
			/* start a thread and fork while it may still be starting */
			pthread_create(&t, NULL, nothing, NULL);
			for (volatile int spin = 0; spin < (i % 50) * 100; spin++)
				;
			pid_t c = fork();
			if (c == 0) {
				alarm(2); /* a child whose thread never runs dies of SIGALRM */
				pthread_t u;
				pthread_create(&u, NULL, nothing, NULL);
				pthread_join(u, NULL);
				_exit(0);
			}
			int st;
			waitpid(c, &st, 0);
			_exit(WIFEXITED(st) ? 0 : 1);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("round %d: a thread started in the fork child never ran\n", i);
			return 1;
		}
	}
	printf("500 rounds: every fork child's thread ran\n");
	return 0;
}
C
gcc -O1 -pthread -o "$t/plain" "$t/fork.c" &&
	gcc -O1 -pthread -fsanitize=address -o "$t/asan" "$t/fork.c" || exit 1
echo -n "plain: " && timeout 120 "$t/plain" || exit 1
for try in 1 2 3; do
	echo -n "AddressSanitizer, try $try: "
	timeout 120 env ASAN_OPTIONS=detect_leaks=0 "$t/asan" || exit 0
done
exit 1

/* test_connwatch.c - the connection watcher (hooks/connwatch.c), built into this program: a
 * watched socket reads as closed soon after its peer closes, and only then; a slot given back
 * and taken again (the same descriptor number, another socket) starts open; the thread runs
 * with every signal blocked, ends when nothing is watched and starts again when something is
 * (also while the last one ends: one watcher at a time, none missing);
 * a fork child watches the sockets it inherited with a thread of its own. */
/* the thread ends at its first round with nothing to watch: its end races the next start */
#define CW_IDLE_ROUNDS 1
#include "hooks/connwatch.c"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* The waits (preload/waits.c) are not part of this program: what they learn is theirs. */
void cap_wait_bind(int fd)
{
	(void)fd;
}

/* Poll cap_connwatch_open for up to ms; its last answer. */
static int open_after(cap_connwatch *w, int fd, int want, int ms)
{
	int r = cap_connwatch_open(w, fd);
	for (int i = 0; i < ms / 10 && r != want; i++) {
		usleep(10000);
		r = cap_connwatch_open(w, fd);
	}
	return r;
}

static int state_after(int want, int ms)
{
	int s = __atomic_load_n(&cw_state, SC);
	for (int i = 0; i < ms / 10 && s != want; i++) {
		usleep(10000);
		s = __atomic_load_n(&cw_state, SC);
	}
	return s;
}

Test(connwatch, peer_close_is_seen)
{
	int sp[2];
	cap_connwatch w = { 0 };
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	cap_connwatch_init(&w);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	/* data waiting to be read is not a close */
	cr_assert(write(sp[1], "x", 1) == 1);
	cr_assert_eq(open_after(&w, sp[0], 0, 3 * CAP_CONNWATCH_POLL_MS), 1);
	close(sp[1]);
	cr_assert_eq(open_after(&w, sp[0], 0, 2000), 0, "the peer's close was not seen");
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 0, "a closed connection stays closed");
	cap_connwatch_release(&w);
	close(sp[0]);
}

Test(connwatch, reused_number_starts_open)
{
	int a[2], b[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
	cr_assert_eq(cap_connwatch_open(&w, a[0]), 1);
	close(a[1]);
	cr_assert_eq(open_after(&w, a[0], 0, 2000), 0);
	/* a reset: the same number, another socket */
	int fd = a[0];
	close(a[0]);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
	if (b[0] != fd) {
		cr_assert(dup2(b[0], fd) == fd);
		close(b[0]);
		b[0] = fd;
	}
	cap_connwatch_release(&w);
	cr_assert_eq(cap_connwatch_open(&w, b[0]), 1);
	cr_assert_eq(open_after(&w, b[0], 0, 3 * CAP_CONNWATCH_POLL_MS), 1,
		     "the old socket's close was taken for the new one's");
	close(b[1]);
	cr_assert_eq(open_after(&w, b[0], 0, 2000), 0);
	cap_connwatch_release(&w);
	close(b[0]);
}

Test(connwatch, another_socket_number_is_watched_anew)
{
	int a[2], b[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
	cr_assert_eq(cap_connwatch_open(&w, a[0]), 1);
	close(a[1]);
	cr_assert_eq(open_after(&w, a[0], 0, 2000), 0);
	cr_assert_eq(cap_connwatch_open(&w, b[0]), 1, "a new socket read as closed");
	close(b[1]);
	cr_assert_eq(open_after(&w, b[0], 0, 2000), 0);
	cap_connwatch_release(&w);
	close(a[0]);
	close(b[0]);
}

/* The watcher (the thread named capacitor-watch) blocks every signal glibc lets a thread
 * block: its SigBlk line in /proc. */
static int watcher_blocks_all(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int found = 0, all = 0;
	pid_t self = (pid_t)syscall(SYS_gettid);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		char p[300], line[256];
		snprintf(p, sizeof(p), "/proc/self/task/%s/status", e->d_name);
		FILE *f = fopen(p, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "Name:", 5) == 0 && !strstr(line, "capacitor-watch"))
				break; /* not the watcher */
			else if (strncmp(line, "SigBlk:", 7) == 0) {
				unsigned long long m = strtoull(line + 7, NULL, 16);
				found = 1;
				/* SIGINT, SIGTERM, SIGUSR1, SIGALRM, SIGCHLD and SIGRTMAX */
				all = (m & (1ull << (SIGINT - 1))) && (m & (1ull << (SIGTERM - 1))) &&
				      (m & (1ull << (SIGUSR1 - 1))) && (m & (1ull << (SIGALRM - 1))) &&
				      (m & (1ull << (SIGCHLD - 1))) && (m & (1ull << (SIGRTMAX - 1)));
			}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found && all;
}

Test(connwatch, thread_life)
{
	int sp[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	cr_assert_eq(state_after(CW_RUNNING, 100), CW_RUNNING);
	int blocks = 0;
	for (int i = 0; i < 100 && !(blocks = watcher_blocks_all()); i++)
		usleep(10000); /* it names itself once it runs */
	cr_assert(blocks, "no thread named capacitor-watch with every signal blocked");
	cap_connwatch_release(&w);
	cr_assert_eq(state_after(CW_IDLE, (CW_IDLE_ROUNDS + 10) * CAP_CONNWATCH_POLL_MS), CW_IDLE,
		     "the watcher did not end with nothing to watch");
	usleep(50000);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	cr_assert_eq(state_after(CW_RUNNING, 100), CW_RUNNING, "not started again");
	close(sp[1]);
	cr_assert_eq(open_after(&w, sp[0], 0, 2000), 0);
	cap_connwatch_release(&w);
	close(sp[0]);
}

/* Watches start around the moments the watcher ends (it ends at its first empty round here):
 * whichever wins, a watcher runs for the last one and sees its close. Under ThreadSanitizer
 * this also looks for an ending watcher and its successor sharing the poll arrays. */
Test(connwatch, end_and_start_race)
{
	int sp[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	for (int i = 0; i < 40; i++) {
		cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
		usleep((useconds_t)(i % 7) * 5000);
		cap_connwatch_release(&w);
		usleep((useconds_t)(CAP_CONNWATCH_POLL_MS - 20 + (i * 13) % 40) * 1000);
	}
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	close(sp[1]);
	cr_assert_eq(open_after(&w, sp[0], 0, 2000), 0, "no watcher after the races");
	cap_connwatch_release(&w);
	close(sp[0]);
}

/* ThreadSanitizer cannot start a thread in the child of a multi-threaded fork. */
#ifndef __SANITIZE_THREAD__
#ifdef __SANITIZE_ADDRESS__
/* Has the watcher thread finished starting (it names itself first thing in cw_main)? */
static int watcher_named(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300], name[32];
	int found = 0;
	while (d != NULL && !found && (e = readdir(d)) != NULL) {
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
		found = f != NULL && fgets(name, sizeof name, f) != NULL &&
			strcmp(name, "capacitor-watch\n") == 0;
		if (f != NULL)
			fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return found;
}
#endif

Test(connwatch, fork_child_watches)
{
	int sp[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
#ifdef __SANITIZE_ADDRESS__
	/* gcc 12's AddressSanitizer takes no lock of its allocator around fork: a thread that is
	 * inside it at the fork (the parent's watcher, still in the runtime's own thread
	 * start-up, which allocates) leaves the child a mutex held for ever, and the child's
	 * next thread to allocate, its watcher at its start-up, waits on it (one run in about
	 * seven). tests/san/repro_fork.sh shows it without Capacitor. So the parent's watcher
	 * finishes starting first; after that it allocates nothing. */
	for (int i = 0; i < 200 && !watcher_named(); i++)
		usleep(10000);
	cr_assert(watcher_named(), "the watcher thread did not start");
#endif
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(sp[1]);
		/* the parent closes its copy of the peer: the child's own watcher must see it */
		_exit(open_after(&w, sp[0], 0, 3000) == 0 ? 0 : 1);
	}
	close(sp[1]);
	int st = 0;
	cr_assert(waitpid(pid, &st, 0) == pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the fork child did not see the close");
	cap_connwatch_release(&w);
	close(sp[0]);
}
#endif

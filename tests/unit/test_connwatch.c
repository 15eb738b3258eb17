/* test_connwatch.c - the connection watcher (hooks/connwatch.c), built into this program: a
 * watched socket reads as closed soon after its peer closes, and only then; a slot given back
 * and taken again (the same descriptor number, another socket) starts open; the thread runs
 * with every signal blocked, ends when nothing is watched and starts again when something is
 * (also while the last one ends: one watcher at a time, none missing);
 * a fork child watches the sockets it inherited with a thread of its own; fork, unshare and
 * setns find only the program's threads (the watcher is stopped before them, and started again
 * at a watch's next use, which itself sees a close that came while none ran). */
/* the thread ends at its first round with nothing to watch: its end races the next start */
#define CW_IDLE_ROUNDS 1
#include "hooks/connwatch.c"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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
/* Threads: in /proc/self/status, what the kernel counts (Python 3.12 reads the same count
 * from /proc/self/stat at os.fork()). */
static int threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Threads:", 8) == 0)
			n = atoi(line + 8);
	if (f != NULL)
		fclose(f);
	return n;
}

static int named_after(int want, int ms)
{
	int r = watcher_named();
	for (int i = 0; i < ms / 10 && r != want; i++) {
		usleep(10000);
		r = watcher_named();
	}
	return r;
}

/* A watched connection, then fork: from the prepare handler on the process has only its own
 * threads (in the parent right after fork too); the peer closes while no watcher runs, and
 * the watch's next use sees it at once and starts the watcher again. */
Test(connwatch, fork_finds_only_the_programs_threads)
{
	int sp[2], sp2[2];
	cap_connwatch w = { 0 }, w2 = { 0 };
	int own = threads();
	cap_connwatch_init(&w);
	cap_connwatch_init(&w2);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp2) == 0);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	cr_assert_eq(cap_connwatch_open(&w2, sp2[0]), 1);
	cr_assert(named_after(1, 2000), "the watcher thread did not start");
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(0);
	int after = threads(), named = watcher_named();
	int st = 0;
	cr_assert(waitpid(pid, &st, 0) == pid);
	cr_assert(!named, "the watcher runs in the parent right after fork");
#ifndef __SANITIZE_THREAD__ /* ThreadSanitizer starts a thread of its own at the first start */
	cr_assert_eq(after, own, "%d threads right after fork, the program has %d", after, own);
#else
	(void)after;
	(void)own;
#endif
	cr_assert_eq(__atomic_load_n(&cw_state, SC), CW_IDLE);
	close(sp[1]); /* the child's copy is gone too */
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 0, "a close while stopped was not seen");
	cr_assert(named_after(1, 2000), "not started again");
	cr_assert_eq(cap_connwatch_open(&w2, sp2[0]), 1);
	close(sp2[1]);
	cr_assert_eq(open_after(&w2, sp2[0], 0, 2000), 0, "the restarted watcher missed a close");
	cap_connwatch_release(&w);
	cap_connwatch_release(&w2);
	close(sp[0]);
	close(sp2[0]);
}

/* ThreadSanitizer cannot start a thread in the child of a multi-threaded fork. */
#ifndef __SANITIZE_THREAD__
/* setns into a mount namespace and unshare(CLONE_NEWUSER), which the kernel refuses to a
 * multi-threaded process, succeed with a connection watched (as root, as without Capacitor);
 * the watcher starts again at the watch's next use, and sees closes after that. Run in a
 * fork child: the test runner has a thread of its own in the test's process. The exit status
 * is the step that failed. */
static int namespace_calls(void)
{
	int sp[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	if (threads() != 1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
		return 2;
	if (cap_connwatch_open(&w, sp[0]) != 1 || !named_after(1, 2000))
		return 3;
	int ns = open("/proc/self/ns/mnt", O_RDONLY);
	if (ns < 0 || setns(ns, CLONE_NEWNS) != 0)
		return 4;
	close(ns);
	if (watcher_named() || cap_connwatch_open(&w, sp[0]) != 1 || !named_after(1, 2000))
		return 5; /* not stopped, or not started again */
	if (unshare(CLONE_NEWUSER) != 0)
		return 6;
	if (watcher_named() || cap_connwatch_open(&w, sp[0]) != 1)
		return 7;
	close(sp[1]);
	if (open_after(&w, sp[0], 0, 2000) != 0)
		return 8; /* the restarted watcher missed the close */
	return 0;
}

Test(connwatch, namespace_calls_find_one_thread)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(namespace_calls());
	int st = 0;
	cr_assert(waitpid(pid, &st, 0) == pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "failed at step %d",
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
#endif

/* A watch's first use after a stop never waits for a start or stop under way (a fork in
 * another thread holds `life` until it is done; here this thread holds it, where waiting
 * would never end): it answers, and starts the watcher at a later use. */
Test(connwatch, a_watch_never_waits_for_a_stop)
{
	int sp[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	cr_assert_eq(state_after(CW_RUNNING, 100), CW_RUNNING);
	cr_assert_eq(unshare(0), 0); /* stops it */
	cr_assert_eq(__atomic_load_n(&cw_state, SC), CW_IDLE);
	pthread_mutex_lock(&life);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	cr_assert_eq(__atomic_load_n(&cw_state, SC), CW_IDLE);
	pthread_mutex_unlock(&life);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
	cr_assert_eq(__atomic_load_n(&cw_state, SC), CW_RUNNING, "not started at a later use");
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
Test(connwatch, fork_child_watches)
{
	int sp[2];
	cap_connwatch w = { 0 };
	cap_connwatch_init(&w);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	cr_assert_eq(cap_connwatch_open(&w, sp[0]), 1);
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

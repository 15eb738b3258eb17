/*
 * connwatch.c - the watcher thread and its table (why: connwatch.h).
 *
 * The table is CAP_CONNWATCH_SLOTS slots in static storage, each a word (generation << 2 |
 * state) and a descriptor. A slot's life, and who moves it:
 *
 *   FREE(g) --claim--> CLAIMED(g+1) --fd stored--> WATCHED(g+1)    the connection's thread
 *   WATCHED(g) --the watcher saw the peer close--> CLOSED(g)          the watcher (CAS)
 *   WATCHED(g) or CLOSED(g) --release--> FREE(g)                      the connection's thread
 *
 * The watcher polls only WATCHED slots, remembering the word it read, and marks a slot
 * CLOSED by a compare-and-swap from exactly that word: a slot released and claimed again
 * meanwhile (a new generation, perhaps the same descriptor number for another socket) is
 * never marked for an event of the old one. A CLOSED slot is not polled again (poll is
 * level-triggered: it would report the close every round). Nothing here takes a lock, so a
 * fork() in the middle of anything leaves the child a usable table: at worst a slot CLAIMED
 * forever (one slot fewer).
 *
 * The thread's life: cw_state is IDLE, RUNNING or FAILED. A claim publishes its slot
 * (sequentially consistent) and then reads cw_state; the watcher, finding no slot to poll
 * for CW_IDLE_ROUNDS rounds, stores IDLE and then looks at the slots again (reading only):
 * by the total order of those operations either the claim sees IDLE and starts a thread, or
 * the watcher sees the slot and goes on (taking RUNNING back), so no watched slot is left
 * without a watcher. A start takes RUNNING by a compare-and-swap too, so it and a watcher
 * taking RUNNING back never both win.
 *
 * Starts and stops hold `life`, a mutex (a start is a claim's, or a watch's first use after
 * a stop, and only tries it: a watch that finds it held, by a fork in another thread perhaps,
 * tries again at its next use; a stop is fork's, unshare's or setns's). Each watcher is created joinable, and
 * cw_joinable says nobody has taken it yet: a start or a stop that takes it joins it, a
 * watcher ending idle that takes it detaches itself. A stop raises cw_quit, wakes the
 * watcher's futex wait, joins it, then waits until the kernel has released the thread
 * (pthread_join returns when the kernel clears the thread's id, before the thread leaves its
 * thread group and drops its share of the process's fs: a namespace call made then would
 * still be refused), stores IDLE and bumps cap_connwatch_epoch, so that each watch's next
 * use takes the slow half: it polls its own socket once, for a close the stopped watcher did
 * not see, and starts a watcher. fork's prepare handler keeps `life` until its parent and
 * child handlers, so no watcher starts in between. Only one thread uses the poll arrays at a
 * time, so they can be static: a thread's last use happens before it is joined or before its
 * store of IDLE, either of which happens before the next thread is created.
 *
 * The thread calls poll through syscall(): the library interposes poll and ppoll
 * (preload/waits.c), and the watcher's waits are not the program's.
 */
#include "hooks/connwatch.h"
#include "cache/fork.h"
#include "cache/lock.h"
#include "cache/log.h"
#include "preload/waits.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CAP_EXPORT __attribute__((visibility("default")))

#define CW_STACK (256u * 1024u)
#ifndef CW_IDLE_ROUNDS /* tests/unit/test_connwatch.c makes it 1, to race the thread's end */
#define CW_IDLE_ROUNDS 10 /* empty rounds (of CAP_CONNWATCH_POLL_MS) before the thread ends */
#endif
#define CW_PEER_GONE (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)

#define SC __ATOMIC_SEQ_CST
#define RLX __ATOMIC_RELAXED
#define ACQ __ATOMIC_ACQUIRE

typedef struct cw_slot {
	uint64_t word; /* first: a watch points at it */
	int fd;
} cw_slot;

enum { CW_IDLE = 0, CW_RUNNING, CW_FAILED };

static cw_slot slots[CAP_CONNWATCH_SLOTS];
static unsigned top;           /* slots at and above are FREE and were never claimed */
static int cw_state;
static int logged_full, logged_failed;
static const uint64_t never;   /* the word of a watch that has no slot: never reads closed */
unsigned cap_connwatch_epoch = 1;

static pthread_mutex_t life = PTHREAD_MUTEX_INITIALIZER; /* starts and stops */
static pthread_t cw_thread;    /* under life: the last watcher created */
static int cw_joinable;        /* it was not joined or detached yet (taken by an exchange) */
static pid_t cw_tid;           /* its kernel id (it stores it first thing) */
static int cw_quit;            /* a futex word: a stop asks the watcher to end */

#define W_GEN(w) ((w) & ~(uint64_t)3)
#define W_STATE(w) ((int)((w) & 3))

/* ---- the watcher ------------------------------------------------------------------------ */

static struct pollfd pfd[CAP_CONNWATCH_SLOTS];
static uint64_t polled[CAP_CONNWATCH_SLOTS]; /* the word each pfd entry was read with */
static unsigned at[CAP_CONNWATCH_SLOTS];     /* and its slot */

/* The WATCHED slots, into pfd; their number. */
static unsigned cw_gather(void)
{
	unsigned n = 0, t = __atomic_load_n(&top, SC);
	for (unsigned i = 0; i < t; i++) {
		uint64_t w = __atomic_load_n(&slots[i].word, SC);
		if (W_STATE(w) != CAP_CW_WATCHED)
			continue;
		int fd = __atomic_load_n(&slots[i].fd, RLX);
		/* the descriptor is the word's only while the word stays the same */
		if (__atomic_load_n(&slots[i].word, ACQ) != w)
			continue;
		pfd[n] = (struct pollfd){ .fd = fd, .events = POLLRDHUP };
		polled[n] = w;
		at[n] = i;
		n++;
	}
	return n;
}

/* Is any slot WATCHED? (reads only: an exiting watcher asks, after a new one may have
 * started) */
static int cw_any_watched(void)
{
	unsigned t = __atomic_load_n(&top, SC);
	for (unsigned i = 0; i < t; i++)
		if (W_STATE(__atomic_load_n(&slots[i].word, SC)) == CAP_CW_WATCHED)
			return 1;
	return 0;
}

/* The system call glibc's own poll() makes (poll where the architecture has it, else ppoll),
 * without waiting: a program confined to the calls its client library makes (seccomp) allows
 * this one. */
static long cw_poll(struct pollfd *fds, unsigned n)
{
#ifdef SYS_poll
	return syscall(SYS_poll, fds, (unsigned long)n, 0);
#else
	struct timespec ts = { 0, 0 };
	return syscall(SYS_ppoll, fds, (unsigned long)n, &ts, NULL, 0);
#endif
}

/* One round's sleep, ended early by a stop (glibc's own waits are this futex call). */
static void cw_sleep(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = CAP_CONNWATCH_POLL_MS * 1000000L };
	syscall(SYS_futex, &cw_quit, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
}

static void *cw_main(void *arg)
{
	(void)arg;
	int idle = 0;
	__atomic_store_n(&cw_tid, (pid_t)syscall(SYS_gettid), SC);
	/* what top, ps -L and a debugger show for it */
	pthread_setname_np(pthread_self(), "capacitor-watch");
	while (!__atomic_load_n(&cw_quit, SC)) {
		unsigned n = cw_gather();
		if (n == 0 && ++idle >= CW_IDLE_ROUNDS) {
			__atomic_store_n(&cw_state, CW_IDLE, SC);
			int s = CW_IDLE;
			if (cw_any_watched() &&
			    __atomic_compare_exchange_n(&cw_state, &s, CW_RUNNING, 0, SC, SC))
				continue;
			/* nothing to watch, or a new watcher was started: nobody waits for this
			 * one unless a start or a stop took it first */
			if (__atomic_exchange_n(&cw_joinable, 0, SC))
				pthread_detach(pthread_self());
			return NULL;
		}
		if (n) {
			idle = 0;
			long r = cw_poll(pfd, n);
			for (unsigned j = 0; r > 0 && j < n; j++) {
				if (!(pfd[j].revents & CW_PEER_GONE))
					continue;
				uint64_t w = polled[j];
				__atomic_compare_exchange_n(&slots[at[j]].word, &w,
							    W_GEN(w) | CAP_CW_CLOSED, 0, SC, RLX);
			}
		}
		cw_sleep();
	}
	return NULL;
}

/* Start the watcher with every signal blocked (no handler of the program's runs on it, and no
 * signal meant for the program's threads is taken by it). */
static int cw_spawn(void)
{
	pthread_attr_t a;
	sigset_t all, old;
	if (pthread_attr_init(&a) != 0)
		return -1;
	int rc = pthread_attr_setstacksize(&a, CW_STACK);
	sigfillset(&all);
	if (rc == 0)
		rc = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (rc == 0) {
		rc = pthread_create(&cw_thread, &a, cw_main, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_attr_destroy(&a);
	return rc;
}

/* Wait, up to 20 ms, until the kernel has released thread tid (pthread_join returns when it
 * clears the thread's id, early in the thread's exit; a thread that detached itself is not
 * joined at all). */
static void cw_wait_released(pid_t tid)
{
	pid_t pid = getpid();
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (tid > 0 && syscall(SYS_tgkill, pid, tid, 0) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > 20000000L)
			return;
		sched_yield();
	}
}

/* The last watcher is gone, or going (it lost RUNNING, or was asked to end) (life held):
 * joined if nobody took it, then waited for until the kernel has let it go. */
static void cw_reap(void)
{
	if (__atomic_exchange_n(&cw_joinable, 0, SC))
		pthread_join(cw_thread, NULL);
	cw_wait_released(__atomic_load_n(&cw_tid, SC));
	__atomic_store_n(&cw_tid, 0, SC);
}

/* Start a watcher unless one runs (life held). */
static void cw_start(void)
{
	int s = CW_IDLE;
	if (!__atomic_compare_exchange_n(&cw_state, &s, CW_RUNNING, 0, SC, SC))
		return; /* running (perhaps the last one took RUNNING back), or failed */
	cw_reap();
	__atomic_store_n(&cw_quit, 0, SC);
	__atomic_store_n(&cw_joinable, 1, SC); /* before it runs: it may end at once */
	if (cw_spawn() == 0)
		return;
	__atomic_store_n(&cw_joinable, 0, SC);
	__atomic_store_n(&cw_state, CW_FAILED, SC);
	if (!__atomic_exchange_n(&logged_failed, 1, RLX))
		cap_log(CAP_LOG_WARN, "cannot start the connection watcher thread; a hit on a "
		       "connection the server has closed is served until a miss finds out");
}

/* Stop the watcher, if one runs or is ending, so that the process has only the program's
 * threads (life held); if it was running, every watch's next use starts one again. */
static void cw_stop(void)
{
	if (!__atomic_load_n(&cw_joinable, SC) && !__atomic_load_n(&cw_tid, SC))
		return; /* none since the last reap (a watcher that ended idle has stored its id) */
	__atomic_store_n(&cw_quit, 1, SC);
	syscall(SYS_futex, &cw_quit, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	cw_reap();
	int s = CW_RUNNING; /* (one that ended idle left IDLE, with nothing watched) */
	if (__atomic_compare_exchange_n(&cw_state, &s, CW_IDLE, 0, SC, SC))
		__atomic_add_fetch(&cap_connwatch_epoch, 1, SC);
	__atomic_store_n(&cw_quit, 0, SC);
}

/* fork: no watcher from the prepare handler on, none started until the parent and the child
 * go on (a child's would not be copied anyway); each starts one at a watch's next use. */
static void cw_fork_prepare(void)
{
	cap_mutex_lock(&life);
	cw_stop();
}

static void cw_fork_after(void)
{
	cap_mutex_unlock(&life);
}

static pthread_once_t cw_fork_once = PTHREAD_ONCE_INIT;

static void cw_fork_register(void)
{
	cap_fork_register(CAP_FORK_CONNWATCH, cw_fork_prepare, cw_fork_after, cw_fork_after);
}

/* A slot was published, or a watch is used again after a stop: make sure a watcher runs. 0
 * when that cannot be made sure now, a start or a stop being under way in another thread (a
 * fork, which a statement, perhaps a hit, must not wait for): the caller asks again at its
 * next use. */
static int cw_ensure(void)
{
	if (__atomic_load_n(&cw_state, SC) != CW_IDLE)
		return 1;
	cap_lock_hold();
	int got = pthread_mutex_trylock(&life) == 0;
	if (got) {
		cw_start();
		pthread_mutex_unlock(&life);
	}
	cap_lock_drop();
	return got;
}

/* ---- the calls the kernel refuses to a multi-threaded process ---------------------------- */

/* unshare (CLONE_NEWUSER, CLONE_THREAD, CLONE_SIGHAND, CLONE_VM) and setns (into a user, mount
 * or time namespace; which one only the descriptor says) run with no watcher: stopped before,
 * started again at a watch's next use. The real functions are the next definitions
 * (another interposer's, or libc's); the system call if there is none. */
typedef int (*unshare_fn)(int);
typedef int (*setns_fn)(int, int);
static unshare_fn real_unshare;
static setns_fn real_setns;
static pthread_once_t ns_once = PTHREAD_ONCE_INIT;

static void ns_resolve(void)
{
	real_unshare = (unshare_fn)dlsym(RTLD_NEXT, "unshare");
	real_setns = (setns_fn)dlsym(RTLD_NEXT, "setns");
}

CAP_EXPORT int unshare(int flags)
{
	pthread_once(&ns_once, ns_resolve);
	cap_mutex_lock(&life);
	cw_stop();
	int r = real_unshare ? real_unshare(flags) : (int)syscall(SYS_unshare, flags);
	int e = errno;
	cap_mutex_unlock(&life);
	errno = e;
	return r;
}

CAP_EXPORT int setns(int fd, int nstype)
{
	pthread_once(&ns_once, ns_resolve);
	cap_mutex_lock(&life);
	cw_stop();
	int r = real_setns ? real_setns(fd, nstype) : (int)syscall(SYS_setns, fd, nstype);
	int e = errno;
	cap_mutex_unlock(&life);
	errno = e;
	return r;
}

/* ---- the connections' side -------------------------------------------------------------- */

static cw_slot *cw_claim(int fd)
{
	for (unsigned i = 0; i < CAP_CONNWATCH_SLOTS; i++) {
		uint64_t w = __atomic_load_n(&slots[i].word, RLX);
		if (W_STATE(w) != CAP_CW_FREE)
			continue;
		uint64_t c = (W_GEN(w) + 4) | CAP_CW_CLAIMED;
		if (!__atomic_compare_exchange_n(&slots[i].word, &w, c, 0, SC, RLX))
			continue;
		__atomic_store_n(&slots[i].fd, fd, RLX);
		unsigned t = __atomic_load_n(&top, SC);
		while (t < i + 1 && !__atomic_compare_exchange_n(&top, &t, i + 1, 0, SC, SC))
			;
		__atomic_store_n(&slots[i].word, W_GEN(c) | CAP_CW_WATCHED, SC);
		return &slots[i];
	}
	return NULL;
}

void cap_connwatch_init(cap_connwatch *w)
{
	w->word = &never;
	w->closed = 1; /* never is 0 */
	w->fd = -1;
	w->epoch = 0; /* cap_connwatch_epoch never is: the first use takes the slow half */
}

int cap_connwatch_watch(cap_connwatch *w, int fd)
{
	unsigned ep = __atomic_load_n(&cap_connwatch_epoch, SC);
	if (w->word != NULL && w->word != &never && w->fd == fd) {
		/* the same socket after a stop (a fork, unshare, setns): its slot was kept, its
		 * watcher was not. A close while none ran is seen here, at once; later ones by
		 * the watcher started again. */
		struct pollfd p = { .fd = fd, .events = POLLRDHUP };
		uint64_t wd = W_GEN(w->closed) | CAP_CW_WATCHED;
		if (cw_poll(&p, 1) > 0 && (p.revents & CW_PEER_GONE))
			__atomic_compare_exchange_n((uint64_t *)(uintptr_t)w->word, &wd, w->closed,
						    0, SC, RLX);
		w->epoch = cw_ensure() ? ep : ep - 1;
		return __atomic_load_n(w->word, ACQ) != w->closed;
	}
	cap_connwatch_release(w);
	w->fd = fd;
	w->epoch = ep;
	cap_wait_bind(fd); /* the same moment in a socket's life: the waits learn its identity */
	if (fd < 0 || __atomic_load_n(&cw_state, SC) == CW_FAILED)
		return 1;
	pthread_once(&cw_fork_once, cw_fork_register);
	cw_slot *s = cw_claim(fd);
	if (s == NULL) {
		if (!__atomic_exchange_n(&logged_full, 1, RLX))
			cap_log(CAP_LOG_WARN, "more than %d cached connections in this process: the "
				"others are not watched for the server closing them",
				CAP_CONNWATCH_SLOTS);
		return 1;
	}
	w->word = &s->word;
	w->closed = W_GEN(__atomic_load_n(&s->word, RLX)) | CAP_CW_CLOSED;
	if (!cw_ensure())
		w->epoch = ep - 1; /* the next use makes sure */
	return 1;
}

void cap_connwatch_release(cap_connwatch *w)
{
	if (w->word != NULL && w->word != &never) {
		cw_slot *s = (cw_slot *)(uintptr_t)w->word;
		__atomic_store_n(&s->word, W_GEN(w->closed) | CAP_CW_FREE, SC);
	}
	cap_connwatch_init(w);
}

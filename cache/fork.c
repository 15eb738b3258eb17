/*
 * fork.c - the one pthread_atfork registration and the ordered handler table (see fork.h).
 *
 * A rank's parent and child handlers run only if its prepare handler ran in this fork (or it
 * has no prepare), so a rank registered while another thread is forking never unlocks a lock
 * it did not take. Which prepares ran is kept per thread: concurrent forks from two threads
 * each run their own handlers, and the child's only thread is a copy of the forking one.
 */
#include "cache/fork.h"

#include <pthread.h>

typedef void (*handler)(void);

static struct {
	handler prepare, parent, child;
	int set; /* atomic: handlers stored (release) */
} ranks[CAP_FORK__N];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread unsigned prepared __attribute__((tls_model("initial-exec")));

_Static_assert(CAP_FORK__N <= 8 * sizeof(unsigned), "one bit per rank");

static void on_prepare(void)
{
	prepared = 0;
	for (unsigned r = 0; r < CAP_FORK__N; r++) {
		if (!__atomic_load_n(&ranks[r].set, __ATOMIC_ACQUIRE))
			continue;
		handler h = __atomic_load_n(&ranks[r].prepare, __ATOMIC_RELAXED);
		if (h)
			h();
		prepared |= 1u << r;
	}
}

static void after(int child)
{
	for (unsigned r = CAP_FORK__N; r-- > 0;) {
		if (!(prepared & (1u << r)))
			continue;
		handler h = __atomic_load_n(child ? &ranks[r].child : &ranks[r].parent,
					    __ATOMIC_RELAXED);
		if (h)
			h();
	}
	prepared = 0;
}

static void on_parent(void)
{
	after(0);
}

static void on_child(void)
{
	after(1);
}

static void install(void)
{
	pthread_atfork(on_prepare, on_parent, on_child);
}

void cap_fork_register(enum cap_fork_rank r, void (*prepare)(void), void (*parent)(void),
		       void (*child)(void))
{
	if ((unsigned)r >= CAP_FORK__N)
		return;
	pthread_once(&once, install);
	__atomic_store_n(&ranks[r].prepare, prepare, __ATOMIC_RELAXED);
	__atomic_store_n(&ranks[r].parent, parent, __ATOMIC_RELAXED);
	__atomic_store_n(&ranks[r].child, child, __ATOMIC_RELAXED);
	__atomic_store_n(&ranks[r].set, 1, __ATOMIC_RELEASE);
}

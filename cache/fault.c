/*
 * fault.c - SIGBUS recovery for Capacitor's shared mappings (see fault.h).
 *
 * The table is a fixed array: the handler must read it without a lock, so each entry is
 * published by storing its start address last (release) and retired by clearing it first.
 * Writers (watch/unwatch: open and close of a shared file, rare) serialise on a process-local
 * spin flag that the handler never touches. It is no mutex, so that it takes no part in the
 * order of the locks other modules' fork handlers take; a fork child clears it (the thread
 * that may have held it does not exist there, and entries are published by one store).
 *
 * Chaining. The handler saved at installation is called for any fault outside our mappings:
 * an SA_SIGINFO handler with the same arguments, a plain handler with the signal number. For
 * SIG_DFL or SIG_IGN we restore the default disposition and return: a fault re-executes the
 * faulting instruction and the process dies of SIGBUS exactly as it would have without us; a
 * signal sent by kill() is raised again so that its default action happens.
 *
 * Taken over. A program may install its own handler after ours (Python's faulthandler, a
 * crash reporter), which would leave our mappings unprotected. cap_fault_recheck (from the
 * miss path, at most once a second) looks at the disposition; if it is no longer ours, ours
 * goes back in and the program's becomes the one called for faults outside our mappings.
 * Such a handler usually saved ours as "the previous one": to hand over, it puts ours back
 * and raises the signal again. So when the program's handler returns with SIGBUS pending on
 * the thread, that signal is answered as our own previous handler would (usually: the
 * default action), not by calling the program's handler again in a loop. The program's
 * handlers are kept in a few slots published by index, so that the handler never reads one
 * half-written.
 */
#include "cache/fault.h"
#include "cache/cap.h"
#include "cache/fork.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define NWATCH 32

static struct watch {
	uintptr_t start; /* 0 = free; published last */
	size_t len;
	int *dead;
} watches[NWATCH];

#define NHOST 4
#define RECHECK_NS 1000000000ull /* the disposition is looked at no more often than this */

static int busy; /* writers' spin flag */
static struct sigaction prev;
static int installed;
static unsigned long faults;
static struct sigaction hosts[NHOST]; /* handlers the program installed over ours */
static int host_at = -1;              /* atomic: the slot in use, -1 = none */
static uint64_t next_recheck;         /* atomic: coarse ns */
/* set when the program's handler returned with SIGBUS raised again (see the top) */
static __thread int reraised __attribute__((tls_model("initial-exec")));

static void call(const struct sigaction *to, int sig, siginfo_t *si, void *uc)
{
	if (to->sa_flags & SA_SIGINFO) {
		if (to->sa_sigaction)
			to->sa_sigaction(sig, si, uc);
	} else {
		to->sa_handler(sig);
	}
}

static int bus_pending(void)
{
	sigset_t p;
	return sigpending(&p) == 0 && sigismember(&p, SIGBUS) == 1;
}

static int is_handler(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) ||
	       (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN);
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	/* the program's latest disposition, unless this is its own hand-over coming back */
	int h = __atomic_load_n(&host_at, __ATOMIC_ACQUIRE);
	int again = reraised;
	reraised = 0;
	const struct sigaction *to = &prev;
	if (h >= 0 && !(again && (si == NULL || si->si_code <= 0)))
		to = &hosts[h];
	if (is_handler(to)) {
		call(to, sig, si, uc);
		if (to != &prev && bus_pending())
			reraised = 1;
		return;
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (si == NULL || si->si_code <= 0) {
		if (to->sa_handler == SIG_DFL)
			raise(sig);
	}
	/* a real fault: returning re-executes the access, which now kills the process */
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (si != NULL && si->si_code > 0) {
		uintptr_t a = (uintptr_t)si->si_addr;
		for (int i = 0; i < NWATCH; i++) {
			uintptr_t s = __atomic_load_n(&watches[i].start, __ATOMIC_ACQUIRE);
			if (s == 0 || a < s || a - s >= watches[i].len)
				continue;
			void *p = mmap((void *)s, watches[i].len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
			if (p == MAP_FAILED)
				break;
			__atomic_store_n(watches[i].dead, 1, __ATOMIC_RELEASE);
			__atomic_fetch_add(&faults, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	chain(sig, si, uc);
}

static void lock(void)
{
	while (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void unlock(void)
{
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}

static void fork_child(void)
{
	__atomic_store_n(&busy, 0, __ATOMIC_RELAXED);
}

static void ours(struct sigaction *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sa_sigaction = on_sigbus;
	sa->sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa->sa_mask);
}

static int is_ours(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_sigbus;
}

static int install(void)
{
	cap_fork_register(CAP_FORK_FAULT, NULL, NULL, fork_child);
	struct sigaction sa;
	ours(&sa);
	if (sigaction(SIGBUS, &sa, &prev) != 0)
		return CAP_EIO;
	/* a program that installed our own handler twice (fork + re-init) must not chain to us */
	if (is_ours(&prev)) {
		memset(&prev, 0, sizeof(prev));
		prev.sa_handler = SIG_DFL;
	}
	return CAP_OK;
}

int cap_fault_watch(void *addr, size_t len, int *dead)
{
	int rc = CAP_ENOMEM;
	lock();
	if (!installed && install() == CAP_OK)
		__atomic_store_n(&installed, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NWATCH; i++) {
		if (__atomic_load_n(&watches[i].start, __ATOMIC_RELAXED) != 0)
			continue;
		watches[i].len = len;
		watches[i].dead = dead;
		__atomic_store_n(&watches[i].start, (uintptr_t)addr, __ATOMIC_RELEASE);
		rc = CAP_OK;
		break;
	}
	unlock();
	return rc;
}

void cap_fault_unwatch(void *addr)
{
	lock();
	for (int i = 0; i < NWATCH; i++)
		if (__atomic_load_n(&watches[i].start, __ATOMIC_RELAXED) == (uintptr_t)addr)
			__atomic_store_n(&watches[i].start, 0, __ATOMIC_RELEASE);
	unlock();
}

void cap_fault_recheck(uint64_t now_ns)
{
	uint64_t due = __atomic_load_n(&next_recheck, __ATOMIC_RELAXED);
	if (now_ns < due || !__atomic_load_n(&installed, __ATOMIC_RELAXED) ||
	    !__atomic_compare_exchange_n(&next_recheck, &due, now_ns + RECHECK_NS, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	struct sigaction cur;
	if (sigaction(SIGBUS, NULL, &cur) != 0 || is_ours(&cur))
		return;
	lock();
	/* the next slot: the handler may still be reading the current one */
	int h = (__atomic_load_n(&host_at, __ATOMIC_RELAXED) + 1) % NHOST;
	struct sigaction sa, was;
	ours(&sa);
	if (sigaction(SIGBUS, &sa, &was) == 0 && !is_ours(&was)) {
		hosts[h] = was;
		__atomic_store_n(&host_at, h, __ATOMIC_RELEASE);
	}
	unlock();
}

unsigned long cap_fault_count(void)
{
	return __atomic_load_n(&faults, __ATOMIC_RELAXED);
}

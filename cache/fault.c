/*
 * fault.c - SIGBUS recovery for Capacitor's shared mappings (see fault.h).
 *
 * The table is a fixed array: the handler must read it without a lock, so each entry is
 * published by storing its start address last (release) and retired by clearing it first.
 * Writers (watch/unwatch: open and close of a shared file, rare) serialise on a process-local
 * mutex that the handler never touches; fork handlers keep it out of a child's way.
 *
 * Chaining. The handler saved at installation is called for any fault outside our mappings:
 * an SA_SIGINFO handler with the same arguments, a plain handler with the signal number. For
 * SIG_DFL or SIG_IGN we restore the default disposition and return: a fault re-executes the
 * faulting instruction and the process dies of SIGBUS exactly as it would have without us; a
 * signal sent by kill() is raised again so that its default action happens.
 */
#include "cache/fault.h"
#include "cache/cap.h"

#include <pthread.h>
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

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction prev;
static int installed;
static unsigned long faults;

static void chain(int sig, siginfo_t *si, void *uc)
{
	if (prev.sa_flags & SA_SIGINFO) {
		if (prev.sa_sigaction)
			prev.sa_sigaction(sig, si, uc);
		return;
	}
	if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
		prev.sa_handler(sig);
		return;
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (si == NULL || si->si_code <= 0) {
		if (prev.sa_handler == SIG_DFL)
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

static void fork_prepare(void) { pthread_mutex_lock(&mu); }
static void fork_after(void) { pthread_mutex_unlock(&mu); }

static int install(void)
{
	pthread_atfork(fork_prepare, fork_after, fork_after);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &prev) != 0)
		return CAP_EIO;
	/* a program that installed our own handler twice (fork + re-init) must not chain to us */
	if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction == on_sigbus) {
		memset(&prev, 0, sizeof(prev));
		prev.sa_handler = SIG_DFL;
	}
	return CAP_OK;
}

int cap_fault_watch(void *addr, size_t len, int *dead)
{
	int rc = CAP_ENOMEM;
	pthread_mutex_lock(&mu);
	if (!installed && install() == CAP_OK)
		installed = 1;
	for (int i = 0; i < NWATCH; i++) {
		if (__atomic_load_n(&watches[i].start, __ATOMIC_RELAXED) != 0)
			continue;
		watches[i].len = len;
		watches[i].dead = dead;
		__atomic_store_n(&watches[i].start, (uintptr_t)addr, __ATOMIC_RELEASE);
		rc = CAP_OK;
		break;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

void cap_fault_unwatch(void *addr)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < NWATCH; i++)
		if (__atomic_load_n(&watches[i].start, __ATOMIC_RELAXED) == (uintptr_t)addr)
			__atomic_store_n(&watches[i].start, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mu);
}

unsigned long cap_fault_count(void)
{
	return __atomic_load_n(&faults, __ATOMIC_RELAXED);
}

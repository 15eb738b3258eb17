/*
 * plock.c - the shared lock word (see plock.h).
 *
 * Waiting: a short spin (the usual holder is inside a memcpy of one entry), then sleeps that
 * double from 20 us to 1 ms, until the budget is spent. Whether the holder still exists is
 * asked with kill(tid, 0) once the spin is over and after every sleep, so a dead holder is
 * replaced within a millisecond, not at the end of the budget. A word that is not a possible
 * thread id (0x80000000 and up) counts as dead: kill() must never see a negative number,
 * which would address a process group.
 */
#include "cache/plock.h"
#include "cache/cap.h"
#include "cache/clock.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() __asm__ __volatile__("" ::: "memory")
#endif

static uint32_t self(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

static int alive(uint32_t tid)
{
	if (tid == 0 || tid > 0x7fffffffu)
		return 0;
	return kill((pid_t)tid, 0) == 0 || errno == EPERM;
}

int cap_plock_acquire(uint32_t *word, uint64_t budget_ns, uint32_t *holder)
{
	uint32_t me = self();
	uint64_t start = 0;
	long sleep_ns = 20000;
	for (int round = 0;; round++) {
		uint32_t cur = 0;
		if (__atomic_compare_exchange_n(word, &cur, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return CAP_PLOCK_OK;
		if (round < 64) {
			CPU_RELAX();
			continue;
		}
		if (cur == me || !alive(cur)) {
			/* our own id can only be left by a thread that died with it (ids are reused) */
			if (__atomic_compare_exchange_n(word, &cur, me, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				return CAP_PLOCK_RECOVERED;
			continue;
		}
		uint64_t now = cap_precise_ns();
		if (start == 0)
			start = now;
		if (now - start >= budget_ns) {
			if (holder)
				*holder = cur;
			return CAP_EIO;
		}
		struct timespec ts = { 0, sleep_ns };
		nanosleep(&ts, NULL);
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
}

void cap_plock_release(uint32_t *word)
{
	uint32_t me = self();
	__atomic_compare_exchange_n(word, &me, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/*
 * clock.h - the clocks Capacitor reads, and which one is for what. All three are read through
 * the vDSO: no system call, a few nanoseconds.
 *
 *   cap_now_ns      CLOCK_MONOTONIC_COARSE. TTL deadlines and the ticks of periodic work
 *                   (the engine's checks, log intervals, lock back-offs, catalog reloads).
 *                   The cheapest read, done on every hit; it moves only at the kernel tick
 *                   (1 to 4 ms), so it must never time anything shorter: not for latency.
 *   cap_precise_ns  CLOCK_MONOTONIC at full resolution. Latency (histograms, statement
 *                   times) and bounded waits measured in microseconds or milliseconds.
 *   cap_wall_ns     CLOCK_REALTIME. Only times shown to people (when a file was created or
 *                   its statistics reset), never a deadline: it jumps.
 *
 * The two monotonic clocks are one clock read at two resolutions: the coarse one lags the
 * precise one by at most a tick, so a deadline set with one may be compared with the other
 * allowing that much. Monotonic times are valid for one boot and one time namespace; shared
 * files that store them record both (see cache/gen.h).
 */
#ifndef CAP_CLOCK_H
#define CAP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t cap_clock_read(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* cap_now_ns - the coarse monotonic clock in ns: TTLs and periodic ticks, never latency. */
static inline uint64_t cap_now_ns(void)
{
	return cap_clock_read(CLOCK_MONOTONIC_COARSE);
}

/* cap_precise_ns - the monotonic clock at full resolution in ns: latency. */
static inline uint64_t cap_precise_ns(void)
{
	return cap_clock_read(CLOCK_MONOTONIC);
}

/* cap_wall_ns - the wall clock in ns since the epoch: for people, never for deadlines. */
static inline uint64_t cap_wall_ns(void)
{
	return cap_clock_read(CLOCK_REALTIME);
}

#endif

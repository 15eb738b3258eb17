/*
 * rand.c - cap_random64 (see rand.h).
 *
 * getrandom may fail before the entropy pool is ready (GRND_NONBLOCK) or be filtered out; a
 * nonce must still differ from the last one, so the fallback mixes what differs between two
 * calls: the wall and monotonic clocks to the nanosecond, the pid and an address of this
 * stack.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/rand.h"
#include "cache/clock.h"

#include <sys/random.h>
#include <unistd.h>

uint64_t cap_random64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v) && v)
		return v;
	uint64_t mix[4] = { cap_wall_ns(), cap_precise_ns(), (uint64_t)getpid(),
			    (uint64_t)(uintptr_t)&v };
	return XXH3_64bits(mix, sizeof(mix)) | 1;
}

/*
 * deps.h - the vocabulary the cache tiers share below the engine: what an entry depends on,
 * and how a tier hands a hit's value out without copying it.
 *
 * An entry records cap_deps: the generation-table slots it depends on (the global epoch, its
 * database's epoch, one slot per table it reads) and the value each slot held BEFORE the miss
 * was sent to the server. A tier (cache/mem, cache/disk) serves the entry only while every
 * slot still holds that value (cap_gen_valid) and its TTL (a cap_now_ns deadline,
 * cache/clock.h) has not passed. The engine (cache/engine.h) builds the sets; the tiers
 * store and check them.
 */
#ifndef CAP_DEPS_H
#define CAP_DEPS_H

#include <stddef.h>
#include <stdint.h>

/* Most generation slots an entry can depend on: global epoch + database epoch + tables. */
#define CAP_DEPS_MAX 32

typedef struct cap_deps {
	uint32_t n;
	uint32_t slot[CAP_DEPS_MAX];
	uint64_t gen[CAP_DEPS_MAX];
} cap_deps;

/* Called with a hit's value while the tier keeps it valid (L1: under the shard's read lock;
 * L2: a private copy); return 0 to accept the hit, or a negative CAP_* code (the get then
 * returns that code and the caller treats it as a miss). */
typedef int (*cap_value_fn)(void *ctx, const void *val, size_t len);

#endif

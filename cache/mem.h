/*
 * mem.h - L1, the per-process memory tier: a sharded hash table with a byte budget and
 * scan-resistant (S3-FIFO) eviction.
 *
 * Entries are one allocation each: header, dependency generations, full key material and value.
 * A hit compares the full key, checks the generations against the table (cache/gen) and the
 * TTL, and hands the value to a callback while the shard's read lock keeps it alive (no copy,
 * no allocation). See mem.c for the policy and the locking rules.
 */
#ifndef CAP_MEM_H
#define CAP_MEM_H

#include "cache/deps.h"
#include "cache/gen.h"
#include "cache/key.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cap_mem cap_mem;

enum cap_mem_policy {
	CAP_MEM_S3FIFO = 0, /* the default: small FIFO + main FIFO with reinsertion + ghost */
	CAP_MEM_LRU = 1     /* plain LRU, for the benchmark's comparison only */
};

/* cap_mem_open - an L1 of at most `budget` bytes (keys + values + all overhead, including the
 * bucket arrays and ghost tables). nshards 0 = sized for the machine (4 x nproc, power of two,
 * at least 8, fewer when the budget is tiny). CAP_OK, CAP_EINVAL (budget too small),
 * CAP_ENOMEM. */
int cap_mem_open(uint64_t budget, unsigned nshards, enum cap_mem_policy policy, cap_mem **out);
void cap_mem_close(cap_mem *m);

/* cap_mem_get - 1 (after fn accepted the value), 0 (miss or stale), or fn's negative code.
 * now_ns is read lazily (only for an entry with a TTL) when passed as 0. */
int cap_mem_get(cap_mem *m, const cap_gen *g, const cap_key *k, cap_value_fn fn, void *ctx);

/* cap_mem_put - copy key, deps and value in, replacing any entry of that key; expire_ns is an
 * absolute cap_now_ns() time or 0. CAP_OK, CAP_ETOOBIG, CAP_ENOMEM. */
int cap_mem_put(cap_mem *m, const cap_key *k, const cap_deps *d, uint64_t expire_ns,
		const void *val, size_t len);

/* cap_mem_clear - drop every entry. */
void cap_mem_clear(cap_mem *m);

/* cap_mem_usage - entries and accounted bytes (entries + fixed overhead), and the budget. */
void cap_mem_usage(cap_mem *m, uint64_t *entries, uint64_t *bytes, uint64_t *budget);

#endif

/*
 * engine.h - the cache engine: the only interface the hooks use to store and find results.
 *
 * It combines the per-process sharded memory tier (L1, cache/mem), the shared mmap tier (L2,
 * cache/disk) and the shared generation table (cache/gen) behind one handle. It never sees a
 * client library type: values are opaque byte strings encoded by the hooks.
 *
 * Coherence protocol (DESIGN.md, "The correctness contract", points 4 and 5):
 *  - Every entry records cap_deps: the generation-table slots it depends on (the global epoch,
 *    its database's epoch, one slot per table it reads) and the value of each slot read BEFORE
 *    the miss was sent to the server (cap_engine_deps_*). A get is a hit only if every slot
 *    still holds the recorded value and the entry's TTL has not passed.
 *  - A write bumps its tables (cap_engine_bump_table) after the server reported success, and
 *    again at COMMIT/ROLLBACK; a write whose tables are unknown bumps the database.
 *  - Table slots are keyed by the bare, lower-cased table name only (schema and database are
 *    dropped): two tables of the same name share a slot, which can only over-invalidate. That
 *    also lets `capacitor invalidate orders` work without knowing servers or databases.
 *  - Database epochs are keyed by a scope: a 64-bit hash of (server identity, database name)
 *    computed by the hooks with cap_hash64.
 *
 * Threads: every function may be called from any thread at any time. Fork: the child keeps
 * using the parent's engine (L1 is copied by fork; shared mappings stay shared).
 * Failure: cap_engine_open never fails the host; a tier that cannot open (bad directory,
 * unsafe permissions, mmap failure) is off with one warning in the log, and lookups simply miss.
 * Without a shared generation table (no directory, or it cannot be used) only entries with a
 * TTL are stored. The shared files are watched (engine.c): a table deleted, replaced, truncated
 * or rewound is noticed before the next miss or write and within 200 ms, and left for the
 * directory's current one. No call waits for another process without a bound.
 */
#ifndef CAP_ENGINE_H
#define CAP_ENGINE_H

#include "cache/clock.h"
#include "cache/deps.h"
#include "cache/key.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cap_engine cap_engine;

typedef struct cap_engine_conf {
	const char *dir;     /* CAPACITOR_DIR, already resolved to a path; NULL = no shared files */
	uint64_t mem_bytes;  /* L1 budget per process; 0 = L1 off */
	uint64_t disk_bytes; /* L2 file size; 0 = L2 off */
} cap_engine_conf;

/* Results of cap_engine_get. */
enum { CAP_MISS = 0, CAP_HIT_L1 = 1, CAP_HIT_L2 = 2 };

/* cap_engine_open - build an engine; *out is always set to a usable engine unless memory for
 * the handle itself could not be had (then CAP_ENOMEM and *out = NULL). Tiers that failed are
 * off and logged; the return value is CAP_OK even then. */
int cap_engine_open(const cap_engine_conf *conf, cap_engine **out);
/* cap_engine_close - unmap and free everything (for tests and process exit). */
void cap_engine_close(cap_engine *e);

/* cap_engine_deps_begin - start a dependency set for a statement of database scope `scope`:
 * records the global epoch and the database epoch. */
void cap_engine_deps_begin(cap_engine *e, cap_deps *d, uint64_t scope);
/* cap_engine_deps_table - add the table `name` (n bytes; may be "schema.table" or quoted
 * parts already unquoted; only the part after the last '.' counts, lower-cased). Returns
 * CAP_OK, or CAP_ETOOBIG when the set is full (the caller must then not cache). */
int cap_engine_deps_table(cap_engine *e, cap_deps *d, const char *name, size_t n);

/* cap_engine_get - look key up (L1, then L2, promoting an L2 hit into L1). On a valid hit
 * calls fn(ctx, value, len) and returns CAP_HIT_L1/CAP_HIT_L2 (or fn's negative return);
 * otherwise CAP_MISS. Never allocates on an L1 hit; takes no lock another process holds. One
 * coarse clock read (vDSO) per call; once every 200 ms one call runs the directory check. */
int cap_engine_get(cap_engine *e, const cap_key *key, cap_value_fn fn, void *ctx);

/* cap_engine_put - store value under key with the dependencies read before the miss was sent
 * and a time to live (0 = none). An entry whose deps are already stale is not stored.
 * CAP_OK, CAP_ETOOBIG (bigger than a tier can hold), CAP_ENOMEM, CAP_EOFF (no tier, or no
 * shared generation table and ttl_ns == 0). */
int cap_engine_put(cap_engine *e, const cap_key *key, const cap_deps *deps, uint64_t ttl_ns,
		   const void *val, size_t len);

/* cap_engine_table_slot / cap_engine_slot_gen - a table's generation slot, computed once by a
 * caller that checks the same name on every query, and the slot's current value. */
uint32_t cap_engine_table_slot(const char *name, size_t n);
uint64_t cap_engine_slot_gen(cap_engine *e, uint32_t slot);

/* Invalidation: O(1), visible to every process sharing the directory at once. */
void cap_engine_bump_table(cap_engine *e, const char *name, size_t n);
void cap_engine_bump_db(cap_engine *e, uint64_t scope);
void cap_engine_bump_all(cap_engine *e);

/* cap_engine_clear_local - drop every L1 entry of this process (tests, --all invalidation). */
void cap_engine_clear_local(cap_engine *e);

/* cap_engine_usage - what each tier holds and whether it is on (tests, benchmarks, tools). */
typedef struct cap_engine_usage_t {
	uint64_t l1_entries, l1_bytes, l1_budget; /* l1_bytes includes the tier's fixed overhead */
	uint64_t l2_entries, l2_bytes, l2_size;
	int l1_on, l2_on;
	int gen_shared; /* 0: private generation table (no cross-process invalidation) */
} cap_engine_usage_t;
void cap_engine_usage(cap_engine *e, cap_engine_usage_t *u);

#endif

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
 *  - A write bumps its tables (cap_engine_bump_table) before it is sent, after the server
 *    answered, and again at COMMIT/ROLLBACK; a write whose tables are unknown bumps the
 *    database. From before it is sent until those bumps, a marker names them (below): no
 *    entry depending on them is stored, so a writer that dies in between (the server may
 *    still commit) leaves no stale entry behind.
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

/* The reserved table name whose generation slot DDL bumps so that every process reloads its
 * server catalog (hooks/catreg.h): the library bumps it after DDL it sends, `capacitor follow`
 * after DDL it streams. The leading control byte keeps it apart from any real table name. */
#define CAP_CATALOG_SLOT_NAME "\001capacitor-catalog"

/* cap_engine_table_slot / cap_engine_slot_gen - a table's generation slot, computed once by a
 * caller that checks the same name on every query, and the slot's current value. */
uint32_t cap_engine_table_slot(const char *name, size_t n);
uint64_t cap_engine_slot_gen(cap_engine *e, uint32_t slot);

/* Invalidation: O(1), visible to every process sharing the directory at once. */
void cap_engine_bump_table(cap_engine *e, const char *name, size_t n);
void cap_engine_bump_db(cap_engine *e, uint64_t scope);
void cap_engine_bump_all(cap_engine *e);

/* ---- Writes in flight (gen.h; CORRECTNESS.md "A write whose end no process sees") ----
 * Before a statement that may write is sent: collect the slots its bumps will touch (the same
 * calls as after it, with a collector set: they then only record), name them in the
 * connection's marker (cap_engine_mark), bump them (cap_engine_bump_slots), send. After the
 * answer (at the end of the transaction, inside one): the bumps as before, then
 * cap_engine_unmark. cap_engine_put stores nothing that depends on a marked slot; it finds
 * markers whose owner is dead and orphans them. The hooks resolve an orphan once the server
 * says its session is gone (cap_engine_orphan_find / cap_engine_orphan_done). */
typedef struct cap_slotset {
	uint32_t n;
	int over;                  /* more slots than fit: stand for them with the global epoch */
	uint32_t slot[CAP_DEPS_MAX];
} cap_slotset;
/* cap_engine_collect - from now on this thread's bumps only record their slots in set (NULL:
 * bump again). */
void cap_engine_collect(cap_slotset *set);
/* cap_engine_bump_slots - bump every slot of set (global epoch when set->over). */
void cap_engine_bump_slots(cap_engine *e, const cap_slotset *set);

/* A connection's marker: held while idx != 0. */
typedef struct cap_mark {
	uint32_t idx;   /* marker index + 1; 0 = none */
	uint64_t own;   /* the owner word it was claimed with (pid << 32 | tag) */
} cap_mark;
/* cap_engine_mark - claim a marker for m (or keep the one m holds) and name every slot of set
 * in it; server and session say where the write runs. CAP_OK, or CAP_ETOOBIG when every
 * marker is taken (the write is then unprotected against its writer dying; logged once). */
int cap_engine_mark(cap_engine *e, cap_mark *m, const cap_slotset *set, const uint64_t server[2],
		    uint64_t session);
/* cap_engine_unmark - clear m's marker (its slots were bumped after the write). */
void cap_engine_unmark(cap_engine *e, cap_mark *m);

/* cap_engine_abandon - m's write may still run on a server session we no longer follow (the
 * connection was closed or reset with the write's end unseen): orphan m's marker now, so that
 * it is resolved like a dead writer's. */
void cap_engine_abandon(cap_engine *e, cap_mark *m);

typedef struct cap_orphan {
	uint32_t idx;
	uint64_t own;
	uint64_t session; /* the server's id of the dead writer's session */
} cap_orphan;
/* cap_engine_orphan_find - an orphaned marker whose write went to server (either key equal and
 * nonzero): 1 and *o filled, else 0. A scan of the markers in use, no system call. */
int cap_engine_orphan_find(cap_engine *e, const uint64_t server[2], cap_orphan *o);
/* cap_engine_orphan_done - the server said o's session is gone: bump what its marker names and
 * clear it (nothing when it changed hands meanwhile). */
void cap_engine_orphan_done(cap_engine *e, const cap_orphan *o);
/* cap_engine_orphans_clear - bump the global epoch and clear every orphaned marker (capacitor
 * invalidate --all: the user says every write has finished). The number cleared. */
unsigned cap_engine_orphans_clear(cap_engine *e);

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

/* cap_engine_gen_shared - 1 while the process uses the directory's shared generation table
 * (sees the other processes' and the followers' bumps). Two loads. */
int cap_engine_gen_shared(cap_engine *e);

#endif

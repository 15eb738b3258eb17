/*
 * engine_int.h - what the three files of the engine share, private to them (cache/engine.h is
 * the interface, which each of them includes first):
 *   engine.c        setup: open and close, the directory lock, L2 handle switching, attaching
 *                   to the directory's generation table and checking that it still is;
 *   engine_get.c    a lookup and a fill: dependencies read before a miss, get, put;
 *   engine_inval.c  invalidation: bumps, collectors, and the markers of writes in flight.
 * engine_get.c and engine_inval.c call down into engine.c (the checks, L2 handles) and
 * engine_get.c into engine_inval.c (is a dependency marked?); nothing calls back up.
 *
 * The field comments say which fields are atomics (any thread) and which belong to the one
 * thread running the check (engine.c's top comment gives the rules).
 */
#ifndef CAP_ENGINE_INT_H
#define CAP_ENGINE_INT_H

#include "cache/cap.h"
#include "cache/clock.h"
#include "cache/deps.h"
#include "cache/disk.h"
#include "cache/gen.h"
#include "cache/mem.h"

#include <limits.h>
#include <stdint.h>

#define CHECK_NS (200ull * 1000000ull)     /* the periodic check, at most this far apart */
#define RETRY_NS (1000ull * 1000000ull)    /* re-attach attempts after a failure */
#define OPEN_LOCK_NS (200ull * 1000000ull) /* longest wait for CAPACITOR_DIR/lock at open */
#define MISS_LOCK_NS (20ull * 1000000ull)  /* ... on a miss or a write (0 from a hit) */
#define NRETIRED 8

#define CAP_ENGINE_LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define CAP_ENGINE_ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

struct cap_engine {
	cap_gen *gen;      /* one fixed mapping: the directory's table or a private one */
	cap_mem *mem;      /* NULL = L1 off */
	cap_disk *disk;    /* atomic; NULL = L2 off */
	uint64_t disk_bytes;
	char *dir;         /* NULL = no shared files (then no checks either) */
	char gen_path[PATH_MAX], l2_path[PATH_MAX];
	uint64_t next_check; /* atomic: coarse ns of the next periodic check; UINT64_MAX = never */
	uint64_t next_wcheck; /* atomic: coarse ns from which a bump checks the table again */
	int checker;       /* atomic: pid of the thread's process running check(), 0 = none */
	int l2_users;      /* atomic: calls inside L2 code */
	uint64_t bumps;    /* atomic: bumps ever made (see attach) */
	/* the rest belongs to the checker */
	uint64_t *hwm;     /* per slot: the highest value seen in the attached table */
	uint64_t dir_dev, dir_ino; /* the directory at the last attach (cap_shm_dir_state) */
	uint32_t dir_uid;  /* its owner then: the rule a running process checks it against */
	uint64_t next_attach, next_l2;
	uint64_t gen_lock_stuck, l2_lock_stuck; /* see dir_lock */
	int renew;         /* the table went back: the next attach builds a new one */
	int was_shared;    /* attached before: a re-attach bumps the global epoch */
	int warned_attach;
	unsigned nretired;
	cap_disk *retired[NRETIRED];
};

/* CHECK_MISS: before a miss; CHECK_WRITE: around a bump (re-attach without waiting for
 * next_attach: an invalidation must reach the other processes); CHECK_FULL: periodic. */
enum { CHECK_MISS = 0, CHECK_WRITE = 1, CHECK_FULL = 2 };

/* ---- engine.c ---- */

/* cap_engine_check - is the mapped table still the directory's? Re-attach when not (engine.c's
 * top comment). kind: CHECK_*; budget_ns: longest wait for the init lock. Any thread. */
CAP_COLD void cap_engine_check(struct cap_engine *e, int kind, uint64_t budget_ns);
/* cap_engine_write_check - before a write's bumps or marker: the table must be the
 * directory's (at most one check per coarse clock tick). */
void cap_engine_write_check(struct cap_engine *e);

/* cap_engine_l2_enter - the L2 handle, counted in as a user (cap_engine_l2_leave after
 * use), or NULL when L2 is off. Readers and writers count themselves so that the checker
 * closes a replaced handle only once nobody uses it. */
static inline cap_disk *cap_engine_l2_enter(struct cap_engine *e)
{
	__atomic_fetch_add(&e->l2_users, 1, __ATOMIC_SEQ_CST);
	cap_disk *d = __atomic_load_n(&e->disk, __ATOMIC_SEQ_CST);
	if (!d)
		__atomic_fetch_sub(&e->l2_users, 1, __ATOMIC_SEQ_CST);
	return d;
}

static inline void cap_engine_l2_leave(struct cap_engine *e)
{
	__atomic_fetch_sub(&e->l2_users, 1, __ATOMIC_SEQ_CST);
}

/* cap_engine_check_due - whether the periodic check is due (then cap_engine_check(e,
 * CHECK_FULL, 0)): one coarse clock read (vDSO), so any call, a hit too, may ask. */
static inline int cap_engine_check_due(const struct cap_engine *e)
{
	return CAP_UNLIKELY(cap_now_ns() >= __atomic_load_n(&e->next_check, __ATOMIC_RELAXED));
}

/* ---- engine_inval.c ---- */

/* cap_engine_marked - whether a marker of a write in flight names one of deps' slots (then a
 * fill must not be stored); marks orphaned those whose owner is dead. */
CAP_COLD int cap_engine_marked(struct cap_engine *e, const cap_deps *deps);

#endif

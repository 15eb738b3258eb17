/*
 * engine.c - the cache engine (see engine.h): glue between L1 (cache/mem), L2 (cache/disk) and
 * the generation table (cache/gen), and the rules that keep a process's view of CAPACITOR_DIR
 * true while other processes, users and accidents change the files in it.
 *
 * Open: the directory is created 0700 if missing and refused when it is a symlink, not ours,
 * or group/other-writable. An existing valid generation table and L2 file are mapped without
 * any lock (they are only ever replaced by rename, never rewritten in place); building a new
 * one happens under an flock on CAPACITOR_DIR/lock, waited for at most OPEN_LOCK_NS (a holder
 * that never lets go costs one open that long, then the process retries later). L2 entries
 * are only meaningful against the table whose nonce the L2 header records, so without the
 * shared table there is no L2.
 *
 * A process that cannot share invalidation with its peers (no usable directory, no shared
 * table) stores only entries with a TTL: a private cache with no invalidation from the other
 * processes is a stale cache.
 *
 * Staying attached (check()): the table a process maps may stop being the directory's - the
 * file deleted, replaced, truncated (a bus error, turned into zeros by cache/fault), or its
 * bytes restored in place so that counters go back - or the directory or table chmod'ed or
 * chown'ed so that processes starting now refuse it (and go private: their bumps would never
 * reach us). check() runs on every miss and write (two stat(2)s: is dir/gen still the device,
 * inode, size and nonce we map, and are both still ours alone?) and, from any
 * call, once every CHECK_NS (the same, plus a scan of every counter against this process's
 * high-water marks: a table that does not strictly advance is treated as a new one; the same
 * scan's bump count (cap_gen_seq) is recorded in l2.cache's header, so that a table restored
 * while no process ran, which counts fewer bumps, is caught at the next attach). When the
 * table is no longer the directory's, the process at once maps a private table of fresh random
 * values at the same address (every entry it holds becomes stale; readers in other threads
 * never see the mapping vanish), drops L1 and L2, logs one line, and re-attaches: to the
 * directory's current table, or to a new one it builds (for a rewound table, always a new
 * one, which every other process then notices as a replaced file). A re-attached process bumps
 * the global epoch: bumps that other processes made to the old table while it was being
 * replaced are lost, and this makes them up for.
 *
 * L2 switches without a lock on the read path: readers and writers count themselves in
 * l2_users around their use of e->disk; a replaced L2 handle is retired and closed by the
 * checker once it sees no user after the switch.
 *
 * Threads: one thread at a time runs check() (a try-lock word holding its pid, so a fork
 * child never waits for a parent's checker); every other call reads only atomics here. Fork:
 * mem.c's atfork handlers keep L1 usable in the child; mappings are inherited.
 */
#include "cache/engine.h"
#include "cache/disk.h"
#include "cache/fault.h"
#include "cache/gen.h"
#include "cache/shmfile.h"
#include "cache/log.h"
#include "cache/mem.h"
#include "cache/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHECK_NS (200ull * 1000000ull)     /* the periodic check, at most this far apart */
#define RETRY_NS (1000ull * 1000000ull)    /* re-attach attempts after a failure */
#define OPEN_LOCK_NS (200ull * 1000000ull) /* longest wait for CAPACITOR_DIR/lock at open */
#define MISS_LOCK_NS (20ull * 1000000ull)  /* ... on a miss or a write (0 from a hit) */
#define NRETIRED 8

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

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
	uint64_t next_attach, next_l2;
	uint64_t gen_lock_stuck, l2_lock_stuck; /* see dir_lock */
	int renew;         /* the table went back: the next attach builds a new one */
	int was_shared;    /* attached before: a re-attach bumps the global epoch */
	int warned_attach;
	unsigned nretired;
	cap_disk *retired[NRETIRED];
};

int cap_engine_gen_shared(cap_engine *e)
{
	return LD(&e->gen->shared) && !LD(&e->gen->dead);
}

static int marked(cap_engine *e, const cap_deps *deps);

/* ---- CAPACITOR_DIR/lock, bounded ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* dir_lock - an init lock (LOCK_GEN or LOCK_L2) within budget_ns; an fd to give to
 * dir_unlock, or a CAP_* code. Two locks, so that building the generation table (a few
 * hundred kilobytes, milliseconds) never waits behind the building of a large L2 file. A lock
 * not had in time is only tried once (no wait) for the next RETRY_NS: a holder that never lets
 * go costs one wait per second, not one per call. *stuck is the caller's deadline word. */
#define LOCK_GEN "lock"
#define LOCK_L2 "l2.lock"
static int dir_lock(int dfd, const char *name, uint64_t budget_ns, uint64_t *stuck)
{
	int lfd = cap_file_open(dfd, name, O_CREAT);
	if (lfd < 0)
		return lfd;
	uint64_t now = cap_now_ns();
	if (now < *stuck)
		budget_ns = 0;
	uint64_t waited = 0;
	for (;;) {
		if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
			*stuck = 0;
			return lfd;
		}
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= budget_ns)
			break;
		sleep_ms(2);
		waited += 2000000ull;
	}
	if (budget_ns)
		*stuck = now + RETRY_NS;
	close(lfd);
	return CAP_EIO;
}

/* dir_unlock - LOCK_UN first: a forked child may share the open file description. */
static void dir_unlock(int lfd)
{
	flock(lfd, LOCK_UN);
	close(lfd);
}

/* ---- L2 handle switching ---- */

static cap_disk *l2_enter(cap_engine *e)
{
	__atomic_fetch_add(&e->l2_users, 1, __ATOMIC_SEQ_CST);
	cap_disk *d = __atomic_load_n(&e->disk, __ATOMIC_SEQ_CST);
	if (!d)
		__atomic_fetch_sub(&e->l2_users, 1, __ATOMIC_SEQ_CST);
	return d;
}

static void l2_leave(cap_engine *e)
{
	__atomic_fetch_sub(&e->l2_users, 1, __ATOMIC_SEQ_CST);
}

/* l2_swap - publish d (may be NULL) and retire the old handle (checker only). */
static void l2_swap(cap_engine *e, cap_disk *d)
{
	cap_disk *old = __atomic_exchange_n(&e->disk, d, __ATOMIC_SEQ_CST);
	if (!old)
		return;
	if (e->nretired < NRETIRED)
		e->retired[e->nretired++] = old;
	/* else: kept mapped for good; only a long run of replaced files gets here */
}

/* l2_reap - close retired handles once no call can still be using one (checker only). */
static void l2_reap(cap_engine *e)
{
	if (e->nretired == 0 || __atomic_load_n(&e->l2_users, __ATOMIC_SEQ_CST) != 0)
		return;
	for (unsigned i = 0; i < e->nretired; i++)
		cap_disk_close(e->retired[i]);
	e->nretired = 0;
}

/* open_l2 - map dir/l2.cache for the attached table (building it under the lock when needed).
 * Checker or open only. */
static int open_l2(cap_engine *e, int dfd, uint64_t budget_ns)
{
	cap_disk *d = NULL;
	int rc = cap_disk_attach(dfd, e->gen->nonce, &d);
	if (rc == CAP_ECORRUPT || rc == CAP_EVERSION || (rc == CAP_EIO && errno == ENOENT)) {
		int lfd = dir_lock(dfd, LOCK_L2, budget_ns, &e->l2_lock_stuck);
		rc = lfd;
		if (lfd >= 0) {
			rc = cap_disk_open(dfd, e->disk_bytes, e->gen->nonce, &d);
			dir_unlock(lfd);
		}
	}
	if (rc < 0)
		return rc;
	l2_swap(e, d);
	return CAP_OK;
}

/* ---- attaching to the directory's generation table ---- */

static void snapshot_hwm(cap_engine *e)
{
	if (!e->hwm)
		return;
	for (uint32_t i = 0; i < CAP_GEN_SLOTS; i++)
		e->hwm[i] = cap_gen_read(e->gen, i);
}

/* advances - 1 when no counter went back since the last look; updates the marks. *seq: the
 * table's bump count (cap_gen_seq) from the same pass. */
static int advances(cap_engine *e, uint64_t *seq)
{
	*seq = 0;
	if (!e->hwm)
		return 1;
	int ok = 1;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < CAP_GEN_SLOTS; i++) {
		uint64_t v = cap_gen_read(e->gen, i);
		sum += v;
		if ((int64_t)(v - e->hwm[i]) < 0)
			ok = 0;
		else
			e->hwm[i] = v;
	}
	*seq = sum - e->gen->base;
	return ok;
}

/* rewound - the directory's table (just attached) counts fewer bumps than l2.cache recorded
 * for it: it was restored in place from an older copy while no process ran that could see its
 * counters go back (see disk.h). */
static int rewound(cap_engine *e, int dfd)
{
	if (!e->disk_bytes)
		return 0;
	uint64_t seen = cap_disk_peek_seq(dfd, e->gen->nonce);
	return seen != 0 && (int64_t)(cap_gen_seq(e->gen) - seen) < 0;
}

/* attach - map the directory's table (or build one) and its L2. *what names what failed. */
static int attach(cap_engine *e, uint64_t budget_ns, const char **what)
{
	*what = "directory";
	int dfd = cap_dir_open(e->dir);
	if (dfd < 0)
		return dfd;
	*what = "generation table";
	int rc = e->renew ? CAP_ECORRUPT : cap_gen_attach(e->gen, dfd, 0);
	if (rc == CAP_OK && rewound(e, dfd)) {
		cap_gen_detach(e->gen, 1);
		cap_log(CAP_LOG_WARN, "%s: the generation table went back (fewer bumps than %s "
			"recorded); building a new one", e->gen_path, e->l2_path);
		e->renew = 1;
		rc = CAP_ECORRUPT;
	}
	if (rc == CAP_ECORRUPT || rc == CAP_EVERSION || (rc == CAP_EIO && errno == ENOENT)) {
		*what = "CAPACITOR_DIR/lock busy (held by another process) or";
		int lfd = dir_lock(dfd, LOCK_GEN, budget_ns, &e->gen_lock_stuck);
		rc = lfd;
		if (lfd >= 0) {
			*what = "generation table";
			rc = cap_gen_attach(e->gen, dfd, CAP_GEN_BUILD | (e->renew ? CAP_GEN_RENEW : 0));
			dir_unlock(lfd);
		}
	}
	if (rc == CAP_OK) {
		e->renew = 0;
		snapshot_hwm(e);
		/* Bumps made while this process had no shared table (or an old one) reached no
		 * other process: the global epoch makes up for them. A bump counts itself in
		 * e->bumps before it touches the table, so one that went to the private table
		 * is seen here (sequentially consistent on both sides). */
		if (e->was_shared || __atomic_load_n(&e->bumps, __ATOMIC_SEQ_CST) != 0)
			cap_gen_bump(e->gen, CAP_GEN_GLOBAL);
		if (e->disk_bytes && !e->was_shared) {
			int drc = open_l2(e, dfd, budget_ns);
			if (drc < 0) {
				e->next_l2 = cap_now_ns() + RETRY_NS;
				cap_log(CAP_LOG_WARN, "%s (CAPACITOR_DISK=%llu): %s; shared tier off "
					"for now", e->l2_path, (unsigned long long)e->disk_bytes,
					cap_strerror(drc));
			}
		} else {
			e->next_l2 = 0; /* re-attached: the next periodic check opens L2 */
		}
		e->was_shared = 1;
	}
	close(dfd);
	return rc;
}

/* detach - stop using the table at once (see the top of the file). Checker only. */
static void detach(cap_engine *e, const char *why)
{
	cap_gen_detach(e->gen, 1);
	if (e->mem)
		cap_mem_clear(e->mem);
	l2_swap(e, NULL);
	cap_log(CAP_LOG_WARN, "%s: the generation table %s; cached entries dropped, re-attaching",
		e->gen_path, why);
	e->next_attach = 0;
	e->warned_attach = 0;
}

/* CHECK_MISS: before a miss; CHECK_WRITE: around a bump (re-attach without waiting for
 * next_attach: an invalidation must reach the other processes); CHECK_FULL: periodic. */
enum { CHECK_MISS = 0, CHECK_WRITE = 1, CHECK_FULL = 2 };

/* check - see the top of the file. budget_ns: longest wait for the init lock. */
static CAP_COLD void check(cap_engine *e, int kind, uint64_t budget_ns)
{
	int full = kind == CHECK_FULL;
	int me = (int)getpid();
	int cur = LD(&e->checker);
	if (cur == me)
		return; /* another thread of ours is at it */
	if (!__atomic_compare_exchange_n(&e->checker, &cur, me, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	/* cur != 0 here means a checker of the parent process before a fork: it is gone */
	uint64_t now = cap_now_ns();
	if (full)
		ST(&e->next_check, now + CHECK_NS);
	if (!full)
		cap_fault_recheck(now); /* a miss or a write: the program may have taken SIGBUS */
	cap_gen *g = e->gen;
	uint64_t seq = 0; /* the table's bump count, from a full check's scan */
	int shared = LD(&g->shared);
	if (shared) {
		const char *why = NULL;
		int now_cur = 1, unsafe = 0;
		if (LD(&g->dead))
			why = "faulted (file truncated or its file system full)";
		else if ((now_cur = cap_gen_is_current(g, e->gen_path)) == 0)
			why = "was replaced or removed";
		else if (now_cur < 0 || !cap_shm_dir_safe(e->dir)) {
			why = "or its directory changed owner or mode (no longer ours alone; only "
			      "entries with a TTL are cached until it is)";
			unsafe = 1;
		} else if (full && !advances(e, &seq)) {
			why = "went back (restored in place); building a new one";
			e->renew = 1;
		}
		if (why) {
			detach(e, why);
			shared = 0;
			/* the re-attach fails the same way: this line was the one warning */
			e->warned_attach = unsafe;
		}
	}
	if (!shared && (now >= e->next_attach || kind == CHECK_WRITE)) {
		const char *what = "";
		int rc = attach(e, budget_ns, &what);
		if (rc < 0) {
			e->next_attach = now + RETRY_NS;
			if (!e->warned_attach) {
				e->warned_attach = 1;
				cap_log(CAP_LOG_WARN, "%s: %s %s; caching only entries with a TTL "
					"until it can be shared again", e->dir, what, cap_strerror(rc));
			}
		} else {
			shared = 1;
			if (e->warned_attach)
				cap_log(CAP_LOG_INFO, "%s: shared generation table attached again",
					e->dir);
			e->warned_attach = 0;
		}
	}
	if (shared && full && e->disk_bytes) {
		cap_disk *d = __atomic_load_n(&e->disk, __ATOMIC_SEQ_CST);
		if (d && !cap_disk_is_current(d, e->l2_path)) {
			cap_log(CAP_LOG_WARN, "%s: %s; shared tier re-opened", e->l2_path,
				cap_disk_dead(d) ? "faulted (file truncated or its file system full)"
						 : "replaced, removed, or no longer ours alone");
			l2_swap(e, NULL);
			d = NULL;
			e->next_l2 = 0;
		}
		if (d && seq)
			cap_disk_note_seq(d, seq); /* the high-water mark a rewound table is below */
		if (!d && now >= e->next_l2) {
			int dfd = cap_dir_open(e->dir);
			int rc = dfd < 0 ? dfd : open_l2(e, dfd, budget_ns);
			if (dfd >= 0)
				close(dfd);
			if (rc < 0)
				e->next_l2 = now + RETRY_NS * 5;
		}
	}
	l2_reap(e);
	ST(&e->checker, 0);
}

/* the periodic check, from any call: one coarse clock read (vDSO) when not due */
static inline void check_due(cap_engine *e)
{
	if (CAP_UNLIKELY(cap_now_ns() >= __atomic_load_n(&e->next_check, __ATOMIC_RELAXED)))
		check(e, CHECK_FULL, 0);
}

/* before a miss is sent: the table must be the directory's */
static inline void check_now(cap_engine *e)
{
	if (e->dir) {
		check_due(e);
		check(e, CHECK_MISS, MISS_LOCK_NS);
	}
}

/* write_check - before a write's bumps or marker: the table must be the directory's. */
static void write_check(cap_engine *e)
{
	if (!e->dir)
		return;
	check_due(e);
	/* one check per coarse clock tick, not per bump: a write bumps each table it touches
	 * (two dozen for a TPC-B transaction), a stat(2) each made invalidation cost
	 * microseconds. A bump that lands in a table replaced within that tick is made up by
	 * the global-epoch bump of the re-attach (at most CHECK_NS later). */
	uint64_t now = cap_now_ns();
	if (now >= __atomic_load_n(&e->next_wcheck, __ATOMIC_RELAXED)) {
		__atomic_store_n(&e->next_wcheck, now + 1, __ATOMIC_RELAXED);
		check(e, CHECK_WRITE, MISS_LOCK_NS);
	}
}

/* This thread's collector (cap_engine_collect): bumps only record their slots. */
static __thread cap_slotset *tls_collect __attribute__((tls_model("initial-exec")));

void cap_engine_collect(cap_slotset *set)
{
	tls_collect = set;
}

/* collected - record slot when this thread collects: 1, else 0 (bump it). */
static int collected(uint32_t slot)
{
	cap_slotset *set = tls_collect;
	if (CAP_LIKELY(set == NULL))
		return 0;
	for (uint32_t i = 0; i < set->n; i++)
		if (set->slot[i] == slot)
			return 1;
	if (set->n < CAP_DEPS_MAX)
		set->slot[set->n++] = slot;
	else
		set->over = 1;
	return 1;
}

/* bump - a write's invalidation, into the directory's table: checked before, and when the
 * table faulted or could not be had, checked again after (the re-attach bumps the global
 * epoch, see attach). 0 when it only recorded the slot (a collector is set). */
static int bump(cap_engine *e, uint32_t slot)
{
	if (collected(slot))
		return 0;
	write_check(e);
	__atomic_fetch_add(&e->bumps, 1, __ATOMIC_SEQ_CST);
	cap_gen_bump(e->gen, slot);
	if (e->dir && CAP_UNLIKELY(LD(&e->gen->dead) || !LD(&e->gen->shared)))
		check(e, CHECK_WRITE, MISS_LOCK_NS);
	return 1;
}

int cap_engine_open(const cap_engine_conf *conf, cap_engine **out)
{
	cap_engine *e = calloc(1, sizeof(*e));
	*out = NULL;
	if (!e)
		return CAP_ENOMEM;
	e->next_check = UINT64_MAX;
	if (conf->mem_bytes) {
		int rc = cap_mem_open(conf->mem_bytes, 0, CAP_MEM_S3FIFO, &e->mem);
		if (rc < 0)
			cap_log(CAP_LOG_WARN, "memory tier (CAPACITOR_MEM=%llu) off: %s",
				(unsigned long long)conf->mem_bytes, cap_strerror(rc));
	}
	if (cap_gen_open_private(&e->gen) < 0)
		goto out_nomem;
	if (conf->dir) {
		e->dir = strdup(conf->dir);
		e->hwm = malloc(sizeof(uint64_t) * CAP_GEN_SLOTS);
		if (!e->dir || !e->hwm ||
		    snprintf(e->gen_path, sizeof(e->gen_path), "%s/%s", conf->dir, CAP_GEN_FILE) >=
			    (int)sizeof(e->gen_path) ||
		    snprintf(e->l2_path, sizeof(e->l2_path), "%s/%s", conf->dir, CAP_L2_FILE) >=
			    (int)sizeof(e->l2_path)) {
			free(e->dir);
			free(e->hwm);
			e->dir = NULL;
			e->hwm = NULL;
			cap_log(CAP_LOG_WARN, "CAPACITOR_DIR: no memory or path too long; shared tier "
				"and cross-process invalidation off");
		}
	}
	if (e->dir) {
		e->disk_bytes = conf->disk_bytes;
		const char *what = "";
		int rc = attach(e, OPEN_LOCK_NS, &what);
		if (rc < 0) {
			e->next_attach = cap_now_ns() + RETRY_NS;
			e->warned_attach = 1;
			cap_log(CAP_LOG_WARN, "%s: %s %s; shared tier and cross-process invalidation off "
				"for now (only entries with a TTL are cached)", conf->dir, what,
				cap_strerror(rc));
		}
		e->next_check = cap_now_ns() + CHECK_NS;
	}
	*out = e;
	return CAP_OK;
out_nomem:
	cap_mem_close(e->mem);
	free(e);
	return CAP_ENOMEM;
}

void cap_engine_close(cap_engine *e)
{
	if (!e)
		return;
	cap_mem_close(e->mem);
	cap_disk_close(e->disk);
	for (unsigned i = 0; i < e->nretired; i++)
		cap_disk_close(e->retired[i]);
	cap_gen_close(e->gen);
	free(e->hwm);
	free(e->dir);
	free(e);
}

void cap_engine_deps_begin(cap_engine *e, cap_deps *d, uint64_t scope)
{
	check_now(e);
	uint32_t s = cap_gen_db_slot(scope);
	d->n = 2;
	d->slot[0] = CAP_GEN_GLOBAL;
	d->gen[0] = cap_gen_read(e->gen, CAP_GEN_GLOBAL);
	d->slot[1] = s;
	d->gen[1] = cap_gen_read(e->gen, s);
}

int cap_engine_deps_table(cap_engine *e, cap_deps *d, const char *name, size_t n)
{
	uint32_t s = cap_gen_table_slot(name, n);
	for (uint32_t i = 0; i < d->n; i++)
		if (d->slot[i] == s)
			return CAP_OK;
	if (d->n >= CAP_DEPS_MAX)
		return CAP_ETOOBIG;
	d->slot[d->n] = s;
	d->gen[d->n] = cap_gen_read(e->gen, s);
	d->n++;
	return CAP_OK;
}

uint32_t cap_engine_table_slot(const char *name, size_t n)
{
	return cap_gen_table_slot(name, n);
}

uint64_t cap_engine_slot_gen(cap_engine *e, uint32_t slot)
{
	return slot < CAP_GEN_SLOTS ? cap_gen_read(e->gen, slot) : 0;
}

static CAP_COLD int get_l2(cap_engine *e, cap_disk *d, const cap_key *key, cap_value_fn fn,
			    void *ctx)
{
	cap_disk_hit h;
	int found = cap_disk_get(d, e->gen, key, &h);
	l2_leave(e);
	if (!found)
		return CAP_MISS;
	if (e->mem)
		cap_mem_put(e->mem, key, &h.deps, h.expire, h.val, h.vlen);
	int rc = fn(ctx, h.val, h.vlen);
	free(h.buf);
	return rc < 0 ? rc : CAP_HIT_L2;
}

int cap_engine_get(cap_engine *e, const cap_key *key, cap_value_fn fn, void *ctx)
{
	check_due(e);
	if (CAP_LIKELY(e->mem != NULL)) {
		int rc = cap_mem_get(e->mem, e->gen, key, fn, ctx);
		if (rc != 0)
			return rc < 0 ? rc : CAP_HIT_L1;
	}
	if (__atomic_load_n(&e->disk, __ATOMIC_RELAXED)) {
		cap_disk *d = l2_enter(e);
		if (d)
			return get_l2(e, d, key, fn, ctx);
	}
	return CAP_MISS;
}

int cap_engine_put(cap_engine *e, const cap_key *key, const cap_deps *deps, uint64_t ttl_ns,
		   const void *val, size_t len)
{
	if (!e->mem && !__atomic_load_n(&e->disk, __ATOMIC_RELAXED))
		return CAP_EOFF;
	/* no invalidation from the other processes: only entries that expire by themselves */
	if (!ttl_ns && (!LD(&e->gen->shared) || LD(&e->gen->dead)))
		return CAP_EOFF;
	/* every entry depends at least on the global and its database's epoch: a caller that
	 * forgot to read its dependencies must not store an entry nothing can invalidate */
	if (deps->n < 2 || deps->n > CAP_DEPS_MAX || deps->slot[0] != CAP_GEN_GLOBAL)
		return CAP_EINVAL;
	for (uint32_t i = 0; i < deps->n; i++)
		if (deps->slot[i] >= CAP_GEN_SLOTS)
			return CAP_EINVAL;
	if (!cap_gen_valid(e->gen, deps->slot, deps->gen, deps->n))
		return CAP_OK; /* stale on arrival: a write landed while the miss was in flight */
	/* a write in flight may commit (or have committed) after what this result shows; its
	 * bump after may never come if its process dies: not stored */
	if (CAP_UNLIKELY(marked(e, deps)))
		return CAP_OK;
	uint64_t expire = 0;
	if (ttl_ns) {
		expire = cap_now_ns() + ttl_ns;
		if (expire < ttl_ns)
			expire = UINT64_MAX;
	}
	int rc1 = e->mem ? cap_mem_put(e->mem, key, deps, expire, val, len) : CAP_EOFF;
	int rc2 = CAP_EOFF;
	cap_disk *d = l2_enter(e);
	if (d) {
		rc2 = cap_disk_put(d, key, deps, expire, val, len);
		l2_leave(e);
	}
	if (rc1 == CAP_OK || rc2 == CAP_OK)
		return CAP_OK;
	if (rc1 == CAP_EOFF)
		return rc2;
	return rc1;
}

void cap_engine_bump_table(cap_engine *e, const char *name, size_t n)
{
	if (bump(e, cap_gen_table_slot(name, n)))
		cap_stats_event(CAP_EV_INVAL_TABLE, 1);
}

void cap_engine_bump_db(cap_engine *e, uint64_t scope)
{
	if (bump(e, cap_gen_db_slot(scope)))
		cap_stats_event(CAP_EV_INVAL_DB, 1);
}

void cap_engine_bump_all(cap_engine *e)
{
	if (bump(e, CAP_GEN_GLOBAL))
		cap_stats_event(CAP_EV_INVAL_DB, 1);
}

void cap_engine_bump_slots(cap_engine *e, const cap_slotset *set)
{
	if (set->over) {
		bump(e, CAP_GEN_GLOBAL);
		return;
	}
	for (uint32_t i = 0; i < set->n; i++)
		if (set->slot[i] < CAP_GEN_SLOTS)
			bump(e, set->slot[i]);
}

/* ---- writes in flight (see engine.h and gen.h) ---- */

/* proc_stat - the state letter and start time (field 22) of process pid from /proc/PID/stat:
 * 1 when read, 0 when not (no /proc, or the process is gone). */
static int proc_stat(int pid, char *state, uint64_t *start)
{
	char path[48], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (p == NULL || p[1] != ' ')
		return 0;
	*state = p[2];
	/* after ") ": state is field 3; the start time is field 22 */
	p += 2;
	for (int f = 3; f < 22; f++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return 0;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 1;
}

/* self_owner - this process's pid and start time, read once per process: a fork child reads
 * them again (an atfork handler forgets them), a writer makes no system call for them. A child
 * made without fork handlers (a raw clone) marks under its parent's pid: if the parent dies,
 * its markers only wait for the server to end their sessions, which the child's own keeps
 * alive; they are never dropped early. */
static int cached_pid;
static uint64_t cached_start;
static void owner_forget(void)
{
	__atomic_store_n(&cached_pid, 0, __ATOMIC_RELEASE);
}
static void owner_atfork(void)
{
	pthread_atfork(NULL, NULL, owner_forget);
}
static void self_owner(uint32_t *pid, uint64_t *start)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int me = __atomic_load_n(&cached_pid, __ATOMIC_ACQUIRE);
	if (CAP_UNLIKELY(me == 0)) {
		pthread_once(&once, owner_atfork);
		me = (int)getpid();
		char st;
		uint64_t s = 0;
		if (!proc_stat(me, &st, &s))
			s = 0;
		__atomic_store_n(&cached_start, s, __ATOMIC_RELAXED);
		__atomic_store_n(&cached_pid, me, __ATOMIC_RELEASE);
	}
	*pid = (uint32_t)me;
	*start = __atomic_load_n(&cached_start, __ATOMIC_RELAXED);
}

/* new_own - an owner word no earlier claim of this process used. */
static uint64_t new_own(uint32_t pid)
{
	static uint32_t tag;
	uint32_t t = __atomic_add_fetch(&tag, 1, __ATOMIC_RELAXED);
	return (uint64_t)pid << 32 | (uint64_t)(t << 1 | 2u); /* bit 0 (orphan) clear, never 0 */
}

/* owner_dead - whether the process that claimed with (own, start) is gone: no such pid, a
 * zombie, or another process now under that pid (its start time differs). What cannot be
 * told counts as alive: a marker is only ever held too long, never dropped too soon. */
static int owner_dead(uint64_t own, uint64_t start)
{
	int pid = (int)(own >> 32);
	if (pid <= 0)
		return 1;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	char st = 0;
	uint64_t s = 0;
	if (!proc_stat(pid, &st, &s))
		return 0;
	return st == 'Z' || st == 'X' || (start != 0 && s != start);
}

/* marked - whether a marker names one of deps' slots; orphans those whose owner is dead. */
static CAP_COLD int marked(cap_engine *e, const cap_deps *deps)
{
	uint32_t from = 0;
	uint64_t own;
	int found = 0;
	int i;
	while ((i = cap_gen_marked(e->gen, deps->slot, deps->n, &from, &own)) >= 0) {
		found = 1;
		if (own & CAP_MARK_ORPHAN)
			continue;
		cap_gen_mark *m = cap_gen_mark_at(e->gen, (uint32_t)i);
		if (owner_dead(own, __atomic_load_n(&m->start, __ATOMIC_SEQ_CST)) &&
		    __atomic_compare_exchange_n(&m->own, &own, own | CAP_MARK_ORPHAN, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			cap_log(CAP_LOG_INFO, "a write of process %u may have been committed after "
				"it died: its tables are not cached until the server's session %llu "
				"is gone", (unsigned)(own >> 32),
				(unsigned long long)__atomic_load_n(&m->session, __ATOMIC_SEQ_CST));
	}
	return found;
}

/* holds - whether m names a marker this process claimed. In a table replaced since, the
 * marker at that index is someone else's or free: every change of hands compares the owner
 * word, which no other live process can have (it starts with our pid). */
static int holds(cap_engine *e, const cap_mark *m, uint32_t pid)
{
	(void)e;
	return m->idx != 0 && m->idx <= CAP_GEN_MARKS && (uint32_t)(m->own >> 32) == pid;
}

int cap_engine_mark(cap_engine *e, cap_mark *m, const cap_slotset *set, const uint64_t server[2],
		    uint64_t session)
{
	static int warned;
	write_check(e);
	uint32_t pid;
	uint64_t start;
	self_owner(&pid, &start);
	/* a marker of ours found orphaned (a reader in another pid namespace took us for dead)
	 * is taken back: our server session is alive, so no resolver can have cleared it; one
	 * taken over by a resolver meanwhile is left to it, and the write goes on under a new one */
	int lost = 0;
	if (holds(e, m, pid)) {
		cap_gen_mark *g = cap_gen_mark_at(e->gen, m->idx - 1);
		uint64_t w = m->own | CAP_MARK_ORPHAN;
		__atomic_compare_exchange_n(&g->own, &w, m->own, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED);
		if (__atomic_load_n(&g->own, __ATOMIC_SEQ_CST) != m->own) {
			m->idx = 0;
			lost = 1;
		}
	}
	if (!holds(e, m, pid)) {
		uint64_t own = new_own(pid);
		int i = cap_gen_mark_claim(e->gen, own, start, server, session);
		if (i < 0) {
			m->idx = 0;
			if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
				cap_log(CAP_LOG_WARN, "all %u write-in-flight markers are taken: a "
					"write is not protected against its process dying before "
					"its invalidation", CAP_GEN_MARKS);
			return CAP_ETOOBIG;
		}
		m->idx = (uint32_t)i + 1;
		m->own = own;
	}
	/* a marker lost mid-transaction (the table was replaced) named its earlier writes too,
	 * which the new one does not know: the global epoch stands for them until it ends */
	if (set->over || lost)
		cap_gen_mark_add(e->gen, m->idx - 1, m->own, CAP_GEN_GLOBAL);
	for (uint32_t k = 0; k < set->n && !set->over; k++)
		cap_gen_mark_add(e->gen, m->idx - 1, m->own, set->slot[k]);
	return CAP_OK;
}

void cap_engine_unmark(cap_engine *e, cap_mark *m)
{
	if (m->idx == 0)
		return;
	uint32_t pid;
	uint64_t start;
	self_owner(&pid, &start);
	/* orphaned meanwhile (taken for dead from another pid namespace): we are alive and made
	 * its bumps, so it is ours to clear */
	if (holds(e, m, pid) && !cap_gen_mark_clear(e->gen, m->idx - 1, m->own))
		cap_gen_mark_clear(e->gen, m->idx - 1, m->own | CAP_MARK_ORPHAN);
	m->idx = 0;
}

void cap_engine_abandon(cap_engine *e, cap_mark *m)
{
	if (m->idx == 0)
		return;
	uint32_t pid;
	uint64_t start;
	self_owner(&pid, &start);
	if (holds(e, m, pid)) {
		uint64_t own = m->own;
		__atomic_compare_exchange_n(&cap_gen_mark_at(e->gen, m->idx - 1)->own, &own,
					    own | CAP_MARK_ORPHAN, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED);
	}
	m->idx = 0;
}

static int server_match(const cap_gen_mark *m, const uint64_t server[2])
{
	for (int k = 0; k < 2; k++) {
		uint64_t v = __atomic_load_n(&m->server[k], __ATOMIC_SEQ_CST);
		if (v != 0 && v == server[k])
			return 1;
	}
	return 0;
}

int cap_engine_orphan_find(cap_engine *e, const uint64_t server[2], cap_orphan *o)
{
	uint64_t hi = __atomic_load_n(&cap_gen_marks_of(e->gen)->hi, __ATOMIC_SEQ_CST);
	if (hi > CAP_GEN_MARKS)
		hi = CAP_GEN_MARKS;
	for (uint32_t i = 0; i < hi; i++) {
		cap_gen_mark *m = cap_gen_mark_at(e->gen, i);
		uint64_t own = __atomic_load_n(&m->own, __ATOMIC_SEQ_CST);
		if (!(own & CAP_MARK_ORPHAN) || !server_match(m, server))
			continue;
		o->idx = i;
		o->session = __atomic_load_n(&m->session, __ATOMIC_SEQ_CST);
		/* the session is read before the owner word is checked again: a marker that
		 * changed hands in between is not this orphan (orphan_done's swap fails) */
		o->own = own;
		if (__atomic_load_n(&m->own, __ATOMIC_SEQ_CST) == own)
			return 1;
	}
	return 0;
}

/* take - make orphan marker i (owner word own) ours: 1, or 0 when it changed hands. While we
 * hold it readers still store nothing it names; if we die now it is orphaned again. */
static int take(cap_engine *e, uint32_t i, uint64_t own, uint64_t *mine)
{
	uint32_t pid;
	uint64_t start;
	self_owner(&pid, &start);
	cap_gen_mark *m = cap_gen_mark_at(e->gen, i);
	*mine = new_own(pid);
	if (!__atomic_compare_exchange_n(&m->own, &own, *mine, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&m->start, start, __ATOMIC_SEQ_CST);
	return 1;
}

void cap_engine_orphan_done(cap_engine *e, const cap_orphan *o)
{
	uint64_t mine;
	if (o->idx >= CAP_GEN_MARKS || !(o->own & CAP_MARK_ORPHAN) || !take(e, o->idx, o->own, &mine))
		return;
	cap_gen_mark *m = cap_gen_mark_at(e->gen, o->idx);
	cap_slotset set = { 0, 0, { 0 } };
	for (uint32_t k = 0; k < CAP_MARK_SLOTS; k++) {
		uint32_t v = __atomic_load_n(&m->slot[k], __ATOMIC_SEQ_CST);
		if (v == CAP_MARK_EMPTY)
			break;
		if (v >= CAP_GEN_SLOTS || set.n == CAP_DEPS_MAX)
			set.over = 1; /* a damaged slot number: the global epoch covers it */
		else
			set.slot[set.n++] = v;
	}
	cap_engine_bump_slots(e, &set);
	cap_gen_mark_clear(e->gen, o->idx, mine);
	cap_log(CAP_LOG_INFO, "a dead process's write in flight was resolved (the server's session "
		"%llu is gone): its tables are cached again", (unsigned long long)o->session);
}

unsigned cap_engine_orphans_clear(cap_engine *e)
{
	uint64_t hi = __atomic_load_n(&cap_gen_marks_of(e->gen)->hi, __ATOMIC_SEQ_CST);
	if (hi > CAP_GEN_MARKS)
		hi = CAP_GEN_MARKS;
	uint64_t mine[CAP_GEN_MARKS];
	unsigned n = 0;
	for (uint32_t i = 0; i < hi; i++) {
		mine[i] = 0;
		uint64_t own = __atomic_load_n(&cap_gen_mark_at(e->gen, i)->own, __ATOMIC_SEQ_CST);
		if ((own & CAP_MARK_ORPHAN) && take(e, i, own, &mine[i]))
			n++;
		else
			mine[i] = 0;
	}
	if (n == 0)
		return 0;
	bump(e, CAP_GEN_GLOBAL);
	for (uint32_t i = 0; i < hi; i++)
		if (mine[i])
			cap_gen_mark_clear(e->gen, i, mine[i]);
	return n;
}

void cap_engine_clear_local(cap_engine *e)
{
	if (e->mem)
		cap_mem_clear(e->mem);
}

/* ---- introspection for tests, benchmarks and tools ---- */

void cap_engine_usage(cap_engine *e, cap_engine_usage_t *u)
{
	memset(u, 0, sizeof(*u));
	if (e->mem)
		cap_mem_usage(e->mem, &u->l1_entries, &u->l1_bytes, &u->l1_budget);
	cap_disk *d = l2_enter(e);
	if (d) {
		cap_disk_usage(d, &u->l2_entries, &u->l2_bytes, &u->l2_size);
		l2_leave(e);
	}
	u->l1_on = e->mem != NULL;
	u->l2_on = d != NULL;
	u->gen_shared = LD(&e->gen->shared) && !LD(&e->gen->dead);
}

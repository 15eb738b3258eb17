/*
 * engine.c - the cache engine's setup (see engine.h): opening L1 (cache/mem), L2 (cache/disk)
 * and the generation table (cache/gen), and the rules that keep a process's view of
 * CAPACITOR_DIR true while other processes, users and accidents change the files in it. The
 * engine's other two jobs have their own files: finding and storing results (engine_get.c),
 * invalidation and writes in flight (engine_inval.c); engine_int.h is what the three share.
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
 * inode, size and nonce we map, and are both still their owner's at attach alone? a process
 * that can no longer see the directory by its path - chroot, or credentials dropped since -
 * keeps its table unless the descriptor gen.c holds says the file was unlinked) and, from any
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
#include "cache/engine_int.h"
#include "cache/fault.h"
#include "cache/shmfile.h"
#include "cache/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* ---- L2 handle switching (readers: cap_engine_l2_enter in engine_int.h) ---- */

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
	struct stat dst;
	if (fstat(dfd, &dst) != 0) {
		close(dfd);
		return CAP_EIO;
	}
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
		e->dir_dev = (uint64_t)dst.st_dev;
		e->dir_ino = (uint64_t)dst.st_ino;
		e->dir_uid = (uint32_t)dst.st_uid;
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

/* cap_engine_check - see the top of the file. budget_ns: longest wait for the init lock. */
CAP_COLD void cap_engine_check(cap_engine *e, int kind, uint64_t budget_ns)
{
	int full = kind == CHECK_FULL;
	int me = (int)getpid();
	int cur = CAP_ENGINE_LD(&e->checker);
	if (cur == me)
		return; /* another thread of ours is at it */
	if (!__atomic_compare_exchange_n(&e->checker, &cur, me, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	/* cur != 0 here means a checker of the parent process before a fork: it is gone */
	uint64_t now = cap_now_ns();
	if (full)
		CAP_ENGINE_ST(&e->next_check, now + CHECK_NS);
	if (!full)
		cap_fault_recheck(now); /* a miss or a write: the program may have taken SIGBUS */
	cap_gen *g = e->gen;
	uint64_t seq = 0; /* the table's bump count, from a full check's scan */
	int shared = CAP_ENGINE_LD(&g->shared);
	/* What the directory's path names now. A process that cannot see it (it chrooted, or
	 * dropped the credentials that may search it) keeps what it maps: "cannot reach" is not
	 * "replaced", and its bumps must keep reaching the processes that share the files. */
	int ds = cap_shm_dir_state(e->dir, e->dir_dev, e->dir_ino, e->dir_uid);
	int dir_seen = ds != CAP_SHM_DIR_UNSEEN;
	if (shared) {
		const char *why = NULL;
		int now_cur = 1, unsafe = 0;
		if (CAP_ENGINE_LD(&g->dead))
			why = "faulted (file truncated or its file system full)";
		else if ((now_cur = cap_gen_is_current(g, e->gen_path, dir_seen)) == 0)
			why = "was replaced or removed";
		else if (now_cur < 0 || ds == CAP_SHM_DIR_UNSAFE) {
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
		if (d && !cap_disk_is_current(d, e->l2_path, dir_seen)) {
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
	CAP_ENGINE_ST(&e->checker, 0);
}

/* cap_engine_write_check - before a write's bumps or marker: the table must be the
 * directory's. */
void cap_engine_write_check(cap_engine *e)
{
	if (!e->dir)
		return;
	if (cap_engine_check_due(e))
		cap_engine_check(e, CHECK_FULL, 0);
	/* one check per coarse clock tick, not per bump: a write bumps each table it touches
	 * (two dozen for a TPC-B transaction), a stat(2) each made invalidation cost
	 * microseconds. A bump that lands in a table replaced within that tick is made up by
	 * the global-epoch bump of the re-attach (at most CHECK_NS later). */
	uint64_t now = cap_now_ns();
	if (now >= __atomic_load_n(&e->next_wcheck, __ATOMIC_RELAXED)) {
		__atomic_store_n(&e->next_wcheck, now + 1, __ATOMIC_RELAXED);
		cap_engine_check(e, CHECK_WRITE, MISS_LOCK_NS);
	}
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

int cap_engine_gen_shared(cap_engine *e)
{
	return CAP_ENGINE_LD(&e->gen->shared) && !CAP_ENGINE_LD(&e->gen->dead);
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
	cap_disk *d = cap_engine_l2_enter(e);
	if (d) {
		cap_disk_usage(d, &u->l2_entries, &u->l2_bytes, &u->l2_size);
		cap_engine_l2_leave(e);
	}
	u->l1_on = e->mem != NULL;
	u->l2_on = d != NULL;
	u->gen_shared = CAP_ENGINE_LD(&e->gen->shared) && !CAP_ENGINE_LD(&e->gen->dead);
}

/*
 * engine.c - the cache engine (see engine.h): glue between L1 (cache/mem), L2 (cache/disk) and
 * the generation table (cache/gen), and the CAPACITOR_DIR safety rules.
 *
 * Open: the directory is created 0700 if missing and refused (L2 off, private generation
 * table, one warning) when it is a symlink, not ours, or group/other-writable. Building or
 * checking the shared files happens under an flock on CAPACITOR_DIR/lock (released by the
 * kernel if the holder dies), never on the query path. The generation table comes first: L2
 * entries are only meaningful against the table whose nonce the L2 header records, so without
 * the shared table there is no L2.
 *
 * Get: L1, then L2; an L2 hit is copied into L1 (promotion) before the callback sees it.
 * Put: refuses deps that are already stale (a bump landed while the miss was in flight), then
 * stores into L1 and L2. A dependency slot is checked against the table size once, here.
 *
 * Threads: the handle is immutable after open; all state lives in the tiers, which do their
 * own locking (mem.c, disk.c). Fork: mem.c's atfork handlers keep L1 usable in the child;
 * mappings are inherited.
 */
#include "cache/engine.h"
#include "cache/disk.h"
#include "cache/gen.h"
#include "cache/log.h"
#include "cache/mem.h"
#include "cache/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

struct cap_engine {
	cap_gen *gen;
	cap_mem *mem;   /* NULL = L1 off */
	cap_disk *disk; /* NULL = L2 off */
};

uint64_t cap_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* open_shared - the shared generation table and L2 under dir; a CAP_* code (with what failed
 * in *what) when the directory cannot be used. */
static int open_shared(cap_engine *e, const cap_engine_conf *conf, const char **what)
{
	*what = "directory";
	int dfd = cap_dir_open(conf->dir);
	if (dfd < 0)
		return dfd;
	*what = "lock file";
	int lfd = cap_file_open(dfd, "lock", O_CREAT);
	int rc = lfd;
	if (lfd < 0)
		goto out_dir;
	while ((rc = flock(lfd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		rc = CAP_EIO;
		goto out_lock;
	}
	*what = "generation table";
	rc = cap_gen_open_file(dfd, &e->gen);
	if (rc < 0)
		goto out_lock;
	if (conf->disk_bytes) {
		*what = "L2 file";
		int drc = cap_disk_open(dfd, conf->disk_bytes, e->gen->nonce, &e->disk);
		if (drc < 0) {
			/* the shared generation table still serves L1 */
			e->disk = NULL;
			cap_log(CAP_LOG_WARN, "%s/%s (CAPACITOR_DISK=%llu): %s; shared tier off "
				"for this process", conf->dir, CAP_L2_FILE,
				(unsigned long long)conf->disk_bytes, cap_strerror(drc));
		}
	}
out_lock:
	close(lfd); /* drops the flock */
out_dir:
	close(dfd);
	return rc;
}

int cap_engine_open(const cap_engine_conf *conf, cap_engine **out)
{
	cap_engine *e = calloc(1, sizeof(*e));
	*out = NULL;
	if (!e)
		return CAP_ENOMEM;
	if (conf->mem_bytes) {
		int rc = cap_mem_open(conf->mem_bytes, 0, CAP_MEM_S3FIFO, &e->mem);
		if (rc < 0)
			cap_log(CAP_LOG_WARN, "memory tier (CAPACITOR_MEM=%llu) off: %s",
				(unsigned long long)conf->mem_bytes, cap_strerror(rc));
	}
	if (conf->dir) {
		const char *what = "";
		int rc = open_shared(e, conf, &what);
		if (rc < 0)
			cap_log(CAP_LOG_WARN, "%s: %s %s; shared tier and cross-process invalidation off "
				"for this process", conf->dir, what, cap_strerror(rc));
	}
	if (!e->gen && cap_gen_open_private(&e->gen) < 0) {
		cap_mem_close(e->mem);
		free(e);
		return CAP_ENOMEM;
	}
	*out = e;
	return CAP_OK;
}

void cap_engine_close(cap_engine *e)
{
	if (!e)
		return;
	cap_mem_close(e->mem);
	cap_disk_close(e->disk);
	cap_gen_close(e->gen);
	free(e);
}

void cap_engine_deps_begin(cap_engine *e, cap_deps *d, uint64_t scope)
{
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

static CAP_COLD int get_l2(cap_engine *e, const cap_key *key, cap_value_fn fn, void *ctx)
{
	cap_disk_hit h;
	if (!cap_disk_get(e->disk, e->gen, key, &h))
		return CAP_MISS;
	if (e->mem)
		cap_mem_put(e->mem, key, &h.deps, h.expire, h.val, h.vlen);
	int rc = fn(ctx, h.val, h.vlen);
	free(h.buf);
	return rc < 0 ? rc : CAP_HIT_L2;
}

int cap_engine_get(cap_engine *e, const cap_key *key, cap_value_fn fn, void *ctx)
{
	if (CAP_LIKELY(e->mem != NULL)) {
		int rc = cap_mem_get(e->mem, e->gen, key, fn, ctx);
		if (rc != 0)
			return rc < 0 ? rc : CAP_HIT_L1;
	}
	if (e->disk)
		return get_l2(e, key, fn, ctx);
	return CAP_MISS;
}

int cap_engine_put(cap_engine *e, const cap_key *key, const cap_deps *deps, uint64_t ttl_ns,
		   const void *val, size_t len)
{
	if (!e->mem && !e->disk)
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
	uint64_t expire = 0;
	if (ttl_ns) {
		expire = cap_now_ns() + ttl_ns;
		if (expire < ttl_ns)
			expire = UINT64_MAX;
	}
	int rc1 = e->mem ? cap_mem_put(e->mem, key, deps, expire, val, len) : CAP_EOFF;
	int rc2 = e->disk ? cap_disk_put(e->disk, key, deps, expire, val, len) : CAP_EOFF;
	if (rc1 == CAP_OK || rc2 == CAP_OK)
		return CAP_OK;
	if (rc1 == CAP_EOFF)
		return rc2;
	return rc1;
}

void cap_engine_bump_table(cap_engine *e, const char *name, size_t n)
{
	cap_gen_bump(e->gen, cap_gen_table_slot(name, n));
	cap_stats_event(CAP_EV_INVAL_TABLE, 1);
}

void cap_engine_bump_db(cap_engine *e, uint64_t scope)
{
	cap_gen_bump(e->gen, cap_gen_db_slot(scope));
	cap_stats_event(CAP_EV_INVAL_DB, 1);
}

void cap_engine_bump_all(cap_engine *e)
{
	cap_gen_bump(e->gen, CAP_GEN_GLOBAL);
	cap_stats_event(CAP_EV_INVAL_DB, 1);
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
	if (e->disk)
		cap_disk_usage(e->disk, &u->l2_entries, &u->l2_bytes, &u->l2_size);
	u->l1_on = e->mem != NULL;
	u->l2_on = e->disk != NULL;
	u->gen_shared = e->gen->shared;
}

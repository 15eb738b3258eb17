/*
 * engine_get.c - the engine's lookups and fills (see engine.h): the dependencies a miss
 * records before it is sent, the get that serves from L1 then L2, and the put that stores a
 * result in both. Apart from the setup (engine.c) and invalidation (engine_inval.c) because
 * this is the hot path: a get makes no system call and takes no lock (one coarse clock read
 * for the periodic check, atomics for the L2 handle), and a put refuses anything it cannot
 * prove fresh: no shared table and no TTL, dependencies that changed while the miss was in
 * flight, or a write in flight naming one of them.
 */
#include "cache/engine.h"
#include "cache/engine_int.h"

#include <stdlib.h>

void cap_engine_deps_begin(cap_engine *e, cap_deps *d, uint64_t scope)
{
	if (e->dir) {
		/* before a miss is sent: the table must be the directory's */
		if (cap_engine_check_due(e))
			cap_engine_check(e, CHECK_FULL, 0);
		cap_engine_check(e, CHECK_MISS, MISS_LOCK_NS);
	}
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
	/* a point query's entry is a few hundred bytes: copied here, a hit allocates nothing */
	unsigned char scratch[2048] __attribute__((aligned(8)));
	cap_disk_hit h;
	int found = cap_disk_get(d, e->gen, key, &h, scratch, sizeof(scratch));
	cap_engine_l2_leave(e);
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
	if (cap_engine_check_due(e))
		cap_engine_check(e, CHECK_FULL, 0);
	if (CAP_LIKELY(e->mem != NULL)) {
		int rc = cap_mem_get(e->mem, e->gen, key, fn, ctx);
		if (rc != 0)
			return rc < 0 ? rc : CAP_HIT_L1;
	}
	if (__atomic_load_n(&e->disk, __ATOMIC_RELAXED)) {
		cap_disk *d = cap_engine_l2_enter(e);
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
	if (!ttl_ns && (!CAP_ENGINE_LD(&e->gen->shared) || CAP_ENGINE_LD(&e->gen->dead)))
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
	if (CAP_UNLIKELY(cap_engine_marked(e, deps)))
		return CAP_OK;
	uint64_t expire = 0;
	if (ttl_ns) {
		expire = cap_now_ns() + ttl_ns;
		if (expire < ttl_ns)
			expire = UINT64_MAX;
	}
	int rc1 = e->mem ? cap_mem_put(e->mem, key, deps, expire, val, len) : CAP_EOFF;
	int rc2 = CAP_EOFF;
	cap_disk *d = cap_engine_l2_enter(e);
	if (d) {
		rc2 = cap_disk_put(d, key, deps, expire, val, len);
		cap_engine_l2_leave(e);
	}
	if (rc1 == CAP_OK || rc2 == CAP_OK)
		return CAP_OK;
	if (rc1 == CAP_EOFF)
		return rc2;
	return rc1;
}

/*
 * engine_inval.c - the engine's invalidation (see engine.h): the bumps a write makes into the
 * generation table, the per-thread collectors that gather a transaction's slots instead, and
 * the markers of writes in flight with their owners and orphans (gen.h has the layout).
 * Apart from lookups (engine_get.c) because it is the write side: every bump first checks
 * that the table is still the directory's (engine.c), since a bump into a table nobody else
 * maps reaches no other process.
 *
 * Owners: a marker's owner word starts with the pid; the process's start time (from
 * /proc/PID/stat) tells a dead owner from a reused pid. Both are read once per process and
 * forgotten in a fork child (an atfork handler), so a writer makes no system call for them.
 */
#include "cache/engine.h"
#include "cache/engine_int.h"
#include "cache/log.h"
#include "cache/proc.h"
#include "cache/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	cap_engine_write_check(e);
	__atomic_fetch_add(&e->bumps, 1, __ATOMIC_SEQ_CST);
	cap_gen_bump(e->gen, slot);
	if (e->dir && CAP_UNLIKELY(CAP_ENGINE_LD(&e->gen->dead) || !CAP_ENGINE_LD(&e->gen->shared)))
		cap_engine_check(e, CHECK_WRITE, MISS_LOCK_NS);
	return 1;
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
		__atomic_store_n(&cached_start, cap_proc_start(me), __ATOMIC_RELAXED);
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
	return cap_proc_gone((int)(own >> 32), start);
}

/* cap_engine_marked - whether a marker names one of deps' slots; orphans those whose owner
 * is dead. */
CAP_COLD int cap_engine_marked(cap_engine *e, const cap_deps *deps)
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
	cap_engine_write_check(e);
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

/*
 * catreg.c - the shared catalog registry (see catreg.h).
 *
 * The registry is a short list (one entry per server, database and user a process talks to)
 * and a list of when each may next be loaded; both live under one process-local mutex, which atfork
 * handlers take around fork so that a child never inherits it held.
 */
#include "hooks/catreg.h"
#include "cache/lock.h"
#include "cache/cap.h"
#include "cache/fork.h"
#include "cache/log.h"

#include <stdlib.h>

/* When each catalog may next be loaded: CAP_CATREG_MIN_NS after a load, CAP_CATREG_RETRY_NS
 * after a failure. */
struct cap_catfail {
	struct cap_catfail *next;
	cap_hash ident;
	uint64_t retry_ns;
	unsigned fails; /* loads failed in a row: each doubles the wait before the next */
};

/* The registries whose locks the atfork handlers take (two in the library: libpq, MySQL). */
#define MAX_REGS 4
static cap_catreg *regs[MAX_REGS];
static int nregs;
static pthread_mutex_t regs_lock = PTHREAD_MUTEX_INITIALIZER;

static void prefork(void)
{
	for (int i = 0; i < nregs; i++)
		cap_mutex_lock(&regs[i]->lock);
}

static void postfork(void)
{
	for (int i = nregs; i-- > 0;)
		cap_mutex_unlock(&regs[i]->lock);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_setup(void)
{
	cap_fork_register(CAP_FORK_CATALOG, prefork, postfork, postfork);
}

static void reg_register(cap_catreg *r)
{
	pthread_once(&atfork_once, atfork_setup);
	cap_mutex_lock(&regs_lock);
	if (!r->registered && nregs < MAX_REGS)
		regs[nregs++] = r;
	__atomic_store_n(&r->registered, 1, __ATOMIC_RELEASE);
	cap_mutex_unlock(&regs_lock);
}

static int same_ident(cap_hash a, cap_hash b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

void cap_catbase_hold(cap_catbase *c)
{
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
}

void cap_catbase_release(cap_catbase *c)
{
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		c->destroy(c);
}

static int current(const cap_catbase *c, const cap_sess *s, uint64_t gen, uint64_t now)
{
	return c->gen == gen && same_ident(c->ident, s->ident) &&
	       now - c->loaded_ns < CAP_CATREG_RELOAD_NS;
}

int cap_catreg_current(const cap_rt *rt, const cap_sess *s, const cap_catbase *c)
{
	return current(c, s, cap_sess_catalog_gen(rt->engine), cap_now_ns());
}

/* Whether cur (the caller's, may be NULL) is current for s: then no lock is taken. Otherwise
 * the registry is locked on return. */
static int held_current(cap_catreg *r, const cap_sess *s, const cap_catbase *cur, uint64_t gen,
			uint64_t now)
{
	if (cur && current(cur, s, gen, now))
		return 1;
	if (!__atomic_load_n(&r->registered, __ATOMIC_ACQUIRE))
		reg_register(r);
	cap_mutex_lock(&r->lock);
	return 0;
}

/* Hand c (may be NULL) to the caller in place of cur, with a reference of its own, and unlock. */
static cap_catbase *hand_over(cap_catreg *r, cap_catbase *cur, cap_catbase **held, cap_catbase *c)
{
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	cap_mutex_unlock(&r->lock);
	cap_catbase_release(cur);
	*held = c;
	return c;
}

/* The wait before the next load after the n-th failure in a row: CAP_CATREG_RETRY_NS, doubled
 * each time up to 64 times it. A server whose catalog cannot be read (a new connection that
 * hangs until its timeout, a role that may not read it) then costs a statement that wait
 * once in minutes, not every few seconds. */
static uint64_t retry_after(unsigned n)
{
	return CAP_CATREG_RETRY_NS << (n > 7 ? 6 : n > 0 ? n - 1 : 0);
}

/* Load the catalog of f's key with the registry unlocked (called and returning locked):
 * a load is a server round trip (or a connection) that may stall as long as the network
 * does, and neither the other threads (on other connections, other servers) nor a cancelled
 * thread (pthread_cancel inside libpq) may keep the registry waiting. While it runs, f's
 * next load is a retry period away, so no other thread starts the same load: they do
 * without the catalog (reads not cached) until it is published. Failure records are never
 * freed, so f stays valid across the unlocked part. */
static cap_catbase *load_unlocked(cap_catreg *r, struct cap_catfail *f, const cap_sess *s,
				  uint64_t gen, uint64_t now, cap_catload_fn load, void *arg)
{
	f->retry_ns = now + retry_after(f->fails + 1);
	cap_mutex_unlock(&r->lock);
	cap_catbase *c = load(arg, s);
	cap_mutex_lock(&r->lock);
	uint64_t end = cap_now_ns();
	if (c == NULL) {
		f->fails++;
		f->retry_ns = end + retry_after(f->fails);
		/* the first failure in a row is a warning (a database that caches nothing must
		 * say why, in the log and `capacitor stats`); the retries after it, information */
		cap_log(f->fails == 1 ? CAP_LOG_WARN : CAP_LOG_INFO,
			"cannot read %s; reads on this database are not cached "
			"(retrying in %llu s)", r->what,
			(unsigned long long)(retry_after(f->fails) / 1000000000ULL));
		return NULL;
	}
	/* a load of the same key that outlived its retry period may have been overtaken by
	 * another thread's: the newer one replaces it */
	for (cap_catbase **pp = &r->head; *pp; pp = &(*pp)->next)
		if (same_ident((*pp)->ident, s->ident)) {
			cap_catbase *old = *pp;
			*pp = old->next;
			cap_catbase_release(old);
			break;
		}
	c->ident = s->ident;
	c->gen = gen; /* DDL during the load: out of date at once, loaded again */
	c->loaded_ns = now;
	c->refs = 1; /* the registry's */
	c->next = r->head;
	r->head = c;
	f->fails = 0;
	f->retry_ns = end + CAP_CATREG_MIN_NS;
	return c;
}

cap_catbase *cap_catreg_get(cap_catreg *r, const cap_rt *rt, const cap_sess *s,
			    cap_catbase **held, cap_catload_fn load, void *arg)
{
	uint64_t gen = cap_sess_catalog_gen(rt->engine), now = cap_now_ns();
	cap_catbase *cur = *held;
	if (held_current(r, s, cur, gen, now))
		return cur;
	cap_catbase **pp = &r->head, *c = NULL;
	for (; *pp; pp = &(*pp)->next)
		if (same_ident((*pp)->ident, s->ident)) {
			c = *pp;
			break;
		}
	if (c && !current(c, s, gen, now)) { /* out of date: retire it from the registry */
		*pp = c->next;
		cap_catbase_release(c);
		c = NULL;
	}
	if (c == NULL) {
		struct cap_catfail *f = r->failures;
		while (f && !same_ident(f->ident, s->ident))
			f = f->next;
		/* The record that spaces the loads out comes first: without one, a load that
		 * failed for want of memory would be retried by every statement, each paying a
		 * full catalog query. No memory for it: no load this time, a later statement tries. */
		if (f == NULL && (f = calloc(1, sizeof(*f)))) {
			f->ident = s->ident;
			f->next = r->failures;
			r->failures = f;
		}
		if (f && now >= f->retry_ns)
			c = load_unlocked(r, f, s, gen, now, load, arg);
	}
	return hand_over(r, cur, held, c);
}

cap_catbase *cap_catreg_peek(cap_catreg *r, const cap_rt *rt, const cap_sess *s,
			     cap_catbase **held)
{
	uint64_t gen = cap_sess_catalog_gen(rt->engine), now = cap_now_ns();
	cap_catbase *cur = *held;
	if (held_current(r, s, cur, gen, now))
		return cur;
	cap_catbase *c = r->head;
	while (c && !same_ident(c->ident, s->ident))
		c = c->next;
	return hand_over(r, cur, held, c && current(c, s, gen, now) ? c : NULL);
}

int cap_catreg_due(cap_catreg *r, const cap_rt *rt, const cap_sess *s)
{
	uint64_t gen = cap_sess_catalog_gen(rt->engine), now = cap_now_ns();
	if (!__atomic_load_n(&r->registered, __ATOMIC_ACQUIRE))
		reg_register(r);
	cap_mutex_lock(&r->lock);
	int due = 1;
	for (const cap_catbase *c = r->head; c && due; c = c->next)
		if (same_ident(c->ident, s->ident) && current(c, s, gen, now))
			due = 0;
	for (const struct cap_catfail *f = r->failures; f && due; f = f->next)
		if (same_ident(f->ident, s->ident) && now < f->retry_ns)
			due = 0;
	cap_mutex_unlock(&r->lock);
	return due;
}

void cap_catreg_unspace(cap_catreg *r, const cap_sess *s)
{
	if (!__atomic_load_n(&r->registered, __ATOMIC_ACQUIRE))
		reg_register(r);
	cap_mutex_lock(&r->lock);
	for (struct cap_catfail *f = r->failures; f; f = f->next)
		if (same_ident(f->ident, s->ident) && f->fails == 0)
			f->retry_ns = 0;
	cap_mutex_unlock(&r->lock);
}

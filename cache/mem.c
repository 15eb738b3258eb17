/*
 * mem.c - L1: the per-process memory tier (see mem.h).
 *
 * Structure: the key hash picks a shard (hash.hi & (nshards - 1)); each shard is an independent
 * cache with its own lock (below), chained hash table (bucket = hash.lo & mask, doubled when the entry
 * count passes the bucket count), byte budget (total budget / nshards) and eviction queues.
 * There is no global lock: two threads only meet when their keys share a shard.
 *
 * Entries: one malloc each (header + deps + key material + value). Their cost is
 * malloc_usable_size + the allocator's word, so the budget counts what the heap really holds;
 * bucket arrays are charged to their shard, ghost tables and shard headers are taken off the
 * budget up front. A put evicts until its shard is back under budget, so the total never
 * exceeds it (beyond allocator fragmentation).
 *
 * Policy, S3-FIFO (Yang et al., SOSP '23): new keys enter a small FIFO S (10% of the shard);
 * a hit sets a 2-bit frequency (relaxed atomic store, under the read lock). When S is over its
 * share its tail either moves to the main FIFO M (accessed since insertion) or is evicted and
 * remembered in the ghost table (a direct-mapped array of hash fingerprints). A key found in
 * the ghost goes straight to M. M's tail is evicted when its frequency is 0, otherwise it is
 * decremented and reinserted. A scan of one-time keys therefore cycles through S and the ghost
 * without touching the hot set in M. CAP_MEM_LRU (bench only) keeps one list moved on every
 * hit, under the write lock.
 *
 * Locking rules: a shard's lock is a distributed reader-writer lock: one pthread rwlock per
 * reader slot (power of two >= nproc, at most 8), each on its own cache line. A get read-locks
 * the slot of the CPU it runs on (sched_getcpu, an rseq load) and holds it from lookup until
 * the value callback returns, so the entry cannot be freed meanwhile, and gets on different CPUs
 * share no written cache line (a plain rwlock's reader count would bounce between them and stop
 * two threads from scaling). Put, eviction, stale removal and clear write-lock every slot of the
 * shard, in slot order. No lock is ever held while taking another shard's; statistics are
 * counted under a shard's lock, so L1 ranks above stats in cache/fork's order. Fork: the
 * prepare handler (cache/fork) takes every shard's write lock of every live cap_mem (registry
 * order, then shard order) and the parent's releases them; the child, now single-threaded
 * with consistent tables, re-initialises them. A value callback must not fork.
 */
#include "cache/mem.h"
#include "cache/lock.h"
#include "cache/clock.h"
#include "cache/fork.h"
#include "cache/stats.h"

#include <malloc.h>
#include <sched.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct qlink {
	struct qlink *prev, *next;
} qlink;

typedef struct ment {
	qlink q;             /* must be first: list sentinels are bare qlinks */
	struct ment *hnext;  /* bucket chain */
	cap_hash hash;
	uint64_t expire;     /* cap_now_ns() deadline, 0 = none */
	uint32_t klen, vlen;
	uint32_t cost;       /* bytes charged to the shard */
	uint16_t ndeps;
	uint8_t queue;       /* Q_SMALL or Q_MAIN */
	uint8_t freq;        /* 0..3, __atomic access only */
	uint64_t data[];     /* gen[ndeps], slot[ndeps] (padded to 8), key, value */
} ment;

_Static_assert(sizeof(ment) == 64, "L1 entry header is one cache line");

enum { Q_SMALL = 0, Q_MAIN = 1 };

/* One reader-writer lock per (shard, reader slot), each on its own cache line. */
typedef struct slock {
	pthread_rwlock_t rw;
} __attribute__((aligned(CAP_CACHELINE))) slock;

typedef struct shard {
	ment **bkt;
	size_t nbkt; /* power of two */
	size_t count;
	qlink small, main;
	uint64_t bytes;   /* entries + bucket array */
	uint64_t bytes_s; /* entries in S */
	uint64_t budget;
	uint64_t *ghost;
	uint64_t gmask;
} __attribute__((aligned(CAP_CACHELINE))) shard;

struct cap_mem {
	shard *sh;
	slock *lk;        /* nshards x nslots */
	unsigned nslots;  /* reader slots per shard: power of two >= nproc, at most 8 */
	unsigned nshards;
	uint64_t smask;
	enum cap_mem_policy policy;
	uint64_t budget, fixed;
	struct cap_mem *reg_next;
};

/* ---- shard locks ----
 * A reader read-locks only the slot of the CPU it runs on, so readers on different CPUs write
 * no common cache line; a writer write-locks every slot of the shard, in slot order. */

static inline pthread_rwlock_t *rd_lock(cap_mem *m, uint64_t si)
{
	int cpu = sched_getcpu();
	unsigned slot = cpu < 0 ? 0 : (unsigned)cpu & (m->nslots - 1);
	pthread_rwlock_t *l = &m->lk[si * m->nslots + slot].rw;
	pthread_rwlock_rdlock(l);
	return l;
}

static void wr_lock(cap_mem *m, uint64_t si)
{
	for (unsigned i = 0; i < m->nslots; i++)
		pthread_rwlock_wrlock(&m->lk[si * m->nslots + i].rw);
}

static void wr_unlock(cap_mem *m, uint64_t si)
{
	for (unsigned i = m->nslots; i-- > 0;)
		pthread_rwlock_unlock(&m->lk[si * m->nslots + i].rw);
}

/* ---- fork registry ---- */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static cap_mem *reg_head;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
	cap_mutex_lock(&reg_lock);
	for (cap_mem *m = reg_head; m; m = m->reg_next)
		for (unsigned i = 0; i < m->nshards; i++)
			wr_lock(m, i);
}

static void fork_parent(void)
{
	for (cap_mem *m = reg_head; m; m = m->reg_next)
		for (unsigned i = 0; i < m->nshards; i++)
			wr_unlock(m, i);
	cap_mutex_unlock(&reg_lock);
}

static void fork_child(void)
{
	for (cap_mem *m = reg_head; m; m = m->reg_next)
		for (unsigned i = 0; i < m->nshards * m->nslots; i++)
			pthread_rwlock_init(&m->lk[i].rw, NULL);
	pthread_mutex_init(&reg_lock, NULL);
}

static void reg_init(void)
{
	cap_fork_register(CAP_FORK_L1, fork_prepare, fork_parent, fork_child);
}

/* ---- entry layout ---- */

static inline uint64_t *ent_gens(ment *e)
{
	return e->data;
}

static inline uint32_t *ent_slots(ment *e)
{
	return (uint32_t *)(e->data + e->ndeps);
}

static inline size_t slots_bytes(uint32_t n)
{
	return ((size_t)n * 4 + 7) & ~(size_t)7;
}

static inline unsigned char *ent_key(ment *e)
{
	return (unsigned char *)(e->data + e->ndeps) + slots_bytes(e->ndeps);
}

static inline unsigned char *ent_val(ment *e)
{
	return ent_key(e) + e->klen;
}

/* ---- lists ---- */

static inline void q_init(qlink *h)
{
	h->prev = h->next = h;
}

static inline void q_del(qlink *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static inline void q_push(qlink *h, qlink *l)
{
	l->next = h->next;
	l->prev = h;
	h->next->prev = l;
	h->next = l;
}

/* ---- shard internals (write lock held unless said otherwise) ---- */

static inline ment *find(shard *s, const cap_key *k, ment ***pprev)
{
	ment **pp = &s->bkt[k->hash.lo & (s->nbkt - 1)];
	for (ment *e = *pp; e; pp = &e->hnext, e = e->hnext) {
		if (e->hash.lo == k->hash.lo && e->hash.hi == k->hash.hi && e->klen == k->len &&
		    memcmp(ent_key(e), k->mat, k->len) == 0) {
			if (pprev)
				*pprev = pp;
			return e;
		}
	}
	return NULL;
}

static inline int ent_valid(ment *e, const cap_gen *g)
{
	if (!cap_gen_valid(g, ent_slots(e), ent_gens(e), e->ndeps))
		return 0;
	return e->expire == 0 || cap_now_ns() < e->expire;
}

static void unlink_ent(shard *s, ment *e, ment **pp)
{
	if (!pp) {
		pp = &s->bkt[e->hash.lo & (s->nbkt - 1)];
		while (*pp != e)
			pp = &(*pp)->hnext;
	}
	*pp = e->hnext;
	q_del(&e->q);
	s->count--;
	s->bytes -= e->cost;
	if (e->queue == Q_SMALL)
		s->bytes_s -= e->cost;
}

static inline uint64_t *ghost_slot(shard *s, cap_hash h)
{
	return &s->ghost[(h.lo >> 32) & s->gmask];
}

static void grow(shard *s)
{
	size_t n = s->nbkt * 2;
	ment **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < s->nbkt; i++) {
		ment *e = s->bkt[i];
		while (e) {
			ment *next = e->hnext;
			ment **b = &nb[e->hash.lo & (n - 1)];
			e->hnext = *b;
			*b = e;
			e = next;
		}
	}
	free(s->bkt);
	s->bytes += (n - s->nbkt) * sizeof(*nb);
	s->bkt = nb;
	s->nbkt = n;
}

/* evict - bring the shard under budget; returns entries evicted and their bytes. */
static uint64_t evict(cap_mem *m, shard *s, int64_t *freed)
{
	uint64_t n = 0;
	while (s->bytes > s->budget && s->count > 0) {
		ment *e;
		if (m->policy == CAP_MEM_LRU) {
			e = (ment *)s->main.prev;
		} else if (s->small.next != &s->small &&
			   (s->bytes_s > s->budget / 10 || s->main.next == &s->main)) {
			e = (ment *)s->small.prev;
			if (__atomic_load_n(&e->freq, __ATOMIC_RELAXED) > 0) {
				q_del(&e->q);
				__atomic_store_n(&e->freq, 0, __ATOMIC_RELAXED);
				e->queue = Q_MAIN;
				s->bytes_s -= e->cost;
				q_push(&s->main, &e->q);
				continue;
			}
			*ghost_slot(s, e->hash) = e->hash.lo | 1;
		} else {
			e = (ment *)s->main.prev;
			uint8_t f = __atomic_load_n(&e->freq, __ATOMIC_RELAXED);
			if (f > 0) {
				__atomic_store_n(&e->freq, (uint8_t)(f - 1), __ATOMIC_RELAXED);
				q_del(&e->q);
				q_push(&s->main, &e->q);
				continue;
			}
		}
		unlink_ent(s, e, NULL);
		*freed += e->cost;
		free(e);
		n++;
	}
	return n;
}

/* ---- public ---- */

int cap_mem_open(uint64_t budget, unsigned nshards, enum cap_mem_policy policy, cap_mem **out)
{
	*out = NULL;
	if (budget < 16384)
		return CAP_EINVAL;
	if (nshards == 0) {
		long np = sysconf(_SC_NPROCESSORS_ONLN);
		uint64_t want = (uint64_t)(np > 0 ? np : 1) * 4;
		nshards = 8;
		while (nshards < want && nshards < 1024)
			nshards *= 2;
		while (nshards > 1 && budget / nshards < 256 * 1024)
			nshards /= 2;
	}
	if (nshards & (nshards - 1))
		return CAP_EINVAL;
	cap_mem *m = calloc(1, sizeof(*m));
	if (!m)
		return CAP_ENOMEM;
	long np = sysconf(_SC_NPROCESSORS_ONLN);
	m->nslots = 1;
	while (m->nslots < 8 && (long)m->nslots < np)
		m->nslots *= 2;
	if (posix_memalign((void **)&m->lk, CAP_CACHELINE,
			   sizeof(slock) * nshards * m->nslots) != 0) {
		free(m);
		return CAP_ENOMEM;
	}
	for (unsigned i = 0; i < nshards * m->nslots; i++)
		pthread_rwlock_init(&m->lk[i].rw, NULL);
	m->nshards = nshards;
	m->smask = nshards - 1;
	m->policy = policy;
	m->budget = budget;
	if (posix_memalign((void **)&m->sh, CAP_CACHELINE, sizeof(shard) * nshards) != 0) {
		free(m->lk);
		free(m);
		return CAP_ENOMEM;
	}
	memset(m->sh, 0, sizeof(shard) * nshards);
	uint64_t per = budget / nshards;
	uint64_t g = 64;
	while (g * 2 <= per / 512)
		g *= 2;
	m->fixed = sizeof(*m) + (sizeof(shard) + sizeof(slock) * m->nslots + g * 8) * nshards;
	if (m->fixed + nshards * 4096 > budget) {
		free(m->sh);
		free(m->lk);
		free(m);
		return CAP_EINVAL;
	}
	per = (budget - m->fixed) / nshards;
	unsigned i;
	for (i = 0; i < nshards; i++) {
		shard *s = &m->sh[i];
		s->nbkt = 64;
		s->bkt = calloc(s->nbkt, sizeof(*s->bkt));
		s->ghost = calloc(g, sizeof(*s->ghost));
		s->gmask = g - 1;
		q_init(&s->small);
		q_init(&s->main);
		s->budget = per;
		s->bytes = s->nbkt * sizeof(*s->bkt);
		if (!s->bkt || !s->ghost) {
			free(s->bkt);
			free(s->ghost);
			break;
		}
	}
	if (i < nshards) {
		while (i-- > 0) {
			free(m->sh[i].bkt);
			free(m->sh[i].ghost);
		}
		free(m->sh);
		free(m->lk);
		free(m);
		return CAP_ENOMEM;
	}
	pthread_once(&reg_once, reg_init);
	cap_mutex_lock(&reg_lock);
	m->reg_next = reg_head;
	reg_head = m;
	cap_mutex_unlock(&reg_lock);
	*out = m;
	return CAP_OK;
}

void cap_mem_close(cap_mem *m)
{
	if (!m)
		return;
	cap_mutex_lock(&reg_lock);
	for (cap_mem **pp = &reg_head; *pp; pp = &(*pp)->reg_next)
		if (*pp == m) {
			*pp = m->reg_next;
			break;
		}
	cap_mutex_unlock(&reg_lock);
	cap_mem_clear(m);
	for (unsigned i = 0; i < m->nshards; i++) {
		shard *s = &m->sh[i];
		free(s->bkt);
		free(s->ghost);
	}
	for (unsigned i = 0; i < m->nshards * m->nslots; i++)
		pthread_rwlock_destroy(&m->lk[i].rw);
	free(m->sh);
	free(m->lk);
	free(m);
}

/* get_lru - the benchmark's LRU baseline: a hit moves the entry, so it takes the write lock. */
static CAP_COLD int get_lru(cap_mem *m, uint64_t si, const cap_gen *g, const cap_key *k,
			    cap_value_fn fn, void *ctx)
{
	shard *s = &m->sh[si];
	wr_lock(m, si);
	ment **pp;
	ment *e = find(s, k, &pp);
	int rc = 0;
	if (e && ent_valid(e, g)) {
		q_del(&e->q);
		q_push(&s->main, &e->q);
		rc = fn(ctx, ent_val(e), e->vlen);
		rc = rc < 0 ? rc : 1;
	} else if (e) {
		unlink_ent(s, e, pp);
		cap_stats_l1(-1, -(int64_t)e->cost);
		free(e);
	}
	wr_unlock(m, si);
	return rc;
}

static CAP_COLD void remove_stale(cap_mem *m, uint64_t si, const cap_key *k, const cap_gen *g)
{
	shard *s = &m->sh[si];
	ment **pp;
	int64_t bytes = 0;
	wr_lock(m, si);
	ment *e = find(s, k, &pp);
	if (e && !ent_valid(e, g)) {
		unlink_ent(s, e, pp);
		bytes = e->cost;
		free(e);
	}
	wr_unlock(m, si);
	if (bytes)
		cap_stats_l1(-1, -bytes);
}

int cap_mem_get(cap_mem *m, const cap_gen *g, const cap_key *k, cap_value_fn fn, void *ctx)
{
	uint64_t si = k->hash.hi & m->smask;
	shard *s = &m->sh[si];
	if (CAP_UNLIKELY(m->policy == CAP_MEM_LRU))
		return get_lru(m, si, g, k, fn, ctx);
	pthread_rwlock_t *l = rd_lock(m, si);
	ment *e = find(s, k, NULL);
	if (!e) {
		pthread_rwlock_unlock(l);
		return 0;
	}
	if (CAP_UNLIKELY(!ent_valid(e, g))) {
		pthread_rwlock_unlock(l);
		remove_stale(m, si, k, g);
		return 0;
	}
	uint8_t f = __atomic_load_n(&e->freq, __ATOMIC_RELAXED);
	if (f < 3)
		__atomic_store_n(&e->freq, (uint8_t)(f + 1), __ATOMIC_RELAXED);
	int rc = fn(ctx, ent_val(e), e->vlen);
	pthread_rwlock_unlock(l);
	return rc < 0 ? rc : 1;
}

int cap_mem_put(cap_mem *m, const cap_key *k, const cap_deps *d, uint64_t expire_ns,
		const void *val, size_t len)
{
	uint64_t si = k->hash.hi & m->smask;
	shard *s = &m->sh[si];
	uint32_t nd = d ? d->n : 0;
	if (nd > CAP_DEPS_MAX)
		return CAP_EINVAL;
	size_t need = sizeof(ment) + (size_t)nd * 8 + slots_bytes(nd) + k->len + len;
	if (k->len > UINT32_MAX || len > UINT32_MAX || need > s->budget / 2)
		return CAP_ETOOBIG;
	ment *e = malloc(need);
	if (!e)
		return CAP_ENOMEM;
	e->hash = k->hash;
	e->expire = expire_ns;
	e->klen = (uint32_t)k->len;
	e->vlen = (uint32_t)len;
	e->ndeps = (uint16_t)nd;
	e->freq = 0;
	e->hnext = NULL;
	if (nd) {
		memcpy(ent_gens(e), d->gen, (size_t)nd * 8);
		memcpy(ent_slots(e), d->slot, (size_t)nd * 4);
	}
	memcpy(ent_key(e), k->mat, k->len);
	if (len)
		memcpy(ent_val(e), val, len);
	e->cost = (uint32_t)(malloc_usable_size(e) + sizeof(size_t));

	int64_t dent = 1, dbytes = e->cost, freed = 0;
	wr_lock(m, si);
	ment **pp;
	ment *old = find(s, k, &pp);
	if (old) {
		unlink_ent(s, old, pp);
		dent--;
		dbytes -= old->cost;
		free(old);
	}
	uint64_t *gs = ghost_slot(s, k->hash);
	if (m->policy == CAP_MEM_LRU || *gs == (k->hash.lo | 1)) {
		*gs = 0;
		e->queue = Q_MAIN;
		q_push(&s->main, &e->q);
	} else {
		e->queue = Q_SMALL;
		s->bytes_s += e->cost;
		q_push(&s->small, &e->q);
	}
	ment **b = &s->bkt[k->hash.lo & (s->nbkt - 1)];
	e->hnext = *b;
	*b = e;
	s->count++;
	s->bytes += e->cost;
	if (s->count > s->nbkt)
		grow(s);
	uint64_t nev = evict(m, s, &freed);
	wr_unlock(m, si);
	cap_stats_event(CAP_EV_FILL_L1, 1);
	if (nev)
		cap_stats_event(CAP_EV_EVICT_L1, nev);
	cap_stats_l1(dent - (int64_t)nev, dbytes - freed);
	return CAP_OK;
}

void cap_mem_clear(cap_mem *m)
{
	for (unsigned i = 0; i < m->nshards; i++) {
		shard *s = &m->sh[i];
		int64_t n = 0, bytes = 0;
		wr_lock(m, i);
		qlink *heads[2] = { &s->small, &s->main };
		for (int h = 0; h < 2; h++) {
			while (heads[h]->next != heads[h]) {
				ment *e = (ment *)heads[h]->next;
				q_del(&e->q);
				bytes += e->cost;
				n++;
				free(e);
			}
		}
		memset(s->bkt, 0, s->nbkt * sizeof(*s->bkt));
		memset(s->ghost, 0, (s->gmask + 1) * sizeof(*s->ghost));
		s->count = 0;
		s->bytes = s->nbkt * sizeof(*s->bkt);
		s->bytes_s = 0;
		wr_unlock(m, i);
		if (n)
			cap_stats_l1(-n, -bytes);
	}
}

void cap_mem_usage(cap_mem *m, uint64_t *entries, uint64_t *bytes, uint64_t *budget)
{
	uint64_t n = 0, b = m->fixed;
	for (unsigned i = 0; i < m->nshards; i++) {
		shard *s = &m->sh[i];
		wr_lock(m, i);
		n += s->count;
		b += s->bytes;
		wr_unlock(m, i);
	}
	if (entries)
		*entries = n;
	if (bytes)
		*bytes = b;
	if (budget)
		*budget = m->budget;
}

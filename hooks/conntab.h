/*
 * conntab.h - the per-connection state table both client hooks keep (hooks/conntab.c): a
 * small hash table of records keyed by the client library's connection pointer (PGconn,
 * MYSQL), a record created at the connection's first statement and dropped when the program
 * closes it.
 *
 * The table's mutex stays off the hit path: each thread keeps its last answer (a one-entry
 * cache the caller owns, thread-local) validated by the table's epoch, which every removal
 * bumps, so a repeated lookup is two loads and two compares (cap_conntab_find, inline).
 *
 * A record starts with a cap_conn_link (the chain and the key); the client embeds it first in
 * its own state struct and makes records with the table's create function, called under the
 * table's lock. fork(): the client registers its rank's handlers (cache/fork.h) from its
 * table's setup function, run once at the first lookup; they take and release the lock with
 * cap_conntab_lock/unlock, and may visit every record (cap_conntab_each) while they hold it.
 */
#ifndef CAP_CONNTAB_H
#define CAP_CONNTAB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_CONNTAB_BUCKETS 1024

typedef struct cap_conn_link {
	struct cap_conn_link *next;
	const void *key;
} cap_conn_link;

typedef struct cap_conntab {
	cap_conn_link *bucket[CAP_CONNTAB_BUCKETS];
	pthread_mutex_t lock;
	uint64_t epoch;                             /* atomic; bumped by every removal */
	pthread_once_t once;
	void (*setup)(void);                        /* registers the fork handlers (once) */
	cap_conn_link *(*create)(const void *key);  /* a new record, under the lock; NULL: none */
} cap_conntab;

#define CAP_CONNTAB_INIT(setup_fn, create_fn)                                                \
	{ .lock = PTHREAD_MUTEX_INITIALIZER, .epoch = 1, .once = PTHREAD_ONCE_INIT,          \
	  .setup = (setup_fn), .create = (create_fn) }

/* A thread's last lookup in one table (declare it __thread, initial-exec). */
typedef struct cap_conntab_tls {
	const void *key;
	cap_conn_link *ent;
	uint64_t epoch;
} cap_conntab_tls;

/* cap_conntab_bucket - the bucket of a pointer (also used by tables of other handles). */
static inline size_t cap_conntab_bucket(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	return (size_t)((v >> 4) ^ (v >> 14)) & (CAP_CONNTAB_BUCKETS - 1);
}

/* cap_conntab_find_slow - the lookup under the lock (cap_conntab_find's cold half). */
cap_conn_link *cap_conntab_find_slow(cap_conntab *t, cap_conntab_tls *tls, const void *key,
				     int create);

/* cap_conntab_find - the record of key, created (t->create) when create is set and there is
 * none; NULL when there is none or no memory. No lock on a repeated lookup. */
static inline cap_conn_link *cap_conntab_find(cap_conntab *t, cap_conntab_tls *tls,
					      const void *key, int create)
{
	uint64_t ep = __atomic_load_n(&t->epoch, __ATOMIC_ACQUIRE);
	if (tls->key == key && tls->epoch == ep && tls->ent)
		return tls->ent;
	return cap_conntab_find_slow(t, tls, key, create);
}

/* cap_conntab_remove - unlink key's record and return it (the caller frees it), or NULL.
 * Every thread's cached lookup is invalidated. */
cap_conn_link *cap_conntab_remove(cap_conntab *t, cap_conntab_tls *tls, const void *key);

/* cap_conntab_lock / unlock - the table's lock, for fork handlers and for what the client
 * keeps beside the table under the same lock. */
void cap_conntab_lock(cap_conntab *t);
void cap_conntab_unlock(cap_conntab *t);
/* cap_conntab_each - fn on every record; the caller holds the lock. */
void cap_conntab_each(cap_conntab *t, void (*fn)(cap_conn_link *));

#endif

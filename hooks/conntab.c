/*
 * conntab.c - the per-connection state table of both client hooks (see conntab.h).
 *
 * Locking: the table's mutex guards the buckets; records are created under it (the client's
 * create function may call its library's accessors, never a Capacitor lock above this one).
 * The epoch is read again under the lock before a lookup's answer is cached, so an answer
 * cached by one thread is never newer than a removal it did not see.
 */
#include "hooks/conntab.h"
#include "cache/lock.h"

cap_conn_link *cap_conntab_find_slow(cap_conntab *t, cap_conntab_tls *tls, const void *key,
				     int create)
{
	pthread_once(&t->once, t->setup);
	cap_mutex_lock(&t->lock);
	size_t b = cap_conntab_bucket(key);
	cap_conn_link *e = t->bucket[b];
	while (e && e->key != key)
		e = e->next;
	if (e == NULL && create) {
		e = t->create(key);
		if (e) {
			e->key = key;
			e->next = t->bucket[b];
			t->bucket[b] = e;
		}
	}
	uint64_t ep = __atomic_load_n(&t->epoch, __ATOMIC_ACQUIRE);
	cap_mutex_unlock(&t->lock);
	if (e) {
		tls->key = key;
		tls->ent = e;
		tls->epoch = ep;
	}
	return e;
}

cap_conn_link *cap_conntab_remove(cap_conntab *t, cap_conntab_tls *tls, const void *key)
{
	pthread_once(&t->once, t->setup);
	cap_mutex_lock(&t->lock);
	cap_conn_link **pp = &t->bucket[cap_conntab_bucket(key)];
	while (*pp && (*pp)->key != key)
		pp = &(*pp)->next;
	cap_conn_link *e = *pp;
	if (e)
		*pp = e->next;
	__atomic_add_fetch(&t->epoch, 1, __ATOMIC_RELEASE);
	cap_mutex_unlock(&t->lock);
	if (tls->key == key)
		tls->key = NULL;
	return e;
}

void cap_conntab_lock(cap_conntab *t)
{
	cap_mutex_lock(&t->lock);
}

void cap_conntab_unlock(cap_conntab *t)
{
	cap_mutex_unlock(&t->lock);
}

void cap_conntab_each(cap_conntab *t, void (*fn)(cap_conn_link *))
{
	for (size_t b = 0; b < CAP_CONNTAB_BUCKETS; b++)
		for (cap_conn_link *e = t->bucket[b]; e; e = e->next)
			fn(e);
}

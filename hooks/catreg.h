/*
 * catreg.h - the per-process registry of server catalogs that both hooks share.
 *
 * A catalog (hooks/pq_catalog, hooks/mysql_catalog) describes one (server, database, user):
 * what the hooks must know to cache reads and invalidate writes. It is loaded by the hook
 * (PostgreSQL: on the program's idle connection; MySQL: through a short-lived separate
 * connection), immutable once loaded, and reference-counted: the registry
 * holds one reference, each connection that uses it another. It is replaced (a new load) when
 * any process ran DDL through Capacitor (the catalog generation of hooks/session.h changed)
 * and at least every CAP_CATREG_RELOAD_NS, so DDL made without Capacitor is picked up too; a
 * failed load is retried after CAP_CATREG_RETRY_NS, doubled after each further failure in a
 * row (up to 64 times). Loads happen only when a statement
 * needs the catalog, and at most every CAP_CATREG_MIN_NS per catalog: under a stream of DDL
 * an out-of-date catalog is not used at all (reads are not cached, writes invalidate the
 * whole database) until the next load is due, so DDL-heavy work pays for at most one load a
 * second per process.
 *
 * The registry's mutex is taken only when a connection's catalog is missing or out of date,
 * never on a hit of a connection that holds a current one, and never held across a load: a
 * load may stall as long as its connection does (or be cancelled with its thread), and the
 * other threads must not wait for it. One load per key at a time: while one runs, the other
 * connections of that key do without a catalog (reads not cached).
 */
#ifndef CAP_CATREG_H
#define CAP_CATREG_H

#include "hooks/session.h"

#include <pthread.h>

#define CAP_CATREG_RETRY_NS (5ULL * 1000000000ULL)
#define CAP_CATREG_RELOAD_NS (60ULL * 1000000000ULL)
#define CAP_CATREG_MIN_NS (1ULL * 1000000000ULL)

/* The header every catalog starts with. */
typedef struct cap_catbase {
	struct cap_catbase *next;           /* registry chain */
	cap_hash ident;                     /* whose catalog: cap_sess.ident */
	int refs;
	uint64_t gen;                       /* catalog generation at load */
	uint64_t loaded_ns;                 /* cap_now_ns at load */
	void (*destroy)(struct cap_catbase *c);
} cap_catbase;

/* Loads a catalog for s (fills everything after the header; the registry fills the header
 * except destroy); NULL on failure. */
typedef cap_catbase *(*cap_catload_fn)(void *arg, const cap_sess *s);

struct cap_catfail;

typedef struct cap_catreg {
	pthread_mutex_t lock;
	int registered;                     /* its lock is in the atfork handlers */
	cap_catbase *head;
	struct cap_catfail *failures;
	const char *what;                   /* for the log line: "the PostgreSQL catalog" */
} cap_catreg;

#define CAP_CATREG_INIT(what) { PTHREAD_MUTEX_INITIALIZER, 0, NULL, NULL, what }

/* cap_catreg_get - the current catalog for s, loading it with load(arg, s) when needed, or
 * NULL when it cannot be had. *held is the caller's reference, released and replaced here
 * when out of date. */
cap_catbase *cap_catreg_get(cap_catreg *r, const cap_rt *rt, const cap_sess *s,
			    cap_catbase **held, cap_catload_fn load, void *arg);

/* cap_catreg_peek - the current catalog for s if one is loaded, else NULL; never loads.
 * *held as for cap_catreg_get. */
cap_catbase *cap_catreg_peek(cap_catreg *r, const cap_rt *rt, const cap_sess *s,
			     cap_catbase **held);

/* cap_catreg_due - whether a load for s may start now: none is current, and none failed or
 * ran for s too recently (the spacing cap_catreg_get keeps). */
int cap_catreg_due(cap_catreg *r, const cap_rt *rt, const cap_sess *s);

/* cap_catreg_unspace - a load for s made ahead of need (a new connection's, while the program
 * polled it open) does not hold back the next one: DDL right after it must not leave the
 * program's reads without a catalog for CAP_CATREG_MIN_NS. Spacing after failures stays. */
void cap_catreg_unspace(cap_catreg *r, const cap_sess *s);

/* cap_catreg_current - whether c is still the current catalog for s (no lock taken). */
int cap_catreg_current(const cap_rt *rt, const cap_sess *s, const cap_catbase *c);

/* cap_catbase_hold / cap_catbase_release - take or drop one reference (NULL is allowed). */
void cap_catbase_hold(cap_catbase *c);
void cap_catbase_release(cap_catbase *c);

#endif

/*
 * pq_catalog.h - what the libpq hooks need from a PostgreSQL database's catalog: which names
 * are views (and what their stored definitions reach: base relations, functions, operators,
 * domains, by oid), materialized views, sequences, foreign and partitioned or inherited tables;
 * which tables have user triggers, rules, or defaults, checks, indexes or partition keys that
 * call volatile functions (their writes have unknowable effects); which foreign keys cascade;
 * how volatile each function name is (a user function in SQL or a PL counts as volatile,
 * whatever its label: hooks/pq_catload.c), and which operators, attribute-notation functions,
 * domains and casts a statement can reach without calling them by name. (Isolation levels are
 * the session's own: hooks/pq.c reads them on the program's connection.)
 *
 * It is loaded once per (server, database, user) in each process, on the program's own
 * connection while that is idle (see pq_catload.c), and reloaded when any process ran DDL (the
 * reserved generation slot of session.h) or a minute has passed, when a statement needs it.
 * When it cannot be had the hooks cache no reads on that database and every write invalidates
 * the whole database.
 */
#ifndef CAP_PQ_CATALOG_H
#define CAP_PQ_CATALOG_H

#include "hooks/session.h"

#include <libpq-fe.h>

typedef struct cap_pqcat cap_pqcat;

/* cap_pqcat_get - the catalog for conn's database and user, loading or reloading it when
 * needed; NULL when it is unavailable (then retried at most every few seconds). *held is
 * the reference the caller keeps between statements: it is released and replaced here when a
 * newer catalog exists (the caller releases its last one with cap_pqcat_release). */
cap_pqcat *cap_pqcat_get(const cap_rt *rt, PGconn *conn, const cap_sess *s, cap_pqcat **held,
			 int *ran);
void cap_pqcat_release(cap_pqcat *c);

/* cap_pqcat_runs_code - may the write or DDL described by info run user code that can change
 * the session (triggers, rules, views, foreign tables, on any table it reaches; event
 * triggers for DDL)? 1 also when unknown (c NULL, a relation the catalog does not know). */
int cap_pqcat_runs_code(cap_pqcat *c, const cap_sql_info *info);

/* cap_pqcat_current - whether c is the current catalog for s; cap_pqcat_hold takes one more
 * reference. An out-of-date catalog may not decide what is cached, but it still knows which
 * views and functions may write. */
int cap_pqcat_current(const cap_rt *rt, const cap_sess *s, const cap_pqcat *c);
void cap_pqcat_hold(cap_pqcat *c);

/* cap_pqcat_get loads on conn: call it only while conn is idle (PQTRANS_IDLE, nothing in
 * flight, not in pipeline mode); the catalog query's notices are the caller's to mute, and
 * when it ran (*ran set to 1) it destroyed conn's unnamed prepared statement.
 * cap_pqcat_peek never loads: the current catalog, or NULL when none is loaded or it is out
 * of date. */
cap_pqcat *cap_pqcat_peek(const cap_rt *rt, const cap_sess *s, cap_pqcat **held);

/* A load in steps, for a new connection whose catalog comes in while the program polls it
 * (hooks/pq_connect.c), so that no round trip of ours waits inside a call of the program's:
 * cap_pqcat_due says whether s has no current catalog and a load may start now (the
 * registry's spacing after failures holds); cap_pqcat_send sends the catalog query on conn
 * (idle, as for cap_pqcat_get; 1 when sent); cap_pqcat_take keeps each of its results (r not
 * NULL); cap_pqcat_offer hands the complete answer to the registry as cap_pqcat_get's load
 * would be (built only when a load is still due), then clears rx whatever became of it. */
#define CAP_PQCAT_NRES 10 /* the catalog query's statements */
typedef struct cap_pqcat_rx {
	PGresult *res[CAP_PQCAT_NRES];
	int n;
	int failed;
} cap_pqcat_rx;
int cap_pqcat_due(const cap_rt *rt, const cap_sess *s, cap_pqcat **held);
int cap_pqcat_send(PGconn *conn);
void cap_pqcat_take(cap_pqcat_rx *rx, PGconn *conn, PGresult *r);
cap_pqcat *cap_pqcat_offer(const cap_rt *rt, const cap_sess *s, cap_pqcat **held,
			   cap_pqcat_rx *rx);
void cap_pqcat_rx_clear(cap_pqcat_rx *rx);
cap_pqcat *cap_pqcat_build(cap_pqcat_rx *rx);

/* cap_pqcat_vet - add to info (func[], CAP_SQLR_FUNCTION) what sql[0..len) reaches without
 * naming it: user operators, attribute notation, domains and casts with volatile functions,
 * user functions named like built-ins, views that may write, or anything at all when the
 * database has volatile implicit casts or type I/O. Entries that may write are
 * CAP_FUNC_WRITES. A write whose reach the catalog cannot bound (a foreign table, code a
 * trigger, rule or view runs, a relation it does not know, or no catalog: c may be NULL) is
 * CAP_SQLF_CLUSTER: that code, or the foreign server, may write another database of the
 * cluster (postgres_fdw, dblink), so every database sharing the server is invalidated. */
void cap_pqcat_vet(const cap_pqcat *c, const char *sql, size_t len, cap_sql_info *info);

/* cap_pqcat_vet_unknown - without a catalog nothing proves what a statement reaches: mark it
 * as reaching code that may write (not cached; the database is invalidated after it). */
void cap_pqcat_vet_unknown(cap_sql_info *info);

/* The callbacks session.c uses. */
extern const cap_catalog_ops cap_pqcat_ops;

#endif

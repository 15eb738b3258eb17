/*
 * pq_catalog.h - what the libpq hooks need from a PostgreSQL database's catalog: which names
 * are views (and their base tables), materialized views, foreign tables and partitioned or
 * inherited tables; which tables have user triggers or rules (their writes have unknowable
 * effects); which foreign keys cascade; which functions are immutable. (Isolation levels are
 * the session's own: hooks/pq.c reads them on the program's connection.)
 *
 * It is loaded once per (server, database, user) in each process, through a short-lived
 * separate connection opened with the program connection's own parameters (so querying it
 * never disturbs the program's session or transaction), and reloaded when any process ran
 * DDL (the reserved generation slot of session.h). When it cannot be loaded the hooks cache
 * no reads on that database and every write invalidates the whole database.
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
cap_pqcat *cap_pqcat_get(const cap_rt *rt, PGconn *conn, const cap_sess *s, cap_pqcat **held);
void cap_pqcat_release(cap_pqcat *c);

/* cap_pqcat_runs_code - may the write or DDL described by info run user code that can change
 * the session (triggers, rules, views, foreign tables, on any table it reaches; event
 * triggers for DDL)? 1 also when unknown (c NULL, a relation the catalog does not know). */
int cap_pqcat_runs_code(cap_pqcat *c, const cap_sql_info *info);

/* The callbacks session.c uses. */
extern const cap_catalog_ops cap_pqcat_ops;

#endif

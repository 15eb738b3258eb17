/*
 * mysql_catalog.h - what the Connector/C hooks need from a MySQL/MariaDB server's
 * information_schema: which names are views (and their base tables), sequences or tables of
 * engines whose data lives elsewhere; which tables have triggers (a write to them may change
 * anything in the database); which foreign keys cascade (a write to the parent changes the
 * child); which views call stored functions (never cacheable, and reading them may write);
 * which tables have virtual columns computed by something not deterministic (never
 * cacheable).
 *
 * It is loaded once per (server, user, database) in each process through a short-lived
 * SEPARATE connection opened with the program connection's own host, port, socket, user,
 * password and database (MYSQL's public fields), so the program's session and transaction
 * are never touched; and reloaded when any process ran DDL (session.h's catalog generation).
 * When it cannot be loaded the hooks cache no reads and every write invalidates everything the
 * MySQL scope holds.
 */
#ifndef CAP_MYSQL_CATALOG_H
#define CAP_MYSQL_CATALOG_H

#include "hooks/session.h"

#include <mysql.h>

typedef struct cap_mycat cap_mycat;

/* cap_mycat_get - the catalog for conn's server, user and database, loading or reloading it
 * when needed; NULL when unavailable (then retried at most every few seconds). *held is the
 * reference the caller keeps between statements (released with cap_mycat_release). */
cap_mycat *cap_mycat_get(const cap_rt *rt, MYSQL *conn, const cap_sess *s, cap_mycat **held);
void cap_mycat_release(cap_mycat *c);

/* Credentials. The catalog connection logs in with the program connection's user and
 * password; a login refused for them (wrong or expired password, blocked account or host) is
 * never tried again in this process, nor once the program ran a statement that may have
 * changed them: a server with max_password_errors would otherwise block the account for
 * everyone. cap_mycat_creds_dead - conn's credentials may no longer be valid.
 * cap_mycat_may_change_creds - may the statement sql[0..len) (classified in info) change an
 * account's password or name? */
void cap_mycat_creds_dead(const MYSQL *conn);
int cap_mycat_may_change_creds(const cap_sql_info *info, const char *sql, size_t len);

/* cap_mycat_write_runs_code - may the write described by info (of session s) fire a trigger
 * (or one the user cannot see) on a table it reaches? Names the catalog lacks count, except
 * the session's own temporary tables (no trigger can be on one); no catalog: every write. */
int cap_mycat_write_runs_code(const cap_mycat *c, const cap_sess *s, const cap_sql_info *info);

/* The callbacks session.c uses. */
extern const cap_catalog_ops cap_mycat_ops;

#endif

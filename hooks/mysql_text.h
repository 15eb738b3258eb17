/*
 * mysql_text.h - the text path of the Connector/C hooks (hooks/mysql.c): one statement sent
 * as text, through the query driver (hooks/exec). mysql_send_query (hooks/mysql_async) takes
 * it too, with the statement's end accounted in mysql_read_query_result.
 */
#ifndef CAP_MYSQL_TEXT_H
#define CAP_MYSQL_TEXT_H

#include "hooks/mysql_conn.h"

/* How a statement reaches the server: the text API or one of the calls that send a fixed
 * statement (mysql_commit, mysql_rollback, mysql_autocommit). Returns 0 on success. */
typedef int (*my_run_fn)(MYSQL *m, const char *sql, unsigned long len, int arg);

/* cap_my_text - the text path: mysql_real_query, mysql_query, the fixed-statement calls.
 * With send_only (mysql_send_query) the statement's end is accounted in
 * mysql_read_query_result. */
int cap_my_text(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, my_run_fn fn,
		int arg, int send_only);

#endif

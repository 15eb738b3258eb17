/*
 * mysql_text.h - one statement through the Connector/C hooks (hooks/mysql.c): plan, run,
 * account, record. The text path is cap_my_text; prepared statements (hooks/mysql_stmt) and
 * mysql_send_query (hooks/mysql_async) share its planning and accounting.
 */
#ifndef CAP_MYSQL_TEXT_H
#define CAP_MYSQL_TEXT_H

#include "hooks/mysql_conn.h"
#include "cache/stats.h"

/* How a statement reaches the server: the text API or one of the calls that send a fixed
 * statement (mysql_commit, mysql_rollback, mysql_autocommit). Returns 0 on success. */
typedef int (*my_run_fn)(MYSQL *m, const char *sql, unsigned long len, int arg);

/* cap_my_text - the text path: mysql_real_query, mysql_query, the fixed-statement calls.
 * With send_only (mysql_send_query) the statement's end is accounted in
 * mysql_read_query_result. */
int cap_my_text(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, my_run_fn fn,
		int arg, int send_only);
/* cap_my_plan - classify sql and decide (reading the session back first when needed); when
 * the statement may read the diagnostics of a text hit before it, run that one for real. */
void cap_my_plan(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, cap_sql_info *info,
		 cap_plan *plan);
/* cap_my_miss_deps - on a miss of a plan that may fill, read the generations the entry will
 * depend on, before the statement is sent (the plan is made with lazy dependencies). */
void cap_my_miss_deps(const cap_rt *rt, my_conn *mc, const cap_sql_info *info, cap_plan *plan);
/* cap_my_after - bookkeeping after a statement ran on the server. */
void cap_my_after(const cap_rt *rt, my_conn *mc, const cap_sql_info *info, const cap_plan *plan,
		  const char *sql, size_t len, int ok);
/* cap_my_record - the statement's line in the statistics. */
void cap_my_record(enum cap_path path, const cap_plan *plan, const cap_sql_info *info,
		   const char *sql, size_t len, uint64_t t0);
/* cap_my_pass_path - the statistics path of a statement that was not looked up. */
enum cap_path cap_my_pass_path(const cap_plan *plan);
/* cap_my_has_word - does a case-insensitive needle occur in s[0..n)? */
int cap_my_has_word(const char *s, size_t n, const char *needle);

#endif

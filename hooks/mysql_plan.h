/*
 * mysql_plan.h - what the Connector/C hooks do before and after any statement, text or
 * prepared (hooks/mysql_plan.c): classify and decide, read the dependencies on a miss, and
 * the bookkeeping after the server ran it. The statement pipeline itself is hooks/exec's;
 * the text path (hooks/mysql.c), mysql_send_query (hooks/mysql_async) and prepared
 * statements (hooks/mysql_stmt) call these from their ports, and these call nothing above.
 */
#ifndef CAP_MYSQL_PLAN_H
#define CAP_MYSQL_PLAN_H

#include "hooks/mysql_conn.h"

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
/* cap_my_connected - m has just connected (mysql_real_connect succeeded): account the
 * statements the library ran on it by itself (its init commands, hooks/mysql_init). */
void cap_my_connected(const cap_rt *rt, MYSQL *m);

#endif

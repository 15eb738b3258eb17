/*
 * mysql_async.c - mysql_send_query / mysql_read_query_result, and the non-blocking API (the
 * _start and _cont functions) of the Connector/C hooks.
 *
 * mysql_send_query takes the text path (hooks/mysql.c) with the statement's end accounted in
 * mysql_read_query_result. A hit through mysql_send_query must still make the socket
 * readable: a program may wait on it before it calls mysql_read_query_result (Ruby's mysql2,
 * event loops). The hit sends a COM_PING the way Connector/C's own mysql_send_query sends its
 * COM_QUERY, and mysql_read_query_result reads the ping's answer before it reports the hit.
 *
 * The non-blocking API is wrapped to raise the re-entrancy guard around the coroutine (it
 * calls our other hooks from inside) and to invalidate: a connection that uses it is no longer
 * cached, and every statement it sends that may write bumps the MySQL scope when sent and
 * again when it completes. Every _start that sends a command first makes a mysql_send_query
 * hit not read yet give way to its statement (cap_my_give_way), as the blocking calls do: the
 * coroutine would otherwise read the second statement's answer as the first's, and the
 * program then wait for an answer never asked of the server. A hit already served is
 * collected through the non-blocking calls as through the blocking ones (they find no
 * fields of the library's own and would leave the connection waiting for rows).
 */
#include "hooks/mysql_conn.h"
#include "hooks/mysql_result.h"
#include "hooks/mysql_stmt_hit.h"
#include "hooks/mysql_text.h"
#include "hooks/exec.h"
#include "hooks/mysql_plan.h"

#include <stdlib.h>
#include <string.h>

static int run_send_query(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)arg;
	return cap_my.real_mysql_send_query(m, sql, len);
}

CAP_EXPORT int mysql_send_query(MYSQL *m, const char *q, unsigned long length)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL || q == NULL)
		return cap_my.real_mysql_send_query ? CAP_REAL(cap_my.real_mysql_send_query(m, q, length)) : -1;
	size_t len = length == (unsigned long)-1 ? strlen(q) : length;
	my_conn *mc = cap_my_find(m, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.real_mysql_send_query(m, q, length));
		cap_my_no_state_bump(rt, q, len);
		return rc;
	}
	return cap_my_text(rt, mc, q, len, run_send_query, 0, 1);
}

CAP_EXPORT my_bool mysql_read_query_result(MYSQL *m)
{
	const cap_rt *rt;
	/* also inside the non-blocking API, whose coroutine would wait on the wire */
	if (cap_my_st_refuse(m))
		return 1;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_read_query_result ? CAP_REAL(cap_my.real_mysql_read_query_result(m)) : 1;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && mc->sq_hit) {
		mc->sq_hit = 0;
		my_bool rc = 0;
		if (mc->sq_held) { /* nothing was sent */
			cap_wait_release(mc->sq_fd);
			mc->sq_held = 0;
		} else {
			unsigned long long id = m->insert_id; /* a ping's OK zeroes it; a SELECT not */
			rc = CAP_REAL(cap_my.real_mysql_read_query_result(m));
			m->insert_id = id;
		}
		if (rc || mc->pend == NULL) {
			cap_my_free_res(mc->pend);
			mc->pend = NULL;
			return rc ? rc : 1;
		}
		cap_my_set_hit_state(m, mc->pend->field_count);
		cap_my_set_hit_status(m, mc->sq_status);
		cap_sess_stmt_end(&mc->sess, NULL, NULL, 1, cap_my_server_in_trans(m));
		return 0;
	}
	if (mc && mc->sq_unread)
		mc->sq_unread--;
	if (mc == NULL || !mc->sq_active)
		return CAP_REAL(cap_my.real_mysql_read_query_result(m));
	my_bool rc = CAP_REAL(cap_my.real_mysql_read_query_result(m));
	int ok = rc == 0;
	cap_plan *plan = &mc->sq_plan;
	if (plan->act == CAP_ACT_CACHE) {
		if (ok && m->field_count > 0 && mc->sq_keyed)
			mc->fill = 1;
		else if (!ok)
			plan->reason = CAP_REASON_error;
		if (mc->fill)
			mc->fill_plan = *plan;
	}
	cap_my_after(rt, mc, mc->sq_info, plan, mc->sq_sql, mc->sq_len, ok);
	cap_exec_record(CAP_DIALECT_MYSQL, cap_exec_end_path(plan), plan, mc->sq_info->digest,
			mc->sq_sql, mc->sq_len, mc->sq_t0);
	free(mc->sq_sql);
	mc->sq_sql = NULL;
	mc->sq_active = 0;
	return rc;
}

/* ---- the non-blocking API ------------------------------------------------------------------------ */

/* A non-blocking statement starts on m: the connection is no longer cached; what may write
 * is bumped now and again when it completes. sql NULL: unknown. */
static void async_note(MYSQL *m, const char *sql, size_t len)
{
	const cap_rt *rt;
	if (m == NULL || cap_my_bypass(&rt))
		return;
	my_conn *mc = cap_my_find(m, 1);
	if (mc == NULL) {
		cap_engine_bump_all(rt->engine);
		return;
	}
	if (CAP_UNLIKELY(mc->sq_hit))
		cap_my_give_way(mc);
	cap_sql_info *info = cap_sess_info();
	enum cap_sql_kind k = sql ? cap_sql_classify(CAP_DIALECT_MYSQL, sql, len, info) : CAP_SQL_OTHER;
	if (sql && cap_my_text_unreadable(mc, sql, len)) {
		cap_sql_unknown(info);
		k = CAP_SQL_OTHER;
	}
	/* a statement that reads the diagnostics after a text hit: the hit's statement runs
	 * for real first, as on the blocking path (its result gone before the library looks) */
	if (sql && mc->replay_on)
		cap_my_replay_before(mc, info, sql, len);
	mc->replay_on = 0;
	cap_my_stmt_reset(mc);
	mc->sess.disabled = 1;
	int plain = k == CAP_SQL_READ || k == CAP_SQL_EMPTY ||
		    (k == CAP_SQL_READ_NOCACHE && !(info->reasons & CAP_SQLR_FUNCTION));
	if (!plain) {
		cap_sess_mark_db(rt, &mc->sess); /* bumps the database, too */
		mc->async_dirty = 1;
		if (cap_my_in_txn_before(m)) {
			mc->sess.wset_db = 1;
			mc->sess.txn_tainted = 1;
		}
	}
}

static void async_done(MYSQL *m)
{
	const cap_rt *rt;
	if (m == NULL || cap_my_bypass(&rt))
		return;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && mc->async_dirty) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		mc->async_dirty = 0;
		if (!cap_my_server_in_trans(m))
			cap_sess_unmark(rt, &mc->sess);
	}
}

static void async_gone(MYSQL *m)
{
	if (m && !cap_guard && cap_my_resolve()) {
		cap_my_remove(m);
		cap_my_use_forget_conn(m);
		cap_wait_forget(m->net.fd);
	}
}

static void async_stmt_forget(MYSQL_STMT *st)
{
	if (st && !cap_guard)
		cap_my_st_forget(st);
}

/* A non-blocking execution: the statement leaves any hit's state first (the library's
 * execute must find nothing of ours to flush). */
static void async_stmt_exec(MYSQL_STMT *st)
{
	if (st && !cap_guard && cap_my_resolve())
		cap_my_st_drop(st);
	async_note(st ? st->mysql : NULL, NULL, 0);
}

/* mysql_read_query_result_start after a mysql_send_query hit: the coroutine would read the
 * ping's answer as the statement's, or wait for an answer to nothing. Read the ping's answer
 * here (it is on its way), and send the statement for real: the program reads the server's
 * own result. */
static void async_rqr(MYSQL *m)
{
	if (m == NULL || !cap_my_resolve())
		return;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && !mc->sq_hit && mc->sq_unread)
		mc->sq_unread--; /* it reads the answer to a statement sent for real */
	if (mc == NULL || !mc->sq_hit)
		return;
	mc->sq_hit = 0;
	cap_my_free_res(mc->pend);
	mc->pend = NULL;
	mc->replay_on = 0;
	int held = mc->sq_held;
	if (held)
		cap_wait_release(mc->sq_fd);
	mc->sq_held = 0;
	unsigned long long id = m->insert_id;
	if (held || CAP_REAL(cap_my.real_mysql_read_query_result(m)) == 0)
		CAP_REAL(cap_my.real_mysql_send_query(m, (const char *)mc->replay.data,
						 (unsigned long)mc->replay.len));
	m->insert_id = id;
}

static void async_res_forget(MYSQL_RES *r)
{
	cap_my_use_forget_res(r);
}

/* mysql_store_result_start after a text hit: the hit's result, done at once (1). */
static int async_store_hit(MYSQL_RES **r, MYSQL *m)
{
	if (r == NULL || m == NULL || !cap_my_resolve())
		return 0;
	my_conn *mc = cap_my_find(m, 0);
	if (mc == NULL || mc->pend == NULL || mc->sq_hit)
		return 0;
	*r = cap_my_store_hit(mc);
	return 1;
}

/* mysql_fetch_row_start on a result with nothing left on the wire (stored, or a hit): the
 * library calls mysql_fetch_row directly; here outside the guard, so that a hit handed to
 * mysql_use_result counts its rows and frees its connection at the end (1: done). */
static int async_fetch_local(MYSQL_ROW *r, MYSQL_RES *res)
{
	if (r == NULL || res == NULL || res->handle != NULL)
		return 0;
	*r = mysql_fetch_row(res);
	return 1;
}

/* mysql_next_result_start with a text hit pending: what mysql_next_result says then. */
static int async_next_hit(int *r, MYSQL *m)
{
	if (r == NULL || m == NULL || !cap_my_resolve())
		return 0;
	my_conn *mc = cap_my_find(m, 0);
	if (mc == NULL || mc->pend == NULL)
		return 0;
	*r = mysql_next_result(m);
	return 1;
}

#define SQLN(q) (q), ((q) ? strlen(q) : 0)
#define STM(st) ((st) ? (st)->mysql : NULL)
#define GIVE_WAY(m) cap_my_give_way_m(m)

/* X(name, params, args, before, conn_on_done): before runs ahead of the real call (and may
 * answer it: return 0, done), conn_on_done is the connection to account when the call
 * reports completion (0). */
#define CAP_MY_ASYNC(X)                                                                           \
	X(mysql_close_start, (MYSQL * m), (m), async_gone(m), NULL)                                 \
	X(mysql_close_cont, (MYSQL * m, int s), (m, s), (void)0, NULL)                              \
	X(mysql_commit_start, (my_bool * r, MYSQL * m), (r, m), async_note(m, SQLN("COMMIT")), m)   \
	X(mysql_commit_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)                \
	X(mysql_rollback_start, (my_bool * r, MYSQL * m), (r, m), async_note(m, SQLN("ROLLBACK")), m) \
	X(mysql_rollback_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)              \
	X(mysql_autocommit_start, (my_bool * r, MYSQL * m, my_bool a), (r, m, a),                   \
	  async_note(m, NULL, 0), m)                                                                \
	X(mysql_autocommit_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)            \
	X(mysql_next_result_start, (int *r, MYSQL *m), (r, m),                                      \
	  if (async_next_hit(r, m)) return 0; async_note(m, NULL, 0), m)                            \
	X(mysql_next_result_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                 \
	X(mysql_select_db_start, (int *r, MYSQL *m, const char *d), (r, m, d), async_note(m, NULL, 0), m) \
	X(mysql_select_db_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                   \
	X(mysql_set_character_set_start, (int *r, MYSQL *m, const char *c), (r, m, c),              \
	  async_note(m, NULL, 0), m)                                                                \
	X(mysql_set_character_set_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)           \
	X(mysql_change_user_start, (my_bool * r, MYSQL * m, const char *u, const char *p,           \
				    const char *d), (r, m, u, p, d), async_note(m, NULL, 0), m)     \
	X(mysql_change_user_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)           \
	X(mysql_real_connect_start, (MYSQL * *r, MYSQL * m, const char *h, const char *u,           \
				     const char *p, const char *d, unsigned int port,               \
				     const char *sock, unsigned long fl),                           \
	  (r, m, h, u, p, d, port, sock, fl), async_note(m, NULL, 0), m)                            \
	X(mysql_real_connect_cont, (MYSQL * *r, MYSQL * m, int s), (r, m, s), (void)0, m)           \
	X(mysql_query_start, (int *r, MYSQL *m, const char *q), (r, m, q), async_note(m, SQLN(q)), m) \
	X(mysql_query_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                       \
	X(mysql_send_query_start, (int *r, MYSQL *m, const char *q, unsigned long n), (r, m, q, n), \
	  async_note(m, q, q ? (n == (unsigned long)-1 ? strlen(q) : n) : 0), m)                    \
	X(mysql_send_query_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                  \
	X(mysql_real_query_start, (int *r, MYSQL *m, const char *q, unsigned long n), (r, m, q, n), \
	  async_note(m, q, q ? (n == (unsigned long)-1 ? strlen(q) : n) : 0), m)                    \
	X(mysql_real_query_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                  \
	X(mysql_read_query_result_start, (my_bool * r, MYSQL * m), (r, m), async_rqr(m), m)         \
	X(mysql_read_query_result_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)     \
	X(mysql_store_result_start, (MYSQL_RES * *r, MYSQL * m), (r, m),                            \
	  if (async_store_hit(r, m)) return 0, NULL)                                                \
	X(mysql_store_result_cont, (MYSQL_RES * *r, MYSQL * m, int s), (r, m, s), (void)0, NULL)    \
	X(mysql_reset_connection_start, (int *r, MYSQL *m), (r, m), async_note(m, NULL, 0), m)      \
	X(mysql_reset_connection_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)            \
	X(mysql_free_result_start, (MYSQL_RES * res), (res), async_res_forget(res), NULL)           \
	X(mysql_free_result_cont, (MYSQL_RES * res, int s), (res, s), (void)0, NULL)                \
	X(mysql_fetch_row_start, (MYSQL_ROW * r, MYSQL_RES * res), (r, res),                        \
	  if (async_fetch_local(r, res)) return 0, NULL)                                            \
	X(mysql_fetch_row_cont, (MYSQL_ROW * r, MYSQL_RES * res, int s), (r, res, s), (void)0, NULL) \
	X(mysql_stmt_prepare_start, (int *r, MYSQL_STMT *st, const char *q, unsigned long n),       \
	  (r, st, q, n), async_stmt_forget(st); GIVE_WAY(STM(st)), NULL)                            \
	X(mysql_stmt_prepare_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, NULL)      \
	X(mysql_stmt_execute_start, (int *r, MYSQL_STMT *st), (r, st), async_stmt_exec(st),         \
	  STM(st))                                                                                  \
	X(mysql_stmt_execute_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, STM(st))   \
	X(mysql_stmt_next_result_start, (int *r, MYSQL_STMT *st), (r, st),                          \
	  async_note(STM(st), NULL, 0), STM(st))                                                    \
	X(mysql_stmt_next_result_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, STM(st)) \
	X(mysql_stmt_fetch_start, (int *r, MYSQL_STMT *st), (r, st), (void)0, NULL)                 \
	X(mysql_stmt_fetch_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, NULL)        \
	X(mysql_stmt_store_result_start, (int *r, MYSQL_STMT *st), (r, st), (void)0, NULL)          \
	X(mysql_stmt_store_result_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, NULL) \
	X(mysql_stmt_close_start, (my_bool * r, MYSQL_STMT * st), (r, st),                          \
	  async_stmt_forget(st); GIVE_WAY(STM(st)), NULL)                                           \
	X(mysql_stmt_close_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL)  \
	X(mysql_stmt_reset_start, (my_bool * r, MYSQL_STMT * st), (r, st), GIVE_WAY(STM(st)), NULL) \
	X(mysql_stmt_reset_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL)  \
	X(mysql_stmt_free_result_start, (my_bool * r, MYSQL_STMT * st), (r, st), (void)0, NULL)     \
	X(mysql_stmt_free_result_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL) \
	X(mysql_stmt_send_long_data_start, (my_bool * r, MYSQL_STMT * st, unsigned int i,           \
					    const char *d, unsigned long n), (r, st, i, d, n),      \
	  (void)0, NULL)                                                                            \
	X(mysql_stmt_send_long_data_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL) \
	X(mysql_ping_start, (int *r, MYSQL *m), (r, m), GIVE_WAY(m), NULL)                          \
	X(mysql_ping_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, NULL)                     \
	X(mysql_list_fields_start, (MYSQL_RES * *r, MYSQL * m, const char *t, const char *w),       \
	  (r, m, t, w), GIVE_WAY(m), NULL)                                                          \
	X(mysql_list_fields_cont, (MYSQL_RES * *r, MYSQL * m, int s), (r, m, s), (void)0, NULL)     \
	X(mysql_stat_start, (const char **r, MYSQL *m), (r, m), GIVE_WAY(m), NULL)                  \
	X(mysql_stat_cont, (const char **r, MYSQL *m, int s), (r, m, s), (void)0, NULL)             \
	X(mysql_dump_debug_info_start, (int *r, MYSQL *m), (r, m), GIVE_WAY(m), NULL)               \
	X(mysql_dump_debug_info_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, NULL)          \
	X(mysql_kill_start, (int *r, MYSQL *m, unsigned long pid), (r, m, pid), GIVE_WAY(m), NULL)  \
	X(mysql_kill_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, NULL)                     \
	X(mysql_shutdown_start, (int *r, MYSQL *m, enum mysql_enum_shutdown_level l), (r, m, l),    \
	  GIVE_WAY(m), NULL)                                                                        \
	X(mysql_shutdown_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, NULL)                 \
	X(mysql_set_server_option_start, (int *r, MYSQL *m, enum enum_mysql_set_option o),          \
	  (r, m, o), GIVE_WAY(m), NULL)                                                             \
	X(mysql_set_server_option_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, NULL)        \
	X(mysql_refresh_start, (int *r, MYSQL *m, unsigned int o), (r, m, o),                       \
	  async_note(m, NULL, 0), m) /* FLUSH: may end a transaction */                            \
	X(mysql_refresh_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)

#define CAP_MY_ASYNC_PTR(name, params, args, before, conn) static int(*real_##name) params;
CAP_MY_ASYNC(CAP_MY_ASYNC_PTR)
#undef CAP_MY_ASYNC_PTR

static pthread_once_t async_once = PTHREAD_ONCE_INIT;

static void async_resolve_once(void)
{
#define CAP_MY_ASYNC_RES(name, params, args, before, conn) \
	real_##name = (int(*) params)cap_my_sym(#name);
	CAP_MY_ASYNC(CAP_MY_ASYNC_RES)
#undef CAP_MY_ASYNC_RES
}

#define CAP_MY_ASYNC_DEF(name, params, args, before, conn)                            \
	CAP_EXPORT int name params                                                    \
	{                                                                             \
		pthread_once(&async_once, async_resolve_once);                        \
		if (real_##name == NULL)                                              \
			return 0;                                                     \
		if (!cap_guard) {                                                     \
			before;                                                       \
		}                                                                     \
		int rc_ = CAP_REAL(real_##name args);                                 \
		if (rc_ == 0 && !cap_guard)                                           \
			async_done(conn);                                             \
		return rc_;                                                           \
	}
CAP_MY_ASYNC(CAP_MY_ASYNC_DEF)
#undef CAP_MY_ASYNC_DEF


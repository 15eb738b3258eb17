/*
 * mysql.c - the Connector/C hooks (libmariadb, libmysqlclient): mysql_real_query and
 * friends, answered from the cache when they may be. This file: resolving the real library,
 * the text path, and the interposed functions of the connection's life (commit, rollback,
 * autocommit, select_db, change_user, reset, connect, close). Beside it: the connection table
 * (mysql_conn), the session probe (mysql_probe), results and diagnostics (mysql_result),
 * prepared statements (mysql_stmt), mysql_send_query and the non-blocking API (mysql_async).
 *
 * Every interposed function starts the same way: when the re-entrancy guard is up
 * (Connector/C calling its own exported function - mysql_query calls mysql_real_query,
 * mysql_commit calls mysql_real_query - from inside a real call we made) or Capacitor is off,
 * the real function runs untouched. Otherwise the statement is classified (cache/sql, MySQL
 * dialect), the connection's session state decides (hooks/session), and:
 *
 *  - a cacheable read is looked up; a hit is served without a round trip (mysql_result), a
 *    miss reads the generations it depends on, runs the real function, and its result is
 *    stored when the program stores it.
 *  - anything else runs for real, and what it may have changed is invalidated afterwards
 *    (at COMMIT/ROLLBACK again: session.c keeps the transaction's write set).
 *
 * Transactions: the connection is in a transaction when the server says so
 * (SERVER_STATUS_IN_TRANS) or when autocommit is off (SERVER_STATUS_AUTOCOMMIT clear): then
 * the next statement opens one implicitly and must not mix cached data into its snapshot.
 * session.c follows MySQL's isolation rules (cap_sess_stmt_begin / cap_sess_stmt_end) and
 * says when the session must be read back (mysql_probe).
 *
 * Database scope: a MySQL statement may name any database (db.table), so a write whose tables
 * are unknown invalidates every MySQL entry (one scope for all MySQL databases), never only
 * the current database's. Multi-statement strings and multi-result CALLs pass through; when
 * one may write, every mysql_next_result bumps again (the server runs the later statements
 * while the program reads).
 */
#include "hooks/mysql_text.h"
#include "hooks/exec.h"
#include "hooks/mysql_plan.h"
#include "hooks/mysql_result.h"
#include "hooks/mysql_stmt_hit.h"
#include "cache/log.h"
#include "preload/resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A hit through mysql_send_query must still wake a program that waits on the socket before
 * it calls mysql_read_query_result (Ruby's mysql2, event loops). The program's waits report
 * the socket readable while the hit is held (preload/waits.h): no round trip. Where they
 * cannot promise that (another thread already blocked on the socket), the hit sends a
 * COM_PING the way Connector/C's own mysql_send_query sends its COM_QUERY (the library's
 * command method, answer not read), and mysql_read_query_result reads the ping's answer
 * before it reports the hit: one round trip, no statement run. Only with the Connector/C
 * release the hooks were built for (the method table's layout) and a live connection;
 * otherwise mysql_send_query does not hit. */
static int can_wake(const MYSQL *m)
{
	return cap_my_st_abi_ok() && m->net.pvio != NULL && m->methods != NULL &&
	       m->methods->db_command != NULL;
}

static int run_real_query(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)arg;
	return cap_my.real_mysql_real_query(m, sql, len);
}

static int run_commit(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)sql;
	(void)len;
	(void)arg;
	return cap_my.real_mysql_commit(m) ? 1 : 0;
}

static int run_rollback(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)sql;
	(void)len;
	(void)arg;
	return cap_my.real_mysql_rollback(m) ? 1 : 0;
}

static int run_autocommit(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)sql;
	(void)len;
	return cap_my.real_mysql_autocommit(m, (my_bool)arg) ? 1 : 0;
}

static int run_refresh(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)sql;
	(void)len;
	return cap_my.real_mysql_refresh(m, (unsigned int)arg);
}

/* ---- the text path: the query driver's port (hooks/exec) -------------------------------- */

typedef struct my_x {
	cap_exec x;              /* first */
	my_conn *mc;
	my_run_fn fn;
	int arg;
	int send_only;
	int rc;                  /* the program's answer */
	my_hit h;                /* the decoded hit */
} my_x;

static void mx_plan(cap_exec *x)
{
	my_x *c = (my_x *)x;
	cap_my_plan(x->rt, c->mc, x->sql, x->sql_len, x->info, &x->plan);
}

static int mx_key(cap_exec *x, cap_keymat *km)
{
	my_x *c = (my_x *)x;
	cap_sess_key(&c->mc->sess, km);
	cap_keymat_add(km, x->sql, x->sql_len);
	cap_keymat_add_u64(km, MY_PROTO_TEXT);
	return cap_keymat_finish(km, &x->key) == CAP_OK ? 0 : -1;
}

static int mx_can_hit(cap_exec *x)
{
	my_x *c = (my_x *)x;
	MYSQL *m = c->mc->m;
	return cap_my_can_serve(m) && c->mc->sq_unread == 0 &&
	       !cap_my_closed(c->mc) &&
	       cap_my_session_alive(c->mc, cap_now_ns()) &&
	       (!c->send_only || can_wake(m));
}

static int mx_decode(void *arg, const void *val, size_t len)
{
	return cap_my_hit_cb(&((my_x *)arg)->h, val, len);
}

static int mx_serve(cap_exec *x)
{
	my_x *c = (my_x *)x;
	my_conn *mc = c->mc;
	MYSQL *m = mc->m;
	if (CAP_UNLIKELY(!cap_my_wire_fits(m, c->h.wire.pkt_max, c->h.wire.total))) {
		cap_my_free_res(c->h.res); /* the library would refuse the server's answer */
		return CAP_EXEC_NOT_SERVED;
	}
	if (c->send_only) {
		/* the text is kept first: a statement sent before the hit is read makes it give
		 * way to its statement (cap_my_give_way), which must then be there to send */
		cap_my_replay_note(mc, x->sql, x->sql_len);
		if (!mc->replay_on) {
			cap_my_free_res(c->h.res);
			return CAP_EXEC_NOT_SERVED;
		}
	}
	int held = c->send_only && cap_wait_hold(m->net.fd);
	if (held) {
		/* as the library leaves the connection when it sends a command (the ping does
		 * the same) */
		m->info = NULL;
		m->affected_rows = ~0ULL;
		m->net.last_errno = 0;
		m->net.last_error[0] = '\0';
		strcpy(m->net.sqlstate, "00000");
	}
	if (c->send_only && !held &&
	    CAP_REAL(m->methods->db_command(m, COM_PING, NULL, 0, 1, NULL)) != 0) {
		cap_my_free_res(c->h.res); /* the connection failed: the real send says so */
		mc->replay_on = 0;
		return CAP_EXEC_NOT_SERVED;
	}
	mc->pend = c->h.res;
	mc->diag_own = 1; /* the program expects its statement's diagnostics now */
	if (c->send_only) {
		/* mysql_read_query_result reads the ping's answer (if one was sent), then
		 * reports the hit */
		mc->sq_hit = 1;
		mc->sq_held = held;
		mc->sq_fd = m->net.fd;
		mc->sq_status = c->h.status;
	} else {
		cap_my_set_hit_state(m, c->h.res->field_count);
		cap_my_set_hit_status(m, c->h.status);
		/* a result waits to be read, as after the real query */
		if (c->h.res->field_count)
			m->status = MYSQL_STATUS_GET_RESULT;
		cap_sess_stmt_end(&mc->sess, x->info, &x->plan, 1, cap_my_server_in_trans(m));
		cap_my_replay_note(mc, x->sql, x->sql_len);
	}
	c->rc = 0;
	return CAP_EXEC_SERVED;
}

static void mx_miss(cap_exec *x)
{
	cap_my_miss_deps(x->rt, ((my_x *)x)->mc, x->info, &x->plan);
}

/* mysql_send_query: the statement is remembered until mysql_read_query_result. */
static int mx_send(my_x *c)
{
	cap_exec *x = &c->x;
	my_conn *mc = c->mc;
	MYSQL *m = mc->m;
	const char *sql = x->sql;
	size_t len = x->sql_len;
	if (mc->sq_info == NULL)
		mc->sq_info = malloc(sizeof(*mc->sq_info));
	mc->sq_sql = mc->sq_info ? malloc(len + 1) : NULL;
	if (mc->sq_sql == NULL) {
		cap_fail_open("tracking mysql_send_query", CAP_ENOMEM);
		cap_engine_bump_db(x->rt->engine, mc->sess.scope);
		mc->sess.disabled = 1;
		c->rc = CAP_REAL(c->fn(m, sql, (unsigned long)len, c->arg));
		return CAP_EXEC_ABORT;
	}
	memcpy(mc->sq_sql, sql, len);
	mc->sq_sql[len] = '\0';
	mc->sq_len = len;
	memcpy(mc->sq_info, x->info, sizeof(*x->info));
	mc->sq_plan = x->plan;
	mc->sq_t0 = x->t0;
	mc->sq_keyed = 0;
	if (x->keyed && x->plan.can_fill) {
		cap_my_remember_fill(mc, &x->key, &x->plan, x->info->digest);
		mc->sq_keyed = mc->fill;
		mc->fill = 0;
	}
	c->rc = CAP_REAL(c->fn(m, sql, (unsigned long)len, c->arg));
	if (c->rc != 0) {
		cap_my_after(x->rt, mc, mc->sq_info, &mc->sq_plan, sql, len, 0);
		free(mc->sq_sql);
		mc->sq_sql = NULL;
		return CAP_EXEC_ABORT;
	}
	mc->sq_active = 1;
	mc->sq_unread++;
	return CAP_EXEC_LATER;
}

static int mx_run(cap_exec *x)
{
	my_x *c = (my_x *)x;
	if (c->send_only)
		return mx_send(c);
	c->rc = CAP_REAL(c->fn(c->mc->m, x->sql, (unsigned long)x->sql_len, c->arg));
	x->ok = c->rc == 0;
	return CAP_EXEC_RAN;
}

/* mysql_store_result stores the result of a miss (cap_my_remember_fill). */
static void mx_fill(cap_exec *x)
{
	my_x *c = (my_x *)x;
	if (x->ok && c->mc->m->field_count > 0 && x->plan.can_fill)
		cap_my_remember_fill(c->mc, &x->key, &x->plan, x->info->digest);
	else if (!x->ok)
		x->plan.reason = CAP_REASON_error;
}

static void mx_after(cap_exec *x)
{
	cap_my_after(x->rt, ((my_x *)x)->mc, x->info, &x->plan, x->sql, x->sql_len, x->ok);
}

static const cap_exec_port my_text_port = {
	.dialect = CAP_DIALECT_MYSQL,
	.decoding = "decoding a cached MySQL result",
	.plan = mx_plan,
	.key = mx_key,
	.can_hit = mx_can_hit,
	.decode = mx_decode,
	.serve = mx_serve,
	.miss = mx_miss,
	.run = mx_run,
	.fill = mx_fill,
	.after = mx_after,
};

int cap_my_text(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, my_run_fn fn,
		int arg, int send_only)
{
	MYSQL *m = mc->m;
	if (CAP_UNLIKELY(mc->sq_hit))
		cap_my_give_way(mc);
	if (CAP_UNLIKELY(mc->pend && !mc->sq_hit && m->status == MYSQL_STATUS_GET_RESULT)) {
		/* a hit the program has not read: Connector/C refuses another command ("commands
		 * out of sync"), after which the result is gone and the connection stays out of
		 * sync; the real call does all that (there are no real fields to free) */
		int rc = CAP_REAL(fn(m, sql, (unsigned long)len, arg));
		cap_my_stmt_reset(mc);
		return rc;
	}
	cap_my_stmt_start(rt, mc);
	my_x c;
	cap_exec_start(&c.x, &my_text_port, rt, sql, len);
	c.mc = mc;
	c.fn = fn;
	c.arg = arg;
	c.send_only = send_only;
	c.rc = -1;
	cap_exec_run(&c.x);
	return c.rc;
}

CAP_EXPORT int mysql_real_query(MYSQL *m, const char *q, unsigned long length)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL || q == NULL)
		return cap_my.real_mysql_real_query ? CAP_REAL(cap_my.real_mysql_real_query(m, q, length)) : -1;
	size_t len = length == (unsigned long)-1 ? strlen(q) : length;
	my_conn *mc = cap_my_find(m, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.real_mysql_real_query(m, q, length));
		cap_my_no_state_bump(rt, q, len);
		return rc;
	}
	return cap_my_text(rt, mc, q, len, run_real_query, 0, 0);
}

CAP_EXPORT int mysql_query(MYSQL *m, const char *q)
{
	if (q == NULL)
		return mysql_real_query(m, q, 0);
	return mysql_real_query(m, q, (unsigned long)strlen(q));
}

CAP_EXPORT int mysql_next_result(MYSQL *m)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_next_result ? CAP_REAL(cap_my.real_mysql_next_result(m)) : -1;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && mc->pend) {
		/* a hit has exactly one result: the library answers (unread: "out of sync"; read:
		 * no more results) without reading the wire */
		if (m->status == MYSQL_STATUS_READY)
			m->server_status &= ~(unsigned)SERVER_MORE_RESULTS_EXIST;
		return CAP_REAL(cap_my.real_mysql_next_result(m));
	}
	int rc = CAP_REAL(cap_my.real_mysql_next_result(m));
	if (mc && mc->multi_dirty) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		if (!(m->server_status & SERVER_MORE_RESULTS_EXIST)) {
			mc->multi_dirty = 0;
			mc->sess.mark_keep = 0;
			if (!cap_my_server_in_trans(m))
				cap_sess_unmark(rt, &mc->sess);
		}
	}
	return rc;
}

CAP_EXPORT my_bool mysql_commit(MYSQL *m)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_commit ? CAP_REAL(cap_my.real_mysql_commit(m)) : 1;
	my_conn *mc = cap_my_find(m, 1);
	if (mc == NULL) {
		my_bool r = CAP_REAL(cap_my.real_mysql_commit(m));
		cap_engine_bump_all(rt->engine);
		return r;
	}
	return cap_my_text(rt, mc, "COMMIT", 6, run_commit, 0, 0) ? 1 : 0;
}

CAP_EXPORT my_bool mysql_rollback(MYSQL *m)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_rollback ? CAP_REAL(cap_my.real_mysql_rollback(m)) : 1;
	my_conn *mc = cap_my_find(m, 1);
	if (mc == NULL) {
		my_bool r = CAP_REAL(cap_my.real_mysql_rollback(m));
		cap_engine_bump_all(rt->engine);
		return r;
	}
	return cap_my_text(rt, mc, "ROLLBACK", 8, run_rollback, 0, 0) ? 1 : 0;
}

CAP_EXPORT my_bool mysql_autocommit(MYSQL *m, my_bool mode)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_autocommit ? CAP_REAL(cap_my.real_mysql_autocommit(m, mode)) : 1;
	my_conn *mc = cap_my_find(m, 1);
	if (mc == NULL) {
		my_bool r = CAP_REAL(cap_my.real_mysql_autocommit(m, mode));
		cap_engine_bump_all(rt->engine);
		return r;
	}
	const char *sql = mode ? "SET autocommit=1" : "SET autocommit=0";
	return cap_my_text(rt, mc, sql, strlen(sql), run_autocommit, mode ? 1 : 0, 0) ? 1 : 0;
}

/* COM_REFRESH is a FLUSH: accounted as one (it ends a transaction), and like every command a
 * mysql_send_query hit not read yet gives way to it (cap_my_text). */
CAP_EXPORT int mysql_refresh(MYSQL *m, unsigned int options)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL || cap_my.real_mysql_refresh == NULL)
		return cap_my.real_mysql_refresh ? CAP_REAL(cap_my.real_mysql_refresh(m, options)) : 1;
	my_conn *mc = cap_my_find(m, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.real_mysql_refresh(m, options));
		cap_engine_bump_all(rt->engine);
		return rc;
	}
	return cap_my_text(rt, mc, "FLUSH TABLES", 12, run_refresh, (int)options, 0);
}

CAP_EXPORT int mysql_select_db(MYSQL *m, const char *db)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL || db == NULL)
		return cap_my.real_mysql_select_db ? CAP_REAL(cap_my.real_mysql_select_db(m, db)) : 1;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && CAP_UNLIKELY(mc->sq_hit))
		cap_my_give_way(mc);
	if (mc)
		cap_my_stmt_reset(mc);
	int rc = CAP_REAL(cap_my.real_mysql_select_db(m, db));
	if (mc && rc == 0) {
		cap_sess_set_db(&mc->sess, db, strlen(db));
		cap_my_fix_scope(mc);
		mc->sysdb = cap_my_is_sysdb(db, strlen(db));
		mc->replay_on = 0; /* a hit's statement may mean another table now */
	} else if (mc) {
		mc->sess.disabled = 1; /* which database is current is not known now */
	}
	return rc;
}

CAP_EXPORT my_bool mysql_change_user(MYSQL *m, const char *user, const char *passwd,
				     const char *db)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_change_user ? CAP_REAL(cap_my.real_mysql_change_user(m, user, passwd, db))
						: 1;
	cap_my_give_way_m(m);
	my_bool rc = CAP_REAL(cap_my.real_mysql_change_user(m, user, passwd, db));
	my_conn *mc = cap_my_find(m, 0);
	if (mc)
		cap_my_forget_session(rt, mc, rc == 0);
	return rc;
}

CAP_EXPORT int mysql_reset_connection(MYSQL *m)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL || cap_my.real_mysql_reset_connection == NULL)
		return cap_my.real_mysql_reset_connection ? CAP_REAL(cap_my.real_mysql_reset_connection(m)) : 1;
	cap_my_give_way_m(m);
	int rc = CAP_REAL(cap_my.real_mysql_reset_connection(m));
	my_conn *mc = cap_my_find(m, 0);
	if (mc)
		cap_my_forget_session(rt, mc, rc == 0);
	return rc;
}

CAP_EXPORT MYSQL *mysql_real_connect(MYSQL *m, const char *host, const char *user,
				     const char *passwd, const char *db, unsigned int port,
				     const char *unix_socket, unsigned long flags)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_real_connect
			       ? CAP_REAL(cap_my.real_mysql_real_connect(m, host, user, passwd, db, port,
								    unix_socket, flags))
			       : NULL;
	MYSQL *r = CAP_REAL(cap_my.real_mysql_real_connect(m, host, user, passwd, db, port,
						      unix_socket, flags));
	my_conn *mc = cap_my_find(m, 0);
	if (mc)
		cap_my_forget_session(rt, mc, 0);
	if (r) {
		cap_wait_known(m->net.fd); /* the program may wait on it (mysql2 reads net.fd) */
		cap_my_connected(rt, m);
	}
	return r;
}

CAP_EXPORT void mysql_close(MYSQL *m)
{
	if (!cap_my_resolve()) {
		if (cap_my.real_mysql_close)
			cap_my.real_mysql_close(m);
		return;
	}
	if (m && !cap_guard) {
		cap_my_remove(m);
		cap_my_use_forget_conn(m);
		cap_wait_forget(m->net.fd);
	}
	CAP_REAL_VOID(cap_my.real_mysql_close(m));
}

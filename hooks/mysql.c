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
#include "hooks/mysql_probe.h"
#include "hooks/mysql_result.h"
#include "hooks/mysql_stmt.h"
#include "cache/log.h"
#include "preload/resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cap_my_plan(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, cap_sql_info *info,
		 cap_plan *plan)
{
	if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
		cap_my_reconnected(rt, mc);
	cap_sql_classify(CAP_DIALECT_MYSQL, sql, len, info);
	int unknown = 0;
	/* a read whose functions the rules may declare safe is cacheable too */
	if (CAP_UNLIKELY(mc->sess.probe_need) &&
	    (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE)) {
		unknown = !cap_my_probe(mc);
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id)) {
			cap_my_reconnected(rt, mc); /* the probe itself reconnected */
			unknown = 1;
		}
	}
	cap_mycat *cat = mc->cat;
	if (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
	    info->kind == CAP_SQL_WRITE)
		cat = cap_mycat_get(rt, mc->m, &mc->sess, &mc->cat);
	if (CAP_UNLIKELY(mc->cs_seen != (const void *)mc->m->charset))
		cap_my_refresh_params(mc);
	cap_sess_stmt_begin(&mc->sess, cap_my_server_in_trans(mc->m));
	cap_sess_plan(rt, &mc->sess, info, cap_my_in_txn_before(mc->m), &cap_mycat_ops, cat, plan);
	if (plan->act == CAP_ACT_CACHE &&
	    CAP_UNLIKELY(mc->sysdb || mc->locked || mc->auto_is_null || unknown)) {
		/* unqualified names are the server's live tables; under LOCK TABLES a table not
		 * locked must fail as it would on the server */
		plan->act = CAP_ACT_PASS;
		plan->can_hit = plan->can_fill = 0;
		plan->reason = mc->locked ? CAP_REASON_locking
					  : mc->sysdb ? CAP_REASON_syscatalog : CAP_REASON_session;
	}
	if (CAP_UNLIKELY(mc->replay_on))
		cap_my_replay_before(mc, info, sql, len);
}

/* Does a case-insensitive needle occur in s[0..n)? */
int cap_my_has_word(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/* LOCK TABLE(S) (1), UNLOCK TABLE(S) (-1), or neither (0), after blanks and comments. */
static int lock_stmt(const char *sql, size_t len)
{
	size_t i = 0;
	for (;;) {
		while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r'))
			i++;
		if (i + 1 < len && sql[i] == '/' && sql[i + 1] == '*' && (i + 2 >= len || sql[i + 2] != '!')) {
			const char *e = memmem(sql + i + 2, len - i - 2, "*/", 2);
			if (e == NULL)
				return 0;
			i = (size_t)(e - sql) + 2;
			continue;
		}
		break;
	}
	int r = 1;
	if (len - i >= 6 && strncasecmp(sql + i, "unlock", 6) == 0) {
		r = -1;
		i += 6;
	} else if (len - i >= 4 && strncasecmp(sql + i, "lock", 4) == 0) {
		i += 4;
	} else {
		return 0;
	}
	if (i >= len || !(sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r'))
		return 0;
	while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r'))
		i++;
	return len - i >= 5 && strncasecmp(sql + i, "table", 5) == 0 ? r : 0;
}

/* Does a DDL statement name a temporary table of this session (ALTER TABLE tmp RENAME TO
 * items, RENAME TABLE tmp TO items)? Then which names are temporary is not known. */
static int ddl_touches_temp(const cap_sess *s, const cap_sql_info *info)
{
	for (uint16_t i = 0; i < info->nwrite; i++) {
		const cap_sql_name *w = &info->write[i];
		for (uint32_t t = 0; t < s->ntemps; t++)
			if (strlen(s->temps[t]) == w->name_len &&
			    strncasecmp(s->temps[t], info->names + w->name_off, w->name_len) == 0)
				return 1;
	}
	return 0;
}

/* Bookkeeping after a statement ran on the server. */
void cap_my_after(const cap_rt *rt, my_conn *mc, const cap_sql_info *info, const cap_plan *plan,
		  const char *sql, size_t len, int ok)
{
	if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
		cap_my_reconnected(rt, mc); /* the statement ran in a new session: no fill */
	mc->contact_ns = cap_now_ns();
	/* the rest of a multi-statement string still runs: its marker stays until the last
	 * result (mysql_next_result) */
	mc->sess.mark_keep = (mc->m->server_status & SERVER_MORE_RESULTS_EXIST) &&
			     plan->act != CAP_ACT_CACHE && info->kind != CAP_SQL_READ &&
			     info->kind != CAP_SQL_EMPTY;
	cap_sess_after(rt, &mc->sess, info, plan, sql, len, ok, cap_my_server_in_trans(mc->m),
		       &cap_mycat_ops, mc->cat);
	cap_sess_stmt_end(&mc->sess, info, plan, ok, cap_my_server_in_trans(mc->m));
	if (CAP_UNLIKELY(info->kind != CAP_SQL_READ && info->kind != CAP_SQL_WRITE)) {
		if (ok && (info->flags & CAP_SQLF_USE_DB))
			mc->sysdb = cap_my_is_sysdb(info->names + info->db.name_off, info->db.name_len);
		if (info->kind == CAP_SQL_UTILITY && ok) {
			int l = lock_stmt(sql, len);
			if (l)
				mc->locked = l > 0;
		}
		if (info->kind == CAP_SQL_DDL && mc->sess.ntemps && !(info->flags & CAP_SQLF_TEMP) &&
		    ddl_touches_temp(&mc->sess, info))
			mc->sess.disabled = 1;
		/* code we cannot read (a procedure, a prepared SQL statement) or a compound
		 * statement may have created temporary tables of any name: the server offers no
		 * way to list them */
		if (info->kind == CAP_SQL_OTHER &&
		    (cap_my_has_word(sql, len, "temporary") || cap_my_has_word(sql, len, "call") ||
		     cap_my_has_word(sql, len, "execute")))
			mc->sess.disabled = 1;
	}
	cap_my_fix_scope(mc);
	/* a multi-statement string or a CALL goes on running while the program reads its
	 * results: whatever may write is bumped again at each mysql_next_result */
	if ((mc->m->server_status & SERVER_MORE_RESULTS_EXIST) && plan->act != CAP_ACT_CACHE &&
	    info->kind != CAP_SQL_READ && info->kind != CAP_SQL_EMPTY)
		mc->multi_dirty = 1;
}

/* cap_my_miss_deps - a cacheable read missed and is about to be sent: read the generations its
 * entry will depend on now (DESIGN.md contract point 5); hits never pay for this. */
void cap_my_miss_deps(const cap_rt *rt, my_conn *mc, const cap_sql_info *info, cap_plan *plan)
{
	if (plan->act == CAP_ACT_CACHE && plan->can_fill) {
		cap_my_orphans(rt, mc);
		cap_sess_deps(rt, &mc->sess, info, &cap_mycat_ops, mc->cat, plan);
	}
}

static int my_key(const my_conn *mc, const char *sql, size_t len, uint64_t proto,
		  cap_keymat *km, cap_key *key)
{
	cap_sess_key(&mc->sess, km);
	cap_keymat_add(km, sql, len);
	cap_keymat_add_u64(km, proto);
	return cap_keymat_finish(km, key);
}

void cap_my_record(enum cap_path path, const cap_plan *plan, const cap_sql_info *info,
		   const char *sql, size_t len, uint64_t t0)
{
	cap_qrec q;
	q.path = path;
	q.reason = plan->reason;
	q.is_read = plan->is_read;
	q.ns = cap_precise_ns() - t0; /* t0 from cap_precise_ns: latency, not the coarse tick */
	q.shape = info->digest;
	q.sql = sql;
	q.sql_len = len;
	q.dialect = CAP_DIALECT_MYSQL;
	q.followed = plan->followed;
	cap_stats_record(&q);
}

enum cap_path cap_my_pass_path(const cap_plan *plan)
{
	return plan->act == CAP_ACT_WRITE ? CAP_PATH_WRITE : CAP_PATH_BYPASS;
}


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

/* The text path: mysql_real_query, mysql_query, and the fixed-statement calls. With
 * send_only (mysql_send_query) the statement's end is accounted in mysql_read_query_result. */
int cap_my_text(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, my_run_fn fn,
		int arg, int send_only)
{
	uint64_t t0 = cap_precise_ns();
	MYSQL *m = mc->m;
	if (CAP_UNLIKELY(mc->pend && !mc->sq_hit && m->status == MYSQL_STATUS_GET_RESULT)) {
		/* a hit the program has not read: Connector/C refuses another command ("commands
		 * out of sync"), after which the result is gone and the connection stays out of
		 * sync; the real call does all that (there are no real fields to free) */
		int rc = CAP_REAL(fn(m, sql, (unsigned long)len, arg));
		cap_my_stmt_reset(mc);
		return rc;
	}
	cap_my_stmt_start(rt, mc);
	cap_sql_info *info = cap_sess_info();
	cap_plan plan;
	cap_my_plan(rt, mc, sql, len, info, &plan);
	unsigned char kbuf[1024];
	cap_keymat km;
	cap_key key;
	int keyed = 0;
	if (plan.act == CAP_ACT_CACHE) {
		cap_keymat_init(&km, kbuf, sizeof(kbuf));
		keyed = my_key(mc, sql, len, MY_PROTO_TEXT, &km, &key) == CAP_OK;
		if (keyed && plan.can_hit && cap_my_can_serve(m) && cap_my_session_alive(mc, cap_now_ns()) &&
		    (!send_only || can_wake(m))) {
			my_hit h = { NULL, 0 };
			int r = cap_engine_get(rt->engine, &key, cap_my_hit_cb, &h);
			int held = (r == CAP_HIT_L1 || r == CAP_HIT_L2) && send_only &&
				   cap_wait_hold(m->net.fd);
			if ((r == CAP_HIT_L1 || r == CAP_HIT_L2) && send_only && !held &&
			    CAP_REAL(m->methods->db_command(m, COM_PING, NULL, 0, 1, NULL)) != 0) {
				cap_my_free_res(h.res); /* the connection failed: the real send says so */
				r = CAP_MISS;
			}
			if (r == CAP_HIT_L1 || r == CAP_HIT_L2) {
				cap_keymat_done(&km);
				mc->pend = h.res;
				if (send_only) {
					/* mysql_read_query_result reads the ping's answer (if
					 * one was sent), then reports the hit */
					mc->sq_hit = 1;
					mc->sq_held = held;
					mc->sq_fd = m->net.fd;
					mc->sq_status = h.status;
				} else {
					cap_my_set_hit_state(m, h.res->field_count);
					cap_my_set_hit_status(m, h.status);
					/* a result waits to be read, as after the real query */
					if (h.res->field_count)
						m->status = MYSQL_STATUS_GET_RESULT;
					cap_sess_stmt_end(&mc->sess, info, &plan, 1, cap_my_server_in_trans(m));
				}
				cap_my_replay_note(mc, sql, len);
				cap_my_record(r == CAP_HIT_L1 ? CAP_PATH_HIT_L1 : CAP_PATH_HIT_L2, &plan,
					  info, sql, len, t0);
				return 0;
			}
			if (r < 0)
				cap_fail_open("decoding a cached MySQL result", r);
		}
		if (!keyed) {
			cap_keymat_done(&km);
			plan.act = CAP_ACT_PASS;
			plan.reason = CAP_REASON_internal;
		}
	}
	cap_my_miss_deps(rt, mc, info, &plan);
	if (send_only) {
		if (mc->sq_info == NULL)
			mc->sq_info = malloc(sizeof(*mc->sq_info));
		mc->sq_sql = mc->sq_info ? malloc(len + 1) : NULL;
		if (mc->sq_sql == NULL) {
			if (keyed)
				cap_keymat_done(&km);
			cap_fail_open("tracking mysql_send_query", CAP_ENOMEM);
			cap_engine_bump_db(rt->engine, mc->sess.scope);
			mc->sess.disabled = 1;
			return CAP_REAL(fn(m, sql, (unsigned long)len, arg));
		}
		memcpy(mc->sq_sql, sql, len);
		mc->sq_sql[len] = '\0';
		mc->sq_len = len;
		memcpy(mc->sq_info, info, sizeof(*info));
		mc->sq_plan = plan;
		mc->sq_t0 = t0;
		mc->sq_keyed = 0;
		if (keyed && plan.can_fill) {
			cap_my_remember_fill(mc, &key, &plan);
			mc->sq_keyed = mc->fill;
			mc->fill = 0;
		}
		if (keyed)
			cap_keymat_done(&km);
		int rc = CAP_REAL(fn(m, sql, (unsigned long)len, arg));
		if (rc != 0) {
			cap_my_after(rt, mc, mc->sq_info, &mc->sq_plan, sql, len, 0);
			free(mc->sq_sql);
			mc->sq_sql = NULL;
			return rc;
		}
		mc->sq_active = 1;
		return rc;
	}
	int rc = CAP_REAL(fn(m, sql, (unsigned long)len, arg));
	int ok = rc == 0;
	if (plan.act == CAP_ACT_CACHE) {
		if (ok && m->field_count > 0 && plan.can_fill && keyed)
			cap_my_remember_fill(mc, &key, &plan);
		else if (!ok)
			plan.reason = CAP_REASON_error;
		cap_keymat_done(&km);
	}
	cap_my_after(rt, mc, info, &plan, sql, len, ok);
	cap_my_record(plan.act == CAP_ACT_CACHE ? CAP_PATH_MISS : cap_my_pass_path(&plan), &plan,
		      info, sql, len, t0);
	if (plan.act == CAP_ACT_CACHE)
		cap_stats_log_tick();
	return rc;
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
	if (mc && mc->pend)
		return -1; /* a hit has exactly one result */
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

CAP_EXPORT int mysql_select_db(MYSQL *m, const char *db)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL || db == NULL)
		return cap_my.real_mysql_select_db ? CAP_REAL(cap_my.real_mysql_select_db(m, db)) : 1;
	my_conn *mc = cap_my_find(m, 0);
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
	if (r)
		cap_wait_known(m->net.fd); /* the program may wait on it (mysql2 reads net.fd) */
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

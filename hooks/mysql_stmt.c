/*
 * mysql_stmt.c - prepared statements (mysql_stmt_*) through the Connector/C hooks.
 *
 * Their text and the session they were prepared in (its database and sql_mode decide what the
 * text means) are recorded at mysql_stmt_prepare; each execution is classified and accounted
 * like a text statement (writes invalidate, transactions are followed). A cacheable read is
 * keyed by the session prefix, the prepare-time session, the text, and every bound parameter
 * as the library will send it (type, unsigned flag, NULL, value bytes). A miss runs for real;
 * when the program stores the whole result (mysql_stmt_store_result) with no warnings, the
 * binary-protocol rows exactly as the library keeps them (st->result) and the execute's field
 * metadata are stored (hooks/mysql_codec, "CMS1"). A hit sends nothing: it leaves the
 * statement as a real execute of a SELECT does (state WAITING_USE_OR_STORE, field metadata,
 * affected rows, errors cleared) with the cached rows behind the statement's own result hooks
 * (default_rset_handler, fetch_row_func), so that Connector/C's own mysql_stmt_fetch /
 * fetch_column decode every value into the program's buffers - every conversion, truncation
 * flag and NULL indicator is the library's. Stored or not: a program that fetches without
 * mysql_stmt_store_result reads the rows one by one (num_rows counts them),
 * mysql_stmt_store_result (interposed) puts them in st->result for data_seek and row_seek. The
 * rows belong to Capacitor and are freed at the statement's next execute, prepare or close.
 * STMT_ATTR_UPDATE_MAX_LENGTH (DBD::MariaDB and DBD::mysql set it after the execute, Ruby's
 * mysql2 before) is served too: an entry keeps the max_length its rows alone give (the fill's
 * store computes it, from 0), and a hit's store raises each field's max_length to it, as the
 * library's store does; without the attribute max_length is left alone, as the library
 * does. Cursors, array binding, callbacks, long data, prebound parameters
 * (mariadb_stmt_execute_direct) and the non-blocking API pass through uncached. Until its
 * rows are stored, read to the end, freed or reset, the hit holds its connection as the real
 * result does (MYSQL_STATUS_STMT_RESULT): another command is "out of sync"; the calls with
 * which the library would flush the rest from the wire (hooks/mysql_stmt_hit.c) find them read.
 *
 * This file: which executions may be cached, the key, and the execution through the query
 * driver (hooks/exec). What is written into MYSQL_STMT for a hit, and the check that the
 * running library is the Connector/C release whose layouts that assumes, are in
 * hooks/mysql_stmt_hit.c.
 */
#include "hooks/exec.h"
#include "hooks/mysql_stmt_hit.h"
#include "hooks/mysql_probe.h"
#include "hooks/mysql_result.h"
#include "hooks/mysql_plan.h"
#include "cache/sqlmemo.h"

#include <stdlib.h>
#include <string.h>

/* May st be cached at all? Cursors, array binding, callbacks and prebound parameters
 * (mariadb_stmt_execute_direct) pass through. */
static int st_cacheable(const MYSQL_STMT *st)
{
	return st->flags == 0 && st->array_size == 0 && st->param_callback == NULL &&
	       st->result_callback == NULL && st->prebind_params == 0 &&
	       !st->cursor_exists && st->field_count > 0 && st->fields != NULL &&
	       st->stmt_id != 0 && st->state >= MYSQL_STMT_PREPARED &&
	       (st->param_count == 0 || (st->bind_param_done && st->params != NULL));
}

/* May a hit be served now? Nothing may be pending on the connection. */
static int st_can_serve(const MYSQL_STMT *st)
{
	const MYSQL *m = st->mysql;
	return m->status == MYSQL_STATUS_READY && !(m->server_status & SERVER_MORE_RESULTS_EXIST);
}

/* The key: session prefix, text, the binary protocol, and each parameter as the library
 * will send it (type, unsigned flag, NULL, value). 1 when a parameter cannot be keyed
 * (long data, an unknown type): the statement then passes through. */
static int st_key(const my_conn *mc, const MYSQL_STMT *st, const my_prep *prep, const char *sql,
		  size_t len, cap_keymat *km, cap_key *key)
{
	cap_sess_key(&mc->sess, km);
	cap_keymat_add(km, prep->k, sizeof(prep->k));
	cap_keymat_add(km, sql, len);
	/* 2: entries keep the max_length of their rows alone; older builds' did not */
	cap_keymat_add_u64(km, MY_PROTO_BINARY | 2u << 8);
	cap_keymat_add_u64(km, st->param_count);
	for (unsigned i = 0; i < st->param_count; i++) {
		const MYSQL_BIND *p = &st->params[i];
		if (p->long_data_used)
			return 1;
		int isnull = (p->is_null && *p->is_null) || p->buffer_type == MYSQL_TYPE_NULL ||
			     p->buffer == NULL;
		cap_keymat_add_u64(km, (uint64_t)p->buffer_type | (uint64_t)(p->is_unsigned ? 1 : 0) << 16 |
					       (uint64_t)isnull << 17);
		if (isnull)
			continue;
		const MYSQL_TIME *t = p->buffer;
		switch (p->buffer_type) {
		case MYSQL_TYPE_TINY:
			cap_keymat_add(km, p->buffer, 1);
			break;
		case MYSQL_TYPE_SHORT:
		case MYSQL_TYPE_YEAR:
			cap_keymat_add(km, p->buffer, 2);
			break;
		case MYSQL_TYPE_LONG:
		case MYSQL_TYPE_INT24:
		case MYSQL_TYPE_FLOAT:
			cap_keymat_add(km, p->buffer, 4);
			break;
		case MYSQL_TYPE_LONGLONG:
		case MYSQL_TYPE_DOUBLE:
			cap_keymat_add(km, p->buffer, 8);
			break;
		case MYSQL_TYPE_TIME:
		case MYSQL_TYPE_DATE:
		case MYSQL_TYPE_DATETIME:
		case MYSQL_TYPE_TIMESTAMP: {
			uint64_t v[8] = { t->year, t->month, t->day, t->hour, t->minute, t->second,
					  t->second_part, t->neg ? 1 : 0 };
			cap_keymat_add(km, v, sizeof(v));
			break;
		}
		case MYSQL_TYPE_TINY_BLOB:
		case MYSQL_TYPE_MEDIUM_BLOB:
		case MYSQL_TYPE_LONG_BLOB:
		case MYSQL_TYPE_BLOB:
		case MYSQL_TYPE_VARCHAR:
		case MYSQL_TYPE_VAR_STRING:
		case MYSQL_TYPE_STRING:
		case MYSQL_TYPE_JSON:
		case MYSQL_TYPE_DECIMAL:
		case MYSQL_TYPE_NEWDECIMAL: {
			unsigned long n = p->length ? *p->length : 0;
			if (n == (unsigned long)-1)
				n = (unsigned long)strlen(p->buffer);
			cap_keymat_add(km, p->buffer, n);
			break;
		}
		default:
			return 1;
		}
	}
	return cap_keymat_finish(km, key) == CAP_OK ? 0 : -1;
}

/* An execution of a prepared statement. */
typedef int (*my_exec_fn)(MYSQL_STMT *st, const char *sql, size_t len);

static int exec_execute(MYSQL_STMT *st, const char *sql, size_t len)
{
	(void)sql;
	(void)len;
	return cap_my.real_mysql_stmt_execute(st);
}

static int exec_direct(MYSQL_STMT *st, const char *sql, size_t len)
{
	return cap_my.real_mariadb_stmt_execute_direct(st, sql, len);
}

/* ---- an execution: the query driver's port (hooks/exec) ---------------------------------- */

typedef struct my_sx {
	cap_exec x;              /* first */
	my_conn *mc;
	MYSQL_STMT *st;
	my_prep *prep;
	my_exec_fn fn;
	int rc;                  /* the program's answer */
	cap_my_srows *rows;      /* the decoded hit */
	unsigned status;
} my_sx;

static void sx_plan(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	cap_my_plan(x->rt, c->mc, x->sql, x->sql_len, x->info, &x->plan);
}

/* Only mysql_stmt_execute of a statement whose prepare-time session is known, on the
 * Connector/C release the hooks were built for, and of a form that may be cached. */
static int sx_key(cap_exec *x, cap_keymat *km)
{
	my_sx *c = (my_sx *)x;
	if (CAP_UNLIKELY(c->prep->defer) && c->fn == exec_execute) {
		/* the read-back deferred from prepare ran before this execution (cap_my_plan): the
		 * session is the one of prepare time when nothing ran since */
		my_prep *p = c->prep;
		if (p->defer == c->mc->stmt_seq + 1 && !c->mc->sess.probe_need) {
			memcpy(p->k, &c->mc->sess.ident, 16);
			memcpy(p->k + 16, &c->mc->sess.fp, 8);
		} else {
			p->ok = 0;
		}
		p->defer = 0;
		cap_my_st_set_prep(c->st, p);
	}
	if (c->fn != exec_execute || !c->prep->ok || !cap_my_st_abi_ok() || !st_cacheable(c->st))
		return 1;
	return st_key(c->mc, c->st, c->prep, x->sql, x->sql_len, km, &x->key);
}

static int sx_can_hit(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	/* an answer mysql_send_query sent for real and not read yet must come first */
	return st_can_serve(c->st) && c->mc->sq_unread == 0 && !cap_my_closed(c->mc) &&
	       cap_my_session_alive(c->mc, cap_now_ns());
}

static int sx_decode(void *arg, const void *val, size_t len)
{
	my_sx *c = arg;
	long st = cap_my_take_status(&val, &len);
	c->rows = st < 0 ? NULL : cap_my_stmt_decode(val, len);
	c->status = (unsigned)st;
	return c->rows ? CAP_OK : CAP_ECORRUPT;
}

static int sx_serve(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	const MYSQL *m = c->mc->m;
	/* the library would refuse the server's rows (the columns' metadata it already read
	 * at prepare time); compressed, the whole answer counts */
	if (CAP_UNLIKELY(!cap_my_wire_fits(m, c->rows->row_max,
					   m->net.compress ? cap_my_stmt_wire_total(c->st, c->rows)
							   : 0)) ||
	    !cap_my_st_install(c->st, c->rows, c->status)) {
		free(c->rows);
		return CAP_EXEC_NOT_SERVED;
	}
	cap_sess_stmt_end(&c->mc->sess, x->info, &x->plan, 1, cap_my_server_in_trans(c->mc->m));
	c->mc->diag_own = 1; /* the program expects its statement's diagnostics now */
	/* without parameters the text replays it for the diagnostics (they do not depend on the
	 * protocol) */
	if (c->st->param_count == 0)
		cap_my_replay_note(c->mc, x->sql, x->sql_len);
	c->rc = 0;
	return CAP_EXEC_SERVED;
}

static void sx_miss(cap_exec *x)
{
	cap_my_miss_deps(x->rt, ((my_sx *)x)->mc, x->info, &x->plan);
}

static int sx_run(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	c->rc = CAP_REAL(c->fn(c->st, x->sql, x->sql_len));
	x->ok = c->rc == 0;
	return CAP_EXEC_RAN;
}

/* A miss whose whole result mysql_stmt_store_result may store: its key waits on the
 * statement's record. */
static void sx_fill(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	MYSQL_STMT *st = c->st;
	MYSQL *m = st->mysql;
	if (x->ok && x->plan.can_fill && m && st->field_count > 0 &&
	    m->thread_id == c->mc->thread_id && st->state == MYSQL_STMT_WAITING_USE_OR_STORE &&
	    m->status == MYSQL_STATUS_STMT_RESULT && !st->cursor_exists && m->warning_count == 0 &&
	    !(m->server_status & SERVER_MORE_RESULTS_EXIST)) {
		my_sfill *f = malloc(sizeof(*f));
		if (f) {
			cap_buf_init(&f->key, 0);
			cap_buf_put(&f->key, x->key.mat, x->key.len);
			f->hash = x->key.hash;
			f->plan = x->plan;
			f->shape = x->info->digest;
			if (f->key.err || !cap_my_st_attach(st, NULL, f))
				cap_my_st_fill_free(f);
		}
	} else if (!x->ok) {
		x->plan.reason = CAP_REASON_error;
	}
}

static void sx_after(cap_exec *x)
{
	cap_my_after(x->rt, ((my_sx *)x)->mc, x->info, &x->plan, x->sql, x->sql_len, x->ok);
}

static const cap_exec_port my_stmt_port = {
	.dialect = CAP_DIALECT_MYSQL,
	.decoding = "decoding a cached MySQL statement result",
	.plan = sx_plan,
	.key = sx_key,
	.can_hit = sx_can_hit,
	.decode = sx_decode,
	.serve = sx_serve,
	.miss = sx_miss,
	.run = sx_run,
	.fill = sx_fill,
	.after = sx_after,
};

static int my_stmt_exec(const cap_rt *rt, my_conn *mc, MYSQL_STMT *st, const char *sql,
			size_t len, my_prep *prep, my_exec_fn fn)
{
	if (CAP_UNLIKELY(mc->sq_hit))
		cap_my_give_way(mc);
	cap_my_stmt_start(rt, mc);
	if (sql == NULL) {
		/* a statement whose text we never saw: it may do anything */
		int was = cap_my_in_txn_before(mc->m);
		cap_sess_mark_db(rt, &mc->sess);
		int rc = CAP_REAL(fn(st, NULL, 0));
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		if (!cap_my_server_in_trans(mc->m))
			cap_sess_unmark(rt, &mc->sess);
		if (was || cap_my_server_in_trans(mc->m)) {
			mc->sess.wset_db = 1;
			mc->sess.txn_tainted = 1;
		}
		mc->sess.disabled = 1; /* it may have changed the session, too */
		return rc;
	}
	my_sx c;
	cap_exec_start(&c.x, &my_stmt_port, rt, sql, len);
	c.mc = mc;
	c.st = st;
	c.prep = prep;
	c.fn = fn;
	c.rc = 1;
	cap_exec_run(&c.x);
	return c.rc;
}

CAP_EXPORT int mysql_stmt_prepare(MYSQL_STMT *st, const char *q, unsigned long length)
{
	const cap_rt *rt;
	if (st && st->state > MYSQL_STMT_INITTED)
		cap_my_st_settle(st->mysql); /* the library's reset flushes the pending result */
	if (st)
		cap_my_give_way_m(st->mysql);
	if (cap_my_bypass(&rt) || st == NULL || q == NULL)
		return cap_my.real_mysql_stmt_prepare ? CAP_REAL(cap_my.real_mysql_stmt_prepare(st, q, length)) : 1;
	size_t len = length == (unsigned long)-1 ? strlen(q) : length;
	cap_my_st_set(st, NULL, 0, NULL); /* the library resets the statement: no hit may point into it */
	my_conn *mc = st->mysql ? cap_my_find(st->mysql, 1) : NULL;
	my_prep prep = { 0, { 0 }, 0 };
	if (mc) {
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
			cap_my_reconnected(rt, mc);
		/* the read-back runs only where the program cannot see it (mysql_probe.c): a
		 * prepare leaves the diagnostics as they were, so in a session the program used
		 * already it is deferred to the first execution, which precedes that one with it;
		 * a statement it may not precede is not cached */
		int fits = 1;
		if (mc->sess.probe_need) {
			cap_sql_info *info = cap_sess_info();
			cap_sql_classify_memo(CAP_DIALECT_MYSQL, q, len, info);
			fits = cap_my_probe_fits(mc, info, q, len);
			if (fits && mc->diag_own)
				prep.defer = mc->stmt_seq + 1;
			else if (fits)
				fits = cap_my_probe(mc);
		}
		prep.ok = fits && !mc->sess.disabled && !mc->sysdb;
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id)) {
			cap_my_reconnected(rt, mc);
			prep.ok = 0;
		}
		memcpy(prep.k, &mc->sess.ident, 16);
		memcpy(prep.k + 16, &mc->sess.fp, 8);
	}
	int rc = CAP_REAL(cap_my.real_mysql_stmt_prepare(st, q, length));
	if (rc == 0)
		cap_my_st_set(st, q, len, &prep);
	return rc;
}

CAP_EXPORT int mysql_stmt_execute(MYSQL_STMT *st)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || st == NULL || st->mysql == NULL) {
		if (st && !cap_guard && cap_my_resolve()) {
			cap_my_st_drop(st);
			cap_my_give_way_m(st->mysql);
		}
		return cap_my.real_mysql_stmt_execute ? CAP_REAL(cap_my.real_mysql_stmt_execute(st)) : 1;
	}
	my_conn *mc = cap_my_find(st->mysql, 1);
	size_t len = 0;
	my_prep prep = { 0, { 0 }, 0 };
	char buf[1024], *sql = cap_my_st_begin(st, &len, &prep, buf, sizeof(buf));
	int rc;
	if (mc == NULL) {
		rc = CAP_REAL(cap_my.real_mysql_stmt_execute(st));
		cap_my_no_state_bump(rt, sql, len);
	} else {
		rc = my_stmt_exec(rt, mc, st, sql, len, &prep, exec_execute);
	}
	if (sql != buf)
		free(sql);
	return rc;
}

CAP_EXPORT int mariadb_stmt_execute_direct(MYSQL_STMT *st, const char *q, size_t length)
{
	const cap_rt *rt;
	if (st && st->state > MYSQL_STMT_INITTED)
		cap_my_st_settle(st->mysql); /* the library's reset flushes the pending result */
	if (cap_my_bypass(&rt) || st == NULL || st->mysql == NULL || q == NULL ||
	    cap_my.real_mariadb_stmt_execute_direct == NULL)
		return cap_my.real_mariadb_stmt_execute_direct
			       ? CAP_REAL(cap_my.real_mariadb_stmt_execute_direct(st, q, length))
			       : 1;
	size_t len = length == (size_t)-1 ? strlen(q) : length;
	cap_my_st_set(st, q, len, NULL);
	my_conn *mc = cap_my_find(st->mysql, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.real_mariadb_stmt_execute_direct(st, q, length));
		cap_my_no_state_bump(rt, q, len);
		return rc;
	}
	my_prep none = { 0, { 0 }, 0 };
	return my_stmt_exec(rt, mc, st, q, len, &none, exec_direct);
}

CAP_EXPORT my_bool mysql_stmt_close(MYSQL_STMT *st)
{
	if (!cap_my_resolve())
		return cap_my.real_mysql_stmt_close ? cap_my.real_mysql_stmt_close(st) : 1;
	if (st) {
		cap_my_st_settle(st->mysql); /* the library flushes the pending result */
		cap_my_give_way_m(st->mysql);
	}
	if (st && !cap_guard)
		cap_my_st_set(st, NULL, 0, NULL);
	return CAP_REAL(cap_my.real_mysql_stmt_close(st));
}

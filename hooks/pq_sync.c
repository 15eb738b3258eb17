/*
 * cap_pq_sync.c - the libpq port of the query driver (hooks/exec): plan (classify, read back,
 * catalog, policy), key (session, text, parameters, result format), decode a hit into a
 * PGresult, the last word before a miss (standby, orphans, dependencies), fill, and the
 * bookkeeping after; and the synchronous path PQexec, PQexecParams and PQexecPrepared (pq.c)
 * take through it.
 */
#include "hooks/pq_async.h"
#include "hooks/pq_probe.h"
#include "cache/sqlmemo.h"

/* A parameter that date/time input may read as the current time ('now', 'today' ...). */
static int params_mean_now(const pq_call *call)
{
	for (int i = 0; i < call->nparams; i++) {
		const char *v = call->values ? call->values[i] : NULL;
		if (v == NULL)
			continue;
		size_t n = call->formats && call->formats[i]
				   ? (call->lengths && call->lengths[i] > 0 ? (size_t)call->lengths[i] : 0)
				   : strlen(v);
		if (cap_sql_now_text(v, n))
			return 1;
	}
	return 0;
}

/* Classify and plan call on pc. info is filled; returns the catalog used (may be NULL). */
cap_pqcat *cap_pq_plan(const cap_rt *rt, pq_conn *pc, const pq_call *call,
			  cap_sql_info *info, cap_plan *plan)
{
	if (call->sql == NULL) {
		/* a prepared statement whose text we never saw: it may do anything */
		memset(plan, 0, sizeof(*plan));
		plan->act = CAP_ACT_WRITE;
		cap_sql_unknown(info);
		cap_sess_mark(rt, &pc->sess, info, plan, NULL, NULL);
		return NULL;
	}
	/* a new connection's read-back or catalog query sent while it was polled open, and not
	 * read yet (the program did not poll to the end): read now, before anything needs it */
	if (CAP_UNLIKELY(pc->cp != PQ_CP_NONE))
		cap_pq_ghost_wait(pc);
	cap_sql_classify_memo(CAP_DIALECT_PG, call->sql, call->sql_len, info);
	if (CAP_UNLIKELY(cap_pq_text_unreadable(pc, call->sql, call->sql_len)))
		cap_sql_unknown(info);
	/* the state is read back before the first statement (its identity keys the catalog too),
	 * then only before a read or a transaction that can use it: a run of writes pays once,
	 * and so does a run of statements while the catalog is out of date (after DDL, until it
	 * may be loaded again), since nothing is cached without it */
	int observed = CAP_UNLIKELY(cap_pq_observed(pc));
	uint64_t probed_before = pc->probe_ns;
	if (CAP_UNLIKELY(pc->sess.probe_need) && pc->sess.scope_unsure && !observed &&
	    !pc->sess.disabled) /* disabled: for good (its state could not be read) */
		cap_pq_probe(pc, call);
	/* a configuration reload made without Capacitor changes settings no report shows
	 * (search_path on PostgreSQL 15), and a connection that only hits never sees even the
	 * reported ones: a read reads the state back when the last read-back is a minute old */
	if (CAP_UNLIKELY(cap_now_ns() - pc->probe_ns > CAP_PQ_REPROBE_NS) && !pc->sess.probe_need &&
	    !pc->sess.disabled &&
	    info->kind == CAP_SQL_READ && cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE)
		cap_sess_unknown(&pc->sess, 0);
	cap_pqcat *cat = observed ? NULL : cap_pq_catalog(rt, pc, info);
	if (CAP_UNLIKELY(pc->sess.probe_need) && cat != NULL &&
	    (info->kind == CAP_SQL_READ || (info->kind == CAP_SQL_TXN && info->txn == CAP_TXN_BEGIN)))
		cap_pq_probe(pc, call);
	/* without a current catalog nothing is cached, but what may write must still be known:
	 * the last one tells (it misses only the DDL since it went out of date), else nothing */
	cap_pqcat_vet(cat ? cat : pc->last, call->sql, call->sql_len, info);
	if (cat == NULL && pc->last == NULL && (info->nread || info->nfunc) &&
	    (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
	     info->kind == CAP_SQL_UTILITY))
		cap_pqcat_vet_unknown(info); /* a view may call what writes */
	if (info->kind == CAP_SQL_READ && params_mean_now(call)) {
		info->kind = CAP_SQL_READ_NOCACHE;
		info->reasons |= CAP_SQLR_VOLATILE_CLAUSE;
	}
	if (pc->params_dirty && (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE))
		cap_pq_refresh_params(pc);
	cap_sess_plan(rt, &pc->sess, info, cap_pq_in_txn_now(pc), &cap_pqcat_ops, cat, plan);
	/* a read that may hit and has just paid for a round trip (the read-back) has its socket
	 * watched now (hooks/connwatch: a slot, the thread started), not at its hit */
	if (CAP_UNLIKELY(pc->probe_ns != probed_before) && plan->can_hit)
		(void)cap_pq_closed(pc);
	return cat;
}

/* Key material: session prefix, statement, parameters (type, format, value), result format. */
static int pq_key(const pq_conn *pc, const pq_call *call, cap_keymat *km, cap_key *key)
{
	cap_sess_key(&pc->sess, km);
	cap_keymat_add(km, call->sql, call->sql_len);
	cap_keymat_add_u64(km, ((uint64_t)(uint32_t)call->nparams << 32) |
				       (uint32_t)call->result_format);
	for (int i = 0; i < call->nparams; i++) {
		int fmt = call->formats ? call->formats[i] : 0;
		uint64_t t = call->types && i < call->ntypes ? call->types[i] : 0;
		cap_keymat_add_u64(km, (t << 1) | (fmt ? 1 : 0));
		const char *v = call->values ? call->values[i] : NULL;
		if (v == NULL)
			cap_keymat_add_null(km);
		else if (fmt)
			cap_keymat_add(km, v, call->lengths ? (size_t)(call->lengths[i] < 0 ? 0 : call->lengths[i]) : 0);
		else
			cap_keymat_add(km, v, strlen(v));
	}
	return cap_keymat_finish(km, key);
}

int cap_pq_result_ok(const PGresult *r)
{
	if (r == NULL)
		return 0;
	ExecStatusType st = cap_pq.real_PQresultStatus(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY ||
	       st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
	       st == PGRES_SINGLE_TUPLE;
}

/* cap_pq_fill - store a miss's result under key; one over CAPACITOR_MAX_RESULT (or more than
 * a tier holds) is a miss with the reason "too large". */
void cap_pq_fill(const cap_rt *rt, const cap_key *key, cap_plan *plan, const PGresult *res)
{
	cap_buf b;
	cap_buf_init(&b, rt->conf.max_result);
	int rc = cap_pq_encode(res, &b);
	if (rc == CAP_OK)
		rc = cap_engine_put(rt->engine, key, &plan->deps, cap_sess_ttl(rt, plan), b.data,
				    b.len);
	cap_buf_free(&b);
	if (rc == CAP_ETOOBIG)
		plan->reason = CAP_REASON_too_large;
}

/* cap_pq_info_copy - copy a classification without the unused tail of its 4 KB name buffer. */
void cap_pq_info_copy(cap_sql_info *dst, const cap_sql_info *src)
{
	memcpy(dst, src, offsetof(cap_sql_info, names) + src->names_len);
}

/* Statement bookkeeping after a synchronous call or the end of an asynchronous one. */
void cap_pq_after(const cap_rt *rt, pq_conn *pc, const pq_call *call, const cap_sql_info *info,
		     const cap_plan *plan, int ok)
{
	/* the server may have applied a configuration reload before this statement: its
	 * reports came with the answer */
	pc->params_dirty = 1;
	pc->sess.mark_keep = cap_pq_pipeline_on(pc->conn); /* more may be in flight */

	/* anywhere in the string, whatever its overall kind (BEGIN; DEALLOCATE s; ...), and
	 * code we cannot see into (a PL/pgSQL function may EXECUTE 'PREPARE ...') */
	if (call->sql == NULL || plan->fn_may_write || info->kind == CAP_SQL_OTHER ||
	    (plan->act != CAP_ACT_CACHE && cap_pq_mentions_prepared(call->sql, call->sql_len)))
		cap_pq_preps_forget(pc);
	if (call->sql == NULL || plan->fn_may_write || info->kind == CAP_SQL_OTHER ||
	    (plan->act != CAP_ACT_CACHE && cap_pq_mentions_listen(call->sql, call->sql_len)))
		pc->listening = LISTEN_MAYBE;
	/* an unknown prepared statement (call->sql NULL) was planned as OTHER: the session
	 * treats it as a write of unknown tables and a change it cannot follow */
	cap_sess_after(rt, &pc->sess, info, plan, call->sql ? call->sql : "", call->sql_len, ok,
		       cap_pq_in_txn_now(pc), &cap_pqcat_ops, pc->cat);
	/* a trigger, a rule or an event trigger may have called set_config */
	if (call->sql && (info->kind == CAP_SQL_WRITE || info->kind == CAP_SQL_DDL) &&
	    !pc->sess.probe_need && cap_pqcat_runs_code(pc->cat, info))
		cap_sess_unknown(&pc->sess, 0);
	/* a SET of an idle timeout is folded from its text: its value is read back */
	if (call->sql && !pc->sess.probe_need && info->kind != CAP_SQL_READ &&
	    cap_pq_idle_named(call->sql, call->sql_len))
		cap_sess_unknown(&pc->sess, 0);
}

void cap_pqx_plan(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	cap_pq_plan(x->rt, c->pc, c->call, x->info, &x->plan);
}

int cap_pqx_key(cap_exec *x, cap_keymat *km)
{
	pq_x *c = (pq_x *)x;
	return pq_key(c->pc, c->call, km, &x->key) == CAP_OK ? 0 : -1;
}

/* A hit is served on a connection that allows one now; a hit standing in for the extended
 * protocol needs the record of the unnamed statement first (cap_pq_unnamed_hit_prep). */
static int px_can_hit_sync(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	return cap_pq_hit_allowed(c->pc) &&
	       (!c->call->extended || (c->up = cap_pq_unnamed_hit_prep(c->pc, c->call)) != NULL);
}

static int px_decode_sync(void *arg, const void *val, size_t len)
{
	pq_x *c = arg;
	c->res = cap_pq_decode(c->pc->conn, val, len, PGRES_TUPLES_OK, 0, -1);
	return c->res ? CAP_OK : CAP_ECORRUPT;
}

static int px_serve_sync(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	if (c->up)
		cap_pq_unnamed_hit(c->pc, c->up);
	else if (c->call->stmt_name == NULL && !c->call->extended)
		cap_pq_unnamed_simple_hit(c->pc);
	c->up = NULL;
	cap_pq_err_hit(c->pc);
	return CAP_EXEC_SERVED;
}

/* The last word before a miss is sent: a standby may lag the writes its entry would be filed
 * under; a dead writer's marker of this server may be resolved; the dependencies are read. */
void cap_pqx_miss(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	pq_conn *pc = c->pc;
	if (c->up)
		cap_pq_unnamed_hit_unused(pc, c->up);
	c->up = NULL;
	if (pc->standby)
		x->plan.can_fill = 0;
	if (x->plan.can_fill)
		cap_pq_orphans(x->rt, pc);
	cap_sess_deps(x->rt, &pc->sess, x->info, &cap_pqcat_ops, pc->cat, &x->plan);
}

static int px_run_sync(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	pq_conn *pc = c->pc;
	const pq_call *call = c->call;
	if (call->stmt_name && call->stmt_name[0] == '\0') {
		PGresult *bad = cap_pq_unnamed_restore(pc);
		if (bad) {
			c->res = bad;
			return CAP_EXEC_ABORT;
		}
	}
	c->notices = cap_pq_rx_count(pc);
	cap_pq_contact(pc);
	PGresult *res = c->res = CAP_REAL(c->run(pc->conn, call));
	cap_pq_track_unnamed(pc, call);
	x->ok = cap_pq_result_ok(res);
	ExecStatusType st = res ? cap_pq.real_PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (x->plan.act != CAP_ACT_CACHE &&
	    (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)) {
		/* the statement finishes when the program reads the final result: track it (with
		 * no memory for that, its end is taken as now, as for any other statement) */
		char *sql = call->sql ? strndup(call->sql, call->sql_len) : NULL;
		if ((sql || !call->sql) &&
		    (pc->fl.info || (pc->fl.info = malloc(sizeof(*pc->fl.info))))) {
			cap_pq_info_copy(pc->fl.info, x->info);
			pc->fl.plan = x->plan;
			pc->fl.plan.can_fill = 0;
			pc->fl.sql = sql;
			pc->fl.sql_len = call->sql ? call->sql_len : 0;
			pc->fl.active = 1;
			pc->fl.ok = 1;
			pc->fl.results = 1;
			pc->fl.t0 = x->t0;
			pc->fl.fill = 0;
			return CAP_EXEC_LATER;
		}
		free(sql);
	}
	return CAP_EXEC_RAN;
}

static void px_fill_sync(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	ExecStatusType st = c->res ? cap_pq.real_PQresultStatus(c->res) : PGRES_FATAL_ERROR;
	if (x->plan.can_fill && st == PGRES_TUPLES_OK && c->notices == cap_pq_rx_count(c->pc))
		cap_pq_fill(x->rt, &x->key, &x->plan, c->res);
	else if (c->res && st != PGRES_TUPLES_OK)
		x->plan.reason = CAP_REASON_error;
}

void cap_pqx_after(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	cap_pq_after(x->rt, c->pc, c->call, x->info, &x->plan, x->ok);
}

static const cap_exec_port pq_sync_port = {
	.dialect = CAP_DIALECT_PG,
	.decoding = "decoding a cached result",
	.plan = cap_pqx_plan,
	.key = cap_pqx_key,
	.can_hit = px_can_hit_sync,
	.decode = px_decode_sync,
	.serve = px_serve_sync,
	.miss = cap_pqx_miss,
	.run = px_run_sync,
	.fill = px_fill_sync,
	.after = cap_pqx_after,
};


/* The synchronous path shared by PQexec, PQexecParams and PQexecPrepared. */
PGresult *cap_pq_sync(const cap_rt *rt, pq_conn *pc, const pq_call *call, pq_sync_fn fn)
{
	pq_x c;
	cap_exec_start(&c.x, &pq_sync_port, rt, call->sql, call->sql_len);
	c.pc = pc;
	c.call = call;
	c.run = fn;
	c.res = NULL;
	c.up = NULL;
	cap_exec_run(&c.x);
	return c.res;
}

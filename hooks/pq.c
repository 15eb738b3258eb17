/*
 * pq.c - the libpq hooks: PQexec and friends, answered from the cache when they may be.
 *
 * Every interposed function starts the same way: when the re-entrancy guard is up (libpq is
 * calling its own exported function from inside a real call we made) or Capacitor is off, the
 * real function runs untouched. Otherwise the statement is classified (cache/sql), the
 * connection's session state decides what may be done (hooks/session), and:
 *
 *  - a cacheable read is looked up; a hit returns a PGresult built from the cached value
 *    (hooks/pq_codec) without any round trip; a miss reads the generations it depends on,
 *    runs the real function, and stores a successful, notice-free result;
 *  - anything else runs for real, and what it may have changed is invalidated afterwards.
 *
 * The asynchronous API (PQsendQuery*, PQgetResult, PQisBusy, PQconsumeInput) is served the
 * same way: a hit is held as a pending result that PQgetResult hands out, and PQisBusy reports
 * it ready without touching the socket. A program may wait for the socket to become readable
 * before it asks (event loops): while a hit is held, its socket reads as ready to the
 * program's waits (preload/waits.h), so a hit sends nothing, blocking or nonblocking. Where
 * the waits cannot promise that (a wait of another thread already blocked on the socket), the
 * hit is covered by an empty query of ours whose answer nobody waits for (hooks/pq_async.c,
 * "hits covered by an empty query"). Pipeline
 * mode, COPY, single-row mode on a miss, LISTEN/NOTIFY and large objects pass through (writes
 * in a pipeline mark and invalidate the database before they are sent and at each sync point).
 *
 * Session state is read back from the server, not guessed from the text (pq_probe): one query
 * on the program's own connection before its first statement and before the next statement
 * after any change the text cannot prove, only where the program cannot see it (idle, outside
 * any transaction, its unnamed prepared statement gone or about to be replaced). Until then the
 * connection shares no entry with any other.
 *
 * Per-connection state lives in the connection table (hooks/conntab) keyed by the PGconn
 * pointer, created at the first statement and dropped by PQfinish/PQreset; its mutex stays off
 * the hit path. The files: pq_conn.h lists them; this one keeps the interposed functions
 * that are not the asynchronous API's (PQexec, PQexecParams, PQexecPrepared, PQprepare, the
 * describe calls, PQsetNoticeReceiver, PQfinish, PQreset, PQresetStart, PQtrace and
 * PQregisterEventProc).
 */
#include "hooks/pq_async.h"
#include "hooks/pq_probe.h"

CAP_EXPORT PQnoticeReceiver PQsetNoticeReceiver(PGconn *conn, PQnoticeReceiver proc, void *arg)
{
	if (cap_guard || conn == NULL || !cap_pq_resolve() || !cap_rt_get()->invalidating)
		return cap_pq.real_PQsetNoticeReceiver ? CAP_REAL(cap_pq.real_PQsetNoticeReceiver(conn, proc, arg))
						  : NULL;
	pq_conn *pc = cap_pq_find(conn, 1);
	if (pc == NULL)
		return CAP_REAL(cap_pq.real_PQsetNoticeReceiver(conn, proc, arg));
	/* libpq ignores a NULL receiver and returns the current one */
	if (pc->rx == NULL)
		return CAP_REAL(cap_pq.real_PQsetNoticeReceiver(conn, proc, arg));
	PQnoticeReceiver old = pc->rx->app;
	if (proc) {
		pc->rx->app_arg = arg;
		__atomic_store_n(&pc->rx->app, proc, __ATOMIC_RELEASE);
	}
	return old;
}

CAP_EXPORT void PQfinish(PGconn *conn)
{
	if (!cap_pq_resolve()) {
		if (cap_pq.real_PQfinish)
			cap_pq.real_PQfinish(conn);
		return;
	}
	if (conn && !cap_guard) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc)
			cap_pq_drop_inflight(cap_rt_get(), pc);
		cap_pq_remove(conn);
		cap_wait_forget(cap_pq.real_PQsocket(conn));
	}
	CAP_REAL_VOID(cap_pq.real_PQfinish(conn));
}

/* A reset (PQreset, PQresetStart) makes a new session on the same PGconn: what was in flight
 * is over, the session's state is unknown, and its socket is another. */
static void reset_forget(PGconn *conn)
{
	if (cap_pq_resolve() && conn && !cap_guard) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc) {
			cap_pq_drop_inflight(cap_rt_get(), pc);
			cap_pq_forget_session(pc);
		}
		cap_wait_forget(cap_pq.real_PQsocket(conn));
	}
}

CAP_EXPORT void PQreset(PGconn *conn)
{
	reset_forget(conn);
	if (cap_pq.real_PQreset)
		CAP_REAL_VOID(cap_pq.real_PQreset(conn));
}

CAP_EXPORT int PQresetStart(PGconn *conn)
{
	reset_forget(conn);
	return cap_pq.real_PQresetStart ? CAP_REAL(cap_pq.real_PQresetStart(conn)) : 0;
}

/* pq_conn.h, cap_pq_observed */
int cap_pq_observed_all;

/* observe_begin - the program is about to see what happens on pc's connection
 * (cap_pq_observed): what of ours is outstanding or due there is done first, unseen. Our
 * empty query's answer is read; an unnamed statement a hit stood in for is prepared again
 * now, while libpq and the session are idle (its restore would otherwise come later, in
 * view: one is left for later only when a transaction is open, where our Parse could take
 * its snapshot). */
static void observe_begin(pq_conn *pc)
{
	cap_pq_ghost_drain(pc);
	if (!pc->held.on && !pc->fl.active && !cap_pq_pipeline_on(pc->conn) &&
	    cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE)
		cap_pq.real_PQclear(cap_pq_unnamed_restore(pc)); /* if it fails, so would the program's */
}

/* A traced connection (PQtrace) shows the program every message sent and received on it: from
 * then on Capacitor sends none of its own there and serves nothing (pq_conn.traced), until
 * PQuntrace. */
CAP_EXPORT void PQtrace(PGconn *conn, FILE *debug_port)
{
	const cap_rt *rt;
	if (!cap_pq_bypass(&rt) && conn != NULL) {
		pq_conn *pc = cap_pq_find(conn, 1);
		if (pc) {
			observe_begin(pc);
			pc->traced = 1;
		} else {
			__atomic_store_n(&cap_pq_observed_all, 1, __ATOMIC_RELAXED);
		}
	}
	if (cap_pq.real_PQtrace)
		CAP_REAL_VOID(cap_pq.real_PQtrace(conn, debug_port));
}

/* An event procedure (libpqtypes and other libpq add-ons) gets PGEVT_RESULTCREATE for every
 * result made on the connection, with its rows: from its registration on, Capacitor runs no
 * query of its own there and serves nothing (pq_conn.events), as on a traced connection. For
 * good: libpq has no way to unregister one, and keeps it across PQreset. What ran before the
 * registration was before the procedure could see anything. The flag goes up before the real
 * call, so that a registration that fails costs caching only. */
CAP_EXPORT int PQregisterEventProc(PGconn *conn, PGEventProc proc, const char *name,
				   void *passThrough)
{
	const cap_rt *rt;
	if (!cap_pq_bypass(&rt) && conn != NULL && proc != NULL) {
		pq_conn *pc = cap_pq_find(conn, 1);
		if (pc) {
			observe_begin(pc);
			pc->events = 1;
		} else {
			__atomic_store_n(&cap_pq_observed_all, 1, __ATOMIC_RELAXED);
		}
	}
	return cap_pq.real_PQregisterEventProc
		       ? CAP_REAL(cap_pq.real_PQregisterEventProc(conn, proc, name, passThrough))
		       : 0;
}

CAP_EXPORT void PQuntrace(PGconn *conn)
{
	const cap_rt *rt;
	if (!cap_pq_bypass(&rt) && conn != NULL) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc)
			pc->traced = 0;
	}
	if (cap_pq.real_PQuntrace)
		CAP_REAL_VOID(cap_pq.real_PQuntrace(conn));
}

/* A Parse or a Describe inside a transaction block takes the transaction's snapshot (REPEATABLE
 * READ, SERIALIZABLE) if no query did: the next query is then not the one that takes it, and
 * what it reads is not stored (session.c, txn_snap). */
static void snap_taken(pq_conn *pc)
{
	if (pc && cap_pq.real_PQtransactionStatus(pc->conn) != PQTRANS_IDLE)
		pc->sess.txn_snap = 1;
}

CAP_EXPORT PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query,
			       int nParams, const Oid *paramTypes)
{
	const cap_rt *rt;
	if (stmtName == NULL) /* libpq refuses it and sends nothing */
		cap_pq_ghost_settle(conn);
	if (stmtName == NULL || cap_pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQprepare
			       ? CAP_REAL(cap_pq.real_PQprepare(conn, stmtName, query, nParams, paramTypes))
			       : NULL;
	pq_conn *pc = cap_pq_find(conn, 1);
	cap_pq_new_command(rt, pc);
	snap_taken(pc);
	PGresult *res = CAP_REAL(cap_pq.real_PQprepare(conn, stmtName, query, nParams, paramTypes));
	if (pc && (stmtName == NULL || stmtName[0] == '\0')) {
		pc->unnamed_live = 1;
		pc->unnamed_dead = 0; /* replaced */
	}
	if (pc && res && cap_pq.real_PQresultStatus(res) == PGRES_COMMAND_OK) {
		pq_prep *p = cap_pq_prep_new(stmtName, query, nParams, paramTypes);
		if (p)
			cap_pq_prep_add(pc, p);
		else
			cap_pq_prep_drop(pc, stmtName ? stmtName : "");
	} else if (pc && stmtName[0] == '\0') {
		cap_pq_prep_drop(pc, ""); /* the server drops its unnamed statement before parsing */
	}
	return res;
}

CAP_EXPORT int PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
			     const Oid *paramTypes)
{
	const cap_rt *rt;
	if (stmtName == NULL) /* libpq refuses it and sends nothing */
		cap_pq_ghost_settle(conn);
	if (stmtName == NULL || cap_pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQsendPrepare
			       ? CAP_REAL(cap_pq.real_PQsendPrepare(conn, stmtName, query, nParams,
							       paramTypes))
			       : 0;
	pq_conn *pc = cap_pq_find(conn, 1);
	if (cap_pq_held_refuse(pc)) /* libpq refuses it: nothing is prepared */
		return CAP_REAL(cap_pq.real_PQsendPrepare(conn, stmtName, query, nParams, paramTypes));
	if (pc)
		cap_pq_settle_inflight(rt, pc);
	cap_pq_ghost_drain(pc);
	snap_taken(pc);
	if (pc == NULL || pc->held.on || pc->fl.active || cap_pq_pipeline_on(conn)) {
		if (pc)
			cap_pq_prep_drop(pc, stmtName ? stmtName : ""); /* its fate will be unknown */
		if (pc && (stmtName == NULL || stmtName[0] == '\0')) {
			pc->unnamed_live = 1;
			pc->unnamed_dead = 0; /* replaced */
		}
		return CAP_REAL(cap_pq.real_PQsendPrepare(conn, stmtName, query, nParams, paramTypes));
	}
	pq_prep *p = cap_pq_prep_new(stmtName, query, nParams, paramTypes);
	int sent = CAP_REAL(cap_pq.real_PQsendPrepare(conn, stmtName, query, nParams, paramTypes));
	if (stmtName == NULL || stmtName[0] == '\0') {
		pc->unnamed_live = 1;
		pc->unnamed_dead = 0; /* replaced */
	}
	if (!sent || p == NULL) {
		if (p)
			cap_pq_prep_free(p);
		else
			cap_pq_prep_drop(pc, stmtName ? stmtName : "");
		return sent;
	}
	memset(&pc->fl.plan, 0, sizeof(pc->fl.plan));
	pc->fl.prep = p;
	pc->fl.sql = NULL;
	pc->fl.ok = 1;
	pc->fl.results = 0;
	pc->fl.fill = 0;
	pc->fl.active = 1;
	return sent;
}

/* Describing the unnamed statement after a hit stood in for it: the server must have the
 * program's statement first. */
static PGresult *describe_unnamed(PGconn *conn, const char *stmt)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL || (stmt != NULL && stmt[0] != '\0'))
		return NULL;
	pq_conn *pc = cap_pq_find(conn, 0);
	if (pc)
		cap_pq_settle_inflight(rt, pc);
	if (pc == NULL || pc->held.on || pc->fl.active || cap_pq_pipeline_on(conn))
		return NULL;
	return cap_pq_unnamed_restore(pc);
}

CAP_EXPORT int PQsendDescribePrepared(PGconn *conn, const char *stmt)
{
	if (cap_pq_busy_gate(conn)) /* "another command is already in progress" */
		return CAP_REAL(cap_pq.real_PQsendDescribePrepared(conn, stmt));
	if (!cap_guard && conn && cap_pq_resolve())
		snap_taken(cap_pq_find(conn, 0));
	cap_pq.real_PQclear(describe_unnamed(conn, stmt)); /* the server will say it has none */
	return cap_pq.real_PQsendDescribePrepared
		       ? CAP_REAL(cap_pq.real_PQsendDescribePrepared(conn, stmt)) : 0;
}

CAP_EXPORT int PQsendDescribePortal(PGconn *conn, const char *portal)
{
	if (cap_pq_busy_gate(conn))
		return CAP_REAL(cap_pq.real_PQsendDescribePortal(conn, portal));
	if (!cap_guard && conn && cap_pq_resolve())
		snap_taken(cap_pq_find(conn, 0));
	return cap_pq.real_PQsendDescribePortal
		       ? CAP_REAL(cap_pq.real_PQsendDescribePortal(conn, portal)) : 0;
}

/* The synchronous describe calls begin as libpq's PQexec does: an unread result (a held hit)
 * is discarded, and whatever of ours is outstanding is read first. */
static void describe_start(PGconn *conn)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL)
		return;
	pq_conn *pc = cap_pq_find(conn, 0);
	if (pc == NULL)
		return;
	cap_pq_new_command(rt, pc);
	pc->err_masked = 0; /* libpq clears its message as the call starts */
	snap_taken(pc);
}

CAP_EXPORT PGresult *PQdescribePrepared(PGconn *conn, const char *stmt)
{
	describe_start(conn);
	PGresult *bad = describe_unnamed(conn, stmt);
	if (bad)
		return bad;
	return cap_pq.real_PQdescribePrepared ? CAP_REAL(cap_pq.real_PQdescribePrepared(conn, stmt)) : NULL;
}

CAP_EXPORT PGresult *PQdescribePortal(PGconn *conn, const char *portal)
{
	describe_start(conn);
	return cap_pq.real_PQdescribePortal ? CAP_REAL(cap_pq.real_PQdescribePortal(conn, portal)) : NULL;
}

static PGresult *run_exec(PGconn *conn, const pq_call *c)
{
	return cap_pq.real_PQexec(conn, c->sql);
}

static PGresult *run_params(PGconn *conn, const pq_call *c)
{
	return cap_pq.real_PQexecParams(conn, c->sql, c->nparams, c->types, c->values, c->lengths,
				   c->formats, c->result_format);
}

static PGresult *run_prepared(PGconn *conn, const pq_call *c)
{
	return cap_pq.real_PQexecPrepared(conn, c->stmt_name, c->nparams, c->values, c->lengths,
				     c->formats, c->result_format);
}

CAP_EXPORT PGresult *PQexec(PGconn *conn, const char *query)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQexec ? CAP_REAL(cap_pq.real_PQexec(conn, query)) : NULL;
	pq_conn *pc = cap_pq_find(conn, 1);
	cap_pq_new_command(rt, pc);
	if (pc == NULL || pc->fl.active || pc->held.on || cap_pq_pipeline_on(conn)) {
		/* libpq refuses these (busy, pipeline) or we have no state: bump to be safe */
		PGresult *r = CAP_REAL(cap_pq.real_PQexec(conn, query));
		if (pc)
			cap_sess_bump_db(rt, &pc->sess);
		else
			cap_engine_bump_all(rt->engine);
		return r;
	}
	pq_call call = { query, strlen(query), NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0 };
	return cap_pq_sync(rt, pc, &call, run_exec);
}

CAP_EXPORT PGresult *PQexecParams(PGconn *conn, const char *command, int nParams,
				  const Oid *paramTypes, const char *const *paramValues,
				  const int *paramLengths, const int *paramFormats, int resultFormat)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL || command == NULL || nParams < 0)
		return cap_pq.real_PQexecParams
			       ? CAP_REAL(cap_pq.real_PQexecParams(conn, command, nParams, paramTypes,
							      paramValues, paramLengths,
							      paramFormats, resultFormat))
			       : NULL;
	pq_conn *pc = cap_pq_find(conn, 1);
	pq_call call = { command, strlen(command), NULL, nParams, paramTypes, paramValues,
			 paramLengths, paramFormats, resultFormat, 1, paramTypes ? nParams : 0 };
	cap_pq_new_command(rt, pc);
	if (pc == NULL || pc->fl.active || pc->held.on || cap_pq_pipeline_on(conn)) {
		PGresult *r = CAP_REAL(run_params(conn, &call));
		if (pc) {
			pc->unnamed_live = 1;
			pc->unnamed_dead = 0;
			cap_sess_bump_db(rt, &pc->sess);
		} else {
			cap_engine_bump_all(rt->engine);
		}
		return r;
	}
	return cap_pq_sync(rt, pc, &call, run_params);
}

CAP_EXPORT PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams,
				    const char *const *paramValues, const int *paramLengths,
				    const int *paramFormats, int resultFormat)
{
	const cap_rt *rt;
	if (stmtName == NULL) /* libpq refuses it and sends nothing ("" is the unnamed one) */
		cap_pq_ghost_settle(conn);
	if (stmtName == NULL || cap_pq_bypass(&rt) || conn == NULL || nParams < 0)
		return cap_pq.real_PQexecPrepared
			       ? CAP_REAL(cap_pq.real_PQexecPrepared(conn, stmtName, nParams, paramValues,
								paramLengths, paramFormats,
								resultFormat))
			       : NULL;
	pq_conn *pc = cap_pq_find(conn, 1);
	pq_call call;
	cap_pq_prepared_call(pc, &call, stmtName, nParams, paramValues, paramLengths, paramFormats,
		      resultFormat);
	cap_pq_new_command(rt, pc);
	if (pc == NULL || pc->fl.active || pc->held.on || cap_pq_pipeline_on(conn)) {
		PGresult *r = CAP_REAL(run_prepared(conn, &call));
		if (pc == NULL)
			cap_engine_bump_all(rt->engine);
		else if (call.sql == NULL || !cap_pq_pipeline_on(conn))
			cap_sess_bump_db(rt, &pc->sess);
		return r;
	}
	return cap_pq_sync(rt, pc, &call, run_prepared);
}

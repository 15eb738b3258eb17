/*
 * pq_async.c - the asynchronous API through the libpq hooks (PQsendQuery*, PQgetResult,
 * PQisBusy, PQconsumeInput, PQsocket, single-row and pipeline mode): a hit is held for
 * PQgetResult (the program's waits see its socket ready, preload/waits.h; or, where they
 * cannot promise that, it is covered by an empty query of ours: the ghost, below), a miss or a write is followed until PQgetResult returns NULL, and pipeline mode
 * passes through with writes invalidated at each sync point. The driver's port here differs
 * from the synchronous one only where a hit is held and a statement ends later.
 */
#include "hooks/pq_async.h"
#include "hooks/pq_connect.h"
#include "hooks/pq_probe.h"
#include "cache/sqlmemo.h"

#include <errno.h>
#include <poll.h>

static int px_can_hit_async(cap_exec *x)
{
	return cap_pq_hit_allowed(((pq_x *)x)->pc);
}

/* async: the value is kept as it is; PQgetResult decodes it (in pieces in single-row mode) */
static int px_decode_async(void *arg, const void *val, size_t len)
{
	cap_buf *b = &((pq_x *)arg)->pc->held.val;
	b->len = 0;
	b->err = 0;
	cap_buf_put(b, val, len);
	return b->err;
}

/* ---- hits covered by an empty query -------------------------------------------------------
 *
 * After PQsendQuery* a program may ask PQisBusy before it waits (psycopg 3, Ruby pg) or wait
 * for the socket first (an event loop that polls, then reads; nginx's edge-triggered epoll),
 * maybe on a socket number it fetched before sending; we cannot see which, and a hit that sent
 * nothing would leave the second kind waiting forever. The program's waits normally see the
 * hit (cap_wait_hold); when they cannot (another thread already blocked in a wait on the
 * socket, a descriptor past the waits' table), the hit is held only when covered by an empty
 * query of ours, the ghost: when the hit is taken,
 * libpq has a ghost outstanding and has not read all of its answer, so bytes of it are unread
 * in, or still to arrive on, the socket. The program's own PQconsumeInput reads for real, so
 * bytes still to come arrive after its last read and wake any wait, level- or edge-triggered.
 * Asking after a read is all a program needs (one that waits again after PQconsumeInput
 * without asking PQisBusy hangs without Capacitor too).
 *
 * No wait is ever done for a ghost on the hit path, and a ghost whose answer is still unread
 * covers the next hits too: a program that asks PQisBusy before it waits sends one empty query
 * for a run of hits, one that calls PQconsumeInput first about one every other hit, one that
 * waits first one per hit (its answer is often there already). The connection looks idle to
 * the program meanwhile (PQisBusy 0, PQgetResult NULL, PQtransactionStatus as before the
 * ghost). A ghost's answer is dropped without blocking whenever it is complete, and waited for
 * (cap_pq_ghost_drain) only before a command that goes to the server (usually it is there already;
 * otherwise that call waits for it, at most one empty query's round trip, even on a
 * nonblocking connection); libpq functions that need libpq idle and are not otherwise ours
 * (pipeline mode, describe, the fast path) drain it too.
 * Everything here runs inside the program's own calls on that connection, so libpq's
 * one-thread-per-connection rule holds.
 *
 * A ghost on a blocking connection makes the next miss wait for its answer first (pgbench -S,
 * whose keys mix hits and misses, ran at half speed with one per hit): that is why the waits
 * answer for the hit wherever they can.
 */


/* ghost_take - one result of the ghost's answer, or NULL at its end: an empty query's is
 * dropped, a new connection's read-back or catalog query is used (hooks/pq_connect.h). */
static void ghost_take(pq_conn *pc, PGresult *r)
{
	if (pc->cp == PQ_CP_NONE) {
		if (r)
			cap_pq.real_PQclear(r);
		else
			pc->ghost = 0;
	} else if (r) {
		cap_pq_cp_take(pc, r);
	} else {
		pc->ghost = 0;
		cap_pq_cp_done(pc);
	}
}

/* cap_pq_ghost_absorb - take what has arrived of the ghost's answer without waiting; 1 when
 * it is all in (or there was none), 0 while some of it is still to come. */
int cap_pq_ghost_absorb(pq_conn *pc)
{
	while (pc->ghost) {
		if (CAP_REAL(cap_pq.real_PQisBusy(pc->conn)))
			return 0;
		ghost_take(pc, CAP_REAL(cap_pq.real_PQgetResult(pc->conn))); /* not busy: no wait */
	}
	return 1;
}

/* cap_pq_ghost_wait - wait for the outstanding ghost's answer: the program is about to send
 * a command, and libpq takes one only when idle. */
void cap_pq_ghost_wait(pq_conn *pc)
{
	while (pc->ghost)
		ghost_take(pc, CAP_REAL(cap_pq.real_PQgetResult(pc->conn)));
}

/* ghost_cover - make sure an answer of ours is still to come for the hit about to be held:
 * the outstanding ghost while its answer is incomplete, else a new one. 0 when none can be
 * sent (the hit is then not served). */
static int ghost_cover(pq_conn *pc)
{
	if (!cap_pq_ghost_absorb(pc))
		return 1;
	PGTransactionStatusType t = cap_pq.real_PQtransactionStatus(pc->conn);
	if (!CAP_REAL(cap_pq.real_PQsendQuery(pc->conn, "")))
		return 0;
	pc->ghost = 1;
	pc->ghost_txn = t;
	return 1;
}

/* Before a call that needs libpq idle and that we do not otherwise follow. */
void cap_pq_ghost_settle(PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = cap_pq_find(conn, 0);
		cap_pq_ghost_drain(pc);
		if (pc)
			pc->err_masked = 0; /* the call sets libpq's message, or clears it */
	}
}

static int send_query(PGconn *conn, const pq_call *c)
{
	return cap_pq.real_PQsendQuery(conn, c->sql);
}

static int send_params(PGconn *conn, const pq_call *c)
{
	return cap_pq.real_PQsendQueryParams(conn, c->sql, c->nparams, c->types, c->values, c->lengths,
					c->formats, c->result_format);
}

static int send_prepared(PGconn *conn, const pq_call *c)
{
	return cap_pq.real_PQsendQueryPrepared(conn, c->stmt_name, c->nparams, c->values, c->lengths,
					  c->formats, c->result_format);
}

/* In pipeline mode nothing is cached; what may write invalidates the database now and again
 * at every sync point (where the pipeline's implicit transaction commits). Like any write it
 * is named in the connection's write marker before it is sent (its database, the server too
 * when it may change roles or databases): a process that dies with it in flight leaves the
 * marker orphaned, and nothing depending on it is stored until the server says the session
 * is gone. The marker goes at a sync point (pipe_synced) or the pipeline's end once libpq is
 * idle and no transaction is open: every write sent has then committed or rolled back. */
static int pq_send_pipeline(const cap_rt *rt, pq_conn *pc, const pq_call *call, pq_send_fn fn)
{
	cap_sql_info *info = cap_sess_info();
	int reads_only = 0;
	if (call->sql) {
		cap_sql_classify_memo(CAP_DIALECT_PG, call->sql, call->sql_len, info);
		if (CAP_UNLIKELY(cap_pq_text_unreadable(pc, call->sql, call->sql_len)))
			cap_sql_unknown(info);
		/* a view may call what writes: the catalog at hand says (pipeline mode loads none,
		 * cap_pq_catalog only peeks; pipe_prepare loaded one before when it could); without any,
		 * a relation read is taken for a call of what writes, as cap_pq_plan does */
		cap_pqcat *cat = cap_pq_catalog(rt, pc, info);
		cap_pqcat_vet(cat ? cat : pc->last, call->sql, call->sql_len, info);
		if (cat == NULL && pc->last == NULL && (info->nread || info->nfunc) &&
		    (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
		     info->kind == CAP_SQL_UTILITY))
			cap_pqcat_vet_unknown(info);
		/* EXPLAIN ANALYZE f(), DECLARE ... f(): a utility runs what it names */
		reads_only = ((info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
			       info->kind == CAP_SQL_UTILITY) &&
			      !(info->reasons & (CAP_SQLR_FUNCTION | CAP_SQLR_SESSION_FN))) ||
			     info->kind == CAP_SQL_EMPTY;
	}
	if (call->stmt_name == NULL)
		pc->unnamed_live = 1; /* pipeline mode sends every query with the extended protocol */
	if (!reads_only) {
		pc->pipe_dirty = 1;
		pc->params_dirty = 1;
		/* what it did to the session shows only after the pipeline: read it back then */
		cap_sess_unknown(&pc->sess, 1);
		if (call->sql == NULL || info->kind == CAP_SQL_OTHER ||
		    (info->flags & CAP_SQLF_CLUSTER) || (info->reasons & CAP_SQLR_FUNCTION)) {
			pc->pipe_cluster = 1;
			cap_sess_mark_db(rt, &pc->sess); /* bumps both */
		} else {
			cap_sess_mark_db_only(rt, &pc->sess);
		}
		/* its effects are seen only at sync points: an open transaction is tainted and bumps
		 * the whole database when it ends */
		pc->sess.txn_tainted = 1;
		pc->sess.wset_db = 1;
	}
	/* PREPARE and DEALLOCATE are utilities, not writes, but change what a name means */
	if (call->sql == NULL ||
	    (info->kind != CAP_SQL_READ && cap_pq_mentions_prepared(call->sql, call->sql_len)))
		cap_pq_preps_clear(pc);
	return CAP_REAL(fn(pc->conn, call));
}

/* pipe_synced - a sync point of a pipeline that sent what may write came back (or the pipeline
 * ended): its implicit transaction is over. Bump again; the write marker goes when nothing is
 * queued behind the sync and no transaction is open (libpq then says idle: otherwise a later
 * sync point, the pipeline's end or the statement that ends the transaction clears it). */
static void pipe_synced(const cap_rt *rt, pq_conn *pc)
{
	cap_sess_bump_db(rt, &pc->sess);
	if (pc->pipe_cluster || pc->sess.wset_cluster)
		cap_sess_bump_cluster(rt, &pc->sess);
	if (cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE)
		cap_sess_unmark(rt, &pc->sess);
}

static void pq_finish_inflight(const cap_rt *rt, pq_conn *pc);


/* cap_pq_settle_busy - before a new command, with a statement in flight: when it is over at
 * the server (libpq idle, the program just never read the final NULL), account it now and
 * return 1; while libpq is still busy with it return 0 (libpq will refuse the new command). */
int cap_pq_settle_busy(const cap_rt *rt, pq_conn *pc)
{
	if (cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_ACTIVE)
		return 0;
	pq_finish_inflight(rt, pc);
	return 1;
}

/* cap_pq_drop_inflight - the connection goes away (PQfinish, PQreset) with a command that may
 * still be running: account it if it is over, else invalidate the database for it. */
void cap_pq_drop_inflight(const cap_rt *rt, pq_conn *pc)
{
	if (!pc->fl.active || cap_pq_settle_inflight(rt, pc))
		return;
	if (pc->fl.plan.act != CAP_ACT_CACHE)
		cap_sess_bump_db(rt, &pc->sess);
	cap_pq_fl_clear(pc);
}

/* A hit on the asynchronous API is held for PQgetResult: the program's waits see it
 * (cap_wait_hold), or else an empty query of ours covers it (ghost_cover). */
static int px_serve_async(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	pq_conn *pc = c->pc;
	const pq_call *call = c->call;
	int rows = cap_pq_rows(pc->held.val.data, pc->held.val.len);
	int nonblocking = cap_pq.real_PQisnonblocking(pc->conn) || pc->ghost;
	pq_prep *up = NULL;
	if (rows >= 0 && call->extended && (up = cap_pq_unnamed_hit_prep(pc, call)) == NULL)
		rows = -1; /* served, it would leave the unnamed statement wrong */
	/* a program that waits on the socket before it asks is woken by the waits themselves
	 * (preload/waits.h), else by an empty query of ours */
	int fd = cap_pq.real_PQsocket(pc->conn);
	int waits = rows >= 0 && cap_wait_hold(fd);
	if (rows >= 0 && (waits || ghost_cover(pc))) {
		cap_pq_held_clear(pc);
		pc->held.on = 1;
		pc->held.waits = waits;
		pc->held.fd = fd;
		pc->held.rows = rows;
		pc->held.l2 = x->hit == CAP_HIT_L2;
		pc->held.followed = x->plan.followed;
		pc->held.t0 = x->t0;
		pc->held.shape = x->info->digest;
		if (up)
			cap_pq_unnamed_hit(pc, up);
		else if (pc->ghost)
			cap_pq_prep_drop(pc, "");
		else if (!waits && nonblocking && call->stmt_name)
			cap_pq_unnamed_stale(pc); /* the empty query destroyed it */
		else if (!waits && nonblocking)
			cap_pq_prep_drop(pc, "");
		else if (call->stmt_name == NULL && !call->extended)
			cap_pq_unnamed_simple_hit(pc);
		c->sent = 1;
		cap_pq_err_hit(pc);
		return CAP_EXEC_SERVED_LATER; /* recorded when handed out (pq_held_result) */
	}
	if (up)
		cap_pq_unnamed_hit_unused(pc, up);
	return CAP_EXEC_NOT_SERVED;
}

/* A miss, a write or a pass: remember it until PQgetResult returns NULL. */
static int px_run_async(cap_exec *x)
{
	pq_x *c = (pq_x *)x;
	pq_conn *pc = c->pc;
	const pq_call *call = c->call;
	cap_pq_ghost_drain(pc);
	if (pc->fl.info == NULL)
		pc->fl.info = malloc(sizeof(*pc->fl.info));
	/* the text goes with the statement to its end, where the session reads it again: a
	 * statement that cannot keep it is not tracked (fl.sql NULL with fl.sql_len set read
	 * past an empty string there) */
	char *sql = call->sql ? strndup(call->sql, call->sql_len) : NULL;
	if (pc->fl.info == NULL || (call->sql && sql == NULL)) {
		free(sql);
		cap_fail_open("tracking an asynchronous query", CAP_ENOMEM);
		if (x->plan.act == CAP_ACT_WRITE || x->plan.act == CAP_ACT_PASS)
			cap_sess_bump_db(x->rt, &pc->sess);
		c->sent = CAP_REAL(c->send(pc->conn, call));
		return CAP_EXEC_ABORT;
	}
	cap_pq_info_copy(pc->fl.info, x->info);
	pc->fl.plan = x->plan;
	pc->fl.sql = sql;
	pc->fl.sql_len = call->sql ? call->sql_len : 0;
	pc->fl.fill = 0;
	if (x->plan.act == CAP_ACT_CACHE && x->plan.can_fill && x->keyed) {
		pc->fl.key.len = 0;
		pc->fl.key.err = 0;
		cap_buf_put(&pc->fl.key, x->key.mat, x->key.len);
		pc->fl.hash = x->key.hash;
		pc->fl.fill = pc->fl.key.err == 0;
	}
	pc->fl.notices = cap_pq_rx_count(pc);
	pc->fl.t0 = x->t0;
	pc->fl.ok = 1;
	pc->fl.results = 0;
	if (call->stmt_name && call->stmt_name[0] == '\0') {
		PGresult *bad = cap_pq_unnamed_restore(pc);
		cap_pq.real_PQclear(bad); /* the server will say it has no unnamed statement */
	}
	cap_pq_contact(pc);
	c->sent = CAP_REAL(c->send(pc->conn, call));
	cap_pq_track_unnamed(pc, call);
	if (!c->sent) {
		cap_pq_fl_clear(pc);
		return CAP_EXEC_ABORT;
	}
	pc->fl.active = 1;
	return CAP_EXEC_LATER; /* accounted by pq_finish_inflight */
}

static void px_fill_none(cap_exec *x)
{
	(void)x; /* the async run always ends later: pq_inflight_result fills */
}

static const cap_exec_port pq_send_port = {
	.dialect = CAP_DIALECT_PG,
	.decoding = "decoding a cached result",
	.plan = cap_pqx_plan,
	.key = cap_pqx_key,
	.can_hit = px_can_hit_async,
	.decode = px_decode_async,
	.serve = px_serve_async,
	.miss = cap_pqx_miss,
	.run = px_run_async,
	.fill = px_fill_none,
	.after = cap_pqx_after,
};


int cap_pq_held_refuse(pq_conn *pc)
{
	if (pc == NULL || !pc->held.on)
		return 0;
	if (!pc->held.empty && !pc->ghost) {
		if (!ghost_cover(pc)) {
			cap_pq_held_clear(pc); /* no ghost: the hit gives way to the new command */
			return 0;
		}
		cap_pq_unnamed_stale(pc); /* the empty query destroyed it */
	}
	pc->err_masked = 0; /* the refusal is libpq's own message */
	return 1;
}

void cap_pq_held_discard(pq_conn *pc)
{
	if (pc->held.empty && !pc->ghost) {
		/* the empty query sent for it (PQsocket) is still to be read: it is ours now, read
		 * before the command (cap_pq_new_command drains it at once) */
		pc->ghost = 1;
		pc->ghost_txn = cap_pq.real_PQtransactionStatus(pc->conn);
	}
	cap_pq_held_clear(pc);
}

/* ghost_ready - the program's last PQisBusy found the held result ready:
 * libpq, had it read that answer, would have a result waiting (PQexitPipelineMode says "with
 * uncollected results", not "while busy"). Wait until it has our empty query's, as it would
 * the program's: at most that query's round trip, and only for a program that abandoned a
 * result it was told was there. */
static void ghost_ready(pq_conn *pc)
{
	int fd = cap_pq.real_PQsocket(pc->conn);
	for (int tries = 0; tries < 2 && fd >= 0; tries++) {
		while (pc->ghost && CAP_REAL(cap_pq.real_PQisBusy(pc->conn))) {
			struct pollfd p = { fd, POLLIN, 0 };
			if (cap_pq.real_PQflush && CAP_REAL(cap_pq.real_PQflush(pc->conn)) > 0)
				p.events |= POLLOUT;
			if (CAP_REAL(poll(&p, 1, -1)) < 0 && errno != EINTR)
				return;
			if (!CAP_REAL(cap_pq.real_PQconsumeInput(pc->conn)))
				return;
		}
		if (!pc->ghost || cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_ACTIVE)
			return; /* a result of ours waits (or there is none to wait for) */
		/* the ghost's answer had been read to its end already: another one */
		cap_pq_ghost_absorb(pc);
		if (!ghost_cover(pc))
			return;
	}
}

/* ---- busy, as the program sees it ----------------------------------------------------------
 *
 * libpq is busy from a PQsendQuery* until PQgetResult returns NULL, or until a PQisBusy after
 * the last result read the end of the answer. While a held hit stands in for that answer,
 * libpq itself is idle (or busy with a ghost the program must not see), so every call whose
 * outcome depends on it follows one of two rules:
 *  - the synchronous calls (PQexec*, PQprepare, PQdescribe*: libpq's PQexecStart) discard an
 *    unread result: the hit is discarded (cap_pq_new_command);
 *  - the calls libpq refuses while busy (PQsend*, PQsendFlushRequest, pipeline mode, PQfn)
 *    are refused by libpq itself, made busy by a ghost (cap_pq_held_refuse, here through
 *    cap_pq_busy_gate): its return value and message are libpq's own.
 * PQisBusy (which parses what arrived; PQconsumeInput only reads), PQtransactionStatus and
 * PQsetSingleRowMode answer for the hit as libpq would for the answer it stands for
 * (held_parse).
 */
int cap_pq_busy_gate(PGconn *conn)
{
	if (cap_guard || conn == NULL || !cap_pq_resolve())
		return 0;
	pq_conn *pc = cap_pq_find(conn, 0);
	if (pc == NULL)
		return 0;
	if (!pc->held.on) {
		cap_pq_ghost_drain(pc); /* idle to the program: so it is to libpq */
		return 0;
	}
	if (!cap_pq_held_refuse(pc))
		return 0; /* no ghost could be sent: the hit gave way */
	if (pc->held.ready && !pc->held.empty)
		ghost_ready(pc);
	return 1;
}

static int pq_send(const cap_rt *rt, pq_conn *pc, const pq_call *call, pq_send_fn fn)
{
	if (cap_pq_pipeline_on(pc->conn))
		return pq_send_pipeline(rt, pc, call, fn);
	if (cap_pq_held_refuse(pc) || !cap_pq_settle_inflight(rt, pc)) {
		/* libpq is busy and will refuse this, in a message of its own */
		pc->err_masked = 0;
		return CAP_REAL(fn(pc->conn, call));
	}
	pq_x c;
	cap_exec_start(&c.x, &pq_send_port, rt, call->sql, call->sql_len);
	c.pc = pc;
	c.call = call;
	c.send = fn;
	c.up = NULL;
	c.sent = 0;
	cap_exec_run(&c.x);
	return c.sent;
}

/* The final step of an asynchronous statement (PQgetResult returned NULL). */
static void pq_finish_inflight(const cap_rt *rt, pq_conn *pc)
{
	pq_call call;
	memset(&call, 0, sizeof(call));
	call.sql = pc->fl.sql;
	call.sql_len = pc->fl.sql_len;
	if (pc->fl.prep) {
		if (pc->fl.ok && pc->fl.results == 1) {
			cap_pq_prep_add(pc, pc->fl.prep);
			pc->fl.prep = NULL;
		} else if (pc->fl.prep->name[0] == '\0') {
			cap_pq_prep_drop(pc, ""); /* the server drops its unnamed one before parsing */
		}
		cap_pq_fl_clear(pc);
		return;
	}
	cap_pq_after(rt, pc, &call, pc->fl.info, &pc->fl.plan, pc->fl.ok && pc->fl.results > 0);
	cap_exec_record(CAP_DIALECT_PG, cap_exec_end_path(&pc->fl.plan), &pc->fl.plan,
			call.sql ? pc->fl.info->digest : 0, call.sql, call.sql_len, pc->fl.t0);
	cap_pq_fl_clear(pc);
}

/* Account one result of an in-flight statement; fill the cache from a miss's result. */
static void pq_inflight_result(const cap_rt *rt, pq_conn *pc, const PGresult *res)
{
	ExecStatusType st = cap_pq.real_PQresultStatus(res);
	pc->fl.results++;
	if (!cap_pq_result_ok(res)) {
		pc->fl.ok = 0;
		pc->fl.plan.reason = CAP_REASON_error;
	}
	/* a write is bumped as soon as one of its results is final: a program may read it and
	 * never the closing NULL (it sends its next command, or finishes the connection) */
	if (pc->fl.plan.act == CAP_ACT_WRITE && pc->fl.prep == NULL && st != PGRES_COPY_IN &&
	    st != PGRES_COPY_OUT && st != PGRES_COPY_BOTH)
		cap_sess_bump(rt, &pc->sess, pc->fl.info, &pc->fl.plan, &cap_pqcat_ops, pc->cat);
	if (pc->fl.fill && st == PGRES_TUPLES_OK && pc->fl.results == 1 &&
	    pc->fl.notices == cap_pq_rx_count(pc)) {
		cap_key key = { pc->fl.hash, pc->fl.key.data, pc->fl.key.len };
		cap_pq_fill(rt, &key, &pc->fl.plan, res);
	}
	pc->fl.fill = 0;
}

/* Hand out the next piece of a pending hit. */
static PGresult *pq_held_result(pq_conn *pc)
{
	if (pc->held.done) {
		cap_plan plan;
		memset(&plan, 0, sizeof(plan));
		plan.is_read = 1;
		plan.followed = pc->held.followed;
		cap_exec_record(CAP_DIALECT_PG, pc->held.l2 ? CAP_PATH_HIT_L2 : CAP_PATH_HIT_L1,
				&plan, pc->held.shape, NULL, 0, pc->held.t0);
		cap_pq_held_clear(pc);
		return NULL;
	}
	PGresult *r;
	pc->held.ready = 0;
	if (pc->held.single && pc->held.row < pc->held.rows) {
		r = cap_pq_decode(pc->conn, pc->held.val.data, pc->held.val.len, PGRES_SINGLE_TUPLE,
				  pc->held.row, 1);
		pc->held.row++;
	} else {
		r = cap_pq_decode(pc->conn, pc->held.val.data, pc->held.val.len, PGRES_TUPLES_OK,
				  pc->held.single ? pc->held.rows : 0, pc->held.single ? 0 : -1);
		pc->held.done = 1;
		/* the answer is taken: as after the server's, which the program's read consumed,
		 * the socket has nothing more to read (a program that keeps it in its waits until
		 * the final NULL would otherwise spin) */
		if (pc->held.waits) {
			cap_wait_release(pc->held.fd);
			pc->held.waits = 0;
		}
	}
	return r;
}

/* held_parse - PQisBusy while a hit is held: libpq would parse what has
 * arrived, the next piece of the answer (then waiting for PQgetResult) or, once the last was
 * read, the answer's end (then idle: the hit is over). */
static void held_parse(pq_conn *pc)
{
	if (pc->held.done)
		(void)pq_held_result(pc); /* records it and clears */
	else
		pc->held.ready = 1;
}

CAP_EXPORT int PQsendQuery(PGconn *conn, const char *query)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQsendQuery ? CAP_REAL(cap_pq.real_PQsendQuery(conn, query)) : 0;
	pq_conn *pc = cap_pq_find(conn, 1);
	if (pc == NULL)
		return CAP_REAL(cap_pq.real_PQsendQuery(conn, query));
	pq_call call = { query, strlen(query), NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0 };
	return pq_send(rt, pc, &call, send_query);
}

CAP_EXPORT int PQsendQueryParams(PGconn *conn, const char *command, int nParams,
				 const Oid *paramTypes, const char *const *paramValues,
				 const int *paramLengths, const int *paramFormats, int resultFormat)
{
	const cap_rt *rt;
	pq_call call = { command, command ? strlen(command) : 0, NULL, nParams, paramTypes,
			 paramValues, paramLengths, paramFormats, resultFormat, 1,
			 paramTypes ? nParams : 0 };
	if (cap_pq_bypass(&rt) || conn == NULL || command == NULL || nParams < 0)
		return cap_pq.real_PQsendQueryParams ? CAP_REAL(send_params(conn, &call)) : 0;
	pq_conn *pc = cap_pq_find(conn, 1);
	if (pc == NULL)
		return CAP_REAL(send_params(conn, &call));
	return pq_send(rt, pc, &call, send_params);
}

CAP_EXPORT int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams,
				   const char *const *paramValues, const int *paramLengths,
				   const int *paramFormats, int resultFormat)
{
	const cap_rt *rt;
	if (stmtName == NULL) /* libpq refuses it and sends nothing ("" is the unnamed one) */
		cap_pq_ghost_settle(conn);
	if (stmtName == NULL || cap_pq_bypass(&rt) || conn == NULL || nParams < 0)
		return cap_pq.real_PQsendQueryPrepared
			       ? CAP_REAL(cap_pq.real_PQsendQueryPrepared(conn, stmtName, nParams,
								     paramValues, paramLengths,
								     paramFormats, resultFormat))
			       : 0;
	pq_conn *pc = cap_pq_find(conn, 1);
	pq_call call;
	cap_pq_prepared_call(pc, &call, stmtName, nParams, paramValues, paramLengths, paramFormats,
		      resultFormat);
	if (pc == NULL) {
		cap_engine_bump_all(rt->engine); /* no state: the statement is unknown */
		return CAP_REAL(send_prepared(conn, &call));
	}
	return pq_send(rt, pc, &call, send_prepared);
}

CAP_EXPORT PGresult *PQgetResult(PGconn *conn)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL)
		return cap_pq.real_PQgetResult ? CAP_REAL(cap_pq.real_PQgetResult(conn)) : NULL;
	pq_conn *pc = cap_pq_find(conn, 0);
	if (pc == NULL)
		return CAP_REAL(cap_pq.real_PQgetResult(conn));
	if (pc->held.on) {
		if (!pc->held.empty)
			return pq_held_result(pc);
		/* nonblocking: swap the empty query's answer for the cached result */
		PGresult *r = CAP_REAL(cap_pq.real_PQgetResult(conn));
		if (r && cap_pq.real_PQresultStatus(r) == PGRES_EMPTY_QUERY && !pc->held.done) {
			cap_pq.real_PQclear(r);
			return pq_held_result(pc);
		}
		if (r == NULL) {
			if (!pc->held.done) { /* the empty query failed to come back: the hit stands */
				PGresult *h = pq_held_result(pc);
				if (h)
					return h;
			}
			pq_held_result(pc); /* records and clears */
			return NULL;
		}
		return r; /* an error from the server (connection trouble): the program sees it */
	}
	if (pc->ghost) { /* the program's command is over: idle, as far as it can tell */
		cap_pq_ghost_absorb(pc);
		return NULL;
	}
	PGresult *r = CAP_REAL(cap_pq.real_PQgetResult(conn));
	if (r && pc->pipe_dirty && cap_pq.real_PQresultStatus(r) == PGRES_PIPELINE_SYNC)
		pipe_synced(rt, pc);
	if (!pc->fl.active)
		return r;
	if (r) {
		pq_inflight_result(rt, pc, r);
		ExecStatusType st = cap_pq.real_PQresultStatus(r);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
			return r; /* COPY data flows next; the statement ends with a later result */
		return r;
	}
	pq_finish_inflight(rt, pc);
	return NULL;
}

CAP_EXPORT int PQisBusy(PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc && pc->held.on && !pc->held.empty)
			held_parse(pc);
		if (pc && ((pc->held.on && !pc->held.empty) || pc->ghost))
			return 0;
	}
	return cap_pq.real_PQisBusy ? CAP_REAL(cap_pq.real_PQisBusy(conn)) : 0;
}

CAP_EXPORT int PQconsumeInput(PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc && pc->ghost) {
			/* a real read (notifications, and the program's "read, then wait" loop must
			 * drain the socket), then whatever completed of our answer is dropped */
			int ok = CAP_REAL(cap_pq.real_PQconsumeInput(conn));
			cap_pq_ghost_absorb(pc);
			return ok;
		}
		if (pc && pc->held.on && !pc->held.empty)
			return 1;
	}
	return cap_pq.real_PQconsumeInput ? CAP_REAL(cap_pq.real_PQconsumeInput(conn)) : 0;
}

CAP_EXPORT PGTransactionStatusType PQtransactionStatus(const PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = cap_pq_find((PGconn *)conn, 0);
		if (pc && pc->held.on && !pc->held.empty)
			return PQTRANS_ACTIVE; /* as libpq reports while a result is unread */
		if (pc && pc->ghost)
			return pc->ghost_txn;
	}
	return cap_pq.real_PQtransactionStatus ? cap_pq.real_PQtransactionStatus(conn) : PQTRANS_UNKNOWN;
}

/* A program that asks for the socket while a hit is pending on a blocking connection is about
 * to wait for it to become readable: send the empty query now so that it does, and hand out
 * the cached result in place of its answer (as on nonblocking connections). */
CAP_EXPORT int PQsocket(const PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve() && cap_pq.real_PQsocket) {
		cap_wait_known(cap_pq.real_PQsocket(conn));
		pq_conn *pc = cap_pq_find((PGconn *)conn, 0);
		if (pc && pc->held.on && !pc->held.empty && !pc->ghost && !pc->held.waits &&
		    !pc->held.done &&
		    pc->held.row == 0 && CAP_REAL(cap_pq.real_PQsendQuery(pc->conn, ""))) {
			pc->held.empty = 1;
			cap_pq_unnamed_stale(pc); /* the empty query destroyed it */
		}
	}
	return cap_pq.real_PQsocket ? cap_pq.real_PQsocket(conn) : -1;
}

CAP_EXPORT int PQsetSingleRowMode(PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc && pc->held.on) {
			/* libpq: while the answer is being read and no result of it waits (one read
			 * by PQisBusy, or in single-row mode the rest of the rows after the first) */
			if (pc->held.ready || (pc->held.single && pc->held.row > 0 && !pc->held.done))
				return 0;
			if (!pc->held.done && pc->held.row == 0)
				pc->held.single = 1;
			return 1;
		}
		if (pc && pc->ghost)
			return 0; /* idle, as far as the program can tell */
		if (pc && pc->fl.active)
			pc->fl.fill = 0; /* single-row results are not stored */
	}
	return cap_pq.real_PQsetSingleRowMode ? CAP_REAL(cap_pq.real_PQsetSingleRowMode(conn)) : 0;
}

/* pipe_prepare - pipeline mode can neither read the session's state back nor load a catalog,
 * and a pipelined read of a relation is taken for a write of the database while no catalog
 * says it is no view calling what writes (pq_send_pipeline): both are done now, while libpq is
 * idle, when due (a fresh connection), as cap_pq_plan would before a read. Not while the server
 * may hold an unnamed statement of the program's: the queries would destroy it. */
static void pipe_prepare(PGconn *conn)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL)
		return;
	pq_conn *pc = cap_pq_find(conn, 1);
	if (pc == NULL || cap_pq_observed(pc) || pc->held.on || pc->fl.active || pc->ghost ||
	    pc->unnamed_live || cap_pq_pipeline_on(conn))
		return;
	pq_call call = { "", 0, NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0 };
	if (pc->sess.probe_need && pc->sess.scope_unsure)
		cap_pq_probe(pc, &call);
	cap_sql_info *info = cap_sess_info();
	info->kind = CAP_SQL_READ;
	info->nread = 1;
	info->nfunc = 0;
	cap_pq_catalog(rt, pc, info);
}

/* In a pipeline the program may use its unnamed statement (PQsendQueryPrepared(conn, "")),
 * where no restore can go before it: an unnamed statement a hit stood in for is prepared again
 * now, while libpq and the session are idle (inside a transaction block our Parse could take
 * its snapshot: left for later there, as outside pipelines). */
static void pipe_unnamed(PGconn *conn)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL)
		return;
	pq_conn *pc = cap_pq_find(conn, 0);
	if (pc == NULL || pc->held.on || pc->fl.active || pc->ghost || cap_pq_pipeline_on(conn) ||
	    cap_pq.real_PQtransactionStatus(conn) != PQTRANS_IDLE)
		return;
	cap_pq.real_PQclear(cap_pq_unnamed_restore(pc)); /* if it fails, so would the program's */
}

/* These need libpq idle and are otherwise not ours to follow: refused by libpq while the
 * program's command is in progress (cap_pq_busy_gate), else our empty query's answer is read
 * first. */
CAP_EXPORT int PQenterPipelineMode(PGconn *conn)
{
	if (cap_pq_busy_gate(conn) && cap_pq.real_PQenterPipelineMode)
		return CAP_REAL(cap_pq.real_PQenterPipelineMode(conn)); /* "... connection not idle" */
	pipe_prepare(conn);
	pipe_unnamed(conn);
	return cap_pq.real_PQenterPipelineMode ? CAP_REAL(cap_pq.real_PQenterPipelineMode(conn)) : 0;
}

CAP_EXPORT int PQexitPipelineMode(PGconn *conn)
{
	if (cap_pq_busy_gate(conn) && cap_pq.real_PQexitPipelineMode)
		return CAP_REAL(cap_pq.real_PQexitPipelineMode(conn)); /* "... while busy" */
	int r = cap_pq_resolve() && cap_pq.real_PQexitPipelineMode ? CAP_REAL(cap_pq.real_PQexitPipelineMode(conn)) : 0;
	if (!cap_guard && conn && r) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc && pc->pipe_dirty) {
			const cap_rt *rt = cap_rt_get();
			if (rt->engine)
				pipe_synced(rt, pc);
			pc->pipe_dirty = pc->pipe_cluster = 0;
		}
	}
	return r;
}

CAP_EXPORT int PQsendFlushRequest(PGconn *conn)
{
	/* held: "another command is already in progress"; the gate resolves libpq's functions */
	(void)cap_pq_busy_gate(conn);
	return cap_pq.real_PQsendFlushRequest ? CAP_REAL(cap_pq.real_PQsendFlushRequest(conn)) : 0;
}

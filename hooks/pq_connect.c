/*
 * pq_connect.c - a new connection's first queries of ours, sent while the program polls it
 * (PQconnectStart, then PQconnectPoll until PGRES_POLLING_OK).
 *
 * A connection is read back (pq_probe) before its first statement and needs its database's
 * catalog (pq_catalog) before its first read. Made inside the program's first statement, each
 * is a round trip that waits inside the program's call: on a nonblocking connection too, and
 * a program whose event loop must run for bytes to move (a Fiber scheduler's in-process TCP
 * gate, as in Ruby pg's tests; an asyncio proxy) would never get its answer. A program that
 * polls its connection open already waits for the server in its own loop, so both queries go
 * there: when libpq reports the connection made, the read-back is sent and the program is told
 * PGRES_POLLING_READING; its wait sees our answer arrive, its next PQconnectPoll reads it (then
 * sends the catalog query, when a load is due, the same way) and reports PGRES_POLLING_OK only
 * when nothing of ours is outstanding. Only a program that polls: libpq's own loop in
 * PQconnectdb and PQreset is passed through (see PQconnectPoll). The read-back's failure (or
 * the connection's) turns caching off on it, as on the synchronous path; the program then sees
 * what libpq says, and libpq's error message reads as it did before our queries.
 *
 * Meanwhile PQstatus says CONNECTION_SETENV (what libpq said when it sent setup queries of its
 * own after the handshake), and our query is a ghost (hooks/pq_async.c): to a program that
 * uses the connection early anyway the connection looks idle, and our answer is read before
 * its first command goes out (cap_pq_ghost_drain), as on the synchronous path. Its results go
 * to cap_pq_cp_take instead of being dropped. If libpq moves on meanwhile (the connection
 * breaks, a reset begins), ours is abandoned.
 */
#include "hooks/pq_async.h"
#include "hooks/pq_connect.h"
#include "hooks/pq_probe.h"
#include "preload/resolve.h"

static int cp_is_error(const PGresult *r)
{
	ExecStatusType st = cap_pq.real_PQresultStatus(r);
	return st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK;
}

void cap_pq_cp_take(pq_conn *pc, PGresult *r)
{
	if (pc->cp == PQ_CP_CATALOG) {
		cap_pqcat_take(&pc->cp_rx, pc->conn, r);
		return;
	}
	/* the read-back's answer, as PQexec would give it: its last result, or its first error */
	if (pc->cp_last && cp_is_error(pc->cp_last)) {
		cap_pq.real_PQclear(r);
		return;
	}
	cap_pq.real_PQclear(pc->cp_last);
	pc->cp_last = r;
}

void cap_pq_cp_done(pq_conn *pc)
{
	int cp = pc->cp;
	pc->cp = PQ_CP_NONE;
	if (pc->rx)
		pc->rx->mute = 0;
	if (cp == PQ_CP_PROBE) {
		PGresult *r = pc->cp_last;
		pc->cp_last = NULL;
		cap_pq_probe_absorb(pc, r);
	} else if (cp == PQ_CP_CATALOG) {
		cap_pqcat_offer(cap_rt_get(), &pc->sess, &pc->cat, &pc->cp_rx);
		cap_pq_unnamed_stale(pc); /* a simple query drops the unnamed statement */
	}
	/* a failure of ours (a role that may not call pg_control_system, a catalog lock) left
	 * its message in libpq's, which was empty when we began (cp_next): the program sees ""
	 * until libpq's message changes, as after a hit */
	cap_pq_err_hit(pc);
}

void cap_pq_cp_drop(pq_conn *pc)
{
	if (pc->rx && pc->cp != PQ_CP_NONE)
		pc->rx->mute = 0;
	pc->cp = PQ_CP_NONE;
	cap_pq.real_PQclear(pc->cp_last);
	pc->cp_last = NULL;
	cap_pqcat_rx_clear(&pc->cp_rx);
}

/* cp_send - one query of ours, as a ghost of the phase cp; 1 when sent. */
static int cp_send(pq_conn *pc, int cp)
{
	int sent = cp == PQ_CP_PROBE ? cap_pq_probe_send(pc) : cap_pqcat_send(pc->conn);
	if (!sent)
		return 0;
	pc->cp = cp;
	pc->ghost = 1;
	pc->ghost_txn = PQTRANS_IDLE;
	if (pc->rx)
		pc->rx->mute = 1; /* its notices are ours */
	return 1;
}

/* cp_next - the connection is made and nothing of ours is outstanding: send what is due
 * next; 1 when something was sent. Only on an idle connection outside any transaction that
 * no one else may see. */
static int cp_next(const cap_rt *rt, pq_conn *pc)
{
	const char *m = cap_pq.real_PQerrorMessage(pc->conn);
	if (cap_pq_observed(pc) || pc->rx == NULL || pc->ghost || pc->held.on || pc->fl.active ||
	    pc->sess.disabled || cap_pq_pipeline_on(pc->conn) ||
	    cap_pq.real_PQtransactionStatus(pc->conn) != PQTRANS_IDLE || m == NULL || *m != '\0')
		return 0; /* (libpq's message must be empty: ours is then masked, see cp_done) */
	if (pc->sess.probe_need)
		return pc->sess.scope_unsure && cp_send(pc, PQ_CP_PROBE);
	return cap_pqcat_due(rt, &pc->sess, &pc->cat) && cp_send(pc, PQ_CP_CATALOG);
}

typedef PostgresPollingStatusType (*pq_poll_fn)(PGconn *);

/* cp_poll - one poll of a connection being opened (PQconnectPoll) or reset (PQresetPoll) by a
 * program that polls for itself: libpq's step, then ours once libpq says it is made. */
static PostgresPollingStatusType cp_poll(const cap_rt *rt, PGconn *conn, pq_poll_fn real)
{
	pq_conn *pc = cap_pq_find(conn, 0);
	if (pc && pc->cp != PQ_CP_NONE && cap_pq.real_PQstatus(conn) != CONNECTION_OK) {
		/* libpq moved on (the connection broke, or a reset began): ours is abandoned */
		pc->ghost = 0;
		cap_pq_cp_drop(pc);
	}
	if (pc == NULL || pc->cp == PQ_CP_NONE) {
		PostgresPollingStatusType st = CAP_REAL(real(conn));
		if (st != PGRES_POLLING_OK || (pc == NULL && (pc = cap_pq_find(conn, 1)) == NULL))
			return st;
		return cp_next(rt, pc) ? PGRES_POLLING_READING : PGRES_POLLING_OK;
	}
	/* our query is outstanding: read what has come (a real read, without waiting) */
	if (!CAP_REAL(cap_pq.real_PQconsumeInput(conn))) {
		cap_pq_ghost_wait(pc); /* the connection broke: libpq has all there is */
		return PGRES_POLLING_OK; /* made, then lost: the program's next call finds out */
	}
	if (cap_pq_ghost_absorb(pc) && !cp_next(rt, pc))
		return PGRES_POLLING_OK; /* all of ours is read, nothing more is due */
	if (CAP_REAL(cap_pq.real_PQflush(conn)) > 0)
		return PGRES_POLLING_WRITING; /* a nonblocking connection has more of ours to send */
	return PGRES_POLLING_READING;
}

CAP_EXPORT PostgresPollingStatusType PQconnectPoll(PGconn *conn)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL || cap_pq.real_PQconnectPoll == NULL)
		return cap_pq.real_PQconnectPoll ? CAP_REAL(cap_pq.real_PQconnectPoll(conn))
						 : PGRES_POLLING_FAILED;
	/* libpq's own loops (PQconnectdb and PQreset: connectDBComplete; PQresetPoll) poll
	 * through here too. connectDBComplete waits with the connect_timeout it keeps per
	 * address, gives up on the address when that runs out and may try the next host, so a
	 * slow answer of ours would become a failed connection: only a program that polls for
	 * itself (or through PQresetPoll, below) gets our queries here; the others read the
	 * session back at their first statement, as before. */
	if (cap_resolve_in_client(__builtin_return_address(0)))
		return CAP_REAL(cap_pq.real_PQconnectPoll(conn));
	return cp_poll(rt, conn, cap_pq.real_PQconnectPoll);
}

/* A program that resets its connection and polls the reset (PQresetStart, PQresetPoll: Ruby
 * pg's reset) gets the new session's queries there, as a new connection's. */
CAP_EXPORT PostgresPollingStatusType PQresetPoll(PGconn *conn)
{
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL || cap_pq.real_PQresetPoll == NULL)
		return cap_pq.real_PQresetPoll ? CAP_REAL(cap_pq.real_PQresetPoll(conn))
					       : PGRES_POLLING_FAILED;
	if (cap_resolve_in_client(__builtin_return_address(0)))
		return CAP_REAL(cap_pq.real_PQresetPoll(conn));
	return cp_poll(rt, conn, cap_pq.real_PQresetPoll);
}

/* While one is outstanding the connection is not ready yet, as PQconnectPoll says: a program
 * that waits for PQstatus to say CONNECTION_OK (instead of PGRES_POLLING_OK) sees the status
 * libpq itself once gave while it sent queries of its own after the handshake. */
CAP_EXPORT ConnStatusType PQstatus(const PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = cap_pq_find((PGconn *)conn, 0);
		if (pc && pc->cp != PQ_CP_NONE && cap_pq.real_PQstatus(conn) == CONNECTION_OK)
			return CONNECTION_SETENV;
	}
	return cap_pq.real_PQstatus ? cap_pq.real_PQstatus(conn) : CONNECTION_BAD;
}

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
 * before it asks: on a nonblocking connection (event loops) a held hit is therefore covered by
 * an empty query of ours whose answer nobody waits for (see "hits on nonblocking connections"
 * below): a program that asks PQisBusy first pays no round trip, one that waits first is woken
 * by that answer, and none hangs. On a blocking connection a hit sends nothing; a program that
 * asks for the socket (PQsocket) while a hit is held gets an empty query sent then. Pipeline
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
 * the hit path. The files: pq_conn.h lists them; this one keeps the functions of the
 * connection's life (PQfinish, PQreset, PQresetStart, PQsetNoticeReceiver).
 */
#include "hooks/pq_conn.h"

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
	}
	CAP_REAL_VOID(cap_pq.real_PQfinish(conn));
}

CAP_EXPORT void PQreset(PGconn *conn)
{
	if (cap_pq_resolve() && conn && !cap_guard) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc) {
			cap_pq_drop_inflight(cap_rt_get(), pc);
			cap_pq_forget_session(pc);
		}
	}
	if (cap_pq.real_PQreset)
		CAP_REAL_VOID(cap_pq.real_PQreset(conn));
}

CAP_EXPORT int PQresetStart(PGconn *conn)
{
	if (cap_pq_resolve() && conn && !cap_guard) {
		pq_conn *pc = cap_pq_find(conn, 0);
		if (pc) {
			cap_pq_drop_inflight(cap_rt_get(), pc);
			cap_pq_forget_session(pc);
		}
	}
	return cap_pq.real_PQresetStart ? CAP_REAL(cap_pq.real_PQresetStart(conn)) : 0;
}

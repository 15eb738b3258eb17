/*
 * pq_fn.c - libpq's fast-path interface (PQfn): a function called by its oid, no SQL text.
 *
 * The text is what tells Capacitor what a statement reads, writes and changes in the session;
 * a fast-path call has none. So, like a prepared statement whose text was never seen, a call
 * is a statement of unknown effect: its writes are marked in flight before it is sent and
 * bumped after (every database of the server: the function may reach another one), and the
 * session's state is read back before the next cacheable read (set_config may have moved
 * search_path or any setting the server does not report).
 *
 * libpq's own large-object functions (lo_open, loread, lowrite ...) are fast-path calls of
 * built-in functions whose oids are fixed: they change large objects only, which live in
 * system catalogs and are never cached, so they pass through and cost nothing.
 */
#include "hooks/pq_async.h"

/* pg_proc oids of the large-object functions libpq calls (fe-lobj.c); built-in oids never
 * change, and a user's function cannot take one (theirs start at 16384). */
static int lo_builtin(int fnid)
{
	static const int lo[] = { 715,  /* lo_create */   952,  /* lo_open */
				  953,  /* lo_close */    954,  /* loread */
				  955,  /* lowrite */     956,  /* lo_lseek */
				  957,  /* lo_creat */    958,  /* lo_tell */
				  964,  /* lo_unlink */   1004, /* lo_truncate */
				  3170, /* lo_lseek64 */  3171, /* lo_tell64 */
				  3172 /* lo_truncate64 */ };
	for (size_t i = 0; i < sizeof(lo) / sizeof(lo[0]); i++)
		if (lo[i] == fnid)
			return 1;
	return 0;
}

static PGresult *real_fn(PGconn *conn, int fnid, int *result_buf, int *result_len,
			 int result_is_int, const PQArgBlock *args, int nargs)
{
	return cap_pq.real_PQfn ? CAP_REAL(cap_pq.real_PQfn(conn, fnid, result_buf, result_len,
							     result_is_int, args, nargs))
				: NULL;
}

CAP_EXPORT PGresult *PQfn(PGconn *conn, int fnid, int *result_buf, int *result_len,
			  int result_is_int, const PQArgBlock *args, int nargs)
{
	/* libpq refuses it unless idle ("connection in wrong state"), as it does while a result
	 * is unread: a held hit stays, and libpq, made busy, says so; else our empty query's
	 * answer is read first */
	if (cap_pq_busy_gate(conn))
		return real_fn(conn, fnid, result_buf, result_len, result_is_int, args, nargs);
	const cap_rt *rt;
	if (cap_pq_bypass(&rt) || conn == NULL || lo_builtin(fnid))
		return real_fn(conn, fnid, result_buf, result_len, result_is_int, args, nargs);
	pq_conn *pc = cap_pq_find(conn, 1);
	cap_pq_new_command(rt, pc);
	if (pc == NULL || pc->fl.active || pc->held.on || cap_pq_pipeline_on(conn)) {
		/* libpq refuses these (busy, pipeline) or we have no state: bump to be safe */
		PGresult *r = real_fn(conn, fnid, result_buf, result_len, result_is_int, args, nargs);
		if (pc) {
			cap_sess_bump_db(rt, &pc->sess);
			cap_sess_bump_cluster(rt, &pc->sess);
			cap_sess_unknown(&pc->sess, 1);
		} else {
			cap_engine_bump_all(rt->engine);
		}
		return r;
	}
	/* planned as a prepared statement we never saw (cap_pq_plan: sql NULL): a write of
	 * unknown reach, marked now; cap_pq_after bumps, unmarks and asks for a read-back */
	pq_call call = { NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0 };
	cap_sql_info *info = cap_sess_info();
	cap_plan plan;
	cap_pq_plan(rt, pc, &call, info, &plan);
	PGresult *r = real_fn(conn, fnid, result_buf, result_len, result_is_int, args, nargs);
	cap_pq_after(rt, pc, &call, info, &plan, cap_pq_result_ok(r));
	return r;
}

/*
 * pq_probe.c - the queries the libpq hooks run on the program's own connection, each only
 * where the program cannot see it (idle, outside any transaction, no pipeline, its unnamed
 * statement not lost): the session's state read back (pq_probe), whether the connection
 * listens, and whether a dead writer's session is gone (orphaned markers).
 */
#include "hooks/pq_probe.h"
#include "cache/follow.h"
#include "cache/log.h"

/* ---- reading the session state back ------------------------------------------------------ */

/* One round trip that reads everything that changes what a query returns, on the program's
 * own connection: the server's and the database's identity, the current and session roles
 * (oids), the search path as resolved, the isolation levels, and a digest of every setting
 * (value and reset value, so that RESET and SET ... DEFAULT stay provable from their text),
 * and the server's start, which tells a copy of the cluster, or the cluster restored in place,
 * from the server that ran before (cache/follow.h).
 * Only pg_catalog objects, qualified, so the program's search_path cannot redirect them; it
 * reads no table and takes no lock. A role that may not call pg_control_system() is not
 * cached: without the cluster's identity its database's invalidation scope is unknown (its
 * writes then invalidate everything). */
static const char pq_probe_sql[] =
	/* its own time limits for this implicit transaction only: the program's statement_timeout
	 * (1ms, say) must not cancel it (which the program could see), nor its lock_timeout */
	"SELECT pg_catalog.set_config('statement_timeout', '10s', true), "
	"pg_catalog.set_config('lock_timeout', '1s', true);"
	"SELECT (SELECT c.system_identifier FROM pg_catalog.pg_control_system() c)::pg_catalog.text, "
	"(SELECT d.oid FROM pg_catalog.pg_database d "
	"WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()), "
	"(SELECT r.oid FROM pg_catalog.pg_roles r "
	"WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER), "
	"(SELECT r.oid FROM pg_catalog.pg_roles r "
	"WHERE r.rolname OPERATOR(pg_catalog.=) SESSION_USER), "
	"pg_catalog.current_schemas(true), "
	"pg_catalog.current_setting('transaction_isolation'), "
	"pg_catalog.current_setting('default_transaction_isolation'), "
	"(SELECT pg_catalog.md5(pg_catalog.string_agg(pg_catalog.format('%s=%s/%s', g.name, "
	"g.setting, g.reset_val), E'\\n' ORDER BY g.name)) FROM pg_catalog.pg_settings g "
	"WHERE g.name OPERATOR(pg_catalog.<>) ALL ('{application_name,transaction_isolation,"
	"transaction_read_only,transaction_deferrable,statement_timeout,lock_timeout}'"
	"::pg_catalog.text[])), "
	/* the idle timeouts, in ms (pq_idle.c): in the digest above already */
	"(SELECT pg_catalog.string_agg(g.setting, ',' ORDER BY g.name) FROM pg_catalog.pg_settings g "
	"WHERE g.name OPERATOR(pg_catalog.=) ANY ('{idle_in_transaction_session_timeout,"
	"idle_session_timeout}'::pg_catalog.text[])), "
	CAP_FOLLOW_PG_START_SQL;
#define PQ_PROBE_COLS 10
#define PQ_PROBE_IDLE 8                    /* the idle timeouts: not hashed (in the digest) */
#define PQ_PROBE_START (PQ_PROBE_COLS - 1) /* the server's start: not session state */


static enum cap_sql_iso pq_iso_of(const char *v)
{
	if (strcmp(v, "read committed") == 0 || strcmp(v, "read uncommitted") == 0)
		return CAP_ISO_READ_COMMITTED; /* PostgreSQL runs READ UNCOMMITTED as READ COMMITTED */
	if (strcmp(v, "repeatable read") == 0)
		return CAP_ISO_REPEATABLE_READ;
	if (strcmp(v, "serializable") == 0)
		return CAP_ISO_SERIALIZABLE;
	return CAP_ISO_UNKNOWN;
}

/* cap_pq_probe - read the session state back before call is sent, when that is invisible to the
 * program: the connection is idle outside any transaction (a probe must never open, fail or
 * snapshot the program's transaction), and the unnamed prepared statement, which a simple
 * query destroys, is gone already or is about to be replaced by call itself. Otherwise the
 * state stays unknown (the connection shares nothing) and the probe waits for a later call.
 * A probe that fails turns caching off on the connection. */
CAP_COLD void cap_pq_probe(pq_conn *pc, const pq_call *call)
{
	if (cap_pq.real_PQtransactionStatus(pc->conn) != PQTRANS_IDLE || cap_pq_pipeline_on(pc->conn) ||
	    (pc->unnamed_live && call->stmt_name != NULL) || cap_pq_closed(pc))
		return;
	if (pc->rx)
		pc->rx->mute = 1;
	PGresult *r = CAP_REAL(cap_pq.real_PQexec(pc->conn, pq_probe_sql));
	if (pc->rx)
		pc->rx->mute = 0;
	cap_pq_probe_absorb(pc, r);
}

int cap_pq_probe_send(pq_conn *pc)
{
	return CAP_REAL(cap_pq.real_PQsendQuery(pc->conn, pq_probe_sql));
}

CAP_COLD void cap_pq_probe_absorb(pq_conn *pc, PGresult *r)
{
	pc->unnamed_live = 0; /* a simple query drops the unnamed statement */
	if (r == NULL || cap_pq.real_PQresultStatus(r) != PGRES_TUPLES_OK || cap_pq.real_PQntuples(r) != 1 ||
	    cap_pq.real_PQnfields(r) != PQ_PROBE_COLS || cap_pq.real_PQgetisnull(r, 0, 0) ||
	    cap_pq.real_PQgetisnull(r, 0, 1) || cap_pq.real_PQgetisnull(r, 0, PQ_PROBE_START)) {
		if (r)
			cap_pq.real_PQclear(r);
		pc->sess.disabled = 1;
		pc->sess.probe_need = 0;
		cap_log(CAP_LOG_WARN, "could not read the PostgreSQL session's state (is "
			"pg_control_system() granted to the role?); this session is not cached");
		return;
	}
	const char *sysid = cap_pq.real_PQgetvalue(r, 0, 0), *db = cap_pq.real_PQgetvalue(r, 0, 1);
	char server[160];
	int sn = snprintf(server, sizeof(server), CAP_FOLLOW_PG_SERVER_FMT, sysid,
			  cap_pq.real_PQgetvalue(r, 0, PQ_PROBE_START));
	size_t sl = sn < 0 ? 0 : (size_t)sn < sizeof(server) ? (size_t)sn : sizeof(server) - 1;
	/* the data is the running server's, not the cluster's: a cluster restored in place (a
	 * base backup, PITR, pg_rewind, a standby promoted behind the same address) keeps its
	 * system_identifier and oids but holds other rows, and it can only come back through a
	 * start. So keys, scopes and cluster-wide bumps name the server since its start (every
	 * session of it reads the same start, to the microsecond): after a restart nothing cached
	 * before is shared, and a write bumps only what the running server's sessions read. */
	cap_sess_set_identity(&pc->sess, server, sl, db, strlen(db));
	cap_sess_set_instance(&pc->sess, cap_hash64(server, sl, 0x1257));
	cap_sess_set_follow(cap_rt_get(), &pc->sess,
			    cap_follow_ident("postgresql", server, sl, db, strlen(db)));
	uint64_t h = 0x70726f6265ULL;
	for (int i = 2; i < PQ_PROBE_IDLE; i++) {
		const char *v = cap_pq.real_PQgetisnull(r, 0, i) ? "\001" : cap_pq.real_PQgetvalue(r, 0, i);
		h = cap_hash64(v, strlen(v) + 1, h);
	}
	cap_sess_probed(&pc->sess, h, pq_iso_of(cap_pq.real_PQgetvalue(r, 0, 6)));
	cap_pq_idle_set(pc, cap_pq.real_PQgetvalue(r, 0, PQ_PROBE_IDLE));
	cap_pq.real_PQclear(r);
	pc->probe_ns = pc->contact_ns = cap_now_ns();
}

/* Whether the connection listens, asked from the server (once after each statement that may
 * have changed it, just before a hit would be served): 1 yes or unknown, 0 no. */
int cap_pq_listening_now(pq_conn *pc)
{
	/* only between transactions: inside one, our query could take its snapshot */
	if (pc->held.on || pc->fl.active || cap_pq_pipeline_on(pc->conn) ||
	    cap_pq.real_PQtransactionStatus(pc->conn) != PQTRANS_IDLE || cap_pq_closed(pc))
		return 1;
	cap_pq_quiet = 1;
	PGresult *r = CAP_REAL(cap_pq.real_PQexec(
		pc->conn, "SELECT pg_catalog.count(*) FROM pg_catalog.pg_listening_channels()"));
	cap_pq_quiet = 0;
	cap_pq_unnamed_stale(pc); /* a simple query destroys it */
	pc->unnamed_live = cap_pq_prep_find(pc, "") != NULL;
	if (r && cap_pq.real_PQresultStatus(r) == PGRES_TUPLES_OK && cap_pq.real_PQntuples(r) == 1)
		pc->listening = strcmp(cap_pq.real_PQgetvalue(r, 0, 0), "0") == 0 ? LISTEN_NO : LISTEN_YES;
	cap_pq.real_PQclear(r);
	return pc->listening != LISTEN_NO;
}

/* Orphaned write markers of this server (see hooks/exec.h): asked where a query of ours is
 * invisible, as cap_pq_listening_now. */
CAP_COLD void cap_pq_orphans(const cap_rt *rt, pq_conn *pc)
{
	uint64_t server[2];
	cap_orphan o;
	cap_sess_server(&pc->sess, server);
	int quiet = !pc->held.on && !pc->fl.active && !pc->ghost && !cap_pq_pipeline_on(pc->conn) &&
		    !cap_pq.real_PQisnonblocking(pc->conn) &&
		    cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE && !cap_pq_closed(pc);
	if (!cap_exec_orphan_due(rt, server, quiet, &pc->orphan_next, &o))
		return;
	char sql[128];
	snprintf(sql, sizeof(sql),
		 "SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity WHERE pid = %llu",
		 (unsigned long long)o.session);
	cap_pq_quiet = 1;
	PGresult *r = CAP_REAL(cap_pq.real_PQexec(pc->conn, sql));
	cap_pq_quiet = 0;
	cap_pq_unnamed_stale(pc); /* a simple query destroys it */
	pc->unnamed_live = cap_pq_prep_find(pc, "") != NULL;
	if (r && cap_pq.real_PQresultStatus(r) == PGRES_TUPLES_OK && cap_pq.real_PQntuples(r) == 1 &&
	    strcmp(cap_pq.real_PQgetvalue(r, 0, 0), "0") == 0)
		cap_engine_orphan_done(rt->engine, &o);
	cap_pq.real_PQclear(r);
}

/* The catalog for a statement. It is loaded (or reloaded after DDL) only for statements that
 * need it, on this connection, and only while the connection is idle; otherwise an out-of-date
 * catalog is not used at all (NULL: reads are not cached, writes bump the database). */
cap_pqcat *cap_pq_catalog(const cap_rt *rt, pq_conn *pc, const cap_sql_info *info)
{
	if (pc->cat) {
		if (cap_pqcat_current(rt, &pc->sess, pc->cat)) {
			/* what the get or peek below would hand back (they look again, a moment
			 * later): nearly every statement */
			if (pc->last) {
				cap_pqcat_release(pc->last);
				pc->last = NULL;
			}
			return pc->cat;
		}
		cap_pqcat_release(pc->last);
		pc->last = pc->cat;
		cap_pqcat_hold(pc->last); /* the get or peek below drops pc->cat's */
	}
	/* BEGIN is sent while the connection is idle: the last chance to load before the
	 * transaction's statements (psycopg2 begins one before every first statement); a
	 * utility that reads (COPY (query) TO, EXPLAIN) would, without one, count as a write of
	 * the whole database (cap_pq_plan) */
	int needs = info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
		    info->kind == CAP_SQL_WRITE ||
		    (info->kind == CAP_SQL_UTILITY && (info->nread || info->nfunc)) ||
		    (info->kind == CAP_SQL_TXN && info->txn == CAP_TXN_BEGIN);
	/* the catalog query destroys the unnamed statement: one we know is given back before the
	 * program uses it (cap_pq_unnamed_restore); one prepared where we could not see is lost */
	/* a session whose state could not be read caches nothing and its writes invalidate
	 * everything (cap_pq_probe): a catalog would key nothing, and its load is a round trip
	 * inside the program's call */
	if (needs && !pc->sess.disabled &&
	    cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE && !pc->held.on &&
	    !pc->fl.active && !cap_pq_pipeline_on(pc->conn) && cap_pq.real_PQstatus(pc->conn) == CONNECTION_OK &&
	    !cap_pq_closed(pc)) {
		int loaded = 0;
		cap_pq_quiet = 1;
		cap_pqcat_get(rt, pc->conn, &pc->sess, &pc->cat, &loaded);
		cap_pq_quiet = 0;
		if (loaded) {
			cap_pq_unnamed_stale(pc); /* the catalog query destroyed it */
			pc->unnamed_live = cap_pq_prep_find(pc, "") != NULL;
		}
	} else {
		cap_pqcat_peek(rt, &pc->sess, &pc->cat);
	}
	if (pc->cat && pc->last) {
		cap_pqcat_release(pc->last);
		pc->last = NULL;
	}
	return pc->cat;
}


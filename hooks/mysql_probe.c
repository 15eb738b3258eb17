/*
 * mysql_probe.c - the session probe: one SELECT on the program's own connection that reads
 * the session's isolation level, every session variable, the active user and role and the
 * current database, before the session's first cacheable read and again before the next one
 * after any statement whose effect on the session its text cannot prove (session.c decides
 * which: SET, CALL, functions, multi-statement strings; a reconnect starts a new session).
 * Truth from the server, so two sessions in the same state share entries whatever their
 * history. It changes nothing the program can observe except mysql_affected_rows and the
 * warning count, which are put back.
 */
#include "hooks/mysql_probe.h"
#include "hooks/mysql_result.h"
#include "cache/follow.h"
#include "cache/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static enum cap_sql_iso iso_of(const char *v)
{
	if (v == NULL)
		return CAP_ISO_UNKNOWN;
	if (strcasecmp(v, "READ-COMMITTED") == 0)
		return CAP_ISO_READ_COMMITTED;
	if (strcasecmp(v, "REPEATABLE-READ") == 0)
		return CAP_ISO_REPEATABLE_READ;
	if (strcasecmp(v, "SERIALIZABLE") == 0)
		return CAP_ISO_SERIALIZABLE;
	if (strcasecmp(v, "READ-UNCOMMITTED") == 0)
		return CAP_ISO_READ_UNCOMMITTED;
	return CAP_ISO_UNKNOWN;
}

void cap_my_refresh_params(my_conn *mc)
{
	const char *cs = cap_my.real_mysql_character_set_name(mc->m);
	mc->cs_lib_unsafe = cap_sql_charset_unsafe(cs);
	uint64_t h = cap_hash64(cs ? cs : "", cs ? strlen(cs) : 0, 0x6373);
	cap_sess_set_params(&mc->sess, h);
	mc->cs_seen = mc->m->charset;
}

/* The server's start, in whole seconds since the epoch, the same for every session of the
 * running server: Uptime is computed from the statement's start time (the server's
 * query_start() less its start), which is UNIX_TIMESTAMP() too, so the difference is exact in
 * every statement, whenever it runs (checked on 10.11: constant across second boundaries).
 * A session's SET timestamp moves both: the difference holds, but Uptime then shows as an
 * unsigned wrap of a negative number, which the IF folds back (exact in DECIMAL). Any
 * session may read GLOBAL_STATUS. Two starts within the same second are not told apart: a
 * server stopped, restored and started again within a second of its last start. */
#define CAP_MY_START_SQL                                                                      \
	"SELECT FLOOR(UNIX_TIMESTAMP()) - (CAST(g.VARIABLE_VALUE AS DECIMAL(20,0)) - "        \
	"IF(CAST(g.VARIABLE_VALUE AS DECIMAL(20,0)) >= 9223372036854775808, "                 \
	"18446744073709551616, 0)) FROM information_schema.GLOBAL_STATUS g "                  \
	"WHERE g.VARIABLE_NAME = 'UPTIME'"

/* The probe: one SELECT on the program's own connection that reads every session setting
 * that can change what a statement returns. On MariaDB that is every row of
 * information_schema.SESSION_VARIABLES but those that change by themselves or are followed
 * another way (the transaction state, counters, the clock, the thread's own ids), plus the
 * active user and role, the current database and the isolation level. Elsewhere (MySQL) a
 * fixed list of the variables known to shape results. The server's identity (@@server_uid,
 * @@server_uuid) is part of it, so that a different server behind the same host and port
 * never shares entries; on MariaDB so is the server's start (CAP_MY_START_SQL), so that the
 * server restarted, or restored in place (same @@server_uid, other rows), shares none with the
 * one before. The explicit LIMIT overrides a program's sql_select_limit. */
static const char probe_mariadb[] =
	"SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.SESSION_VARIABLES "
	"WHERE VARIABLE_NAME NOT IN ('PSEUDO_THREAD_ID','RAND_SEED1','RAND_SEED2','TIMESTAMP',"
	"'LAST_INSERT_ID','INSERT_ID','IDENTITY','WARNING_COUNT','ERROR_COUNT','LAST_GTID',"
	"'IN_TRANSACTION','AUTOCOMMIT','TX_ISOLATION','TRANSACTION_ISOLATION','TX_READ_ONLY',"
	"'TRANSACTION_READ_ONLY','GTID_SEQ_NO','GTID_BINLOG_STATE','GTID_CURRENT_POS',"
	"'GTID_BINLOG_POS','GTID_SLAVE_POS','WSREP_GTID_SEQ_NO') "
	"UNION ALL SELECT 'cap.iso', @@tx_isolation "
	"UNION ALL SELECT 'cap.user', CURRENT_USER() "
	"UNION ALL SELECT 'cap.role', CURRENT_ROLE() "
	"UNION ALL SELECT 'cap.db', DATABASE() "
	"UNION ALL SELECT 'cap.start', (" CAP_MY_START_SQL ") LIMIT 100000";

static const char probe_mysql[] =
	"SELECT 'cap.iso', %s UNION ALL SELECT 'cap.user', CURRENT_USER() "
	"UNION ALL SELECT 'cap.db', DATABASE() "
	"UNION ALL SELECT 'server_uuid', @@server_uuid "
	"UNION ALL SELECT 'sql_mode', @@sql_mode UNION ALL SELECT 'time_zone', @@time_zone "
	"UNION ALL SELECT 'cs', @@character_set_results "
	"UNION ALL SELECT 'coll', @@collation_connection "
	"UNION ALL SELECT 'lc', @@lc_time_names "
	"UNION ALL SELECT 'gc', @@group_concat_max_len "
	"UNION ALL SELECT 'div', @@div_precision_increment "
	"UNION ALL SELECT 'msl', @@max_sort_length "
	"UNION ALL SELECT 'dwf', @@default_week_format "
	"UNION ALL SELECT 'sql_auto_is_null', @@sql_auto_is_null "
	"UNION ALL SELECT 'sql_select_limit', @@sql_select_limit %s LIMIT 100000";

/* MySQL has session_track_transaction_info from 5.7.8 on (see my_conn.trx_track). */
static const char probe_mysql_track[] =
	"UNION ALL SELECT 'session_track_transaction_info', @@session_track_transaction_info";

/* The probe's answer must be one the client library reads under the program's packet limit
 * (net.max_packet_size: MYSQL_OPT_MAX_ALLOWED_PACKET; hooks/mysql_codec.h, cap_my_wire_fits),
 * or the library drops the program's connection. On 10.11 its rows are under 1 KB and the
 * whole answer about 25 KB, which a compressed connection reads as a whole: under these
 * limits the session is not read back, so not cached. */
#define PROBE_MIN_LIMIT (64ul << 10)
#define PROBE_MIN_LIMIT_COMPRESSED (1ul << 20)

/* The read-back is a statement of ours on the program's connection, and the server's
 * diagnostics (FOUND_ROWS(), ROW_COUNT(), the warning and error lists and counts, GET
 * DIAGNOSTICS) are then its: they last until a statement of the program's replaces them, and
 * statements that use no table (SET, DO, USE, SELECT 1) keep most of them. So it runs only
 * right before a read of the program's that uses a table, which replaces them all when it runs
 * on the server, and never before a statement that may read them. In a new session, before
 * any statement of the program's ran (my_conn.diag_own), there is nothing of the program's
 * to replace: any read but one of the diagnostics may come after it. When that read hits, the
 * diagnostics are left as after any hit (the read-back's in place of the statement's before):
 * a statement right after it that reads them has the hit's statement run for real first
 * (hooks/mysql_result.c, cap_my_replay_before), so they read as the hit's statement's. */
int cap_my_probe_fits(const my_conn *mc, const cap_sql_info *info, const char *sql, size_t len)
{
	return (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE) &&
	       (info->nread > 0 || !mc->diag_own) && !cap_my_reads_diag(info, sql, len);
}

/* Read the session's settings (see above) and make them the key's. Runs before a cacheable
 * read only: at a session's first one, and after any statement whose effect on the session
 * its text cannot prove. Returns 0 when the connection cannot take a query now (a result
 * unread: the program's next command fails anyway; the server closed it: the program's
 * statement gets the error, or the reconnect) or could not read the answer (a packet limit
 * too small), the settings still unknown. A failed probe disables caching on this session. */
CAP_COLD int cap_my_probe(my_conn *mc)
{
	MYSQL *m = mc->m;
	if (m->status != MYSQL_STATUS_READY || m->fields != NULL ||
	    (m->server_status & SERVER_MORE_RESULTS_EXIST) || cap_my_closed(mc) ||
	    m->net.max_packet_size < (m->net.compress ? PROBE_MIN_LIMIT_COMPRESSED : PROBE_MIN_LIMIT))
		return 0;
	/* with session_track_transaction_info on, a statement of ours in the program's
	 * transaction (or one it would open) changes the transaction state the server reports
	 * to the program's next statement: the session is read back between transactions */
	if (mc->trx_track && cap_my_in_txn_before(m))
		return 0;
	mc->sess.probe_need = 0;
	char mq[sizeof(probe_mysql) + sizeof(probe_mysql_track) + 32];
	const char *q = mq;
	int qn;
	if (m->server_version && strstr(m->server_version, "MariaDB")) {
		qn = (int)(sizeof(probe_mariadb) - 1);
		q = probe_mariadb;
	} else {
		unsigned long ver = cap_my.real_mysql_get_server_version(m);
		qn = snprintf(mq, sizeof(mq), probe_mysql,
			      ver >= 50720 ? "@@transaction_isolation" : "@@tx_isolation",
			      ver >= 50708 ? probe_mysql_track : "");
	}
	unsigned long long affected = m->affected_rows;
	unsigned int warnings = m->warning_count;
	int ok = 0, have_iso = 0;
	enum cap_sql_iso iso = CAP_ISO_UNKNOWN;
	if (CAP_REAL(cap_my.real_mysql_real_query(m, q, (unsigned long)qn)) == 0) {
		MYSQL_RES *r = CAP_REAL(cap_my.real_mysql_store_result(m));
		MYSQL_ROW row;
		uint64_t h = 0;
		char db[256];
		size_t dbn = 0;
		int db_null = 1, auto_is_null = 0, cs_unsafe = 1, trx_track = 0;
		uint64_t follow = 0;
		while (r && r->field_count == 2 && (row = CAP_REAL(cap_my.real_mysql_fetch_row(r)))) {
			const char *k = row[0] ? row[0] : "";
			if (strcmp(k, "cap.iso") == 0) {
				iso = iso_of(row[1]);
				have_iso = 1;
				continue; /* the level is followed apart (transaction rules) */
			}
			if (strcasecmp(k, "wait_timeout") == 0 && row[1]) {
				/* a second short, for the clocks' difference and the trip */
				unsigned long long w = strtoull(row[1], NULL, 10);
				mc->idle_max_ns = w > 1 ? (w - 1) * 1000000000ull : 1;
			}
			/* what `capacitor follow` of this server publishes (cache/follow.h) */
			if ((strcasecmp(k, "server_uid") == 0 || strcasecmp(k, "server_uuid") == 0) &&
			    row[1] && !follow)
				follow = cap_follow_ident("mariadb", row[1], strlen(row[1]), "", 0);
			if (strcasecmp(k, "character_set_client") == 0)
				cs_unsafe = cap_sql_charset_unsafe(row[1]);
			if (strcasecmp(k, "sql_auto_is_null") == 0)
				auto_is_null = row[1] && (strcasecmp(row[1], "ON") == 0 ||
							  strcmp(row[1], "1") == 0);
			if (strcasecmp(k, "session_track_transaction_info") == 0)
				trx_track = row[1] && strcasecmp(row[1], "OFF") != 0;
			if (strcmp(k, "cap.db") == 0 && row[1] && strlen(row[1]) < sizeof(db)) {
				dbn = strlen(row[1]);
				memcpy(db, row[1], dbn);
				db_null = 0;
			}
			/* rows come in no promised order: combine their hashes commutatively */
			uint64_t rh = cap_hash64(k, strlen(k), 0x6d79);
			rh = cap_hash64(row[1] ? row[1] : "\001", row[1] ? strlen(row[1]) : 1, rh);
			h += rh * 0x9e3779b97f4a7c15ull + (rh >> 29);
		}
		if (r && have_iso) {
			/* the settings are read: what the session's SET history said is now
			 * known exactly, and entries are shared with every session like it */
			cap_sess_probed(&mc->sess, cap_hash64(&h, sizeof(h), 0x6d7973716c), iso);
			cap_sess_set_db(&mc->sess, db_null ? "" : db, db_null ? 0 : dbn);
			cap_sess_set_follow(cap_rt_get(), &mc->sess, follow);
			cap_my_fix_scope(mc);
			mc->sysdb = !db_null && cap_my_is_sysdb(db, dbn);
			mc->auto_is_null = auto_is_null;
			mc->trx_track = trx_track;
			mc->cs_client_unsafe = cs_unsafe;
			ok = 1;
		}
		cap_my_free_res(r);
		mc->contact_ns = cap_now_ns();
	}
	if (!ok) {
		mc->sess.disabled = 1;
		m->net.last_errno = 0;
		m->net.last_error[0] = '\0';
		strcpy(m->net.sqlstate, "00000");
		cap_log(CAP_LOG_WARN, "could not read the MySQL session's settings; this session "
			"is not cached");
	}
	m->affected_rows = affected;
	m->warning_count = warnings;
	cap_my_refresh_params(mc);
	return 1;
}

/* A write of a process that died (or closed its connection) before it saw the write's end may
 * still be run and committed by the server: its tables are not filled until the server no
 * longer lists that thread (cache/engine.h, orphans). Asked on a miss, on the program's own
 * connection, only between transactions and with nothing unread (hooks/exec.h,
 * cap_exec_orphan_due). Markers are matched by the connection's
 * identity, user included: PROCESSLIST shows a user its own threads. */
CAP_COLD void cap_my_orphans(const cap_rt *rt, my_conn *mc)
{
	uint64_t server[2];
	cap_orphan o;
	cap_sess_server(&mc->sess, server);
	server[1] = 0; /* the user must match (see above) */
	MYSQL *m = mc->m;
	int quiet = m->status == MYSQL_STATUS_READY && m->fields == NULL &&
		    !(m->server_status & (SERVER_MORE_RESULTS_EXIST | SERVER_STATUS_IN_TRANS)) &&
		    !cap_my_closed(mc);
	if (!cap_exec_orphan_due(rt, server, quiet, &mc->orphan_next, &o))
		return;
	char q[160];
	int qn = snprintf(q, sizeof(q),
			  "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %llu",
			  (unsigned long long)o.session);
	unsigned long long affected = m->affected_rows;
	unsigned int warnings = m->warning_count;
	int gone = 0;
	if (CAP_REAL(cap_my.real_mysql_real_query(m, q, (unsigned long)qn)) == 0) {
		MYSQL_RES *r = CAP_REAL(cap_my.real_mysql_store_result(m));
		MYSQL_ROW row;
		if (r && r->field_count == 1 && (row = CAP_REAL(cap_my.real_mysql_fetch_row(r))) &&
		    row[0] && strcmp(row[0], "0") == 0)
			gone = 1;
		cap_my_free_res(r);
	} else {
		m->net.last_errno = 0;
		m->net.last_error[0] = '\0';
		strcpy(m->net.sqlstate, "00000");
	}
	m->affected_rows = affected;
	m->warning_count = warnings;
	if (gone)
		cap_engine_orphan_done(rt->engine, &o);
}

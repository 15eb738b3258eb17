/*
 * mysql.c - the Connector/C hooks (libmariadb, libmysqlclient): mysql_real_query and
 * friends, answered from the cache when they may be.
 *
 * Every interposed function starts the same way: when the re-entrancy guard is up
 * (Connector/C calling its own exported function - mysql_query calls mysql_real_query,
 * mysql_commit calls mysql_real_query - from inside a real call we made) or Capacitor is off,
 * the real function runs untouched. Otherwise the statement is classified (cache/sql, MySQL
 * dialect), the connection's session state decides (hooks/session), and:
 *
 *  - a cacheable read is looked up. A hit makes mysql_real_query return 0 without a round
 *    trip and leaves the connection as the server's answer would (field_count, errno 0,
 *    sqlstate "00000", no info, no warnings, no further results, the index flags of
 *    server_status stored with the entry); the MYSQL_RES decoded from the cached value
 *    (hooks/mysql_codec) is held until the program calls mysql_store_result or
 *    mysql_use_result, which hand it out (an unread use_result hit leaves the connection
 *    busy, as the server's would). A miss reads the generations it depends on, runs the real
 *    function, and mysql_store_result stores the result when it came with no warnings.
 *    Results read through mysql_use_result are served from the cache but not stored.
 *    A mysql_send_query hit sends a COM_PING, so that a program waiting for the socket
 *    before it calls mysql_read_query_result is woken (see can_wake).
 *  - the server's diagnostics after a hit describe the statement before it: a statement that
 *    may read them (FOUND_ROWS, ROW_COUNT, warnings, errors, GET DIAGNOSTICS) right after a
 *    text hit has the hit's statement run for real first.
 *  - anything else runs for real, and what it may have changed is invalidated afterwards
 *    (at COMMIT/ROLLBACK again: session.c keeps the transaction's write set).
 *
 * Transactions: the connection is in a transaction when the server says so
 * (SERVER_STATUS_IN_TRANS) or when autocommit is off (SERVER_STATUS_AUTOCOMMIT clear): then
 * the next statement opens one implicitly and must not mix cached data into its snapshot.
 * The session's isolation level, every session variable, the active user and role and the
 * current database are read with one SELECT on the program's own connection (the probe),
 * before the session's first cacheable read and again before the next one after any
 * statement whose effect on the session its text cannot prove (SET, CALL, functions,
 * multi-statement strings, a reconnect seen as a new thread id): truth from the server, so
 * two sessions in the same state share entries whatever their history. It changes nothing
 * the program can observe except mysql_affected_rows and the warning count, which are put
 * back. Connections open at fork() are not cached any more, in parent or child.
 *
 * Database scope: a MySQL statement may name any database (db.table), so a write whose tables
 * are unknown invalidates every MySQL entry (one scope for all MySQL databases), never only
 * the current database's.
 *
 * Prepared statements (mysql_stmt_*): their text and the session they were prepared in (its
 * database and sql_mode decide what the text means) are recorded at mysql_stmt_prepare; each
 * execution is classified and accounted like a text statement (writes invalidate, transactions
 * are followed). A cacheable read is keyed by the session prefix, the prepare-time session,
 * the text, and every bound parameter as the library will send it (type, unsigned flag, NULL,
 * value bytes). A miss runs
 * for real; when the program stores the whole result (mysql_stmt_store_result) with no
 * warnings, the binary-protocol rows exactly as the library keeps them (st->result) and the
 * execute's field metadata are stored (hooks/mysql_codec, "CMS1"). A hit sends nothing: it
 * leaves the statement as a real execute of a SELECT does (state WAITING_USE_OR_STORE,
 * field metadata, affected rows, errors cleared) with the cached rows behind the statement's
 * own result hooks (default_rset_handler, fetch_row_func), so that Connector/C's own
 * mysql_stmt_fetch / fetch_column decode every value into the program's buffers - every
 * conversion, truncation flag and NULL indicator is the library's. Stored or not: a program
 * that fetches without mysql_stmt_store_result reads the rows one by one (num_rows counts
 * them), mysql_stmt_store_result (interposed) puts them in st->result for data_seek and
 * row_seek. The rows belong to Capacitor and are freed at the statement's next execute,
 * prepare or close. Cursors, array binding, callbacks, long data, prebound parameters
 * (mariadb_stmt_execute_direct), STMT_ATTR_UPDATE_MAX_LENGTH and the non-blocking API pass
 * through uncached. One difference remains, in an error case only: after a prepared hit the
 * connection is ready at once, so a program that sends another command before reading the
 * result gets no "commands out of sync" error. The non-blocking API
 * (the _start and _cont functions) is wrapped only to raise the re-entrancy guard around the coroutine (it
 * calls our other hooks from inside) and to invalidate: a connection that uses it is no
 * longer cached, and every statement it sends that may write bumps the MySQL scope when sent
 * and again when it completes. Multi-statement strings and multi-result CALLs pass through;
 * when one may write, every mysql_next_result bumps again (the server runs the later
 * statements while the program reads).
 *
 * Per-connection state lives in a small hash table keyed by the MYSQL pointer, created at the
 * first statement and dropped by mysql_close; a thread-local one-entry cache validated by a
 * global epoch keeps the table's mutex off the hit path (as in pq.c).
 */
#include "hooks/mysql_catalog.h"
#include "hooks/mysql_codec.h"
#include "hooks/mysql_real.h"
#include "hooks/session.h"
#include "cache/cap.h"
#include "cache/log.h"
#include "preload/resolve.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_EXPORT __attribute__((visibility("default")))

struct cap_my_real cap_my;

static const char *const my_sonames[] = { "libmariadb.so.3", "libmysqlclient.so.21",
					  "libmysqlclient.so.20", "libmysqlclient.so.18",
					  "libmysqlclient.so", NULL };
static const char *const my_stems[] = { "libmariadb", "libmysqlclient", NULL };
static const cap_libfamily my_family = { my_sonames, my_stems };
static pthread_once_t my_once = PTHREAD_ONCE_INIT;
static int my_ok;

static void my_resolve_once(void)
{
#define CAP_MY_RESOLVE(ret, name, args) cap_my.name = (ret(*) args)cap_resolve(&my_family, #name);
	CAP_MY_FUNCS(CAP_MY_RESOLVE)
#undef CAP_MY_RESOLVE
	my_ok = cap_my.mysql_real_query && cap_my.mysql_send_query &&
		cap_my.mysql_read_query_result && cap_my.mysql_store_result &&
		cap_my.mysql_use_result && cap_my.mysql_free_result && cap_my.mysql_fetch_row &&
		cap_my.mysql_select_db && cap_my.mysql_change_user && cap_my.mysql_close &&
		cap_my.mysql_real_connect && cap_my.mysql_commit && cap_my.mysql_rollback &&
		cap_my.mysql_autocommit && cap_my.mysql_init && cap_my.mysql_options &&
		cap_my.mysql_character_set_name && cap_my.mysql_get_server_version &&
		cap_my.mysql_stmt_prepare && cap_my.mysql_stmt_execute && cap_my.mysql_stmt_close &&
		cap_my.mysql_next_result;
	if (!my_ok)
		cap_log(CAP_LOG_WARN, "the MySQL client library lacks functions Capacitor needs; "
			"passing through");
}

int cap_my_resolve(void)
{
	pthread_once(&my_once, my_resolve_once);
	return my_ok;
}

/* ---- per-connection state ------------------------------------------------------------------ */

typedef struct my_conn {
	struct my_conn *next;
	MYSQL *m;
	cap_sess sess;
	cap_mycat *cat;
	const void *cs_seen;     /* mysql->charset when the parameters were last folded */
	uint64_t probe_hash;     /* the session variables read by the probe */
	int probed;              /* 0: probe before the next cacheable read */
	unsigned long thread_id; /* the server session the state describes (reconnects) */
	int sysdb;               /* the current database is a system schema: no caching */
	int auto_is_null;        /* sql_auto_is_null on: "id IS NULL" reads the last insert id,
				  * which changes at every insert: no caching */
	int locked;              /* LOCK TABLES in force: no hits (unlocked tables must fail) */
	/* isolation level of transactions (MySQL rules: see iso_before) */
	enum cap_sql_iso txn_pin;  /* level of the open transaction; NONE: none seen open */
	enum cap_sql_iso one_shot; /* SET TRANSACTION ISOLATION LEVEL pending; NONE: none */
	int one_shot_sure;       /* 1: certainly still pending; 0: may have been used up */
	int pre_in_trans;        /* before the statement in flight: a transaction was open */
	enum cap_sql_iso pre_level; /* and the level a transaction it opens gets */
	/* a hit waiting for mysql_store_result / mysql_use_result */
	MYSQL_RES *pend;
	int sq_hit;              /* mysql_send_query hit: mysql_read_query_result reports it */
	unsigned sq_status;      /* and these status flags */
	/* the last statement, when it was a text hit: run for real before diagnostics */
	cap_buf replay;
	int replay_on;
	/* a miss whose result mysql_store_result stores */
	int fill;
	cap_buf fill_key;
	cap_hash fill_hash;
	cap_plan fill_plan;
	/* mysql_send_query in flight until mysql_read_query_result */
	int sq_active;
	int sq_keyed;
	uint64_t sq_t0;
	cap_sql_info *sq_info;   /* allocated on first use */
	cap_plan sq_plan;
	char *sq_sql;
	size_t sq_len;
	/* invalidation of statements still running on the server */
	int multi_dirty;         /* a multi-result statement that may write: bump at next_result */
	int async_dirty;         /* a non-blocking statement that may write: bump when it ends */
} my_conn;

#define MY_BUCKETS 1024
static my_conn *my_table[MY_BUCKETS];
static pthread_mutex_t my_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t my_epoch = 1;
static pthread_once_t my_fork_once = PTHREAD_ONCE_INIT;

static __thread struct {
	MYSQL *m;
	my_conn *mc;
	uint64_t epoch;
} my_tls __attribute__((tls_model("initial-exec")));

static pthread_mutex_t st_lock = PTHREAD_MUTEX_INITIALIZER; /* prepared statements' table */

static void my_prefork(void)
{
	pthread_mutex_lock(&my_lock);
	pthread_mutex_lock(&st_lock);
}

/* After fork() parent and child share every connection open at the time: either may
 * change its session behind the other's back, so neither caches on it from now on (writes
 * still invalidate). Connections opened later are each side's own. */
static void my_postfork(void)
{
	for (size_t b = 0; b < MY_BUCKETS; b++)
		for (my_conn *mc = my_table[b]; mc; mc = mc->next)
			mc->sess.disabled = 1;
	pthread_mutex_unlock(&st_lock);
	pthread_mutex_unlock(&my_lock);
}
static void my_fork_setup(void) { pthread_atfork(my_prefork, my_postfork, my_postfork); }

static size_t my_bucket(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	return (size_t)((v >> 4) ^ (v >> 14)) & (MY_BUCKETS - 1);
}

/* One invalidation scope for every MySQL database (see the top of the file). */
static uint64_t my_scope(void)
{
	static const char name[] = "\001capacitor-mysql";
	return cap_hash64(name, sizeof(name) - 1, 0x5eed);
}

static void fix_scope(my_conn *mc)
{
	mc->sess.scope = my_scope();
}

/* Is db a schema whose tables are the server's live state (never cached, even unqualified)? */
static int is_sysdb(const char *db, size_t n)
{
	static const char *const sys[] = { "information_schema", "performance_schema", "mysql",
					   "sys", NULL };
	for (int i = 0; db && sys[i]; i++)
		if (strlen(sys[i]) == n && strncasecmp(db, sys[i], n) == 0)
			return 1;
	return 0;
}

static void sess_setup(my_conn *mc)
{
	MYSQL *m = mc->m;
	char ident[1024];
	/* Connector/C sets m->unix_socket only for a connection made through the socket: the
	 * port given beside it is then unused (programs pass 0 or 3306) and not identity */
	int n = snprintf(ident, sizeof(ident), "my%c%s%c%u%c%s%c%s", 0, m->host ? m->host : "", 0,
			 m->unix_socket ? 0u : m->port, 0, m->unix_socket ? m->unix_socket : "", 0,
			 m->user ? m->user : "");
	if (n < 0 || (size_t)n >= sizeof(ident))
		n = (int)sizeof(ident) - 1;
	cap_sess_init(&mc->sess, CAP_DIALECT_MYSQL, ident, (size_t)n, m->db ? m->db : "",
		      m->db ? strlen(m->db) : 0);
	fix_scope(mc);
	mc->probed = 0;
	mc->thread_id = m->thread_id;
	mc->sysdb = is_sysdb(m->db, m->db ? strlen(m->db) : 0);
	mc->locked = 0;
	mc->auto_is_null = 0;
	mc->replay_on = 0;
	mc->txn_pin = mc->one_shot = CAP_ISO_NONE;
	mc->one_shot_sure = 0;
	mc->cs_seen = NULL;
	cap_mycat_release(mc->cat);
	mc->cat = NULL;
}

static void free_res(MYSQL_RES *r)
{
	if (r)
		CAP_REAL_VOID(cap_my.mysql_free_result(r));
}

/* Forget a pending hit, a pending fill and a send in flight: a new statement starts. */
static void stmt_reset(my_conn *mc)
{
	free_res(mc->pend);
	mc->pend = NULL;
	mc->sq_hit = 0;
	mc->fill = 0;
	if (mc->sq_active) {
		free(mc->sq_sql);
		mc->sq_sql = NULL;
		mc->sq_active = 0;
	}
}

static my_conn *my_find(MYSQL *m, int create)
{
	uint64_t ep = __atomic_load_n(&my_epoch, __ATOMIC_ACQUIRE);
	if (my_tls.m == m && my_tls.epoch == ep && my_tls.mc)
		return my_tls.mc;
	pthread_once(&my_fork_once, my_fork_setup);
	pthread_mutex_lock(&my_lock);
	size_t b = my_bucket(m);
	my_conn *mc = my_table[b];
	while (mc && mc->m != m)
		mc = mc->next;
	if (mc == NULL && create) {
		mc = calloc(1, sizeof(*mc));
		if (mc) {
			mc->m = m;
			cap_buf_init(&mc->fill_key, 0);
			cap_buf_init(&mc->replay, 0);
			sess_setup(mc);
			mc->next = my_table[b];
			my_table[b] = mc;
		}
	}
	ep = __atomic_load_n(&my_epoch, __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&my_lock);
	if (mc) {
		my_tls.m = m;
		my_tls.mc = mc;
		my_tls.epoch = ep;
	}
	return mc;
}

static void my_remove(MYSQL *m)
{
	pthread_once(&my_fork_once, my_fork_setup);
	pthread_mutex_lock(&my_lock);
	my_conn **pp = &my_table[my_bucket(m)];
	while (*pp && (*pp)->m != m)
		pp = &(*pp)->next;
	my_conn *mc = *pp;
	if (mc)
		*pp = mc->next;
	__atomic_add_fetch(&my_epoch, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&my_lock);
	if (my_tls.m == m)
		my_tls.m = NULL;
	if (mc == NULL)
		return;
	stmt_reset(mc);
	cap_sess_free(&mc->sess);
	cap_buf_free(&mc->fill_key);
	cap_buf_free(&mc->replay);
	cap_mycat_release(mc->cat);
	free(mc->sq_info);
	free(mc);
}

/* The session ended or changed under us (change_user, reset_connection, reconnect): the
 * server rolled back any transaction; what it wrote is bumped to be safe. */
static void forget_session(const cap_rt *rt, my_conn *mc)
{
	if (mc->sess.nwset || mc->sess.wset_db || mc->sess.txn_tainted)
		cap_engine_bump_db(rt->engine, mc->sess.scope);
	stmt_reset(mc);
	mc->multi_dirty = mc->async_dirty = 0;
	cap_sess_free(&mc->sess);
	sess_setup(mc);
}

/* ---- the session probe and parameters ------------------------------------------------------- */

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

static void refresh_params(my_conn *mc)
{
	const char *cs = cap_my.mysql_character_set_name(mc->m);
	uint64_t h = cap_hash64(cs ? cs : "", cs ? strlen(cs) : 0, mc->probe_hash);
	cap_sess_set_params(&mc->sess, h);
	mc->cs_seen = mc->m->charset;
}

/* The probe: one SELECT on the program's own connection that reads every session setting
 * that can change what a statement returns. On MariaDB that is every row of
 * information_schema.SESSION_VARIABLES but those that change by themselves or are followed
 * another way (the transaction state, counters, the clock, the thread's own ids), plus the
 * active user and role, the current database and the isolation level. Elsewhere (MySQL) a
 * fixed list of the variables known to shape results. The server's identity (@@server_uid,
 * @@server_uuid) is part of it, so that a different server behind the same host and port
 * never shares entries. The explicit LIMIT overrides a program's sql_select_limit. */
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
	"UNION ALL SELECT 'cap.db', DATABASE() LIMIT 100000";

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
	"UNION ALL SELECT 'sql_select_limit', @@sql_select_limit LIMIT 100000";

/* Read the session's settings (see above) and make them the key's. Runs before a cacheable
 * read only: at a session's first one, and after any statement whose effect on the session
 * its text cannot prove. Returns 0 when the connection cannot take a query now (a result
 * unread: the program's next command fails anyway), the settings still unknown. A failed
 * probe disables caching on this session. */
static CAP_COLD int probe(my_conn *mc)
{
	MYSQL *m = mc->m;
	if (m->status != MYSQL_STATUS_READY || m->fields != NULL ||
	    (m->server_status & SERVER_MORE_RESULTS_EXIST))
		return 0;
	mc->probed = 1;
	char q[1536];
	int qn;
	if (m->server_version && strstr(m->server_version, "MariaDB")) {
		qn = (int)(sizeof(probe_mariadb) - 1);
		memcpy(q, probe_mariadb, sizeof(probe_mariadb));
	} else {
		unsigned long ver = cap_my.mysql_get_server_version(m);
		qn = snprintf(q, sizeof(q), probe_mysql,
			      ver >= 50720 ? "@@transaction_isolation" : "@@tx_isolation");
	}
	unsigned long long affected = m->affected_rows;
	unsigned int warnings = m->warning_count;
	int ok = 0, have_iso = 0;
	if (CAP_REAL(cap_my.mysql_real_query(m, q, (unsigned long)qn)) == 0) {
		MYSQL_RES *r = CAP_REAL(cap_my.mysql_store_result(m));
		MYSQL_ROW row;
		uint64_t h = 0;
		char db[256];
		size_t dbn = 0;
		int db_null = 1, auto_is_null = 0;
		while (r && r->field_count == 2 && (row = CAP_REAL(cap_my.mysql_fetch_row(r)))) {
			const char *k = row[0] ? row[0] : "";
			if (strcmp(k, "cap.iso") == 0) {
				mc->sess.sess_iso = iso_of(row[1]);
				have_iso = 1;
				continue; /* the level is followed apart (transaction rules) */
			}
			if (strcasecmp(k, "sql_auto_is_null") == 0)
				auto_is_null = row[1] && (strcasecmp(row[1], "ON") == 0 ||
							  strcmp(row[1], "1") == 0);
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
			mc->probe_hash = cap_hash64(&h, sizeof(h), 0x6d7973716c);
			mc->sess.sess_iso_known = 1;
			/* the settings are read: what the session's SET history said is now
			 * known exactly, and entries are shared with every session like it */
			mc->sess.fp_sets = 0;
			cap_sess_set_db(&mc->sess, db_null ? "" : db, db_null ? 0 : dbn);
			fix_scope(mc);
			mc->sysdb = !db_null && is_sysdb(db, dbn);
			mc->auto_is_null = auto_is_null;
			ok = 1;
		}
		free_res(r);
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
	refresh_params(mc);
	return 1;
}

/* ---- one statement -------------------------------------------------------------------------- */

/* The transaction state the next statement runs in: an open transaction, or autocommit off
 * (the statement will open one). */
static int in_txn_before(const MYSQL *m)
{
	return (m->server_status & SERVER_STATUS_IN_TRANS) ||
	       !(m->server_status & SERVER_STATUS_AUTOCOMMIT);
}

static int in_txn_after(const MYSQL *m)
{
	return (m->server_status & SERVER_STATUS_IN_TRANS) != 0;
}

/* ---- isolation levels, the MySQL way ---------------------------------------------------------
 *
 * SET TRANSACTION ISOLATION LEVEL x sets the level of the next transaction only, and that one
 * starts when a statement first touches a transactional table (SELECT 1 or SET @a leave it
 * pending; an autocommit read of a table uses it up, unseen by us). SET SESSION TRANSACTION
 * ISOLATION LEVEL applies from the next transaction on, never to the open one. So the level
 * of a transaction is pinned when the server reports it open (SERVER_STATUS_IN_TRANS), and a
 * one-shot level that may or may not have been used up counts only where it agrees with the
 * session's (otherwise the level is unknown: the strictest case). session.c is handed the
 * result as the transaction's level before each statement. */

/* The level the next transaction will have. */
static enum cap_sql_iso level_next(const my_conn *mc)
{
	enum cap_sql_iso sess = mc->sess.sess_iso_known ? mc->sess.sess_iso : CAP_ISO_UNKNOWN;
	if (mc->one_shot == CAP_ISO_NONE)
		return sess;
	if (mc->one_shot_sure || mc->one_shot == sess)
		return mc->one_shot;
	return CAP_ISO_UNKNOWN;
}

/* Before a statement: the level it runs at (the open transaction's, or the one it opens). */
static void iso_before(my_conn *mc)
{
	cap_sess *s = &mc->sess;
	mc->pre_in_trans = (mc->m->server_status & SERVER_STATUS_IN_TRANS) != 0;
	mc->pre_level = level_next(mc);
	s->next_iso = CAP_ISO_NONE;
	if (mc->pre_in_trans)
		s->txn_iso = mc->txn_pin != CAP_ISO_NONE ? mc->txn_pin : CAP_ISO_UNKNOWN;
	else
		s->txn_iso = mc->pre_level;
}

/* After a statement ran (or was served from the cache, info NULL): follow the transaction
 * the server reports and the one-shot level. */
static void iso_after(my_conn *mc, const cap_sql_info *info, const cap_plan *plan, int ok)
{
	int now = (mc->m->server_status & SERVER_STATUS_IN_TRANS) != 0;
	if (info && (info->kind == CAP_SQL_OTHER || plan->fn_may_write ||
		     (plan->act == CAP_ACT_WRITE && info->kind == CAP_SQL_SESSION))) {
		/* code we cannot see (CALL, a function) may have set any level */
		mc->one_shot = CAP_ISO_UNKNOWN;
		mc->one_shot_sure = 0;
		mc->txn_pin = now ? CAP_ISO_UNKNOWN : CAP_ISO_NONE;
		return;
	}
	if (info && ok && info->iso != CAP_ISO_NONE && info->iso_scope == CAP_ISO_SCOPE_NEXT) {
		mc->one_shot = info->iso;
		mc->one_shot_sure = 1;
	} else if (now && (!mc->pre_in_trans ||
			   (info && info->kind == CAP_SQL_TXN && info->txn == CAP_TXN_BEGIN))) {
		/* a transaction began here (BEGIN inside one commits it and begins another) */
		mc->txn_pin = mc->pre_in_trans ? level_next(mc) : mc->pre_level;
		mc->one_shot = CAP_ISO_NONE;
	} else if (!now) {
		mc->txn_pin = CAP_ISO_NONE;
		if (!mc->pre_in_trans && info && info->kind != CAP_SQL_SESSION &&
		    info->kind != CAP_SQL_EMPTY && info->kind != CAP_SQL_TXN)
			mc->one_shot_sure = 0; /* an autocommit statement may have used it up */
	}
}

/* The server session behind m is not the one the state describes (MYSQL_OPT_RECONNECT
 * reconnected inside the client library): start over as after mysql_change_user. */
static CAP_COLD void reconnected(const cap_rt *rt, my_conn *mc)
{
	cap_log(CAP_LOG_INFO, "MySQL connection reconnected (thread %lu, was %lu): session "
		"state reset", mc->m->thread_id, mc->thread_id);
	forget_session(rt, mc);
}

static void my_plan(const cap_rt *rt, my_conn *mc, const char *sql, size_t len,
		    cap_sql_info *info, cap_plan *plan)
{
	if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
		reconnected(rt, mc);
	cap_sql_classify(CAP_DIALECT_MYSQL, sql, len, info);
	int unknown = 0;
	if (CAP_UNLIKELY(!mc->probed) && info->kind == CAP_SQL_READ) {
		unknown = !probe(mc);
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id)) {
			reconnected(rt, mc); /* the probe itself reconnected */
			unknown = 1;
		}
	}
	cap_mycat *cat = mc->cat;
	if (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
	    info->kind == CAP_SQL_WRITE)
		cat = cap_mycat_get(rt, mc->m, &mc->sess, &mc->cat);
	if (CAP_UNLIKELY(mc->cs_seen != (const void *)mc->m->charset))
		refresh_params(mc);
	iso_before(mc);
	cap_sess_plan(rt, &mc->sess, info, in_txn_before(mc->m), &cap_mycat_ops, cat, plan);
	if (plan->act == CAP_ACT_CACHE &&
	    CAP_UNLIKELY(mc->sysdb || mc->locked || mc->auto_is_null || unknown)) {
		/* unqualified names are the server's live tables; under LOCK TABLES a table not
		 * locked must fail as it would on the server */
		plan->act = CAP_ACT_PASS;
		plan->can_hit = plan->can_fill = 0;
		plan->reason = mc->locked ? CAP_REASON_locking
					  : mc->sysdb ? CAP_REASON_syscatalog : CAP_REASON_session;
	}
}

/* Is sql exactly "SET [SESSION|@@[session.]]autocommit = 0|1|ON|OFF"? Such a statement does
 * not change what any query returns (the transaction state is followed through the server
 * status instead), so it is kept out of the session fingerprint: programs that switch
 * autocommit (MySQLdb does at connect) share entries with those that do not. */
static int only_autocommit(const char *sql, size_t len)
{
	size_t i = 0;
#define SKIP_WS() while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r')) i++
#define WORD(w) (len - i >= sizeof(w) - 1 && strncasecmp(sql + i, w, sizeof(w) - 1) == 0 ? (i += sizeof(w) - 1, 1) : 0)
	SKIP_WS();
	if (!WORD("set"))
		return 0;
	SKIP_WS();
	if (WORD("session ") || WORD("@@session.") || WORD("@@"))
		SKIP_WS();
	if (!WORD("autocommit"))
		return 0;
	SKIP_WS();
	if (i >= len || sql[i] != '=')
		return 0;
	i++;
	SKIP_WS();
	if (!(WORD("0") || WORD("1") || WORD("on") || WORD("off")))
		return 0;
	SKIP_WS();
	if (i < len && sql[i] == ';')
		i++;
	SKIP_WS();
	return i == len;
#undef SKIP_WS
#undef WORD
}

/* Does a case-insensitive needle occur in s[0..n)? */
static int has_word(const char *s, size_t n, const char *needle)
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

/* Does the statement change the session in a way its text does not prove (the value of a
 * SET may come from a parameter, a variable, a subquery or DEFAULT; CALL, functions and
 * several statements may SET anything)? The settings are then read again before the next
 * cacheable read. */
static int needs_probe(const cap_sql_info *info, const cap_plan *plan, const char *sql,
		       size_t len)
{
	if (info->kind == CAP_SQL_SESSION)
		return !((info->flags & CAP_SQLF_SET_AUTOCOMMIT) && only_autocommit(sql, len));
	return info->kind == CAP_SQL_OTHER || plan->fn_may_write ||
	       (info->reasons & (CAP_SQLR_MULTI | CAP_SQLR_SESSION_FN)) ||
	       (plan->act == CAP_ACT_WRITE && info->kind == CAP_SQL_UTILITY);
}

/* Bookkeeping after a statement ran on the server. */
static void my_after(const cap_rt *rt, my_conn *mc, const cap_sql_info *info,
		     const cap_plan *plan, const char *sql, size_t len, int ok)
{
	if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
		reconnected(rt, mc); /* the statement ran in a new session: no fill */
	uint64_t fp = mc->sess.fp, fp_sets = mc->sess.fp_sets;
	cap_sess_after(rt, &mc->sess, info, plan, sql, len, ok, in_txn_after(mc->m), &cap_mycat_ops,
		       mc->cat);
	if (info->kind == CAP_SQL_SESSION && (info->flags & CAP_SQLF_SET_AUTOCOMMIT) &&
	    only_autocommit(sql, len)) {
		mc->sess.fp = fp;
		mc->sess.fp_sets = fp_sets;
	}
	iso_after(mc, info, plan, ok);
	if (CAP_UNLIKELY(info->kind != CAP_SQL_READ && info->kind != CAP_SQL_WRITE)) {
		if (needs_probe(info, plan, sql, len))
			mc->probed = 0;
		if (ok && (info->flags & CAP_SQLF_USE_DB))
			mc->sysdb = is_sysdb(info->names + info->db.name_off, info->db.name_len);
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
		    (has_word(sql, len, "temporary") || has_word(sql, len, "call") ||
		     has_word(sql, len, "execute")))
			mc->sess.disabled = 1;
	}
	fix_scope(mc);
	/* a multi-statement string or a CALL goes on running while the program reads its
	 * results: whatever may write is bumped again at each mysql_next_result */
	if ((mc->m->server_status & SERVER_MORE_RESULTS_EXIST) && plan->act != CAP_ACT_CACHE &&
	    info->kind != CAP_SQL_READ && info->kind != CAP_SQL_EMPTY)
		mc->multi_dirty = 1;
}

/* ---- diagnostics after a hit ---------------------------------------------------------------
 *
 * After a hit the server's diagnostics (FOUND_ROWS(), ROW_COUNT(), the warning and error
 * lists and counts, GET DIAGNOSTICS) still describe the statement before it. When the
 * statement after a hit may read them, the hit's statement is first run for real (its result
 * discarded), so that they describe it as they would have without Capacitor. */

static int can_serve(const MYSQL *m);

static int reads_diag(const cap_sql_info *info, const char *sql, size_t len)
{
	if (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_WRITE)
		return (info->reasons & CAP_SQLR_LASTID) != 0;
	return (info->reasons & CAP_SQLR_LASTID) || has_word(sql, len, "found_rows") ||
	       has_word(sql, len, "row_count") || has_word(sql, len, "warning") ||
	       has_word(sql, len, "error") || has_word(sql, len, "diagnostics");
}

/* Before a statement (classified in info) goes to the server. */
static void replay_before(my_conn *mc, const cap_sql_info *info, const char *sql, size_t len)
{
	MYSQL *m = mc->m;
	mc->replay_on = 0;
	if (!reads_diag(info, sql, len) || !can_serve(m))
		return;
	unsigned long long affected = m->affected_rows;
	if (CAP_REAL(cap_my.mysql_real_query(m, (const char *)mc->replay.data,
					     (unsigned long)mc->replay.len)) == 0)
		free_res(CAP_REAL(cap_my.mysql_store_result(m)));
	m->affected_rows = affected;
}

/* A text hit was served for sql. */
static void replay_note(my_conn *mc, const char *sql, size_t len)
{
	mc->replay.len = 0;
	mc->replay.err = 0;
	cap_buf_put(&mc->replay, sql, len);
	mc->replay_on = mc->replay.err == 0;
}

static int my_key(const my_conn *mc, const char *sql, size_t len, uint64_t proto,
		  cap_keymat *km, cap_key *key)
{
	cap_sess_key(&mc->sess, km);
	cap_keymat_add(km, sql, len);
	cap_keymat_add_u64(km, proto);
	return cap_keymat_finish(km, key);
}

/* A stored value is the server status flags a SELECT sets about itself (which index it
 * used: programs and ORMs read them from mysql->server_status), 4 bytes, then the encoded
 * result (hooks/mysql_codec). The key's protocol word says so (MY_PROTO_*). */
#define MY_STATUS_KEPT (SERVER_QUERY_NO_GOOD_INDEX_USED | SERVER_QUERY_NO_INDEX_USED)
#define MY_PROTO_TEXT 3
#define MY_PROTO_BINARY 4

static int put_status(cap_buf *b, unsigned status)
{
	cap_buf_u32(b, status & MY_STATUS_KEPT);
	return b->err ? CAP_ENOMEM : CAP_OK;
}

/* The status flags of a value (and past them, in *val and *len, the encoded result); -1 when
 * the value is too short. */
static long take_status(const void **val, size_t *len)
{
	uint32_t st;
	if (*len < 4)
		return -1;
	memcpy(&st, *val, 4);
	*val = (const char *)*val + 4;
	*len -= 4;
	return (long)(st & MY_STATUS_KEPT);
}

/* The status flags a hit reports: the stored ones in place of the last statement's. */
static void set_hit_status(MYSQL *m, unsigned kept)
{
	m->server_status = (m->server_status & ~(unsigned)MY_STATUS_KEPT) | kept;
}

typedef struct my_hit {
	MYSQL_RES *res;
	unsigned status;
} my_hit;

static int my_hit_cb(void *arg, const void *val, size_t len)
{
	my_hit *h = arg;
	long st = take_status(&val, &len);
	h->res = st < 0 ? NULL : cap_my_decode(val, len, 0);
	h->status = (unsigned)st;
	return h->res ? CAP_OK : CAP_ECORRUPT;
}

static void my_record(enum cap_path path, const cap_plan *plan, const cap_sql_info *info,
		      const char *sql, size_t len, uint64_t t0)
{
	cap_qrec q;
	q.path = path;
	q.reason = plan->reason;
	q.is_read = plan->is_read;
	q.ns = cap_now_ns() - t0;
	q.shape = info->digest;
	q.sql = sql;
	q.sql_len = len;
	q.dialect = CAP_DIALECT_MYSQL;
	cap_stats_record(&q);
}

static enum cap_path pass_path(const cap_plan *plan)
{
	return plan->act == CAP_ACT_WRITE ? CAP_PATH_WRITE : CAP_PATH_BYPASS;
}

/* Leave the connection as the server's answer to a one-result SELECT would. */
static void set_hit_state(MYSQL *m, unsigned nf)
{
	m->field_count = nf;
	m->info = NULL;
	m->affected_rows = ~0ULL; /* as sending any command leaves it */
	m->warning_count = 0;
	m->net.last_errno = 0;
	m->net.last_error[0] = '\0';
	strcpy(m->net.sqlstate, "00000");
	m->server_status &= ~(unsigned)SERVER_MORE_RESULTS_EXIST;
	if (!(m->server_status & SERVER_STATUS_AUTOCOMMIT))
		m->server_status |= SERVER_STATUS_IN_TRANS; /* as the client library marks it */
}

/* May a hit be served now? Connector/C would refuse a new query in these states. */
static int can_serve(const MYSQL *m)
{
	return m->status == MYSQL_STATUS_READY && m->fields == NULL &&
	       !(m->server_status & SERVER_MORE_RESULTS_EXIST);
}

static void remember_fill(my_conn *mc, const cap_key *key, const cap_plan *plan)
{
	mc->fill_key.len = 0;
	mc->fill_key.err = 0;
	cap_buf_put(&mc->fill_key, key->mat, key->len);
	mc->fill_hash = key->hash;
	mc->fill_plan = *plan;
	mc->fill = mc->fill_key.err == 0;
}

static void do_fill(const cap_rt *rt, my_conn *mc, const MYSQL_RES *res)
{
	cap_buf b;
	cap_buf_init(&b, rt->conf.max_result);
	int rc = put_status(&b, mc->m->server_status);
	if (rc == CAP_OK)
		rc = cap_my_encode(res, &b);
	if (rc == CAP_OK) {
		cap_key key = { mc->fill_hash, mc->fill_key.data, mc->fill_key.len };
		rc = cap_engine_put(rt->engine, &key, &mc->fill_plan.deps,
				    cap_sess_ttl(rt, &mc->fill_plan), b.data, b.len);
	}
	cap_buf_free(&b);
	mc->fill = 0;
}

/* A hit through mysql_send_query must still make the socket readable: a program may wait on
 * it before it calls mysql_read_query_result (Ruby's mysql2, event loops). The hit sends a
 * COM_PING the way Connector/C's own mysql_send_query sends its COM_QUERY (the library's
 * command method, answer not read), and mysql_read_query_result reads the ping's answer
 * before it reports the hit: one round trip, no statement run. Only with the Connector/C
 * release the hooks were built for (the method table's layout) and a live connection;
 * otherwise mysql_send_query does not hit. */
static int st_abi_ok(void);

static int can_wake(const MYSQL *m)
{
	return st_abi_ok() && m->net.pvio != NULL && m->methods != NULL &&
	       m->methods->db_command != NULL;
}

/* How a statement reaches the server: the text API or one of the calls that send a fixed
 * statement (mysql_commit, mysql_rollback, mysql_autocommit). Returns 0 on success. */
typedef int (*my_run_fn)(MYSQL *m, const char *sql, unsigned long len, int arg);

static int run_real_query(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)arg;
	return cap_my.mysql_real_query(m, sql, len);
}

static int run_send_query(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)arg;
	return cap_my.mysql_send_query(m, sql, len);
}

static int run_commit(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)sql;
	(void)len;
	(void)arg;
	return cap_my.mysql_commit(m) ? 1 : 0;
}

static int run_rollback(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)sql;
	(void)len;
	(void)arg;
	return cap_my.mysql_rollback(m) ? 1 : 0;
}

static int run_autocommit(MYSQL *m, const char *sql, unsigned long len, int arg)
{
	(void)sql;
	(void)len;
	return cap_my.mysql_autocommit(m, (my_bool)arg) ? 1 : 0;
}

/* The text path: mysql_real_query, mysql_query, and the fixed-statement calls. With
 * send_only (mysql_send_query) the statement's end is accounted in mysql_read_query_result. */
static int my_text(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, my_run_fn fn,
		   int arg, int send_only)
{
	uint64_t t0 = cap_now_ns();
	MYSQL *m = mc->m;
	stmt_reset(mc);
	if (mc->multi_dirty) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		mc->multi_dirty = 0;
	}
	cap_sql_info *info = cap_sess_info();
	cap_plan plan;
	my_plan(rt, mc, sql, len, info, &plan);
	if (CAP_UNLIKELY(mc->replay_on))
		replay_before(mc, info, sql, len);
	unsigned char kbuf[1024];
	cap_keymat km;
	cap_key key;
	int keyed = 0;
	if (plan.act == CAP_ACT_CACHE) {
		cap_keymat_init(&km, kbuf, sizeof(kbuf));
		keyed = my_key(mc, sql, len, MY_PROTO_TEXT, &km, &key) == CAP_OK;
		if (keyed && plan.can_hit && can_serve(m) && (!send_only || can_wake(m))) {
			my_hit h = { NULL, 0 };
			int r = cap_engine_get(rt->engine, &key, my_hit_cb, &h);
			if ((r == CAP_HIT_L1 || r == CAP_HIT_L2) && send_only &&
			    CAP_REAL(m->methods->db_command(m, COM_PING, NULL, 0, 1, NULL)) != 0) {
				free_res(h.res); /* the connection failed: the real send says so */
				r = CAP_MISS;
			}
			if (r == CAP_HIT_L1 || r == CAP_HIT_L2) {
				cap_keymat_done(&km);
				mc->pend = h.res;
				if (send_only) {
					/* mysql_read_query_result reads the ping's answer, then
					 * reports the hit */
					mc->sq_hit = 1;
					mc->sq_status = h.status;
				} else {
					set_hit_state(m, h.res->field_count);
					set_hit_status(m, h.status);
					iso_after(mc, info, &plan, 1);
				}
				replay_note(mc, sql, len);
				my_record(r == CAP_HIT_L1 ? CAP_PATH_HIT_L1 : CAP_PATH_HIT_L2, &plan,
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
			remember_fill(mc, &key, &plan);
			mc->sq_keyed = mc->fill;
			mc->fill = 0;
		}
		if (keyed)
			cap_keymat_done(&km);
		int rc = CAP_REAL(fn(m, sql, (unsigned long)len, arg));
		if (rc != 0) {
			my_after(rt, mc, mc->sq_info, &mc->sq_plan, sql, len, 0);
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
			remember_fill(mc, &key, &plan);
		else if (!ok)
			plan.reason = CAP_REASON_error;
		cap_keymat_done(&km);
	}
	my_after(rt, mc, info, &plan, sql, len, ok);
	my_record(plan.act == CAP_ACT_CACHE ? CAP_PATH_MISS : pass_path(&plan), &plan, info, sql,
		  len, t0);
	if (plan.act == CAP_ACT_CACHE)
		cap_stats_log_tick();
	return rc;
}

/* ---- results served to use_result callers ------------------------------------------------------ */

/* A result handed to a mysql_use_result caller counts its rows as they are fetched and reads
 * eof only at the end, as an unbuffered result does: such results are kept in this set
 * (normally empty: mysql_fetch_row then costs one load). */
/* While such a result is unread its connection shows MYSQL_STATUS_USE_RESULT, as after a
 * real mysql_use_result, so that another command fails with "commands out of sync" as it
 * would without Capacitor; the status goes back to ready at the end of the rows or when the
 * result is freed (use_conn[] remembers the connection; mysql_close forgets it). */
#define USE_MAX 64
static MYSQL_RES *use_set[USE_MAX];
static MYSQL *use_conn[USE_MAX];
static int use_count;
static pthread_mutex_t use_lock = PTHREAD_MUTEX_INITIALIZER;

/* use_swap - put (to, m) in the slot that holds from (NULL: a free slot); 1 if there was
 * one. The slot's connection left out of the set, if any, is made ready again. */
static int use_swap(MYSQL_RES *from, MYSQL_RES *to, MYSQL *m)
{
	int found = 0;
	pthread_mutex_lock(&use_lock);
	for (int i = 0; i < USE_MAX; i++)
		if (use_set[i] == from) {
			MYSQL *old = use_conn[i];
			if (old && old->status == MYSQL_STATUS_USE_RESULT)
				old->status = MYSQL_STATUS_READY;
			use_set[i] = to;
			use_conn[i] = m;
			if (m)
				m->status = MYSQL_STATUS_USE_RESULT;
			__atomic_add_fetch(&use_count, to ? 1 : -1, __ATOMIC_RELEASE);
			found = 1;
			break;
		}
	pthread_mutex_unlock(&use_lock);
	return found;
}

static int use_add(MYSQL_RES *r, MYSQL *m)
{
	return use_swap(NULL, r, m);
}

static int use_del(MYSQL_RES *r)
{
	return use_swap(r, NULL, NULL);
}

/* m is being closed: its unread results no longer point to it. */
static void use_forget_conn(MYSQL *m)
{
	pthread_mutex_lock(&use_lock);
	for (int i = 0; i < USE_MAX; i++)
		if (use_conn[i] == m)
			use_conn[i] = NULL;
	pthread_mutex_unlock(&use_lock);
}

static int use_has(MYSQL_RES *r)
{
	int found = 0;
	pthread_mutex_lock(&use_lock);
	for (int i = 0; i < USE_MAX && !found; i++)
		found = use_set[i] == r;
	pthread_mutex_unlock(&use_lock);
	return found;
}

/* ---- prepared statements ------------------------------------------------------------------------ */

/* What Capacitor keeps per MYSQL_STMT: the text given to mysql_stmt_prepare, the rows of a
 * hit that st->result / st->result_cursor may point into (owned here, never by the library's
 * memory roots), and a miss waiting for mysql_stmt_store_result to be stored. */
typedef struct my_sfill {
	cap_buf key;
	cap_hash hash;
	cap_plan plan;
} my_sfill;

/* The session a statement was prepared in: the server resolves its tables in the database
 * current then and parses it under the sql_mode of then, whatever the session is at
 * execution, so the key holds both (ok 0: not known, not cached). */
typedef struct my_prep {
	int ok;
	unsigned char k[24]; /* the session's identity and fingerprint at prepare time */
} my_prep;

typedef struct my_stmt {
	struct my_stmt *next;
	MYSQL_STMT *st;
	char *sql;
	size_t len;
	my_prep prep;
	cap_my_srows *hit;
	my_sfill *fill;
} my_stmt;

static my_stmt *st_table[MY_BUCKETS];

static int st_hit_unbuf(MYSQL_STMT *st, unsigned char **row, unsigned long *len);
static int st_hit_buf(MYSQL_STMT *st, unsigned char **row, unsigned long *len);
static int st_hit_eof(MYSQL_STMT *st, unsigned char **row, unsigned long *len);
static MYSQL_RES *st_hit_use(MYSQL_STMT *st);

/* The row functions a statement calls through st->fetch_row_func: Connector/C up to some
 * 3.3 release calls them as (stmt, row); later ones (3.3.20, Debian 12's) as (stmt, row,
 * length) and check each value against the row's length (MYSQL_DATA_MALFORMED). Which one
 * the installed headers declare is known at compile time (ROWFN_HAS_LEN); st_abi_ok makes
 * sure at run time that the library is MariaDB Connector/C of the same minor release, no
 * older than the headers when they declare the length and no newer when they do not, so
 * that the length is written exactly when the library passes it. */
#define ROWFN_HAS_LEN                                                                   \
	_Generic((mysql_stmt_fetch_row_func)0,                                          \
		 int (*)(MYSQL_STMT *, unsigned char **, unsigned long *): 1, default: 0)
#define ROWFN(fn) ((mysql_stmt_fetch_row_func)(void (*)(void))(fn))

static pthread_once_t st_abi_once = PTHREAD_ONCE_INIT;
static int st_abi;

static void st_abi_check(void)
{
	unsigned long v = cap_my.mysql_get_client_version ? cap_my.mysql_get_client_version() : 0;
	unsigned long h = MARIADB_PACKAGE_VERSION_ID;
	st_abi = cap_my.mariadb_stmt_execute_direct != NULL && cap_my.mysql_stmt_store_result &&
		 cap_my.mysql_stmt_free_result && v / 100 == h / 100 &&
		 (ROWFN_HAS_LEN ? v >= h : v <= h);
	if (!st_abi)
		cap_log(CAP_LOG_INFO, "prepared statements are not cached with this client library "
			"(version %lu, built for %lu)", v, h);
}

static int st_abi_ok(void)
{
	pthread_once(&st_abi_once, st_abi_check);
	return st_abi;
}

static void fill_free(my_sfill *f)
{
	if (f) {
		cap_buf_free(&f->key);
		free(f);
	}
}

/* Does st still show a hit's state (our handlers, our rows)? */
static int st_shows_hit(const MYSQL_STMT *st)
{
	return st->default_rset_handler == st_hit_use || st->fetch_row_func == ROWFN(st_hit_unbuf) ||
	       st->fetch_row_func == ROWFN(st_hit_buf) || st->fetch_row_func == ROWFN(st_hit_eof);
}

/* Take the hit's rows away from st (under st_lock): st no longer points into them, and a
 * statement left in a hit's result state goes back to "prepared", so that the library's
 * next mysql_stmt_execute starts from a clean statement with nothing to flush. */
static void st_unhook(my_stmt *s)
{
	MYSQL_STMT *st = s->st;
	if (s->hit == NULL)
		return;
	if (st->result.data == s->hit->rows || st_shows_hit(st)) {
		st->result.data = NULL;
		st->result.rows = 0;
		st->result_cursor = NULL;
	}
	if (st_shows_hit(st)) {
		st->default_rset_handler = NULL;
		st->fetch_row_func = NULL;
		if (st->state > MYSQL_STMT_PREPARED)
			st->state = MYSQL_STMT_PREPARED;
	}
}

static my_stmt *st_find(MYSQL_STMT *st)
{
	my_stmt *s = st_table[my_bucket(st)];
	while (s && s->st != st)
		s = s->next;
	return s;
}

/* st_set - record (sql != NULL) or forget the text of st and the session it was prepared
 * in (prep NULL: unknown); any hit state and pending fill is dropped either way. */
static void st_set(MYSQL_STMT *st, const char *sql, size_t len, const my_prep *prep)
{
	my_stmt *n = NULL;
	if (sql) {
		n = calloc(1, sizeof(*n));
		char *c = n ? malloc(len + 1) : NULL;
		if (c == NULL) {
			free(n);
			n = NULL;
		} else {
			memcpy(c, sql, len);
			c[len] = '\0';
			n->st = st;
			n->sql = c;
			n->len = len;
			if (prep)
				n->prep = *prep;
		}
	}
	pthread_mutex_lock(&st_lock);
	my_stmt **pp = &st_table[my_bucket(st)];
	while (*pp && (*pp)->st != st)
		pp = &(*pp)->next;
	my_stmt *old = *pp;
	if (old) {
		*pp = old->next;
		st_unhook(old);
	}
	if (n) {
		n->next = st_table[my_bucket(st)];
		st_table[my_bucket(st)] = n;
	}
	pthread_mutex_unlock(&st_lock);
	if (old) {
		free(old->hit);
		fill_free(old->fill);
		free(old->sql);
		free(old);
	}
}

/* st_begin - a new execution of st starts: drop the previous hit and pending fill, and
 * return a copy of st's text (caller frees), or NULL, and in *prep (when not NULL) the
 * session it was prepared in. */
static char *st_begin(MYSQL_STMT *st, size_t *len, my_prep *prep)
{
	char *r = NULL;
	cap_my_srows *hit = NULL;
	my_sfill *fill = NULL;
	pthread_mutex_lock(&st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		st_unhook(s);
		hit = s->hit;
		fill = s->fill;
		s->hit = NULL;
		s->fill = NULL;
		r = malloc(s->len + 1);
		if (r) {
			memcpy(r, s->sql, s->len + 1);
			*len = s->len;
		}
		if (prep)
			*prep = s->prep;
	}
	pthread_mutex_unlock(&st_lock);
	free(hit);
	fill_free(fill);
	return r;
}

/* st_drop - forget st's hit and fill (not its text). */
static void st_drop(MYSQL_STMT *st)
{
	size_t len;
	free(st_begin(st, &len, NULL));
}

/* Attach a hit's rows or a pending fill to st's record; 0 when st has no record (the
 * caller frees what it passed). */
static int st_attach(MYSQL_STMT *st, cap_my_srows *hit, my_sfill *fill)
{
	int ok = 0;
	pthread_mutex_lock(&st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		if (hit)
			s->hit = hit;
		if (fill)
			s->fill = fill;
		ok = 1;
	}
	pthread_mutex_unlock(&st_lock);
	return ok;
}

/* The hit's rows, for the unbuffered cursor: what = 0 the first row (and the cursor is set
 * there), 1 the cursor's row (and the cursor moves on), 2 the cursor's row (not moved). */
static MYSQL_ROWS *st_hit_rows(MYSQL_STMT *st, int what)
{
	MYSQL_ROWS *r = NULL;
	pthread_mutex_lock(&st_lock);
	my_stmt *s = st_find(st);
	if (s && s->hit) {
		if (what == 0)
			r = s->hit->ucur = s->hit->rows;
		else
			r = s->hit->ucur;
		if (what == 1 && r)
			s->hit->ucur = r->next;
	}
	pthread_mutex_unlock(&st_lock);
	return r;
}

static my_sfill *st_fill_take(MYSQL_STMT *st)
{
	my_sfill *f = NULL;
	pthread_mutex_lock(&st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		f = s->fill;
		s->fill = NULL;
	}
	pthread_mutex_unlock(&st_lock);
	return f;
}

/* ---- a hit, as the library's own fetch sees it ---------------------------------------------------- */

/* The statement's default result handler after a hit (mysql_stmt_fetch without
 * mysql_stmt_store_result calls it): rows are then read one by one as from the wire. Their
 * cursor is kept beside the rows, not in st->result_cursor, which stays NULL as in an
 * unbuffered read (mysql_stmt_free_result and row_tell look at it). */
static MYSQL_RES *st_hit_use(MYSQL_STMT *st)
{
	st->state = MYSQL_STMT_USE_OR_STORE_CALLED;
	st_hit_rows(st, 0);
	st->fetch_row_func = ROWFN(st_hit_unbuf);
	st->last_errno = 0;
	st->last_error[0] = '\0';
	strcpy(st->sqlstate, "00000");
	return NULL;
}

/* Unbuffered: each row counts in mysql_stmt_num_rows when it is read; at the end the
 * statement answers "no data" from then on. */
static int st_hit_unbuf(MYSQL_STMT *st, unsigned char **row, unsigned long *len)
{
	MYSQL_ROWS *r = st_hit_rows(st, 1);
	if (r == NULL) {
		*row = NULL;
		if (ROWFN_HAS_LEN)
			*len = 0;
		st->fetch_row_func = ROWFN(st_hit_eof);
		return MYSQL_NO_DATA;
	}
	*row = (unsigned char *)r->data;
	if (ROWFN_HAS_LEN)
		*len = r->length;
	st->result.rows++;
	return 0;
}

static int st_hit_eof(MYSQL_STMT *st, unsigned char **row, unsigned long *len)
{
	(void)st;
	*row = NULL;
	if (ROWFN_HAS_LEN)
		*len = 0;
	return MYSQL_NO_DATA;
}

/* Buffered (after mysql_stmt_store_result): the rows are in st->result; data_seek and
 * row_seek move st->result_cursor. */
static int st_hit_buf(MYSQL_STMT *st, unsigned char **row, unsigned long *len)
{
	MYSQL_ROWS *r = st->result_cursor;
	if (r == NULL) {
		*row = NULL;
		if (ROWFN_HAS_LEN)
			*len = 0;
		st->state = MYSQL_STMT_FETCH_DONE;
		return MYSQL_NO_DATA;
	}
	st->state = MYSQL_STMT_USER_FETCHING;
	*row = (unsigned char *)r->data;
	if (ROWFN_HAS_LEN)
		*len = r->length;
	st->result_cursor = r->next;
	return 0;
}

/* mysql_stmt_store_result on a statement showing a hit; -1 when st is not one (the real
 * function then runs). */
static int st_hit_store(MYSQL_STMT *st)
{
	MYSQL_ROWS *rest;
	if (st->state == MYSQL_STMT_WAITING_USE_OR_STORE && st->default_rset_handler == st_hit_use)
		rest = st_hit_rows(st, 0);
	else if (st->fetch_row_func == ROWFN(st_hit_unbuf) && (st->state == MYSQL_STMT_USE_OR_STORE_CALLED ||
							st->state == MYSQL_STMT_USER_FETCHING))
		rest = st_hit_rows(st, 2);
	else
		return -1;
	if (st->last_errno)
		return 1;
	if (st->update_max_length && st->state == MYSQL_STMT_WAITING_USE_OR_STORE) {
		/* STMT_ATTR_UPDATE_MAX_LENGTH set after the execute: the library computes
		 * max_length while it stores; fail open - execute for real now and store that */
		st_drop(st);
		st->execute_count--;
		if (CAP_REAL(cap_my.mysql_stmt_execute(st)))
			return 1;
		return CAP_REAL(cap_my.mysql_stmt_store_result(st));
	}
	unsigned long long n = st->result.rows;
	for (MYSQL_ROWS *r = rest; r; r = r->next)
		n++;
	st->result.data = rest;
	st->result.rows = n;
	st->result_cursor = rest;
	st->fetch_row_func = ROWFN(st_hit_buf);
	st->mysql->status = MYSQL_STATUS_READY;
	st->state = n ? MYSQL_STMT_USE_OR_STORE_CALLED : MYSQL_STMT_FETCH_DONE;
	st->upsert_status.affected_rows = n;
	st->mysql->affected_rows = n;
	return 0;
}

/* May st be cached at all? Cursors, array binding, callbacks, prebound parameters
 * (mariadb_stmt_execute_direct) and max_length updates pass through. */
static int st_cacheable(const MYSQL_STMT *st)
{
	return st->flags == 0 && st->array_size == 0 && st->param_callback == NULL &&
	       st->result_callback == NULL && st->prebind_params == 0 && !st->update_max_length &&
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
	cap_keymat_add_u64(km, MY_PROTO_BINARY);
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

typedef struct st_hit {
	cap_my_srows *rows;
	unsigned status;
} st_hit;

static int st_hit_cb(void *arg, const void *val, size_t len)
{
	st_hit *h = arg;
	long st = take_status(&val, &len);
	h->rows = st < 0 ? NULL : cap_my_stmt_decode(val, len);
	h->status = (unsigned)st;
	return h->rows ? CAP_OK : CAP_ECORRUPT;
}

/* Leave st and its connection as a real mysql_stmt_execute of a SELECT leaves them (result
 * waiting for store or fetch), with s's rows behind it. 0 when s does not fit st. */
static int st_install(MYSQL_STMT *st, cap_my_srows *s, unsigned status)
{
	MYSQL *m = st->mysql;
	if (s->nf != st->field_count)
		return 0;
	if (st->result.data) {
		/* rows an earlier real execution stored: the library frees them */
		st->result_cursor = st->result.data;
		CAP_REAL(cap_my.mysql_stmt_free_result(st));
	}
	if (!st_attach(st, s, NULL))
		return 0;
	for (unsigned i = 0; i < s->nf; i++) {
		MYSQL_FIELD *f = &st->fields[i];
		const cap_my_sfield *c = &s->fields[i];
		f->type = (enum enum_field_types)c->type;
		f->length = (unsigned long)c->length;
		f->flags = c->flags;
		f->decimals = c->decimals;
		f->charsetnr = c->charsetnr;
		f->max_length = (unsigned long)c->max_length;
	}
	st->result.data = NULL;
	st->result.rows = 0;
	st->result_cursor = NULL;
	st->fetch_row_func = NULL;
	st->default_rset_handler = st_hit_use;
	st->state = MYSQL_STMT_WAITING_USE_OR_STORE;
	st->execute_count++;
	set_hit_state(m, s->nf);
	set_hit_status(m, status);
	st->upsert_status.affected_rows = m->affected_rows;
	st->upsert_status.last_insert_id = m->insert_id;
	st->upsert_status.server_status = m->server_status;
	st->upsert_status.warning_count = 0;
	st->last_errno = 0;
	st->last_error[0] = '\0';
	strcpy(st->sqlstate, "00000");
	return 1;
}

/* An execution of a prepared statement. */
typedef int (*my_exec_fn)(MYSQL_STMT *st, const char *sql, size_t len);

static int exec_execute(MYSQL_STMT *st, const char *sql, size_t len)
{
	(void)sql;
	(void)len;
	return cap_my.mysql_stmt_execute(st);
}

static int exec_direct(MYSQL_STMT *st, const char *sql, size_t len)
{
	return cap_my.mariadb_stmt_execute_direct(st, sql, len);
}

static int my_stmt_exec(const cap_rt *rt, my_conn *mc, MYSQL_STMT *st, const char *sql,
			size_t len, const my_prep *prep, my_exec_fn fn)
{
	uint64_t t0 = cap_now_ns();
	stmt_reset(mc);
	if (mc->multi_dirty) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		mc->multi_dirty = 0;
	}
	if (sql == NULL) {
		/* a statement whose text we never saw: it may do anything */
		int was = in_txn_before(mc->m);
		int rc = CAP_REAL(fn(st, NULL, 0));
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		if (was || in_txn_after(mc->m)) {
			mc->sess.wset_db = 1;
			mc->sess.txn_tainted = 1;
		}
		mc->sess.disabled = 1; /* it may have changed the session, too */
		return rc;
	}
	cap_sql_info *info = cap_sess_info();
	cap_plan plan;
	my_plan(rt, mc, sql, len, info, &plan);
	if (CAP_UNLIKELY(mc->replay_on))
		replay_before(mc, info, sql, len);
	unsigned char kbuf[1024];
	cap_keymat km;
	cap_key key;
	int keyed = 0;
	if (plan.act == CAP_ACT_CACHE) {
		int k = 1;
		if (fn == exec_execute && prep->ok && st_abi_ok() && st_cacheable(st)) {
			cap_keymat_init(&km, kbuf, sizeof(kbuf));
			k = st_key(mc, st, prep, sql, len, &km, &key);
			keyed = k == 0;
			if (!keyed)
				cap_keymat_done(&km);
		}
		if (keyed && plan.can_hit && st_can_serve(st)) {
			st_hit h = { NULL, 0 };
			int r = cap_engine_get(rt->engine, &key, st_hit_cb, &h);
			cap_my_srows *s = h.rows;
			if (r == CAP_HIT_L1 || r == CAP_HIT_L2) {
				if (st_install(st, s, h.status)) {
					cap_keymat_done(&km);
					iso_after(mc, info, &plan, 1);
					/* without parameters the text replays it for the
					 * diagnostics (they do not depend on the protocol) */
					if (st->param_count == 0)
						replay_note(mc, sql, len);
					my_record(r == CAP_HIT_L1 ? CAP_PATH_HIT_L1 : CAP_PATH_HIT_L2, &plan,
						  info, sql, len, t0);
					return 0;
				}
				free(s);
			} else if (r < 0) {
				cap_fail_open("decoding a cached MySQL statement result", r);
			}
		}
		if (!keyed) {
			plan.act = CAP_ACT_PASS;
			plan.can_hit = plan.can_fill = 0;
			plan.reason = k < 0 ? CAP_REASON_internal : CAP_REASON_unsupported;
		}
	}
	int rc = CAP_REAL(fn(st, sql, len));
	int ok = rc == 0;
	if (plan.act == CAP_ACT_CACHE) {
		MYSQL *m = st->mysql;
		if (ok && plan.can_fill && m && st->field_count > 0 && m->thread_id == mc->thread_id &&
		    st->state == MYSQL_STMT_WAITING_USE_OR_STORE &&
		    m->status == MYSQL_STATUS_STMT_RESULT && !st->cursor_exists &&
		    m->warning_count == 0 && !(m->server_status & SERVER_MORE_RESULTS_EXIST)) {
			my_sfill *f = malloc(sizeof(*f));
			if (f) {
				cap_buf_init(&f->key, 0);
				cap_buf_put(&f->key, key.mat, key.len);
				f->hash = key.hash;
				f->plan = plan;
				if (f->key.err || !st_attach(st, NULL, f))
					fill_free(f);
			}
		} else if (!ok) {
			plan.reason = CAP_REASON_error;
		}
		cap_keymat_done(&km);
	}
	my_after(rt, mc, info, &plan, sql, len, ok);
	my_record(plan.act == CAP_ACT_CACHE ? CAP_PATH_MISS : pass_path(&plan), &plan, info, sql,
		  len, t0);
	return rc;
}

/* ---- the interposed functions ------------------------------------------------------------------- */

static inline int my_bypass(const cap_rt **rtp)
{
	if (cap_guard || !cap_my_resolve())
		return 1;
	const cap_rt *rt = cap_rt_get();
	if (!rt->invalidating)
		return 1;
	*rtp = rt;
	return 0;
}

/* No state for a connection (no memory): the statement passes, and invalidates everything
 * unless it is known to be a plain read. */
static CAP_COLD void no_state_bump(const cap_rt *rt, const char *sql, size_t len)
{
	cap_sql_info *info = cap_sess_info();
	if (sql == NULL || cap_sql_classify(CAP_DIALECT_MYSQL, sql, len, info) != CAP_SQL_READ)
		cap_engine_bump_all(rt->engine);
}

CAP_EXPORT int mysql_real_query(MYSQL *m, const char *q, unsigned long length)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL || q == NULL)
		return cap_my.mysql_real_query ? CAP_REAL(cap_my.mysql_real_query(m, q, length)) : -1;
	size_t len = length == (unsigned long)-1 ? strlen(q) : length;
	my_conn *mc = my_find(m, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.mysql_real_query(m, q, length));
		no_state_bump(rt, q, len);
		return rc;
	}
	return my_text(rt, mc, q, len, run_real_query, 0, 0);
}

CAP_EXPORT int mysql_query(MYSQL *m, const char *q)
{
	if (q == NULL)
		return mysql_real_query(m, q, 0);
	return mysql_real_query(m, q, (unsigned long)strlen(q));
}

CAP_EXPORT int mysql_send_query(MYSQL *m, const char *q, unsigned long length)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL || q == NULL)
		return cap_my.mysql_send_query ? CAP_REAL(cap_my.mysql_send_query(m, q, length)) : -1;
	size_t len = length == (unsigned long)-1 ? strlen(q) : length;
	my_conn *mc = my_find(m, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.mysql_send_query(m, q, length));
		no_state_bump(rt, q, len);
		return rc;
	}
	return my_text(rt, mc, q, len, run_send_query, 0, 1);
}

CAP_EXPORT my_bool mysql_read_query_result(MYSQL *m)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_read_query_result ? CAP_REAL(cap_my.mysql_read_query_result(m)) : 1;
	my_conn *mc = my_find(m, 0);
	if (mc && mc->sq_hit) {
		mc->sq_hit = 0;
		unsigned long long id = m->insert_id; /* a ping's OK packet zeroes it; a SELECT not */
		my_bool rc = CAP_REAL(cap_my.mysql_read_query_result(m));
		m->insert_id = id;
		if (rc || mc->pend == NULL) {
			free_res(mc->pend);
			mc->pend = NULL;
			return rc ? rc : 1;
		}
		set_hit_state(m, mc->pend->field_count);
		set_hit_status(m, mc->sq_status);
		iso_after(mc, NULL, NULL, 1);
		return 0;
	}
	if (mc == NULL || !mc->sq_active)
		return CAP_REAL(cap_my.mysql_read_query_result(m));
	my_bool rc = CAP_REAL(cap_my.mysql_read_query_result(m));
	int ok = rc == 0;
	cap_plan *plan = &mc->sq_plan;
	if (plan->act == CAP_ACT_CACHE) {
		if (ok && m->field_count > 0 && mc->sq_keyed)
			mc->fill = 1;
		else if (!ok)
			plan->reason = CAP_REASON_error;
		if (mc->fill)
			mc->fill_plan = *plan;
	}
	my_after(rt, mc, mc->sq_info, plan, mc->sq_sql, mc->sq_len, ok);
	my_record(plan->act == CAP_ACT_CACHE ? CAP_PATH_MISS : pass_path(plan), plan, mc->sq_info,
		  mc->sq_sql, mc->sq_len, mc->sq_t0);
	free(mc->sq_sql);
	mc->sq_sql = NULL;
	mc->sq_active = 0;
	return rc;
}

CAP_EXPORT MYSQL_RES *mysql_store_result(MYSQL *m)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_store_result ? CAP_REAL(cap_my.mysql_store_result(m)) : NULL;
	my_conn *mc = my_find(m, 0);
	if (mc && mc->pend && !mc->sq_hit) {
		MYSQL_RES *res = mc->pend;
		mc->pend = NULL;
		m->affected_rows = res->row_count;
		return res;
	}
	MYSQL_RES *res = CAP_REAL(cap_my.mysql_store_result(m));
	if (mc && mc->fill) {
		if (res && m->warning_count == 0 && m->net.last_errno == 0)
			do_fill(rt, mc, res);
		mc->fill = 0;
	}
	return res;
}

CAP_EXPORT MYSQL_RES *mysql_use_result(MYSQL *m)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_use_result ? CAP_REAL(cap_my.mysql_use_result(m)) : NULL;
	my_conn *mc = my_find(m, 0);
	if (mc && mc->pend && !mc->sq_hit) {
		MYSQL_RES *res = mc->pend;
		mc->pend = NULL;
		if (use_add(res, m)) {
			res->row_count = 0;
			res->eof = 0;
			for (unsigned i = 0; i < res->field_count; i++)
				res->fields[i].max_length = 0;
		}
		return res;
	}
	if (mc)
		mc->fill = 0; /* unbuffered results are not stored */
	return CAP_REAL(cap_my.mysql_use_result(m));
}

CAP_EXPORT MYSQL_ROW mysql_fetch_row(MYSQL_RES *res)
{
	if (CAP_LIKELY(__atomic_load_n(&use_count, __ATOMIC_ACQUIRE) == 0) || cap_guard ||
	    res == NULL || !use_has(res)) {
		if (CAP_UNLIKELY(cap_my.mysql_fetch_row == NULL) && !cap_my_resolve() &&
		    cap_my.mysql_fetch_row == NULL)
			return NULL;
		return cap_my.mysql_fetch_row(res);
	}
	MYSQL_ROW row = cap_my.mysql_fetch_row(res);
	if (row) {
		res->row_count++;
	} else {
		res->eof = 1;
		use_del(res);
	}
	return row;
}

CAP_EXPORT void mysql_free_result(MYSQL_RES *res)
{
	if (res && __atomic_load_n(&use_count, __ATOMIC_ACQUIRE) != 0)
		use_del(res);
	if (cap_my.mysql_free_result == NULL && !cap_my_resolve() && cap_my.mysql_free_result == NULL)
		return;
	CAP_REAL_VOID(cap_my.mysql_free_result(res));
}

CAP_EXPORT int mysql_next_result(MYSQL *m)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_next_result ? CAP_REAL(cap_my.mysql_next_result(m)) : -1;
	my_conn *mc = my_find(m, 0);
	if (mc && mc->pend)
		return -1; /* a hit has exactly one result */
	int rc = CAP_REAL(cap_my.mysql_next_result(m));
	if (mc && mc->multi_dirty) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		if (!(m->server_status & SERVER_MORE_RESULTS_EXIST))
			mc->multi_dirty = 0;
	}
	return rc;
}

CAP_EXPORT my_bool mysql_commit(MYSQL *m)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_commit ? CAP_REAL(cap_my.mysql_commit(m)) : 1;
	my_conn *mc = my_find(m, 1);
	if (mc == NULL) {
		my_bool r = CAP_REAL(cap_my.mysql_commit(m));
		cap_engine_bump_all(rt->engine);
		return r;
	}
	return my_text(rt, mc, "COMMIT", 6, run_commit, 0, 0) ? 1 : 0;
}

CAP_EXPORT my_bool mysql_rollback(MYSQL *m)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_rollback ? CAP_REAL(cap_my.mysql_rollback(m)) : 1;
	my_conn *mc = my_find(m, 1);
	if (mc == NULL) {
		my_bool r = CAP_REAL(cap_my.mysql_rollback(m));
		cap_engine_bump_all(rt->engine);
		return r;
	}
	return my_text(rt, mc, "ROLLBACK", 8, run_rollback, 0, 0) ? 1 : 0;
}

CAP_EXPORT my_bool mysql_autocommit(MYSQL *m, my_bool mode)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_autocommit ? CAP_REAL(cap_my.mysql_autocommit(m, mode)) : 1;
	my_conn *mc = my_find(m, 1);
	if (mc == NULL) {
		my_bool r = CAP_REAL(cap_my.mysql_autocommit(m, mode));
		cap_engine_bump_all(rt->engine);
		return r;
	}
	const char *sql = mode ? "SET autocommit=1" : "SET autocommit=0";
	return my_text(rt, mc, sql, strlen(sql), run_autocommit, mode ? 1 : 0, 0) ? 1 : 0;
}

CAP_EXPORT int mysql_select_db(MYSQL *m, const char *db)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL || db == NULL)
		return cap_my.mysql_select_db ? CAP_REAL(cap_my.mysql_select_db(m, db)) : 1;
	my_conn *mc = my_find(m, 0);
	if (mc)
		stmt_reset(mc);
	int rc = CAP_REAL(cap_my.mysql_select_db(m, db));
	if (mc && rc == 0) {
		cap_sess_set_db(&mc->sess, db, strlen(db));
		fix_scope(mc);
		mc->sysdb = is_sysdb(db, strlen(db));
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
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_change_user ? CAP_REAL(cap_my.mysql_change_user(m, user, passwd, db))
						: 1;
	my_bool rc = CAP_REAL(cap_my.mysql_change_user(m, user, passwd, db));
	my_conn *mc = my_find(m, 0);
	if (mc)
		forget_session(rt, mc);
	return rc;
}

CAP_EXPORT int mysql_reset_connection(MYSQL *m)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL || cap_my.mysql_reset_connection == NULL)
		return cap_my.mysql_reset_connection ? CAP_REAL(cap_my.mysql_reset_connection(m)) : 1;
	int rc = CAP_REAL(cap_my.mysql_reset_connection(m));
	my_conn *mc = my_find(m, 0);
	if (mc)
		forget_session(rt, mc);
	return rc;
}

CAP_EXPORT MYSQL *mysql_real_connect(MYSQL *m, const char *host, const char *user,
				     const char *passwd, const char *db, unsigned int port,
				     const char *unix_socket, unsigned long flags)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || m == NULL)
		return cap_my.mysql_real_connect
			       ? CAP_REAL(cap_my.mysql_real_connect(m, host, user, passwd, db, port,
								    unix_socket, flags))
			       : NULL;
	MYSQL *r = CAP_REAL(cap_my.mysql_real_connect(m, host, user, passwd, db, port,
						      unix_socket, flags));
	my_conn *mc = my_find(m, 0);
	if (mc)
		forget_session(rt, mc);
	return r;
}

CAP_EXPORT void mysql_close(MYSQL *m)
{
	if (!cap_my_resolve()) {
		if (cap_my.mysql_close)
			cap_my.mysql_close(m);
		return;
	}
	if (m && !cap_guard) {
		my_remove(m);
		if (__atomic_load_n(&use_count, __ATOMIC_ACQUIRE) != 0)
			use_forget_conn(m);
	}
	CAP_REAL_VOID(cap_my.mysql_close(m));
}

CAP_EXPORT int mysql_stmt_prepare(MYSQL_STMT *st, const char *q, unsigned long length)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || st == NULL || q == NULL)
		return cap_my.mysql_stmt_prepare ? CAP_REAL(cap_my.mysql_stmt_prepare(st, q, length)) : 1;
	size_t len = length == (unsigned long)-1 ? strlen(q) : length;
	st_set(st, NULL, 0, NULL); /* the library resets the statement: no hit may point into it */
	my_conn *mc = st->mysql ? my_find(st->mysql, 1) : NULL;
	my_prep prep = { 0, { 0 } };
	if (mc) {
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
			reconnected(rt, mc);
		prep.ok = (mc->probed || probe(mc)) && !mc->sess.disabled && !mc->sysdb;
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id)) {
			reconnected(rt, mc);
			prep.ok = 0;
		}
		memcpy(prep.k, &mc->sess.ident, 16);
		memcpy(prep.k + 16, &mc->sess.fp, 8);
	}
	int rc = CAP_REAL(cap_my.mysql_stmt_prepare(st, q, length));
	if (rc == 0)
		st_set(st, q, len, &prep);
	return rc;
}

CAP_EXPORT int mysql_stmt_execute(MYSQL_STMT *st)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || st == NULL || st->mysql == NULL) {
		if (st && !cap_guard && cap_my_resolve())
			st_drop(st);
		return cap_my.mysql_stmt_execute ? CAP_REAL(cap_my.mysql_stmt_execute(st)) : 1;
	}
	my_conn *mc = my_find(st->mysql, 1);
	size_t len = 0;
	my_prep prep = { 0, { 0 } };
	char *sql = st_begin(st, &len, &prep);
	int rc;
	if (mc == NULL) {
		rc = CAP_REAL(cap_my.mysql_stmt_execute(st));
		no_state_bump(rt, sql, len);
	} else {
		rc = my_stmt_exec(rt, mc, st, sql, len, &prep, exec_execute);
	}
	free(sql);
	return rc;
}

/* mysql_stmt_free_result in the middle of an unbuffered read flushes the rest of the rows
 * from the wire and leaves the statement "fetch done"; after a hit there is nothing on the
 * wire (the connection is ready), so the library skips that: its end state is set here. */
CAP_EXPORT my_bool mysql_stmt_free_result(MYSQL_STMT *st)
{
	if (!cap_my_resolve() || cap_my.mysql_stmt_free_result == NULL)
		return cap_my.mysql_stmt_free_result ? cap_my.mysql_stmt_free_result(st) : 1;
	int pending = st && st->mysql && st->stmt_id &&
		      ((st->state == MYSQL_STMT_WAITING_USE_OR_STORE &&
			st->default_rset_handler == st_hit_use) ||
		       (st->fetch_row_func == ROWFN(st_hit_unbuf) &&
			(st->state == MYSQL_STMT_USE_OR_STORE_CALLED ||
			 st->state == MYSQL_STMT_USER_FETCHING)));
	my_bool rc = CAP_REAL(cap_my.mysql_stmt_free_result(st));
	if (pending) {
		st->state = MYSQL_STMT_FETCH_DONE;
		st->fetch_row_func = ROWFN(st_hit_eof);
	}
	return rc;
}

CAP_EXPORT int mysql_stmt_store_result(MYSQL_STMT *st)
{
	if (!cap_my_resolve() || cap_my.mysql_stmt_store_result == NULL)
		return cap_my.mysql_stmt_store_result ? cap_my.mysql_stmt_store_result(st) : 1;
	if (st && st->mysql) {
		/* a hit's result is only ours to store, whoever asks (also from inside the
		 * non-blocking API) */
		int h = st_hit_store(st);
		if (h >= 0)
			return h;
	}
	const cap_rt *rt;
	if (my_bypass(&rt) || st == NULL || st->mysql == NULL)
		return CAP_REAL(cap_my.mysql_stmt_store_result(st));
	/* only a result stored whole (nothing fetched before) may fill the cache */
	my_sfill *f = st->state == MYSQL_STMT_WAITING_USE_OR_STORE ? st_fill_take(st) : NULL;
	if (f && st->update_max_length) {
		/* set after the execute: this store computes max_length, a hit would not */
		fill_free(f);
		f = NULL;
	}
	int rc = CAP_REAL(cap_my.mysql_stmt_store_result(st));
	if (f) {
		MYSQL *m = st->mysql;
		if (rc == 0 && m && m->warning_count == 0 && m->net.last_errno == 0 &&
		    !(m->server_status & SERVER_MORE_RESULTS_EXIST)) {
			cap_buf b;
			cap_buf_init(&b, rt->conf.max_result);
			if (put_status(&b, m->server_status) == CAP_OK &&
			    cap_my_stmt_encode(st, &b) == CAP_OK) {
				cap_key key = { f->hash, f->key.data, f->key.len };
				cap_engine_put(rt->engine, &key, &f->plan.deps, cap_sess_ttl(rt, &f->plan),
					       b.data, b.len);
			}
			cap_buf_free(&b);
		}
		fill_free(f);
	}
	return rc;
}

CAP_EXPORT int mariadb_stmt_execute_direct(MYSQL_STMT *st, const char *q, size_t length)
{
	const cap_rt *rt;
	if (my_bypass(&rt) || st == NULL || st->mysql == NULL || q == NULL ||
	    cap_my.mariadb_stmt_execute_direct == NULL)
		return cap_my.mariadb_stmt_execute_direct
			       ? CAP_REAL(cap_my.mariadb_stmt_execute_direct(st, q, length))
			       : 1;
	size_t len = length == (size_t)-1 ? strlen(q) : length;
	st_set(st, q, len, NULL);
	my_conn *mc = my_find(st->mysql, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.mariadb_stmt_execute_direct(st, q, length));
		no_state_bump(rt, q, len);
		return rc;
	}
	my_prep none = { 0, { 0 } };
	return my_stmt_exec(rt, mc, st, q, len, &none, exec_direct);
}

CAP_EXPORT my_bool mysql_stmt_close(MYSQL_STMT *st)
{
	if (!cap_my_resolve())
		return cap_my.mysql_stmt_close ? cap_my.mysql_stmt_close(st) : 1;
	if (st && !cap_guard)
		st_set(st, NULL, 0, NULL);
	return CAP_REAL(cap_my.mysql_stmt_close(st));
}

/* ---- the non-blocking API ------------------------------------------------------------------------ */

/* A non-blocking statement starts on m: the connection is no longer cached; what may write
 * is bumped now and again when it completes. sql NULL: unknown. */
static void async_note(MYSQL *m, const char *sql, size_t len)
{
	const cap_rt *rt;
	if (m == NULL || my_bypass(&rt))
		return;
	my_conn *mc = my_find(m, 1);
	if (mc == NULL) {
		cap_engine_bump_all(rt->engine);
		return;
	}
	stmt_reset(mc);
	mc->sess.disabled = 1;
	cap_sql_info *info = cap_sess_info();
	enum cap_sql_kind k = sql ? cap_sql_classify(CAP_DIALECT_MYSQL, sql, len, info) : CAP_SQL_OTHER;
	int plain = k == CAP_SQL_READ || k == CAP_SQL_EMPTY ||
		    (k == CAP_SQL_READ_NOCACHE && !(info->reasons & CAP_SQLR_FUNCTION));
	if (!plain) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		mc->async_dirty = 1;
		if (in_txn_before(m)) {
			mc->sess.wset_db = 1;
			mc->sess.txn_tainted = 1;
		}
	}
}

static void async_done(MYSQL *m)
{
	const cap_rt *rt;
	if (m == NULL || my_bypass(&rt))
		return;
	my_conn *mc = my_find(m, 0);
	if (mc && mc->async_dirty) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		mc->async_dirty = 0;
	}
}

static void async_gone(MYSQL *m)
{
	if (m && !cap_guard && cap_my_resolve()) {
		my_remove(m);
		if (__atomic_load_n(&use_count, __ATOMIC_ACQUIRE) != 0)
			use_forget_conn(m);
	}
}

static void async_stmt_forget(MYSQL_STMT *st)
{
	if (st && !cap_guard)
		st_set(st, NULL, 0, NULL);
}

/* A non-blocking execution: the statement leaves any hit's state first (the library's
 * execute must find nothing of ours to flush). */
static void async_stmt_exec(MYSQL_STMT *st)
{
	if (st && !cap_guard && cap_my_resolve())
		st_drop(st);
	async_note(st ? st->mysql : NULL, NULL, 0);
}

/* mysql_read_query_result_start after a mysql_send_query hit: the coroutine would read the
 * ping's answer as the statement's. Read it here (it is on its way), and send the statement
 * for real: the program reads the server's own result. */
static void async_rqr(MYSQL *m)
{
	if (m == NULL || !cap_my_resolve())
		return;
	my_conn *mc = my_find(m, 0);
	if (mc == NULL || !mc->sq_hit)
		return;
	mc->sq_hit = 0;
	free_res(mc->pend);
	mc->pend = NULL;
	mc->replay_on = 0;
	unsigned long long id = m->insert_id;
	if (CAP_REAL(cap_my.mysql_read_query_result(m)) == 0)
		CAP_REAL(cap_my.mysql_send_query(m, (const char *)mc->replay.data,
						 (unsigned long)mc->replay.len));
	m->insert_id = id;
}

static void async_res_forget(MYSQL_RES *r)
{
	if (r && __atomic_load_n(&use_count, __ATOMIC_ACQUIRE) != 0)
		use_del(r);
}

#define SQLN(q) (q), ((q) ? strlen(q) : 0)
#define STM(st) ((st) ? (st)->mysql : NULL)

/* X(name, params, args, before, conn_on_done): before runs ahead of the real call,
 * conn_on_done is the connection to account when the call reports completion (0). */
#define CAP_MY_ASYNC(X)                                                                           \
	X(mysql_close_start, (MYSQL * m), (m), async_gone(m), NULL)                                 \
	X(mysql_close_cont, (MYSQL * m, int s), (m, s), (void)0, NULL)                              \
	X(mysql_commit_start, (my_bool * r, MYSQL * m), (r, m), async_note(m, SQLN("COMMIT")), m)   \
	X(mysql_commit_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)                \
	X(mysql_rollback_start, (my_bool * r, MYSQL * m), (r, m), async_note(m, SQLN("ROLLBACK")), m) \
	X(mysql_rollback_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)              \
	X(mysql_autocommit_start, (my_bool * r, MYSQL * m, my_bool a), (r, m, a),                   \
	  async_note(m, NULL, 0), m)                                                                \
	X(mysql_autocommit_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)            \
	X(mysql_next_result_start, (int *r, MYSQL *m), (r, m), async_note(m, NULL, 0), m)           \
	X(mysql_next_result_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                 \
	X(mysql_select_db_start, (int *r, MYSQL *m, const char *d), (r, m, d), async_note(m, NULL, 0), m) \
	X(mysql_select_db_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                   \
	X(mysql_set_character_set_start, (int *r, MYSQL *m, const char *c), (r, m, c),              \
	  async_note(m, NULL, 0), m)                                                                \
	X(mysql_set_character_set_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)           \
	X(mysql_change_user_start, (my_bool * r, MYSQL * m, const char *u, const char *p,           \
				    const char *d), (r, m, u, p, d), async_note(m, NULL, 0), m)     \
	X(mysql_change_user_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)           \
	X(mysql_real_connect_start, (MYSQL * *r, MYSQL * m, const char *h, const char *u,           \
				     const char *p, const char *d, unsigned int port,               \
				     const char *sock, unsigned long fl),                           \
	  (r, m, h, u, p, d, port, sock, fl), async_note(m, NULL, 0), m)                            \
	X(mysql_real_connect_cont, (MYSQL * *r, MYSQL * m, int s), (r, m, s), (void)0, m)           \
	X(mysql_query_start, (int *r, MYSQL *m, const char *q), (r, m, q), async_note(m, SQLN(q)), m) \
	X(mysql_query_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                       \
	X(mysql_send_query_start, (int *r, MYSQL *m, const char *q, unsigned long n), (r, m, q, n), \
	  async_note(m, q, q ? (n == (unsigned long)-1 ? strlen(q) : n) : 0), m)                    \
	X(mysql_send_query_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                  \
	X(mysql_real_query_start, (int *r, MYSQL *m, const char *q, unsigned long n), (r, m, q, n), \
	  async_note(m, q, q ? (n == (unsigned long)-1 ? strlen(q) : n) : 0), m)                    \
	X(mysql_real_query_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)                  \
	X(mysql_read_query_result_start, (my_bool * r, MYSQL * m), (r, m), async_rqr(m), m)         \
	X(mysql_read_query_result_cont, (my_bool * r, MYSQL * m, int s), (r, m, s), (void)0, m)     \
	X(mysql_store_result_start, (MYSQL_RES * *r, MYSQL * m), (r, m), (void)0, NULL)             \
	X(mysql_store_result_cont, (MYSQL_RES * *r, MYSQL * m, int s), (r, m, s), (void)0, NULL)    \
	X(mysql_reset_connection_start, (int *r, MYSQL *m), (r, m), async_note(m, NULL, 0), m)      \
	X(mysql_reset_connection_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, m)            \
	X(mysql_free_result_start, (MYSQL_RES * res), (res), async_res_forget(res), NULL)           \
	X(mysql_free_result_cont, (MYSQL_RES * res, int s), (res, s), (void)0, NULL)                \
	X(mysql_fetch_row_start, (MYSQL_ROW * r, MYSQL_RES * res), (r, res), (void)0, NULL)         \
	X(mysql_fetch_row_cont, (MYSQL_ROW * r, MYSQL_RES * res, int s), (r, res, s), (void)0, NULL) \
	X(mysql_stmt_prepare_start, (int *r, MYSQL_STMT *st, const char *q, unsigned long n),       \
	  (r, st, q, n), async_stmt_forget(st), NULL)                                               \
	X(mysql_stmt_prepare_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, NULL)      \
	X(mysql_stmt_execute_start, (int *r, MYSQL_STMT *st), (r, st), async_stmt_exec(st),         \
	  STM(st))                                                                                  \
	X(mysql_stmt_execute_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, STM(st))   \
	X(mysql_stmt_next_result_start, (int *r, MYSQL_STMT *st), (r, st),                          \
	  async_note(STM(st), NULL, 0), STM(st))                                                    \
	X(mysql_stmt_next_result_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, STM(st)) \
	X(mysql_stmt_fetch_start, (int *r, MYSQL_STMT *st), (r, st), (void)0, NULL)                 \
	X(mysql_stmt_fetch_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, NULL)        \
	X(mysql_stmt_store_result_start, (int *r, MYSQL_STMT *st), (r, st), (void)0, NULL)          \
	X(mysql_stmt_store_result_cont, (int *r, MYSQL_STMT *st, int s), (r, st, s), (void)0, NULL) \
	X(mysql_stmt_close_start, (my_bool * r, MYSQL_STMT * st), (r, st), async_stmt_forget(st), NULL) \
	X(mysql_stmt_close_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL)  \
	X(mysql_stmt_reset_start, (my_bool * r, MYSQL_STMT * st), (r, st), (void)0, NULL)           \
	X(mysql_stmt_reset_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL)  \
	X(mysql_stmt_free_result_start, (my_bool * r, MYSQL_STMT * st), (r, st), (void)0, NULL)     \
	X(mysql_stmt_free_result_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL) \
	X(mysql_stmt_send_long_data_start, (my_bool * r, MYSQL_STMT * st, unsigned int i,           \
					    const char *d, unsigned long n), (r, st, i, d, n),      \
	  (void)0, NULL)                                                                            \
	X(mysql_stmt_send_long_data_cont, (my_bool * r, MYSQL_STMT * st, int s), (r, st, s), (void)0, NULL) \
	X(mysql_ping_start, (int *r, MYSQL *m), (r, m), (void)0, NULL)                              \
	X(mysql_ping_cont, (int *r, MYSQL *m, int s), (r, m, s), (void)0, NULL)                     \
	X(mysql_list_fields_start, (MYSQL_RES * *r, MYSQL * m, const char *t, const char *w),       \
	  (r, m, t, w), (void)0, NULL)                                                              \
	X(mysql_list_fields_cont, (MYSQL_RES * *r, MYSQL * m, int s), (r, m, s), (void)0, NULL)

#define CAP_MY_ASYNC_PTR(name, params, args, before, conn) static int(*real_##name) params;
CAP_MY_ASYNC(CAP_MY_ASYNC_PTR)
#undef CAP_MY_ASYNC_PTR

static pthread_once_t async_once = PTHREAD_ONCE_INIT;

static void async_resolve_once(void)
{
#define CAP_MY_ASYNC_RES(name, params, args, before, conn) \
	real_##name = (int(*) params)cap_resolve(&my_family, #name);
	CAP_MY_ASYNC(CAP_MY_ASYNC_RES)
#undef CAP_MY_ASYNC_RES
}

#define CAP_MY_ASYNC_DEF(name, params, args, before, conn)                            \
	CAP_EXPORT int name params                                                    \
	{                                                                             \
		pthread_once(&async_once, async_resolve_once);                        \
		if (real_##name == NULL)                                              \
			return 0;                                                     \
		if (!cap_guard) {                                                     \
			before;                                                       \
		}                                                                     \
		int rc_ = CAP_REAL(real_##name args);                                 \
		if (rc_ == 0 && !cap_guard)                                           \
			async_done(conn);                                             \
		return rc_;                                                           \
	}
CAP_MY_ASYNC(CAP_MY_ASYNC_DEF)
#undef CAP_MY_ASYNC_DEF

/*
 * mysql_conn.c - the Connector/C hooks' per-connection state, in the connection table of
 * hooks/conntab keyed by the MYSQL pointer: an entry created at the connection's first
 * statement and dropped by mysql_close.
 *
 * The state describes one server session: a change of user, a reset, or a reconnect made
 * inside the client library (MYSQL_OPT_RECONNECT, seen as a new thread id) starts it over;
 * the server rolled back any open transaction, and what it wrote is bumped to be safe.
 *
 * fork(): parent and child share every connection open at the time; either may change its
 * session behind the other's back, so neither caches on it from then on (writes still
 * invalidate). Connections opened later are each side's own. The prepared statements' table
 * (hooks/mysql_stmt) is locked across fork() with this one, by the one handler registered here.
 */
#include "hooks/mysql_conn.h"
#include "cache/lock.h"
#include "cache/fork.h"
#include "cache/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static cap_conn_link *my_create(const void *m);
static void my_fork_setup(void);
cap_conntab cap_my_tab = CAP_CONNTAB_INIT(my_fork_setup, my_create);
__thread cap_conntab_tls cap_my_tls __attribute__((tls_model("initial-exec")));

pthread_mutex_t cap_my_st_lock = PTHREAD_MUTEX_INITIALIZER;

static void my_prefork(void)
{
	cap_conntab_lock(&cap_my_tab);
	cap_mutex_lock(&cap_my_st_lock);
}

static void my_disable(cap_conn_link *e)
{
	((my_conn *)e)->sess.disabled = 1;
}

/* After fork() parent and child share every connection open at the time: either may
 * change its session behind the other's back, so neither caches on it from now on (writes
 * still invalidate). Connections opened later are each side's own. */
static void my_postfork(void)
{
	cap_conntab_each(&cap_my_tab, my_disable);
	cap_mutex_unlock(&cap_my_st_lock);
	cap_conntab_unlock(&cap_my_tab);
}
static void my_fork_setup(void)
{
	cap_fork_register(CAP_FORK_MYSQL, my_prefork, my_postfork, my_postfork);
}

/* One invalidation scope for every MySQL database (hooks/mysql.c: "Database scope"). */
static uint64_t my_scope(void)
{
	static const char name[] = "\001capacitor-mysql";
	return cap_hash64(name, sizeof(name) - 1, 0x5eed);
}

void cap_my_fix_scope(my_conn *mc)
{
	mc->sess.scope = my_scope();
}

/* Is db a schema whose tables are the server's live state (never cached, even unqualified)? */
int cap_my_is_sysdb(const char *db, size_t n)
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
	cap_connwatch_release(&mc->watch); /* a new session's socket may be another */
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
	cap_my_fix_scope(mc);
	/* the settings are read back before the first cacheable read (sess.probe_need) */
	mc->sess.probe = 1;
	cap_sess_unknown(&mc->sess, 0);
	/* dependencies are read on a miss only (cap_my_miss_deps): a hit makes no system call */
	mc->sess.lazy_deps = 1;
	mc->thread_id = m->thread_id;
	/* a marker of a write of ours left by our death is resolved once the server no longer
	 * lists this thread (cap_my_orphans) */
	mc->sess.srv_session = m->thread_id;
	mc->sysdb = cap_my_is_sysdb(m->db, m->db ? strlen(m->db) : 0);
	mc->locked = 0;
	mc->init_pending = 1;
	mc->auto_is_null = 0;
	mc->trx_track = 0;
	mc->cs_client_unsafe = 1; /* until the probe reads it */
	mc->replay_on = 0;
	mc->diag_own = 0;
	mc->stmt_seq++;
	mc->cs_seen = NULL;
	cap_mycat_release(mc->cat);
	mc->cat = NULL;
}

void cap_my_free_res(MYSQL_RES *r)
{
	if (r)
		CAP_REAL_VOID(cap_my.real_mysql_free_result(r));
}

/* Forget a pending hit, a pending fill and a send in flight: a new statement starts. */
void cap_my_stmt_reset(my_conn *mc)
{
	cap_my_free_res(mc->pend);
	mc->pend = NULL;
	mc->sq_hit = 0;
	if (mc->sq_held)
		cap_wait_release(mc->sq_fd);
	mc->sq_held = 0;
	mc->fill = 0;
	if (mc->sq_active) {
		free(mc->sq_sql);
		mc->sq_sql = NULL;
		mc->sq_active = 0;
	}
}

/* A mysql_send_query hit not read yet, and another command: Connector/C sends without
 * reading, so the server would answer both in order and the program reads the first answer
 * first. The hit gives way to its statement, sent for real (after the answer to our ping, if
 * one went out): both answers then come from the server, in the order the program sent. */
CAP_COLD void cap_my_give_way(my_conn *mc)
{
	MYSQL *m = mc->m;
	cap_my_free_res(mc->pend);
	mc->pend = NULL;
	mc->sq_hit = 0;
	if (mc->sq_held) {
		cap_wait_release(mc->sq_fd);
		mc->sq_held = 0;
	} else {
		/* our ping's OK is no answer the program sees: what reading it sets is put back
		 * (the library leaves them to the statement before, as the command that follows
		 * does) */
		unsigned long long id = m->insert_id;
		unsigned nf = m->field_count, warnings = m->warning_count;
		CAP_REAL(cap_my.real_mysql_read_query_result(m));
		m->insert_id = id;
		m->field_count = nf;
		m->warning_count = warnings;
	}
	if (mc->replay_on &&
	    CAP_REAL(cap_my.real_mysql_send_query(m, (const char *)mc->replay.data,
						   (unsigned long)mc->replay.len)) == 0)
		mc->sq_unread++;
	mc->replay_on = 0;
}

void cap_my_give_way_m(MYSQL *m)
{
	if (m == NULL || cap_guard || !cap_my_resolve())
		return;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && CAP_UNLIKELY(mc->sq_hit))
		cap_my_give_way(mc);
}

/* A new connection's state (the table's create function, under its lock). */
static cap_conn_link *my_create(const void *key)
{
	my_conn *mc = calloc(1, sizeof(*mc));
	if (mc == NULL)
		return NULL;
	mc->m = (MYSQL *)key;
	cap_buf_init(&mc->fill_key, 0);
	cap_buf_init(&mc->replay, 0);
	sess_setup(mc);
	return &mc->link;
}

void cap_my_remove(MYSQL *m)
{
	my_conn *mc = (my_conn *)cap_conntab_remove(&cap_my_tab, &cap_my_tls, m);
	if (mc == NULL)
		return;
	cap_my_stmt_reset(mc);
	cap_sess_abandon(cap_rt_get(), &mc->sess);
	cap_sess_free(&mc->sess);
	cap_buf_free(&mc->fill_key);
	cap_buf_free(&mc->replay);
	cap_mycat_release(mc->cat);
	cap_connwatch_release(&mc->watch);
	free(mc->sq_info);
	free(mc);
}

/* A new statement starts on mc: the last one's pending hit, fill or send is forgotten, and
 * what a multi-result statement still running on the server may have written is bumped
 * again. */
void cap_my_stmt_start(const cap_rt *rt, my_conn *mc)
{
	cap_my_stmt_reset(mc);
	if (mc->multi_dirty) {
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		mc->multi_dirty = 0;
		mc->sess.mark_keep = 0;
		if (!cap_my_server_in_trans(mc->m))
			cap_sess_unmark(rt, &mc->sess);
	}
}

/* The session ended or changed under us (change_user, reset_connection, reconnect): the
 * server rolled back any transaction; what it wrote is bumped to be safe. rolled_back: the
 * server said so (a change_user or reset_connection that succeeded); otherwise a write in
 * flight may still commit, and its marker is left for a resolver. */
void cap_my_forget_session(const cap_rt *rt, my_conn *mc, int rolled_back)
{
	if (rolled_back)
		cap_sess_ended(rt, &mc->sess);
	else
		cap_sess_lost(rt, &mc->sess);
	cap_my_stmt_reset(mc);
	mc->multi_dirty = mc->async_dirty = 0;
	mc->sq_unread = 0;
	sess_setup(mc);
}

/* The server session behind m is not the one the state describes (MYSQL_OPT_RECONNECT
 * reconnected inside the client library): start over as after mysql_change_user. */
CAP_COLD void cap_my_reconnected(const cap_rt *rt, my_conn *mc)
{
	cap_log(CAP_LOG_INFO, "MySQL connection reconnected (thread %lu, was %lu): session "
		"state reset", mc->m->thread_id, mc->thread_id);
	cap_my_forget_session(rt, mc, 0);
}

/* No state for a connection (no memory): the statement passes, and invalidates everything
 * unless it is known to be a plain read. */
CAP_COLD void cap_my_no_state_bump(const cap_rt *rt, const char *sql, size_t len)
{
	cap_sql_info *info = cap_sess_info();
	if (sql == NULL || cap_sql_classify(CAP_DIALECT_MYSQL, sql, len, info) != CAP_SQL_READ ||
	    !cap_sql_ascii(sql, len)) /* its character set is not known */
		cap_engine_bump_all(rt->engine);
}

/* Does a case-insensitive needle occur in s[0..n)? */
int cap_my_has_word(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

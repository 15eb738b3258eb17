/*
 * mysql_conn.h - the Connector/C hooks' per-connection state (hooks/mysql_conn.c) and what
 * every MySQL hook file shares: the state record, the table that finds it by MYSQL pointer,
 * the server's transaction flags, and the bypass test each interposed function starts with.
 */
#ifndef CAP_MYSQL_CONN_H
#define CAP_MYSQL_CONN_H

#include "hooks/connwatch.h"
#include "hooks/conntab.h"
#include "hooks/exec.h"
#include "hooks/mysql_catalog.h"
#include "hooks/mysql_real.h"
#include "hooks/session.h"
#include "cache/buf.h"
#include "cache/cap.h"
#include "preload/waits.h"

#include <pthread.h>

#define CAP_EXPORT __attribute__((visibility("default")))

typedef struct my_conn {
	cap_conn_link link;      /* first: the table's chain, keyed by m */
	MYSQL *m;
	cap_sess sess;
	cap_mycat *cat;
	const void *cs_seen;     /* mysql->charset when the parameters were last folded */
	unsigned long thread_id; /* the server session the state describes (reconnects) */
	int sysdb;               /* the current database is a system schema: no caching */
	int auto_is_null;        /* sql_auto_is_null on: "id IS NULL" reads the last insert id,
				  * which changes at every insert: no caching */
	/* session_track_transaction_info on: the server then flags a SELECT's reply "session
	 * state changed" (0x4000) by the transaction tracker's state, which only the server
	 * knows (a SELECT in a transaction, even the same one twice, may or may not set it):
	 * no caching */
	int trx_track;
	/* the session's character_set_client (read back by the probe) or the library's character
	 * set may be one whose multibyte characters hold ASCII bytes (cache/sql.h): text that is
	 * not pure ASCII cannot be read then (cap_my_text_unreadable) */
	int cs_client_unsafe;
	int cs_lib_unsafe;
	int locked;              /* LOCK TABLES in force: no hits (unlocked tables must fail) */
	int init_pending;        /* a new session: the library's init commands ran in it and are
				  * not accounted yet (hooks/mysql_init) */
	/* the server closes a session idle for wait_timeout: a hit then would answer for a
	 * session that is gone (the real call errs, or reconnects to a fresh session) */
	uint64_t contact_ns;     /* cap_now_ns when the server last answered us */
	uint64_t idle_max_ns;    /* wait_timeout less a margin; 0: not known yet */
	/* a hit waiting for mysql_store_result / mysql_use_result */
	MYSQL_RES *pend;
	int sq_hit;              /* mysql_send_query hit: mysql_read_query_result reports it */
	unsigned sq_unread;      /* statements mysql_send_query sent for real whose answers the
				  * program has not read yet (Connector/C sends without reading):
				  * while any is, no hit, or answers would come out of order */
	unsigned sq_status;      /* and these status flags */
	int sq_held, sq_fd;      /* no ping: the program's waits see sq_fd ready (preload/waits.h) */
	/* the last statement, when it was a text hit: run for real before diagnostics */
	cap_buf replay;
	int replay_on;
	/* a statement of the program's ran on the server in this session, or was a hit: the
	 * diagnostics the program expects are no longer a new session's (hooks/mysql_probe.c) */
	int diag_own;
	/* counts the program's statements but reads run on the server, and the sessions begun (a
	 * prepared statement's deferred read-back, my_prep.defer) */
	uint64_t stmt_seq;
	/* a miss whose result mysql_store_result stores */
	int fill;
	cap_buf fill_key;
	cap_hash fill_hash;
	uint64_t fill_shape;     /* the statement's shape, for the reason a fill was refused */
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
	uint64_t orphan_next;    /* cap_my_orphans asks the server again from then on */
	int multi_dirty;         /* a multi-result statement that may write: bump at next_result */
	int async_dirty;         /* a non-blocking statement that may write: bump when it ends */
	/* the server closed the socket (KILL, a restart): no hits (hooks/connwatch); a new
	 * session (a reconnect, a change of user) starts it over */
	cap_connwatch watch;
} my_conn;

/* The prepared statements' table lock (hooks/mysql_stmt): held across fork() with the
 * connection table's, so that neither is copied half-changed. */
extern pthread_mutex_t cap_my_st_lock;

extern cap_conntab cap_my_tab;
extern __thread cap_conntab_tls cap_my_tls __attribute__((tls_model("initial-exec")));

/* cap_my_find - the state of m (created when create and absent); NULL when there is none (or
 * no memory). No lock on the repeated case (hooks/conntab). */
static inline my_conn *cap_my_find(MYSQL *m, int create)
{
	return (my_conn *)cap_conntab_find(&cap_my_tab, &cap_my_tls, m, create);
}
/* cap_my_remove - m is being closed: drop its state. */
void cap_my_remove(MYSQL *m);
/* cap_my_fix_scope - put back the one invalidation scope of every MySQL database. */
void cap_my_fix_scope(my_conn *mc);
/* cap_my_is_sysdb - is db a schema whose tables are the server's live state? */
int cap_my_is_sysdb(const char *db, size_t n);
/* cap_my_free_res - free a result through the real library (NULL: nothing). */
void cap_my_free_res(MYSQL_RES *r);
/* cap_my_stmt_reset - forget a pending hit, a pending fill and a send in flight. */
void cap_my_stmt_reset(my_conn *mc);
/* cap_my_give_way - a command other than the one that reads it is about to go out on mc's
 * connection while a mysql_send_query hit is unread (mc->sq_hit): the hit gives way to its
 * statement, sent for real, so that the answers come in the order sent. Every interposed
 * function that sends a command calls it first (mysql_read_query_result and its _start read
 * the hit instead). */
void cap_my_give_way(my_conn *mc);
/* cap_my_give_way_m - the same for m when it has such a hit (nothing under the guard: the
 * outer call settled it). */
void cap_my_give_way_m(MYSQL *m);
/* cap_my_stmt_start - a statement starts on mc (text or prepared): forget the last one's
 * pending state, bump again what a multi-result statement still running may have written. */
void cap_my_stmt_start(const cap_rt *rt, my_conn *mc);
/* cap_my_forget_session - the server session ended or changed under us (change_user,
 * reset_connection, a reconnect): start over. */
void cap_my_forget_session(const cap_rt *rt, my_conn *mc, int rolled_back);
/* cap_my_reconnected - the same, when the thread id shows the library reconnected. */
void cap_my_reconnected(const cap_rt *rt, my_conn *mc);
/* cap_my_has_word - does a case-insensitive needle occur in s[0..n)? */
int cap_my_has_word(const char *s, size_t n, const char *needle);
/* cap_my_no_state_bump - no state for a connection (no memory): invalidate everything
 * unless sql is known to be a plain read. */
void cap_my_no_state_bump(const cap_rt *rt, const char *sql, size_t len);

/* The transaction state the next statement runs in: an open transaction, or autocommit off
 * (the statement will open one). */
static inline int cap_my_in_txn_before(const MYSQL *m)
{
	return (m->server_status & SERVER_STATUS_IN_TRANS) ||
	       !(m->server_status & SERVER_STATUS_AUTOCOMMIT);
}

/* May a hit be served on mc's session, or has the server closed it for being idle? */
static inline int cap_my_session_alive(const my_conn *mc, uint64_t now)
{
	/* now may be older than contact_ns: taken before the statement's own read-back */
	return mc->idle_max_ns == 0 || now <= mc->contact_ns ||
	       now - mc->contact_ns < mc->idle_max_ns;
}

/* cap_my_closed - the server has closed mc's socket (hooks/connwatch saw it: KILL, a
 * restart), or the library has (net.pvio gone: after a read it could not finish, such as
 * "Lost connection to server during query"): no hit, and no query of ours goes first, where
 * it would take the error (or the reconnect) the program's own statement gets without
 * Capacitor. */
static inline int cap_my_closed(my_conn *mc)
{
	return mc->m->net.pvio == NULL || !cap_connwatch_open(&mc->watch, mc->m->net.fd);
}

/* The server's own "transaction open" flag. */
static inline int cap_my_server_in_trans(const MYSQL *m)
{
	return (m->server_status & SERVER_STATUS_IN_TRANS) != 0;
}

/* Every interposed function starts here: 1 when the real function must run untouched (the
 * re-entrancy guard is up, the library is not resolved, or Capacitor is off). */
static inline int cap_my_bypass(const cap_rt **rtp)
{
	return cap_exec_bypass(cap_my_resolve, rtp);
}

/* Whether sql[0..len) may read otherwise to the server than to the lexer: not pure ASCII,
 * while the character set it is read in may be Shift-JIS, Big5, GBK or GB18030, or is not
 * known (the session not read back since it began or since a statement that may have changed
 * it: SET NAMES, an init command, code). */
static inline int cap_my_text_unreadable(const my_conn *mc, const char *sql, size_t len)
{
	return (mc->cs_client_unsafe | mc->cs_lib_unsafe | mc->sess.probe_need) &&
	       !cap_sql_ascii(sql, len);
}

#endif

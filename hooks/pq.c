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
 * hit is covered by an empty query of ours whose answer nobody waits for (see "hits covered by
 * an empty query" below). Pipeline
 * mode, COPY, single-row mode on a miss, LISTEN/NOTIFY and large objects pass through (writes
 * in a pipeline mark and invalidate the database before they are sent and at each sync point).
 *
 * Session state is read back from the server, not guessed from the text (pq_probe): one query
 * on the program's own connection before its first statement and before the next statement
 * after any change the text cannot prove, only where the program cannot see it (idle, outside
 * any transaction, its unnamed prepared statement gone or about to be replaced). Until then the
 * connection shares no entry with any other.
 *
 * Per-connection state lives in a small hash table keyed by the PGconn pointer, created at the
 * first statement and dropped by PQfinish/PQreset. A thread-local one-entry cache, validated by
 * a global epoch that every removal bumps, keeps the table's mutex off the hit path.
 */
#include "hooks/pq_catalog.h"
#include "hooks/pq_codec.h"
#include "hooks/pq_real.h"
#include "hooks/session.h"
#include "cache/cap.h"
#include "cache/follow.h"
#include "cache/fork.h"
#include "cache/log.h"
#include "preload/resolve.h"
#include "preload/waits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CAP_EXPORT __attribute__((visibility("default")))

/* ---- per-connection state -------------------------------------------------------------- */

typedef struct pq_prep {
	struct pq_prep *next;
	char *name;
	char *sql;
	int nparams;
	Oid *types; /* nparams entries, or NULL */
	int stale;  /* "" only: the server's unnamed statement is not this one (a hit stood in for
		     * the program's PQexecParams, or a simple query of ours destroyed it); it is
		     * prepared again before the program uses it (unnamed_restore) */
} pq_prep;

/* A connection's session state is read back at least this often (at its next statement
 * after that): a configuration reload made elsewhere changes settings no report shows. */
#define CAP_PQ_REPROBE_NS (60ull * 1000000000ull)

/* pq_conn.listening */
enum { LISTEN_NO = 0, LISTEN_YES, LISTEN_MAYBE /* ran LISTEN/UNLISTEN or code we cannot see:
						* asked from the server before the next hit */ };

typedef struct pq_conn {
	struct pq_conn *next;
	PGconn *conn;
	cap_sess sess;
	int params_dirty;          /* re-read ParameterStatus before the next lookup */
	uint64_t params_h;         /* their hash when last read (0: not yet) */
	uint64_t probe_ns;         /* cap_now_ns of the last read-back */
	uint64_t orphan_next;      /* pq_orphans asks the server again from then on */
	cap_pqcat *cat;            /* current, or NULL */
	cap_pqcat *last;           /* the one before, while no current one could be had */
	struct pq_rx *rx;          /* notice forwarding (outlives this state: see pq_rx) */
	int standby;               /* the server is a hot standby: never fill from it */
	int unnamed_live;          /* the server may hold an unnamed prepared statement the
				    * program made (its last such call used the extended protocol) */
	int pipe_cluster;          /* a pipeline sent something that may change roles or
				    * databases: bump the server at each sync point */
	/* a pending hit of the asynchronous API */
	int pend;                  /* 1 while a cached answer is being handed out */
	int pend_empty;            /* blocking, PQsocket asked: an empty query was sent for it */
	int pend_single;           /* single-row mode was asked for */
	int pend_row, pend_rows;   /* next row to hand out in single-row mode */
	int pend_done;             /* the final result went out; next PQgetResult gives NULL */
	int pend_l2;
	int pend_followed;     /* the plan's followed (stats) */
	int pend_held, pend_fd;    /* the program's waits see pend_fd ready (preload/waits.h) */
	uint64_t pend_t0, pend_shape;
	cap_buf pend_val;
	/* nonblocking hits: an empty query of ours is outstanding (see ghost_cover) */
	int ghost;
	PGTransactionStatusType ghost_txn; /* the transaction status it was sent in */
	/* a statement in flight on the asynchronous API (miss, write, or prepare) */
	int fl_active;
	int fl_ok;
	int fl_fill;
	int fl_results;
	unsigned fl_notices;
	uint64_t fl_t0;
	cap_plan fl_plan;
	cap_sql_info *fl_info;     /* allocated on first use */
	char *fl_sql;
	size_t fl_sql_len;
	cap_buf fl_key;            /* key material of a miss to fill */
	cap_hash fl_hash;
	pq_prep *fl_prep;          /* PQsendPrepare awaiting its result */
	/* prepared statements, by name ("" is the unnamed one) */
	pq_prep *preps;
	int pipe_dirty;            /* a pipeline sent something that may write */
	int listening;             /* LISTEN_*: a listening connection gets no hits (they would
				    * not deliver the notifications a round trip reads) */
} pq_conn;

#define PQ_BUCKETS 1024
static pq_conn *pq_table[PQ_BUCKETS];
static pthread_mutex_t pq_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t pq_epoch = 1;
static pthread_once_t pq_fork_once = PTHREAD_ONCE_INIT;

static __thread struct {
	PGconn *conn;
	pq_conn *pc;
	uint64_t epoch;
} pq_tls __attribute__((tls_model("initial-exec")));

static void pq_prefork(void) { pthread_mutex_lock(&pq_lock); }
static void pq_postfork(void) { pthread_mutex_unlock(&pq_lock); }
static void pq_fork_setup(void)
{
	cap_fork_register(CAP_FORK_PQ, pq_prefork, pq_postfork, pq_postfork);
}

static size_t pq_bucket(const PGconn *c)
{
	uintptr_t v = (uintptr_t)c;
	return (size_t)((v >> 4) ^ (v >> 14)) & (PQ_BUCKETS - 1);
}

/* Our notice receiver counts notices (a miss that drew one is not stored) and forwards them
 * to the program's receiver. Every PGresult of the connection keeps a copy of the receiver and
 * its argument, and a program may touch such a result after PQfinish, so the argument is a
 * small record that is never freed: records of finished connections are kept on a list (still
 * reachable) and not reused, since old results may still point at them. */
typedef struct pq_rx {
	struct pq_rx *next;
	PQnoticeReceiver app;
	void *app_arg;
	unsigned notices;
	int mute;                  /* our own probe runs: the program sees none of its notices */
} pq_rx;

static pq_rx *rx_retired;

/* Set while the catalog query runs on the program's connection: its notices are ours. */
static __thread int pq_quiet __attribute__((tls_model("initial-exec")));

static void pq_notice_rx(void *arg, const PGresult *res)
{
	pq_rx *rx = arg;
	if (pq_quiet)
		return;
	__atomic_add_fetch(&rx->notices, 1, __ATOMIC_RELAXED);
	PQnoticeReceiver app = __atomic_load_n(&rx->app, __ATOMIC_ACQUIRE);
	if (app && !rx->mute)
		app(rx->app_arg, res);
}

static unsigned rx_count(const pq_conn *pc)
{
	return pc->rx ? __atomic_load_n(&pc->rx->notices, __ATOMIC_RELAXED) : 0;
}

static void prep_free(pq_prep *p)
{
	free(p->name);
	free(p->sql);
	free(p->types);
	free(p);
}

static void preps_clear(pq_conn *pc)
{
	while (pc->preps) {
		pq_prep *p = pc->preps;
		pc->preps = p->next;
		prep_free(p);
	}
}

/* Something we cannot see into (a function, DO, CALL, EXECUTE, a string with PREPARE or
 * DEALLOCATE) may have prepared or deallocated statements: forget every name, so that none is
 * answered by what we thought it was. A stale unnamed statement stays: only we know the server
 * must be given it again. */
static void preps_forget(pq_conn *pc)
{
	for (pq_prep **pp = &pc->preps; *pp;) {
		pq_prep *p = *pp;
		if (p->stale && p->name[0] == '\0') {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		prep_free(p);
	}
}

static void sess_setup(pq_conn *pc)
{
	const char *host = cap_pq.real_PQhost(pc->conn), *port = cap_pq.real_PQport(pc->conn);
	const char *db = cap_pq.real_PQdb(pc->conn), *user = cap_pq.real_PQuser(pc->conn);
	/* options (PGOPTIONS) sets server parameters the server never reports back
	 * (bytea_output, extra_float_digits, custom settings that RLS policies read...) */
	char options[512] = "";
	PQconninfoOption *ci = cap_pq.real_PQconninfo(pc->conn);
	for (PQconninfoOption *o = ci; o && o->keyword; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val)
			snprintf(options, sizeof(options), "%s", o->val);
	if (ci)
		cap_pq.real_PQconninfoFree(ci);
	char ident[1536];
	int n = snprintf(ident, sizeof(ident), "pg%c%s%c%s%c%s%c%s", 0, host ? host : "", 0,
			 port ? port : "", 0, user ? user : "", 0, options);
	if (n < 0 || (size_t)n >= sizeof(ident))
		n = (int)sizeof(ident) - 1;
	cap_sess_init(&pc->sess, CAP_DIALECT_PG, ident, (size_t)n, db ? db : "",
		      db ? strlen(db) : 0);
	if (strlen(options) >= sizeof(options) - 1)
		pc->sess.disabled = 1; /* options too long to key on: no caching */
	pc->sess.lazy_deps = 1;
	/* nothing is known until the first probe: role and database defaults, the identity */
	pc->sess.probe = 1;
	pc->sess.scope_unsure = 1;
	/* the backend's pid: a marker of a write of ours left by our death is resolved once
	 * pg_stat_activity no longer lists it (pq_orphans) */
	pc->sess.srv_session = cap_pq.real_PQbackendPID ? (uint64_t)cap_pq.real_PQbackendPID(pc->conn) : 0;
	cap_sess_unknown(&pc->sess, 0);
	pc->unnamed_live = 0; /* a new session has none; every call that makes one is ours */
	pc->params_dirty = 1;
	cap_pqcat_release(pc->cat);
	cap_pqcat_release(pc->last);
	pc->cat = pc->last = NULL;
}

/* pq_find - the state of conn, created when create is set; NULL if none / no memory. */
static pq_conn *pq_find(PGconn *conn, int create)
{
	uint64_t ep = __atomic_load_n(&pq_epoch, __ATOMIC_ACQUIRE);
	if (pq_tls.conn == conn && pq_tls.epoch == ep && pq_tls.pc)
		return pq_tls.pc;
	pthread_once(&pq_fork_once, pq_fork_setup);
	pthread_mutex_lock(&pq_lock);
	size_t b = pq_bucket(conn);
	pq_conn *pc = pq_table[b];
	while (pc && pc->conn != conn)
		pc = pc->next;
	if (pc == NULL && create) {
		pc = calloc(1, sizeof(*pc));
		if (pc) {
			pc->conn = conn;
			cap_buf_init(&pc->pend_val, 0);
			cap_buf_init(&pc->fl_key, 0);
			sess_setup(pc);
			pc->rx = calloc(1, sizeof(*pc->rx));
			if (pc->rx) {
				/* libpq's default receiver takes no argument */
				pc->rx->app = cap_pq.real_PQsetNoticeReceiver(conn, pq_notice_rx, pc->rx);
			}
			pc->next = pq_table[b];
			pq_table[b] = pc;
		}
	}
	ep = __atomic_load_n(&pq_epoch, __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&pq_lock);
	if (pc) {
		pq_tls.conn = conn;
		pq_tls.pc = pc;
		pq_tls.epoch = ep;
	}
	return pc;
}

static void pend_clear(pq_conn *pc)
{
	if (pc->pend_held)
		cap_wait_release(pc->pend_fd);
	pc->pend_held = 0;
	pc->pend = pc->pend_empty = pc->pend_single = pc->pend_done = 0;
	pc->pend_row = pc->pend_rows = 0;
}

static void fl_clear(pq_conn *pc)
{
	pc->fl_active = 0;
	free(pc->fl_sql);
	pc->fl_sql = NULL;
	if (pc->fl_prep) {
		prep_free(pc->fl_prep);
		pc->fl_prep = NULL;
	}
}

/* Drop everything known about the session (PQreset): the receiver stays installed. */
static void pq_forget_session(pq_conn *pc)
{
	pc->listening = LISTEN_NO;
	pc->ghost = 0; /* the connection it was sent on is closed */
	pend_clear(pc);
	fl_clear(pc);
	preps_clear(pc);
	cap_sess_abandon(cap_rt_get(), &pc->sess);
	cap_sess_free(&pc->sess);
	sess_setup(pc);
}

static void pq_remove(PGconn *conn)
{
	pthread_once(&pq_fork_once, pq_fork_setup);
	pthread_mutex_lock(&pq_lock);
	pq_conn **pp = &pq_table[pq_bucket(conn)];
	while (*pp && (*pp)->conn != conn)
		pp = &(*pp)->next;
	pq_conn *pc = *pp;
	if (pc)
		*pp = pc->next;
	__atomic_add_fetch(&pq_epoch, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pq_lock);
	if (pq_tls.conn == conn)
		pq_tls.conn = NULL;
	if (pc == NULL)
		return;
	pend_clear(pc);
	fl_clear(pc);
	preps_clear(pc);
	cap_sess_abandon(cap_rt_get(), &pc->sess);
	cap_sess_free(&pc->sess);
	cap_buf_free(&pc->pend_val);
	cap_buf_free(&pc->fl_key);
	cap_pqcat_release(pc->cat);
	cap_pqcat_release(pc->last);
	if (pc->rx) {
		pthread_mutex_lock(&pq_lock);
		pc->rx->next = rx_retired;
		rx_retired = pc->rx;
		pthread_mutex_unlock(&pq_lock);
	}
	free(pc->fl_info);
	free(pc);
}

/* ---- prepared statements --------------------------------------------------------------- */

static pq_prep *prep_find(pq_conn *pc, const char *name)
{
	for (pq_prep *p = pc->preps; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void prep_drop(pq_conn *pc, const char *name)
{
	for (pq_prep **pp = &pc->preps; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			pq_prep *p = *pp;
			*pp = p->next;
			prep_free(p);
			return;
		}
}

static pq_prep *prep_new(const char *name, const char *sql, int nparams, const Oid *types)
{
	pq_prep *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->name = strdup(name ? name : "");
	p->sql = strdup(sql);
	p->nparams = nparams;
	if (types && nparams > 0) {
		p->types = malloc((size_t)nparams * sizeof(Oid));
		if (p->types)
			memcpy(p->types, types, (size_t)nparams * sizeof(Oid));
	}
	if (!p->name || !p->sql || (types && nparams > 0 && !p->types)) {
		prep_free(p);
		return NULL;
	}
	return p;
}

/* prep_add - the server accepted p: it replaces any statement of that name. */
static void prep_add(pq_conn *pc, pq_prep *p)
{
	prep_drop(pc, p->name);
	p->next = pc->preps;
	pc->preps = p;
}

/* SQL-level PREPARE, DEALLOCATE and DISCARD change prepared statements behind libpq's back:
 * forget them all (their executions are then treated as unknown statements). */
static int mentions_prepared(const char *sql, size_t len)
{
	for (size_t i = 0; i + 7 <= len; i++) {
		char c = (char)(sql[i] | 0x20);
		if ((c == 'p' && strncasecmp(sql + i, "prepare", 7) == 0) ||
		    (c == 'd' && (strncasecmp(sql + i, "dealloc", 7) == 0 ||
				  strncasecmp(sql + i, "discard", 7) == 0)))
			return 1;
	}
	return 0;
}

static int mentions_listen(const char *sql, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if ((sql[i] | 0x20) == 'l' && strncasecmp(sql + i, "listen", 6) == 0)
			return 1;
	return 0;
}

/* ---- one statement ----------------------------------------------------------------------- */

/* What a call carries: the statement text (for classification and the key) and parameters. */
typedef struct pq_call {
	const char *sql;        /* NULL: a prepared statement we do not know */
	size_t sql_len;
	const char *stmt_name;  /* prepared statements */
	int nparams;
	const Oid *types;
	const char *const *values;
	const int *lengths;
	const int *formats;
	int result_format;
	int extended;           /* sent with the extended protocol (replaces the unnamed statement) */
	int ntypes;             /* entries in types (may be fewer than nparams) */
} pq_call;

static const char *const pq_param_names[] = {
	"session_authorization", "is_superuser", "client_encoding", "DateStyle", "IntervalStyle",
	"TimeZone", "standard_conforming_strings", "integer_datetimes", "server_version",
	"search_path", "in_hot_standby",
};

static void refresh_params(pq_conn *pc)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < CAP_ARRAY_LEN(pq_param_names); i++) {
		const char *v = cap_pq.real_PQparameterStatus(pc->conn, pq_param_names[i]);
		h = cap_hash64(v ? v : "\001", v ? strlen(v) : 1, h);
	}
	const char *sb = cap_pq.real_PQparameterStatus(pc->conn, "in_hot_standby");
	pc->standby = sb && strcmp(sb, "on") == 0;
	/* a reported setting moved: by a statement of the program, or by a configuration reload
	 * (ALTER SYSTEM or postgresql.conf, then SIGHUP), which the server applies before the
	 * next statement it runs and which changes what no report shows too (search_path on
	 * PostgreSQL 15): read the whole state back */
	if (pc->params_h && h != pc->params_h)
		cap_sess_unknown(&pc->sess, 0);
	pc->params_h = h;
	cap_sess_set_params(&pc->sess, h);
	pc->params_dirty = 0;
}

/* in_txn_now - 0 outside a transaction block, 1 inside, 2 inside a failed one. While our
 * empty query is outstanding libpq says "active": the status it was sent in still holds. */
static int in_txn_now(const pq_conn *pc)
{
	PGTransactionStatusType t =
		pc->ghost ? pc->ghost_txn : cap_pq.real_PQtransactionStatus(pc->conn);
	return t == PQTRANS_INTRANS ? 1 : t == PQTRANS_INERROR ? 2 : 0;
}

static int pipeline_on(const PGconn *conn)
{
	return cap_pq.real_PQpipelineStatus && cap_pq.real_PQpipelineStatus(conn) != PQ_PIPELINE_OFF;
}

static void unnamed_stale(pq_conn *pc)
{
	pq_prep *p = prep_find(pc, "");
	if (p)
		p->stale = 1;
}

/* The catalog for a statement. It is loaded (or reloaded after DDL) only for statements that
 * need it, on this connection, and only while the connection is idle; otherwise an out-of-date
 * catalog is not used at all (NULL: reads are not cached, writes bump the database). */
static cap_pqcat *pq_catalog(const cap_rt *rt, pq_conn *pc, const cap_sql_info *info)
{
	if (pc->cat && !cap_pqcat_current(rt, &pc->sess, pc->cat)) {
		cap_pqcat_release(pc->last);
		pc->last = pc->cat;
		cap_pqcat_hold(pc->last); /* the get or peek below drops pc->cat's */
	}
	/* BEGIN is sent while the connection is idle: the last chance to load before the
	 * transaction's statements (psycopg2 begins one before every first statement); a
	 * utility that reads (COPY (query) TO, EXPLAIN) would, without one, count as a write of
	 * the whole database (pq_plan) */
	int needs = info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
		    info->kind == CAP_SQL_WRITE ||
		    (info->kind == CAP_SQL_UTILITY && (info->nread || info->nfunc)) ||
		    (info->kind == CAP_SQL_TXN && info->txn == CAP_TXN_BEGIN);
	/* the catalog query destroys the unnamed statement: one we know is given back before the
	 * program uses it (unnamed_restore); one prepared where we could not see is lost */
	if (needs && cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE && !pc->pend &&
	    !pc->fl_active && !pipeline_on(pc->conn) && cap_pq.real_PQstatus(pc->conn) == CONNECTION_OK) {
		int loaded = 0;
		pq_quiet = 1;
		cap_pqcat_get(rt, pc->conn, &pc->sess, &pc->cat, &loaded);
		pq_quiet = 0;
		if (loaded) {
			unnamed_stale(pc); /* the catalog query destroyed it */
			pc->unnamed_live = prep_find(pc, "") != NULL;
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

/* A parameter that date/time input may read as the current time ('now', 'today' ...). */
static int params_mean_now(const pq_call *call)
{
	for (int i = 0; i < call->nparams; i++) {
		const char *v = call->values ? call->values[i] : NULL;
		if (v == NULL)
			continue;
		size_t n = call->formats && call->formats[i]
				   ? (call->lengths && call->lengths[i] > 0 ? (size_t)call->lengths[i] : 0)
				   : strlen(v);
		if (cap_sql_now_text(v, n))
			return 1;
	}
	return 0;
}

/* ---- reading the session state back ------------------------------------------------------ */

/* One round trip that reads everything that changes what a query returns, on the program's
 * own connection: the server's and the database's identity, the current and session roles
 * (oids), the search path as resolved, the isolation levels, and a digest of every setting
 * (value and reset value, so that RESET and SET ... DEFAULT stay provable from their text),
 * and the server's start, which tells a copy of the cluster from the cluster (cache/follow.h).
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
	CAP_FOLLOW_PG_START_SQL;
#define PQ_PROBE_COLS 9
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

/* pq_probe - read the session state back before call is sent, when that is invisible to the
 * program: the connection is idle outside any transaction (a probe must never open, fail or
 * snapshot the program's transaction), and the unnamed prepared statement, which a simple
 * query destroys, is gone already or is about to be replaced by call itself. Otherwise the
 * state stays unknown (the connection shares nothing) and the probe waits for a later call.
 * A probe that fails turns caching off on the connection. */
static CAP_COLD void pq_probe(pq_conn *pc, const pq_call *call)
{
	if (cap_pq.real_PQtransactionStatus(pc->conn) != PQTRANS_IDLE || pipeline_on(pc->conn) ||
	    (pc->unnamed_live && call->stmt_name != NULL))
		return;
	if (pc->rx)
		pc->rx->mute = 1;
	PGresult *r = CAP_REAL(cap_pq.real_PQexec(pc->conn, pq_probe_sql));
	if (pc->rx)
		pc->rx->mute = 0;
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
	/* keys stay those of the cluster (a copy reached at another address has other keys
	 * already); following and dead writers' markers need the running server itself */
	cap_sess_set_identity(&pc->sess, sysid, strlen(sysid), db, strlen(db));
	char server[160];
	int sn = snprintf(server, sizeof(server), CAP_FOLLOW_PG_SERVER_FMT, sysid,
			  cap_pq.real_PQgetvalue(r, 0, PQ_PROBE_START));
	size_t sl = sn < 0 ? 0 : (size_t)sn < sizeof(server) ? (size_t)sn : sizeof(server) - 1;
	cap_sess_set_instance(&pc->sess, cap_hash64(server, sl, 0x1257));
	cap_sess_set_follow(cap_rt_get(), &pc->sess,
			    cap_follow_ident("postgresql", server, sl, db, strlen(db)));
	uint64_t h = 0x70726f6265ULL;
	for (int i = 2; i < PQ_PROBE_START; i++) {
		const char *v = cap_pq.real_PQgetisnull(r, 0, i) ? "\001" : cap_pq.real_PQgetvalue(r, 0, i);
		h = cap_hash64(v, strlen(v) + 1, h);
	}
	cap_sess_probed(&pc->sess, h, pq_iso_of(cap_pq.real_PQgetvalue(r, 0, 6)));
	cap_pq.real_PQclear(r);
	pc->probe_ns = cap_now_ns();
}

/* Classify and plan call on pc. info is filled; returns the catalog used (may be NULL). */
static cap_pqcat *pq_plan(const cap_rt *rt, pq_conn *pc, const pq_call *call,
			  cap_sql_info *info, cap_plan *plan)
{
	if (call->sql == NULL) {
		/* a prepared statement whose text we never saw: it may do anything */
		memset(plan, 0, sizeof(*plan));
		plan->act = CAP_ACT_WRITE;
		info->kind = CAP_SQL_OTHER;
		info->reasons = 0;
		info->flags = 0;
		info->nread = info->nwrite = info->nfunc = 0;
		info->iso = CAP_ISO_NONE;
		info->iso_scope = CAP_ISO_SCOPE_NONE;
		info->digest = 0;
		info->nbuiltin = 0;
		info->names_len = 0;
		cap_sess_mark(rt, &pc->sess, info, plan, NULL, NULL);
		return NULL;
	}
	cap_sql_classify(CAP_DIALECT_PG, call->sql, call->sql_len, info);
	/* the state is read back before the first statement (its identity keys the catalog too),
	 * then only before a read or a transaction that can use it: a run of writes pays once,
	 * and so does a run of statements while the catalog is out of date (after DDL, until it
	 * may be loaded again), since nothing is cached without it */
	if (CAP_UNLIKELY(pc->sess.probe_need) && pc->sess.scope_unsure)
		pq_probe(pc, call);
	/* a configuration reload made without Capacitor changes settings no report shows
	 * (search_path on PostgreSQL 15), and a connection that only hits never sees even the
	 * reported ones: a read reads the state back when the last read-back is a minute old */
	if (CAP_UNLIKELY(cap_now_ns() - pc->probe_ns > CAP_PQ_REPROBE_NS) && !pc->sess.probe_need &&
	    info->kind == CAP_SQL_READ && cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE)
		cap_sess_unknown(&pc->sess, 0);
	cap_pqcat *cat = pq_catalog(rt, pc, info);
	if (CAP_UNLIKELY(pc->sess.probe_need) && cat != NULL &&
	    (info->kind == CAP_SQL_READ || (info->kind == CAP_SQL_TXN && info->txn == CAP_TXN_BEGIN)))
		pq_probe(pc, call);
	/* without a current catalog nothing is cached, but what may write must still be known:
	 * the last one tells (it misses only the DDL since it went out of date), else nothing */
	cap_pqcat_vet(cat ? cat : pc->last, call->sql, call->sql_len, info);
	if (cat == NULL && pc->last == NULL && (info->nread || info->nfunc) &&
	    (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
	     info->kind == CAP_SQL_UTILITY))
		cap_pqcat_vet_unknown(info); /* a view may call what writes */
	if (info->kind == CAP_SQL_READ && params_mean_now(call)) {
		info->kind = CAP_SQL_READ_NOCACHE;
		info->reasons |= CAP_SQLR_VOLATILE_CLAUSE;
	}
	if (pc->params_dirty && (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE))
		refresh_params(pc);
	cap_sess_plan(rt, &pc->sess, info, in_txn_now(pc), &cap_pqcat_ops, cat, plan);
	return cat;
}

/* Key material: session prefix, statement, parameters (type, format, value), result format. */
static int pq_key(const pq_conn *pc, const pq_call *call, cap_keymat *km, cap_key *key)
{
	cap_sess_key(&pc->sess, km);
	cap_keymat_add(km, call->sql, call->sql_len);
	cap_keymat_add_u64(km, ((uint64_t)(uint32_t)call->nparams << 32) |
				       (uint32_t)call->result_format);
	for (int i = 0; i < call->nparams; i++) {
		int fmt = call->formats ? call->formats[i] : 0;
		uint64_t t = call->types && i < call->ntypes ? call->types[i] : 0;
		cap_keymat_add_u64(km, (t << 1) | (fmt ? 1 : 0));
		const char *v = call->values ? call->values[i] : NULL;
		if (v == NULL)
			cap_keymat_add_null(km);
		else if (fmt)
			cap_keymat_add(km, v, call->lengths ? (size_t)(call->lengths[i] < 0 ? 0 : call->lengths[i]) : 0);
		else
			cap_keymat_add(km, v, strlen(v));
	}
	return cap_keymat_finish(km, key);
}

typedef struct pq_hitctx {
	PGconn *conn;
	PGresult *res;   /* synchronous: the decoded result */
	cap_buf *copy;   /* asynchronous: the value is copied here */
} pq_hitctx;

static int pq_hit_cb(void *arg, const void *val, size_t len)
{
	pq_hitctx *h = arg;
	if (h->copy) {
		h->copy->len = 0;
		h->copy->err = 0;
		cap_buf_put(h->copy, val, len);
		return h->copy->err;
	}
	h->res = cap_pq_decode(h->conn, val, len, PGRES_TUPLES_OK, 0, -1);
	return h->res ? CAP_OK : CAP_ECORRUPT;
}

static void pq_record(enum cap_path path, const cap_plan *plan, const cap_sql_info *info,
		      const pq_call *call, uint64_t t0)
{
	cap_qrec q;
	q.path = path;
	q.reason = plan->reason;
	q.is_read = plan->is_read;
	q.ns = cap_precise_ns() - t0;
	q.shape = call->sql ? info->digest : 0;
	q.sql = call->sql;
	q.sql_len = call->sql_len;
	q.dialect = CAP_DIALECT_PG;
	q.followed = plan->followed;
	cap_stats_record(&q);
}

/* A read that was not cached is a bypass, with its reason, even when it is also invalidated
 * after (a volatile function may write): reads = hits + misses + bypassed reads. */
static enum cap_path pass_path(const cap_plan *plan)
{
	return plan->act == CAP_ACT_WRITE && !plan->is_read ? CAP_PATH_WRITE : CAP_PATH_BYPASS;
}

static int result_ok(const PGresult *r)
{
	if (r == NULL)
		return 0;
	ExecStatusType st = cap_pq.real_PQresultStatus(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY ||
	       st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
	       st == PGRES_SINGLE_TUPLE;
}

static void pq_fill(const cap_rt *rt, pq_conn *pc, const cap_key *key, const cap_plan *plan,
		    const PGresult *res)
{
	cap_buf b;
	cap_buf_init(&b, rt->conf.max_result);
	int rc = cap_pq_encode(res, &b);
	if (rc == CAP_OK)
		rc = cap_engine_put(rt->engine, key, &plan->deps, cap_sess_ttl(rt, plan), b.data,
				    b.len);
	cap_buf_free(&b);
	(void)pc;
}

/* info_copy - copy a classification without the unused tail of its 4 KB name buffer. */
static void info_copy(cap_sql_info *dst, const cap_sql_info *src)
{
	memcpy(dst, src, offsetof(cap_sql_info, names) + src->names_len);
}

/* Statement bookkeeping after a synchronous call or the end of an asynchronous one. */
static void pq_after(const cap_rt *rt, pq_conn *pc, const pq_call *call, const cap_sql_info *info,
		     const cap_plan *plan, int ok)
{
	/* the server may have applied a configuration reload before this statement: its
	 * reports came with the answer */
	pc->params_dirty = 1;
	pc->sess.mark_keep = pipeline_on(pc->conn); /* more may be in flight */

	/* anywhere in the string, whatever its overall kind (BEGIN; DEALLOCATE s; ...), and
	 * code we cannot see into (a PL/pgSQL function may EXECUTE 'PREPARE ...') */
	if (call->sql == NULL || plan->fn_may_write || info->kind == CAP_SQL_OTHER ||
	    (plan->act != CAP_ACT_CACHE && mentions_prepared(call->sql, call->sql_len)))
		preps_forget(pc);
	if (call->sql == NULL || plan->fn_may_write || info->kind == CAP_SQL_OTHER ||
	    (plan->act != CAP_ACT_CACHE && mentions_listen(call->sql, call->sql_len)))
		pc->listening = LISTEN_MAYBE;
	/* an unknown prepared statement (call->sql NULL) was planned as OTHER: the session
	 * treats it as a write of unknown tables and a change it cannot follow */
	cap_sess_after(rt, &pc->sess, info, plan, call->sql ? call->sql : "", call->sql_len, ok,
		       in_txn_now(pc), &cap_pqcat_ops, pc->cat);
	/* a trigger, a rule or an event trigger may have called set_config */
	if (call->sql && (info->kind == CAP_SQL_WRITE || info->kind == CAP_SQL_DDL) &&
	    !pc->sess.probe_need && cap_pqcat_runs_code(pc->cat, info))
		cap_sess_unknown(&pc->sess, 0);
}

/* The unnamed prepared statement follows the protocol: the extended protocol replaces it, a
 * simple query destroys it. */
static void track_unnamed(pq_conn *pc, const pq_call *call)
{
	if (call->stmt_name)
		return;
	pc->unnamed_live = call->extended;
	prep_drop(pc, "");
	if (call->extended && call->sql) {
		pq_prep *p = prep_new("", call->sql, call->nparams, call->types);
		if (p)
			prep_add(pc, p);
	}
}

/* A hit is about to stand in for a statement sent with the extended protocol: the program's
 * unnamed statement will be this one, the server's will not. The record that lets
 * unnamed_restore put it right is made before the hit is served: without it (no memory) the
 * hit is not served, and the real call replaces the server's statement itself. */
static pq_prep *unnamed_hit_prep(const pq_call *call)
{
	return prep_new("", call->sql, call->nparams, call->types);
}

/* The hit was served: p (from unnamed_hit_prep) is the program's unnamed statement now. */
static void unnamed_hit(pq_conn *pc, pq_prep *p)
{
	p->stale = 1;
	prep_add(pc, p);
}

/* Before the program uses the unnamed statement: give the server the one the program thinks
 * it has. NULL, or the failed PQprepare's result (the program gets it in place of its own). */
static PGresult *unnamed_restore(pq_conn *pc)
{
	pq_prep *p = prep_find(pc, "");
	if (p == NULL || !p->stale)
		return NULL;
	PGresult *r = CAP_REAL(cap_pq.real_PQprepare(pc->conn, "", p->sql, p->nparams, p->types));
	if (r && cap_pq.real_PQresultStatus(r) == PGRES_COMMAND_OK) {
		cap_pq.real_PQclear(r);
		p->stale = 0;
		return NULL;
	}
	prep_drop(pc, "");
	return r;
}

/* Whether the connection listens, asked from the server (once after each statement that may
 * have changed it, just before a hit would be served): 1 yes or unknown, 0 no. */
static int listening_now(pq_conn *pc)
{
	/* only between transactions: inside one, our query could take its snapshot */
	if (pc->pend || pc->fl_active || pipeline_on(pc->conn) ||
	    cap_pq.real_PQtransactionStatus(pc->conn) != PQTRANS_IDLE)
		return 1;
	pq_quiet = 1;
	PGresult *r = CAP_REAL(cap_pq.real_PQexec(
		pc->conn, "SELECT pg_catalog.count(*) FROM pg_catalog.pg_listening_channels()"));
	pq_quiet = 0;
	unnamed_stale(pc); /* a simple query destroys it */
	pc->unnamed_live = prep_find(pc, "") != NULL;
	if (r && cap_pq.real_PQresultStatus(r) == PGRES_TUPLES_OK && cap_pq.real_PQntuples(r) == 1)
		pc->listening = strcmp(cap_pq.real_PQgetvalue(r, 0, 0), "0") == 0 ? LISTEN_NO : LISTEN_YES;
	cap_pq.real_PQclear(r);
	return pc->listening != LISTEN_NO;
}

/* Hits are not served on a connection libpq knows is broken (the server would not answer),
 * nor on one that listens (a round trip would deliver its notifications). */
static int hit_allowed(pq_conn *pc)
{
	if (cap_pq.real_PQstatus(pc->conn) != CONNECTION_OK || pc->listening == LISTEN_YES)
		return 0;
	return pc->listening == LISTEN_NO || !listening_now(pc);
}

/* A write of a process that died (or closed its connection) before it saw the write's end may
 * still be run and committed by the server: its tables are not filled until the server says
 * that session is gone (cache/engine.h, orphans). Asked here, on a miss, on the program's
 * connection where a statement of ours is invisible (as listening_now), for one orphan of this
 * server at a time and at most every ORPHAN_NS per connection. */
#define ORPHAN_NS (50ull * 1000000ull)
static CAP_COLD void pq_orphans(const cap_rt *rt, pq_conn *pc)
{
	uint64_t server[2];
	cap_orphan o;
	cap_sess_server(&pc->sess, server);
	if (!cap_engine_orphan_find(rt->engine, server, &o))
		return;
	uint64_t now = cap_now_ns();
	if (now < pc->orphan_next || pc->pend || pc->fl_active || pc->ghost ||
	    pipeline_on(pc->conn) || cap_pq.real_PQisnonblocking(pc->conn) ||
	    cap_pq.real_PQtransactionStatus(pc->conn) != PQTRANS_IDLE)
		return;
	pc->orphan_next = now + ORPHAN_NS;
	char sql[128];
	snprintf(sql, sizeof(sql),
		 "SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity WHERE pid = %llu",
		 (unsigned long long)o.session);
	pq_quiet = 1;
	PGresult *r = CAP_REAL(cap_pq.real_PQexec(pc->conn, sql));
	pq_quiet = 0;
	unnamed_stale(pc); /* a simple query destroys it */
	pc->unnamed_live = prep_find(pc, "") != NULL;
	if (r && cap_pq.real_PQresultStatus(r) == PGRES_TUPLES_OK && cap_pq.real_PQntuples(r) == 1 &&
	    strcmp(cap_pq.real_PQgetvalue(r, 0, 0), "0") == 0)
		cap_engine_orphan_done(rt->engine, &o);
	cap_pq.real_PQclear(r);
}

typedef PGresult *(*pq_sync_fn)(PGconn *conn, const pq_call *call);

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

/* The synchronous path shared by PQexec, PQexecParams and PQexecPrepared. */
static PGresult *pq_sync(const cap_rt *rt, pq_conn *pc, const pq_call *call, pq_sync_fn fn)
{
	uint64_t t0 = cap_precise_ns();
	cap_sql_info *info = cap_sess_info();
	cap_plan plan;
	pq_plan(rt, pc, call, info, &plan);
	if (plan.act == CAP_ACT_CACHE) {
		unsigned char kbuf[1024];
		cap_keymat km;
		cap_key key;
		cap_keymat_init(&km, kbuf, sizeof(kbuf));
		if (pq_key(pc, call, &km, &key) == CAP_OK) {
			pq_prep *up = NULL;
			if (plan.can_hit && hit_allowed(pc) &&
			    (!call->extended || (up = unnamed_hit_prep(call)) != NULL)) {
				pq_hitctx h = { pc->conn, NULL, NULL };
				int r = cap_engine_get(rt->engine, &key, pq_hit_cb, &h);
				if (r == CAP_HIT_L1 || r == CAP_HIT_L2) {
					cap_keymat_done(&km);
					if (up)
						unnamed_hit(pc, up);
					pq_record(r == CAP_HIT_L1 ? CAP_PATH_HIT_L1 : CAP_PATH_HIT_L2,
						  &plan, info, call, t0);
					return h.res;
				}
				if (r < 0)
					cap_fail_open("decoding a cached result", r);
			}
			if (up)
				prep_free(up);
			if (pc->standby)
				plan.can_fill = 0; /* a standby may lag the writes it would be filed under */
			if (plan.can_fill)
				pq_orphans(rt, pc);
			cap_sess_deps(rt, &pc->sess, info, &cap_pqcat_ops, pc->cat, &plan);
			if (call->stmt_name && call->stmt_name[0] == '\0') {
				PGresult *bad = unnamed_restore(pc);
				if (bad) {
					cap_keymat_done(&km);
					return bad;
				}
			}
			unsigned notices = rx_count(pc);
			PGresult *res = CAP_REAL(fn(pc->conn, call));
			if (plan.can_fill && res && cap_pq.real_PQresultStatus(res) == PGRES_TUPLES_OK &&
			    notices == rx_count(pc))
				pq_fill(rt, pc, &key, &plan, res);
			else if (res && cap_pq.real_PQresultStatus(res) != PGRES_TUPLES_OK)
				plan.reason = CAP_REASON_error;
			cap_keymat_done(&km);
			track_unnamed(pc, call);
			pq_after(rt, pc, call, info, &plan, result_ok(res));
			pq_record(CAP_PATH_MISS, &plan, info, call, t0);
			cap_stats_log_tick();
			return res;
		}
		cap_keymat_done(&km);
		plan.act = CAP_ACT_PASS;
		plan.reason = CAP_REASON_internal;
	}
	if (call->stmt_name && call->stmt_name[0] == '\0') {
		PGresult *bad = unnamed_restore(pc);
		if (bad)
			return bad;
	}
	PGresult *res = CAP_REAL(fn(pc->conn, call));
	track_unnamed(pc, call);
	ExecStatusType st = res ? cap_pq.real_PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
		/* the statement finishes when the program reads the final result: track it (with
		 * no memory for that, its end is taken as now, as for any other statement) */
		char *sql = call->sql ? strndup(call->sql, call->sql_len) : NULL;
		if ((sql || !call->sql) &&
		    (pc->fl_info || (pc->fl_info = malloc(sizeof(*pc->fl_info))))) {
			info_copy(pc->fl_info, info);
			pc->fl_plan = plan;
			pc->fl_plan.can_fill = 0;
			pc->fl_sql = sql;
			pc->fl_sql_len = call->sql ? call->sql_len : 0;
			pc->fl_active = 1;
			pc->fl_ok = 1;
			pc->fl_results = 1;
			pc->fl_t0 = t0;
			pc->fl_fill = 0;
			return res;
		}
		free(sql);
	}
	pq_after(rt, pc, call, info, &plan, result_ok(res));
	pq_record(pass_path(&plan), &plan, info, call, t0);
	return res;
}

/* ---- hits covered by an empty query ----------------------------------------------------------
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
 * (ghost_drain) only before a command that goes to the server (usually it is there already;
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

/* ghost_absorb - drop what has arrived of the ghost's answer without waiting; 1 when it is
 * all gone (or there was none), 0 while some of it is still to come. */
static int ghost_absorb(pq_conn *pc)
{
	while (pc->ghost) {
		if (CAP_REAL(cap_pq.real_PQisBusy(pc->conn)))
			return 0;
		PGresult *r = CAP_REAL(cap_pq.real_PQgetResult(pc->conn)); /* not busy: does not wait */
		if (r == NULL)
			pc->ghost = 0;
		else
			cap_pq.real_PQclear(r);
	}
	return 1;
}

/* ghost_drain - wait for the ghost's answer: the program is about to send a command, and
 * libpq takes one only when idle. */
static void ghost_drain(pq_conn *pc)
{
	if (pc == NULL || !pc->ghost)
		return;
	PGresult *r;
	while ((r = CAP_REAL(cap_pq.real_PQgetResult(pc->conn))) != NULL)
		cap_pq.real_PQclear(r);
	pc->ghost = 0;
}

/* ghost_cover - make sure an answer of ours is still to come for the hit about to be held:
 * the outstanding ghost while its answer is incomplete, else a new one. 0 when none can be
 * sent (the hit is then not served). */
static int ghost_cover(pq_conn *pc)
{
	if (!ghost_absorb(pc))
		return 1;
	PGTransactionStatusType t = cap_pq.real_PQtransactionStatus(pc->conn);
	if (!CAP_REAL(cap_pq.real_PQsendQuery(pc->conn, "")))
		return 0;
	pc->ghost = 1;
	pc->ghost_txn = t;
	return 1;
}

/* Before a call that needs libpq idle and that we do not otherwise follow. */
static void ghost_settle(PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve())
		ghost_drain(pq_find(conn, 0));
}

/* ---- asynchronous path --------------------------------------------------------------------- */

typedef int (*pq_send_fn)(PGconn *conn, const pq_call *call);

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
		cap_sql_classify(CAP_DIALECT_PG, call->sql, call->sql_len, info);
		/* a view may call what writes: the catalog at hand says (pipeline mode loads none,
		 * pq_catalog only peeks; pipe_prepare loaded one before when it could); without any,
		 * a relation read is taken for a call of what writes, as pq_plan does */
		cap_pqcat *cat = pq_catalog(rt, pc, info);
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
	    (info->kind != CAP_SQL_READ && mentions_prepared(call->sql, call->sql_len)))
		preps_clear(pc);
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

/* pq_settle_inflight - before a new command: when the in-flight one is over at the server
 * (libpq idle, the program just never read the final NULL), account it now and return 1;
 * while libpq is still busy with it return 0 (libpq will refuse the new command). */
static int pq_settle_inflight(const cap_rt *rt, pq_conn *pc)
{
	if (!pc->fl_active)
		return 1;
	if (cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_ACTIVE)
		return 0;
	pq_finish_inflight(rt, pc);
	return 1;
}

/* pq_drop_inflight - the connection goes away (PQfinish, PQreset) with a command that may
 * still be running: account it if it is over, else invalidate the database for it. */
static void pq_drop_inflight(const cap_rt *rt, pq_conn *pc)
{
	if (!pc->fl_active || pq_settle_inflight(rt, pc))
		return;
	if (pc->fl_plan.act != CAP_ACT_CACHE)
		cap_sess_bump_db(rt, &pc->sess);
	fl_clear(pc);
}

static int pq_send(const cap_rt *rt, pq_conn *pc, const pq_call *call, pq_send_fn fn)
{
	if (pipeline_on(pc->conn))
		return pq_send_pipeline(rt, pc, call, fn);
	if (pc->pend && !pc->pend_empty)
		pend_clear(pc); /* an unread hit of a blocking connection: the program moved on */
	if ((pc->pend && pc->pend_empty) || !pq_settle_inflight(rt, pc))
		return CAP_REAL(fn(pc->conn, call)); /* libpq is busy and will refuse this */
	uint64_t t0 = cap_precise_ns();
	cap_sql_info *info = cap_sess_info();
	cap_plan plan;
	pq_plan(rt, pc, call, info, &plan);
	unsigned char kbuf[1024];
	cap_keymat km;
	cap_key key;
	int have_key = 0;
	if (plan.act == CAP_ACT_CACHE) {
		cap_keymat_init(&km, kbuf, sizeof(kbuf));
		have_key = pq_key(pc, call, &km, &key) == CAP_OK;
		if (have_key && plan.can_hit && hit_allowed(pc)) {
			pq_hitctx h = { pc->conn, NULL, &pc->pend_val };
			int r = cap_engine_get(rt->engine, &key, pq_hit_cb, &h);
			if (r == CAP_HIT_L1 || r == CAP_HIT_L2) {
				int rows = cap_pq_rows(pc->pend_val.data, pc->pend_val.len);
				int nonblocking = cap_pq.real_PQisnonblocking(pc->conn) || pc->ghost;
				pq_prep *up = NULL;
				if (rows >= 0 && call->extended && (up = unnamed_hit_prep(call)) == NULL)
					rows = -1; /* served, it would leave the unnamed statement wrong */
				/* a program that waits on the socket before it asks is woken by
				 * the waits themselves (preload/waits.h), else by an empty query */
				int fd = cap_pq.real_PQsocket(pc->conn);
				int held = rows >= 0 && cap_wait_hold(fd);
				if (rows >= 0 && (held || ghost_cover(pc))) {
					cap_keymat_done(&km);
					pend_clear(pc);
					pc->pend = 1;
					pc->pend_held = held;
					pc->pend_fd = fd;
					pc->pend_rows = rows;
					pc->pend_l2 = r == CAP_HIT_L2;
					pc->pend_followed = plan.followed;
					pc->pend_t0 = t0;
					pc->pend_shape = info->digest;
					if (up)
						unnamed_hit(pc, up);
					else if (pc->ghost)
						prep_drop(pc, "");
					else if (!held && nonblocking && call->stmt_name)
						unnamed_stale(pc); /* the empty query destroyed it */
					else if (!held && nonblocking)
						prep_drop(pc, "");
					return 1;
				}
				if (up)
					prep_free(up);
			}
		}
		if (!have_key) {
			plan.act = CAP_ACT_PASS;
			plan.reason = CAP_REASON_internal;
		} else if (plan.can_fill) {
			if (pc->standby)
				plan.can_fill = 0;
			else
				pq_orphans(rt, pc);
			cap_sess_deps(rt, &pc->sess, info, &cap_pqcat_ops, pc->cat, &plan);
		}
	}
	/* a miss, a write or a pass: remember it until PQgetResult returns NULL */
	ghost_drain(pc);
	if (pc->fl_info == NULL)
		pc->fl_info = malloc(sizeof(*pc->fl_info));
	/* the text goes with the statement to its end, where the session reads it again: a
	 * statement that cannot keep it is not tracked (fl_sql NULL with fl_sql_len set read
	 * past an empty string there) */
	char *sql = call->sql ? strndup(call->sql, call->sql_len) : NULL;
	if (pc->fl_info == NULL || (call->sql && sql == NULL)) {
		free(sql);
		if (plan.act == CAP_ACT_CACHE)
			cap_keymat_done(&km);
		cap_fail_open("tracking an asynchronous query", CAP_ENOMEM);
		if (plan.act == CAP_ACT_WRITE || plan.act == CAP_ACT_PASS)
			cap_sess_bump_db(rt, &pc->sess);
		return CAP_REAL(fn(pc->conn, call));
	}
	info_copy(pc->fl_info, info);
	pc->fl_plan = plan;
	pc->fl_sql = sql;
	pc->fl_sql_len = call->sql ? call->sql_len : 0;
	pc->fl_fill = 0;
	if (plan.act == CAP_ACT_CACHE && plan.can_fill && have_key) {
		pc->fl_key.len = 0;
		pc->fl_key.err = 0;
		cap_buf_put(&pc->fl_key, key.mat, key.len);
		pc->fl_hash = key.hash;
		pc->fl_fill = pc->fl_key.err == 0;
	}
	if (plan.act == CAP_ACT_CACHE)
		cap_keymat_done(&km);
	pc->fl_notices = rx_count(pc);
	pc->fl_t0 = t0;
	pc->fl_ok = 1;
	pc->fl_results = 0;
	if (call->stmt_name && call->stmt_name[0] == '\0') {
		PGresult *bad = unnamed_restore(pc);
		cap_pq.real_PQclear(bad); /* the server will say it has no unnamed statement */
	}
	int sent = CAP_REAL(fn(pc->conn, call));
	track_unnamed(pc, call);
	if (!sent) {
		fl_clear(pc);
		return 0;
	}
	pc->fl_active = 1;
	return 1;
}

/* The final step of an asynchronous statement (PQgetResult returned NULL). */
static void pq_finish_inflight(const cap_rt *rt, pq_conn *pc)
{
	pq_call call;
	memset(&call, 0, sizeof(call));
	call.sql = pc->fl_sql;
	call.sql_len = pc->fl_sql_len;
	if (pc->fl_prep) {
		if (pc->fl_ok && pc->fl_results == 1) {
			prep_add(pc, pc->fl_prep);
			pc->fl_prep = NULL;
		}
		fl_clear(pc);
		return;
	}
	pq_after(rt, pc, &call, pc->fl_info, &pc->fl_plan, pc->fl_ok && pc->fl_results > 0);
	enum cap_path path = pc->fl_plan.act == CAP_ACT_CACHE ? CAP_PATH_MISS : pass_path(&pc->fl_plan);
	pq_record(path, &pc->fl_plan, pc->fl_info, &call, pc->fl_t0);
	fl_clear(pc);
}

/* Account one result of an in-flight statement; fill the cache from a miss's result. */
static void pq_inflight_result(const cap_rt *rt, pq_conn *pc, const PGresult *res)
{
	ExecStatusType st = cap_pq.real_PQresultStatus(res);
	pc->fl_results++;
	if (!result_ok(res)) {
		pc->fl_ok = 0;
		pc->fl_plan.reason = CAP_REASON_error;
	}
	/* a write is bumped as soon as one of its results is final: a program may read it and
	 * never the closing NULL (it sends its next command, or finishes the connection) */
	if (pc->fl_plan.act == CAP_ACT_WRITE && pc->fl_prep == NULL && st != PGRES_COPY_IN &&
	    st != PGRES_COPY_OUT && st != PGRES_COPY_BOTH)
		cap_sess_bump(rt, &pc->sess, pc->fl_info, &pc->fl_plan, &cap_pqcat_ops, pc->cat);
	if (pc->fl_fill && st == PGRES_TUPLES_OK && pc->fl_results == 1 &&
	    pc->fl_notices == rx_count(pc)) {
		cap_key key = { pc->fl_hash, pc->fl_key.data, pc->fl_key.len };
		pq_fill(rt, pc, &key, &pc->fl_plan, res);
	}
	pc->fl_fill = 0;
}

/* Hand out the next piece of a pending hit. */
static PGresult *pq_pending_result(pq_conn *pc)
{
	if (pc->pend_done) {
		cap_plan plan;
		memset(&plan, 0, sizeof(plan));
		plan.is_read = 1;
		cap_qrec q = { pc->pend_l2 ? CAP_PATH_HIT_L2 : CAP_PATH_HIT_L1, CAP_REASON_none, 1,
			       cap_precise_ns() - pc->pend_t0, pc->pend_shape, NULL, 0, CAP_DIALECT_PG,
			       pc->pend_followed };
		cap_stats_record(&q);
		pend_clear(pc);
		return NULL;
	}
	PGresult *r;
	if (pc->pend_single && pc->pend_row < pc->pend_rows) {
		r = cap_pq_decode(pc->conn, pc->pend_val.data, pc->pend_val.len, PGRES_SINGLE_TUPLE,
				  pc->pend_row, 1);
		pc->pend_row++;
	} else {
		r = cap_pq_decode(pc->conn, pc->pend_val.data, pc->pend_val.len, PGRES_TUPLES_OK,
				  pc->pend_single ? pc->pend_rows : 0, pc->pend_single ? 0 : -1);
		pc->pend_done = 1;
	}
	return r;
}

/* ---- the interposed functions ----------------------------------------------------------------- */

/* Common entry test: 1 when the call must go straight to the real function. */
static inline int pq_bypass(const cap_rt **rtp)
{
	if (cap_guard || !cap_pq_resolve())
		return 1;
	const cap_rt *rt = cap_rt_get();
	if (!rt->invalidating)
		return 1;
	*rtp = rt;
	return 0;
}

CAP_EXPORT PGresult *PQexec(PGconn *conn, const char *query)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQexec ? CAP_REAL(cap_pq.real_PQexec(conn, query)) : NULL;
	pq_conn *pc = pq_find(conn, 1);
	if (pc && pc->pend && !pc->pend_empty)
		pend_clear(pc); /* a pending hit was never read: the program moved on */
	if (pc)
		pq_settle_inflight(rt, pc);
	ghost_drain(pc);
	if (pc == NULL || pc->fl_active || pc->pend || pipeline_on(conn)) {
		/* libpq refuses these (busy, pipeline) or we have no state: bump to be safe */
		PGresult *r = CAP_REAL(cap_pq.real_PQexec(conn, query));
		if (pc)
			cap_sess_bump_db(rt, &pc->sess);
		else
			cap_engine_bump_all(rt->engine);
		return r;
	}
	pq_call call = { query, strlen(query), NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0 };
	return pq_sync(rt, pc, &call, run_exec);
}

CAP_EXPORT PGresult *PQexecParams(PGconn *conn, const char *command, int nParams,
				  const Oid *paramTypes, const char *const *paramValues,
				  const int *paramLengths, const int *paramFormats, int resultFormat)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL || command == NULL || nParams < 0)
		return cap_pq.real_PQexecParams
			       ? CAP_REAL(cap_pq.real_PQexecParams(conn, command, nParams, paramTypes,
							      paramValues, paramLengths,
							      paramFormats, resultFormat))
			       : NULL;
	pq_conn *pc = pq_find(conn, 1);
	pq_call call = { command, strlen(command), NULL, nParams, paramTypes, paramValues,
			 paramLengths, paramFormats, resultFormat, 1, paramTypes ? nParams : 0 };
	if (pc && pc->pend && !pc->pend_empty)
		pend_clear(pc);
	if (pc)
		pq_settle_inflight(rt, pc);
	ghost_drain(pc);
	if (pc == NULL || pc->fl_active || pc->pend || pipeline_on(conn)) {
		PGresult *r = CAP_REAL(run_params(conn, &call));
		if (pc) {
			pc->unnamed_live = 1;
			cap_sess_bump_db(rt, &pc->sess);
		} else {
			cap_engine_bump_all(rt->engine);
		}
		return r;
	}
	return pq_sync(rt, pc, &call, run_params);
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
	if (pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQprepare
			       ? CAP_REAL(cap_pq.real_PQprepare(conn, stmtName, query, nParams, paramTypes))
			       : NULL;
	pq_conn *pc = pq_find(conn, 1);
	if (pc && pc->pend && !pc->pend_empty)
		pend_clear(pc);
	if (pc)
		pq_settle_inflight(rt, pc);
	ghost_drain(pc);
	snap_taken(pc);
	PGresult *res = CAP_REAL(cap_pq.real_PQprepare(conn, stmtName, query, nParams, paramTypes));
	if (pc && (stmtName == NULL || stmtName[0] == '\0'))
		pc->unnamed_live = 1;
	if (pc && res && cap_pq.real_PQresultStatus(res) == PGRES_COMMAND_OK) {
		pq_prep *p = prep_new(stmtName, query, nParams, paramTypes);
		if (p)
			prep_add(pc, p);
		else
			prep_drop(pc, stmtName ? stmtName : "");
	}
	return res;
}

static void prepared_call(pq_conn *pc, pq_call *call, const char *name, int nParams,
			  const char *const *values, const int *lengths, const int *formats,
			  int resultFormat)
{
	pq_prep *p = pc ? prep_find(pc, name ? name : "") : NULL;
	memset(call, 0, sizeof(*call));
	call->stmt_name = name ? name : "";
	call->nparams = nParams;
	call->values = values;
	call->lengths = lengths;
	call->formats = formats;
	call->result_format = resultFormat;
	if (p) {
		/* the parameter count need not match the prepare's (PQprepare(..., 0, NULL) and
		 * the server infers them): types given at prepare count, the rest are inferred */
		call->sql = p->sql;
		call->sql_len = strlen(p->sql);
		call->types = p->types;
		call->ntypes = p->types ? p->nparams : 0;
	}
}

CAP_EXPORT PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams,
				    const char *const *paramValues, const int *paramLengths,
				    const int *paramFormats, int resultFormat)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL || nParams < 0)
		return cap_pq.real_PQexecPrepared
			       ? CAP_REAL(cap_pq.real_PQexecPrepared(conn, stmtName, nParams, paramValues,
								paramLengths, paramFormats,
								resultFormat))
			       : NULL;
	pq_conn *pc = pq_find(conn, 1);
	pq_call call;
	prepared_call(pc, &call, stmtName, nParams, paramValues, paramLengths, paramFormats,
		      resultFormat);
	if (pc && pc->pend && !pc->pend_empty)
		pend_clear(pc);
	if (pc)
		pq_settle_inflight(rt, pc);
	ghost_drain(pc);
	if (pc == NULL || pc->fl_active || pc->pend || pipeline_on(conn)) {
		PGresult *r = CAP_REAL(run_prepared(conn, &call));
		if (pc == NULL)
			cap_engine_bump_all(rt->engine);
		else if (call.sql == NULL || !pipeline_on(conn))
			cap_sess_bump_db(rt, &pc->sess);
		return r;
	}
	return pq_sync(rt, pc, &call, run_prepared);
}

CAP_EXPORT int PQsendQuery(PGconn *conn, const char *query)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQsendQuery ? CAP_REAL(cap_pq.real_PQsendQuery(conn, query)) : 0;
	pq_conn *pc = pq_find(conn, 1);
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
	if (pq_bypass(&rt) || conn == NULL || command == NULL || nParams < 0)
		return cap_pq.real_PQsendQueryParams ? CAP_REAL(send_params(conn, &call)) : 0;
	pq_conn *pc = pq_find(conn, 1);
	if (pc == NULL)
		return CAP_REAL(send_params(conn, &call));
	return pq_send(rt, pc, &call, send_params);
}

CAP_EXPORT int PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
			     const Oid *paramTypes)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL || query == NULL)
		return cap_pq.real_PQsendPrepare
			       ? CAP_REAL(cap_pq.real_PQsendPrepare(conn, stmtName, query, nParams,
							       paramTypes))
			       : 0;
	pq_conn *pc = pq_find(conn, 1);
	if (pc && pc->pend && !pc->pend_empty)
		pend_clear(pc);
	if (pc)
		pq_settle_inflight(rt, pc);
	ghost_drain(pc);
	snap_taken(pc);
	if (pc == NULL || pc->pend || pc->fl_active || pipeline_on(conn)) {
		if (pc)
			prep_drop(pc, stmtName ? stmtName : ""); /* its fate will be unknown */
		if (pc && (stmtName == NULL || stmtName[0] == '\0'))
			pc->unnamed_live = 1;
		return CAP_REAL(cap_pq.real_PQsendPrepare(conn, stmtName, query, nParams, paramTypes));
	}
	pq_prep *p = prep_new(stmtName, query, nParams, paramTypes);
	int sent = CAP_REAL(cap_pq.real_PQsendPrepare(conn, stmtName, query, nParams, paramTypes));
	if (stmtName == NULL || stmtName[0] == '\0')
		pc->unnamed_live = 1;
	if (!sent || p == NULL) {
		if (p)
			prep_free(p);
		else
			prep_drop(pc, stmtName ? stmtName : "");
		return sent;
	}
	memset(&pc->fl_plan, 0, sizeof(pc->fl_plan));
	pc->fl_prep = p;
	pc->fl_sql = NULL;
	pc->fl_ok = 1;
	pc->fl_results = 0;
	pc->fl_fill = 0;
	pc->fl_active = 1;
	return sent;
}

CAP_EXPORT int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams,
				   const char *const *paramValues, const int *paramLengths,
				   const int *paramFormats, int resultFormat)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL || nParams < 0)
		return cap_pq.real_PQsendQueryPrepared
			       ? CAP_REAL(cap_pq.real_PQsendQueryPrepared(conn, stmtName, nParams,
								     paramValues, paramLengths,
								     paramFormats, resultFormat))
			       : 0;
	pq_conn *pc = pq_find(conn, 1);
	pq_call call;
	prepared_call(pc, &call, stmtName, nParams, paramValues, paramLengths, paramFormats,
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
	if (pq_bypass(&rt) || conn == NULL)
		return cap_pq.real_PQgetResult ? CAP_REAL(cap_pq.real_PQgetResult(conn)) : NULL;
	pq_conn *pc = pq_find(conn, 0);
	if (pc == NULL)
		return CAP_REAL(cap_pq.real_PQgetResult(conn));
	if (pc->pend) {
		if (!pc->pend_empty)
			return pq_pending_result(pc);
		/* nonblocking: swap the empty query's answer for the cached result */
		PGresult *r = CAP_REAL(cap_pq.real_PQgetResult(conn));
		if (r && cap_pq.real_PQresultStatus(r) == PGRES_EMPTY_QUERY && !pc->pend_done) {
			cap_pq.real_PQclear(r);
			return pq_pending_result(pc);
		}
		if (r == NULL) {
			if (!pc->pend_done) { /* the empty query failed to come back: the hit stands */
				PGresult *h = pq_pending_result(pc);
				if (h)
					return h;
			}
			pq_pending_result(pc); /* records and clears */
			return NULL;
		}
		return r; /* an error from the server (connection trouble): the program sees it */
	}
	if (pc->ghost) { /* the program's command is over: idle, as far as it can tell */
		ghost_absorb(pc);
		return NULL;
	}
	PGresult *r = CAP_REAL(cap_pq.real_PQgetResult(conn));
	if (r && pc->pipe_dirty && cap_pq.real_PQresultStatus(r) == PGRES_PIPELINE_SYNC)
		pipe_synced(rt, pc);
	if (!pc->fl_active)
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
		pq_conn *pc = pq_find(conn, 0);
		if (pc && ((pc->pend && !pc->pend_empty) || pc->ghost))
			return 0;
	}
	return cap_pq.real_PQisBusy ? CAP_REAL(cap_pq.real_PQisBusy(conn)) : 0;
}

CAP_EXPORT int PQconsumeInput(PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = pq_find(conn, 0);
		if (pc && pc->ghost) {
			/* a real read (notifications, and the program's "read, then wait" loop must
			 * drain the socket), then whatever completed of our answer is dropped */
			int ok = CAP_REAL(cap_pq.real_PQconsumeInput(conn));
			ghost_absorb(pc);
			return ok;
		}
		if (pc && pc->pend && !pc->pend_empty)
			return 1;
	}
	return cap_pq.real_PQconsumeInput ? CAP_REAL(cap_pq.real_PQconsumeInput(conn)) : 0;
}

CAP_EXPORT PGTransactionStatusType PQtransactionStatus(const PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = pq_find((PGconn *)conn, 0);
		if (pc && pc->pend && !pc->pend_empty)
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
		pq_conn *pc = pq_find((PGconn *)conn, 0);
		if (pc && pc->pend && !pc->pend_empty && !pc->ghost && !pc->pend_held && !pc->pend_done &&
		    pc->pend_row == 0 && CAP_REAL(cap_pq.real_PQsendQuery(pc->conn, ""))) {
			pc->pend_empty = 1;
			unnamed_stale(pc); /* the empty query destroyed it */
		}
	}
	return cap_pq.real_PQsocket ? cap_pq.real_PQsocket(conn) : -1;
}

CAP_EXPORT int PQsetSingleRowMode(PGconn *conn)
{
	if (!cap_guard && conn && cap_pq_resolve()) {
		pq_conn *pc = pq_find(conn, 0);
		if (pc && pc->pend && !pc->pend_done && pc->pend_row == 0 && !pc->pend_single) {
			pc->pend_single = 1;
			return 1;
		}
		if (pc && pc->fl_active)
			pc->fl_fill = 0; /* single-row results are not stored */
	}
	return cap_pq.real_PQsetSingleRowMode ? CAP_REAL(cap_pq.real_PQsetSingleRowMode(conn)) : 0;
}

CAP_EXPORT PQnoticeReceiver PQsetNoticeReceiver(PGconn *conn, PQnoticeReceiver proc, void *arg)
{
	if (cap_guard || conn == NULL || !cap_pq_resolve() || !cap_rt_get()->invalidating)
		return cap_pq.real_PQsetNoticeReceiver ? CAP_REAL(cap_pq.real_PQsetNoticeReceiver(conn, proc, arg))
						  : NULL;
	pq_conn *pc = pq_find(conn, 1);
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

/* pipe_prepare - pipeline mode can neither read the session's state back nor load a catalog,
 * and a pipelined read of a relation is taken for a write of the database while no catalog
 * says it is no view calling what writes (pq_send_pipeline): both are done now, while libpq is
 * idle, when due (a fresh connection), as pq_plan would before a read. Not while the server
 * may hold an unnamed statement of the program's: the queries would destroy it. */
static void pipe_prepare(PGconn *conn)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL)
		return;
	pq_conn *pc = pq_find(conn, 1);
	if (pc == NULL || pc->pend || pc->fl_active || pc->ghost || pc->unnamed_live ||
	    pipeline_on(conn))
		return;
	pq_call call = { "", 0, NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0 };
	if (pc->sess.probe_need && pc->sess.scope_unsure)
		pq_probe(pc, &call);
	cap_sql_info *info = cap_sess_info();
	info->kind = CAP_SQL_READ;
	info->nread = 1;
	info->nfunc = 0;
	pq_catalog(rt, pc, info);
}

/* These need libpq idle and are otherwise not ours to follow: our empty query goes first. */
CAP_EXPORT int PQenterPipelineMode(PGconn *conn)
{
	ghost_settle(conn);
	pipe_prepare(conn);
	return cap_pq.real_PQenterPipelineMode ? CAP_REAL(cap_pq.real_PQenterPipelineMode(conn)) : 0;
}

/* Describing the unnamed statement after a hit stood in for it: the server must have the
 * program's statement first. */
static PGresult *describe_unnamed(PGconn *conn, const char *stmt)
{
	const cap_rt *rt;
	if (pq_bypass(&rt) || conn == NULL || (stmt != NULL && stmt[0] != '\0'))
		return NULL;
	pq_conn *pc = pq_find(conn, 0);
	if (pc && pc->pend && !pc->pend_empty && !pc->ghost)
		pend_clear(pc);
	if (pc)
		pq_settle_inflight(rt, pc);
	if (pc == NULL || pc->pend || pc->fl_active || pipeline_on(conn))
		return NULL;
	return unnamed_restore(pc);
}

CAP_EXPORT int PQsendDescribePrepared(PGconn *conn, const char *stmt)
{
	ghost_settle(conn);
	if (!cap_guard && conn && cap_pq_resolve())
		snap_taken(pq_find(conn, 0));
	cap_pq.real_PQclear(describe_unnamed(conn, stmt)); /* the server will say it has none */
	return cap_pq.real_PQsendDescribePrepared
		       ? CAP_REAL(cap_pq.real_PQsendDescribePrepared(conn, stmt)) : 0;
}

CAP_EXPORT int PQsendDescribePortal(PGconn *conn, const char *portal)
{
	ghost_settle(conn);
	if (!cap_guard && conn && cap_pq_resolve())
		snap_taken(pq_find(conn, 0));
	return cap_pq.real_PQsendDescribePortal
		       ? CAP_REAL(cap_pq.real_PQsendDescribePortal(conn, portal)) : 0;
}

CAP_EXPORT PGresult *PQdescribePrepared(PGconn *conn, const char *stmt)
{
	ghost_settle(conn);
	if (!cap_guard && conn && cap_pq_resolve())
		snap_taken(pq_find(conn, 0));
	PGresult *bad = describe_unnamed(conn, stmt);
	if (bad)
		return bad;
	return cap_pq.real_PQdescribePrepared ? CAP_REAL(cap_pq.real_PQdescribePrepared(conn, stmt)) : NULL;
}

CAP_EXPORT PGresult *PQdescribePortal(PGconn *conn, const char *portal)
{
	ghost_settle(conn);
	if (!cap_guard && conn && cap_pq_resolve())
		snap_taken(pq_find(conn, 0));
	return cap_pq.real_PQdescribePortal ? CAP_REAL(cap_pq.real_PQdescribePortal(conn, portal)) : NULL;
}

/* The fast-path interface (large objects): libpq refuses it unless idle. */
CAP_EXPORT PGresult *PQfn(PGconn *conn, int fnid, int *result_buf, int *result_len,
			  int result_is_int, const PQArgBlock *args, int nargs)
{
	ghost_settle(conn);
	return cap_pq.real_PQfn ? CAP_REAL(cap_pq.real_PQfn(conn, fnid, result_buf, result_len, result_is_int,
						 args, nargs))
			   : NULL;
}

CAP_EXPORT int PQexitPipelineMode(PGconn *conn)
{
	int r = cap_pq_resolve() && cap_pq.real_PQexitPipelineMode ? CAP_REAL(cap_pq.real_PQexitPipelineMode(conn)) : 0;
	if (!cap_guard && conn && r) {
		pq_conn *pc = pq_find(conn, 0);
		if (pc && pc->pipe_dirty) {
			const cap_rt *rt = cap_rt_get();
			if (rt->engine)
				pipe_synced(rt, pc);
			pc->pipe_dirty = pc->pipe_cluster = 0;
		}
	}
	return r;
}

CAP_EXPORT void PQfinish(PGconn *conn)
{
	if (!cap_pq_resolve()) {
		if (cap_pq.real_PQfinish)
			cap_pq.real_PQfinish(conn);
		return;
	}
	if (conn && !cap_guard) {
		pq_conn *pc = pq_find(conn, 0);
		if (pc)
			pq_drop_inflight(cap_rt_get(), pc);
		pq_remove(conn);
		cap_wait_forget(cap_pq.real_PQsocket(conn));
	}
	CAP_REAL_VOID(cap_pq.real_PQfinish(conn));
}

CAP_EXPORT void PQreset(PGconn *conn)
{
	if (cap_pq_resolve() && conn && !cap_guard) {
		pq_conn *pc = pq_find(conn, 0);
		if (pc) {
			pq_drop_inflight(cap_rt_get(), pc);
			pq_forget_session(pc);
		}
		cap_wait_forget(cap_pq.real_PQsocket(conn));
	}
	if (cap_pq.real_PQreset)
		CAP_REAL_VOID(cap_pq.real_PQreset(conn));
}

CAP_EXPORT int PQresetStart(PGconn *conn)
{
	if (cap_pq_resolve() && conn && !cap_guard) {
		pq_conn *pc = pq_find(conn, 0);
		if (pc) {
			pq_drop_inflight(cap_rt_get(), pc);
			pq_forget_session(pc);
		}
		cap_wait_forget(cap_pq.real_PQsocket(conn));
	}
	return cap_pq.real_PQresetStart ? CAP_REAL(cap_pq.real_PQresetStart(conn)) : 0;
}

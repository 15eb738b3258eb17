/*
 * pq_conn.c - a libpq connection's state (pq_conn.h): kept in the connection table
 * (hooks/conntab) keyed by the PGconn pointer, created at the first statement and dropped by
 * PQfinish, started over by PQreset. Here too what the state reads from libpq itself: the
 * session's identity, the reported parameters, the transaction status, and the catalog for a
 * statement (loaded only while the connection is idle).
 */
#include "hooks/pq_conn.h"
#include "hooks/pq_connect.h"
#include "cache/fork.h"

static cap_conn_link *pq_create(const void *conn);
static void pq_fork_setup(void);
cap_conntab cap_pq_tab = CAP_CONNTAB_INIT(pq_fork_setup, pq_create);
__thread cap_conntab_tls cap_pq_tls __attribute__((tls_model("initial-exec")));

static void pq_prefork(void) { cap_conntab_lock(&cap_pq_tab); }
static void pq_postfork(void) { cap_conntab_unlock(&cap_pq_tab); }
static void pq_fork_setup(void)
{
	cap_fork_register(CAP_FORK_PQ, pq_prefork, pq_postfork, pq_postfork);
}

/* Records of finished connections' notice receivers (see pq_rx in pq_conn.h). */

static pq_rx *rx_retired;

__thread int cap_pq_quiet __attribute__((tls_model("initial-exec")));

static void pq_notice_rx(void *arg, const PGresult *res)
{
	pq_rx *rx = arg;
	if (cap_pq_quiet)
		return;
	__atomic_add_fetch(&rx->notices, 1, __ATOMIC_RELAXED);
	PQnoticeReceiver app = __atomic_load_n(&rx->app, __ATOMIC_ACQUIRE);
	if (app && !rx->mute)
		app(rx->app_arg, res);
}

void cap_pq_prep_free(pq_prep *p)
{
	free(p->name);
	free(p->sql);
	free(p->types);
	free(p);
}

void cap_pq_preps_clear(pq_conn *pc)
{
	while (pc->preps) {
		pq_prep *p = pc->preps;
		pc->preps = p->next;
		cap_pq_prep_free(p);
	}
}

/* Something we cannot see into (a function, DO, CALL, EXECUTE, a string with PREPARE or
 * DEALLOCATE) may have prepared or deallocated statements: forget every name, so that none is
 * answered by what we thought it was. A stale unnamed statement stays: only we know the server
 * must be given it again. */
void cap_pq_preps_forget(pq_conn *pc)
{
	for (pq_prep **pp = &pc->preps; *pp;) {
		pq_prep *p = *pp;
		if (p->stale && p->name[0] == '\0') {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		cap_pq_prep_free(p);
	}
}

static void sess_setup(pq_conn *pc)
{
	cap_connwatch_release(&pc->watch); /* a reset's socket is another */
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
	 * pg_stat_activity no longer lists it (cap_pq_orphans) */
	pc->sess.srv_session = cap_pq.real_PQbackendPID ? (uint64_t)cap_pq.real_PQbackendPID(pc->conn) : 0;
	cap_sess_unknown(&pc->sess, 0);
	pc->unnamed_live = 0; /* a new session has none; every call that makes one is ours */
	pc->unnamed_dead = 0;
	pc->params_dirty = 1;
	cap_pqcat_release(pc->cat);
	cap_pqcat_release(pc->last);
	pc->cat = pc->last = NULL;
}

/* A new connection's state (the table's create function, under its lock). */
static cap_conn_link *pq_create(const void *key)
{
	PGconn *conn = (PGconn *)key;
	pq_conn *pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		return NULL;
	pc->conn = conn;
	cap_buf_init(&pc->held.val, 0);
	cap_buf_init(&pc->fl.key, 0);
	sess_setup(pc);
	pc->rx = calloc(1, sizeof(*pc->rx));
	if (pc->rx) {
		/* libpq's default receiver takes no argument */
		pc->rx->app = cap_pq.real_PQsetNoticeReceiver(conn, pq_notice_rx, pc->rx);
	}
	return &pc->link;
}

void cap_pq_held_clear(pq_conn *pc)
{
	if (pc->held.waits)
		cap_wait_release(pc->held.fd);
	pc->held.waits = 0;
	pc->held.on = pc->held.empty = pc->held.single = pc->held.done = pc->held.ready = 0;
	pc->held.row = pc->held.rows = 0;
}

void cap_pq_fl_clear(pq_conn *pc)
{
	pc->fl.active = 0;
	free(pc->fl.sql);
	pc->fl.sql = NULL;
	if (pc->fl.prep) {
		cap_pq_prep_free(pc->fl.prep);
		pc->fl.prep = NULL;
	}
}

/* Drop everything known about the session (PQreset): the receiver stays installed. */
void cap_pq_forget_session(pq_conn *pc)
{
	pc->listening = LISTEN_NO;
	pc->ghost = 0; /* the connection it was sent on is closed */
	cap_pq_cp_drop(pc);
	cap_pq_held_clear(pc);
	cap_pq_fl_clear(pc);
	cap_pq_preps_clear(pc);
	cap_sess_abandon(cap_rt_get(), &pc->sess);
	cap_sess_free(&pc->sess);
	sess_setup(pc);
}

void cap_pq_remove(PGconn *conn)
{
	pq_conn *pc = (pq_conn *)cap_conntab_remove(&cap_pq_tab, &cap_pq_tls, conn);
	if (pc == NULL)
		return;
	cap_pq_held_clear(pc);
	cap_pq_fl_clear(pc);
	cap_pq_preps_clear(pc);
	cap_pq_cp_drop(pc);
	cap_sess_abandon(cap_rt_get(), &pc->sess);
	cap_sess_free(&pc->sess);
	cap_buf_free(&pc->held.val);
	cap_buf_free(&pc->fl.key);
	cap_pqcat_release(pc->cat);
	cap_pqcat_release(pc->last);
	cap_connwatch_release(&pc->watch);
	if (pc->rx) {
		cap_conntab_lock(&cap_pq_tab);
		pc->rx->next = rx_retired;
		rx_retired = pc->rx;
		cap_conntab_unlock(&cap_pq_tab);
	}
	free(pc->fl.info);
	free(pc);
}

static const char *const pq_param_names[] = {
	"session_authorization", "is_superuser", "client_encoding", "DateStyle", "IntervalStyle",
	"TimeZone", "standard_conforming_strings", "integer_datetimes", "server_version",
	"search_path", "in_hot_standby",
};


void cap_pq_refresh_params(pq_conn *pc)
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


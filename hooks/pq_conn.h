/*
 * pq_conn.h - what the libpq hooks' files share (hooks/pq*.c): a connection's state, a call's
 * arguments, the connection table, and the functions one file offers the others.
 *
 *   pq_conn.c   the state: the table (hooks/conntab), notice forwarding, the session's
 *               identity, reported parameters, transaction status
 *   pq_prep.c   prepared statements: the records, the unnamed statement
 *   pq_probe.c  queries of ours on the program's connection: the session read-back,
 *               catalog loading, LISTEN state, dead writers' orphaned markers
 *   pq_sync.c   the query driver's port (hooks/exec) and the synchronous path
 *   pq_async.c  the asynchronous API: held hits, the nonblocking ghost, statements in
 *               flight, pipeline mode
 *   pq.c        the overview, and the interposed functions that are not the asynchronous
 *               API's: PQexec*, PQprepare, the describe calls, the connection's life
 *
 * Each file calls only the files listed before it; pq_probe.h and pq_async.h declare what
 * those two offer the files above them. Each function's comment is at its definition.
 */
#ifndef CAP_PQ_CONN_H
#define CAP_PQ_CONN_H

#include "hooks/connwatch.h"
#include "hooks/conntab.h"
#include "hooks/exec.h"
#include "hooks/pq_catalog.h"
#include "hooks/pq_codec.h"
#include "hooks/pq_real.h"
#include "hooks/session.h"
#include "cache/cap.h"
#include "preload/resolve.h"
#include "preload/waits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CAP_EXPORT __attribute__((visibility("default")))

typedef struct pq_prep {
	struct pq_prep *next;
	char *name;
	char *sql;
	int nparams;
	Oid *types; /* nparams entries, or NULL */
	int stale;  /* "" only: the server's unnamed statement is not this one (a hit stood in for
		     * the program's PQexecParams, or a simple query of ours destroyed it); it is
		     * prepared again before the program uses it (cap_pq_unnamed_restore) */
} pq_prep;

/* A connection's session state is read back at least this often (at its next statement
 * after that): a configuration reload made elsewhere changes settings no report shows. */
#define CAP_PQ_REPROBE_NS (60ull * 1000000000ull)

/* pq_conn.listening */
enum { LISTEN_NO = 0, LISTEN_YES, LISTEN_MAYBE /* ran LISTEN/UNLISTEN or code we cannot see:
						* asked from the server before the next hit */ };

/* A hit of the asynchronous API, held until PQgetResult has handed it out (pq_async.c). */
typedef struct pq_held {
	int on;                    /* 1 while a cached answer is being handed out */
	int empty;                 /* blocking, PQsocket asked: an empty query was sent for it */
	int single;                /* single-row mode was asked for */
	int row, rows;             /* next row to hand out in single-row mode */
	int done;                  /* the final result went out; next PQgetResult gives NULL */
	int ready;                 /* PQisBusy since the last piece went out:
				    * libpq would have the next one parsed and waiting */
	int l2;                    /* served from the shared tier (stats) */
	int followed;              /* the plan's followed (stats) */
	int waits, fd;             /* the program's waits see fd ready (preload/waits.h) */
	uint64_t t0, shape;        /* for its statistics line, recorded when handed out */
	cap_buf val;               /* the cached value, decoded in pieces */
} pq_held;

/* A statement in flight on the asynchronous API (a miss, a write, or a PQsendPrepare),
 * followed until PQgetResult returns NULL (pq_async.c). */
typedef struct pq_flight {
	int active;
	int ok;                    /* every result so far was a success */
	int fill;                  /* its first result may be stored under key */
	int results;               /* results seen */
	unsigned notices;          /* notices counted when it was sent */
	uint64_t t0;
	cap_plan plan;
	cap_sql_info *info;        /* allocated on first use */
	char *sql;
	size_t sql_len;
	cap_buf key;               /* key material of a miss to fill */
	cap_hash hash;
	pq_prep *prep;             /* PQsendPrepare awaiting its result */
} pq_flight;

enum { PQ_CP_NONE, PQ_CP_PROBE, PQ_CP_CATALOG };

typedef struct pq_conn {
	cap_conn_link link;        /* first: the table's chain, keyed by conn */
	PGconn *conn;
	cap_sess sess;
	int params_dirty;          /* re-read ParameterStatus before the next lookup */
	uint64_t params_h;         /* their hash when last read (0: not yet) */
	uint64_t probe_ns;         /* cap_now_ns of the last read-back */
	uint64_t contact_ns;       /* cap_now_ns when a statement was last sent (pq_idle.c) */
	uint32_t idle_txn_ms;      /* the session's idle_in_transaction_session_timeout, and */
	uint32_t idle_ms;          /* idle_session_timeout, as last read back (0: none) */
	int err_masked;            /* a hit was served: libpq's error message then (its length
				    * and hash) reads as "" (pq_errmsg.c) */
	size_t err_len;
	uint64_t err_hash;
	uint64_t orphan_next;      /* cap_pq_orphans asks the server again from then on */
	cap_pqcat *cat;            /* current, or NULL */
	cap_pqcat *last;           /* the one before, while no current one could be had */
	struct pq_rx *rx;          /* notice forwarding (outlives this state: see pq_rx) */
	int standby;               /* the server is a hot standby: never fill from it */
	int traced;                /* PQtrace is on: the program sees every message on the
				    * connection, so none of ours is sent (no read-back, no
				    * catalog load) and nothing is cached or served; writes
				    * still invalidate (unbounded ones, everything) */
	int events;                /* an event procedure was registered (PQregisterEventProc):
				    * it sees every result made on the connection, so the
				    * connection is passed through as a traced one is, for
				    * good (libpq cannot unregister one); see cap_pq_observed */
	int unnamed_live;          /* the server may hold an unnamed prepared statement the
				    * program made (its last such call used the extended protocol) */
	int unnamed_dead;          /* a hit stood in for a simple query, which destroys the
				    * unnamed statement: the program has none, the server may still
				    * (cap_pq_unnamed_simple_hit) */
	int pipe_cluster;          /* a pipeline sent something that may change roles or
				    * databases: bump the server at each sync point */
	pq_held held;              /* a hit of the asynchronous API, held for PQgetResult */
	/* nonblocking hits: an empty query of ours is outstanding (see ghost_cover) */
	int ghost;
	PGTransactionStatusType ghost_txn; /* the transaction status it was sent in */
	int cp;                    /* PQ_CP_*: the ghost is a new connection's read-back or
				    * catalog query, sent from PQconnectPoll (pq_connect.c) */
	PGresult *cp_last;         /* the read-back's answer so far */
	cap_pqcat_rx cp_rx;        /* the catalog query's results so far */
	pq_flight fl;              /* a statement in flight on the asynchronous API */
	/* prepared statements, by name ("" is the unnamed one) */
	pq_prep *preps;
	int pipe_dirty;            /* a pipeline sent something that may write */
	int listening;             /* LISTEN_*: a listening connection gets no hits (they would
				    * not deliver the notifications a round trip reads) */
	cap_connwatch watch;       /* the server closed the socket: no hits (hooks/connwatch);
				    * a reset starts it over */
} pq_conn;

/* cap_pq_closed - the server has closed pc's socket (hooks/connwatch saw it): no hit, and no
 * query of ours goes first, where it would take the error the program's own statement gets
 * without Capacitor. */
static inline int cap_pq_closed(pq_conn *pc)
{
	return !cap_connwatch_open(&pc->watch, cap_pq.real_PQsocket(pc->conn));
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

typedef PGresult *(*pq_sync_fn)(PGconn *conn, const pq_call *call);
typedef int (*pq_send_fn)(PGconn *conn, const pq_call *call);

typedef struct pq_x {
	cap_exec x;
	pq_conn *pc;
	const pq_call *call;
	pq_sync_fn run;          /* sync */
	pq_send_fn send;         /* async */
	PGresult *res;           /* sync: the program's answer */
	pq_prep *up;             /* sync: the unnamed statement a hit stands in for */
	unsigned notices;        /* notices before a miss ran (one that drew one is not stored) */
	int sent;                /* async: what PQsendQuery* returned */
} pq_x;

/* ---- pq_conn.c: the state ---------------------------------------------------------------- */

extern cap_conntab cap_pq_tab;
extern __thread cap_conntab_tls cap_pq_tls __attribute__((tls_model("initial-exec")));
/* Set while a query of ours runs on the program's connection: its notices are ours. */
extern __thread int cap_pq_quiet __attribute__((tls_model("initial-exec")));

void cap_pq_prep_free(pq_prep *p);
void cap_pq_preps_clear(pq_conn *pc);
void cap_pq_preps_forget(pq_conn *pc);
void cap_pq_held_clear(pq_conn *pc);
void cap_pq_fl_clear(pq_conn *pc);
void cap_pq_forget_session(pq_conn *pc);
void cap_pq_remove(PGconn *conn);
void cap_pq_refresh_params(pq_conn *pc);

/* ---- pq_prep.c: prepared statements ------------------------------------------------------ */

pq_prep *cap_pq_prep_find(pq_conn *pc, const char *name);
void cap_pq_prep_drop(pq_conn *pc, const char *name);
void cap_pq_prep_add(pq_conn *pc, pq_prep *p);
int cap_pq_mentions_prepared(const char *sql, size_t len);
int cap_pq_mentions_listen(const char *sql, size_t len);
void cap_pq_unnamed_stale(pq_conn *pc);
void cap_pq_track_unnamed(pq_conn *pc, const pq_call *call);
pq_prep *cap_pq_unnamed_hit_prep(pq_conn *pc, const pq_call *call);
void cap_pq_unnamed_hit(pq_conn *pc, pq_prep *p);
void cap_pq_unnamed_hit_unused(pq_conn *pc, pq_prep *p);
PGresult *cap_pq_unnamed_restore(pq_conn *pc);
void cap_pq_unnamed_simple_hit(pq_conn *pc);
void cap_pq_prepared_call(pq_conn *pc, pq_call *call, const char *name, int nParams,
	const char *const *values, const int *lengths, const int *formats, int resultFormat);
pq_prep *cap_pq_prep_new(const char *name, const char *sql, int nparams, const Oid *types);

/* ---- pq_idle.c: the server's idle timeouts ------------------------------------------------ */

void cap_pq_contact(pq_conn *pc);
void cap_pq_idle_set(pq_conn *pc, const char *v);
int cap_pq_idle_ok(const pq_conn *pc);
int cap_pq_idle_named(const char *sql, size_t len);

/* ---- pq_errmsg.c: PQerrorMessage after a hit --------------------------------------------- */

void cap_pq_err_hit(pq_conn *pc);

/* ---- pq_sync.c: the driver's port and the synchronous path ------------------------------- */

cap_pqcat *cap_pq_plan(const cap_rt *rt, pq_conn *pc, const pq_call *call, cap_sql_info *info,
	cap_plan *plan);
int cap_pq_result_ok(const PGresult *r);
void cap_pq_fill(const cap_rt *rt, const cap_key *key, cap_plan *plan, const PGresult *res);
void cap_pq_info_copy(cap_sql_info *dst, const cap_sql_info *src);
void cap_pq_after(const cap_rt *rt, pq_conn *pc, const pq_call *call, const cap_sql_info *info,
	const cap_plan *plan, int ok);
void cap_pqx_plan(cap_exec *x);
int cap_pqx_key(cap_exec *x, cap_keymat *km);
void cap_pqx_miss(cap_exec *x);
void cap_pqx_after(cap_exec *x);
PGresult *cap_pq_sync(const cap_rt *rt, pq_conn *pc, const pq_call *call, pq_sync_fn fn);

/* cap_pq_find - the state of conn, created when create is set; NULL if none / no memory. */
static inline pq_conn *cap_pq_find(PGconn *conn, int create)
{
	return (pq_conn *)cap_conntab_find(&cap_pq_tab, &cap_pq_tls, conn, create);
}

/* Common entry test: 1 when the call must go straight to the real function. */
static inline int cap_pq_bypass(const cap_rt **rtp)
{
	return cap_exec_bypass(cap_pq_resolve, rtp);
}

/* ---- small tests the hit path makes, inline ----------------------------------------------- */

/* The lexer cannot read text in a client encoding whose multibyte characters may hold ASCII
 * bytes (cache/sql.h): libpq's client-only encodings, numbered after every server encoding
 * (PG_SJIS = 35 ... PG_SHIFT_JIS_2004 = 41, stable since PostgreSQL 8.3; libpq follows the
 * server's reports of client_encoding). Pure ASCII text reads the same in all of them. */
#define CAP_PQ_FIRST_CLIENT_ONLY_ENCODING 35
static inline int cap_pq_text_unreadable(pq_conn *pc, const char *sql, size_t len)
{
	return cap_pq.real_PQclientEncoding(pc->conn) >= CAP_PQ_FIRST_CLIENT_ONLY_ENCODING &&
	       !cap_sql_ascii(sql, len);
}

/* cap_pq_observed - the program sees what happens on the connection (PQtrace, an event
 * procedure): no query of ours may run there, and nothing is cached or served. Every
 * connection is taken for one once a PQtrace or a registration could not be recorded (no
 * memory for the connection's state): which connection it was is not known. */
extern int cap_pq_observed_all;
static inline int cap_pq_observed(const pq_conn *pc)
{
	return pc->traced | pc->events | __atomic_load_n(&cap_pq_observed_all, __ATOMIC_RELAXED);
}

static inline unsigned cap_pq_rx_count(const pq_conn *pc)
{
	return pc->rx ? __atomic_load_n(&pc->rx->notices, __ATOMIC_RELAXED) : 0;
}

/* cap_pq_in_txn_now - 0 outside a transaction block, 1 inside, 2 inside a failed one. While our
 * empty query is outstanding libpq says "active": the status it was sent in still holds. */
static inline int cap_pq_in_txn_now(const pq_conn *pc)
{
	PGTransactionStatusType t =
		pc->ghost ? pc->ghost_txn : cap_pq.real_PQtransactionStatus(pc->conn);
	return t == PQTRANS_INTRANS ? 1 : t == PQTRANS_INERROR ? 2 : 0;
}

static inline int cap_pq_pipeline_on(const PGconn *conn)
{
	return cap_pq.real_PQpipelineStatus && cap_pq.real_PQpipelineStatus(conn) != PQ_PIPELINE_OFF;
}

#endif

/*
 * session.h - what both hooks (libpq and Connector/C) decide the same way: for one statement
 * on one connection, may the cache answer it, may its result be stored, what must a write
 * invalidate, and how do transactions and session changes move the connection's state.
 *
 * A hook embeds a cap_sess in its per-connection state, classifies each statement
 * (cache/sql, through cache/sqlmemo), asks cap_sess_plan what to do, and reports the outcome
 * with cap_sess_after (the query driver, hooks/exec, runs these steps for every path). Library-specific knowledge (the server's catalog: views, triggers,
 * cascading foreign keys, function volatility) comes through cap_catalog_ops.
 *
 * Transaction rules (DESIGN.md, contract point 2):
 *  - outside a transaction block: hits and fills;
 *  - READ COMMITTED, before the transaction did anything but plain reads: hits and fills;
 *  - REPEATABLE READ / SERIALIZABLE / unknown level: nothing, unless CAPACITOR_TXN=
 *    read-committed, which allows hits (never fills: a snapshot older than the generations
 *    read now would store stale data as fresh);
 *  - after a write (or anything but a plain read) until the transaction ends: nothing;
 *  - tables written in a transaction are bumped at each write and again when it ends.
 */
#ifndef CAP_SESSION_H
#define CAP_SESSION_H

#include "cache/clock.h"
#include "cache/engine.h"
#include "cache/key.h"
#include "cache/sql.h"
#include "cache/stats.h"
#include "preload/runtime.h"

#include <time.h>

/* Function volatility as a catalog reports it. */
enum cap_fn_class { CAP_FN_UNKNOWN = 0, CAP_FN_IMMUTABLE, CAP_FN_STABLE, CAP_FN_VOLATILE };

typedef struct cap_catalog_ops {
	/* Add deps for every relation info reads, expanding views to their base tables. CAP_OK,
	 * or a negative code with *why set when some relation may not be cached. */
	int (*read_deps)(void *cat, cap_engine *e, const cap_sql_info *info, cap_deps *d,
			 enum cap_reason *why);
	/* Volatility of a (possibly schema-qualified) function name. */
	enum cap_fn_class (*func_class)(void *cat, const char *name, size_t n);
	/* Bump everything a successful write described by info may have changed (its tables,
	 * cascading foreign keys, partitions and parents), or the whole database when triggers,
	 * rules or unknown relations make that unknowable. */
	void (*write_bump)(void *cat, cap_engine *e, uint64_t scope, const cap_sql_info *info);
	/* Whether running info may write through what it reads (a view whose definition calls a
	 * function that may write): then it is planned as a statement that calls such a
	 * function (fn_may_write). NULL: reading never writes. */
	int (*reads_may_write)(void *cat, const cap_sql_info *info);
	/* Whether a follower's change stream may miss writes to something info reads (PostgreSQL:
	 * an UNLOGGED table, also behind a view or a parent): such a read is never covered by a
	 * follower (CAPACITOR_FOLLOW). Called on the hit path: no system call, no lock. NULL:
	 * the stream carries every write. */
	int (*reads_uncoverable)(void *cat, const cap_sql_info *info);
	/* Whether the server may write something info reads by itself, with no client statement
	 * for Capacitor to see (a MariaDB event's body): such a read is cached only while a live
	 * follower covers it. Called on the hit path: no system call, no lock. NULL: the server
	 * writes nothing by itself. */
	int (*reads_server_written)(void *cat, const cap_sql_info *info);
} cap_catalog_ops;

typedef struct cap_sess {
	enum cap_dialect dialect;
	uint64_t scope;        /* database epoch scope: hash of the database name */
	uint64_t ident_base;   /* hash of the server identity and user */
	cap_hash ident;        /* ident_base + current database: the key prefix */
	uint64_t params_hash;  /* hook-reported session parameters (cap_sess_set_params) */
	uint64_t fp;           /* session fingerprint: hook-reported parameters + SET history */
	uint64_t fp_sets;      /* hash chain of session-changing statements since the start */
	int disabled;          /* a session change that cannot be followed: no caching */
	/* transaction tracking */
	int in_txn;            /* the server reports an open transaction block */
	int txn_snap;          /* the open transaction may hold its snapshot: a statement
				* other than BEGIN or a plain SET ran in it. Until then its
				* first query takes the snapshot, at any level, and reads the
				* latest committed data, as outside a transaction */
	int txn_tainted;       /* it did something other than plain reads */
	int plan_in_txn;       /* in_txn as given to the last cap_sess_plan */
	uint64_t nonce_ctr;    /* feeds the unique fingerprint folds */
	int lazy_deps;         /* the hook calls cap_sess_deps itself, on a miss only; otherwise
				* cap_sess_plan reads the dependencies of every fillable plan */
	enum cap_sql_iso txn_iso;  /* level of the open transaction (NONE: session default) */
	enum cap_sql_iso sess_iso; /* session default; CAP_ISO_UNKNOWN until known */
	int sess_iso_known;    /* sess_iso was set by the hook (server default) or by a SET; 0
				* after RESET ALL: the hook should apply the server default again */
	/* MySQL's isolation rules (cap_sess_stmt_begin / cap_sess_stmt_end) */
	enum cap_sql_iso txn_pin;   /* level of the open transaction; NONE: none seen open */
	enum cap_sql_iso one_shot;  /* SET TRANSACTION ISOLATION LEVEL pending; NONE: none */
	int one_shot_sure;          /* 1: certainly still pending; 0: may have been used up */
	int pre_in_trans;           /* before the statement in flight: a transaction was open */
	enum cap_sql_iso pre_level; /* and the level a transaction it opens gets */
	/* reading the state back (DESIGN.md contract point 7) */
	int probe;             /* the hook reads the session state back from the server
				* (cap_sess_probed): a change the text cannot prove asks for that */
	int probe_need;        /* the state is unknown until the hook reads it back; until
				* then the fingerprint is one no other connection has */
	int scope_unsure;      /* the database's identity is not known: what would bump the
				* database or the server bumps everything */
	int wset_cluster;      /* the open transaction changed what every database shares */
	uint32_t cluster_len;
	char cluster[32];      /* generation slot of the server (every database of it): roles,
				* memberships and databases; empty: none (the database scope) */
	/* CAPACITOR_FOLLOW (cache/follow.h) */
	uint64_t follow_ident; /* cap_follow_ident of the server (and database); 0 unknown */
	uint64_t instance;     /* the running server (cap_sess_set_instance); 0 unknown */
	int follow_idx;        /* the registry entry following it, -1 none */
	uint32_t follow_gen;   /* cap_follow_table_gen() + 1 when follow_idx was found; 0 never */
	int covered;           /* the last plan's p->covered: keys of covered entries differ */
	/* tables written by the open transaction, bumped again when it ends */
	char **wset;
	uint32_t nwset, capwset;
	int wset_db;           /* the open transaction did something whose tables are unknown */
	int txn_ddl;           /* the open transaction ran DDL: catalogs reload after it ends */
	/* writes in flight (cache/engine.h): the marker held from before a write is sent until
	 * its bumps after it, or until the transaction it is part of ended */
	cap_mark mark;
	int mark_keep;         /* the hook has more statements in flight (a pipeline): the
				* marker stays after this one */
	uint64_t srv_session;  /* the server's id of this session (backend pid, thread id), set
				* by the hook: an orphaned marker is resolved once it is gone */
	/* temporary tables created in this session (bare names, folded) */
	char **temps;
	uint32_t ntemps, captemps;
} cap_sess;

/* What to do with one statement. */
enum cap_act {
	CAP_ACT_PASS = 0, /* send it, touch nothing (reason says why, for stats) */
	CAP_ACT_CACHE,    /* a cacheable read: look up if can_hit, store the result if can_fill */
	CAP_ACT_WRITE     /* send it; on success bump what it may have changed */
};

typedef struct cap_plan {
	enum cap_act act;
	int can_hit;
	int can_fill;
	int is_read;           /* for stats */
	int fn_may_write;      /* calls a function that may write: bump the database after */
	uint32_t safe_funcs;   /* bit i: info->func[i] is declared safe by the rules file (the
				* user vouches that it neither writes nor changes the session) */
	enum cap_reason reason; /* why not cached (PASS, or CACHE with !can_hit) */
	int followed;          /* a live follower covers the session's database (not with off) */
	int covered;           /* followed and CAPACITOR_TTL set: the entry is stored without
				* CAPACITOR_TTL, under a key only looked up while followed */
	uint64_t ttl_ns;
	cap_deps deps;         /* for CACHE with can_fill: filled by cap_sess_deps on a miss,
				* before the statement is sent */
} cap_plan;

/* cap_sess_init - a fresh session state. ident_parts is the server identity material
 * ("pg\0host\0port\0db\0user" or similar), db the database name (scope). */
void cap_sess_init(cap_sess *s, enum cap_dialect d, const void *ident, size_t ident_len,
		   const char *db, size_t db_len);
/* cap_sess_free - release what the state holds (write set, temp names). */
void cap_sess_free(cap_sess *s);
/* cap_sess_set_db - the current database changed (MySQL USE / mysql_select_db). */
void cap_sess_set_db(cap_sess *s, const char *db, size_t n);

/* Reading the state back. A hook that can read the session's state on the program's own
 * connection sets s->probe and calls cap_sess_unknown at the start; cap_sess_after then asks
 * for a read-back (s->probe_need) after what the text cannot prove, and the hook reads the
 * state and reports it with cap_sess_probed. PostgreSQL (before its next read, where it can do
 * so invisibly): only one plain SET outside a transaction that succeeded is folded by its
 * text (its SET is transactional: one inside a transaction block may be rolled back);
 * anything else makes the state unknown. MySQL (hooks/session_my.c; before the next cacheable
 * read, in a transaction too): every session change but an autocommit switch asks for a
 * read-back, and until then the text keys the connection (no read uses that key: the
 * read-back comes first). */

/* cap_sess_set_identity - the server's and the database's own identifiers (a PostgreSQL
 * cluster's system_identifier with the postmaster's start, the database oid), read from the
 * server: they make the key prefix, the database scope and the server's generation slot, so
 * a database dropped and re-created under its name shares nothing with the old one, nor a
 * server restarted (restored in place) with the one before. */
void cap_sess_set_identity(cap_sess *s, const void *server, size_t server_len, const void *db,
			   size_t db_len);
/* cap_sess_set_instance - a hash of what tells the running server from a copy of it that
 * shares its identifiers (PostgreSQL: the cluster's system_identifier and the postmaster's
 * start); 0 unknown. It is part of cap_sess_server: a dead writer's marker is resolved only by
 * a session of the server that ran the write, not by a copy, where its session never was. */
void cap_sess_set_instance(cap_sess *s, uint64_t instance);
/* cap_sess_set_follow - the identity a follower of the session's server (and database) would
 * publish (cap_follow_ident), read from the server with the rest of the session; 0 unknown.
 * Looks for followers in CAPACITOR_DIR (at most once a second; a probe is a round trip
 * already), so that a short-lived program's first read finds one. */
void cap_sess_set_follow(const cap_rt *rt, cap_sess *s, uint64_t ident);
/* cap_sess_unknown - the session state is unknown (a change the text cannot prove, pipeline
 * mode, a new connection): no entry is shared until cap_sess_probed; the isolation level is
 * the strictest until then, also for the open transaction when txn_too. */
void cap_sess_unknown(cap_sess *s, int txn_too);
/* cap_sess_probed - the state read back: state hashes everything that changes results
 * (roles, settings, resolved search path), iso is the session default isolation level. */
void cap_sess_probed(cap_sess *s, uint64_t state, enum cap_sql_iso iso);
/* cap_sess_bump_db / cap_sess_bump_cluster - invalidate the connection's database, or
 * every database of its server (everything while the identity is unknown). */
void cap_sess_bump_db(const cap_rt *rt, const cap_sess *s);
void cap_sess_bump_cluster(const cap_rt *rt, const cap_sess *s);

/* cap_sess_info - this thread's classification buffer (cap_sql_info is large). */
cap_sql_info *cap_sess_info(void);

/* cap_sess_plan - decide for the statement classified in info. in_txn is what the server
 * reports right now (before the statement is sent): 0 no transaction block, 1 in one, 2 in a
 * failed one (PostgreSQL's INERROR: every statement gets an error, so nothing may hit). cat
 * may be NULL (no catalog: reads are not cached, writes bump the whole database). */
void cap_sess_plan(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, int in_txn,
		   const cap_catalog_ops *ops, void *cat, cap_plan *p);

/* Statement brackets, for MySQL's isolation rules. SET TRANSACTION ISOLATION LEVEL x sets the
 * level of the next transaction only, and that one starts when a statement first touches a
 * transactional table, which the hook cannot see; SET SESSION TRANSACTION applies from the next
 * transaction on, never to the open one. So the level of a transaction is pinned when the
 * server first reports it open. A hook calls cap_sess_stmt_begin before cap_sess_plan (also
 * for a statement it may serve from the cache) with server_in_trans, the server's own
 * "transaction open" flag (not "autocommit off"), and cap_sess_stmt_end after cap_sess_after,
 * or after serving a hit (info and p NULL when the statement is not at hand), with that flag
 * after the statement. For PostgreSQL both do nothing: its level is fixed when the
 * transaction starts and cap_sess_after follows it. (MySQL's rules: hooks/session_my.c.) */
void cap_sess_stmt_begin(cap_sess *s, int server_in_trans);
void cap_sess_stmt_end(cap_sess *s, const cap_sql_info *info, const cap_plan *p, int ok,
		       int server_in_trans);

/* cap_sess_ended - the server ended the session's transaction itself and answered so (MySQL
 * change_user, reset_connection): bump what it wrote, clear its write marker, free. */
void cap_sess_ended(const cap_rt *rt, cap_sess *s);
/* cap_sess_lost - the server session behind the connection ended (a reconnect, a change of
 * user, a reset): the server rolled back the open transaction, and what it wrote is bumped to
 * be safe. The state is released; the hook starts it again with cap_sess_init. */
void cap_sess_lost(const cap_rt *rt, cap_sess *s);

/* cap_sess_deps - on a miss of a plan with can_fill, read the generations the entry will
 * depend on (before the statement is sent: DESIGN.md contract point 5), expanding views
 * through the catalog. Clears can_fill (with p->reason) when a relation may not be cached. */
void cap_sess_deps(const cap_rt *rt, const cap_sess *s, const cap_sql_info *info,
		   const cap_catalog_ops *ops, void *cat, cap_plan *p);

/* cap_sess_key - start the key: identity, fingerprint, dialect. The hook appends the
 * statement text, parameters and result format, then calls cap_keymat_finish. */
void cap_sess_key(const cap_sess *s, cap_keymat *km);

/* cap_sess_after - account a finished statement sql[0..len): ok is whether the server
 * reported success; in_txn is the server's transaction state after it. Bumps what a
 * successful write changed (again when a transaction ends), tracks transactions, temporary
 * tables and session changes. */
void cap_sess_after(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, const cap_plan *p,
		    const char *sql, size_t len, int ok, int in_txn, const cap_catalog_ops *ops,
		    void *cat);

/* cap_sess_bump - bump now what a write described by info and p may have changed (as
 * cap_sess_after will again), for a write whose completion the hook saw before the end of the
 * call (an asynchronous command's result arrived; the program may never read the rest). */
void cap_sess_bump(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, const cap_plan *p,
		   const cap_catalog_ops *ops, void *cat);

/* Writes in flight. cap_sess_plan marks every statement it plans as a write before it
 * returns: what the write will bump is named in the connection's marker and bumped once now,
 * before the statement is sent; cap_sess_after bumps as always and clears the marker once no
 * transaction is open (a transaction's writes commit at its end). A hook that plans a write
 * itself calls cap_sess_mark. cap_sess_server - the keys of the server this session talks to
 * (an orphan found with them is one the hook may ask this server about). cap_sess_unmark -
 * clear the marker (after the bumps). cap_sess_abandon - the connection is closed or reset:
 * a marker still held names a write whose end was not seen, which the server may still run:
 * it is bumped now and left to be resolved once the server says the session is gone. */
void cap_sess_mark(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, const cap_plan *p,
		   const cap_catalog_ops *ops, void *cat);
void cap_sess_server(const cap_sess *s, uint64_t server[2]);
void cap_sess_unmark(const cap_rt *rt, cap_sess *s);
/* cap_sess_mark_db - cap_sess_mark for a statement whose text is unknown: its database (the
 * server's slot too) is named and bumped. */
void cap_sess_mark_db(const cap_rt *rt, cap_sess *s);
/* cap_sess_mark_db_only - the same for a statement whose tables are unknown but which changes
 * nothing outside its database (no role, database or other shared object): the database alone
 * is named and bumped. */
void cap_sess_mark_db_only(const cap_rt *rt, cap_sess *s);
void cap_sess_abandon(const cap_rt *rt, cap_sess *s);

/* cap_sess_set_params - fold hook-specific session parameters (libpq's ParameterStatus
 * values, Connector/C's character set...) into the fingerprint. */
void cap_sess_set_params(cap_sess *s, uint64_t params_hash);

/* cap_sess_catalog_gen - the generation of the reserved slot DDL bumps, so a catalog can
 * tell it must reload; cap_sess_after bumps it after DDL (in any process), and so does a
 * follower that streams DDL. */
uint64_t cap_sess_catalog_gen(cap_engine *e);

/* cap_sess_ttl - the TTL for a new entry: the shortest of CAPACITOR_TTL and the plan's
 * rule TTL (0 = none); a covered plan's is the rule TTL alone. */
uint64_t cap_sess_ttl(const cap_rt *rt, const cap_plan *p);

#endif

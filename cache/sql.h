/*
 * sql.h - the SQL classifier: one pass of a real lexer over a statement string, for the
 * PostgreSQL and MySQL/MariaDB dialects.
 *
 * It answers what the hooks must know before they may touch the cache: is this a read that
 * may be cached, which tables does it read, which does it write, does it end or start a
 * transaction, does it change the session. When unsure it says "not cacheable" or "other"
 * (callers treat other as a write to the whole database): a wrong "cacheable" is the worst
 * bug this project can have; a wrong "not cacheable" only costs speed.
 *
 * Output goes into a caller-owned cap_sql_info (no allocation, no global state; thread-safe).
 * Names are stored in info->names: unquoted identifiers folded as the dialect folds them
 * (PostgreSQL: lower case; MySQL: as written), quoted identifiers ("x", `x`) kept exact.
 */
#ifndef CAP_SQL_H
#define CAP_SQL_H

#include <stddef.h>
#include <stdint.h>

enum cap_dialect { CAP_DIALECT_PG = 0, CAP_DIALECT_MYSQL = 1 };

enum cap_sql_kind {
	CAP_SQL_EMPTY = 0,    /* only whitespace, comments and ';' */
	CAP_SQL_READ,         /* a read that may be cached (reasons == 0) */
	CAP_SQL_READ_NOCACHE, /* a read that must not be cached: see reasons */
	CAP_SQL_WRITE,        /* DML: INSERT UPDATE DELETE MERGE REPLACE TRUNCATE COPY FROM, LOAD DATA */
	CAP_SQL_DDL,          /* CREATE ALTER DROP RENAME COMMENT GRANT REVOKE REFRESH ... */
	CAP_SQL_TXN,          /* transaction control: see info->txn */
	CAP_SQL_SESSION,      /* SET RESET DISCARD USE, SET ROLE, SET NAMES, PREPARE/DEALLOCATE ... */
	CAP_SQL_UTILITY,      /* changes no data and is not cached: SHOW EXPLAIN LISTEN NOTIFY VACUUM
			       * ANALYZE CHECKPOINT LOCK FETCH DECLARE DESCRIBE ... */
	CAP_SQL_OTHER         /* anything else or unparseable: treat as a write to the database */
};

/* Why a read may not be cached (bit set in info->reasons). */
enum {
	CAP_SQLR_LOCKING = 1u << 0,      /* FOR UPDATE/SHARE/NO KEY UPDATE/KEY SHARE, LOCK IN SHARE MODE */
	CAP_SQLR_INTO = 1u << 1,         /* SELECT ... INTO */
	CAP_SQLR_WRITE_CTE = 1u << 2,    /* WITH x AS (INSERT/UPDATE/DELETE ...) (kind is then WRITE) */
	CAP_SQLR_EXPLAIN = 1u << 3,      /* EXPLAIN (ANALYZE or not) */
	CAP_SQLR_FUNCTION = 1u << 4,     /* calls a function not known immutable: see info->func */
	CAP_SQLR_SYSCATALOG = 1u << 5,   /* pg_catalog, information_schema, mysql, performance_schema, sys, pg_* */
	CAP_SQLR_SEQUENCE = 1u << 6,     /* nextval currval setval lastval */
	CAP_SQLR_LASTID = 1u << 7,       /* LAST_INSERT_ID() FOUND_ROWS() ROW_COUNT() */
	CAP_SQLR_USERVAR = 1u << 8,      /* @x user variables, @@system variables */
	CAP_SQLR_NO_CACHE = 1u << 9,     /* SQL_NO_CACHE */
	CAP_SQLR_MULTI = 1u << 10,       /* more than one statement in the string */
	CAP_SQLR_SESSION_FN = 1u << 11,  /* set_config, pg_advisory_lock ...: a session change */
	CAP_SQLR_MALFORMED = 1u << 12,   /* unterminated string/comment/identifier, NUL byte */
	CAP_SQLR_TOO_COMPLEX = 1u << 13, /* more tables/functions/name bytes than info can hold */
	CAP_SQLR_TEMP = 1u << 14,        /* statement creates or names a TEMPORARY table */
	CAP_SQLR_VOLATILE_CLAUSE = 1u << 15, /* TABLESAMPLE, ORDER BY random() style clauses */
	CAP_SQLR_UNSUPPORTED = 1u << 16, /* syntax the classifier does not follow (unbalanced
					  * parentheses, a FROM item it cannot name ...) */
};

/* Transaction-control sub-kinds (info->txn), set when kind == CAP_SQL_TXN. */
enum cap_sql_txn {
	CAP_TXN_NONE = 0,
	CAP_TXN_BEGIN,        /* BEGIN, START TRANSACTION, BEGIN WORK */
	CAP_TXN_COMMIT,       /* COMMIT, END, COMMIT AND CHAIN (info->flags & CAP_SQLF_CHAIN) */
	CAP_TXN_ROLLBACK,     /* ROLLBACK, ABORT */
	CAP_TXN_SAVEPOINT,    /* SAVEPOINT x */
	CAP_TXN_RELEASE,      /* RELEASE [SAVEPOINT] x */
	CAP_TXN_ROLLBACK_TO,  /* ROLLBACK TO [SAVEPOINT] x */
	CAP_TXN_PREPARE,      /* PREPARE TRANSACTION 'x', XA PREPARE */
	CAP_TXN_2PC_END,      /* COMMIT PREPARED / ROLLBACK PREPARED, XA COMMIT/ROLLBACK */
	CAP_TXN_SET,          /* SET TRANSACTION ... (this or the next transaction) */
	CAP_TXN_OTHER         /* XA START/END ..., anything else transaction-shaped */
};

/* Isolation levels named by a statement (info->iso). */
enum cap_sql_iso {
	CAP_ISO_NONE = 0, /* the statement names none */
	CAP_ISO_READ_UNCOMMITTED,
	CAP_ISO_READ_COMMITTED,
	CAP_ISO_REPEATABLE_READ,
	CAP_ISO_SERIALIZABLE,
	CAP_ISO_UNKNOWN  /* names one we could not read: callers assume the strictest */
};

/* Where a named isolation level applies (info->iso_scope). */
enum cap_sql_iso_scope {
	CAP_ISO_SCOPE_NONE = 0,
	CAP_ISO_SCOPE_TXN,     /* this transaction: BEGIN ISOLATION LEVEL, PG SET TRANSACTION */
	CAP_ISO_SCOPE_NEXT,    /* MySQL SET TRANSACTION ISOLATION LEVEL (next transaction only) */
	CAP_ISO_SCOPE_SESSION  /* SET SESSION CHARACTERISTICS AS TRANSACTION, SET
				* default_transaction_isolation, MySQL SET SESSION TRANSACTION ...,
				* SET [@@session.]transaction_isolation / tx_isolation */
};

/* info->flags */
enum {
	CAP_SQLF_CHAIN = 1u << 0,       /* COMMIT/ROLLBACK AND CHAIN */
	CAP_SQLF_READ_ONLY = 1u << 1,   /* BEGIN/START TRANSACTION READ ONLY */
	CAP_SQLF_TEMP = 1u << 2,        /* CREATE TEMP[ORARY] TABLE / SELECT INTO TEMP: write[] names it */
	CAP_SQLF_USE_DB = 1u << 3,      /* USE db (MySQL): info->db names the database */
	CAP_SQLF_SET_ROLE = 1u << 4,    /* SET ROLE / SET SESSION AUTHORIZATION / RESET ROLE */
	CAP_SQLF_RESET_ALL = 1u << 5,   /* RESET ALL / DISCARD ALL: session back to defaults */
	CAP_SQLF_SET_LOCAL = 1u << 6,   /* SET LOCAL (reverts at the end of the transaction) */
	CAP_SQLF_SET_AUTOCOMMIT = 1u << 7, /* MySQL SET autocommit = ...: info->autocommit */
	CAP_SQLF_DROP_TEMP = 1u << 8,   /* DISCARD TEMP / DROP of a table (may be temporary) */
	CAP_SQLF_CATALOG_CHANGE = 1u << 9, /* DDL that changes what the hooks' catalog knows
					   * (CREATE/ALTER/DROP TABLE/VIEW/FUNCTION/TRIGGER ...) */
	CAP_SQLF_SESSION = 1u << 10,    /* a statement of a multi-statement string changes the
					 * session (SET, RESET, DISCARD ...) though the string's
					 * kind is a stronger one (BEGIN; SET ...; COMMIT) */
	CAP_SQLF_CLUSTER = 1u << 11,    /* changes shared by every database of the server: CREATE/
					 * ALTER/DROP ROLE, USER, GROUP or DATABASE, GRANT,
					 * REVOKE, REASSIGN */
	CAP_SQLF_BUILTINS_LOST = 1u << 12, /* more built-in calls than builtin[] holds */
	CAP_SQLF_SNAPSHOT = 1u << 13,   /* the transaction's snapshot is taken or imported here,
					 * not at its first query: START TRANSACTION WITH
					 * CONSISTENT SNAPSHOT (MySQL), SET TRANSACTION SNAPSHOT
					 * (PostgreSQL) */
	CAP_SQLF_LOCK_TABLES = 1u << 14, /* MySQL LOCK TABLE[S], FLUSH TABLE[S] ... WITH READ
					  * LOCK / FOR EXPORT: the session may read only what it
					  * locked, and what it reads is its lock's view */
	CAP_SQLF_UNLOCK_TABLES = 1u << 15 /* MySQL UNLOCK TABLE[S] */
};

/* A name inside info->names: optional schema part and the object name (folded/unquoted). */
typedef struct cap_sql_name {
	uint16_t schema_off, schema_len; /* schema_len == 0: not qualified */
	uint16_t name_off, name_len;
} cap_sql_name;

/* Function classes (info->func_class[i]). */
enum {
	CAP_FUNC_UNKNOWN = 0,  /* the hooks ask the catalog */
	CAP_FUNC_VOLATILE = 1, /* a built-in known volatile: now() random() */
	CAP_FUNC_WRITES = 2    /* set by the hooks only: code the statement reaches without naming
				* it (an operator, attribute notation, a view) that may write */
};

#define CAP_SQL_MAX_TABLES 32
#define CAP_SQL_MAX_FUNCS 16
#define CAP_SQL_MAX_BUILTINS 16
#define CAP_SQL_NAMES_MAX 4096

typedef struct cap_sql_info {
	enum cap_sql_kind kind;     /* for a multi-statement string: the strongest kind present,
				     * in the order OTHER > DDL > WRITE > TXN > SESSION >
				     * UTILITY > READ_NOCACHE > READ > EMPTY */
	uint32_t reasons;           /* CAP_SQLR_* */
	uint32_t flags;             /* CAP_SQLF_* */
	enum cap_sql_txn txn;       /* for kind TXN (first such statement) */
	enum cap_sql_iso iso;
	enum cap_sql_iso_scope iso_scope;
	int autocommit;             /* with CAP_SQLF_SET_AUTOCOMMIT: 0, 1, or -1 when not a constant */
	uint16_t nstmts;            /* statements in the string (0 for EMPTY) */
	uint16_t nread, nwrite, nfunc;
	cap_sql_name read[CAP_SQL_MAX_TABLES];  /* tables and views read (CTE names excluded) */
	cap_sql_name write[CAP_SQL_MAX_TABLES]; /* tables written, created, altered or dropped */
	cap_sql_name func[CAP_SQL_MAX_FUNCS];   /* functions not known immutable */
	uint8_t func_class[CAP_SQL_MAX_FUNCS];  /* CAP_FUNC_* */
	/* PostgreSQL: unqualified calls of functions the classifier knows by name (upper(),
	 * now(), nextval() ...). Not in func[]: a user function of the same name in another
	 * schema may be what the server calls (public.upper(int)), so the hooks check these
	 * names against the catalog. CAP_SQLF_BUILTINS_LOST when more than fit. */
	uint16_t nbuiltin;
	cap_sql_name builtin[CAP_SQL_MAX_BUILTINS];
	cap_sql_name db;                        /* with CAP_SQLF_USE_DB */
	uint64_t digest;            /* hash of the normalised text (literals as ?, case and
				     * whitespace folded): the query-shape id for statistics */
	uint16_t names_len;
	char names[CAP_SQL_NAMES_MAX];
} cap_sql_info;

/* cap_sql_classify - classify sql[0..len) (need not be NUL-terminated; NUL bytes inside make it
 * MALFORMED). Always fills *info completely; returns info->kind. */
enum cap_sql_kind cap_sql_classify(enum cap_dialect d, const char *sql, size_t len,
				   cap_sql_info *info);

/* cap_sql_unknown - fill info as for a statement nobody can read: OTHER (it may write anything:
 * the whole database is invalidated, the session read back, nothing cached),
 * CAP_SQLR_UNSUPPORTED, no names. For a prepared statement whose text was never seen, and for
 * text the lexer would misread (cap_sql_ascii below). */
void cap_sql_unknown(cap_sql_info *info);

/* Client character sets whose multibyte characters may hold ASCII bytes (Shift-JIS, Big5,
 * GBK, UHC, GB18030, Johab: a trailing 0x5C is a backslash to a byte-wise reader, which then
 * ends a string or a dollar-quote tag where the server does not). The lexer reads bytes, so
 * a statement in such a character set is read only when it is pure ASCII (cap_sql_ascii);
 * any other is cap_sql_unknown. The hooks tell the character set: cap_sql_charset_unsafe
 * (MySQL's names), and libpq's encoding numbers (every client-only encoding). */
int cap_sql_charset_unsafe(const char *name);

/* cap_sql_ascii - 1 when s[0..n) holds no byte above 0x7f. */
int cap_sql_ascii(const char *s, size_t n);

/* cap_sql_pg_builtin - 1 when the classifier knows the PostgreSQL function name[0..n) (folded)
 * by name (it is then reported in builtin[], not func[]), else 0. */
int cap_sql_pg_builtin(const char *name, size_t n);

/* cap_sql_now_text - 1 when text s[0..n), read as date/time input, may mean the current time:
 * 'now', 'today', 'tomorrow' or 'yesterday' in any case as a word of their own, also inside
 * array and range literals and behind backslash escapes. PostgreSQL statements with such a
 * string literal are VOLATILE_CLAUSE; the hooks check parameter values with it. */
int cap_sql_now_text(const char *s, size_t n);

/* cap_sql_digest - write the normalised text of sql into buf[cap] (always NUL-terminated,
 * truncated to fit); returns the untruncated length. Literals become '?', runs of whitespace
 * one space, keywords upper case; comments dropped. Same normalisation as info->digest. */
size_t cap_sql_digest(enum cap_dialect d, const char *sql, size_t len, char *buf, size_t cap);

/* cap_sql_kind_name / cap_sql_reason_name - short lower-case names ("read", "locking") for
 * logs, stats and the test corpus. */
const char *cap_sql_kind_name(enum cap_sql_kind k);
const char *cap_sql_reason_name(uint32_t one_reason_bit);

#endif

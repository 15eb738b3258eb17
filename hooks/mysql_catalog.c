/*
 * mysql_catalog.c - a MySQL/MariaDB server's information_schema as the hooks need it (see
 * mysql_catalog.h).
 *
 * Loading: a separate connection (mysql_init + mysql_real_connect with the program
 * connection's host, user, password, database, port and socket, 5 s timeout) runs a handful
 * of information_schema queries and is closed at once. Every call into the client library
 * runs with the re-entrancy guard up, so none of it is seen by our own hooks.
 *
 * What is taken as the strictest case:
 *  - functions: every function the classifier could not name as a built-in is reported
 *    unknown (not cacheable, and may write). DETERMINISTIC and NO SQL are the definer's
 *    claims that the server does not check, so the catalog never calls a stored function
 *    immutable; a user who knows better declares it safe in the rules file.
 *  - triggers: information_schema.TRIGGERS lists only triggers the user holds the TRIGGER
 *    privilege for. Tables in a database where the user has no visible TRIGGER privilege
 *    (global or schema level) are treated as having triggers: a write to them bumps the
 *    whole scope.
 *  - cascading foreign keys: information_schema shows a constraint only to users with a
 *    privilege on its (child) table, so a writer may not see that its DELETE or UPDATE
 *    cascades into a table it cannot read. What a write bumps therefore cannot be made
 *    complete by the writer; the reader makes it so: an entry that reads a table depends
 *    also on every table the table's cascading foreign keys reference, transitively (the
 *    writer always bumps the table it names). A reader that cannot see one of those parent
 *    tables (so not its foreign keys either) does not cache. A key whose rules the user
 *    cannot read counts as cascading.
 *  - tables of engines whose data may change outside the server's write path (FEDERATED,
 *    CONNECT, SPIDER, MERGE, ...) and sequences are never cached; views whose definition the
 *    user cannot read, or that may not be cached, are not cached either.
 *  - views that run code: a view whose definition calls a function the classifier does not
 *    know as a built-in (a stored function of any schema, back-quoted or qualified as the
 *    server prints it: `f`(), `db`.`f`()) is not cached, and reading it may write (MariaDB
 *    does not hold a function to its NO SQL or READS SQL DATA claim). So may reading a view
 *    whose definition the user cannot read or the classifier cannot follow, or that reads a
 *    relation the user cannot see (a definer's view over a hidden view). Such a read is
 *    reported through cap_catalog_ops.reads_may_write: the session bumps the whole database
 *    after it, as after a call of such a function in the statement itself.
 *  - events: what the enabled events the user can see may write is cached only while a
 *    live follower covers it; a body that may write anything refuses every read
 *    (hooks/mysql_events.c).
 *  - virtual generated columns are computed when read: a table with one whose expression the
 *    classifier cannot prove deterministic (RAND(), UUID(), CONNECTION_ID(), NOW(6),
 *    SYSDATE(), USER(), anything unknown) is never cached. STORED columns are computed when
 *    the row is written, like any other value.
 *
 * Names are filed lower-cased and without the database: two databases' tables of one name
 * share an entry carrying the union of their properties, which only makes the hooks more
 * careful. Sharing, reference counting and reloading are the registry's (hooks/catreg.h).
 */
#include "hooks/mysql_catalog.h"
#include "hooks/catreg.h"
#include "hooks/mysql_events.h"
#include "hooks/mysql_conn.h"
#include "hooks/mysql_real.h"
#include "hooks/relgraph.h"
#include "cache/cap.h"
#include "cache/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The graph's flags of this catalog's own (hooks/relgraph.h): CAP_RG_KNOWN is set on every
 * relation information_schema.TABLES or VIEWS lists, CAP_RG_TABLE on base tables of engines
 * whose data the server writes itself. */
enum {
	REL_FOREIGN = CAP_RG_OWN << 0,  /* not cacheable: remote engines, sequences */
	REL_TRIGGERS = CAP_RG_OWN << 1, /* has (or may have, unseen) triggers */
	REL_VOLATILE = CAP_RG_OWN << 2, /* a table with a virtual column not proved deterministic */
	REL_EVENT = CAP_RG_OWN << 3,    /* an event may write it (hooks/mysql_events) */
};

struct cap_mycat {
	cap_catbase base; /* first: the registry's header (hooks/catreg.h) */
	cap_relgraph g;
	int events; /* CAP_MYEV_*: what the events the user can see may write */
};

static cap_catreg my_registry = CAP_CATREG_INIT("information_schema");

static const char sys_schemas[] = "('mysql','information_schema','performance_schema','sys')";

static void cat_free(cap_mycat *c)
{
	if (c == NULL)
		return;
	cap_rg_free(&c->g);
	free(c);
}

static void cat_destroy(cap_catbase *b)
{
	cat_free((cap_mycat *)b);
}

void cap_mycat_release(cap_mycat *c)
{
	cap_catbase_release(c ? &c->base : NULL);
}

/* ---- credentials ---------------------------------------------------------------------------
 *
 * Logins refused to the catalog connection count against the account on the server
 * (max_password_errors blocks it for every client, Access_denied_errors, the error log). So
 * credentials that failed once, or that a statement of the program's may have changed, are
 * filed here by a hash of (host, port, socket, user, password) and never used again by this
 * process: its reads on that database are not cached (as after any failed load). A new
 * connection of the program's with the new password has other credentials. A small ring of
 * atomics: no lock, and what falls out of it costs at most one more refused login. */

#define DEAD_SLOTS 64
static uint64_t dead_creds[DEAD_SLOTS];
static unsigned dead_next;

static void hash_str(uint64_t *h, const char *s)
{
	*h = cap_hash64(s ? s : "\001", s ? strlen(s) : 1, *h);
}

static uint64_t creds_hash(const MYSQL *conn)
{
	uint64_t h = 0x6372656473ull;
	hash_str(&h, conn->host);
	hash_str(&h, conn->unix_socket);
	hash_str(&h, conn->user);
	hash_str(&h, conn->passwd);
	h = cap_hash64(&conn->port, sizeof(conn->port), h);
	return h | 1; /* 0 is an empty slot */
}

static int creds_are_dead(const MYSQL *conn)
{
	uint64_t h = creds_hash(conn);
	for (unsigned i = 0; i < DEAD_SLOTS; i++)
		if (__atomic_load_n(&dead_creds[i], __ATOMIC_ACQUIRE) == h)
			return 1;
	return 0;
}

void cap_mycat_creds_dead(const MYSQL *conn)
{
	if (conn == NULL || creds_are_dead(conn))
		return;
	unsigned i = __atomic_fetch_add(&dead_next, 1, __ATOMIC_RELAXED) % DEAD_SLOTS;
	__atomic_store_n(&dead_creds[i], creds_hash(conn), __ATOMIC_RELEASE);
	cap_log(CAP_LOG_INFO, "the connection's credentials may have changed: no catalog "
		"connection with them (reads on this database are not cached)");
}

/* Errors of a refused login: wrong password, blocked for password errors, password expired,
 * account locked, host blocked or not allowed, plugin refused. Not the passing ones (too many
 * connections, a user's resource limits, timeouts). */
static int login_refused(unsigned e)
{
	return e == 1045 || e == 4150 || e == 4151 || e == 1820 || e == 1862 || e == 1129 ||
	       e == 1130 || e == 1251 || e == 1698 || e == 2049 || e == 2059;
}

/* The first two words of sql, skipping white space and comments (not executable ones: their
 * text is the statement's). */
static size_t next_word(const char *s, size_t n, size_t i, const char **w)
{
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
				 s[i] == '('))
			i++;
		if (i + 1 < n && s[i] == '/' && s[i + 1] == '*' && (i + 2 >= n || s[i + 2] != '!')) {
			const char *e = i + 2 < n ? memmem(s + i + 2, n - i - 2, "*/", 2) : NULL;
			i = e ? (size_t)(e - s) + 2 : n;
			continue;
		}
		if (i < n && (s[i] == '#' || (i + 2 < n && s[i] == '-' && s[i + 1] == '-'))) {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	*w = s + i;
	size_t k = i;
	while (k < n && ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z'))
		k++;
	return k;
}

static int word_is(const char *w, const char *end, const char *kw)
{
	size_t k = strlen(kw);
	return (size_t)(end - w) == k && strncasecmp(w, kw, k) == 0;
}

int cap_mycat_may_change_creds(const cap_sql_info *info, const char *sql, size_t len)
{
	if (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_WRITE || sql == NULL)
		return 0;
	const char *w1, *w2;
	size_t e1 = next_word(sql, len, 0, &w1);
	size_t e2 = next_word(sql, len, e1, &w2);
	const char *x1 = sql + e1, *x2 = sql + e2;
	/* ALTER/RENAME/DROP/CREATE (OR REPLACE) USER; SET PASSWORD and GRANT ... IDENTIFIED BY
	 * say "password" or "identified", also inside a multi-statement string or EXECUTE
	 * IMMEDIATE. A procedure's body (CALL) is not read: a login refused after it is the
	 * last one tried (login_refused) */
	if (word_is(w2, x2, "user") && (word_is(w1, x1, "alter") || word_is(w1, x1, "rename") ||
					word_is(w1, x1, "drop") || word_is(w1, x1, "create")))
		return 1;
	return cap_my_has_word(sql, len, "password") || cap_my_has_word(sql, len, "identified");
}

/* ---- loading ------------------------------------------------------------------------------ */

static MYSQL *side_connect(MYSQL *conn)
{
	if (creds_are_dead(conn))
		return NULL;
	MYSQL *side = CAP_REAL(cap_my.real_mysql_init(NULL));
	if (side == NULL)
		return NULL;
	/* every wait of this connection is bounded: a server (or a path to it) that accepts
	 * the program's connection may still leave a new one, or its queries, unanswered */
	unsigned int timeout = 5;
	CAP_REAL(cap_my.real_mysql_options(side, MYSQL_OPT_CONNECT_TIMEOUT, &timeout));
	CAP_REAL(cap_my.real_mysql_options(side, MYSQL_OPT_READ_TIMEOUT, &timeout));
	CAP_REAL(cap_my.real_mysql_options(side, MYSQL_OPT_WRITE_TIMEOUT, &timeout));
	if (CAP_REAL(cap_my.real_mysql_real_connect(side, conn->host, conn->user, conn->passwd,
					       conn->db, conn->port, conn->unix_socket, 0)) == NULL) {
		cap_log(CAP_LOG_INFO, "catalog connection failed");
		if (login_refused(side->net.last_errno))
			cap_mycat_creds_dead(conn);
		CAP_REAL_VOID(cap_my.real_mysql_close(side));
		return NULL;
	}
	return side;
}

typedef void (*row_fn)(cap_mycat *c, MYSQL_ROW row, void *arg);

/* Run q on side and call fn for every row; CAP_OK or an error. */
static int side_each(MYSQL *side, const char *q, cap_mycat *c, row_fn fn, void *arg)
{
	if (CAP_REAL(cap_my.real_mysql_real_query(side, q, (unsigned long)strlen(q))) != 0)
		return CAP_EIO;
	MYSQL_RES *r = CAP_REAL(cap_my.real_mysql_store_result(side));
	if (r == NULL)
		return CAP_EIO;
	MYSQL_ROW row;
	while ((row = CAP_REAL(cap_my.real_mysql_fetch_row(r))) != NULL)
		fn(c, row, arg);
	CAP_REAL_VOID(cap_my.real_mysql_free_result(r));
	return CAP_OK;
}

typedef struct load_ctx {
	int err;
	int global_trigger_priv;
	char **trig_schemas;     /* schemas where the user may see triggers */
	size_t ntrig;
	cap_sql_info *info;
} load_ctx;

static int engine_ok(const char *e)
{
	static const char *const ok[] = { "InnoDB", "MyISAM", "Aria", "MEMORY", "HEAP",
					   "ARCHIVE", "ROCKSDB", "S3", NULL };
	if (e == NULL)
		return 1;
	for (int i = 0; ok[i]; i++)
		if (strcasecmp(e, ok[i]) == 0)
			return 1;
	return 0;
}

static int trig_visible(const load_ctx *x, const char *schema)
{
	if (x->global_trigger_priv)
		return 1;
	for (size_t i = 0; i < x->ntrig; i++)
		if (schema && strcmp(x->trig_schemas[i], schema) == 0)
			return 1;
	return 0;
}

static void row_gpriv(cap_mycat *c, MYSQL_ROW row, void *arg)
{
	(void)c;
	load_ctx *x = arg;
	if (row[0] && atoi(row[0]) > 0)
		x->global_trigger_priv = 1;
}

static void row_spriv(cap_mycat *c, MYSQL_ROW row, void *arg)
{
	(void)c;
	load_ctx *x = arg;
	if (row[0] == NULL)
		return;
	char **nv = realloc(x->trig_schemas, (x->ntrig + 1) * sizeof(char *));
	if (nv == NULL || (nv[x->ntrig] = strdup(row[0])) == NULL) {
		if (nv)
			x->trig_schemas = nv;
		x->err = CAP_ENOMEM;
		return;
	}
	x->trig_schemas = nv;
	x->ntrig++;
}

/* The slot of the relation a row names (NULL: none), or CAP_RG_NONE with x->err set. */
static uint32_t row_slot(cap_mycat *c, const char *name, load_ctx *x)
{
	if (name == NULL)
		return CAP_RG_NONE;
	uint32_t i = cap_rg_add(&c->g, name, strlen(name));
	if (i == CAP_RG_NONE)
		x->err = CAP_ENOMEM;
	return i;
}

/* TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE */
static void row_rel(cap_mycat *c, MYSQL_ROW row, void *arg)
{
	load_ctx *x = arg;
	uint32_t i = row_slot(c, row[1], x);
	if (i == CAP_RG_NONE)
		return;
	cap_rgrel *r = &c->g.rels[i];
	const char *type = row[2] ? row[2] : "";
	if (strcmp(type, "VIEW") == 0)
		r->flags |= CAP_RG_VIEW | CAP_RG_KNOWN;
	else if (strcmp(type, "BASE TABLE") == 0 || strcmp(type, "SYSTEM VERSIONED") == 0)
		r->flags |= CAP_RG_KNOWN | (engine_ok(row[3]) ? CAP_RG_TABLE : REL_FOREIGN);
	else
		r->flags |= CAP_RG_KNOWN | REL_FOREIGN; /* SEQUENCE, SYSTEM VIEW, anything new */
	if (!(r->flags & CAP_RG_VIEW) && !trig_visible(x, row[0]))
		r->flags |= REL_TRIGGERS;
}

/* EVENT_OBJECT_TABLE */
static void row_trig(cap_mycat *c, MYSQL_ROW row, void *arg)
{
	uint32_t i = row_slot(c, row[0], arg);
	if (i != CAP_RG_NONE)
		c->g.rels[i].flags |= REL_TRIGGERS;
}

/* REFERENCED_TABLE_NAME (parent), TABLE_NAME (child) */
static void row_fk(cap_mycat *c, MYSQL_ROW row, void *arg)
{
	load_ctx *x = arg;
	if (row[0] == NULL || row[1] == NULL)
		return;
	uint32_t p = cap_rg_add(&c->g, row[0], strlen(row[0]));
	uint32_t ch = cap_rg_add(&c->g, row[1], strlen(row[1]));
	/* readers depend on the parents: see the top of the file */
	if (p == CAP_RG_NONE || ch == CAP_RG_NONE || cap_rg_cascade(&c->g, p, ch, 1) != CAP_OK)
		x->err = CAP_ENOMEM;
}

/* Whether running a view's definition, classified in info, may write: it calls a function
 * that is not a built-in, or it is not a read the classifier followed to the end (an empty
 * definition: the user may not read it). */
static int view_may_write(const cap_sql_info *info)
{
	const uint32_t hidden = CAP_SQLR_MALFORMED | CAP_SQLR_TOO_COMPLEX | CAP_SQLR_UNSUPPORTED |
				CAP_SQLR_MULTI | CAP_SQLR_WRITE_CTE | CAP_SQLR_INTO | CAP_SQLR_SEQUENCE;
	if ((info->kind != CAP_SQL_READ && info->kind != CAP_SQL_READ_NOCACHE) ||
	    (info->reasons & hidden))
		return 1;
	for (uint16_t i = 0; i < info->nfunc; i++)
		if (info->func_class[i] == CAP_FUNC_UNKNOWN)
			return 1;
	return 0;
}

/* TABLE_NAME, VIEW_DEFINITION */
static void row_view(cap_mycat *c, MYSQL_ROW row, void *arg)
{
	load_ctx *x = arg;
	uint32_t vi = row_slot(c, row[0], x);
	if (vi == CAP_RG_NONE)
		return;
	uint32_t *flags = &c->g.rels[vi].flags;
	*flags |= CAP_RG_VIEW | CAP_RG_KNOWN;
	const char *def = row[1] ? row[1] : "";
	cap_sql_info *info = x->info;
	cap_sql_classify(CAP_DIALECT_MYSQL, def, strlen(def), info);
	/* any function, however harmless, keeps the view out: see the top of the file */
	if (info->kind != CAP_SQL_READ || info->reasons || info->nread == 0)
		*flags |= CAP_RG_VIEW_BAD;
	if (view_may_write(info))
		*flags |= CAP_RG_VIEW_WRITES;
	for (uint16_t i = 0; i < info->nread; i++) {
		uint32_t b = cap_rg_add(&c->g, info->names + info->read[i].name_off, info->read[i].name_len);
		if (b == CAP_RG_NONE || cap_rg_view_base(&c->g, vi, b) != CAP_OK)
			*flags |= CAP_RG_VIEW_BAD;
	}
}

/* TABLE_NAME, GENERATION_EXPRESSION of a generated column that is not STORED: computed at
 * each read, so its table is cached only when the expression is one a cacheable read could
 * contain (no function but the classifier's deterministic built-ins, no variable). */
static void row_gen(cap_mycat *c, MYSQL_ROW row, void *arg)
{
	load_ctx *x = arg;
	uint32_t i = row_slot(c, row[0], x);
	if (i == CAP_RG_NONE)
		return;
	static const char pre[] = "SELECT ";
	size_t n = row[1] ? strlen(row[1]) : 0;
	char *q = malloc(sizeof(pre) + n);
	if (q == NULL) {
		x->err = CAP_ENOMEM;
		return;
	}
	memcpy(q, pre, sizeof(pre) - 1);
	memcpy(q + sizeof(pre) - 1, row[1] ? row[1] : "", n + 1);
	/* an expression the user may not read (NULL) proves nothing */
	if (row[1] == NULL ||
	    cap_sql_classify(CAP_DIALECT_MYSQL, q, sizeof(pre) - 1 + n, x->info) != CAP_SQL_READ)
		c->g.rels[i].flags |= REL_VOLATILE;
	free(q);
}

/* Free what a load used and close its connection. */
static void load_done(load_ctx *x, MYSQL *side)
{
	for (size_t i = 0; i < x->ntrig; i++)
		free(x->trig_schemas[i]);
	free(x->trig_schemas);
	free(x->info);
	CAP_REAL_VOID(cap_my.real_mysql_close(side));
}

static cap_mycat *cat_load(MYSQL *conn)
{
	char q[640];
	MYSQL *side = side_connect(conn);
	if (side == NULL)
		return NULL;
	load_ctx x = { 0, 0, NULL, 0, malloc(sizeof(cap_sql_info)) };
	cap_mycat *c = calloc(1, sizeof(*c));
	if (c == NULL || x.info == NULL)
		goto fail;
	c->base.destroy = cat_destroy;
	/* size the table from the relation count */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN %s",
		 sys_schemas);
	{
		if (CAP_REAL(cap_my.real_mysql_real_query(side, q, (unsigned long)strlen(q))) != 0)
			goto fail;
		MYSQL_RES *r = CAP_REAL(cap_my.real_mysql_store_result(side));
		if (r == NULL)
			goto fail;
		MYSQL_ROW row = CAP_REAL(cap_my.real_mysql_fetch_row(r));
		long n = row && row[0] ? atol(row[0]) : 0;
		CAP_REAL_VOID(cap_my.real_mysql_free_result(r));
		/* room for every relation four times over: view bases and keys name more */
		uint32_t slots = n > (1L << 26) ? 1u << 28 : (uint32_t)n * 4 + 256;
		if (cap_rg_init(&c->g, slots < 1024 ? 1024 : slots, 1) != CAP_OK)
			goto fail;
	}
	/* see the top of the file */
	c->g.refuse[0].flags = REL_FOREIGN;
	c->g.refuse[0].why = CAP_REASON_catalog;
	c->g.refuse[1].flags = REL_VOLATILE;
	c->g.refuse[1].why = CAP_REASON_volatile;
	c->g.write_whole = REL_TRIGGERS | CAP_RG_VIEW | REL_FOREIGN;
	if (side_each(side, "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES "
			    "WHERE PRIVILEGE_TYPE = 'TRIGGER'", c, row_gpriv, &x) ||
	    side_each(side, "SELECT DISTINCT TABLE_SCHEMA FROM information_schema.SCHEMA_PRIVILEGES "
			    "WHERE PRIVILEGE_TYPE = 'TRIGGER'", c, row_spriv, &x))
		goto fail;
	snprintf(q, sizeof(q), "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE FROM "
		 "information_schema.TABLES WHERE TABLE_SCHEMA NOT IN %s", sys_schemas);
	if (side_each(side, q, c, row_rel, &x))
		goto fail;
	if (side_each(side, "SELECT DISTINCT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS",
		      c, row_trig, &x))
		goto fail;
	/* every foreign key the user can see (KEY_COLUMN_USAGE shows them to a user with SELECT
	 * on the child); cascading unless REFERENTIAL_CONSTRAINTS, which MariaDB shows only to
	 * users with more than SELECT on the child, says it is not */
	if (side_each(side, "SELECT DISTINCT k.REFERENCED_TABLE_NAME, k.TABLE_NAME FROM "
			    "information_schema.KEY_COLUMN_USAGE k LEFT JOIN "
			    "information_schema.REFERENTIAL_CONSTRAINTS r ON "
			    "r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND "
			    "r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
			    "WHERE k.REFERENCED_TABLE_NAME IS NOT NULL AND (r.CONSTRAINT_NAME IS NULL "
			    "OR r.DELETE_RULE IN ('CASCADE','SET NULL','SET DEFAULT') OR r.UPDATE_RULE "
			    "IN ('CASCADE','SET NULL','SET DEFAULT'))", c, row_fk, &x))
		goto fail;
	snprintf(q, sizeof(q), "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
		 "WHERE TABLE_SCHEMA NOT IN %s", sys_schemas);
	if (side_each(side, q, c, row_view, &x))
		goto fail;
	/* EXTRA says VIRTUAL GENERATED or STORED GENERATED (PERSISTENT: STORED's other name);
	 * any other column with an expression is taken as computed at each read. Not
	 * IS_GENERATED, which MySQL lacks; not EXTRA LIKE '%GENERATED%', which MySQL also says
	 * of DEFAULT expressions (computed when written). */
	snprintf(q, sizeof(q), "SELECT TABLE_NAME, GENERATION_EXPRESSION FROM "
		 "information_schema.COLUMNS WHERE (GENERATION_EXPRESSION <> '' OR EXTRA LIKE "
		 "'%%VIRTUAL%%') AND EXTRA NOT LIKE '%%STORED%%' AND EXTRA NOT LIKE "
		 "'%%PERSISTENT%%' AND TABLE_SCHEMA NOT IN %s", sys_schemas);
	if (side_each(side, q, c, row_gen, &x))
		goto fail;
	/* last: what events write is what a write reaches in the graph built above */
	if (cap_myev_load(side, &c->g, REL_EVENT, c->g.write_whole, x.info, &c->events) != CAP_OK)
		goto fail;
	if (x.err == CAP_OK) {
		cap_rg_finish(&c->g);
		load_done(&x, side);
		return c;
	}
fail:
	load_done(&x, side);
	cat_free(c);
	return NULL;
}

static cap_catbase *load_cb(void *arg, const cap_sess *s)
{
	(void)s;
	cap_mycat *c = cat_load(arg);
	return c ? &c->base : NULL;
}

cap_mycat *cap_mycat_get(const cap_rt *rt, MYSQL *conn, const cap_sess *s, cap_mycat **held)
{
	cap_catbase *h = *held ? &(*held)->base : NULL;
	cap_catbase *b = cap_catreg_get(&my_registry, rt, s, &h, load_cb, conn);
	*held = (cap_mycat *)b; /* base is the first member */
	return *held;
}

/* ---- the callbacks ------------------------------------------------------------------------ */

static int ops_read_deps(void *cat, cap_engine *e, const cap_sql_info *info, cap_deps *d,
			 enum cap_reason *why)
{
	return cap_rg_engine_deps(&((cap_mycat *)cat)->g, e, info, d, why);
}

static int ops_reads_may_write(void *cat, const cap_sql_info *info)
{
	return cap_rg_reads_may_write(&((cap_mycat *)cat)->g, info);
}

static enum cap_fn_class ops_func_class(void *cat, const char *name, size_t n)
{
	(void)cat;
	(void)name;
	(void)n;
	return CAP_FN_UNKNOWN; /* see the top of the file */
}

static void ops_write_bump(void *cat, cap_engine *e, uint64_t scope, const cap_sql_info *info)
{
	cap_rg_engine_bump(&((cap_mycat *)cat)->g, e, scope, info);
}

/* Is name[0..n) one of s's temporary tables? */
static int is_temp(const cap_sess *s, const char *name, size_t n)
{
	for (uint32_t t = 0; t < s->ntemps; t++)
		if (strlen(s->temps[t]) == n && strncasecmp(s->temps[t], name, n) == 0)
			return 1;
	return 0;
}

int cap_mycat_write_runs_code(const cap_mycat *c, const cap_sess *s, const cap_sql_info *info)
{
	if (info->kind != CAP_SQL_WRITE)
		return 0;
	if (c == NULL || info->nwrite == 0)
		return 1;
	uint16_t ntemp = 0;
	for (uint16_t i = 0; i < info->nwrite && s->ntemps; i++)
		ntemp += (uint16_t)is_temp(s, info->names + info->write[i].name_off,
					   info->write[i].name_len);
	if (ntemp == info->nwrite)
		return 0;
	/* a write of temporary and base tables at once: the temporary names would count as
	 * unknown, and that is taken as firing a trigger */
	return cap_rg_write_reach(&c->g, info, REL_TRIGGERS, NULL, NULL);
}

static int ops_reads_server_written(void *cat, const cap_sql_info *info)
{
	const cap_mycat *c = cat;
	return cap_myev_reads(&c->g, REL_EVENT, c->events, info);
}

const cap_catalog_ops cap_mycat_ops = { ops_read_deps, ops_func_class, ops_write_bump,
					 ops_reads_may_write, NULL, ops_reads_server_written };

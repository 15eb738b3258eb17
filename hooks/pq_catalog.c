/*
 * pq_catalog.c - a PostgreSQL database's catalog as the hooks need it (see pq_catalog.h).
 *
 * Loading: a separate connection is opened with the program connection's own parameters
 * (PQconninfo), four catalog queries run, and it is closed again at once, so a program with
 * many processes holds no extra server connections. Nothing runs on the program's connection:
 * its session, transaction and snapshot are never touched.
 *
 * Names: relations and functions are filed by bare name (no schema). Where two schemas hold
 * the same name, the entry carries the union of their properties (a view in one and a table in
 * the other is treated as both), which can only make the hooks more careful.
 *
 * Sharing, reference counting and reloading (after DDL in any process, and every minute) are
 * the registry's: hooks/catreg.h.
 */
#include "hooks/pq_catalog.h"
#include "hooks/catreg.h"
#include "hooks/pq_real.h"
#include "cache/cap.h"
#include "cache/log.h"

#include <stdlib.h>
#include <string.h>

enum {
	REL_TABLE = 1u << 0,
	REL_VIEW = 1u << 1,
	REL_MATVIEW = 1u << 2,
	REL_FOREIGN = 1u << 3,
	REL_TRIGGERS = 1u << 4,   /* user triggers: a write's effects are unknowable */
	REL_RULES = 1u << 5,      /* rewrite rules on a table: the same */
	REL_VIEW_BAD = 1u << 6,   /* a view whose definition may not be cached */
	REL_PARTED = 1u << 7,     /* has parents or children by inheritance/partitioning */
	REL_RLS = 1u << 8,        /* row-level security: policies may read other tables and
				   * session settings, so its rows are never cached */
};

typedef struct rel {
	char *name;
	uint32_t flags;
	uint32_t nbase, nfk, nup, ndown; /* views: base relations; cascading FK children; parents; children */
	uint32_t *base, *fk, *up, *down;
} rel;

typedef struct fn {
	char *name;
	enum cap_fn_class cls;
} fn;

struct cap_pqcat {
	cap_catbase base;       /* first: the registry's header (hooks/catreg.h) */
	int event_triggers;     /* enabled event triggers: DDL runs user code */
	rel *rels;
	uint32_t nrels, relcap; /* open addressing, relcap a power of two */
	fn *fns;
	uint32_t nfns, fncap;
};

static cap_catreg pq_registry = CAP_CATREG_INIT("the PostgreSQL catalog");

#define MAX_VIEW_DEPTH 16

/* ---- hash tables ------------------------------------------------------------------------ */

static uint32_t name_hash(const char *s, size_t n)
{
	return (uint32_t)cap_hash64(s, n, 0xca7);
}

static uint32_t cap_pow2(uint32_t n)
{
	uint32_t c = 64;
	while (c < n * 2)
		c <<= 1;
	return c;
}

/* rel_slot - index of name in c->rels, inserting it when add is set; UINT32_MAX if absent. */
static uint32_t rel_slot(cap_pqcat *c, const char *name, size_t n, int add)
{
	uint32_t mask = c->relcap - 1, i = name_hash(name, n) & mask;
	for (;; i = (i + 1) & mask) {
		rel *r = &c->rels[i];
		if (r->name == NULL) {
			if (!add || c->nrels + 1 > c->relcap / 2)
				return UINT32_MAX;
			r->name = strndup(name, n);
			if (r->name == NULL)
				return UINT32_MAX;
			c->nrels++;
			return i;
		}
		if (strlen(r->name) == n && memcmp(r->name, name, n) == 0)
			return i;
	}
}

static fn *fn_find(const cap_pqcat *c, const char *name, size_t n)
{
	uint32_t mask = c->fncap - 1, i = name_hash(name, n) & mask;
	for (;; i = (i + 1) & mask) {
		fn *f = &c->fns[i];
		if (f->name == NULL)
			return NULL;
		if (strlen(f->name) == n && memcmp(f->name, name, n) == 0)
			return f;
	}
}

static void cat_free(cap_pqcat *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = 0; c->rels && i < c->relcap; i++) {
		free(c->rels[i].name);
		free(c->rels[i].base);
		free(c->rels[i].fk);
		free(c->rels[i].up);
		free(c->rels[i].down);
	}
	for (uint32_t i = 0; c->fns && i < c->fncap; i++)
		free(c->fns[i].name);
	free(c->rels);
	free(c->fns);
	free(c);
}

static void cat_destroy(cap_catbase *b)
{
	cat_free((cap_pqcat *)b);
}

void cap_pqcat_release(cap_pqcat *c)
{
	cap_catbase_release(c ? &c->base : NULL);
}

/* ---- loading ---------------------------------------------------------------------------- */

static const char q_rels[] =
	"SELECT c.relname, c.relkind, c.relhasrules, "
	"EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), "
	"CASE WHEN c.relkind = 'v' THEN pg_catalog.pg_get_viewdef(c.oid) END, c.relrowsecurity "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind IN ('r','v','m','f','p') "
	"AND n.nspname NOT IN ('pg_catalog','information_schema') "
	"AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'";
static const char q_fks[] =
	"SELECT p.relname, c.relname FROM pg_catalog.pg_constraint k "
	"JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
	"JOIN pg_catalog.pg_class p ON p.oid = k.confrelid "
	"WHERE k.contype = 'f' AND (k.confdeltype IN ('c','n','d') OR k.confupdtype IN ('c','n','d'))";
static const char q_inh[] =
	"SELECT c.relname, p.relname FROM pg_catalog.pg_inherits i "
	"JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid "
	"JOIN pg_catalog.pg_class p ON p.oid = i.inhparent";
static const char q_evt[] =
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtenabled <> 'D')";
static const char q_fns[] =
	"SELECT proname, string_agg(DISTINCT provolatile::text, '') FROM pg_catalog.pg_proc "
	"GROUP BY proname";

static PGresult *side_query(PGconn *side, const char *q)
{
	PGresult *r = CAP_REAL(cap_pq.PQexec(side, q));
	if (r && cap_pq.PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	if (r)
		cap_pq.PQclear(r);
	return NULL;
}

static PGconn *side_connect(PGconn *conn)
{
	PQconninfoOption *opts = cap_pq.PQconninfo(conn);
	if (opts == NULL)
		return NULL;
	const char *keys[64], *vals[64];
	int n = 0, have_timeout = 0;
	for (PQconninfoOption *o = opts; o->keyword && n < 60; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "connect_timeout") == 0)
			have_timeout = 1;
		if (strcmp(o->keyword, "replication") == 0)
			continue;
		keys[n] = o->keyword;
		vals[n] = o->val;
		n++;
	}
	if (!have_timeout) {
		keys[n] = "connect_timeout";
		vals[n++] = "5";
	}
	keys[n] = "application_name";
	vals[n++] = "capacitor-catalog";
	keys[n] = NULL;
	vals[n] = NULL;
	PGconn *side = CAP_REAL(cap_pq.PQconnectdbParams(keys, vals, 0));
	cap_pq.PQconninfoFree(opts);
	if (side && cap_pq.PQstatus(side) != CONNECTION_OK) {
		cap_log(CAP_LOG_INFO, "catalog connection failed: %s",
			cap_pq.PQerrorMessage(side));
		CAP_REAL_VOID(cap_pq.PQfinish(side));
		return NULL;
	}
	return side;
}

static int load_functions(cap_pqcat *c, PGresult *r)
{
	int n = cap_pq.PQntuples(r);
	c->fncap = cap_pow2((uint32_t)n + 1);
	c->fns = calloc(c->fncap, sizeof(fn));
	if (c->fns == NULL)
		return CAP_ENOMEM;
	for (int i = 0; i < n; i++) {
		const char *name = cap_pq.PQgetvalue(r, i, 0), *v = cap_pq.PQgetvalue(r, i, 1);
		size_t len = strlen(name);
		uint32_t mask = c->fncap - 1, h = name_hash(name, len) & mask;
		while (c->fns[h].name)
			h = (h + 1) & mask;
		c->fns[h].name = strdup(name);
		if (c->fns[h].name == NULL)
			return CAP_ENOMEM;
		c->fns[h].cls = strchr(v, 'v')	 ? CAP_FN_VOLATILE
				: strchr(v, 's') ? CAP_FN_STABLE
						 : CAP_FN_IMMUTABLE;
		c->nfns++;
	}
	return CAP_OK;
}

/* Classify each view's definition: its base relations, and whether it may be cached. */
static int load_view(cap_pqcat *c, uint32_t vi, const char *def, cap_sql_info *info)
{
	cap_sql_classify(CAP_DIALECT_PG, def, strlen(def), info);
	uint32_t reasons = info->reasons;
	if (reasons & CAP_SQLR_FUNCTION) {
		int ok = 1;
		for (uint16_t i = 0; i < info->nfunc; i++) {
			fn *f = info->func_class[i] == CAP_FUNC_UNKNOWN
					? fn_find(c, info->names + info->func[i].name_off,
						  info->func[i].name_len)
					: NULL;
			if (f == NULL || f->cls != CAP_FN_IMMUTABLE)
				ok = 0;
		}
		if (ok)
			reasons &= ~(uint32_t)CAP_SQLR_FUNCTION;
	}
	if (info->kind != CAP_SQL_READ && !(info->kind == CAP_SQL_READ_NOCACHE && reasons == 0))
		c->rels[vi].flags |= REL_VIEW_BAD;
	if (reasons)
		c->rels[vi].flags |= REL_VIEW_BAD;
	for (uint16_t i = 0; i < info->nread; i++) {
		uint32_t b = rel_slot(c, info->names + info->read[i].name_off,
				      info->read[i].name_len, 1);
		if (b == UINT32_MAX || cap_catreg_push(&c->rels[vi].base, &c->rels[vi].nbase, b) != CAP_OK)
			c->rels[vi].flags |= REL_VIEW_BAD;
	}
	return CAP_OK;
}

static int load_pairs(cap_pqcat *c, PGresult *r, int inheritance)
{
	for (int i = 0; i < cap_pq.PQntuples(r); i++) {
		const char *a = cap_pq.PQgetvalue(r, i, 0), *b = cap_pq.PQgetvalue(r, i, 1);
		uint32_t x = rel_slot(c, a, strlen(a), 1), y = rel_slot(c, b, strlen(b), 1);
		if (x == UINT32_MAX || y == UINT32_MAX)
			return CAP_ENOMEM;
		if (inheritance) { /* a is the child of b */
			c->rels[x].flags |= REL_PARTED;
			c->rels[y].flags |= REL_PARTED;
			if (cap_catreg_push(&c->rels[x].up, &c->rels[x].nup, y) ||
			    cap_catreg_push(&c->rels[y].down, &c->rels[y].ndown, x))
				return CAP_ENOMEM;
		} else if (cap_catreg_push(&c->rels[x].fk, &c->rels[x].nfk, y)) { /* writes to a change b */
			return CAP_ENOMEM;
		}
	}
	return CAP_OK;
}

static cap_pqcat *cat_load(PGconn *conn)
{
	PGconn *side = side_connect(conn);
	if (side == NULL)
		return NULL;
	cap_pqcat *c = calloc(1, sizeof(*c));
	cap_sql_info *info = malloc(sizeof(*info));
	PGresult *rr = NULL, *rf = NULL, *ri = NULL, *rfn = NULL, *rev = NULL;
	if (c == NULL || info == NULL)
		goto fail;
	PGresult *t = CAP_REAL(cap_pq.PQexec(side, "SET statement_timeout = '10s'"));
	cap_pq.PQclear(t);
	rr = side_query(side, q_rels);
	rf = side_query(side, q_fks);
	ri = side_query(side, q_inh);
	rfn = side_query(side, q_fns);
	rev = side_query(side, q_evt);
	if (!rr || !rf || !ri || !rfn)
		goto fail;
	/* unreadable: assumed present */
	c->event_triggers = rev == NULL || cap_pq.PQntuples(rev) != 1 ||
			    cap_pq.PQgetvalue(rev, 0, 0)[0] != 'f';
	c->base.destroy = cat_destroy;
	if (load_functions(c, rfn) != CAP_OK)
		goto fail;
	int nrel = cap_pq.PQntuples(rr);
	c->relcap = cap_pow2((uint32_t)nrel * 2 + 64);
	c->rels = calloc(c->relcap, sizeof(rel));
	if (c->rels == NULL)
		goto fail;
	for (int i = 0; i < nrel; i++) {
		const char *name = cap_pq.PQgetvalue(rr, i, 0);
		char kind = cap_pq.PQgetvalue(rr, i, 1)[0];
		uint32_t x = rel_slot(c, name, strlen(name), 1);
		if (x == UINT32_MAX)
			goto fail;
		rel *r = &c->rels[x];
		switch (kind) {
		case 'v': r->flags |= REL_VIEW; break;
		case 'm': r->flags |= REL_MATVIEW; break;
		case 'f': r->flags |= REL_FOREIGN; break;
		default: r->flags |= REL_TABLE; break;
		}
		if (kind != 'v' && cap_pq.PQgetvalue(rr, i, 2)[0] == 't')
			r->flags |= REL_RULES;
		if (cap_pq.PQgetvalue(rr, i, 3)[0] == 't')
			r->flags |= REL_TRIGGERS;
		if (cap_pq.PQgetvalue(rr, i, 5)[0] == 't')
			r->flags |= REL_RLS;
	}
	for (int i = 0; i < nrel; i++) {
		if (cap_pq.PQgetisnull(rr, i, 4))
			continue;
		const char *name = cap_pq.PQgetvalue(rr, i, 0);
		uint32_t x = rel_slot(c, name, strlen(name), 0);
		if (x != UINT32_MAX)
			load_view(c, x, cap_pq.PQgetvalue(rr, i, 4), info);
	}
	if (load_pairs(c, rf, 0) != CAP_OK || load_pairs(c, ri, 1) != CAP_OK)
		goto fail;
	goto out;
fail:
	cat_free(c);
	c = NULL;
out:
	free(info);
	cap_pq.PQclear(rr);
	cap_pq.PQclear(rf);
	cap_pq.PQclear(ri);
	cap_pq.PQclear(rfn);
	cap_pq.PQclear(rev);
	CAP_REAL_VOID(cap_pq.PQfinish(side));
	return c;
}

static cap_catbase *load_cb(void *arg, const cap_sess *s)
{
	(void)s;
	cap_pqcat *c = cat_load(arg);
	return c ? &c->base : NULL;
}

cap_pqcat *cap_pqcat_get(const cap_rt *rt, PGconn *conn, const cap_sess *s, cap_pqcat **held)
{
	cap_catbase *h = *held ? &(*held)->base : NULL;
	cap_catbase *b = cap_catreg_get(&pq_registry, rt, s, &h, load_cb, conn);
	*held = (cap_pqcat *)b; /* base is the first member */
	return *held;
}

/* ---- the callbacks ---------------------------------------------------------------------------- */

static int add_rel_deps(cap_pqcat *c, cap_engine *e, uint32_t x, cap_deps *d, int depth,
			enum cap_reason *why)
{
	rel *r = &c->rels[x];
	if (r->flags & (REL_FOREIGN | REL_RLS)) {
		*why = CAP_REASON_catalog;
		return CAP_EINVAL;
	}
	if (cap_engine_deps_table(e, d, r->name, strlen(r->name)) != CAP_OK) {
		*why = CAP_REASON_uncacheable;
		return CAP_ETOOBIG;
	}
	if (!(r->flags & REL_VIEW))
		return CAP_OK; /* tables, partitioned tables, materialized views: the name itself */
	if ((r->flags & REL_VIEW_BAD) || depth >= MAX_VIEW_DEPTH) {
		*why = (r->flags & REL_VIEW_BAD) ? CAP_REASON_volatile : CAP_REASON_catalog;
		return CAP_EINVAL;
	}
	for (uint32_t i = 0; i < r->nbase; i++)
		if (add_rel_deps(c, e, r->base[i], d, depth + 1, why) != CAP_OK)
			return CAP_EINVAL;
	return CAP_OK;
}

static int ops_read_deps(void *cat, cap_engine *e, const cap_sql_info *info, cap_deps *d,
			 enum cap_reason *why)
{
	cap_pqcat *c = cat;
	for (uint16_t i = 0; i < info->nread; i++) {
		const cap_sql_name *nm = &info->read[i];
		uint32_t x = rel_slot(c, info->names + nm->name_off, nm->name_len, 0);
		if (x == UINT32_MAX) {
			/* not a relation the catalog knew when loaded: its kind is unknown */
			*why = CAP_REASON_catalog;
			return CAP_EINVAL;
		}
		if (add_rel_deps(c, e, x, d, 0, why) != CAP_OK)
			return CAP_EINVAL;
	}
	return CAP_OK;
}

static enum cap_fn_class ops_func_class(void *cat, const char *name, size_t n)
{
	fn *f = fn_find(cat, name, n);
	return f ? f->cls : CAP_FN_UNKNOWN;
}

/* Bump relation x and everything a write to it changes; 0, or -1 when only the whole
 * database will do. */
static int bump_rel(cap_pqcat *c, cap_engine *e, uint32_t x, uint8_t *seen)
{
	if (seen[x])
		return 0;
	seen[x] = 1;
	rel *r = &c->rels[x];
	if (r->flags & (REL_TRIGGERS | REL_RULES | REL_VIEW | REL_FOREIGN))
		return -1;
	cap_engine_bump_table(e, r->name, strlen(r->name));
	for (uint32_t i = 0; i < r->nfk; i++)
		if (bump_rel(c, e, r->fk[i], seen) < 0)
			return -1;
	for (uint32_t i = 0; i < r->nup; i++)
		if (bump_rel(c, e, r->up[i], seen) < 0)
			return -1;
	for (uint32_t i = 0; i < r->ndown; i++)
		if (bump_rel(c, e, r->down[i], seen) < 0)
			return -1;
	return 0;
}

static void ops_write_bump(void *cat, cap_engine *e, uint64_t scope, const cap_sql_info *info)
{
	cap_pqcat *c = cat;
	uint8_t *seen = calloc(c->relcap, 1);
	int whole = seen == NULL || info->nwrite == 0;
	for (uint16_t i = 0; i < info->nwrite && !whole; i++) {
		const cap_sql_name *nm = &info->write[i];
		uint32_t x = rel_slot(c, info->names + nm->name_off, nm->name_len, 0);
		/* the name itself is bumped in any case: a table created after the catalog was
		 * loaded has no entry, and its readers depend on its name */
		cap_engine_bump_table(e, info->names + nm->name_off, nm->name_len);
		if (x == UINT32_MAX || bump_rel(c, e, x, seen) < 0)
			whole = 1;
	}
	free(seen);
	if (whole)
		cap_engine_bump_db(e, scope);
}

/* Does relation x, or anything a write to it reaches (cascading foreign keys, partitions and
 * parents), run code on a write? */
static int rel_runs_code(const cap_pqcat *c, uint32_t x, uint8_t *seen)
{
	if (seen[x])
		return 0;
	seen[x] = 1;
	const rel *r = &c->rels[x];
	if (r->flags & (REL_TRIGGERS | REL_RULES | REL_VIEW | REL_FOREIGN))
		return 1;
	for (uint32_t i = 0; i < r->nfk; i++)
		if (rel_runs_code(c, r->fk[i], seen))
			return 1;
	for (uint32_t i = 0; i < r->nup; i++)
		if (rel_runs_code(c, r->up[i], seen))
			return 1;
	for (uint32_t i = 0; i < r->ndown; i++)
		if (rel_runs_code(c, r->down[i], seen))
			return 1;
	return 0;
}

int cap_pqcat_runs_code(cap_pqcat *c, const cap_sql_info *info)
{
	if (c == NULL)
		return 1;
	if (info->kind == CAP_SQL_DDL)
		return c->event_triggers;
	if (info->kind != CAP_SQL_WRITE || info->nwrite == 0)
		return info->kind == CAP_SQL_WRITE;
	uint8_t *seen = calloc(c->relcap, 1);
	int code = seen == NULL;
	for (uint16_t i = 0; i < info->nwrite && !code; i++) {
		const cap_sql_name *nm = &info->write[i];
		uint32_t x = rel_slot(c, info->names + nm->name_off, nm->name_len, 0);
		code = x == UINT32_MAX || rel_runs_code(c, x, seen);
	}
	free(seen);
	return code;
}

const cap_catalog_ops cap_pqcat_ops = { ops_read_deps, ops_func_class, ops_write_bump, NULL };

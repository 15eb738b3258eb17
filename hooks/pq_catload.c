/*
 * pq_catload.c - loading a PostgreSQL database's catalog (see pq_catload.h, pq_catalog.h).
 *
 * Loading: one multi-statement query on the program's own connection while it is idle (no
 * transaction block, nothing in flight, not in pipeline mode), so that Capacitor never needs a
 * connection of its own: a role at its connection limit loses nothing, and an idle connection
 * holds no lock the load could wait behind. The query sets its own lock_timeout and
 * statement_timeout for its implicit transaction only (set_config(..., true)), reads catalogs
 * only (no pg_get_viewdef or other function that locks user relations), and leaves the session
 * as it found it; the hook mutes the notices it may draw and re-prepares the unnamed statement
 * its simple query destroyed before the program uses it again.
 *
 * What the rows say is filed in three places: relations, their kinds and what ties them in
 * the shared relation graph (hooks/relgraph.h); functions and the words and operators of the
 * text scan by name; functions, operators, domains and relations by oid, only while the load
 * runs, to read the views' stored trees.
 */
#include "hooks/pq_catalog.h"
#include "hooks/pq_catload.h"
#include "hooks/pq_real.h"
#include "cache/cap.h"
#include "cache/key.h"
#include "cache/log.h"

#include <stdlib.h>
#include <string.h>

/* An object by oid (relations, non-immutable or user functions and operators, domains). */
typedef struct obj {
	uint32_t oid;
	uint32_t x;  /* relations: slot in rels; others: enum cap_fn_class */
	int writes;  /* may write user tables */
} obj;

typedef struct objv {
	obj *v;
	uint32_t n;
} objv;

#define FIRST_USER_OID 16384 /* FirstNormalObjectId: objects below are built in */

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

const cap_pqname *cap_pqname_find(const cap_pqname *tab, uint32_t cap, const char *name, size_t n)
{
	if (tab == NULL)
		return NULL;
	uint32_t mask = cap - 1, i = name_hash(name, n) & mask;
	for (;; i = (i + 1) & mask) {
		const cap_pqname *f = &tab[i];
		if (f->name == NULL)
			return NULL;
		if (strlen(f->name) == n && memcmp(f->name, name, n) == 0)
			return f;
	}
}

/* fn_put - file name with class cls (the least safe wins); CAP_OK or CAP_ENOMEM. */
static int fn_put(cap_pqname *tab, uint32_t cap, uint32_t *count, const char *name, size_t n,
		  enum cap_fn_class cls, int user)
{
	uint32_t mask = cap - 1, i = name_hash(name, n) & mask;
	for (;; i = (i + 1) & mask) {
		cap_pqname *f = &tab[i];
		if (f->name == NULL) {
			if (*count + 1 > cap / 2)
				return CAP_ENOMEM;
			if ((f->name = strndup(name, n)) == NULL)
				return CAP_ENOMEM;
			f->cls = cls;
			f->user = user;
			(*count)++;
			return CAP_OK;
		}
		if (strlen(f->name) == n && memcmp(f->name, name, n) == 0) {
			if (cls > f->cls)
				f->cls = cls;
			f->user |= user;
			return CAP_OK;
		}
	}
}

static const obj *obj_find(const objv *v, uint32_t oid)
{
	uint32_t lo = 0, hi = v->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->v[mid].oid == oid)
			return &v->v[mid];
		if (v->v[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int obj_cmp(const void *a, const void *b)
{
	uint32_t x = ((const obj *)a)->oid, y = ((const obj *)b)->oid;
	return x < y ? -1 : x > y;
}

static void cat_free(cap_pqcat *c)
{
	if (c == NULL)
		return;
	cap_rg_free(&c->g);
	for (uint32_t i = 0; c->fns && i < c->fncap; i++)
		free(c->fns[i].name);
	for (uint32_t i = 0; c->words && i < c->wordcap; i++)
		free(c->words[i].name);
	for (uint32_t i = 0; i < c->nops; i++)
		free(c->ops[i]);
	free(c->fns);
	free(c->words);
	free(c->ops);
	free(c->opcls);
	free(c);
}

static void cat_destroy(cap_catbase *b)
{
	cat_free((cap_pqcat *)b);
}

/* A user function whose body is not compiled code: its IMMUTABLE or STABLE label is the
 * author's promise, which PostgreSQL does not check (such a function may still call
 * set_config, read tables, or call a volatile function that writes), so it counts as
 * volatile, a function that may write, unless the rules file declares it safe. Compiled
 * functions (LANGUAGE internal or c: built-ins and extensions) are taken at their label.
 * Objects below FirstNormalObjectId (16384) were made by initdb. */
#define UNTRUSTED(p) "(" p ".oid >= 16384 AND " p ".prolang NOT IN (SELECT l.oid " \
	"FROM pg_catalog.pg_language l WHERE l.lanname IN ('internal', 'c')))"
/* The volatility a function is taken at ('i', 's' or 'v', as text). */
#define EFF_VOL(p) "(CASE WHEN " UNTRUSTED(p) " THEN 'v' ELSE " p ".provolatile::text END)"
/* Effective volatility of a function: its own, or an aggregate's least safe support function
 * ('i' < 's' < 'v' as text, so GREATEST is the least safe). */
#define AGG_VOL "(SELECT a.aggfnoid, pg_catalog.max(" EFF_VOL("f") ") AS v " \
	"FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc f ON f.oid IN (a.aggtransfn, " \
	"a.aggfinalfn, a.aggcombinefn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn) " \
	"GROUP BY a.aggfnoid)"
/* Dependencies on user functions taken as volatile (pg_depend records none on built-in
 * objects, so starting from the user's functions loses nothing and reads few rows). */
#define VOL_DEPS(cls) "SELECT d.objid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_depend d " \
	"ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid = p.oid " \
	"AND d.classid = '" cls "'::pg_catalog.regclass WHERE p.oid >= 16384 " \
	"AND (p.provolatile = 'v' OR " UNTRUSTED("p") ")"
/* An expression's stored tree (nodeToString) that calls set_config, which changes the session
 * (search_path, role) wherever it runs: built-in, so pg_depend records no call of it. */
#define SETS_CONFIG(col) "strpos(" col "::text, ':funcid ' || " \
	"'set_config(text,text,boolean)'::regprocedure::oid || ' ') > 0"
/* Domains whose checks or default call a volatile function or set_config, and domains over
 * them. */
#define BAD_DOMAINS "WITH RECURSIVE bad(oid) AS (SELECT k.contypid FROM pg_catalog.pg_constraint k " \
	"WHERE k.contypid <> 0 AND (k.oid IN (" VOL_DEPS("pg_catalog.pg_constraint") ") " \
	"OR " SETS_CONFIG("k.conbin") ") " \
	"UNION SELECT t.oid FROM pg_catalog.pg_type t WHERE t.typtype = 'd' " \
	"AND (" SETS_CONFIG("t.typdefaultbin") " " \
	"OR t.oid IN (" VOL_DEPS("pg_catalog.pg_type") ")) " \
	"UNION SELECT t.oid FROM pg_catalog.pg_type t JOIN bad ON t.typbasetype = bad.oid " \
	"WHERE t.typtype = 'd') "

static const char q_load[] =
	/* 0: this implicit transaction only: never wait long behind another session's lock */
	"SELECT pg_catalog.set_config('lock_timeout', '1s', true), "
	"pg_catalog.set_config('statement_timeout', '10s', true), "
	/* the program's search_path must not choose the operators and functions below (a user
	 * `=` in public would run, slowly or wrongly): pg_catalog only, for this query */
	"pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true), "
	/* no JIT: compiling these plans costs far more than running them (a second once a
	 * large catalog's estimates pass jit_above_cost); through pg_settings because servers
	 * before 11 have no such parameter */
	"(SELECT pg_catalog.set_config(s.name, 'off', true) FROM pg_catalog.pg_settings s "
	"WHERE s.name = 'jit');"
	/* 1: relations */
	BAD_DOMAINS ", wf(rel) AS ("
	"SELECT ad.adrelid FROM pg_catalog.pg_attrdef ad "
	"WHERE ad.oid IN (" VOL_DEPS("pg_catalog.pg_attrdef") ") OR " SETS_CONFIG("ad.adbin") " "
	"UNION SELECT k.conrelid FROM pg_catalog.pg_constraint k "
	"WHERE k.conrelid <> 0 AND (k.oid IN (" VOL_DEPS("pg_catalog.pg_constraint") ") "
	"OR " SETS_CONFIG("k.conbin") ") "
	"UNION SELECT a.attrelid FROM pg_catalog.pg_attribute a JOIN bad ON a.atttypid = bad.oid "
	"WHERE NOT a.attisdropped "
	/* index expressions and predicates (pg_depend: the index) and partition keys (the
	 * partitioned table) run on every row written: PostgreSQL wants them IMMUTABLE, so a
	 * function mislabelled to be allowed there is common */
	"UNION SELECT i.indrelid FROM pg_catalog.pg_index i "
	"WHERE i.indexrelid IN (" VOL_DEPS("pg_catalog.pg_class") ") "
	"UNION SELECT pt.partrelid FROM pg_catalog.pg_partitioned_table pt "
	"WHERE pt.partrelid IN (" VOL_DEPS("pg_catalog.pg_class") ") "
	/* an index's operator classes: their support functions compare or hash each row
	 * written (a user btree or hash opclass over a PL function), and their operators check
	 * an exclusion constraint's rows. The families are found from the user functions, once:
	 * pairing every operator class with every function (a subquery per pair) made this
	 * query take seconds with a few hundred functions, and time out with more */
	"UNION SELECT i.indrelid FROM pg_catalog.pg_index i "
	"JOIN pg_catalog.pg_opclass oc ON oc.oid = ANY (i.indclass::pg_catalog.oid[]) "
	"WHERE oc.opcfamily IN (SELECT ap.amprocfamily FROM pg_catalog.pg_amproc ap "
	"JOIN pg_catalog.pg_proc p ON p.oid = ap.amproc WHERE " UNTRUSTED("p") " "
	"UNION SELECT ao.amopfamily FROM pg_catalog.pg_amop ao "
	"JOIN pg_catalog.pg_operator o ON o.oid = ao.amopopr "
	"JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode WHERE " UNTRUSTED("p") ") "
	/* row-level security policies: a write checks its rows against them (a table's
	 * owner and superusers skip them, but the catalog is the same for every role) */
	"UNION SELECT pol.polrelid FROM pg_catalog.pg_policy pol "
	"WHERE pol.oid IN (" VOL_DEPS("pg_catalog.pg_policy") ") "
	"OR " SETS_CONFIG("pol.polqual") " OR " SETS_CONFIG("pol.polwithcheck") ") "
	"SELECT c.oid, c.relname, c.relkind, c.relhasrules, "
	"EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), "
	"c.relrowsecurity, c.oid IN (SELECT rel FROM wf), c.relpersistence = 'u' "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind IN ('r','v','m','f','p','S') "
	"AND n.nspname NOT IN ('pg_catalog','information_schema') "
	"AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp';"
	/* 2: every function: oid, name, effective volatility (EFF_VOL), outside pg_catalog, may
	 * write user tables, callable by attribute notation (one argument of a row or
	 * polymorphic type) */
	"SELECT p.oid, p.proname, GREATEST(" EFF_VOL("p") ", ag.v), "
	"p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace, "
	"GREATEST(" EFF_VOL("p") ", ag.v) = 'v' AND (p.oid >= 16384 "
	"OR p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace "
	"OR p.proname ~ 'xml' OR p.proname = 'set_config'), "
	"p.pronargs >= 1 AND p.pronargs - p.pronargdefaults <= 1 AND (p.proargtypes[0] IN "
	"('record'::pg_catalog.regtype, 'anyelement'::pg_catalog.regtype, "
	"'anynonarray'::pg_catalog.regtype, 'anycompatible'::pg_catalog.regtype, "
	"'anycompatiblenonarray'::pg_catalog.regtype) OR t0.typtype = 'c'), "
	/* a non-volatile BEGIN ATOMIC body and argument defaults (trust_bodies); through
	 * to_jsonb because servers before 14 have no prosqlbody column */
	"CASE WHEN p.oid >= 16384 AND p.provolatile <> 'v' THEN (SELECT b.v || ' ' || "
	"COALESCE(p.proargdefaults::text, '') FROM (SELECT pg_catalog.to_jsonb(p) ->> "
	"'prosqlbody' AS v) b WHERE b.v IS NOT NULL) END, p.provolatile "
	"FROM pg_catalog.pg_proc p LEFT JOIN " AGG_VOL " ag ON ag.aggfnoid = p.oid "
	"LEFT JOIN pg_catalog.pg_type t0 ON t0.oid = p.proargtypes[0] ORDER BY p.oid;"
	/* 3: operators whose function is not immutable, or user operators */
	"SELECT o.oid, o.oprname, " EFF_VOL("p") ", "
	"o.oprnamespace <> 'pg_catalog'::pg_catalog.regnamespace, "
	EFF_VOL("p") " = 'v' AND (p.oid >= 16384 "
	"OR p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace) "
	"FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode "
	"WHERE " EFF_VOL("p") " <> 'i' OR o.oid >= 16384 ORDER BY o.oid;"
	/* 4: names the text scan looks for besides functions: domains with volatile checks,
	 * target types of explicit user casts whose function is not immutable */
	BAD_DOMAINS "SELECT t.oid, t.typname, 'v' FROM pg_catalog.pg_type t JOIN bad ON bad.oid = t.oid "
	"UNION ALL SELECT 0, t.typname, " EFF_VOL("p") " FROM pg_catalog.pg_cast k "
	"JOIN pg_catalog.pg_proc p ON p.oid = k.castfunc "
	"JOIN pg_catalog.pg_type t ON t.oid = k.casttarget "
	"WHERE k.oid >= 16384 AND k.castcontext = 'e' AND " EFF_VOL("p") " <> 'i';"
	/* 5: code that may run in any statement: implicit or assignment user casts, and types
	 * whose input or output function is volatile */
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_cast k JOIN pg_catalog.pg_proc p ON p.oid = k.castfunc "
	"WHERE k.oid >= 16384 AND k.castcontext <> 'e' AND " EFF_VOL("p") " <> 'i') "
	"OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_proc p ON p.oid IN "
	"(t.typinput, t.typoutput, t.typreceive, t.typsend) WHERE t.oid >= 16384 "
	"AND " EFF_VOL("p") " = 'v');"
	/* 6: views' stored definitions */
	"SELECT r.ev_class, r.ev_action FROM pg_catalog.pg_rewrite r "
	"JOIN pg_catalog.pg_class c ON c.oid = r.ev_class "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind = 'v' AND r.rulename = '_RETURN' "
	"AND n.nspname NOT IN ('pg_catalog','information_schema');"
	/* 7: cascading foreign keys */
	"SELECT p.relname, c.relname FROM pg_catalog.pg_constraint k "
	"JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
	"JOIN pg_catalog.pg_class p ON p.oid = k.confrelid "
	"WHERE k.contype = 'f' AND (k.confdeltype IN ('c','n','d') OR k.confupdtype IN ('c','n','d'));"
	/* 8: inheritance and partitions */
	"SELECT c.relname, p.relname FROM pg_catalog.pg_inherits i "
	"JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid "
	"JOIN pg_catalog.pg_class p ON p.oid = i.inhparent;"
	/* 9: enabled event triggers: DDL runs user code (which may change the session) */
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtenabled <> 'D')";

enum { R_SET, R_RELS, R_PROCS, R_OPS, R_WORDS, R_TAINT, R_VIEWS, R_FKS, R_INH, R_EVT, R_N };

static enum cap_fn_class cls_of(const char *v)
{
	return v[0] == 'i' ? CAP_FN_IMMUTABLE : v[0] == 's' ? CAP_FN_STABLE : CAP_FN_VOLATILE;
}

static int is_t(const PGresult *r, int row, int col)
{
	return cap_pq.real_PQgetvalue(r, row, col)[0] == 't';
}

static uint32_t oid_at(const PGresult *r, int row, int col)
{
	return (uint32_t)strtoul(cap_pq.real_PQgetvalue(r, row, col), NULL, 10);
}

/* A word for the text scan, lower-cased (the scan folds the statement the same way); a name
 * the scan cannot see as one identifier makes every statement suspect. */
static int word_add(cap_pqcat *c, const char *name, enum cap_fn_class cls)
{
	char buf[256];
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof(buf)) {
		c->taint = 1;
		return CAP_OK;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!(ch >= 0x80 || ch == '_' || ch == '$' || (ch >= '0' && ch <= '9') ||
		      ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')))
			c->taint = 1;
		buf[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch);
	}
	c->word_lens |= 1ull << (n < 63 ? n : 63);
	c->word_first[(uint8_t)buf[0] >> 6] |= 1ull << ((uint8_t)buf[0] & 63);
	return fn_put(c->words, c->wordcap, &c->nwords, buf, n, cls, 1);
}

/* Row i of the function query filed by name with class cls: the least safe of a name wins. */
static int proc_name(cap_pqcat *c, const PGresult *r, int i, enum cap_fn_class cls, int writes)
{
	const char *name = cap_pq.real_PQgetvalue(r, i, 1);
	int user = is_t(r, i, 3);
	if (fn_put(c->fns, c->fncap, &c->nfns, name, strlen(name), cls, user) != CAP_OK)
		return CAP_ENOMEM;
	if (user && cap_sql_pg_builtin(name, strlen(name)))
		c->shadows = 1;
	/* t.f calls f(t): a word the classifier takes for a column */
	if (is_t(r, i, 5) && (cls == CAP_FN_VOLATILE || (user && cls != CAP_FN_IMMUTABLE)) &&
	    word_add(c, name, writes ? CAP_FN_VOLATILE : CAP_FN_STABLE) != CAP_OK)
		return CAP_ENOMEM;
	return CAP_OK;
}

/* Functions by oid, and by name (but for bodies trust_bodies judges). */
static int load_procs(cap_pqcat *c, const PGresult *r, objv *procs)
{
	int n = cap_pq.real_PQntuples(r);
	c->fncap = cap_pow2((uint32_t)n + 1);
	c->fns = calloc(c->fncap, sizeof(cap_pqname));
	procs->v = malloc(((size_t)n + 1) * sizeof(obj));
	if (c->fns == NULL || procs->v == NULL)
		return CAP_ENOMEM;
	for (int i = 0; i < n; i++) {
		enum cap_fn_class cls = cls_of(cap_pq.real_PQgetvalue(r, i, 2));
		uint32_t oid = oid_at(r, i, 0);
		if (cls != CAP_FN_IMMUTABLE || oid >= FIRST_USER_OID)
			procs->v[procs->n++] = (obj){ oid, cls, is_t(r, i, 4) };
		/* a body not judged yet (trust_bodies) is filed by name once it is */
		if (cap_pq.real_PQgetisnull(r, i, 6) &&
		    proc_name(c, r, i, cls, is_t(r, i, 4)) != CAP_OK)
			return CAP_ENOMEM;
	}
	return CAP_OK;
}

static int load_ops(cap_pqcat *c, const PGresult *r, objv *ops)
{
	int n = cap_pq.real_PQntuples(r);
	ops->v = malloc(((size_t)n + 1) * sizeof(obj));
	c->ops = calloc((size_t)n + 1, sizeof(char *));
	c->opcls = calloc((size_t)n + 1, 1);
	if (ops->v == NULL || c->ops == NULL || c->opcls == NULL)
		return CAP_ENOMEM;
	for (int i = 0; i < n; i++) {
		enum cap_fn_class cls = cls_of(cap_pq.real_PQgetvalue(r, i, 2));
		int writes = is_t(r, i, 4);
		ops->v[ops->n++] = (obj){ oid_at(r, i, 0), cls, writes };
		if (cls == CAP_FN_IMMUTABLE || (!is_t(r, i, 3) && cls != CAP_FN_VOLATILE))
			continue; /* built-in operators that depend only on session settings */
		if ((c->ops[c->nops] = strdup(cap_pq.real_PQgetvalue(r, i, 1))) == NULL)
			return CAP_ENOMEM;
		c->opcls[c->nops++] = (uint8_t)(writes ? CAP_FN_VOLATILE : CAP_FN_STABLE);
	}
	return CAP_OK;
}

static int load_words(cap_pqcat *c, const PGresult *r, objv *doms)
{
	int n = cap_pq.real_PQntuples(r);
	doms->v = malloc(((size_t)n + 1) * sizeof(obj));
	if (doms->v == NULL)
		return CAP_ENOMEM;
	for (int i = 0; i < n; i++) {
		uint32_t oid = oid_at(r, i, 0);
		enum cap_fn_class cls = cls_of(cap_pq.real_PQgetvalue(r, i, 2));
		if (oid)
			doms->v[doms->n++] = (obj){ oid, cls, 1 };
		if (word_add(c, cap_pq.real_PQgetvalue(r, i, 1), cls) != CAP_OK)
			return CAP_ENOMEM;
	}
	qsort(doms->v, doms->n, sizeof(obj), obj_cmp);
	return CAP_OK;
}

typedef struct viewscan {
	int bad, writes;
} viewscan;

/* One oid a view's tree names: a function, an operator or a domain. */
static void view_obj(const objv *v, uint32_t oid, int user_unknown_bad, viewscan *vs)
{
	const obj *o = obj_find(v, oid);
	if (o == NULL) {
		if (oid >= FIRST_USER_OID && user_unknown_bad)
			vs->bad = vs->writes = 1; /* created after the list was read */
		return;
	}
	if (o->x != CAP_FN_IMMUTABLE)
		vs->bad = 1;
	if (o->writes)
		vs->writes = 1;
}

static int is_datetime_type(uint32_t oid)
{
	/* date, time, timestamp, timestamptz, timetz: text read at run time may say 'now' */
	return oid == 1082 || oid == 1083 || oid == 1114 || oid == 1184 || oid == 1266;
}

/* A stored tree (nodeToString output): "{TAG :key value ...}". The keys that hold oids of
 * what it runs are looked at wherever they stand; anything that could make its rows change
 * without a write (current time, sequences, row locks, sampling) marks it bad. A view's
 * (vi its slot) relations become its bases; a function body's (vi CAP_RG_NONE) make it bad. */
static void scan_tree(cap_pqcat *c, uint32_t vi, uint32_t self, const char *s, const objv *rels,
		      const objv *procs, const objv *ops, const objv *doms, viewscan *out)
{
	viewscan vs = { 0, 0 };
	int io = strstr(s, "{COERCEVIAIO") != NULL;
	if (strstr(s, "{SQLVALUEFUNCTION") || strstr(s, "{NEXTVALEXPR") ||
	    strstr(s, ":hasForUpdate true") || strstr(s, ":tablesample {"))
		vs.bad = 1;
	for (const char *p = strchr(s, ':'); p; p = strchr(p + 1, ':')) {
		const char *k = p + 1, *e = k;
		while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == '_')
			e++;
		size_t kl = (size_t)(e - k);
		const char *v = e;
		while (*v == ' ')
			v++;
#define KEY(lit) (kl == sizeof(lit) - 1 && memcmp(k, lit, kl) == 0)
		if (KEY("opnos")) { /* RowCompareExpr: (o 96 97) */
			if (v[0] == '(' && v[1] == 'o')
				for (char *q = (char *)v + 2; *q == ' ';) {
					char *from = q;
					uint32_t oid = (uint32_t)strtoul(q, &q, 10);
					if (q == from)
						break;
					view_obj(ops, oid, 1, &vs);
				}
			continue;
		}
		if (*v < '0' || *v > '9')
			continue;
		uint32_t oid = (uint32_t)strtoul(v, NULL, 10);
		if (KEY("funcid") || KEY("opfuncid") || KEY("aggfnoid") || KEY("winfnoid")) {
			if (oid)
				view_obj(procs, oid, 1, &vs);
		} else if (KEY("opno") || KEY("eqop") || KEY("sortop")) {
			if (oid)
				view_obj(ops, oid, 1, &vs);
		} else if (KEY("resulttype")) {
			view_obj(doms, oid, 0, &vs);
			if (io && is_datetime_type(oid))
				vs.bad = 1;
		} else if (KEY("relid") && oid != self) {
			const obj *o = vi == CAP_RG_NONE ? NULL : obj_find(rels, oid);
			if (o == NULL || cap_rg_view_base(&c->g, vi, o->x) != CAP_OK)
				vs.bad = 1; /* a system catalog, or unknown */
		}
#undef KEY
	}
	*out = vs;
}

static int load_view(cap_pqcat *c, uint32_t vi, uint32_t self, const char *s, const objv *rels,
		     const objv *procs, const objv *ops, const objv *doms)
{
	viewscan vs;
	scan_tree(c, vi, self, s, rels, procs, ops, doms, &vs);
	if (vs.bad || vs.writes)
		c->g.rels[vi].flags |= CAP_RG_VIEW_BAD;
	if (vs.writes)
		c->g.rels[vi].flags |= CAP_RG_VIEW_WRITES;
	return CAP_OK;
}

/* A LANGUAGE sql function with a BEGIN ATOMIC body (PostgreSQL 14 and later) is parsed when it
 * is created: its stored tree names every function, operator, domain and relation it uses, as
 * a view's does. One that reads no relation and runs only immutable code keeps its label;
 * the others stay volatile functions that may write. Bodies are judged in oid order, so one
 * that calls a function judged after it finds that function still volatile: only caution is
 * lost. Its argument defaults (inserted at the call) count as its body. */
static int trust_bodies(cap_pqcat *c, const PGresult *r, objv *procs, const objv *ops,
			const objv *doms)
{
	for (int i = 0; i < cap_pq.real_PQntuples(r); i++) {
		if (cap_pq.real_PQgetisnull(r, i, 6))
			continue;
		obj *o = (obj *)obj_find(procs, oid_at(r, i, 0)); /* filed: oid >= 16384 */
		const char *body = cap_pq.real_PQgetvalue(r, i, 6);
		viewscan vs;
		scan_tree(c, CAP_RG_NONE, 0, body, NULL, procs, ops, doms, &vs);
		if (o && !vs.bad && !vs.writes) {
			o->x = cls_of(cap_pq.real_PQgetvalue(r, i, 7));
			o->writes = 0;
		}
		if (proc_name(c, r, i, o ? o->x : CAP_FN_VOLATILE, o ? o->writes : 1) != CAP_OK)
			return CAP_ENOMEM;
	}
	return CAP_OK;
}

static int load_pairs(cap_pqcat *c, PGresult *r, int inheritance)
{
	for (int i = 0; i < cap_pq.real_PQntuples(r); i++) {
		const char *a = cap_pq.real_PQgetvalue(r, i, 0), *b = cap_pq.real_PQgetvalue(r, i, 1);
		uint32_t x = cap_rg_add(&c->g, a, strlen(a)), y = cap_rg_add(&c->g, b, strlen(b));
		if (x == CAP_RG_NONE || y == CAP_RG_NONE)
			return CAP_ENOMEM;
		/* a relation outside the schemas the relation query reads (a temporary table) is
		 * known from here: read and written by its name, as a plain table */
		c->g.rels[x].flags |= CAP_RG_KNOWN;
		c->g.rels[y].flags |= CAP_RG_KNOWN;
		if (inheritance) { /* a is the child of b */
			c->g.rels[x].flags |= REL_PARTED;
			c->g.rels[y].flags |= REL_PARTED;
			if (cap_rg_inherits(&c->g, x, y) != CAP_OK)
				return CAP_ENOMEM;
		} else if (cap_rg_cascade(&c->g, x, y, 0) != CAP_OK) { /* writes to a change b */
			return CAP_ENOMEM;
		}
	}
	return CAP_OK;
}

static int load_rels(cap_pqcat *c, const PGresult *rr, objv *rels)
{
	int nrel = cap_pq.real_PQntuples(rr);
	if (cap_rg_init(&c->g, (uint32_t)nrel * 4 + 128, 0) != CAP_OK)
		return CAP_ENOMEM;
	/* what a read refuses and what makes a write's effects unknowable (pq_catalog.h) */
	c->g.refuse[0].flags = REL_SEQUENCE;
	c->g.refuse[0].why = CAP_REASON_volatile;
	c->g.refuse[1].flags = REL_FOREIGN | REL_RLS;
	c->g.refuse[1].why = CAP_REASON_catalog;
	c->g.write_whole = RUNS_CODE | REL_WRITE_FNS;
	rels->v = malloc(((size_t)nrel + 1) * sizeof(obj));
	if (rels->v == NULL)
		return CAP_ENOMEM;
	for (int i = 0; i < nrel; i++) {
		const char *name = cap_pq.real_PQgetvalue(rr, i, 1);
		char kind = cap_pq.real_PQgetvalue(rr, i, 2)[0];
		uint32_t x = cap_rg_add(&c->g, name, strlen(name));
		if (x == CAP_RG_NONE)
			return CAP_ENOMEM;
		rels->v[rels->n++] = (obj){ oid_at(rr, i, 0), x, 0 };
		cap_rgrel *r = &c->g.rels[x];
		r->flags |= CAP_RG_KNOWN;
		switch (kind) {
		case 'v': r->flags |= CAP_RG_VIEW; break;
		case 'm': r->flags |= REL_MATVIEW; break;
		case 'f': r->flags |= REL_FOREIGN; break;
		case 'S': r->flags |= REL_SEQUENCE; break;
		default: r->flags |= CAP_RG_TABLE; break;
		}
		if (kind != 'v' && is_t(rr, i, 3))
			r->flags |= REL_RULES;
		if (is_t(rr, i, 4))
			r->flags |= REL_TRIGGERS;
		if (is_t(rr, i, 5))
			r->flags |= REL_RLS;
		if (is_t(rr, i, 6))
			r->flags |= REL_WRITE_FNS;
		if (is_t(rr, i, 7)) {
			r->flags |= REL_UNLOGGED;
			c->unlogged = 1;
		}
	}
	qsort(rels->v, rels->n, sizeof(obj), obj_cmp);
	return CAP_OK;
}

static cap_pqcat *cat_build(PGresult **res)
{
	cap_pqcat *c = calloc(1, sizeof(*c));
	objv rels = { NULL, 0 }, procs = { NULL, 0 }, ops = { NULL, 0 }, doms = { NULL, 0 };
	if (c == NULL)
		return NULL;
	c->base.destroy = cat_destroy;
	c->wordcap = 64;
	while (c->wordcap < (uint32_t)cap_pq.real_PQntuples(res[R_WORDS]) * 4 + 64 ||
	       c->wordcap < (uint32_t)cap_pq.real_PQntuples(res[R_PROCS]) * 2)
		c->wordcap <<= 1;
	c->words = calloc(c->wordcap, sizeof(cap_pqname));
	c->taint = cap_pq.real_PQntuples(res[R_TAINT]) != 1 || is_t(res[R_TAINT], 0, 0);
	/* unreadable: assumed present */
	c->event_triggers = cap_pq.real_PQntuples(res[R_EVT]) != 1 || is_t(res[R_EVT], 0, 0);
	if (c->words == NULL || load_rels(c, res[R_RELS], &rels) != CAP_OK ||
	    load_procs(c, res[R_PROCS], &procs) != CAP_OK || load_ops(c, res[R_OPS], &ops) != CAP_OK ||
	    load_words(c, res[R_WORDS], &doms) != CAP_OK ||
	    trust_bodies(c, res[R_PROCS], &procs, &ops, &doms) != CAP_OK)
		goto fail;
	for (int i = 0; i < cap_pq.real_PQntuples(res[R_VIEWS]); i++) {
		uint32_t self = oid_at(res[R_VIEWS], i, 0);
		const obj *o = obj_find(&rels, self);
		if (o && load_view(c, o->x, self, cap_pq.real_PQgetvalue(res[R_VIEWS], i, 1), &rels, &procs,
				   &ops, &doms) != CAP_OK)
			goto fail;
	}
	if (load_pairs(c, res[R_FKS], 0) == CAP_OK && load_pairs(c, res[R_INH], 1) == CAP_OK) {
		cap_rg_finish(&c->g);
		goto out;
	}
fail:
	cat_free(c);
	c = NULL;
out:
	free(rels.v);
	free(procs.v);
	free(ops.v);
	free(doms.v);
	return c;
}

_Static_assert(R_N == CAP_PQCAT_NRES, "the catalog query's statements");

int cap_pqcat_send(PGconn *conn)
{
	if (CAP_REAL(cap_pq.real_PQsendQuery(conn, q_load)))
		return 1;
	cap_log(CAP_LOG_INFO, "catalog query not sent: %s", cap_pq.real_PQerrorMessage(conn));
	return 0;
}

void cap_pqcat_take(cap_pqcat_rx *rx, PGconn *conn, PGresult *r)
{
	if (cap_pq.real_PQresultStatus(r) != PGRES_TUPLES_OK || rx->n >= R_N) {
		if (!rx->failed)
			cap_log(CAP_LOG_INFO, "catalog query failed: %s", cap_pq.real_PQerrorMessage(conn));
		rx->failed = 1;
		cap_pq.real_PQclear(r);
		return;
	}
	rx->res[rx->n++] = r;
}

cap_pqcat *cap_pqcat_build(cap_pqcat_rx *rx)
{
	cap_pqcat *c = !rx->failed && rx->n == R_N ? cat_build(rx->res) : NULL;
	cap_pqcat_rx_clear(rx);
	return c;
}

void cap_pqcat_rx_clear(cap_pqcat_rx *rx)
{
	for (int i = 0; i < rx->n; i++)
		cap_pq.real_PQclear(rx->res[i]);
	rx->n = 0;
	rx->failed = 0;
}

cap_pqcat *cap_pqcat_load(PGconn *conn)
{
	cap_pqcat_rx rx = { { NULL }, 0, 0 };
	if (!cap_pqcat_send(conn))
		return NULL;
	for (PGresult *r; (r = CAP_REAL(cap_pq.real_PQgetResult(conn))) != NULL;)
		cap_pqcat_take(&rx, conn, r);
	return cap_pqcat_build(&rx);
}

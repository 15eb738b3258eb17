/*
 * test_relgraph.c - the catalogs' relation graph (hooks/relgraph), without a server.
 *
 * Each case builds a graph from a few lines, as a catalog would file what its server said,
 * and asks one question:
 *
 *     table t              a known plain table
 *     view v b1 b2 ...     a known view over b1, b2 (each filed, as a catalog files the
 *                          names a definition reads)
 *     name x               a name filed but not known (a base the user cannot see)
 *     bad v | writes v     a view that may not be cached | whose definition may write
 *     foreign x | volatile x | trig x | flag x   the catalog's own flags (policy below)
 *     fk p c               a cascading key, parent p, child c; fkr: readers depend on p
 *     inh c p              c inherits from (is a partition of) p
 *
 * Questions: "read a,b" gives the names cap_rg_read_deps visits, in order, or "!catalog",
 * "!volatile" when the read is refused for that reason; "write a,b" the names cap_rg_write_reach visits, then "|whole"
 * when only the whole database will do. Policy: foreign refuses a read (catalog), then
 * volatile (volatile); a write reaching trig or a view is unknowable.
 */
#include "hooks/relgraph.h"
#include "cache/cap.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

enum {
	F_FOREIGN = CAP_RG_OWN << 0,
	F_VOLATILE = CAP_RG_OWN << 1,
	F_TRIG = CAP_RG_OWN << 2,
	F_FLAG = CAP_RG_OWN << 3,
};

static uint32_t add(cap_relgraph *g, const char *name)
{
	uint32_t x = cap_rg_add(g, name, strlen(name));
	cr_assert_neq(x, CAP_RG_NONE, "cannot file %s", name);
	return x;
}

/* Build g from spec: lines separated by ';'. */
static void build(cap_relgraph *g, const char *spec, int fold)
{
	cr_assert_eq(cap_rg_init(g, 64, fold), CAP_OK);
	g->refuse[0].flags = F_FOREIGN;
	g->refuse[0].why = CAP_REASON_catalog;
	g->refuse[1].flags = F_VOLATILE;
	g->refuse[1].why = CAP_REASON_volatile;
	g->write_whole = F_TRIG | CAP_RG_VIEW;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", spec);
	char *save1 = NULL;
	for (char *line = strtok_r(buf, ";", &save1); line; line = strtok_r(NULL, ";", &save1)) {
		char *save2 = NULL, *w[40];
		int n = 0;
		for (char *t = strtok_r(line, " ", &save2); t && n < 40; t = strtok_r(NULL, " ", &save2))
			w[n++] = t;
		if (n < 2)
			continue;
		uint32_t x = add(g, w[1]);
		uint32_t *f = &g->rels[x].flags;
		if (strcmp(w[0], "table") == 0) {
			*f |= CAP_RG_KNOWN | CAP_RG_TABLE;
		} else if (strcmp(w[0], "view") == 0) {
			*f |= CAP_RG_KNOWN | CAP_RG_VIEW;
			for (int i = 2; i < n; i++)
				cr_assert_eq(cap_rg_view_base(g, x, add(g, w[i])), CAP_OK);
		} else if (strcmp(w[0], "name") == 0) {
			/* filed only */
		} else if (strcmp(w[0], "bad") == 0) {
			*f |= CAP_RG_VIEW_BAD;
		} else if (strcmp(w[0], "writes") == 0) {
			*f |= CAP_RG_VIEW_WRITES;
		} else if (strcmp(w[0], "foreign") == 0) {
			*f |= CAP_RG_KNOWN | F_FOREIGN;
		} else if (strcmp(w[0], "volatile") == 0) {
			*f |= F_VOLATILE;
		} else if (strcmp(w[0], "trig") == 0) {
			*f |= F_TRIG;
		} else if (strcmp(w[0], "flag") == 0) {
			*f |= F_FLAG;
		} else if (strcmp(w[0], "fk") == 0 || strcmp(w[0], "fkr") == 0) {
			cr_assert_eq(cap_rg_cascade(g, x, add(g, w[2]), w[0][2] == 'r'), CAP_OK);
		} else if (strcmp(w[0], "inh") == 0) {
			cr_assert_eq(cap_rg_inherits(g, x, add(g, w[2])), CAP_OK);
		} else {
			cr_assert_fail("bad spec line %s", w[0]);
		}
	}
	cap_rg_finish(g);
}

/* names "a,b" as the classifier would report them read (or written) */
static void mkinfo(cap_sql_info *info, const char *names, int write)
{
	memset(info, 0, sizeof(*info));
	for (const char *p = names; *p;) {
		size_t n = strcspn(p, ",");
		cap_sql_name *nm = write ? &info->write[info->nwrite++] : &info->read[info->nread++];
		memcpy(info->names + info->names_len, p, n);
		*nm = (cap_sql_name){ 0, 0, info->names_len, (uint16_t)n };
		info->names_len = (uint16_t)(info->names_len + n);
		p += n;
		if (*p == ',')
			p++;
	}
}

typedef struct seen {
	char out[2048];
	int stop_after; /* visits before the visitor says stop; 0: never */
	int n;
} seen;

static int record(void *arg, const char *name, size_t n)
{
	seen *s = arg;
	size_t l = strlen(s->out);
	snprintf(s->out + l, sizeof(s->out) - l, "%s%.*s", l ? "," : "", (int)n, name);
	return s->stop_after && ++s->n >= s->stop_after ? CAP_ETOOBIG : CAP_OK;
}

/* Ask q ("read ..." or "write ...") of the graph built from spec. */
static void ask(const char *spec, const char *q, char *out, size_t outsz)
{
	cap_relgraph g;
	static cap_sql_info info;
	seen s = { "", 0, 0 };
	build(&g, spec, 0);
	if (strncmp(q, "read ", 5) == 0) {
		enum cap_reason why = CAP_REASON__N;
		mkinfo(&info, q + 5, 0);
		if (cap_rg_read_deps(&g, &info, record, &s, &why) == CAP_OK)
			snprintf(out, outsz, "%s", s.out);
		else
			snprintf(out, outsz, "!%s", why == CAP_REASON_catalog    ? "catalog"
						    : why == CAP_REASON_volatile ? "volatile"
										 : "other");
	} else {
		mkinfo(&info, q + 6, 1);
		int whole = cap_rg_write_reach(&g, &info, g.write_whole, record, &s);
		snprintf(out, outsz, "%s%s", s.out, whole ? "|whole" : "");
	}
	cap_rg_free(&g);
}

typedef struct gcase {
	const char *spec, *q, *want;
} gcase;

static const char chain16[] =
	"table t;view v15 t;view v14 v15;view v13 v14;view v12 v13;view v11 v12;view v10 v11;"
	"view v9 v10;view v8 v9;view v7 v8;view v6 v7;view v5 v6;view v4 v5;view v3 v4;"
	"view v2 v3;view v1 v2;view v0 v1";
static const char chain17[] = "view top v0;table t;view v15 t;view v14 v15;view v13 v14;"
	"view v12 v13;view v11 v12;view v10 v11;view v9 v10;view v8 v9;view v7 v8;view v6 v7;"
	"view v5 v6;view v4 v5;view v3 v4;view v2 v3;view v1 v2;view v0 v1";

static const gcase reads[] = {
	{ "table t", "read t", "t" },
	{ "table t", "read u", "!catalog" },
	{ "name x", "read x", "!catalog" },
	/* view over view */
	{ "table t;view v1 t;view v2 v1", "read v2", "v2,v1,t" },
	{ "table t;table u;view v1 t;view v2 v1 u", "read v2,u", "v2,v1,t,u,u" },
	/* a diamond: each path is followed */
	{ "table t;view a t;view b t;view v a b", "read v", "v,a,t,b,t" },
	/* a view over a name the catalog only saw there is read by that name */
	{ "view v x", "read v", "v,x" },
	{ "table t;view v t;bad v", "read v", "!volatile" },
	{ "table t;view w t;bad w;view v w", "read v", "!volatile" },
	{ "foreign f;view v f", "read v", "!catalog" },
	{ "table t;volatile t", "read t", "!volatile" },
	/* refuse[0] is asked first */
	{ "foreign t;volatile t", "read t", "!catalog" },
	/* sixteen views over a table are followed, seventeen are not; a cycle ends there too */
	{ chain16, "read v0", "v0,v1,v2,v3,v4,v5,v6,v7,v8,v9,v10,v11,v12,v13,v14,v15,t" },
	{ chain17, "read top", "!catalog" },
	{ "view a b;view b a", "read a", "!catalog" },
	/* cascades: only readers' keys (fkr) make a read depend on the parents, transitively */
	{ "table p;table c;fk p c", "read c", "c" },
	{ "table p;table c;fkr p c", "read c", "c,p" },
	{ "table g;table p;table c;fkr g p;fkr p c", "read c", "c,p,g" },
	{ "table a;table b;fkr a b;fkr b a", "read a", "a,b" },
	{ "table a;table b;table c;fkr a b;fkr b c;fkr c a", "read c", "c,b,a" },
	{ "name p;table c;fkr p c", "read c", "!catalog" },
	{ "table p;table c;fkr p c;view v c", "read v", "v,c,p" },
	/* inheritance adds nothing to a read's dependencies (the name covers it) */
	{ "table p;table c;inh c p", "read p", "p" },
};

static const gcase writes[] = {
	{ "table t", "write t", "t,t" },
	/* a name unknown when loaded: bumped by name, and the whole database */
	{ "table t", "write n", "n|whole" },
	{ "table t;trig t", "write t", "t|whole" },
	{ "table t;view v t", "write v", "v|whole" },
	/* cascading chains, and a cycle of them */
	{ "table a;table b;table c;fk a b;fk b c", "write a", "a,a,b,c" },
	{ "table a;table b;table c;fk a b;fk b c", "write b", "b,b,c" },
	{ "table a;table b;fk a b;fk b a", "write a", "a,a,b" },
	{ "table a;table b;table c;fk a b;fk b c;fk c a", "write b", "b,b,c,a" },
	{ "table a;table b;trig b;fk a b", "write a", "a,a|whole" },
	{ "table a;table b;fkr a b", "write a", "a,a,b" },
	/* partitions and inheritance: a write to either side changes the other */
	{ "table p;table c;inh c p", "write c", "c,c,p" },
	{ "table p;table c;inh c p", "write p", "p,p,c" },
	{ "table p;table c1;table c2;inh c1 p;inh c2 p", "write c1", "c1,c1,p,c2" },
	{ "table p;table c1;table c11;inh c1 p;inh c11 c1", "write c11", "c11,c11,c1,p" },
	{ "table p;table c;table d;inh c p;fk c d", "write p", "p,p,c,d" },
	{ "table p;table c;trig c;inh c p", "write p", "p,p|whole" },
	/* each written name once, the seen set shared */
	{ "table a;table b;fk a b", "write a,b", "a,a,b,b" },
};

static void run(const gcase *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char got[2048];
		ask(cs[i].spec, cs[i].q, got, sizeof(got));
		cr_expect_str_eq(got, cs[i].want, "[%s] %s", cs[i].spec, cs[i].q);
	}
}

Test(relgraph, reads)
{
	run(reads, CAP_ARRAY_LEN(reads));
}

Test(relgraph, writes)
{
	run(writes, CAP_ARRAY_LEN(writes));
}

/* A write to a table reaches every view over it: the table, or a table its write changes,
 * is among the view's dependencies. */
Test(relgraph, write_reaches_dependent_views)
{
	static const char spec[] = "table t;table u;table w;fk t u;inh w t;view v1 t;view v2 v1;"
				   "view v3 u;view v4 v2 v3;view vw w";
	static const char *const views[] = { "v1", "v2", "v3", "v4", "vw" };
	cap_relgraph g;
	static cap_sql_info info;
	build(&g, spec, 0);
	seen bumped = { "", 0, 0 };
	mkinfo(&info, "t", 1);
	cr_assert_eq(cap_rg_write_reach(&g, &info, g.write_whole, record, &bumped), 0);
	for (size_t i = 0; i < CAP_ARRAY_LEN(views); i++) {
		seen deps = { "", 0, 0 };
		enum cap_reason why;
		mkinfo(&info, views[i], 0);
		cr_assert_eq(cap_rg_read_deps(&g, &info, record, &deps, &why), CAP_OK);
		int met = 0;
		char b[2048];
		snprintf(b, sizeof(b), "%s", bumped.out);
		for (char *sv = NULL, *t = strtok_r(b, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
			char d[2048];
			snprintf(d, sizeof(d), "%s", deps.out);
			for (char *sv2 = NULL, *x = strtok_r(d, ",", &sv2); x; x = strtok_r(NULL, ",", &sv2))
				met |= strcmp(t, x) == 0;
		}
		cr_expect(met, "a write to t (%s) misses %s (%s)", bumped.out, views[i], deps.out);
	}
	cap_rg_free(&g);
}

Test(relgraph, visitor_stops_a_read)
{
	cap_relgraph g;
	static cap_sql_info info;
	build(&g, "table t;view v1 t;view v2 v1", 0);
	seen s = { "", 2, 0 };
	enum cap_reason why = CAP_REASON__N;
	mkinfo(&info, "v2", 0);
	cr_assert_neq(cap_rg_read_deps(&g, &info, record, &s, &why), CAP_OK);
	cr_assert_eq(why, CAP_REASON_uncacheable);
	cr_assert_str_eq(s.out, "v2,v1");
	cap_rg_free(&g);
}

static int view_writes(const char *spec, const char *name)
{
	cap_relgraph g;
	build(&g, spec, 0);
	int r = cap_rg_view_writes(&g, cap_rg_find(&g, name, strlen(name)));
	cap_rg_free(&g);
	return r;
}

Test(relgraph, views_that_may_write)
{
	cr_assert_eq(view_writes("table t;view v t", "v"), 0);
	cr_assert_eq(view_writes("table t;view v t;writes v", "v"), 1);
	cr_assert_eq(view_writes("table t;view w t;writes w;view v w", "v"), 1);
	cr_assert_eq(view_writes("view v x", "v"), 1); /* over what the catalog cannot see */
	cr_assert_eq(view_writes("view a b;view b a", "a"), 1);
	/* what lies sixteen views down is not looked at */
	cr_assert_eq(view_writes(chain16, "v1"), 0);
	cr_assert_eq(view_writes(chain16, "v0"), 1);

	cap_relgraph g;
	static cap_sql_info info;
	build(&g, "table t;view v t", 0);
	cr_assert_eq(g.view_writes, 0);
	mkinfo(&info, "v,t", 0);
	cr_assert_eq(cap_rg_reads_may_write(&g, &info), 0);
	cap_rg_free(&g);
	build(&g, "table t;view w t;writes w;view v w;view u t", 0);
	cr_assert_eq(g.view_writes, 1);
	mkinfo(&info, "u,t,n", 0);
	cr_assert_eq(cap_rg_reads_may_write(&g, &info), 0);
	mkinfo(&info, "t,v", 0);
	cr_assert_eq(cap_rg_reads_may_write(&g, &info), 1);
	cap_rg_free(&g);
}

static int reads_flagged(const char *spec, const char *name)
{
	cap_relgraph g;
	build(&g, spec, 0);
	int r = cap_rg_reads_flagged(&g, cap_rg_find(&g, name, strlen(name)), F_FLAG);
	cap_rg_free(&g);
	return r;
}

Test(relgraph, reads_of_flagged_relations)
{
	static const char spec[] = "table p;table c1;table c2;flag c2;inh c1 p;inh c2 p;"
				   "view v p;view w c1;table q;fk q c2";
	cr_assert_eq(reads_flagged(spec, "c2"), 1);
	cr_assert_eq(reads_flagged(spec, "p"), 1);  /* a parent returns its children's rows */
	cr_assert_eq(reads_flagged(spec, "v"), 1);  /* behind a view */
	cr_assert_eq(reads_flagged(spec, "c1"), 0); /* a sibling does not */
	cr_assert_eq(reads_flagged(spec, "w"), 0);
	cr_assert_eq(reads_flagged(spec, "q"), 0);  /* a key is not a read */
	cr_assert_eq(reads_flagged(chain16, "v1"), 0);
	cr_assert_eq(reads_flagged(chain16, "v0"), 1); /* too deep to tell */
}

Test(relgraph, names)
{
	cap_relgraph g;
	char longname[300];
	memset(longname, 'a', sizeof(longname));

	/* fold: MySQL's table names, compared lower-cased */
	cr_assert_eq(cap_rg_init(&g, 64, 1), CAP_OK);
	uint32_t x = cap_rg_add(&g, "Orders", 6);
	cr_assert_neq(x, CAP_RG_NONE);
	cr_assert_str_eq(g.rels[x].name, "orders");
	cr_assert_eq(cap_rg_find(&g, "ORDERS", 6), x);
	cr_assert_eq(cap_rg_find(&g, "orders", 6), x);
	cr_assert_eq(cap_rg_add(&g, "", 0), CAP_RG_NONE);
	cr_assert_eq(cap_rg_add(&g, longname, CAP_RG_NAME_MAX), CAP_RG_NONE);
	cr_assert_neq(cap_rg_add(&g, longname, CAP_RG_NAME_MAX - 1), CAP_RG_NONE);
	cap_rg_free(&g);

	/* exact: PostgreSQL's, as the server reports them */
	cr_assert_eq(cap_rg_init(&g, 64, 0), CAP_OK);
	x = cap_rg_add(&g, "Orders", 6);
	cr_assert_neq(cap_rg_add(&g, "orders", 6), x);
	cr_assert_eq(cap_rg_find(&g, "Orders", 6), x);
	cr_assert_eq(cap_rg_find(&g, "ORDERS", 6), CAP_RG_NONE);
	cr_assert_neq(cap_rg_add(&g, longname, sizeof(longname)), CAP_RG_NONE);
	cap_rg_free(&g);
}

Test(relgraph, full_table_refuses_more)
{
	cap_relgraph g;
	char name[16];
	cr_assert_eq(cap_rg_init(&g, 64, 0), CAP_OK);
	cr_assert_eq(g.cap, 64);
	for (int i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		cr_assert_neq(cap_rg_add(&g, name, strlen(name)), CAP_RG_NONE);
	}
	cr_assert_eq(cap_rg_add(&g, "one_more", 8), CAP_RG_NONE);
	cr_assert_neq(cap_rg_find(&g, "t31", 3), CAP_RG_NONE); /* filed names still found */
	/* an edge is recorded once */
	uint32_t a = cap_rg_find(&g, "t1", 2), b = cap_rg_find(&g, "t2", 2);
	cr_assert_eq(cap_rg_cascade(&g, a, b, 1), CAP_OK);
	cr_assert_eq(cap_rg_cascade(&g, a, b, 1), CAP_OK);
	cr_assert_eq(g.rels[a].ncasc, 1);
	cr_assert_eq(g.rels[b].nfkup, 1);
	cap_rg_free(&g);
	cap_rg_free(&g); /* freeing twice (or a zeroed graph) is harmless */
}

/*
 * test_policy.c - the client-neutral policy (hooks/session) driven from tables of cases.
 *
 * Each tests/policy/NAME.eval file holds blocks. A block is a header line and the statements of
 * one connection, each with what the server answered and what the policy must decide:
 *
 *     == pg txn=strict fn=f:immutable,g:volatile nocache=v1
 *     EXPECT | SERVER | STATEMENT
 *
 * The header: dialect (pg or my), CAPACITOR_TXN (strict or read-committed), the volatility the
 * catalog reports for user functions (default: unknown), relations the catalog refuses to
 * cache, the session's default isolation (iso=ru|rc|rr|ser), and `probe` when the hook reads the
 * session state back from the server (the libpq hook always does: every pg block probes): the
 * harness then plays the server's part. Before a statement on an idle connection whose state is unknown it reports
 * the state the server has: a label (SERVER `state=NAME` sets it after a statement; `login`
 * at first) and the session's default isolation (SERVER `dfl=rc|rr|ser` sets it). SERVER is `ok` or `err`, then the server's transaction state after the statement:
 * `txn=0` (none, the default), `txn=1` (open), `txn=2` (failed), and for MySQL `ac=0|1`, the
 * autocommit flag after it (the hook reports "in a transaction" before a statement when one is
 * open or autocommit is off, since the statement will open one), and `reconnect` when the
 * statement ran in a new server session (the client library reconnected while sending it: the
 * hook drops the state with cap_sess_lost and starts it again, as Connector/C's hook does).
 * Each statement is bracketed by cap_sess_stmt_begin / cap_sess_stmt_end with the server's own
 * "transaction open" flag, as a hook does (MySQL's isolation rules live there).
 *
 * EXPECT keys (all optional):
 *   act=pass|cache|write   what cap_sess_plan decided
 *   hit=0|1 fill=0|1       for act=cache: may it be served, may its result be stored
 *   reason=NAME            the stats reason (cap_reason names, e.g. txn, volatile, session)
 *   bump=-|db|t1,t2        what the statement invalidated when it ended (tables the catalog
 *                          was asked to bump, or the database epoch)
 *   key=same|changed       the connection's key prefix compared with before the statement
 *   key=fresh              equal to a connection that ran nothing
 *   key=notfresh           differs from a connection that ran nothing
 *   key=shared|private     the same script run on a second connection gives the same key
 *                          (the text proves the state) or a different one (no one shares it)
 *
 * Every block runs on two connections (A and B) in step; the expectations are checked on A.
 * The runner reports file:line, the statement, and expected against got.
 */
#include "hooks/session.h"
#include "cache/cap.h"
#include "cache/log.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CAP_POLICY_DIR
#define CAP_POLICY_DIR "tests/policy"
#endif

static cap_rt rt;

typedef struct fake_cat {
	char fns[1100];     /* ",name:class,..." */
	char nocache[1100]; /* ",v1,v2," */
	char bumped[2048];  /* tables write_bump was asked for, comma separated */
} fake_cat;

static int name_in(const char *list, const char *name, size_t n)
{
	char pat[300];
	if (n > 256)
		return 0;
	snprintf(pat, sizeof(pat), ",%.*s,", (int)n, name);
	return strstr(list, pat) != NULL;
}

static int fk_read_deps(void *cat, cap_engine *e, const cap_sql_info *info, cap_deps *d,
			enum cap_reason *why)
{
	fake_cat *fc = cat;
	for (uint16_t i = 0; i < info->nread; i++) {
		const cap_sql_name *nm = &info->read[i];
		if (name_in(fc->nocache, info->names + nm->name_off, nm->name_len)) {
			*why = CAP_REASON_catalog;
			return CAP_EINVAL;
		}
		if (cap_engine_deps_table(e, d, info->names + nm->name_off, nm->name_len) != CAP_OK)
			return CAP_ETOOBIG;
	}
	return CAP_OK;
}

static enum cap_fn_class fk_func_class(void *cat, const char *name, size_t n)
{
	fake_cat *fc = cat;
	const char *dot = memchr(name, '.', n);
	if (dot) {
		n -= (size_t)(dot + 1 - name);
		name = dot + 1;
	}
	char pat[300];
	if (n > 256)
		return CAP_FN_UNKNOWN;
	snprintf(pat, sizeof(pat), ",%.*s:", (int)n, name);
	const char *p = strstr(fc->fns, pat);
	if (p == NULL)
		return CAP_FN_UNKNOWN;
	p += strlen(pat);
	if (strncmp(p, "immutable", 9) == 0)
		return CAP_FN_IMMUTABLE;
	if (strncmp(p, "stable", 6) == 0)
		return CAP_FN_STABLE;
	if (strncmp(p, "volatile", 8) == 0)
		return CAP_FN_VOLATILE;
	return CAP_FN_UNKNOWN;
}

static void fk_write_bump(void *cat, cap_engine *e, uint64_t scope, const cap_sql_info *info)
{
	(void)e;
	(void)scope;
	fake_cat *fc = cat;
	for (uint16_t i = 0; i < info->nwrite; i++) {
		const cap_sql_name *w = &info->write[i];
		size_t l = strlen(fc->bumped);
		snprintf(fc->bumped + l, sizeof(fc->bumped) - l, "%s%.*s", l ? "," : "",
			 (int)w->name_len, info->names + w->name_off);
	}
}

static const cap_catalog_ops fake_ops = { fk_read_deps, fk_func_class, fk_write_bump, NULL, NULL, NULL };

typedef struct conn {
	cap_sess s;
	fake_cat cat;
	int in_txn;
	int autocommit_off; /* MySQL: the next statement opens a transaction */
	char state[64];     /* the server's session state, as a label (probe mode) */
	enum cap_sql_iso dfl; /* the server's session default isolation (probe mode) */
} conn;

static uint64_t db_epoch(const cap_sess *s)
{
	cap_deps d;
	cap_engine_deps_begin(rt.engine, &d, s->scope);
	uint64_t h = 0;
	for (uint32_t i = 0; i < d.n; i++)
		h = h * 1000003u + d.gen[i];
	return h;
}

static uint64_t key_of(const cap_sess *s)
{
	unsigned char buf[256];
	cap_keymat km;
	cap_keymat_init(&km, buf, sizeof(buf));
	cap_sess_key(s, &km);
	uint64_t h = cap_hash64(km.p, km.len, 7);
	cap_keymat_done(&km);
	return h;
}

typedef struct outcome {
	cap_plan plan;
	char bump[2100];
} outcome;

/* What a probing hook does before the statement sql (NULL: none, the connection is idle):
 * read the state back. libpq's does so on an idle connection; Connector/C's before a cacheable
 * read, in a transaction too. */
static void maybe_probe(conn *c, enum cap_dialect d, const char *sql)
{
	if (!c->s.probe || !c->s.probe_need)
		return;
	if (d == CAP_DIALECT_MYSQL && sql) {
		cap_sql_info *info = cap_sess_info();
		cap_sql_classify(d, sql, strlen(sql), info);
		if (info->kind != CAP_SQL_READ && info->kind != CAP_SQL_READ_NOCACHE)
			return;
	} else if (c->in_txn != 0) {
		return;
	}
	cap_sess_probed(&c->s, cap_hash64(c->state, strlen(c->state), 0x5a), c->dfl);
}

/* Run one statement on c the way a hook does: classify, plan, (read deps on a miss), send,
 * account. */
static enum cap_sql_iso iso_named(const char *v)
{
	return strcmp(v, "ru") == 0    ? CAP_ISO_READ_UNCOMMITTED
	       : strcmp(v, "rc") == 0  ? CAP_ISO_READ_COMMITTED
	       : strcmp(v, "rr") == 0  ? CAP_ISO_REPEATABLE_READ
	       : strcmp(v, "ser") == 0 ? CAP_ISO_SERIALIZABLE
				       : CAP_ISO_UNKNOWN;
}

typedef struct block {
	enum cap_dialect d;
	char hdr[1024];
	conn a, b;
	uint64_t fresh_key;
	int live;
} block;

static void conn_init(const block *bl, conn *c);

static void step(const block *bl, conn *c, const char *sql, int ok, int txn_after, int ac,
		 int reconnect, const char *state, const char *dfl, outcome *o)
{
	cap_sql_info *info = cap_sess_info();
	cap_sql_classify(bl->d, sql, strlen(sql), info);
	c->cat.bumped[0] = '\0';
	uint64_t e0 = db_epoch(&c->s);
	int before = c->in_txn ? c->in_txn : c->autocommit_off;
	cap_sess_stmt_begin(&c->s, c->in_txn != 0);
	cap_sess_plan(&rt, &c->s, info, before, &fake_ops, &c->cat, &o->plan);
	if (o->plan.act == CAP_ACT_CACHE && o->plan.can_fill && c->s.lazy_deps)
		cap_sess_deps(&rt, &c->s, info, &fake_ops, &c->cat, &o->plan);
	if (reconnect) {
		/* the statement ran in a new server session: the old one's transaction is gone */
		cap_sess_lost(&rt, &c->s);
		conn_init(bl, c);
	}
	cap_sess_after(&rt, &c->s, info, &o->plan, sql, strlen(sql), ok, txn_after, &fake_ops,
		       &c->cat);
	cap_sess_stmt_end(&c->s, info, &o->plan, ok, txn_after != 0);
	c->in_txn = txn_after;
	if (ac >= 0)
		c->autocommit_off = !ac;
	if (state[0])
		snprintf(c->state, sizeof(c->state), "%s", state);
	if (dfl[0])
		c->dfl = iso_named(dfl);
	int dbb = db_epoch(&c->s) != e0;
	snprintf(o->bump, sizeof(o->bump), "%s%s%s", dbb ? "db" : "",
		 dbb && c->cat.bumped[0] ? "," : "", c->cat.bumped);
	if (o->bump[0] == '\0')
		snprintf(o->bump, sizeof(o->bump), "-");
}

static const char *act_name(enum cap_act a)
{
	return a == CAP_ACT_CACHE ? "cache" : a == CAP_ACT_WRITE ? "write" : "pass";
}

static const char *reason_name(enum cap_reason r)
{
	static const char *const names[] = {
#define CAP_REASON_NAME(name, text) #name,
		CAP_REASONS(CAP_REASON_NAME)
#undef CAP_REASON_NAME
	};
	return (unsigned)r < CAP_REASON__N ? names[r] : "?";
}

/* Value of key k in the space-separated list s ("" when absent). */
static int getkv(const char *s, const char *k, char *out, size_t cap)
{
	size_t kl = strlen(k);
	for (const char *p = s; (p = strstr(p, k)) != NULL; p++) {
		if ((p == s || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			size_t l = strcspn(p, " \t");
			snprintf(out, cap, "%.*s", (int)l, p);
			return 1;
		}
	}
	out[0] = '\0';
	return 0;
}

static int has_word(const char *s, const char *w)
{
	char v[64];
	for (const char *p = s; (p = strstr(p, "key=")) != NULL; p++) {
		if (p != s && p[-1] != ' ')
			continue;
		size_t l = strcspn(p + 4, " \t");
		snprintf(v, sizeof(v), ",%.*s,", (int)l, p + 4);
		char pat[64];
		snprintf(pat, sizeof(pat), ",%s,", w); /* key=changed,shared names two */
		if (strstr(v, pat))
			return 1;
	}
	return 0;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	size_t i = strspn(s, " \t");
	memmove(s, s + i, strlen(s + i) + 1);
}

static void block_end(block *bl)
{
	if (!bl->live)
		return;
	cap_sess_free(&bl->a.s);
	cap_sess_free(&bl->b.s);
	bl->live = 0;
}

/* A connection as the header describes it, as a hook sets it up after connecting. */
static void conn_init(const block *bl, conn *c)
{
	const char *hdr = bl->hdr;
	char v[1024];
	memset(c, 0, sizeof(*c));
	static const char ident[] = "test\0host\0port\0user";
	cap_sess_init(&c->s, bl->d, ident, sizeof(ident), "db", 2);
	/* what a hook reports once it read the server: the session's default level */
	c->s.sess_iso = bl->d == CAP_DIALECT_PG ? CAP_ISO_READ_COMMITTED
					       : CAP_ISO_REPEATABLE_READ;
	c->s.sess_iso_known = 1;
	if (getkv(hdr, "iso", v, sizeof(v)))
		c->s.sess_iso = iso_named(v);
	c->dfl = c->s.sess_iso;
	snprintf(c->state, sizeof(c->state), "login");
	if (bl->d == CAP_DIALECT_PG || strstr(hdr, " probe")) {
		c->s.probe = 1;
		cap_sess_unknown(&c->s, 0);
	}
	c->cat.fns[0] = ',';
	if (getkv(hdr, "fn", v, sizeof(v)))
		snprintf(c->cat.fns, sizeof(c->cat.fns), ",%s,", v);
	snprintf(c->cat.nocache, sizeof(c->cat.nocache), ",");
	if (getkv(hdr, "nocache", v, sizeof(v)))
		snprintf(c->cat.nocache, sizeof(c->cat.nocache), ",%s,", v);
}

static void block_start(block *bl, char *hdr)
{
	block_end(bl);
	memset(bl, 0, sizeof(*bl));
	char v[1024];
	snprintf(bl->hdr, sizeof(bl->hdr), "%.1000s", hdr);
	bl->d = strncmp(hdr, "my", 2) == 0 ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG;
	rt.conf.txn = CAP_TXN_STRICT;
	if (getkv(hdr, "txn", v, sizeof(v)) && strcmp(v, "read-committed") == 0)
		rt.conf.txn = CAP_TXN_READ_COMMITTED;
	conn_init(bl, &bl->a);
	conn_init(bl, &bl->b);
	/* a connection that ran nothing (read back, in probe mode) */
	conn fresh = bl->a;
	maybe_probe(&fresh, bl->d, NULL);
	bl->fresh_key = key_of(&fresh.s);
	bl->live = 1;
}

/* One statement line; 1 pass, 0 fail (msg says why). */
static int run_line(block *bl, char *line, char *msg, size_t cap)
{
	char *b1 = strchr(line, '|');
	char *b2 = b1 ? strchr(b1 + 1, '|') : NULL;
	if (!b1 || !b2) {
		snprintf(msg, cap, "expected 'EXPECT | SERVER | STATEMENT'");
		return 0;
	}
	*b1 = *b2 = '\0';
	char *exp = line, *srv = b1 + 1, *sql = b2 + 1;
	trim(exp);
	trim(srv);
	trim(sql);
	int ok = strncmp(srv, "err", 3) != 0;
	char v[256];
	int txn = getkv(srv, "txn", v, sizeof(v)) ? atoi(v) : 0;
	int ac = getkv(srv, "ac", v, sizeof(v)) ? atoi(v) : -1;
	char state[64], dfl[16];
	getkv(srv, "state", state, sizeof(state));
	getkv(srv, "dfl", dfl, sizeof(dfl));
	int reconnect = strstr(srv, "reconnect") != NULL;

	maybe_probe(&bl->a, bl->d, sql);
	maybe_probe(&bl->b, bl->d, sql);
	uint64_t k0 = key_of(&bl->a.s);
	outcome oa, ob;
	step(bl, &bl->a, sql, ok, txn, ac, reconnect, state, dfl, &oa);
	step(bl, &bl->b, sql, ok, txn, ac, reconnect, state, dfl, &ob);
	uint64_t ka = key_of(&bl->a.s), kb = key_of(&bl->b.s);

	char got[2400];
	snprintf(got, sizeof(got), "act=%s hit=%d fill=%d reason=%s bump=%.2100s key=%s,%s%s",
		 act_name(oa.plan.act), oa.plan.can_hit, oa.plan.can_fill,
		 reason_name(oa.plan.reason), oa.bump, ka == k0 ? "same" : "changed",
		 ka == kb ? "shared" : "private", ka == bl->fresh_key ? ",fresh" : "");
	int pass = 1;
	static const char *const keys[] = { "act", "hit", "fill", "reason", "bump" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && pass; i++) {
		char want[256], have[256];
		if (!getkv(exp, keys[i], want, sizeof(want)))
			continue;
		getkv(got, keys[i], have, sizeof(have));
		if (strcmp(keys[i], "bump") == 0) {
			/* order-free comparison of comma lists */
			char wa[300], ha[300];
			snprintf(wa, sizeof(wa), ",%s,", want);
			snprintf(ha, sizeof(ha), ",%s,", have);
			for (char *t = strtok(want, ","); t && pass; t = strtok(NULL, ",")) {
				char pat[64];
				snprintf(pat, sizeof(pat), ",%s,", t);
				pass = strstr(ha, pat) != NULL;
			}
			for (char *t = strtok(have, ","); t && pass; t = strtok(NULL, ",")) {
				char pat[64];
				snprintf(pat, sizeof(pat), ",%s,", t);
				pass = strstr(wa, pat) != NULL;
			}
		} else {
			pass = strcmp(want, have) == 0;
		}
	}
	if (pass && has_word(exp, "same"))
		pass = ka == k0;
	if (pass && has_word(exp, "changed"))
		pass = ka != k0;
	if (pass && has_word(exp, "fresh"))
		pass = ka == bl->fresh_key;
	if (pass && has_word(exp, "notfresh"))
		pass = ka != bl->fresh_key;
	if (pass && has_word(exp, "shared"))
		pass = ka == kb;
	if (pass && has_word(exp, "private"))
		pass = ka != kb;
	if (!pass)
		snprintf(msg, cap, "%.500s\n    expected: %.300s\n    got:      %.600s", sql, exp, got);
	return pass;
}

static void run_file(const char *path, unsigned *cases, unsigned *bad)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	char line[8192], msg[2048];
	unsigned ln = 0;
	block bl;
	memset(&bl, 0, sizeof(bl));
	while (fgets(line, sizeof(line), f)) {
		ln++;
		trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (strncmp(line, "==", 2) == 0) {
			char *h = line + 2;
			trim(h);
			block_start(&bl, h);
			continue;
		}
		if (!bl.live) {
			cr_log_error("%s:%u: statement before any '==' header", path, ln);
			(*bad)++;
			continue;
		}
		(*cases)++;
		if (!run_line(&bl, line, msg, sizeof(msg))) {
			(*bad)++;
			cr_log_error("%s:%u: %s", path, ln, msg);
		}
	}
	block_end(&bl);
	fclose(f);
}

static void setup(void)
{
	memset(&rt, 0, sizeof(rt));
	cap_log_setup("/dev/null", CAP_LOG_ERROR);
	cap_engine_conf ec = { NULL, 1 << 20, 0 };
	cr_assert_eq(cap_engine_open(&ec, &rt.engine), CAP_OK);
	rt.caching = rt.invalidating = 1;
}

static void teardown(void)
{
	cap_engine_close(rt.engine);
}

Test(policy, eval_files, .init = setup, .fini = teardown)
{
	DIR *dir = opendir(CAP_POLICY_DIR);
	cr_assert_not_null(dir, "cannot open %s", CAP_POLICY_DIR);
	unsigned cases = 0, bad = 0, files = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".eval") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", CAP_POLICY_DIR, e->d_name);
		run_file(path, &cases, &bad);
		files++;
	}
	closedir(dir);
	cr_log_info("policy: %u cases in %u files, %u wrong", cases, files, bad);
	cr_expect_gt(cases, 0);
	cr_expect_eq(bad, 0, "%u of %u policy cases wrong (see above)", bad, cases);
}

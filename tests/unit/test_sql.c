/*
 * test_sql.c - the SQL classifier: the table-driven corpus (tests/sql, one .eval file per
 * topic), plus malformed input, digest, keyword table and limit tests.
 *
 * Corpus format, one case per line ('#' starts a comment line):
 *
 *   <pg|my> <kind> [key=value ...] | <sql>
 *
 * kind is cap_sql_kind_name(); keys: r= tables read, w= tables written (comma lists, any
 * order, schema.name), why= reasons (cap_sql_reason_name), fn= functions reported, f= flags,
 * txn= iso= scope= ac= (autocommit) db= n= (statements). r, w and why are always compared
 * (absent means empty); the other keys only when given. The SQL is everything after the first
 * '|' and one space. A failing case is reported as file:line with expected and got.
 *
 * Built with -DSQL_EVAL_TOOL this file is a command-line helper instead: `sqlc pg "SELECT 1"`
 * prints the line the corpus would need.
 */
#include "cache/sql.h"
#include "cache/sql_kw.h"
#include "cache/sqlmemo.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *txn_names[] = { "none", "begin", "commit", "rollback", "savepoint",
				    "release", "rollback_to", "prepare", "2pc_end", "set", "other" };
static const char *iso_names[] = { "none", "ru", "rc", "rr", "ser", "unknown" };
static const char *scope_names[] = { "none", "txn", "next", "session" };
static const char *flag_names[] = { "chain", "read_only", "temp", "use_db", "set_role",
				    "reset_all", "set_local", "set_autocommit", "drop_temp",
				    "catalog", "session", "cluster", "builtins_lost", "snapshot",
				    "lock_tables", "unlock_tables" };

static void put_names(char *o, size_t cap, const cap_sql_info *in, const cap_sql_name *a,
		      unsigned n)
{
	size_t k = strlen(o);
	for (unsigned i = 0; i < n && k + 1 < cap; i++) {
		int w;
		if (a[i].schema_len)
			w = snprintf(o + k, cap - k, "%s%.*s.%.*s", i ? "," : "", a[i].schema_len,
				     in->names + a[i].schema_off, a[i].name_len,
				     in->names + a[i].name_off);
		else
			w = snprintf(o + k, cap - k, "%s%.*s", i ? "," : "", a[i].name_len,
				     in->names + a[i].name_off);
		if (w < 0)
			break;
		k += (size_t)w;
	}
}

static void put_bits(char *o, size_t cap, uint32_t bits, int reasons)
{
	size_t k = strlen(o);
	int first = 1;
	for (int b = 0; b < 32; b++) {
		if (!(bits & (1u << b)))
			continue;
		const char *nm = reasons ? cap_sql_reason_name(1u << b)
					 : (b < (int)(sizeof(flag_names) / sizeof(flag_names[0]))
						    ? flag_names[b] : "?");
		k += (size_t)snprintf(o + k, cap > k ? cap - k : 0, "%s%s", first ? "" : ",",
				      nm ? nm : "?");
		first = 0;
	}
}

/* the full description of a result: "kind r=.. w=.. why=.. fn=.. f=.. txn=.. iso=.. ..." */
static void describe(const cap_sql_info *in, char *o, size_t cap)
{
	snprintf(o, cap, "%s r=", cap_sql_kind_name(in->kind));
	put_names(o, cap, in, in->read, in->nread);
	strncat(o, " w=", cap - strlen(o) - 1);
	put_names(o, cap, in, in->write, in->nwrite);
	strncat(o, " why=", cap - strlen(o) - 1);
	put_bits(o, cap, in->reasons, 1);
	strncat(o, " fn=", cap - strlen(o) - 1);
	put_names(o, cap, in, in->func, in->nfunc);
	strncat(o, " f=", cap - strlen(o) - 1);
	put_bits(o, cap, in->flags, 0);
	size_t k = strlen(o);
	snprintf(o + k, cap - k, " txn=%s iso=%s scope=%s ac=%d n=%u", txn_names[in->txn],
		 iso_names[in->iso], scope_names[in->iso_scope], in->autocommit, in->nstmts);
	if (in->flags & CAP_SQLF_USE_DB) {
		k = strlen(o);
		snprintf(o + k, cap - k, " db=%.*s", in->db.name_len, in->names + in->db.name_off);
	}
}

/* value of key in a description ("" when absent) */
static void get_key(const char *desc, const char *key, char *out, size_t cap)
{
	char pat[16];
	snprintf(pat, sizeof(pat), " %s=", key);
	out[0] = '\0';
	const char *p = strstr(desc, pat);
	if (!p) {
		if (strncmp(desc, pat + 1, strlen(pat) - 1) != 0)
			return;
		p = desc - 1;
	}
	p += strlen(pat);
	size_t n = strcspn(p, " ");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void cpy(char *d, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(d, s, n);
	d[n] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* compare two comma lists as sets */
static int same_set(const char *a, const char *b)
{
	char ba[1024], bb[1024];
	char *pa[64], *pb[64];
	int na = 0, nb = 0;
	cpy(ba, sizeof(ba), a);
	cpy(bb, sizeof(bb), b);
	for (char *t = strtok(ba, ","); t && na < 64; t = strtok(NULL, ","))
		pa[na++] = t;
	for (char *t = strtok(bb, ","); t && nb < 64; t = strtok(NULL, ","))
		pb[nb++] = t;
	if (na != nb)
		return 0;
	qsort(pa, (size_t)na, sizeof(char *), cmp_str);
	qsort(pb, (size_t)nb, sizeof(char *), cmp_str);
	for (int i = 0; i < na; i++)
		if (strcmp(pa[i], pb[i]) != 0)
			return 0;
	return 1;
}

/* Check one corpus line; returns 1 when it passes, 0 on a mismatch (msg says why), -1 when
 * the line is not a case. */
static int eval_line(char *line, char *msg, size_t cap)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!line[0] || line[0] == '#')
		return -1;
	char *bar = strchr(line, '|');
	if (!bar) {
		snprintf(msg, cap, "no '|' in line");
		return 0;
	}
	*bar = '\0';
	const char *sql = bar + 1;
	if (*sql == ' ')
		sql++;
	char exp[1024];
	cpy(exp, sizeof(exp), line);
	char *dial = strtok(exp, " \t");
	char *kind = strtok(NULL, " \t");
	if (!dial || !kind) {
		snprintf(msg, cap, "missing dialect or kind");
		return 0;
	}
	enum cap_dialect d = strcmp(dial, "my") == 0 ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG;
	static cap_sql_info in;
	cap_sql_classify(d, sql, strlen(sql), &in);
	char got[4096];
	describe(&in, got, sizeof(got));
	int ok = strcmp(kind, cap_sql_kind_name(in.kind)) == 0;
	const char *always[] = { "r", "w", "why" };
	char want[1024], have[1024];
	for (int i = 0; i < 3 && ok; i++) {
		/* expectations: keys after the kind */
		want[0] = '\0';
		cpy(have, sizeof(have), line);
		char *p = strstr(have, always[i]);
		while (p && !((p == have || p[-1] == ' ' || p[-1] == '\t') &&
			      p[strlen(always[i])] == '='))
			p = strstr(p + 1, always[i]);
		if (p) {
			p += strlen(always[i]) + 1;
			size_t l = strcspn(p, " \t");
			snprintf(want, sizeof(want), "%.*s", (int)l, p);
		}
		get_key(got, always[i], have, sizeof(have));
		ok = same_set(want, have);
	}
	const char *opt[] = { "fn", "f", "txn", "iso", "scope", "ac", "db", "n" };
	for (int i = 0; i < 8 && ok; i++) {
		have[0] = ' ';
		cpy(have + 1, sizeof(have) - 1, line);
		char pat[16];
		snprintf(pat, sizeof(pat), " %s=", opt[i]);
		char *p = strstr(have, pat);
		if (!p)
			continue;
		p += strlen(pat);
		size_t l = strcspn(p, " \t");
		snprintf(want, sizeof(want), "%.*s", (int)l, p);
		get_key(got, opt[i], have, sizeof(have));
		ok = same_set(want, have);
	}
	if (!ok)
		snprintf(msg, cap, "%.2000s\n    expected: %.1000s\n    got:      %s %.2000s", sql, line,
			 dial, got);
	return ok;
}

#ifdef SQL_EVAL_TOOL
int main(int argc, char **argv)
{
	if (argc == 2) {
		/* check a corpus file: sqlc FILE */
		FILE *f = fopen(argv[1], "r");
		char line[65536], msg[8192];
		unsigned ln = 0, bad = 0;
		if (!f)
			return 2;
		while (fgets(line, sizeof(line), f)) {
			ln++;
			if (eval_line(line, msg, sizeof(msg)) == 0) {
				bad++;
				printf("%s:%u: %s\n", argv[1], ln, msg);
			}
		}
		fclose(f);
		return bad ? 1 : 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: %s pg|my SQL...\n", argv[0]);
		return 2;
	}
	enum cap_dialect d = strcmp(argv[1], "my") == 0 ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG;
	for (int i = 2; i < argc; i++) {
		static cap_sql_info in;
		char out[4096], dg[512];
		cap_sql_classify(d, argv[i], strlen(argv[i]), &in);
		describe(&in, out, sizeof(out));
		cap_sql_digest(d, argv[i], strlen(argv[i]), dg, sizeof(dg));
		printf("%s %s | %s\n    digest: %s\n", argv[1], out, argv[i], dg);
	}
	return 0;
}
#else
#include <criterion/criterion.h>

static void src_path(char *buf, size_t cap, const char *rel)
{
	const char *dir = getenv("CAP_SRCDIR");
	snprintf(buf, cap, "%s/%s", dir && dir[0] ? dir : ".", rel);
}

Test(sql, corpus)
{
	char dir[4096], path[8192];
	src_path(dir, sizeof(dir), "tests/sql");
	DIR *dp = opendir(dir);
	cr_assert(dp, "cannot open %s", dir);
	struct dirent *e;
	int cases = 0, fails = 0;
	static char line[1 << 16];
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".eval") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		cr_assert(f, "cannot open %s", path);
		unsigned ln = 0;
		while (fgets(line, sizeof(line), f)) {
			char msg[8192];
			ln++;
			int r = eval_line(line, msg, sizeof(msg));
			if (r < 0)
				continue;
			cases++;
			if (!r) {
				fails++;
				cr_log_error("%s:%u: %s", path, ln, msg);
			}
		}
		fclose(f);
	}
	closedir(dp);
	cr_log_info("sql corpus: %d cases, %d failed", cases, fails);
	cr_expect(cases >= 300, "only %d corpus cases", cases);
	cr_assert_eq(fails, 0, "%d of %d corpus cases failed", fails, cases);
}

/* The memo (cache/sqlmemo) must give back exactly what the classifier says, for every corpus
 * statement, whether it answers from an entry or classifies: each statement is classified
 * directly, then through the memo three times, with the previous statement in between (so
 * entries are replaced as well as reused). */
static void same_answer(const cap_sql_info *a, const cap_sql_info *b, const char *sql)
{
	char da[4096], db[4096];
	describe(a, da, sizeof(da));
	describe(b, db, sizeof(db));
	cr_assert_str_eq(da, db, "memo differs for: %s", sql);
	cr_assert(a->kind == b->kind && a->reasons == b->reasons && a->flags == b->flags &&
			  a->txn == b->txn && a->iso == b->iso && a->iso_scope == b->iso_scope &&
			  a->autocommit == b->autocommit && a->nstmts == b->nstmts &&
			  a->digest == b->digest && a->nbuiltin == b->nbuiltin,
		  "memo differs for: %s", sql);
	for (unsigned i = 0; i < a->nfunc; i++)
		cr_assert_eq(a->func_class[i], b->func_class[i], "memo differs for: %s", sql);
}

Test(sql, memo_answers_as_the_classifier)
{
	char dir[4096], path[8192];
	src_path(dir, sizeof(dir), "tests/sql");
	DIR *dp = opendir(dir);
	cr_assert(dp, "cannot open %s", dir);
	struct dirent *e;
	static char line[1 << 16], prev[1 << 16];
	static cap_sql_info want, got;
	enum cap_dialect prevd = CAP_DIALECT_PG;
	int cases = 0;
	prev[0] = '\0';
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".eval") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		cr_assert(f, "cannot open %s", path);
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = '\0';
			char *bar = strchr(line, '|');
			if (!line[0] || line[0] == '#' || !bar)
				continue;
			const char *sql = bar + 1 + (bar[1] == ' ');
			enum cap_dialect d = strncmp(line, "my", 2) == 0 ? CAP_DIALECT_MYSQL
									: CAP_DIALECT_PG;
			cap_sql_classify(d, sql, strlen(sql), &want);
			for (int round = 0; round < 3; round++) {
				memset(&got, 0xa5, sizeof(got));
				cap_sql_classify_memo(d, sql, strlen(sql), &got);
				same_answer(&want, &got, sql);
				if (prev[0])
					cap_sql_classify_memo(prevd, prev, strlen(prev), &got);
			}
			snprintf(prev, sizeof(prev), "%s", sql);
			prevd = d;
			cases++;
		}
		fclose(f);
	}
	closedir(dp);
	cr_expect(cases >= 300, "only %d corpus cases", cases);
}

Test(sql, keyword_table_finds_every_entry)
{
	for (int i = 1; i < KW__COUNT; i++) {
		char q[64];
		cap_sql_info in;
		/* every keyword is recognised whatever its case: use it as a column after a
		 * qualified name is impossible, so look it up through the digest's upper-casing */
		cpy(q, sizeof(q), cap_kws[i].name);
		for (char *c = q; *c; c++)
			if (*c >= 'a' && *c <= 'z' && (c - q) % 2)
				*c = (char)(*c - 32);
		char out[128];
		cap_sql_digest(CAP_DIALECT_PG, q, strlen(q), out, sizeof(out));
		for (char *c = q; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 32);
		cr_expect_str_eq(out, q, "keyword %s not found (digest %s)", cap_kws[i].name, out);
		(void)in;
	}
}

static cap_sql_info info;

static enum cap_sql_kind cls(enum cap_dialect d, const char *s, size_t n)
{
	return cap_sql_classify(d, s, n, &info);
}

Test(sql, malformed_is_never_cacheable)
{
	static const char *cases[] = {
		"SELECT 'abc FROM t", "SELECT * FROM t /* open", "SELECT \"abc FROM t",
		"SELECT $$abc FROM t", "SELECT $x$ abc $y$ FROM t", "SELECT E'abc\\' FROM t",
		"SELECT * FROM t WHERE a = (1", "SELECT * FROM t)", "SELECT * FROM /* /* */ t",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cap_sql_kind k = cls(CAP_DIALECT_PG, cases[i], strlen(cases[i]));
		cr_expect_neq(k, CAP_SQL_READ, "pg: %s", cases[i]);
	}
	static const char *mcases[] = {
		"SELECT 'abc\\' FROM t", "SELECT `abc FROM t", "SELECT /*!50100 1 FROM t",
		"SELECT * FROM t WHERE a = \"x", "SELECT @'x FROM t",
	};
	for (size_t i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
		enum cap_sql_kind k = cls(CAP_DIALECT_MYSQL, mcases[i], strlen(mcases[i]));
		cr_expect_neq(k, CAP_SQL_READ, "my: %s", mcases[i]);
	}
}

Test(sql, nul_byte_is_malformed)
{
	static const char q[] = "SELECT a FROM t\0; DELETE FROM t";
	cr_assert_neq(cls(CAP_DIALECT_PG, q, sizeof(q) - 1), CAP_SQL_READ);
	cr_assert(info.reasons & CAP_SQLR_MALFORMED);
	static const char q2[] = "SELECT a FROM t WHERE b = 'x\0y'";
	cr_assert_eq(cls(CAP_DIALECT_MYSQL, q2, sizeof(q2) - 1), CAP_SQL_READ_NOCACHE);
	cr_assert(info.reasons & CAP_SQLR_MALFORMED);
}

Test(sql, never_reads_past_len)
{
	/* each prefix of a statement, copied to an exactly sized heap block (ASan sees any
	 * read past it) */
	static const char *qs[] = {
		"SELECT a, b::int FROM \"s\".\"t\" WHERE c = E'x\\'y' AND d = $tag$z$tag$ -- c",
		"SELECT `a` FROM t WHERE b = 'x\\'y' /*!50100 AND c = @@session.x */ # c",
		"WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x /* a /* b */ c */",
	};
	for (size_t q = 0; q < 3; q++) {
		size_t n = strlen(qs[q]);
		for (size_t l = 0; l <= n; l++) {
			char *b = malloc(l ? l : 1);
			memcpy(b, qs[q], l);
			cls(q == 1 ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG, b, l);
			char out[256];
			cap_sql_digest(q == 1 ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG, b, l, out,
				       sizeof(out));
			free(b);
		}
	}
}

Test(sql, ten_megabyte_statement)
{
	size_t n = 10u << 20;
	char *b = malloc(n);
	const char *head = "SELECT a FROM t WHERE a IN (";
	size_t h = strlen(head), i = h;
	memcpy(b, head, h);
	while (i + 3 < n) {
		memcpy(b + i, "1, ", 3);
		i += 3;
	}
	memcpy(b + i, "1)", 2);
	i += 2;
	cr_assert_eq(cls(CAP_DIALECT_PG, b, i), CAP_SQL_READ);
	cr_assert_eq(info.nread, 1);
	/* unterminated 10 MB string */
	memset(b + h, 'x', n - h);
	b[h - 1] = '\'';
	cr_assert_neq(cls(CAP_DIALECT_MYSQL, b, n), CAP_SQL_READ);
	cr_assert(info.reasons & CAP_SQLR_MALFORMED);
	/* 10 MB of open parentheses */
	memset(b, '(', n);
	cr_assert_neq(cls(CAP_DIALECT_PG, b, n), CAP_SQL_READ);
	/* 10 MB of statements */
	for (i = 0; i + 9 <= n; i += 9)
		memcpy(b + i, "SELECT 1;", 9);
	cr_assert_neq(cls(CAP_DIALECT_PG, b, i), CAP_SQL_READ);
	free(b);
}

Test(sql, digest_normalises_and_hides_values)
{
	char a[256], b[256];
	const char *q1 = "select  *\n from T where id = 42 and name = 'secret' -- c";
	const char *q2 = "SELECT * FROM t WHERE id=7 AND name='other'";
	cap_sql_digest(CAP_DIALECT_PG, q1, strlen(q1), a, sizeof(a));
	cap_sql_digest(CAP_DIALECT_PG, q2, strlen(q2), b, sizeof(b));
	cr_assert_str_eq(a, "SELECT * FROM t WHERE id = ? AND name = ?");
	cr_assert_str_eq(a, b);
	cr_assert_null(strstr(a, "secret"));
	cap_sql_info i1, i2;
	cap_sql_classify(CAP_DIALECT_PG, q1, strlen(q1), &i1);
	cap_sql_classify(CAP_DIALECT_PG, q2, strlen(q2), &i2);
	cr_assert_eq(i1.digest, i2.digest);
	const char *q3 = "SELECT * FROM t WHERE id IN (1, 2, 3)";
	const char *q4 = "SELECT * FROM t WHERE id IN ($1)";
	cap_sql_digest(CAP_DIALECT_PG, q3, strlen(q3), a, sizeof(a));
	cr_assert_str_eq(a, "SELECT * FROM t WHERE id IN (?)");
	cap_sql_classify(CAP_DIALECT_PG, q3, strlen(q3), &i1);
	cap_sql_classify(CAP_DIALECT_PG, q4, strlen(q4), &i2);
	cr_assert_eq(i1.digest, i2.digest);
	const char *q5 = "SELECT * FROM u WHERE id IN (1, 2, 3)";
	cap_sql_classify(CAP_DIALECT_PG, q5, strlen(q5), &i2);
	cr_assert_neq(i1.digest, i2.digest);
	/* truncation: NUL-terminated, full length returned */
	size_t full = cap_sql_digest(CAP_DIALECT_PG, q2, strlen(q2), a, 8);
	cr_assert_eq(full, strlen(b));
	cr_assert_eq(strlen(a), 7);
	cr_assert_eq(cap_sql_digest(CAP_DIALECT_PG, q2, strlen(q2), NULL, 0), strlen(b));
}

Test(sql, limits_make_it_not_cacheable)
{
	char q[8192];
	size_t k = (size_t)snprintf(q, sizeof(q), "SELECT 1 FROM t0");
	for (int i = 1; i < 40; i++)
		k += (size_t)snprintf(q + k, sizeof(q) - k, ", t%d", i);
	cr_assert_eq(cls(CAP_DIALECT_PG, q, k), CAP_SQL_READ_NOCACHE);
	cr_assert(info.reasons & CAP_SQLR_TOO_COMPLEX);
	/* a write with more targets than fit names none: callers invalidate everything */
	k = (size_t)snprintf(q, sizeof(q), "TRUNCATE t0");
	for (int i = 1; i < 40; i++)
		k += (size_t)snprintf(q + k, sizeof(q) - k, ", t%d", i);
	cr_assert_eq(cls(CAP_DIALECT_PG, q, k), CAP_SQL_WRITE);
	cr_assert_eq(info.nwrite, 0);
}

Test(sql, names)
{
	cr_assert_str_eq(cap_sql_kind_name(CAP_SQL_READ), "read");
	cr_assert_str_eq(cap_sql_reason_name(CAP_SQLR_LOCKING), "locking");
	for (int b = 0; b < 17; b++)
		cr_expect_not_null(cap_sql_reason_name(1u << b), "bit %d", b);
	cr_expect_null(cap_sql_reason_name(1u << 17));
}

Test(sql, now_text_every_spelling)
{
	static const char *const yes[] = { "now", "NOW", "  now ", "\tnow\n", "{now,epoch}",
					   "[today,infinity)", "{\"n\\ow\"}", "n\\157w", "\\x6eow",
					   "\\006Eow", "\\+00006Eow", "tomorrow allballs", "Yesterday",
					   "(now)" };
	static const char *const no[] = { "", "known", "snow", "nowhere", "epoch", "infinity",
					  "2024-01-01", "xtoday" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(cap_sql_now_text(yes[i], strlen(yes[i])), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect(!cap_sql_now_text(no[i], strlen(no[i])), "%s", no[i]);
	/* never reads past n: "now" cut to "no" */
	cr_expect(!cap_sql_now_text("now", 2));
}

Test(sql, builtins_are_reported_apart)
{
	cap_sql_info in;
	const char *q = "SELECT upper(a), now(), pg_catalog.lower(b), public.upper(c) FROM t";
	cap_sql_classify(CAP_DIALECT_PG, q, strlen(q), &in);
	cr_assert_eq(in.nbuiltin, 2); /* upper and now: unqualified */
	cr_assert(cap_sql_pg_builtin("upper", 5));
	cr_assert(cap_sql_pg_builtin("nextval", 7));
	cr_assert(!cap_sql_pg_builtin("my_func", 7));
	/* public.upper(c) is a function the catalog must judge */
	int found = 0;
	for (uint16_t i = 0; i < in.nfunc; i++)
		found |= in.func[i].schema_len == 6 && in.func_class[i] == CAP_FUNC_UNKNOWN;
	cr_assert(found);
}
#endif

/*
 * rules_match.c - answering cap_rules_apply() from a compiled rules file (rules_int.h) on every
 * cacheable query, without allocating, and writing each rule back as text
 * (cap_rules_describe). Apart from the parser (rules.c) because this runs on the query path
 * and only reads.
 *
 * Lookup. Table rules whose name part has no wildcard and all `safe` rules sit in open-
 * addressing hash indexes keyed by the ASCII-lower-cased name (so one index serves both
 * dialects; the comparison after the hash decides). Table rules with a wildcard in the name
 * are scanned, with the greedy segment match that '*'-only globs allow (no backtracking).
 * The compiled set is immutable: readers need no locks.
 */
#include "cache/rules.h"
#include "cache/rules_int.h"
#include "cache/cap.h"

#include <inttypes.h>
#include <stdio.h>

/* ---- matching ---- */

static int eq_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cap_rules_lower((unsigned char)a[i]) != cap_rules_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Identifiers are short: a plain loop beats a call to memcmp. */
static inline int eq_bytes(const char *a, const char *b, size_t n, int ci)
{
	if (ci)
		return eq_ci(a, b, n);
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Whether s[0..n) matches the part's segments (PostgreSQL form when raw == 0). ci: compare
 * ASCII-case-insensitively. Greedy leftmost matching of the middle segments is exact for
 * globs whose only metacharacter is '*'. */
static int part_match(const cap_rules *r, const part *pt, int raw, const char *s, size_t n, int ci)
{
	const seg *sg = r->segs + pt->off + (raw ? pt->nseg : 0);
	size_t k = pt->nseg;
	const char *pool = r->pool;
	if (k == 1)
		return sg[0].len == n && eq_bytes(s, pool + sg[0].off, n, ci);
	size_t fl = sg[0].len, ll = sg[k - 1].len;
	if (fl + ll > n || !eq_bytes(s, pool + sg[0].off, fl, ci) ||
	    !eq_bytes(s + n - ll, pool + sg[k - 1].off, ll, ci))
		return 0;
	size_t pos = fl, stop = n - ll;
	for (size_t i = 1; i + 1 < k; i++) {
		size_t m = sg[i].len;
		const char *lit = pool + sg[i].off;
		for (;;) {
			if (pos + m > stop)
				return 0;
			if (eq_bytes(s + pos, lit, m, ci))
				break;
			pos++;
		}
		pos += m;
	}
	return 1;
}

typedef struct name_ref {
	const char *schema, *name;
	size_t slen, nlen;
} name_ref;

/* Resolve a cap_sql_name inside info; 0 when its offsets are out of bounds. */
static int get_name(const cap_sql_info *info, const cap_sql_name *nm, name_ref *out)
{
	size_t lim = info->names_len < CAP_SQL_NAMES_MAX ? info->names_len : CAP_SQL_NAMES_MAX;
	if ((size_t)nm->name_off + nm->name_len > lim ||
	    (size_t)nm->schema_off + nm->schema_len > lim)
		return 0;
	out->schema = info->names + nm->schema_off;
	out->slen = nm->schema_len;
	out->name = info->names + nm->name_off;
	out->nlen = nm->name_len;
	return 1;
}

/* A table pattern's schema part: absent in the pattern or in the statement matches any. */
static int table_schema_ok(const cap_rules *r, const rule *ru, const name_ref *t, int ci)
{
	return ru->schema.nseg == 0 || t->slen == 0 ||
	       part_match(r, &ru->schema, 0, t->schema, t->slen, ci);
}

static void apply_table_rule(const rule *ru, int is_read, cap_rules_verdict *v)
{
	if (ru->kind == RK_NEVER)
		v->never = 1;
	else if (is_read && (v->ttl_ns == 0 || ru->ttl_ns < v->ttl_ns))
		v->ttl_ns = ru->ttl_ns;
}

static void match_table(const cap_rules *r, const name_ref *t, int is_read, int ci,
			cap_rules_verdict *v)
{
	if (r->exact.slot) {
		uint32_t h = cap_rules_hash(t->name, t->nlen);
		for (uint32_t i = h & r->exact.mask; r->exact.slot[i]; i = (i + 1) & r->exact.mask) {
			const rule *ru = &r->rules[r->exact.slot[i] - 1];
			if (ru->hash == h && part_match(r, &ru->name, 0, t->name, t->nlen, ci) &&
			    table_schema_ok(r, ru, t, ci))
				apply_table_rule(ru, is_read, v);
		}
	}
	int f = -2, l = -2; /* an empty name only passes rules with empty end segments */
	if (t->nlen) {
		f = cap_rules_lower((unsigned char)t->name[0]);
		l = cap_rules_lower((unsigned char)t->name[t->nlen - 1]);
	}
	for (size_t i = 0; i < r->nwild; i++) {
		const struct wild *w = &r->wild[i];
		if (t->nlen < w->minlen || (w->first >= 0 && w->first != f) ||
		    (w->last >= 0 && w->last != l))
			continue;
		const rule *ru = &r->rules[w->rule];
		if (part_match(r, &ru->name, 0, t->name, t->nlen, ci) && table_schema_ok(r, ru, t, ci))
			apply_table_rule(ru, is_read, v);
	}
}

/* A `safe` rule matches a call when the names are equal (PostgreSQL: exactly, the classifier
 * having folded the call; MySQL: ASCII-case-insensitively, as MySQL compares function names)
 * and, for a qualified rule, the call names the same schema (PostgreSQL form exactly; MySQL
 * database names as written, exactly). An unqualified call never matches a qualified rule. */
static int func_is_safe(const cap_rules *r, const name_ref *f, int mysql)
{
	uint32_t h = cap_rules_hash(f->name, f->nlen);
	for (uint32_t i = h & r->safe.mask; r->safe.slot[i]; i = (i + 1) & r->safe.mask) {
		const rule *ru = &r->rules[r->safe.slot[i] - 1];
		if (ru->hash != h || !part_match(r, &ru->name, 0, f->name, f->nlen, mysql))
			continue;
		if (ru->schema.nseg == 0)
			return 1;
		if (f->slen && part_match(r, &ru->schema, mysql, f->schema, f->slen, 0))
			return 1;
	}
	return 0;
}

void cap_rules_apply(const cap_rules *r, enum cap_dialect d, const cap_sql_info *info,
		     cap_rules_verdict *v)
{
	size_t nfunc = info->nfunc < CAP_SQL_MAX_FUNCS ? info->nfunc : CAP_SQL_MAX_FUNCS;
	v->never = 0;
	v->ttl_ns = 0;
	v->unsafe_funcs = nfunc >= 32 ? UINT32_MAX : (uint32_t)((1ull << nfunc) - 1);
	if (r == NULL)
		return;
	int mysql = d == CAP_DIALECT_MYSQL;
	name_ref t;
	if (r->ntable) {
		size_t nr = info->nread < CAP_SQL_MAX_TABLES ? info->nread : CAP_SQL_MAX_TABLES;
		size_t nw = info->nwrite < CAP_SQL_MAX_TABLES ? info->nwrite : CAP_SQL_MAX_TABLES;
		for (size_t i = 0; i < nr; i++) {
			if (get_name(info, &info->read[i], &t))
				match_table(r, &t, 1, mysql, v);
			else
				v->never = 1; /* a name we cannot read could be any table */
		}
		for (size_t i = 0; i < nw; i++) {
			if (get_name(info, &info->write[i], &t))
				match_table(r, &t, 0, mysql, v);
			else
				v->never = 1;
		}
	}
	if (r->safe.slot)
		for (size_t i = 0; i < nfunc; i++)
			if (get_name(info, &info->func[i], &t) && func_is_safe(r, &t, mysql))
				v->unsafe_funcs &= ~(1u << i);
}

/* ---- description ---- */

size_t cap_rules_count(const cap_rules *r) { return r ? r->nrules : 0; }

int cap_rules_describe(const cap_rules *r, size_t i, char *buf, size_t cap)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{ "d", 86400000000000ULL }, { "h", 3600000000000ULL }, { "m", 60000000000ULL },
		{ "s", 1000000000ULL }, { "ms", 1000000ULL }, { "us", 1000ULL }, { "ns", 1ULL },
	};
	if (buf == NULL || cap == 0)
		return CAP_EINVAL;
	buf[0] = '\0';
	if (r == NULL || i >= r->nrules)
		return CAP_EINVAL;
	const rule *ru = &r->rules[i];
	const char *kw = ru->kind == RK_TTL ? "ttl" : ru->kind == RK_NEVER ? "never" : "safe";
	int n;
	if (ru->kind == RK_TTL) {
		size_t u = 0;
		while (ru->ttl_ns % units[u].ns != 0)
			u++;
		n = snprintf(buf, cap, "%s %.*s %" PRIu64 "%s", kw, (int)ru->text_len,
			     r->pool + ru->text_off, ru->ttl_ns / units[u].ns, units[u].u);
	} else {
		n = snprintf(buf, cap, "%s %.*s", kw, (int)ru->text_len, r->pool + ru->text_off);
	}
	return n < 0 || (size_t)n >= cap ? CAP_ETOOBIG : CAP_OK;
}

/*
 * rules.c - the rules file's parser: read it once, report every line that does not parse, and
 * compile the rest into the immutable form that rules_match.c answers cap_rules_apply() from
 * (see rules.h for the format and the matching semantics).
 *
 * Parsing. The whole file is read into memory and split into lines in place; a line is never
 * copied, so lines of any length cost nothing extra. Each line is checked for a NUL byte, a
 * trailing '\r' is dropped (CRLF files), a UTF-8 BOM is skipped at the start of the file, then
 * the line is cut into words: whitespace separates words, '"' and '`' quote (a doubled quote
 * inside is one quote), '#' outside quotes starts a comment. Every line that does not parse is
 * one problem report; the rule set is only returned when there were none, because a rules file
 * that half-applies is worse than none (a `never` line with a typo would silently cache).
 *
 * Compiled form. A pattern part (schema or name) becomes a list of literal segments separated
 * by wildcards: `audit_*_log` is ["audit_", "_log"]. Segments are stored twice: the PostgreSQL
 * form (unquoted text lower-cased, quoted text exact) and the raw form (as written, quotes
 * removed). Table patterns only need the PostgreSQL form: MySQL compares ASCII-case-
 * insensitively (rules.h says why), and under such a comparison the two forms are equal.
 * `safe` names use the raw form for a MySQL schema, which is compared exactly.
 *
 * Matching lives in rules_match.c; rules_int.h holds the compiled form both files share.
 */
#include "cache/rules.h"
#include "cache/rules_int.h"
#include "cache/cap.h"
#include "cache/units.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the builder (parse-time state) ---- */

typedef struct builder {
	const char *file;
	cap_rules_problem_fn problem;
	void *ctx;
	unsigned problems; /* reported or not */
	int err;           /* CAP_ENOMEM once an allocation failed */
	rule *rules;
	size_t nrules, caprules;
	seg *segs;
	size_t nsegs, capsegs;
	char *pool;
	size_t npool, cappool;
} builder;

#define FORM_ALL "expected: ttl <pattern> <duration> | never <pattern> | safe <function>"
#define FORM_TTL "expected: ttl <pattern> <duration>"
#define FORM_NEVER "expected: never <pattern>"
#define FORM_SAFE "expected: safe <function>, such as lower_unaccent or public.my_func (no '*')"
#define FORM_PATTERN                                                                             \
	"expected: a table name such as orders, public.orders, reports.*, audit_* or \"Orders\""
#define MAX_WORD 1024   /* longest pattern or duration word */
#define MAX_TEXT 200    /* bytes of a bad line quoted in a report */

static void grow(builder *b, void **p, size_t *cap, size_t need, size_t size)
{
	if (b->err || need <= *cap)
		return;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (q == NULL) {
		b->err = CAP_ENOMEM;
		return;
	}
	*p = q;
	*cap = n;
}

/* Quote up to MAX_TEXT bytes of s for a report, control bytes as \xNN. */
static void quote_text(char *dst, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	for (; i < n && i < MAX_TEXT && o + 8 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			dst[o++] = (char)c;
		}
	}
	if (i < n && o + 4 <= cap) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

static void report(builder *b, unsigned line, const char *text, size_t tlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(builder *b, unsigned line, const char *text, size_t tlen, const char *fmt, ...)
{
	char msg[512], qt[MAX_TEXT * 4 + 8];
	b->problems++;
	if (b->problem == NULL || b->problems > CAP_RULES_MAX_PROBLEMS + 1)
		return;
	if (b->problems == CAP_RULES_MAX_PROBLEMS + 1) {
		b->problem(b->ctx, b->file, line, "",
			   "too many problems; the rest of the file is not reported");
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	quote_text(qt, sizeof(qt), text, tlen);
	b->problem(b->ctx, b->file, line, qt, msg);
}

/* ---- words ---- */

static int is_space(char c) { return c == ' ' || c == '\t'; }

static int is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

/* Next word of [*p, e): returns 1 with [*ws, *we) set, 0 at the end or at a comment, -1 on an
 * unterminated quote. */
static int next_word(const char **p, const char *e, const char **ws, const char **we)
{
	const char *s = *p;
	while (s < e && is_space(*s))
		s++;
	if (s == e || *s == '#') {
		*p = e;
		return 0;
	}
	*ws = s;
	while (s < e && !is_space(*s) && *s != '#') {
		if (*s == '"' || *s == '`') {
			char q = *s++;
			for (;;) {
				if (s == e) {
					*we = e;
					*p = e;
					return -1;
				}
				if (*s == q) {
					if (s + 1 < e && s[1] == q) {
						s += 2;
						continue;
					}
					break;
				}
				s++;
			}
		}
		s++;
	}
	*we = s;
	*p = s;
	return 1;
}

static int word_is(const char *s, const char *e, const char *kw)
{
	size_t n = strlen(kw);
	return (size_t)(e - s) == n && memcmp(s, kw, n) == 0;
}

/* ---- patterns ---- */

/* Compile one part [s, e) (no unquoted '.' inside) into segments; appends 2*nseg segments and
 * their bytes. Returns NULL or a reason. */
static const char *compile_part(builder *b, const char *s, const char *e, int allow_wild, part *pt)
{
	/* First pass: validate and count segments. */
	uint16_t nseg = 1;
	size_t nbytes = 0;
	for (const char *c = s; c < e;) {
		unsigned char ch = (unsigned char)*c;
		if (ch == '"' || ch == '`') {
			size_t inner = 0;
			for (c++;; c++) {
				if (c >= e)
					return "unterminated quoted name";
				if (*c == (char)ch) {
					if (c + 1 < e && c[1] == (char)ch)
						c++;
					else
						break;
				}
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					return "control character in a quoted name";
				inner++;
			}
			if (inner == 0)
				return "empty quoted name";
			nbytes += inner;
			c++;
		} else if (ch == '*') {
			if (!allow_wild)
				return "wildcards are not allowed here";
			if (nseg == UINT16_MAX)
				return "too many wildcards";
			nseg++;
			c++;
		} else if (is_ident(ch)) {
			nbytes++;
			c++;
		} else {
			return "unexpected character (names are letters, digits, _ and $; quote others)";
		}
	}
	if (s == e)
		return "empty name (a '.' needs a name on both sides)";
	/* Second pass: emit. */
	size_t seg0 = b->nsegs;
	grow(b, (void **)&b->segs, &b->capsegs, b->nsegs + 2u * nseg, sizeof(seg));
	grow(b, (void **)&b->pool, &b->cappool, b->npool + 2 * nbytes + 1, 1); /* never NULL */
	if (b->err)
		return NULL;
	seg *pg = b->segs + seg0, *raw = pg + nseg;
	char *pgp = b->pool + b->npool, *rawp = pgp + nbytes;
	uint32_t pgo = (uint32_t)b->npool, rawo = (uint32_t)(b->npool + nbytes);
	size_t k = 0, o = 0;
	pg[0].off = pgo;
	raw[0].off = rawo;
	for (const char *c = s; c < e;) {
		unsigned char ch = (unsigned char)*c;
		if (ch == '"' || ch == '`') {
			for (c++;; c++) {
				if (*c == (char)ch) {
					if (c + 1 < e && c[1] == (char)ch)
						c++;
					else
						break;
				}
				pgp[o] = *c;
				rawp[o] = *c;
				o++;
			}
			c++;
		} else if (ch == '*') {
			pg[k].len = (uint32_t)(pgo + o - pg[k].off);
			raw[k].len = pg[k].len;
			k++;
			pg[k].off = (uint32_t)(pgo + o);
			raw[k].off = (uint32_t)(rawo + o);
			c++;
		} else {
			pgp[o] = (char)cap_rules_lower(ch);
			rawp[o] = (char)ch;
			o++;
			c++;
		}
	}
	pg[k].len = (uint32_t)(pgo + o - pg[k].off);
	raw[k].len = pg[k].len;
	b->nsegs += 2u * nseg;
	b->npool += 2 * nbytes;
	pt->off = (uint32_t)seg0;
	pt->nseg = nseg;
	return NULL;
}

/* Split [s, e) at its unquoted '.' and compile both parts. */
static const char *compile_pattern(builder *b, const char *s, const char *e, int allow_wild,
				   rule *r)
{
	const char *dot = NULL;
	for (const char *c = s; c < e; c++) {
		if (*c == '"' || *c == '`') {
			char q = *c++;
			while (c < e && !(*c == q && !(c + 1 < e && c[1] == q)))
				c += (*c == q) ? 2 : 1;
			if (c >= e)
				return "unterminated quoted name";
		} else if (*c == '.') {
			if (dot)
				return "more than one '.' (write schema.table)";
			dot = c;
		}
	}
	if (e - s > MAX_WORD)
		return "too long";
	const char *why;
	memset(&r->schema, 0, sizeof(r->schema));
	if (dot) {
		if ((why = compile_part(b, s, dot, allow_wild, &r->schema)) != NULL)
			return why;
		s = dot + 1;
	}
	return compile_part(b, s, e, allow_wild, &r->name);
}

/* ---- lines ---- */

static void parse_line(builder *b, unsigned line, const char *s, size_t ll)
{
	const char *ls = s, *e = s + ll;
	const char *p = s, *ws, *we;

	if (memchr(s, '\0', ll)) {
		report(b, line, ls, ll, "the line contains a NUL byte; %s", FORM_ALL);
		return;
	}
	for (const char *c = s; c < e; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
			/* Control bytes inside a comment are harmless; elsewhere they are a mistake. */
			const char *hash = memchr(s, '#', (size_t)(c - s));
			if (hash == NULL) {
				report(b, line, ls, ll, "the line contains a control character; %s",
				       FORM_ALL);
				return;
			}
			break;
		}
	int w = next_word(&p, e, &ws, &we);
	if (w == 0)
		return; /* blank or comment */
	if (w < 0 || !(word_is(ws, we, "ttl") || word_is(ws, we, "never") || word_is(ws, we, "safe"))) {
		report(b, line, ls, ll, "unknown rule '%.*s'; %s", (int)((we - ws) > 40 ? 40 : we - ws),
		       ws, FORM_ALL);
		return;
	}
	enum rule_kind kind = word_is(ws, we, "ttl") ? RK_TTL : word_is(ws, we, "never") ? RK_NEVER
											: RK_SAFE;
	const char *form = kind == RK_TTL ? FORM_TTL : kind == RK_NEVER ? FORM_NEVER : FORM_SAFE;
	const char *kwname = kind == RK_TTL ? "ttl" : kind == RK_NEVER ? "never" : "safe";

	const char *ps, *pe;
	w = next_word(&p, e, &ps, &pe);
	if (w == 0) {
		report(b, line, ls, ll, "%s needs %s; %s", kwname,
		       kind == RK_TTL ? "a pattern and a duration" :
		       kind == RK_NEVER ? "a pattern" : "a function name", form);
		return;
	}
	rule r;
	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)kind;
	const char *why = w < 0 ? "unterminated quoted name"
				: compile_pattern(b, ps, pe, kind != RK_SAFE, &r);
	if (b->err)
		return;
	if (why) {
		int n = (int)((pe - ps) > 80 ? 80 : pe - ps);
		if (kind == RK_SAFE)
			report(b, line, ls, ll, "bad function name '%.*s': %s; %s", n, ps, why, form);
		else
			report(b, line, ls, ll, "bad pattern '%.*s': %s; %s", n, ps, why, FORM_PATTERN);
		return;
	}
	if (kind == RK_TTL) {
		const char *ds, *de;
		char dur[64];
		w = next_word(&p, e, &ds, &de);
		if (w == 0) {
			report(b, line, ls, ll, "ttl needs a duration after the pattern; %s, with %s",
			       FORM_TTL, CAP_DURATION_FORM);
			return;
		}
		size_t dn = (size_t)(de - ds);
		if (w < 0 || dn >= sizeof(dur) ||
		    (memcpy(dur, ds, dn), dur[dn] = '\0', cap_parse_duration(dur, &r.ttl_ns) != CAP_OK)) {
			report(b, line, ls, ll, "bad duration '%.*s'; %s, with %s", (int)(dn > 40 ? 40 : dn),
			       ds, FORM_TTL, CAP_DURATION_FORM);
			return;
		}
		if (r.ttl_ns == 0) {
			report(b, line, ls, ll, "a ttl of 0 would mean no limit; write `never %.*s` to "
			       "stop caching, or a duration above zero; %s", (int)(pe - ps > 80 ? 80 : pe - ps),
			       ps, FORM_TTL);
			return;
		}
	}
	w = next_word(&p, e, &ws, &we);
	if (w != 0) {
		report(b, line, ls, ll, "unexpected '%.*s' after the rule (only a # comment may "
		       "follow); %s", (int)((we - ws) > 40 ? 40 : we - ws), ws, form);
		return;
	}
	/* Keep the pattern text for cap_rules_describe. */
	size_t tl = (size_t)(pe - ps);
	grow(b, (void **)&b->pool, &b->cappool, b->npool + tl, 1);
	grow(b, (void **)&b->rules, &b->caprules, b->nrules + 1, sizeof(rule));
	if (b->err)
		return;
	memcpy(b->pool + b->npool, ps, tl);
	r.text_off = (uint32_t)b->npool;
	r.text_len = (uint32_t)tl;
	b->npool += tl;
	if (r.name.nseg == 1) {
		const seg *sg = &b->segs[r.name.off];
		r.hash = cap_rules_hash(b->pool + sg->off, sg->len);
	}
	b->rules[b->nrules++] = r;
}

/* ---- compile the indexes ---- */

static int build_index(hindex *ix, const rule *rules, size_t nrules, int safe)
{
	size_t n = 0;
	for (size_t i = 0; i < nrules; i++)
		if ((rules[i].kind == RK_SAFE) == safe && rules[i].name.nseg == 1)
			n++;
	if (n == 0)
		return CAP_OK;
	size_t cap = 8;
	while (cap < 2 * n)
		cap *= 2;
	ix->slot = calloc(cap, sizeof(uint32_t));
	if (ix->slot == NULL)
		return CAP_ENOMEM;
	ix->mask = (uint32_t)(cap - 1);
	for (size_t i = 0; i < nrules; i++) {
		if ((rules[i].kind == RK_SAFE) != safe || rules[i].name.nseg != 1)
			continue;
		uint32_t h = rules[i].hash & ix->mask;
		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = (uint32_t)(i + 1);
	}
	return CAP_OK;
}

void cap_rules_free(cap_rules *r)
{
	if (r == NULL)
		return;
	free(r->rules);
	free(r->wild);
	free(r->exact.slot);
	free(r->safe.slot);
	free(r->segs);
	free(r->pool);
	free(r);
}

static void builder_free(builder *b)
{
	free(b->rules);
	free(b->segs);
	free(b->pool);
}

int cap_rules_parse(const char *name, const char *text, size_t len, cap_rules_problem_fn problem,
		    void *ctx, cap_rules **out)
{
	builder b;
	memset(&b, 0, sizeof(b));
	b.file = name ? name : "(rules)";
	b.problem = problem;
	b.ctx = ctx;
	*out = NULL;
	if (text == NULL && len != 0)
		return CAP_EINVAL;
	if (len > CAP_RULES_MAX_FILE) {
		report(&b, 0, "", 0, "the rules file is larger than %u bytes; expected: a rules file "
		       "of at most that size", (unsigned)CAP_RULES_MAX_FILE);
		return CAP_ETOOBIG;
	}

	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	unsigned line = 0;
	while (p < end && !b.err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		line++;
		size_t n = (size_t)(le - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		parse_line(&b, line, p, n);
		p = nl ? nl + 1 : end;
	}
	if (b.err) {
		report(&b, line, "", 0, "out of memory while loading the rules");
		builder_free(&b);
		return b.err;
	}
	if (b.problems) {
		builder_free(&b);
		return CAP_EINVAL;
	}

	cap_rules *r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto out_nomem;
	r->rules = b.rules;
	r->nrules = b.nrules;
	r->segs = b.segs;
	r->pool = b.pool;
	b.rules = NULL;
	b.segs = NULL;
	b.pool = NULL;
	for (size_t i = 0; i < r->nrules; i++) {
		if (r->rules[i].kind == RK_SAFE)
			r->nsafe++;
		else if (r->rules[i].name.nseg > 1)
			r->nwild++;
	}
	r->ntable = r->nrules - r->nsafe;
	if (r->nwild) {
		r->wild = malloc(r->nwild * sizeof(*r->wild));
		if (r->wild == NULL)
			goto out_free;
		size_t k = 0;
		for (size_t i = 0; i < r->nrules; i++) {
			const rule *ru = &r->rules[i];
			if (ru->kind == RK_SAFE || ru->name.nseg <= 1)
				continue;
			const seg *sg = r->segs + ru->name.off;
			struct wild *w = &r->wild[k++];
			w->rule = (uint32_t)i;
			w->minlen = 0;
			for (size_t j = 0; j < ru->name.nseg; j++)
				w->minlen += sg[j].len;
			const seg *l = &sg[ru->name.nseg - 1];
			w->first = sg[0].len ? cap_rules_lower((unsigned char)r->pool[sg[0].off]) : -1;
			w->last = l->len ? cap_rules_lower((unsigned char)r->pool[l->off + l->len - 1]) : -1;
		}
	}
	if (build_index(&r->exact, r->rules, r->nrules, 0) != CAP_OK ||
	    build_index(&r->safe, r->rules, r->nrules, 1) != CAP_OK)
		goto out_free;
	*out = r;
	return CAP_OK;

out_free:
	cap_rules_free(r);
out_nomem:
	builder_free(&b);
	report(&b, 0, "", 0, "out of memory while loading the rules");
	return CAP_ENOMEM;
}

/* ---- the file ---- */

int cap_rules_load(const char *path, cap_rules_problem_fn problem, void *ctx, cap_rules **out)
{
	char ebuf[128];
	builder b; /* only for report() */
	memset(&b, 0, sizeof(b));
	b.file = path ? path : "(null)";
	b.problem = problem;
	b.ctx = ctx;
	*out = NULL;
	if (path == NULL || path[0] == '\0') {
		report(&b, 0, "", 0, "no rules file named; expected: the path of a rules file");
		return CAP_EINVAL;
	}
	/* O_NONBLOCK: a FIFO in place of the file must not hang the host program. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		report(&b, 0, "", 0, "cannot open the rules file: %s; expected: a readable rules file",
		       strerror_r(e, ebuf, sizeof(ebuf)));
		return CAP_EIO;
	}
	int rc = CAP_EIO;
	char *data = NULL;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		report(&b, 0, "", 0, "cannot stat the rules file: %s; expected: a readable rules file",
		       strerror_r(e, ebuf, sizeof(ebuf)));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		report(&b, 0, "", 0, "is a directory; expected: the path of a rules file");
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		report(&b, 0, "", 0, "is not a regular file; expected: the path of a rules file");
		goto out_close;
	}
	/* Read to EOF whatever st_size said: the file may be growing, or a /proc-like file. */
	size_t len = 0, cap = (size_t)st.st_size + 1;
	if (cap > CAP_RULES_MAX_FILE + 1)
		cap = CAP_RULES_MAX_FILE + 1;
	data = malloc(cap);
	if (data == NULL) {
		rc = CAP_ENOMEM;
		report(&b, 0, "", 0, "out of memory while loading the rules");
		goto out_close;
	}
	for (;;) {
		if (len == cap) {
			if (cap > CAP_RULES_MAX_FILE) {
				rc = CAP_ETOOBIG;
				report(&b, 0, "", 0, "the rules file is larger than %u bytes; expected: "
				       "a rules file of at most that size", (unsigned)CAP_RULES_MAX_FILE);
				goto out_free;
			}
			size_t ncap = cap * 2 > CAP_RULES_MAX_FILE + 1 ? CAP_RULES_MAX_FILE + 1 : cap * 2;
			char *nd = realloc(data, ncap);
			if (nd == NULL) {
				rc = CAP_ENOMEM;
				report(&b, 0, "", 0, "out of memory while loading the rules");
				goto out_free;
			}
			data = nd;
			cap = ncap;
		}
		ssize_t n = read(fd, data + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			report(&b, 0, "", 0, "cannot read the rules file: %s; expected: a readable "
			       "rules file", strerror_r(e, ebuf, sizeof(ebuf)));
			goto out_free;
		}
		len += (size_t)n;
	}
	rc = cap_rules_parse(path, data, len, problem, ctx, out);
out_free:
	free(data);
out_close:
	close(fd);
	return rc;
}


/*
 * fuzz_rules.c - libFuzzer target for the rules parser and matcher.
 *
 * Input: byte 0 picks the dialect; the rest is a rules file. Whatever parses is then
 *  - described rule by rule, and the descriptions parsed again: they must load with the same
 *    number of rules (describe and parse agree);
 *  - applied to a statement whose table and function names are the input's own words (split at
 *    '.' into schema and name), so that the matcher sees names close to the patterns.
 * Problems must be reported exactly when parsing fails. ASan/UBSan catch the rest.
 *
 * When byte 0 has bit 1 set, the input is instead "<glob>\n<table name>": the glob, if it is
 * a plain unquoted, unqualified pattern, is loaded as `never <glob>` and the PostgreSQL verdict
 * for the name must equal fnmatch(3) of the lower-cased glob (a reference matcher).
 */
#include "cache/cap.h"
#include "cache/rules.h"
#include "cache/sql.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned nproblems;

static void on_problem(void *ctx, const char *file, unsigned line, const char *text,
		       const char *message)
{
	(void)ctx;
	(void)line;
	nproblems++;
	if (!file || !text || !message || (strstr(message, "expected") == NULL &&
	    strstr(message, "too many") == NULL && strstr(message, "out of memory") == NULL))
		abort();
}

static void add_name(cap_sql_info *in, cap_sql_name *nm, const char *w, size_t n)
{
	const char *dot = memchr(w, '.', n);
	if (in->names_len + n > CAP_SQL_NAMES_MAX)
		n = 0;
	memcpy(in->names + in->names_len, w, n);
	if (dot) {
		size_t sl = (size_t)(dot - w);
		nm->schema_off = in->names_len;
		nm->schema_len = (uint16_t)sl;
		nm->name_off = (uint16_t)(in->names_len + sl + 1);
		nm->name_len = (uint16_t)(n - sl - 1);
	} else {
		nm->schema_off = nm->schema_len = 0;
		nm->name_off = in->names_len;
		nm->name_len = (uint16_t)n;
	}
	in->names_len = (uint16_t)(in->names_len + n);
}

static void build_info(cap_sql_info *in, const char *s, size_t n)
{
	memset(in, 0, sizeof(*in));
	in->kind = CAP_SQL_READ;
	size_t i = 0, k = 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '"'))
			i++;
		size_t st = i;
		while (i < n && !(s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '"'))
			i++;
		size_t wl = i - st > 64 ? 64 : i - st;
		if (wl == 0)
			continue;
		switch (k++ % 3) {
		case 0:
			if (in->nread < CAP_SQL_MAX_TABLES)
				add_name(in, &in->read[in->nread++], s + st, wl);
			break;
		case 1:
			if (in->nwrite < CAP_SQL_MAX_TABLES)
				add_name(in, &in->write[in->nwrite++], s + st, wl);
			break;
		default:
			if (in->nfunc < CAP_SQL_MAX_FUNCS)
				add_name(in, &in->func[in->nfunc++], s + st, wl);
			break;
		}
	}
}

static void glob_oracle(const char *s, size_t n)
{
	static cap_sql_info info;
	char pat[128], name[128], rules[160];
	const char *nl = memchr(s, '\n', n);
	if (nl == NULL || (size_t)(nl - s) >= sizeof(pat) || n - (size_t)(nl - s) - 1 >= sizeof(name))
		return;
	size_t pl = (size_t)(nl - s), nlen = n - pl - 1;
	if (pl == 0 || memchr(nl + 1, '\0', nlen))
		return;
	for (size_t i = 0; i < pl; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '*'))
			return;
		pat[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	pat[pl] = '\0';
	memcpy(name, nl + 1, nlen);
	name[nlen] = '\0';
	int rl = snprintf(rules, sizeof(rules), "never %s\n", pat);
	cap_rules *r = NULL;
	if (cap_rules_parse("oracle", rules, (size_t)rl, NULL, NULL, &r) != CAP_OK)
		abort();
	memset(&info, 0, sizeof(info));
	info.nread = 1;
	memcpy(info.names, name, nlen);
	info.names_len = (uint16_t)nlen;
	info.read[0].name_len = (uint16_t)nlen;
	cap_rules_verdict v;
	cap_rules_apply(r, CAP_DIALECT_PG, &info, &v);
	if (v.never != (fnmatch(pat, name, 0) == 0))
		abort();
	cap_rules_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cap_sql_info info;
	static char desc[1 << 16];
	if (size < 1)
		return 0;
	enum cap_dialect d = (data[0] & 1) ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 2) {
		glob_oracle(text, len);
		return 0;
	}

	cap_rules *r = NULL;
	nproblems = 0;
	int rc = cap_rules_parse("fuzz", text, len, on_problem, NULL, &r);
	if ((rc == CAP_OK) != (nproblems == 0) || (rc == CAP_OK) != (r != NULL))
		abort();
	if (rc != CAP_OK) {
		/* The matcher must still be safe with no rules. */
		build_info(&info, text, len);
		cap_rules_verdict v;
		cap_rules_apply(NULL, d, &info, &v);
		if (v.never || v.ttl_ns || v.unsafe_funcs != (1u << info.nfunc) - 1)
			abort();
		return 0;
	}

	/* describe -> parse round trip */
	size_t n = cap_rules_count(r), off = 0;
	for (size_t i = 0; i < n && off + 2100 < sizeof(desc); i++) {
		if (cap_rules_describe(r, i, desc + off, 2100) != CAP_OK)
			abort();
		off += strlen(desc + off);
		desc[off++] = '\n';
	}
	if (off + 2100 < sizeof(desc)) {
		cap_rules *r2 = NULL;
		nproblems = 0;
		if (cap_rules_parse("desc", desc, off, on_problem, NULL, &r2) != CAP_OK ||
		    cap_rules_count(r2) != n)
			abort();
		cap_rules_free(r2);
	}

	build_info(&info, text, len);
	cap_rules_verdict v;
	cap_rules_apply(r, d, &info, &v);
	if (v.unsafe_funcs & ~((1u << info.nfunc) - 1))
		abort();
	cap_rules_apply(r, d == CAP_DIALECT_PG ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG, &info, &v);
	cap_rules_free(r);
	return 0;
}

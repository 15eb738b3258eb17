/*
 * fuzz_sql.c - libFuzzer target for the SQL classifier (cache/sql.c).
 *
 * Input: byte 0 picks the dialect (even: PostgreSQL, odd: MySQL); the rest is SQL. Invariants
 * checked besides ASan/UBSan (the input is copied to an exactly sized heap block, so any read
 * past len is caught):
 *  1. classify and digest never crash; the digest is NUL-terminated and its returned length is
 *     the untruncated one;
 *  2. text inside a string literal or a comment never yields a table: the input, with its quote,
 *     backslash and comment bytes neutralised, is wrapped in 'SELECT a FROM t WHERE b = '...''
 *     and in 'SELECT a FROM t /+...+/', and the result must read exactly t and write nothing;
 *  3. appending "\n; DELETE FROM zz_fuzz" never leaves a cacheable read, and unless the input is
 *     malformed the result is a write (or stronger) whose write[] names zz_fuzz or is empty
 *     (empty: the caller invalidates the whole database).
 */
#include "cache/sql.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int reads_only_t(const cap_sql_info *in)
{
	return in->nread == 1 && in->read[0].schema_len == 0 && in->read[0].name_len == 1 &&
	       in->names[in->read[0].name_off] == 't' && in->nwrite == 0 &&
	       in->kind != CAP_SQL_WRITE && in->kind != CAP_SQL_DDL && in->kind != CAP_SQL_OTHER;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cap_sql_info in;
	if (size < 1 || size > 65536)
		return 0;
	enum cap_dialect d = (data[0] & 1) ? CAP_DIALECT_MYSQL : CAP_DIALECT_PG;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;

	/* 1. as is, in an exactly sized block */
	char *b = malloc(n ? n : 1);
	memcpy(b, s, n);
	cap_sql_classify(d, b, n, &in);
	if (in.kind == CAP_SQL_READ && in.reasons)
		abort();
	if (in.nread > CAP_SQL_MAX_TABLES || in.nwrite > CAP_SQL_MAX_TABLES ||
	    in.nfunc > CAP_SQL_MAX_FUNCS || in.names_len > CAP_SQL_NAMES_MAX)
		abort();
	char dg[64];
	size_t full = cap_sql_digest(d, b, n, dg, sizeof(dg));
	if (strlen(dg) != (full < sizeof(dg) ? full : sizeof(dg) - 1))
		abort();
	free(b);

	/* 2. inside a string literal and inside a comment */
	size_t cap = n + 64;
	char *w = malloc(cap);
	static const char pre[] = "SELECT a FROM t WHERE b = '";
	memcpy(w, pre, sizeof(pre) - 1);
	size_t k = sizeof(pre) - 1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		w[k++] = (c == '\'' || c == '\\' || c == '\0') ? 'x' : c;
	}
	w[k++] = '\'';
	cap_sql_classify(d, w, k, &in);
	if (!reads_only_t(&in))
		abort();
	static const char pre2[] = "SELECT a FROM t /* "; /* the space: never an executable comment */
	memcpy(w, pre2, sizeof(pre2) - 1);
	k = sizeof(pre2) - 1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		w[k++] = (c == '*' || c == '/' || c == '\0') ? 'x' : c;
	}
	w[k++] = '*';
	w[k++] = '/';
	cap_sql_classify(d, w, k, &in);
	if (!reads_only_t(&in))
		abort();
	free(w);

	/* 3. a write appended */
	static const char tail[] = "\n; DELETE FROM zz_fuzz"; /* \n ends a line comment */
	w = malloc(n + sizeof(tail));
	memcpy(w, s, n);
	memcpy(w + n, tail, sizeof(tail) - 1);
	cap_sql_classify(d, w, n + sizeof(tail) - 1, &in);
	if (in.kind == CAP_SQL_READ || in.kind == CAP_SQL_EMPTY)
		abort();
	if (!(in.reasons & CAP_SQLR_MALFORMED)) {
		if (in.kind != CAP_SQL_WRITE && in.kind != CAP_SQL_DDL && in.kind != CAP_SQL_OTHER)
			abort();
		if (in.kind == CAP_SQL_WRITE && in.nwrite > 0) {
			int found = 0;
			for (unsigned i = 0; i < in.nwrite; i++)
				found |= in.write[i].name_len == 7 && in.write[i].schema_len == 0 &&
					 memcmp(in.names + in.write[i].name_off, "zz_fuzz", 7) == 0;
			if (!found)
				abort();
		}
	}
	free(w);
	return 0;
}

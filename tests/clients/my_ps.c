/*
 * my_ps.c - a prepared-statement (mysql_stmt_*) program for the integration tests: runs
 * statements with bound parameters through every way a program reads a prepared result and
 * prints everything the API reports, so that a run with Capacitor preloaded (hits served
 * through the library's own fetch) can be diffed against a run without.
 *
 *     my_ps corpus FILE REPEAT   each line of FILE is "SQL[|PARAM...]"; each statement is
 *                                executed REPEAT times per binding scheme, stored (with
 *                                num_rows, data_seek, row_seek/tell) and not stored
 *                                then "abandon": results left unread, reset, freed,
 *                                closed pending, another statement meanwhile
 *     my_ps longdata TEXT        "SELECT LENGTH(?)" three times, the parameter sent with
 *                                mysql_stmt_send_long_data (TEXT, then 0-2 more bytes)
 *     my_ps query SQL [PARAM...] one execution, stored; prints the first column of each row
 *                                (as a string) or "affected N"
 *
 * PARAM: i:N (LONG), I:N (LONGLONG), u:N (unsigned LONG), t:N (TINY), d:X (DOUBLE),
 * s:TEXT (STRING), n: (NULL), D:YYYY-MM-DD (DATE), T:YYYY-MM-DD hh:mm:ss (DATETIME).
 *
 * Binding schemes (result buffers): native (each column's own C type; strings 64 bytes),
 * str8 (every column into an 8-byte string: truncation, then mysql_stmt_fetch_column with an
 * offset), ll (every column into a signed long long), ull (unsigned), dbl (double), tiny
 * (signed char), time (MYSQL_TIME as DATETIME), none (no bind_result: fetch only counts).
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB (CAP_MY_PORT with
 * CAP_MY_HOST for TCP). MY_PS_AUTOCOMMIT=0 turns autocommit off after connecting;
 * MY_PS_ATTR=cursor or maxlen sets STMT_ATTR_CURSOR_TYPE (read only) or
 * STMT_ATTR_UPDATE_MAX_LENGTH on every statement (such statements pass through uncached).
 */
#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static MYSQL *conn_open(void)
{
	MYSQL *m = mysql_init(NULL);
	const char *host = getenv("CAP_MY_HOST");
	const char *port = getenv("CAP_MY_PORT");
	if (!mysql_real_connect(m, host ? host : "localhost", getenv("CAP_MY_USER"),
				getenv("CAP_MY_PASSWORD"), getenv("CAP_MY_DB"),
				host && port ? (unsigned)atoi(port) : 0,
				host ? NULL : getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		exit(2);
	}
	const char *ac = getenv("MY_PS_AUTOCOMMIT");
	if (ac && ac[0] == '0')
		mysql_autocommit(m, 0);
	return m;
}

/* ---- parameters ---- */

typedef struct param {
	MYSQL_BIND b;
	long long ll;
	double d;
	signed char t;
	char s[256];
	unsigned long len;
	my_bool isnull;
	MYSQL_TIME tm;
} param;

static int parse_params(char **v, int n, param *p)
{
	memset(p, 0, sizeof(*p) * (size_t)n);
	for (int i = 0; i < n; i++) {
		const char *a = v[i];
		if (strlen(a) < 2 || a[1] != ':')
			return -1;
		const char *x = a + 2;
		MYSQL_BIND *b = &p[i].b;
		b->is_null = &p[i].isnull;
		switch (a[0]) {
		case 'i':
		case 'u':
			p[i].ll = atoll(x);
			b->buffer_type = MYSQL_TYPE_LONG;
			b->buffer = &p[i].ll; /* little-endian: the low 4 bytes */
			b->is_unsigned = a[0] == 'u';
			break;
		case 'I':
			p[i].ll = atoll(x);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &p[i].ll;
			break;
		case 't':
			p[i].t = (signed char)atoi(x);
			b->buffer_type = MYSQL_TYPE_TINY;
			b->buffer = &p[i].t;
			break;
		case 'd':
			p[i].d = atof(x);
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = &p[i].d;
			break;
		case 's':
			snprintf(p[i].s, sizeof(p[i].s), "%s", x);
			p[i].len = (unsigned long)strlen(p[i].s);
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = p[i].s;
			b->buffer_length = sizeof(p[i].s);
			b->length = &p[i].len;
			break;
		case 'n':
			p[i].isnull = 1;
			b->buffer_type = MYSQL_TYPE_LONG;
			b->buffer = &p[i].ll;
			break;
		case 'D':
		case 'T': {
			MYSQL_TIME *t = &p[i].tm;
			unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
			sscanf(x, "%u-%u-%u %u:%u:%u", &y, &mo, &d, &h, &mi, &s);
			t->year = y;
			t->month = mo;
			t->day = d;
			t->hour = h;
			t->minute = mi;
			t->second = s;
			t->time_type = a[0] == 'D' ? MYSQL_TIMESTAMP_DATE : MYSQL_TIMESTAMP_DATETIME;
			b->buffer_type = a[0] == 'D' ? MYSQL_TYPE_DATE : MYSQL_TYPE_DATETIME;
			b->buffer = t;
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

/* ---- output ---- */

static uint64_t sum = 1469598103934665603ull;
static int quiet; /* rows not printed, only summed */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include <stdarg.h>
static void out(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (int i = 0; i < n; i++) {
		sum ^= (unsigned char)buf[i];
		sum *= 1099511628211ull;
	}
	if (!quiet)
		fputs(buf, stdout);
}

static void out_bytes(const void *p, unsigned long n)
{
	const unsigned char *c = p;
	out("'");
	for (unsigned long i = 0; i < n; i++) {
		if (c[i] >= 32 && c[i] < 127 && c[i] != '\\' && c[i] != '\'')
			out("%c", c[i]);
		else
			out("\\x%02x", c[i]);
	}
	out("'");
}

static void stmt_state(MYSQL_STMT *st, const char *when)
{
	unsigned long state = 0;
	mysql_stmt_attr_get(st, STMT_ATTR_STATE, &state);
	out("  [%s] errno=%u sqlstate=%s error='%s' field_count=%u affected=%lld insert_id=%llu "
	    "warnings=%u num_rows=%llu state=%lu conn_errno=%u conn_affected=%lld conn_fields=%u\n",
	    when, mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st),
	    mysql_stmt_field_count(st), (long long)mysql_stmt_affected_rows(st),
	    (unsigned long long)mysql_stmt_insert_id(st), (unsigned)mysql_stmt_warning_count(st),
	    (unsigned long long)mysql_stmt_num_rows(st), state, mysql_errno(st->mysql),
	    (long long)mysql_affected_rows(st->mysql), mysql_field_count(st->mysql));
}

/* ---- result buffers ---- */

typedef struct col {
	union {
		signed char t;
		short s;
		int i;
		long long ll;
		float f;
		double d;
		MYSQL_TIME tm;
		char str[64];
	} u;
	unsigned long len;
	my_bool isnull, err;
} col;

enum scheme { S_NATIVE, S_STR8, S_LL, S_ULL, S_DBL, S_TINY, S_TIME, S_NONE, S__N };
static const char *const scheme_names[] = { "native", "str8", "ll", "ull", "dbl", "tiny", "time",
					    "none" };

static void bind_one(MYSQL_BIND *b, col *c, const MYSQL_FIELD *f, enum scheme sc)
{
	memset(b, 0, sizeof(*b));
	b->buffer = &c->u;
	b->length = &c->len;
	b->is_null = &c->isnull;
	b->error = &c->err;
	switch (sc) {
	case S_STR8:
		b->buffer_type = MYSQL_TYPE_STRING;
		b->buffer_length = 8;
		return;
	case S_LL:
	case S_ULL:
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->is_unsigned = sc == S_ULL;
		return;
	case S_DBL:
		b->buffer_type = MYSQL_TYPE_DOUBLE;
		return;
	case S_TINY:
		b->buffer_type = MYSQL_TYPE_TINY;
		return;
	case S_TIME:
		b->buffer_type = MYSQL_TYPE_DATETIME;
		return;
	default:
		break;
	}
	b->is_unsigned = (f->flags & UNSIGNED_FLAG) != 0;
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
	case MYSQL_TYPE_YEAR:
		b->buffer_type = f->type == MYSQL_TYPE_INT24 ? MYSQL_TYPE_LONG
				 : f->type == MYSQL_TYPE_YEAR ? MYSQL_TYPE_SHORT
							      : f->type;
		return;
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_TIMESTAMP:
		b->buffer_type = f->type;
		return;
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
		b->buffer_type = MYSQL_TYPE_BLOB;
		b->buffer_length = sizeof(c->u.str);
		return;
	default:
		b->buffer_type = MYSQL_TYPE_STRING;
		b->buffer_length = sizeof(c->u.str);
		return;
	}
}

static void print_col(MYSQL_STMT *st, const MYSQL_BIND *b, col *c, unsigned i)
{
	if (c->isnull) {
		out(" NULL");
		return;
	}
	out(" [len=%lu err=%d] ", c->len, (int)c->err);
	switch (b->buffer_type) {
	case MYSQL_TYPE_TINY:
		out(b->is_unsigned ? "%u" : "%d", b->is_unsigned ? (unsigned char)c->u.t : c->u.t);
		break;
	case MYSQL_TYPE_SHORT:
		out(b->is_unsigned ? "%u" : "%d", b->is_unsigned ? (unsigned short)c->u.s : c->u.s);
		break;
	case MYSQL_TYPE_LONG:
		if (b->is_unsigned)
			out("%u", (unsigned)c->u.i);
		else
			out("%d", c->u.i);
		break;
	case MYSQL_TYPE_LONGLONG:
		if (b->is_unsigned)
			out("%llu", (unsigned long long)c->u.ll);
		else
			out("%lld", c->u.ll);
		break;
	case MYSQL_TYPE_FLOAT:
		out("%.9g", (double)c->u.f);
		break;
	case MYSQL_TYPE_DOUBLE:
		out("%.17g", c->u.d);
		break;
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_TIMESTAMP: {
		const MYSQL_TIME *t = &c->u.tm;
		out("%s%04u-%02u-%02u %02u:%02u:%02u.%06lu/%d", t->neg ? "-" : "", t->year, t->month,
		    t->day, t->hour, t->minute, t->second, t->second_part, (int)t->time_type);
		break;
	}
	default: {
		unsigned long n = c->len < b->buffer_length ? c->len : b->buffer_length;
		out_bytes(c->u.str, n);
		if (c->err && b->buffer_type == MYSQL_TYPE_STRING) {
			/* the rest through fetch_column, from an offset */
			char rest[65536];
			unsigned long rl = 0;
			my_bool rn = 0, re = 0;
			MYSQL_BIND cb;
			memset(&cb, 0, sizeof(cb));
			cb.buffer_type = MYSQL_TYPE_STRING;
			cb.buffer = rest;
			cb.buffer_length = sizeof(rest);
			cb.length = &rl;
			cb.is_null = &rn;
			cb.error = &re;
			int rc = mysql_stmt_fetch_column(st, &cb, i, 3);
			out(" col(3) rc=%d len=%lu null=%d err=%d ", rc, rl, (int)rn, (int)re);
			/* *length is the whole value; the buffer holds what follows the offset */
			unsigned long got = rl > 3 ? rl - 3 : 0;
			out_bytes(rest, got < sizeof(rest) ? got : sizeof(rest));
		}
		break;
	}
	}
}

/* ---- one execution ---- */

static void fetch_all(MYSQL_STMT *st, MYSQL_BIND *b, col *c, unsigned nf, int stored,
		      enum scheme sc)
{
	int rc;
	unsigned long n = 0;
	MYSQL_ROW_OFFSET second = NULL;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		int show = n < 40 || n % 997 == 0;
		int q = quiet;
		if (!show)
			quiet = 1;
		out("  row %lu rc=%d", n, rc);
		if (sc != S_NONE)
			for (unsigned i = 0; i < nf; i++)
				print_col(st, &b[i], &c[i], i);
		if (!stored)
			out(" num_rows=%llu", (unsigned long long)mysql_stmt_num_rows(st));
		out("\n");
		quiet = q;
		if (n == 0 && stored)
			second = mysql_stmt_row_tell(st);
		n++;
	}
	out("  rows=%lu last rc=%d errno=%u\n", n, rc, mysql_stmt_errno(st));
	rc = mysql_stmt_fetch(st);
	out("  fetch after end rc=%d\n", rc);
	if (stored && n > 0) {
		mysql_stmt_data_seek(st, n - 1);
		rc = mysql_stmt_fetch(st);
		out("  data_seek(last) rc=%d", rc);
		if (sc != S_NONE)
			for (unsigned i = 0; i < nf; i++)
				print_col(st, &b[i], &c[i], i);
		out("\n");
		mysql_stmt_data_seek(st, 0);
		rc = mysql_stmt_fetch(st);
		out("  data_seek(0) rc=%d", rc);
		if (sc != S_NONE && nf > 0)
			print_col(st, &b[0], &c[0], 0);
		out("\n");
		if (second) {
			mysql_stmt_row_seek(st, second);
			rc = mysql_stmt_fetch(st);
			out("  row_seek rc=%d\n", rc);
		}
	}
}

static void run_exec(MYSQL_STMT *st, enum scheme sc, int stored)
{
	if (mysql_stmt_execute(st)) {
		out("  execute error %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	stmt_state(st, "after execute");
	unsigned nf = mysql_stmt_field_count(st);
	if (nf == 0)
		return;
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	MYSQL_FIELD *fs = mysql_fetch_fields(meta);
	for (unsigned i = 0; i < nf; i++)
		out("  field %s type=%d length=%lu max_length=%lu flags=%u decimals=%u charsetnr=%u\n",
		    fs[i].name, (int)fs[i].type, fs[i].length, fs[i].max_length, fs[i].flags,
		    fs[i].decimals, fs[i].charsetnr);
	MYSQL_BIND *b = calloc(nf, sizeof(*b));
	col *c = calloc(nf, sizeof(*c));
	for (unsigned i = 0; i < nf; i++)
		bind_one(&b[i], &c[i], &fs[i], sc);
	if (sc != S_NONE && mysql_stmt_bind_result(st, b))
		out("  bind_result error %s\n", mysql_stmt_error(st));
	mysql_free_result(meta);
	if (stored) {
		int rc = mysql_stmt_store_result(st);
		out("  store rc=%d\n", rc);
		stmt_state(st, "after store");
	}
	fetch_all(st, b, c, nf, stored, sc);
	stmt_state(st, "after fetch");
	mysql_stmt_free_result(st);
	stmt_state(st, "after free_result");
	free(b);
	free(c);
}

/* MY_PS_ATTR=cursor|maxlen: statements that must pass through uncached */
static void set_attrs(MYSQL_STMT *st)
{
	const char *a = getenv("MY_PS_ATTR");
	if (a && strcmp(a, "cursor") == 0) {
		unsigned long t = CURSOR_TYPE_READ_ONLY;
		mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &t);
	} else if (a && strcmp(a, "maxlen") == 0) {
		my_bool on = 1;
		mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	}
}

/* Results left unread or half read: execute, fetch one row, execute again; reset; free_result;
 * close with a result pending - the statement must behave as without Capacitor. (A second
 * statement sent while a result is still unread is the one case that differs - the server
 * path answers "commands out of sync", a hit does not - and is not exercised.) */
static void abandon(MYSQL *m, const char *sql, MYSQL_BIND *pb, int np)
{
	out("abandon: %s\n", sql);
	MYSQL_STMT *st = mysql_stmt_init(m);
	set_attrs(st);
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) || (np && mysql_stmt_bind_param(st, pb))) {
		out("  prepare error %s\n", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	unsigned nf = mysql_stmt_field_count(st);
	col *c = calloc(nf + 1, sizeof(*c));
	MYSQL_BIND *b = calloc(nf + 1, sizeof(*b));
	for (unsigned i = 0; i < nf; i++) {
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = c[i].u.str;
		b[i].buffer_length = sizeof(c[i].u.str);
		b[i].length = &c[i].len;
		b[i].is_null = &c[i].isnull;
		b[i].error = &c[i].err;
	}
	for (int step = 0; step < 8; step++) {
		int rc = mysql_stmt_execute(st);
		out("  step %d execute rc=%d", step, rc);
		if (rc == 0 && nf)
			rc = mysql_stmt_bind_result(st, b);
		my_bool was = 0;
		if (step == 6) {
			/* max_length updates asked for between execute and store */
			my_bool on = 1;
			mysql_stmt_attr_get(st, STMT_ATTR_UPDATE_MAX_LENGTH, &was);
			mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
		}
		if (step == 2 || step == 5 || step == 6)
			out(" store=%d", mysql_stmt_store_result(st));
		if (step == 6) {
			MYSQL_RES *meta = mysql_stmt_result_metadata(st);
			for (unsigned i = 0; meta && i < nf; i++)
				out(" max_length[%u]=%lu", i, mysql_fetch_fields(meta)[i].max_length);
			mysql_free_result(meta);
			mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &was);
		}
		int f = mysql_stmt_fetch(st);
		out(" fetch=%d", f);
		if ((f == 0 || f == MYSQL_DATA_TRUNCATED) && nf)
			print_col(st, &b[0], &c[0], 0);
		out(" num_rows=%llu", (unsigned long long)mysql_stmt_num_rows(st));
		if (step == 3)
			out(" reset=%d", (int)mysql_stmt_reset(st));
		if (step == 4)
			out(" free_result=%d", (int)mysql_stmt_free_result(st));
		if (step == 5) {
			mysql_stmt_data_seek(st, 0);
			f = mysql_stmt_fetch(st);
			out(" seek0 fetch=%d", f);
		}
		out(" fetch2=%d\n", mysql_stmt_fetch(st));
		stmt_state(st, "abandon");
	}
	/* another statement on the connection after this one's result was freed */
	mysql_stmt_execute(st);
	mysql_stmt_fetch(st);
	mysql_stmt_free_result(st);
	MYSQL_STMT *o = mysql_stmt_init(m);
	int orc = mysql_stmt_prepare(o, "SELECT 42", 9);
	if (orc == 0)
		orc = mysql_stmt_execute(o);
	out("  other statement rc=%d\n", orc);
	mysql_stmt_close(o);
	mysql_stmt_execute(st);
	mysql_stmt_close(st); /* result pending */
	free(b);
	free(c);
}

static char **split(char *line, int *n)
{
	char **v = NULL;
	*n = 0;
	for (char *p = strtok(line, "|"); p; p = strtok(NULL, "|")) {
		v = realloc(v, (size_t)(*n + 1) * sizeof(*v));
		v[(*n)++] = p;
	}
	return v;
}

static void corpus_one(MYSQL *m, char *line, int rep)
{
	int n;
	char **v = split(line, &n);
	if (n == 0) {
		free(v);
		return;
	}
	param *p = calloc((size_t)n, sizeof(*p));
	MYSQL_BIND *pb = calloc((size_t)n, sizeof(*pb));
	if (parse_params(v + 1, n - 1, p)) {
		fprintf(stderr, "bad parameters: %s\n", line);
		exit(2);
	}
	for (int i = 0; i < n - 1; i++)
		pb[i] = p[i].b;
	for (int sc = 0; sc < S__N; sc++) {
		for (int stored = 1; stored >= 0; stored--) {
			/* one statement handle executed rep times, then a fresh handle */
			for (int fresh = 0; fresh < 2; fresh++) {
				out("%s %s %s: %s\n", scheme_names[sc], stored ? "stored" : "unstored",
				    fresh ? "fresh" : "reused", v[0]);
				MYSQL_STMT *st = mysql_stmt_init(m);
				set_attrs(st);
				if (mysql_stmt_prepare(st, v[0], (unsigned long)strlen(v[0]))) {
					out("  prepare error %u %s\n", mysql_stmt_errno(st),
					    mysql_stmt_error(st));
					mysql_stmt_close(st);
					continue;
				}
				out("  param_count=%lu field_count=%u\n", mysql_stmt_param_count(st),
				    mysql_stmt_field_count(st));
				if (n > 1 && mysql_stmt_bind_param(st, pb))
					out("  bind_param error %s\n", mysql_stmt_error(st));
				for (int r = 0; r < (fresh ? 1 : rep); r++)
					run_exec(st, (enum scheme)sc, stored);
				mysql_stmt_close(st);
			}
		}
	}
	abandon(m, v[0], pb, n - 1);
	free(p);
	free(pb);
	free(v);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: my_ps corpus FILE REPEAT | query SQL [PARAM...]\n");
		return 2;
	}
	MYSQL *m = conn_open();
	if (strcmp(argv[1], "query") == 0) {
		int np = argc - 3;
		param *p = calloc((size_t)np + 1, sizeof(*p));
		MYSQL_BIND *pb = calloc((size_t)np + 1, sizeof(*pb));
		if (parse_params(argv + 3, np, p))
			return 2;
		for (int i = 0; i < np; i++)
			pb[i] = p[i].b;
		MYSQL_STMT *st = mysql_stmt_init(m);
		if (mysql_stmt_prepare(st, argv[2], (unsigned long)strlen(argv[2])) ||
		    (np && mysql_stmt_bind_param(st, pb)) || mysql_stmt_execute(st)) {
			fprintf(stderr, "%s: %s\n", argv[2], mysql_stmt_error(st));
			return 1;
		}
		if (mysql_stmt_field_count(st) == 0) {
			printf("affected %lld\n", (long long)mysql_stmt_affected_rows(st));
		} else {
			char buf[4096];
			unsigned long len = 0;
			my_bool isnull = 0, err = 0;
			unsigned nf = mysql_stmt_field_count(st);
			MYSQL_BIND *b = calloc(nf, sizeof(*b));
			b[0].buffer_type = MYSQL_TYPE_STRING;
			b[0].buffer = buf;
			b[0].buffer_length = sizeof(buf) - 1;
			b[0].length = &len;
			b[0].is_null = &isnull;
			b[0].error = &err;
			for (unsigned i = 1; i < nf; i++)
				b[i].buffer_type = MYSQL_TYPE_NULL;
			mysql_stmt_bind_result(st, b);
			mysql_stmt_store_result(st);
			while (mysql_stmt_fetch(st) == 0) {
				buf[len < sizeof(buf) - 1 ? len : sizeof(buf) - 1] = '\0';
				printf("%s\n", isnull ? "NULL" : buf);
			}
			free(b);
		}
		mysql_stmt_close(st);
		free(p);
		free(pb);
		mysql_close(m);
		return 0;
	}
	if (strcmp(argv[1], "longdata") == 0) {
		/* the parameter sent in pieces with mysql_stmt_send_long_data (passes through) */
		MYSQL_STMT *st = mysql_stmt_init(m);
		char dummy = 0;
		unsigned long zero = 0;
		MYSQL_BIND pb;
		memset(&pb, 0, sizeof(pb));
		pb.buffer_type = MYSQL_TYPE_STRING;
		pb.buffer = &dummy;
		pb.length = &zero;
		long long r = -1;
		MYSQL_BIND rb;
		memset(&rb, 0, sizeof(rb));
		rb.buffer_type = MYSQL_TYPE_LONGLONG;
		rb.buffer = &r;
		if (mysql_stmt_prepare(st, "SELECT LENGTH(?)", 16) || mysql_stmt_bind_param(st, &pb))
			return 1;
		for (int i = 0; i < 3; i++) {
			mysql_stmt_send_long_data(st, 0, argv[2], (unsigned long)strlen(argv[2]));
			mysql_stmt_send_long_data(st, 0, "xyz", (unsigned long)i);
			if (mysql_stmt_execute(st) || mysql_stmt_bind_result(st, &rb) ||
			    mysql_stmt_store_result(st) || mysql_stmt_fetch(st))
				return 1;
			printf("%lld\n", r);
			mysql_stmt_free_result(st);
		}
		mysql_stmt_close(st);
		mysql_close(m);
		return 0;
	}
	if (strcmp(argv[1], "corpus") != 0 || argc < 4)
		return 2;
	FILE *f = fopen(argv[2], "r");
	if (f == NULL) {
		perror(argv[2]);
		return 2;
	}
	int rep = atoi(argv[3]);
	char line[65536];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		corpus_one(m, line, rep);
	}
	fclose(f);
	printf("checksum %016llx\n", (unsigned long long)sum);
	mysql_close(m);
	return 0;
}

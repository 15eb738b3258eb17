/*
 * pq_api.c - every libpq API path a program may use to run a read, with a canonical dump of
 * every result accessor, so that t_pg_api.sh can compare its whole output byte for byte with
 * and without Capacitor (each query runs twice per path: a miss, then a hit).
 *
 * Paths (-m, comma-separated; default all):
 *   exec            PQexec (literal text)
 *   params_text     PQexecParams, text parameters, text results
 *   params_bin      PQexecParams, binary int4 parameters, binary results
 *   params_mixed    PQexecParams, binary int4 parameters, text results
 *   prepared        PQprepare + PQexecPrepared (text), then binary results
 *   send            PQsendQuery + PQgetResult loop (blocking connection)
 *   send_params     PQsendQueryParams + PQgetResult loop, binary results
 *   send_prepared   PQsendPrepare / PQsendQueryPrepared + PQgetResult loop
 *   single          PQsendQuery + PQsetSingleRowMode
 *   nb_query        nonblocking connection: PQsendQuery, PQflush, poll() on PQsocket for
 *                   readability FIRST, then PQconsumeInput / PQisBusy / PQgetResult
 *   nb_params       the same with PQsendQueryParams
 *   nb_prepared     the same with PQsendQueryPrepared
 *   nb_single       the same with single-row mode
 *   blk_poll        blocking connection, PQsendQuery, then poll() on the socket before
 *                   PQconsumeInput (what an event loop that never set nonblocking does)
 * A wait longer than 10 s is reported as a hang and the program exits 3.
 *
 * Queries: a built-in list, or -f FILE (one per line; `$1` lines take the parameter given
 * after a tab: "SQL<TAB>value"). Between the two rounds of the built-in list the program
 * writes (UPDATE api_t), so the second round must show the write on every path.
 * -w skips the write. -n N repeats each query N times (default 2).
 *
 * The test creates table api_t (id int primary key, v int, t text) before running it; the
 * first statement sets it to a known state, so every run prints the same.
 * Connection: the PG* environment variables.
 */
#include <libpq-fe.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HANG_MS 10000

typedef struct query {
	char *lit;   /* literal text (PQexec, PQsendQuery) */
	char *par;   /* with $1 (NULL: no parameter) */
	char *val;   /* the parameter's text value */
	Oid type;    /* 23 (int4) parameters are sent binary by the binary paths */
} query;

static query queries[256];
static int nqueries;
static int repeat = 2;
static unsigned long items_oid, api_oid;

static void die(const char *what, PGconn *c)
{
	fprintf(stderr, "pq_api: %s: %s\n", what, c ? PQerrorMessage(c) : "");
	exit(2);
}

static void add_query(const char *lit, const char *par, const char *val, Oid type)
{
	if (nqueries >= (int)(sizeof(queries) / sizeof(queries[0])))
		return;
	query *q = &queries[nqueries++];
	q->lit = strdup(lit);
	q->par = par ? strdup(par) : NULL;
	q->val = val ? strdup(val) : NULL;
	q->type = type;
}

static void builtin_queries(void)
{
	add_query("SELECT * FROM items WHERE id <= 5 ORDER BY id",
		  "SELECT * FROM items WHERE id <= $1 ORDER BY id", "5", 23);
	add_query("SELECT id, name, price, qty FROM items WHERE qty = 3 ORDER BY id",
		  "SELECT id, name, price, qty FROM items WHERE qty = $1 ORDER BY id", "3", 23);
	add_query("SELECT count(*), sum(price), min(name), max(qty) FROM items", NULL, NULL, 0);
	add_query("SELECT * FROM items WHERE false", "SELECT * FROM items WHERE id = $1", "100000", 23);
	add_query("SELECT id, v, t FROM api_t ORDER BY id", "SELECT id, v, t FROM api_t WHERE id >= $1 ORDER BY id", "1", 23);
	add_query("SELECT v, t FROM api_t WHERE t = 'b'", "SELECT v, t FROM api_t WHERE t = $1", "b", 25);
	add_query("SELECT NULL::int AS n, ''::text AS empty, true AS b, 1.5::float8 AS f, "
		  "'\\x00ff00'::bytea AS by, DATE '2024-01-02' AS d, ARRAY[1,NULL,3] AS a, "
		  "'{\"a\": [1, \"é\"]}'::jsonb AS j, 'é日本😀'::text AS u, 12345678901::int8 AS big, "
		  "2.5::numeric(10,3) AS num, 'abc'::varchar(20) AS vc, 'x'::char(3) AS ch, "
		  "TIMESTAMPTZ '2024-03-04 05:06:07.123456+00' AS ts, INTERVAL '1 day 2 hours' AS iv, "
		  "'00000000-0000-0000-0000-000000000001'::uuid AS id, 32767::int2 AS sm",
		  NULL, NULL, 0);
	add_query("SELECT id, pad FROM api_big ORDER BY id",
		  "SELECT id, pad FROM api_big WHERE id <= $1 ORDER BY id", "3000", 23);
	add_query("SELECT 1 AS a, 2 AS a, 3 AS \"A\"", NULL, NULL, 0);
	add_query("SELECT * FROM no_such_table", "SELECT * FROM no_such_table WHERE x = $1", "1", 23);
	add_query("SELECT 1/0", "SELECT 1/$1", "0", 23);
}

static void load_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	char line[65536];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == 0 || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (tab) {
			*tab = 0;
			add_query(line, line, tab + 1, 0);
		} else {
			add_query(line, NULL, NULL, 0);
		}
	}
	fclose(f);
}

/* ---- canonical dump -------------------------------------------------------------------- */

static void print_bytes(const char *v, int len, int binary)
{
	if (!binary) {
		putchar('\'');
		for (int i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)v[i];
			if (ch == '\'' || ch == '\\')
				printf("\\%c", ch);
			else if (ch < 0x20 || ch == 0x7f)
				printf("\\x%02x", ch);
			else
				putchar(ch);
		}
		putchar('\'');
		if (v[len] != 0)
			fputs("<not NUL-terminated>", stdout);
		return;
	}
	fputs("x", stdout);
	for (int i = 0; i < len; i++)
		printf("%02x", (unsigned char)v[i]);
}

static const char *table_name(Oid t)
{
	if (t == InvalidOid)
		return "0";
	if (t == items_oid)
		return "items";
	if (t == api_oid)
		return "api_t";
	return "other";
}

static void dump(const char *label, PGresult *r)
{
	if (r == NULL) {
		printf("%s: NULL\n", label);
		return;
	}
	ExecStatusType st = PQresultStatus(r);
	printf("%s: status=%s ntuples=%d nfields=%d binary=%d cmd='%s' cmdtuples='%s'\n", label,
	       PQresStatus(st), PQntuples(r), PQnfields(r), PQbinaryTuples(r), PQcmdStatus(r),
	       PQcmdTuples(r));
	if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
		const char *prim = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		printf("  error: sqlstate=%s severity=%s primary='%s'\n  message: %s",
		       state ? state : "-", sev ? sev : "-", prim ? prim : "-",
		       PQresultErrorMessage(r));
		return;
	}
	for (int c = 0; c < PQnfields(r); c++) {
		const char *name = PQfname(r, c);
		char quoted[300];
		snprintf(quoted, sizeof(quoted), "\"%s\"", name ? name : "");
		printf("  field %d: fname='%s' fnumber=%d fnumber_quoted=%d ftype=%u fmod=%d fsize=%d "
		       "fformat=%d ftable=%s ftablecol=%d\n",
		       c, name ? name : "(null)", name ? PQfnumber(r, name) : -2,
		       PQfnumber(r, quoted), PQftype(r, c), PQfmod(r, c), PQfsize(r, c),
		       PQfformat(r, c), table_name(PQftable(r, c)), PQftablecol(r, c));
	}
	printf("  fnumber(no_such)=%d\n", PQfnumber(r, "no_such"));
	for (int row = 0; row < PQntuples(r); row++) {
		printf("  row %d:", row);
		for (int c = 0; c < PQnfields(r); c++) {
			putchar(' ');
			if (PQgetisnull(r, row, c)) {
				printf("NULL(len=%d,val='%s')", PQgetlength(r, row, c),
				       PQgetvalue(r, row, c));
				continue;
			}
			int len = PQgetlength(r, row, c);
			printf("[%d]", len);
			print_bytes(PQgetvalue(r, row, c), len, PQfformat(r, c));
		}
		putchar('\n');
	}
}

static const char *txn_name(PGTransactionStatusType t)
{
	switch (t) {
	case PQTRANS_IDLE: return "idle";
	case PQTRANS_ACTIVE: return "active";
	case PQTRANS_INTRANS: return "intrans";
	case PQTRANS_INERROR: return "inerror";
	default: return "unknown";
	}
}

/* ---- waiting ------------------------------------------------------------------------------ */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wait_sock(PGconn *c, short ev, long long deadline, const char *what)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			printf("HANG: %s: socket not ready after %d ms\n", what, HANG_MS);
			fprintf(stderr, "pq_api: HANG: %s: socket not ready after %d ms\n", what, HANG_MS);
			fflush(stdout);
			exit(3);
		}
		struct pollfd p = { PQsocket(c), ev, 0 };
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return;
		if (n < 0 && errno != EINTR)
			die("poll", NULL);
	}
}

/* Drain every result of what was sent; poll_first: wait for readability before the first
 * PQconsumeInput (and whenever PQisBusy says so). */
static void drain(PGconn *c, const char *label, int poll_first, int single)
{
	long long deadline = now_ms() + HANG_MS;
	int n = 0;
	char lab[256];
	if (PQisnonblocking(c)) {
		int f;
		while ((f = PQflush(c)) == 1)
			wait_sock(c, POLLOUT, deadline, "flush");
		if (f < 0)
			die("PQflush", c);
	}
	int first = 1;
	for (;;) {
		if (poll_first) {
			if (first) {
				wait_sock(c, POLLIN, deadline, label);
				first = 0;
				if (!PQconsumeInput(c))
					die("PQconsumeInput", c);
			}
			while (PQisBusy(c)) {
				wait_sock(c, POLLIN, deadline, label);
				if (!PQconsumeInput(c))
					die("PQconsumeInput", c);
			}
		}
		PGresult *r = PQgetResult(c);
		if (r == NULL)
			break;
		snprintf(lab, sizeof(lab), "%s result %d", label, n++);
		dump(lab, r);
		PQclear(r);
		if (n > 100000)
			die("too many results", NULL);
	}
	(void)single;
	printf("%s: end after %d results, txn=%s\n", label, n, txn_name(PQtransactionStatus(c)));
}

/* ---- one query on one path ------------------------------------------------------------ */

static void param(const query *q, int binary, const char **val, int *len, int *fmt,
		  uint32_t *be)
{
	*val = q->val;
	*len = 0;
	*fmt = 0;
	if (binary && q->type == 23) {
		*be = htonl((uint32_t)atoi(q->val));
		*val = (const char *)be;
		*len = 4;
		*fmt = 1;
	}
}


static void run_one(PGconn *c, const char *mode, const query *q, int qi, int k, const char *label)
{
	const char *sql = q->par ? q->par : q->lit;
	int np = q->par ? 1 : 0;
	const char *val;
	int len, fmt;
	uint32_t be;
	Oid type = q->type;
	Oid *types = np && type ? &type : NULL;
	if (strcmp(mode, "exec") == 0) {
		PGresult *r = PQexec(c, q->lit);
		dump(label, r);
		PQclear(r);
	} else if (strcmp(mode, "params_text") == 0 || strcmp(mode, "params_bin") == 0 ||
		   strcmp(mode, "params_mixed") == 0) {
		int bin = strcmp(mode, "params_text") != 0;
		param(q, bin, &val, &len, &fmt, &be);
		PGresult *r = PQexecParams(c, sql, np, types, np ? &val : NULL, np ? &len : NULL,
					   np ? &fmt : NULL, strcmp(mode, "params_bin") == 0);
		dump(label, r);
		PQclear(r);
	} else if (strcmp(mode, "prepared") == 0) {
		/* prepared once (first repetition), executed every time: no DEALLOCATE, which is
		 * a session statement */
		char name[32];
		snprintf(name, sizeof(name), "%s_%d", mode, qi);
		if (k == 0) {
			PGresult *r = PQprepare(c, name, sql, np, types);
			printf("%s: prepare %s\n", label, PQresStatus(PQresultStatus(r)));
			PQclear(r);
		}
		for (int rf = 0; rf < 2; rf++) {
			param(q, rf, &val, &len, &fmt, &be);
			PGresult *r = PQexecPrepared(c, name, np, np ? &val : NULL, np ? &len : NULL,
						     np ? &fmt : NULL, rf);
			char lab[256];
			snprintf(lab, sizeof(lab), "%s rf=%d", label, rf);
			dump(lab, r);
			PQclear(r);
		}
	} else if (strcmp(mode, "send") == 0 || strcmp(mode, "nb_query") == 0 ||
		   strcmp(mode, "single") == 0 || strcmp(mode, "nb_single") == 0 ||
		   strcmp(mode, "blk_poll") == 0) {
		if (!PQsendQuery(c, q->lit))
			die("PQsendQuery", c);
		int single = strstr(mode, "single") != NULL;
		if (single)
			printf("%s: single-row mode %d\n", label, PQsetSingleRowMode(c));
		drain(c, label, strncmp(mode, "nb_", 3) == 0 || strcmp(mode, "blk_poll") == 0, single);
	} else if (strcmp(mode, "send_params") == 0 || strcmp(mode, "nb_params") == 0) {
		param(q, 1, &val, &len, &fmt, &be);
		if (!PQsendQueryParams(c, sql, np, types, np ? &val : NULL, np ? &len : NULL,
				       np ? &fmt : NULL, 1))
			die("PQsendQueryParams", c);
		drain(c, label, mode[0] == 'n', 0);
	} else if (strcmp(mode, "send_prepared") == 0 || strcmp(mode, "nb_prepared") == 0) {
		char name[32], lab[256];
		snprintf(name, sizeof(name), "%s_%d", mode, qi);
		if (k == 0) {
			if (!PQsendPrepare(c, name, sql, np, types))
				die("PQsendPrepare", c);
			snprintf(lab, sizeof(lab), "%s prepare", label);
			drain(c, lab, mode[0] == 'n', 0);
		}
		for (int rf = 0; rf < 2; rf++) {
			param(q, rf, &val, &len, &fmt, &be);
			if (!PQsendQueryPrepared(c, name, np, np ? &val : NULL, np ? &len : NULL,
						 np ? &fmt : NULL, rf))
				die("PQsendQueryPrepared", c);
			snprintf(lab, sizeof(lab), "%s rf=%d", label, rf);
			drain(c, lab, mode[0] == 'n', 0);
		}
	} else {
		fprintf(stderr, "pq_api: unknown mode %s\n", mode);
		exit(2);
	}
	fflush(stdout);
}

static void run_mode(PGconn *c, const char *mode, const char *round, int round_no)
{
	int nb = strncmp(mode, "nb_", 3) == 0;
	if (PQsetnonblocking(c, nb) != 0)
		die("PQsetnonblocking", c);
	for (int i = 0; i < nqueries; i++)
		for (int k = 0; k < repeat; k++) {
			char label[128];
			snprintf(label, sizeof(label), "%s %s q%d #%d", round, mode, i, k);
			run_one(c, mode, &queries[i], i + 1000 * round_no, k, label);
		}
	if (PQsetnonblocking(c, 0) != 0)
		die("PQsetnonblocking", c);
}

static const char *all_modes = "exec,params_text,params_bin,params_mixed,prepared,send,"
			       "send_params,send_prepared,single,nb_query,nb_params,nb_prepared,"
			       "nb_single";

static unsigned long lookup_oid(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	unsigned long v = 0;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

int main(int argc, char **argv)
{
	const char *modes = all_modes, *file = NULL;
	int write = 1, opt;
	while ((opt = getopt(argc, argv, "m:f:n:w")) != -1) {
		switch (opt) {
		case 'm': modes = optarg; break;
		case 'f': file = optarg; break;
		case 'n': repeat = atoi(optarg); break;
		case 'w': write = 0; break;
		default:
			fprintf(stderr, "usage: pq_api [-m MODES] [-f FILE] [-n REPEAT] [-w]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (file)
		load_file(file);
	else
		builtin_queries();
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", c);
	items_oid = lookup_oid(c, "SELECT oid FROM pg_class WHERE relname = 'items' AND relkind = 'r'");
	api_oid = lookup_oid(c, "SELECT oid FROM pg_class WHERE relname = 'api_t' AND relkind = 'r'");
	if (write && !file) {
		PGresult *r = PQexec(c, "UPDATE api_t SET v = id * 10");
		dump("reset", r);
		PQclear(r);
	}
	const char *rounds[] = { "before", "after" };
	for (int round = 0; round < (write && !file ? 2 : 1); round++) {
		char *list = strdup(modes);
		for (char *save = NULL, *m = strtok_r(list, ",", &save); m;
		     m = strtok_r(NULL, ",", &save)) {
			run_mode(c, m, rounds[round], round);
			if (round == 0 && write && !file) {
				/* every path must see this write on its second round: write between
				 * modes too, so a later mode's first query is a post-write read */
				PGresult *r = PQexec(c, "UPDATE api_t SET v = v + 1 WHERE id = 2");
				dump("write", r);
				PQclear(r);
			}
		}
		free(list);
	}
	PQfinish(c);
	for (int i = 0; i < nqueries; i++) {
		free(queries[i].lit);
		free(queries[i].par);
		free(queries[i].val);
	}
	return 0;
}

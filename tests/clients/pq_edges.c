/*
 * pq_edges.c - libpq behaviour around a cache hit that a program can observe, for
 * t_pg_edges.sh: run once without and once with Capacitor, the output must be the same.
 *
 *   pq_edges CASE   (connection from the PG* variables; tables from t_pg_edges.sh)
 *
 * Cases: fn_write (a write through PQfn is seen by the next read), fn_path (set_config
 * through PQfn moves search_path), errmsg (PQerrorMessage after a hit that follows an error,
 * sync and async), busy (a second PQsendQuery while a hit is unread is refused and the hit is
 * still read), nullname (PQexecPrepared / PQsendQueryPrepared with a NULL name), xmax (a row
 * lock changes the row's xmax without a write: its reader is not cached), setcfg_* (set_config
 * run by a view, a column default, a check or a domain's default moves search_path), idle_txn and
 * idle_session (the server ends a session idle past its timeout: the next read says so).
 * Each query is run twice before the interesting step, so that with Capacitor it is a hit.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the first line of s (libpq's messages end with a newline; some have a second line) */
static void line1(const char *what, const char *s)
{
	size_t n = strcspn(s, "\n");
	printf("%s '%.*s'\n", what, (int)n, s);
}

static void show(PGconn *c, const char *tag, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	printf("%s: %s", tag, PQresStatus(st));
	if (st == PGRES_TUPLES_OK)
		for (int i = 0; i < PQntuples(r); i++)
			printf(" %s", PQgetvalue(r, i, 0));
	printf("\n");
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		line1("  error", PQerrorMessage(c));
	PQclear(r);
}

static void twice(PGconn *c, const char *q)
{
	PQclear(PQexec(c, q));
	PQclear(PQexec(c, q));
}

static Oid fn_oid(PGconn *c, const char *sig)
{
	const char *v[1] = { sig };
	PGresult *r = PQexecParams(c, "SELECT $1::regprocedure::oid", 1, NULL, v, NULL, NULL, 0);
	Oid o = PQresultStatus(r) == PGRES_TUPLES_OK ? (Oid)strtoul(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return o;
}

static void drain(PGconn *c)
{
	PGresult *r;
	int n = 0;
	while ((r = PQgetResult(c)) != NULL) {
		char tag[32];
		snprintf(tag, sizeof(tag), "  result %d", ++n);
		show(c, tag, r);
	}
}

static void fn_write(PGconn *c)
{
	const char *q = "SELECT v FROM ed_t WHERE id = 1";
	twice(c, q);
	int res = 0, len = 0;
	PGresult *r = PQfn(c, (int)fn_oid(c, "ed_bump()"), &res, &len, 1, NULL, 0);
	printf("PQfn ed_bump(): %s %d\n", PQresStatus(PQresultStatus(r)), res);
	PQclear(r);
	show(c, "read after", PQexec(c, q));
}

static void fn_path(PGconn *c)
{
	const char *q = "SELECT v FROM ed_p";
	twice(c, q);
	PQArgBlock a[3];
	char buf[256];
	int len = 0;
	a[0].isint = 0; a[0].len = 11; a[0].u.ptr = (int *)"search_path";
	a[1].isint = 0; a[1].len = 14; a[1].u.ptr = (int *)"ed_s, public  ";
	a[2].isint = 0; a[2].len = 1; a[2].u.ptr = (int *)"\0"; /* false, binary */
	PGresult *r = PQfn(c, (int)fn_oid(c, "set_config(text,text,boolean)"), (int *)buf, &len, 0,
			   a, 3);
	printf("PQfn set_config: %s\n", PQresStatus(PQresultStatus(r)));
	PQclear(r);
	show(c, "read after", PQexec(c, q));
}

static void errmsg(PGconn *c)
{
	const char *q = "SELECT v FROM ed_t WHERE id = 2";
	twice(c, q);
	show(c, "error", PQexec(c, "SELECT 1/0"));
	PGresult *r = PQexec(c, q);
	printf("PQexec: %s\n", PQresStatus(PQresultStatus(r)));
	line1("  PQerrorMessage", PQerrorMessage(c));
	PQclear(r);
	show(c, "error", PQexec(c, "SELECT 1/0"));
	int s = PQsendQuery(c, q);
	printf("PQsendQuery: %d\n", s);
	line1("  PQerrorMessage", PQerrorMessage(c));
	drain(c);
	line1("  PQerrorMessage after", PQerrorMessage(c));
}

static void busy(PGconn *c)
{
	const char *q = "SELECT v FROM ed_t WHERE id = 3";
	twice(c, q);
	int s1 = PQsendQuery(c, q);
	int s2 = PQsendQuery(c, "SELECT 'second'");
	printf("PQsendQuery: %d, again: %d\n", s1, s2);
	line1("  PQerrorMessage", PQerrorMessage(c));
	drain(c);
	int s3 = PQsendQueryParams(c, q, 0, NULL, NULL, NULL, NULL, 0);
	int s4 = PQsendQueryParams(c, "SELECT 'third'", 0, NULL, NULL, NULL, NULL, 0);
	printf("PQsendQueryParams: %d, again: %d\n", s3, s4);
	line1("  PQerrorMessage", PQerrorMessage(c));
	drain(c);
	int s5 = PQsendQuery(c, q);
	int s6 = PQsendPrepare(c, "ed_busy", "SELECT 'fourth'", 0, NULL);
	printf("PQsendQuery: %d, PQsendPrepare: %d\n", s5, s6);
	line1("  PQerrorMessage", PQerrorMessage(c));
	drain(c);
	show(c, "then", PQexec(c, q));
}

static void nullname(PGconn *c)
{
	const char *q = "SELECT v FROM ed_t WHERE id = 4";
	PQclear(PQexecParams(c, q, 0, NULL, NULL, NULL, NULL, 0));
	PQclear(PQexecParams(c, q, 0, NULL, NULL, NULL, NULL, 0));
	show(c, "PQexecPrepared(NULL)", PQexecPrepared(c, NULL, 0, NULL, NULL, NULL, 0));
	PQclear(PQexecParams(c, q, 0, NULL, NULL, NULL, NULL, 0));
	int s = PQsendQueryPrepared(c, NULL, 0, NULL, NULL, NULL, 0);
	printf("PQsendQueryPrepared(NULL): %d\n", s);
	if (!s)
		line1("  PQerrorMessage", PQerrorMessage(c));
	drain(c);
	show(c, "PQexecPrepared(\"\")", PQexecPrepared(c, "", 0, NULL, NULL, NULL, 0));
}

static void xmax(PGconn *c)
{
	const char *q = "SELECT xmax <> '0' AS locked FROM ed_t WHERE id = 6";
	twice(c, q);
	show(c, "before", PQexec(c, q));
	show(c, "FOR SHARE", PQexec(c, "SELECT id FROM ed_t WHERE id = 6 FOR SHARE"));
	show(c, "after", PQexec(c, q));
}

/* set_config reached without naming it moves search_path: the next read is of ed_s.ed_p */
static void setcfg(PGconn *c, const char *how)
{
	const char *q = "SELECT v FROM ed_p";
	twice(c, q);
	show(c, how, PQexec(c, how));
	show(c, "read after", PQexec(c, q));
}

static void idle(PGconn *c, int txn)
{
	const char *q = "SELECT v FROM ed_t WHERE id = 5";
	PQclear(PQexec(c, txn ? "SET idle_in_transaction_session_timeout = '300ms'"
			      : "SET idle_session_timeout = '300ms'"));
	twice(c, q);
	if (txn) {
		PQclear(PQexec(c, "BEGIN"));
		show(c, "in the transaction", PQexec(c, q));
	} else {
		show(c, "read", PQexec(c, q));
	}
	usleep(1200 * 1000);
	PGresult *r = PQexec(c, q);
	printf("after the timeout: %s\n", PQresultStatus(r) == PGRES_TUPLES_OK ? "rows" : "no rows");
	PQclear(r);
	printf("connection: %s\n", PQstatus(c) == CONNECTION_OK ? "ok" : "bad");
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(c));
		return 2;
	}
	const char *k = argv[1];
	if (strcmp(k, "fn_write") == 0)
		fn_write(c);
	else if (strcmp(k, "fn_path") == 0)
		fn_path(c);
	else if (strcmp(k, "errmsg") == 0)
		errmsg(c);
	else if (strcmp(k, "busy") == 0)
		busy(c);
	else if (strcmp(k, "nullname") == 0)
		nullname(c);
	else if (strcmp(k, "setcfg_view") == 0)
		setcfg(c, "SELECT count(*) FROM ed_sv");
	else if (strcmp(k, "setcfg_default") == 0)
		setcfg(c, "INSERT INTO ed_dft (a) VALUES (1)");
	else if (strcmp(k, "setcfg_check") == 0)
		setcfg(c, "INSERT INTO ed_chk VALUES (1)");
	else if (strcmp(k, "setcfg_domain") == 0)
		setcfg(c, "INSERT INTO ed_dom (a) VALUES (1)");
	else if (strcmp(k, "xmax") == 0)
		xmax(c);
	else if (strcmp(k, "idle_txn") == 0)
		idle(c, 1);
	else if (strcmp(k, "idle_session") == 0)
		idle(c, 0);
	else
		return 2;
	PQfinish(c);
	return 0;
}

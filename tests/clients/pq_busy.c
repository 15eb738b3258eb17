/*
 * pq_busy - every libpq call that depends on the connection being busy, made while a
 * PQsendQuery result is still unread (attack round 6, pg-3: a hit held for PQgetResult left
 * libpq idle, so synchronous calls did not discard it and busy-refusing calls succeeded).
 * Prints each call's return value, error message and the results read afterwards; the
 * integration test compares the output with and without Capacitor.
 * Connection from the PG* environment; table busy_t (id, qty).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *q1 = "SELECT 'first' AS q, count(*) FROM busy_t WHERE qty = 1";

/* the error message on one line */
static const char *em(const PGconn *c)
{
	static char b[512];
	snprintf(b, sizeof(b), "%s", PQerrorMessage(c));
	for (char *p = b; *p; p++)
		if (*p == '\n')
			*p = '|';
	return b;
}

static void show(const char *what, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	printf("  %s: %s", what, r ? PQresStatus(st) : "NULL");
	if ((st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) && PQntuples(r) > 0)
		printf(" %s", PQgetvalue(r, 0, 0));
	else if (st == PGRES_FATAL_ERROR)
		printf(" [%s]", PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
	printf("\n");
	PQclear(r);
}

static void state(const char *what, PGconn *c)
{
	printf("  %s: txn=%d pipeline=%d err=[%s]\n", what, (int)PQtransactionStatus(c),
	       (int)PQpipelineStatus(c), em(c));
}

/* the unread states: what the program did after PQsendQuery */
enum { ST_UNREAD, ST_READ, ST_ONEROW, ST_ASKED, ST_SOCKET, ST_READ_ASKED, ST_NONBLOCK,
       ST_ERROR, ST_PARAMS, ST_N };
static const char *const st_name[ST_N] = { "unread",     "result read",   "one row read",
					   "PQisBusy asked", "PQsocket asked", "read, then asked",
					   "nonblocking", "after an error", "PQsendQueryParams" };

static void enter_state(PGconn *c, int s)
{
	if (s == ST_NONBLOCK)
		PQsetnonblocking(c, 1);
	if (s == ST_ERROR) /* libpq's message holds an error when the query is sent */
		show("error", PQexec(c, "SELECT nosuch"));
	if (s == ST_ONEROW) {
		PQsendQuery(c, "SELECT id FROM busy_t WHERE id <= 3 ORDER BY id");
		PQsetSingleRowMode(c);
	} else if (s == ST_PARAMS) { /* the extended protocol: the unnamed statement is q1 */
		PQsendQueryParams(c, q1, 0, NULL, NULL, NULL, NULL, 0);
	} else {
		PQsendQuery(c, q1);
	}
	if (s == ST_NONBLOCK)
		while (PQflush(c) > 0)
			;
	if (s == ST_READ || s == ST_ONEROW || s == ST_READ_ASKED)
		show("read", PQgetResult(c));
	if (s == ST_ASKED || s == ST_READ_ASKED) {
		while (PQisBusy(c))
			PQconsumeInput(c);
		printf("  PQisBusy: 0\n");
	}
	if (s == ST_SOCKET)
		(void)PQsocket(c);
}

enum {
	A_SENDQUERY, A_SENDPARAMS, A_SENDPREPARE, A_SENDPREPARED, A_SENDDESCSTMT, A_SENDDESCPORTAL,
	A_FLUSHREQ, A_ENTERPIPE, A_EXITPIPE, A_PIPESYNC, A_EXEC, A_EXECPARAMS, A_EXECPREPARED,
	A_PREPARE, A_DESCSTMT, A_DESCMISSING, A_DESCPORTAL, A_FN, A_SINGLEROW, A_ISBUSY, A_TXN,
	A_CONSUME, A_PUTCOPY, A_GETCOPY, A_NONBLOCK, A_FLUSH, A_RESET, A_DESCUNNAMED,
	A_EXECUNNAMED, A_BADPREPARE, A_N
};
static const char *const a_name[A_N] = {
	"PQsendQuery", "PQsendQueryParams", "PQsendPrepare", "PQsendQueryPrepared",
	"PQsendDescribePrepared", "PQsendDescribePortal", "PQsendFlushRequest",
	"PQenterPipelineMode", "PQexitPipelineMode", "PQpipelineSync", "PQexec", "PQexecParams",
	"PQexecPrepared", "PQprepare", "PQdescribePrepared", "PQdescribePrepared(missing)",
	"PQdescribePortal(missing)", "PQfn", "PQsetSingleRowMode", "PQisBusy", "PQtransactionStatus",
	"PQconsumeInput", "PQputCopyData", "PQgetCopyData", "PQsetnonblocking", "PQflush", "PQreset",
	"PQdescribePrepared(unnamed)", "PQexecPrepared(unnamed)", "PQprepare(unnamed, failing)"
};

static void act(PGconn *c, int s, int a)
{
	const char *v[1] = { "2" };
	int rc = -9, len = 0, res = 0;
	char *buf = NULL;
	PQArgBlock none;
	memset(&none, 0, sizeof(none));
	switch (a) {
	case A_SENDQUERY: rc = PQsendQuery(c, "SELECT 'second' AS q"); break;
	case A_SENDPARAMS: rc = PQsendQueryParams(c, "SELECT $1::int AS p", 1, NULL, v, NULL, NULL, 0); break;
	case A_SENDPREPARE: rc = PQsendPrepare(c, "pp2", "SELECT 2", 0, NULL); break;
	case A_SENDPREPARED: rc = PQsendQueryPrepared(c, "pp", 0, NULL, NULL, NULL, 0); break;
	case A_SENDDESCSTMT: rc = PQsendDescribePrepared(c, "pp"); break;
	case A_SENDDESCPORTAL: rc = PQsendDescribePortal(c, ""); break;
	case A_FLUSHREQ: rc = PQsendFlushRequest(c); break;
	case A_ENTERPIPE: rc = PQenterPipelineMode(c); break;
	case A_EXITPIPE: rc = PQexitPipelineMode(c); break;
	case A_PIPESYNC: rc = PQpipelineSync(c); break;
	case A_EXEC: show("PQexec", PQexec(c, "SELECT 'third' AS q")); break;
	case A_EXECPARAMS: show("PQexecParams", PQexecParams(c, "SELECT $1::int AS p", 1, NULL, v, NULL, NULL, 0)); break;
	case A_EXECPREPARED: show("PQexecPrepared", PQexecPrepared(c, "pp", 0, NULL, NULL, NULL, 0)); break;
	case A_PREPARE: show("PQprepare", PQprepare(c, "pp3", "SELECT 3", 0, NULL)); break;
	case A_DESCSTMT: show("PQdescribePrepared", PQdescribePrepared(c, "pp")); break;
	case A_DESCMISSING: show("PQdescribePrepared", PQdescribePrepared(c, "nosuch")); break;
	case A_DESCPORTAL: show("PQdescribePortal", PQdescribePortal(c, "nosuch")); break;
	case A_FN: /* pg_backend_pid() */
		show("PQfn", PQfn(c, 2026, &res, &len, 1, &none, 0));
		break;
	case A_SINGLEROW: rc = PQsetSingleRowMode(c); break;
	case A_ISBUSY: /* before anything was read, libpq's answer depends on the server's speed */
		if (s == ST_UNREAD || s == ST_SOCKET || s == ST_NONBLOCK || s == ST_ERROR ||
		    s == ST_PARAMS)
			printf("  PQisBusy: (not compared)\n");
		else
			rc = PQisBusy(c);
		break;
	case A_TXN: rc = (int)PQtransactionStatus(c); break;
	case A_CONSUME: rc = PQconsumeInput(c); break;
	case A_PUTCOPY: rc = PQputCopyData(c, "x", 1); break;
	case A_GETCOPY: rc = PQgetCopyData(c, &buf, 1); PQfreemem(buf); break;
	case A_NONBLOCK: rc = PQsetnonblocking(c, 1); break;
	case A_FLUSH: rc = PQflush(c); break;
	case A_RESET: PQreset(c); rc = (int)PQstatus(c); break;
	case A_DESCUNNAMED: {
		PGresult *r = PQdescribePrepared(c, "");
		printf("  PQdescribePrepared(\"\"): nfields=%d\n", PQnfields(r));
		show("PQdescribePrepared", r);
		break;
	}
	/* these two run a prepared statement Capacitor has no text for (a statement of unknown
	 * effect, after which nothing is cached for a while): the last calls of a state */
	case A_EXECUNNAMED: show("PQexecPrepared", PQexecPrepared(c, "", 0, NULL, NULL, NULL, 0)); break;
	case A_BADPREPARE: /* a failed Parse leaves no unnamed statement */
		show("PQprepare", PQprepare(c, "", "SELEC 1", 0, NULL));
		show("PQexecPrepared", PQexecPrepared(c, "", 0, NULL, NULL, NULL, 0));
		break;
	}
	if (rc != -9)
		printf("  %s: %d\n", a_name[a], rc);
	state("after", c);
}

/* read what is left, as a program would (a pipeline is ended first) */
static void drain(PGconn *c)
{
	PGresult *r;
	if (PQpipelineStatus(c) != PQ_PIPELINE_OFF) {
		PQpipelineSync(c);
		for (int i = 0; i < 8; i++) {
			while ((r = PQgetResult(c)) != NULL)
				show("pipeline got", r);
			if (PQexitPipelineMode(c))
				break;
		}
	}
	PQsetnonblocking(c, 0);
	for (int i = 0; i < 4; i++) /* a describe after the query: two rounds of results */
		while ((r = PQgetResult(c)) != NULL)
			show("got", r);
}

int main(int argc, char **argv)
{
	/* one state (t_pg_busy runs each in a process of its own), or one state and one call,
	 * for debugging: pq_busy [STATE [CALL]] */
	int s0 = argc > 1 ? atoi(argv[1]) : 0, s1 = argc > 1 ? s0 + 1 : ST_N;
	int a0 = argc > 2 ? atoi(argv[2]) : 0, a1 = argc > 2 ? a0 + 1 : A_N;
	if (s0 < 0 || s0 >= ST_N || a0 < 0 || a0 >= A_N)
		return 3; /* no such case: the end of the states for the test's loop */
	for (int s = s0; s < s1; s++)
		for (int a = a0; a < a1; a++) {
			PGconn *c = PQconnectdb("");
			if (PQstatus(c) != CONNECTION_OK) {
				printf("connect: %s", PQerrorMessage(c));
				return 2;
			}
			PQclear(PQexec(c, q1));
			PQclear(PQexec(c, q1)); /* with Capacitor, q1 is a hit from here on */
			PQclear(PQexecParams(c, q1, 0, NULL, NULL, NULL, NULL, 0));
			PQclear(PQexecParams(c, q1, 0, NULL, NULL, NULL, NULL, 0));
			PQclear(PQexec(c, "SELECT id FROM busy_t WHERE id <= 3 ORDER BY id"));
			PQclear(PQprepare(c, "pp", "SELECT 1 AS one", 0, NULL));
			printf("%s / %s\n", st_name[s], a_name[a]);
			enter_state(c, s);
			act(c, s, a);
			drain(c);
			show("then PQexec", PQexec(c, "SELECT 'after' AS q"));
			state("end", c);
			PQfinish(c);
		}
	return 0;
}

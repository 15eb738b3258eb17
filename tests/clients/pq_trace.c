/*
 * pq_trace.c - a program that traces its connection (PQtrace) must see only its own
 * messages: Capacitor sends none of its own on a traced connection (no session read-back, no
 * catalog load) and serves nothing there. Prints the trace (timestamps suppressed) of a few
 * reads, a write and the same reads again, then the reads' values after PQuntrace (which may
 * be served again). Connection from the usual PG* environment variables.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

static void run(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK && PQntuples(r) > 0)
		printf("%s -> %s\n", sql, PQgetvalue(r, 0, 0));
	else
		printf("%s -> %s\n", sql, PQresStatus(st));
	PQclear(r);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pq_trace TRACEFILE\n");
		return 2;
	}
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pq_trace: %s", PQerrorMessage(c));
		return 1;
	}
	FILE *f = fopen(argv[1], "w");
	if (f == NULL)
		return 1;
	PQtrace(c, f);
	PQsetTraceFlags(c, PQTRACE_SUPPRESS_TIMESTAMPS);
	for (int i = 0; i < 2; i++) {
		run(c, "SELECT v FROM trace_t WHERE id = 1");
		run(c, "SELECT count(*) FROM trace_t");
	}
	run(c, "UPDATE trace_t SET v = v + 1 WHERE id = 1");
	run(c, "SELECT v FROM trace_t WHERE id = 1");
	PQuntrace(c);
	fclose(f);
	for (int i = 0; i < 3; i++)
		run(c, "SELECT v FROM trace_t WHERE id = 1");
	PQfinish(c);
	return 0;
}

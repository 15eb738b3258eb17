/*
 * pq_lines.c - run statement strings read from stdin on one libpq connection, one string per
 * line, each with PQexec (so "UPDATE ...; SELECT ..." goes as one multi-statement string).
 * After each line, one line of output: the first field of the first row of the last result,
 * "OK" for a result without rows, or "ERR" and the message's first line; flushed, so that a
 * test driving it through a FIFO knows when the statement is done. Lines starting with '#'
 * are skipped. A line starting with '!' is sent with PQsendQuery and the connection closed at
 * once, its answer never read ("SENT"), and a new connection opened for the next lines. A line
 * starting with '|' is one statement sent in pipeline mode (PQsendQueryParams, then
 * PQpipelineSync), its results read up to the sync, and the pipeline left.
 * Connection: PG* variables. Exit 0 at end of input, 2 when it cannot connect.
 * t_inflight.sh drives it as a reader that keeps its cache and as a writer that is killed.
 */
#include <libpq-fe.h>

#include <stdio.h>
#include <string.h>

/* run_pipelined - sql as the one statement of a pipeline: its result (NULL if none came) */
static PGresult *run_pipelined(PGconn *c, const char *sql)
{
	PGresult *res = NULL, *r;
	if (!PQenterPipelineMode(c) || !PQsendQueryParams(c, sql, 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(c))
		return NULL;
	int nulls = 0;
	for (;;) {
		r = PQgetResult(c);
		if (r == NULL) { /* the end of the statement's results; twice: the connection broke */
			if (++nulls == 2)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	PQexitPipelineMode(c);
	return res;
}

int main(void)
{
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pq_lines: %s", PQerrorMessage(c));
		return 2;
	}
	char line[8192];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '!') {
			int sent = PQsendQuery(c, line + 1);
			PQfinish(c);
			printf("%s\n", sent ? "SENT" : "ERR not sent");
			fflush(stdout);
			c = PQconnectdb("");
			if (PQstatus(c) != CONNECTION_OK)
				return 2;
			continue;
		}
		PGresult *r = line[0] == '|' ? run_pipelined(c, line + 1) : PQexec(c, line);
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0) {
			printf("%s\n", PQgetvalue(r, 0, 0));
		} else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			printf("OK\n");
		} else {
			const char *m = PQresultErrorMessage(r);
			printf("ERR %.*s\n", (int)strcspn(m, "\n"), m);
		}
		fflush(stdout);
		PQclear(r);
	}
	PQfinish(c);
	return 0;
}

/*
 * pq_hitallocs - allocations per hit of each libpq path: t_hit_path.sh checks that a hit
 * allocates what the program's result needs and nothing more, the same for every path.
 *
 *     pq_hitallocs N      connection from the PG* environment
 *
 * The same point query through PQexec, PQexecParams, PQexecPrepared and PQsendQueryParams on
 * a nonblocking connection (poll, PQconsumeInput, PQgetResult), each warmed up, then N more
 * counted. One line per path: "PATH allocs=A.AA". The counter wraps malloc, calloc and
 * realloc in this binary (their definitions here take precedence over libc's for every
 * library in the process, the preloaded one included).
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc_count.h"

#define SQL_TEXT "SELECT id, name FROM items WHERE id = 3"
#define SQL_PARAM "SELECT id, name FROM items WHERE id = $1"

static PGconn *conn, *nbconn;
static const char *const vals[1] = { "3" };

static PGresult *q_exec(void)
{
	return PQexec(conn, SQL_TEXT);
}

static PGresult *q_params(void)
{
	return PQexecParams(conn, SQL_PARAM, 1, NULL, vals, NULL, NULL, 0);
}

static PGresult *q_prepared(void)
{
	return PQexecPrepared(conn, "ha", 1, vals, NULL, NULL, 0);
}

static PGresult *q_nonblocking(void)
{
	if (!PQsendQueryParams(nbconn, SQL_PARAM, 1, NULL, vals, NULL, NULL, 0))
		return NULL;
	struct pollfd p = { PQsocket(nbconn), POLLOUT, 0 };
	while (PQflush(nbconn) > 0)
		poll(&p, 1, 10000);
	p.events = POLLIN;
	while (PQisBusy(nbconn)) {
		poll(&p, 1, 10000);
		if (!PQconsumeInput(nbconn))
			return NULL;
	}
	PGresult *r = PQgetResult(nbconn), *extra;
	while ((extra = PQgetResult(nbconn)) != NULL)
		PQclear(extra);
	return r;
}

static int run(const char *name, PGresult *(*fn)(void), int n)
{
	uint64_t a0 = 0;
	for (int i = 0; i < 20 + n; i++) {
		if (i == 20)
			a0 = __atomic_load_n(&alloc_count, __ATOMIC_RELAXED);
		PGresult *r = fn();
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			fprintf(stderr, "%s %d: %s", name, i, r ? PQresultErrorMessage(r) : "no result\n");
			return 1;
		}
		PQclear(r);
	}
	printf("%s allocs=%.2f\n", name,
	       (double)(__atomic_load_n(&alloc_count, __ATOMIC_RELAXED) - a0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	if (n < 1)
		n = 1;
	conn = PQconnectdb("");
	nbconn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK || PQstatus(nbconn) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(PQstatus(conn) != CONNECTION_OK ? conn : nbconn));
		return 1;
	}
	PGresult *r = PQprepare(conn, "ha", SQL_PARAM, 1, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "prepare: %s", PQresultErrorMessage(r));
		return 1;
	}
	PQclear(r);
	if (PQsetnonblocking(nbconn, 1) != 0) {
		fprintf(stderr, "PQsetnonblocking failed\n");
		return 1;
	}
	int bad = run("exec", q_exec, n) || run("params", q_params, n) ||
		  run("prepared", q_prepared, n) || run("nonblocking", q_nonblocking, n);
	PQfinish(nbconn);
	PQfinish(conn);
	return bad;
}

/*
 * pq_hitloop - N identical point queries (PQexec, PQexecParams, PQexecPrepared in turn) on one
 * connection: the hit path's test subject (t_hit_path.sh counts its system calls).
 *
 *     pq_hitloop N        connection from the PG* environment
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(c));
		return 1;
	}
	PGresult *r = PQprepare(c, "hl", "SELECT id, name FROM items WHERE id = $1", 1, NULL);
	PQclear(r);
	const char *v[1] = { "3" };
	for (int i = 0; i < n; i++) {
		if (i % 3 == 0)
			r = PQexec(c, "SELECT id, name FROM items WHERE id = 3");
		else if (i % 3 == 1)
			r = PQexecParams(c, "SELECT id, name FROM items WHERE id = $1", 1, NULL, v, NULL,
					 NULL, 0);
		else
			r = PQexecPrepared(c, "hl", 1, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			fprintf(stderr, "query %d: %s", i, PQresultErrorMessage(r));
			return 1;
		}
		PQclear(r);
	}
	PQfinish(c);
	return 0;
}

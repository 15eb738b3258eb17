/*
 * pq_unnamed_pipe - the unnamed statement in a pipeline after a hit stood in for
 * PQexecParams (attack round 6, pg-4): the server's unnamed statement was still the one
 * before, and PQsendQueryPrepared(conn, "") in pipeline mode ran it. Prints every result.
 * Connection from the PG* environment; table unp_t (id, name, price).
 */
#include <libpq-fe.h>
#include <stdio.h>

static void show(const char *what, PGresult *r)
{
	printf("%s: %s", what, PQresStatus(PQresultStatus(r)));
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		printf(" %s=%s", PQfname(r, 0), PQntuples(r) ? PQgetvalue(r, 0, 0) : "-");
	else if (PQresultStatus(r) == PGRES_FATAL_ERROR)
		printf(" %s", PQresultErrorMessage(r));
	printf("\n");
}

int main(void)
{
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		printf("connect: %s", PQerrorMessage(c));
		return 2;
	}
	const char *qa = "SELECT 'A: ' || name AS a_name FROM unp_t WHERE id = $1";
	const char *qb = "SELECT 'B: ' || price AS b_price FROM unp_t WHERE id = $1";
	const char *v3[1] = { "3" }, *v4[1] = { "4" };
	for (int round = 0; round < 2; round++) { /* the second round's QB is a hit */
		PQclear(PQexecParams(c, qb, 1, NULL, v3, NULL, NULL, 0));
		PQclear(PQexecParams(c, qa, 1, NULL, v3, NULL, NULL, 0));
		PGresult *r = PQexecParams(c, qb, 1, NULL, v3, NULL, NULL, 0);
		show("PQexecParams(QB)", r);
		PQclear(r);
		PQenterPipelineMode(c);
		PQsendQueryPrepared(c, "", 1, v4, NULL, NULL, 0);
		PQpipelineSync(c);
		int synced = 0;
		for (int k = 0; k < 4 && !synced; k++)
			while ((r = PQgetResult(c)) != NULL) {
				synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
				if (!synced)
					show("pipeline PQsendQueryPrepared(\"\")", r);
				PQclear(r);
				if (synced)
					break;
			}
		PQexitPipelineMode(c);
	}
	PQfinish(c);
	return 0;
}

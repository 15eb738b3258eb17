/*
 * pq_privdrop.c - privdrop.h over libpq (t_privdrop.sh). Connection: PG* variables.
 */
#include <libpq-fe.h>

#include "privdrop.h"

static PGconn *conn;

static PGresult *run(const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(conn, sql);
	if (PQresultStatus(r) != want) {
		fprintf(stderr, "%s: %s: %s", pd_me, sql, PQresultErrorMessage(r));
		exit(2);
	}
	return r;
}

static void db_connect(void)
{
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "%s: connect: %s", pd_me, PQerrorMessage(conn));
		exit(2);
	}
}

static long db_read(void)
{
	PGresult *r = run("SELECT v FROM pd WHERE id = 1", PGRES_TUPLES_OK);
	long v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static void db_write(void)
{
	PQclear(run("UPDATE pd SET v = v + 1 WHERE id = 1", PGRES_COMMAND_OK));
}

int main(int argc, char **argv)
{
	return pd_main(argc, argv);
}

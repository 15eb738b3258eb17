/*
 * pq_follow.c - `capacitor follow` end to end on PostgreSQL: a writer outside Capacitor and a
 * cached reader (tests/clients/follow_check.h describes the check).
 *
 *     pq_follow setup                       (re)create fw(id int primary key, v bigint)
 *     pq_follow write N [PAUSE_US [BIG]]    the writer: run WITHOUT the library; with BIG, each
 *                                           write's transaction also inserts BIG rows into
 *                                           fw_big (a large transaction)
 *     pq_follow read BOUND_MS               the reader: run WITH the library, stdin from write
 * Connection: PG* variables.
 */
#include "follow_check.h"

#include <libpq-fe.h>

static PGconn *conn_or_die(void)
{
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pq_follow: connect: %s", PQerrorMessage(c));
		exit(2);
	}
	return c;
}

static void exec_or_die(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "pq_follow: %s: %s", sql, PQerrorMessage(c));
		exit(2);
	}
	PQclear(r);
}

static int read_row(void *ctx, int r, int64_t *v)
{
	PGconn *c = ctx;
	char sql[64];
	snprintf(sql, sizeof(sql), "SELECT v FROM fw WHERE id = %d", r);
	PGresult *res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "pq_follow: %s: %s", sql, PQerrorMessage(c));
		PQclear(res);
		return -1;
	}
	*v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	PGconn *c = conn_or_die();
	if (strcmp(argv[1], "setup") == 0) {
		exec_or_die(c, "SET client_min_messages = warning");
		exec_or_die(c, "DROP TABLE IF EXISTS fw");
		exec_or_die(c, "CREATE TABLE fw (id int PRIMARY KEY, v bigint NOT NULL)");
		exec_or_die(c, "INSERT INTO fw SELECT g, 0 FROM generate_series(0, 7) g");
		exec_or_die(c, "DROP TABLE IF EXISTS fw_big");
		exec_or_die(c, "CREATE TABLE fw_big (a int)");
	} else if (strcmp(argv[1], "write") == 0 && argc >= 3) {
		long n = atol(argv[2]), pause = argc > 3 ? atol(argv[3]) : 1000;
		long big = argc > 4 ? atol(argv[4]) : 0;
		char bigsql[128];
		snprintf(bigsql, sizeof(bigsql), "INSERT INTO fw_big SELECT generate_series(1, %ld)", big);
		for (long i = 1; i <= n; i++) {
			int r = (int)(i % FC_ROWS);
			char sql[96];
			snprintf(sql, sizeof(sql), "UPDATE fw SET v = %ld WHERE id = %d", i, r);
			if (big > 0 || i % 4 == 0) {
				exec_or_die(c, "BEGIN");
				if (big > 0)
					exec_or_die(c, bigsql);
				exec_or_die(c, sql);
				exec_or_die(c, "COMMIT");
			} else {
				exec_or_die(c, sql);
			}
			printf("%d %ld %llu\n", r, i, (unsigned long long)fc_now());
			fflush(stdout);
			if (pause)
				usleep((useconds_t)pause);
		}
	} else if (strcmp(argv[1], "read") == 0 && argc >= 3) {
		int rc = fc_reader((uint64_t)atol(argv[2]), read_row, c);
		PQfinish(c);
		return rc;
	} else {
		goto usage;
	}
	PQfinish(c);
	return 0;
usage:
	fprintf(stderr, "usage: pq_follow setup | write N [PAUSE_US [BIG]] | read BOUND_MS\n");
	return 2;
}

/*
 * pq_fd2.c - a program whose fd 2 is not stderr when it first queries (t_config_stderr.sh).
 *
 *   pq_fd2 data FILE   a daemon: closes stderr, opens its data file (numbered 2), writes a
 *                      record, queries, writes another record
 *   pq_fd2 closed      started with stderr closed (`2>&-`): libpq's socket is then fd 2
 *
 * Either way it runs the same read twice (a hit the second time) and prints the status and
 * the value of each on stdout. Capacitor must write nothing to fd 2 after load: in the first
 * case the data file holds only the two records, in the second both reads succeed.
 * Connection: PG* variables.
 */
#include <libpq-fe.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int data = -1;
	if (argc == 3 && strcmp(argv[1], "data") == 0) {
		close(2);
		data = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (data != 2 || write(data, "record-1\n", 9) != 9)
			return 3;
	} else if (argc != 2 || strcmp(argv[1], "closed") != 0) {
		return 2;
	}
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		return 2;
	printf("socket fd %s\n", PQsocket(c) == 2 ? "2" : "not 2");
	for (int i = 0; i < 2; i++) {
		PGresult *r = PQexec(c, "SELECT count(*) FROM items");
		printf("%s %s\n", PQresStatus(PQresultStatus(r)),
		       PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	if (data == 2 && write(data, "record-2\n", 9) != 9)
		return 3;
	return 0;
}

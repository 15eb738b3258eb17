/*
 * my_follow.c - `capacitor follow` end to end on MariaDB: a writer outside Capacitor and a
 * cached reader (tests/clients/follow_check.h describes the check).
 *
 *     my_follow setup                       (re)create fw(id int primary key, v bigint)
 *     my_follow write N [PAUSE_US [BIG]]    the writer: run WITHOUT the library; with BIG, each
 *                                           write's transaction also inserts BIG rows into
 *                                           fw_big (a large transaction)
 *     my_follow read BOUND_MS               the reader: run WITH the library, stdin from write
 *     my_follow query DB SQL                one statement in DB; rows tab-separated, NULL as NULL
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include "follow_check.h"

#include <mysql.h>

static MYSQL *conn_or_die(const char *db)
{
	MYSQL *m = mysql_init(NULL);
	const char *s = getenv("CAP_MY_SOCKET"), *u = getenv("CAP_MY_USER"),
		   *p = getenv("CAP_MY_PASSWORD"), *d = db ? db : getenv("CAP_MY_DB");
	if (m == NULL || !mysql_real_connect(m, "localhost", u ? u : "cap", p ? p : "cap",
					     d ? d : "capacitor", 0, s, 0)) {
		fprintf(stderr, "my_follow: connect: %s\n", m ? mysql_error(m) : "mysql_init");
		exit(2);
	}
	return m;
}

static void exec_or_die(MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql) != 0) {
		fprintf(stderr, "my_follow: %s: %s\n", sql, mysql_error(m));
		exit(2);
	}
	MYSQL_RES *r = mysql_store_result(m);
	if (r)
		mysql_free_result(r);
}

static int read_row(void *ctx, int r, int64_t *v)
{
	MYSQL *m = ctx;
	char sql[64];
	snprintf(sql, sizeof(sql), "SELECT v FROM fw WHERE id = %d", r);
	if (mysql_query(m, sql) != 0) {
		fprintf(stderr, "my_follow: %s: %s\n", sql, mysql_error(m));
		return -1;
	}
	MYSQL_RES *res = mysql_store_result(m);
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
	if (row == NULL || row[0] == NULL) {
		fprintf(stderr, "my_follow: %s: no row\n", sql);
		if (res)
			mysql_free_result(res);
		return -1;
	}
	*v = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	if (strcmp(argv[1], "query") == 0 && argc == 4) {
		MYSQL *q = conn_or_die(argv[2]);
		if (mysql_query(q, argv[3]) != 0) {
			fprintf(stderr, "ERROR %u: %s\n", mysql_errno(q), mysql_error(q));
			return 1;
		}
		MYSQL_RES *res = mysql_store_result(q);
		MYSQL_ROW row;
		unsigned nf = res ? mysql_num_fields(res) : 0;
		while (res && (row = mysql_fetch_row(res)) != NULL)
			for (unsigned i = 0; i < nf; i++)
				printf("%s%c", row[i] ? row[i] : "NULL", i + 1 < nf ? '\t' : '\n');
		if (res)
			mysql_free_result(res);
		mysql_close(q);
		return 0;
	}
	MYSQL *m = conn_or_die(NULL);
	if (strcmp(argv[1], "setup") == 0) {
		exec_or_die(m, "DROP TABLE IF EXISTS fw");
		exec_or_die(m, "CREATE TABLE fw (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB");
		exec_or_die(m, "INSERT INTO fw VALUES (0,0),(1,0),(2,0),(3,0),(4,0),(5,0),(6,0),(7,0)");
		exec_or_die(m, "DROP TABLE IF EXISTS fw_big");
		exec_or_die(m, "CREATE TABLE fw_big (a INT) ENGINE=InnoDB");
	} else if (strcmp(argv[1], "write") == 0 && argc >= 3) {
		long n = atol(argv[2]), pause = argc > 3 ? atol(argv[3]) : 1000;
		long big = argc > 4 ? atol(argv[4]) : 0;
		char bigsql[128];
		snprintf(bigsql, sizeof(bigsql), "INSERT INTO fw_big SELECT seq FROM seq_1_to_%ld", big);
		for (long i = 1; i <= n; i++) {
			int r = (int)(i % FC_ROWS);
			char sql[96];
			snprintf(sql, sizeof(sql), "UPDATE fw SET v = %ld WHERE id = %d", i, r);
			if (big > 0 || i % 4 == 0) {
				exec_or_die(m, "BEGIN");
				if (big > 0)
					exec_or_die(m, bigsql);
				exec_or_die(m, sql);
				exec_or_die(m, "COMMIT");
			} else {
				exec_or_die(m, sql);
			}
			printf("%d %ld %llu\n", r, i, (unsigned long long)fc_now());
			fflush(stdout);
			if (pause)
				usleep((useconds_t)pause);
		}
	} else if (strcmp(argv[1], "read") == 0 && argc >= 3) {
		int rc = fc_reader((uint64_t)atol(argv[2]), read_row, m);
		mysql_close(m);
		return rc;
	} else {
		goto usage;
	}
	mysql_close(m);
	return 0;
usage:
	fprintf(stderr, "usage: my_follow setup | write N [PAUSE_US [BIG]] | read BOUND_MS | "
			"query DB SQL\n");
	return 2;
}

/*
 * my_hitloop - N identical point queries (text protocol and a prepared statement in turn) on
 * one connection: the hit path's test subject (t_hit_path.sh counts its system calls).
 *
 *     my_hitloop N        CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, NULL, getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "%s\n", mysql_error(m));
		return 1;
	}
	const char *q = "SELECT id, name FROM items WHERE id = 3";
	MYSQL_STMT *st = mysql_stmt_init(m);
	if (st == NULL || mysql_stmt_prepare(st, q, strlen(q)) != 0) {
		fprintf(stderr, "prepare: %s\n", mysql_error(m));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (i % 2 == 0) {
			if (mysql_query(m, q) != 0) {
				fprintf(stderr, "query %d: %s\n", i, mysql_error(m));
				return 1;
			}
			MYSQL_RES *r = mysql_store_result(m);
			if (r == NULL || mysql_num_rows(r) != 1) {
				fprintf(stderr, "query %d: no row\n", i);
				return 1;
			}
			mysql_free_result(r);
		} else {
			if (mysql_stmt_execute(st) != 0 || mysql_stmt_store_result(st) != 0 ||
			    mysql_stmt_num_rows(st) != 1) {
				fprintf(stderr, "execute %d: %s\n", i, mysql_stmt_error(st));
				return 1;
			}
			mysql_stmt_free_result(st);
		}
	}
	mysql_stmt_close(st);
	mysql_close(m);
	return 0;
}

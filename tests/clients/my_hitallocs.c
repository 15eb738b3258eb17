/*
 * my_hitallocs - allocations per hit of Connector/C's prepared-statement path: t_hit_path.sh
 * checks that a hit allocates its rows and nothing more.
 *
 *     my_hitallocs N      CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB
 *
 * A point query prepared once, then executed, stored and freed 20 times to warm up and N more
 * counted. Prints "stmt allocs=A.AA". The counter wraps malloc, calloc and realloc in this
 * binary (their definitions here take precedence over libc's for every library in the
 * process, the preloaded one included).
 */
#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	if (n < 1)
		n = 1;
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
	uint64_t a0 = 0;
	for (int i = 0; i < 20 + n; i++) {
		if (i == 20)
			a0 = __atomic_load_n(&alloc_count, __ATOMIC_RELAXED);
		if (mysql_stmt_execute(st) != 0 || mysql_stmt_store_result(st) != 0 ||
		    mysql_stmt_num_rows(st) != 1) {
			fprintf(stderr, "execute %d: %s\n", i, mysql_stmt_error(st));
			return 1;
		}
		mysql_stmt_free_result(st);
	}
	printf("stmt allocs=%.2f\n", (double)(__atomic_load_n(&alloc_count, __ATOMIC_RELAXED) - a0) / n);
	mysql_stmt_close(st);
	mysql_close(m);
	return 0;
}

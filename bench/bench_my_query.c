/*
 * bench_my_query.c - end to end: a 1-row, 4-column SELECT through mysql_real_query +
 * mysql_store_result + fetch + free, against MariaDB over its unix socket:
 *   direct       the server answers every time
 *   capacitor    the same program with libcapacitor.so preloaded (L1 hits)
 *   query-cache  MariaDB's own query cache on (SET GLOBAL query_cache_size/type, as root)
 *
 *     bench_my_query                    runs the three modes (re-executing itself)
 *     bench_my_query run                one mode in this process (whatever is preloaded)
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB; CAP_LIB is the library
 * to preload (default build/libcapacitor.so); CAP_MY_ADMIN_USER (default root, by socket) may
 * switch the query cache. Prints ns/op (median of batches) and p50/p99 latency per mode.
 */
#include "bench/harness.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *Q = "SELECT id, name, price, qty FROM bench_items WHERE id = 42";

static MYSQL *conn(const char *user, const char *pw)
{
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "localhost", user, pw, getenv("CAP_MY_DB"), 0,
				getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect %s: %s\n", user, mysql_error(m));
		exit(2);
	}
	return m;
}

static void one(MYSQL *m)
{
	if (mysql_real_query(m, Q, (unsigned long)strlen(Q))) {
		fprintf(stderr, "query: %s\n", mysql_error(m));
		exit(2);
	}
	MYSQL_RES *r = mysql_store_result(m);
	MYSQL_ROW row = mysql_fetch_row(r);
	bench_keep(row);
	mysql_free_result(r);
}

static void loop(void *ctx, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		one(ctx);
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int run(const char *label)
{
	MYSQL *m = conn(getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"));
	for (int i = 0; i < 2000; i++)
		one(m);
	bench_run(label, loop, m, 2000, 9);
	enum { N = 20000 };
	static uint64_t lat[N];
	for (int i = 0; i < N; i++) {
		uint64_t t = bench_now_ns();
		one(m);
		lat[i] = bench_now_ns() - t;
	}
	qsort(lat, N, sizeof(lat[0]), cmp);
	printf("%-28s p50 %.2f us  p99 %.2f us  p99.9 %.2f us\n", label, lat[N / 2] / 1e3,
	       lat[N * 99 / 100] / 1e3, lat[N * 999 / 1000] / 1e3);
	mysql_close(m);
	return 0;
}

static void child(const char *label, const char *preload)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		setenv("BENCH_MY_LABEL", label, 1);
		execl("/proc/self/exe", "bench_my_query", "run", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
}

static int admin(const char *sql)
{
	const char *u = getenv("CAP_MY_ADMIN_USER");
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "localhost", u ? u : "root", getenv("CAP_MY_ADMIN_PASSWORD"),
				NULL, 0, getenv("CAP_MY_SOCKET"), 0)) {
		printf("query cache: cannot connect as %s (%s)\n", u ? u : "root", mysql_error(m));
		mysql_close(m);
		return -1;
	}
	int rc = mysql_query(m, sql);
	if (rc)
		printf("query cache: %s: %s\n", sql, mysql_error(m));
	mysql_close(m);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		const char *l = getenv("BENCH_MY_LABEL");
		return run(l ? l : "run");
	}
	bench_header("MySQL end to end: 1 row x 4 columns via mysql_real_query + store_result");
	MYSQL *m = conn(getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"));
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS bench_items (id INT PRIMARY KEY, name TEXT, "
			   "price DECIMAL(10,2), qty INT) ENGINE=InnoDB") ||
	    mysql_query(m, "REPLACE INTO bench_items VALUES (42, 'item 42', 52.50, 7)")) {
		fprintf(stderr, "setup: %s\n", mysql_error(m));
		return 2;
	}
	mysql_close(m);
	const char *lib = getenv("CAP_LIB") ? getenv("CAP_LIB") : "build/libcapacitor.so";
	child("direct (unix socket)", NULL);
	child("capacitor (L1 hit)", lib);
	if (admin("SET GLOBAL query_cache_size = 16777216") == 0 &&
	    admin("SET GLOBAL query_cache_type = ON") == 0) {
		child("mariadb query cache", NULL);
		admin("SET GLOBAL query_cache_type = OFF");
		admin("SET GLOBAL query_cache_size = 0");
	} else {
		printf("mariadb query cache: not measured (see above; query_cache_type=ON needs "
		       "the server started with query_cache_type != 0)\n");
	}
	return 0;
}

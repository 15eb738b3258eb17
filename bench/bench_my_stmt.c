/*
 * bench_my_stmt.c - end to end: a 1-row, 4-column SELECT through the prepared-statement API
 * (prepared once; each operation binds id = 42, mysql_stmt_execute + mysql_stmt_store_result
 * + mysql_stmt_fetch into native buffers + mysql_stmt_free_result), against MariaDB over its
 * unix socket:
 *   direct       the server answers every time
 *   capacitor    the same program with libcapacitor.so preloaded (L1 hits)
 *
 *     bench_my_stmt                     runs both modes (re-executing itself)
 *     bench_my_stmt run                 one mode in this process (whatever is preloaded)
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB; CAP_LIB is the library
 * to preload (default build/libcapacitor.so). Prints ns/op (median of batches), allocations
 * per operation and p50/p99 latency per mode.
 */
#include "bench/harness.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *Q = "SELECT id, name, price, qty FROM bench_items WHERE id = ?";

typedef struct ctx {
	MYSQL *m;
	MYSQL_STMT *st;
	int id;
	MYSQL_BIND param;
	MYSQL_BIND res[4];
	int r_id, r_qty;
	char r_name[64], r_price[16];
	unsigned long len[4];
	my_bool isnull[4], err[4];
} ctx;

static void die(const char *what, MYSQL_STMT *st)
{
	fprintf(stderr, "%s: %s\n", what, mysql_stmt_error(st));
	exit(2);
}

static void setup(ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->m = mysql_init(NULL);
	if (!mysql_real_connect(c->m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(c->m));
		exit(2);
	}
	c->st = mysql_stmt_init(c->m);
	if (mysql_stmt_prepare(c->st, Q, (unsigned long)strlen(Q)))
		die("prepare", c->st);
	c->id = 42;
	c->param.buffer_type = MYSQL_TYPE_LONG;
	c->param.buffer = &c->id;
	if (mysql_stmt_bind_param(c->st, &c->param))
		die("bind_param", c->st);
	void *bufs[4] = { &c->r_id, c->r_name, c->r_price, &c->r_qty };
	enum enum_field_types types[4] = { MYSQL_TYPE_LONG, MYSQL_TYPE_STRING, MYSQL_TYPE_STRING,
					   MYSQL_TYPE_LONG };
	unsigned long blen[4] = { 4, sizeof(c->r_name), sizeof(c->r_price), 4 };
	for (int i = 0; i < 4; i++) {
		c->res[i].buffer_type = types[i];
		c->res[i].buffer = bufs[i];
		c->res[i].buffer_length = blen[i];
		c->res[i].length = &c->len[i];
		c->res[i].is_null = &c->isnull[i];
		c->res[i].error = &c->err[i];
	}
	if (mysql_stmt_bind_result(c->st, c->res))
		die("bind_result", c->st);
}

static void one(ctx *c)
{
	if (mysql_stmt_execute(c->st) || mysql_stmt_store_result(c->st))
		die("execute", c->st);
	if (mysql_stmt_fetch(c->st) != 0 || c->r_id != 42)
		die("fetch", c->st);
	bench_keep(c->r_qty);
	mysql_stmt_free_result(c->st);
}

static void loop(void *arg, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		one(arg);
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int run(const char *label)
{
	static ctx c;
	setup(&c);
	for (int i = 0; i < 2000; i++)
		one(&c);
	bench_run(label, loop, &c, 2000, 9);
	enum { N = 20000 };
	static uint64_t lat[N];
	for (int i = 0; i < N; i++) {
		uint64_t t = bench_now_ns();
		one(&c);
		lat[i] = bench_now_ns() - t;
	}
	qsort(lat, N, sizeof(lat[0]), cmp);
	printf("%-28s p50 %.2f us  p99 %.2f us  p99.9 %.2f us\n", label, lat[N / 2] / 1e3,
	       lat[N * 99 / 100] / 1e3, lat[N * 999 / 1000] / 1e3);
	mysql_stmt_close(c.st);
	mysql_close(c.m);
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
		execl("/proc/self/exe", "bench_my_stmt", "run", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		const char *l = getenv("BENCH_MY_LABEL");
		return run(l ? l : "run");
	}
	bench_header("MySQL end to end: 1 row x 4 columns via a prepared statement (execute + store "
		     "+ fetch)");
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0) ||
	    mysql_query(m, "CREATE TABLE IF NOT EXISTS bench_items (id INT PRIMARY KEY, name TEXT, "
			   "price DECIMAL(10,2), qty INT) ENGINE=InnoDB") ||
	    mysql_query(m, "REPLACE INTO bench_items VALUES (42, 'item 42', 52.50, 7)")) {
		fprintf(stderr, "setup: %s\n", mysql_error(m));
		return 2;
	}
	mysql_close(m);
	const char *lib = getenv("CAP_LIB") ? getenv("CAP_LIB") : "build/libcapacitor.so";
	child("direct (unix socket)", NULL);
	child("capacitor (L1 hit)", lib);
	return 0;
}

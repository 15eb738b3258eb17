/*
 * bench_my.c - end-to-end latency of the benchmark's point query through MariaDB Connector/C.
 *
 * The query is `SELECT id, name, price, qty FROM items WHERE id = ?` over a fixed set of ids
 * (1..BENCH_IDS, default 64, cycled), against the fixture's `items` table, over the server's
 * unix socket. bench/run.sh runs this binary once per mode and round, interleaved (direct,
 * MariaDB's query cache on, Capacitor preloaded): the label it is given says which.
 *
 * Usage: bench_my MODE N CASE...
 *   text   mysql_real_query of the text with the id written in + mysql_store_result + fetch
 *   stmt   a prepared statement: bind the id, mysql_stmt_execute + mysql_stmt_store_result +
 *          mysql_stmt_fetch into native buffers + mysql_stmt_free_result
 *   miss   the text path where a second condition makes every key new (the miss path)
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 * Output, one line per case:
 *   lat path=mysql_CASE mode=MODE n=N p50_ns=.. p90_ns=.. p99_ns=.. mean_ns=.. allocs=..
 * The timed loop is the function timed_loop, so `valgrind --tool=callgrind
 * --toggle-collect=timed_loop` counts the instructions of exactly the N timed queries.
 */
#include "bench/harness.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IDS 1000

static int nids = 64;

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

typedef void (*op_fn)(ctx *c, int i);

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_my: %s: %s\n", what, err);
	exit(2);
}

static int id_of(int i)
{
	return 1 + i % nids;
}

static void text_query(ctx *c, const char *sql, int len)
{
	if (mysql_real_query(c->m, sql, (unsigned long)len))
		die("query", mysql_error(c->m));
	MYSQL_RES *r = mysql_store_result(c->m);
	if (r == NULL)
		die("store", mysql_error(c->m));
	MYSQL_ROW row = mysql_fetch_row(r);
	if (row == NULL || mysql_num_fields(r) != 4)
		die("fetch", "no row");
	bench_keep(row);
	mysql_free_result(r);
}

static void op_text(ctx *c, int i)
{
	char sql[96];
	int len = snprintf(sql, sizeof(sql), "SELECT id, name, price, qty FROM items WHERE id = %d",
			   id_of(i));
	text_query(c, sql, len);
}

/* The serial starts from the clock, so a later process on the same cache files misses too. */
static void op_miss(ctx *c, int i)
{
	static unsigned long long serial;
	char sql[128];
	if (serial == 0)
		serial = bench_now_ns() / 1000;
	int len = snprintf(sql, sizeof(sql),
			   "SELECT id, name, price, qty FROM items WHERE id = %d AND %llu > 0", id_of(i),
			   ++serial);
	text_query(c, sql, len);
}

static void stmt_setup(ctx *c)
{
	static const char *q = "SELECT id, name, price, qty FROM items WHERE id = ?";
	c->st = mysql_stmt_init(c->m);
	if (mysql_stmt_prepare(c->st, q, (unsigned long)strlen(q)))
		die("prepare", mysql_stmt_error(c->st));
	c->param.buffer_type = MYSQL_TYPE_LONG;
	c->param.buffer = &c->id;
	if (mysql_stmt_bind_param(c->st, &c->param))
		die("bind_param", mysql_stmt_error(c->st));
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
		die("bind_result", mysql_stmt_error(c->st));
}

static void op_stmt(ctx *c, int i)
{
	c->id = id_of(i);
	if (mysql_stmt_execute(c->st) || mysql_stmt_store_result(c->st))
		die("execute", mysql_stmt_error(c->st));
	if (mysql_stmt_fetch(c->st) != 0 || c->r_id != c->id)
		die("fetch", mysql_stmt_error(c->st));
	bench_keep(c->r_qty);
	mysql_stmt_free_result(c->st);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Kept out of line: callgrind's --toggle-collect=timed_loop counts exactly these queries. */
__attribute__((noinline)) void timed_loop(ctx *c, op_fn fn, int n, uint64_t *lat);
__attribute__((noinline)) void timed_loop(ctx *c, op_fn fn, int n, uint64_t *lat)
{
	for (int i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		fn(c, i);
		lat[i] = bench_now_ns() - t0;
	}
}

static void run_case(ctx *c, const char *path, const char *mode, op_fn fn, int n)
{
	uint64_t *lat = malloc((size_t)n * sizeof(uint64_t));
	if (lat == NULL)
		exit(1);
	for (int i = 0; i < 2 * nids + 200; i++)
		fn(c, i);
	uint64_t a0 = bench_allocs(), total = 0;
	timed_loop(c, fn, n, lat);
	uint64_t a1 = bench_allocs();
	for (int i = 0; i < n; i++)
		total += lat[i];
	qsort(lat, (size_t)n, sizeof(uint64_t), cmp_u64);
	printf("lat path=%s mode=%s n=%d p50_ns=%llu p90_ns=%llu p99_ns=%llu mean_ns=%llu "
	       "allocs=%.2f\n",
	       path, mode, n, (unsigned long long)lat[n / 2], (unsigned long long)lat[n * 9 / 10],
	       (unsigned long long)lat[n * 99 / 100], (unsigned long long)(total / (uint64_t)n),
	       (double)(a1 - a0) / n);
	fflush(stdout);
	free(lat);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_my MODE N CASE...\n");
		return 2;
	}
	const char *mode = argv[1];
	int n = atoi(argv[2]);
	if (n < 100)
		n = 100;
	const char *ids = getenv("BENCH_IDS");
	if (ids && atoi(ids) > 0)
		nids = atoi(ids) < MAX_IDS ? atoi(ids) : MAX_IDS;
	static ctx c;
	c.m = mysql_init(NULL);
	if (!mysql_real_connect(c.m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0))
		die("connect", mysql_error(c.m));
	for (int a = 3; a < argc; a++) {
		if (strcmp(argv[a], "text") == 0) {
			run_case(&c, "mysql_text", mode, op_text, n);
		} else if (strcmp(argv[a], "stmt") == 0) {
			if (c.st == NULL)
				stmt_setup(&c);
			run_case(&c, "mysql_stmt", mode, op_stmt, n);
		} else if (strcmp(argv[a], "miss") == 0) {
			run_case(&c, "mysql_miss", mode, op_miss, n);
		} else {
			fprintf(stderr, "bench_my: unknown case %s\n", argv[a]);
			return 2;
		}
	}
	if (c.st)
		mysql_stmt_close(c.st);
	mysql_close(c.m);
	return 0;
}

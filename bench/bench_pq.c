/*
 * bench_pq.c - end-to-end latency of the benchmark's point query through libpq.
 *
 * The query is `SELECT id, name, price, qty FROM items WHERE id = $1` over a fixed set of ids
 * (1..BENCH_IDS, default 64, cycled), against the fixture's `items` table. bench/run.sh runs
 * this binary once per mode and round, interleaved (direct, memory tier, shared tier, pgpool-II
 * ...): the binary cannot tell whether Capacitor is preloaded or pgpool-II is in between, the
 * label it is given says so. Every query is timed alone (CLOCK_MONOTONIC around the call and
 * its PQclear) for percentiles; allocations per query come from the harness's malloc counter
 * and include libpq's own.
 *
 * Usage: bench_pq MODE N CASE...   (connection from the usual PG* environment variables)
 *   exec         PQexec of the query text with the id written in
 *   sync         PQexecParams with the id as $1
 *   prepared     PQexecPrepared of the query prepared once
 *   nonblocking  PQsendQueryParams on a nonblocking connection that asks PQisBusy before it
 *                waits for its socket (psycopg 3, Ruby pg)
 *   nonblocking_poll  the same, by a program that waits for the socket first and then reads,
 *                as event loops that poll do
 *   miss         PQexecParams where a second parameter makes every key new (the miss path)
 *   floor        PQcopyResult of a result already in memory: what no cache behind libpq's
 *                API can beat (printed with mode "floor", whatever MODE is)
 * Output, one line per case:
 *   lat path=libpq_CASE mode=MODE n=N p50_ns=.. p90_ns=.. p99_ns=.. mean_ns=.. allocs=..
 * The timed loop is the function timed_loop, so `valgrind --tool=callgrind
 * --toggle-collect=timed_loop` counts the instructions of exactly the N timed queries.
 */
#include "bench/harness.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POINT_SQL "SELECT id, name, price, qty FROM items WHERE id = $1"
#define MAX_IDS 1000

static PGconn *conn, *nbconn;
static int nbsock; /* nbconn's socket, fetched once before anything is sent, as event loops do */
static int nids = 64;
static PGresult *floor_src[MAX_IDS];

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void must_ok(PGresult *r, const char *what)
{
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "bench_pq: %s: %s", what, PQresultErrorMessage(r));
		exit(1);
	}
	PQclear(r);
}

typedef PGresult *(*query_fn)(int i);

static int id_of(int i)
{
	return 1 + i % nids;
}

static PGresult *q_exec(int i)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT id, name, price, qty FROM items WHERE id = %d", id_of(i));
	return PQexec(conn, sql);
}

static PGresult *q_sync(int i)
{
	char a[16];
	snprintf(a, sizeof(a), "%d", id_of(i));
	const char *v[1] = { a };
	return PQexecParams(conn, POINT_SQL, 1, NULL, v, NULL, NULL, 0);
}

static PGresult *q_prepared(int i)
{
	char a[16];
	snprintf(a, sizeof(a), "%d", id_of(i));
	const char *v[1] = { a };
	return PQexecPrepared(conn, "bench_point", 1, v, NULL, NULL, 0);
}

static PGresult *nb_result(void)
{
	PGresult *r = PQgetResult(nbconn), *extra;
	while ((extra = PQgetResult(nbconn)) != NULL)
		PQclear(extra);
	return r;
}

static int nb_send(int i)
{
	char a[16];
	snprintf(a, sizeof(a), "%d", id_of(i));
	const char *v[1] = { a };
	if (!PQsendQueryParams(nbconn, POINT_SQL, 1, NULL, v, NULL, NULL, 0))
		return 0;
	while (PQflush(nbconn) > 0) {
		struct pollfd p = { nbsock, POLLOUT, 0 };
		poll(&p, 1, 10000);
	}
	return 1;
}

/* PQisBusy before waiting (psycopg 3, Ruby pg): a hit there costs no round trip. */
static PGresult *q_nonblocking(int i)
{
	if (!nb_send(i))
		return NULL;
	while (PQisBusy(nbconn)) {
		struct pollfd p = { nbsock, POLLIN, 0 };
		poll(&p, 1, 10000);
		if (!PQconsumeInput(nbconn))
			break;
	}
	return nb_result();
}

/* The socket waited for first, then read: such a program is woken on a hit by the answer to
 * an empty query sent one hit earlier. */
static PGresult *q_nonblocking_poll(int i)
{
	if (!nb_send(i))
		return NULL;
	do {
		struct pollfd p = { nbsock, POLLIN, 0 };
		poll(&p, 1, 10000);
		if (!PQconsumeInput(nbconn))
			break;
	} while (PQisBusy(nbconn));
	return nb_result();
}

/* The second parameter changes the key, not the answer: every query is a miss that stores.
 * The serial starts from the clock, so a later process on the same cache files misses too. */
static PGresult *q_miss(int i)
{
	static unsigned long long serial;
	char a[16], b[24];
	if (serial == 0)
		serial = bench_now_ns() / 1000;
	snprintf(a, sizeof(a), "%d", id_of(i));
	snprintf(b, sizeof(b), "%llu", ++serial);
	const char *v[2] = { a, b };
	return PQexecParams(conn, POINT_SQL " AND $2::bigint > 0", 2, NULL, v, NULL, NULL, 0);
}

static PGresult *q_floor(int i)
{
	return PQcopyResult(floor_src[i % nids], PG_COPYRES_ATTRS | PG_COPYRES_TUPLES |
							 PG_COPYRES_EVENTS | PG_COPYRES_NOTICEHOOKS);
}

/* Kept out of line: callgrind's --toggle-collect=timed_loop counts exactly these queries. */
__attribute__((noinline)) void timed_loop(query_fn fn, int n, uint64_t *lat);
__attribute__((noinline)) void timed_loop(query_fn fn, int n, uint64_t *lat)
{
	for (int i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		PQclear(fn(i));
		lat[i] = bench_now_ns() - t0;
	}
}

static void run_case(const char *path, const char *mode, query_fn fn, int n)
{
	uint64_t *lat = malloc((size_t)n * sizeof(uint64_t));
	if (lat == NULL)
		exit(1);
	/* Warm up: every id twice (the first pass fills a cache in between), then 200 more. */
	for (int i = 0; i < 2 * nids + 200; i++) {
		PGresult *r = fn(i);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 4) {
			fprintf(stderr, "bench_pq: %s %s: unexpected result: %s\n", path, mode,
				r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
			exit(1);
		}
		PQclear(r);
	}
	uint64_t a0 = bench_allocs(), total = 0;
	timed_loop(fn, n, lat);
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

static PGconn *connect_or_die(void)
{
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench_pq: connect: %s", PQerrorMessage(c));
		exit(1);
	}
	return c;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_pq MODE N CASE...\n");
		return 2;
	}
	const char *mode = argv[1];
	int n = atoi(argv[2]);
	if (n < 100)
		n = 100;
	const char *ids = getenv("BENCH_IDS");
	if (ids && atoi(ids) > 0)
		nids = atoi(ids) < MAX_IDS ? atoi(ids) : MAX_IDS;
	conn = connect_or_die();
	for (int a = 3; a < argc; a++) {
		const char *c = argv[a];
		if (strcmp(c, "exec") == 0) {
			run_case("libpq_exec", mode, q_exec, n);
		} else if (strcmp(c, "sync") == 0) {
			run_case("libpq_sync", mode, q_sync, n);
		} else if (strcmp(c, "prepared") == 0) {
			must_ok(PQprepare(conn, "bench_point", POINT_SQL, 1, NULL), "prepare");
			run_case("libpq_prepared", mode, q_prepared, n);
		} else if (strcmp(c, "nonblocking") == 0 || strcmp(c, "nonblocking_poll") == 0) {
			int poll_first = strcmp(c, "nonblocking_poll") == 0;
			nbconn = connect_or_die();
			if (PQsetnonblocking(nbconn, 1) != 0) {
				fprintf(stderr, "bench_pq: PQsetnonblocking failed\n");
				return 1;
			}
			nbsock = PQsocket(nbconn);
			run_case(poll_first ? "libpq_nonblocking_poll" : "libpq_nonblocking", mode,
				 poll_first ? q_nonblocking_poll : q_nonblocking, n);
			PQfinish(nbconn);
		} else if (strcmp(c, "miss") == 0) {
			run_case("libpq_miss", mode, q_miss, n);
		} else if (strcmp(c, "floor") == 0) {
			for (int i = 0; i < nids; i++) {
				floor_src[i] = q_sync(i);
				if (PQresultStatus(floor_src[i]) != PGRES_TUPLES_OK) {
					fprintf(stderr, "bench_pq: floor: %s", PQerrorMessage(conn));
					return 1;
				}
			}
			run_case("libpq_sync", "floor", q_floor, n);
			for (int i = 0; i < nids; i++)
				PQclear(floor_src[i]);
		} else {
			fprintf(stderr, "bench_pq: unknown case %s\n", c);
			return 2;
		}
	}
	PQfinish(conn);
	return 0;
}

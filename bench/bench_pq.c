/*
 * bench_pq.c - end-to-end latency of a 1-row x 4-column point query through libpq.
 *
 * Run by bench/run.sh twice per round, with and without libcapacitor.so preloaded (the binary
 * cannot tell), interleaved, so each figure has a direct-connection baseline from the same
 * run. Every query is timed alone (CLOCK_MONOTONIC around the call, plus PQclear) to get
 * percentiles; allocations per query come from the harness's malloc counter and include
 * libpq's own (a hit allocates only the PGresult it returns).
 *
 * Usage: bench_pq LABEL [N]   (connection from the usual PG* environment variables)
 * Output: one line per case: "case LABEL n=N p50_ns=.. p90_ns=.. p99_ns=.. mean_ns=.. allocs=.."
 */
#include "bench/harness.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static PGconn *conn;

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

static PGresult *q_exec(int i)
{
	(void)i;
	return PQexec(conn, "SELECT id, name, price, qty FROM bench_items WHERE id = 42");
}

static PGresult *q_params(int i)
{
	(void)i;
	const char *v[1] = { "42" };
	return PQexecParams(conn, "SELECT id, name, price, qty FROM bench_items WHERE id = $1", 1,
			    NULL, v, NULL, NULL, 0);
}

static PGresult *q_prepared(int i)
{
	(void)i;
	const char *v[1] = { "42" };
	return PQexecPrepared(conn, "bench_point", 1, v, NULL, NULL, 0);
}

/* A nonblocking connection that asks PQisBusy before it waits (psycopg 3, Ruby pg): a hit
 * there costs no round trip. */
static PGconn *nbconn;
static int nbsock; /* its socket, fetched once before anything is sent */

static PGresult *nb_result(void)
{
	PGresult *r = PQgetResult(nbconn), *extra;
	while ((extra = PQgetResult(nbconn)) != NULL)
		PQclear(extra);
	return r;
}

static int nb_send(void)
{
	const char *v[1] = { "42" };
	if (!PQsendQueryParams(nbconn, "SELECT id, name, price, qty FROM bench_items WHERE id = $1",
			       1, NULL, v, NULL, NULL, 0))
		return 0;
	PQflush(nbconn);
	return 1;
}

static PGresult *q_nonblocking(int i)
{
	(void)i;
	if (!nb_send())
		return NULL;
	while (PQisBusy(nbconn)) {
		struct pollfd p = { nbsock, POLLIN, 0 };
		poll(&p, 1, 10000);
		PQconsumeInput(nbconn);
	}
	return nb_result();
}

/* The same connection used by a program that waits for the socket first, as event loops that
 * poll, then read: it is woken by the answer to an empty query sent one hit earlier. */
static PGresult *q_nonblocking_poll(int i)
{
	(void)i;
	if (!nb_send())
		return NULL;
	do {
		struct pollfd p = { nbsock, POLLIN, 0 };
		poll(&p, 1, 10000);
		PQconsumeInput(nbconn);
	} while (PQisBusy(nbconn));
	return nb_result();
}

/* Every query a different key (the second parameter changes the key, not the answer): the
 * miss path, whose overhead over direct is the difference of the two figures. */
static PGresult *q_miss(int i)
{
	static int serial;
	char a[16], b[16];
	snprintf(a, sizeof(a), "%d", 1 + i % 1000);
	snprintf(b, sizeof(b), "%d", ++serial);
	const char *v[2] = { a, b };
	return PQexecParams(conn, "SELECT id, name, price, qty FROM bench_items WHERE id = $1 "
				  "AND $2::int > 0", 2, NULL, v, NULL, NULL, 0);
}

static void run_case(const char *name, const char *label, query_fn fn, int n)
{
	uint64_t *lat = malloc((size_t)n * sizeof(uint64_t));
	if (lat == NULL)
		exit(1);
	for (int i = 0; i < 200; i++) { /* warm up: the first run is the miss that fills */
		PGresult *r = fn(i);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			fprintf(stderr, "bench_pq: %s: unexpected result\n", name);
			exit(1);
		}
		PQclear(r);
	}
	uint64_t a0 = bench_allocs(), total = 0;
	for (int i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		PGresult *r = fn(i);
		PQclear(r);
		lat[i] = bench_now_ns() - t0;
		total += lat[i];
	}
	uint64_t a1 = bench_allocs();
	qsort(lat, (size_t)n, sizeof(uint64_t), cmp_u64);
	printf("%s %s n=%d p50_ns=%llu p90_ns=%llu p99_ns=%llu mean_ns=%llu allocs=%.2f\n", name,
	       label, n, (unsigned long long)lat[n / 2], (unsigned long long)lat[n * 9 / 10],
	       (unsigned long long)lat[n * 99 / 100], (unsigned long long)(total / (uint64_t)n),
	       (double)(a1 - a0) / n);
	fflush(stdout);
	free(lat);
}

int main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "run";
	int n = argc > 2 ? atoi(argv[2]) : 20000;
	if (n < 100)
		n = 100;
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "bench_pq: connect: %s", PQerrorMessage(conn));
		return 1;
	}
	must_ok(PQexec(conn, "CREATE TABLE IF NOT EXISTS bench_items (id int PRIMARY KEY, "
			     "name text, price numeric(10,2), qty int)"),
		"create");
	must_ok(PQexec(conn, "INSERT INTO bench_items SELECT g, 'item ' || g, g * 1.25, g % 100 "
			     "FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING"),
		"fill");
	must_ok(PQprepare(conn, "bench_point",
			  "SELECT id, name, price, qty FROM bench_items WHERE id = $1", 1, NULL),
		"prepare");
	run_case("pq_exec", label, q_exec, n);
	run_case("pq_exec_params", label, q_params, n);
	run_case("pq_exec_prepared", label, q_prepared, n);
	nbconn = PQconnectdb("");
	if (PQstatus(nbconn) != CONNECTION_OK || PQsetnonblocking(nbconn, 1) != 0) {
		fprintf(stderr, "bench_pq: nonblocking connect: %s", PQerrorMessage(nbconn));
		return 1;
	}
	nbsock = PQsocket(nbconn);
	run_case("pq_nonblocking", label, q_nonblocking, n / 4);
	run_case("pq_nonblocking_poll", label, q_nonblocking_poll, n / 4);
	PQfinish(nbconn);
	run_case("pq_miss", label, q_miss, n / 4);
	PQfinish(conn);
	return 0;
}

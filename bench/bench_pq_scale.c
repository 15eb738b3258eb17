/*
 * bench_pq_scale.c - point-query throughput of T threads of one process, each with its own
 * libpq connection, for the scaling figures of bench/run.sh (hits per second when Capacitor is
 * preloaded: one memory tier shared by the threads; bench/run.sh runs P copies of this process
 * with one thread each for the process figures, one shared tier between them).
 *
 * Usage: bench_pq_scale THREADS SECONDS
 * Every thread warms up over the fixed set of ids (1..BENCH_IDS, default 64), then all start
 * together and run `SELECT id, name, price, qty FROM items WHERE id = $1` until the deadline.
 * Output: "scale threads=T seconds=S queries=Q qps=X"
 */
#include "bench/harness.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define POINT_SQL "SELECT id, name, price, qty FROM items WHERE id = $1"
#define MAX_THREADS 64

static int nids = 64;
static double seconds = 2;
static pthread_barrier_t start;

typedef struct worker {
	pthread_t th;
	uint64_t queries;
	uint64_t ns;
	int failed;
} worker;

static int one(PGconn *c, int i)
{
	char a[16];
	snprintf(a, sizeof(a), "%d", 1 + i % nids);
	const char *v[1] = { a };
	PGresult *r = PQexecParams(c, POINT_SQL, 1, NULL, v, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	return ok;
}

static void *run(void *arg)
{
	worker *w = arg;
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		w->failed = 1;
	for (int i = 0; !w->failed && i < 2 * nids; i++)
		w->failed = !one(c, i);
	pthread_barrier_wait(&start);
	uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(seconds * 1e9), now = t0, q = 0;
	while (!w->failed && now < end) {
		for (int k = 0; k < 64; k++)
			w->failed |= !one(c, (int)(q + (uint64_t)k));
		q += 64;
		now = bench_now_ns();
	}
	w->queries = q;
	w->ns = now - t0;
	PQfinish(c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_pq_scale THREADS SECONDS\n");
		return 2;
	}
	int t = atoi(argv[1]);
	if (t < 1 || t > MAX_THREADS)
		t = 1;
	seconds = atof(argv[2]) > 0 ? atof(argv[2]) : 2;
	const char *ids = getenv("BENCH_IDS");
	if (ids && atoi(ids) > 0)
		nids = atoi(ids);
	static worker w[MAX_THREADS];
	pthread_barrier_init(&start, NULL, (unsigned)t);
	for (int i = 0; i < t; i++)
		pthread_create(&w[i].th, NULL, run, &w[i]);
	uint64_t q = 0, ns = 0;
	int failed = 0;
	for (int i = 0; i < t; i++) {
		pthread_join(w[i].th, NULL);
		q += w[i].queries;
		ns = w[i].ns > ns ? w[i].ns : ns;
		failed |= w[i].failed;
	}
	if (failed) {
		fprintf(stderr, "bench_pq_scale: a query failed\n");
		return 1;
	}
	printf("scale threads=%d seconds=%.2f queries=%llu qps=%.0f\n", t, (double)ns / 1e9,
	       (unsigned long long)q, ns ? (double)q * 1e9 / (double)ns : 0.0);
	return 0;
}

/*
 * pq_coherence.c - no read through the cache ever returns data older than a write that had
 * completed before the read started, across processes (t_pg_coherence.sh runs it with the
 * library preloaded).
 *
 * Table kv(id int primary key, v bigint) with R rows at v = 0. P forked processes, each with
 * its own connection, do N random operations on random rows:
 *   70% reads   SELECT v FROM kv WHERE id = $1 (PQexecParams), a few inside BEGIN .. COMMIT;
 *   30% writes  UPDATE kv SET v = v + 1 WHERE id = $1 RETURNING v, autocommit or (1 in 4) in
 *               BEGIN; UPDATE; SELECT (must see its own write); COMMIT.
 * Each read records (id, v seen, CLOCK_MONOTONIC before it was sent); each write (id, new v,
 * the time its call - or its COMMIT - returned). The parent then checks, per row, that no read
 * saw a v smaller than the largest v whose write completed before the read started, and that
 * a transaction's read after its own write saw that write. v only grows (row locks serialize
 * the increments), so one violation means a stale cached result was served.
 *
 *     pq_coherence [-p PROCS] [-n OPS_PER_PROC] [-r ROWS] [-s SEED]
 * Prints the counts; exits 1 on any violation, 2 on an error. Connection: PG* variables.
 */
#include <libpq-fe.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct rec {
	uint64_t t;  /* read: start; write: done */
	int64_t v;
	int32_t id;
	int32_t kind; /* 1 read, 2 write, 3 own-write check failed */
} rec;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, PGconn *c, PGresult *r)
{
	fprintf(stderr, "pq_coherence[%d]: %s: %s%s\n", (int)getpid(), what,
		c ? PQerrorMessage(c) : "", r ? PQresultErrorMessage(r) : "");
	exit(2);
}

static void cmd(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql, c, r);
	PQclear(r);
}

static int64_t one(PGconn *c, const char *sql, int id)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", id);
	const char *vals[1] = { buf };
	PGresult *r = PQexecParams(c, sql, 1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		die(sql, c, r);
	int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

static const char q_read[] = "SELECT v FROM kv WHERE id = $1";
static const char q_write[] = "UPDATE kv SET v = v + 1 WHERE id = $1 RETURNING v";

static void child(rec *out, int nops, int rows, unsigned seed, uint64_t *nrec)
{
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", c, NULL);
	srandom(seed);
	uint64_t n = 0;
	int ops = 0;
	while (ops < nops) {
		int id = 1 + (int)(random() % rows);
		int dice = (int)(random() % 100);
		if (dice < 70) {
			if (dice < 5) { /* two reads inside a READ COMMITTED transaction */
				cmd(c, "BEGIN");
				for (int k = 0; k < 2; k++) {
					int rid = 1 + (int)(random() % rows);
					uint64_t t = now_ns();
					out[n++] = (rec){ t, one(c, q_read, rid), rid, 1 };
				}
				cmd(c, "COMMIT");
				ops += 4;
			} else {
				uint64_t t = now_ns();
				out[n++] = (rec){ t, one(c, q_read, id), id, 1 };
				ops++;
			}
		} else if (dice < 93) {
			int64_t v = one(c, q_write, id);
			out[n++] = (rec){ now_ns(), v, id, 2 };
			ops++;
		} else {
			cmd(c, "BEGIN");
			int64_t v = one(c, q_write, id);
			int64_t seen = one(c, q_read, id);
			if (seen != v) {
				fprintf(stderr, "row %d: wrote %lld in a transaction, then read %lld\n",
					id, (long long)v, (long long)seen);
				out[n++] = (rec){ 0, seen, id, 3 };
			}
			cmd(c, "COMMIT");
			out[n++] = (rec){ now_ns(), v, id, 2 };
			ops += 4;
		}
	}
	*nrec = n;
	PQfinish(c);
}

static int cmp_rec(const void *a, const void *b)
{
	const rec *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	/* at equal times writes first: a read that started at the same instant is not bound */
	return x->kind > y->kind ? -1 : x->kind < y->kind;
}

int main(int argc, char **argv)
{
	int procs = 4, nops = 25000, rows = 20, opt;
	unsigned seed = (unsigned)time(NULL);
	while ((opt = getopt(argc, argv, "p:n:r:s:")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 'n': nops = atoi(optarg); break;
		case 'r': rows = atoi(optarg); break;
		case 's': seed = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: pq_coherence [-p PROCS] [-n OPS] [-r ROWS] [-s SEED]\n");
			return 2;
		}
	}
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", c, NULL);
	cmd(c, "SET client_min_messages = warning");
	cmd(c, "DROP TABLE IF EXISTS kv");
	cmd(c, "CREATE TABLE kv (id int PRIMARY KEY, v bigint NOT NULL)");
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT INTO kv SELECT i, 0 FROM generate_series(1, %d) i", rows);
	cmd(c, sql);
	PQfinish(c);

	size_t cap = (size_t)nops + 8;
	size_t bytes = (size_t)procs * (cap * sizeof(rec) + 64);
	unsigned char *shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		die("mmap", NULL, NULL);
	uint64_t *counts = (uint64_t *)shm;
	rec *recs = (rec *)(shm + 64 * (size_t)procs);
	fflush(stdout);
	pid_t *pids = calloc((size_t)procs, sizeof(pid_t));
	for (int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			die("fork", NULL, NULL);
		if (pids[p] == 0) {
			child(recs + (size_t)p * cap, nops, rows, seed * 7919u + (unsigned)p, &counts[p * 8]);
			_exit(0);
		}
	}
	int bad_exit = 0;
	for (int p = 0; p < procs; p++) {
		int st;
		if (waitpid(pids[p], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "pq_coherence: child %d failed (status %d)\n", p, st);
			bad_exit = 1;
		}
	}
	if (bad_exit)
		return 2;

	/* gather */
	size_t total = 0;
	for (int p = 0; p < procs; p++)
		total += counts[p * 8];
	rec *all = malloc(total * sizeof(rec));
	size_t k = 0, reads = 0, writes = 0, own_bad = 0;
	for (int p = 0; p < procs; p++)
		for (uint64_t i = 0; i < counts[p * 8]; i++) {
			rec r = recs[(size_t)p * cap + i];
			if (r.kind == 3) {
				own_bad++;
				continue;
			}
			all[k++] = r;
			if (r.kind == 1)
				reads++;
			else
				writes++;
		}
	qsort(all, k, sizeof(rec), cmp_rec);
	size_t stale = 0;
	int64_t floor = 0;
	int cur = -1;
	for (size_t i = 0; i < k; i++) {
		if (all[i].id != cur) {
			cur = all[i].id;
			floor = 0;
		}
		if (all[i].kind == 2) {
			if (all[i].v > floor)
				floor = all[i].v;
		} else if (all[i].v < floor) {
			if (stale < 10)
				fprintf(stderr, "stale read: row %d saw v=%lld after v=%lld was written\n",
					all[i].id, (long long)all[i].v, (long long)floor);
			stale++;
		}
	}
	printf("processes=%d operations=%d reads=%zu writes=%zu stale_reads=%zu own_write_misses=%zu\n",
	       procs, procs * nops, reads, writes, stale, own_bad);
	free(all);
	free(pids);
	munmap(shm, bytes);
	return stale || own_bad ? 1 : 0;
}

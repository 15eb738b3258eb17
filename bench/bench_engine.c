/*
 * bench_engine.c - micro benchmarks of the cache engine (cache/engine, mem, disk, gen).
 *
 * L1 get hit (~100-byte key, 200-byte value, the callback only reads the length), L1 put
 * (replacing entries of 1024 keys: one allocation), table bump, L2 get hit (L1 off), the
 * scaling of gets from one to two threads, and the hit ratio of S3-FIFO against plain LRU on
 * one Zipf(0.99) trace with one-time scans mixed in. Shared files go to a private directory
 * under /dev/shm that is removed at the end.
 */
#include "bench/harness.h"
#include "cache/engine.h"
#include "cache/gen.h"
#include "cache/mem.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NKEYS 1024

typedef struct kset {
	unsigned char mat[NKEYS][128];
	cap_keymat km[NKEYS];
	cap_key key[NKEYS];
} kset;

static unsigned char value[200];

static void make_keys(kset *ks, unsigned salt)
{
	for (unsigned i = 0; i < NKEYS; i++) {
		char sql[96];
		int n = snprintf(sql, sizeof(sql),
				 "SELECT id, name, price, qty FROM items WHERE id = $1 AND kind = $2 /* %u:%05u */",
				 salt, i);
		cap_keymat_init(&ks->km[i], ks->mat[i], sizeof(ks->mat[i]));
		cap_keymat_add_u64(&ks->km[i], 0x1234);
		cap_keymat_add(&ks->km[i], sql, (size_t)n);
		cap_keymat_finish(&ks->km[i], &ks->key[i]);
	}
}

typedef struct ctx {
	cap_engine *e;
	kset *ks;
	cap_deps deps;
	uint64_t sink;
} ctx;

static int read_len(void *c, const void *val, size_t len)
{
	(void)val;
	((ctx *)c)->sink += len;
	return 0;
}

static void fill(ctx *c)
{
	for (unsigned i = 0; i < NKEYS; i++)
		cap_engine_put(c->e, &c->ks->key[i], &c->deps, 0, value, sizeof(value));
}

static void b_get(void *p, uint64_t n)
{
	ctx *c = p;
	for (uint64_t i = 0; i < n; i++)
		cap_engine_get(c->e, &c->ks->key[i & (NKEYS - 1)], read_len, c);
}

static void b_put(void *p, uint64_t n)
{
	ctx *c = p;
	for (uint64_t i = 0; i < n; i++)
		cap_engine_put(c->e, &c->ks->key[i & (NKEYS - 1)], &c->deps, 0, value,
			       sizeof(value));
}

static void b_bump(void *p, uint64_t n)
{
	ctx *c = p;
	for (uint64_t i = 0; i < n; i++)
		cap_engine_bump_table(c->e, "orders", 6);
}

/* ---- threads ---- */

typedef struct thr {
	ctx c;
	uint64_t n;
	uint64_t ns;
	pthread_barrier_t *bar;
} __attribute__((aligned(128))) thr; /* no false sharing between the threads' sinks */

static void *thr_main(void *p)
{
	thr *t = p;
	pthread_barrier_wait(t->bar);
	uint64_t t0 = bench_now_ns();
	b_get(&t->c, t->n);
	t->ns = bench_now_ns() - t0;
	return NULL;
}

static double run_threads(cap_engine *e, kset **ks, int nthr, uint64_t n)
{
	pthread_t tid[2];
	thr t[2];
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, (unsigned)nthr);
	uint64_t t0 = bench_now_ns();
	for (int i = 0; i < nthr; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].c.e = e;
		t[i].c.ks = ks[i];
		t[i].n = n;
		t[i].bar = &bar;
		pthread_create(&tid[i], NULL, thr_main, &t[i]);
	}
	for (int i = 0; i < nthr; i++)
		pthread_join(tid[i], NULL);
	uint64_t wall = bench_now_ns() - t0;
	pthread_barrier_destroy(&bar);
	return (double)n * nthr / ((double)wall / 1e9); /* ops per second */
}

/* ---- Zipf + scan eviction comparison ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define UNIVERSE 100000u

static double *zipf_cdf(double s)
{
	double *cdf = malloc(sizeof(double) * UNIVERSE);
	double sum = 0;
	for (unsigned i = 0; i < UNIVERSE; i++)
		sum += 1.0 / pow(i + 1, s);
	double acc = 0;
	for (unsigned i = 0; i < UNIVERSE; i++) {
		acc += 1.0 / pow(i + 1, s) / sum;
		cdf[i] = acc;
	}
	return cdf;
}

static unsigned zipf_draw(const double *cdf)
{
	double u = (double)(xr() >> 11) / (double)(1ull << 53);
	unsigned lo = 0, hi = UNIVERSE - 1;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int nop(void *c, const void *v, size_t l)
{
	(void)c;
	(void)v;
	(void)l;
	return 0;
}

/* trace: -1..-N scan keys are encoded as UNIVERSE + k */
static double replay(enum cap_mem_policy pol, const uint32_t *trace, size_t n, uint64_t budget,
		     const cap_gen *g)
{
	cap_mem *m;
	if (cap_mem_open(budget, 8, pol, &m) != CAP_OK)
		return -1;
	uint64_t hits = 0, reads = 0;
	cap_deps d = { 0 };
	for (size_t i = 0; i < n; i++) {
		unsigned char buf[32];
		cap_keymat km;
		cap_key k;
		cap_keymat_init(&km, buf, sizeof(buf));
		cap_keymat_add_u64(&km, trace[i]);
		cap_keymat_finish(&km, &k);
		reads++;
		if (cap_mem_get(m, g, &k, nop, NULL) == 1)
			hits++;
		else
			cap_mem_put(m, &k, &d, 0, value, sizeof(value));
	}
	cap_mem_close(m);
	return (double)hits / (double)reads;
}

static void eviction_comparison(void)
{
	double *cdf = zipf_cdf(0.99);
	size_t n = 2000000, at = 0;
	uint32_t *trace = malloc(sizeof(uint32_t) * n);
	uint32_t scan_next = UNIVERSE;
	while (at < n) {
		/* 50k Zipf requests, then a scan of 20k one-time keys */
		for (int i = 0; i < 50000 && at < n; i++)
			trace[at++] = zipf_draw(cdf);
		for (int i = 0; i < 20000 && at < n; i++)
			trace[at++] = scan_next++;
	}
	cap_gen *g;
	cap_gen_open_private(&g);
	/* a budget for about 5% of the universe's entries */
	uint64_t budget = 5000ull * 400 + 300000;
	double s3 = replay(CAP_MEM_S3FIFO, trace, n, budget, g);
	double lru = replay(CAP_MEM_LRU, trace, n, budget, g);
	printf("eviction, Zipf(0.99) over %u keys + 20k-key scans every 50k requests, %zu requests,"
	       " budget %llu bytes:\n",
	       UNIVERSE, n, (unsigned long long)budget);
	printf("  hit ratio S3-FIFO %.4f   LRU %.4f   (%s)\n", s3, lru,
	       s3 >= lru ? "S3-FIFO >= LRU" : "S3-FIFO < LRU!");
	cap_gen_close(g);
	free(trace);
	free(cdf);
}

int main(void)
{
	bench_header("cache engine");
	char dir[128];
	snprintf(dir, sizeof(dir), "/dev/shm/cap-bench-engine-%d", (int)getpid());
	static kset ks1, ks2;
	make_keys(&ks1, 1);
	make_keys(&ks2, 2);
	memset(value, 'v', sizeof(value));
	printf("key %zu bytes, value %zu bytes\n", ks1.key[0].len, sizeof(value));

	cap_engine_conf conf = { .dir = dir, .mem_bytes = 64 << 20, .disk_bytes = 64 << 20 };
	ctx c = { 0 };
	c.ks = &ks1;
	cap_engine_open(&conf, &c.e);
	cap_engine_deps_begin(c.e, &c.deps, 77);
	cap_engine_deps_table(c.e, &c.deps, "items", 5);
	fill(&c);
	bench_run("L1 get hit (no copy)", b_get, &c, 1000000, 9);
	bench_run("L1+L2 put (replace)", b_put, &c, 200000, 7);
	fill(&c);

	/* L1 only put (the shared generation table still: a private one caches only with a TTL) */
	cap_engine_conf lconf = { .dir = dir, .mem_bytes = 64 << 20, .disk_bytes = 0 };
	ctx lc = { 0 };
	lc.ks = &ks1;
	cap_engine_open(&lconf, &lc.e);
	cap_engine_deps_begin(lc.e, &lc.deps, 77);
	cap_engine_deps_table(lc.e, &lc.deps, "items", 5);
	fill(&lc);
	bench_run("L1 put (replace, L2 off)", b_put, &lc, 500000, 7);
	bench_run("invalidate (table bump)", b_bump, &c, 2000000, 7);

	/* L2 only (L1 off, so nothing is promoted) */
	cap_engine_conf dconf = { .dir = dir, .mem_bytes = 0, .disk_bytes = 64 << 20 };
	ctx dc = { 0 };
	dc.ks = &ks1;
	cap_engine_open(&dconf, &dc.e);
	cap_engine_deps_begin(dc.e, &dc.deps, 78);
	fill(&dc);
	bench_run("L2 get hit (copy + checksum)", b_get, &dc, 200000, 7);

	/* scaling: same work per thread, one then two threads */
	kset *sets[2] = { &ks1, &ks2 };
	lc.ks = &ks2;
	fill(&lc);
	double best1 = 0, best2 = 0;
	for (int rep = 0; rep < 5; rep++) {
		double o1 = run_threads(lc.e, sets, 1, 4000000);
		double o2 = run_threads(lc.e, sets, 2, 4000000);
		best1 = o1 > best1 ? o1 : best1;
		best2 = o2 > best2 ? o2 : best2;
	}
	printf("L1 get hit throughput: 1 thread %.1f Mops/s, 2 threads %.1f Mops/s, ratio %.2fx "
	       "(target >= 1.8x; nproc %ld)\n",
	       best1 / 1e6, best2 / 1e6, best2 / best1, sysconf(_SC_NPROCESSORS_ONLN));

	eviction_comparison();

	cap_engine_close(c.e);
	cap_engine_close(lc.e);
	cap_engine_close(dc.e);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return 0;
}

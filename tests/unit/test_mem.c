/*
 * test_mem.c - L1: budget held under overfill (accounting and RSS), scan resistance, key
 * comparison under forced collisions, and concurrent threads (run under TSan by
 * tests/run-tsan.sh).
 */
#include "cache/gen.h"
#include "cache/mem.h"
#include "cache/clock.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static cap_gen *g;

static void setup(void)
{
	cr_assert_eq(cap_gen_open_private(&g), CAP_OK);
}

static void teardown(void)
{
	cap_gen_close(g);
}

TestSuite(mem, .init = setup, .fini = teardown);

static cap_key mk(cap_keymat *km, unsigned char *buf, size_t cap, uint64_t id)
{
	cap_key k;
	cap_keymat_init(km, buf, cap);
	cap_keymat_add_u64(km, id);
	cap_keymat_add(km, "SELECT * FROM t WHERE id = $1", 29);
	cap_keymat_finish(km, &k);
	return k;
}

static int cb_id(void *ctx, const void *val, size_t len)
{
	uint64_t *out = ctx;
	if (len < 8)
		return CAP_ECORRUPT;
	memcpy(out, val, 8);
	return 0;
}

static int put_id(cap_mem *m, uint64_t id, size_t vlen)
{
	unsigned char kb[64], v[4096];
	cap_keymat km;
	cap_key k = mk(&km, kb, sizeof(kb), id);
	memset(v, (int)(id & 0xff), sizeof(v));
	memcpy(v, &id, 8);
	cap_deps d = { 0 };
	return cap_mem_put(m, &k, &d, 0, v, vlen);
}

static int has_id(cap_mem *m, uint64_t id)
{
	unsigned char kb[64];
	cap_keymat km;
	cap_key k = mk(&km, kb, sizeof(kb), id);
	uint64_t got = 0;
	int rc = cap_mem_get(m, g, &k, cb_id, &got);
	if (rc == 1)
		cr_assert_eq(got, id, "wrong value for key %llu", (unsigned long long)id);
	return rc == 1;
}

Test(mem, budget_held_when_overfilled)
{
	cap_mem *m;
	uint64_t budget = 1 << 20;
	cr_assert_eq(cap_mem_open(budget, 0, CAP_MEM_S3FIFO, &m), CAP_OK);
	for (uint64_t i = 0; i < 50000; i++) {
		cr_assert_eq(put_id(m, i, 100 + (i % 7) * 50), CAP_OK);
		if (i % 1000 == 0) {
			uint64_t n, b, bud;
			cap_mem_usage(m, &n, &b, &bud);
			cr_assert(b <= budget, "%llu bytes > budget", (unsigned long long)b);
		}
	}
	uint64_t n, b, bud;
	cap_mem_usage(m, &n, &b, &bud);
	cr_assert(n > 1000, "only %llu entries", (unsigned long long)n);
	cr_assert(b <= budget && b > budget / 2);
	cap_mem_clear(m);
	cap_mem_usage(m, &n, &b, &bud);
	cr_assert_eq(n, 0);
	cap_mem_close(m);
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

Test(mem, rss_within_budget_far_beyond_capacity)
{
	cap_mem *m;
	uint64_t budget = 16 << 20;
	long before = rss_kb();
	cr_assert_eq(cap_mem_open(budget, 0, CAP_MEM_S3FIFO, &m), CAP_OK);
	/* 20x the budget, mixed sizes */
	for (uint64_t i = 0; i < 200000; i++)
		cr_assert_eq(put_id(m, i, 200 + (i * 7919) % 3000), CAP_OK);
	long grown = rss_kb() - before;
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	grown = 0; /* sanitizer allocators keep freed memory in quarantine: RSS says nothing */
#endif
	cr_log_info("RSS grew %ld kB for a %llu kB budget", grown,
		    (unsigned long long)(budget / 1024));
	cr_assert(grown < (long)(budget / 1024) * 5 / 4 + 2048, "RSS grew %ld kB", grown);
	cap_mem_close(m);
}

Test(mem, scan_does_not_flush_hot_set)
{
	cap_mem *m;
	cr_assert_eq(cap_mem_open(1 << 20, 8, CAP_MEM_S3FIFO, &m), CAP_OK);
	/* hot set: 500 keys of ~500 bytes (about a quarter of the budget), read repeatedly */
	for (int round = 0; round < 3; round++)
		for (uint64_t i = 0; i < 500; i++)
			if (!has_id(m, i))
				put_id(m, i, 400);
	/* a scan of 50000 one-time keys, hot keys still read now and then */
	for (uint64_t i = 0; i < 50000; i++) {
		put_id(m, 1000000 + i, 400);
		if (i % 100 == 0)
			for (uint64_t h = 0; h < 500; h += 50)
				has_id(m, h);
	}
	int kept = 0;
	for (uint64_t i = 0; i < 500; i++)
		kept += has_id(m, i);
	cr_assert(kept >= 450, "only %d of 500 hot keys survived the scan", kept);
	cap_mem_close(m);
}

static cap_hash same_hash(const void *p, size_t n)
{
	(void)p;
	(void)n;
	cap_hash h = { 99, 77 };
	return h;
}

Test(mem, collision_compares_material)
{
	cap_mem *m;
	cr_assert_eq(cap_mem_open(1 << 20, 0, CAP_MEM_S3FIFO, &m), CAP_OK);
	cap_key_set_hash_override(same_hash);
	for (uint64_t i = 0; i < 100; i++)
		put_id(m, i, 64);
	for (uint64_t i = 0; i < 100; i++)
		cr_assert(has_id(m, i)); /* has_id asserts the value is its own */
	cr_assert(!has_id(m, 1000));
	cap_key_set_hash_override(NULL);
	cap_mem_close(m);
}

Test(mem, stale_and_expired_are_misses)
{
	cap_mem *m;
	cr_assert_eq(cap_mem_open(1 << 20, 0, CAP_MEM_S3FIFO, &m), CAP_OK);
	unsigned char kb[64];
	cap_keymat km;
	cap_key k = mk(&km, kb, sizeof(kb), 1);
	cap_deps d = { .n = 1, .slot = { 5 }, .gen = { cap_gen_read(g, 5) } };
	uint64_t v = 1;
	cr_assert_eq(cap_mem_put(m, &k, &d, 0, &v, 8), CAP_OK);
	uint64_t got;
	cr_assert_eq(cap_mem_get(m, g, &k, cb_id, &got), 1);
	cap_gen_bump(g, 5);
	cr_assert_eq(cap_mem_get(m, g, &k, cb_id, &got), 0);
	uint64_t n;
	cap_mem_usage(m, &n, NULL, NULL);
	cr_assert_eq(n, 0); /* the stale entry was dropped */
	d.gen[0] = cap_gen_read(g, 5);
	cr_assert_eq(cap_mem_put(m, &k, &d, cap_now_ns() - 1, &v, 8), CAP_OK);
	cr_assert_eq(cap_mem_get(m, g, &k, cb_id, &got), 0);
	cap_mem_close(m);
}

Test(mem, lru_policy_works)
{
	cap_mem *m;
	cr_assert_eq(cap_mem_open(1 << 20, 0, CAP_MEM_LRU, &m), CAP_OK);
	for (uint64_t i = 0; i < 20000; i++)
		put_id(m, i, 300);
	cr_assert(has_id(m, 19999));
	cr_assert(!has_id(m, 0));
	cap_mem_close(m);
}

/* ---- threads ---- */

typedef struct targ {
	cap_mem *m;
	int id;
	uint64_t hits;
} targ;

static void *worker(void *p)
{
	targ *t = p;
	uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(t->id + 1);
	for (int i = 0; i < 40000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t id = x % 2000;
		int op = (int)((x >> 32) % 10);
		if (op < 7) {
			t->hits += (uint64_t)has_id(t->m, id);
		} else if (op < 9) {
			put_id(t->m, id, 100 + id % 500);
		} else if (i % 5000 == 0) {
			cap_mem_clear(t->m);
		} else {
			cap_gen_bump(g, (uint32_t)(1 + id % 16));
		}
	}
	return NULL;
}

Test(mem, threads_hammer_shared_keys)
{
	cap_mem *m;
	cr_assert_eq(cap_mem_open(256 << 10, 8, CAP_MEM_S3FIFO, &m), CAP_OK);
	pthread_t th[4];
	targ a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (targ){ .m = m, .id = i };
		pthread_create(&th[i], NULL, worker, &a[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	uint64_t n, b, bud;
	cap_mem_usage(m, &n, &b, &bud);
	cr_assert(b <= bud);
	cap_mem_close(m);
}

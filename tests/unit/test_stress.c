/*
 * test_stress.c - many processes sharing one CAPACITOR_DIR: forked workers get, put and
 * invalidate a small shared key space for a few seconds (a small L1 and L2 so both evict and
 * the L2 rings wrap constantly). Every value carries its key id and a checksum; a worker exits
 * non-zero on any wrong value. A second run SIGKILLs workers at random moments (also while
 * they hold an L2 region lock) and starts new ones. Any crash, hang (alarm) or wrong value
 * fails the test.
 */
#include "cache/cap.h"
#include "cache/engine.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NKEYS 400
#define NWORKERS 4

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cap-test-stress-%d", (int)getpid());
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

TestSuite(stress, .init = setup, .fini = teardown, .timeout = 60);

typedef struct vctx {
	uint64_t id;
	int bad;
} vctx;

static int verify(void *p, const void *val, size_t len)
{
	vctx *c = p;
	if (len < 16) {
		c->bad = 1;
		return 0;
	}
	uint64_t id, sum;
	memcpy(&id, val, 8);
	memcpy(&sum, (const char *)val + len - 8, 8);
	if (id != c->id || cap_hash64(val, len - 8, 0x5eed) != sum)
		c->bad = 1;
	return 0;
}

static void mkkey(cap_keymat *km, unsigned char *buf, size_t cap, cap_key *k, uint64_t id)
{
	cap_keymat_init(km, buf, cap);
	cap_keymat_add(km, "SELECT * FROM t WHERE id = $1", 29);
	cap_keymat_add_u64(km, id);
	cap_keymat_finish(km, k);
}

static const char *tables[] = { "alpha", "beta", "gamma", "delta" };

static int worker(int seed, double seconds)
{
	alarm((unsigned)seconds + 20); /* a hang kills the worker: the test fails */
	cap_engine_conf c = { .dir = dir, .mem_bytes = 256 << 10, .disk_bytes = 512 << 10 };
	cap_engine *e;
	if (cap_engine_open(&c, &e) != CAP_OK)
		return 2;
	cap_engine_usage_t u;
	cap_engine_usage(e, &u);
	if (!u.l2_on || !u.gen_shared)
		return 3;
	uint64_t x = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 17) ^ (uint64_t)getpid();
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned char val[3000];
	uint64_t ops = 0;
	for (;;) {
		if ((ops++ & 255) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > seconds)
				break;
		}
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t id = x % NKEYS;
		int op = (int)((x >> 40) % 100);
		unsigned char kb[64];
		cap_keymat km;
		cap_key k;
		mkkey(&km, kb, sizeof(kb), &k, id);
		const char *tab = tables[id % 4];
		if (op < 70) {
			vctx vc = { id, 0 };
			cap_engine_get(e, &k, verify, &vc);
			if (vc.bad)
				return 1;
		} else if (op < 95) {
			cap_deps d;
			cap_engine_deps_begin(e, &d, 1);
			cap_engine_deps_table(e, &d, tab, strlen(tab));
			size_t len = 16 + (size_t)((x >> 20) % (sizeof(val) - 16));
			memcpy(val, &id, 8);
			for (size_t i = 8; i < len - 8; i++)
				val[i] = (unsigned char)(x >> (i % 56));
			uint64_t sum = cap_hash64(val, len - 8, 0x5eed);
			memcpy(val + len - 8, &sum, 8);
			int rc = cap_engine_put(e, &k, &d, (op & 1) ? 50000000 : 0, val, len);
			if (rc != CAP_OK && rc != CAP_ETOOBIG)
				return 4;
		} else if (op < 99) {
			cap_engine_bump_table(e, tab, strlen(tab));
		} else {
			cap_engine_bump_db(e, 1);
		}
	}
	cap_engine_close(e);
	return 0;
}

static pid_t spawn(int seed, double seconds)
{
	pid_t p = fork();
	if (p == 0)
		_exit(worker(seed, seconds));
	return p;
}

Test(stress, workers_share_keys)
{
	pid_t pids[NWORKERS];
	for (int i = 0; i < NWORKERS; i++)
		pids[i] = spawn(i, 3.0);
	for (int i = 0; i < NWORKERS; i++) {
		int st;
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st), "worker %d died (signal %d)", i,
			  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		cr_assert_eq(WEXITSTATUS(st), 0, "worker %d failed with %d", i, WEXITSTATUS(st));
	}
}

Test(stress, workers_killed_midway)
{
	pid_t pids[NWORKERS];
	int seed = 100;
	for (int i = 0; i < NWORKERS; i++)
		pids[i] = spawn(seed++, 30.0);
	/* for ~3 s: every 50-150 ms SIGKILL a random worker and start a fresh one */
	srand((unsigned)getpid());
	int kills = 0;
	for (int round = 0; round < 30; round++) {
		usleep(50000 + (useconds_t)(rand() % 100000));
		int v = rand() % NWORKERS;
		kill(pids[v], SIGKILL);
		int st;
		waitpid(pids[v], &st, 0);
		if (WIFEXITED(st))
			cr_assert_eq(WEXITSTATUS(st), 0, "worker failed with %d", WEXITSTATUS(st));
		else
			cr_assert_eq(WTERMSIG(st), SIGKILL, "worker died of signal %d", WTERMSIG(st));
		kills++;
		pids[v] = spawn(seed++, 30.0);
	}
	/* the last generation of workers runs a short, clean stint and must finish */
	for (int i = 0; i < NWORKERS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
		pids[i] = spawn(seed++, 1.5);
	}
	for (int i = 0; i < NWORKERS; i++) {
		int st;
		waitpid(pids[i], &st, 0);
		cr_assert(WIFEXITED(st), "worker died (signal %d)", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		cr_assert_eq(WEXITSTATUS(st), 0, "worker failed with %d", WEXITSTATUS(st));
	}
	cr_log_info("%d workers killed", kills);
}

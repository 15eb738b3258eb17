/*
 * bench_stats.c - cost of cap_stats_record (budget: <= 20 ns per statement) and friends.
 *
 * The stats file lives in a private temporary directory (removed at the end). Each case
 * records into this thread's slot; the shape cases hit the shared per-shape table (three
 * relaxed fetch-adds on an entry other processes share), the no-shape case only the slot.
 * Latencies vary across buckets so the histogram index is not a constant.
 */
#include "bench/harness.h"
#include "cache/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rec_hit_shape(void *ctx, uint64_t n)
{
	(void)ctx;
	cap_qrec q = { .path = CAP_PATH_HIT_L1, .is_read = 1, .shape = 0x1234567890abcdefull,
		       .sql = "SELECT a FROM t WHERE id = $1", .sql_len = 29 };
	for (uint64_t i = 0; i < n; i++) {
		q.ns = 300 + (i & 1023);
		cap_stats_record(&q);
	}
}

static void rec_hit_noshape(void *ctx, uint64_t n)
{
	(void)ctx;
	cap_qrec q = { .path = CAP_PATH_HIT_L1, .is_read = 1 };
	for (uint64_t i = 0; i < n; i++) {
		q.ns = 300 + (i & 1023);
		cap_stats_record(&q);
	}
}

static void rec_bypass_shape(void *ctx, uint64_t n)
{
	(void)ctx;
	cap_qrec q = { .path = CAP_PATH_BYPASS, .reason = CAP_REASON_txn, .is_read = 1,
		       .shape = 0x0fedcba987654321ull, .sql = "SELECT 1", .sql_len = 8 };
	for (uint64_t i = 0; i < n; i++) {
		q.ns = 50000 + (i & 65535);
		cap_stats_record(&q);
	}
}

static void ev(void *ctx, uint64_t n)
{
	(void)ctx;
	for (uint64_t i = 0; i < n; i++)
		cap_stats_event(CAP_EV_FILL_L1, 1);
}

static void tick(void *ctx, uint64_t n)
{
	(void)ctx;
	for (uint64_t i = 0; i < n; i++)
		cap_stats_log_tick();
}

int main(void)
{
	char dir[] = "/tmp/capacitor-bench-stats-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	bench_header("stats: cap_stats_record into the shared-memory stats file");
	int rc = cap_stats_open(dir);
	if (rc != 0) {
		fprintf(stderr, "cap_stats_open %s: %d\n", dir, rc);
		return 1;
	}
	cap_stats_set_log(1);
	cap_stats_set_log_interval(3600ull * 1000000000ull);
	bench_run("record hit L1, with shape", rec_hit_shape, NULL, 1000000, 15);
	bench_run("record hit L1, no shape", rec_hit_noshape, NULL, 1000000, 15);
	bench_run("record bypass, with shape", rec_bypass_shape, NULL, 1000000, 15);
	bench_run("event fill L1", ev, NULL, 1000000, 15);
	bench_run("log tick (not due)", tick, NULL, 1000000, 15);
	cap_stats_set_log(0);
	char path[sizeof(dir) + 16];
	snprintf(path, sizeof(path), "%s/stats", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

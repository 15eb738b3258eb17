/*
 * harness.h - the micro-benchmark harness every bench/bench_*.c uses.
 *
 * bench_run warms up, then times batches of n operations with CLOCK_MONOTONIC around each batch
 * (never around one operation), and prints the median ns/op of the batches with min and max and
 * the allocations per operation counted by the harness's own malloc/calloc/realloc wrappers
 * (so "0 allocations" is measured, not read off the code).
 */
#ifndef CAP_BENCH_HARNESS_H
#define CAP_BENCH_HARNESS_H

#include <stdint.h>

/* Run `n` operations (the body of the benchmark); ctx is the caller's. */
typedef void (*bench_fn)(void *ctx, uint64_t n);

typedef struct bench_stat {
	double ns_median, ns_min, ns_max; /* per operation, over the batches */
	double allocs_per_op;
} bench_stat;

/* bench_header - print the machine (nproc, CPU model) and the build flags once. */
void bench_header(const char *title);
/* bench_run - time `batches` (>= 5) batches of n ops; prints one line and returns the stats. */
bench_stat bench_run(const char *name, bench_fn fn, void *ctx, uint64_t n, int batches);
/* bench_allocs - allocations counted so far in this process (all threads). */
uint64_t bench_allocs(void);
/* bench_now_ns - CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);
/* Keep the compiler from removing a computed value. */
#define bench_keep(x) __asm__ volatile("" : : "g"(x) : "memory")

#endif

/*
 * harness.c - batch timing and allocation counting for the micro benchmarks (see harness.h).
 *
 * The allocation counter wraps malloc and friends in the benchmark binary itself by defining
 * them and forwarding to glibc's __libc_* entry points; a relaxed atomic add per call keeps the
 * count exact across threads.
 */
#include "bench/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static uint64_t alloc_count;

/* Default visibility: the build hides symbols, and these must also replace the allocator of the
 * client libraries the end-to-end benchmarks load (libpq's and Connector/C's calls count). */
#define CAP_BENCH_EXPORT __attribute__((visibility("default")))

CAP_BENCH_EXPORT void *malloc(size_t n)
{
	__atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

CAP_BENCH_EXPORT void *calloc(size_t a, size_t b)
{
	__atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);
	return __libc_calloc(a, b);
}

CAP_BENCH_EXPORT void *realloc(void *p, size_t n)
{
	__atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}

CAP_BENCH_EXPORT void free(void *p)
{
	__libc_free(p);
}

uint64_t bench_allocs(void)
{
	return __atomic_load_n(&alloc_count, __ATOMIC_RELAXED);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void bench_header(const char *title)
{
	char model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "model name", 10) == 0) {
				char *c = strchr(line, ':');
				if (c) {
					snprintf(model, sizeof(model), "%s", c + 2);
					model[strcspn(model, "\n")] = '\0';
				}
				break;
			}
		fclose(f);
	}
	printf("# %s\n# cpus=%ld model=%s cc=%s flags=-O2 -g\n", title, sysconf(_SC_NPROCESSORS_ONLN),
	       model, __VERSION__);
	printf("# %-40s %12s %12s %12s %10s\n", "benchmark", "ns/op(med)", "min", "max", "allocs/op");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

bench_stat bench_run(const char *name, bench_fn fn, void *ctx, uint64_t n, int batches)
{
	bench_stat st = { 0, 0, 0, 0 };
	if (batches < 5)
		batches = 5;
	if (batches > 64)
		batches = 64;
	double per[64];
	fn(ctx, n / 10 + 1); /* warm up */
	uint64_t a0 = bench_allocs();
	for (int b = 0; b < batches; b++) {
		uint64_t t0 = bench_now_ns();
		fn(ctx, n);
		uint64_t t1 = bench_now_ns();
		per[b] = (double)(t1 - t0) / (double)n;
	}
	uint64_t a1 = bench_allocs();
	qsort(per, (size_t)batches, sizeof(double), cmp_double);
	st.ns_median = per[batches / 2];
	st.ns_min = per[0];
	st.ns_max = per[batches - 1];
	st.allocs_per_op = (double)(a1 - a0) / ((double)n * batches);
	printf("  %-40s %12.1f %12.1f %12.1f %10.3f\n", name, st.ns_median, st.ns_min, st.ns_max,
	       st.allocs_per_op);
	fflush(stdout);
	return st;
}

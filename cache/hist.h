/*
 * hist.h - log-linear latency histograms whose counts live in a fixed inline array, so that
 * they can sit in shared memory, be added together across processes and threads, and be
 * read by another program.
 *
 * Bucketing (the HdrHistogram idea, src/hdr_histogram.c, without its allocation): a value v
 * (nanoseconds) below 2^(m+1) has its own bucket; above, it keeps its top m+1 significant bits
 * and the bucket index is (shift << m) + (v >> shift) with shift = bits(v) - m - 1 (one
 * count-leading-zeros, one shift, one add). Each power of two is cut into 2^m equal buckets,
 * so a bucket is at most 2^-m of its lower bound wide; reporting the bucket midpoint puts any
 * reported value within 2^-(m+1) of every value the bucket counted. Values of CAP_HIST_MAX_BITS
 * bits and more are counted in the last bucket (reported as its lower bound).
 *
 *   main histograms  m = 6, max 2^36 ns (68.7 s): 1984 buckets, relative error <= 0.79 %
 *   shape histograms m = 3, max 2^36 ns:           272 buckets, relative error <= 6.3 %
 *
 * Nothing here allocates or locks; the callers choose how counts are added (plain, relaxed
 * atomic) and merged.
 */
#ifndef CAP_HIST_H
#define CAP_HIST_H

#include <stddef.h>
#include <stdint.h>

#define CAP_HIST_MAX_BITS 36
/* Buckets for sub-bucket bits m and values up to 2^maxbits. */
#define CAP_HIST_NBUCKETS(m, maxbits) ((((maxbits) - (m)-1) << (m)) + (2 << (m)))

#define CAP_HIST_SUB_BITS 6
#define CAP_HIST_BUCKETS CAP_HIST_NBUCKETS(CAP_HIST_SUB_BITS, CAP_HIST_MAX_BITS)
#define CAP_HIST_SHAPE_SUB_BITS 3
#define CAP_HIST_SHAPE_BUCKETS CAP_HIST_NBUCKETS(CAP_HIST_SHAPE_SUB_BITS, CAP_HIST_MAX_BITS)

_Static_assert(CAP_HIST_BUCKETS == 1984, "main histogram bucket count");
_Static_assert(CAP_HIST_SHAPE_BUCKETS == 272, "shape histogram bucket count");

/* cap_hist_index - bucket of value v for sub-bucket bits m in a histogram of nb buckets. */
static inline uint32_t cap_hist_index(uint64_t v, unsigned m, uint32_t nb)
{
	if (v < (2ull << m))
		return (uint32_t)v;
	unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - m;
	uint32_t i = (shift << m) + (uint32_t)(v >> shift);
	return i < nb ? i : nb - 1;
}

/* cap_hist_lo - smallest value counted in bucket i. */
uint64_t cap_hist_lo(uint32_t i, unsigned m);
/* cap_hist_width - number of distinct values bucket i covers (1 for exact buckets). */
uint64_t cap_hist_width(uint32_t i, unsigned m);
/* cap_hist_mid - the value reported for bucket i: its midpoint (its lower bound for the last,
 * open-ended bucket of a histogram of nb buckets). */
uint64_t cap_hist_mid(uint32_t i, unsigned m, uint32_t nb);

/* cap_hist_total - sum of the counts b[0..nb). */
uint64_t cap_hist_total(const uint64_t *b, uint32_t nb);
/* cap_hist_quantile - the value at quantile q (0 < q <= 1; 1 = the maximum) of counts b:
 * the reported value of the bucket holding the ceil(q * total)-th smallest value. total must be
 * cap_hist_total(b, nb) (passed so callers computing several quantiles sum once); 0 when empty. */
uint64_t cap_hist_quantile(const uint64_t *b, uint32_t nb, unsigned m, uint64_t total, double q);
/* cap_hist_count_le - how many counted values are known to be <= x (buckets whose every value
 * is <= x): the cumulative count for a Prometheus `le` bound. */
uint64_t cap_hist_count_le(const uint64_t *b, uint32_t nb, unsigned m, uint64_t x);
/* cap_hist_add - dst[i] += src[i] (merge). */
void cap_hist_add(uint64_t *dst, const uint64_t *src, uint32_t nb);

#endif

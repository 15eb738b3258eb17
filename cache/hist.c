/*
 * hist.c - the reading side of the log-linear histograms in hist.h: bucket bounds, quantiles,
 * cumulative counts, merging. The recording side is the inline cap_hist_index().
 *
 * Bucket i >= 2^(m+1) holds the values whose top m+1 bits are (i mod 2^m) + 2^m shifted left by
 * shift = (i >> m) - 1; below that every value has its own bucket. All functions are pure and
 * take the counts array by pointer, so they work on a private copy or straight on a mapping.
 */
#include "cache/hist.h"

uint64_t cap_hist_lo(uint32_t i, unsigned m)
{
	if (i < (2u << m))
		return i;
	unsigned shift = (i >> m) - 1;
	uint64_t mant = i - ((uint64_t)shift << m);
	return mant << shift;
}

uint64_t cap_hist_width(uint32_t i, unsigned m)
{
	if (i < (2u << m))
		return 1;
	return 1ull << ((i >> m) - 1);
}

uint64_t cap_hist_mid(uint32_t i, unsigned m, uint32_t nb)
{
	if (i + 1 >= nb)
		return cap_hist_lo(i, m);
	return cap_hist_lo(i, m) + cap_hist_width(i, m) / 2;
}

uint64_t cap_hist_total(const uint64_t *b, uint32_t nb)
{
	uint64_t t = 0;
	for (uint32_t i = 0; i < nb; i++)
		t += b[i];
	return t;
}

uint64_t cap_hist_quantile(const uint64_t *b, uint32_t nb, unsigned m, uint64_t total, double q)
{
	if (total == 0)
		return 0;
	if (q > 1.0)
		q = 1.0;
	double r = q * (double)total;
	/* a total near 2^64 (counts of a damaged or racing file) rounds r up to 2^64, which no
	 * uint64_t holds: the rank is then the total itself */
	uint64_t rank = total;
	if (r < (double)total) {
		rank = r > 0 ? (uint64_t)r : 0;
		if ((double)rank < r)
			rank++;
	}
	if (rank == 0)
		rank = 1;
	if (rank > total)
		rank = total;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < nb; i++) {
		seen += b[i];
		if (seen >= rank)
			return cap_hist_mid(i, m, nb);
	}
	/* total larger than the counts (a racing writer): the highest non-empty bucket */
	for (uint32_t i = nb; i-- > 0;)
		if (b[i])
			return cap_hist_mid(i, m, nb);
	return 0;
}

uint64_t cap_hist_count_le(const uint64_t *b, uint32_t nb, unsigned m, uint64_t x)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i + 1 < nb; i++) {
		uint64_t hi = cap_hist_lo(i, m) + cap_hist_width(i, m) - 1;
		if (hi > x)
			break;
		n += b[i];
	}
	return n;
}

void cap_hist_add(uint64_t *dst, const uint64_t *src, uint32_t nb)
{
	for (uint32_t i = 0; i < nb; i++)
		dst[i] += src[i];
}

/*
 * stats_read.h - the reading side of CAPACITOR_DIR/stats for `capacitor stats` and the tests:
 * open (read-only unless asked), validate, aggregate every process's slot with the folded
 * totals into one consistent view, list the busiest query shapes, reset.
 *
 * A reader never takes the file's lock and never writes (except cap_stats_reader_reset on a
 * writable reader), so it cannot block or slow a writer: it retries its pass when a fold or
 * reset published a new fold word in the middle (see cache/stats_file.h).
 */
#ifndef CAP_STATS_READ_H
#define CAP_STATS_READ_H

#include <stddef.h>
#include <stdint.h>

#include "cache/stats_file.h"

typedef struct cap_stats_reader cap_stats_reader;

/* cap_stats_reader_open - map dir/stats read-only (writable != 0: read-write, for reset; never
 * creates or rebuilds). On failure returns a CAP_* code and one human line in err (no newline):
 * missing, truncated, corrupt, newer or older format, unsafe ownership. */
int cap_stats_reader_open(const char *dir, int writable, cap_stats_reader **out, char *err,
			  size_t errcap);
void cap_stats_reader_close(cap_stats_reader *r);

/* An aggregated view (caller-allocated: it holds the full histograms, ~80 KB). */
typedef struct cap_stats_view {
	cap_stats_data d;       /* counters, bypass reasons, histograms; since the last reset */
	cap_stats_gauges g;
	uint32_t procs;         /* live processes holding slots */
	uint32_t slots_live;    /* slots of live processes (threads) */
	uint32_t slots_dead;    /* slots of dead processes not folded yet */
	uint32_t retries;       /* passes retried because of a concurrent fold or reset */
	uint64_t folds;         /* slots folded over the file's life */
	uint64_t created_ns;    /* CLOCK_REALTIME */
	uint64_t reset_ns;      /* CLOCK_REALTIME of the last reset, 0 = never */
	uint64_t warnings;      /* warning and error lines logged by every process, ever */
} cap_stats_view;

/* cap_stats_reader_view - fill *v from the mapping. CAP_OK. */
int cap_stats_reader_view(cap_stats_reader *r, cap_stats_view *v);

/* Latency summary of one histogram (values in ns; the histogram's error applies). */
typedef struct cap_stats_lat {
	uint64_t count, sum_ns, p50, p90, p99, p999, max;
} cap_stats_lat;
void cap_stats_lat_of(const cap_stats_hist *h, cap_stats_lat *out);
/* The same for a merged histogram built by the caller (counts b[CAP_HIST_BUCKETS]). */
void cap_stats_lat_of_counts(const uint64_t *b, uint64_t sum_ns, cap_stats_lat *out);

/* One query shape as read (a copy). */
typedef struct cap_stats_shape_info {
	uint64_t key;           /* digest; 0 for the "other" bucket */
	int other;              /* shapes that found no place in the table */
	uint64_t calls;
	uint64_t n[CAP_PATH__N];
	uint64_t hits;          /* n[HIT_L1] + n[HIT_L2] */
	uint64_t lat_sum_ns;
	uint64_t mean_ns, p99_ns;
	enum cap_reason reason; /* last bypass (or not-stored miss) reason; none */
	char text[CAP_STATS_SHAPE_TEXT]; /* normalised text, "" when not known yet */
} cap_stats_shape_info;

/* cap_stats_reader_top - copy up to max shapes with calls > 0, busiest first, into out; returns
 * how many. The "other" bucket is included when it has calls. */
size_t cap_stats_reader_top(cap_stats_reader *r, cap_stats_shape_info *out, size_t max);

/* cap_stats_reader_reset - zero counters, histograms and shape counts for every reader (the
 * reader must be writable). CAP_OK or a CAP_* code. */
int cap_stats_reader_reset(cap_stats_reader *r);

/* cap_stats_reader_base - the mapping (tests). */
void *cap_stats_reader_base(cap_stats_reader *r);

#endif

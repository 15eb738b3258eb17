/*
 * stats.h - counters, latency histograms and per-query-shape statistics, kept in a
 * shared-memory file (CAPACITOR_DIR/stats) that `capacitor stats` and any other tool read.
 *
 * Writers never take a lock another process can hold: each process writes only its own
 * cache-line-aligned slot (claimed at first use, re-claimed in a fork child); slots of dead
 * processes are folded into the totals and reused. The layout is in cache/stats_file.h.
 * When the file cannot be opened every call here is a no-op and the host program carries on.
 */
#ifndef CAP_STATS_H
#define CAP_STATS_H

#include "cache/stats_kinds.h"

#include <stddef.h>
#include <stdint.h>

/* Engine and library events that are not one statement. */
enum cap_event {
	CAP_EV_INVAL_TABLE = 0, /* a table generation bump */
	CAP_EV_INVAL_DB,        /* a database (or global) epoch bump */
	CAP_EV_EVICT_L1,
	CAP_EV_EVICT_L2,
	CAP_EV_FALLBACK,        /* an internal error passed a call through */
	CAP_EV_FILL_L1,         /* an entry stored in L1 */
	CAP_EV_FILL_L2,         /* an entry stored in L2 */
	CAP_EV_DLSYM,           /* a dlsym lookup answered with our hook (preload/dlsym.c) */
	CAP_EV_UNSEEN,          /* a client library our hooks cannot see (preload/dlsym.h) */
	CAP_EV__N
};

/* One statement's record, filled by a hook at the end of the call. */
typedef struct cap_qrec {
	enum cap_path path;
	enum cap_reason reason; /* for CAP_PATH_BYPASS (and a MISS that was not stored) */
	int is_read;            /* counted in `reads` (hits, misses and bypassed reads) */
	uint64_t ns;            /* latency of the whole call as the program saw it */
	uint64_t shape;         /* cap_sql_info.digest; 0 = no per-shape record */
	const char *sql;        /* statement text, only read when a new shape is first seen */
	size_t sql_len;
	int dialect;            /* enum cap_dialect of sql */
	int followed;           /* a live follower covered the database (hits_followed) */
} cap_qrec;

/* cap_stats_open - map dir/stats (creating it, mode 0600) and claim a slot for this process.
 * CAP_OK or a CAP_* code (stats then stay off, with one warning). Safe to call again. */
int cap_stats_open(const char *dir);
/* cap_stats_record - account one statement: a few relaxed adds into this process's slot. */
void cap_stats_record(const cap_qrec *r);
/* cap_stats_shape_reason - a miss of this shape was recorded before its result was seen (the
 * MySQL paths store a result after the statement's line): why it was not stored after all
 * (CAP_REASON_too_large) becomes the shape's last reason, as on the paths that see it first.
 * Counts nothing; a shape not in the table is left alone. */
void cap_stats_shape_reason(uint64_t shape, enum cap_reason reason);
/* cap_stats_event - count n engine events. */
void cap_stats_event(enum cap_event ev, uint64_t n);
/* cap_stats_l1 - adjust this process's L1 gauges (entries and bytes) by the deltas. */
void cap_stats_l1(int64_t entries, int64_t bytes);
/* cap_stats_l2 - set the shared L2 gauges (absolute values, as the L2 header counts them). */
void cap_stats_l2(uint64_t entries, uint64_t bytes);
/* cap_stats_log_tick - if CAPACITOR_LOG_INTERVAL has passed since the last summary, write one
 * summary line to the log (cheap check; called by the hooks on the miss path). */
void cap_stats_log_tick(void);
/* cap_stats_set_log_interval - summary interval in ns (0 = only at exit). */
void cap_stats_set_log_interval(uint64_t ns);
/* cap_stats_set_log - switch the periodic and at-exit summary lines on or off. By default
 * they are on when CAPACITOR_LOG is set (non-empty): the default log file is for warnings. */
void cap_stats_set_log(int on);
/* cap_stats_log_now - write this process's summary line to the log now (tests, signals). */
void cap_stats_log_now(void);

#endif

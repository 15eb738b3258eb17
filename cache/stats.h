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

#include <stddef.h>
#include <stdint.h>

/* Why a statement did not use the cache (a bypass) or was not stored. */
#define CAP_REASONS(X)                                                                     \
	X(none, "none")                                                                    \
	X(txn, "transaction")            /* transaction state forbids hits/fills */        \
	X(volatile, "volatile function") /* volatile, stable or unknown function */        \
	X(too_large, "too large")        /* result over CAPACITOR_MAX_RESULT */            \
	X(session, "session change")     /* session state the hooks cannot follow */       \
	X(rule, "rule")                  /* a rules-file `never` */                        \
	X(error, "error")                /* the server answered with an error or notice */ \
	X(locking, "locking read")       /* FOR UPDATE/SHARE, LOCK IN SHARE MODE */        \
	X(syscatalog, "system catalog")                                                    \
	X(temp, "temporary table")                                                         \
	X(multi, "multi-statement")                                                        \
	X(unsupported, "unsupported api") /* COPY, pipeline, single-row, async API ... */  \
	X(uncacheable, "uncacheable")    /* other classifier reasons (INTO, @var ...) */   \
	X(catalog, "unknown relation")   /* view/relation whose base tables are unknown */ \
	X(disabled, "disabled")          /* CAPACITOR_ENABLE=0 or a broken rules file */   \
	X(follow, "no live follower")    /* CAPACITOR_FOLLOW=require, no follower live */  \
	X(internal, "internal error")

enum cap_reason {
#define CAP_REASON_ENUM(name, text) CAP_REASON_##name,
	CAP_REASONS(CAP_REASON_ENUM)
#undef CAP_REASON_ENUM
	CAP_REASON__N
};

/* Which path a statement took; each has its own latency histogram. */
enum cap_path {
	CAP_PATH_HIT_L1 = 0,
	CAP_PATH_HIT_L2,
	CAP_PATH_MISS,   /* a cacheable read sent to the server (round trip + fill) */
	CAP_PATH_WRITE,  /* DML, DDL, other */
	CAP_PATH_BYPASS, /* a read or utility statement passed through uncached */
	CAP_PATH__N
};

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
/* cap_stats_reason_name - "transaction", "rule", ... */
const char *cap_stats_reason_name(enum cap_reason r);

#endif

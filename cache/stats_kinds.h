/*
 * stats_kinds.h - what a statement's statistics record says: the path it took and, for a
 * bypass, why. The writer's interface (cache/stats.h) and the file's layout
 * (cache/stats_file.h, one counter per reason and one histogram per path) are both built
 * from these lists, so they live below both.
 */
#ifndef CAP_STATS_KINDS_H
#define CAP_STATS_KINDS_H

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

/* cap_stats_reason_name - "transaction", "rule", ...; "?" out of range. */
const char *cap_stats_reason_name(enum cap_reason r);

#endif

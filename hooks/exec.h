/*
 * exec.h - the query driver (hooks/exec.c): the one pipeline every client path runs a
 * statement through, whichever library and call it came from.
 *
 *   plan      classify, read back what must be, decide (the port, over hooks/session)
 *   key       session prefix + statement + what the port adds (parameters, protocol)
 *   get       cap_engine_get, when the plan and the port allow a hit now
 *   serve     the port hands the decoded hit to the program (stats: a hit)
 *   miss      the port's last checks (standby, orphaned writes), then the dependencies'
 *             generations are read before the statement is sent
 *   run       the real function
 *   fill      the port stores the answer, or remembers the key for when the program reads it
 *   after     the port's bookkeeping (hooks/session's cap_sess_after and its own)
 *   record    one line of statistics, timed with the latency clock
 *
 * A client is a port: a constant table of these steps. The driver's state for one statement
 * (cap_exec) is the first member of the port's own context, which every step receives. The
 * hit path is plan, key, get, serve, record: no system call, no lock, no allocation of the
 * driver's (the key is built in a stack buffer).
 *
 * Some statements end later than the call that sent them (libpq's asynchronous API, COPY,
 * mysql_send_query): the port's run step says so, keeps what it needs, and accounts the end
 * itself with cap_exec_record and cap_exec_pass_path.
 */
#ifndef CAP_EXEC_H
#define CAP_EXEC_H

#include "hooks/session.h"
#include "cache/cap.h"
#include "cache/stats.h"

/* What a port's run step says. */
enum cap_exec_ran {
	CAP_EXEC_RAN,    /* the real call returned (x->ok set): fill, after and record follow */
	CAP_EXEC_LATER,  /* the statement goes on: the port accounts its end */
	CAP_EXEC_ABORT,  /* nothing more to account (the port answered the program itself) */
};

/* What a port's serve step says. */
enum cap_exec_served {
	CAP_EXEC_NOT_SERVED = 0,   /* the hit cannot be handed out: the statement runs (a miss) */
	CAP_EXEC_SERVED,           /* handed out: the driver records the hit */
	CAP_EXEC_SERVED_LATER,     /* held for the program to read: the port records it then */
};

typedef struct cap_exec_port cap_exec_port;

/* One statement's state, the first member of the port's context. */
typedef struct cap_exec {
	const cap_exec_port *port;
	const cap_rt *rt;
	const char *sql;     /* the text (NULL: a prepared statement never seen) */
	size_t sql_len;
	cap_sql_info *info;  /* cap_sess_info() */
	cap_plan plan;
	cap_key key;         /* set when keyed */
	int keyed;
	int hit;             /* CAP_HIT_L1 / CAP_HIT_L2 of the value the port is serving */
	int ok;              /* run: the server answered without an error */
	uint64_t t0;         /* cap_precise_ns at the start */
} cap_exec;

struct cap_exec_port {
	enum cap_dialect dialect;
	const char *decoding; /* what cap_fail_open names when a cached value does not decode */
	/* classify and plan x->sql into x->info and x->plan */
	void (*plan)(cap_exec *x);
	/* add the port's part of the key to km (after cap_sess_key) and finish x->key: 0, or
	 * >0 when the statement cannot be keyed (unsupported), <0 on internal trouble */
	int (*key)(cap_exec *x, cap_keymat *km);
	/* may a hit be served now? (may prepare for it; miss releases what it took) */
	int (*can_hit)(cap_exec *x);
	/* cap_engine_get's callback: decode the value; arg is the cap_exec */
	cap_value_fn decode;
	/* hand the decoded hit out (enum cap_exec_served); one not served is released here */
	int (*serve)(cap_exec *x);
	/* a keyed statement goes to the server: the port's last word on filling (plan.can_fill) */
	void (*miss)(cap_exec *x);
	/* run the real function (enum cap_exec_ran) */
	int (*run)(cap_exec *x);
	/* a cacheable read ran (x->ok): store the answer or remember x->key for it; set
	 * plan.reason on an error */
	void (*fill)(cap_exec *x);
	/* bookkeeping after the statement ran */
	void (*after)(cap_exec *x);
};

/* cap_exec_bypass - every interposed function starts here: 1 when the real function must run
 * untouched (the re-entrancy guard is up, resolve() cannot find the client library, or
 * Capacitor is off); else 0 with the runtime in *rtp. */
static inline __attribute__((always_inline)) int cap_exec_bypass(int (*resolve)(void),
								 const cap_rt **rtp)
{
	if (cap_guard || !resolve())
		return 1;
	const cap_rt *rt = cap_rt_get();
	if (!rt->invalidating)
		return 1;
	*rtp = rt;
	return 0;
}

/* cap_exec_start - set up x for one statement. Only these fields are set (the driver sets the
 * rest as it goes): a context is not zeroed whole, the plan in it is half a kilobyte. */
static inline void cap_exec_start(cap_exec *x, const cap_exec_port *port, const cap_rt *rt,
				  const char *sql, size_t len)
{
	x->port = port;
	x->rt = rt;
	x->sql = sql;
	x->sql_len = len;
}

/* cap_exec_run - run one statement set up by cap_exec_start; x is the first member of the
 * port's context. */
void cap_exec_run(cap_exec *x);

/* cap_exec_pass_path - the statistics path of a statement that was not looked up: a read that
 * was not cached is a bypass with its reason even when it is also invalidated after (a
 * volatile function may write), so that reads = hits + misses + bypassed reads. */
static inline enum cap_path cap_exec_pass_path(const cap_plan *plan)
{
	return plan->act == CAP_ACT_WRITE && !plan->is_read ? CAP_PATH_WRITE : CAP_PATH_BYPASS;
}

/* cap_exec_end_path - the statistics path of a statement that ran on the server. */
static inline enum cap_path cap_exec_end_path(const cap_plan *plan)
{
	return plan->act == CAP_ACT_CACHE ? CAP_PATH_MISS : cap_exec_pass_path(plan);
}

/* A write of a process that died (or closed its connection) before it saw the write's end may
 * still be run and committed by the server: its tables are not filled until the server says
 * that session is gone (cache/engine.h, orphans). The ports ask, on a miss, on the program's
 * own connection where a query of theirs is invisible (quiet), for one orphan of the server
 * at a time and at most every CAP_EXEC_ORPHAN_NS per connection. */
#define CAP_EXEC_ORPHAN_NS (50ull * 1000000ull)

/* cap_exec_orphan_due - 1 when the port should ask the server about orphan *o now (an orphan
 * of server exists, the connection is quiet, its last ask, *next, is old enough: moved on). */
int cap_exec_orphan_due(const cap_rt *rt, const uint64_t server[2], int quiet, uint64_t *next,
			cap_orphan *o);

/* cap_exec_record - a statement's line in the statistics (latency since t0, latency clock). */
void cap_exec_record(enum cap_dialect d, enum cap_path path, const cap_plan *plan,
		     uint64_t shape, const char *sql, size_t len, uint64_t t0);

#endif

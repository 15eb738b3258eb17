/*
 * exec.c - the query driver: one statement through plan, key, get, serve or run, fill,
 * after and record (exec.h says what each step is and who does it).
 *
 * The order is the correctness contract's (DESIGN.md): a read's dependencies are read
 * before the statement is sent (the port's miss step, on a miss only: a hit pays nothing for
 * them), and a plan that may not be served from the cache never looks it up. A key that
 * cannot be built turns the statement into a pass, counted with its reason.
 */
#include "hooks/exec.h"
#include "preload/runtime.h"

void cap_exec_record(enum cap_dialect d, enum cap_path path, const cap_plan *plan,
		     uint64_t shape, const char *sql, size_t len, uint64_t t0)
{
	cap_qrec q;
	q.path = path;
	q.reason = plan->reason;
	q.is_read = plan->is_read;
	q.ns = cap_precise_ns() - t0;
	q.shape = shape;
	q.sql = sql;
	q.sql_len = len;
	q.dialect = d;
	q.followed = plan->followed;
	cap_stats_record(&q);
}

int cap_exec_orphan_due(const cap_rt *rt, const uint64_t server[2], int quiet, uint64_t *next,
			cap_orphan *o)
{
	if (!cap_engine_orphan_find(rt->engine, server, o))
		return 0;
	uint64_t now = cap_now_ns();
	if (now < *next || !quiet)
		return 0;
	*next = now + CAP_EXEC_ORPHAN_NS;
	return 1;
}

static void record(const cap_exec *x, enum cap_path path)
{
	cap_exec_record(x->port->dialect, path, &x->plan, x->sql ? x->info->digest : 0, x->sql,
			x->sql_len, x->t0);
}

void cap_exec_run(cap_exec *x)
{
	const cap_exec_port *p = x->port;
	x->t0 = cap_precise_ns();
	x->info = cap_sess_info();
	x->keyed = 0;
	x->hit = 0;
	x->ok = 0;
	p->plan(x);
	unsigned char kbuf[1024];
	cap_keymat km;
	int cached = x->plan.act == CAP_ACT_CACHE;
	if (cached) {
		cap_keymat_init(&km, kbuf, sizeof(kbuf));
		int k = p->key(x, &km);
		x->keyed = k == 0;
		if (x->keyed && x->plan.can_hit && p->can_hit(x)) {
			int r = cap_engine_get(x->rt->engine, &x->key, p->decode, x);
			if (r == CAP_HIT_L1 || r == CAP_HIT_L2) {
				x->hit = r;
				int s = p->serve(x);
				if (s != CAP_EXEC_NOT_SERVED) {
					cap_keymat_done(&km);
					if (s == CAP_EXEC_SERVED)
						record(x, r == CAP_HIT_L1 ? CAP_PATH_HIT_L1
									  : CAP_PATH_HIT_L2);
					return;
				}
				x->hit = 0;
			} else if (r < 0) {
				cap_fail_open(p->decoding, r);
			}
		}
		if (x->keyed) {
			p->miss(x);
		} else {
			x->plan.act = CAP_ACT_PASS;
			x->plan.can_hit = x->plan.can_fill = 0;
			x->plan.reason = k < 0 ? CAP_REASON_internal : CAP_REASON_unsupported;
		}
	}
	int ran = p->run(x);
	if (ran == CAP_EXEC_RAN && x->plan.act == CAP_ACT_CACHE)
		p->fill(x);
	if (cached)
		cap_keymat_done(&km);
	if (ran != CAP_EXEC_RAN)
		return;
	p->after(x);
	record(x, cap_exec_end_path(&x->plan));
	if (x->plan.act == CAP_ACT_CACHE)
		cap_stats_log_tick();
}

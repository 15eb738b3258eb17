/*
 * test_exec.c - the query driver (hooks/exec) with a port of the test's own: which steps run,
 * in which order, for a miss, a hit, a pass, a key that cannot be built, a hit the port does
 * not serve, and statements that end later or are answered by the port itself. Each step
 * appends a letter to a log:
 *
 *   P plan   K key   C can_hit   D decode   S serve   M miss   R run   F fill   A after
 *
 * The engine is a real one (memory tier only); no client library is involved.
 */
#include "hooks/exec.h"
#include "cache/log.h"

#include <criterion/criterion.h>
#include <string.h>

static cap_rt rt;
static int fail_opens;

/* The library's runtime is not linked: its fail-open report is counted here. */
void cap_fail_open(const char *what, int err)
{
	(void)what;
	(void)err;
	fail_opens++;
}

typedef struct tx {
	cap_exec x;
	enum cap_act act; /* what plan decides */
	const char *key;  /* the statement's key material */
	int key_rc;       /* what key returns after building the key (0, 1, -1) */
	int can_hit;
	int serve_rc;
	int run_rc;
	char log[32];
	char got[16];     /* the decoded value */
} tx;

static void note(cap_exec *x, char c)
{
	tx *t = (tx *)x;
	size_t n = strlen(t->log);
	if (n + 1 < sizeof(t->log))
		t->log[n] = c;
}

static void t_plan(cap_exec *x)
{
	tx *t = (tx *)x;
	note(x, 'P');
	memset(&x->plan, 0, sizeof(x->plan));
	x->plan.act = t->act;
	x->plan.is_read = t->act == CAP_ACT_CACHE;
	x->plan.can_hit = x->plan.can_fill = t->act == CAP_ACT_CACHE;
	cap_engine_deps_begin(x->rt->engine, &x->plan.deps, 1);
}

static int t_key(cap_exec *x, cap_keymat *km)
{
	tx *t = (tx *)x;
	note(x, 'K');
	cap_keymat_add(km, t->key, strlen(t->key));
	cr_assert_eq(cap_keymat_finish(km, &x->key), CAP_OK);
	return t->key_rc;
}

static int t_can_hit(cap_exec *x)
{
	note(x, 'C');
	return ((tx *)x)->can_hit;
}

static int t_decode(void *arg, const void *val, size_t len)
{
	tx *t = arg;
	note(&t->x, 'D');
	cr_assert_lt(len, sizeof(t->got));
	memcpy(t->got, val, len);
	t->got[len] = '\0';
	return CAP_OK;
}

static int t_serve(cap_exec *x)
{
	note(x, 'S');
	cr_assert(x->hit == CAP_HIT_L1 || x->hit == CAP_HIT_L2);
	return ((tx *)x)->serve_rc;
}

static void t_miss(cap_exec *x)
{
	note(x, 'M');
	cr_assert_eq(x->plan.act, CAP_ACT_CACHE);
	cr_assert(x->keyed);
}

static int t_run(cap_exec *x)
{
	note(x, 'R');
	x->ok = 1;
	return ((tx *)x)->run_rc;
}

static void t_fill(cap_exec *x)
{
	tx *t = (tx *)x;
	note(x, 'F');
	/* no shared generation table here: an entry needs a time to live */
	cr_assert_eq(cap_engine_put(x->rt->engine, &x->key, &x->plan.deps,
				    cap_now_ns() + 60ull * 1000000000ull, t->key, strlen(t->key)),
		     CAP_OK);
}

static void t_after(cap_exec *x)
{
	note(x, 'A');
}

static const cap_exec_port port = {
	.dialect = CAP_DIALECT_PG,
	.decoding = "decoding a test value",
	.plan = t_plan,
	.key = t_key,
	.can_hit = t_can_hit,
	.decode = t_decode,
	.serve = t_serve,
	.miss = t_miss,
	.run = t_run,
	.fill = t_fill,
	.after = t_after,
};

/* prep - set t up for one statement of plan act and key material key. */
static void prep(tx *t, enum cap_act act, const char *key)
{
	memset(t, 0, sizeof(*t));
	cap_exec_start(&t->x, &port, &rt, "SELECT 1", 8);
	t->act = act;
	t->key = key;
	t->can_hit = 1;
	t->serve_rc = CAP_EXEC_SERVED;
	t->run_rc = CAP_EXEC_RAN;
}

static void setup(void)
{
	memset(&rt, 0, sizeof(rt));
	cap_log_setup("/dev/null", CAP_LOG_ERROR);
	cap_engine_conf ec = { NULL, 1 << 20, 0 };
	cr_assert_eq(cap_engine_open(&ec, &rt.engine), CAP_OK);
	rt.caching = rt.invalidating = 1;
	fail_opens = 0;
}

static void teardown(void)
{
	cap_engine_close(rt.engine);
}

TestSuite(exec, .init = setup, .fini = teardown);

Test(exec, miss_then_hit)
{
	tx t;
	prep(&t, CAP_ACT_CACHE, "k1");
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCMRFA", "a miss reads its dependencies before it runs");
	prep(&t, CAP_ACT_CACHE, "k1");
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCDS", "a hit runs nothing after serve");
	cr_assert_str_eq(t.got, "k1");
	cr_assert_eq(t.x.hit, CAP_HIT_L1);
	cr_assert_eq(fail_opens, 0);
}

Test(exec, no_lookup_when_the_port_says_no)
{
	tx t;
	prep(&t, CAP_ACT_CACHE, "k2");
	cap_exec_run(&t.x);
	prep(&t, CAP_ACT_CACHE, "k2");
	t.can_hit = 0;
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCMRFA");
}

Test(exec, a_hit_not_served_runs_as_a_miss)
{
	tx t;
	prep(&t, CAP_ACT_CACHE, "k3");
	cap_exec_run(&t.x);
	prep(&t, CAP_ACT_CACHE, "k3");
	t.serve_rc = CAP_EXEC_NOT_SERVED;
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCDSMRFA");
	cr_assert_eq(t.x.hit, 0);
}

Test(exec, held_hit_is_the_ports)
{
	tx t;
	prep(&t, CAP_ACT_CACHE, "k4");
	cap_exec_run(&t.x);
	prep(&t, CAP_ACT_CACHE, "k4");
	t.serve_rc = CAP_EXEC_SERVED_LATER;
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCDS");
}

Test(exec, pass_and_write_are_not_looked_up)
{
	tx t;
	prep(&t, CAP_ACT_PASS, "k5");
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PRA");
	prep(&t, CAP_ACT_WRITE, "k5");
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PRA");
}

Test(exec, a_key_that_cannot_be_built_passes_with_its_reason)
{
	tx t;
	prep(&t, CAP_ACT_CACHE, "k6");
	t.key_rc = 1;
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKRA");
	cr_assert_eq(t.x.plan.act, CAP_ACT_PASS);
	cr_assert_eq(t.x.plan.reason, CAP_REASON_unsupported);
	cr_assert_eq(t.x.plan.can_fill, 0);
	prep(&t, CAP_ACT_CACHE, "k6");
	t.key_rc = -1;
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKRA");
	cr_assert_eq(t.x.plan.reason, CAP_REASON_internal);
}

Test(exec, statements_that_end_later_or_are_answered_by_the_port)
{
	tx t;
	prep(&t, CAP_ACT_CACHE, "k7");
	t.run_rc = CAP_EXEC_LATER;
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCMR", "the port fills and accounts a statement that ends later");
	prep(&t, CAP_ACT_CACHE, "k7");
	t.run_rc = CAP_EXEC_ABORT;
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCMR");
	prep(&t, CAP_ACT_CACHE, "k7");
	cap_exec_run(&t.x);
	cr_assert_str_eq(t.log, "PKCMRFA", "nothing was stored by those");
}

Test(exec, pass_path_counts_reads_as_reads)
{
	cap_plan p;
	memset(&p, 0, sizeof(p));
	p.act = CAP_ACT_WRITE;
	p.is_read = 1;
	cr_assert_eq(cap_exec_pass_path(&p), CAP_PATH_BYPASS, "a read that may write is a bypassed read");
	p.is_read = 0;
	cr_assert_eq(cap_exec_pass_path(&p), CAP_PATH_WRITE);
	p.act = CAP_ACT_CACHE;
	cr_assert_eq(cap_exec_end_path(&p), CAP_PATH_MISS);
}

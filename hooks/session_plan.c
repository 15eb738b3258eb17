/*
 * session_plan.c - the plan (session.h): for one statement on one connection, may the cache
 * answer it, may its result be stored, or is it a write that must invalidate. The session's
 * identity and fingerprint live in session.c, transactions, writes and their markers in
 * session_txn.c (session_int.h lists what the three share).
 *
 * Everything here runs on the calling thread with one connection's state, which the client
 * libraries already require to be used by one thread at a time, so no locking is needed.
 * The plan for a cacheable read with no functions, no rules and no open transaction is a
 * handful of branches: it is on the hit path.
 */
#include "hooks/session.h"
#include "hooks/session_int.h"
#include "cache/cap.h"
#include "cache/follow.h"

static const char catalog_slot[] = CAP_CATALOG_SLOT_NAME;

static __thread cap_sql_info tls_info __attribute__((tls_model("initial-exec")));

cap_sql_info *cap_sess_info(void)
{
	return &tls_info;
}

uint64_t cap_sess_catalog_gen(cap_engine *e)
{
	static uint32_t slot = UINT32_MAX; /* a pure function of the name: racing writers agree */
	uint32_t s = __atomic_load_n(&slot, __ATOMIC_RELAXED);
	if (s == UINT32_MAX) {
		s = cap_engine_table_slot(catalog_slot, sizeof(catalog_slot) - 1);
		__atomic_store_n(&slot, s, __ATOMIC_RELAXED);
	}
	return cap_engine_slot_gen(e, s);
}

static uint64_t ns_min(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

uint64_t cap_sess_ttl(const cap_rt *rt, const cap_plan *p)
{
	return p->covered ? p->ttl_ns : ns_min(rt->conf.ttl_ns, p->ttl_ns);
}

void cap_sess_set_follow(const cap_rt *rt, cap_sess *s, uint64_t ident)
{
	if (ident && rt->conf.follow != CAP_FOLLOW_OFF)
		cap_follow_refresh(rt->conf.dir);
	if (s->follow_ident != ident)
		s->follow_gen = 0;
	s->follow_ident = ident;
}

/* follow_live - is a live follower covering s now? A few loads on the hit path; the session
 * looks its follower up again (a loop over at most CAP_FOLLOW_TABLE_MAX entries, no system
 * call) after each rescan of the directory. A process whose generation table is not the
 * directory's shared one sees none of the follower's bumps: never covered. */
static int follow_live(const cap_rt *rt, cap_sess *s)
{
	if (s->follow_ident == 0)
		return 0;
	uint32_t g = cap_follow_table_gen() + 1;
	if (CAP_UNLIKELY(s->follow_gen != g)) {
		s->follow_idx = cap_follow_find(s->follow_ident);
		s->follow_gen = g;
	}
	return s->follow_idx >= 0 && cap_follow_entry_live(s->follow_idx, s->follow_ident) &&
	       cap_engine_gen_shared(rt->engine);
}

static int reads_temp(const cap_sess *s, const cap_sql_info *info)
{
	for (uint16_t i = 0; i < info->nread; i++) {
		const cap_sql_name *nm = &info->read[i];
		for (uint32_t t = 0; t < s->ntemps; t++)
			if (cap_sess_name_eq(info->names + nm->name_off, nm->name_len, s->temps[t]))
				return 1;
	}
	return 0;
}

/* Which stats reason a set of classifier reasons maps to (the most telling one). */
static enum cap_reason reason_of(uint32_t r)
{
	if (r & (CAP_SQLR_LOCKING))
		return CAP_REASON_locking;
	if (r & CAP_SQLR_SYSCATALOG)
		return CAP_REASON_syscatalog;
	if (r & CAP_SQLR_MULTI)
		return CAP_REASON_multi;
	if (r & CAP_SQLR_TEMP)
		return CAP_REASON_temp;
	if (r & (CAP_SQLR_FUNCTION | CAP_SQLR_SEQUENCE | CAP_SQLR_LASTID | CAP_SQLR_VOLATILE_CLAUSE))
		return CAP_REASON_volatile;
	if (r & CAP_SQLR_SESSION_FN)
		return CAP_REASON_session;
	return CAP_REASON_uncacheable;
}

/* Resolve the functions a read calls: clears CAP_SQLR_FUNCTION when every one is immutable
 * (by the catalog) or declared safe (rules); flags may_write for volatile or unknown ones. */
static uint32_t check_funcs(const cap_sql_info *info, const cap_rules_verdict *v, int have_rules,
			    const cap_catalog_ops *ops, void *cat, int *may_write)
{
	uint32_t reasons = info->reasons;
	int all_ok = 1;
	for (uint16_t i = 0; i < info->nfunc; i++) {
		if (have_rules && !(v->unsafe_funcs & (1u << i)))
			continue; /* declared safe */
		const cap_sql_name *f = &info->func[i];
		enum cap_fn_class c = CAP_FN_VOLATILE;
		if (info->func_class[i] == CAP_FUNC_WRITES)
			*may_write = 1; /* reached through an operator, a view ...: see pq_catalog.h */
		if (info->func_class[i] == CAP_FUNC_UNKNOWN) {
			c = CAP_FN_UNKNOWN;
			if (ops && cat) {
				/* schema-qualified names are looked up by the bare name: the catalog
				 * answers for the least safe function of that name */
				c = ops->func_class(cat, info->names + f->name_off, f->name_len);
			}
			if (c == CAP_FN_VOLATILE || c == CAP_FN_UNKNOWN)
				*may_write = 1;
		}
		if (c != CAP_FN_IMMUTABLE)
			all_ok = 0;
	}
	if (all_ok)
		reasons &= ~(uint32_t)CAP_SQLR_FUNCTION;
	return reasons;
}

static int has_unknown_func(const cap_sql_info *info)
{
	for (uint16_t i = 0; i < info->nfunc; i++)
		if (info->func_class[i] == CAP_FUNC_UNKNOWN || info->func_class[i] == CAP_FUNC_WRITES)
			return 1;
	return 0;
}

static enum cap_sql_iso txn_level(const cap_sess *s)
{
	return s->txn_iso != CAP_ISO_NONE ? s->txn_iso : s->sess_iso;
}

/* May the statement about to run read uncommitted rows? PostgreSQL runs READ UNCOMMITTED as
 * READ COMMITTED; for MySQL an unknown level may be READ UNCOMMITTED (the strictest case). The
 * MySQL hook reports the level of an autocommit statement as txn_iso too. */
static int dirty_level(const cap_sess *s)
{
	enum cap_sql_iso iso = txn_level(s);
	return s->dialect == CAP_DIALECT_MYSQL &&
	       (iso == CAP_ISO_READ_UNCOMMITTED || iso == CAP_ISO_UNKNOWN);
}

static void plan(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, int in_txn,
		 const cap_catalog_ops *ops, void *cat, cap_plan *p);

void cap_sess_plan(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, int in_txn,
		   const cap_catalog_ops *ops, void *cat, cap_plan *p)
{
	plan(rt, s, info, in_txn, ops, cat, p);
	if (p->act == CAP_ACT_WRITE)
		cap_sess_mark(rt, s, info, p, ops, cat);
}

static void plan(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, int in_txn,
		 const cap_catalog_ops *ops, void *cat, cap_plan *p)
{
	p->act = CAP_ACT_PASS;
	p->can_hit = p->can_fill = 0;
	p->is_read = 0;
	p->fn_may_write = 0;
	p->safe_funcs = 0;
	p->reason = CAP_REASON_none;
	p->followed = p->covered = 0;
	p->ttl_ns = 0;
	p->deps.n = 0;
	s->plan_in_txn = in_txn;
	s->covered = 0;
	if (!rt->invalidating) {
		p->reason = CAP_REASON_disabled;
		p->is_read = info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE;
		return;
	}
	/* a view whose definition calls a function that may write writes when read */
	int reads_write = info->nread && cat && ops && ops->reads_may_write &&
			  ops->reads_may_write(cat, info);
	if (reads_write && info->kind != CAP_SQL_TXN && info->kind != CAP_SQL_EMPTY) {
		p->act = CAP_ACT_WRITE;
		p->fn_may_write = 1;
		p->is_read = info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE;
		p->reason = CAP_REASON_volatile;
		return;
	}
	switch (info->kind) {
	case CAP_SQL_WRITE:
	case CAP_SQL_DDL:
	case CAP_SQL_OTHER:
		p->act = CAP_ACT_WRITE;
		/* UPDATE t SET x = f(x) writes what f writes: a function that is not immutable
		 * (or declared safe) makes the write one of the whole database */
		if (info->nfunc || (info->reasons & CAP_SQLR_FUNCTION)) {
			cap_rules_verdict wv = { 0, 0, 0xffffffffu };
			if (rt->rules)
				cap_rules_apply(rt->rules, s->dialect, info, &wv);
			(void)check_funcs(info, &wv, rt->rules != NULL, ops, cat, &p->fn_may_write);
		}
		return;
	case CAP_SQL_TXN:
		/* COMMIT PREPARED / ROLLBACK PREPARED end a transaction whose writes we never saw */
		if (info->txn == CAP_TXN_2PC_END || info->txn == CAP_TXN_OTHER)
			p->act = CAP_ACT_WRITE;
		return;
	case CAP_SQL_SESSION:
		if (s->dialect == CAP_DIALECT_PG)
			return; /* PostgreSQL's SET takes no expressions: f() there is an error */
		/* fall through */
	case CAP_SQL_UTILITY:
		/* EXPLAIN ANALYZE f(), DECLARE ... f(), MySQL SET @x = f(): a function we do not
		 * know may write */
		if ((info->reasons & CAP_SQLR_FUNCTION) && has_unknown_func(info))
			p->act = CAP_ACT_WRITE;
		return;
	case CAP_SQL_READ:
	case CAP_SQL_READ_NOCACHE:
		break;
	default:
		return; /* transaction control, session, utility, empty: nothing to cache */
	}
	p->is_read = 1;

	cap_rules_verdict v = { 0, 0, 0xffffffffu };
	if (rt->rules)
		cap_rules_apply(rt->rules, s->dialect, info, &v);
	p->safe_funcs = rt->rules ? ~v.unsafe_funcs : 0;
	uint32_t reasons = info->reasons;
	if (reasons & CAP_SQLR_FUNCTION)
		reasons = check_funcs(info, &v, rt->rules != NULL, ops, cat, &p->fn_may_write);
	if (p->fn_may_write)
		p->act = CAP_ACT_WRITE; /* a volatile function may write anything: bump after */
	if (reasons) {
		p->reason = reason_of(reasons);
		return;
	}
	if (v.never) {
		p->reason = CAP_REASON_rule;
		return;
	}
	if (s->ntemps && reads_temp(s, info)) {
		p->reason = CAP_REASON_temp;
		return;
	}
	if (!rt->caching) {
		p->reason = CAP_REASON_disabled;
		return;
	}
	/* scope_unsure: entries would depend on a database scope nobody else bumps */
	if (s->disabled || s->scope_unsure) {
		p->reason = CAP_REASON_session;
		return;
	}
	if (cat == NULL || ops == NULL) {
		p->reason = CAP_REASON_catalog;
		return;
	}
	int hit = 1, fill = 1;
	if (in_txn == 2) {
		p->reason = CAP_REASON_txn;
		return;
	}
	if (in_txn) {
		enum cap_sql_iso iso = txn_level(s);
		/* the transaction's first query takes its snapshot (REPEATABLE READ, SERIALIZABLE)
		 * now: what it reads is the latest committed data, as outside a transaction, so it
		 * may be stored; served, it would not take that snapshot, and the transaction's
		 * later reads would see a newer one */
		int first = !s->txn_snap;
		if (s->txn_tainted) {
			hit = fill = 0;
		} else if (iso == CAP_ISO_READ_COMMITTED) {
			/* every statement sees the latest committed data: as outside a transaction */
		} else if (rt->conf.txn == CAP_TXN_READ_COMMITTED && iso != CAP_ISO_READ_UNCOMMITTED) {
			fill = first; /* a later snapshot may be older than the generations */
		} else {
			hit = 0;
			fill = first;
		}
		if (!fill && !hit) {
			p->reason = CAP_REASON_txn;
			return;
		}
	}
	if (fill && dirty_level(s)) {
		/* a read at READ UNCOMMITTED may see rows that are never committed: it may be
		 * served committed data, but what it read must never be served to anyone */
		fill = 0;
		p->reason = CAP_REASON_txn;
		if (!hit)
			return;
	}
	if (rt->conf.follow != CAP_FOLLOW_OFF) {
		/* a read of what the change stream never carries is not covered, live or not */
		p->followed = follow_live(rt, s) &&
			      !(ops->reads_uncoverable && ops->reads_uncoverable(cat, info));
		if (!p->followed && rt->conf.follow == CAP_FOLLOW_REQUIRE) {
			/* to the server, uncached; it may find the follower for the next one */
			cap_follow_refresh(rt->conf.dir);
			p->reason = CAP_REASON_follow;
			return;
		}
		p->covered = s->covered = p->followed && rt->conf.ttl_ns != 0;
	}
	/* what the server writes on its own schedule only a follower's stream shows */
	if (!p->followed && ops->reads_server_written && ops->reads_server_written(cat, info)) {
		p->reason = CAP_REASON_follow;
		return;
	}
	p->act = CAP_ACT_CACHE;
	p->can_hit = hit;
	p->can_fill = fill;
	p->ttl_ns = v.ttl_ns;
	if (!s->lazy_deps)
		cap_sess_deps(rt, s, info, ops, cat, p);
}

void cap_sess_deps(const cap_rt *rt, const cap_sess *s, const cap_sql_info *info,
		   const cap_catalog_ops *ops, void *cat, cap_plan *p)
{
	if (!p->can_fill)
		return;
	if (rt->conf.follow != CAP_FOLLOW_OFF)
		cap_follow_refresh(rt->conf.dir); /* a miss: a new follower may be there */
	enum cap_reason why = CAP_REASON_catalog;
	cap_engine_deps_begin(rt->engine, &p->deps, s->scope);
	if (s->cluster_len &&
	    cap_engine_deps_table(rt->engine, &p->deps, s->cluster, s->cluster_len) != CAP_OK) {
		p->can_fill = 0;
		p->reason = CAP_REASON_uncacheable;
		return;
	}
	/* An entry for a relation that may not be cached can only exist from before the
	 * catalog change that made it so, and every DDL bumps the database: hits stay safe. */
	if (cat == NULL || ops == NULL ||
	    ops->read_deps(cat, rt->engine, info, &p->deps, &why) != CAP_OK) {
		p->can_fill = 0;
		p->reason = why;
	}
}

/*
 * session.c - the client-neutral decisions of session.h.
 *
 * Everything here runs on the calling thread with one connection's state, which the client
 * libraries already require to be used by one thread at a time, so no locking is needed.
 * The plan for a cacheable read with no functions, no rules and no open transaction is a
 * handful of branches: it is on the hit path.
 */
#include "hooks/session.h"
#include "hooks/session_my.h"
#include "cache/cap.h"
#include "cache/follow.h"
#include "cache/log.h"
#include "cache/rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char catalog_slot[] = CAP_CATALOG_SLOT_NAME;

static __thread cap_sql_info tls_info __attribute__((tls_model("initial-exec")));

cap_sql_info *cap_sess_info(void)
{
	return &tls_info;
}

static void update_fp(cap_sess *s)
{
	uint64_t v[2] = { s->params_hash, s->fp_sets };
	s->fp = cap_hash64(v, sizeof(v), 0xf1);
}

void cap_sess_set_db(cap_sess *s, const char *db, size_t n)
{
	unsigned char buf[8 + 256];
	size_t m = n < 256 ? n : 256;
	memcpy(buf, &s->ident_base, 8);
	if (m)
		memcpy(buf + 8, db, m);
	s->ident = cap_hash128(buf, 8 + m);
	if (n > 256)
		s->ident.lo ^= cap_hash64(db, n, 1);
	/* Database epochs are scoped by the database name alone: a server reached under two
	 * names (socket and TCP) still shares one epoch; another server's database of the same
	 * name is only over-invalidated. */
	s->scope = cap_hash64(db, n, 0x5eed);
}

void cap_sess_init(cap_sess *s, enum cap_dialect d, const void *ident, size_t ident_len,
		   const char *db, size_t db_len)
{
	memset(s, 0, sizeof(*s));
	s->dialect = d;
	s->sess_iso = CAP_ISO_UNKNOWN;
	s->ident_base = cap_hash64(ident, ident_len, (uint64_t)d + 1);
	cap_sess_set_db(s, db ? db : "", db ? db_len : 0);
	update_fp(s);
}

static void free_names(char **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cap_sess_free(cap_sess *s)
{
	free_names(s->wset, s->nwset);
	free_names(s->temps, s->ntemps);
	s->wset = s->temps = NULL;
	s->nwset = s->capwset = s->ntemps = s->captemps = 0;
}

void cap_sess_set_params(cap_sess *s, uint64_t params_hash)
{
	s->params_hash = params_hash;
	update_fp(s);
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

static int name_eq_fold(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);
	if (an != bn)
		return 0;
	for (size_t i = 0; i < an; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

static int reads_temp(const cap_sess *s, const cap_sql_info *info)
{
	for (uint16_t i = 0; i < info->nread; i++) {
		const cap_sql_name *nm = &info->read[i];
		for (uint32_t t = 0; t < s->ntemps; t++)
			if (name_eq_fold(info->names + nm->name_off, nm->name_len, s->temps[t]))
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
	if (s->cluster_len && cap_engine_deps_table(rt->engine, &p->deps, s->cluster, s->cluster_len) != CAP_OK) {
		p->can_fill = 0;
		p->reason = CAP_REASON_uncacheable;
		return;
	}
	/* An entry for a relation that may not be cached can only exist from before the
	 * catalog change that made it so, and every DDL bumps the database: hits stay safe. */
	if (cat == NULL || ops == NULL || ops->read_deps(cat, rt->engine, info, &p->deps, &why) != CAP_OK) {
		p->can_fill = 0;
		p->reason = why;
	}
}

void cap_sess_key(const cap_sess *s, cap_keymat *km)
{
	unsigned char pre[16 + 8 + 1];
	memcpy(pre, &s->ident, 16);
	memcpy(pre + 16, &s->fp, 8);
	pre[24] = (unsigned char)(s->dialect | (s->covered ? 0x80 : 0));
	cap_keymat_add(km, pre, sizeof(pre));
}

static int add_name(char ***v, uint32_t *n, uint32_t *cap, const char *name, size_t len)
{
	for (uint32_t i = 0; i < *n; i++)
		if (name_eq_fold(name, len, (*v)[i]))
			return CAP_OK;
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, nc * sizeof(char *));
		if (nv == NULL)
			return CAP_ENOMEM;
		*v = nv;
		*cap = nc;
	}
	char *c = malloc(len + 1);
	if (c == NULL)
		return CAP_ENOMEM;
	memcpy(c, name, len);
	c[len] = '\0';
	(*v)[(*n)++] = c;
	return CAP_OK;
}

void cap_sess_bump_db(const cap_rt *rt, const cap_sess *s)
{
	if (s->scope_unsure)
		cap_engine_bump_all(rt->engine);
	else
		cap_engine_bump_db(rt->engine, s->scope);
}

void cap_sess_bump_cluster(const cap_rt *rt, const cap_sess *s)
{
	if (s->cluster_len)
		cap_engine_bump_table(rt->engine, s->cluster, s->cluster_len);
	else
		cap_sess_bump_db(rt, s); /* no server slot: the database scope is the widest known */
}

static void bump_db(const cap_rt *rt, cap_sess *s)
{
	cap_sess_bump_db(rt, s);
}

/* Does a write touch a system catalog (UPDATE pg_settings is a SET) or tables the classifier
 * could not name? */
static int writes_unknowable(const cap_sql_info *info)
{
	if (info->kind != CAP_SQL_WRITE)
		return 0;
	if (info->nwrite == 0)
		return 1;
	for (uint16_t i = 0; i < info->nwrite; i++) {
		const cap_sql_name *w = &info->write[i];
		const char *n = info->names + w->name_off;
		if ((w->name_len >= 3 && (n[0] | 0x20) == 'p' && (n[1] | 0x20) == 'g' && n[2] == '_') ||
		    (w->schema_len && name_eq_fold(info->names + w->schema_off, w->schema_len,
						   "pg_catalog")))
			return 1;
	}
	return 0;
}

/* Bump everything a successful write may have changed; remember it for the transaction. */
static void bump_write(const cap_rt *rt, cap_sess *s, const cap_sql_info *info,
		       const cap_plan *p, const cap_catalog_ops *ops, void *cat, int in_txn)
{
	int whole_db = p->fn_may_write || info->kind == CAP_SQL_OTHER || info->nwrite == 0 ||
		       cat == NULL || ops == NULL || (info->reasons & CAP_SQLR_TOO_COMPLEX) ||
		       (s->dialect == CAP_DIALECT_PG && writes_unknowable(info));
	if (info->kind == CAP_SQL_DDL || info->kind == CAP_SQL_OTHER ||
	    (info->flags & CAP_SQLF_CATALOG_CHANGE)) {
		/* DDL changes what every catalog knows: the database, and each process's catalog;
		 * so may what we cannot see into (DO, CALL, an unknown statement: EXECUTE 'CREATE
		 * TRIGGER ...'). Inside a transaction it takes effect at COMMIT: a catalog loaded
		 * before then is out of date again, so end_txn bumps once more. */
		whole_db = 1;
		cap_engine_bump_table(rt->engine, catalog_slot, sizeof(catalog_slot) - 1);
		if (in_txn)
			s->txn_ddl = 1;
	}
	/* roles, memberships and databases are the server's; code we cannot see may change
	 * them too (a DO block that runs REVOKE) */
	if ((info->flags & CAP_SQLF_CLUSTER) || p->fn_may_write || info->kind == CAP_SQL_OTHER) {
		cap_sess_bump_cluster(rt, s);
		if (in_txn)
			s->wset_cluster = 1;
	}
	if (whole_db) {
		bump_db(rt, s);
		if (in_txn)
			s->wset_db = 1;
		return;
	}
	ops->write_bump(cat, rt->engine, s->scope, info);
	if (!in_txn)
		return;
	for (uint16_t i = 0; i < info->nwrite && !s->wset_db; i++) {
		const cap_sql_name *w = &info->write[i];
		char buf[CAP_SQL_NAMES_MAX + 2];
		size_t n = 0;
		if (w->schema_len) {
			memcpy(buf, info->names + w->schema_off, w->schema_len);
			n = w->schema_len;
			buf[n++] = '.';
		}
		memcpy(buf + n, info->names + w->name_off, w->name_len);
		n += w->name_len;
		if (add_name(&s->wset, &s->nwset, &s->capwset, buf, n) != CAP_OK)
			s->wset_db = 1;
	}
}

void cap_sess_bump(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, const cap_plan *p,
		   const cap_catalog_ops *ops, void *cat)
{
	if (rt->invalidating && p->act == CAP_ACT_WRITE)
		bump_write(rt, s, info, p, ops, cat, 0);
}

void cap_sess_server(const cap_sess *s, uint64_t server[2])
{
	server[0] = s->ident_base;
	server[1] = s->cluster_len ? cap_hash64(s->cluster, s->cluster_len, 0x5e) : 0;
	/* the cluster's identifiers are a copy's too, and an address may be reused: with the
	 * running server known, both halves name it (unknown, they stay as they were) */
	if (s->instance) {
		server[0] = cap_hash64(&s->instance, sizeof(s->instance), server[0]) | 1;
		if (server[1])
			server[1] = cap_hash64(&s->instance, sizeof(s->instance), server[1]) | 1;
	}
}

void cap_sess_set_instance(cap_sess *s, uint64_t instance)
{
	s->instance = instance;
}

/* mark_set - name set in the connection's marker, then bump it: the write is sent next. A
 * reader that filled before the marker was complete is made stale by this bump; one that fills
 * while it is there stores nothing it names. */
static void mark_set(const cap_rt *rt, cap_sess *s, const cap_slotset *set)
{
	uint64_t server[2];
	cap_sess_server(s, server);
	cap_engine_mark(rt->engine, &s->mark, set, server, s->srv_session);
	cap_engine_bump_slots(rt->engine, set);
}

/* A write about to be sent: the bumps cap_sess_after will make, collected (bump_write outside
 * a transaction only bumps, it records nothing). */
void cap_sess_mark(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, const cap_plan *p,
		   const cap_catalog_ops *ops, void *cat)
{
	if (!rt->invalidating || p->act != CAP_ACT_WRITE)
		return;
	cap_slotset set = { 0, 0, { 0 } };
	cap_engine_collect(&set);
	bump_write(rt, s, info, p, ops, cat, 0);
	cap_engine_collect(NULL);
	mark_set(rt, s, &set);
}

void cap_sess_mark_db(const cap_rt *rt, cap_sess *s)
{
	if (!rt->invalidating)
		return;
	cap_slotset set = { 0, 0, { 0 } };
	cap_engine_collect(&set);
	cap_sess_bump_db(rt, s);
	cap_sess_bump_cluster(rt, s);
	cap_engine_collect(NULL);
	mark_set(rt, s, &set);
}

void cap_sess_mark_db_only(const cap_rt *rt, cap_sess *s)
{
	if (!rt->invalidating)
		return;
	cap_slotset set = { 0, 0, { 0 } };
	cap_engine_collect(&set);
	cap_sess_bump_db(rt, s);
	cap_engine_collect(NULL);
	mark_set(rt, s, &set);
}

void cap_sess_unmark(const cap_rt *rt, cap_sess *s)
{
	if (s->mark.idx && rt->engine)
		cap_engine_unmark(rt->engine, &s->mark);
	s->mark.idx = 0;
}

void cap_sess_abandon(const cap_rt *rt, cap_sess *s)
{
	if (s->mark.idx == 0 || rt->engine == NULL)
		return;
	cap_sess_bump_db(rt, s);
	cap_sess_bump_cluster(rt, s);
	cap_engine_abandon(rt->engine, &s->mark);
}

/* The transaction ended: bump again everything it wrote (readers may have cached the
 * pre-commit state between the write and the commit). */
static void end_txn(const cap_rt *rt, cap_sess *s, const cap_catalog_ops *ops, void *cat)
{
	if (s->txn_ddl) {
		cap_engine_bump_table(rt->engine, catalog_slot, sizeof(catalog_slot) - 1);
		s->txn_ddl = 0;
		s->wset_db = 1;
	}
	if (s->wset_cluster)
		cap_sess_bump_cluster(rt, s);
	s->wset_cluster = 0;
	if (s->wset_db || (s->nwset && (cat == NULL || ops == NULL))) {
		bump_db(rt, s);
	} else if (s->nwset) {
		cap_sql_info *tmp = malloc(sizeof(*tmp));
		if (tmp == NULL) {
			bump_db(rt, s);
		} else {
			/* replay the write set through the catalog, a batch of names at a time */
			uint32_t i = 0;
			while (i < s->nwset) {
				tmp->nwrite = 0;
				tmp->names_len = 0;
				while (i < s->nwset && tmp->nwrite < CAP_SQL_MAX_TABLES) {
					const char *nm = s->wset[i];
					size_t len = strlen(nm);
					if (tmp->names_len + len > CAP_SQL_NAMES_MAX)
						break;
					const char *dot = memchr(nm, '.', len);
					cap_sql_name *w = &tmp->write[tmp->nwrite++];
					memcpy(tmp->names + tmp->names_len, nm, len);
					if (dot) {
						w->schema_off = tmp->names_len;
						w->schema_len = (uint16_t)(dot - nm);
						w->name_off = (uint16_t)(tmp->names_len + (dot - nm) + 1);
						w->name_len = (uint16_t)(len - (size_t)(dot - nm) - 1);
					} else {
						w->schema_off = w->schema_len = 0;
						w->name_off = tmp->names_len;
						w->name_len = (uint16_t)len;
					}
					tmp->names_len = (uint16_t)(tmp->names_len + len);
					i++;
				}
				if (tmp->nwrite == 0) { /* a name too long for the buffer */
					bump_db(rt, s);
					break;
				}
				tmp->kind = CAP_SQL_WRITE;
				ops->write_bump(cat, rt->engine, s->scope, tmp);
			}
			free(tmp);
		}
	}
	free_names(s->wset, s->nwset);
	s->wset = NULL;
	s->nwset = s->capwset = 0;
	s->wset_db = 0;
	s->txn_tainted = 0;
	s->txn_iso = CAP_ISO_NONE;
	s->txn_snap = 0;
}

/* May the statement have taken the open transaction's snapshot? Not BEGIN (InnoDB and
 * PostgreSQL take it at the first query; WITH CONSISTENT SNAPSHOT at once), SET TRANSACTION
 * (unless it imports a snapshot) or a SET that reads nothing; anything else may. */
static int takes_snapshot(const cap_sql_info *info)
{
	if ((info->flags & CAP_SQLF_SNAPSHOT) || info->nstmts > 1 ||
	    (info->reasons & CAP_SQLR_MULTI))
		return 1; /* "BEGIN; SELECT ..." is a BEGIN whose second statement took it */
	switch (info->kind) {
	case CAP_SQL_EMPTY:
		return 0;
	case CAP_SQL_TXN:
		return info->txn != CAP_TXN_BEGIN && info->txn != CAP_TXN_SET;
	case CAP_SQL_SESSION:
		return info->nread || info->nfunc || (info->reasons & CAP_SQLR_FUNCTION);
	default:
		return 1;
	}
}

static int mentions_isolation(const char *sql, size_t len)
{
	static const char word[] = "isolation";
	for (size_t i = 0; i + sizeof(word) - 1 <= len; i++)
		if (name_eq_fold(sql + i, sizeof(word) - 1, word))
			return 1;
	return 0;
}

static void fold_session(cap_sess *s, const char *sql, size_t len)
{
	uint64_t h = cap_hash64(sql, len, s->fp_sets ^ 0x5e55);
	s->fp_sets = h ? h : 1;
	update_fp(s);
}

/* A session change whose outcome is not a function of its text (it failed, may be rolled
 * back, or ran code we cannot see): give the connection a fingerprint no other connection
 * can have, so it shares no entry with anyone from now on. */
static void fold_unique(cap_sess *s)
{
	struct {
		uint64_t prev, ctr, ns;
		const void *self;
		long pid;
	} u = { s->fp_sets, ++s->nonce_ctr, cap_precise_ns(), s, (long)getpid() };
	static uint64_t salt;
	if (salt == 0)
		__atomic_store_n(&salt, cap_random64(), __ATOMIC_RELAXED);
	s->fp_sets = cap_hash64(&u, sizeof(u), salt) | 1;
	update_fp(s);
}

void cap_sess_set_identity(cap_sess *s, const void *server, size_t server_len, const void *db,
			   size_t db_len)
{
	uint64_t v[3];
	v[0] = s->ident_base;
	v[1] = cap_hash64(server, server_len, 0xc1);
	v[2] = cap_hash64(db, db_len, v[1]);
	s->ident = cap_hash128(v, sizeof(v));
	s->scope = cap_hash64(v + 1, 2 * sizeof(uint64_t), 0x5eed);
	int n = snprintf(s->cluster, sizeof(s->cluster), "\001cluster:%016llx",
			 (unsigned long long)v[1]);
	s->cluster_len = n > 0 && (size_t)n < sizeof(s->cluster) ? (uint32_t)n : 0;
	s->scope_unsure = 0;
}

void cap_sess_unknown(cap_sess *s, int txn_too)
{
	fold_unique(s);
	s->probe_need = 1;
	s->sess_iso = CAP_ISO_UNKNOWN;
	s->sess_iso_known = 1;
	if (txn_too)
		s->txn_iso = CAP_ISO_UNKNOWN;
}

void cap_sess_probed(cap_sess *s, uint64_t state, enum cap_sql_iso iso)
{
	s->fp_sets = state | 1;
	update_fp(s);
	s->sess_iso = iso;
	s->sess_iso_known = 1;
	s->probe_need = 0;
}

/* Does the statement call a function of the database (not a built-in the classifier knows)
 * that is not immutable? Such code may have changed the session (set_config in a STABLE
 * function, SET in a procedure). */
static int calls_user_code(const cap_sql_info *info, const cap_plan *p,
			   const cap_catalog_ops *ops, void *cat)
{
	for (uint16_t i = 0; i < info->nfunc; i++) {
		if (info->func_class[i] != CAP_FUNC_UNKNOWN || (i < 32 && (p->safe_funcs >> i & 1)))
			continue;
		const cap_sql_name *f = &info->func[i];
		if (ops == NULL || cat == NULL ||
		    ops->func_class(cat, info->names + f->name_off, f->name_len) != CAP_FN_IMMUTABLE)
			return 1;
	}
	return 0;
}

/* The session side of a finished statement when the hook reads the state back: what the
 * text proves is folded; anything else leaves the state unknown until it is read. PostgreSQL
 * semantics: a SET inside a transaction block lasts only if it commits (SET LOCAL and
 * set_config(..., true) not even then), and the transaction's isolation level is fixed when
 * it starts (SET TRANSACTION, or transaction_isolation before its first query, change it). */
static void after_probed(cap_sess *s, const cap_sql_info *info, const cap_plan *p,
			 const char *sql, size_t len, int ok, int was_in_txn, int in_txn,
			 const cap_catalog_ops *ops, void *cat)
{
	int any_txn = was_in_txn || in_txn;
	int code = p->fn_may_write || info->kind == CAP_SQL_OTHER ||
		   (info->reasons & CAP_SQLR_SESSION_FN) || calls_user_code(info, p, ops, cat) ||
		   writes_unknowable(info);
	int changes = code || info->kind == CAP_SQL_SESSION || (info->flags & CAP_SQLF_SESSION) ||
		      (info->iso != CAP_ISO_NONE && info->iso_scope == CAP_ISO_SCOPE_SESSION);
	if (changes) {
		int named_iso = info->iso != CAP_ISO_NONE && info->iso != CAP_ISO_UNKNOWN &&
				info->iso_scope == CAP_ISO_SCOPE_SESSION;
		int provable = ok && !any_txn && !code && info->kind == CAP_SQL_SESSION &&
			       info->nstmts == 1 && !(info->reasons & CAP_SQLR_MULTI) &&
			       !(info->flags & (CAP_SQLF_RESET_ALL | CAP_SQLF_SET_LOCAL)) &&
			       (info->iso == CAP_ISO_NONE ? !mentions_isolation(sql, len) : named_iso);
		if (provable) {
			fold_session(s, sql, len); /* took effect, for good: its text says it */
			if (named_iso)
				s->sess_iso = info->iso;
		} else {
			/* the open transaction's own level moves only by code or by naming it */
			cap_sess_unknown(s, any_txn && (code || mentions_isolation(sql, len)));
		}
		/* the transaction ran something other than a plain read (DESIGN.md contract
		 * point 2), and what it changed may revert at ROLLBACK TO SAVEPOINT, COMMIT or
		 * ROLLBACK (SET LOCAL, set_config(..., true)) under a key that stays: nothing of
		 * this transaction is served or cached from here on */
		if (any_txn)
			s->txn_tainted = 1;
	}
	if (info->iso != CAP_ISO_NONE && info->iso_scope == CAP_ISO_SCOPE_TXN && in_txn)
		s->txn_iso = ok && info->nstmts == 1 ? info->iso : CAP_ISO_UNKNOWN;
	if (!was_in_txn && in_txn && s->txn_iso == CAP_ISO_NONE)
		s->txn_iso = s->sess_iso; /* later changes of the default do not move it */
}

/* The session side of a finished statement when the state is not read back after it (or, for
 * MySQL, is read back only before the next cacheable read): what the text proves is folded
 * into the fingerprint, anything else gives the connection a fingerprint no one shares. */
static void after_text(cap_sess *s, const cap_sql_info *info, const cap_plan *p, const char *sql,
		       size_t len, int ok, int was_in_txn, int in_txn)
{
	int changes = info->kind == CAP_SQL_SESSION || (info->reasons & CAP_SQLR_SESSION_FN) ||
		      p->fn_may_write || info->kind == CAP_SQL_OTHER;
	if (changes && (info->reasons & CAP_SQLR_SESSION_FN) && (was_in_txn || in_txn))
		s->txn_tainted = 1; /* set_config(..., true) reverts at the end */
	if (changes) {
		if ((info->flags & CAP_SQLF_RESET_ALL) && ok && !was_in_txn && !in_txn) {
			s->fp_sets = 0;
			update_fp(s);
			s->sess_iso = CAP_ISO_UNKNOWN;
			s->sess_iso_known = 0;
		} else if (ok && !was_in_txn && !in_txn && info->kind == CAP_SQL_SESSION &&
			   !(info->reasons & CAP_SQLR_MULTI)) {
			fold_session(s, sql, len); /* took effect, for good: its text says it */
		} else {
			fold_unique(s);
		}
	}
	if ((info->kind == CAP_SQL_SESSION && info->iso == CAP_ISO_NONE &&
	     mentions_isolation(sql, len)) ||
	    ((info->reasons & CAP_SQLR_SESSION_FN) && mentions_isolation(sql, len)) ||
	    p->fn_may_write || info->kind == CAP_SQL_OTHER) {
		/* set_config('default_transaction_isolation', ...), a RESET we could not
		 * read, or code we cannot see (a volatile user function, DO, CALL) may have
		 * changed the level: it is unknown now, the strictest case */
		s->sess_iso = CAP_ISO_UNKNOWN;
		s->sess_iso_known = 1;
		if (was_in_txn || in_txn)
			s->txn_iso = CAP_ISO_UNKNOWN;
	}
	if (info->iso != CAP_ISO_NONE && ok) {
		switch (info->iso_scope) {
		case CAP_ISO_SCOPE_SESSION:
			s->sess_iso = info->iso;
			/* RESET ALL / DISCARD ALL go back to the server's default, which the
			 * hook knows (0 asks it to apply it again); any other level we could
			 * not read stays unknown, the strictest case */
			s->sess_iso_known = !(info->flags & CAP_SQLF_RESET_ALL);
			break;
		case CAP_ISO_SCOPE_NEXT: break; /* MySQL: cap_sess_stmt_end */
		case CAP_ISO_SCOPE_TXN: s->txn_iso = info->iso; break;
		default: s->sess_iso = CAP_ISO_UNKNOWN; break;
		}
	}
}

void cap_sess_after(const cap_rt *rt, cap_sess *s, const cap_sql_info *info, const cap_plan *p,
		    const char *sql, size_t len, int ok, int in_txn, const cap_catalog_ops *ops,
		    void *cat)
{
	int was_in_txn = s->plan_in_txn;
	if (!rt->invalidating)
		return;
	/* A write is bumped even when the server reported an error: a multi-statement string may
	 * have committed part of its work before the failing part, and over-invalidating is safe. */
	(void)ok;
	if (p->act == CAP_ACT_WRITE)
		bump_write(rt, s, info, p, ops, cat, was_in_txn || in_txn);
	if (p->act == CAP_ACT_WRITE && (was_in_txn || in_txn))
		s->txn_tainted = 1;

	/* Session changes are folded even when the statement failed: a multi-statement string
	 * may have applied its SET before a later part failed, and folding only separates. */
	if (s->probe && s->dialect != CAP_DIALECT_MYSQL)
		after_probed(s, info, p, sql, len, ok, was_in_txn, in_txn, ops, cat);
	else if (!(s->dialect == CAP_DIALECT_MYSQL && cap_sess_my_only_autocommit(info, sql, len)))
		after_text(s, info, p, sql, len, ok, was_in_txn, in_txn);
	if (s->probe && s->dialect == CAP_DIALECT_MYSQL && cap_sess_my_needs_probe(info, p, sql, len))
		s->probe_need = 1; /* read the settings again before the next cacheable read */
	if ((info->flags & CAP_SQLF_TEMP) && info->nwrite) {
		for (uint16_t i = 0; i < info->nwrite; i++)
			if (add_name(&s->temps, &s->ntemps, &s->captemps,
				     info->names + info->write[i].name_off,
				     info->write[i].name_len) != CAP_OK)
				s->disabled = 1;
	}
	if (ok && (info->flags & CAP_SQLF_USE_DB) && info->db.name_len)
		cap_sess_set_db(s, info->names + info->db.name_off, info->db.name_len);
	if (!in_txn && (was_in_txn || s->nwset || s->wset_db || s->wset_cluster ||
			s->txn_tainted || s->txn_iso != CAP_ISO_NONE)) {
		end_txn(rt, s, ops, cat);
	} else if (in_txn && info->kind == CAP_SQL_TXN &&
		   (((info->flags & CAP_SQLF_CHAIN) &&
		     (info->txn == CAP_TXN_COMMIT || info->txn == CAP_TXN_ROLLBACK)) ||
		    (s->dialect == CAP_DIALECT_MYSQL && info->txn == CAP_TXN_BEGIN && was_in_txn))) {
		/* MySQL's BEGIN / START TRANSACTION inside a transaction commits it first (an
		 * implicit commit): the old one ended, as with COMMIT AND CHAIN */
		/* COMMIT AND CHAIN: the old transaction ended, a new one of the same level began */
		enum cap_sql_iso iso = s->txn_iso;
		end_txn(rt, s, ops, cat);
		s->txn_iso = iso;
	}
	if (in_txn && takes_snapshot(info))
		s->txn_snap = 1;
	/* bumped after; a transaction's writes are bumped when it ends (end_txn) */
	if (!in_txn && s->mark.idx && !s->mark_keep)
		cap_sess_unmark(rt, s);
}

void cap_sess_ended(const cap_rt *rt, cap_sess *s)
{
	/* COM_CHANGE_USER and COM_RESET_CONNECTION roll the transaction back before they answer:
	 * nothing of it can commit later, so its marker is cleared (after a bump, to be safe)
	 * instead of left for a resolver, which would find the server session alive and wait as
	 * long as the connection lives */
	if (s->nwset || s->wset_db || s->txn_tainted || s->mark.idx)
		cap_sess_bump_db(rt, s);
	cap_sess_unmark(rt, s);
	cap_sess_free(s);
}

void cap_sess_lost(const cap_rt *rt, cap_sess *s)
{
	if (s->nwset || s->wset_db || s->txn_tainted)
		cap_sess_bump_db(rt, s);
	cap_sess_abandon(rt, s);
	cap_sess_free(s);
}

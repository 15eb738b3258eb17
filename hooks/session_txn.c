/*
 * session_txn.c - transactions and writes (session.h): what a write bumps, the write set an
 * open transaction bumps again when it ends (readers may have cached the pre-commit state
 * between the write and the commit), the marker that names a write from before it is sent
 * until its bumps (cache/engine.h: a writer that dies in between leaves no stale entry), and
 * cap_sess_after, which accounts a finished statement: bumps, the transaction's state,
 * temporary tables, the session side (session.c). Apart from the plan (session_plan.c)
 * because this is the write path: it may allocate and touch the shared table, which the plan
 * of a plain read never does.
 *
 * One connection's state, on the thread that uses it: no locking.
 */
#include "hooks/session.h"
#include "hooks/session_int.h"
#include "hooks/session_my.h"
#include "cache/cap.h"

static const char catalog_slot[] = CAP_CATALOG_SLOT_NAME;

/* add_name - add name[0..len) to the list *v (*n names, room for *cap) unless it is there
 * (ASCII-case-insensitively); CAP_OK, or CAP_ENOMEM. */
static int add_name(char ***v, uint32_t *n, uint32_t *cap, const char *name, size_t len)
{
	for (uint32_t i = 0; i < *n; i++)
		if (cap_sess_name_eq(name, len, (*v)[i]))
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

/* Bump everything a successful write may have changed; remember it for the transaction. */
static void bump_write(const cap_rt *rt, cap_sess *s, const cap_sql_info *info,
		       const cap_plan *p, const cap_catalog_ops *ops, void *cat, int in_txn)
{
	int whole_db = p->fn_may_write || info->kind == CAP_SQL_OTHER || info->nwrite == 0 ||
		       cat == NULL || ops == NULL || (info->reasons & CAP_SQLR_TOO_COMPLEX) ||
		       (s->dialect == CAP_DIALECT_PG && cap_sess_writes_unknowable(info));
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
		cap_sess_bump_db(rt, s);
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
		cap_sess_bump_db(rt, s);
	} else if (s->nwset) {
		cap_sql_info *tmp = malloc(sizeof(*tmp));
		if (tmp == NULL) {
			cap_sess_bump_db(rt, s);
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
					cap_sess_bump_db(rt, s);
					break;
				}
				tmp->kind = CAP_SQL_WRITE;
				ops->write_bump(cat, rt->engine, s->scope, tmp);
			}
			free(tmp);
		}
	}
	cap_sess_free_names(s->wset, s->nwset);
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
		cap_sess_after_probed(s, info, p, sql, len, ok, was_in_txn, in_txn, ops, cat);
	else if (!(s->dialect == CAP_DIALECT_MYSQL && cap_sess_my_only_autocommit(info, sql, len)))
		cap_sess_after_text(s, info, p, sql, len, ok, was_in_txn, in_txn);
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

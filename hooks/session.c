/*
 * session.c - a connection's session state as the cache keys it (session.h): the
 * identity (server, user, database) that starts every key and sets the database's epoch
 * scope, and the fingerprint of everything that changes results (settings, roles, the search
 * path). A statement's text can prove some session changes (a plain SET outside a
 * transaction that succeeded): those are folded into the fingerprint, so connections that
 * made the same changes share entries. Anything else either asks the hook to read the state
 * back (s->probe) or gives the connection a fingerprint nobody else has (fold_unique): when
 * unsure, share nothing. Apart from the plan (session_plan.c) and the write side (session_txn.c)
 * because it is the one part that decides who may share an entry; the lowest of the three.
 *
 * One connection's state, on the thread that uses it: no locking.
 */
#include "hooks/session.h"
#include "hooks/session_int.h"
#include "cache/cap.h"
#include "cache/rand.h"

#include <stdio.h>
#include <unistd.h>

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

void cap_sess_free(cap_sess *s)
{
	cap_sess_free_names(s->wset, s->nwset);
	cap_sess_free_names(s->temps, s->ntemps);
	s->wset = s->temps = NULL;
	s->nwset = s->capwset = s->ntemps = s->captemps = 0;
}

void cap_sess_set_params(cap_sess *s, uint64_t params_hash)
{
	s->params_hash = params_hash;
	update_fp(s);
}

void cap_sess_key(const cap_sess *s, cap_keymat *km)
{
	unsigned char pre[16 + 8 + 1];
	memcpy(pre, &s->ident, 16);
	memcpy(pre + 16, &s->fp, 8);
	pre[24] = (unsigned char)(s->dialect | (s->covered ? 0x80 : 0));
	cap_keymat_add(km, pre, sizeof(pre));
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

void cap_sess_set_instance(cap_sess *s, uint64_t instance)
{
	s->instance = instance;
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

static int mentions_isolation(const char *sql, size_t len)
{
	static const char word[] = "isolation";
	for (size_t i = 0; i + sizeof(word) - 1 <= len; i++)
		if (cap_sess_name_eq(sql + i, sizeof(word) - 1, word))
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
void cap_sess_after_probed(cap_sess *s, const cap_sql_info *info, const cap_plan *p,
			 const char *sql, size_t len, int ok, int was_in_txn, int in_txn,
			 const cap_catalog_ops *ops, void *cat)
{
	int any_txn = was_in_txn || in_txn;
	int code = p->fn_may_write || info->kind == CAP_SQL_OTHER ||
		   (info->reasons & CAP_SQLR_SESSION_FN) || calls_user_code(info, p, ops, cat) ||
		   cap_sess_writes_unknowable(info);
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
void cap_sess_after_text(cap_sess *s, const cap_sql_info *info, const cap_plan *p, const char *sql,
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

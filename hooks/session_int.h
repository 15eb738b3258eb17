/*
 * session_int.h - what the three files of the session policy share, private to them
 * (hooks/session.h is the interface; tests/unit/test_policy.c links the three and
 * session_my.c, and no client library):
 *   session.c       the session's identity and fingerprint (the key prefix), and how a
 *                   finished statement moves them: folded from its text, or read back; the
 *                   lowest of the three (every hook includes its header);
 *   session_txn.c   transactions and writes: bumps, the write set bumped again at the end,
 *                   the markers of writes in flight, and cap_sess_after, which runs it all;
 *   session_plan.c  the plan: may this statement be served, stored, or is it a write.
 * session_plan.c calls session_txn.c (a planned write is marked), session_txn.c calls
 * session.c; nothing calls back up.
 */
#ifndef CAP_SESSION_INT_H
#define CAP_SESSION_INT_H

#include "cache/sql.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The policy's types (hooks/session.h) by their tags: this header stays below session.c. */
struct cap_sess;
struct cap_plan;
struct cap_catalog_ops;

/* cap_sess_name_eq - a[0..an) equals the string b, ASCII-case-insensitively (names as the
 * classifier folds them). */
static inline int cap_sess_name_eq(const char *a, size_t an, const char *b)
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

/* Does a write touch a system catalog (UPDATE pg_settings is a SET) or tables the classifier
 * could not name? */
static inline int cap_sess_writes_unknowable(const cap_sql_info *info)
{
	if (info->kind != CAP_SQL_WRITE)
		return 0;
	if (info->nwrite == 0)
		return 1;
	for (uint16_t i = 0; i < info->nwrite; i++) {
		const cap_sql_name *w = &info->write[i];
		const char *n = info->names + w->name_off;
		if ((w->name_len >= 3 && (n[0] | 0x20) == 'p' && (n[1] | 0x20) == 'g' && n[2] == '_') ||
		    (w->schema_len && cap_sess_name_eq(info->names + w->schema_off,
							       w->schema_len, "pg_catalog")))
			return 1;
	}
	return 0;
}

/* cap_sess_free_names - free a name list (the write set, the temporary tables). */
static inline void cap_sess_free_names(char **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- session.c: the session side of a finished statement (cap_sess_after) ---- */

/* cap_sess_after_probed - when the hook reads the state back: what the text proves is folded
 * into the fingerprint; anything else leaves the state unknown until it is read. was_in_txn,
 * in_txn: the transaction state before and after the statement. */
void cap_sess_after_probed(struct cap_sess *s, const cap_sql_info *info,
			   const struct cap_plan *p, const char *sql, size_t len, int ok,
			   int was_in_txn, int in_txn, const struct cap_catalog_ops *ops, void *cat);
/* cap_sess_after_text - when the state is not read back after the statement: what the text
 * proves is folded, anything else gives the connection a fingerprint no one shares. */
void cap_sess_after_text(struct cap_sess *s, const cap_sql_info *info, const struct cap_plan *p,
			 const char *sql, size_t len, int ok, int was_in_txn, int in_txn);

#endif

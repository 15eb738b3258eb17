/*
 * session_my.c - the rules of session.h that are MySQL's own: the isolation level of a
 * transaction (SET TRANSACTION applies to the next transaction only, SET SESSION TRANSACTION
 * from the next one on, and a transaction starts when a statement first touches a
 * transactional table, which the hook cannot see), and which session changes ask for the
 * session to be read back. Part of the policy module: no client library, no lock (one
 * connection's state, on the thread that uses it).
 */
#include "hooks/session.h"
#include "hooks/session_my.h"

#include <string.h>
#include <strings.h>

/* MySQL: is sql exactly "SET [SESSION|@@[session.]]autocommit = 0|1|ON|OFF"? Such a statement
 * does not change what any query returns (the transaction state is followed through the
 * server status instead), so it is kept out of the session fingerprint: programs that switch
 * autocommit (MySQLdb does at connect) share entries with those that do not. */
int cap_sess_my_only_autocommit(const cap_sql_info *info, const char *sql, size_t len)
{
	if (info->kind != CAP_SQL_SESSION || !(info->flags & CAP_SQLF_SET_AUTOCOMMIT))
		return 0;
	size_t i = 0;
#define SKIP_WS() while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r')) i++
#define WORD(w) (len - i >= sizeof(w) - 1 && strncasecmp(sql + i, w, sizeof(w) - 1) == 0 ? (i += sizeof(w) - 1, 1) : 0)
	SKIP_WS();
	if (!WORD("set"))
		return 0;
	SKIP_WS();
	if (WORD("session ") || WORD("@@session.") || WORD("@@"))
		SKIP_WS();
	if (!WORD("autocommit"))
		return 0;
	SKIP_WS();
	if (i >= len || sql[i] != '=')
		return 0;
	i++;
	SKIP_WS();
	if (!(WORD("0") || WORD("1") || WORD("on") || WORD("off")))
		return 0;
	SKIP_WS();
	if (i < len && sql[i] == ';')
		i++;
	SKIP_WS();
	return i == len;
#undef SKIP_WS
#undef WORD
}

/* MySQL: does the statement change the session in a way its text does not prove (the value of
 * a SET may come from a parameter, a variable, a subquery or DEFAULT; CALL, functions and
 * several statements may SET anything)? The hook reads the settings back before the next
 * cacheable read (s->probe_need); until then the fingerprint folded by the text keys it. */
int cap_sess_my_needs_probe(const cap_sql_info *info, const cap_plan *p, const char *sql,
			    size_t len)
{
	if (info->kind == CAP_SQL_SESSION)
		return !cap_sess_my_only_autocommit(info, sql, len);
	/* a read or a write too: "UPDATE t ...; SET time_zone = ..." is a write whose string
	 * also changed the session, SELECT f() runs code that may */
	return info->kind == CAP_SQL_OTHER || p->fn_may_write || (info->flags & CAP_SQLF_SESSION) ||
	       (info->reasons & (CAP_SQLR_MULTI | CAP_SQLR_SESSION_FN)) ||
	       (p->act == CAP_ACT_WRITE && info->kind == CAP_SQL_UTILITY);
}

/* ---- isolation levels, the MySQL way (session.h: statement brackets) ----------------------
 *
 * A one-shot level (SET TRANSACTION) that may or may not have been used up by an autocommit
 * statement counts only where it agrees with the session's; otherwise the level is unknown,
 * the strictest case. cap_sess_stmt_begin hands the result to cap_sess_plan as the
 * transaction's level (txn_iso). */

/* The level the next transaction will have. */
static enum cap_sql_iso level_next(const cap_sess *s)
{
	enum cap_sql_iso sess = s->sess_iso_known ? s->sess_iso : CAP_ISO_UNKNOWN;
	if (s->one_shot == CAP_ISO_NONE)
		return sess;
	if (s->one_shot_sure || s->one_shot == sess)
		return s->one_shot;
	return CAP_ISO_UNKNOWN;
}

void cap_sess_stmt_begin(cap_sess *s, int server_in_trans)
{
	if (s->dialect != CAP_DIALECT_MYSQL)
		return;
	s->pre_in_trans = server_in_trans;
	s->pre_level = level_next(s);
	if (s->pre_in_trans)
		s->txn_iso = s->txn_pin != CAP_ISO_NONE ? s->txn_pin : CAP_ISO_UNKNOWN;
	else
		s->txn_iso = s->pre_level; /* the level of the transaction it may open */
}

void cap_sess_stmt_end(cap_sess *s, const cap_sql_info *info, const cap_plan *p, int ok,
		       int server_in_trans)
{
	if (s->dialect != CAP_DIALECT_MYSQL)
		return;
	int now = server_in_trans;
	if (info && (info->kind == CAP_SQL_OTHER || p->fn_may_write ||
		     (p->act == CAP_ACT_WRITE && info->kind == CAP_SQL_SESSION))) {
		/* code we cannot see (CALL, a function) may have set any level */
		s->one_shot = CAP_ISO_UNKNOWN;
		s->one_shot_sure = 0;
		s->txn_pin = now ? CAP_ISO_UNKNOWN : CAP_ISO_NONE;
		return;
	}
	if (info && ok && info->iso != CAP_ISO_NONE && info->iso_scope == CAP_ISO_SCOPE_NEXT) {
		s->one_shot = info->iso;
		s->one_shot_sure = 1;
	} else if (now && (!s->pre_in_trans ||
			   (info && info->kind == CAP_SQL_TXN && info->txn == CAP_TXN_BEGIN))) {
		/* a transaction began here (BEGIN inside one commits it and begins another) */
		s->txn_pin = s->pre_in_trans ? level_next(s) : s->pre_level;
		s->one_shot = CAP_ISO_NONE;
	} else if (!now) {
		s->txn_pin = CAP_ISO_NONE;
		if (!s->pre_in_trans && info && info->kind != CAP_SQL_SESSION &&
		    info->kind != CAP_SQL_EMPTY && info->kind != CAP_SQL_TXN)
			s->one_shot_sure = 0; /* an autocommit statement may have used it up */
	}
}

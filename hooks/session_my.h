/*
 * session_my.h - what the policy (session_txn.c) asks of MySQL's own rules (hooks/session_my.c);
 * the statement brackets cap_sess_stmt_begin / cap_sess_stmt_end are declared in session.h.
 */
#ifndef CAP_SESSION_MY_H
#define CAP_SESSION_MY_H

#include "hooks/session.h"

/* cap_sess_my_only_autocommit - is sql exactly a switch of autocommit to a literal (kept out
 * of the session fingerprint)? */
int cap_sess_my_only_autocommit(const cap_sql_info *info, const char *sql, size_t len);
/* cap_sess_my_needs_probe - must the session be read back before the next cacheable read
 * after this statement? */
int cap_sess_my_needs_probe(const cap_sql_info *info, const cap_plan *p, const char *sql,
			    size_t len);

#endif

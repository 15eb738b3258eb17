/*
 * pq_errmsg.c - PQerrorMessage after a hit. libpq clears a connection's error message when a
 * query starts; a hit starts none, so the previous statement's error would still show after
 * a successful cached answer. After a hit the message libpq holds then is masked (reads as
 * ""), until a statement is sent again or libpq's message changes (a failure of its own after
 * the hit: that one shows). Some calls append to libpq's message without clearing it
 * (PQsendFlushRequest, PQputCopyData, PQpipelineSync ... refusing): what they appended shows
 * alone, as it would after the query the hit stood for, which cleared it.
 */
#include "hooks/pq_conn.h"

static char no_error[1];

void cap_pq_err_hit(pq_conn *pc)
{
	const char *m = cap_pq.real_PQerrorMessage ? cap_pq.real_PQerrorMessage(pc->conn) : NULL;
	pc->err_masked = m != NULL && *m != '\0';
	if (pc->err_masked) {
		pc->err_len = strlen(m);
		pc->err_hash = cap_hash64(m, pc->err_len, 0xe77);
	}
}

CAP_EXPORT char *PQerrorMessage(const PGconn *conn)
{
	if (!cap_pq_resolve() || cap_pq.real_PQerrorMessage == NULL)
		return no_error;
	char *m = cap_pq.real_PQerrorMessage(conn);
	if (cap_guard || conn == NULL || m == NULL || *m == '\0')
		return m;
	pq_conn *pc = cap_pq_find((PGconn *)conn, 0);
	if (pc == NULL || !pc->err_masked)
		return m;
	size_t n = strlen(m);
	if (n >= pc->err_len && cap_hash64(m, pc->err_len, 0xe77) == pc->err_hash)
		return m + pc->err_len; /* libpq appended to it (a call that does not clear it) */
	pc->err_masked = 0; /* a new message of libpq's own */
	return m;
}

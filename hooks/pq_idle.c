/*
 * pq_idle.c - the server's idle timeouts. PostgreSQL ends a session idle inside a transaction
 * block for longer than its idle_in_transaction_session_timeout (and one idle outside any for
 * longer than idle_session_timeout): the transaction is rolled back and the next statement
 * fails. A hit sends nothing, so it would be served inside a transaction that no longer
 * exists. The session's two timeouts are read back with its state (pq_probe.c); a hit is not
 * served once the time since the connection last reached the server may exceed the one that
 * applies, and the statement goes to the server, which answers as it would without us.
 */
#include "hooks/pq_conn.h"

#include <strings.h>

/* the coarse clock's step and the time from our send to the server going idle are below this;
 * the margin makes the check refuse early, never late */
#define IDLE_MARGIN_NS (20ull * 1000000ull)

void cap_pq_contact(pq_conn *pc)
{
	pc->contact_ns = cap_now_ns();
	pc->err_masked = 0; /* libpq clears its error message as the statement starts */
}

/* v: "IDLE_IN_TXN_MS,IDLE_MS", as the probe reads them (pg_settings, in ms); unreadable
 * values count as the shortest timeout, so the connection gets no hits for lack of one. */
void cap_pq_idle_set(pq_conn *pc, const char *v)
{
	char *end = NULL;
	unsigned long a = strtoul(v, &end, 10);
	unsigned long b = end && *end == ',' ? strtoul(end + 1, &end, 10) : 1;
	if (end == NULL || *end != '\0')
		a = b = 1;
	pc->idle_txn_ms = a > UINT32_MAX ? UINT32_MAX : (uint32_t)a;
	pc->idle_ms = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

int cap_pq_idle_ok(const pq_conn *pc)
{
	if ((pc->idle_ms | pc->idle_txn_ms) == 0)
		return 1; /* the usual case: no timeout, no clock */
	uint32_t ms = cap_pq.real_PQtransactionStatus(pc->conn) == PQTRANS_IDLE ? pc->idle_ms
										   : pc->idle_txn_ms;
	if (ms == 0)
		return 1;
	uint64_t limit = (uint64_t)ms * 1000000ull;
	return limit > IDLE_MARGIN_NS && cap_now_ns() - pc->contact_ns < limit - IDLE_MARGIN_NS;
}

/* A statement that names either setting (SET, set_config, RESET ALL does not name it: the
 * text path folds RESET ALL as the reset values, read back with the rest) moves them: the
 * state is read back before the next cacheable read. */
int cap_pq_idle_named(const char *sql, size_t len)
{
	static const char w[] = "idle_";
	for (size_t i = 0; sql && i + sizeof(w) - 1 <= len; i++)
		if (strncasecmp(sql + i, w, sizeof(w) - 1) == 0)
			return 1;
	return 0;
}

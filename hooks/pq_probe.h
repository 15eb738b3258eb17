/*
 * pq_probe.h - the queries the libpq hooks run on the program's own connection
 * (hooks/pq_probe.c), and the hit test that asks one of them.
 */
#ifndef CAP_PQ_PROBE_H
#define CAP_PQ_PROBE_H

#include "hooks/pq_conn.h"

CAP_COLD void cap_pq_probe(pq_conn *pc, const pq_call *call);
/* The read-back in steps, for a new connection polled by the program (hooks/pq_connect.c):
 * cap_pq_probe_send sends it (1 when sent); cap_pq_probe_absorb takes its last result (NULL
 * when none came: caching is then off on the connection, as after a failed read-back) and
 * clears it. */
int cap_pq_probe_send(pq_conn *pc);
CAP_COLD void cap_pq_probe_absorb(pq_conn *pc, PGresult *r);
int cap_pq_listening_now(pq_conn *pc);
CAP_COLD void cap_pq_orphans(const cap_rt *rt, pq_conn *pc);
cap_pqcat *cap_pq_catalog(const cap_rt *rt, pq_conn *pc, const cap_sql_info *info);

/* Hits are not served on a connection libpq knows is broken (the server would not answer), on
 * one whose socket the server has closed (the watcher saw it: libpq finds out at the next
 * call that reads), on one that listens (a round trip would deliver its notifications), nor
 * on one the server may have ended for idling (pq_idle.c). */
static inline int cap_pq_hit_allowed(pq_conn *pc)
{
	if (cap_pq.real_PQstatus(pc->conn) != CONNECTION_OK || cap_pq_closed(pc) ||
	    pc->listening == LISTEN_YES || !cap_pq_idle_ok(pc))
		return 0;
	return pc->listening == LISTEN_NO || !cap_pq_listening_now(pc);
}

#endif

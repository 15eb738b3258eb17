/*
 * pq_async.h - what the asynchronous API's file (hooks/pq_async.c) offers the interposed
 * functions in pq.c: the ghost's answer and a statement in flight settled before a command.
 */
#ifndef CAP_PQ_ASYNC_H
#define CAP_PQ_ASYNC_H

#include "hooks/pq_conn.h"

void cap_pq_ghost_wait(pq_conn *pc);
void cap_pq_ghost_settle(PGconn *conn);
int cap_pq_settle_busy(const cap_rt *rt, pq_conn *pc);
void cap_pq_drop_inflight(const cap_rt *rt, pq_conn *pc);

/* cap_pq_ghost_drain - wait for the ghost's answer (cap_pq_ghost_wait), if there is one. */
static inline void cap_pq_ghost_drain(pq_conn *pc)
{
	if (pc && pc->ghost)
		cap_pq_ghost_wait(pc);
}

/* cap_pq_settle_inflight - before a new command: 1 when no statement is in flight or the one
 * in flight is over at the server (accounted now); 0 while libpq is still busy with it. */
static inline int cap_pq_settle_inflight(const cap_rt *rt, pq_conn *pc)
{
	return !pc->fl.active || cap_pq_settle_busy(rt, pc);
}

#endif

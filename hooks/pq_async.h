/*
 * pq_async.h - what the asynchronous API's file (hooks/pq_async.c) offers the interposed
 * functions in pq.c: the ghost's answer and a statement in flight settled before a command.
 */
#ifndef CAP_PQ_ASYNC_H
#define CAP_PQ_ASYNC_H

#include "hooks/pq_conn.h"

void cap_pq_ghost_wait(pq_conn *pc);
int cap_pq_ghost_absorb(pq_conn *pc);
void cap_pq_ghost_settle(PGconn *conn);
/* cap_pq_held_refuse - the program sends a command while a held hit is unread: libpq would
 * refuse it ("another command is already in progress") and keep the unread result. libpq is
 * made busy with a ghost (absorbed once the hit is read); 1 when it is, and the real call
 * then refuses in libpq's own words; 0 when no hit is held (or none could be covered: the
 * hit gives way to the command). */
int cap_pq_held_refuse(pq_conn *pc);
/* cap_pq_busy_gate - before a call libpq refuses while a command is in progress and that
 * discards nothing (PQsendDescribe*, PQsendFlushRequest, pipeline mode, PQfn): 1 when the
 * program's command is in progress (a held hit), libpq then busy so that the real call
 * refuses in its own words; 0 when the connection is idle as far as the program can tell
 * (our empty query's answer has been read). */
int cap_pq_busy_gate(PGconn *conn);
/* cap_pq_held_discard - the program moved on without reading a held hit, as libpq's
 * synchronous calls let it (they discard an unread result): the hit goes. */
void cap_pq_held_discard(pq_conn *pc);
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

/* cap_pq_new_command - before a synchronous command of the program's (PQexec*, PQprepare,
 * PQdescribe*, PQfn once idle): an unread hit is discarded as libpq discards an unread
 * result, a statement in flight is settled, and our empty query's answer is read first.
 * pc may be NULL. */
static inline void cap_pq_new_command(const cap_rt *rt, pq_conn *pc)
{
	if (pc && pc->held.on)
		cap_pq_held_discard(pc);
	if (pc)
		cap_pq_settle_inflight(rt, pc);
	cap_pq_ghost_drain(pc);
}

#endif

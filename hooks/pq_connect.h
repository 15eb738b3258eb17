/*
 * pq_connect.h - a new connection's read-back and catalog query, sent while the program polls
 * the connection open (hooks/pq_connect.c). While one is outstanding it is the connection's
 * ghost (hooks/pq_async.c), whose results go here instead of being dropped.
 */
#ifndef CAP_PQ_CONNECT_H
#define CAP_PQ_CONNECT_H

#include "hooks/pq_conn.h"

/* cap_pq_cp_take - one result of the outstanding query (pc->cp set; r not NULL, now ours).
 * cap_pq_cp_done - its answer is complete (libpq returned NULL): it is used now.
 * cap_pq_cp_drop - forget it (the connection is reset or finished). */
void cap_pq_cp_take(pq_conn *pc, PGresult *r);
void cap_pq_cp_done(pq_conn *pc);
void cap_pq_cp_drop(pq_conn *pc);

#endif

/*
 * mysql_result.h - results of the text protocol as the Connector/C hooks hand them out and
 * store them (hooks/mysql_result.c): the stored value's layout, a hit's connection state,
 * results served to mysql_use_result callers, and the diagnostics replay after a hit.
 */
#ifndef CAP_MYSQL_RESULT_H
#define CAP_MYSQL_RESULT_H

#include "hooks/mysql_codec.h"
#include "hooks/mysql_conn.h"

/* A stored value is the server status flags a SELECT sets about itself (which index it
 * used: programs and ORMs read them from mysql->server_status), 4 bytes, then the encoded
 * result (hooks/mysql_codec). The key's protocol word says which encoding (MY_PROTO_*). */
#define MY_STATUS_KEPT (SERVER_QUERY_NO_GOOD_INDEX_USED | SERVER_QUERY_NO_INDEX_USED)
/* The flags the server clears when a statement starts and sets only about that statement (its
 * SERVER_STATUS_CLEAR_SET): a hit reports none of them but the kept ones. Among them
 * SERVER_SESSION_STATE_CHANGED, which a SELECT never sets on MariaDB 10.11 unless
 * session_track_transaction_info is on (and then its sessions are not served hits:
 * hooks/mysql_plan.c). */
#define MY_STATUS_PER_STMT                                                                    \
	(MY_STATUS_KEPT | SERVER_MORE_RESULTS_EXIST | SERVER_STATUS_METADATA_CHANGED |          \
	 SERVER_QUERY_WAS_SLOW | SERVER_STATUS_DB_DROPPED | SERVER_STATUS_CURSOR_EXISTS |       \
	 SERVER_STATUS_LAST_ROW_SENT | SERVER_SESSION_STATE_CHANGED)
#define MY_PROTO_TEXT 3
#define MY_PROTO_BINARY 4

/* cap_my_put_status - start a value: the kept status flags. */
int cap_my_put_status(cap_buf *b, unsigned status);
/* cap_my_take_status - the status flags of a value (and past them, in *val and *len, the
 * encoded result); -1 when the value is too short. */
long cap_my_take_status(const void **val, size_t *len);
/* cap_my_set_hit_status - the status flags a hit reports: the stored ones in place of the
 * last statement's (MY_STATUS_PER_STMT). */
void cap_my_set_hit_status(MYSQL *m, unsigned kept);
/* cap_my_set_hit_state - leave the connection as the server's answer to a one-result SELECT
 * of nf fields would. */
void cap_my_set_hit_state(MYSQL *m, unsigned nf);
/* cap_my_can_serve - may a hit be served now? Connector/C would refuse a new query in other
 * states. */
int cap_my_can_serve(const MYSQL *m);

/* A text hit, decoded by cap_my_hit_cb (a cap_engine_get callback). */
typedef struct my_hit {
	MYSQL_RES *res;
	unsigned status;
	cap_my_wire wire; /* what the server's answer would weigh (cap_my_wire_fits) */
} my_hit;
int cap_my_hit_cb(void *arg, const void *val, size_t len);

/* cap_my_remember_fill - a miss under key: mysql_store_result stores its result (shape: the
 * statement's, told why when it cannot be stored). */
void cap_my_remember_fill(my_conn *mc, const cap_key *key, const cap_plan *plan, uint64_t shape);

/* cap_my_reads_diag - may the statement (classified in info) read the diagnostics the last
 * statement left (FOUND_ROWS, ROW_COUNT, LAST_INSERT_ID, warnings, errors, GET DIAGNOSTICS)? */
int cap_my_reads_diag(const cap_sql_info *info, const char *sql, size_t len);
/* cap_my_replay_before - before a statement (classified in info) goes to the server: when it
 * may read the diagnostics and the last statement was a text hit, run that one for real. */
void cap_my_replay_before(my_conn *mc, const cap_sql_info *info, const char *sql, size_t len);
/* cap_my_replay_note - a text hit was served for sql. */
void cap_my_replay_note(my_conn *mc, const char *sql, size_t len);

/* cap_my_use_forget_conn - m is being closed: its unread use_result hits no longer point to
 * it. cap_my_use_forget_res - r is being freed. */
void cap_my_use_forget_conn(MYSQL *m);
void cap_my_use_forget_res(MYSQL_RES *r);

/* cap_my_store_hit - mc's text hit (mc->pend, read: not a mysql_send_query hit still unread),
 * handed out as mysql_store_result hands it: the connection is ready again. */
MYSQL_RES *cap_my_store_hit(my_conn *mc);

#endif

/*
 * mysql_stmt_hit.h - a prepared statement's record and a hit's rows behind it
 * (hooks/mysql_stmt_hit.c), for the execution path (hooks/mysql_stmt.c), and the check that
 * the client library is the release whose layouts they assume.
 */
#ifndef CAP_MYSQL_STMT_HIT_H
#define CAP_MYSQL_STMT_HIT_H

#include "hooks/mysql_codec.h"
#include "hooks/mysql_conn.h"

/* A miss waiting for mysql_stmt_store_result to be stored: its key and plan. */
typedef struct my_sfill {
	cap_buf key;
	cap_hash hash;
	cap_plan plan;
	uint64_t shape; /* the statement's shape, for the reason a fill was refused */
} my_sfill;

/* The session a statement was prepared in: the server resolves its tables in the database
 * current then and parses it under the sql_mode of then, whatever the session is at
 * execution, so the key holds both (ok 0: not known, not cached). */
typedef struct my_prep {
	int ok;
	unsigned char k[24]; /* the session's identity and fingerprint at prepare time */
	uint64_t defer;      /* not 0: the session was not read back at prepare time (that would
			      * have replaced the program's diagnostics: hooks/mysql_probe.c); k
			      * is taken at the first execution when no statement ran since, when
			      * my_conn.stmt_seq is still defer - 1 (hooks/mysql_stmt.c) */
} my_prep;

/* cap_my_st_abi_ok - is the client library the Connector/C release the hooks were built for
 * (the layouts of MYSQL_STMT and of the method table the hooks write into)? */
int cap_my_st_abi_ok(void);
/* cap_my_st_forget - forget st (its text, any hit state and pending fill). */
void cap_my_st_forget(MYSQL_STMT *st);
/* cap_my_st_drop - forget st's hit and pending fill (not its text). */
void cap_my_st_drop(MYSQL_STMT *st);
/* cap_my_st_fill_free - free a pending fill (NULL: nothing). */
void cap_my_st_fill_free(my_sfill *f);
/* cap_my_st_set - record (sql != NULL) or forget the text of st and the session it was
 * prepared in (prep NULL: unknown); any hit state and pending fill is dropped either way. */
void cap_my_st_set(MYSQL_STMT *st, const char *sql, size_t len, const my_prep *prep);
/* cap_my_st_begin - a new execution of st starts: drop the previous hit and pending fill;
 * a copy of st's text or NULL, its length in *len, and in *prep (when not NULL) the session
 * it was prepared in. The copy is made in buf (cap bytes) when it fits, else allocated: the
 * caller frees it when it is not buf. buf NULL: no copy (NULL). */
char *cap_my_st_begin(MYSQL_STMT *st, size_t *len, my_prep *prep, char *buf, size_t cap);
/* cap_my_st_set_prep - the session st was prepared in is now known (or known never to be). */
void cap_my_st_set_prep(MYSQL_STMT *st, const my_prep *prep);
/* cap_my_st_attach - attach a hit's rows or a pending fill to st's record; 0 when st has
 * no record (the caller frees what it passed). */
int cap_my_st_attach(MYSQL_STMT *st, cap_my_srows *hit, my_sfill *fill);
/* cap_my_st_settle - before a call with which Connector/C reads the rest of m's pending
 * result from the wire: an unread hit there (which has nothing on the wire) is read to its
 * end, so that the library finds m ready. */
void cap_my_st_settle(MYSQL *m);
/* cap_my_st_refuse - 1 when m has an unread hit (m's error then set to "commands out of
 * sync"): mysql_read_query_result, which reads the wire in any state, must not wait on it. */
int cap_my_st_refuse(MYSQL *m);
/* cap_my_st_install - leave st and its connection as a real mysql_stmt_execute of a SELECT
 * leaves them, with s's rows behind it (s then belongs to st's record); 0 when s does not
 * fit st. */
int cap_my_st_install(MYSQL_STMT *st, cap_my_srows *s, unsigned status);

#endif

/*
 * mysql_stmt_hit.c - what the prepared-statement hooks write into Connector/C's own
 * structures: the record kept per MYSQL_STMT (its text, the session it was prepared in, a
 * hit's rows, a miss waiting to be stored), a hit installed so that the library's own
 * mysql_stmt_fetch and fetch_column decode it (st->default_rset_handler, st->fetch_row_func),
 * mysql_stmt_store_result / mysql_stmt_free_result on a hit and on a miss to store, and an
 * unread hit holding its connection as the real result does: read to its end before the
 * library would flush it from the wire (cap_my_st_settle), refused to a read of the wire
 * (cap_my_st_refuse).
 * hooks/mysql_stmt.c says how a statement is keyed and executed.
 *
 * All of this writes into MYSQL_STMT and the library's method table, whose layouts belong to
 * one Connector/C release: the check that the running library is that release comes first.
 */
#include "hooks/mysql_stmt_hit.h"
#include "cache/lock.h"
#include "hooks/mysql_result.h"
#include "cache/log.h"

#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ABI check --------------------------------------------------------------------------- */

/* The row functions a statement calls through st->fetch_row_func: Connector/C up to some
 * 3.3 release calls them as (stmt, row); later ones (3.3.20, Debian 12's) as (stmt, row,
 * length) and check each value against the row's length (MYSQL_DATA_MALFORMED). Which one
 * the installed headers declare is known at compile time (ROWFN_HAS_LEN); cap_my_st_abi_ok
 * makes sure at run time that the library is MariaDB Connector/C of the same minor release,
 * no older than the headers when they declare the length and no newer when they do not, so
 * that the length is written exactly when the library passes it. */
#define ROWFN_HAS_LEN                                                                   \
	_Generic((mysql_stmt_fetch_row_func)0,                                          \
		 int (*)(MYSQL_STMT *, unsigned char **, unsigned long *): 1, default: 0)
#define ROWFN(fn) ((mysql_stmt_fetch_row_func)(void (*)(void))(fn))

static pthread_once_t st_abi_once = PTHREAD_ONCE_INIT;
static int st_abi;

static void st_abi_check(void)
{
	unsigned long v = cap_my.real_mysql_get_client_version ? cap_my.real_mysql_get_client_version() : 0;
	unsigned long h = MARIADB_PACKAGE_VERSION_ID;
	st_abi = cap_my.real_mariadb_stmt_execute_direct != NULL && cap_my.real_mysql_stmt_store_result &&
		 cap_my.real_mysql_stmt_free_result && v / 100 == h / 100 &&
		 (ROWFN_HAS_LEN ? v >= h : v <= h);
	if (!st_abi)
		cap_log(CAP_LOG_INFO, "prepared statements are not cached with this client library "
			"(version %lu, built for %lu)", v, h);
}

int cap_my_st_abi_ok(void)
{
	pthread_once(&st_abi_once, st_abi_check);
	return st_abi;
}

/* ---- the statements' table ------------------------------------------------------------------- */

/* What Capacitor keeps per MYSQL_STMT: the text given to mysql_stmt_prepare, the rows of a
 * hit that st->result / st->result_cursor may point into (owned here, never by the library's
 * memory roots), and a miss waiting for mysql_stmt_store_result to be stored. */
typedef struct my_stmt {
	struct my_stmt *next;
	MYSQL_STMT *st;
	char *sql;
	size_t len;
	my_prep prep;
	cap_my_srows *hit;
	my_sfill *fill;
} my_stmt;

static my_stmt *st_table[CAP_CONNTAB_BUCKETS];

static int st_hit_unbuf(MYSQL_STMT *st, unsigned char **row, unsigned long *len);
static int st_hit_buf(MYSQL_STMT *st, unsigned char **row, unsigned long *len);
static int st_hit_eof(MYSQL_STMT *st, unsigned char **row, unsigned long *len);
static MYSQL_RES *st_hit_use(MYSQL_STMT *st);

void cap_my_st_fill_free(my_sfill *f)
{
	if (f) {
		cap_buf_free(&f->key);
		free(f);
	}
}

/* Does st still show a hit's state (our handlers, our rows)? */
static int st_shows_hit(const MYSQL_STMT *st)
{
	return st->default_rset_handler == st_hit_use || st->fetch_row_func == ROWFN(st_hit_unbuf) ||
	       st->fetch_row_func == ROWFN(st_hit_buf) || st->fetch_row_func == ROWFN(st_hit_eof);
}

/* Is st's result a hit not read to its end (waiting for store or fetch, or fetched
 * unbuffered)? Its connection then shows MYSQL_STATUS_STMT_RESULT, as after the real execute
 * of a SELECT, so that every other command is "out of sync" as it would be. */
static int st_hit_unread(const MYSQL_STMT *st)
{
	return (st->state == MYSQL_STMT_WAITING_USE_OR_STORE && st->default_rset_handler == st_hit_use) ||
	       (st->fetch_row_func == ROWFN(st_hit_unbuf) &&
		(st->state == MYSQL_STMT_USE_OR_STORE_CALLED || st->state == MYSQL_STMT_USER_FETCHING));
}

/* An unread hit's rows are read to their end, as the library's flush of an unbuffered result
 * reads the wire: the statement is "fetch done" and its connection ready. */
static void st_hit_finish(MYSQL_STMT *st)
{
	st->state = MYSQL_STMT_FETCH_DONE;
	st->fetch_row_func = ROWFN(st_hit_eof);
	if (st->mysql && st->mysql->status == MYSQL_STATUS_STMT_RESULT)
		st->mysql->status = MYSQL_STATUS_READY;
}

/* Take the hit's rows away from st (under cap_my_st_lock): st no longer points into them, and a
 * statement left in a hit's result state goes back to "prepared" (its connection ready if the
 * hit was unread), so that the library's next mysql_stmt_execute, prepare or close starts from
 * a clean statement with nothing to flush. */
static void st_unhook(my_stmt *s)
{
	MYSQL_STMT *st = s->st;
	if (s->hit == NULL)
		return;
	if (st_hit_unread(st))
		st_hit_finish(st);
	if (st->result.data == s->hit->rows || st_shows_hit(st)) {
		st->result.data = NULL;
		st->result.rows = 0;
		st->result_cursor = NULL;
	}
	if (st_shows_hit(st)) {
		st->default_rset_handler = NULL;
		st->fetch_row_func = NULL;
		if (st->state > MYSQL_STMT_PREPARED)
			st->state = MYSQL_STMT_PREPARED;
	}
}

static my_stmt *st_find(MYSQL_STMT *st)
{
	my_stmt *s = st_table[cap_conntab_bucket(st)];
	while (s && s->st != st)
		s = s->next;
	return s;
}

/* cap_my_st_set - record (sql != NULL) or forget the text of st and the session it was prepared
 * in (prep NULL: unknown); any hit state and pending fill is dropped either way. */
void cap_my_st_set(MYSQL_STMT *st, const char *sql, size_t len, const my_prep *prep)
{
	my_stmt *n = NULL;
	if (sql) {
		n = calloc(1, sizeof(*n));
		char *c = n ? malloc(len + 1) : NULL;
		if (c == NULL) {
			free(n);
			n = NULL;
		} else {
			memcpy(c, sql, len);
			c[len] = '\0';
			n->st = st;
			n->sql = c;
			n->len = len;
			if (prep)
				n->prep = *prep;
		}
	}
	cap_mutex_lock(&cap_my_st_lock);
	my_stmt **pp = &st_table[cap_conntab_bucket(st)];
	while (*pp && (*pp)->st != st)
		pp = &(*pp)->next;
	my_stmt *old = *pp;
	if (old) {
		*pp = old->next;
		st_unhook(old);
	}
	if (n) {
		n->next = st_table[cap_conntab_bucket(st)];
		st_table[cap_conntab_bucket(st)] = n;
	}
	cap_mutex_unlock(&cap_my_st_lock);
	if (old) {
		free(old->hit);
		cap_my_st_fill_free(old->fill);
		free(old->sql);
		free(old);
	}
}

/* cap_my_st_begin - a new execution of st starts: drop the previous hit and pending fill, and
 * return a copy of st's text (in buf when it fits: an execution allocates nothing for it), or
 * NULL (always when buf is NULL), and in *prep (when not NULL) the session it was prepared in. */
char *cap_my_st_begin(MYSQL_STMT *st, size_t *len, my_prep *prep, char *buf, size_t cap)
{
	char *r = NULL;
	cap_my_srows *hit = NULL;
	my_sfill *fill = NULL;
	cap_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		st_unhook(s);
		hit = s->hit;
		fill = s->fill;
		s->hit = NULL;
		s->fill = NULL;
		r = buf == NULL ? NULL : s->len < cap ? buf : malloc(s->len + 1);
		if (r) {
			memcpy(r, s->sql, s->len + 1);
			*len = s->len;
		}
		if (prep)
			*prep = s->prep;
	}
	cap_mutex_unlock(&cap_my_st_lock);
	free(hit);
	cap_my_st_fill_free(fill);
	return r;
}

void cap_my_st_set_prep(MYSQL_STMT *st, const my_prep *prep)
{
	cap_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s)
		s->prep = *prep;
	cap_mutex_unlock(&cap_my_st_lock);
}

void cap_my_st_forget(MYSQL_STMT *st)
{
	cap_my_st_set(st, NULL, 0, NULL);
}

/* cap_my_st_drop - forget st's hit and fill (not its text). */
void cap_my_st_drop(MYSQL_STMT *st)
{
	size_t len;
	cap_my_st_begin(st, &len, NULL, NULL, 0);
}

/* The unread hits on m: read to their end (finish), or only counted. Only a library whose
 * layouts the hits assume can have them (and only then is m->status where it is read). */
static int st_unread_on(MYSQL *m, int finish)
{
	int n = 0;
	if (m == NULL || !cap_my_resolve() || !cap_my_st_abi_ok() ||
	    m->status != MYSQL_STATUS_STMT_RESULT)
		return 0;
	cap_mutex_lock(&cap_my_st_lock);
	for (size_t b = 0; b < CAP_CONNTAB_BUCKETS; b++)
		for (my_stmt *s = st_table[b]; s; s = s->next)
			if (s->hit && s->st->mysql == m && st_hit_unread(s->st)) {
				n++;
				if (finish)
					st_hit_finish(s->st);
			}
	cap_mutex_unlock(&cap_my_st_lock);
	return n;
}

/* cap_my_st_settle - m is about to be used by a call with which Connector/C reads the rest
 * of the connection's pending result from the wire (a statement's close, reset, re-prepare,
 * free_result, store): an unread hit there has nothing on the wire, so it is read to its end
 * first. */
void cap_my_st_settle(MYSQL *m)
{
	st_unread_on(m, 1);
}

/* cap_my_st_refuse - mysql_read_query_result reads the wire whatever the connection's state:
 * with an unread hit on m (nothing on the wire) it would wait forever, where Connector/C
 * takes the unread result's next row for an answer and fails. 1 (m's error set to "commands
 * out of sync") when m has one. */
int cap_my_st_refuse(MYSQL *m)
{
	if (st_unread_on(m, 0) == 0)
		return 0;
	m->net.last_errno = CR_COMMANDS_OUT_OF_SYNC;
	strcpy(m->net.sqlstate, "HY000");
	snprintf(m->net.last_error, sizeof(m->net.last_error), "%s",
		 "Commands out of sync; you can't run this command now");
	return 1;
}

/* Attach a hit's rows or a pending fill to st's record; 0 when st has no record (the
 * caller frees what it passed). */
int cap_my_st_attach(MYSQL_STMT *st, cap_my_srows *hit, my_sfill *fill)
{
	int ok = 0;
	cap_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		if (hit)
			s->hit = hit;
		if (fill)
			s->fill = fill;
		ok = 1;
	}
	cap_mutex_unlock(&cap_my_st_lock);
	return ok;
}

/* The hit's rows, for the unbuffered cursor: what = 0 the first row (and the cursor is set
 * there), 1 the cursor's row (and the cursor moves on), 2 the cursor's row (not moved). */
static MYSQL_ROWS *st_hit_rows(MYSQL_STMT *st, int what)
{
	MYSQL_ROWS *r = NULL;
	cap_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s && s->hit) {
		if (what == 0)
			r = s->hit->ucur = s->hit->rows;
		else
			r = s->hit->ucur;
		if (what == 1 && r)
			s->hit->ucur = r->next;
	}
	cap_mutex_unlock(&cap_my_st_lock);
	return r;
}

static my_sfill *st_fill_take(MYSQL_STMT *st)
{
	my_sfill *f = NULL;
	cap_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		f = s->fill;
		s->fill = NULL;
	}
	cap_mutex_unlock(&cap_my_st_lock);
	return f;
}

/* ---- a hit, as the library's own fetch sees it ---------------------------------------------------- */

/* The statement's default result handler after a hit (mysql_stmt_fetch without
 * mysql_stmt_store_result calls it): rows are then read one by one as from the wire. Their
 * cursor is kept beside the rows, not in st->result_cursor, which stays NULL as in an
 * unbuffered read (mysql_stmt_free_result and row_tell look at it). */
static MYSQL_RES *st_hit_use(MYSQL_STMT *st)
{
	st->state = MYSQL_STMT_USE_OR_STORE_CALLED;
	st_hit_rows(st, 0);
	st->fetch_row_func = ROWFN(st_hit_unbuf);
	st->last_errno = 0;
	st->last_error[0] = '\0';
	strcpy(st->sqlstate, "00000");
	return NULL;
}

/* Unbuffered: each row counts in mysql_stmt_num_rows when it is read; at the end the
 * statement answers "no data" from then on. */
static int st_hit_unbuf(MYSQL_STMT *st, unsigned char **row, unsigned long *len)
{
	MYSQL_ROWS *r = st_hit_rows(st, 1);
	if (r == NULL) {
		*row = NULL;
		if (ROWFN_HAS_LEN)
			*len = 0;
		st->fetch_row_func = ROWFN(st_hit_eof);
		return MYSQL_NO_DATA;
	}
	*row = (unsigned char *)r->data;
	if (ROWFN_HAS_LEN)
		*len = r->length;
	st->result.rows++;
	return 0;
}

static int st_hit_eof(MYSQL_STMT *st, unsigned char **row, unsigned long *len)
{
	(void)st;
	*row = NULL;
	if (ROWFN_HAS_LEN)
		*len = 0;
	return MYSQL_NO_DATA;
}

/* Buffered (after mysql_stmt_store_result): the rows are in st->result; data_seek and
 * row_seek move st->result_cursor. */
static int st_hit_buf(MYSQL_STMT *st, unsigned char **row, unsigned long *len)
{
	MYSQL_ROWS *r = st->result_cursor;
	if (r == NULL) {
		*row = NULL;
		if (ROWFN_HAS_LEN)
			*len = 0;
		st->state = MYSQL_STMT_FETCH_DONE;
		return MYSQL_NO_DATA;
	}
	st->state = MYSQL_STMT_USER_FETCHING;
	*row = (unsigned char *)r->data;
	if (ROWFN_HAS_LEN)
		*len = r->length;
	st->result_cursor = r->next;
	return 0;
}

/* STMT_ATTR_UPDATE_MAX_LENGTH: the library's store raises each field's max_length to what the
 * rows need; the hit's entry holds that. */
static void st_hit_max_length(MYSQL_STMT *st)
{
	cap_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s && s->hit && s->hit->nf == st->field_count && st->fields)
		for (unsigned i = 0; i < s->hit->nf; i++)
			if (s->hit->fields[i].max_length > st->fields[i].max_length)
				st->fields[i].max_length = (unsigned long)s->hit->fields[i].max_length;
	cap_mutex_unlock(&cap_my_st_lock);
}

/* mysql_stmt_store_result on a statement showing a hit; -1 when st is not one (the real
 * function then runs). */
static int st_hit_store(MYSQL_STMT *st)
{
	MYSQL_ROWS *rest;
	if (st->state == MYSQL_STMT_WAITING_USE_OR_STORE && st->default_rset_handler == st_hit_use)
		rest = st_hit_rows(st, 0);
	else if (st->fetch_row_func == ROWFN(st_hit_unbuf) && (st->state == MYSQL_STMT_USE_OR_STORE_CALLED ||
							st->state == MYSQL_STMT_USER_FETCHING))
		rest = st_hit_rows(st, 2);
	else
		return -1;
	if (st->last_errno)
		return 1;
	if (st->update_max_length && st->state == MYSQL_STMT_WAITING_USE_OR_STORE)
		st_hit_max_length(st);
	unsigned long long n = st->result.rows;
	for (MYSQL_ROWS *r = rest; r; r = r->next)
		n++;
	st->result.data = rest;
	st->result.rows = n;
	st->result_cursor = rest;
	st->fetch_row_func = ROWFN(st_hit_buf);
	st->mysql->status = MYSQL_STATUS_READY;
	st->state = n ? MYSQL_STMT_USE_OR_STORE_CALLED : MYSQL_STMT_FETCH_DONE;
	st->upsert_status.affected_rows = n;
	st->mysql->affected_rows = n;
	return 0;
}

/* Leave st and its connection as a real mysql_stmt_execute of a SELECT leaves them (result
 * waiting for store or fetch), with s's rows behind it. 0 when s does not fit st. */
int cap_my_st_install(MYSQL_STMT *st, cap_my_srows *s, unsigned status)
{
	MYSQL *m = st->mysql;
	if (s->nf != st->field_count)
		return 0;
	if (st->result.data) {
		/* rows an earlier real execution stored: the library frees them */
		st->result_cursor = st->result.data;
		CAP_REAL(cap_my.real_mysql_stmt_free_result(st));
	}
	if (!cap_my_st_attach(st, s, NULL))
		return 0;
	for (unsigned i = 0; i < s->nf; i++) {
		MYSQL_FIELD *f = &st->fields[i];
		const cap_my_sfield *c = &s->fields[i];
		f->type = (enum enum_field_types)c->type;
		f->length = (unsigned long)c->length;
		f->flags = c->flags;
		f->decimals = c->decimals;
		f->charsetnr = c->charsetnr;
		/* max_length: a store with STMT_ATTR_UPDATE_MAX_LENGTH raises it */
	}
	st->result.data = NULL;
	st->result.rows = 0;
	st->result_cursor = NULL;
	st->fetch_row_func = NULL;
	st->default_rset_handler = st_hit_use;
	st->state = MYSQL_STMT_WAITING_USE_OR_STORE;
	st->execute_count++;
	cap_my_set_hit_state(m, s->nf);
	m->status = MYSQL_STATUS_STMT_RESULT; /* the result waits: other commands are out of sync */
	cap_my_set_hit_status(m, status);
	st->upsert_status.affected_rows = m->affected_rows;
	st->upsert_status.last_insert_id = m->insert_id;
	st->upsert_status.server_status = m->server_status;
	st->upsert_status.warning_count = 0;
	st->last_errno = 0;
	st->last_error[0] = '\0';
	strcpy(st->sqlstate, "00000");
	return 1;
}
/* mysql_stmt_free_result, mysql_stmt_reset and (for STMT_ATTR_PREBIND_PARAMS)
 * mysql_stmt_attr_set flush the connection's pending result from the wire, whichever
 * statement it belongs to; after a hit there is nothing on the wire, so an unread hit is read
 * to its end first (cap_my_st_settle) and the library finds the connection ready - also when
 * the call comes from inside the non-blocking API (under the guard), whose coroutine would
 * otherwise wait for bytes that never come. */
CAP_EXPORT my_bool mysql_stmt_free_result(MYSQL_STMT *st)
{
	if (!cap_my_resolve() || cap_my.real_mysql_stmt_free_result == NULL)
		return cap_my.real_mysql_stmt_free_result ? cap_my.real_mysql_stmt_free_result(st) : 1;
	if (st && st->stmt_id && (st->result_cursor || st->field_count))
		cap_my_st_settle(st->mysql);
	return CAP_REAL(cap_my.real_mysql_stmt_free_result(st));
}

CAP_EXPORT my_bool mysql_stmt_reset(MYSQL_STMT *st)
{
	if (!cap_my_resolve() || cap_my.real_mysql_stmt_reset == NULL)
		return cap_my.real_mysql_stmt_reset ? cap_my.real_mysql_stmt_reset(st) : 1;
	if (st) {
		cap_my_st_settle(st->mysql);
		cap_my_give_way_m(st->mysql); /* COM_STMT_RESET is answered */
	}
	return CAP_REAL(cap_my.real_mysql_stmt_reset(st));
}

CAP_EXPORT my_bool mysql_stmt_attr_set(MYSQL_STMT *st, enum enum_stmt_attr_type type, const void *v)
{
	if (!cap_my_resolve() || cap_my.real_mysql_stmt_attr_set == NULL)
		return cap_my.real_mysql_stmt_attr_set ? cap_my.real_mysql_stmt_attr_set(st, type, v) : 1;
	if (type == STMT_ATTR_PREBIND_PARAMS && st && st->state > MYSQL_STMT_INITTED)
		cap_my_st_settle(st->mysql);
	return CAP_REAL(cap_my.real_mysql_stmt_attr_set(st, type, v));
}

CAP_EXPORT int mysql_stmt_store_result(MYSQL_STMT *st)
{
	if (!cap_my_resolve() || cap_my.real_mysql_stmt_store_result == NULL)
		return cap_my.real_mysql_stmt_store_result ? cap_my.real_mysql_stmt_store_result(st) : 1;
	if (st && st->mysql) {
		/* a hit's result is only ours to store, whoever asks (also from inside the
		 * non-blocking API) */
		int h = st_hit_store(st);
		if (h >= 0)
			return h;
		/* another statement's store (a cursor's, or one stored before) would read an
		 * unread hit's result from the wire as its own */
		cap_my_st_settle(st->mysql);
	}
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || st == NULL || st->mysql == NULL)
		return CAP_REAL(cap_my.real_mysql_stmt_store_result(st));
	/* only a result stored whole (nothing fetched before) may fill the cache */
	my_sfill *f = st->state == MYSQL_STMT_WAITING_USE_OR_STORE ? st_fill_take(st) : NULL;
	/* the entry keeps the max_length the rows alone need: this store computes it from 0
	 * (with STMT_ATTR_UPDATE_MAX_LENGTH on for it); the statement then has what the library
	 * would have left - the larger of both with the attribute, its own without */
	unsigned long keep[64], *kept = NULL;
	my_bool uml = st->update_max_length;
	if (f && st->fields && st->field_count > 0) {
		kept = st->field_count <= 64 ? keep : malloc(st->field_count * sizeof(*kept));
		if (kept == NULL) {
			cap_my_st_fill_free(f);
			f = NULL;
		}
		for (unsigned i = 0; kept && i < st->field_count; i++) {
			kept[i] = st->fields[i].max_length;
			st->fields[i].max_length = 0;
		}
		st->update_max_length = 1;
	}
	int rc = CAP_REAL(cap_my.real_mysql_stmt_store_result(st));
	if (f) {
		MYSQL *m = st->mysql;
		if (rc == 0 && m && m->warning_count == 0 && m->net.last_errno == 0 &&
		    !(m->server_status & SERVER_MORE_RESULTS_EXIST)) {
			cap_buf b;
			cap_buf_init(&b, rt->conf.max_result);
			int erc = cap_my_put_status(&b, m->server_status);
			if (erc == CAP_OK)
				erc = cap_my_stmt_encode(st, &b);
			if (erc == CAP_ETOOBIG)
				cap_stats_shape_reason(f->shape, CAP_REASON_too_large);
			if (erc == CAP_OK) {
				cap_key key = { f->hash, f->key.data, f->key.len };
				cap_engine_put(rt->engine, &key, &f->plan.deps, cap_sess_ttl(rt, &f->plan),
					       b.data, b.len);
			}
			cap_buf_free(&b);
		}
		cap_my_st_fill_free(f);
	}
	if (kept) {
		st->update_max_length = uml;
		for (unsigned i = 0; st->fields && i < st->field_count; i++)
			if (!uml || kept[i] > st->fields[i].max_length)
				st->fields[i].max_length = kept[i];
		if (kept != keep)
			free(kept);
	}
	return rc;
}

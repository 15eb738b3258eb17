/*
 * mysql_stmt.c - prepared statements (mysql_stmt_*) through the Connector/C hooks.
 *
 * Their text and the session they were prepared in (its database and sql_mode decide what the
 * text means) are recorded at mysql_stmt_prepare; each execution is classified and accounted
 * like a text statement (writes invalidate, transactions are followed). A cacheable read is
 * keyed by the session prefix, the prepare-time session, the text, and every bound parameter
 * as the library will send it (type, unsigned flag, NULL, value bytes). A miss runs for real;
 * when the program stores the whole result (mysql_stmt_store_result) with no warnings, the
 * binary-protocol rows exactly as the library keeps them (st->result) and the execute's field
 * metadata are stored (hooks/mysql_codec, "CMS1"). A hit sends nothing: it leaves the
 * statement as a real execute of a SELECT does (state WAITING_USE_OR_STORE, field metadata,
 * affected rows, errors cleared) with the cached rows behind the statement's own result hooks
 * (default_rset_handler, fetch_row_func), so that Connector/C's own mysql_stmt_fetch /
 * fetch_column decode every value into the program's buffers - every conversion, truncation
 * flag and NULL indicator is the library's. Stored or not: a program that fetches without
 * mysql_stmt_store_result reads the rows one by one (num_rows counts them),
 * mysql_stmt_store_result (interposed) puts them in st->result for data_seek and row_seek. The
 * rows belong to Capacitor and are freed at the statement's next execute, prepare or close.
 * STMT_ATTR_UPDATE_MAX_LENGTH (DBD::MariaDB and DBD::mysql set it after the execute, Ruby's
 * mysql2 before) is served too: an entry keeps the max_length its rows alone give (the fill's
 * store computes it, from 0), and a hit's store raises each field's max_length to it, as the
 * library's store does; without the attribute max_length is left alone, as the library
 * does. Cursors, array binding, callbacks, long data, prebound parameters
 * (mariadb_stmt_execute_direct) and the non-blocking API pass through uncached. One
 * difference remains, in an error case only: after a prepared hit the connection is ready at
 * once, so a program that sends another command before reading the result gets no "commands
 * out of sync" error.
 *
 * All of this writes into MYSQL_STMT and the library's method table, whose layouts belong to
 * one Connector/C release: the check that the running library is that release comes first.
 */
#include "hooks/mysql_stmt.h"
#include "hooks/exec.h"
#include "hooks/mysql_codec.h"
#include "hooks/mysql_probe.h"
#include "hooks/mysql_result.h"
#include "hooks/mysql_plan.h"
#include "cache/log.h"

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
typedef struct my_sfill {
	cap_buf key;
	cap_hash hash;
	cap_plan plan;
} my_sfill;

/* The session a statement was prepared in: the server resolves its tables in the database
 * current then and parses it under the sql_mode of then, whatever the session is at
 * execution, so the key holds both (ok 0: not known, not cached). */
typedef struct my_prep {
	int ok;
	unsigned char k[24]; /* the session's identity and fingerprint at prepare time */
} my_prep;

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

static void fill_free(my_sfill *f)
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

/* Take the hit's rows away from st (under cap_my_st_lock): st no longer points into them, and a
 * statement left in a hit's result state goes back to "prepared", so that the library's
 * next mysql_stmt_execute starts from a clean statement with nothing to flush. */
static void st_unhook(my_stmt *s)
{
	MYSQL_STMT *st = s->st;
	if (s->hit == NULL)
		return;
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

/* st_set - record (sql != NULL) or forget the text of st and the session it was prepared
 * in (prep NULL: unknown); any hit state and pending fill is dropped either way. */
static void st_set(MYSQL_STMT *st, const char *sql, size_t len, const my_prep *prep)
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
	pthread_mutex_lock(&cap_my_st_lock);
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
	pthread_mutex_unlock(&cap_my_st_lock);
	if (old) {
		free(old->hit);
		fill_free(old->fill);
		free(old->sql);
		free(old);
	}
}

/* st_begin - a new execution of st starts: drop the previous hit and pending fill, and
 * return a copy of st's text (caller frees), or NULL, and in *prep (when not NULL) the
 * session it was prepared in. */
static char *st_begin(MYSQL_STMT *st, size_t *len, my_prep *prep)
{
	char *r = NULL;
	cap_my_srows *hit = NULL;
	my_sfill *fill = NULL;
	pthread_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		st_unhook(s);
		hit = s->hit;
		fill = s->fill;
		s->hit = NULL;
		s->fill = NULL;
		r = malloc(s->len + 1);
		if (r) {
			memcpy(r, s->sql, s->len + 1);
			*len = s->len;
		}
		if (prep)
			*prep = s->prep;
	}
	pthread_mutex_unlock(&cap_my_st_lock);
	free(hit);
	fill_free(fill);
	return r;
}

void cap_my_st_forget(MYSQL_STMT *st)
{
	st_set(st, NULL, 0, NULL);
}

/* cap_my_st_drop - forget st's hit and fill (not its text). */
void cap_my_st_drop(MYSQL_STMT *st)
{
	size_t len;
	free(st_begin(st, &len, NULL));
}

/* Attach a hit's rows or a pending fill to st's record; 0 when st has no record (the
 * caller frees what it passed). */
static int st_attach(MYSQL_STMT *st, cap_my_srows *hit, my_sfill *fill)
{
	int ok = 0;
	pthread_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		if (hit)
			s->hit = hit;
		if (fill)
			s->fill = fill;
		ok = 1;
	}
	pthread_mutex_unlock(&cap_my_st_lock);
	return ok;
}

/* The hit's rows, for the unbuffered cursor: what = 0 the first row (and the cursor is set
 * there), 1 the cursor's row (and the cursor moves on), 2 the cursor's row (not moved). */
static MYSQL_ROWS *st_hit_rows(MYSQL_STMT *st, int what)
{
	MYSQL_ROWS *r = NULL;
	pthread_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s && s->hit) {
		if (what == 0)
			r = s->hit->ucur = s->hit->rows;
		else
			r = s->hit->ucur;
		if (what == 1 && r)
			s->hit->ucur = r->next;
	}
	pthread_mutex_unlock(&cap_my_st_lock);
	return r;
}

static my_sfill *st_fill_take(MYSQL_STMT *st)
{
	my_sfill *f = NULL;
	pthread_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s) {
		f = s->fill;
		s->fill = NULL;
	}
	pthread_mutex_unlock(&cap_my_st_lock);
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
	pthread_mutex_lock(&cap_my_st_lock);
	my_stmt *s = st_find(st);
	if (s && s->hit && s->hit->nf == st->field_count && st->fields)
		for (unsigned i = 0; i < s->hit->nf; i++)
			if (s->hit->fields[i].max_length > st->fields[i].max_length)
				st->fields[i].max_length = (unsigned long)s->hit->fields[i].max_length;
	pthread_mutex_unlock(&cap_my_st_lock);
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

/* May st be cached at all? Cursors, array binding, callbacks and prebound parameters
 * (mariadb_stmt_execute_direct) pass through. */
static int st_cacheable(const MYSQL_STMT *st)
{
	return st->flags == 0 && st->array_size == 0 && st->param_callback == NULL &&
	       st->result_callback == NULL && st->prebind_params == 0 &&
	       !st->cursor_exists && st->field_count > 0 && st->fields != NULL &&
	       st->stmt_id != 0 && st->state >= MYSQL_STMT_PREPARED &&
	       (st->param_count == 0 || (st->bind_param_done && st->params != NULL));
}

/* May a hit be served now? Nothing may be pending on the connection. */
static int st_can_serve(const MYSQL_STMT *st)
{
	const MYSQL *m = st->mysql;
	return m->status == MYSQL_STATUS_READY && !(m->server_status & SERVER_MORE_RESULTS_EXIST);
}

/* The key: session prefix, text, the binary protocol, and each parameter as the library
 * will send it (type, unsigned flag, NULL, value). 1 when a parameter cannot be keyed
 * (long data, an unknown type): the statement then passes through. */
static int st_key(const my_conn *mc, const MYSQL_STMT *st, const my_prep *prep, const char *sql,
		  size_t len, cap_keymat *km, cap_key *key)
{
	cap_sess_key(&mc->sess, km);
	cap_keymat_add(km, prep->k, sizeof(prep->k));
	cap_keymat_add(km, sql, len);
	/* 2: entries keep the max_length of their rows alone; older builds' did not */
	cap_keymat_add_u64(km, MY_PROTO_BINARY | 2u << 8);
	cap_keymat_add_u64(km, st->param_count);
	for (unsigned i = 0; i < st->param_count; i++) {
		const MYSQL_BIND *p = &st->params[i];
		if (p->long_data_used)
			return 1;
		int isnull = (p->is_null && *p->is_null) || p->buffer_type == MYSQL_TYPE_NULL ||
			     p->buffer == NULL;
		cap_keymat_add_u64(km, (uint64_t)p->buffer_type | (uint64_t)(p->is_unsigned ? 1 : 0) << 16 |
					       (uint64_t)isnull << 17);
		if (isnull)
			continue;
		const MYSQL_TIME *t = p->buffer;
		switch (p->buffer_type) {
		case MYSQL_TYPE_TINY:
			cap_keymat_add(km, p->buffer, 1);
			break;
		case MYSQL_TYPE_SHORT:
		case MYSQL_TYPE_YEAR:
			cap_keymat_add(km, p->buffer, 2);
			break;
		case MYSQL_TYPE_LONG:
		case MYSQL_TYPE_INT24:
		case MYSQL_TYPE_FLOAT:
			cap_keymat_add(km, p->buffer, 4);
			break;
		case MYSQL_TYPE_LONGLONG:
		case MYSQL_TYPE_DOUBLE:
			cap_keymat_add(km, p->buffer, 8);
			break;
		case MYSQL_TYPE_TIME:
		case MYSQL_TYPE_DATE:
		case MYSQL_TYPE_DATETIME:
		case MYSQL_TYPE_TIMESTAMP: {
			uint64_t v[8] = { t->year, t->month, t->day, t->hour, t->minute, t->second,
					  t->second_part, t->neg ? 1 : 0 };
			cap_keymat_add(km, v, sizeof(v));
			break;
		}
		case MYSQL_TYPE_TINY_BLOB:
		case MYSQL_TYPE_MEDIUM_BLOB:
		case MYSQL_TYPE_LONG_BLOB:
		case MYSQL_TYPE_BLOB:
		case MYSQL_TYPE_VARCHAR:
		case MYSQL_TYPE_VAR_STRING:
		case MYSQL_TYPE_STRING:
		case MYSQL_TYPE_JSON:
		case MYSQL_TYPE_DECIMAL:
		case MYSQL_TYPE_NEWDECIMAL: {
			unsigned long n = p->length ? *p->length : 0;
			if (n == (unsigned long)-1)
				n = (unsigned long)strlen(p->buffer);
			cap_keymat_add(km, p->buffer, n);
			break;
		}
		default:
			return 1;
		}
	}
	return cap_keymat_finish(km, key) == CAP_OK ? 0 : -1;
}

/* Leave st and its connection as a real mysql_stmt_execute of a SELECT leaves them (result
 * waiting for store or fetch), with s's rows behind it. 0 when s does not fit st. */
static int st_install(MYSQL_STMT *st, cap_my_srows *s, unsigned status)
{
	MYSQL *m = st->mysql;
	if (s->nf != st->field_count)
		return 0;
	if (st->result.data) {
		/* rows an earlier real execution stored: the library frees them */
		st->result_cursor = st->result.data;
		CAP_REAL(cap_my.real_mysql_stmt_free_result(st));
	}
	if (!st_attach(st, s, NULL))
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

/* An execution of a prepared statement. */
typedef int (*my_exec_fn)(MYSQL_STMT *st, const char *sql, size_t len);

static int exec_execute(MYSQL_STMT *st, const char *sql, size_t len)
{
	(void)sql;
	(void)len;
	return cap_my.real_mysql_stmt_execute(st);
}

static int exec_direct(MYSQL_STMT *st, const char *sql, size_t len)
{
	return cap_my.real_mariadb_stmt_execute_direct(st, sql, len);
}

/* ---- an execution: the query driver's port (hooks/exec) ---------------------------------- */

typedef struct my_sx {
	cap_exec x;              /* first */
	my_conn *mc;
	MYSQL_STMT *st;
	const my_prep *prep;
	my_exec_fn fn;
	int rc;                  /* the program's answer */
	cap_my_srows *rows;      /* the decoded hit */
	unsigned status;
} my_sx;

static void sx_plan(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	cap_my_plan(x->rt, c->mc, x->sql, x->sql_len, x->info, &x->plan);
}

/* Only mysql_stmt_execute of a statement whose prepare-time session is known, on the
 * Connector/C release the hooks were built for, and of a form that may be cached. */
static int sx_key(cap_exec *x, cap_keymat *km)
{
	my_sx *c = (my_sx *)x;
	if (c->fn != exec_execute || !c->prep->ok || !cap_my_st_abi_ok() || !st_cacheable(c->st))
		return 1;
	return st_key(c->mc, c->st, c->prep, x->sql, x->sql_len, km, &x->key);
}

static int sx_can_hit(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	return st_can_serve(c->st) && cap_my_session_alive(c->mc, cap_now_ns());
}

static int sx_decode(void *arg, const void *val, size_t len)
{
	my_sx *c = arg;
	long st = cap_my_take_status(&val, &len);
	c->rows = st < 0 ? NULL : cap_my_stmt_decode(val, len);
	c->status = (unsigned)st;
	return c->rows ? CAP_OK : CAP_ECORRUPT;
}

static int sx_serve(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	if (!st_install(c->st, c->rows, c->status)) {
		free(c->rows);
		return CAP_EXEC_NOT_SERVED;
	}
	cap_sess_stmt_end(&c->mc->sess, x->info, &x->plan, 1, cap_my_server_in_trans(c->mc->m));
	/* without parameters the text replays it for the diagnostics (they do not depend on the
	 * protocol) */
	if (c->st->param_count == 0)
		cap_my_replay_note(c->mc, x->sql, x->sql_len);
	c->rc = 0;
	return CAP_EXEC_SERVED;
}

static void sx_miss(cap_exec *x)
{
	cap_my_miss_deps(x->rt, ((my_sx *)x)->mc, x->info, &x->plan);
}

static int sx_run(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	c->rc = CAP_REAL(c->fn(c->st, x->sql, x->sql_len));
	x->ok = c->rc == 0;
	return CAP_EXEC_RAN;
}

/* A miss whose whole result mysql_stmt_store_result may store: its key waits on the
 * statement's record. */
static void sx_fill(cap_exec *x)
{
	my_sx *c = (my_sx *)x;
	MYSQL_STMT *st = c->st;
	MYSQL *m = st->mysql;
	if (x->ok && x->plan.can_fill && m && st->field_count > 0 &&
	    m->thread_id == c->mc->thread_id && st->state == MYSQL_STMT_WAITING_USE_OR_STORE &&
	    m->status == MYSQL_STATUS_STMT_RESULT && !st->cursor_exists && m->warning_count == 0 &&
	    !(m->server_status & SERVER_MORE_RESULTS_EXIST)) {
		my_sfill *f = malloc(sizeof(*f));
		if (f) {
			cap_buf_init(&f->key, 0);
			cap_buf_put(&f->key, x->key.mat, x->key.len);
			f->hash = x->key.hash;
			f->plan = x->plan;
			if (f->key.err || !st_attach(st, NULL, f))
				fill_free(f);
		}
	} else if (!x->ok) {
		x->plan.reason = CAP_REASON_error;
	}
}

static void sx_after(cap_exec *x)
{
	cap_my_after(x->rt, ((my_sx *)x)->mc, x->info, &x->plan, x->sql, x->sql_len, x->ok);
}

static const cap_exec_port my_stmt_port = {
	.dialect = CAP_DIALECT_MYSQL,
	.decoding = "decoding a cached MySQL statement result",
	.plan = sx_plan,
	.key = sx_key,
	.can_hit = sx_can_hit,
	.decode = sx_decode,
	.serve = sx_serve,
	.miss = sx_miss,
	.run = sx_run,
	.fill = sx_fill,
	.after = sx_after,
};

static int my_stmt_exec(const cap_rt *rt, my_conn *mc, MYSQL_STMT *st, const char *sql,
			size_t len, const my_prep *prep, my_exec_fn fn)
{
	cap_my_stmt_start(rt, mc);
	if (sql == NULL) {
		/* a statement whose text we never saw: it may do anything */
		int was = cap_my_in_txn_before(mc->m);
		cap_sess_mark_db(rt, &mc->sess);
		int rc = CAP_REAL(fn(st, NULL, 0));
		cap_engine_bump_db(rt->engine, mc->sess.scope);
		if (!cap_my_server_in_trans(mc->m))
			cap_sess_unmark(rt, &mc->sess);
		if (was || cap_my_server_in_trans(mc->m)) {
			mc->sess.wset_db = 1;
			mc->sess.txn_tainted = 1;
		}
		mc->sess.disabled = 1; /* it may have changed the session, too */
		return rc;
	}
	my_sx c = { .x = { .port = &my_stmt_port, .rt = rt, .sql = sql, .sql_len = len },
		    .mc = mc, .st = st, .prep = prep, .fn = fn };
	cap_exec_run(&c.x);
	return c.rc;
}

CAP_EXPORT int mysql_stmt_prepare(MYSQL_STMT *st, const char *q, unsigned long length)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || st == NULL || q == NULL)
		return cap_my.real_mysql_stmt_prepare ? CAP_REAL(cap_my.real_mysql_stmt_prepare(st, q, length)) : 1;
	size_t len = length == (unsigned long)-1 ? strlen(q) : length;
	st_set(st, NULL, 0, NULL); /* the library resets the statement: no hit may point into it */
	my_conn *mc = st->mysql ? cap_my_find(st->mysql, 1) : NULL;
	my_prep prep = { 0, { 0 } };
	if (mc) {
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
			cap_my_reconnected(rt, mc);
		prep.ok = (!mc->sess.probe_need || cap_my_probe(mc)) && !mc->sess.disabled && !mc->sysdb;
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id)) {
			cap_my_reconnected(rt, mc);
			prep.ok = 0;
		}
		memcpy(prep.k, &mc->sess.ident, 16);
		memcpy(prep.k + 16, &mc->sess.fp, 8);
	}
	int rc = CAP_REAL(cap_my.real_mysql_stmt_prepare(st, q, length));
	if (rc == 0)
		st_set(st, q, len, &prep);
	return rc;
}

CAP_EXPORT int mysql_stmt_execute(MYSQL_STMT *st)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || st == NULL || st->mysql == NULL) {
		if (st && !cap_guard && cap_my_resolve())
			cap_my_st_drop(st);
		return cap_my.real_mysql_stmt_execute ? CAP_REAL(cap_my.real_mysql_stmt_execute(st)) : 1;
	}
	my_conn *mc = cap_my_find(st->mysql, 1);
	size_t len = 0;
	my_prep prep = { 0, { 0 } };
	char *sql = st_begin(st, &len, &prep);
	int rc;
	if (mc == NULL) {
		rc = CAP_REAL(cap_my.real_mysql_stmt_execute(st));
		cap_my_no_state_bump(rt, sql, len);
	} else {
		rc = my_stmt_exec(rt, mc, st, sql, len, &prep, exec_execute);
	}
	free(sql);
	return rc;
}

/* mysql_stmt_free_result in the middle of an unbuffered read flushes the rest of the rows
 * from the wire and leaves the statement "fetch done"; after a hit there is nothing on the
 * wire (the connection is ready), so the library skips that: its end state is set here. */
CAP_EXPORT my_bool mysql_stmt_free_result(MYSQL_STMT *st)
{
	if (!cap_my_resolve() || cap_my.real_mysql_stmt_free_result == NULL)
		return cap_my.real_mysql_stmt_free_result ? cap_my.real_mysql_stmt_free_result(st) : 1;
	int pending = st && st->mysql && st->stmt_id &&
		      ((st->state == MYSQL_STMT_WAITING_USE_OR_STORE &&
			st->default_rset_handler == st_hit_use) ||
		       (st->fetch_row_func == ROWFN(st_hit_unbuf) &&
			(st->state == MYSQL_STMT_USE_OR_STORE_CALLED ||
			 st->state == MYSQL_STMT_USER_FETCHING)));
	my_bool rc = CAP_REAL(cap_my.real_mysql_stmt_free_result(st));
	if (pending) {
		st->state = MYSQL_STMT_FETCH_DONE;
		st->fetch_row_func = ROWFN(st_hit_eof);
	}
	return rc;
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
			fill_free(f);
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
			if (cap_my_put_status(&b, m->server_status) == CAP_OK &&
			    cap_my_stmt_encode(st, &b) == CAP_OK) {
				cap_key key = { f->hash, f->key.data, f->key.len };
				cap_engine_put(rt->engine, &key, &f->plan.deps, cap_sess_ttl(rt, &f->plan),
					       b.data, b.len);
			}
			cap_buf_free(&b);
		}
		fill_free(f);
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

CAP_EXPORT int mariadb_stmt_execute_direct(MYSQL_STMT *st, const char *q, size_t length)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || st == NULL || st->mysql == NULL || q == NULL ||
	    cap_my.real_mariadb_stmt_execute_direct == NULL)
		return cap_my.real_mariadb_stmt_execute_direct
			       ? CAP_REAL(cap_my.real_mariadb_stmt_execute_direct(st, q, length))
			       : 1;
	size_t len = length == (size_t)-1 ? strlen(q) : length;
	st_set(st, q, len, NULL);
	my_conn *mc = cap_my_find(st->mysql, 1);
	if (mc == NULL) {
		int rc = CAP_REAL(cap_my.real_mariadb_stmt_execute_direct(st, q, length));
		cap_my_no_state_bump(rt, q, len);
		return rc;
	}
	my_prep none = { 0, { 0 } };
	return my_stmt_exec(rt, mc, st, q, len, &none, exec_direct);
}

CAP_EXPORT my_bool mysql_stmt_close(MYSQL_STMT *st)
{
	if (!cap_my_resolve())
		return cap_my.real_mysql_stmt_close ? cap_my.real_mysql_stmt_close(st) : 1;
	if (st && !cap_guard)
		st_set(st, NULL, 0, NULL);
	return CAP_REAL(cap_my.real_mysql_stmt_close(st));
}

/*
 * mysql_result.c - text-protocol results handed out and stored by the Connector/C hooks.
 *
 * A hit makes mysql_real_query return 0 without a round trip and leaves the connection as the
 * server's answer would (field_count, errno 0, sqlstate "00000", no info, no warnings, no
 * further results, the index flags of server_status stored with the entry); the MYSQL_RES
 * decoded from the cached value (hooks/mysql_codec) is held until the program calls
 * mysql_store_result or mysql_use_result, which hand it out (an unread use_result hit leaves
 * the connection busy, as the server's would). A miss's result is stored by
 * mysql_store_result when it came with no warnings; results read through mysql_use_result are
 * served from the cache but not stored.
 *
 * The server's diagnostics after a hit describe the statement before it: a statement that may
 * read them (FOUND_ROWS, ROW_COUNT, warnings, errors, GET DIAGNOSTICS) right after a text hit
 * has the hit's statement run for real first.
 */
#include "hooks/mysql_result.h"
#include "cache/lock.h"
#include "hooks/mysql_codec.h"

#include <string.h>

/* ---- diagnostics after a hit ---------------------------------------------------------------
 *
 * After a hit the server's diagnostics (FOUND_ROWS(), ROW_COUNT(), the warning and error
 * lists and counts, GET DIAGNOSTICS) still describe the statement before it. When the
 * statement after a hit may read them, the hit's statement is first run for real (its result
 * discarded), so that they describe it as they would have without Capacitor. */

int cap_my_reads_diag(const cap_sql_info *info, const char *sql, size_t len)
{
	if (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_WRITE)
		return (info->reasons & CAP_SQLR_LASTID) != 0;
	return (info->reasons & CAP_SQLR_LASTID) || cap_my_has_word(sql, len, "found_rows") ||
	       cap_my_has_word(sql, len, "row_count") || cap_my_has_word(sql, len, "warning") ||
	       cap_my_has_word(sql, len, "error") || cap_my_has_word(sql, len, "diagnostics");
}

/* Before a statement (classified in info) goes to the server. */
void cap_my_replay_before(my_conn *mc, const cap_sql_info *info, const char *sql, size_t len)
{
	MYSQL *m = mc->m;
	if (m->status != MYSQL_STATUS_READY)
		return; /* refused "out of sync" by the library: the diagnostics stay the hit's */
	mc->replay_on = 0;
	if (!cap_my_reads_diag(info, sql, len) || !cap_my_can_serve(m) || cap_my_closed(mc))
		return;
	unsigned long long affected = m->affected_rows;
	if (CAP_REAL(cap_my.real_mysql_real_query(m, (const char *)mc->replay.data,
					     (unsigned long)mc->replay.len)) == 0)
		cap_my_free_res(CAP_REAL(cap_my.real_mysql_store_result(m)));
	m->affected_rows = affected;
}

/* A text hit was served for sql. */
void cap_my_replay_note(my_conn *mc, const char *sql, size_t len)
{
	mc->replay.len = 0;
	mc->replay.err = 0;
	cap_buf_put(&mc->replay, sql, len);
	mc->replay_on = mc->replay.err == 0;
}

int cap_my_put_status(cap_buf *b, unsigned status)
{
	cap_buf_u32(b, status & MY_STATUS_KEPT);
	return b->err ? CAP_ENOMEM : CAP_OK;
}

/* The status flags of a value (and past them, in *val and *len, the encoded result); -1 when
 * the value is too short. */
long cap_my_take_status(const void **val, size_t *len)
{
	uint32_t st;
	if (*len < 4)
		return -1;
	memcpy(&st, *val, 4);
	*val = (const char *)*val + 4;
	*len -= 4;
	return (long)(st & MY_STATUS_KEPT);
}

/* The status flags a hit reports: the stored ones in place of the last statement's. */
void cap_my_set_hit_status(MYSQL *m, unsigned kept)
{
	m->server_status = (m->server_status & ~(unsigned)MY_STATUS_PER_STMT) | kept;
}

int cap_my_hit_cb(void *arg, const void *val, size_t len)
{
	my_hit *h = arg;
	long st = cap_my_take_status(&val, &len);
	h->res = st < 0 ? NULL : cap_my_decode(val, len, 0, &h->wire);
	h->status = (unsigned)st;
	return h->res ? CAP_OK : CAP_ECORRUPT;
}

/* Leave the connection as the server's answer to a one-result SELECT would. */
void cap_my_set_hit_state(MYSQL *m, unsigned nf)
{
	m->field_count = nf;
	m->info = NULL;
	m->affected_rows = ~0ULL; /* as sending any command leaves it */
	m->warning_count = 0;
	m->net.last_errno = 0;
	m->net.last_error[0] = '\0';
	strcpy(m->net.sqlstate, "00000");
	m->server_status &= ~(unsigned)SERVER_MORE_RESULTS_EXIST;
	if (!(m->server_status & SERVER_STATUS_AUTOCOMMIT))
		m->server_status |= SERVER_STATUS_IN_TRANS; /* as the client library marks it */
}

/* May a hit be served now? Connector/C would refuse a new query in these states. */
int cap_my_can_serve(const MYSQL *m)
{
	return m->status == MYSQL_STATUS_READY && m->fields == NULL &&
	       !(m->server_status & SERVER_MORE_RESULTS_EXIST);
}

void cap_my_remember_fill(my_conn *mc, const cap_key *key, const cap_plan *plan, uint64_t shape)
{
	mc->fill_shape = shape;
	mc->fill_key.len = 0;
	mc->fill_key.err = 0;
	cap_buf_put(&mc->fill_key, key->mat, key->len);
	mc->fill_hash = key->hash;
	mc->fill_plan = *plan;
	mc->fill = mc->fill_key.err == 0;
}

static void do_fill(const cap_rt *rt, my_conn *mc, const MYSQL_RES *res)
{
	cap_buf b;
	cap_buf_init(&b, rt->conf.max_result);
	int rc = cap_my_put_status(&b, mc->m->server_status);
	if (rc == CAP_OK)
		rc = cap_my_encode(res, &b);
	if (rc == CAP_ETOOBIG)
		cap_stats_shape_reason(mc->fill_shape, CAP_REASON_too_large);
	if (rc == CAP_OK) {
		cap_key key = { mc->fill_hash, mc->fill_key.data, mc->fill_key.len };
		rc = cap_engine_put(rt->engine, &key, &mc->fill_plan.deps,
				    cap_sess_ttl(rt, &mc->fill_plan), b.data, b.len);
	}
	cap_buf_free(&b);
	mc->fill = 0;
}

/* ---- results served to use_result callers ------------------------------------------------------ */

/* A result handed to a mysql_use_result caller counts its rows as they are fetched and reads
 * eof only at the end, as an unbuffered result does: such results are kept in this set
 * (normally empty: mysql_fetch_row then costs one load). */
/* While such a result is unread its connection shows MYSQL_STATUS_USE_RESULT, as after a
 * real mysql_use_result, so that another command fails with "commands out of sync" as it
 * would without Capacitor; the status goes back to ready at the end of the rows or when the
 * result is freed (use_conn[] remembers the connection; mysql_close forgets it). */
#define USE_MAX 64
static MYSQL_RES *use_set[USE_MAX];
static MYSQL *use_conn[USE_MAX];
static int use_count;
static pthread_mutex_t use_lock = PTHREAD_MUTEX_INITIALIZER;

/* use_swap - put (to, m) in the slot that holds from (NULL: a free slot); 1 if there was
 * one. The slot's connection left out of the set, if any, is made ready again. */
static int use_swap(MYSQL_RES *from, MYSQL_RES *to, MYSQL *m)
{
	int found = 0;
	cap_mutex_lock(&use_lock);
	for (int i = 0; i < USE_MAX; i++)
		if (use_set[i] == from) {
			MYSQL *old = use_conn[i];
			if (old && old->status == MYSQL_STATUS_USE_RESULT)
				old->status = MYSQL_STATUS_READY;
			use_set[i] = to;
			use_conn[i] = m;
			if (m)
				m->status = MYSQL_STATUS_USE_RESULT;
			__atomic_add_fetch(&use_count, to ? 1 : -1, __ATOMIC_RELEASE);
			found = 1;
			break;
		}
	cap_mutex_unlock(&use_lock);
	return found;
}

static int use_add(MYSQL_RES *r, MYSQL *m)
{
	return use_swap(NULL, r, m);
}

static int use_del(MYSQL_RES *r)
{
	return use_swap(r, NULL, NULL);
}

/* m is being closed: its unread results no longer point to it. */
static void use_forget_conn(MYSQL *m)
{
	cap_mutex_lock(&use_lock);
	for (int i = 0; i < USE_MAX; i++)
		if (use_conn[i] == m)
			use_conn[i] = NULL;
	cap_mutex_unlock(&use_lock);
}

static int use_has(MYSQL_RES *r)
{
	int found = 0;
	cap_mutex_lock(&use_lock);
	for (int i = 0; i < USE_MAX && !found; i++)
		found = use_set[i] == r;
	cap_mutex_unlock(&use_lock);
	return found;
}

void cap_my_use_forget_conn(MYSQL *m)
{
	if (__atomic_load_n(&use_count, __ATOMIC_ACQUIRE) != 0)
		use_forget_conn(m);
}

void cap_my_use_forget_res(MYSQL_RES *r)
{
	if (r && __atomic_load_n(&use_count, __ATOMIC_ACQUIRE) != 0)
		use_del(r);
}

/* A text hit's result, handed to the program that stores it. */
MYSQL_RES *cap_my_store_hit(my_conn *mc)
{
	MYSQL *m = mc->m;
	MYSQL_RES *res = mc->pend;
	mc->pend = NULL;
	m->affected_rows = res->row_count;
	if (m->status == MYSQL_STATUS_GET_RESULT)
		m->status = MYSQL_STATUS_READY;
	return res;
}

CAP_EXPORT MYSQL_RES *mysql_store_result(MYSQL *m)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_store_result ? CAP_REAL(cap_my.real_mysql_store_result(m)) : NULL;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && mc->pend && !mc->sq_hit)
		return cap_my_store_hit(mc);
	MYSQL_RES *res = CAP_REAL(cap_my.real_mysql_store_result(m));
	if (mc && mc->fill) {
		if (res && m->warning_count == 0 && m->net.last_errno == 0)
			do_fill(rt, mc, res);
		mc->fill = 0;
	}
	return res;
}

CAP_EXPORT MYSQL_RES *mysql_use_result(MYSQL *m)
{
	const cap_rt *rt;
	if (cap_my_bypass(&rt) || m == NULL)
		return cap_my.real_mysql_use_result ? CAP_REAL(cap_my.real_mysql_use_result(m)) : NULL;
	my_conn *mc = cap_my_find(m, 0);
	if (mc && mc->pend && !mc->sq_hit) {
		MYSQL_RES *res = mc->pend;
		mc->pend = NULL;
		if (m->status == MYSQL_STATUS_GET_RESULT)
			m->status = MYSQL_STATUS_READY;
		if (use_add(res, m)) {
			res->row_count = 0;
			res->eof = 0;
			for (unsigned i = 0; i < res->field_count; i++)
				res->fields[i].max_length = 0;
		}
		return res;
	}
	if (mc)
		mc->fill = 0; /* unbuffered results are not stored */
	return CAP_REAL(cap_my.real_mysql_use_result(m));
}

CAP_EXPORT MYSQL_ROW mysql_fetch_row(MYSQL_RES *res)
{
	if (CAP_LIKELY(__atomic_load_n(&use_count, __ATOMIC_ACQUIRE) == 0) || cap_guard ||
	    res == NULL || !use_has(res)) {
		if (CAP_UNLIKELY(cap_my.real_mysql_fetch_row == NULL) && !cap_my_resolve() &&
		    cap_my.real_mysql_fetch_row == NULL)
			return NULL;
		return cap_my.real_mysql_fetch_row(res);
	}
	MYSQL_ROW row = cap_my.real_mysql_fetch_row(res);
	if (row) {
		res->row_count++;
	} else {
		res->eof = 1;
		use_del(res);
	}
	return row;
}

CAP_EXPORT void mysql_free_result(MYSQL_RES *res)
{
	cap_my_use_forget_res(res);
	if (cap_my.real_mysql_free_result == NULL && !cap_my_resolve() && cap_my.real_mysql_free_result == NULL)
		return;
	CAP_REAL_VOID(cap_my.real_mysql_free_result(res));
}

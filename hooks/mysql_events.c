/*
 * mysql_events.c - MariaDB/MySQL events (mysql_events.h): CREATE EVENT ... DO <statement>
 * makes the server run the statement on its schedule, in its own session, with no client
 * statement any hook could see. Its writes reach Capacitor only through a follower's change
 * stream (the binlog), so the catalog files what each event may write, and reads of it are
 * cached only while a live follower covers them (hooks/session_plan.c, reads_server_written).
 *
 * What is seen: information_schema.EVENTS lists the events of the schemas where the user
 * holds the EVENT privilege; only ENABLED ones run here (SLAVESIDE_DISABLED ones run on the
 * primary; a DISABLED one needs ALTER EVENT, which is DDL and reloads the catalog). With
 * @@event_scheduler = DISABLED (set at server start only) no event runs at all; OFF may be
 * switched ON at any time, so their events count. Events of schemas the user cannot see are
 * writers outside Capacitor (README): follow or a TTL.
 *
 * A body the classifier follows to the end, one statement writing named tables (INSERT,
 * UPDATE, DELETE, REPLACE, TRUNCATE) or reading, with no function it does not know as a
 * built-in, marks what a write to those tables reaches (the graph's cascades and partitions).
 * Anything else (CALL, BEGIN ... END, a function, a view that may write, a table with
 * triggers, a name the graph lacks) may write anything: every read is then refused.
 */
#include "hooks/mysql_events.h"
#include "hooks/mysql_real.h"
#include "cache/cap.h"
#include "preload/runtime.h"

#include <string.h>
#include <strings.h>

/* May the body classified in info write only what info->write names? */
static int body_known(const cap_relgraph *g, const cap_sql_info *info)
{
	const uint32_t hidden = CAP_SQLR_MALFORMED | CAP_SQLR_TOO_COMPLEX | CAP_SQLR_UNSUPPORTED |
				CAP_SQLR_MULTI | CAP_SQLR_SEQUENCE;
	if (info->nstmts != 1 || (info->reasons & hidden) ||
	    (info->kind != CAP_SQL_WRITE && info->kind != CAP_SQL_READ &&
	     info->kind != CAP_SQL_READ_NOCACHE) ||
	    (info->kind == CAP_SQL_WRITE && info->nwrite == 0))
		return 0;
	for (uint16_t i = 0; i < info->nfunc; i++)
		if (info->func_class[i] != CAP_FUNC_VOLATILE)
			return 0; /* a stored function may write anything */
	return !cap_rg_reads_may_write(g, info);
}

typedef struct mark_arg {
	cap_relgraph *g;
	uint32_t flag;
	int all;
} mark_arg;

static int mark(void *arg, const char *name, size_t n)
{
	mark_arg *a = arg;
	uint32_t x = cap_rg_find(a->g, name, n); /* never files: the walk is on the table */
	if (x == CAP_RG_NONE)
		a->all = 1;
	else
		a->g->rels[x].flags |= a->flag;
	return CAP_OK;
}

/* Whether events run on this server at all: not when the scheduler is DISABLED. */
static int scheduler_may_run(MYSQL *side, int *err)
{
	static const char q[] = "SELECT @@event_scheduler";
	*err = CAP_OK;
	if (CAP_REAL(cap_my.real_mysql_real_query(side, q, sizeof(q) - 1)) != 0) {
		*err = CAP_EIO;
		return 1;
	}
	MYSQL_RES *r = CAP_REAL(cap_my.real_mysql_store_result(side));
	if (r == NULL) {
		*err = CAP_EIO;
		return 1;
	}
	MYSQL_ROW row = CAP_REAL(cap_my.real_mysql_fetch_row(r));
	int run = !(row && row[0] && strcasecmp(row[0], "DISABLED") == 0);
	CAP_REAL_VOID(cap_my.real_mysql_free_result(r));
	return run;
}

int cap_myev_load(MYSQL *side, cap_relgraph *g, uint32_t flag, uint32_t whole, cap_sql_info *info,
		  int *what)
{
	static const char q[] = "SELECT EVENT_DEFINITION FROM information_schema.EVENTS "
				"WHERE STATUS = 'ENABLED'";
	int err;
	*what = CAP_MYEV_NONE;
	if (!scheduler_may_run(side, &err))
		return CAP_OK;
	if (err != CAP_OK)
		return err;
	if (CAP_REAL(cap_my.real_mysql_real_query(side, q, sizeof(q) - 1)) != 0)
		return CAP_EIO;
	MYSQL_RES *r = CAP_REAL(cap_my.real_mysql_store_result(side));
	if (r == NULL)
		return CAP_EIO;
	mark_arg a = { g, flag, 0 };
	MYSQL_ROW row;
	int any = 0;
	while ((row = CAP_REAL(cap_my.real_mysql_fetch_row(r))) != NULL && !a.all) {
		any = 1;
		const char *body = row[0] ? row[0] : "";
		cap_sql_classify(CAP_DIALECT_MYSQL, body, strlen(body), info);
		/* a body the user may not read (NULL) proves nothing */
		if (row[0] == NULL || !body_known(g, info) ||
		    cap_rg_write_reach(g, info, whole, mark, &a))
			a.all = 1;
	}
	CAP_REAL_VOID(cap_my.real_mysql_free_result(r));
	*what = a.all ? CAP_MYEV_ALL : any ? CAP_MYEV_SOME : CAP_MYEV_NONE;
	return CAP_OK;
}

int cap_myev_reads(const cap_relgraph *g, uint32_t flag, int what, const cap_sql_info *info)
{
	if (CAP_LIKELY(what == CAP_MYEV_NONE))
		return 0;
	if (what == CAP_MYEV_ALL)
		return info->nread != 0;
	for (uint16_t i = 0; i < info->nread; i++) {
		const cap_sql_name *nm = &info->read[i];
		uint32_t x = cap_rg_find(g, info->names + nm->name_off, nm->name_len);
		if (x != CAP_RG_NONE && cap_rg_reads_flagged(g, x, flag))
			return 1;
	}
	return 0;
}

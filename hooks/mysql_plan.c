/*
 * mysql_plan.c - before and after one MySQL statement, text or prepared (mysql_plan.h).
 *
 * Before: a reconnect inside the client library (a new thread id) starts the session's state
 * over; the statement is classified (MySQL dialect); a cacheable read on a session whose
 * settings are unknown reads them back first (hooks/mysql_probe); the catalog vets what it
 * reaches; the policy (hooks/session) decides; a system schema as the current database, LOCK
 * TABLES, sql_auto_is_null, session_track_transaction_info or settings still unknown keep it
 * out of the cache.
 *
 * After: the policy's bookkeeping (cap_sess_after, cap_sess_stmt_end), and what only the
 * MySQL text shows: USE of a system schema, LOCK/UNLOCK TABLES, DDL on a temporary table,
 * code that may have made temporary tables of any name, a multi-result statement that goes
 * on writing while the program reads.
 */
#include "hooks/mysql_plan.h"
#include "hooks/mysql_init.h"
#include "hooks/mysql_probe.h"
#include "hooks/session_my.h"
#include "hooks/mysql_result.h"
#include "cache/sqlmemo.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void init_account(const cap_rt *rt, my_conn *mc);

void cap_my_plan(const cap_rt *rt, my_conn *mc, const char *sql, size_t len, cap_sql_info *info,
		 cap_plan *plan)
{
	if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
		cap_my_reconnected(rt, mc);
	if (CAP_UNLIKELY(mc->init_pending))
		init_account(rt, mc);
	cap_sql_classify_memo(CAP_DIALECT_MYSQL, sql, len, info);
	int unknown = 0, probed = 0;
	/* before a read (one whose functions the rules may declare safe is cacheable too) that
	 * the read-back may precede unseen */
	if (CAP_UNLIKELY(mc->sess.probe_need) && cap_my_probe_fits(mc, info, sql, len)) {
		unknown = !cap_my_probe(mc);
		probed = 1;
		if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id)) {
			cap_my_reconnected(rt, mc); /* the probe itself reconnected */
			unknown = 1;
		}
	}
	if (CAP_UNLIKELY(mc->cs_seen != (const void *)mc->m->charset))
		cap_my_refresh_params(mc);
	if (CAP_UNLIKELY(cap_my_text_unreadable(mc, sql, len)))
		cap_sql_unknown(info);
	cap_mycat *cat = mc->cat;
	if (info->kind == CAP_SQL_READ || info->kind == CAP_SQL_READ_NOCACHE ||
	    info->kind == CAP_SQL_WRITE)
		cat = cap_mycat_get(rt, mc->m, &mc->sess, &mc->cat);
	cap_sess_stmt_begin(&mc->sess, cap_my_server_in_trans(mc->m));
	cap_sess_plan(rt, &mc->sess, info, cap_my_in_txn_before(mc->m), &cap_mycat_ops, cat, plan);
	if (plan->act == CAP_ACT_CACHE &&
	    CAP_UNLIKELY(mc->sysdb || mc->locked || mc->auto_is_null || mc->trx_track || unknown)) {
		/* unqualified names are the server's live tables; under LOCK TABLES a table not
		 * locked must fail as it would on the server */
		plan->act = CAP_ACT_PASS;
		plan->can_hit = plan->can_fill = 0;
		plan->reason = mc->locked ? CAP_REASON_locking
					  : mc->sysdb ? CAP_REASON_syscatalog : CAP_REASON_session;
	}
	/* a read that may hit and has just paid for a round trip (the read-back) has its socket
	 * watched now (hooks/connwatch: a slot, the thread started), not at its hit */
	if (CAP_UNLIKELY(probed) && plan->can_hit)
		(void)cap_my_closed(mc);
	if (CAP_UNLIKELY(mc->replay_on))
		cap_my_replay_before(mc, info, sql, len);
}

/* Does a DDL statement name a temporary table of this session (ALTER TABLE tmp RENAME TO
 * items, RENAME TABLE tmp TO items)? Then which names are temporary is not known. */
static int ddl_touches_temp(const cap_sess *s, const cap_sql_info *info)
{
	for (uint16_t i = 0; i < info->nwrite; i++) {
		const cap_sql_name *w = &info->write[i];
		for (uint32_t t = 0; t < s->ntemps; t++)
			if (strlen(s->temps[t]) == w->name_len &&
			    strncasecmp(s->temps[t], info->names + w->name_off, w->name_len) == 0)
				return 1;
	}
	return 0;
}

/* Does the statement run a stored function: one it calls (in any kind of statement: SELECT,
 * DO, SET @x = f(), a write) that the rules do not declare safe, or one a view it reads calls? */
static int calls_stored_code(const cap_sql_info *info, const cap_plan *plan)
{
	if (plan->fn_may_write)
		return 1;
	for (uint16_t i = 0; i < info->nfunc; i++)
		if (info->func_class[i] == CAP_FUNC_UNKNOWN && !(i < 32 && (plan->safe_funcs >> i & 1)))
			return 1;
	return 0;
}

/* Bookkeeping after a statement ran on the server. */
void cap_my_after(const cap_rt *rt, my_conn *mc, const cap_sql_info *info, const cap_plan *plan,
		  const char *sql, size_t len, int ok)
{
	if (CAP_UNLIKELY(mc->m->thread_id != mc->thread_id))
		cap_my_reconnected(rt, mc); /* the statement ran in a new session: no fill */
	if (CAP_UNLIKELY(mc->init_pending))
		init_account(rt, mc); /* and the library ran its init commands there first */
	mc->contact_ns = cap_now_ns();
	mc->diag_own = 1;
	/* a read changes no setting, unless it calls code (then it asks for a read-back) */
	if ((info->kind != CAP_SQL_READ && info->kind != CAP_SQL_READ_NOCACHE) ||
	    cap_sess_my_needs_probe(info, plan, sql, len))
		mc->stmt_seq++;
	/* the rest of a multi-statement string still runs: its marker stays until the last
	 * result (mysql_next_result) */
	mc->sess.mark_keep = (mc->m->server_status & SERVER_MORE_RESULTS_EXIST) &&
			     plan->act != CAP_ACT_CACHE && info->kind != CAP_SQL_READ &&
			     info->kind != CAP_SQL_EMPTY;
	cap_sess_after(rt, &mc->sess, info, plan, sql, len, ok, cap_my_server_in_trans(mc->m),
		       &cap_mycat_ops, mc->cat);
	cap_sess_stmt_end(&mc->sess, info, plan, ok, cap_my_server_in_trans(mc->m));
	if (CAP_UNLIKELY(info->kind != CAP_SQL_READ && info->kind != CAP_SQL_WRITE)) {
		if (ok && (info->flags & CAP_SQLF_USE_DB))
			mc->sysdb = cap_my_is_sysdb(info->names + info->db.name_off, info->db.name_len);
		if (info->kind == CAP_SQL_DDL && mc->sess.ntemps && !(info->flags & CAP_SQLF_TEMP) &&
		    ddl_touches_temp(&mc->sess, info))
			mc->sess.disabled = 1;
		/* code we cannot read (a procedure, a prepared SQL statement) or a compound
		 * statement may have created temporary tables of any name: the server offers no
		 * way to list them */
		if (info->kind == CAP_SQL_OTHER &&
		    (cap_my_has_word(sql, len, "temporary") || cap_my_has_word(sql, len, "call") ||
		     cap_my_has_word(sql, len, "execute")))
			mc->sess.disabled = 1;
		/* the transaction tracking may be on from now (my_conn.trx_track): until a read-back
		 * between transactions says otherwise, nothing of ours runs in a transaction */
		if (cap_my_has_word(sql, len, "session_track_transaction_info"))
			mc->trx_track = 1;
	}
	/* the catalog connection logs in with the connection's password, which this may have
	 * changed (hooks/mysql_catalog.h) */
	if (CAP_UNLIKELY(info->kind != CAP_SQL_READ && info->kind != CAP_SQL_WRITE) &&
	    cap_mycat_may_change_creds(info, sql, len))
		cap_mycat_creds_dead(mc->m);
	/* so may a stored function the statement calls (or a view it reads calls) and a trigger
	 * its write fires, and they may SET any variable, the isolation level too, where no
	 * text of ours shows it: the connection caches nothing from now on */
	if (CAP_UNLIKELY(plan->act == CAP_ACT_WRITE) && !mc->sess.disabled &&
	    (calls_stored_code(info, plan) || cap_mycat_write_runs_code(mc->cat, &mc->sess, info)))
		mc->sess.disabled = 1;
	/* table locks in any spelling (executable comments, FLUSH TABLES ... WITH READ LOCK),
	 * also inside a multi-statement string: a LOCK anywhere in it, even one that failed,
	 * counts until an UNLOCK alone succeeds */
	if (CAP_UNLIKELY(info->flags & CAP_SQLF_LOCK_TABLES))
		mc->locked = 1;
	else if (CAP_UNLIKELY(info->flags & CAP_SQLF_UNLOCK_TABLES) && ok)
		mc->locked = 0;
	cap_my_fix_scope(mc);
	/* a multi-statement string or a CALL goes on running while the program reads its
	 * results: whatever may write is bumped again at each mysql_next_result */
	if ((mc->m->server_status & SERVER_MORE_RESULTS_EXIST) && plan->act != CAP_ACT_CACHE &&
	    info->kind != CAP_SQL_READ && info->kind != CAP_SQL_EMPTY)
		mc->multi_dirty = 1;
}

/* cap_my_miss_deps - a cacheable read missed and is about to be sent: read the generations its
 * entry will depend on now (DESIGN.md contract point 5); hits never pay for this. */
void cap_my_miss_deps(const cap_rt *rt, my_conn *mc, const cap_sql_info *info, cap_plan *plan)
{
	if (plan->act == CAP_ACT_CACHE && plan->can_fill) {
		cap_my_orphans(rt, mc);
		cap_sess_deps(rt, &mc->sess, info, &cap_mycat_ops, mc->cat, plan);
	}
}


/* A new session (connect, reconnect, or a change of user or reset, which the library does not
 * follow with its init commands: accounting them again only costs) ran the library's init
 * commands (hooks/mysql_init.c) before anything of the program: each is planned and accounted
 * as if the program had sent it and it succeeded (mysql_real_connect fails when one fails). A
 * write bumps what it wrote (again at its transaction's end), a temporary table is the
 * session's, a SET is read back by the next probe, LOCK TABLES holds. A library that cannot
 * say what they are: the session caches nothing and anything may have been written. */
static void init_account(const cap_rt *rt, my_conn *mc)
{
	char **cmds;
	unsigned int n;
	mc->init_pending = 0;
	if (!cap_my_init_cmds(mc->m, &cmds, &n)) {
		mc->sess.disabled = 1;
		cap_engine_bump_all(rt->engine);
		return;
	}
	if (CAP_LIKELY(n == 0))
		return;
	cap_sql_info *info = malloc(sizeof(*info));
	if (info == NULL) {
		mc->sess.disabled = 1;
		cap_engine_bump_all(rt->engine);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		cap_plan plan;
		size_t len = cmds[i] ? strlen(cmds[i]) : 0;
		cap_my_plan(rt, mc, cmds[i] ? cmds[i] : "", len, info, &plan);
		cap_my_after(rt, mc, info, &plan, cmds[i] ? cmds[i] : "", len, 1);
	}
	free(info);
}

/* cap_my_connected - m has just connected: account the init commands now, before another
 * process can store what they changed as fresh. */
void cap_my_connected(const cap_rt *rt, MYSQL *m)
{
	my_conn *mc = cap_my_find(m, 1);
	if (mc && mc->init_pending)
		init_account(rt, mc);
}

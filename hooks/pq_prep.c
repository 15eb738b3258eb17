/*
 * pq_prep.c - prepared statements through the libpq hooks: the text and parameter types of
 * every statement the program prepared (by name; "" is the unnamed one), so that
 * PQexecPrepared and PQsendQueryPrepared are classified and keyed like their text; the
 * unnamed statement's protocol rules (the extended protocol replaces it, a simple query
 * destroys it, a hit that stands in for it must give it back before the program uses it).
 * The interposed PQprepare, PQsendPrepare and describe calls are in pq.c.
 */
#include "hooks/pq_conn.h"

#include <strings.h>

pq_prep *cap_pq_prep_find(pq_conn *pc, const char *name)
{
	for (pq_prep *p = pc->preps; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

void cap_pq_prep_drop(pq_conn *pc, const char *name)
{
	for (pq_prep **pp = &pc->preps; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			pq_prep *p = *pp;
			*pp = p->next;
			cap_pq_prep_free(p);
			return;
		}
}

pq_prep *cap_pq_prep_new(const char *name, const char *sql, int nparams, const Oid *types)
{
	pq_prep *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->name = strdup(name ? name : "");
	p->sql = strdup(sql);
	p->nparams = nparams;
	if (types && nparams > 0) {
		p->types = malloc((size_t)nparams * sizeof(Oid));
		if (p->types)
			memcpy(p->types, types, (size_t)nparams * sizeof(Oid));
	}
	if (!p->name || !p->sql || (types && nparams > 0 && !p->types)) {
		cap_pq_prep_free(p);
		return NULL;
	}
	return p;
}

/* cap_pq_prep_add - the server accepted p: it replaces any statement of that name. */
void cap_pq_prep_add(pq_conn *pc, pq_prep *p)
{
	cap_pq_prep_drop(pc, p->name);
	p->next = pc->preps;
	pc->preps = p;
}

/* SQL-level PREPARE, DEALLOCATE and DISCARD change prepared statements behind libpq's back:
 * forget them all (their executions are then treated as unknown statements). */
int cap_pq_mentions_prepared(const char *sql, size_t len)
{
	for (size_t i = 0; i + 7 <= len; i++) {
		char c = (char)(sql[i] | 0x20);
		if ((c == 'p' && strncasecmp(sql + i, "prepare", 7) == 0) ||
		    (c == 'd' && (strncasecmp(sql + i, "dealloc", 7) == 0 ||
				  strncasecmp(sql + i, "discard", 7) == 0)))
			return 1;
	}
	return 0;
}

int cap_pq_mentions_listen(const char *sql, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if ((sql[i] | 0x20) == 'l' && strncasecmp(sql + i, "listen", 6) == 0)
			return 1;
	return 0;
}

void cap_pq_unnamed_stale(pq_conn *pc)
{
	pq_prep *p = cap_pq_prep_find(pc, "");
	if (p)
		p->stale = 1;
}

/* The unnamed prepared statement follows the protocol: the extended protocol replaces it, a
 * simple query destroys it. */
void cap_pq_track_unnamed(pq_conn *pc, const pq_call *call)
{
	if (call->stmt_name)
		return;
	pc->unnamed_live = call->extended;
	pc->unnamed_dead = 0;
	cap_pq_prep_drop(pc, "");
	if (call->extended && call->sql) {
		pq_prep *p = cap_pq_prep_new("", call->sql, call->nparams, call->types);
		if (p)
			cap_pq_prep_add(pc, p);
	}
}

/* p records what cap_pq_prep_new("", call's text, parameter count and types) would. */
static int prep_is_call(const pq_prep *p, const pq_call *call)
{
	if (p->nparams != call->nparams || strcmp(p->sql, call->sql) != 0)
		return 0;
	if (call->types == NULL || call->nparams <= 0)
		return p->types == NULL;
	return p->types && memcmp(p->types, call->types, (size_t)call->nparams * sizeof(Oid)) == 0;
}

/* A hit is about to stand in for a statement sent with the extended protocol: the program's
 * unnamed statement will be this one, the server's will not. The record that lets
 * cap_pq_unnamed_restore put it right is made before the hit is served: without it (no memory) the
 * hit is not served, and the real call replaces the server's statement itself. A program that
 * runs one PQexecParams over and over already has that record (from the last hit or the last
 * real call): it is the answer, and a hit allocates nothing for it. */
pq_prep *cap_pq_unnamed_hit_prep(pq_conn *pc, const pq_call *call)
{
	pq_prep *p = cap_pq_prep_find(pc, "");
	if (p && prep_is_call(p, call))
		return p;
	return cap_pq_prep_new("", call->sql, call->nparams, call->types);
}

/* The hit was served: p (from cap_pq_unnamed_hit_prep) is the program's unnamed statement now. */
void cap_pq_unnamed_hit(pq_conn *pc, pq_prep *p)
{
	p->stale = 1;
	pc->unnamed_dead = 0; /* its restore replaces whatever the server has */
	if (p != cap_pq_prep_find(pc, ""))
		cap_pq_prep_add(pc, p);
}

/* The hit was not served: p (from cap_pq_unnamed_hit_prep) goes, unless it is the record the
 * connection already had. */
void cap_pq_unnamed_hit_unused(pq_conn *pc, pq_prep *p)
{
	if (p != cap_pq_prep_find(pc, ""))
		cap_pq_prep_free(p);
}

/* cap_pq_unnamed_simple_hit - a hit stood in for a simple query, which destroys the unnamed
 * statement: the program has none from now on (its record is hidden, so that nothing is
 * classified or served as it, and kept: a hit frees nothing, and a PQexecParams hit of the
 * same text takes it back), and the server's, if it may have one, is destroyed before the
 * program next uses the unnamed statement (cap_pq_unnamed_restore), where the program's call
 * then fails as it would have. */
void cap_pq_unnamed_simple_hit(pq_conn *pc)
{
	if (pc->unnamed_live || cap_pq_prep_find(pc, ""))
		pc->unnamed_dead = 1;
	pc->unnamed_live = 0; /* nothing of the program's left to keep: our queries may run */
}

/* Before the program uses the unnamed statement: give the server the one the program thinks
 * it has (none, after a simple query a hit stood in for: an empty query of ours destroys
 * it). NULL, or the failed PQprepare's result (the program gets it in place of its own). */
PGresult *cap_pq_unnamed_restore(pq_conn *pc)
{
	if (pc->unnamed_dead) {
		cap_pq.real_PQclear(CAP_REAL(cap_pq.real_PQexec(pc->conn, "")));
		pc->unnamed_dead = 0;
		pc->unnamed_live = 0;
		cap_pq_prep_drop(pc, "");
		return NULL;
	}
	pq_prep *p = cap_pq_prep_find(pc, "");
	if (p == NULL || !p->stale)
		return NULL;
	PGresult *r = CAP_REAL(cap_pq.real_PQprepare(pc->conn, "", p->sql, p->nparams, p->types));
	if (r && cap_pq.real_PQresultStatus(r) == PGRES_COMMAND_OK) {
		cap_pq.real_PQclear(r);
		p->stale = 0;
		return NULL;
	}
	cap_pq_prep_drop(pc, "");
	return r;
}

void cap_pq_prepared_call(pq_conn *pc, pq_call *call, const char *name, int nParams,
			  const char *const *values, const int *lengths, const int *formats,
			  int resultFormat)
{
	pq_prep *p = pc ? cap_pq_prep_find(pc, name ? name : "") : NULL;
	if (p && p->name[0] == '\0' && pc->unnamed_dead)
		p = NULL; /* the program has none (cap_pq_unnamed_simple_hit) */
	memset(call, 0, sizeof(*call));
	call->stmt_name = name ? name : "";
	call->nparams = nParams;
	call->values = values;
	call->lengths = lengths;
	call->formats = formats;
	call->result_format = resultFormat;
	if (p) {
		/* the parameter count need not match the prepare's (PQprepare(..., 0, NULL) and
		 * the server infers them): types given at prepare count, the rest are inferred */
		call->sql = p->sql;
		call->sql_len = strlen(p->sql);
		call->types = p->types;
		call->ntypes = p->types ? p->nparams : 0;
	}
}

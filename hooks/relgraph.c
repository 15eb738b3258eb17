/*
 * relgraph.c - one catalog's relations and their edges (see relgraph.h).
 *
 * The table is open addressing keyed by a name hash and never more than half full, so a
 * lookup ends at the first empty slot; slots are the graph's node numbers and never move.
 * Walks are bounded: views by CAP_RG_MAX_DEPTH (a deeper nest is taken as the worst case,
 * never followed further), cascading parents by MAX_FK_CLOSURE, and a write's reach by one
 * "seen" byte per slot (foreign keys and inheritance may form cycles).
 */
#include "hooks/relgraph.h"
#include "cache/cap.h"
#include "cache/key.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FK_CLOSURE 32 /* cascading parents a read may depend on */

int cap_rg_init(cap_relgraph *g, uint32_t min_slots, int fold)
{
	memset(g, 0, sizeof(*g));
	g->cap = 64;
	while (g->cap < min_slots)
		g->cap <<= 1;
	g->fold = fold;
	g->rels = calloc(g->cap, sizeof(cap_rgrel));
	return g->rels ? CAP_OK : CAP_ENOMEM;
}

void cap_rg_free(cap_relgraph *g)
{
	for (uint32_t i = 0; g->rels && i < g->cap; i++) {
		cap_rgrel *r = &g->rels[i];
		free(r->name);
		free(r->base);
		free(r->casc);
		free(r->fkup);
		free(r->up);
		free(r->down);
	}
	free(g->rels);
	g->rels = NULL;
}

/* The slot of name, filing it when add is set. With fold the name is looked up lower-cased
 * (key, CAP_RG_NAME_MAX bytes). */
static uint32_t slot(cap_relgraph *g, const char *name, size_t n, int add)
{
	char key[CAP_RG_NAME_MAX];
	if (g->fold) {
		if (n == 0 || n >= sizeof(key))
			return CAP_RG_NONE;
		for (size_t i = 0; i < n; i++)
			key[i] = (char)tolower((unsigned char)name[i]);
		name = key;
	}
	uint32_t mask = g->cap - 1, i = (uint32_t)cap_hash64(name, n, 0xca7) & mask;
	for (;; i = (i + 1) & mask) {
		cap_rgrel *r = &g->rels[i];
		if (r->name == NULL) {
			if (!add || g->nrels + 1 > g->cap / 2)
				return CAP_RG_NONE;
			r->name = strndup(name, n);
			if (r->name == NULL)
				return CAP_RG_NONE;
			g->nrels++;
			return i;
		}
		if (strlen(r->name) == n && memcmp(r->name, name, n) == 0)
			return i;
	}
}

uint32_t cap_rg_add(cap_relgraph *g, const char *name, size_t n)
{
	return slot(g, name, n, 1);
}

uint32_t cap_rg_find(const cap_relgraph *g, const char *name, size_t n)
{
	return slot((cap_relgraph *)g, name, n, 0); /* never writes without add */
}

/* Add x to the list (*v, *n) unless it is there. */
static int push(uint32_t **v, uint32_t *n, uint32_t x)
{
	for (uint32_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return CAP_OK;
	uint32_t *nv = realloc(*v, (*n + 1) * sizeof(uint32_t));
	if (nv == NULL)
		return CAP_ENOMEM;
	nv[(*n)++] = x;
	*v = nv;
	return CAP_OK;
}

int cap_rg_view_base(cap_relgraph *g, uint32_t view, uint32_t base)
{
	return push(&g->rels[view].base, &g->rels[view].nbase, base);
}

int cap_rg_cascade(cap_relgraph *g, uint32_t parent, uint32_t child, int readers)
{
	cap_rgrel *p = &g->rels[parent], *c = &g->rels[child];
	if (push(&p->casc, &p->ncasc, child) != CAP_OK)
		return CAP_ENOMEM;
	return readers ? push(&c->fkup, &c->nfkup, parent) : CAP_OK;
}

int cap_rg_inherits(cap_relgraph *g, uint32_t child, uint32_t parent)
{
	cap_rgrel *c = &g->rels[child], *p = &g->rels[parent];
	if (push(&c->up, &c->nup, parent) != CAP_OK)
		return CAP_ENOMEM;
	return push(&p->down, &p->ndown, child);
}

static int view_writes(const cap_relgraph *g, uint32_t x, int depth)
{
	const cap_rgrel *r = &g->rels[x];
	if (!(r->flags & CAP_RG_KNOWN) || (r->flags & CAP_RG_VIEW_WRITES) || depth >= CAP_RG_MAX_DEPTH)
		return 1;
	if (!(r->flags & CAP_RG_VIEW))
		return 0;
	for (uint32_t i = 0; i < r->nbase; i++)
		if (view_writes(g, r->base[i], depth + 1))
			return 1;
	return 0;
}

int cap_rg_view_writes(const cap_relgraph *g, uint32_t x)
{
	return view_writes(g, x, 0);
}

void cap_rg_finish(cap_relgraph *g)
{
	g->view_writes = 0;
	for (uint32_t i = 0; i < g->cap && !g->view_writes; i++)
		if ((g->rels[i].flags & CAP_RG_VIEW) && view_writes(g, i, 0))
			g->view_writes = 1;
}

/* ---- reads ---------------------------------------------------------------------------------- */

typedef struct walk {
	const cap_relgraph *g;
	cap_rg_visit visit;
	void *arg;
	enum cap_reason *why;
} walk;

static int visit_rel(const walk *w, const cap_rgrel *r)
{
	if (w->visit(w->arg, r->name, strlen(r->name)) == CAP_OK)
		return CAP_OK;
	*w->why = CAP_REASON_uncacheable;
	return CAP_ETOOBIG;
}

/* The cascading parents of x, transitively: a write to one may change x's rows through a key
 * x's reader sees but the parent's writer may not. seen[0..*nseen) holds what is in. */
static int fk_parents(const walk *w, uint32_t x, uint32_t *seen, uint32_t *nseen)
{
	const cap_rgrel *r = &w->g->rels[x];
	for (uint32_t i = 0; i < r->nfkup; i++) {
		uint32_t p = r->fkup[i], k = 0;
		while (k < *nseen && seen[k] != p)
			k++;
		if (k < *nseen)
			continue;
		const cap_rgrel *pr = &w->g->rels[p];
		if (!(pr->flags & CAP_RG_TABLE) || *nseen == MAX_FK_CLOSURE) {
			*w->why = CAP_REASON_catalog; /* a parent we cannot see: its own keys unknown */
			return CAP_EINVAL;
		}
		seen[(*nseen)++] = p;
		if (visit_rel(w, pr) != CAP_OK)
			return CAP_ETOOBIG;
		if (fk_parents(w, p, seen, nseen) != CAP_OK)
			return CAP_EINVAL;
	}
	return CAP_OK;
}

static int rel_deps(const walk *w, uint32_t x, int depth)
{
	const cap_relgraph *g = w->g;
	const cap_rgrel *r = &g->rels[x];
	for (size_t i = 0; i < CAP_ARRAY_LEN(g->refuse); i++)
		if (r->flags & g->refuse[i].flags) {
			*w->why = g->refuse[i].why;
			return CAP_EINVAL;
		}
	if (visit_rel(w, r) != CAP_OK)
		return CAP_ETOOBIG;
	if (r->nfkup) {
		uint32_t seen[MAX_FK_CLOSURE + 1] = { x }, nseen = 1;
		if (fk_parents(w, x, seen, &nseen) != CAP_OK)
			return CAP_EINVAL;
	}
	if (!(r->flags & CAP_RG_VIEW))
		return CAP_OK; /* a table, a materialized view: the name itself */
	if ((r->flags & CAP_RG_VIEW_BAD) || depth >= CAP_RG_MAX_DEPTH) {
		*w->why = (r->flags & CAP_RG_VIEW_BAD) ? CAP_REASON_volatile : CAP_REASON_catalog;
		return CAP_EINVAL;
	}
	for (uint32_t i = 0; i < r->nbase; i++)
		if (rel_deps(w, r->base[i], depth + 1) != CAP_OK)
			return CAP_EINVAL;
	return CAP_OK;
}

int cap_rg_read_deps(const cap_relgraph *g, const cap_sql_info *info, cap_rg_visit visit,
		     void *arg, enum cap_reason *why)
{
	walk w = { g, visit, arg, why };
	for (uint16_t i = 0; i < info->nread; i++) {
		const cap_sql_name *nm = &info->read[i];
		uint32_t x = cap_rg_find(g, info->names + nm->name_off, nm->name_len);
		if (x == CAP_RG_NONE || !(g->rels[x].flags & CAP_RG_KNOWN)) {
			*why = CAP_REASON_catalog; /* unknown when loaded (or only seen as a name) */
			return CAP_EINVAL;
		}
		if (rel_deps(&w, x, 0) != CAP_OK)
			return CAP_EINVAL;
	}
	return CAP_OK;
}

int cap_rg_reads_may_write(const cap_relgraph *g, const cap_sql_info *info)
{
	for (uint16_t i = 0; i < info->nread && g->view_writes; i++) {
		const cap_sql_name *nm = &info->read[i];
		uint32_t x = cap_rg_find(g, info->names + nm->name_off, nm->name_len);
		/* a name unknown when the catalog was loaded: created since, or a temporary table
		 * (a view created since is seen at the reload that any DDL through us causes); one
		 * the user cannot see: the server refuses the read */
		if (x != CAP_RG_NONE && (g->rels[x].flags & CAP_RG_VIEW) && view_writes(g, x, 0))
			return 1;
	}
	return 0;
}

static int reads_flagged(const cap_relgraph *g, uint32_t x, uint32_t mask, int depth)
{
	const cap_rgrel *r = &g->rels[x];
	if ((r->flags & mask) || depth >= CAP_RG_MAX_DEPTH)
		return 1;
	if (r->flags & CAP_RG_VIEW)
		for (uint32_t i = 0; i < r->nbase; i++)
			if (reads_flagged(g, r->base[i], mask, depth + 1))
				return 1;
	for (uint32_t i = 0; i < r->ndown; i++)
		if (reads_flagged(g, r->down[i], mask, depth + 1))
			return 1;
	return 0;
}

int cap_rg_reads_flagged(const cap_relgraph *g, uint32_t x, uint32_t mask)
{
	return reads_flagged(g, x, mask, 0);
}

/* ---- writes --------------------------------------------------------------------------------- */

/* Visit x and everything a write to it changes; 1 when a relation on the way has a flag in
 * mask (or visit stops), else 0. */
static int write_walk(const walk *w, uint32_t x, uint32_t mask, uint8_t *seen)
{
	if (seen[x])
		return 0;
	seen[x] = 1;
	const cap_rgrel *r = &w->g->rels[x];
	if (r->flags & mask)
		return 1;
	if (w->visit && w->visit(w->arg, r->name, strlen(r->name)) != CAP_OK)
		return 1;
	const uint32_t *lists[] = { r->casc, r->up, r->down };
	const uint32_t lens[] = { r->ncasc, r->nup, r->ndown };
	for (size_t l = 0; l < CAP_ARRAY_LEN(lists); l++)
		for (uint32_t i = 0; i < lens[l]; i++)
			if (write_walk(w, lists[l][i], mask, seen))
				return 1;
	return 0;
}

int cap_rg_write_reach(const cap_relgraph *g, const cap_sql_info *info, uint32_t mask,
		       cap_rg_visit visit, void *arg)
{
	walk w = { g, visit, arg, NULL };
	uint8_t *seen = calloc(g->cap, 1);
	int whole = seen == NULL;
	for (uint16_t i = 0; i < info->nwrite && !whole; i++) {
		const cap_sql_name *nm = &info->write[i];
		uint32_t x = cap_rg_find(g, info->names + nm->name_off, nm->name_len);
		/* the name itself is visited in any case: a table created after the catalog was
		 * loaded has no entry, and its readers depend on its name */
		if (visit)
			visit(arg, info->names + nm->name_off, nm->name_len);
		whole = x == CAP_RG_NONE || write_walk(&w, x, mask, seen);
	}
	free(seen);
	return whole;
}

/* ---- on the engine -------------------------------------------------------------------------- */

typedef struct engine_arg {
	cap_engine *e;
	cap_deps *d;
} engine_arg;

static int engine_dep(void *arg, const char *name, size_t n)
{
	engine_arg *a = arg;
	return cap_engine_deps_table(a->e, a->d, name, n);
}

static int engine_bump(void *arg, const char *name, size_t n)
{
	engine_arg *a = arg;
	cap_engine_bump_table(a->e, name, n);
	return CAP_OK;
}

int cap_rg_engine_deps(const cap_relgraph *g, cap_engine *e, const cap_sql_info *info,
		       cap_deps *d, enum cap_reason *why)
{
	engine_arg a = { e, d };
	return cap_rg_read_deps(g, info, engine_dep, &a, why);
}

void cap_rg_engine_bump(const cap_relgraph *g, cap_engine *e, uint64_t scope,
			const cap_sql_info *info)
{
	engine_arg a = { e, NULL };
	if (info->nwrite == 0 || cap_rg_write_reach(g, info, g->write_whole, engine_bump, &a))
		cap_engine_bump_db(e, scope);
}

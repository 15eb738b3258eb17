/*
 * relgraph.h - the relations of one server catalog and what ties them, as both catalogs
 * (hooks/pq_catalog, hooks/mysql_catalog) load them, and the questions the hooks ask of them:
 * what a read depends on, what a write changes, whether a read may run code that writes.
 *
 * A catalog builds one graph while it loads (cap_rg_add, flags, the edges below, then
 * cap_rg_finish) and never changes it afterwards: every query takes a const graph and no
 * lock, so one loaded catalog serves every thread. The graph knows no client library: a
 * catalog decodes its server's rows and files what they say here.
 *
 * Relations are filed by bare name (no schema): two schemas' relations of one name share an
 * entry with the union of their flags and edges, which only makes the answers more careful.
 * A graph made with fold set files names lower-cased (MySQL's table names as the server
 * compares them); otherwise a name is the exact bytes the server reports.
 *
 * Edges:
 *  - base: a view's relations (a read of the view reads them);
 *  - casc / fkup: a cascading foreign key, parent to child and child to parent (a write to
 *    the parent changes the child; fkup only where readers must depend on the parents, see
 *    cap_rg_cascade);
 *  - up / down: inheritance and partitions, child to parent and parent to child (a write to
 *    either changes what a read of the other returns; a read of a parent returns its
 *    children's rows).
 *
 * Flags: the CAP_RG_* bits below mean the same in every catalog; a catalog's own properties
 * (triggers, rules, engines, row security...) take bits from CAP_RG_OWN up, and the policy
 * (refuse[], write_whole) says which of them refuse a read or make a write unknowable.
 */
#ifndef CAP_RELGRAPH_H
#define CAP_RELGRAPH_H

#include "cache/engine.h"
#include "cache/sql.h"
#include "cache/stats_kinds.h"

#include <stddef.h>
#include <stdint.h>

enum {
	CAP_RG_KNOWN = 1u << 0,       /* the catalog read what this relation is; one only named
				       * (a view's base the user cannot see) is not */
	CAP_RG_TABLE = 1u << 1,       /* a plain table */
	CAP_RG_VIEW = 1u << 2,        /* a view: reads expand to its bases */
	CAP_RG_VIEW_BAD = 1u << 3,    /* a view whose definition may not be cached */
	CAP_RG_VIEW_WRITES = 1u << 4, /* a view whose definition runs code that may write */
	CAP_RG_OWN = 1u << 8          /* the first bit a catalog defines for itself */
};

#define CAP_RG_MAX_DEPTH 16  /* views over views deeper than this are not followed */
#define CAP_RG_NAME_MAX 256  /* with fold: longer names are never filed */
#define CAP_RG_NONE UINT32_MAX

typedef struct cap_rgrel {
	char *name;
	uint32_t flags;
	uint32_t nbase, ncasc, nfkup, nup, ndown;
	uint32_t *base, *casc, *fkup, *up, *down; /* slots */
} cap_rgrel;

typedef struct cap_relgraph {
	cap_rgrel *rels;      /* open addressing, cap a power of two, at most half full */
	uint32_t nrels, cap;
	int fold;
	int view_writes;      /* cap_rg_finish: reading some view may write */
	/* a read of a relation with refuse[i].flags is not cached, for refuse[i].why (the first
	 * that matches) */
	struct {
		uint32_t flags;
		enum cap_reason why;
	} refuse[2];
	uint32_t write_whole; /* a write reaching a relation with these: only the whole database */
} cap_relgraph;

/* cap_rg_init - an empty graph with room for at least min_slots / 2 names (the table is
 * never more than half full); CAP_OK or CAP_ENOMEM. The policy fields are the caller's to
 * set. cap_rg_free frees what the graph holds (not g itself); a zeroed graph is allowed. */
int cap_rg_init(cap_relgraph *g, uint32_t min_slots, int fold);
void cap_rg_free(cap_relgraph *g);

/* cap_rg_add - the slot of name (n bytes), filing it when absent; CAP_RG_NONE when the table
 * is full, memory is out or (fold) the name is empty or too long. cap_rg_find never files:
 * CAP_RG_NONE when absent. */
uint32_t cap_rg_add(cap_relgraph *g, const char *name, size_t n);
uint32_t cap_rg_find(const cap_relgraph *g, const char *name, size_t n);

/* Edges, between slots; each is recorded once however often it is added. CAP_OK or
 * CAP_ENOMEM. cap_rg_cascade with readers set also records the child-to-parent edge that
 * makes a read of the child depend on its cascading parents, transitively: for a catalog
 * whose writers may not see every key that cascades into what they write (MySQL shows a
 * constraint only to users with a privilege on its child). */
int cap_rg_view_base(cap_relgraph *g, uint32_t view, uint32_t base);
int cap_rg_cascade(cap_relgraph *g, uint32_t parent, uint32_t child, int readers);
int cap_rg_inherits(cap_relgraph *g, uint32_t child, uint32_t parent);

/* cap_rg_finish - after the last flag and edge: sets view_writes. */
void cap_rg_finish(cap_relgraph *g);

/* A relation the answer reaches, by name (n bytes): CAP_OK, or anything else to stop. */
typedef int (*cap_rg_visit)(void *arg, const char *name, size_t n);

/* cap_rg_read_deps - visit every relation a read of the relations info reads depends on:
 * each one, a view's bases (transitively), and with readers' cascades the cascading parents.
 * CAP_OK, or a negative code with *why set when some relation may not be cached (unknown,
 * refused by the policy, a bad view, too deep, a parent the catalog cannot see) or visit
 * stopped (CAP_ETOOBIG, CAP_REASON_uncacheable). */
int cap_rg_read_deps(const cap_relgraph *g, const cap_sql_info *info, cap_rg_visit visit,
		     void *arg, enum cap_reason *why);

/* cap_rg_write_reach - for each relation info writes, visit its name (visit may be NULL) and
 * everything a write to it changes: cascading children and inheritance parents and children,
 * transitively. 1 when that is unknowable: a name the graph does not have, a relation with
 * a flag in mask on the way, or no memory; else 0. Stops at the first 1. */
int cap_rg_write_reach(const cap_relgraph *g, const cap_sql_info *info, uint32_t mask,
		       cap_rg_visit visit, void *arg);

/* cap_rg_view_writes - may reading slot x run code that writes: a view marked so, over one,
 * over a relation the catalog does not know, or too deep to tell. */
int cap_rg_view_writes(const cap_relgraph *g, uint32_t x);

/* cap_rg_reads_may_write - cap_rg_view_writes for any relation info reads the graph has. */
int cap_rg_reads_may_write(const cap_relgraph *g, const cap_sql_info *info);

/* cap_rg_reads_flagged - does reading slot x read a relation with a flag in mask: itself, a
 * view's bases, the children a read of a parent returns? Too deep to tell: 1. */
int cap_rg_reads_flagged(const cap_relgraph *g, uint32_t x, uint32_t mask);

/* The catalogs' read_deps and write_bump (hooks/session.h cap_catalog_ops) on graph g:
 * dependencies go to d, bumps to e (the whole database scope when cap_rg_write_reach says
 * so, or when info names no table). */
int cap_rg_engine_deps(const cap_relgraph *g, cap_engine *e, const cap_sql_info *info,
		       cap_deps *d, enum cap_reason *why);
void cap_rg_engine_bump(const cap_relgraph *g, cap_engine *e, uint64_t scope,
			const cap_sql_info *info);

#endif

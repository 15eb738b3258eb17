/*
 * pq_catload.h - a PostgreSQL catalog as its load leaves it (the layout hooks/pq_catalog.c
 * reads; pq_catalog.h is the interface the hooks use), and the load itself.
 */
#ifndef CAP_PQ_CATLOAD_H
#define CAP_PQ_CATLOAD_H

#include "hooks/catreg.h"
#include "hooks/relgraph.h"

#include <libpq-fe.h>

/* The graph's flags of this catalog's own (hooks/relgraph.h). Every relation the catalog
 * files is CAP_RG_KNOWN; plain and partitioned tables are CAP_RG_TABLE. A view reaching a
 * function that may write is CAP_RG_VIEW_WRITES: reading it is a write of unknown tables. */
enum {
	REL_MATVIEW = CAP_RG_OWN << 0,
	REL_FOREIGN = CAP_RG_OWN << 1,
	REL_TRIGGERS = CAP_RG_OWN << 2,  /* user triggers: a write's effects are unknowable */
	REL_RULES = CAP_RG_OWN << 3,     /* rewrite rules on a table: the same */
	REL_PARTED = CAP_RG_OWN << 4,    /* has parents or children by inheritance/partitioning */
	REL_RLS = CAP_RG_OWN << 5,       /* row-level security: policies may read other tables and
					  * session settings, so its rows are never cached */
	REL_SEQUENCE = CAP_RG_OWN << 6,  /* never cached, by any path */
	REL_WRITE_FNS = CAP_RG_OWN << 7, /* column defaults (generated columns too), CHECK
					  * constraints, domain checks or defaults, index expressions,
					  * predicates or operator classes, the partition key or row-level
					  * security policies call a function taken as volatile (or
					  * set_config): a write's effects are unknowable */
	REL_UNLOGGED = CAP_RG_OWN << 8   /* UNLOGGED: its writes are not in the WAL, so logical
					  * decoding (capacitor follow) never reports them */
};

/* A write to a relation with these may run user code (hooks/pq_catalog.h cap_pqcat_runs_code). */
#define RUNS_CODE (REL_TRIGGERS | REL_RULES | CAP_RG_VIEW | REL_FOREIGN)

/* A name with a volatility: functions by name (the least safe of every function of that
 * name; user set when one of them is outside pg_catalog) and the words of the text scan. */
typedef struct cap_pqname {
	char *name;
	enum cap_fn_class cls;
	int user;
} cap_pqname;

typedef struct cap_pqcat cap_pqcat;

struct cap_pqcat {
	cap_catbase base;       /* first: the registry's header (hooks/catreg.h) */
	int event_triggers;     /* enabled event triggers: DDL runs user code */
	cap_relgraph g;
	cap_pqname *fns;
	uint32_t nfns, fncap;
	cap_pqname *words;              /* lower-cased names the text scan looks for */
	uint32_t nwords, wordcap;
	/* what the words can be, for the scan to pass over a run without looking it up: bit
	 * min(length, 63) of word_lens, bit (lower-cased first byte) of word_first */
	uint64_t word_lens, word_first[4];
	char **ops;             /* operator symbols the text scan looks for */
	uint8_t *opcls;
	uint32_t nops;
	int taint;              /* every statement may reach code that may write */
	int shadows;            /* a user function is named like a built-in the classifier knows */
	int unlogged;           /* some relation has REL_UNLOGGED */
};

/* cap_pqname_find - the entry of name (n bytes) in the table tab of cap slots, or NULL. */
const cap_pqname *cap_pqname_find(const cap_pqname *tab, uint32_t cap, const char *name, size_t n);

/* cap_pqcat_load - run the catalog query on conn (idle: the caller checked) and build the
 * catalog from its rows, its reference count and registry fields left to hooks/catreg;
 * NULL on failure. */
cap_pqcat *cap_pqcat_load(PGconn *conn);


#endif

/*
 * pq_catalog.c - a PostgreSQL database's catalog as the hooks need it (see pq_catalog.h).
 *
 * Identity: what a statement reaches is judged by object, not by name. Views are read from
 * their rewrite rule's stored tree (pg_rewrite.ev_action): the oids of the functions,
 * operators, relations and domains it uses, including the built-in ones pg_depend does not
 * record. A statement's own text only has names; there a name stands for every function of
 * that name in any schema (public.upper(int) counts against upper()), and operators, functions
 * callable by attribute notation (t.f), domains with volatile checks and explicit casts to
 * user types with non-immutable functions are found by scanning the text for their names.
 * Implicit casts and type I/O functions that are not immutable could run anywhere: a database
 * that has them caches nothing.
 *
 * Names: relations are filed by bare name (no schema). Where two schemas hold the same name,
 * the entry carries the union of their properties, which can only make the hooks more careful.
 *
 * Sharing, reference counting and reloading (after DDL in any process, and every minute) are
 * the registry's: hooks/catreg.h.
 */
#include "hooks/pq_catalog.h"
#include "hooks/pq_catload.h"
#include "cache/cap.h"

#include <string.h>

static cap_catreg pq_registry = CAP_CATREG_INIT("the PostgreSQL catalog");

static const cap_pqname *fn_find(const cap_pqcat *c, const char *name, size_t n)
{
	return cap_pqname_find(c->fns, c->fncap, name, n);
}

void cap_pqcat_release(cap_pqcat *c)
{
	cap_catbase_release(c ? &c->base : NULL);
}

int cap_pqcat_current(const cap_rt *rt, const cap_sess *s, const cap_pqcat *c)
{
	return c && cap_catreg_current(rt, s, &c->base);
}

void cap_pqcat_hold(cap_pqcat *c)
{
	cap_catbase_hold(c ? &c->base : NULL);
}

typedef struct loadarg {
	PGconn *conn;
	int *ran;
} loadarg;

static cap_catbase *load_cb(void *arg, const cap_sess *s)
{
	loadarg *a = arg;
	(void)s;
	*a->ran = 1;
	cap_pqcat *c = cap_pqcat_load(a->conn);
	return c ? &c->base : NULL;
}

cap_pqcat *cap_pqcat_get(const cap_rt *rt, PGconn *conn, const cap_sess *s, cap_pqcat **held,
			 int *ran)
{
	cap_catbase *h = *held ? &(*held)->base : NULL;
	loadarg a = { conn, ran };
	cap_catbase *b = cap_catreg_get(&pq_registry, rt, s, &h, load_cb, &a);
	*held = (cap_pqcat *)b; /* base is the first member */
	return *held;
}

static cap_catbase *offer_cb(void *arg, const cap_sess *s)
{
	(void)s;
	cap_pqcat *c = cap_pqcat_build(arg);
	return c ? &c->base : NULL;
}

cap_pqcat *cap_pqcat_offer(const cap_rt *rt, const cap_sess *s, cap_pqcat **held,
			   cap_pqcat_rx *rx)
{
	cap_catbase *h = *held ? &(*held)->base : NULL;
	cap_catbase *b = cap_catreg_get(&pq_registry, rt, s, &h, offer_cb, rx);
	*held = (cap_pqcat *)b;
	cap_pqcat_rx_clear(rx); /* not built: the registry had one, or no load was due */
	cap_catreg_unspace(&pq_registry, s); /* ahead of need: the next load is not held back */
	return *held;
}

int cap_pqcat_due(const cap_rt *rt, const cap_sess *s, cap_pqcat **held)
{
	return cap_pqcat_peek(rt, s, held) == NULL && cap_catreg_due(&pq_registry, rt, s);
}

cap_pqcat *cap_pqcat_peek(const cap_rt *rt, const cap_sess *s, cap_pqcat **held)
{
	cap_catbase *h = *held ? &(*held)->base : NULL;
	cap_catbase *b = cap_catreg_peek(&pq_registry, rt, s, &h);
	*held = (cap_pqcat *)b;
	return *held;
}

/* ---- what a statement reaches without naming it -------------------------------------------- */

/* Record that the statement reaches a function: name (n bytes) of class cls (CAP_FUNC_*). When
 * func[] is full its last entry gives way to a nameless one that may write: the statement is
 * then not cached and invalidates the database, which covers what the lost entry meant. */
static void reach(cap_sql_info *info, const char *name, size_t n, uint8_t cls)
{
	info->reasons |= CAP_SQLR_FUNCTION;
	for (uint16_t i = 0; i < info->nfunc; i++) {
		const cap_sql_name *f = &info->func[i];
		if (f->schema_len == 0 && f->name_len == n &&
		    memcmp(info->names + f->name_off, name, n) == 0) {
			if (cls == CAP_FUNC_WRITES)
				info->func_class[i] = cls;
			return;
		}
	}
	if (info->nfunc < CAP_SQL_MAX_FUNCS && info->names_len + n <= CAP_SQL_NAMES_MAX) {
		cap_sql_name *f = &info->func[info->nfunc];
		memcpy(info->names + info->names_len, name, n);
		*f = (cap_sql_name){ 0, 0, info->names_len, (uint16_t)n };
		info->names_len = (uint16_t)(info->names_len + n);
		info->func_class[info->nfunc++] = cls;
		return;
	}
	if (info->nfunc == 0)
		return;
	info->func[info->nfunc - 1] = (cap_sql_name){ 0, 0, 0, 0 };
	info->func_class[info->nfunc - 1] = CAP_FUNC_WRITES;
}

/* The bytes of an identifier for the text scan: letters, digits, _, $ and every byte of
 * 0x80 and above (a table: the scan reads every byte of every statement, hits included). */
static const uint8_t ident_byte[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['_'] = 1, ['$'] = 1,
	[0x80 ... 0xff] = 1,
};

static inline uint8_t fold_byte(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch;
}

/* Every identifier-shaped run of the text (strings and comments included: a false match only
 * costs a cached read) that names a scan word. A run whose length or first byte no word has
 * is passed over without folding or looking it up. */
static void scan_words(const cap_pqcat *c, const char *sql, size_t len, cap_sql_info *info)
{
	char buf[256];
	const uint8_t *s = (const uint8_t *)sql;
	for (size_t i = 0; i < len;) {
		if (!ident_byte[s[i]]) {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < len && ident_byte[s[j]])
			j++;
		size_t n = j - i;
		uint8_t f = fold_byte(s[i]);
		if (n <= sizeof(buf) && (c->word_lens >> (n < 63 ? n : 63) & 1) &&
		    (c->word_first[f >> 6] >> (f & 63) & 1)) {
			for (size_t k = 0; k < n; k++)
				buf[k] = (char)fold_byte(s[i + k]);
			const cap_pqname *w = cap_pqname_find(c->words, c->wordcap, buf, n);
			if (w)
				reach(info, buf, n,
				      w->cls == CAP_FN_VOLATILE ? CAP_FUNC_WRITES : CAP_FUNC_VOLATILE);
		}
		i = j;
	}
}

/* Every operator symbol of the catalog's that occurs in the text. An extension brings
 * hundreds: the text is searched for each first byte once (memchr), and only a symbol whose
 * first byte it has is searched for whole. */
static void scan_ops(const cap_pqcat *c, const char *sql, size_t len, cap_sql_info *info)
{
	uint64_t seen[4] = { 0, 0, 0, 0 }, has[4] = { 0, 0, 0, 0 };
	for (uint32_t i = 0; i < c->nops; i++) {
		const char *op = c->ops[i];
		uint8_t b = (uint8_t)op[0], w = b >> 6;
		uint64_t bit = 1ull << (b & 63);
		if (!(seen[w] & bit)) {
			seen[w] |= bit;
			if (memchr(sql, b, len))
				has[w] |= bit;
		}
		if (!(has[w] & bit))
			continue;
		size_t n = strlen(op);
		if (n && memmem(sql, len, op, n))
			reach(info, op, n,
			      c->opcls[i] == CAP_FN_VOLATILE ? CAP_FUNC_WRITES : CAP_FUNC_VOLATILE);
	}
}

static const char unknown[] = "\001unknown code";

void cap_pqcat_vet_unknown(cap_sql_info *info)
{
	reach(info, unknown, sizeof(unknown) - 1, CAP_FUNC_WRITES);
}

void cap_pqcat_vet(const cap_pqcat *c, const char *sql, size_t len, cap_sql_info *info)
{
	/* the graph's write_whole flags are exactly the writes that run code or reach a foreign
	 * table: bounded to this database by nothing the catalog knows */
	if (info->kind == CAP_SQL_WRITE &&
	    (c == NULL || c->taint || info->nwrite == 0 ||
	     cap_rg_write_reach(&c->g, info, c->g.write_whole, NULL, NULL)))
		info->flags |= CAP_SQLF_CLUSTER;
	if (c == NULL || info->kind == CAP_SQL_EMPTY || info->kind == CAP_SQL_TXN ||
	    info->kind == CAP_SQL_SESSION || info->kind == CAP_SQL_DDL || info->kind == CAP_SQL_OTHER)
		return;
	if (c->taint) {
		reach(info, unknown, sizeof(unknown) - 1, CAP_FUNC_WRITES);
		return;
	}
	if (c->shadows) {
		/* upper() may be public.upper(int): the catalog's answer for the name decides */
		if (info->flags & CAP_SQLF_BUILTINS_LOST)
			reach(info, unknown, sizeof(unknown) - 1, CAP_FUNC_WRITES);
		for (uint16_t i = 0; i < info->nbuiltin; i++) {
			const cap_sql_name *b = &info->builtin[i];
			const cap_pqname *f = fn_find(c, info->names + b->name_off, b->name_len);
			if (f && f->user && f->cls != CAP_FN_IMMUTABLE)
				reach(info, f->name, b->name_len,
				      f->cls == CAP_FN_STABLE ? CAP_FUNC_VOLATILE : CAP_FUNC_WRITES);
		}
	}
	if (c->nwords)
		scan_words(c, sql, len, info);
	if (c->nops)
		scan_ops(c, sql, len, info);
	if (c->g.view_writes)
		for (uint16_t i = 0; i < info->nread; i++) {
			const cap_sql_name *nm = &info->read[i];
			uint32_t x = cap_rg_find(&c->g, info->names + nm->name_off, nm->name_len);
			const char *v = x != CAP_RG_NONE ? c->g.rels[x].name : NULL;
			if (v && cap_rg_view_writes(&c->g, x))
				reach(info, v, strlen(v), CAP_FUNC_WRITES);
		}
}

/* ---- the callbacks ---------------------------------------------------------------------------- */

static int ops_read_deps(void *cat, cap_engine *e, const cap_sql_info *info, cap_deps *d,
			 enum cap_reason *why)
{
	return cap_rg_engine_deps(&((cap_pqcat *)cat)->g, e, info, d, why);
}

static enum cap_fn_class ops_func_class(void *cat, const char *name, size_t n)
{
	const cap_pqname *f = fn_find(cat, name, n);
	return f ? f->cls : CAP_FN_UNKNOWN;
}

static void ops_write_bump(void *cat, cap_engine *e, uint64_t scope, const cap_sql_info *info)
{
	cap_rg_engine_bump(&((cap_pqcat *)cat)->g, e, scope, info);
}

int cap_pqcat_runs_code(cap_pqcat *c, const cap_sql_info *info)
{
	if (c == NULL)
		return 1;
	if (info->kind == CAP_SQL_DDL)
		return c->event_triggers;
	if (info->kind != CAP_SQL_WRITE || info->nwrite == 0)
		return info->kind == CAP_SQL_WRITE;
	/* on any table it reaches: cascading foreign keys, partitions and parents; column
	 * defaults and checks that call volatile functions or set_config run code too */
	return cap_rg_write_reach(&c->g, info, c->g.write_whole, NULL, NULL);
}

/* A follower sees no write to an unlogged relation: a read of one is never covered. A name the
 * catalog does not know cannot be stored by this process (ops_read_deps refuses it), and an
 * entry another process stored under it depends on generations that the DDL making a relation
 * UNLOGGED bumps. No unlogged relation at all (the usual case): one load. */
static int ops_reads_uncoverable(void *cat, const cap_sql_info *info)
{
	const cap_pqcat *c = cat;
	if (!c->unlogged)
		return 0;
	for (uint16_t i = 0; i < info->nread; i++) {
		const cap_sql_name *nm = &info->read[i];
		uint32_t x = cap_rg_find(&c->g, info->names + nm->name_off, nm->name_len);
		if (x != CAP_RG_NONE && cap_rg_reads_flagged(&c->g, x, REL_UNLOGGED))
			return 1;
	}
	return 0;
}

const cap_catalog_ops cap_pqcat_ops = { ops_read_deps, ops_func_class, ops_write_bump, NULL,
					 ops_reads_uncoverable, NULL };

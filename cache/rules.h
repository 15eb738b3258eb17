/*
 * rules.h - the rules file (CAPACITOR_RULES): per-table TTLs, never-cache tables, and
 * functions declared safe to cache. Format (conf/rules.example documents it for users):
 *
 *     # a comment; blank lines are ignored
 *     ttl    <pattern> <duration>    entries that read a matching table live at most this long
 *     never  <pattern>               statements that read or write a matching table are never cached
 *     safe   <function>              this function does not make a statement uncacheable
 *
 * A pattern is a table name as written in SQL, optionally schema-qualified, with '*' matching
 * any run of characters; unquoted parts match as the dialect folds them, quoted parts exactly;
 * an unqualified pattern matches the table in any schema.
 *
 * A rule set is immutable once loaded and may be read from any thread without locks.
 */
#ifndef CAP_RULES_H
#define CAP_RULES_H

#include "cache/sql.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cap_rules cap_rules;

/* Report of one problem found while loading (file:line, the text, what is accepted). */
typedef void (*cap_rules_problem_fn)(void *ctx, const char *file, unsigned line,
				     const char *text, const char *message);

/* cap_rules_load - read and parse path. Returns CAP_OK with *out set when every line parsed;
 * otherwise a CAP_* code, *out = NULL, and problem() called once per problem (a missing or
 * unreadable file, a directory, each bad line). A rules file with any problem must make the
 * caller pass every query through uncached. */
int cap_rules_load(const char *path, cap_rules_problem_fn problem, void *ctx, cap_rules **out);
/* cap_rules_parse - the same over a buffer (for tests and the fuzzer); name is used in
 * messages. */
int cap_rules_parse(const char *name, const char *text, size_t len, cap_rules_problem_fn problem,
		    void *ctx, cap_rules **out);
void cap_rules_free(cap_rules *r);

/* The decision for one classified statement. */
typedef struct cap_rules_verdict {
	int never;          /* some table read or written matches a `never` rule */
	uint64_t ttl_ns;    /* shortest `ttl` over the tables read; 0 = no rule applies */
	uint32_t unsafe_funcs; /* bit i set: info->func[i] is NOT declared safe */
} cap_rules_verdict;

/* cap_rules_apply - evaluate rules (may be NULL: no rules) against info. */
void cap_rules_apply(const cap_rules *r, enum cap_dialect d, const cap_sql_info *info,
		     cap_rules_verdict *v);

/* cap_rules_count / cap_rules_describe - for `capacitor config`: the number of rules and a
 * one-line description of rule i ("ttl public.orders 30s"). */
size_t cap_rules_count(const cap_rules *r);
int cap_rules_describe(const cap_rules *r, size_t i, char *buf, size_t cap);

#endif

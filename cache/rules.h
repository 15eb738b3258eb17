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
 *
 * Matching, in detail (the decisions the format leaves open):
 *
 *  - Words are separated by spaces or tabs; '#' outside quotes starts a comment (also after a
 *    rule). Keywords are lower case. A UTF-8 BOM at the start and CRLF line ends are accepted;
 *    a NUL byte or a control character outside a comment makes that line a problem.
 *  - A pattern part is letters, digits, '_', '$', bytes >= 0x80, '*' and quoted runs ("x" or
 *    `x`, a doubled quote inside is one quote; '*' inside quotes is a literal star). Runs may be
 *    concatenated: "Audit"_* is a case-exact prefix. At most one unquoted '.', both sides
 *    non-empty. Names are compared as bytes (no Unicode folding).
 *  - PostgreSQL: unquoted pattern text is lower-cased (ASCII), quoted text is kept, and the
 *    result is compared exactly with the classifier's (folded) name.
 *  - MySQL/MariaDB: table patterns compare ASCII-case-insensitively, quoted or not. Whether
 *    MySQL table and database names are case-sensitive depends on the server's
 *    lower_case_table_names and file system, which the client cannot see; matching more is
 *    harmless (`never` costs speed, `ttl` shortens a life), matching less is not.
 *  - Schemas: an unqualified pattern matches the table in any schema. A qualified pattern
 *    matches a qualified name whose schema matches, AND any unqualified name whose table part
 *    matches, because which schema search_path (or the current MySQL database) picks is not
 *    known here. So `never public.orders` also catches `SELECT ... FROM orders`, and
 *    `never reports.*` catches every unqualified table: write patterns the way the queries
 *    name their tables.
 *  - Rules match the names a statement writes, not what a view or function reads behind them:
 *    name the view too.
 *  - `ttl` requires a duration above zero (use `never` to stop caching). Over several matching
 *    rules and tables read, the shortest wins. Tables written do not take part in ttl_ns.
 *  - `safe` names take no '*' (declaring functions safe by pattern is too easy to get wrong).
 *    An unqualified `safe f` covers calls to f with or without a schema; a qualified
 *    `safe s.f` covers only calls written s.f. Function names compare as the dialect does:
 *    PostgreSQL folded/quoted exactly, MySQL case-insensitively (its database part exactly).
 *    `safe` never makes a write, a locking read, SELECT INTO, a temp-table statement or a
 *    sequence call cacheable: the hooks consult unsafe_funcs only for a read whose only
 *    reason (info->reasons) is CAP_SQLR_FUNCTION.
 *  - A name whose offsets fall outside info->names is treated as matching a `never` rule.
 *
 * Cost: cap_rules_apply allocates nothing. Table rules with an exact table part and all `safe`
 * rules are found through a hash on the lower-cased name; table rules with '*' in the table
 * part are scanned (keep them few).
 */
#ifndef CAP_RULES_H
#define CAP_RULES_H

#include "cache/sql.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cap_rules cap_rules;

/* A larger rules file is refused (CAP_ETOOBIG). */
#define CAP_RULES_MAX_FILE (16u << 20)
/* At most this many problems are reported one by one; then one "too many problems" report. */
#define CAP_RULES_MAX_PROBLEMS 100

/* Report of one problem found while loading (file:line, the text, what is accepted). */
typedef void (*cap_rules_problem_fn)(void *ctx, const char *file, unsigned line,
				     const char *text, const char *message);

/* cap_rules_load - read and parse path. Returns CAP_OK with *out set when every line parsed;
 * otherwise a CAP_* code, *out = NULL, and problem() called once per problem (a missing or
 * unreadable file, a directory, each bad line). A rules file with any problem must make the
 * caller pass every query through uncached. */
int cap_rules_load(const char *path, cap_rules_problem_fn problem, void *ctx, cap_rules **out);
/* (cont.) Codes: CAP_EIO (cannot open/read, a directory, not a regular file), CAP_EINVAL (a
 * line does not parse; also an empty path), CAP_ETOOBIG (over CAP_RULES_MAX_FILE),
 * CAP_ENOMEM. problem may be NULL. Problems about the file itself come with line 0 and text "";
 * a line's text is quoted truncated to 200 bytes with control bytes as \xNN. An empty file or
 * one with only comments is a valid, empty rule set. Each message ends with "expected: " and
 * the accepted form. */
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

/* cap_rules_apply - evaluate rules (may be NULL: no rules) against info; fills all of *v.
 * With r == NULL: never 0, ttl_ns 0, every function unsafe. `never` wins: the hooks must not
 * cache when v->never is set, whatever the other fields say. Thread-safe, no allocation. */
void cap_rules_apply(const cap_rules *r, enum cap_dialect d, const cap_sql_info *info,
		     cap_rules_verdict *v);

/* cap_rules_count / cap_rules_describe - for `capacitor config`: the number of rules and a
 * one-line description of rule i ("ttl public.orders 30s"). */
size_t cap_rules_count(const cap_rules *r);
int cap_rules_describe(const cap_rules *r, size_t i, char *buf, size_t cap);
/* (cont.) Rules are numbered in file order; the pattern is shown as written, a ttl in its
 * largest exact unit. Returns CAP_OK, CAP_EINVAL (no such rule; buf gets ""), or CAP_ETOOBIG
 * (truncated; buf is still NUL-terminated). cap_rules_count(NULL) is 0. */

#endif

/*
 * bench_sql.c - cost of cap_sql_classify (budget: <= 300 ns and 0 allocations for a typical
 * 100-byte SELECT) and of cap_sql_digest.
 *
 * Each case classifies the same statement n times into one caller-owned cap_sql_info; the
 * allocation count comes from the harness's malloc wrappers.
 */
#include "bench/harness.h"
#include "cache/sql.h"

#include <stdio.h>
#include <string.h>

typedef struct bcase {
	enum cap_dialect d;
	const char *sql;
	size_t len;
} bcase;

static cap_sql_info info;

static void classify(void *ctx, uint64_t n)
{
	bcase *c = ctx;
	for (uint64_t i = 0; i < n; i++) {
		cap_sql_classify(c->d, c->sql, c->len, &info);
		bench_keep(info.kind);
	}
}

static void digest(void *ctx, uint64_t n)
{
	bcase *c = ctx;
	char buf[512];
	for (uint64_t i = 0; i < n; i++) {
		size_t l = cap_sql_digest(c->d, c->sql, c->len, buf, sizeof(buf));
		bench_keep(l);
	}
}

int main(void)
{
	static const struct {
		const char *name;
		enum cap_dialect d;
		const char *sql;
	} cases[] = {
		{ "classify pgbench select (52 B)", CAP_DIALECT_PG,
		  "SELECT abalance FROM pgbench_accounts WHERE aid = $1" },
		{ "classify 100 B select", CAP_DIALECT_PG,
		  "SELECT id, name, email, created_at FROM users WHERE id = $1 AND status = 'active' LIMIT 10" },
		{ "classify django select (170 B)", CAP_DIALECT_PG,
		  "SELECT \"app_model\".\"id\", \"app_model\".\"name\", \"app_model\".\"created\" FROM "
		  "\"app_model\" WHERE \"app_model\".\"name\" = 'x' ORDER BY \"app_model\".\"id\" LIMIT 21" },
		{ "classify join + subquery (180 B)", CAP_DIALECT_PG,
		  "SELECT u.id, count(o.id) FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id IN "
		  "(SELECT user_id FROM vip WHERE level > 2) GROUP BY u.id ORDER BY 2 DESC LIMIT 10" },
		{ "classify sysbench point select (my)", CAP_DIALECT_MYSQL,
		  "SELECT c FROM sbtest1 WHERE id=5021" },
		{ "classify sysbench update (my)", CAP_DIALECT_MYSQL,
		  "UPDATE sbtest1 SET k=k+1 WHERE id=5021" },
		{ "classify rails select (my)", CAP_DIALECT_MYSQL,
		  "SELECT `users`.* FROM `users` WHERE `users`.`id` = 1 LIMIT 1" },
	};
	bench_header("sql classifier");
	int over = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bcase c = { cases[i].d, cases[i].sql, strlen(cases[i].sql) };
		bench_stat st = bench_run(cases[i].name, classify, &c, 200000, 9);
		if (st.allocs_per_op > 0)
			over = 1;
		if (i == 1 && st.ns_median > 300)
			printf("  note: over the 300 ns budget for a 100-byte SELECT\n");
	}
	bcase c = { cases[1].d, cases[1].sql, strlen(cases[1].sql) };
	bench_run("digest 100 B select", digest, &c, 200000, 9);
	if (over)
		printf("  note: the classifier allocated\n");
	return 0;
}

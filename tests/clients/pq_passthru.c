/*
 * pq_passthru.c - a libpq program whose whole output must be byte-identical with and without
 * Capacitor (t_passthrough_pg.sh runs it without the library, with CAPACITOR_ENABLE=0, with
 * CAPACITOR_ENABLE=1, and again with a warm cache).
 *
 * It walks through the libpq API a real program uses: PQexec, PQexecParams (text and binary
 * results), PQprepare/PQexecPrepared, PQsendQuery with the PQconsumeInput/PQisBusy loop,
 * single-row mode, multi-statement strings, errors (with their fields), notices, transactions
 * (status after each step), COPY TO STDOUT, pipeline mode, PQreset, and reads repeated after
 * writes (which must show the write). Everything printed is deterministic: the table it writes
 * is dropped and re-created at the start, and no OID of a created object is printed.
 *
 * Connection: the PG* environment variables (the test fixture exports them).
 */
#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

static void print_value(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col)) {
		fputs("NULL", stdout);
		return;
	}
	const char *v = PQgetvalue(r, row, col);
	int len = PQgetlength(r, row, col);
	if (PQfformat(r, col) == 0) {
		printf("'%s'", v);
		return;
	}
	printf("bin[%d]:", len);
	for (int i = 0; i < len; i++)
		printf("%02x", (unsigned char)v[i]);
}

static void print_result(const char *label, const PGresult *r)
{
	if (r == NULL) {
		printf("%s: NULL result\n", label);
		return;
	}
	ExecStatusType st = PQresultStatus(r);
	printf("%s: %s cmd='%s' tuples='%s'", label, PQresStatus(st), PQcmdStatus((PGresult *)r),
	       PQcmdTuples((PGresult *)r));
	if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *prim = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		printf(" sqlstate=%s primary='%s'\n  message: %s", state ? state : "-",
		       prim ? prim : "-", PQresultErrorMessage(r));
		return;
	}
	printf(" fields=%d rows=%d binary=%d\n", PQnfields(r), PQntuples(r), PQbinaryTuples(r));
	for (int c = 0; c < PQnfields(r); c++)
		printf("  field %d: name='%s' type=%u format=%d mod=%d size=%d\n", c, PQfname(r, c),
		       PQftype(r, c), PQfformat(r, c), PQfmod(r, c), PQfsize(r, c));
	for (int row = 0; row < PQntuples(r); row++) {
		fputs("  row:", stdout);
		for (int c = 0; c < PQnfields(r); c++) {
			fputc(' ', stdout);
			print_value(r, row, c);
		}
		fputc('\n', stdout);
	}
}

static const char *txn_name(PGTransactionStatusType t)
{
	switch (t) {
	case PQTRANS_IDLE: return "idle";
	case PQTRANS_ACTIVE: return "active";
	case PQTRANS_INTRANS: return "intrans";
	case PQTRANS_INERROR: return "inerror";
	default: return "unknown";
	}
}

static void ex(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	print_result(sql, r);
	PQclear(r);
	printf("  txn=%s\n", txn_name(PQtransactionStatus(c)));
}

static void notice(void *arg, const PGresult *r)
{
	(void)arg;
	const char *prim = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	printf("  notice: %s %s\n", sev ? sev : "-", prim ? prim : "-");
}

/* drain - PQgetResult until NULL, printing each. */
static void drain(PGconn *c, const char *label)
{
	PGresult *r;
	int i = 0;
	while ((r = PQgetResult(c)) != NULL) {
		char l[256];
		snprintf(l, sizeof(l), "%s #%d", label, i++);
		print_result(l, r);
		PQclear(r);
	}
}

static void async_query(PGconn *c, const char *sql)
{
	if (!PQsendQuery(c, sql)) {
		printf("PQsendQuery failed: %s", PQerrorMessage(c));
		return;
	}
	/* The event loop of an asynchronous program. */
	while (PQisBusy(c)) {
		fd_set fds;
		int fd = PQsocket(c);
		FD_ZERO(&fds);
		FD_SET(fd, &fds);
		if (select(fd + 1, &fds, NULL, NULL, NULL) < 0)
			break;
		if (!PQconsumeInput(c)) {
			printf("PQconsumeInput failed: %s", PQerrorMessage(c));
			return;
		}
	}
	drain(c, sql);
}

static void copy_out(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	print_result(sql, r);
	PQclear(r);
	char *buf;
	int n;
	while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
		printf("  copy: %.*s", n, buf);
		PQfreemem(buf);
	}
	printf("  copy end: %d\n", n);
	drain(c, "copy status");
}

static void pipeline(PGconn *c)
{
	if (!PQenterPipelineMode(c)) {
		printf("PQenterPipelineMode failed: %s", PQerrorMessage(c));
		return;
	}
	const char *p1[] = { "2" };
	PQsendQueryParams(c, "SELECT id, name FROM items WHERE id = $1", 1, NULL, p1, NULL, NULL, 0);
	PQsendQueryParams(c, "SELECT count(*) FROM items", 0, NULL, NULL, NULL, NULL, 0);
	PQpipelineSync(c);
	for (int i = 0; i < 3; i++) {
		PGresult *r;
		while ((r = PQgetResult(c)) != NULL) {
			char l[64];
			snprintf(l, sizeof(l), "pipeline %d", i);
			print_result(l, r);
			int sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
			PQclear(r);
			if (sync)
				break;
		}
	}
	printf("exit pipeline: %d\n", PQexitPipelineMode(c));
}

static void run(PGconn *c)
{
	PQsetNoticeReceiver(c, notice, NULL);
	ex(c, "SET client_min_messages = notice");
	ex(c, "DROP TABLE IF EXISTS pq_passthru_t");
	ex(c, "CREATE TABLE pq_passthru_t (id int PRIMARY KEY, v text, n numeric)");
	ex(c, "INSERT INTO pq_passthru_t VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, NULL, 3)");

	for (int i = 0; i < 3; i++) {
		ex(c, "SELECT count(*), sum(price), min(name), max(qty) FROM items");
		ex(c, "SELECT * FROM items WHERE id <= 4 ORDER BY id");
		ex(c, "SELECT * FROM pq_passthru_t ORDER BY id");
	}
	ex(c, "SELECT NULL::int AS n, ''::text AS empty, true AS b, 1.5::float8 AS f, "
	      "'\\x00ff'::bytea AS by, DATE '2024-01-02' AS d, ARRAY[1,2] AS a, "
	      "'{\"a\": 1}'::jsonb AS j, 'caf\xc3\xa9'::text AS utf8");
	ex(c, "SELECT * FROM items WHERE false");
	ex(c, "SELECT * FROM no_such_table");
	ex(c, "SELEC broken");
	ex(c, "SELECT 1/0");
	ex(c, "");

	/* Writes must be seen by the next read. */
	ex(c, "UPDATE pq_passthru_t SET v = 'uno' WHERE id = 1");
	ex(c, "SELECT * FROM pq_passthru_t ORDER BY id");
	ex(c, "DELETE FROM pq_passthru_t WHERE id = 3");
	ex(c, "SELECT * FROM pq_passthru_t ORDER BY id");

	/* Transactions: status after each step; a failed statement; rollback. */
	ex(c, "BEGIN");
	ex(c, "SELECT v FROM pq_passthru_t WHERE id = 2");
	ex(c, "INSERT INTO pq_passthru_t VALUES (4, 'four', 4)");
	ex(c, "SELECT count(*) FROM pq_passthru_t");
	ex(c, "ROLLBACK");
	ex(c, "SELECT count(*) FROM pq_passthru_t");
	ex(c, "BEGIN");
	ex(c, "SELECT * FROM no_such_table");
	ex(c, "SELECT 1");
	ex(c, "ROLLBACK");
	ex(c, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	ex(c, "SELECT count(*) FROM items");
	ex(c, "COMMIT");

	/* Multi-statement strings. */
	ex(c, "SELECT 1 AS a; SELECT 2 AS b");
	ex(c, "UPDATE pq_passthru_t SET n = 7 WHERE id = 2; SELECT * FROM pq_passthru_t ORDER BY id");
	ex(c, "SELECT 1; SELECT * FROM no_such_table; SELECT 3");

	/* Notices from the server. */
	ex(c, "DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$");
	ex(c, "DROP TABLE IF EXISTS no_such_table_either");

	/* Parameters, text and binary results. */
	const char *p1[] = { "3" };
	for (int fmt = 0; fmt < 2; fmt++)
		for (int i = 0; i < 2; i++) {
			PGresult *r = PQexecParams(c, "SELECT id, name, price FROM items WHERE id = $1",
						   1, NULL, p1, NULL, NULL, fmt);
			print_result(fmt ? "params binary" : "params text", r);
			PQclear(r);
		}
	const char *pnull[] = { NULL };
	PGresult *r = PQexecParams(c, "SELECT $1::text IS NULL AS isnull", 1, NULL, pnull, NULL,
				   NULL, 0);
	print_result("params null", r);
	PQclear(r);
	r = PQexecParams(c, "SELECT $1::int", 1, NULL, (const char *[]){ "not a number" }, NULL, NULL, 0);
	print_result("params bad", r);
	PQclear(r);

	/* Prepared statements. */
	r = PQprepare(c, "byqty", "SELECT id, name FROM items WHERE qty = $1 ORDER BY id LIMIT 3",
		      1, NULL);
	print_result("prepare", r);
	PQclear(r);
	for (int i = 0; i < 3; i++) {
		const char *q[] = { i == 2 ? "5" : "2" };
		r = PQexecPrepared(c, "byqty", 1, q, NULL, NULL, 0);
		print_result("exec prepared", r);
		PQclear(r);
	}
	r = PQexecPrepared(c, "no_such_stmt", 0, NULL, NULL, NULL, 0);
	print_result("exec missing prepared", r);
	PQclear(r);
	r = PQdescribePrepared(c, "byqty");
	printf("describe: params=%d fields=%d\n", PQnparams(r), PQnfields(r));
	PQclear(r);

	/* Asynchronous API and single-row mode. */
	async_query(c, "SELECT id FROM items WHERE id <= 3 ORDER BY id");
	async_query(c, "SELECT id FROM items WHERE id <= 3 ORDER BY id");
	async_query(c, "SELECT 1; SELECT * FROM no_such_table");
	if (PQsendQuery(c, "SELECT id, name FROM items WHERE id <= 3 ORDER BY id")) {
		printf("single row mode: %d\n", PQsetSingleRowMode(c));
		drain(c, "single row");
	}

	copy_out(c, "COPY (SELECT id, name FROM items WHERE id <= 3 ORDER BY id) TO STDOUT");
	pipeline(c);

	/* Session state that changes results. */
	ex(c, "SET search_path = pg_catalog");
	ex(c, "SELECT count(*) FROM items");
	ex(c, "RESET search_path");
	ex(c, "SELECT count(*) FROM items");

	PQreset(c);
	printf("reset: status=%d\n", PQstatus(c));
	ex(c, "SELECT * FROM pq_passthru_t ORDER BY id");
	ex(c, "DROP TABLE pq_passthru_t");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		printf("connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	printf("connected: server %d, protocol %d\n", PQserverVersion(c) / 10000,
	       PQprotocolVersion(c));
	run(c);
	PQfinish(c);

	/* A second connection in the same process. */
	c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		printf("reconnect: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	ex(c, "SELECT count(*) FROM items");
	PQfinish(c);

	/* A connection that fails. */
	c = PQconnectdb("dbname=no_such_database_here");
	printf("bad db: status=%d\n", PQstatus(c) == CONNECTION_OK);
	PQfinish(c);
	return 0;
}

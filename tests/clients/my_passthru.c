/*
 * my_passthru.c - a libmysqlclient (MariaDB Connector/C) program whose whole output must be
 * byte-identical with and without Capacitor (t_passthrough_my.sh runs it without the library,
 * with CAPACITOR_ENABLE=0, with CAPACITOR_ENABLE=1, and again with a warm cache).
 *
 * It walks through the API real programs use: mysql_real_query and mysql_query, store and use
 * results, field metadata, affected rows, insert ids, warnings, errors with SQLSTATE,
 * multi-statement strings with mysql_next_result, autocommit off with commit and rollback,
 * mysql_select_db, prepared statements, and reads repeated after writes (which must show the
 * write). Both transports: the unix socket and TCP. The table it writes is dropped and
 * re-created at the start, so every run prints the same thing.
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_PORT, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include <mysql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL) {
		fprintf(stderr, "my_passthru: %s is not set\n", name);
		exit(2);
	}
	return v;
}

static void print_error(MYSQL *m, const char *label)
{
	printf("%s: error %u (%s): %s\n", label, mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
}

static void print_fields(MYSQL_RES *res)
{
	unsigned n = mysql_num_fields(res);
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	for (unsigned i = 0; i < n; i++)
		printf("  field %u: name='%s' org='%s' table='%s' type=%d length=%lu flags=0x%x "
		       "decimals=%u charset=%u\n", i, f[i].name, f[i].org_name, f[i].table,
		       (int)f[i].type, f[i].length, f[i].flags, f[i].decimals, f[i].charsetnr);
}

/* print_bytes - a value as text, control bytes and NUL as \xNN, so binary values show. */
static void print_bytes(const char *v, unsigned long len)
{
	fputs(" '", stdout);
	for (unsigned long i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			printf("\\x%02x", c);
		else
			fputc(c, stdout);
	}
	fputc('\'', stdout);
}

static void print_rows(MYSQL_RES *res)
{
	unsigned n = mysql_num_fields(res);
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(res)) != NULL) {
		unsigned long *len = mysql_fetch_lengths(res);
		fputs("  row:", stdout);
		for (unsigned i = 0; i < n; i++) {
			if (row[i] == NULL)
				fputs(" NULL", stdout);
			else
				print_bytes(row[i], len[i]);
		}
		fputc('\n', stdout);
	}
}

/* print_result - the current result of m (stored or used), or its status. */
static void print_result(MYSQL *m, const char *label, int use)
{
	MYSQL_RES *res = use ? mysql_use_result(m) : mysql_store_result(m);
	if (res == NULL) {
		if (mysql_field_count(m) != 0) {
			print_error(m, label);
			return;
		}
		printf("%s: ok affected=%llu insert_id=%llu warnings=%u info='%s'\n", label,
		       (unsigned long long)mysql_affected_rows(m),
		       (unsigned long long)mysql_insert_id(m), mysql_warning_count(m),
		       mysql_info(m) ? mysql_info(m) : "");
		return;
	}
	printf("%s: result fields=%u", label, mysql_num_fields(res));
	if (!use)
		printf(" rows=%llu", (unsigned long long)mysql_num_rows(res));
	printf(" warnings=%u\n", mysql_warning_count(m));
	print_fields(res);
	print_rows(res);
	if (use)
		printf("  rows fetched=%llu\n", (unsigned long long)mysql_num_rows(res));
	mysql_free_result(res);
}

/* q - run sql, print every result it produces (multi-statement strings too). */
static void q_mode(MYSQL *m, const char *sql, int use)
{
	if (mysql_real_query(m, sql, (unsigned long)strlen(sql)) != 0) {
		print_error(m, sql);
		return;
	}
	int i = 0, rc;
	do {
		char label[512];
		snprintf(label, sizeof(label), "%s #%d", sql, i++);
		print_result(m, label, use);
		rc = mysql_next_result(m);
		if (rc > 0)
			print_error(m, "next result");
	} while (rc == 0);
}

static void q(MYSQL *m, const char *sql) { q_mode(m, sql, 0); }

static void prepared(MYSQL *m)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *sql = "SELECT id, name, price FROM items WHERE qty = ? ORDER BY id LIMIT 3";
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		printf("stmt prepare: error %u: %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	printf("stmt: params=%lu fields=%u\n", mysql_stmt_param_count(st), mysql_stmt_field_count(st));
	for (int round = 0; round < 3; round++) {
		int qty = round == 2 ? 5 : 2;
		MYSQL_BIND in;
		memset(&in, 0, sizeof(in));
		in.buffer_type = MYSQL_TYPE_LONG;
		in.buffer = &qty;
		mysql_stmt_bind_param(st, &in);
		if (mysql_stmt_execute(st) != 0) {
			printf("stmt execute: error %u: %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
			break;
		}
		int id = 0;
		char name[64], price[32];
		unsigned long nlen = 0, plen = 0;
		my_bool nnull = 0, pnull = 0;
		MYSQL_BIND out[3];
		memset(out, 0, sizeof(out));
		out[0].buffer_type = MYSQL_TYPE_LONG;
		out[0].buffer = &id;
		out[1].buffer_type = MYSQL_TYPE_STRING;
		out[1].buffer = name;
		out[1].buffer_length = sizeof(name);
		out[1].length = &nlen;
		out[1].is_null = &nnull;
		out[2].buffer_type = MYSQL_TYPE_STRING;
		out[2].buffer = price;
		out[2].buffer_length = sizeof(price);
		out[2].length = &plen;
		out[2].is_null = &pnull;
		mysql_stmt_bind_result(st, out);
		mysql_stmt_store_result(st);
		printf("stmt qty=%d rows=%llu\n", qty, (unsigned long long)mysql_stmt_num_rows(st));
		while (mysql_stmt_fetch(st) == 0)
			printf("  row: %d '%.*s' '%.*s'\n", id, (int)nlen, name, (int)plen, price);
		mysql_stmt_free_result(st);
	}
	mysql_stmt_close(st);
}

static void run(MYSQL *m, const char *db)
{
	q(m, "DROP TABLE IF EXISTS my_passthru_t");
	q(m, "SHOW WARNINGS");
	q(m, "CREATE TABLE my_passthru_t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20), "
	     "n DECIMAL(6,2)) ENGINE=InnoDB");
	q(m, "INSERT INTO my_passthru_t (v, n) VALUES ('one', 1.5), ('two', NULL), (NULL, 3)");

	for (int i = 0; i < 3; i++) {
		q(m, "SELECT COUNT(*), SUM(price), MIN(name), MAX(qty) FROM items");
		q(m, "SELECT * FROM items WHERE id <= 4 ORDER BY id");
		q(m, "SELECT * FROM my_passthru_t ORDER BY id");
	}
	q_mode(m, "SELECT id, name FROM items WHERE id <= 3 ORDER BY id", 1);
	q_mode(m, "SELECT id, name FROM items WHERE id <= 3 ORDER BY id", 1);
	q(m, "SELECT NULL AS n, '' AS empty, TRUE AS b, 1.5e0 AS f, x'00ff' AS by_, "
	     "DATE '2024-01-02' AS d, 'caf\xc3\xa9' AS utf8, 12345678901234 AS big");
	q(m, "SELECT * FROM items WHERE 1 = 0");
	q(m, "SELECT * FROM no_such_table");
	q(m, "SELEC broken");
	q(m, "SELECT 1/0");
	q(m, "SHOW WARNINGS");

	/* Writes must be seen by the next read. */
	q(m, "UPDATE my_passthru_t SET v = 'uno' WHERE id = 1");
	q(m, "SELECT * FROM my_passthru_t ORDER BY id");
	q(m, "UPDATE my_passthru_t SET v = 'uno' WHERE id = 1");
	q(m, "DELETE FROM my_passthru_t WHERE id = 3");
	q(m, "SELECT * FROM my_passthru_t ORDER BY id");
	q(m, "INSERT INTO my_passthru_t (v) VALUES ('auto')");
	q(m, "SELECT LAST_INSERT_ID()");

	/* Transactions. */
	q(m, "START TRANSACTION");
	q(m, "SELECT v FROM my_passthru_t WHERE id = 2");
	q(m, "INSERT INTO my_passthru_t (id, v) VALUES (10, 'ten')");
	q(m, "SELECT COUNT(*) FROM my_passthru_t");
	q(m, "ROLLBACK");
	q(m, "SELECT COUNT(*) FROM my_passthru_t");
	printf("autocommit(0): %d\n", mysql_autocommit(m, 0));
	q(m, "SELECT COUNT(*) FROM items");
	q(m, "UPDATE my_passthru_t SET n = 9 WHERE id = 2");
	q(m, "SELECT * FROM my_passthru_t ORDER BY id");
	printf("rollback: %d\n", mysql_rollback(m));
	q(m, "SELECT * FROM my_passthru_t ORDER BY id");
	q(m, "UPDATE my_passthru_t SET n = 8 WHERE id = 2");
	printf("commit: %d\n", mysql_commit(m));
	printf("autocommit(1): %d\n", mysql_autocommit(m, 1));
	q(m, "SELECT * FROM my_passthru_t ORDER BY id");

	/* Multi-statement strings. */
	q(m, "SELECT 1 AS a; SELECT 2 AS b");
	q(m, "UPDATE my_passthru_t SET n = 7 WHERE id = 2; SELECT * FROM my_passthru_t ORDER BY id");
	q(m, "SELECT 1; SELECT * FROM no_such_table; SELECT 3");

	prepared(m);

	/* Session state that changes results. */
	if (mysql_select_db(m, "mysql") != 0)
		print_error(m, "select_db mysql");
	q(m, "SELECT COUNT(*) FROM items");
	q(m, "USE no_such_db");
	if (mysql_select_db(m, db) != 0)
		print_error(m, "select_db back");
	q(m, "SELECT COUNT(*) FROM items");
	q(m, "SET @x = 41");
	q(m, "SELECT @x + 1");
	printf("ping: %d\n", mysql_ping(m));
	q(m, "DROP TABLE my_passthru_t");
}

static MYSQL *connect_to(const char *host, unsigned port, const char *sock)
{
	MYSQL *m = mysql_init(NULL);
	if (m == NULL) {
		printf("mysql_init failed\n");
		exit(1);
	}
	if (!mysql_real_connect(m, host, env("CAP_MY_USER"), env("CAP_MY_PASSWORD"),
				env("CAP_MY_DB"), port, sock, CLIENT_MULTI_STATEMENTS)) {
		print_error(m, "connect");
		mysql_close(m);
		exit(1);
	}
	return m;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *db = env("CAP_MY_DB");
	MYSQL *m = connect_to(NULL, 0, env("CAP_MY_SOCKET"));
	printf("connected over the socket\n");
	run(m, db);
	mysql_close(m);

	m = connect_to("127.0.0.1", (unsigned)atoi(env("CAP_MY_PORT")), NULL);
	printf("connected over TCP\n");
	q(m, "SELECT COUNT(*), SUM(price) FROM items");
	q(m, "SELECT COUNT(*), SUM(price) FROM items");
	mysql_close(m);

	m = mysql_init(NULL);
	if (!mysql_real_connect(m, NULL, env("CAP_MY_USER"), "wrong password", db, 0,
				env("CAP_MY_SOCKET"), 0))
		printf("bad password: error %u (%s)\n", mysql_errno(m), mysql_sqlstate(m));
	mysql_close(m);
	return 0;
}

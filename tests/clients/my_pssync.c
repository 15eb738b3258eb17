/*
 * my_pssync.c - a prepared statement's result left unread, then another command on the same
 * connection, for the integration tests: prints every call's return value, error codes and
 * text, the statements' states and the rows, so that a run where the execution is a hit
 * (Capacitor preloaded, the cache primed by this same program) can be diffed against a run
 * without Capacitor.
 *
 *     my_pssync SCENARIO SQL      SQL is executed (and stored) once on a first connection to
 *                                 prime the cache, then on a new connection executed again
 *                                 and left unread while SCENARIO runs:
 *
 *   query      mysql_query, then the rows of the first statement, then mysql_query again
 *   ping       mysql_ping, the rows, mysql_ping again
 *   exec2      mysql_stmt_execute of a second prepared statement, the rows, then it again
 *   prepare2   mysql_stmt_prepare of a new statement, the rows, then it again
 *   partial    one row fetched, mysql_query, the other rows, mysql_query again
 *   free       mysql_stmt_free_result, mysql_query, mysql_stmt_fetch
 *   store      mysql_stmt_store_result, mysql_query, the rows
 *   reset      mysql_stmt_reset, mysql_query, mysql_stmt_fetch
 *   reexec     mysql_stmt_execute of the same statement again, the rows, mysql_query
 *   close      mysql_stmt_close of the statement, mysql_query
 *   close2     mysql_stmt_close of a second prepared statement, mysql_query, the rows
 *   reset2     mysql_stmt_reset of a second prepared statement, mysql_query, the rows
 *   resetconn  mysql_reset_connection, mysql_query
 *   store2     mysql_stmt_store_result of a second statement executed (and read) before
 *   sendread   mysql_send_query, then mysql_read_query_result whatever it answered
 *   nbfree     mysql_stmt_free_result_start of the statement (non-blocking API), mysql_query
 *   nbclose2   mysql_stmt_close_start of a second prepared statement, mysql_query
 *   cursor     the statement with STMT_ATTR_CURSOR_TYPE read only: mysql_query, the rows
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include <mysql.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static MYSQL *conn_open(int nonblock)
{
	MYSQL *m = mysql_init(NULL);
	if (nonblock)
		mysql_options(m, MYSQL_OPT_NONBLOCK, 0);
	if (!mysql_real_connect(m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		exit(2);
	}
	return m;
}

static void conn_state(MYSQL *m, const char *what, long rc)
{
	printf("%s rc=%ld conn errno=%u sqlstate=%s error='%s' affected=%lld fields=%u\n", what, rc,
	       mysql_errno(m), mysql_sqlstate(m), mysql_error(m), (long long)mysql_affected_rows(m),
	       mysql_field_count(m));
}

static void stmt_state(MYSQL_STMT *st, const char *what, long rc)
{
	unsigned long state = 0;
	mysql_stmt_attr_get(st, STMT_ATTR_STATE, &state);
	printf("%s rc=%ld stmt errno=%u sqlstate=%s error='%s' state=%lu num_rows=%llu "
	       "affected=%lld\n",
	       what, rc, mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st), state,
	       (unsigned long long)mysql_stmt_num_rows(st), (long long)mysql_stmt_affected_rows(st));
}

/* A query's answer, stored, when it has one. */
static void query(MYSQL *m, const char *sql)
{
	int rc = mysql_query(m, sql);
	conn_state(m, sql, rc);
	if (rc == 0) {
		MYSQL_RES *r = mysql_store_result(m);
		MYSQL_ROW row;
		while (r && (row = mysql_fetch_row(r)))
			printf("  row %s\n", row[0] ? row[0] : "NULL");
		mysql_free_result(r);
	}
}

/* Result buffers: every column as a string. */
typedef struct cols {
	MYSQL_BIND b[8];
	char s[8][64];
	unsigned long len[8];
	my_bool isnull[8];
	my_bool err[8];
} cols;

static void bind_cols(MYSQL_STMT *st, cols *c)
{
	memset(c, 0, sizeof(*c));
	unsigned nf = mysql_stmt_field_count(st);
	for (unsigned i = 0; i < nf && i < 8; i++) {
		c->b[i].buffer_type = MYSQL_TYPE_STRING;
		c->b[i].buffer = c->s[i];
		c->b[i].buffer_length = sizeof(c->s[i]);
		c->b[i].length = &c->len[i];
		c->b[i].is_null = &c->isnull[i];
		c->b[i].error = &c->err[i];
	}
	mysql_stmt_bind_result(st, c->b);
}

/* A non-blocking call's status run to its end: each wait on the socket at most 5 s. */
static void nb_finish(MYSQL *m, int status, int (*cont)(my_bool *, MYSQL_STMT *, int), my_bool *r,
		      MYSQL_STMT *st)
{
	while (status) {
		struct pollfd p = { mysql_get_socket(m), 0, 0 };
		if (status & MYSQL_WAIT_READ)
			p.events |= POLLIN;
		if (status & MYSQL_WAIT_WRITE)
			p.events |= POLLOUT;
		if (poll(&p, 1, 5000) <= 0) {
			printf("  waited 5 s for the socket\n");
			exit(3);
		}
		status = cont(r, st, MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
	}
}

/* Fetch up to max rows (-1: all), printing each. */
static void fetch(MYSQL_STMT *st, cols *c, int max)
{
	unsigned nf = mysql_stmt_field_count(st);
	for (int n = 0; max < 0 || n < max; n++) {
		int rc = mysql_stmt_fetch(st);
		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
			stmt_state(st, "  fetch", rc);
			conn_state(st->mysql, "  fetch", rc);
			return;
		}
		printf("  row");
		for (unsigned i = 0; i < nf && i < 8; i++)
			printf(" %s", c->isnull[i] ? "NULL" : c->s[i]);
		printf("\n");
	}
}

static MYSQL_STMT *prepare(MYSQL *m, const char *sql, int cursor)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	if (cursor) {
		unsigned long t = CURSOR_TYPE_READ_ONLY;
		mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &t);
	}
	int rc = mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql));
	stmt_state(st, "prepare", rc);
	return st;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: my_pssync SCENARIO SQL\n");
		return 2;
	}
	const char *sc = argv[1], *sql = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0); /* what was printed before a crash is kept */
	int cursor = strcmp(sc, "cursor") == 0;
	cols c;

	/* prime: a whole stored result fills the cache */
	MYSQL *m0 = conn_open(0);
	MYSQL_STMT *p = prepare(m0, sql, cursor);
	stmt_state(p, "prime execute", mysql_stmt_execute(p));
	bind_cols(p, &c);
	stmt_state(p, "prime store", mysql_stmt_store_result(p));
	fetch(p, &c, -1);
	mysql_stmt_close(p);
	mysql_close(m0);

	MYSQL *m = conn_open(strncmp(sc, "nb", 2) == 0);
	MYSQL_STMT *other = NULL;
	if (strcmp(sc, "exec2") == 0 || strcmp(sc, "close2") == 0 || strcmp(sc, "reset2") == 0 ||
	    strcmp(sc, "store2") == 0 || strcmp(sc, "nbclose2") == 0)
		other = prepare(m, "SELECT 42", 0);
	if (strcmp(sc, "store2") == 0) {
		cols o;
		bind_cols(other, &o);
		stmt_state(other, "execute other", mysql_stmt_execute(other));
		fetch(other, &o, -1);
	}
	MYSQL_STMT *st = prepare(m, sql, cursor);
	bind_cols(st, &c);
	stmt_state(st, "execute", mysql_stmt_execute(st));
	conn_state(m, "execute", 0);

	if (strcmp(sc, "query") == 0 || cursor) {
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 3");
	} else if (strcmp(sc, "ping") == 0) {
		conn_state(m, "ping", mysql_ping(m));
		fetch(st, &c, -1);
		conn_state(m, "ping again", mysql_ping(m));
	} else if (strcmp(sc, "exec2") == 0) {
		stmt_state(other, "execute other", mysql_stmt_execute(other));
		conn_state(m, "execute other", 0);
		fetch(st, &c, -1);
		stmt_state(other, "execute other again", mysql_stmt_execute(other));
		cols o;
		bind_cols(other, &o);
		fetch(other, &o, -1);
	} else if (strcmp(sc, "prepare2") == 0) {
		MYSQL_STMT *n = mysql_stmt_init(m);
		stmt_state(n, "prepare new", mysql_stmt_prepare(n, "SELECT 43", 9));
		conn_state(m, "prepare new", 0);
		fetch(st, &c, -1);
		stmt_state(n, "prepare new again", mysql_stmt_prepare(n, "SELECT 43", 9));
		stmt_state(n, "execute new", mysql_stmt_execute(n));
		cols o;
		bind_cols(n, &o);
		fetch(n, &o, -1);
		mysql_stmt_close(n);
	} else if (strcmp(sc, "partial") == 0) {
		fetch(st, &c, 1);
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 3");
	} else if (strcmp(sc, "free") == 0) {
		stmt_state(st, "free_result", mysql_stmt_free_result(st));
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
	} else if (strcmp(sc, "store") == 0) {
		stmt_state(st, "store", mysql_stmt_store_result(st));
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
	} else if (strcmp(sc, "reset") == 0) {
		stmt_state(st, "reset", mysql_stmt_reset(st));
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
	} else if (strcmp(sc, "reexec") == 0) {
		stmt_state(st, "execute again", mysql_stmt_execute(st));
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 2");
	} else if (strcmp(sc, "close") == 0) {
		printf("close rc=%d\n", (int)mysql_stmt_close(st));
		st = NULL;
		query(m, "SELECT RAND() < 2");
	} else if (strcmp(sc, "resetconn") == 0) {
		conn_state(m, "reset_connection", mysql_reset_connection(m));
		query(m, "SELECT RAND() < 2");
	} else if (strcmp(sc, "store2") == 0) {
		stmt_state(other, "store other", mysql_stmt_store_result(other));
		conn_state(m, "store other", 0);
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 3");
	} else if (strcmp(sc, "sendread") == 0) {
		conn_state(m, "send", mysql_send_query(m, "SELECT RAND() < 2", 17));
		conn_state(m, "read", mysql_read_query_result(m));
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 3");
	} else if (strcmp(sc, "nbfree") == 0) {
		my_bool r = 0;
		nb_finish(m, mysql_stmt_free_result_start(&r, st), mysql_stmt_free_result_cont, &r, st);
		stmt_state(st, "free_result_start", r);
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
	} else if (strcmp(sc, "nbclose2") == 0) {
		my_bool r = 0;
		nb_finish(m, mysql_stmt_close_start(&r, other), mysql_stmt_close_cont, &r, other);
		printf("close other rc=%d\n", (int)r);
		other = NULL;
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 3");
	} else if (strcmp(sc, "close2") == 0) {
		printf("close other rc=%d\n", (int)mysql_stmt_close(other));
		other = NULL;
		conn_state(m, "close other", 0);
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 3");
	} else if (strcmp(sc, "reset2") == 0) {
		stmt_state(other, "reset other", mysql_stmt_reset(other));
		conn_state(m, "reset other", 0);
		query(m, "SELECT RAND() < 2");
		fetch(st, &c, -1);
		query(m, "SELECT RAND() < 3");
	} else {
		fprintf(stderr, "unknown scenario %s\n", sc);
		return 2;
	}
	if (st)
		stmt_state(st, "end", 0);
	conn_state(m, "end", 0);
	if (st)
		mysql_stmt_close(st);
	if (other)
		mysql_stmt_close(other);
	mysql_close(m);
	return 0;
}

/*
 * my_async.c - Connector/C's non-blocking API (the _start and _cont functions) next to hits,
 * for t_mysql_async.sh, which compares its output with and without the library. Every call's
 * return and error is printed. A wait on the socket longer than HANG_MS prints HANG and exits
 * 3; the connection's read timeout (5 s) turns a read that would wait forever into an error.
 *
 *     my_async held FOLLOW Q1 Q2   Q1 twice (the cache is filled), then mysql_send_query(Q1)
 *                                  (a hit, not read yet), then FOLLOW (a command through the
 *                                  non-blocking API, a prepared statement, or a blocking call
 *                                  that sends one), then the answers still owed are read with
 *                                  mysql_read_query_result, then one more statement. FOLLOW
 *                                  "all": each in turn, each on a new connection.
 *     my_async collect Q           a hit collected with the non-blocking calls
 *                                  (mysql_store_result_start, mysql_fetch_row_start,
 *                                  mysql_free_result_start, mysql_next_result_start, ...),
 *                                  in several ways, each Q four times (the first fills)
 *
 * MY_ASYNC_WAITER=1: in held, a second thread is already blocked in poll() on the socket when
 * Q1 is sent (the hit then sends a COM_PING whose answer the hit's giving way reads).
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include <mysql.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HANG_MS 10000

static MYSQL *m;
/* after an answer read as another's (a statement id read as affected rows): not printed */
static int no_affected;
/* a statement prepared before the hit (the stmt_reset and stmt_close follow-ups) */
static MYSQL_STMT *pre;

static MYSQL *conn_open(void)
{
	MYSQL *c = mysql_init(NULL);
	unsigned to = 5;
	mysql_options(c, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &to);
	if (!mysql_real_connect(c, NULL, getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(c));
		exit(2);
	}
	return c;
}

/* Wait for what a _start or _cont asked for; the status for the _cont. */
static int wait_for(int st)
{
	struct pollfd p = { mysql_get_socket(m), 0, 0 };
	if (st & MYSQL_WAIT_READ)
		p.events |= POLLIN;
	if (st & MYSQL_WAIT_WRITE)
		p.events |= POLLOUT;
	if (st & MYSQL_WAIT_EXCEPT)
		p.events |= POLLPRI;
	int n;
	do
		n = poll(&p, 1, HANG_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0 && (st & MYSQL_WAIT_TIMEOUT))
		return MYSQL_WAIT_TIMEOUT;
	if (n <= 0) {
		printf("HANG: socket not ready after %d ms\n", HANG_MS);
		fflush(stdout);
		exit(3);
	}
	int r = 0;
	if (p.revents & (POLLIN | POLLHUP | POLLERR))
		r |= MYSQL_WAIT_READ;
	if (p.revents & POLLOUT)
		r |= MYSQL_WAIT_WRITE;
	if (p.revents & POLLPRI)
		r |= MYSQL_WAIT_EXCEPT;
	return r;
}

/* NB(start call, cont function, cont's leading arguments): run a non-blocking call to its end */
#define NB(start, cont, ...)                                            \
	do {                                                            \
		int st_ = (start);                                      \
		while (st_)                                             \
			st_ = cont(__VA_ARGS__, wait_for(st_));         \
	} while (0)

static void state(const char *what, long long rc)
{
	printf("  %s: rc=%lld errno=%u error='%s' fields=%u", what, rc, mysql_errno(m), mysql_error(m),
	       mysql_field_count(m));
	if (!no_affected)
		printf(" affected=%lld", (long long)mysql_affected_rows(m));
	printf("\n");
	fflush(stdout);
}

static void rows(const char *what, MYSQL_RES *r)
{
	if (r == NULL) {
		state(what, -1);
		return;
	}
	printf("  %s: %llu rows:", what, (unsigned long long)mysql_num_rows(r));
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r)))
		for (unsigned i = 0; i < mysql_num_fields(r); i++)
			printf(" %s", row[i] ? row[i] : "NULL");
	printf("\n");
	fflush(stdout);
	mysql_free_result(r);
}

static void query_show(const char *what, const char *q)
{
	int rc = mysql_query(m, q);
	state(what, rc);
	if (rc == 0)
		rows(what, mysql_store_result(m));
}

/* ---- held: a mysql_send_query hit not read yet, then another command ---------------------- */

static void *waiter(void *arg)
{
	struct pollfd p = { *(int *)arg, POLLIN, 0 };
	if (poll(&p, 1, HANG_MS) <= 0) {
		printf("HANG: the waiting thread's poll\n");
		fflush(stdout);
		exit(3);
	}
	return NULL;
}

static const char *follows[] = {
	"send_query_start", "real_query_start", "query_start", "stmt_prepare", "stmt_prepare_start",
	"select_db_start", "set_character_set_start", "commit_start", "rollback_start",
	"autocommit_start", "ping_start", "stat_start", "reset_connection_start",
	"change_user_start", "next_result_start", "list_fields_start", "select_db",
	"change_user", "reset_connection", "ping", "stat", "set_character_set", "list_fields",
	"commit", "kill", "set_server_option", "refresh", "stmt_reset", "stmt_close", "stmt_fetch_cursor", "stmt_fetch_cursor_start", "kill_start", "set_server_option_start",
	"refresh_start", "dump_debug_info", "dump_debug_info_start", "stmt_reset_start",
	"stmt_close_start", NULL
};

/* the follow-up; the number of answers the program still reads afterwards */
static int follow(const char *f, const char *q2)
{
	int rc = 0;
	my_bool b = 0;
	unsigned long n = (unsigned long)strlen(q2);
	const char *db = getenv("CAP_MY_DB");
	if (strcmp(f, "send_query_start") == 0) {
		NB(mysql_send_query_start(&rc, m, q2, n), mysql_send_query_cont, &rc, m);
		state(f, rc);
		return 2;
	}
	if (strcmp(f, "real_query_start") == 0 || strcmp(f, "query_start") == 0) {
		if (f[0] == 'r')
			NB(mysql_real_query_start(&rc, m, q2, n), mysql_real_query_cont, &rc, m);
		else
			NB(mysql_query_start(&rc, m, q2), mysql_query_cont, &rc, m);
		state(f, rc);
		if (rc == 0) {
			MYSQL_RES *r = NULL;
			NB(mysql_store_result_start(&r, m), mysql_store_result_cont, &r, m);
			rows("its result", r);
		}
		return 1;
	}
	if (strncmp(f, "stmt_prepare", 12) == 0) {
		MYSQL_STMT *s = mysql_stmt_init(m);
		if (f[12] == '\0') {
			rc = mysql_stmt_prepare(s, q2, n);
			if (rc == 0)
				rc = mysql_stmt_execute(s);
		} else {
			NB(mysql_stmt_prepare_start(&rc, s, q2, n), mysql_stmt_prepare_cont, &rc, s);
			if (rc == 0)
				NB(mysql_stmt_execute_start(&rc, s), mysql_stmt_execute_cont, &rc, s);
		}
		printf("  %s: rc=%d stmt errno=%u error='%s'\n", f, rc, mysql_stmt_errno(s),
		       mysql_stmt_error(s));
		if (rc == 0 && mysql_stmt_store_result(s) == 0)
			printf("  its rows: %llu\n", (unsigned long long)mysql_stmt_num_rows(s));
		no_affected = rc != 0;
		mysql_stmt_close(s);
		return 1;
	}
	if (strcmp(f, "select_db_start") == 0)
		NB(mysql_select_db_start(&rc, m, db), mysql_select_db_cont, &rc, m);
	else if (strcmp(f, "set_character_set_start") == 0)
		NB(mysql_set_character_set_start(&rc, m, "utf8mb4"), mysql_set_character_set_cont, &rc, m);
	else if (strcmp(f, "commit_start") == 0)
		NB(mysql_commit_start(&b, m), mysql_commit_cont, &b, m);
	else if (strcmp(f, "rollback_start") == 0)
		NB(mysql_rollback_start(&b, m), mysql_rollback_cont, &b, m);
	else if (strcmp(f, "autocommit_start") == 0)
		NB(mysql_autocommit_start(&b, m, 1), mysql_autocommit_cont, &b, m);
	else if (strcmp(f, "ping_start") == 0)
		NB(mysql_ping_start(&rc, m), mysql_ping_cont, &rc, m);
	else if (strcmp(f, "stat_start") == 0) {
		const char *s = NULL;
		NB(mysql_stat_start(&s, m), mysql_stat_cont, &s, m);
		rc = s == NULL;
	} else if (strcmp(f, "reset_connection_start") == 0)
		NB(mysql_reset_connection_start(&rc, m), mysql_reset_connection_cont, &rc, m);
	else if (strcmp(f, "change_user_start") == 0)
		NB(mysql_change_user_start(&b, m, getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"), db),
		   mysql_change_user_cont, &b, m);
	else if (strcmp(f, "next_result_start") == 0) {
		NB(mysql_next_result_start(&rc, m), mysql_next_result_cont, &rc, m);
		state(f, rc);
		return 1; /* nothing sent */
	} else if (strcmp(f, "list_fields_start") == 0) {
		MYSQL_RES *r = NULL;
		NB(mysql_list_fields_start(&r, m, "t_myasync", NULL), mysql_list_fields_cont, &r, m);
		rc = r == NULL;
		mysql_free_result(r);
	} else if (strcmp(f, "select_db") == 0)
		rc = mysql_select_db(m, db);
	else if (strcmp(f, "change_user") == 0)
		b = mysql_change_user(m, getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"), db);
	else if (strcmp(f, "reset_connection") == 0)
		rc = mysql_reset_connection(m);
	else if (strcmp(f, "ping") == 0)
		rc = mysql_ping(m);
	else if (strcmp(f, "stat") == 0)
		rc = mysql_stat(m) == NULL;
	else if (strcmp(f, "set_character_set") == 0)
		rc = mysql_set_character_set(m, "utf8mb4");
	else if (strcmp(f, "list_fields") == 0) {
		MYSQL_RES *r = mysql_list_fields(m, "t_myasync", NULL);
		rc = r == NULL;
		mysql_free_result(r);
	} else if (strcmp(f, "commit") == 0)
		b = mysql_commit(m);
	else if (strcmp(f, "kill") == 0)
		rc = mysql_kill(m, 999999999);
	else if (strcmp(f, "set_server_option") == 0)
		rc = mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	else if (strcmp(f, "refresh") == 0)
		rc = mysql_refresh(m, REFRESH_STATUS);
	else if (strcmp(f, "stmt_reset") == 0)
		rc = mysql_stmt_reset(pre);
	else if (strcmp(f, "kill_start") == 0)
		NB(mysql_kill_start(&rc, m, 999999999), mysql_kill_cont, &rc, m);
	else if (strcmp(f, "set_server_option_start") == 0)
		NB(mysql_set_server_option_start(&rc, m, MYSQL_OPTION_MULTI_STATEMENTS_OFF),
		   mysql_set_server_option_cont, &rc, m);
	else if (strcmp(f, "refresh_start") == 0)
		NB(mysql_refresh_start(&rc, m, REFRESH_STATUS), mysql_refresh_cont, &rc, m);
	else if (strcmp(f, "dump_debug_info") == 0)
		rc = mysql_dump_debug_info(m);
	else if (strcmp(f, "dump_debug_info_start") == 0)
		NB(mysql_dump_debug_info_start(&rc, m), mysql_dump_debug_info_cont, &rc, m);
	else if (strcmp(f, "stmt_reset_start") == 0)
		NB(mysql_stmt_reset_start(&b, pre), mysql_stmt_reset_cont, &b, pre);
	else if (strcmp(f, "stmt_close_start") == 0) {
		NB(mysql_stmt_close_start(&b, pre), mysql_stmt_close_cont, &b, pre);
		pre = NULL;
	} else if (strcmp(f, "stmt_fetch_cursor") == 0)
		rc = mysql_stmt_fetch(pre);
	else if (strcmp(f, "stmt_fetch_cursor_start") == 0)
		NB(mysql_stmt_fetch_start(&rc, pre), mysql_stmt_fetch_cont, &rc, pre);
	else if (strcmp(f, "stmt_close") == 0) {
		rc = mysql_stmt_close(pre);
		pre = NULL;
	}
	else {
		fprintf(stderr, "unknown follow-up %s\n", f);
		exit(2);
	}
	state(f, rc | b);
	return 1;
}

static void held(const char *f, const char *q1, const char *q2)
{
	printf("=== %s\n", f);
	m = conn_open();
	query_show("warm 1", q1);
	query_show("warm 2", q1);
	if (strncmp(f, "stmt_", 5) == 0 && strcmp(f + 5, "prepare") && strcmp(f + 5, "prepare_start")) {
		pre = mysql_stmt_init(m);
		printf("  prepared before: rc=%d\n", mysql_stmt_prepare(pre, q2, (unsigned long)strlen(q2)));
		if (strncmp(f, "stmt_fetch_cursor", 17) == 0) { /* rows fetched from the server later */
			unsigned long cursor = CURSOR_TYPE_READ_ONLY;
			mysql_stmt_attr_set(pre, STMT_ATTR_CURSOR_TYPE, &cursor);
			printf("  executed before: rc=%d\n", mysql_stmt_execute(pre));
		}
	}
	const char *w = getenv("MY_ASYNC_WAITER");
	pthread_t th;
	int fd = mysql_get_socket(m), waiting = w && w[0] == '1' && pthread_create(&th, NULL, waiter, &fd) == 0;
	if (waiting)
		usleep(50000); /* inside poll() by now */
	int rc = mysql_send_query(m, q1, (unsigned long)strlen(q1));
	state("send_query q1", rc);
	if (waiting)
		pthread_join(th, NULL);
	no_affected = 0;
	int owed = follow(f, q2);
	int failed = 0;
	for (int i = 0; i < owed; i++) {
		rc = mysql_read_query_result(m);
		state("read_query_result", rc);
		failed |= rc != 0;
		if (rc == 0)
			rows("its result", mysql_store_result(m));
	}
	/* a read that failed leaves the connection out of step (Connector/C took one answer
	 * for another's): what it does next is not the subject here */
	if (!failed)
		query_show("then", "SELECT 42");
	if (pre)
		mysql_stmt_close(pre);
	pre = NULL;
	mysql_close(m);
}

/* ---- collect: a hit read through the non-blocking calls --------------------------------------- */

static void collect(const char *q)
{
	unsigned long n = (unsigned long)strlen(q);
	static const char *ways[] = { "store_start", "query_store_fetch_free_start", "send_read_store_start",
				      "use_fetch_start", "next_result_start_unread",
				      "next_result_start_after", "found_rows_start", "send_read_start",
				      "unread_query_start", NULL };
	for (int w = 0; ways[w]; w++) {
		const char *way = ways[w];
		printf("=== %s\n", way);
		m = conn_open();
		for (int rep = 0; rep < 4; rep++) {
			printf(" rep %d\n", rep);
			int rc = 0;
			MYSQL_RES *r = NULL;
			MYSQL_ROW row = NULL;
			if (rep == 0) { /* fills the cache */
				query_show("fill", q);
				/* and the server's FOUND_ROWS() is not the hit's (3 rows, never cached) */
				if (strcmp(way, "found_rows_start") == 0)
					query_show("other", "SELECT id, RAND() < 2 FROM t_myasync ORDER BY id");
				continue;
			}
			if (strcmp(way, "send_read_store_start") == 0) {
				rc = mysql_send_query(m, q, n);
				if (rc == 0)
					rc = mysql_read_query_result(m);
			} else if (strcmp(way, "send_read_start") == 0) {
				NB(mysql_send_query_start(&rc, m, q, n), mysql_send_query_cont, &rc, m);
				my_bool b = 0;
				if (rc == 0)
					NB(mysql_read_query_result_start(&b, m), mysql_read_query_result_cont, &b, m);
				rc = b;
			} else if (strcmp(way, "query_store_fetch_free_start") == 0) {
				rc = mysql_query(m, q);
			} else {
				rc = mysql_real_query(m, q, n);
			}
			state("query", rc);
			if (rc)
				continue;
			if (strcmp(way, "next_result_start_unread") == 0) {
				NB(mysql_next_result_start(&rc, m), mysql_next_result_cont, &rc, m);
				state("next_result_start", rc);
			}
			if (strcmp(way, "unread_query_start") == 0) {
				/* another statement while the result is unread: out of sync */
				NB(mysql_real_query_start(&rc, m, "SELECT 42", 9), mysql_real_query_cont, &rc, m);
				state("real_query_start while unread", rc);
			}
			if (strcmp(way, "use_fetch_start") == 0) {
				r = mysql_use_result(m);
				state("use_result", r != NULL);
				int k = 0;
				do {
					NB(mysql_fetch_row_start(&row, r), mysql_fetch_row_cont, &row, r);
					if (row)
						printf("  row %d: %s\n", k++, row[0] ? row[0] : "NULL");
				} while (row && r);
				printf("  fetched %d, num_rows %llu, eof %d\n", k,
				       (unsigned long long)mysql_num_rows(r), (int)mysql_eof(r));
				query_show("before free", "SELECT 42");
				NB(mysql_free_result_start(r), mysql_free_result_cont, r);
				continue;
			}
			NB(mysql_store_result_start(&r, m), mysql_store_result_cont, &r, m);
			state("store_result_start", r != NULL);
			if (r && strcmp(way, "query_store_fetch_free_start") == 0) {
				printf("  %llu rows:", (unsigned long long)mysql_num_rows(r));
				do {
					NB(mysql_fetch_row_start(&row, r), mysql_fetch_row_cont, &row, r);
					if (row)
						printf(" %s", row[0] ? row[0] : "NULL");
				} while (row);
				printf("\n");
				NB(mysql_free_result_start(r), mysql_free_result_cont, r);
			} else {
				rows("its result", r);
			}
			if (strcmp(way, "next_result_start_after") == 0) {
				NB(mysql_next_result_start(&rc, m), mysql_next_result_cont, &rc, m);
				state("next_result_start", rc);
			}
			if (strcmp(way, "found_rows_start") == 0) {
				const char *f = "SELECT FOUND_ROWS()";
				NB(mysql_real_query_start(&rc, m, f, (unsigned long)strlen(f)),
				   mysql_real_query_cont, &rc, m);
				state("real_query_start found_rows", rc);
				r = NULL;
				if (rc == 0)
					NB(mysql_store_result_start(&r, m), mysql_store_result_cont, &r, m);
				rows("found_rows", r);
			}
		}
		query_show("then", "SELECT 42");
		mysql_close(m);
	}
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "held") == 0) {
		if (strcmp(argv[2], "all") == 0)
			for (int i = 0; follows[i]; i++)
				held(follows[i], argv[3], argv[4]);
		else
			held(argv[2], argv[3], argv[4]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "collect") == 0) {
		collect(argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: my_async held FOLLOW|all Q1 Q2 | collect Q\n");
	return 2;
}

/*
 * my_session.c - a libmysqlclient program for the session, transaction and diagnostics
 * tests: runs a script of commands (stdin, one per line) on one connection (and a second one
 * for "q2") and prints what each returns, so that a run with Capacitor preloaded can be
 * compared with a run without.
 *
 *     q SQL            mysql_query + mysql_store_result: every row (columns joined by '|'),
 *                      or "affected N", or "error N MESSAGE"
 *     q2 SQL           the same on a second connection
 *     mq SQL           multi-statement SQL (turns CLIENT_MULTI_STATEMENTS on): each result
 *                      as q, in order, through mysql_next_result
 *     p SQL|PARAM...   mysql_stmt_prepare + execute + store: as q (PARAM as in my_ps: i:N,
 *                      s:TEXT, n:)
 *     prep SQL         mysql_stmt_prepare (no parameters) into the one kept statement
 *     exec             execute the kept statement and store: as q
 *     poll SQL         mysql_send_query, poll(2) the socket for POLLIN (10 s), then
 *                      mysql_read_query_result + store: as q; "TIMEOUT" if nothing arrives
 *     aread SQL        mysql_send_query, then mysql_read_query_result_start/_cont driven by
 *                      poll(2) (needs MY_SESS_NONBLOCK=1), then store: as q
 *     status SQL       as q, then the server status flags a SELECT may set
 *                      (SERVER_QUERY_NO_INDEX_USED, SERVER_QUERY_NO_GOOD_INDEX_USED)
 *     st SQL           as q, then every server status flag (mysql->server_status, less
 *                      SERVER_QUERY_WAS_SLOW) and what mysql_session_track_get_first/_next
 *                      give for each tracker type
 *     pst SQL          as p without parameters, then the same
 *     use SQL          mysql_query + mysql_use_result, fetch one row and leave the rest
 *     ping             mysql_ping: "ok" or "error N MESSAGE"
 *     ac 0|1           mysql_autocommit
 *     kill             kill this connection's server thread from the second connection
 *     fork SQL         fork: the child runs q SQL on the inherited connection and exits
 *                      without closing it; the parent waits
 *     reconnect        close and open the connection again
 *     attr SQL         as q, with each column's mariadb_field_attr (type name, format) first
 *     uattr SQL        the same through mysql_use_result
 *     db NAME          mysql_select_db: "ok" or "error N MESSAGE"
 *     charset NAME     mysql_set_character_set: the same
 *     reset            mysql_reset_connection: the same
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB (MY_SESS_USER /
 * MY_SESS_PASSWORD / MY_SESS_DB override); MY_SESS_RECONNECT=1 sets MYSQL_OPT_RECONNECT;
 * MY_SESS_CHARSET sets MYSQL_SET_CHARSET_NAME; MY_SESS_NONBLOCK=1 sets MYSQL_OPT_NONBLOCK;
 * MY_SESS_INIT sets MYSQL_INIT_COMMAND (both connections); MY_SESS_MAXPACKET sets
 * MYSQL_OPT_MAX_ALLOWED_PACKET; MY_SESS_CNF reads that option file's [client] group
 * (MYSQL_READ_DEFAULT_FILE); MY_SESS_COMPRESS=1 sets MYSQL_OPT_COMPRESS.
 */
#include <mysql.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *env2(const char *a, const char *b)
{
	const char *v = getenv(a);
	return v ? v : getenv(b);
}

static void print_ok(MYSQL *m, int rc)
{
	if (rc)
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
	else
		printf("ok\n");
}

static MYSQL *conn_open(void)
{
	MYSQL *m = mysql_init(NULL);
	const char *rc = getenv("MY_SESS_RECONNECT");
	if (rc && rc[0] == '1') {
		my_bool on = 1;
		mysql_options(m, MYSQL_OPT_RECONNECT, &on);
	}
	const char *nb = getenv("MY_SESS_NONBLOCK");
	if (nb && nb[0] == '1')
		mysql_options(m, MYSQL_OPT_NONBLOCK, 0);
	const char *cs = getenv("MY_SESS_CHARSET");
	if (cs)
		mysql_options(m, MYSQL_SET_CHARSET_NAME, cs);
	const char *ic = getenv("MY_SESS_INIT");
	if (ic)
		mysql_options(m, MYSQL_INIT_COMMAND, ic);
	const char *mp = getenv("MY_SESS_MAXPACKET");
	if (mp) {
		size_t v = (size_t)strtoul(mp, NULL, 10); /* Connector/C reads a size_t */
		mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &v);
	}
	const char *cnf = getenv("MY_SESS_CNF");
	if (cnf)
		mysql_options(m, MYSQL_READ_DEFAULT_FILE, cnf);
	const char *cz = getenv("MY_SESS_COMPRESS");
	if (cz && cz[0] == '1')
		mysql_options(m, MYSQL_OPT_COMPRESS, 0);
	if (!mysql_real_connect(m, "localhost", env2("MY_SESS_USER", "CAP_MY_USER"),
				env2("MY_SESS_PASSWORD", "CAP_MY_PASSWORD"),
				env2("MY_SESS_DB", "CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		exit(2);
	}
	return m;
}

static void print_res(MYSQL *m, MYSQL_RES *r)
{
	if (r == NULL) {
		if (mysql_errno(m))
			printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		else
			printf("affected %lld\n", (long long)mysql_affected_rows(m));
		return;
	}
	MYSQL_ROW row;
	unsigned n = mysql_num_fields(r);
	while ((row = mysql_fetch_row(r)) != NULL) {
		for (unsigned i = 0; i < n; i++)
			printf("%s%s", i ? "|" : "", row[i] ? row[i] : "NULL");
		putchar('\n');
	}
	mysql_free_result(r);
}

static void run_q(MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql)) {
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		return;
	}
	print_res(m, mysql_store_result(m));
}

/* attr: each column's MariaDB extended metadata (type name, format), then the rows; through
 * mysql_use_result when use is set */
static void run_attr(MYSQL *m, const char *sql, int use)
{
	if (mysql_query(m, sql)) {
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		return;
	}
	MYSQL_RES *r = use ? mysql_use_result(m) : mysql_store_result(m);
	if (r == NULL) {
		printf("no result\n");
		return;
	}
	MYSQL_FIELD *f = mysql_fetch_fields(r);
	for (unsigned i = 0; i < mysql_num_fields(r); i++) {
		MARIADB_CONST_STRING t, fm;
		mariadb_field_attr(&t, &f[i], MARIADB_FIELD_ATTR_DATA_TYPE_NAME);
		mariadb_field_attr(&fm, &f[i], MARIADB_FIELD_ATTR_FORMAT_NAME);
		printf("%s[type=%.*s format=%.*s] ", f[i].name, (int)t.length, t.str ? t.str : "",
		       (int)fm.length, fm.str ? fm.str : "");
	}
	printf("\n");
	print_res(m, r);
}

static void run_mq(MYSQL *m, const char *sql)
{
	if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON) || mysql_query(m, sql)) {
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		return;
	}
	do
		print_res(m, mysql_store_result(m));
	while (mysql_next_result(m) == 0);
}

static void run_poll(MYSQL *m, const char *sql)
{
	if (mysql_send_query(m, sql, (unsigned long)strlen(sql))) {
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		return;
	}
	struct pollfd pfd = { mysql_get_socket(m), POLLIN, 0 };
	if (poll(&pfd, 1, 10000) != 1) {
		printf("TIMEOUT\n");
		exit(3);
	}
	if (mysql_read_query_result(m)) {
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		return;
	}
	print_res(m, mysql_store_result(m));
}

static void print_stmt(MYSQL_STMT *st)
{
	unsigned nf = mysql_stmt_field_count(st);
	if (nf == 0) {
		printf("affected %lld\n", (long long)mysql_stmt_affected_rows(st));
		return;
	}
	char out[16][256];
	unsigned long olen[16];
	my_bool onul[16];
	MYSQL_BIND r[16];
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < nf && i < 16; i++) {
		r[i].buffer_type = MYSQL_TYPE_STRING;
		r[i].buffer = out[i];
		r[i].buffer_length = sizeof(out[i]);
		r[i].length = &olen[i];
		r[i].is_null = &onul[i];
	}
	mysql_stmt_bind_result(st, r);
	if (mysql_stmt_store_result(st)) {
		printf("error %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	int fr;
	while ((fr = mysql_stmt_fetch(st)) == 0 || fr == MYSQL_DATA_TRUNCATED) {
		for (unsigned i = 0; i < nf && i < 16; i++) {
			unsigned long n = olen[i] < sizeof(out[i]) ? olen[i] : sizeof(out[i]);
			printf("%s%.*s", i ? "|" : "", onul[i] ? 4 : (int)n, onul[i] ? "NULL" : out[i]);
			if (!onul[i] && olen[i] > n)
				printf("...(%lu bytes)", olen[i]);
		}
		putchar('\n');
	}
	mysql_stmt_free_result(st);
}

/* Every status flag but the one that says the statement was slow, and the session tracking
 * information the library holds (the last OK packet's). */
static void print_state(MYSQL *m)
{
	printf("server_status=0x%x\n", m->server_status & ~(unsigned)SERVER_QUERY_WAS_SLOW);
	for (int t = SESSION_TRACK_BEGIN; t <= SESSION_TRACK_END; t++) {
		const char *d;
		size_t n;
		if (mysql_session_track_get_first(m, (enum enum_session_state_type)t, &d, &n))
			continue;
		printf("track %d:", t);
		do
			printf(" [%.*s]", (int)n, d ? d : "");
		while (mysql_session_track_get_next(m, (enum enum_session_state_type)t, &d, &n) == 0);
		putchar('\n');
	}
}

static void run_aread(MYSQL *m, const char *sql)
{
	if (mysql_send_query(m, sql, (unsigned long)strlen(sql))) {
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		return;
	}
	my_bool rb = 0;
	int st = mysql_read_query_result_start(&rb, m);
	while (st) {
		struct pollfd pfd = { mysql_get_socket(m),
				      (short)(((st & MYSQL_WAIT_READ) ? POLLIN : 0) |
					      ((st & MYSQL_WAIT_WRITE) ? POLLOUT : 0)), 0 };
		if (poll(&pfd, 1, 10000) != 1) {
			printf("TIMEOUT\n");
			exit(3);
		}
		st = mysql_read_query_result_cont(&rb, m, st);
	}
	if (rb) {
		printf("error %u %s\n", mysql_errno(m), mysql_error(m));
		return;
	}
	print_res(m, mysql_store_result(m));
}

static void run_p(MYSQL *m, char *line)
{
	char *params[16];
	int np = 0;
	char *bar = strchr(line, '|');
	while (bar && np < 16) {
		*bar = '\0';
		params[np++] = bar + 1;
		bar = strchr(bar + 1, '|');
	}
	MYSQL_STMT *st = mysql_stmt_init(m);
	if (mysql_stmt_prepare(st, line, (unsigned long)strlen(line))) {
		printf("error %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	MYSQL_BIND b[16];
	long long iv[16];
	unsigned long lens[16];
	my_bool nul[16];
	memset(b, 0, sizeof(b));
	for (int i = 0; i < np; i++) {
		const char *v = params[i] + 2;
		nul[i] = params[i][0] == 'n';
		b[i].is_null = &nul[i];
		if (params[i][0] == 'i') {
			iv[i] = atoll(v);
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &iv[i];
		} else {
			lens[i] = (unsigned long)strlen(v);
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = (void *)v;
			b[i].length = &lens[i];
		}
	}
	if ((np && mysql_stmt_bind_param(st, b)) || mysql_stmt_execute(st)) {
		printf("error %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	print_stmt(st);
	mysql_stmt_close(st);
}

int main(void)
{
	MYSQL *m = conn_open(), *m2 = NULL;
	MYSQL_STMT *kept = NULL;
	char line[8192];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *arg = strchr(line, ' ');
		arg = arg ? arg + 1 : line + strlen(line);
		printf("> %s\n", line);
		fflush(stdout);
		if (strncmp(line, "q ", 2) == 0) {
			run_q(m, arg);
		} else if (strncmp(line, "mq ", 3) == 0) {
			run_mq(m, line + 3);
		} else if (strncmp(line, "q2 ", 3) == 0) {
			if (m2 == NULL)
				m2 = conn_open();
			run_q(m2, arg);
		} else if (strncmp(line, "p ", 2) == 0) {
			run_p(m, arg);
		} else if (strncmp(line, "prep ", 5) == 0) {
			if (kept)
				mysql_stmt_close(kept);
			kept = mysql_stmt_init(m);
			if (mysql_stmt_prepare(kept, arg, (unsigned long)strlen(arg)))
				printf("error %u %s\n", mysql_stmt_errno(kept), mysql_stmt_error(kept));
		} else if (strcmp(line, "exec") == 0) {
			if (kept == NULL || mysql_stmt_execute(kept))
				printf("error %u %s\n", kept ? mysql_stmt_errno(kept) : 0,
				       kept ? mysql_stmt_error(kept) : "no statement");
			else
				print_stmt(kept);
		} else if (strncmp(line, "aread ", 6) == 0) {
			run_aread(m, arg);
		} else if (strncmp(line, "poll ", 5) == 0) {
			run_poll(m, arg);
		} else if (strncmp(line, "status ", 7) == 0) {
			run_q(m, arg);
			printf("no_index_used=%d no_good_index_used=%d\n",
			       !!(m->server_status & SERVER_QUERY_NO_INDEX_USED),
			       !!(m->server_status & SERVER_QUERY_NO_GOOD_INDEX_USED));
		} else if (strncmp(line, "st ", 3) == 0) {
			run_q(m, arg);
			print_state(m);
		} else if (strncmp(line, "pst ", 4) == 0) {
			run_p(m, arg);
			print_state(m);
		} else if (strncmp(line, "use ", 4) == 0) {
			if (mysql_query(m, arg)) {
				printf("error %u %s\n", mysql_errno(m), mysql_error(m));
				continue;
			}
			MYSQL_RES *r = mysql_use_result(m);
			MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
			printf("first %s\n", row && row[0] ? row[0] : "NULL");
		} else if (strcmp(line, "ping") == 0) {
			if (mysql_ping(m))
				printf("error %u %s\n", mysql_errno(m), mysql_error(m));
			else
				printf("ok\n");
		} else if (strncmp(line, "ac ", 3) == 0) {
			mysql_autocommit(m, (my_bool)atoi(arg));
		} else if (strcmp(line, "kill") == 0) {
			char q[64];
			if (m2 == NULL)
				m2 = conn_open();
			snprintf(q, sizeof(q), "KILL %lu", mysql_thread_id(m));
			run_q(m2, q);
			usleep(200000);
		} else if (strncmp(line, "fork ", 5) == 0) {
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0) {
				run_q(m, arg);
				fflush(stdout);
				_exit(0);
			}
			waitpid(pid, NULL, 0);
		} else if (strncmp(line, "attr ", 5) == 0) {
			run_attr(m, arg, 0);
		} else if (strncmp(line, "uattr ", 6) == 0) {
			run_attr(m, arg, 1);
		} else if (strncmp(line, "db ", 3) == 0) {
			print_ok(m, mysql_select_db(m, arg));
		} else if (strncmp(line, "charset ", 8) == 0) {
			print_ok(m, mysql_set_character_set(m, arg));
		} else if (strcmp(line, "reset") == 0) {
			print_ok(m, mysql_reset_connection(m));
		} else if (strcmp(line, "reconnect") == 0) {
			mysql_close(m);
			m = conn_open();
		} else {
			printf("unknown command\n");
		}
		fflush(stdout);
	}
	if (kept)
		mysql_stmt_close(kept);
	if (m2)
		mysql_close(m2);
	mysql_close(m);
	return 0;
}

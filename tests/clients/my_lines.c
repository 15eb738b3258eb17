/*
 * my_lines.c - run statement strings read from stdin on one Connector/C connection, one string
 * per line, each with mysql_real_query (multi-statement strings allowed; every result is
 * read). After each line, one line of output: the first field of the first row of the first
 * result set, "OK" for statements without rows, or "ERR" and the message; flushed, so that a
 * test driving it through a FIFO knows when the statement is done. Lines starting with '#'
 * are skipped. A line starting with '!' is sent with mysql_send_query and the connection
 * closed at once, its answer never read ("SENT"), and a new connection opened for the next
 * lines. Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB; over TCP to
 * 127.0.0.1 instead when MY_LINES_PORT is set. Exit 0 at end of input, 2 when it cannot
 * connect. t_inflight.sh drives it.
 */
#include <mysql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static MYSQL *connect_(void)
{
	MYSQL *m = mysql_init(NULL);
	const char *port = getenv("MY_LINES_PORT");
	if (!m || !mysql_real_connect(m, port ? "127.0.0.1" : "localhost", getenv("CAP_MY_USER"),
				      getenv("CAP_MY_PASSWORD"), getenv("CAP_MY_DB"),
				      port ? (unsigned)atoi(port) : 0,
				      port ? NULL : getenv("CAP_MY_SOCKET"), CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "my_lines: %s\n", m ? mysql_error(m) : "no memory");
		return NULL;
	}
	return m;
}

int main(void)
{
	MYSQL *m = connect_();
	if (m == NULL)
		return 2;
	char line[8192];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '!') {
			int sent = mysql_send_query(m, line + 1, (unsigned long)strlen(line + 1)) == 0;
			mysql_close(m);
			printf("%s\n", sent ? "SENT" : "ERR not sent");
			fflush(stdout);
			if ((m = connect_()) == NULL)
				return 2;
			continue;
		}
		char out[512] = "OK";
		if (mysql_real_query(m, line, (unsigned long)strlen(line)) != 0) {
			snprintf(out, sizeof(out), "ERR %s", mysql_error(m));
		} else {
			int first = 1;
			do {
				MYSQL_RES *r = mysql_store_result(m);
				if (r) {
					MYSQL_ROW row = mysql_fetch_row(r);
					if (first && row && mysql_num_fields(r) > 0)
						snprintf(out, sizeof(out), "%s", row[0] ? row[0] : "NULL");
					first = 0;
					mysql_free_result(r);
				}
			} while (mysql_next_result(m) == 0);
			if (mysql_errno(m))
				snprintf(out, sizeof(out), "ERR %s", mysql_error(m));
		}
		printf("%s\n", out);
		fflush(stdout);
	}
	mysql_close(m);
	return 0;
}

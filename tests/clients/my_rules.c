/*
 * my_rules.c - a small libmysqlclient script runner for tests/integration/t_rules_my.sh, the
 * MySQL counterpart of `psql -tA` with `\!`: one connection, statements read from stdin.
 *
 *     my_rules < SCRIPT
 *
 * Each line of SCRIPT is one of:
 *     SQL           run it (mysql_real_query + mysql_store_result); print each row on one
 *                   line, fields separated by a space, NULL as NULL; a statement without a
 *                   result set prints "affected N"; an error prints "error N MESSAGE"
 *     \! COMMAND    run COMMAND with system() WITHOUT Capacitor (LD_PRELOAD is removed from
 *                   the environment at start, after the library is loaded): a write made
 *                   behind the cache's back, or a sleep
 *     # ...         a comment; blank lines are skipped too
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB. Exit status 0, or 2
 * when the connection fails.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	/* Children (\!) must run without Capacitor; this process keeps the loaded library. */
	unsetenv("LD_PRELOAD");
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		return 2;
	}
	char line[8192];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		size_t n = strlen(line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (line[0] == '\\' && line[1] == '!') {
			fflush(stdout);
			int rc = system(line + 2);
			if (rc != 0)
				printf("command failed (%d): %s\n", rc, line + 2);
			continue;
		}
		if (mysql_real_query(m, line, (unsigned long)n)) {
			printf("error %u %s\n", mysql_errno(m), mysql_error(m));
			continue;
		}
		MYSQL_RES *r = mysql_store_result(m);
		if (r == NULL) {
			if (mysql_field_count(m) != 0)
				printf("error %u %s\n", mysql_errno(m), mysql_error(m));
			else
				printf("affected %lld\n", (long long)mysql_affected_rows(m));
			continue;
		}
		unsigned nf = mysql_num_fields(r);
		MYSQL_ROW row;
		while ((row = mysql_fetch_row(r)) != NULL) {
			for (unsigned i = 0; i < nf; i++)
				printf("%s%s", i ? " " : "", row[i] ? row[i] : "NULL");
			putchar('\n');
		}
		mysql_free_result(r);
	}
	fflush(stdout);
	mysql_close(m);
	return 0;
}

/*
 * my_catstall PORT N - N reads over TCP (127.0.0.1:PORT, through the test's proxy, which
 * leaves any connection that reads information_schema.TABLES unanswered): Capacitor's
 * catalog connection must give up within its timeouts, never hold the program's read for
 * ever (attack round 5, x-3 and x-4). Prints each read's row.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *user = getenv("CAP_MY_USER"), *pass = getenv("CAP_MY_PASSWORD"),
		   *db = getenv("CAP_MY_DB");
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "127.0.0.1", user, pass, db, (unsigned)atoi(argv[1]), NULL, 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		return 2;
	}
	for (int i = 0; i < atoi(argv[2]); i++) {
		if (mysql_query(m, "SELECT id, v FROM stall_t WHERE id = 1")) {
			fprintf(stderr, "query: %s\n", mysql_error(m));
			return 3;
		}
		MYSQL_RES *r = mysql_store_result(m);
		MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
		printf("read %d: %s %s\n", i, row ? row[0] : "?", row ? row[1] : "?");
		mysql_free_result(r);
	}
	mysql_close(m);
	return 0;
}

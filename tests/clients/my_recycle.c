/*
 * my_recycle.c - a connection recycled the way pools do it, for t_mysql_recycle.sh.
 *
 *   my_recycle setup             the tables rc_a (one row) and rc_b
 *   my_recycle reader N          N reads of rc_a, 100 ms apart
 *   my_recycle MODE              with autocommit off, UPDATE rc_a; then MODE ends the
 *                                transaction on the server: commit (mysql_commit), reset
 *                                (mysql_reset_connection) or change_user (mysql_change_user);
 *                                the connection goes on for 3 s with autocommit reads and
 *                                writes of rc_b
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include <mysql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void q(MYSQL *m, const char *s)
{
	if (mysql_query(m, s)) {
		fprintf(stderr, "%s: %s\n", s, mysql_error(m));
		return;
	}
	mysql_free_result(mysql_store_result(m));
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	MYSQL *m = mysql_init(NULL);
	const char *user = getenv("CAP_MY_USER"), *pw = getenv("CAP_MY_PASSWORD");
	const char *db = getenv("CAP_MY_DB");
	if (!mysql_real_connect(m, NULL, user, pw, db, 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		return 1;
	}
	if (strcmp(argv[1], "setup") == 0) {
		q(m, "DROP TABLE IF EXISTS rc_a, rc_b");
		q(m, "CREATE TABLE rc_a (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
		q(m, "CREATE TABLE rc_b (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
		q(m, "INSERT INTO rc_a VALUES (1, 'a')");
		q(m, "INSERT INTO rc_b VALUES (1, 'b'), (2, 'b')");
	} else if (strcmp(argv[1], "reader") == 0 && argc == 3) {
		for (int i = 0; i < atoi(argv[2]); i++) {
			q(m, "SELECT v FROM rc_a WHERE id = 1");
			usleep(100000);
		}
	} else {
		mysql_autocommit(m, 0);
		q(m, "UPDATE rc_a SET v = 'tx' WHERE id = 1");
		if (strcmp(argv[1], "reset") == 0 && mysql_reset_connection(m))
			fprintf(stderr, "reset: %s\n", mysql_error(m));
		else if (strcmp(argv[1], "change_user") == 0 && mysql_change_user(m, user, pw, db))
			fprintf(stderr, "change_user: %s\n", mysql_error(m));
		else if (strcmp(argv[1], "commit") == 0)
			mysql_commit(m);
		mysql_autocommit(m, 1);
		for (int i = 0; i < 30; i++) {
			q(m, "SELECT SQL_NO_CACHE v FROM rc_b WHERE id = 1");
			if (i % 10 == 0)
				q(m, "UPDATE rc_b SET v = 'x' WHERE id = 2");
			usleep(100000);
		}
	}
	mysql_close(m);
	return 0;
}

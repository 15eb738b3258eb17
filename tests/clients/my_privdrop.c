/*
 * my_privdrop.c - privdrop.h over libmysqlclient (t_privdrop.sh). Connection: CAP_MY_SOCKET,
 * CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include <mysql.h>

#include "privdrop.h"

static MYSQL *conn;

static void fail(const char *sql)
{
	fprintf(stderr, "%s: %s: %s\n", pd_me, sql, mysql_error(conn));
	exit(2);
}

static void db_connect(void)
{
	conn = mysql_init(NULL);
	if (!conn || !mysql_real_connect(conn, NULL, getenv("CAP_MY_USER"),
					 getenv("CAP_MY_PASSWORD"), getenv("CAP_MY_DB"), 0,
					 getenv("CAP_MY_SOCKET"), 0))
		fail("connect");
}

static long db_read(void)
{
	const char *sql = "SELECT v FROM pd WHERE id = 1";
	if (mysql_query(conn, sql))
		fail(sql);
	MYSQL_RES *r = mysql_store_result(conn);
	MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
	if (!row || !row[0])
		fail(sql);
	long v = atol(row[0]);
	mysql_free_result(r);
	return v;
}

static void db_write(void)
{
	const char *sql = "UPDATE pd SET v = v + 1 WHERE id = 1";
	if (mysql_query(conn, sql))
		fail(sql);
}

int main(int argc, char **argv)
{
	return pd_main(argc, argv);
}

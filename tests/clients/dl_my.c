/*
 * dl_my - a Connector/C program that is not linked with it: it loads libmariadb.so.3 with
 * dlopen(RTLD_LOCAL) and takes every function with dlsym on that handle, so that Capacitor
 * serves it only through its dlsym and dlvsym. It prints what it sees: whether dlvsym and dlsym
 * agree, reads (three times each, so that the later ones can be hits), a write, the read after
 * it, an error.
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include <dlfcn.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>

static struct {
	MYSQL *(*init)(MYSQL *);
	MYSQL *(*real_connect)(MYSQL *, const char *, const char *, const char *, const char *,
			       unsigned int, const char *, unsigned long);
	int (*query)(MYSQL *, const char *);
	MYSQL_RES *(*store_result)(MYSQL *);
	unsigned int (*num_fields)(MYSQL_RES *);
	MYSQL_ROW (*fetch_row)(MYSQL_RES *);
	void (*free_result)(MYSQL_RES *);
	my_ulonglong (*affected_rows)(MYSQL *);
	unsigned int (*err_no)(MYSQL *);
	const char *(*error)(MYSQL *);
	void (*close)(MYSQL *);
} my;

static void *lib;

static void *need(const char *name)
{
	void *p = dlsym(lib, name);
	if (p == NULL) {
		fprintf(stderr, "dl_my: dlsym %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

static void run(MYSQL *m, const char *label, const char *sql)
{
	printf("%s:", label);
	if (my.query(m, sql) != 0) {
		printf(" error %u\n", my.err_no(m));
		return;
	}
	MYSQL_RES *r = my.store_result(m);
	if (r == NULL) {
		printf(" ok %llu\n", (unsigned long long)my.affected_rows(m));
		return;
	}
	unsigned n = my.num_fields(r);
	MYSQL_ROW row;
	while ((row = my.fetch_row(r)) != NULL) {
		printf(" [");
		for (unsigned i = 0; i < n; i++)
			printf("%s%s", i ? "," : "", row[i] ? row[i] : "NULL");
		printf("]");
	}
	printf("\n");
	my.free_result(r);
}

int main(void)
{
	lib = dlopen("libmariadb.so.3", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dl_my: dlopen: %s\n", dlerror());
		return 2;
	}
	/* Connector/C versions its symbols: dlvsym is answered like dlsym */
	void *q = dlvsym(lib, "mysql_query", "libmysqlclient_18");
	printf("dlvsym mysql_query: %s\n", q && q == need("mysql_query") ? "same as dlsym" : "different");
	my.init = need("mysql_init");
	my.real_connect = need("mysql_real_connect");
	my.query = need("mysql_query");
	my.store_result = need("mysql_store_result");
	my.num_fields = need("mysql_num_fields");
	my.fetch_row = need("mysql_fetch_row");
	my.free_result = need("mysql_free_result");
	my.affected_rows = need("mysql_affected_rows");
	my.err_no = need("mysql_errno");
	my.error = need("mysql_error");
	my.close = need("mysql_close");
	MYSQL *m = my.init(NULL);
	if (!my.real_connect(m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
			     getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "dl_my: connect: %s\n", my.error(m));
		return 2;
	}
	for (int round = 0; round < 3; round++) {
		char lab[32];
		snprintf(lab, sizeof(lab), "r%d list", round);
		run(m, lab, "SELECT id, v FROM dl_my_t ORDER BY id");
		snprintf(lab, sizeof(lab), "r%d items", round);
		run(m, lab, "SELECT count(*), sum(price) FROM items");
	}
	run(m, "write", "UPDATE dl_my_t SET v = v + 1 WHERE id = 2");
	run(m, "after write", "SELECT id, v FROM dl_my_t ORDER BY id");
	run(m, "after write again", "SELECT id, v FROM dl_my_t ORDER BY id");
	run(m, "error", "SELECT * FROM dl_my_no_such_table");
	my.close(m);
	return 0;
}

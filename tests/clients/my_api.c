/*
 * my_api.c - a libmysqlclient program for the integration tests: runs statements through
 * every result path of the C API and prints everything the API reports, so that a run with
 * Capacitor preloaded can be diffed against a run without.
 *
 *     my_api dump FILE REPEAT    each line of FILE is a statement; each is run REPEAT times
 *                                through mysql_real_query+store, mysql_query+use,
 *                                mysql_send_query+read_query_result+store
 *     my_api ps FILE REPEAT      each line through mysql_stmt_prepare/execute, bound results
 *                                with a small buffer (truncation, NULL, fetch_column)
 *     my_api exec SQL...         run statements (one connection), print affected rows
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB (CAP_MY_PORT with
 * CAP_MY_HOST for TCP). MY_API_AUTOCOMMIT=0 turns autocommit off after connecting.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static MYSQL *conn_open(void)
{
	MYSQL *m = mysql_init(NULL);
	const char *host = getenv("CAP_MY_HOST");
	const char *port = getenv("CAP_MY_PORT");
	if (!mysql_real_connect(m, host ? host : "localhost", getenv("CAP_MY_USER"),
				getenv("CAP_MY_PASSWORD"), getenv("CAP_MY_DB"),
				host && port ? (unsigned)atoi(port) : 0,
				host ? NULL : getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		exit(2);
	}
	const char *ac = getenv("MY_API_AUTOCOMMIT");
	if (ac && ac[0] == '0')
		mysql_autocommit(m, 0);
	return m;
}

static void put_bytes(const char *p, unsigned long n)
{
	putchar('\'');
	for (unsigned long i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 32 && c < 127 && c != '\\' && c != '\'')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('\'');
}

static void put_str(const char *what, const char *s)
{
	printf(" %s=%s", what, s ? s : "(null)");
}

static void conn_state(MYSQL *m, const char *when)
{
	printf("  [%s] errno=%u sqlstate=%s error='%s' field_count=%u warnings=%u insert_id=%llu "
	       "affected=%lld more=%d",
	       when, mysql_errno(m), mysql_sqlstate(m), mysql_error(m), mysql_field_count(m),
	       mysql_warning_count(m), (unsigned long long)mysql_insert_id(m),
	       (long long)mysql_affected_rows(m), (int)mysql_more_results(m));
	put_str("info", mysql_info(m));
	putchar('\n');
}

static void print_field(const MYSQL_FIELD *f)
{
	printf("  field");
	put_str("name", f->name);
	put_str("org_name", f->org_name);
	put_str("table", f->table);
	put_str("org_table", f->org_table);
	put_str("db", f->db);
	put_str("catalog", f->catalog);
	put_str("def", f->def);
	printf(" lens=%u/%u/%u/%u/%u/%u/%u length=%lu max_length=%lu flags=%u decimals=%u "
	       "charsetnr=%u type=%d\n",
	       f->name_length, f->org_name_length, f->table_length, f->org_table_length,
	       f->db_length, f->catalog_length, f->def_length, f->length, f->max_length, f->flags,
	       f->decimals, f->charsetnr, (int)f->type);
}

static void print_row(MYSQL_RES *r, MYSQL_ROW row)
{
	unsigned long *len = mysql_fetch_lengths(r);
	printf("  row");
	for (unsigned i = 0; i < mysql_num_fields(r); i++) {
		putchar(' ');
		if (row[i] == NULL)
			printf("NULL");
		else
			put_bytes(row[i], len[i]);
	}
	putchar('\n');
}

static void dump_res(MYSQL *m, MYSQL_RES *r, int buffered)
{
	if (r == NULL) {
		printf("  no result\n");
		return;
	}
	unsigned nf = mysql_num_fields(r);
	printf("  nf=%u res.field_count=%u num_rows=%llu eof=%d\n", nf, r->field_count,
	       (unsigned long long)mysql_num_rows(r), (int)mysql_eof(r));
	MYSQL_FIELD *fs = mysql_fetch_fields(r);
	for (unsigned i = 0; i < nf; i++)
		print_field(&fs[i]);
	MYSQL_FIELD *f;
	unsigned k = 0;
	while ((f = mysql_fetch_field(r)) != NULL)
		k += f->name ? (unsigned)strlen(f->name) : 0;
	printf("  fetch_field names=%u tell=%u\n", k, mysql_field_tell(r));
	mysql_field_seek(r, nf > 1 ? 1 : 0);
	f = mysql_fetch_field(r);
	printf("  after seek field=%s direct0=%s\n", f && f->name ? f->name : "(null)",
	       mysql_fetch_field_direct(r, 0)->name);
	MYSQL_ROW row;
	unsigned long n = 0;
	MYSQL_ROW_OFFSET second = NULL;
	while ((row = mysql_fetch_row(r)) != NULL) {
		if (n < 200 || n % 997 == 0)
			print_row(r, row);
		if (n == 0 && buffered)
			second = mysql_row_tell(r);
		n++;
	}
	printf("  rows=%lu num_rows=%llu eof=%d\n", n, (unsigned long long)mysql_num_rows(r),
	       (int)mysql_eof(r));
	if (buffered && n > 0) {
		mysql_data_seek(r, n - 1);
		row = mysql_fetch_row(r);
		if (row)
			print_row(r, row);
		if (second) {
			mysql_row_seek(r, second);
			row = mysql_fetch_row(r);
			printf("  row_seek %s\n", row ? "row" : "end");
		}
	}
	conn_state(m, "after rows");
	mysql_free_result(r);
}

static void run_one(MYSQL *m, const char *q, int path)
{
	static const char *names[] = { "real_query+store", "query+use", "send+read+store" };
	printf("%s: %s\n", names[path], q);
	int rc;
	if (path == 0)
		rc = mysql_real_query(m, q, (unsigned long)strlen(q));
	else if (path == 1)
		rc = mysql_query(m, q);
	else
		rc = mysql_send_query(m, q, (unsigned long)strlen(q)) ||
		     mysql_read_query_result(m);
	printf("  rc=%d\n", rc != 0);
	conn_state(m, "after query");
	if (rc != 0)
		return;
	MYSQL_RES *r = path == 1 ? mysql_use_result(m) : mysql_store_result(m);
	conn_state(m, "after result");
	dump_res(m, r, path != 1);
	printf("  next_result=%d\n", mysql_next_result(m));
}

static void run_ps(MYSQL *m, const char *q)
{
	printf("ps: %s\n", q);
	MYSQL_STMT *st = mysql_stmt_init(m);
	if (mysql_stmt_prepare(st, q, (unsigned long)strlen(q))) {
		printf("  prepare error %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	if (mysql_stmt_execute(st)) {
		printf("  execute error %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	unsigned nf = mysql_stmt_field_count(st);
	printf("  field_count=%u affected=%lld\n", nf, (long long)mysql_stmt_affected_rows(st));
	if (nf == 0) {
		mysql_stmt_close(st);
		return;
	}
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	for (unsigned i = 0; i < nf; i++)
		print_field(&meta->fields[i]);
	mysql_free_result(meta);
	MYSQL_BIND *b = calloc(nf, sizeof(*b));
	char(*buf)[8] = calloc(nf, 8);
	unsigned long *len = calloc(nf, sizeof(*len));
	my_bool *isnull = calloc(nf, sizeof(my_bool)), *err = calloc(nf, sizeof(my_bool));
	for (unsigned i = 0; i < nf; i++) {
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = buf[i];
		b[i].buffer_length = sizeof(buf[i]);
		b[i].length = &len[i];
		b[i].is_null = &isnull[i];
		b[i].error = &err[i];
	}
	mysql_stmt_bind_result(st, b);
	mysql_stmt_store_result(st);
	printf("  num_rows=%llu\n", (unsigned long long)mysql_stmt_num_rows(st));
	int rc;
	unsigned long n = 0;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if (n++ < 200) {
			printf("  fetch rc=%d", rc);
			for (unsigned i = 0; i < nf; i++) {
				if (isnull[i]) {
					printf(" NULL");
					continue;
				}
				printf(" len=%lu err=%d ", len[i], (int)err[i]);
				put_bytes(buf[i], len[i] < 8 ? len[i] : 8);
				if (err[i]) {
					char *big = malloc(len[i] + 1);
					MYSQL_BIND c;
					memset(&c, 0, sizeof(c));
					c.buffer_type = MYSQL_TYPE_STRING;
					c.buffer = big;
					c.buffer_length = len[i] + 1;
					unsigned long cl = 0;
					c.length = &cl;
					mysql_stmt_fetch_column(st, &c, i, 0);
					printf("/");
					put_bytes(big, cl);
					free(big);
				}
			}
			putchar('\n');
		}
	}
	printf("  rows=%lu last rc=%d\n", n, rc);
	mysql_stmt_close(st);
	free(b);
	free(buf);
	free(len);
	free(isnull);
	free(err);
}

static char **read_lines(const char *path, int *n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	char **v = NULL, line[65536];
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		v = realloc(v, (size_t)(*n + 1) * sizeof(char *));
		v[(*n)++] = strdup(line);
	}
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: my_api dump|ps FILE REPEAT | exec SQL... | unread SQL | idle SQL | sendtwice SQL\n");
		return 2;
	}
	MYSQL *m = conn_open();
	if (strcmp(argv[1], "unread") == 0 && argc == 3) {
		/* a result left unread: the next command is out of sync, the result still there */
		for (int i = 0; i < 3; i++) {
			int rc = mysql_query(m, argv[2]);
			printf("query %d: rc %d\n", i, rc != 0);
			if (i < 2)
				mysql_free_result(mysql_store_result(m));
		}
		int rc = mysql_query(m, "SELECT 42");
		printf("next command: rc %d errno %u %s\n", rc != 0, mysql_errno(m), mysql_error(m));
		MYSQL_RES *r = mysql_store_result(m);
		printf("stored after it: %llu rows\n", r ? (unsigned long long)mysql_num_rows(r) : 0ULL);
		mysql_free_result(r);
		rc = mysql_query(m, "SELECT 42");
		printf("then: rc %d errno %u\n", rc != 0, mysql_errno(m));
		mysql_free_result(mysql_store_result(m));
		mysql_close(m);
		return 0;
	}
	if (strcmp(argv[1], "sendtwice") == 0 && argc == 3) {
		/* two mysql_send_query before reading (the first may be a hit): each result is
		 * read in the order sent, as the server answers them */
		for (int round = 0; round < 3; round++) {
			int s1 = mysql_send_query(m, argv[2], (unsigned long)strlen(argv[2]));
			int s2 = mysql_send_query(m, "SELECT 42", 9);
			printf("round %d: send %d %d\n", round, s1 != 0, s2 != 0);
			for (int k = 0; k < 2; k++) {
				int rc = mysql_read_query_result(m);
				MYSQL_RES *r = rc ? NULL : mysql_store_result(m);
				MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
				printf("  result %d: rc %d errno %u rows %llu first %s\n", k, rc != 0,
				       mysql_errno(m), r ? (unsigned long long)mysql_num_rows(r) : 0ULL,
				       row && row[0] ? row[0] : "-");
				mysql_free_result(r);
			}
		}
		mysql_close(m);
		return 0;
	}
	if (strcmp(argv[1], "idle") == 0 && argc == 3) {
		/* the server closes a session idle for wait_timeout: the read after it fails */
		mysql_query(m, "SET SESSION wait_timeout = 2");
		for (int i = 0; i < 3; i++) {
			if (i == 2)
				sleep(4);
			int rc = mysql_query(m, argv[2]);
			MYSQL_RES *r = rc ? NULL : mysql_store_result(m);
			printf("read %d: rc %d errno %s rows %llu\n", i, rc != 0,
			       mysql_errno(m) ? "set" : "0",
			       r ? (unsigned long long)mysql_num_rows(r) : 0ULL);
			mysql_free_result(r);
		}
		mysql_close(m);
		return 0;
	}
	if (strcmp(argv[1], "exec") == 0) {
		for (int i = 2; i < argc; i++) {
			if (mysql_query(m, argv[i])) {
				fprintf(stderr, "%s: %s\n", argv[i], mysql_error(m));
				mysql_close(m);
				return 1;
			}
			MYSQL_RES *r = mysql_store_result(m);
			if (r) {
				MYSQL_ROW row;
				while ((row = mysql_fetch_row(r)) != NULL)
					printf("%s\n", row[0] ? row[0] : "NULL");
				mysql_free_result(r);
			} else {
				printf("affected %lld\n", (long long)mysql_affected_rows(m));
			}
		}
		mysql_close(m);
		return 0;
	}
	if (argc < 4)
		return 2;
	int n, rep = atoi(argv[3]);
	char **q = read_lines(argv[2], &n);
	for (int i = 0; i < n; i++) {
		for (int r = 0; r < rep; r++) {
			if (strcmp(argv[1], "ps") == 0) {
				run_ps(m, q[i]);
			} else {
				for (int p = 0; p < 3; p++)
					run_one(m, q[i], p);
			}
		}
		free(q[i]);
	}
	free(q);
	mysql_close(m);
	return 0;
}

/*
 * my_coherence.c - many processes read and write one table through libmysqlclient; no read
 * may return a row version older than one whose write had completed before the read started.
 *
 *     my_coherence PROCS OPS_PER_PROC KEYS WRITE_PERCENT
 *
 * Table coh(id INT PRIMARY KEY, v BIGINT) must hold ids 1..KEYS. A write is
 * UPDATE coh SET v = LAST_INSERT_ID(v + 1): mysql_insert_id then tells the version it made,
 * which the writer publishes (atomic max) in shared memory after the call returned. A reader
 * notes the published version before it starts and checks what it reads is not older.
 * Prints "ops N violations N reads N writes N" and exits 1 on any violation.
 * MY_COH_PS=1 makes every process read and write through prepared statements (the read's
 * parameter bound as LONG, the row stored and fetched into a LONGLONG), MY_COH_PS=mixed every
 * other process (the rest use the text API).
 */
#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ps {
	MYSQL_STMT *rd, *wr;
	int k;
	long long v;
	MYSQL_BIND p, r;
} ps;

static void ps_fail(MYSQL_STMT *st)
{
	fprintf(stderr, "prepared: %s\n", mysql_stmt_error(st));
	exit(2);
}

static void ps_open(MYSQL *m, ps *s)
{
	static const char rd[] = "SELECT v FROM coh WHERE id = ?";
	static const char wr[] = "UPDATE coh SET v = LAST_INSERT_ID(v + 1) WHERE id = ?";
	memset(s, 0, sizeof(*s));
	s->p.buffer_type = MYSQL_TYPE_LONG;
	s->p.buffer = &s->k;
	s->r.buffer_type = MYSQL_TYPE_LONGLONG;
	s->r.buffer = &s->v;
	s->rd = mysql_stmt_init(m);
	s->wr = mysql_stmt_init(m);
	if (mysql_stmt_prepare(s->rd, rd, sizeof(rd) - 1) || mysql_stmt_bind_param(s->rd, &s->p) ||
	    mysql_stmt_bind_result(s->rd, &s->r))
		ps_fail(s->rd);
	if (mysql_stmt_prepare(s->wr, wr, sizeof(wr) - 1) || mysql_stmt_bind_param(s->wr, &s->p))
		ps_fail(s->wr);
}

/* version written (write) or read (read) through the prepared statements */
static uint64_t ps_write(ps *s, int k)
{
	s->k = k;
	if (mysql_stmt_execute(s->wr))
		ps_fail(s->wr);
	return mysql_stmt_insert_id(s->wr);
}

static uint64_t ps_read(ps *s, int k)
{
	s->k = k;
	s->v = 0;
	if (mysql_stmt_execute(s->rd) || mysql_stmt_store_result(s->rd))
		ps_fail(s->rd);
	int rc = mysql_stmt_fetch(s->rd);
	if (rc != 0 && rc != MYSQL_NO_DATA) /* no row: a key past the table's */
		ps_fail(s->rd);
	mysql_stmt_free_result(s->rd);
	return (uint64_t)s->v;
}

static MYSQL *conn_open(void)
{
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		exit(2);
	}
	return m;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	int procs = atoi(argv[1]), ops = atoi(argv[2]), keys = atoi(argv[3]), wpct = atoi(argv[4]);
	uint64_t *pub = mmap(NULL, sizeof(uint64_t) * ((size_t)keys + 1) + 64 * 4,
			     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pub == MAP_FAILED)
		return 2;
	uint64_t *tot = pub + keys + 1; /* violations, reads, writes */
	for (int p = 0; p < procs; p++) {
		if (fork() != 0)
			continue;
		MYSQL *m = conn_open();
		const char *psenv = getenv("MY_COH_PS");
		int use_ps = psenv && (strcmp(psenv, "1") == 0 || (strcmp(psenv, "mixed") == 0 && p % 2));
		ps s;
		if (use_ps)
			ps_open(m, &s);
		srand((unsigned)getpid());
		uint64_t viol = 0, nr = 0, nw = 0;
		char q[128];
		for (int i = 0; i < ops; i++) {
			int k = 1 + rand() % keys;
			if (use_ps && rand() % 100 < wpct) {
				uint64_t v = ps_write(&s, k), cur = __atomic_load_n(&pub[k], __ATOMIC_SEQ_CST);
				while (cur < v && !__atomic_compare_exchange_n(&pub[k], &cur, v, 0,
									      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					;
				nw++;
			} else if (use_ps) {
				uint64_t floor = __atomic_load_n(&pub[k], __ATOMIC_SEQ_CST);
				uint64_t v = ps_read(&s, k);
				if (v < floor) {
					if (viol < 5)
						fprintf(stderr, "violation: key %d read %llu after %llu was written (prepared)\n",
							k, (unsigned long long)v, (unsigned long long)floor);
					viol++;
				}
				nr++;
			} else if (rand() % 100 < wpct) {
				snprintf(q, sizeof(q), "UPDATE coh SET v = LAST_INSERT_ID(v + 1) WHERE id = %d", k);
				if (mysql_query(m, q)) {
					fprintf(stderr, "%s: %s\n", q, mysql_error(m));
					exit(2);
				}
				uint64_t v = mysql_insert_id(m), cur = __atomic_load_n(&pub[k], __ATOMIC_SEQ_CST);
				while (cur < v && !__atomic_compare_exchange_n(&pub[k], &cur, v, 0,
									      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					;
				nw++;
			} else {
				uint64_t floor = __atomic_load_n(&pub[k], __ATOMIC_SEQ_CST);
				snprintf(q, sizeof(q), "SELECT v FROM coh WHERE id = %d", k);
				if (mysql_query(m, q)) {
					fprintf(stderr, "%s: %s\n", q, mysql_error(m));
					exit(2);
				}
				MYSQL_RES *r = mysql_store_result(m);
				MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
				uint64_t v = row && row[0] ? strtoull(row[0], NULL, 10) : 0;
				if (v < floor) {
					if (viol < 5)
						fprintf(stderr, "violation: key %d read %llu after %llu was written\n",
							k, (unsigned long long)v, (unsigned long long)floor);
					viol++;
				}
				if (r)
					mysql_free_result(r);
				nr++;
			}
		}
		if (use_ps) {
			mysql_stmt_close(s.rd);
			mysql_stmt_close(s.wr);
		}
		mysql_close(m);
		__atomic_add_fetch(&tot[0], viol, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&tot[1], nr, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&tot[2], nw, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	int bad = 0, st;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	printf("ops %llu violations %llu reads %llu writes %llu\n",
	       (unsigned long long)(tot[1] + tot[2]), (unsigned long long)tot[0],
	       (unsigned long long)tot[1], (unsigned long long)tot[2]);
	return bad ? 2 : tot[0] ? 1 : 0;
}

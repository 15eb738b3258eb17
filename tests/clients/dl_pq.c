/*
 * dl_pq - a libpq program that is not linked with libpq: it loads libpq.so.5 with
 * dlopen(RTLD_LOCAL) and takes every function with dlsym (or dlvsym) on that handle, as
 * psycopg 3's ctypes implementation, cffi and plugin loaders do. Nothing it calls is bound by
 * the dynamic linker, so Capacitor serves it only through its dlsym.
 *
 *     dl_pq [--preloaded]      (connection from the PG* environment)
 *
 * It prints what it sees: dlsym/dlerror behaviour, then reads, parameterised reads, writes, a
 * transaction and an error on a blocking connection, then the same through the asynchronous
 * API on a nonblocking connection and on a blocking one, in four ways of waiting; on the
 * nonblocking connection always on a socket number fetched once before anything was sent, on
 * the blocking one asking PQsocket before each wait (as pgbench does):
 *   busy-first     PQisBusy before each wait (psycopg 3)
 *   poll-first     poll() for readability first, then PQconsumeInput, PQisBusy (event loops)
 *   epoll-et       the same with an edge-triggered epoll registered once
 *   consume-first  PQconsumeInput, then PQisBusy before each wait (Ruby pg)
 * Every wait gives up after 10 s and exits 3 ("HANG"). --preloaded adds one check that needs
 * the library: dlsym(RTLD_NEXT, "PQexec") from this program finds Capacitor's (the caller is
 * not lost on the way).
 */
#include <dlfcn.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#define HANG_MS 10000

static struct {
	PGconn *(*connectdb)(const char *);
	ConnStatusType (*status)(const PGconn *);
	char *(*errorMessage)(const PGconn *);
	void (*finish)(PGconn *);
	PGresult *(*exec)(PGconn *, const char *);
	PGresult *(*execParams)(PGconn *, const char *, int, const Oid *, const char *const *,
				const int *, const int *, int);
	ExecStatusType (*resultStatus)(const PGresult *);
	char *(*resultErrorField)(const PGresult *, int);
	int (*ntuples)(const PGresult *);
	int (*nfields)(const PGresult *);
	char *(*getvalue)(const PGresult *, int, int);
	int (*getisnull)(const PGresult *, int, int);
	char *(*cmdStatus)(PGresult *);
	void (*clear)(PGresult *);
	int (*sendQuery)(PGconn *, const char *);
	int (*sendQueryParams)(PGconn *, const char *, int, const Oid *, const char *const *,
			       const int *, const int *, int);
	PGresult *(*getResult)(PGconn *);
	int (*isBusy)(PGconn *);
	int (*consumeInput)(PGconn *);
	int (*setnonblocking)(PGconn *, int);
	int (*flush)(PGconn *);
	int (*socket)(const PGconn *);
	PGTransactionStatusType (*transactionStatus)(const PGconn *);
} pq;

static void *lib;

static void *need(const char *name)
{
	void *p = dlsym(lib, name);
	if (p == NULL) {
		fprintf(stderr, "dl_pq: dlsym %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wait_fd(int fd, short ev, const char *what)
{
	long long deadline = now_ms() + HANG_MS;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			printf("HANG: %s: socket not ready after %d ms\n", what, HANG_MS);
			fflush(stdout);
			exit(3);
		}
		struct pollfd p = { fd, ev, 0 };
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return;
		if (n < 0 && errno != EINTR) {
			perror("dl_pq: poll");
			exit(2);
		}
	}
}

static void show(const char *label, PGresult *r)
{
	ExecStatusType st = pq.resultStatus(r);
	printf("%s: %s", label, st == PGRES_TUPLES_OK ? "rows" : st == PGRES_COMMAND_OK ? "ok" : "error");
	if (st == PGRES_TUPLES_OK)
		for (int i = 0; i < pq.ntuples(r); i++) {
			printf(" [");
			for (int j = 0; j < pq.nfields(r); j++)
				printf("%s%s", j ? "," : "",
				       pq.getisnull(r, i, j) ? "NULL" : pq.getvalue(r, i, j));
			printf("]");
		}
	else if (st == PGRES_COMMAND_OK)
		printf(" %s", pq.cmdStatus(r));
	else {
		const char *code = pq.resultErrorField(r, PG_DIAG_SQLSTATE);
		printf(" %s", code ? code : "?");
	}
	printf("\n");
}

static const char *txn_name(PGTransactionStatusType t)
{
	return t == PQTRANS_IDLE ? "idle" : t == PQTRANS_INTRANS ? "intrans" :
	       t == PQTRANS_INERROR ? "inerror" : t == PQTRANS_ACTIVE ? "active" : "unknown";
}

enum style { BUSY_FIRST, POLL_FIRST, EPOLL_ET, CONSUME_FIRST, NSTYLES };
static const char *const style_name[NSTYLES] = { "busy-first", "poll-first", "epoll-et",
						 "consume-first" };
static int ep = -1; /* the edge-triggered epoll set, the socket registered once */
static int refetch; /* ask PQsocket before each wait */

static void before_wait(PGconn *c)
{
	if (refetch)
		(void)pq.socket(c);
}

static void wait_et(const char *what)
{
	struct epoll_event ev;
	int n;
	while ((n = epoll_wait(ep, &ev, 1, HANG_MS)) < 0 && errno == EINTR)
		;
	if (n == 0) {
		printf("HANG: %s: no edge after %d ms\n", what, HANG_MS);
		fflush(stdout);
		exit(3);
	}
}

static void consume(PGconn *c)
{
	if (!pq.consumeInput(c)) {
		fprintf(stderr, "dl_pq: PQconsumeInput: %s", pq.errorMessage(c));
		exit(2);
	}
}

/* Read every result of what was sent on c, waiting in the given style. */
static void drain(PGconn *c, int sock, const char *label, enum style how)
{
	int f;
	while ((f = pq.flush(c)) == 1)
		wait_fd(sock, POLLOUT | POLLIN, label);
	if (f < 0) {
		fprintf(stderr, "dl_pq: PQflush: %s", pq.errorMessage(c));
		exit(2);
	}
	if (how == EPOLL_ET || how == POLL_FIRST)
		before_wait(c);
	if (how == EPOLL_ET)
		wait_et(label);
	else if (how == POLL_FIRST)
		wait_fd(sock, POLLIN, label);
	if (how != BUSY_FIRST)
		consume(c);
	int n = 0;
	for (;;) {
		while (pq.isBusy(c)) {
			before_wait(c);
			if (how == EPOLL_ET)
				wait_et(label);
			else
				wait_fd(sock, POLLIN, label);
			if (!pq.consumeInput(c)) {
				fprintf(stderr, "dl_pq: PQconsumeInput: %s", pq.errorMessage(c));
				exit(2);
			}
		}
		PGresult *r = pq.getResult(c);
		if (r == NULL)
			break;
		char lab[256];
		snprintf(lab, sizeof(lab), "%s #%d", label, n++);
		show(lab, r);
		pq.clear(r);
	}
	printf("%s: txn %s\n", label, txn_name(pq.transactionStatus(c)));
}

static void sync_exec(PGconn *c, const char *label, const char *sql)
{
	PGresult *r = pq.exec(c, sql);
	show(label, r);
	pq.clear(r);
}

static void sync_param(PGconn *c, const char *label, const char *sql, const char *v)
{
	const char *vals[1] = { v };
	PGresult *r = pq.execParams(c, sql, 1, NULL, vals, NULL, NULL, 0);
	show(label, r);
	pq.clear(r);
}

int main(int argc, char **argv)
{
	int preloaded = argc > 1 && strcmp(argv[1], "--preloaded") == 0;
	lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dl_pq: dlopen: %s\n", dlerror());
		return 2;
	}
	/* dlerror state: a failed lookup sets it, a successful one leaves none */
	dlerror();
	void *none = dlsym(lib, "PQnoSuchFunction");
	const char *e = dlerror();
	printf("missing symbol: %s, error %s\n", none ? "found" : "NULL", e ? "set" : "clear");
	pq.exec = need("PQexec");
	e = dlerror();
	printf("PQexec: error %s after success\n", e ? "set" : "clear");
	/* libpq has no symbol versions: dlvsym finds nothing, and says so */
	void *v = dlvsym(lib, "PQexec", "CAP_ANY_VERSION");
	e = dlerror();
	printf("dlvsym PQexec: %s, error %s\n", v ? "found" : "NULL", e ? "set" : "clear");
	/* a libpq in another namespace is left alone (our hooks serve the main one) */
	void *other = dlmopen(LM_ID_NEWLM, "libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	if (other) {
		void *x = dlsym(other, "PQexec");
		void *global = dlsym(RTLD_DEFAULT, "PQexec");
		printf("dlmopen PQexec: %s\n", x && x != global ? "its own" : "not its own");
	}
	if (preloaded)
		printf("RTLD_NEXT PQexec from the program: %s\n",
		       dlsym(RTLD_NEXT, "PQexec") ? "found" : "not found");

	pq.connectdb = need("PQconnectdb");
	pq.status = need("PQstatus");
	pq.errorMessage = need("PQerrorMessage");
	pq.finish = need("PQfinish");
	pq.execParams = need("PQexecParams");
	pq.resultStatus = need("PQresultStatus");
	pq.resultErrorField = need("PQresultErrorField");
	pq.ntuples = need("PQntuples");
	pq.nfields = need("PQnfields");
	pq.getvalue = need("PQgetvalue");
	pq.getisnull = need("PQgetisnull");
	pq.cmdStatus = need("PQcmdStatus");
	pq.clear = need("PQclear");
	pq.sendQuery = need("PQsendQuery");
	pq.sendQueryParams = need("PQsendQueryParams");
	pq.getResult = need("PQgetResult");
	pq.isBusy = need("PQisBusy");
	pq.consumeInput = need("PQconsumeInput");
	pq.setnonblocking = need("PQsetnonblocking");
	pq.flush = need("PQflush");
	pq.socket = need("PQsocket");
	pq.transactionStatus = need("PQtransactionStatus");

	PGconn *c = pq.connectdb("");
	if (pq.status(c) != CONNECTION_OK) {
		fprintf(stderr, "dl_pq: connect: %s", pq.errorMessage(c));
		return 2;
	}
	sync_exec(c, "setup", "SET client_min_messages = warning");
	for (int round = 0; round < 3; round++) {
		char lab[64];
		snprintf(lab, sizeof(lab), "r%d list", round);
		sync_exec(c, lab, "SELECT id, v FROM dl_t ORDER BY id");
		snprintf(lab, sizeof(lab), "r%d param", round);
		sync_param(c, lab, "SELECT v FROM dl_t WHERE id = $1", "2");
		snprintf(lab, sizeof(lab), "r%d items", round);
		sync_exec(c, lab, "SELECT count(*), sum(price) FROM items");
	}
	sync_exec(c, "write", "UPDATE dl_t SET v = v + 1 WHERE id = 2");
	sync_param(c, "after write", "SELECT v FROM dl_t WHERE id = $1", "2");
	sync_exec(c, "begin", "BEGIN");
	sync_param(c, "in txn", "SELECT v FROM dl_t WHERE id = $1", "2");
	sync_exec(c, "txn write", "UPDATE dl_t SET v = v + 100 WHERE id = 2");
	sync_param(c, "in txn after write", "SELECT v FROM dl_t WHERE id = $1", "2");
	sync_exec(c, "rollback", "ROLLBACK");
	sync_param(c, "after rollback", "SELECT v FROM dl_t WHERE id = $1", "2");
	sync_exec(c, "error", "SELECT * FROM dl_no_such_table");

	/* the asynchronous API, nonblocking then blocking; the socket number is taken once,
	 * before anything is sent, and registered once in an edge-triggered epoll set */
	int sock = pq.socket(c);
	ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev) < 0) {
		perror("dl_pq: epoll");
		return 2;
	}
	for (int nb = 1; nb >= 0; nb--) {
		pq.setnonblocking(c, nb);
		refetch = !nb;
		const char *mode = nb ? "nb" : "blk";
		char lab[96];
		for (int round = 0; round < 3; round++)
			for (int how = 0; how < NSTYLES; how++) {
				snprintf(lab, sizeof(lab), "%s r%d %s list", mode, round, style_name[how]);
				pq.sendQuery(c, "SELECT id, v FROM dl_t ORDER BY id");
				drain(c, sock, lab, (enum style)how);
				const char *vals[1] = { "1" };
				snprintf(lab, sizeof(lab), "%s r%d %s param", mode, round, style_name[how]);
				pq.sendQueryParams(c, "SELECT v FROM dl_t WHERE id = $1", 1, NULL, vals,
						   NULL, NULL, 0);
				drain(c, sock, lab, (enum style)how);
			}
		for (int how = 0; how < NSTYLES; how++) {
			const char *hn = style_name[how];
			snprintf(lab, sizeof(lab), "%s %s write", mode, hn);
			pq.sendQuery(c, "UPDATE dl_t SET v = v + 1 WHERE id = 1");
			drain(c, sock, lab, (enum style)how);
			snprintf(lab, sizeof(lab), "%s %s after write", mode, hn);
			pq.sendQuery(c, "SELECT id, v FROM dl_t ORDER BY id");
			drain(c, sock, lab, (enum style)how);
			snprintf(lab, sizeof(lab), "%s %s begin", mode, hn);
			pq.sendQuery(c, "BEGIN");
			drain(c, sock, lab, (enum style)how);
			for (int k = 0; k < 2; k++) {
				snprintf(lab, sizeof(lab), "%s %s in txn %d", mode, hn, k);
				pq.sendQuery(c, "SELECT id, v FROM dl_t ORDER BY id");
				drain(c, sock, lab, (enum style)how);
			}
			snprintf(lab, sizeof(lab), "%s %s commit", mode, hn);
			pq.sendQuery(c, "COMMIT");
			drain(c, sock, lab, (enum style)how);
			snprintf(lab, sizeof(lab), "%s %s error", mode, hn);
			pq.sendQuery(c, "SELECT * FROM dl_no_such_table");
			drain(c, sock, lab, (enum style)how);
		}
	}
	sync_exec(c, "blocking again", "SELECT id, v FROM dl_t ORDER BY id");
	pq.finish(c);
	return 0;
}

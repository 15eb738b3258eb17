/*
 * pq_gate.c - a program whose connection reaches the server only through a TCP gate that its
 * own thread runs, forwarding bytes only while the program waits in its event loop (as Ruby
 * pg's test suite does under a Fiber scheduler, or an asyncio proxy in the same process).
 * Any round trip made inside a libpq call of the program's waits for bytes the gate will
 * never move: without a bound, a hang.
 *
 * It connects with PQconnectStart/PQconnectPoll, makes the connection nonblocking, and runs
 * its statements with PQsendQuery*, waiting (and so forwarding) whenever libpq is busy, the
 * way Ruby pg's async_exec does: reads of a table (several times: hits), a write, reads again.
 * Prints every result; exits 3 when a call did not come back within 10 s (SIGALRM).
 *
 * Usage: pq_gate [poll|status|two]  (server: PGHOST, a TCP address, PGPORT, PGUSER, PGDATABASE)
 *   poll    connect until PQconnectPoll says PGRES_POLLING_OK (the default)
 *   status  connect until PQstatus says CONNECTION_OK, polling meanwhile
 *   two     as poll, then a second connection through a second gate, the same statements
 *   reset   as poll, then PQresetStart and PQresetPoll through the gate, and reads again
 */
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>

static int lsock = -1, inner = -1, outer = -1; /* the gate: listener, program side, server side */

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "pq_gate: a call did not come back (hang)\n";
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int gate_open(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lsock, 4) != 0 ||
	    getsockname(lsock, (struct sockaddr *)&a, &al) != 0)
		return -1;
	nonblock(lsock);
	return ntohs(a.sin_port);
}

/* move what is there, without waiting; 0 when from was closed */
static int copy(int from, int to)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(from, buf, sizeof(buf))) > 0)
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(to, buf + o, (size_t)(n - o));
			if (w > 0)
				o += w;
			else if (w < 0 && errno != EAGAIN)
				return 0;
		}
	return n != 0;
}

static void pump(void)
{
	if (inner < 0) {
		inner = accept(lsock, NULL, NULL);
		if (inner >= 0) {
			struct sockaddr_in a = { .sin_family = AF_INET };
			const char *port = getenv("PGPORT");
			a.sin_port = htons((uint16_t)atoi(port ? port : "5432"));
			inet_pton(AF_INET, getenv("PGHOST"), &a.sin_addr);
			outer = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(outer, (struct sockaddr *)&a, sizeof(a)) != 0) {
				perror("pq_gate: upstream");
				exit(2);
			}
			nonblock(inner);
			nonblock(outer);
		}
	}
	if (inner >= 0 && (!copy(inner, outer) || !copy(outer, inner))) {
		close(inner); /* a side closed (PQreset): the next connection is accepted anew */
		close(outer);
		inner = outer = -1;
	}
}

/* the program's wait: the gate moves bytes while it lasts */
static void wait_for(int fd, short ev)
{
	for (;;) {
		pump();
		struct pollfd p = { fd, ev, 0 };
		if (poll(&p, 1, 5) > 0)
			return;
	}
}

static int by_status; /* connect: wait for PQstatus to say CONNECTION_OK, not the poll */
static int by_reset;  /* then reset the connection, polling PQresetPoll */

static PGconn *connect_gated(int port)
{
	char ci[512];
	snprintf(ci, sizeof(ci), "host=127.0.0.1 port=%d sslmode=disable gssencmode=disable", port);
	PGconn *c = PQconnectStart(ci);
	if (c == NULL)
		exit(2);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	if (by_status) {
		while (PQstatus(c) != CONNECTION_OK && PQstatus(c) != CONNECTION_BAD) {
			wait_for(PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT);
			st = PQconnectPoll(c);
		}
	}
	while (!by_status && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		wait_for(PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT);
		st = PQconnectPoll(c);
	}
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pq_gate: connect: %s", PQerrorMessage(c));
		exit(2);
	}
	printf("connected: status %d, message [%s]\n", (int)PQstatus(c), PQerrorMessage(c));
	PQsetnonblocking(c, 1);
	return c;
}

static void print_result(const PGresult *r)
{
	printf("%s", PQresStatus(PQresultStatus(r)));
	for (int i = 0; i < PQntuples(r); i++)
		for (int j = 0; j < PQnfields(r); j++)
			printf(" %s", PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
	if (PQresultStatus(r) == PGRES_FATAL_ERROR)
		printf(" %s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
	printf("\n");
}

/* as Ruby pg's async_exec: send, flush, then read while busy, waiting on the socket */
static void run(PGconn *c, const char *sql, const char *param)
{
	alarm(10);
	int ok = param ? PQsendQueryParams(c, sql, 1, NULL, &param, NULL, NULL, 0) : PQsendQuery(c, sql);
	if (!ok) {
		printf("send failed: %s", PQerrorMessage(c));
		return;
	}
	while (PQflush(c) > 0)
		wait_for(PQsocket(c), POLLOUT);
	for (;;) {
		if (!PQconsumeInput(c)) {
			printf("consume failed: %s", PQerrorMessage(c));
			return;
		}
		if (PQisBusy(c)) {
			wait_for(PQsocket(c), POLLIN);
			continue;
		}
		PGresult *r = PQgetResult(c);
		if (r == NULL)
			break;
		print_result(r);
		PQclear(r);
	}
	alarm(0);
}

static void session(int port)
{
	alarm(10);
	PGconn *c = connect_gated(port);
	alarm(0);
	for (int round = 0; round < 3; round++) {
		run(c, "SELECT 7", NULL);
		run(c, "SELECT v FROM gate_t WHERE id = $1", "1");
		run(c, "SELECT count(*), sum(v) FROM gate_t", NULL);
	}
	run(c, "UPDATE gate_t SET v = v + 1 WHERE id = $1", "1");
	for (int round = 0; round < 2; round++) {
		run(c, "SELECT v FROM gate_t WHERE id = $1", "1");
		run(c, "SELECT count(*), sum(v) FROM gate_t", NULL);
	}
	if (by_reset) { /* as Ruby pg's reset: PQresetStart, then PQresetPoll in the loop */
		alarm(10);
		if (!PQresetStart(c))
			printf("reset start failed: %s", PQerrorMessage(c));
		PostgresPollingStatusType st = PGRES_POLLING_WRITING;
		while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
			wait_for(PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT);
			st = PQresetPoll(c);
		}
		alarm(0);
		printf("reset: status %d, message [%s]\n", (int)PQstatus(c), PQerrorMessage(c));
		PQsetnonblocking(c, 1);
		for (int round = 0; round < 2; round++)
			run(c, "SELECT v FROM gate_t WHERE id = $1", "1");
	}
	PQfinish(c);
	close(inner);
	close(outer);
	close(lsock);
	inner = outer = lsock = -1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "poll";
	by_status = strcmp(mode, "status") == 0;
	by_reset = strcmp(mode, "reset") == 0;
	signal(SIGALRM, on_alarm);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int port = gate_open();
	if (port < 0 || getenv("PGHOST") == NULL) {
		fprintf(stderr, "pq_gate: no gate (PGHOST must be a TCP address)\n");
		return 2;
	}
	session(port);
	if (strcmp(mode, "two") == 0)
		session(gate_open());
	return 0;
}

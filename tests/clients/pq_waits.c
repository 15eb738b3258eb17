/*
 * pq_waits.c - programs that wait on the connection's socket before they ask libpq for the
 * result, each with a socket number fetched once, before anything is sent (an event loop
 * registers it at connect time), so that nothing Capacitor sees between the send and the wait
 * says a wait is coming. t_pg_waits.sh runs each mode with and without the library and
 * compares the output; any wait longer than HANG_MS prints HANG and exits 3.
 *
 * Modes (-m; the connection is blocking unless said otherwise):
 *   poll        PQsendQuery, poll() for POLLIN, PQconsumeInput, PQisBusy / poll loop, results
 *   ppoll       the same with ppoll() and a signal mask
 *   select      the same with select()
 *   pselect     the same with pselect()
 *   epoll       an epoll instance, level-triggered, registered once before the first send
 *   epoll_et    the same, edge-triggered: after the wake-up the program reads until libpq
 *               has nothing more (it would hang waiting for a second edge otherwise)
 *   epoll_once  the same, EPOLLONESHOT, re-armed with EPOLL_CTL_MOD before each wait
 *   nb_busy     nonblocking: PQsendQuery, PQflush, PQconsumeInput, PQisBusy FIRST, poll only
 *               while busy (psycopg 3, Ruby pg)
 *   nb_poll     nonblocking: poll first, then PQconsumeInput / PQisBusy
 *   taken       as poll, and after each result is taken the socket is polled once more
 *               (50 ms): nothing is left to read until the final NULL (no busy loop)
 *   thread      a second thread is already blocked in poll() on the socket when the main
 *               thread sends; it reports readiness, then the main thread reads
 *   pipe_epoll  a pipe is readable too: an epoll wait that reports the socket must report the
 *               pipe as well
 * -d waits on a duplicate of the socket (fcntl F_DUPFD, a number above 100), not on the number
 * libpq gave: Mojo::Pg's dup (open '<&'), Python's socket.fromfd.
 * -n N runs each query N times (default 3: a miss, then hits); -q SQL replaces the queries.
 * Connection: the PG* environment variables.
 */
#include <libpq-fe.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define HANG_MS 10000

static const char *queries[16] = {
	"SELECT id, v, t FROM waits_t ORDER BY id",
	"SELECT count(*) FROM waits_t WHERE v > 10",
	"SELECT t FROM waits_t WHERE id = 2",
};
static int nqueries = 3;
static int sock = -1;  /* fetched once, before the first send */
static int epfd = -1;
static int pipefd[2] = { -1, -1 };

static void die(const char *what, PGconn *c)
{
	fprintf(stderr, "pq_waits: %s: %s\n", what, c ? PQerrorMessage(c) : strerror(errno));
	exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hang(const char *mode)
{
	printf("HANG: %s: socket not readable after %d ms\n", mode, HANG_MS);
	fprintf(stderr, "pq_waits: HANG: %s\n", mode);
	fflush(stdout);
	exit(3);
}

/* Wait until the socket is readable, the way `mode` does; returns when it is. */
static void wait_readable(const char *mode)
{
	long long deadline = now_ms() + HANG_MS;
	for (;;) {
		int left = (int)(deadline - now_ms());
		if (left <= 0)
			hang(mode);
		int n;
		if (strcmp(mode, "ppoll") == 0) {
			struct pollfd p = { sock, POLLIN, 0 };
			struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
			sigset_t mask;
			sigemptyset(&mask);
			n = ppoll(&p, 1, &ts, &mask);
			if (n > 0 && !(p.revents & POLLIN))
				die("ppoll: revents without POLLIN", NULL);
		} else if (strcmp(mode, "select") == 0 || strcmp(mode, "pselect") == 0) {
			fd_set r;
			FD_ZERO(&r);
			FD_SET(sock, &r);
			if (mode[0] == 's') {
				struct timeval tv = { left / 1000, (left % 1000) * 1000 };
				n = select(sock + 1, &r, NULL, NULL, &tv);
			} else {
				struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
				n = pselect(sock + 1, &r, NULL, NULL, &ts, NULL);
			}
			if (n > 0 && !FD_ISSET(sock, &r))
				die("select: socket not in the result", NULL);
		} else if (strncmp(mode, "epoll", 5) == 0 || strcmp(mode, "pipe_epoll") == 0) {
			if (strcmp(mode, "epoll_once") == 0) {
				struct epoll_event ev = { EPOLLIN | EPOLLONESHOT, { .u64 = 42 } };
				if (epoll_ctl(epfd, EPOLL_CTL_MOD, sock, &ev) != 0)
					die("epoll_ctl MOD", NULL);
			}
			struct epoll_event out[4];
			n = epoll_wait(epfd, out, 4, left);
			int seen = 0, piped = 0;
			for (int i = 0; i < n; i++) {
				if (out[i].data.u64 == 42 && (out[i].events & EPOLLIN))
					seen = 1;
				if (out[i].data.u64 == 7)
					piped = 1;
			}
			if (n > 0 && strcmp(mode, "pipe_epoll") == 0 && !piped)
				die("epoll: the readable pipe was not reported", NULL);
			if (n > 0 && !seen)
				continue; /* only the pipe: not our socket yet */
		} else {
			struct pollfd p = { sock, POLLIN, 0 };
			n = poll(&p, 1, left);
			if (n > 0 && !(p.revents & POLLIN))
				die("poll: revents without POLLIN", NULL);
		}
		if (n > 0)
			return;
		if (n < 0 && errno != EINTR)
			die(mode, NULL);
	}
}

static void dump(const char *label, PGresult *r)
{
	printf("%s: %s", label, PQresStatus(PQresultStatus(r)));
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		for (int i = 0; i < PQntuples(r); i++) {
			printf(" [");
			for (int j = 0; j < PQnfields(r); j++)
				printf("%s%s", j ? "," : "", PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
			printf("]");
		}
	else if (PQresultStatus(r) != PGRES_COMMAND_OK)
		printf(" %s", PQresultErrorMessage(r));
	printf("\n");
}

/* The waiter thread of mode "thread": blocked in poll() when the query is sent. */
static int thr_started;
static pthread_mutex_t thr_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thr_cv = PTHREAD_COND_INITIALIZER;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&thr_mu);
	thr_started = 1;
	pthread_cond_signal(&thr_cv);
	pthread_mutex_unlock(&thr_mu);
	wait_readable("thread");
	return NULL;
}

static void one(PGconn *c, const char *mode, const char *sql, const char *label)
{
	int nb = strncmp(mode, "nb_", 3) == 0;
	pthread_t th;
	if (strcmp(mode, "thread") == 0) {
		thr_started = 0;
		if (pthread_create(&th, NULL, waiter, NULL) != 0)
			die("pthread_create", NULL);
		pthread_mutex_lock(&thr_mu);
		while (!thr_started)
			pthread_cond_wait(&thr_cv, &thr_mu);
		pthread_mutex_unlock(&thr_mu);
		usleep(50000); /* it is inside poll() by now */
	}
	if (!PQsendQuery(c, sql))
		die("PQsendQuery", c);
	if (nb) {
		int f;
		long long deadline = now_ms() + HANG_MS;
		while ((f = PQflush(c)) == 1) {
			struct pollfd p = { sock, POLLOUT, 0 };
			if (now_ms() > deadline)
				hang(mode);
			poll(&p, 1, 100);
		}
		if (f < 0)
			die("PQflush", c);
	}
	if (strcmp(mode, "thread") == 0) {
		pthread_join(th, NULL);
	} else if (strcmp(mode, "nb_busy") == 0) {
		if (!PQconsumeInput(c))
			die("PQconsumeInput", c);
	} else {
		wait_readable(mode);
		if (!PQconsumeInput(c))
			die("PQconsumeInput", c);
	}
	/* edge-triggered: no second edge comes for bytes already there, so libpq is asked
	 * until it has all; every other mode waits again while it is busy */
	while (PQisBusy(c)) {
		if (strcmp(mode, "epoll_et") == 0) {
			struct pollfd p = { sock, POLLIN, 0 };
			poll(&p, 1, 10);
		} else {
			wait_readable(strcmp(mode, "thread") == 0 ? "poll" : mode);
		}
		if (!PQconsumeInput(c))
			die("PQconsumeInput", c);
	}
	PGresult *r;
	int n = 0;
	char lab[256];
	while ((r = PQgetResult(c)) != NULL) {
		snprintf(lab, sizeof(lab), "%s result %d", label, n++);
		dump(lab, r);
		PQclear(r);
		if (strcmp(mode, "taken") == 0) {
			/* the answer is taken: nothing is left to read until the next statement,
			 * as after the server's answer (a program waiting here must not spin) */
			struct pollfd p = { sock, POLLIN, 0 };
			printf("%s: readable after it: %d\n", lab, poll(&p, 1, 50));
		}
	}
	printf("%s: %d results, busy=%d\n", label, n, PQisBusy(c));
}

int main(int argc, char **argv)
{
	const char *mode = "poll";
	int repeat = 3, opt, nq = 0, dup_it = 0;
	while ((opt = getopt(argc, argv, "dm:n:q:")) != -1) {
		switch (opt) {
		case 'd': dup_it = 1; break;
		case 'm': mode = optarg; break;
		case 'n': repeat = atoi(optarg); break;
		case 'q':
			if (nq < 16)
				queries[nq++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: pq_waits [-d] [-m MODE] [-n REPEAT] [-q SQL]...\n");
			return 2;
		}
	}
	if (nq)
		nqueries = nq;
	setvbuf(stdout, NULL, _IOLBF, 0);
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", c);
	sock = PQsocket(c);
	if (dup_it && (sock = fcntl(sock, F_DUPFD, 100)) < 0)
		die("F_DUPFD", NULL);
	if (strncmp(mode, "nb_", 3) == 0 && PQsetnonblocking(c, 1) != 0)
		die("PQsetnonblocking", c);
	if (strncmp(mode, "epoll", 5) == 0 || strcmp(mode, "pipe_epoll") == 0) {
		epfd = epoll_create1(0);
		uint32_t ev = EPOLLIN;
		if (strcmp(mode, "epoll_et") == 0)
			ev |= EPOLLET;
		if (strcmp(mode, "epoll_once") == 0)
			ev |= EPOLLONESHOT;
		struct epoll_event e = { ev, { .u64 = 42 } };
		if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sock, &e) != 0)
			die("epoll", NULL);
		if (strcmp(mode, "pipe_epoll") == 0) {
			if (pipe(pipefd) != 0 || write(pipefd[1], "x", 1) != 1)
				die("pipe", NULL);
			struct epoll_event pe = { EPOLLIN, { .u64 = 7 } };
			if (epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &pe) != 0)
				die("epoll_ctl pipe", NULL);
		}
	}
	for (int i = 0; i < nqueries; i++)
		for (int k = 0; k < repeat; k++) {
			char label[64];
			snprintf(label, sizeof(label), "%s q%d #%d", mode, i, k);
			one(c, mode, queries[i], label);
		}
	PQfinish(c);
	return 0;
}

/*
 * my_waits.c - a Connector/C program that sends with mysql_send_query and waits on the socket
 * before mysql_read_query_result, as Ruby's mysql2 and event loops do, on a socket number taken
 * once at connect time (net.fd, which mysql2 reads). t_mysql_waits.sh compares its output with
 * and without the library; a wait longer than HANG_MS prints HANG and exits 3.
 *
 *     my_waits MODE N SQL...   each SQL N times; MODE:
 *        poll    poll() for POLLIN, then mysql_read_query_result
 *        epoll   a level-triggered epoll instance made at connect time
 *        thread  a second thread is already blocked in poll() on the socket when the
 *                statement is sent; the main thread reads once it reports readiness
 *        dup, dup_epoll   poll, epoll on a duplicate of the socket (dup; Mojo::mysql's
 *                open '<&'), not on the number the library gave
 *        closed  after the first send, the program closes the socket itself and gets its
 *                number again for an empty pipe: poll on it prints what the kernel says
 *                (the pipe is not readable), and the program ends there
 *
 * Connection: CAP_MY_SOCKET, CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB.
 */
#include <mysql.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define HANG_MS 10000

static int sock = -1, epfd = -1;
static const char *mode;

static void hang(void)
{
	printf("HANG: %s: socket not readable after %d ms\n", mode, HANG_MS);
	fflush(stdout);
	exit(3);
}

static void wait_readable(void)
{
	int n;
	do {
		if (epfd >= 0) {
			struct epoll_event ev;
			n = epoll_wait(epfd, &ev, 1, HANG_MS);
		} else {
			struct pollfd p = { sock, POLLIN, 0 };
			n = poll(&p, 1, HANG_MS);
		}
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		hang();
}

static int started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	started = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	wait_readable();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: my_waits poll|epoll|thread|dup|dup_epoll|closed N SQL...\n");
		return 2;
	}
	mode = argv[1];
	int n = atoi(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, "localhost", getenv("CAP_MY_USER"), getenv("CAP_MY_PASSWORD"),
				getenv("CAP_MY_DB"), 0, getenv("CAP_MY_SOCKET"), 0)) {
		fprintf(stderr, "my_waits: connect: %s\n", mysql_error(m));
		return 1;
	}
	sock = m->net.fd;
	if (strncmp(mode, "dup", 3) == 0 && (sock = dup(sock)) < 0) {
		perror("my_waits: dup");
		return 1;
	}
	if (strcmp(mode, "epoll") == 0 || strcmp(mode, "dup_epoll") == 0) {
		epfd = epoll_create1(0);
		struct epoll_event e = { EPOLLIN, { .u64 = 1 } };
		if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sock, &e) != 0) {
			perror("my_waits: epoll");
			return 1;
		}
	}
	for (int a = 3; a < argc; a++)
		for (int k = 0; k < n; k++) {
			pthread_t th;
			if (strcmp(mode, "thread") == 0) {
				started = 0;
				if (pthread_create(&th, NULL, waiter, NULL) != 0)
					return 1;
				pthread_mutex_lock(&mu);
				while (!started)
					pthread_cond_wait(&cv, &mu);
				pthread_mutex_unlock(&mu);
				usleep(50000); /* inside poll() by now */
			}
			if (mysql_send_query(m, argv[a], (unsigned long)strlen(argv[a])) != 0) {
				fprintf(stderr, "my_waits: send: %s\n", mysql_error(m));
				return 1;
			}
			if (strcmp(mode, "closed") == 0 && k > 0) {
				int p[2];
				close(sock);
				if (pipe(p) != 0 || (p[0] != sock && dup2(p[0], sock) != sock)) {
					perror("my_waits: pipe");
					return 1;
				}
				struct pollfd pf = { sock, POLLIN, 0 };
				int r = poll(&pf, 1, 1000);
				printf("poll on an empty pipe under the socket's number: %d (revents 0x%x)\n", r,
				       (unsigned)pf.revents);
				return 0;
			}
			if (strcmp(mode, "thread") == 0)
				pthread_join(th, NULL);
			else
				wait_readable();
			if (mysql_read_query_result(m) != 0) {
				printf("%s #%d: error %u %s\n", argv[a], k, mysql_errno(m), mysql_error(m));
				continue;
			}
			MYSQL_RES *r = mysql_store_result(m);
			printf("%s #%d:", argv[a], k);
			MYSQL_ROW row;
			while (r && (row = mysql_fetch_row(r)) != NULL) {
				printf(" [");
				for (unsigned j = 0; j < mysql_num_fields(r); j++)
					printf("%s%s", j ? "," : "", row[j] ? row[j] : "NULL");
				printf("]");
			}
			printf("\n");
			mysql_free_result(r);
		}
	mysql_close(m);
	return 0;
}

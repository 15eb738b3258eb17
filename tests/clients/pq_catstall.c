/*
 * pq_catstall - a thread that stalls or is cancelled inside libpq must not hold up the
 * program's other threads (attack round 5, x-1 and x-2: Capacitor's catalog registry was
 * locked across a catalog load).
 *
 *   pq_catstall cancel ROUNDS         each round: a thread runs reads, writes and SETs on a
 *                                     connection of its own and is cancelled (deferred) at a
 *                                     random moment; prints "finished"
 *   pq_catstall stall CONNA CONNB     thread A's first read goes through a path that stalls
 *                                     for ever (the test's proxy); the main thread then reads
 *                                     ten times on CONNB and prints what it reads
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>

/* A cancelled thread's stack keeps the poison of the instrumented frames the cancellation
 * unwinds without running their epilogues: the library's hooks (built with ASan under
 * SANITIZE=1) below this handler, and cancelled_worker's own frame after it. ASan's own calls
 * that run there next, __asan_handle_no_return (which the cleanup macro calls after the
 * handler) and its thread teardown, write to a local through the intercepted sigaltstack and
 * report it, or fail a CHECK looking for the frame (google/sanitizers#1010;
 * tests/san/repro_cancel.sh shows it without Capacitor). The handler clears the poison of the
 * thread's whole stack: every instrumented frame on it is gone or about to go. */
static void unpoison_stack(void)
{
	pthread_attr_t a;
	void *lo;
	size_t n;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &lo, &n) == 0)
		__asan_unpoison_memory_region(lo, n);
	pthread_attr_destroy(&a);
}
#endif

static void finish(void *p)
{
	PGconn **c = p;
#ifdef __SANITIZE_ADDRESS__
	unpoison_stack();
#endif
	if (*c)
		PQfinish(*c);
	*c = NULL;
}

static void *cancelled_worker(void *arg)
{
	PGconn *c = NULL;
	unsigned seed = (unsigned)(uintptr_t)arg;
	pthread_cleanup_push(finish, &c);
	/* libpq itself holds a lock of its own across getpwuid_r (a cancellation point) while
	 * it connects: a thread cancelled there leaves every later connect hanging, with or
	 * without Capacitor. Only the statements are cancelled. */
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	c = PQconnectdb("");
	pthread_setcancelstate(old, NULL);
	for (int i = 0; i < 400; i++) {
		char q[200];
		int k = rand_r(&seed) % 10;
		if (k == 0)
			snprintf(q, sizeof q, "UPDATE stall_t SET v = v WHERE id = %d", rand_r(&seed) % 5 + 1);
		else if (k == 1)
			snprintf(q, sizeof q, "SET search_path = public");
		else
			snprintf(q, sizeof q, "SELECT v FROM stall_t WHERE id = %d", rand_r(&seed) % 5 + 1);
		PQclear(PQexec(c, q));
	}
	pthread_cleanup_pop(1);
	return NULL;
}

static void *stalled_worker(void *arg)
{
	PGconn *c = PQconnectdb(arg);
	if (PQstatus(c) == CONNECTION_OK)
		PQclear(PQexec(c, "SELECT count(*) FROM stall_t /*A*/")); /* never answered */
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "cancel") == 0) {
		int rounds = atoi(argv[2]);
		unsigned s = (unsigned)getpid();
		for (int r = 0; r < rounds; r++) {
			pthread_t t;
			if (pthread_create(&t, NULL, cancelled_worker, (void *)(uintptr_t)rand_r(&s)))
				return 2;
			struct timespec ts = { 0, (rand_r(&s) % 20000) * 1000L };
			nanosleep(&ts, NULL);
			pthread_cancel(t);
			pthread_join(t, NULL);
		}
		/* the reads after every cancellation: the main thread's own connection */
		PGconn *c = PQconnectdb("");
		if (PQstatus(c) != CONNECTION_OK)
			fprintf(stderr, "connect: %d %s", PQstatus(c), PQerrorMessage(c));
		for (int i = 0; i < 3; i++) {
			PGresult *r = PQexec(c, "SELECT v FROM stall_t WHERE id = 1");
			printf("read %d: %s\n", i, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?");
			if (PQntuples(r) != 1)
				fprintf(stderr, "read %d: %s %s", i, PQresStatus(PQresultStatus(r)), PQerrorMessage(c));
			PQclear(r);
		}
		PQfinish(c);
		printf("finished\n");
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "stall") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, stalled_worker, argv[2]))
			return 2;
		pthread_detach(t);
		sleep(2); /* A is stalled inside its first read by now */
		PGconn *c = PQconnectdb(argv[3]);
		if (PQstatus(c) != CONNECTION_OK) {
			fprintf(stderr, "B: %s", PQerrorMessage(c));
			return 2;
		}
		for (int i = 0; i < 10; i++) {
			PGresult *r = PQexec(c, "SELECT v FROM stall_other WHERE id = 1");
			printf("B read %d: %s\n", i, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?");
			fflush(stdout);
			PQclear(r);
		}
		_exit(0); /* thread A never returns */
	}
	fprintf(stderr, "usage: pq_catstall cancel ROUNDS | stall CONNA CONNB\n");
	return 2;
}

/*
 * pq_events.c - a libpq event procedure (PQregisterEventProc, as libpqtypes and other libpq
 * add-ons use) must see only what the program itself does: Capacitor runs no query of its
 * own on a connection with one registered (no session read-back, no catalog load) and serves
 * nothing there. Prints every event the procedure gets (results with their status, columns
 * and first value) around a few reads, a parameterized read, a write, the reads again and a
 * PQreset. With "late", the same statements run first with no procedure registered (they may
 * be cached and served then), and the procedure is registered only after them: it must see
 * nothing of what Capacitor did before, nor the unnamed statement given back to the server
 * after a hit stood in for the PQexecParams that made it. Connection from the usual PG*
 * environment variables.
 */
#include <libpq-events.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static int nev;

static void print_result(const char *what, const PGresult *r)
{
	printf("  %s %s nt=%d cols:", what, PQresStatus(PQresultStatus(r)), PQntuples(r));
	for (int j = 0; j < PQnfields(r); j++)
		printf(" %s", PQfname(r, j));
	if (PQntuples(r) > 0 && PQnfields(r) > 0)
		printf(" first=%s", PQgetvalue(r, 0, 0));
	printf("\n");
}

static int evproc(PGEventId id, void *info, void *pass)
{
	(void)pass;
	nev++;
	switch (id) {
	case PGEVT_REGISTER:
		printf("  REGISTER\n");
		break;
	case PGEVT_CONNRESET:
		printf("  CONNRESET\n");
		break;
	case PGEVT_CONNDESTROY:
		printf("  CONNDESTROY\n");
		break;
	case PGEVT_RESULTCREATE:
		print_result("RESULTCREATE", ((PGEventResultCreate *)info)->result);
		break;
	case PGEVT_RESULTCOPY:
		printf("  RESULTCOPY\n");
		break;
	case PGEVT_RESULTDESTROY:
		printf("  RESULTDESTROY\n");
		break;
	}
	return 1;
}

static void run(PGconn *c, const char *sql)
{
	printf("%s\n", sql);
	PGresult *r = PQexec(c, sql);
	print_result("program got", r);
	PQclear(r);
}

static void run_params(PGconn *c, const char *sql, const char *v)
{
	printf("%s [%s]\n", sql, v);
	const char *vals[1] = { v };
	PGresult *r = PQexecParams(c, sql, 1, NULL, vals, NULL, NULL, 0);
	print_result("program got", r);
	PQclear(r);
}

/* the unnamed statement the last PQexecParams left (a hit may have stood in for that one) */
static void run_unnamed(PGconn *c, const char *v)
{
	printf("PQexecPrepared \"\" [%s]\n", v);
	const char *vals[1] = { v };
	PGresult *r = PQexecPrepared(c, "", 1, vals, NULL, NULL, 0);
	print_result("program got", r);
	PQclear(r);
}

static void statements(PGconn *c)
{
	for (int i = 0; i < 2; i++) {
		run(c, "SELECT v FROM ev_t WHERE id = 1");
		run(c, "SELECT count(*) FROM ev_t");
		run_params(c, "SELECT v FROM ev_t WHERE id = $1", "2");
	}
}

int main(int argc, char **argv)
{
	int late = argc == 2 && strcmp(argv[1], "late") == 0;
	if (argc != 2 || (!late && strcmp(argv[1], "early") != 0)) {
		fprintf(stderr, "usage: pq_events early|late\n");
		return 2;
	}
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pq_events: %s", PQerrorMessage(c));
		return 1;
	}
	if (late) {
		statements(c);
		printf("-- registering the event procedure\n");
	}
	if (!PQregisterEventProc(c, evproc, "pq_events", NULL)) {
		fprintf(stderr, "pq_events: PQregisterEventProc failed\n");
		return 1;
	}
	if (late)
		run_unnamed(c, "1");
	statements(c);
	run(c, "UPDATE ev_t SET v = v + 1 WHERE id = 1");
	statements(c);
	PQreset(c);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pq_events: reset: %s", PQerrorMessage(c));
		return 1;
	}
	statements(c);
	PQfinish(c);
	printf("%d events\n", nev);
	return 0;
}

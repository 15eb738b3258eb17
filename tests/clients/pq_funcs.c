/*
 * pq_funcs.c - a scripted libpq client for t_pg_functions.sh: it runs the commands on stdin
 * on one connection and prints what the program can observe of each (status, command tag,
 * rows, described parameters and columns, notifications, connection status), so that the test
 * can compare the whole output with and without Capacitor.
 *
 * Commands, one per line (fields separated by a tab):
 *   exec SQL                    PQexec
 *   params SQL [VALUE...]       PQexecParams, text parameters and results
 *   prepare NAME SQL            PQprepare (NAME "-" is the unnamed statement)
 *   execp NAME [VALUE...]       PQexecPrepared
 *   describe NAME               PQdescribePrepared: parameter and column counts and names
 *   sendexecp NAME [VALUE...]   PQsendQueryPrepared + PQgetResult until NULL
 *   senddescribe NAME           PQsendDescribePrepared + PQgetResult until NULL
 *   notifies                    PQconsumeInput, then every pending PQnotifies (channel, payload)
 *   status                      PQstatus
 *   reset                       PQreset
 *   errmsg                      PQerrorMessage, each line indented
 *   terminate                   pg_terminate_backend of this connection's backend, run by
 *                               psql ($PQ_FUNCS_PSQL) without LD_PRELOAD (through Capacitor
 *                               the volatile function would invalidate the cache), then 200 ms
 *                               for the server to close it
 *   sleep MS                    wait
 *   fork                        fork; the child exits at once; prints the parent's thread
 *                               count (/proc/self/status) right after fork
 *   setns-mnt                   setns into this process's own mount namespace
 *   unshare-user                unshare(CLONE_NEWUSER)
 * (the last three fail in a multi-threaded process, or draw Python 3.12's fork warning: a
 * single-threaded program must stay one while its connections are watched)
 * After every command it prints the notifications libpq already holds (as a program polling
 * PQnotifies after each query would). Connection: the PG* environment variables.
 */
#include <libpq-fe.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXF 16

static void show(PGresult *r)
{
	if (r == NULL) {
		printf("  (null result)\n");
		return;
	}
	ExecStatusType st = PQresultStatus(r);
	printf("  %s %s", PQresStatus(st), PQcmdStatus(r));
	if (st == PGRES_FATAL_ERROR) {
		const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		printf(" sqlstate=%s", code ? code : "?");
	}
	printf("\n");
	for (int i = 0; i < PQntuples(r); i++) {
		printf("   ");
		for (int j = 0; j < PQnfields(r); j++)
			printf(" %s", PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
		printf("\n");
	}
}

static void drain(PGconn *c)
{
	PGresult *r;
	while ((r = PQgetResult(c)) != NULL) {
		show(r);
		PQclear(r);
	}
}

static void notes(PGconn *c)
{
	PGnotify *n;
	while ((n = PQnotifies(c)) != NULL) {
		printf("  notify %s %s\n", n->relname, n->extra);
		PQfreemem(n);
	}
}

static void terminate(int pid)
{
	char q[96];
	const char *psql = getenv("PQ_FUNCS_PSQL");
	snprintf(q, sizeof(q), "SELECT pg_terminate_backend(%d)", pid);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		unsetenv("LD_PRELOAD");
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(1);
		execlp(psql ? psql : "psql", "psql", "-X", "-q", "-c", q, (char *)NULL);
		_exit(1);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	usleep(200000);
}

static int threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Threads:", 8) == 0)
			n = atoi(line + 8);
	if (f != NULL)
		fclose(f);
	return n;
}

static void forked(void)
{
	fflush(stdout);
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	int n = threads();
	if (child > 0)
		waitpid(child, NULL, 0);
	printf("  threads right after fork: %d\n", n);
}

static void said(const char *what, int r)
{
	printf("  %s = %d%s%s\n", what, r, r ? " " : "", r ? strerror(errno) : "");
}

static const char *stmt(const char *name)
{
	return strcmp(name, "-") == 0 ? "" : name;
}

int main(void)
{
	PGconn *c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(c));
		return 2;
	}
	char line[8192];
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *f[MAXF];
		int nf = 0;
		for (char *p = line, *t; nf < MAXF && p; p = t) {
			t = strchr(p, '\t');
			if (t)
				*t++ = '\0';
			f[nf++] = p;
		}
		printf("%s\n", line);
		const char *cmd = f[0];
		if (strcmp(cmd, "exec") == 0 && nf >= 2) {
			PGresult *r = PQexec(c, f[1]);
			show(r);
			PQclear(r);
		} else if (strcmp(cmd, "params") == 0 && nf >= 2) {
			PGresult *r = PQexecParams(c, f[1], nf - 2, NULL, (const char *const *)f + 2,
						   NULL, NULL, 0);
			show(r);
			PQclear(r);
		} else if (strcmp(cmd, "prepare") == 0 && nf >= 3) {
			PGresult *r = PQprepare(c, stmt(f[1]), f[2], 0, NULL);
			show(r);
			PQclear(r);
		} else if (strcmp(cmd, "execp") == 0 && nf >= 2) {
			PGresult *r = PQexecPrepared(c, stmt(f[1]), nf - 2, (const char *const *)f + 2,
						     NULL, NULL, 0);
			show(r);
			PQclear(r);
		} else if (strcmp(cmd, "describe") == 0 && nf >= 2) {
			PGresult *r = PQdescribePrepared(c, stmt(f[1]));
			show(r);
			if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
				printf("  params %d:", PQnparams(r));
				for (int i = 0; i < PQnparams(r); i++)
					printf(" %u", PQparamtype(r, i));
				printf("\n  fields %d:", PQnfields(r));
				for (int i = 0; i < PQnfields(r); i++)
					printf(" %s", PQfname(r, i));
				printf("\n");
			}
			PQclear(r);
		} else if (strcmp(cmd, "sendexecp") == 0 && nf >= 2) {
			if (!PQsendQueryPrepared(c, stmt(f[1]), nf - 2, (const char *const *)f + 2, NULL,
						 NULL, 0))
				printf("  send failed\n");
			drain(c);
		} else if (strcmp(cmd, "senddescribe") == 0 && nf >= 2) {
			if (!PQsendDescribePrepared(c, stmt(f[1])))
				printf("  send failed\n");
			drain(c);
		} else if (strcmp(cmd, "notifies") == 0) {
			PQconsumeInput(c);
		} else if (strcmp(cmd, "reset") == 0) {
			PQreset(c);
		} else if (strcmp(cmd, "status") == 0) {
			printf("  %s\n", PQstatus(c) == CONNECTION_OK ? "ok" : "bad");
		} else if (strcmp(cmd, "errmsg") == 0) {
			const char *e = PQerrorMessage(c);
			while (*e) {
				size_t n = strcspn(e, "\n");
				printf("  | %.*s\n", (int)n, e);
				e += n + (e[n] == '\n');
			}
		} else if (strcmp(cmd, "terminate") == 0) {
			terminate(PQbackendPID(c));
		} else if (strcmp(cmd, "fork") == 0) {
			forked();
		} else if (strcmp(cmd, "setns-mnt") == 0) {
			int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
			said("setns(mnt)", setns(fd, CLONE_NEWNS));
			close(fd);
		} else if (strcmp(cmd, "unshare-user") == 0) {
			said("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
		} else if (strcmp(cmd, "sleep") == 0 && nf >= 2) {
			usleep((useconds_t)atoi(f[1]) * 1000);
		} else {
			printf("  unknown command\n");
		}
		notes(c);
	}
	PQfinish(c);
	return 0;
}

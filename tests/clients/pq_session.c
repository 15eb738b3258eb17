/*
 * pq_session.c - a small script player for t_pg_session.sh: several connections in one
 * process, driven line by line from stdin, so a test can interleave sessions, send several
 * statements as one string, use the extended protocol and pipeline mode, and print every
 * result the same way with and without Capacitor.
 *
 * Script lines (NAME names a connection; # starts a comment):
 *   connect NAME CONNINFO     PQconnectdb(CONNINFO) (host and port come from PG* variables)
 *   exec NAME SQL             PQexec
 *   params NAME SQL           PQexecParams, no parameters (the unnamed statement)
 *   prepare NAME SQL          PQprepare(conn, "", SQL): the unnamed statement, not run
 *   execunnamed NAME          PQexecPrepared(conn, "") (runs the unnamed statement)
 *   prepnamed NAME STMT SQL   PQprepare(conn, STMT, SQL): a named statement, not run
 *   execnamed NAME STMT       PQexecPrepared(conn, STMT)
 *   describe NAME             PQdescribePrepared(conn, ""): parameters and columns
 *   pipe NAME SQL ;; SQL ...  pipeline mode: each part with PQsendQueryParams, one sync,
 *                             every result read, pipeline mode left
 *   finish NAME               PQfinish
 *   shell - CMD               system(CMD), its output not shown: a change made outside the
 *                             program (a psql without the library, a sleep)
 * Output: the line itself, then each result's status and rows ("a|b"), or ERROR with the
 * SQLSTATE and primary message; notices are printed as NOTICE lines. Exit 0 unless the
 * script is malformed (2).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXC 8

static struct {
	char name[32];
	PGconn *c;
} conns[MAXC];

static void on_notice(void *arg, const char *msg)
{
	(void)arg;
	printf("NOTICE %s", msg);
}

static PGconn *find(const char *name)
{
	for (int i = 0; i < MAXC; i++)
		if (conns[i].c && strcmp(conns[i].name, name) == 0)
			return conns[i].c;
	return NULL;
}

static void show(PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
		const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		printf("  ERROR %s %s\n", code ? code : "?", msg ? msg : "?");
		return;
	}
	printf("  %s %s\n", PQresStatus(st), PQcmdStatus(r));
	for (int i = 0; i < PQntuples(r); i++) {
		printf("  ");
		for (int j = 0; j < PQnfields(r); j++)
			printf("%s%s", j ? "|" : "", PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
		printf("\n");
	}
}

static void pipe_run(PGconn *c, char *sql)
{
	if (!PQenterPipelineMode(c)) {
		printf("  cannot enter pipeline mode\n");
		return;
	}
	int n = 0;
	for (char *part = sql, *next; part; part = next) {
		next = strstr(part, ";;");
		if (next) {
			*next = '\0';
			next += 2;
		}
		if (!PQsendQueryParams(c, part, 0, NULL, NULL, NULL, NULL, 0))
			printf("  send failed: %s", PQerrorMessage(c));
		else
			n++;
	}
	PQpipelineSync(c);
	for (int done = 0; done < n;) {
		PGresult *r = PQgetResult(c);
		if (r == NULL) {
			done++;
			continue;
		}
		show(r);
		PQclear(r);
	}
	PGresult *r = PQgetResult(c); /* the sync */
	if (r) {
		printf("  %s\n", PQresStatus(PQresultStatus(r)));
		PQclear(r);
	}
	if (!PQexitPipelineMode(c))
		printf("  cannot leave pipeline mode: %s", PQerrorMessage(c));
}

int main(void)
{
	char line[8192];
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		printf("%s\n", line);
		char cmd[16], name[32];
		int off = 0;
		if (sscanf(line, "%15s %31s %n", cmd, name, &off) < 2 || off == 0) {
			fprintf(stderr, "bad line: %s\n", line);
			return 2;
		}
		char *arg = line + off;
		if (strcmp(cmd, "shell") == 0) {
			fflush(stdout);
			if (system(arg) != 0)
				printf("  shell command failed\n");
			continue;
		}
		if (strcmp(cmd, "connect") == 0) {
			int i = 0;
			while (i < MAXC && conns[i].c)
				i++;
			if (i == MAXC)
				return 2;
			PGconn *c = PQconnectdb(arg);
			if (PQstatus(c) != CONNECTION_OK) {
				printf("  connection failed\n");
				PQfinish(c);
				continue;
			}
			PQsetNoticeProcessor(c, on_notice, NULL);
			snprintf(conns[i].name, sizeof(conns[i].name), "%s", name);
			conns[i].c = c;
			continue;
		}
		PGconn *c = find(name);
		if (c == NULL) {
			fprintf(stderr, "no connection %s\n", name);
			return 2;
		}
		PGresult *r = NULL;
		if (strcmp(cmd, "exec") == 0) {
			r = PQexec(c, arg);
		} else if (strcmp(cmd, "params") == 0) {
			r = PQexecParams(c, arg, 0, NULL, NULL, NULL, NULL, 0);
		} else if (strcmp(cmd, "prepare") == 0) {
			r = PQprepare(c, "", arg, 0, NULL);
		} else if (strcmp(cmd, "execunnamed") == 0) {
			r = PQexecPrepared(c, "", 0, NULL, NULL, NULL, 0);
		} else if (strcmp(cmd, "prepnamed") == 0 || strcmp(cmd, "execnamed") == 0) {
			char stmt[64];
			int soff = 0;
			if (sscanf(arg, "%63s %n", stmt, &soff) < 1) {
				fprintf(stderr, "bad line: %s\n", line);
				return 2;
			}
			if (cmd[0] == 'p')
				r = PQprepare(c, stmt, arg + soff, 0, NULL);
			else
				r = PQexecPrepared(c, stmt, 0, NULL, NULL, NULL, 0);
		} else if (strcmp(cmd, "describe") == 0) {
			r = PQdescribePrepared(c, "");
			if (PQresultStatus(r) == PGRES_COMMAND_OK) {
				printf("  params %d fields %d\n", PQnparams(r), PQnfields(r));
				PQclear(r);
				continue;
			}
		} else if (strcmp(cmd, "pipe") == 0) {
			pipe_run(c, arg);
			continue;
		} else if (strcmp(cmd, "finish") == 0) {
			for (int i = 0; i < MAXC; i++)
				if (conns[i].c == c)
					conns[i].c = NULL;
			PQfinish(c);
			continue;
		} else {
			fprintf(stderr, "unknown command %s\n", cmd);
			return 2;
		}
		show(r);
		PQclear(r);
	}
	for (int i = 0; i < MAXC; i++)
		if (conns[i].c)
			PQfinish(conns[i].c);
	return 0;
}

/*
 * follow_pg_conn.c - the PostgreSQL reader's connections: how we connect (for the stream and
 * for everything else), and the second, ordinary connection that answers what the stream
 * cannot: the liveness probes (tools/follow_svc.h) and the ancestors of a relation. Apart
 * because that connection is shared by the two and answers one query at a time: a lookup
 * first collects an outstanding probe, and a probe is never sent while a lookup runs.
 */
#include "tools/follow_pg_int.h"
#include "cache/cap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_FW_DECODE_MEM "256kB"

static void clean_err(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* cap_fwpg_connect - the user's URI, plus replication=database for the stream. The stream's
 * session decodes with a small logical_decoding_work_mem: PostgreSQL 14+ then streams a
 * transaction in progress as soon as it passes that size, so a long import bumps its tables
 * while it runs and the bump at its COMMIT arrives right after it, not after the whole
 * transaction was decoded. */
PGconn *cap_fwpg_connect(const char *uri, int replication)
{
	/* TCP keepalives and a user timeout: a cut network fails a blocked call in seconds
	 * (then the follower reconnects), not after the kernel's retransmissions (minutes). The
	 * URI's own values, parsed later, win. */
	const char *keys[] = { "connect_timeout", "keepalives_idle", "keepalives_interval",
			       "keepalives_count", "tcp_user_timeout", "dbname",
			       "fallback_application_name", "replication", "options", NULL };
	const char *vals[] = { "5", "5", "1", "3", "5000", uri, "capacitor-follow", "database",
			       "-c logical_decoding_work_mem=" CAP_FW_DECODE_MEM, NULL };
	if (!replication)
		keys[7] = NULL;
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (replication && PQstatus(c) != CONNECTION_OK) {
		/* a server before 13 has no such setting: try without it */
		PQfinish(c);
		keys[8] = NULL;
		c = PQconnectdbParams(keys, vals, 1);
	}
	return c;
}

/* cap_fwpg_exec - run sql; its result when it returned want (PGRES_COMMAND_OK / TUPLES_OK),
 * else NULL with the error in err. */
PGresult *cap_fwpg_exec(PGconn *c, const char *sql, ExecStatusType want, char *err, size_t cap)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != want) {
		if (err) {
			snprintf(err, cap, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
			clean_err(err);
		}
		PQclear(r);
		return NULL;
	}
	return r;
}

/* cap_fwpg_meta - the ordinary connection (ancestor lookups, probes), connected on demand. */
PGconn *cap_fwpg_meta(pg_run *pr)
{
	if (pr->meta && PQstatus(pr->meta) == CONNECTION_OK)
		return pr->meta;
	if (pr->meta)
		PQfinish(pr->meta);
	pr->meta = cap_fwpg_connect(pr->fw->uri, 0);
	return PQstatus(pr->meta) == CONNECTION_OK ? pr->meta : NULL;
}

/* probe_failed - a probe could not be made: the first time, fall back to stream replies as the
 * proof of liveness (logged once); later, drop the connection and make a new one next time. */
static void probe_failed(pg_run *pr, const char *why)
{
	pr->inflight_t = 0;
	if (pr->probes < 0) {
		pr->probes = 0;
		cap_fw_no_probes(why);
	}
	if (pr->meta) {
		PQfinish(pr->meta);
		pr->meta = NULL;
	}
}

/* cap_fwpg_probe - ask, without waiting, where the flushed WAL ends now
 * (tools/follow_svc.h); one probe at a time. The answer is read by cap_fwpg_probe_collect, so
 * the stream is never held up. */
void cap_fwpg_probe(pg_run *pr)
{
	uint64_t t = cap_precise_ns();
	if (pr->probes == 0 || pr->inflight_t || (pr->probe_t && t - pr->probe_t < 2000000000ull))
		return;
	PGconn *m = cap_fwpg_meta(pr);
	if (m == NULL) {
		probe_failed(pr, "cannot connect");
		return;
	}
	/* with pgoutput the same snapshot reads the publication's stamp: the probe proves
	 * nothing once the publication changed (pgoutput may have stopped sending writes) */
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT pg_current_wal_flush_lsn()%s%s%s",
		 pr->use_pgoutput ? ", (" : "", pr->use_pgoutput ? pr->pub_q : "",
		 pr->use_pgoutput ? ")" : "");
	if (!PQsendQuery(m, sql)) {
		probe_failed(pr, PQerrorMessage(m));
		return;
	}
	pr->inflight_t = t;
}

/* cap_fwpg_probe_collect - read the probe's answer if it is there (or wait for it when
 * block); 1 when a new probe position arrived (the caller then asks the stream for a reply at
 * once). */
int cap_fwpg_probe_collect(pg_run *pr, int block)
{
	if (!pr->inflight_t || pr->meta == NULL)
		return 0;
	if (!block && (!PQconsumeInput(pr->meta) || PQisBusy(pr->meta))) {
		if (PQstatus(pr->meta) != CONNECTION_OK)
			probe_failed(pr, PQerrorMessage(pr->meta));
		return 0;
	}
	PGresult *r;
	int ok = 0;
	char why[160] = "";
	while ((r = PQgetResult(pr->meta)) != NULL) {
		unsigned hi, lo;
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		    sscanf(PQgetvalue(r, 0, 0), "%X/%X", &hi, &lo) == 2 && pr->use_pgoutput &&
		    (PQnfields(r) != 2 || strcmp(PQgetvalue(r, 0, 1), pr->pub_stamp) != 0)) {
			pr->pub_changed = 1;
		} else if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
			   sscanf(PQgetvalue(r, 0, 0), "%X/%X", &hi, &lo) == 2) {
			pr->probe_lsn = (uint64_t)hi << 32 | lo;
			pr->probe_t = pr->inflight_t;
			ok = 1;
		} else {
			snprintf(why, sizeof(why), "%s", PQresultErrorMessage(r));
		}
		PQclear(r);
	}
	if (pr->pub_changed) {
		pr->inflight_t = 0;
		return 0;
	}
	if (ok) {
		pr->probes = 1;
		pr->inflight_t = 0;
		return 1;
	}
	probe_failed(pr, why[0] ? why : "no answer");
	return 0;
}

/* cap_fwpg_ancestors - the ancestors of relation `what` (an oid or a quoted regclass
 * literal) into *out; 0, or -1 when it could not be looked up (the caller then bumps
 * everything). */
int cap_fwpg_ancestors(pg_run *pr, const char *what, char ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	(void)cap_fwpg_probe_collect(pr, 1); /* the connection answers one query at a time */
	if (cap_fwpg_meta(pr) == NULL)
		return -1;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE a(oid, self) AS (SELECT %s::regclass::oid, true UNION "
		 "SELECT i.inhparent, false FROM pg_inherits i JOIN a ON i.inhrelid = a.oid) "
		 "SELECT c.relname, a.self FROM a JOIN pg_class c ON c.oid = a.oid",
		 what);
	PGresult *r = PQexec(pr->meta, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r), self = 0;
	char **v = calloc((size_t)n + 1, sizeof(char *));
	size_t k = 0;
	for (int i = 0; v && i < n; i++) {
		if (strcmp(PQgetvalue(r, i, 1), "t") == 0) {
			self = 1;
			continue;
		}
		v[k] = strdup(PQgetvalue(r, i, 0));
		if (v[k] == NULL)
			break;
		k++;
	}
	PQclear(r);
	if (v == NULL || !self || (int)k != n - 1) {
		for (size_t i = 0; v && i < k; i++)
			free(v[i]);
		free(v);
		return -1;
	}
	*out = v;
	*nout = k;
	return 0;
}

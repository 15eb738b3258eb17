/*
 * follow_pg.c - `capacitor follow postgresql://...`: PostgreSQL logical replication.
 *
 * One run (tools/follow.h):
 *   1. connect with replication=database; IDENTIFY_SYSTEM names the server;
 *   2. choose the output: the publication named by --publication, else `capacitor_follow`
 *      when it exists (created FOR ALL TABLES by --create-publication), else test_decoding. A
 *      publication must be FOR ALL TABLES and publish insert, update, delete and truncate:
 *      anything narrower would hide writes, so it is refused. The follower does not create
 *      one unasked: a publication that publishes updates makes PostgreSQL refuse UPDATE and
 *      DELETE on every table without a replica identity (no primary key), which would change
 *      what the applications see. test_decoding needs nothing of the tables. Every probe
 *      (below) also reads the publication's oid and xmin: once it was altered, renamed or
 *      dropped the probes prove nothing, and the run ends (reconnecting checks it again);
 *   3. make sure DDL is visible: the event trigger `capacitor_follow_ddl` (installed when we
 *      may) emits a transactional logical message `capacitor` for every DDL command, which
 *      becomes a bump of everything. Without it, DDL that changes no rows (RENAME, DROP, ALTER)
 *      is not seen, which the log says once per connect;
 *   4. CREATE_REPLICATION_SLOT ... TEMPORARY (dropped by the server with the connection), then
 *      bump everything, then START_REPLICATION from the slot's consistent point;
 *   5. apply the CopyData stream: XLogData ('w') carrying pgoutput messages, or test_decoding
 *      text lines; keepalives ('k'). A change bumps its table at once, and every table of the
 *      transaction is bumped again at its COMMIT (once per table per transaction). Streamed
 *      in-progress transactions (protocol 2, PostgreSQL 14+) are bumped as they stream, and
 *      again at their stream commit. Every 100 ms we send a standby status update that
 *      confirms everything received (so the slot never holds WAL) and asks for a reply; the
 *      reply proves the stream current and refreshes the heartbeat.
 *
 * Inheritance and partitions: a write to a child changes what a read of any ancestor returns,
 * and pgoutput names the leaf. A second, ordinary connection looks the ancestors of each
 * relation up once (pg_inherits, recursively) and each change bumps them all; a DDL message
 * forgets every lookup. A relation that cannot be looked up bumps everything.
 */
#include "tools/follow.h"
#include "cache/cap.h"
#include "tools/cmd.h"

#include <libpq-fe.h>

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PUB_DEFAULT "capacitor_follow"
#define CAP_FW_DECODE_MEM "256kB"
#define DDL_TRIGGER "capacitor_follow_ddl"
#define MSG_PREFIX "capacitor"
#define STATUS_EVERY_NS 100000000ull
#define TXN_MAX 256
#define STREAM_XIDS_MAX 64
/* seconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01 */
#define PG_EPOCH_OFFSET_S 946684800ll

typedef struct rel {
	uint32_t oid;
	char *name;       /* bare relation name */
	uint64_t shape;   /* hash of namespace, name and columns: a change means DDL */
	char **anc;       /* names of ancestors (inheritance/partitions), looked up lazily */
	size_t nanc;
	int anc_known;
} rel;

typedef struct oidset {
	uint32_t oid[TXN_MAX];
	size_t n;
	int overflow;
} oidset;

typedef struct pg_run {
	cap_fw *fw;
	PGconn *repl, *meta;
	int use_pgoutput;
	rel *rels;
	size_t nrels, caprels;
	oidset txn;           /* tables of the transaction being decoded */
	oidset streamed;      /* tables of open streamed transactions */
	uint32_t stream_xids[STREAM_XIDS_MAX];
	size_t nstream_xids;
	int stream_overflow;
	int in_stream;
	uint64_t received;    /* highest LSN received and applied */
	char tdtxn[TXN_MAX][64]; /* test_decoding: names of this transaction's tables */
	size_t ntd;
	int td_overflow;
	uint64_t probe_lsn, probe_t; /* outstanding probe: flush LSN and when it was asked */
	uint64_t inflight_t;         /* a probe query sent on meta, its answer not yet read */
	int probes;                  /* 1 probing works, 0 it does not (fallback), -1 unknown */
	char pub_q[400];             /* pgoutput: the query for the publication's stamp */
	char pub_stamp[64];          /* its oid and xmin when chosen: any ALTER, DROP or RENAME
				      * changes it */
	int pub_changed;             /* a probe found it changed: the stream may miss writes */
	struct tdanc {           /* test_decoding: ancestors by qualified name, until DDL */
		char name[64];
		char **anc;
		size_t nanc;
	} tdanc[TXN_MAX];
	size_t ntdanc;
} pg_run;

/* ------------------------------------------------------------------ helpers */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

static void lsn_str(uint64_t lsn, char *out, size_t cap)
{
	snprintf(out, cap, "%X/%X", (unsigned)(lsn >> 32), (unsigned)lsn);
}

static uint64_t pg_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)(ts.tv_sec - PG_EPOCH_OFFSET_S) * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/* rd - a bounds-checked reader over one message. */
typedef struct rd {
	const unsigned char *p, *end;
	int bad;
} rd;

static uint64_t rd_n(rd *r, int bytes)
{
	if (r->end - r->p < bytes) {
		r->bad = 1;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | r->p[i];
	r->p += bytes;
	return v;
}

static const char *rd_str(rd *r)
{
	const unsigned char *z = memchr(r->p, 0, (size_t)(r->end - r->p));
	if (z == NULL) {
		r->bad = 1;
		return "";
	}
	const char *s = (const char *)r->p;
	r->p = z + 1;
	return s;
}

static void rd_skip(rd *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return;
	}
	r->p += n;
}

/* connect_uri - the user's URI, plus replication=database for the stream. The stream's
 * session decodes with a small logical_decoding_work_mem: PostgreSQL 14+ then streams a
 * transaction in progress as soon as it passes that size, so a long import bumps its tables
 * while it runs and the bump at its COMMIT arrives right after it, not after the whole
 * transaction was decoded. */
static PGconn *connect_uri(const char *uri, int replication)
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

static void clean_err(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* exec_ok - run sql; 1 when it returned want (PGRES_COMMAND_OK / TUPLES_OK), else 0 with the
 * error in err. */
static PGresult *exec_want(PGconn *c, const char *sql, ExecStatusType want, char *err, size_t cap)
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

/* ------------------------------------------------------------------ relations */

static rel *rel_find(pg_run *pr, uint32_t oid)
{
	for (size_t i = 0; i < pr->nrels; i++)
		if (pr->rels[i].oid == oid)
			return &pr->rels[i];
	return NULL;
}

static void rel_forget_anc(rel *r)
{
	for (size_t i = 0; i < r->nanc; i++)
		free(r->anc[i]);
	free(r->anc);
	r->anc = NULL;
	r->nanc = 0;
	r->anc_known = 0;
}

static void rels_free(pg_run *pr)
{
	for (size_t i = 0; i < pr->nrels; i++) {
		rel_forget_anc(&pr->rels[i]);
		free(pr->rels[i].name);
	}
	free(pr->rels);
	pr->rels = NULL;
	pr->nrels = pr->caprels = 0;
}

/* meta_conn - the ordinary connection (ancestor lookups, probes), connected on demand. */
static PGconn *meta_conn(pg_run *pr)
{
	if (pr->meta && PQstatus(pr->meta) == CONNECTION_OK)
		return pr->meta;
	if (pr->meta)
		PQfinish(pr->meta);
	pr->meta = connect_uri(pr->fw->uri, 0);
	return PQstatus(pr->meta) == CONNECTION_OK ? pr->meta : NULL;
}

/* probe_failed - a probe could not be made: the first time, fall back to stream replies as the
 * proof of liveness (logged once); later, drop the connection and make a new one next time. */
static void probe_failed(pg_run *pr, const char *why)
{
	pr->inflight_t = 0;
	if (pr->probes < 0) {
		pr->probes = 0;
		cap_fw_log("WARNING: no probe connection (%s): the heartbeat shows that the stream is "
			   "up, not how far behind it is", why);
	}
	if (pr->meta) {
		PQfinish(pr->meta);
		pr->meta = NULL;
	}
}

/* probe - ask, without waiting, where the flushed WAL ends now (tools/follow.h); one probe
 * at a time. The answer is read by probe_collect, so the stream is never held up. */
static void probe(pg_run *pr)
{
	uint64_t t = cap_precise_ns();
	if (pr->probes == 0 || pr->inflight_t || (pr->probe_t && t - pr->probe_t < 2000000000ull))
		return;
	PGconn *m = meta_conn(pr);
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

/* probe_collect - read the probe's answer if it is there (or wait for it when block); 1 when
 * a new probe position arrived (the caller then asks the stream for a reply at once). */
static int probe_collect(pg_run *pr, int block)
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

/* lookup_anc - the ancestors of relation `what` (an oid or a quoted regclass literal) into
 * *out; 0, or -1 when it could not be looked up (the caller then bumps everything). */
static int lookup_anc(pg_run *pr, const char *what, char ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	(void)probe_collect(pr, 1); /* the connection answers one query at a time */
	if (meta_conn(pr) == NULL)
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

/* bump_rel - bump a relation and its ancestors. */
static void bump_rel(pg_run *pr, rel *r)
{
	if (!r->anc_known) {
		char what[16];
		snprintf(what, sizeof(what), "%u", r->oid);
		if (lookup_anc(pr, what, &r->anc, &r->nanc) < 0) {
			cap_fw_bump_all(pr->fw, "ancestors of a relation could not be looked up");
			return;
		}
		r->anc_known = 1;
	}
	cap_fw_bump_table(pr->fw, r->name, strlen(r->name));
	for (size_t i = 0; i < r->nanc; i++)
		cap_fw_bump_table(pr->fw, r->anc[i], strlen(r->anc[i]));
}

static int oidset_add(oidset *s, uint32_t oid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->oid[i] == oid)
			return 0;
	if (s->n == TXN_MAX) {
		s->overflow = 1;
		return 1;
	}
	s->oid[s->n++] = oid;
	return 1;
}

/* bump_set - the bump at COMMIT: every table of the set again (everything on overflow). */
static void bump_set(pg_run *pr, oidset *s)
{
	if (s->overflow) {
		cap_fw_bump_all(pr->fw, "commit of a transaction with many tables");
	} else {
		for (size_t i = 0; i < s->n; i++) {
			rel *r = rel_find(pr, s->oid[i]);
			if (r)
				bump_rel(pr, r);
			else
				cap_fw_bump_all(pr->fw, "commit touching an unknown relation");
		}
	}
	s->n = 0;
	s->overflow = 0;
}

/* change - a row change (or truncate) of relation oid. */
static void change(pg_run *pr, uint32_t oid)
{
	cap_fw_event(pr->fw);
	rel *r = rel_find(pr, oid);
	if (r == NULL) {
		cap_fw_bump_all(pr->fw, "change of an unknown relation");
		return;
	}
	int added = oidset_add(pr->in_stream ? &pr->streamed : &pr->txn, oid);
	if (added)
		bump_rel(pr, r);
}

static int relation_msg(pg_run *pr, rd *r)
{
	uint32_t oid = (uint32_t)rd_n(r, 4);
	const char *ns = rd_str(r), *name = rd_str(r);
	rd_n(r, 1);
	unsigned ncols = (unsigned)rd_n(r, 2);
	uint64_t shape = fnv(0xcbf29ce484222325ull, ns, strlen(ns) + 1);
	shape = fnv(shape, name, strlen(name) + 1);
	for (unsigned i = 0; i < ncols && !r->bad; i++) {
		uint64_t flags = rd_n(r, 1);
		const char *col = rd_str(r);
		uint64_t type = rd_n(r, 4), mod = rd_n(r, 4);
		shape = fnv(shape, &flags, sizeof(flags));
		shape = fnv(shape, col, strlen(col) + 1);
		shape = fnv(shape, &type, sizeof(type));
		shape = fnv(shape, &mod, sizeof(mod));
	}
	if (r->bad)
		return -1;
	rel *e = rel_find(pr, oid);
	if (e) {
		if (e->shape != shape) {
			/* renamed or altered: whatever read it under either name is stale */
			cap_fw_bump_table(pr->fw, e->name, strlen(e->name));
			cap_fw_bump_all(pr->fw, "relation changed shape");
			char *nn = strdup(name);
			if (nn == NULL)
				return -1;
			free(e->name);
			e->name = nn;
			e->shape = shape;
			rel_forget_anc(e);
		}
		return 0;
	}
	if (pr->nrels == pr->caprels) {
		size_t nc = pr->caprels ? pr->caprels * 2 : 64;
		rel *nr = realloc(pr->rels, nc * sizeof(rel));
		if (nr == NULL)
			return -1;
		pr->rels = nr;
		pr->caprels = nc;
	}
	rel *n = &pr->rels[pr->nrels];
	memset(n, 0, sizeof(*n));
	n->oid = oid;
	n->shape = shape;
	n->name = strdup(name);
	if (n->name == NULL)
		return -1;
	pr->nrels++;
	return 0;
}

static void stream_xid_open(pg_run *pr, uint32_t xid)
{
	for (size_t i = 0; i < pr->nstream_xids; i++)
		if (pr->stream_xids[i] == xid)
			return;
	if (pr->nstream_xids == STREAM_XIDS_MAX) {
		pr->stream_overflow = 1;
		return;
	}
	pr->stream_xids[pr->nstream_xids++] = xid;
}

/* stream_xid_end - a streamed transaction committed or aborted: bump what streamed; forget
 * the tables only when no streamed transaction is still open (they share one set). */
static void stream_xid_end(pg_run *pr, uint32_t xid, int committed)
{
	for (size_t i = 0; i < pr->nstream_xids; i++)
		if (pr->stream_xids[i] == xid) {
			pr->stream_xids[i] = pr->stream_xids[--pr->nstream_xids];
			break;
		}
	if (committed) {
		oidset copy = pr->streamed;
		bump_set(pr, &copy);
	}
	if (pr->nstream_xids == 0 && !pr->stream_overflow) {
		pr->streamed.n = 0;
		pr->streamed.overflow = 0;
	}
}

static void forget_all_ancestors(pg_run *pr)
{
	for (size_t i = 0; i < pr->nrels; i++)
		rel_forget_anc(&pr->rels[i]);
	for (size_t i = 0; i < pr->ntdanc; i++) {
		for (size_t k = 0; k < pr->tdanc[i].nanc; k++)
			free(pr->tdanc[i].anc[k]);
		free(pr->tdanc[i].anc);
	}
	pr->ntdanc = 0;
}

/* ddl - DDL committed (the event trigger's message): everything is bumped, and every process's
 * catalog too, at once rather than at its periodic reload: a relation made UNLOGGED (whose
 * reads are then never covered) or given a trigger must not be read through the old one. */
static void ddl(pg_run *pr)
{
	cap_fw_event(pr->fw);
	forget_all_ancestors(pr);
	cap_fw_bump_table(pr->fw, CAP_CATALOG_SLOT_NAME, sizeof(CAP_CATALOG_SLOT_NAME) - 1);
	cap_fw_bump_all(pr->fw, "DDL");
}

/* pgoutput_msg - one pgoutput message (protocol 1 or 2). */
static int pgoutput_msg(pg_run *pr, const unsigned char *p, size_t n)
{
	rd r = { p, p + n, 0 };
	int type = (int)rd_n(&r, 1);
	/* inside a stream block, data messages carry the transaction id first */
	int xid_first = pr->in_stream && strchr("RYIUDTM", type) != NULL;
	if (xid_first)
		rd_n(&r, 4);
	switch (type) {
	case 'B':
		pr->txn.n = 0;
		pr->txn.overflow = 0;
		break;
	case 'C':
		bump_set(pr, &pr->txn);
		break;
	case 'R':
		return relation_msg(pr, &r);
	case 'Y': /* type */
	case 'O': /* origin */
		break;
	case 'I':
	case 'U':
	case 'D':
		change(pr, (uint32_t)rd_n(&r, 4));
		break;
	case 'T': {
		uint32_t nrels = (uint32_t)rd_n(&r, 4);
		rd_n(&r, 1);
		for (uint32_t i = 0; i < nrels && !r.bad; i++)
			change(pr, (uint32_t)rd_n(&r, 4));
		break;
	}
	case 'M': {
		rd_n(&r, 1);
		rd_n(&r, 8);
		const char *prefix = rd_str(&r);
		uint32_t len = (uint32_t)rd_n(&r, 4);
		rd_skip(&r, len);
		if (!r.bad && strcmp(prefix, MSG_PREFIX) == 0)
			ddl(pr);
		break;
	}
	case 'S': {
		uint32_t xid = (uint32_t)rd_n(&r, 4);
		pr->in_stream = 1;
		stream_xid_open(pr, xid);
		break;
	}
	case 'E':
		pr->in_stream = 0;
		break;
	case 'c':
		stream_xid_end(pr, (uint32_t)rd_n(&r, 4), 1);
		break;
	case 'A': {
		uint32_t xid = (uint32_t)rd_n(&r, 4), sub = (uint32_t)rd_n(&r, 4);
		if (xid == sub)
			stream_xid_end(pr, xid, 0);
		break;
	}
	default:
		cap_fw_bump_all(pr->fw, "unknown pgoutput message");
		break;
	}
	return r.bad ? -1 : 0;
}

/* td_table - test_decoding: "table SCHEMA.NAME: INSERT: ..." - bump NAME and its ancestors
 * at the change, remember it for COMMIT. */
static void td_bump_name(pg_run *pr, const char *qualified)
{
	char lit[300], *o = lit;
	*o++ = '\'';
	for (const char *s = qualified; *s && o < lit + sizeof(lit) - 3; s++) {
		if (*s == '\'')
			*o++ = '\'';
		*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	char **anc = NULL;
	size_t nanc = 0, i;
	for (i = 0; i < pr->ntdanc; i++)
		if (strcmp(pr->tdanc[i].name, qualified) == 0)
			break;
	if (i < pr->ntdanc) {
		anc = pr->tdanc[i].anc;
		nanc = pr->tdanc[i].nanc;
	} else {
		if (lookup_anc(pr, lit, &anc, &nanc) < 0) {
			cap_fw_bump_all(pr->fw, "ancestors of a relation could not be looked up");
			return;
		}
		if (pr->ntdanc == TXN_MAX || strlen(qualified) >= sizeof(pr->tdanc[0].name))
			forget_all_ancestors(pr);
		if (strlen(qualified) < sizeof(pr->tdanc[0].name)) {
			struct tdanc *t = &pr->tdanc[pr->ntdanc++];
			snprintf(t->name, sizeof(t->name), "%s", qualified);
			t->anc = anc;
			t->nanc = nanc;
		} else {
			cap_fw_bump_all(pr->fw, "a long relation name");
			for (size_t k = 0; k < nanc; k++)
				free(anc[k]);
			free(anc);
			return;
		}
	}
	const char *dot = strrchr(qualified, '.');
	const char *bare = dot ? dot + 1 : qualified;
	size_t bl = strlen(bare);
	if (bl >= 2 && bare[0] == '"' && bare[bl - 1] == '"') {
		bare++;
		bl -= 2;
	}
	cap_fw_bump_table(pr->fw, bare, bl);
	for (size_t k = 0; k < nanc; k++)
		cap_fw_bump_table(pr->fw, anc[k], strlen(anc[k]));
}

static void td_line(pg_run *pr, const char *s, size_t n)
{
	char line[512];
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, s, n);
	line[n] = '\0';
	if (strncmp(line, "BEGIN", 5) == 0) {
		pr->ntd = 0;
		pr->td_overflow = 0;
	} else if (strncmp(line, "COMMIT", 6) == 0) {
		if (pr->td_overflow)
			cap_fw_bump_all(pr->fw, "commit of a transaction with many tables");
		for (size_t i = 0; i < pr->ntd && !pr->td_overflow; i++)
			td_bump_name(pr, pr->tdtxn[i]);
		pr->ntd = 0;
	} else if (strncmp(line, "table ", 6) == 0) {
		cap_fw_event(pr->fw);
		/* the name ends at ": " followed by the action */
		char *end = strstr(line + 6, ": ");
		if (end == NULL) {
			cap_fw_bump_all(pr->fw, "unparsed test_decoding line");
			return;
		}
		*end = '\0';
		const char *name = line + 6;
		for (size_t i = 0; i < pr->ntd; i++)
			if (strcmp(pr->tdtxn[i], name) == 0)
				return;
		if (pr->ntd < TXN_MAX && strlen(name) < sizeof(pr->tdtxn[0]))
			snprintf(pr->tdtxn[pr->ntd++], sizeof(pr->tdtxn[0]), "%s", name);
		else
			pr->td_overflow = 1;
		td_bump_name(pr, name);
	} else if (strncmp(line, "message:", 8) == 0) {
		if (strstr(line, "prefix: " MSG_PREFIX ","))
			ddl(pr);
	} else if (strncmp(line, "opening a streamed block", 24) == 0 ||
		   strncmp(line, "committing streamed", 19) == 0) {
		/* a large transaction streamed while in progress: its lines name no tables */
		cap_fw_event(pr->fw);
		forget_all_ancestors(pr);
		cap_fw_bump_all(pr->fw, "streamed transaction");
	} else if (strncmp(line, "streaming ", 10) == 0 || strncmp(line, "closing a streamed", 18) == 0 ||
		   strncmp(line, "aborting streamed", 17) == 0) {
		/* covered by the bumps at the block's opening and the commit */
		cap_fw_event(pr->fw);
	} else {
		cap_fw_bump_all(pr->fw, "unknown test_decoding line");
	}
}

/* ------------------------------------------------------------------ the stream */

static int send_status(pg_run *pr, int reply)
{
	unsigned char b[34];
	uint64_t lsn = htobe64(pr->received), now = htobe64(pg_now_us());
	b[0] = 'r';
	memcpy(b + 1, &lsn, 8);
	memcpy(b + 9, &lsn, 8);
	memcpy(b + 17, &lsn, 8);
	memcpy(b + 25, &now, 8);
	b[33] = (unsigned char)reply;
	if (PQputCopyData(pr->repl, (const char *)b, sizeof(b)) <= 0 || PQflush(pr->repl) < 0)
		return cap_fw_fail(pr->fw, "sending a status update: %s", PQerrorMessage(pr->repl));
	return 0;
}


static int in_txn(const pg_run *pr)
{
	return pr->txn.n > 0 || pr->nstream_xids > 0 || pr->ntd > 0;
}

static int handle_copy(pg_run *pr, const unsigned char *buf, int len)
{
	rd r = { buf, buf + len, 0 };
	int kind = (int)rd_n(&r, 1);
	char pos[32];
	if (kind == 'w') {
		uint64_t start = rd_n(&r, 8);
		rd_n(&r, 8);
		uint64_t send = rd_n(&r, 8);
		if (r.bad)
			return cap_fw_fail(pr->fw, "short XLogData message");
		size_t n = (size_t)(r.end - r.p);
		if (pr->use_pgoutput) {
			if (pgoutput_msg(pr, r.p, n) < 0)
				return cap_fw_fail(pr->fw, "malformed pgoutput message");
		} else {
			td_line(pr, (const char *)r.p, n);
		}
		if (start > pr->received)
			pr->received = start;
		lsn_str(pr->received, pos, sizeof(pos));
		(void)send;
		cap_fw_alive(pr->fw, pos, 0);
		return 0;
	}
	if (kind == 'k') {
		uint64_t end = rd_n(&r, 8), send = rd_n(&r, 8);
		(void)send;
		int reply = (int)rd_n(&r, 1);
		if (r.bad)
			return cap_fw_fail(pr->fw, "short keepalive message");
		/* Everything up to end was sent to us before this; outside a transaction it is all
		 * applied, so confirming it lets the server recycle WAL. */
		if (!in_txn(pr) && end > pr->received)
			pr->received = end;
		lsn_str(pr->received, pos, sizeof(pos));
		/* end is where decoding stands: past the probe, every commit that had returned
		 * when the probe was asked has been applied */
		uint64_t live_at = 0;
		if (pr->probe_t && end >= pr->probe_lsn) {
			live_at = pr->probe_t;
			pr->probe_t = 0;
		} else if (pr->probes == 0 && !pr->use_pgoutput) {
			/* (with a publication only a probe re-checks it: no proof without one) */
			live_at = cap_precise_ns();
		}
		cap_fw_alive(pr->fw, pos, live_at);
		return reply ? send_status(pr, 0) : 0;
	}
	cap_fw_bump_all(pr->fw, "unknown replication message");
	return 0;
}

static int stream(pg_run *pr)
{
	cap_fw *fw = pr->fw;
	uint64_t last_status = 0, last_word = cap_precise_ns();
	int sock = PQsocket(pr->repl);
	while (!*fw->stop) {
		for (;;) {
			char *buf = NULL;
			int n = PQgetCopyData(pr->repl, &buf, 1);
			if (n == 0)
				break;
			if (n == -1) {
				PGresult *res = PQgetResult(pr->repl);
				const char *why = res ? PQresultErrorMessage(res) : "";
				cap_fw_fail(fw, "the server ended the stream%s%s", why[0] ? ": " : "",
					    why[0] ? why : "");
				PQclear(res);
				return -1;
			}
			if (n < 0)
				return cap_fw_fail(fw, "%s", PQerrorMessage(pr->repl));
			last_word = cap_precise_ns();
			int rc = handle_copy(pr, (const unsigned char *)buf, n);
			PQfreemem(buf);
			if (rc < 0)
				return -1;
		}
		uint64_t now = cap_precise_ns();
		if (now - last_status >= STATUS_EVERY_NS) {
			probe(pr);
			if (send_status(pr, 1) < 0)
				return -1;
			last_status = now;
		}
		if (now - last_word > fw->timeout_ns)
			return cap_fw_fail(fw, "no word from the server for %llu s",
					   (unsigned long long)(fw->timeout_ns / 1000000000ull));
		struct pollfd pfd[2] = { { sock, POLLIN, 0 }, { -1, POLLIN, 0 } };
		if (pr->inflight_t && pr->meta)
			pfd[1].fd = PQsocket(pr->meta);
		int pr_rc = poll(pfd, 2, 20);
		if (pr_rc < 0 && errno != EINTR)
			return cap_fw_fail(fw, "poll: %s", strerror(errno));
		if (pr_rc > 0 && pfd[0].revents && !PQconsumeInput(pr->repl))
			return cap_fw_fail(fw, "%s", PQerrorMessage(pr->repl));
		if (probe_collect(pr, 0) && send_status(pr, 1) < 0)
			return -1;
		if (pr->pub_changed)
			return cap_fw_fail(fw, "publication %s changed (altered, renamed or dropped): "
					   "writes may no longer be streamed",
					   pr->fw->publication ? pr->fw->publication : PUB_DEFAULT);
	}
	return 0;
}

/* choose_output - the publication to stream (into pub), or "" for test_decoding. */
static int choose_output(pg_run *pr, char *pub, size_t cap)
{
	cap_fw *fw = pr->fw;
	if (fw->test_decoding) {
		pub[0] = '\0';
		return 0;
	}
	const char *want = fw->publication ? fw->publication : PUB_DEFAULT;
	char *lit = PQescapeLiteral(pr->repl, want, strlen(want));
	if (lit == NULL)
		return cap_fw_fail(fw, "PQescapeLiteral: %s", PQerrorMessage(pr->repl));
	char sql[600], err[256];
	/* its stamp, which the probes compare (probe_collect) */
	snprintf(pr->pub_q, sizeof(pr->pub_q),
		 "SELECT p.oid::pg_catalog.text OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) "
		 "p.xmin::pg_catalog.text FROM pg_catalog.pg_publication p WHERE p.pubname "
		 "OPERATOR(pg_catalog.=) %s", lit);
	/* publish_via_partition_root reports a partition's changes as its root's: a read of the
	 * partition itself would not be bumped */
	snprintf(sql, sizeof(sql),
		 "SELECT puballtables AND pubinsert AND pubupdate AND pubdelete AND pubtruncate%s, "
		 "(%s) FROM pg_publication WHERE pubname = %s",
		 PQserverVersion(pr->repl) >= 130000 ? " AND NOT pubviaroot" : "", pr->pub_q, lit);
	PQfreemem(lit);
	PGresult *r = exec_want(pr->repl, sql, PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL)
		return cap_fw_fail(fw, "reading pg_publication: %s", err);
	int have = PQntuples(r) == 1, full = have && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (have)
		snprintf(pr->pub_stamp, sizeof(pr->pub_stamp), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	if (have && !full)
		return cap_fw_fail(fw, "publication %s is not FOR ALL TABLES publishing insert, "
				   "update, delete, truncate, not via partition root: writes would be "
				   "missed", want);
	if (!have && fw->publication)
		return cap_fw_fail(fw, "publication %s does not exist", want);
	if (!have && !fw->create_publication) {
		pub[0] = '\0';
		return 0;
	}
	if (!have) {
		r = exec_want(pr->repl, "CREATE PUBLICATION " PUB_DEFAULT " FOR ALL TABLES",
			      PGRES_COMMAND_OK, err, sizeof(err));
		if (r == NULL) {
			cap_fw_log("cannot create publication " PUB_DEFAULT " (%s); using test_decoding",
				   err);
			pub[0] = '\0';
			return 0;
		}
		PQclear(r);
		cap_fw_log("created publication " PUB_DEFAULT " FOR ALL TABLES");
		r = exec_want(pr->repl, pr->pub_q, PGRES_TUPLES_OK, err, sizeof(err));
		if (r == NULL || PQntuples(r) != 1) {
			cap_fw_fail(fw, "reading pg_publication: %s", r ? "no row" : err);
			PQclear(r);
			return -1;
		}
		snprintf(pr->pub_stamp, sizeof(pr->pub_stamp), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	snprintf(pub, cap, "%s", want);
	return 0;
}

static void ensure_ddl_trigger(pg_run *pr)
{
	char err[256];
	PGresult *r = exec_want(pr->repl, "SELECT 1 FROM pg_event_trigger WHERE evtname = '"
				DDL_TRIGGER "' AND evtenabled <> 'D'", PGRES_TUPLES_OK, err,
				sizeof(err));
	int have = r && PQntuples(r) > 0;
	PQclear(r);
	if (have)
		return;
	r = exec_want(pr->repl,
		      "CREATE OR REPLACE FUNCTION public." DDL_TRIGGER "() RETURNS event_trigger "
		      "LANGUAGE plpgsql AS $$BEGIN PERFORM pg_logical_emit_message(true, '"
		      MSG_PREFIX "', tg_tag); END$$;"
		      "CREATE EVENT TRIGGER " DDL_TRIGGER " ON ddl_command_end "
		      "EXECUTE FUNCTION public." DDL_TRIGGER "()",
		      PGRES_COMMAND_OK, err, sizeof(err));
	if (r == NULL) {
		cap_fw_log("WARNING: cannot install event trigger " DDL_TRIGGER " (%s): DDL that "
			   "changes no rows (RENAME, DROP, ALTER) is not seen; a superuser can "
			   "install it with `capacitor follow --check` instructions", err);
		return;
	}
	PQclear(r);
	cap_fw_log("installed event trigger " DDL_TRIGGER);
}

int cap_fw_pg_run(cap_fw *fw)
{
	pg_run pr;
	memset(&pr, 0, sizeof(pr));
	pr.fw = fw;
	pr.probes = -1;
	int rc = -1;
	char err[256], pub[128], slot[64], sql[512], pos[32];
	pr.repl = connect_uri(fw->uri, 1);
	if (PQstatus(pr.repl) != CONNECTION_OK) {
		cap_fw_fail(fw, "connect: %s", PQerrorMessage(pr.repl));
		goto out;
	}
	PGresult *r = exec_want(pr.repl, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL || PQntuples(r) < 1 || PQnfields(r) < 4) {
		cap_fw_fail(fw, "IDENTIFY_SYSTEM: %s", r ? "unexpected answer" : err);
		PQclear(r);
		goto out;
	}
	char sysid[64];
	snprintf(sysid, sizeof(sysid), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	/* sessions match on the database's oid and the server's start, as the library reads
	 * them (hooks/pq.c): a copy of the cluster shares its system_identifier and oids */
	r = exec_want(pr.repl, "SELECT d.oid, d.datname, " CAP_FOLLOW_PG_START_SQL
		      " FROM pg_catalog.pg_database d WHERE "
		      "d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()",
		      PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL || PQntuples(r) != 1 || PQnfields(r) != 3 || PQgetisnull(r, 0, 2)) {
		cap_fw_log("WARNING: cannot read the database's oid (%s): programs with "
			   "CAPACITOR_FOLLOW cannot match this follower (it still invalidates)",
			   r ? "unexpected answer" : err);
		cap_fw_identity(fw, "postgresql", sysid, "", NULL, "");
	} else {
		char server[160];
		snprintf(server, sizeof(server), CAP_FOLLOW_PG_SERVER_FMT, sysid,
			 PQgetvalue(r, 0, 2));
		cap_fw_identity(fw, "postgresql", sysid, PQgetvalue(r, 0, 1), server,
				PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	if (choose_output(&pr, pub, sizeof(pub)) < 0)
		goto out;
	pr.use_pgoutput = pub[0] != '\0';
	ensure_ddl_trigger(&pr);

	snprintf(slot, sizeof(slot), "capacitor_%ld_%08x", (long)getpid(),
		 (unsigned)(cap_precise_ns() & 0xffffffffu));
	snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT %s TEMPORARY LOGICAL %s NOEXPORT_SNAPSHOT",
		 slot, pr.use_pgoutput ? "pgoutput" : "test_decoding");
	r = exec_want(pr.repl, sql, PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL || PQntuples(r) < 1 || PQnfields(r) < 2) {
		cap_fw_fail(fw, "CREATE_REPLICATION_SLOT: %s", r ? "unexpected answer" : err);
		PQclear(r);
		goto out;
	}
	snprintf(pos, sizeof(pos), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	/* The slot sees every transaction that commits from here on; everything before it is
	 * covered by this bump. A publication changed since it was chosen may hide some. */
	if (pr.use_pgoutput) {
		r = exec_want(pr.repl, pr.pub_q, PGRES_TUPLES_OK, err, sizeof(err));
		int same = r && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), pr.pub_stamp) == 0;
		PQclear(r);
		if (!same) {
			cap_fw_fail(fw, "publication %s changed while connecting", pub);
			goto out;
		}
	}
	cap_fw_bump_all(fw, "connected");

	if (pr.use_pgoutput) {
		char *ident = PQescapeIdentifier(pr.repl, pub, strlen(pub));
		if (ident == NULL) {
			cap_fw_fail(fw, "PQescapeIdentifier: %s", PQerrorMessage(pr.repl));
			goto out;
		}
		int v14 = PQserverVersion(pr.repl) >= 140000;
		/* publication_names is a list of identifiers inside a string literal */
		char names[300], *o = names;
		for (const char *s = ident; *s && o < names + sizeof(names) - 2; s++) {
			if (*s == '\'')
				*o++ = '\'';
			*o++ = *s;
		}
		*o = '\0';
		PQfreemem(ident);
		snprintf(sql, sizeof(sql),
			 "START_REPLICATION SLOT %s LOGICAL 0/0 (proto_version '%s'%s, "
			 "publication_names '%s')",
			 slot, v14 ? "2" : "1", v14 ? ", streaming 'on', messages 'true'" : "", names);
	} else {
		snprintf(sql, sizeof(sql),
			 "START_REPLICATION SLOT %s LOGICAL 0/0 (\"include-xids\" '0', "
			 "\"skip-empty-xacts\" '1'%s)", slot,
			 PQserverVersion(pr.repl) >= 140000 ? ", \"stream-changes\" '1'" : "");
	}
	r = PQexec(pr.repl, sql);
	if (PQresultStatus(r) != PGRES_COPY_BOTH) {
		snprintf(err, sizeof(err), "%s", PQresultErrorMessage(r));
		cap_fw_fail(fw, "START_REPLICATION: %s", err);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	PQsetnonblocking(pr.repl, 1);
	cap_fw_streaming(fw, pos);
	rc = stream(&pr);
out:
	PQfinish(pr.repl);
	if (pr.meta)
		PQfinish(pr.meta);
	forget_all_ancestors(&pr);
	rels_free(&pr);
	return rc;
}

/* ------------------------------------------------------------------ --check */

int cap_fw_pg_check(const char *uri, const char *publication)
{
	int problems = 0;
	PGconn *c = connect_uri(uri, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		printf("cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return CAP_EXIT_FAIL;
	}
	PGresult *r = PQexec(c, "SELECT current_setting('wal_level'), "
				"current_setting('max_replication_slots')::int, "
				"current_setting('max_wal_senders')::int, "
				"(SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user), "
				"(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), current_user, "
				"current_database(), "
				"(SELECT count(*) FROM pg_event_trigger WHERE evtname = '" DDL_TRIGGER "'), "
				"(SELECT count(*) FROM pg_publication WHERE pubname = '" PUB_DEFAULT "')");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("cannot read the settings: %s", PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
		return CAP_EXIT_FAIL;
	}
	const char *wal = PQgetvalue(r, 0, 0), *user = PQgetvalue(r, 0, 5);
	int slots = atoi(PQgetvalue(r, 0, 1)), senders = atoi(PQgetvalue(r, 0, 2));
	int repl = strcmp(PQgetvalue(r, 0, 3), "t") == 0, super = strcmp(PQgetvalue(r, 0, 4), "t") == 0;
	int trig = atoi(PQgetvalue(r, 0, 7)), pubs = atoi(PQgetvalue(r, 0, 8));
	printf("PostgreSQL %d, database %s, user %s\n", PQserverVersion(c), PQgetvalue(r, 0, 6), user);
	if (strcmp(wal, "logical") != 0) {
		problems++;
		printf("PROBLEM: wal_level is %s; logical decoding needs logical.\n"
		       "  fix: ALTER SYSTEM SET wal_level = logical; then restart the server\n", wal);
	}
	if (slots < 1 || senders < 1) {
		problems++;
		printf("PROBLEM: max_replication_slots = %d, max_wal_senders = %d; each follower needs "
		       "one of each.\n  fix: ALTER SYSTEM SET max_replication_slots = 10; ALTER SYSTEM "
		       "SET max_wal_senders = 10; then restart\n", slots, senders);
	}
	if (!repl) {
		problems++;
		printf("PROBLEM: role %s lacks the REPLICATION attribute.\n"
		       "  fix: ALTER ROLE %s REPLICATION;\n", user, user);
	}
	if (publication == NULL && pubs == 0)
		printf("note: no publication " PUB_DEFAULT ": the follower uses test_decoding (fine).\n"
		       "  pgoutput is used with CREATE PUBLICATION " PUB_DEFAULT " FOR ALL TABLES;\n"
		       "  but then UPDATE and DELETE fail on tables without a primary key or replica "
		       "identity.\n");
	if (trig == 0 && !super) {
		problems++;
		printf("PROBLEM: event trigger " DDL_TRIGGER " is missing and %s cannot install it: "
		       "DDL that changes no rows\n  (RENAME, DROP, ALTER) would not be seen.\n"
		       "  fix (as a superuser, in database %s):\n"
		       "    CREATE FUNCTION public." DDL_TRIGGER "() RETURNS event_trigger LANGUAGE "
		       "plpgsql AS\n      $$BEGIN PERFORM pg_logical_emit_message(true, '" MSG_PREFIX
		       "', tg_tag); END$$;\n"
		       "    CREATE EVENT TRIGGER " DDL_TRIGGER " ON ddl_command_end EXECUTE FUNCTION "
		       "public." DDL_TRIGGER "();\n", user, PQgetvalue(r, 0, 6));
	}
	PQclear(r);
	PQfinish(c);
	if (problems == 0) {
		PGconn *rc = connect_uri(uri, 1);
		if (PQstatus(rc) != CONNECTION_OK) {
			problems++;
			printf("PROBLEM: a replication connection is refused: %s"
			       "  fix: allow it in pg_hba.conf (a line for database `replication` does "
			       "not cover logical;\n  the database's own lines do), then SELECT "
			       "pg_reload_conf();\n", PQerrorMessage(rc));
		}
		PQfinish(rc);
	}
	if (problems == 0)
		printf("ok: this server can be followed\n");
	return problems ? CAP_EXIT_FAIL : CAP_EXIT_OK;
}

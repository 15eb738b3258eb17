/*
 * follow_pg_proto.c - the replication protocol of the PostgreSQL reader: each CopyData message
 * of the stream (XLogData carrying pgoutput messages or test_decoding lines, keepalives) turned
 * into bumps, and the standby status updates we send back. Apart from the run (follow_pg.c)
 * because it is the one part that parses bytes from the network: every read is bounds-checked
 * (rd below) and a message we cannot read ends the run or bumps everything, never less.
 *
 * Bump rules (follow_pg.c says why): a change bumps its relation and its ancestors at once,
 * and every relation of the transaction again at COMMIT; streamed in-progress transactions
 * bump as they stream and again at their stream commit; a relation that changed shape, a
 * DDL message, an unknown relation or message, or too many tables bump everything.
 */
#include "tools/follow_pg_int.h"
#include "cache/cap.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* seconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01 */
#define PG_EPOCH_OFFSET_S 946684800ll

/* ------------------------------------------------------------------ helpers */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

void cap_fwpg_lsn_str(uint64_t lsn, char *out, size_t cap)
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

void cap_fwpg_rels_free(pg_run *pr)
{
	for (size_t i = 0; i < pr->nrels; i++) {
		rel_forget_anc(&pr->rels[i]);
		free(pr->rels[i].name);
	}
	free(pr->rels);
	pr->rels = NULL;
	pr->nrels = pr->caprels = 0;
}

/* bump_rel - bump a relation and its ancestors. */
static void bump_rel(pg_run *pr, rel *r)
{
	if (!r->anc_known) {
		char what[16];
		snprintf(what, sizeof(what), "%u", r->oid);
		if (cap_fwpg_ancestors(pr, what, &r->anc, &r->nanc) < 0) {
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

void cap_fwpg_forget_ancestors(pg_run *pr)
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
	cap_fwpg_forget_ancestors(pr);
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
		if (cap_fwpg_ancestors(pr, lit, &anc, &nanc) < 0) {
			cap_fw_bump_all(pr->fw, "ancestors of a relation could not be looked up");
			return;
		}
		if (pr->ntdanc == TXN_MAX || strlen(qualified) >= sizeof(pr->tdanc[0].name))
			cap_fwpg_forget_ancestors(pr);
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

static void td_bump_cb(void *ctx, const char *qualified)
{
	td_bump_name(ctx, qualified);
}

static void td_line(pg_run *pr, const char *s, size_t n)
{
	char line[512];
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, s, n);
	line[n] = '\0';
	if (strncmp(line, "BEGIN", 5) == 0) {
		cap_fw_txn_begin(&pr->td);
	} else if (strncmp(line, "COMMIT", 6) == 0) {
		cap_fw_txn_end(pr->fw, &pr->td, td_bump_cb, pr);
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
		if (cap_fw_txn_add(&pr->td, name))
			td_bump_name(pr, name);
	} else if (strncmp(line, "message:", 8) == 0) {
		if (strstr(line, "prefix: " MSG_PREFIX ","))
			ddl(pr);
	} else if (strncmp(line, "opening a streamed block", 24) == 0 ||
		   strncmp(line, "committing streamed", 19) == 0) {
		/* a large transaction streamed while in progress: its lines name no tables */
		cap_fw_event(pr->fw);
		cap_fwpg_forget_ancestors(pr);
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

int cap_fwpg_status(pg_run *pr, int reply)
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
	return pr->txn.n > 0 || pr->nstream_xids > 0 || pr->td.n > 0;
}

int cap_fwpg_copy(pg_run *pr, const unsigned char *buf, int len)
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
		cap_fwpg_lsn_str(pr->received, pos, sizeof(pos));
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
		cap_fwpg_lsn_str(pr->received, pos, sizeof(pos));
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
		return reply ? cap_fwpg_status(pr, 0) : 0;
	}
	cap_fw_bump_all(pr->fw, "unknown replication message");
	return 0;
}

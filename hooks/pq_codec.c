/*
 * pq_codec.c - PGresult <-> neutral bytes (format in pq_codec.h).
 *
 * Decoding is on the hit path: it reads the value once, front to back, with bounds-checked
 * reads, and makes only the allocations libpq itself makes for a result of that shape.
 */
#include "hooks/pq_codec.h"
#include "hooks/pq_real.h"
#include "cache/cap.h"

#include <malloc.h>
#include <string.h>

#define PQ_MAGIC 0x31515043u /* "CPQ1" */
#define CMDSTATUS_MAX 64      /* libpq's CMDSTATUS_LEN */

/* Offset of cmdStatus inside a PGresult: CMDSTATUS_UNKNOWN until a probe result could be
 * made, -1 when the layout is not the one expected. Not a pthread_once: a probe that finds no
 * memory must leave the question open for a later hit, or one failed allocation would turn
 * hits off for the life of the process. Threads that probe at once store the same answer. */
#define CMDSTATUS_UNKNOWN (-2L)
static long cmdstatus_off = CMDSTATUS_UNKNOWN;

static long cmdstatus_offset(void)
{
	long off = __atomic_load_n(&cmdstatus_off, __ATOMIC_ACQUIRE);
	if (CAP_LIKELY(off != CMDSTATUS_UNKNOWN))
		return off;
	PGresult *r = cap_pq.real_PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	if (r == NULL)
		return -1; /* no memory: this hit passes through, the next one asks again */
	char *p = cap_pq.real_PQcmdStatus(r);
	off = p ? (long)(p - (char *)r) : -1;
	size_t size = malloc_usable_size(r);
	if (!(off > 0 && (size_t)off + CMDSTATUS_MAX <= size && p[0] == '\0'))
		off = -1;
	cap_pq.real_PQclear(r);
	__atomic_store_n(&cmdstatus_off, off, __ATOMIC_RELEASE);
	return off;
}

int cap_pq_encode(const PGresult *res, cap_buf *b)
{
	const char *cs = cap_pq.real_PQcmdStatus((PGresult *)res);
	int nf = cap_pq.real_PQnfields(res), nt = cap_pq.real_PQntuples(res);
	/* libpq cannot build tuples without fields (SELECT FROM t): such results are not cached */
	if (cap_pq.real_PQresultStatus(res) != PGRES_TUPLES_OK || nf < 0 || nt < 0 || (nf == 0 && nt))
		return CAP_EINVAL;
	cap_buf_u32(b, PQ_MAGIC);
	cap_buf_str(b, cs ? cs : "", cs ? strlen(cs) : 0);
	cap_buf_u32(b, (uint32_t)nf);
	cap_buf_u32(b, (uint32_t)nt);
	for (int f = 0; f < nf; f++) {
		const char *name = cap_pq.real_PQfname(res, f);
		cap_buf_str(b, name ? name : "", name ? strlen(name) + 1 : 1);
		cap_buf_u32(b, (uint32_t)cap_pq.real_PQftable(res, f));
		cap_buf_u32(b, (uint32_t)cap_pq.real_PQftablecol(res, f));
		cap_buf_u32(b, (uint32_t)cap_pq.real_PQfformat(res, f));
		cap_buf_u32(b, (uint32_t)cap_pq.real_PQftype(res, f));
		cap_buf_u32(b, (uint32_t)cap_pq.real_PQfsize(res, f));
		cap_buf_u32(b, (uint32_t)cap_pq.real_PQfmod(res, f));
	}
	for (int t = 0; t < nt && !b->err; t++)
		for (int f = 0; f < nf; f++) {
			if (cap_pq.real_PQgetisnull(res, t, f))
				cap_buf_str(b, NULL, 0);
			else
				cap_buf_str(b, cap_pq.real_PQgetvalue(res, t, f),
					    (size_t)cap_pq.real_PQgetlength(res, t, f));
		}
	return b->err;
}

int cap_pq_rows(const void *val, size_t len)
{
	cap_rd r;
	const char *s;
	uint32_t n;
	cap_rd_init(&r, val, len);
	if (cap_rd_u32(&r) != PQ_MAGIC || cap_rd_str(&r, &s, &n) != 0)
		return -1;
	(void)cap_rd_u32(&r);
	uint32_t nt = cap_rd_u32(&r);
	return r.err || nt > 0x7fffffffu ? -1 : (int)nt;
}

PGresult *cap_pq_decode(PGconn *conn, const void *val, size_t len, ExecStatusType status,
			int first, int count)
{
	long cs_off = cmdstatus_offset();
	if (cs_off < 0)
		return NULL;
	cap_rd r;
	const char *cs;
	uint32_t csn;
	cap_rd_init(&r, val, len);
	if (cap_rd_u32(&r) != PQ_MAGIC || cap_rd_str(&r, &cs, &csn) != 0 || csn >= CMDSTATUS_MAX)
		return NULL;
	uint32_t nf = cap_rd_u32(&r), nt = cap_rd_u32(&r);
	if (r.err || nf > 1664 /* MaxTupleAttributeNumber */ || nt > 0x7fffffffu)
		return NULL;
	if (first < 0 || (uint32_t)first > nt)
		return NULL;
	uint32_t last = count < 0 ? nt : (uint32_t)first + (uint32_t)count;
	if (last > nt)
		return NULL;

	PGresAttDesc stack_attrs[32];
	PGresAttDesc *attrs = nf <= 32 ? stack_attrs : malloc(nf * sizeof(PGresAttDesc));
	if (attrs == NULL)
		return NULL;
	PGresult *res = NULL;
	for (uint32_t f = 0; f < nf; f++) {
		const char *name;
		uint32_t nn;
		if (cap_rd_str(&r, &name, &nn) != 0 || nn == 0 || name[nn - 1] != '\0')
			goto out;
		attrs[f].name = (char *)name;
		attrs[f].tableid = (Oid)cap_rd_u32(&r);
		attrs[f].columnid = (int)cap_rd_u32(&r);
		attrs[f].format = (int)cap_rd_u32(&r);
		attrs[f].typid = (Oid)cap_rd_u32(&r);
		attrs[f].typlen = (int)cap_rd_u32(&r);
		attrs[f].atttypmod = (int)cap_rd_u32(&r);
	}
	if (r.err)
		goto out;
	res = cap_pq.real_PQmakeEmptyPGresult(conn, status);
	if (res == NULL)
		goto out;
	if (nf && !cap_pq.real_PQsetResultAttrs(res, (int)nf, attrs))
		goto fail;
	if (status != PGRES_SINGLE_TUPLE) {
		memcpy((char *)res + cs_off, cs, csn);
		((char *)res)[cs_off + csn] = '\0';
	}
	for (uint32_t t = 0; t < last; t++) {
		for (uint32_t f = 0; f < nf; f++) {
			const char *v;
			uint32_t vn;
			int isnull = cap_rd_str(&r, &v, &vn);
			if (isnull < 0)
				goto fail;
			if (t < (uint32_t)first)
				continue;
			if (!cap_pq.real_PQsetvalue(res, (int)(t - (uint32_t)first), (int)f,
					       isnull ? NULL : (char *)(v ? v : ""),
					       isnull ? -1 : (int)vn))
				goto fail;
		}
		if (nf == 0 && t >= (uint32_t)first)
			goto fail; /* tuples without fields cannot be represented */
	}
	if (cap_pq.real_PQfireResultCreateEvents && !cap_pq.real_PQfireResultCreateEvents(conn, res))
		goto fail;
	goto out;
fail:
	cap_pq.real_PQclear(res);
	res = NULL;
out:
	if (attrs != stack_attrs)
		free(attrs);
	return res;
}

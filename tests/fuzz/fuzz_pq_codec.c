/*
 * fuzz_pq_codec.c - libFuzzer target for the libpq result decoder (hooks/pq_codec.c).
 *
 * A cached value comes back from the shared tier, which any process of the user can write: the
 * decoder must refuse whatever is not a value it wrote, never read past it and never build a
 * PGresult that libpq's own accessors or PQclear trip over.
 *
 * Input: byte 0 picks the status (bit 0: PGRES_SINGLE_TUPLE, else PGRES_TUPLES_OK), byte 1 the
 * first tuple, byte 2 the count (0xff: all); the rest is the value, copied to an exactly sized
 * heap block so that a read past its end is caught. Invariants besides ASan/UBSan:
 *  1. a decoded result has the shape the value announces: PQnfields as encoded, PQntuples the
 *     tuples asked for, every value readable through PQgetvalue/PQgetlength/PQgetisnull;
 *  2. cap_pq_rows agrees with the decoder on the tuple count;
 *  3. a whole PGRES_TUPLES_OK result encodes again, that encoding decodes, and encoding the
 *     second result gives the same bytes (decode and encode are inverse on what they accept).
 * The decoder calls libpq through cap_pq (hooks/pq_real.h), filled here from the linked libpq.
 */
#include "hooks/pq_codec.h"
#include "hooks/pq_real.h"
#include "cache/cap.h"

#include <libpq-events.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cap_pq_real cap_pq;

static void resolve(void)
{
	if (cap_pq.real_PQclear)
		return;
#define CAP_PQ_FILL(ret, name, args) cap_pq.real_##name = name;
	CAP_PQ_FUNCS(CAP_PQ_FILL)
#undef CAP_PQ_FILL
}

/* check_shape - invariant 1: every accessor answers inside the result. */
static void check_shape(PGresult *res, int nt)
{
	int nf = PQnfields(res);
	if (PQntuples(res) != nt || nf < 0)
		abort();
	volatile unsigned sink = 0;
	for (int f = 0; f < nf; f++) {
		const char *name = PQfname(res, f);
		if (name == NULL)
			abort();
		sink += (unsigned)strlen(name);
	}
	for (int t = 0; t < nt; t++)
		for (int f = 0; f < nf; f++) {
			const char *v = PQgetvalue(res, t, f);
			int len = PQgetlength(res, t, f);
			if (v == NULL || len < 0)
				abort();
			if (PQgetisnull(res, t, f)) {
				if (len != 0)
					abort();
				continue;
			}
			for (int i = 0; i < len; i++)
				sink += (unsigned char)v[i];
			if (v[len] != '\0') /* libpq terminates every value */
				abort();
		}
	(void)PQcmdStatus(res);
	(void)PQcmdTuples(res);
	(void)sink;
}

/* roundtrip - invariant 3 for a whole PGRES_TUPLES_OK result. */
static void roundtrip(const PGresult *res)
{
	cap_buf b1, b2;
	cap_buf_init(&b1, 0);
	cap_buf_init(&b2, 0);
	if (cap_pq_encode(res, &b1) != CAP_OK)
		abort();
	PGresult *again = cap_pq_decode(NULL, b1.data, b1.len, PGRES_TUPLES_OK, 0, -1);
	if (again == NULL)
		abort();
	if (cap_pq_encode(again, &b2) != CAP_OK || b1.len != b2.len ||
	    memcmp(b1.data, b2.data, b1.len) != 0)
		abort();
	PQclear(again);
	cap_buf_free(&b1);
	cap_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size > (1u << 20))
		return 0;
	resolve();
	ExecStatusType status = (data[0] & 1) ? PGRES_SINGLE_TUPLE : PGRES_TUPLES_OK;
	int first = data[1], count = data[2] == 0xff ? -1 : data[2];
	size_t len = size - 3;
	unsigned char *val = malloc(len ? len : 1);
	memcpy(val, data + 3, len);

	int rows = cap_pq_rows(val, len);
	PGresult *res = cap_pq_decode(NULL, val, len, status, first, count);
	if (res != NULL) {
		if (rows < 0 || first > rows)
			abort(); /* invariant 2 */
		int nt = count < 0 ? rows - first : count;
		check_shape(res, nt);
		if (status == PGRES_TUPLES_OK && first == 0 && count < 0)
			roundtrip(res);
		PQclear(res);
	}
	free(val);
	return 0;
}

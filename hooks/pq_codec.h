/*
 * pq_codec.h - the neutral cached form of a PGresult, and back.
 *
 * Encoded form (little-endian, see cache/buf.h):
 *   u32 magic "CPQ1" | str cmdStatus | u32 nfields | u32 ntuples
 *   per field: str name (with its NUL) | u32 tableid | u32 columnid | u32 format | u32 typid
 *              | u32 typlen | u32 atttypmod
 *   per tuple, per field: str value (NULL stored as NULL)
 * Only PGRES_TUPLES_OK results are encoded. Decoding builds a real PGresult with libpq's public
 * API (PQmakeEmptyPGresult, PQsetResultAttrs, PQsetvalue), so PQclear frees it and every
 * accessor answers as for the server's result. libpq has no setter for the command status
 * ("SELECT 3"), which PQcmdStatus and PQcmdTuples read from an array inside the PGresult: its
 * offset is found once at run time and checked against the allocation's size; if the check
 * fails the codec refuses to decode and the hooks pass every query through.
 */
#ifndef CAP_PQ_CODEC_H
#define CAP_PQ_CODEC_H

#include "cache/buf.h"

#include <libpq-fe.h>

/* cap_pq_encode - append res to b (which has the size limit). CAP_OK or a CAP_* code. */
int cap_pq_encode(const PGresult *res, cap_buf *b);

/* cap_pq_rows - the tuple count of an encoded value, or -1 if it is malformed. */
int cap_pq_rows(const void *val, size_t len);

/* cap_pq_decode - a new PGresult for conn with the given status holding tuples
 * [first, first + count) of the value (count < 0: all); NULL on a malformed value or no
 * memory. PGRES_SINGLE_TUPLE results carry no command status, as libpq's own. */
PGresult *cap_pq_decode(PGconn *conn, const void *val, size_t len, ExecStatusType status,
			int first, int count);

#endif

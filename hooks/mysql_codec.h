/*
 * mysql_codec.h - the neutral cached form of a buffered MYSQL_RES, and back.
 *
 * Encoded form (little-endian, see cache/buf.h):
 *   u32 magic "CMY2" | u32 nfields | u64 nrows | u64 value_bytes (sum of len + 1 over the
 *   non-NULL values)
 *   per field: str name | str org_name | str table | str org_table | str db | str catalog |
 *              str def (may be NULL) | u64 length | u64 max_length | u32 flags | u32 decimals
 *              | u32 charsetnr | u32 type | str data type name | str format name (MariaDB's
 *              extended metadata, mariadb_field_attr; NULL when absent)
 *   per row, per field: str value (NULL stored as NULL; any bytes, zeros included)
 *
 * Decoding builds a MYSQL_RES laid out exactly as Connector/C's mysql_store_result leaves
 * one (mysql.h makes MYSQL_RES, MYSQL_DATA, MYSQL_ROWS and MA_MEM_ROOT public): the result
 * and its MYSQL_DATA come from calloc, the fields and the rows each live in one block chained
 * as the only "used" block of a memory root, each row's values are NUL-terminated and
 * contiguous with an end pointer after the last one. So the library's own mysql_free_result
 * (free + ma_free_root) releases it, and mysql_fetch_row, mysql_fetch_lengths (which derives
 * lengths from the pointer gaps), mysql_data_seek, mysql_row_seek/tell, mysql_fetch_field*,
 * mysql_num_rows and mysql_eof all answer as for the server's result.
 *
 * Prepared statements (binary protocol) are cached in their own form, "CMS1":
 *   u32 magic "CMS1" | u32 nfields | u64 nrows | u64 row_bytes (sum of the row lengths)
 *   per field: u32 type | u32 flags | u32 decimals | u32 charsetnr | u64 length |
 *              u64 max_length  (what mysql_stmt_execute copies from the execute's metadata)
 *   per row: str packet (the binary row exactly as the server sent it and
 *            mysql_stmt_store_result keeps it: 0x00, NULL bitmap, values)
 * Every row is checked against the field types (NULL bitmap size, fixed widths, length-
 * encoded values inside the packet) when it is encoded and again when it is decoded, so
 * Connector/C's own mysql_stmt_fetch, which decodes the rows into the program's buffers on a
 * hit, never reads outside a row.
 */
#ifndef CAP_MYSQL_CODEC_H
#define CAP_MYSQL_CODEC_H

#include "cache/buf.h"

#include <mysql.h>

/* cap_my_encode - append a buffered result (res->data set) to b, which carries the size
 * limit. The result's row cursor is not moved. CAP_OK or a CAP_* code. */
int cap_my_encode(const MYSQL_RES *res, cap_buf *b);

/* What the server's answer would weigh on the wire, for the client library's packet limit
 * (cap_my_wire_fits): the largest packet's payload (a row, or a column's metadata) and every
 * packet of the answer with its header. */
typedef struct cap_my_wire {
	uint64_t pkt_max;
	uint64_t total;
} cap_my_wire;

/* cap_my_wire_fits - would the client library read an answer of this weight on m as the
 * server sends it? A hit that would not fit is not served: the statement runs, and the
 * program gets what it gets without Capacitor ("Lost connection to server during query",
 * then "Server has gone away").
 *
 * The limit, L, is net.max_packet_size: the connection's MYSQL_OPT_MAX_ALLOWED_PACKET (or an
 * option file's max_allowed_packet) applied at connect, else the library's global (1 GB by
 * default). Two checks meet a packet of P bytes (measured on MariaDB 10.11 with Connector/C
 * 3.3: P = L is read when L is under 8 KB, not above):
 *  - the server: the client announces L at the handshake, and the server drops the
 *    connection rather than send a packet over it (P > L);
 *  - Connector/C (ma_net.c) reads each packet into net.buff, of net.max_packet bytes
 *    (net_buffer_length at connect, 8 KB, grown as packets need), and grows it only for a
 *    packet under L (P >= net.max_packet and P >= L fail). Compressed, the buffer also holds
 *    what is left of the answer: the whole answer is the bound there.
 * A packet that would have grown the buffer is served only 4 KB (IO_SIZE, the growth's
 * rounding) under L: the grown buffer then stays within L, so later packets meet the same
 * limits whether or not the hit grew it. Three loads and compares. */
static inline int cap_my_wire_fits(const MYSQL *m, uint64_t pkt_max, uint64_t total)
{
	uint64_t lim = m->net.max_packet_size;
	uint64_t need = m->net.compress ? total : pkt_max;
	return pkt_max <= lim && (need < m->net.max_packet || need + 4096 <= lim);
}

/* cap_my_decode - a new buffered MYSQL_RES holding the value, for mysql_free_result to free;
 * NULL on a malformed value or no memory. unbuffered: shape it as mysql_use_result returns
 * it (max_length 0, row_count 0 and eof 0 until the rows are read: see mysql_result.c).
 * *wire (when not NULL): the server's answer's weight (cap_my_wire). */
MYSQL_RES *cap_my_decode(const void *val, size_t len, int unbuffered, cap_my_wire *wire);

/* cap_my_fields - the field count of an encoded value (0 when malformed). */
unsigned cap_my_fields(const void *val, size_t len);

/* A decoded prepared-statement result: one malloc block (free() releases it). rows is a
 * MYSQL_ROWS chain laid out as mysql_stmt_store_result leaves stmt->result.data. */
typedef struct cap_my_sfield {
	uint32_t type, flags, decimals, charsetnr;
	uint64_t length, max_length;
} cap_my_sfield;

typedef struct cap_my_srows {
	uint32_t nf;
	uint64_t nrows;
	uint64_t row_max;   /* the largest row's packet payload */
	uint64_t row_total; /* every row packet with its header */
	cap_my_sfield *fields;
	MYSQL_ROWS *rows; /* NULL when nrows == 0 */
	MYSQL_ROWS *ucur; /* the hooks' cursor for a result read without being stored */
} cap_my_srows;

/* cap_my_stmt_encode - append st's stored result (after mysql_stmt_store_result: the
 * binary rows in st->result and the field metadata in st->fields) to b. CAP_OK, CAP_EINVAL
 * when a row or field type is not one this codec can prove safe, or b's error. */
int cap_my_stmt_encode(const MYSQL_STMT *st, cap_buf *b);

/* cap_my_stmt_decode - a new block holding the value; NULL when malformed or no memory. */
cap_my_srows *cap_my_stmt_decode(const void *val, size_t len);

/* cap_my_stmt_wire_total - the weight (cap_my_wire.total) of the binary answer that st's
 * execution would read with s's rows: its columns' metadata as st holds it and the rows. */
uint64_t cap_my_stmt_wire_total(const MYSQL_STMT *st, const cap_my_srows *s);

#endif

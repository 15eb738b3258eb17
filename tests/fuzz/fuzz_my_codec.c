/*
 * fuzz_my_codec.c - libFuzzer target for the MariaDB Connector/C result decoders
 * (hooks/mysql_codec.c): cap_my_decode ("CMY2", text protocol) and cap_my_stmt_decode ("CMS1",
 * prepared statements).
 *
 * A cached value comes back from the shared tier, which any process of the user can write: the
 * decoders must refuse whatever is not a value they wrote, and what they accept must be safe for
 * Connector/C's own functions, which read the result on a hit without further checks.
 *
 * Input: byte 0 bit 0 picks the decoder (1: statement rows), bit 1 the unbuffered shape of a
 * text result; the rest is the value, copied to an exactly sized heap block. Invariants besides
 * ASan/UBSan:
 *  text: mysql_num_fields/mysql_num_rows answer as encoded; every row read with mysql_fetch_row
 *        has mysql_fetch_lengths inside the row block and NUL-terminated values; the field
 *        metadata is readable with mysql_fetch_field; mysql_data_seek then reads the same first
 *        row; mysql_free_result releases it (LeakSanitizer checks). A buffered result encodes
 *        again to the input (the value-bytes word aside, which the decoder only bounds), and
 *        that encoding decodes and encodes to itself.
 *  statement rows: every row lies inside the decoded block and holds exactly its columns by a
 *        reference reading of the binary protocol (NULL bitmap, fixed widths, length-encoded
 *        values); re-encoding through a MYSQL_STMT built around the rows gives the input back.
 */
#include "hooks/mysql_codec.h"
#include "cache/cap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text_roundtrip(MYSQL_RES *res, const unsigned char *val, size_t len)
{
	cap_buf b1, b2;
	cap_buf_init(&b1, 0);
	cap_buf_init(&b2, 0);
	if (cap_my_encode(res, &b1) != CAP_OK || b1.len != len || len < 24)
		abort();
	/* bytes 16..24: the value-bytes word, which the decoder checks only as an upper bound */
	if (memcmp(b1.data, val, 16) != 0 || memcmp(b1.data + 24, val + 24, len - 24) != 0)
		abort();
	MYSQL_RES *again = cap_my_decode(b1.data, b1.len, 0, NULL);
	if (again == NULL || cap_my_encode(again, &b2) != CAP_OK || b2.len != b1.len ||
	    memcmp(b1.data, b2.data, b1.len) != 0)
		abort();
	mysql_free_result(again);
	cap_buf_free(&b1);
	cap_buf_free(&b2);
}

static void check_text(const unsigned char *val, size_t len, int unbuffered)
{
	MYSQL_RES *res = cap_my_decode(val, len, unbuffered, NULL);
	unsigned nf = cap_my_fields(val, len);
	if (res == NULL)
		return;
	if (mysql_num_fields(res) != nf || nf == 0)
		abort();
	volatile unsigned sink = 0;
	MYSQL_FIELD *f;
	while ((f = mysql_fetch_field(res)) != NULL) {
		if (f->name == NULL || strlen(f->name) > f->name_length)
			abort();
		sink += f->name_length + (f->def ? (unsigned)f->def_length : 0);
	}
	if (unbuffered) {
		/* the hooks hand these rows out themselves (mysql_result.c): walk them as stored */
		for (MYSQL_ROWS *r = res->data->data; r; r = r->next)
			for (unsigned i = 0; i < nf; i++)
				if (r->data[i])
					sink += (unsigned)strlen(r->data[i]);
		mysql_free_result(res);
		return;
	}
	uint64_t nrows = mysql_num_rows(res), seen = 0;
	MYSQL_ROW row, first = NULL;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (first == NULL)
			first = row;
		unsigned long *lens = mysql_fetch_lengths(res);
		if (lens == NULL)
			abort();
		for (unsigned i = 0; i < nf; i++) {
			if (row[i] == NULL) {
				if (lens[i] != 0)
					abort();
				continue;
			}
			for (unsigned long k = 0; k < lens[i]; k++)
				sink += (unsigned char)row[i][k];
			if (row[i][lens[i]] != '\0')
				abort();
		}
		seen++;
	}
	if (seen != nrows || !mysql_eof(res))
		abort();
	mysql_data_seek(res, 0);
	if (mysql_fetch_row(res) != first)
		abort();
	text_roundtrip(res, val, len);
	mysql_free_result(res);
	(void)sink;
}

/* Width of a binary-protocol value (the protocol's table, kept apart from the codec's): >= 0
 * fixed, -1 length-encoded. */
static int ref_width(uint32_t t)
{
	switch (t) {
	case MYSQL_TYPE_NULL: return 0;
	case MYSQL_TYPE_TINY: return 1;
	case MYSQL_TYPE_SHORT: case MYSQL_TYPE_YEAR: return 2;
	case MYSQL_TYPE_LONG: case MYSQL_TYPE_INT24: case MYSQL_TYPE_FLOAT: return 4;
	case MYSQL_TYPE_LONGLONG: case MYSQL_TYPE_DOUBLE: return 8;
	default: return -1;
	}
}

/* ref_row_ok - the row holds exactly nf values, each inside it. */
static int ref_row_ok(const unsigned char *p, size_t len, const cap_my_srows *s)
{
	size_t at = 1 + (s->nf + 9) / 8;
	if (len < at)
		return 0;
	for (uint32_t i = 0; i < s->nf; i++) {
		if (p[1 + (i + 2) / 8] >> ((i + 2) % 8) & 1)
			continue;
		int w = ref_width(s->fields[i].type);
		uint64_t n;
		if (w >= 0) {
			n = (uint64_t)w;
		} else {
			if (at >= len)
				return 0;
			unsigned c = p[at++];
			unsigned hl = c < 0xfb ? 0 : c == 0xfc ? 2 : c == 0xfd ? 3 : c == 0xfe ? 8 : 99;
			if (hl == 99 || len - at < hl)
				return 0;
			n = hl ? 0 : c;
			for (unsigned k = 0; k < hl; k++)
				n |= (uint64_t)p[at + k] << (8 * k);
			at += hl;
		}
		if (len - at < n)
			return 0;
		at += (size_t)n;
	}
	return at == len;
}

static void check_stmt(const unsigned char *val, size_t len)
{
	cap_my_srows *s = cap_my_stmt_decode(val, len);
	if (s == NULL)
		return;
	MYSQL_FIELD *fields = calloc(s->nf, sizeof(*fields));
	for (uint32_t i = 0; i < s->nf; i++) {
		fields[i].type = (enum enum_field_types)s->fields[i].type;
		fields[i].flags = s->fields[i].flags;
		fields[i].decimals = s->fields[i].decimals;
		fields[i].charsetnr = s->fields[i].charsetnr;
		fields[i].length = (unsigned long)s->fields[i].length;
		fields[i].max_length = (unsigned long)s->fields[i].max_length;
	}
	uint64_t n = 0;
	for (MYSQL_ROWS *r = s->rows; r; r = r->next, n++)
		if (!ref_row_ok((const unsigned char *)r->data, r->length, s))
			abort();
	if (n != s->nrows)
		abort();
	MYSQL_STMT *st = calloc(1, sizeof(*st));
	st->fields = fields;
	st->field_count = s->nf;
	st->result.data = s->rows;
	st->result.rows = s->nrows;
	cap_buf b;
	cap_buf_init(&b, 0);
	if (cap_my_stmt_encode(st, &b) != CAP_OK || b.len != len || memcmp(b.data, val, len) != 0)
		abort();
	cap_buf_free(&b);
	free(st);
	free(fields);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	size_t len = size - 1;
	unsigned char *val = malloc(len ? len : 1);
	memcpy(val, data + 1, len);
	if (data[0] & 1)
		check_stmt(val, len);
	else
		check_text(val, len, (data[0] & 2) != 0);
	free(val);
	return 0;
}

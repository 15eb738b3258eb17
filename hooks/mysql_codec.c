/*
 * mysql_codec.c - buffered MYSQL_RES <-> neutral bytes (format and layout in mysql_codec.h).
 *
 * Decoding is on the hit path: one front-to-back pass over the value with bounds-checked
 * reads and four allocations (result, MYSQL_DATA, field block, row block) whatever the row
 * count. The blocks carry Connector/C's MA_USED_MEM header so that ma_free_root, which only
 * walks the root's "used" and "free" chains and free()s each block, releases them.
 */
#include "hooks/mysql_codec.h"
#include "cache/cap.h"

#include <stdlib.h>
#include <string.h>

#define MY_MAGIC 0x32594d43u /* "CMY2" */
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)
#define BLOCK_HDR ALIGN8(sizeof(MA_USED_MEM))

/* MariaDB's extended column metadata (mariadb_field_attr: a data type name such as "uuid",
 * "inet6", "point", a format such as "json"), which Connector/C keeps behind field->extension
 * in its own layout (ma_common.h's MA_FIELD_EXTENSION, one string per attribute), allocated
 * in the result's field root as the rest of the field. Stored with each field, so that a hit
 * gives what the server's result gives. */
#define FIELD_ATTRS (MARIADB_FIELD_ATTR_LAST + 1)
typedef struct field_ext {
	MARIADB_CONST_STRING metadata[FIELD_ATTRS];
} field_ext;

/* Field strings in the order they are encoded. */
#define FIELD_STRS(X) X(name) X(org_name) X(table) X(org_table) X(db) X(catalog) X(def)

/* The length of column i of a stored row: the gap to the next non-NULL value's start (or
 * the end pointer row[nf]), less the terminator - as mysql_fetch_lengths computes it. */
static size_t col_len(MYSQL_ROW row, unsigned nf, unsigned i)
{
	for (unsigned j = i + 1; j <= nf; j++)
		if (row[j])
			return (size_t)(row[j] - row[i]) - 1;
	return 0;
}

/* The bytes of a length-encoded integer n in the protocol. */
static inline uint64_t lenenc_size(uint64_t n)
{
	return n < 251 ? 1 : n < 65536 ? 3 : n < 16777216 ? 4 : 9;
}

/* A column definition packet's payload past its six strings (length byte 0x0c, character
 * set, length, type, flags, decimals, filler), with room for MariaDB's extended metadata (a
 * type name or format such as "json", "inet6"). */
#define COLDEF_FIXED (13 + 64)
/* The column count packet, the EOF after the columns and the final EOF or OK, headers
 * included, with room for the OK's texts. */
#define ANSWER_FIXED (4 + 9 + 9 + 256)

/* Connector/C fills every string of a field but the default (def) from the server's metadata,
 * and programs print them without a NULL check: a value with one of them NULL is refused. */
#define FIELD_STRS_SET 6

static int field_strs_set(const MYSQL_FIELD *f)
{
	return f->name && f->org_name && f->table && f->org_table && f->db && f->catalog;
}

int cap_my_encode(const MYSQL_RES *res, cap_buf *b)
{
	if (res == NULL || res->data == NULL || res->field_count == 0 || res->fields == NULL)
		return CAP_EINVAL;
	unsigned nf = res->field_count;
	for (unsigned i = 0; i < nf; i++)
		if (!field_strs_set(&res->fields[i]))
			return CAP_EINVAL;
	uint64_t nrows = 0, bytes = 0;
	for (const MYSQL_ROWS *r = res->data->data; r; r = r->next) {
		nrows++;
		if (r->data == NULL)
			return CAP_EINVAL;
		for (unsigned i = 0; i < nf; i++)
			if (r->data[i])
				bytes += col_len(r->data, nf, i) + 1;
	}
	if (nrows != res->data->rows)
		return CAP_EINVAL;
	cap_buf_u32(b, MY_MAGIC);
	cap_buf_u32(b, nf);
	cap_buf_u64(b, nrows);
	cap_buf_u64(b, bytes);
	for (unsigned i = 0; i < nf; i++) {
		const MYSQL_FIELD *f = &res->fields[i];
#define PUT_STR(s) cap_buf_str(b, f->s, f->s ? f->s##_length : 0);
		FIELD_STRS(PUT_STR)
#undef PUT_STR
		cap_buf_u64(b, f->length);
		cap_buf_u64(b, f->max_length);
		cap_buf_u32(b, f->flags);
		cap_buf_u32(b, f->decimals);
		cap_buf_u32(b, f->charsetnr);
		cap_buf_u32(b, (uint32_t)f->type);
		const field_ext *x = f->extension;
		for (int k = 0; k < FIELD_ATTRS; k++)
			cap_buf_str(b, x && x->metadata[k].str ? x->metadata[k].str : NULL,
				    x && x->metadata[k].str ? x->metadata[k].length : 0);
	}
	for (const MYSQL_ROWS *r = res->data->data; r && !b->err; r = r->next)
		for (unsigned i = 0; i < nf; i++)
			cap_buf_str(b, r->data[i], r->data[i] ? col_len(r->data, nf, i) : 0);
	return b->err;
}

unsigned cap_my_fields(const void *val, size_t len)
{
	cap_rd rd;
	cap_rd_init(&rd, val, len);
	if (cap_rd_u32(&rd) != MY_MAGIC)
		return 0;
	uint32_t nf = cap_rd_u32(&rd);
	return rd.err ? 0 : nf;
}

/* A block for a memory root: header, then n bytes. */
static void *root_block(MA_MEM_ROOT *root, size_t n)
{
	MA_USED_MEM *blk = malloc(BLOCK_HDR + n);
	if (blk == NULL)
		return NULL;
	blk->next = NULL;
	blk->left = 0;
	blk->size = BLOCK_HDR + n;
	memset(root, 0, sizeof(*root));
	root->used = blk;
	root->min_malloc = 32;
	root->block_size = 8192;
	root->block_num = 4;
	return (char *)blk + BLOCK_HDR;
}

/* n bytes from s to d. A result's names and values are mostly a few bytes: up to 16 they are
 * moved by fixed-size (inlined) copies that overlap, not by a call to memcpy. */
static inline __attribute__((always_inline)) void copy_bytes(char *d, const char *s, uint32_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n > 0 && n < 4) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	} else if (n > 16) {
		memcpy(d, s, n);
	}
}

static inline __attribute__((always_inline)) char *copy_str(char **at, const char *s, uint32_t n)
{
	char *d = *at;
	copy_bytes(d, s, n);
	d[n] = '\0';
	*at = d + n + 1;
	return d;
}

/* Reads of bytes already read once through a cap_rd, which checked their bounds. */
static inline uint32_t trusted_u32(const unsigned char **p)
{
	uint32_t v;
	memcpy(&v, *p, 4);
	*p += 4;
	return v;
}

static inline uint64_t trusted_u64(const unsigned char **p)
{
	uint64_t v;
	memcpy(&v, *p, 8);
	*p += 8;
	return v;
}

MYSQL_RES *cap_my_decode(const void *val, size_t len, int unbuffered, cap_my_wire *wire)
{
	cap_rd rd;
	cap_rd_init(&rd, val, len);
	if (cap_rd_u32(&rd) != MY_MAGIC)
		return NULL;
	uint32_t nf = cap_rd_u32(&rd);
	uint64_t nrows = cap_rd_u64(&rd), bytes = cap_rd_u64(&rd);
	/* every row needs at least 4 bytes per field in the value: bounds the sizes below */
	if (rd.err || nf == 0 || nf > 65536 || nrows > len / (4 * (uint64_t)nf) || bytes > len)
		return NULL;

	/* fields: measure, then copy (the strings are read twice; field metadata is small) */
	const unsigned char *fstart = rd.p;
	size_t fbytes = nf * sizeof(MYSQL_FIELD);
	uint32_t nx = 0; /* fields with extended metadata */
	uint64_t pkt_max = 0, total = ANSWER_FIXED + lenenc_size(nf);
	for (uint32_t i = 0; i < nf; i++) {
		const char *s;
		uint32_t n;
		uint64_t def = COLDEF_FIXED;
		for (int k = 0; k < 7; k++) {
			int r = cap_rd_str(&rd, &s, &n);
			if (r < 0 || (r == 1 && k < FIELD_STRS_SET))
				return NULL;
			if (r == 0)
				fbytes += n + 1;
			if (k < FIELD_STRS_SET)
				def += lenenc_size(n) + n;
		}
		cap_rd_bytes(&rd, 8 + 8 + 4 * 4);
		int attrs = 0;
		for (int k = 0; k < FIELD_ATTRS; k++) {
			int r = cap_rd_str(&rd, &s, &n);
			if (r < 0)
				return NULL;
			if (r == 0) {
				fbytes += n + 1;
				attrs = 1;
			}
		}
		nx += (uint32_t)attrs;
		pkt_max = def > pkt_max ? def : pkt_max;
		total += def + 4;
	}
	if (rd.err)
		return NULL;
	fbytes += nx * sizeof(field_ext);

	MYSQL_RES *res = calloc(1, sizeof(MYSQL_RES) + sizeof(unsigned long) * nf);
	MYSQL_DATA *data = calloc(1, sizeof(MYSQL_DATA));
	if (res == NULL || data == NULL)
		goto fail;
	res->lengths = (unsigned long *)(res + 1);
	MYSQL_FIELD *fields = root_block(&res->field_alloc, fbytes);
	if (fields == NULL)
		goto fail;
	res->fields = fields;
	memset(fields, 0, nf * sizeof(MYSQL_FIELD));
	/* the extensions first (aligned: MYSQL_FIELD's size is a multiple of 8), then strings */
	field_ext *xp = (field_ext *)(fields + nf);
	char *sp = (char *)(xp + nx);
	/* the measuring pass read these bytes with every bound checked: read them again plainly */
	const unsigned char *fp = fstart;
	for (uint32_t i = 0; i < nf; i++) {
		MYSQL_FIELD *f = &fields[i];
		uint32_t n;
#define GET_STR(x)                                                     \
	if ((n = trusted_u32(&fp)) != 0xffffffffu) {                   \
		f->x = copy_str(&sp, (const char *)fp, n);             \
		f->x##_length = n;                                     \
		fp += n;                                               \
	}
		FIELD_STRS(GET_STR)
#undef GET_STR
		f->length = (unsigned long)trusted_u64(&fp);
		uint64_t max_length = trusted_u64(&fp);
		f->max_length = unbuffered ? 0 : (unsigned long)max_length;
		f->flags = trusted_u32(&fp);
		f->decimals = trusted_u32(&fp);
		f->charsetnr = trusted_u32(&fp);
		f->type = (enum enum_field_types)trusted_u32(&fp);
		field_ext *x = NULL;
		for (int k = 0; k < FIELD_ATTRS; k++) {
			if ((n = trusted_u32(&fp)) == 0xffffffffu)
				continue;
			if (x == NULL) {
				x = xp++;
				memset(x, 0, sizeof(*x));
				f->extension = x;
			}
			x->metadata[k].str = copy_str(&sp, (const char *)fp, n);
			x->metadata[k].length = n;
			fp += n;
		}
	}

	/* rows: MYSQL_ROWS array, then pointer arrays, then the values */
	size_t ptrs = (size_t)nrows * (nf + 1) * sizeof(char *);
	size_t rbytes = (size_t)nrows * sizeof(MYSQL_ROWS) + ptrs + (size_t)bytes;
	data->fields = nf;
	data->rows = nrows;
	res->data = data;
	if (nrows) {
		MYSQL_ROWS *rows = root_block(&data->alloc, rbytes);
		if (rows == NULL)
			goto fail;
		char **pp = (char **)(rows + nrows);
		char *vp = (char *)pp + ptrs, *vend = vp + bytes;
		for (uint64_t r = 0; r < nrows; r++) {
			MYSQL_ROWS *row = &rows[r];
			row->next = r + 1 < nrows ? &rows[r + 1] : NULL;
			row->data = pp;
			row->length = 0;
			uint64_t pkt = 0; /* NULL is one byte, a value its length and itself */
			for (uint32_t i = 0; i < nf; i++) {
				const char *s;
				uint32_t n;
				int k = cap_rd_str(&rd, &s, &n);
				if (k < 0 || (k == 0 && (size_t)(vend - vp) < (size_t)n + 1))
					goto fail;
				pp[i] = k ? NULL : copy_str(&vp, s, n);
				pkt += k ? 1 : lenenc_size(n) + n;
			}
			pkt_max = pkt > pkt_max ? pkt : pkt_max;
			total += pkt + 4;
			pp[nf] = vp; /* end of the last value, as mthd_my_read_rows leaves it */
			row->length = (unsigned long)(vp - (char *)pp);
			pp += nf + 1;
		}
		data->data = rows;
	}
	if (rd.err || rd.p != rd.end)
		goto fail;
	res->field_count = nf;
	res->data_cursor = data->data;
	res->row_count = unbuffered ? 0 : nrows;
	res->eof = unbuffered ? 0 : 1;
	if (wire) {
		wire->pkt_max = pkt_max;
		wire->total = total;
	}
	return res;
fail:
	if (data) {
		free(data->alloc.used);
		free(data);
	}
	if (res) {
		free(res->field_alloc.used);
		free(res);
	}
	return NULL;
}

/* ---- prepared statements: binary rows ------------------------------------------------------ */

#define MS_MAGIC 0x31534d43u /* "CMS1" */

/* Width of a non-NULL binary-protocol value of a column type: >= 0 fixed, -1 length-encoded,
 * -2 a type this codec does not accept (the statement is then not cached). The widths are
 * those of the binary protocol, which Connector/C's fetch functions follow. */
static int bin_width(uint32_t type)
{
	switch (type) {
	case MYSQL_TYPE_NULL:
		return 0;
	case MYSQL_TYPE_TINY:
		return 1;
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_YEAR:
		return 2;
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_FLOAT:
		return 4;
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_DOUBLE:
		return 8;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_BIT:
	case MYSQL_TYPE_JSON:
	case MYSQL_TYPE_ENUM:
	case MYSQL_TYPE_SET:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_GEOMETRY:
		return -1;
	default:
		return -2;
	}
}

/* Is the value length n one the temporal decoder reads entirely inside the value? */
static int temporal_len_ok(uint32_t type, uint64_t n)
{
	if (type == MYSQL_TYPE_TIME)
		return n == 0 || n == 8 || n == 12;
	if (type == MYSQL_TYPE_DATE || type == MYSQL_TYPE_DATETIME || type == MYSQL_TYPE_TIMESTAMP)
		return n == 0 || n == 4 || n == 7 || n == 11;
	return 1;
}

/* Does the binary row p[0..len) hold exactly nf values of the given types? */
static int bin_row_ok(const unsigned char *p, size_t len, uint32_t nf, const cap_my_sfield *f)
{
	size_t nullb = (nf + 9) / 8, pos = 1 + nullb;
	if (len < pos || p[0] != 0)
		return 0;
	for (uint32_t i = 0; i < nf; i++) {
		unsigned bit = i + 2;
		if (p[1 + bit / 8] & (1u << (bit % 8)))
			continue;
		int w = bin_width(f[i].type);
		if (w == -2)
			return 0;
		if (w >= 0) {
			if (len - pos < (size_t)w)
				return 0;
			pos += (size_t)w;
			continue;
		}
		if (pos >= len)
			return 0;
		unsigned c = p[pos];
		size_t hl;
		uint64_t n = 0;
		if (c < 251) {
			hl = 1;
			n = c;
		} else if (c == 252 || c == 253 || c == 254) {
			hl = c == 252 ? 3 : c == 253 ? 4 : 9;
			if (len - pos < hl)
				return 0;
			for (size_t k = hl - 1; k >= 1; k--)
				n = (n << 8) | p[pos + k];
		} else {
			return 0; /* 251 (NULL marker) or 255: never in a value */
		}
		if (!temporal_len_ok(f[i].type, n) || len - pos - hl < n)
			return 0;
		pos += hl + (size_t)n;
	}
	return pos == len;
}

int cap_my_stmt_encode(const MYSQL_STMT *st, cap_buf *b)
{
	if (st == NULL || st->field_count == 0 || st->fields == NULL || st->field_count > 65536)
		return CAP_EINVAL;
	uint32_t nf = st->field_count;
	cap_my_sfield fs[64], *f = fs;
	if (nf > 64 && (f = malloc(nf * sizeof(*f))) == NULL)
		return CAP_ENOMEM;
	int rc = CAP_OK;
	for (uint32_t i = 0; i < nf; i++) {
		const MYSQL_FIELD *sf = &st->fields[i];
		f[i].type = (uint32_t)sf->type;
		f[i].flags = sf->flags;
		f[i].decimals = sf->decimals;
		f[i].charsetnr = sf->charsetnr;
		f[i].length = sf->length;
		f[i].max_length = sf->max_length;
		if (bin_width(f[i].type) == -2)
			rc = CAP_EINVAL;
	}
	uint64_t nrows = 0, bytes = 0;
	for (const MYSQL_ROWS *r = st->result.data; r && rc == CAP_OK; r = r->next) {
		if (r->data == NULL || !bin_row_ok((const unsigned char *)r->data, r->length, nf, f))
			rc = CAP_EINVAL;
		nrows++;
		bytes += r->length;
	}
	if (rc == CAP_OK && nrows != st->result.rows)
		rc = CAP_EINVAL;
	if (rc == CAP_OK) {
		cap_buf_u32(b, MS_MAGIC);
		cap_buf_u32(b, nf);
		cap_buf_u64(b, nrows);
		cap_buf_u64(b, bytes);
		for (uint32_t i = 0; i < nf; i++) {
			cap_buf_u32(b, f[i].type);
			cap_buf_u32(b, f[i].flags);
			cap_buf_u32(b, f[i].decimals);
			cap_buf_u32(b, f[i].charsetnr);
			cap_buf_u64(b, f[i].length);
			cap_buf_u64(b, f[i].max_length);
		}
		for (const MYSQL_ROWS *r = st->result.data; r && !b->err; r = r->next)
			cap_buf_str(b, (const char *)r->data, r->length);
		rc = b->err;
	}
	if (f != fs)
		free(f);
	return rc;
}

cap_my_srows *cap_my_stmt_decode(const void *val, size_t len)
{
	cap_rd rd;
	cap_rd_init(&rd, val, len);
	if (cap_rd_u32(&rd) != MS_MAGIC)
		return NULL;
	uint32_t nf = cap_rd_u32(&rd);
	uint64_t nrows = cap_rd_u64(&rd), bytes = cap_rd_u64(&rd);
	/* each row takes at least 4 (length) + 2 (status byte, NULL bitmap) bytes */
	if (rd.err || nf == 0 || nf > 65536 || nrows > len / 6 || bytes > len)
		return NULL;
	size_t fsz = ALIGN8((size_t)nf * sizeof(cap_my_sfield));
	size_t rsz = (size_t)nrows * sizeof(MYSQL_ROWS);
	cap_my_srows *s = malloc(ALIGN8(sizeof(*s)) + fsz + rsz + (size_t)bytes);
	if (s == NULL)
		return NULL;
	s->nf = nf;
	s->nrows = nrows;
	s->fields = (cap_my_sfield *)((char *)s + ALIGN8(sizeof(*s)));
	MYSQL_ROWS *rows = (MYSQL_ROWS *)((char *)s->fields + fsz);
	unsigned char *dp = (unsigned char *)(rows + nrows), *dend = dp + bytes;
	s->rows = nrows ? rows : NULL;
	s->ucur = NULL;
	s->row_max = 0;
	s->row_total = 0;
	for (uint32_t i = 0; i < nf; i++) {
		cap_my_sfield *f = &s->fields[i];
		f->type = cap_rd_u32(&rd);
		f->flags = cap_rd_u32(&rd);
		f->decimals = cap_rd_u32(&rd);
		f->charsetnr = cap_rd_u32(&rd);
		f->length = cap_rd_u64(&rd);
		f->max_length = cap_rd_u64(&rd);
		if (bin_width(f->type) == -2)
			goto fail;
	}
	for (uint64_t r = 0; r < nrows; r++) {
		const char *p;
		uint32_t n;
		if (cap_rd_str(&rd, &p, &n) != 0 || (size_t)(dend - dp) < n ||
		    !bin_row_ok((const unsigned char *)p, n, nf, s->fields))
			goto fail;
		memcpy(dp, p, n);
		rows[r].next = r + 1 < nrows ? &rows[r + 1] : NULL;
		rows[r].data = (MYSQL_ROW)dp;
		rows[r].length = n;
		dp += n;
		s->row_max = n > s->row_max ? n : s->row_max;
		s->row_total += (uint64_t)n + 4;
	}
	if (rd.err || rd.p != rd.end || dp != dend)
		goto fail;
	return s;
fail:
	free(s);
	return NULL;
}

uint64_t cap_my_stmt_wire_total(const MYSQL_STMT *st, const cap_my_srows *s)
{
	uint64_t total = ANSWER_FIXED + lenenc_size(s->nf) + s->row_total;
	for (unsigned i = 0; st->fields && i < st->field_count; i++) {
		const MYSQL_FIELD *f = &st->fields[i];
		total += COLDEF_FIXED + 4 + lenenc_size(f->name_length) + f->name_length +
			 lenenc_size(f->org_name_length) + f->org_name_length +
			 lenenc_size(f->table_length) + f->table_length +
			 lenenc_size(f->org_table_length) + f->org_table_length +
			 lenenc_size(f->db_length) + f->db_length +
			 lenenc_size(f->catalog_length) + f->catalog_length;
	}
	return total;
}

/*
 * buf.h - a growable byte buffer for encoding, and a bounds-checked reader for decoding.
 *
 * The hooks encode a client library's result object into the neutral cached form with cap_buf
 * and decode it with cap_rd. Every read is checked against the end: a short or corrupt value
 * makes the reader fail (rd->err set, zeros returned), never read past the end. Integers are
 * stored little-endian at their natural width, unaligned.
 */
#ifndef CAP_BUF_H
#define CAP_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct cap_buf {
	unsigned char *data; /* owned; NULL until the first put */
	size_t len;
	size_t cap;
	size_t limit; /* puts past this many bytes fail with err = CAP_ETOOBIG (0 = no limit) */
	int err;      /* first error (CAP_ENOMEM or CAP_ETOOBIG); later puts are ignored */
} cap_buf;

/* cap_buf_init - an empty buffer that refuses to grow beyond limit bytes (0 = unlimited). */
void cap_buf_init(cap_buf *b, size_t limit);
/* cap_buf_free - releases the data; the buffer is empty and reusable afterwards. */
void cap_buf_free(cap_buf *b);
/* cap_buf_put_slow - growth, limit and error handling behind cap_buf_put. */
void cap_buf_put_slow(cap_buf *b, const void *p, size_t n);

/* cap_buf_put - append n bytes; the common case (room left, under the limit) is inline. */
static inline void cap_buf_put(cap_buf *b, const void *p, size_t n)
{
	if (__builtin_expect(b->err == 0 && n <= b->cap - b->len && n != 0 &&
				     (b->limit == 0 || b->len + n <= b->limit),
			     1)) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return;
	}
	cap_buf_put_slow(b, p, n);
}

static inline void cap_buf_u8(cap_buf *b, uint8_t v)
{
	cap_buf_put(b, &v, 1);
}

static inline void cap_buf_u32(cap_buf *b, uint32_t v)
{
	cap_buf_put(b, &v, 4);
}

static inline void cap_buf_u64(cap_buf *b, uint64_t v)
{
	cap_buf_put(b, &v, 8);
}
/* cap_buf_str - a u32 length then the bytes (no terminator); NULL is stored as length
 * 0xffffffff and read back as NULL. */
void cap_buf_str(cap_buf *b, const char *s, size_t n);

typedef struct cap_rd {
	const unsigned char *p;
	const unsigned char *end;
	int err; /* CAP_ECORRUPT after any short read */
} cap_rd;

static inline void cap_rd_init(cap_rd *r, const void *p, size_t n)
{
	r->p = (const unsigned char *)p;
	r->end = r->p + n;
	r->err = 0;
}

/* cap_rd_bytes - a pointer to the next n bytes inside the buffer, or NULL (err set). */
static inline const void *cap_rd_bytes(cap_rd *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = -3; /* CAP_ECORRUPT */
		return NULL;
	}
	const void *q = r->p;
	r->p += n;
	return q;
}

static inline uint8_t cap_rd_u8(cap_rd *r)
{
	const unsigned char *q = (const unsigned char *)cap_rd_bytes(r, 1);
	return q ? q[0] : 0;
}

static inline uint32_t cap_rd_u32(cap_rd *r)
{
	uint32_t v = 0;
	const void *q = cap_rd_bytes(r, 4);
	if (q)
		memcpy(&v, q, 4);
	return v;
}

static inline uint64_t cap_rd_u64(cap_rd *r)
{
	uint64_t v = 0;
	const void *q = cap_rd_bytes(r, 8);
	if (q)
		memcpy(&v, q, 8);
	return v;
}

/* cap_rd_str - a string written by cap_buf_str: *s points into the buffer (not terminated),
 * *n its length; returns 0, 1 for a stored NULL (*s = NULL), or -1 on error. */
static inline int cap_rd_str(cap_rd *r, const char **s, uint32_t *n)
{
	uint32_t len = cap_rd_u32(r);
	if (r->err)
		return -1;
	if (len == 0xffffffffu) {
		*s = NULL;
		*n = 0;
		return 1;
	}
	*s = (const char *)cap_rd_bytes(r, len);
	*n = len;
	return *s || len == 0 ? 0 : -1;
}

#endif

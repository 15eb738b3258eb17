/*
 * buf.c - the growable side of buf.h (reading is all inline there).
 *
 * Growth doubles, so encoding an n-byte result costs O(log n) reallocations; the limit lets the
 * caller stop encoding a result the moment it passes CAPACITOR_MAX_RESULT instead of building
 * it whole and throwing it away.
 */
#include "cache/buf.h"
#include "cache/cap.h"

#include <stdlib.h>

void cap_buf_init(cap_buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
	b->err = 0;
}

void cap_buf_free(cap_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void cap_buf_put_slow(cap_buf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	if (b->limit && (n > b->limit || b->len > b->limit - n)) {
		b->err = CAP_ETOOBIG;
		return;
	}
	if (b->cap - b->len < n) {
		size_t want = b->cap ? b->cap : 256;
		while (want - b->len < n) {
			if (want > SIZE_MAX / 2) {
				b->err = CAP_ENOMEM;
				return;
			}
			want *= 2;
		}
		unsigned char *d = realloc(b->data, want);
		if (d == NULL) {
			b->err = CAP_ENOMEM;
			return;
		}
		b->data = d;
		b->cap = want;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void cap_buf_str(cap_buf *b, const char *s, size_t n)
{
	if (s == NULL) {
		cap_buf_u32(b, 0xffffffffu);
		return;
	}
	if (n >= 0xffffffffu) {
		b->err = CAP_ETOOBIG;
		return;
	}
	cap_buf_u32(b, (uint32_t)n);
	cap_buf_put(b, s, n);
}

/*
 * key.c - cache key material and the XXH3 hashes (see key.h).
 *
 * What: the hooks append length-prefixed fields to a cap_keymat; cap_keymat_finish hashes the
 * whole material with XXH3-128. Each field is a u32 little-endian length and the bytes; a NULL
 * field is the length 0xffffffff with no bytes, so NULL and "" differ, and the prefix makes
 * ("ab","c") and ("a","bc") differ.
 *
 * Why: the engine files entries under the 128-bit hash but keeps the material and compares it on
 * a hit, so a collision costs a miss, never a wrong value. xxHash is compiled in
 * (XXH_INLINE_ALL) so the library has no DT_NEEDED on libxxhash.
 *
 * Invariants: k->p always points at k->cap bytes of storage (the caller's buffer or k->heap);
 * once k->err is set the material is frozen and unusable.
 *
 * Threads: a keymat belongs to one thread. The test-only hash override is a process-wide
 * pointer that tests set before using the engine.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/cap.h"
#include "cache/key.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

static cap_hash (*hash_override)(const void *p, size_t n);

void cap_key_set_hash_override(cap_hash (*fn)(const void *p, size_t n))
{
	__atomic_store_n(&hash_override, fn, __ATOMIC_RELEASE);
}

cap_hash cap_hash128(const void *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(p, n);
	cap_hash r = { h.low64, h.high64 };
	return r;
}

uint64_t cap_hash64(const void *p, size_t n, uint64_t seed)
{
	return XXH3_64bits_withSeed(p, n, seed);
}

void cap_keymat_init(cap_keymat *k, void *buf, size_t cap)
{
	k->p = buf;
	k->len = 0;
	k->cap = buf ? cap : 0;
	k->heap = NULL;
	k->err = 0;
}

static CAP_COLD int keymat_grow(cap_keymat *k, size_t need)
{
	size_t ncap = k->cap ? k->cap : 128;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			k->err = CAP_ENOMEM;
			return -1;
		}
		ncap *= 2;
	}
	unsigned char *n = realloc(k->heap, ncap);
	if (!n) {
		k->err = CAP_ENOMEM;
		return -1;
	}
	if (!k->heap && k->len)
		memcpy(n, k->p, k->len);
	k->heap = n;
	k->p = n;
	k->cap = ncap;
	return 0;
}

static inline void keymat_put(cap_keymat *k, const void *p, size_t n)
{
	if (CAP_UNLIKELY(k->err))
		return;
	if (CAP_UNLIKELY(n > k->cap - k->len) && keymat_grow(k, k->len + n) < 0)
		return;
	if (n)
		memcpy(k->p + k->len, p, n);
	k->len += n;
}

static inline void keymat_u32(cap_keymat *k, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	keymat_put(k, b, 4);
}

void cap_keymat_add(cap_keymat *k, const void *p, size_t n)
{
	if (n >= 0xffffffffu) {
		k->err = CAP_ETOOBIG;
		return;
	}
	keymat_u32(k, (uint32_t)n);
	keymat_put(k, p, n);
}

void cap_keymat_add_null(cap_keymat *k)
{
	keymat_u32(k, 0xffffffffu);
}

void cap_keymat_add_u64(cap_keymat *k, uint64_t v)
{
	/* what cap_keymat_add(k, v's 8 bytes little-endian, 8) appends, in one put of fixed size */
	unsigned char b[12] = { 8, 0, 0, 0 };
	uint64_t le = htole64(v);
	memcpy(b + 4, &le, 8);
	keymat_put(k, b, sizeof(b));
}

int cap_keymat_finish(cap_keymat *k, cap_key *out)
{
	if (k->err)
		return k->err;
	cap_hash (*ov)(const void *, size_t) = __atomic_load_n(&hash_override, __ATOMIC_ACQUIRE);
	out->hash = CAP_UNLIKELY(ov != NULL) ? ov(k->p, k->len) : cap_hash128(k->p, k->len);
	out->mat = k->p;
	out->len = k->len;
	return CAP_OK;
}

void cap_keymat_done(cap_keymat *k)
{
	free(k->heap);
	k->heap = NULL;
	k->p = NULL;
	k->len = k->cap = 0;
}

/* test_key.c - key material encoding, heap growth, hashing and the test hash override. */
#include "cache/cap.h"
#include "cache/key.h"

#include <criterion/criterion.h>
#include <string.h>

static cap_key fin(cap_keymat *k)
{
	cap_key out;
	cr_assert_eq(cap_keymat_finish(k, &out), CAP_OK);
	return out;
}

Test(key, fields_are_length_prefixed)
{
	unsigned char b1[64], b2[64];
	cap_keymat a, b;
	cap_keymat_init(&a, b1, sizeof(b1));
	cap_keymat_init(&b, b2, sizeof(b2));
	cap_keymat_add(&a, "ab", 2);
	cap_keymat_add(&a, "c", 1);
	cap_keymat_add(&b, "a", 1);
	cap_keymat_add(&b, "bc", 2);
	cap_key ka = fin(&a), kb = fin(&b);
	cr_assert_eq(ka.len, 11);
	cr_assert(ka.hash.lo != kb.hash.lo || ka.hash.hi != kb.hash.hi);
	cr_assert(memcmp(ka.mat, kb.mat, ka.len) != 0);
}

Test(key, null_differs_from_empty)
{
	cap_keymat a, b;
	cap_keymat_init(&a, NULL, 0);
	cap_keymat_init(&b, NULL, 0);
	cap_keymat_add_null(&a);
	cap_keymat_add(&b, NULL, 0);
	cap_key ka = fin(&a), kb = fin(&b);
	cr_assert(ka.hash.lo != kb.hash.lo);
	cap_keymat_done(&a);
	cap_keymat_done(&b);
}

Test(key, grows_to_heap_and_keeps_content)
{
	unsigned char buf[16];
	cap_keymat k;
	cap_keymat_init(&k, buf, sizeof(buf));
	cap_keymat_add_u64(&k, 0x0102030405060708ull);
	cr_assert_null(k.heap);
	char big[1000];
	memset(big, 'x', sizeof(big));
	cap_keymat_add(&k, big, sizeof(big));
	cr_assert_not_null(k.heap);
	cap_key key = fin(&k);
	cr_assert_eq(key.len, 12 + 4 + 1000);
	const unsigned char *p = key.mat;
	cr_assert_eq(p[0], 8);
	cr_assert_eq(p[4], 0x08);
	cr_assert_eq(p[11], 0x01);
	cap_hash h = cap_hash128(key.mat, key.len);
	cr_assert(h.lo == key.hash.lo && h.hi == key.hash.hi);
	cap_keymat_done(&k);
	cr_assert_null(k.heap);
}

static cap_hash zero_hash(const void *p, size_t n)
{
	(void)p;
	(void)n;
	cap_hash h = { 0, 0 };
	return h;
}

Test(key, override_and_hash64)
{
	cap_keymat k;
	cap_keymat_init(&k, NULL, 0);
	cap_keymat_add(&k, "x", 1);
	cap_key_set_hash_override(zero_hash);
	cap_key a = fin(&k);
	cap_key_set_hash_override(NULL);
	cap_key b = fin(&k);
	cr_assert(a.hash.lo == 0 && a.hash.hi == 0);
	cr_assert(b.hash.lo != 0 || b.hash.hi != 0);
	cr_assert_neq(cap_hash64("x", 1, 1), cap_hash64("x", 1, 2));
	cap_keymat_done(&k);
}

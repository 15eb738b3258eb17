/*
 * key.h - cache keys: full key material plus its XXH3-128 hash.
 *
 * The hooks append length-prefixed fields (server identity, database, user, session
 * fingerprint, statement text, parameter values/types/formats, result format) to a cap_keymat;
 * cap_keymat_finish hashes the material. The engine files an entry under the hash and keeps the
 * material beside it: a hit compares the full material, so two different keys whose hashes
 * collide can never serve each other's values.
 *
 * A keymat starts in a caller-provided buffer (normally on the stack) and moves to the heap
 * only when a key outgrows it, so a typical key costs no allocation.
 */
#ifndef CAP_KEY_H
#define CAP_KEY_H

#include <stddef.h>
#include <stdint.h>

typedef struct cap_hash {
	uint64_t lo;
	uint64_t hi;
} cap_hash;

typedef struct cap_keymat {
	unsigned char *p;   /* current storage: the caller's buffer or heap */
	size_t len;
	size_t cap;
	unsigned char *heap; /* non-NULL once moved to the heap; freed by cap_keymat_done */
	int err;             /* CAP_ENOMEM once an append failed; the key is then unusable */
} cap_keymat;

/* A key ready for lookup: hash + material (material owned by the keymat it came from). */
typedef struct cap_key {
	cap_hash hash;
	const void *mat;
	size_t len;
} cap_key;

/* cap_keymat_init - start empty key material in buf[cap] (caller-owned, may be NULL/0). */
void cap_keymat_init(cap_keymat *k, void *buf, size_t cap);
/* cap_keymat_add - append one field: a u32 length then n bytes. p may be NULL when n == 0.
 * A NULL field (e.g. a NULL parameter) is cap_keymat_add_null, distinct from an empty one. */
void cap_keymat_add(cap_keymat *k, const void *p, size_t n);
void cap_keymat_add_null(cap_keymat *k);
void cap_keymat_add_u64(cap_keymat *k, uint64_t v);
/* cap_keymat_finish - hash the material into *out (which points into k). CAP_OK or the error
 * an earlier append hit. */
int cap_keymat_finish(cap_keymat *k, cap_key *out);
/* cap_keymat_done - free any heap storage. */
void cap_keymat_done(cap_keymat *k);

/* cap_hash128 - XXH3-128 of a buffer (also used for identity and fingerprint hashes). */
cap_hash cap_hash128(const void *p, size_t n);
/* cap_hash64 - XXH3-64 of a buffer, seeded. */
uint64_t cap_hash64(const void *p, size_t n, uint64_t seed);

/* cap_key_set_hash_override - TESTS ONLY: make cap_keymat_finish hash with fn instead of
 * XXH3-128 (NULL restores it), e.g. to force two different keys onto one hash. */
void cap_key_set_hash_override(cap_hash (*fn)(const void *p, size_t n));

#endif

/*
 * rules_int.h - the compiled form of a rules file, shared by its parser (rules.c), which
 * builds it, and its matcher (rules_match.c), which reads it; private to those two (rules.h
 * is the interface, which both include first). Immutable once cap_rules_parse() returns:
 * readers need no locks.
 *
 * All text lives in one pool; segments and rule texts are offsets into it, so the whole set is
 * four allocations and a rule costs no pointer.
 */
#ifndef CAP_RULES_INT_H
#define CAP_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

enum rule_kind { RK_TTL = 0, RK_NEVER = 1, RK_SAFE = 2 };

typedef struct seg {
	uint32_t off, len; /* into pool */
} seg;

/* One pattern part. nseg == 0: the part is absent (unqualified pattern). Segments
 * segs[off .. off+nseg) are the PostgreSQL form, segs[off+nseg .. off+2*nseg) the raw form. */
typedef struct part {
	uint32_t off;
	uint16_t nseg; /* nseg - 1 wildcards */
} part;

typedef struct rule {
	uint8_t kind;
	uint32_t hash;            /* of the lower-cased name, for exact rules */
	uint64_t ttl_ns;          /* RK_TTL */
	uint32_t text_off, text_len; /* the pattern as written, for cap_rules_describe */
	part schema, name;
} rule;

typedef struct hindex {
	uint32_t *slot; /* 0 = empty, else rule number + 1 */
	uint32_t mask;  /* slots - 1; 0 with slot == NULL when the index is empty */
} hindex;

/* A wildcard table rule with a cheap pre-filter: most names fail on length or on the first
 * or last byte, before any segment is compared. */
struct wild {
	uint32_t rule;
	uint32_t minlen;     /* sum of the name part's segment lengths */
	int16_t first, last; /* lower-cased first byte of the first segment, last byte of the last
			      * segment; -1 when that segment is empty */
};

struct cap_rules {
	rule *rules;       /* in file order */
	size_t nrules;
	struct wild *wild; /* table rules with a wildcard in the name part */
	size_t nwild;
	size_t ntable;     /* ttl + never rules */
	size_t nsafe;
	hindex exact;     /* table rules with an exact name part */
	hindex safe;      /* safe rules */
	seg *segs;
	char *pool;
};

/* cap_rules_lower - ASCII lower case (identifiers: bytes >= 0x80 are left alone). */
static inline unsigned char cap_rules_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* cap_rules_hash - FNV-1a of s[0..n) lower-cased: the key of both hash indexes, so that one
 * index serves both dialects (the comparison after the hash decides). */
static inline uint32_t cap_rules_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ cap_rules_lower((unsigned char)s[i])) * 16777619u;
	return h;
}

#endif

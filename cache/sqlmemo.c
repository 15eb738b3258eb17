/*
 * sqlmemo.c - a thread's last few classifications (sqlmemo.h).
 *
 * Each thread gets one block, allocated at its first classification and freed when it exits:
 * MEMO_SLOTS entries, direct-mapped by a hash of the text. An entry keeps the text itself, so a
 * match is an exact comparison of the bytes (two texts whose hashes collide are two entries
 * that replace each other, never one answer for both), and the answer's fixed part plus the
 * used part of its names. A thread that cannot get its block classifies every time.
 */
#include "cache/sqlmemo.h"
#include "cache/cap.h"
#include "cache/key.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MEMO_SLOTS 16 /* a power of two */
#define MEMO_TEXT 768
#define MEMO_PACKED 1024

/* The answer is kept packed: its scalar fields (everything before read[]), the used entries of
 * its arrays, digest, and the used part of its names. Copying a whole cap_sql_info (its arrays
 * are mostly empty) would make a memo miss cost more than the lexing it saves on a hit. */
#define INFO_HEAD offsetof(cap_sql_info, read)

typedef struct memo_entry {
	size_t len; /* text length; 0 marks an empty entry (an empty text is not kept) */
	enum cap_dialect dialect;
	char text[MEMO_TEXT];
	unsigned char packed[MEMO_PACKED];
} memo_entry;

/* A thread whose texts rarely repeat (literals written into them, more shapes than entries)
 * would pay for keeping answers it never uses again: after a window of MEMO_WINDOW lookups
 * with fewer than MEMO_WINDOW / 4 answered, the next MEMO_PAUSE statements are classified
 * without the memo, then it is tried again. */
#define MEMO_WINDOW 64
#define MEMO_PAUSE 1024

typedef struct memo {
	uint32_t looked, answered; /* in the current window */
	uint32_t pause;            /* statements left to classify without the memo */
	memo_entry e[MEMO_SLOTS];
} memo;

/* pack/unpack one field or array; a packing that would overflow returns 0. */
#define PUT(dst, p, n)                                                                         \
	do {                                                                                   \
		if (o + (n) > MEMO_PACKED)                                                     \
			return 0;                                                              \
		memcpy((dst) + o, (p), (n));                                                   \
		o += (n);                                                                      \
	} while (0)
#define GET(p, src, n)                                                                         \
	do {                                                                                   \
		memcpy((p), (src) + o, (n));                                                   \
		o += (n);                                                                      \
	} while (0)

static size_t pack(unsigned char *dst, const cap_sql_info *in)
{
	size_t o = 0;
	PUT(dst, in, INFO_HEAD);
	PUT(dst, in->read, in->nread * sizeof(in->read[0]));
	PUT(dst, in->write, in->nwrite * sizeof(in->write[0]));
	PUT(dst, in->func, in->nfunc * sizeof(in->func[0]));
	PUT(dst, in->func_class, in->nfunc * sizeof(in->func_class[0]));
	PUT(dst, &in->nbuiltin, sizeof(in->nbuiltin));
	PUT(dst, in->builtin, in->nbuiltin * sizeof(in->builtin[0]));
	PUT(dst, &in->db, sizeof(in->db));
	PUT(dst, &in->digest, sizeof(in->digest));
	PUT(dst, &in->names_len, sizeof(in->names_len));
	PUT(dst, in->names, in->names_len);
	return o;
}

static void unpack(cap_sql_info *out, const unsigned char *src)
{
	size_t o = 0;
	GET(out, src, INFO_HEAD);
	GET(out->read, src, out->nread * sizeof(out->read[0]));
	GET(out->write, src, out->nwrite * sizeof(out->write[0]));
	GET(out->func, src, out->nfunc * sizeof(out->func[0]));
	GET(out->func_class, src, out->nfunc * sizeof(out->func_class[0]));
	GET(&out->nbuiltin, src, sizeof(out->nbuiltin));
	GET(out->builtin, src, out->nbuiltin * sizeof(out->builtin[0]));
	GET(&out->db, src, sizeof(out->db));
	GET(&out->digest, src, sizeof(out->digest));
	GET(&out->names_len, src, sizeof(out->names_len));
	GET(out->names, src, out->names_len);
}

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static int memo_key_ok;
static __thread memo *tls_memo __attribute__((tls_model("initial-exec")));
static __thread int tls_memo_failed __attribute__((tls_model("initial-exec")));

static void memo_free(void *p)
{
	free(p);
}

static void memo_key_init(void)
{
	memo_key_ok = pthread_key_create(&memo_key, memo_free) == 0;
}

/* This thread's block, or NULL when it cannot have one. */
static memo *memo_get(void)
{
	memo *m = tls_memo;
	if (CAP_LIKELY(m != NULL) || tls_memo_failed)
		return m;
	pthread_once(&memo_once, memo_key_init);
	m = memo_key_ok ? calloc(1, sizeof(*m)) : NULL;
	if (m == NULL || pthread_setspecific(memo_key, m) != 0) {
		free(m);
		tls_memo_failed = 1;
		return NULL;
	}
	tls_memo = m;
	return m;
}

enum cap_sql_kind cap_sql_classify_memo(enum cap_dialect d, const char *sql, size_t len,
					cap_sql_info *info)
{
	if (len == 0 || len > MEMO_TEXT)
		return cap_sql_classify(d, sql, len, info);
	memo *m = memo_get();
	if (m == NULL)
		return cap_sql_classify(d, sql, len, info);
	if (m->pause) {
		m->pause--;
		return cap_sql_classify(d, sql, len, info);
	}
	if (++m->looked == MEMO_WINDOW) {
		if (m->answered < MEMO_WINDOW / 4)
			m->pause = MEMO_PAUSE;
		m->looked = m->answered = 0;
	}
	memo_entry *e = &m->e[cap_hash64(sql, len, d) & (MEMO_SLOTS - 1)];
	if (e->len == len && e->dialect == d && memcmp(e->text, sql, len) == 0) {
		m->answered++;
		unpack(info, e->packed);
		return info->kind;
	}
	enum cap_sql_kind k = cap_sql_classify(d, sql, len, info);
	e->len = pack(e->packed, info) ? len : 0;
	if (e->len) {
		e->dialect = d;
		memcpy(e->text, sql, len);
	}
	return k;
}

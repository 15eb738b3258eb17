/*
 * sql.c - the SQL classifier (see sql.h): one lexer pass feeding a small token-driven parser.
 *
 * Lexer. Like SQLite's tokenize.c: a 256-entry byte-class table (cc[]) picks the state for the
 * first byte of each token, then a tight loop consumes the rest. States (per dialect):
 *   SPACE     runs of blanks; a NUL byte is skipped like a blank (cap_sql_classify reports any
 *             NUL as MALFORMED separately).
 *   COMMENT   `--` to end of line (MySQL: only when followed by a blank, a control byte or the
 *             end), `/ * ... * /` (nested in PostgreSQL), MySQL `#` to end of line. MySQL
 *             `/ *!`, `/ *!NNNNN` and MariaDB `/ *M!` executable comments are code: the opener is
 *             skipped and the matching `* /` is dropped when met outside a string.
 *   WORD      [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*; a case-folded hash is computed on the
 *             way and looked up in the generated keyword table (sql_kw.h).
 *   STRING    '...' with '' (PostgreSQL standard strings: backslash is an ordinary byte;
 *             E'...' and MySQL strings: backslash escapes), MySQL "..." (a string, as without
 *             ANSI_QUOTES), prefixes E B X N U&.
 *   QIDENT    PostgreSQL "..." and U&"...", MySQL `...`; a doubled quote is one quote.
 *   DOLLAR    PostgreSQL $tag$...$tag$ (a string) or $1 (a parameter).
 *   NUMBER    digits, '.', exponent, 0x/0b; a number running straight into a letter is
 *             ambiguous between servers and versions and makes the statement UNSUPPORTED.
 *   VAR       MySQL @x, @'x', @@x, @@session.x; PARAM: MySQL ?, PostgreSQL $n.
 *   OP        runs of operator bytes; '(' ')' ',' ';' '.' '::' are tokens of their own.
 * An unterminated string, identifier or comment sets MALFORMED and ends the input: nothing is
 * ever read at or past len.
 *
 * Quoting ambiguity. The lexer assumes standard_conforming_strings=on (PostgreSQL) and
 * backslash escapes on (MySQL, no NO_BACKSLASH_ESCAPES). When a string has a backslash just
 * before a quote, the other setting would cut it elsewhere, and text we take for a string could
 * be code on the server. Then the whole input is classified a second time the other way: if
 * that reading is well formed and differs (kind, statement count or tables), the result is
 * OTHER (a write to the whole database); a reading that is malformed would be a syntax error
 * on such a server, which runs nothing.
 *
 * Parser. Statements are split at ';' (not inside BEGIN ATOMIC / BEGIN...END bodies of CREATE
 * statements). The first words pick the statement kind; then one walk over the remaining tokens
 * keeps a stack of parenthesis levels, each with a context: expecting a FROM item, after one
 * (alias, joins, ','), expecting a write target, inside a WITH list. Tables are named where a
 * FROM/JOIN/USING item, an INSERT/UPDATE/DELETE/MERGE target or `TABLE x` stands; a word
 * followed by '(' is a function call unless it is syntax (IN, EXISTS, VALUES, CAST ...), a type
 * modifier (after :: or AS) or an alias column list. Every uncertainty leans to "not
 * cacheable": an unknown function is FUNCTION, an unnameable FROM item UNSUPPORTED, an
 * unnameable write target empties write[] (callers then invalidate the whole database), and
 * INSERT/UPDATE/DELETE/MERGE anywhere in a query make it a WRITE.
 *
 * Output goes straight into the caller's cap_sql_info; only its counters are cleared per call.
 * No allocation, no mutable global state.
 */
#include "cache/sql.h"
#include "cache/sql_kw.h"
#include "cache/cap.h"

#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- byte classes */

enum {
	CC_OTHER = 0, CC_SPACE, CC_IDENT, CC_DIGIT, CC_QUOTE, CC_DQUOTE, CC_BTICK, CC_DOLLAR,
	CC_MINUS, CC_SLASH, CC_HASH, CC_AT, CC_QMARK, CC_LP, CC_RP, CC_COMMA, CC_SEMI, CC_DOT,
	CC_COLON, CC_OP, CC_STAR
};

#define R8(x) x, x, x, x, x, x, x, x
#define R16(x) R8(x), R8(x)
static const uint8_t cc[256] = {
	/* 0x00 */ CC_SPACE, CC_OTHER, CC_OTHER, CC_OTHER, CC_OTHER, CC_OTHER, CC_OTHER, CC_OTHER,
	/* 0x08 */ CC_OTHER, CC_SPACE, CC_SPACE, CC_SPACE, CC_SPACE, CC_SPACE, CC_OTHER, CC_OTHER,
	/* 0x10 */ R16(CC_OTHER),
	/* ' '  */ CC_SPACE, CC_OP, CC_DQUOTE, CC_HASH, CC_DOLLAR, CC_OP, CC_OP, CC_QUOTE,
	/* '('  */ CC_LP, CC_RP, CC_STAR, CC_OP, CC_COMMA, CC_MINUS, CC_DOT, CC_SLASH,
	/* '0'  */ R8(CC_DIGIT),
	/* '8'  */ CC_DIGIT, CC_DIGIT, CC_COLON, CC_SEMI, CC_OP, CC_OP, CC_OP, CC_QMARK,
	/* '@'  */ CC_AT, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT,
	/* 'H'  */ R8(CC_IDENT),
	/* 'P'  */ R8(CC_IDENT),
	/* 'X'  */ CC_IDENT, CC_IDENT, CC_IDENT, CC_OTHER, CC_OTHER, CC_OTHER, CC_OP, CC_IDENT,
	/* '`'  */ CC_BTICK, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT, CC_IDENT,
	/* 'h'  */ R8(CC_IDENT),
	/* 'p'  */ R8(CC_IDENT),
	/* 'x'  */ CC_IDENT, CC_IDENT, CC_IDENT, CC_OTHER, CC_OP, CC_OTHER, CC_OP, CC_OTHER,
	/* 0x80 */ R16(CC_IDENT), R16(CC_IDENT), R16(CC_IDENT), R16(CC_IDENT),
	R16(CC_IDENT), R16(CC_IDENT), R16(CC_IDENT), R16(CC_IDENT)
};

/* identifier continuation bytes: letters, digits, '_', '$', every byte >= 0x80 */
static const uint8_t idc[256] = {
	R16(0), R16(0),
	0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '$' */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, /* '_' */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1)
};

/* idc[] folded: an identifier continuation byte gives its lower-case form, any other byte 0 */
#define L16(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, \
	       b + 12, b + 13, b + 14, b + 15
static const uint8_t idl[256] = {
	R16(0), R16(0),
	0, 0, 0, 0, '$', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, '_',
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
	L16(0x80), L16(0x90), L16(0xa0), L16(0xb0), L16(0xc0), L16(0xd0), L16(0xe0), L16(0xf0)
};

static inline uint8_t lc(uint8_t c)
{
	return (uint8_t)((c >= 'A' && c <= 'Z') ? c | 0x20 : c);
}

static int ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((uint8_t)a[i]) != lc((uint8_t)b[i]))
			return 0;
	return 1;
}

/* ---------------------------------------------------------------- tokens and lexer */

enum {
	TK_EOF = 0, TK_WORD, TK_QIDENT, TK_STR, TK_NUM, TK_PARAM, TK_VAR, TK_LP, TK_RP,
	TK_COMMA, TK_SEMI, TK_DOT, TK_CAST, TK_OP
};

typedef struct tok {
	uint8_t t;
	uint16_t kw;   /* keyword id of an unquoted word, else 0 */
	uint32_t off, len;
	uint32_t h;    /* case-folded hash of a word; byte hash of other named tokens */
} tok;

typedef struct lexer {
	const char *s;
	uint32_t n, i;
	uint8_t my;        /* MySQL dialect */
	uint8_t alt;       /* the other quoting convention (see the file comment) */
	uint8_t in_exec;   /* inside a MySQL executable comment */
	uint8_t bsq;       /* a string had a backslash before a quote: quoting ambiguous */
	uint32_t bad;      /* CAP_SQLR_MALFORMED / CAP_SQLR_UNSUPPORTED from the lexer */
} lexer;

static inline uint64_t ld64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Find the keyword whose name is kb[0..len) (case-folded, zero-padded to CAP_KW_TEXT bytes) and
 * whose hash (h = h * 33 ^ byte over the folded bytes, as sql_kw.py computes it) is h: linear
 * probing from the slot of h; each slot carries the high half of its entry's hash, so most
 * misses and collisions never read the entry's text. */
static inline uint16_t kw_probe(const unsigned char *kb, uint32_t len, uint32_t h)
{
	if (len > CAP_KW_MAXLEN)
		return 0;
	unsigned s = (unsigned)((h * 2654435761u) >> 20);
	for (;;) {
		uint32_t e = cap_kw_slots[s];
		if (!e)
			return 0;
		uint16_t id = (uint16_t)e;
		if ((e >> 16) == (h >> 16) && cap_kws[id].len == len) {
			const unsigned char *k = cap_kw_text[id];
			if (((ld64(kb) ^ ld64(k)) | (ld64(kb + 8) ^ ld64(k + 8)) |
			     (ld64(kb + 16) ^ ld64(k + 16)) | (ld64(kb + 24) ^ ld64(k + 24))) == 0)
				return id;
		}
		s = (s + 1) & (CAP_KW_SLOTS - 1);
	}
}

/* the keyword spelled w[0..len) in any case, or 0 */
static uint16_t kw_find(const char *w, uint32_t len)
{
	unsigned char kb[CAP_KW_TEXT] __attribute__((aligned(8))) = { 0 };
	uint32_t h = 0;
	if (len > CAP_KW_MAXLEN)
		return 0;
	for (uint32_t i = 0; i < len; i++) {
		kb[i] = lc((uint8_t)w[i]);
		h = (h * 33) ^ kb[i];
	}
	return kw_probe(kb, len, h);
}

static void lex_bad(lexer *lx)
{
	lx->bad |= CAP_SQLR_MALFORMED;
	lx->i = lx->n;
}

/* Scan a quoted run from s[i] (just past the opening quote q); backslash escapes when bs.
 * Returns the index just past the closing quote, or n when unterminated. */
static uint32_t scan_quoted(lexer *lx, uint32_t i, char q, int bs, uint32_t *hp)
{
	const char *s = lx->s;
	uint32_t n = lx->n, h = 0;
	while (i < n) {
		char c = s[i];
		if (c == q) {
			if (i + 1 < n && s[i + 1] == q) {
				h = (h * 33) ^ (uint8_t)c;
				i += 2;
				continue;
			}
			if (hp)
				*hp = h;
			return i + 1;
		}
		if (c == '\\') {
			if (i + 1 < n && s[i + 1] == q)
				lx->bsq = 1;
			if (bs) {
				h = (h * 33) ^ (uint8_t)c;
				i += 2;
				continue;
			}
		}
		if (lx->in_exec && c == '*' && i + 1 < n && s[i + 1] == '/')
			lx->bsq = 2; /* a string crossing the end of an executable comment */
		h = (h * 33) ^ (uint8_t)c;
		i++;
	}
	return n + 1;
}

static void lex(lexer *lx, tok *t)
{
	const char *s = lx->s;
	uint32_t n = lx->n, i;
	int bs; /* a string in which a backslash escapes (E'...', or MySQL's default) */
	t->kw = 0;
	t->h = 0;
again:
	i = lx->i;
	/* the usual single blank between tokens, without a trip through the switch */
	if (i < n && s[i] == ' ')
		i++;
	if (i >= n) {
		if (lx->in_exec) {
			lx->bad |= CAP_SQLR_MALFORMED;
			lx->in_exec = 0;
		}
		t->t = TK_EOF;
		t->off = n;
		t->len = 0;
		return;
	}
	uint8_t c = (uint8_t)s[i];
	t->off = i;
	switch (cc[c]) {
	case CC_SPACE:
		i++;
		while (i < n && cc[(uint8_t)s[i]] == CC_SPACE)
			i++;
		lx->i = i;
		goto again;
	case CC_MINUS:
		if (i + 1 < n && s[i + 1] == '-' &&
		    (!lx->my || i + 2 >= n || (uint8_t)s[i + 2] <= ' ')) {
			const char *e = memchr(s + i, '\n', n - i);
			lx->i = e ? (uint32_t)(e - s) + 1 : n;
			goto again;
		}
		goto op;
	case CC_HASH:
		if (lx->my) {
			const char *e = memchr(s + i, '\n', n - i);
			lx->i = e ? (uint32_t)(e - s) + 1 : n;
			goto again;
		}
		goto op;
	case CC_SLASH:
		if (i + 1 < n && s[i + 1] == '*') {
			if (lx->my && i + 2 < n &&
			    (s[i + 2] == '!' || (s[i + 2] == 'M' && i + 3 < n && s[i + 3] == '!'))) {
				if (lx->in_exec) {
					lex_bad(lx);
					goto again;
				}
				i += s[i + 2] == '!' ? 3 : 4;
				while (i < n && s[i] >= '0' && s[i] <= '9')
					i++;
				lx->in_exec = 1;
				lx->i = i;
				goto again;
			}
			int depth = 1;
			i += 2;
			while (i < n) {
				if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
					i += 2;
					if (--depth == 0)
						break;
					continue;
				}
				if (!lx->my && s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
					depth++;
					i += 2;
					continue;
				}
				i++;
			}
			if (depth) {
				lex_bad(lx);
				goto again;
			}
			lx->i = i;
			goto again;
		}
		goto op;
	case CC_STAR:
		if (lx->in_exec && i + 1 < n && s[i + 1] == '/') {
			lx->in_exec = 0;
			lx->i = i + 2;
			goto again;
		}
		goto op;
	case CC_IDENT: {
		/* string prefixes: E'..' B'..' X'..' N'..' U&'..' U&".." */
		if (i + 1 < n && s[i + 1] == '\'') {
			uint8_t l = lc(c);
			if (l == 'e' && !lx->my) {
				i += 2;
				goto str_bs;
			}
			if (l == 'b' || l == 'x' || l == 'n') {
				i += 2;
				if (lx->my ? !lx->alt : lx->alt)
					goto str_bs;
				goto str;
			}
		}
		if (!lx->my && lc(c) == 'u' && i + 2 < n && s[i + 1] == '&' &&
		    (s[i + 2] == '\'' || s[i + 2] == '"')) {
			if (s[i + 2] == '\'') {
				i += 3;
				goto str;
			}
			i += 3;
			goto qident_dq;
		}
		/* fold into kb on the way (positions past CAP_KW_TEXT wrap: such a word is longer
		 * than any keyword and never looked up) */
		unsigned char kb[CAP_KW_TEXT] __attribute__((aligned(8))) = { 0 };
		uint32_t h = 0, j = i;
		uint8_t f;
		while (j < n && (f = idl[(uint8_t)s[j]]) != 0) {
			h = (h * 33) ^ f;
			kb[(j - i) & (CAP_KW_TEXT - 1)] = f;
			j++;
		}
		t->t = TK_WORD;
		t->len = j - i;
		t->h = h;
		t->kw = kw_probe(kb, t->len, h);
		lx->i = j;
		return;
	}
	case CC_DIGIT: {
		uint32_t j = i + 1;
		if (c == '0' && j < n && (s[j] == 'x' || s[j] == 'X' || s[j] == 'b' || s[j] == 'B') &&
		    j + 1 < n && idc[(uint8_t)s[j + 1]]) {
			j++;
			while (j < n && idc[(uint8_t)s[j]] && s[j] != '$')
				j++;
		} else {
			while (j < n && ((s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
				j++;
			if (j < n && s[j] == '.') {
				j++;
				while (j < n && s[j] >= '0' && s[j] <= '9')
					j++;
			}
			if (j < n && (s[j] == 'e' || s[j] == 'E')) {
				uint32_t k = j + 1;
				if (k < n && (s[k] == '+' || s[k] == '-'))
					k++;
				if (k < n && s[k] >= '0' && s[k] <= '9') {
					j = k;
					while (j < n && s[j] >= '0' && s[j] <= '9')
						j++;
				}
			}
			if (j < n && idc[(uint8_t)s[j]])
				lx->bad |= CAP_SQLR_UNSUPPORTED; /* 1from: number or identifier? */
		}
		t->t = TK_NUM;
		t->len = j - i;
		lx->i = j;
		return;
	}
	case CC_QUOTE:
		i++;
		if (lx->my ? !lx->alt : lx->alt)
			goto str_bs;
		goto str;
	case CC_DQUOTE:
		i++;
		if (lx->my) {
			uint32_t e = scan_quoted(lx, i, '"', !lx->alt, NULL);
			if (e > n) {
				lex_bad(lx);
				goto again;
			}
			t->t = TK_STR;
			t->len = e - t->off;
			lx->i = e;
			return;
		}
	qident_dq: {
		uint32_t h = 0, e = scan_quoted(lx, i, '"', 0, &h);
		if (e > n) {
			lex_bad(lx);
			goto again;
		}
		t->t = TK_QIDENT;
		t->len = e - t->off;
		t->h = h ^ 0x5bd1e995u;
		lx->i = e;
		return;
	}
	case CC_BTICK:
		if (lx->my) {
			uint32_t h = 0, e = scan_quoted(lx, i + 1, '`', 0, &h);
			if (e > n) {
				lex_bad(lx);
				goto again;
			}
			t->t = TK_QIDENT;
			t->len = e - t->off;
			t->h = h ^ 0x5bd1e995u;
			lx->i = e;
			return;
		}
		goto op;
	case CC_DOLLAR:
		if (lx->my) {
			/* MySQL: '$' may start an identifier */
			uint32_t h = 0, j = i;
			while (j < n && idc[(uint8_t)s[j]]) {
				h = (h * 33) ^ lc((uint8_t)s[j]);
				j++;
			}
			t->t = TK_WORD;
			t->len = j - i;
			t->h = h;
			lx->i = j;
			return;
		}
		if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
			uint32_t j = i + 1;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				j++;
			t->t = TK_PARAM;
			t->len = j - i;
			lx->i = j;
			return;
		}
		{
			/* $tag$ ... $tag$ */
			uint32_t j = i + 1;
			if (j < n && s[j] != '$') {
				if (cc[(uint8_t)s[j]] != CC_IDENT)
					goto op;
				while (j < n && idc[(uint8_t)s[j]] && s[j] != '$')
					j++;
			}
			if (j >= n || s[j] != '$')
				goto op;
			uint32_t tl = j + 1 - i; /* tag length with both '$' */
			uint32_t k = j + 1;
			for (;;) {
				const char *d = k < n ? memchr(s + k, '$', n - k) : NULL;
				if (!d) {
					lex_bad(lx);
					goto again;
				}
				k = (uint32_t)(d - s);
				if (n - k >= tl && memcmp(s + k, s + i, tl) == 0)
					break;
				k++;
			}
			t->t = TK_STR;
			t->len = k + tl - i;
			lx->i = k + tl;
			return;
		}
	case CC_AT:
		if (lx->my) {
			uint32_t j = i + 1, h = 0;
			if (j < n && s[j] == '@')
				j++;
			if (j < n && (s[j] == '\'' || s[j] == '"' || s[j] == '`')) {
				uint32_t e = scan_quoted(lx, j + 1, s[j], s[j] != '`', &h);
				if (e > n) {
					lex_bad(lx);
					goto again;
				}
				j = e;
			} else {
				while (j < n && (idc[(uint8_t)s[j]] || s[j] == '.')) {
					h = (h * 33) ^ lc((uint8_t)s[j]);
					j++;
				}
			}
			t->t = TK_VAR;
			t->len = j - i;
			t->h = h ^ 0x27d4eb2fu;
			lx->i = j;
			return;
		}
		goto op;
	case CC_QMARK:
		if (lx->my) {
			t->t = TK_PARAM;
			t->len = 1;
			lx->i = i + 1;
			return;
		}
		goto op;
	case CC_LP:
		t->t = TK_LP;
		goto one;
	case CC_RP:
		t->t = TK_RP;
		goto one;
	case CC_COMMA:
		t->t = TK_COMMA;
		goto one;
	case CC_SEMI:
		t->t = TK_SEMI;
		goto one;
	case CC_DOT:
		t->t = TK_DOT;
		goto one;
	case CC_COLON:
		if (i + 1 < n && s[i + 1] == ':') {
			t->t = TK_CAST;
			t->len = 2;
			lx->i = i + 2;
			return;
		}
		goto op;
	default:
		goto op;
	}
one:
	t->len = 1;
	lx->i = i + 1;
	return;
op: {
	/* a run of operator bytes, stopping before a comment opener */
	uint32_t j = i + 1, h = c;
	while (j < n) {
		uint8_t d = (uint8_t)s[j], k = cc[d];
		if (!(k == CC_OP || k == CC_MINUS || k == CC_SLASH || k == CC_STAR ||
		      (!lx->my && (k == CC_HASH || k == CC_AT || k == CC_QMARK))))
			break;
		if ((d == '-' && j + 1 < n && s[j + 1] == '-') ||
		    (d == '/' && j + 1 < n && s[j + 1] == '*') ||
		    (d == '*' && lx->in_exec && j + 1 < n && s[j + 1] == '/'))
			break;
		h = (h * 33) ^ d;
		j++;
	}
	t->t = TK_OP;
	t->len = j - i;
	t->h = h ^ 0x165667b1u;
	lx->i = j;
	return;
}
str_bs:
	bs = 1;
	goto quoted;
str:
	bs = 0;
quoted:
	{
		uint32_t e = scan_quoted(lx, i, '\'', bs, NULL);
		if (e > n) {
			lex_bad(lx);
			goto again;
		}
		t->t = TK_STR;
		t->len = e - t->off;
		lx->i = e;
		return;
	}
}

/* ---------------------------------------------------------------- digest */

typedef struct dgst {
	uint64_t h;
	char *buf;          /* NULL: hash only */
	size_t cap, pos;
	uint8_t last;       /* type of the last token written */
	uint8_t fold;       /* IN-list folding: 1 after IN (, 2 after a literal, 3 comma held */
	uint16_t prevkw;
} dgst;

static void dg_put(dgst *g, const char *p, size_t n)
{
	if (g->pos + 1 < g->cap) {
		size_t room = g->cap - 1 - g->pos, m = n < room ? n : room;
		memcpy(g->buf + g->pos, p, m);
	}
	g->pos += n;
}

static void dg_emit(dgst *g, const lexer *lx, uint8_t type, const tok *t)
{
	uint64_t v;
	int lit = type == TK_STR || type == TK_NUM || type == TK_PARAM;
	if (lit)
		v = '?';
	else if (type == TK_WORD || type == TK_QIDENT || type == TK_VAR || type == TK_OP)
		v = t ? t->h : 0;
	else
		v = type;
	g->h = (g->h ^ (v + ((uint64_t)(lit ? TK_NUM : type) << 40))) * 0x100000001b3ull;
	if (!g->buf) {
		g->last = type;
		return;
	}
	/* no space after ( . :: nor before ) , . :: ; nor between a function name and its ( */
	if (g->last && g->last != TK_LP && g->last != TK_DOT && g->last != TK_CAST &&
	    type != TK_RP && type != TK_COMMA && type != TK_DOT && type != TK_CAST &&
	    type != TK_SEMI &&
	    !(type == TK_LP && (g->last == TK_QIDENT ||
				(g->last == TK_WORD && (!g->prevkw || (cap_kws[g->prevkw].pg != F_SYN &&
								       cap_kws[g->prevkw].pg != F_NONE))))))
		dg_put(g, " ", 1);
	g->last = type;
	if (lit) {
		dg_put(g, "?", 1);
	} else if (type == TK_COMMA) {
		dg_put(g, ",", 1);
	} else if (type == TK_WORD) {
		const char *p = lx->s + t->off;
		for (uint32_t i = 0; i < t->len; i++) {
			uint8_t c = (uint8_t)p[i];
			char o = (char)(t->kw ? ((c >= 'a' && c <= 'z') ? c - 32 : c) : lc(c));
			dg_put(g, &o, 1);
		}
	} else {
		size_t at = g->pos;
		dg_put(g, lx->s + t->off, t->len);
		/* a NUL inside a quoted name: keep the text one C string */
		for (size_t i = at; i < g->pos && i + 1 < g->cap; i++)
			if (g->buf[i] == '\0')
				g->buf[i] = '?';
	}
}

static void dg_tok(dgst *g, const lexer *lx, const tok *t)
{
	int lit = t->t == TK_STR || t->t == TK_NUM || t->t == TK_PARAM;
	if (t->t == TK_EOF)
		return;
	if (g->fold == 3) {
		if (lit) {
			g->fold = 2;
			return;
		}
		dg_emit(g, lx, TK_COMMA, NULL);
		g->fold = 0;
	} else if (g->fold == 2) {
		if (t->t == TK_COMMA) {
			g->fold = 3;
			return;
		}
		g->fold = 0;
	}
	dg_emit(g, lx, t->t, t);
	if (g->fold == 1)
		g->fold = lit ? 2 : 0;
	else if (t->t == TK_LP && g->prevkw == KW_IN)
		g->fold = 1;
	g->prevkw = t->t == TK_WORD ? t->kw : 0;
}

/* dg_tok for the hash alone (buf == NULL), inlined into the classifier's token loop: the same
 * IN-list folding and the same value mixed per token, so info->digest is unchanged. */
#define TKM(x) (1u << (x))
static inline void dg_mix(dgst *g, uint32_t type, uint64_t v)
{
	g->h = (g->h ^ (v + ((uint64_t)type << 40))) * 0x100000001b3ull;
}

static inline void dg_hash(dgst *g, const tok *t)
{
	uint32_t tt = t->t, m = TKM(tt);
	int lit = (m & (TKM(TK_STR) | TKM(TK_NUM) | TKM(TK_PARAM))) != 0;
	if (tt == TK_EOF)
		return;
	if (__builtin_expect(g->fold != 0, 0)) {
		if (g->fold == 3) {
			if (lit) {
				g->fold = 2;
				return;
			}
			dg_mix(g, TK_COMMA, TK_COMMA);
			g->fold = 0;
		} else if (g->fold == 2) {
			if (tt == TK_COMMA) {
				g->fold = 3;
				return;
			}
			g->fold = 0;
		}
	}
	if (lit)
		dg_mix(g, TK_NUM, '?');
	else
		dg_mix(g, tt, (m & (TKM(TK_WORD) | TKM(TK_QIDENT) | TKM(TK_VAR) | TKM(TK_OP))) ? t->h : tt);
	if (g->fold == 1)
		g->fold = lit ? 2 : 0;
	else if (tt == TK_LP && g->prevkw == KW_IN)
		g->fold = 1;
	g->prevkw = tt == TK_WORD ? t->kw : 0;
}

_Static_assert(CAP_KW_MAXLEN <= CAP_KW_TEXT && CAP_KW_TEXT == 32,
	       "keyword text fits the lexer's fold buffer");

/* ---------------------------------------------------------------- parser state */

#define MAXDEPTH 64
#define MAXCTE 16

enum { C_NONE = 0, C_FROM, C_FROM_AFTER, C_TARGET, C_DEL, C_CTE_NAME, C_CTE_AS, C_CTE_DONE,
       C_CTE_SKIP };
enum { FA_REST = 0, FA_START, FA_AS, FA_ALIAS };
enum {
	L_FN = 1,          /* arguments of a function call */
	L_WRITE = 2,       /* FROM items here are written (UPDATE/DELETE targets) */
	L_WRITE_ALL = 4,   /* ... and so are later FROM/USING lists (MySQL multi-table) */
	L_USING_FROM = 8,  /* the next USING starts a FROM list (DELETE, MERGE) */
	L_CTEBODY = 16,    /* body of a CTE: closing it makes the name visible */
	L_TGT = 32,        /* a write here still waits for its target */
	L_RECURSIVE = 64,  /* WITH RECURSIVE at this level */
	L_CAST = 128       /* inside CAST( ... ) */
};

typedef struct level {
	uint8_t ctx, fa, fl, cte;
} level;

typedef struct cte {
	uint16_t off, len;
	uint8_t depth, active;
} cte;

enum { HEAD_OTHER = 0, HEAD_QUERY };

typedef struct parser {
	lexer lx;
	tok cur, nxt;
	uint16_t prevkw, prev2kw;
	uint8_t prevt, prev2t;
	uint8_t my;
	cap_sql_info *in;
	dgst dg;
	/* per statement */
	level lv[MAXDEPTH];
	int depth, over;
	cte ctes[MAXCTE];
	int ncte;
	uint32_t reasons;
	enum cap_sql_kind kind;
	enum cap_sql_txn txn;
	uint8_t query, ddl, nowr, write_seen, select_into, call_pending, in_create, explain;
	uint8_t cast_pending; /* CAST was just read: the next level is its argument */
	uint8_t skip_rest; /* the rest of the statement names nothing (COPY options) */
	uint8_t flush_tables; /* MySQL FLUSH TABLES: LOCK or EXPORT in the rest locks (walk) */
	int block, tgt_pending;
	/* whole input */
	uint8_t write_unknown;
	uint8_t saw_session; /* a statement of the string was a session change */
} parser;

static void advance(parser *p)
{
	p->prev2kw = p->prevkw;
	p->prevkw = p->cur.t == TK_WORD ? p->cur.kw : 0;
	p->prev2t = p->prevt;
	p->prevt = p->cur.t;
	p->cur = p->nxt;
	if (p->cur.t != TK_EOF) {
		lex(&p->lx, &p->nxt);
		dg_hash(&p->dg, &p->nxt);
	}
}

static inline int is_name(const tok *t)
{
	return t->t == TK_WORD || t->t == TK_QIDENT;
}

static inline int end_of_stmt(const parser *p)
{
	return p->cur.t == TK_EOF || (p->cur.t == TK_SEMI && p->block <= 0);
}

static inline uint8_t fn_class(const parser *p, uint16_t kw)
{
	return p->my ? cap_kws[kw].my : cap_kws[kw].pg;
}

static int rank(enum cap_sql_kind k)
{
	static const uint8_t r[] = { [CAP_SQL_EMPTY] = 0, [CAP_SQL_READ] = 1,
				     [CAP_SQL_READ_NOCACHE] = 2, [CAP_SQL_UTILITY] = 3,
				     [CAP_SQL_SESSION] = 4, [CAP_SQL_TXN] = 5, [CAP_SQL_WRITE] = 6,
				     [CAP_SQL_DDL] = 7, [CAP_SQL_OTHER] = 8 };
	return (unsigned)k < sizeof(r) ? r[k] : 8;
}

/* ---------------------------------------------------------------- names */

/* Copy the folded text of name token t into info->names; returns 0 when full. */
static int put_name(parser *p, const tok *t, uint16_t *off, uint16_t *len)
{
	cap_sql_info *in = p->in;
	const char *s = p->lx.s + t->off;
	uint32_t n = t->len, o = in->names_len;
	char *d = in->names + o;
	if (t->t == TK_QIDENT) {
		uint32_t st = 1, e = n - 1;
		char q = s[n - 1];
		if (s[0] != q) {
			/* U&"..." with escapes we do not decode: the name may not be this text */
			st = 3;
			p->reasons |= CAP_SQLR_UNSUPPORTED;
			p->write_unknown = 1;
		}
		uint32_t k = 0;
		for (uint32_t i = st; i < e; i++) {
			if (o + k >= CAP_SQL_NAMES_MAX)
				return 0;
			d[k++] = s[i];
			if (s[i] == q)
				i++;
		}
		n = k;
	} else {
		if (o + n > CAP_SQL_NAMES_MAX)
			return 0;
		if (p->my)
			memcpy(d, s, n);
		else
			for (uint32_t i = 0; i < n; i++)
				d[i] = (char)lc((uint8_t)s[i]);
	}
	*off = (uint16_t)o;
	*len = (uint16_t)n;
	in->names_len = (uint16_t)(o + n);
	return 1;
}

static int name_eq(const cap_sql_info *in, uint16_t ao, uint16_t al, uint16_t bo, uint16_t bl)
{
	return al == bl && memcmp(in->names + ao, in->names + bo, al) == 0;
}

static int name_is(const parser *p, uint16_t off, uint16_t len, const char *lit)
{
	size_t n = strlen(lit);
	return len == n && ci_eq(p->in->names + off, lit, n);
}

static int cte_match(const parser *p, uint16_t off, uint16_t len)
{
	for (int i = 0; i < p->ncte; i++)
		if (p->ctes[i].active && name_eq(p->in, p->ctes[i].off, p->ctes[i].len, off, len))
			return 1;
	return 0;
}

static void mark_target_found(parser *p)
{
	level *L = &p->lv[p->depth];
	if (L->fl & L_TGT) {
		L->fl &= (uint8_t)~L_TGT;
		p->tgt_pending--;
	}
}

static void write_lost(parser *p)
{
	p->write_unknown = 1;
	mark_target_found(p);
}

/* Record table parts[np-1] (schema parts[np-2]) as read or written. */
static void add_table(parser *p, const tok *parts, int np, int write)
{
	cap_sql_info *in = p->in;
	uint16_t save = in->names_len;
	cap_sql_name nm = { 0, 0, 0, 0 };
	if (write)
		mark_target_found(p);
	if (!put_name(p, &parts[np - 1], &nm.name_off, &nm.name_len))
		goto full;
	if (np >= 2) {
		if (!put_name(p, &parts[np - 2], &nm.schema_off, &nm.schema_len))
			goto full;
	} else {
		if (!write && cte_match(p, nm.name_off, nm.name_len)) {
			in->names_len = save;
			return;
		}
		if (p->my && parts[0].t == TK_WORD && name_is(p, nm.name_off, nm.name_len, "dual")) {
			in->names_len = save;
			return;
		}
	}
	/* system catalogs and temporary schemas */
	if (nm.schema_len) {
		uint16_t so = nm.schema_off, sl = nm.schema_len;
		if (p->my ? (name_is(p, so, sl, "mysql") || name_is(p, so, sl, "information_schema") ||
			     name_is(p, so, sl, "performance_schema") || name_is(p, so, sl, "sys"))
			  : (name_is(p, so, sl, "pg_catalog") ||
			     name_is(p, so, sl, "information_schema") ||
			     name_is(p, so, sl, "pg_toast")))
			p->reasons |= CAP_SQLR_SYSCATALOG;
		if (!p->my && sl >= 7 && ci_eq(in->names + so, "pg_temp", 7))
			p->reasons |= CAP_SQLR_TEMP;
	} else if (!p->my && nm.name_len >= 3 && ci_eq(in->names + nm.name_off, "pg_", 3)) {
		p->reasons |= CAP_SQLR_SYSCATALOG;
	}
	cap_sql_name *arr = write ? in->write : in->read;
	uint16_t *cnt = write ? &in->nwrite : &in->nread;
	for (unsigned i = 0; i < *cnt; i++)
		if (name_eq(in, arr[i].name_off, arr[i].name_len, nm.name_off, nm.name_len) &&
		    name_eq(in, arr[i].schema_off, arr[i].schema_len, nm.schema_off, nm.schema_len)) {
			in->names_len = save;
			return;
		}
	if (*cnt >= CAP_SQL_MAX_TABLES)
		goto full;
	arr[(*cnt)++] = nm;
	return;
full:
	in->names_len = save;
	p->reasons |= CAP_SQLR_TOO_COMPLEX;
	if (write)
		p->write_unknown = 1;
}

static void add_func(parser *p, const tok *name, const tok *schema, uint8_t cls)
{
	cap_sql_info *in = p->in;
	uint16_t save = in->names_len;
	cap_sql_name nm = { 0, 0, 0, 0 };
	p->reasons |= CAP_SQLR_FUNCTION;
	if (!put_name(p, name, &nm.name_off, &nm.name_len) ||
	    (schema && !put_name(p, schema, &nm.schema_off, &nm.schema_len)))
		goto full;
	for (unsigned i = 0; i < in->nfunc; i++)
		if (name_eq(in, in->func[i].name_off, in->func[i].name_len, nm.name_off, nm.name_len) &&
		    name_eq(in, in->func[i].schema_off, in->func[i].schema_len, nm.schema_off,
			    nm.schema_len)) {
			in->names_len = save;
			return;
		}
	if (in->nfunc >= CAP_SQL_MAX_FUNCS)
		goto full;
	in->func_class[in->nfunc] = cls;
	in->func[in->nfunc++] = nm;
	return;
full:
	in->names_len = save;
	p->reasons |= CAP_SQLR_TOO_COMPLEX;
}

/* An unqualified call of a function known by name (PostgreSQL): see builtin[] in sql.h. */
static void add_builtin(parser *p, const tok *name)
{
	cap_sql_info *in = p->in;
	uint16_t save = in->names_len;
	cap_sql_name nm = { 0, 0, 0, 0 };
	if (!put_name(p, name, &nm.name_off, &nm.name_len))
		goto full;
	for (unsigned i = 0; i < in->nbuiltin; i++)
		if (name_eq(in, in->builtin[i].name_off, in->builtin[i].name_len, nm.name_off,
			    nm.name_len)) {
			in->names_len = save;
			return;
		}
	if (in->nbuiltin >= CAP_SQL_MAX_BUILTINS)
		goto full;
	in->builtin[in->nbuiltin++] = nm;
	return;
full:
	in->names_len = save;
	in->flags |= CAP_SQLF_BUILTINS_LOST;
}

int cap_sql_pg_builtin(const char *name, size_t n)
{
	uint16_t kw = n <= CAP_KW_MAXLEN ? kw_find(name, (uint32_t)n) : 0;
	return kw && cap_kws[kw].pg != F_NONE && cap_kws[kw].pg != F_SYN;
}

/* Read a dotted name chain starting at cur; keeps the last three parts in parts[] (oldest
 * first) and leaves cur on the last token of the chain. Returns the number kept. */
static int chain(parser *p, tok parts[3])
{
	int np = 1;
	parts[0] = p->cur;
	while (p->nxt.t == TK_DOT) {
		advance(p);
		if (!is_name(&p->nxt)) {
			if (p->nxt.t == TK_OP && p->nxt.len == 1 && p->lx.s[p->nxt.off] == '*')
				advance(p); /* t.* */
			return np;
		}
		advance(p);
		if (np < 3) {
			parts[np++] = p->cur;
		} else {
			parts[0] = parts[1];
			parts[1] = parts[2];
			parts[2] = p->cur;
		}
	}
	return np;
}

/* Is t the bare word w (lower case)? */
static int is_word(const parser *p, const tok *t, const char *w)
{
	size_t n = strlen(w);
	return t->t == TK_WORD && t->len == n && ci_eq(p->lx.s + t->off, w, n);
}

/* MariaDB NEXT VALUE FOR s / PREVIOUS VALUE FOR s at cur: sequence functions without
 * parentheses; NEXT advances the sequence (a write, as nextval(s) is). 1 if it is one. */
static int seq_value(parser *p)
{
	if (!p->my || !is_word(p, &p->nxt, "value"))
		return 0;
	if (is_word(p, &p->cur, "next"))
		add_func(p, &p->cur, NULL, CAP_FUNC_UNKNOWN);
	else if (!is_word(p, &p->cur, "previous"))
		return 0;
	p->reasons |= CAP_SQLR_SEQUENCE;
	return 1;
}

/* MariaDB's Oracle syntax s.nextval / s.currval (sql_mode=ORACLE, or any mode through a
 * qualified name): a sequence read without parentheses; nextval advances it. The chain just
 * read is parts[0..np). */
static void seq_attr(parser *p, const tok *parts, int np)
{
	if (!p->my || np < 2 || p->nxt.t == TK_LP)
		return;
	const tok *last = &parts[np - 1];
	if (is_word(p, last, "nextval"))
		add_func(p, last, NULL, CAP_FUNC_UNKNOWN);
	else if (!is_word(p, last, "currval") && !is_word(p, last, "lastval"))
		return;
	p->reasons |= CAP_SQLR_SEQUENCE;
}

/* PostgreSQL's system columns of the row header that change without a write Capacitor
 * counts: a row lock (SELECT ... FOR SHARE, a foreign key check) sets xmax, VACUUM FULL and
 * CLUSTER move ctid, cmin/cmax are per command. Their readers are never cached. (No table may
 * have a column of these names; an alias of one is taken for one too.) */
static int pg_row_header(const parser *p, const tok *t)
{
	static const char cols[][4] = { { 'x', 'm', 'i', 'n' }, { 'x', 'm', 'a', 'x' },
					{ 'c', 'm', 'i', 'n' }, { 'c', 'm', 'a', 'x' },
					{ 'c', 't', 'i', 'd' } };
	/* every identifier passes here: the length says no to nearly all at once, and a column
	 * of four letters (name, type, date) costs one load and five compares */
	if (p->my || t->len != (t->t == TK_QIDENT ? 6u : 4u))
		return 0;
	uint32_t v, c;
	if (t->t == TK_QIDENT) {
		memcpy(&v, p->lx.s + t->off + 1, 4); /* quoted: the exact bytes */
	} else if (t->t == TK_WORD) {
		/* bare: ASCII case folded. Every byte of the five names is a lower-case letter,
		 * and the only other byte that ORed with 0x20 gives it is its upper case. */
		memcpy(&v, p->lx.s + t->off, 4);
		v |= 0x20202020u;
	} else {
		return 0;
	}
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		memcpy(&c, cols[i], 4);
		if (v == c)
			return 1;
	}
	return 0;
}

/* A call of parts[np-1] (schema parts[np-2]); cur is the last name token, nxt is '('. */
static void call(parser *p, const tok *parts, int np)
{
	const tok *name = &parts[np - 1], *schema = np >= 2 ? &parts[np - 2] : NULL;
	uint8_t cls = F_NONE;
	if (name->t == TK_WORD && name->kw) {
		cls = fn_class(p, name->kw);
		if (schema && !(schema->t == TK_WORD && !p->my && schema->len == 10 &&
				ci_eq(p->lx.s + schema->off, "pg_catalog", 10)))
			cls = F_NONE;
	}
	if (cls == F_SYN)
		return;
	if (p->ddl) {
		p->call_pending = 1; /* DDL is never cached: its calls do not matter */
		return;
	}
	if (schema && !p->my && schema->t == TK_WORD && schema->len == 10 &&
	    ci_eq(p->lx.s + schema->off, "pg_catalog", 10))
		schema = NULL; /* report the built-in's plain name */
	else if (schema == NULL && !p->my && cls != F_NONE)
		add_builtin(p, name);
	switch (cls) {
	case F_SYN:
		return;
	case F_IMM:
		break;
	case F_VOL:
		add_func(p, name, schema, CAP_FUNC_VOLATILE);
		break;
	case F_SEQ:
		p->reasons |= CAP_SQLR_SEQUENCE;
		break;
	case F_LASTID:
		p->reasons |= CAP_SQLR_LASTID;
		break;
	case F_SESS:
		p->reasons |= CAP_SQLR_SESSION_FN;
		break;
	default:
		add_func(p, name, schema, CAP_FUNC_UNKNOWN);
		break;
	}
	p->call_pending = 1;
}

/* ---------------------------------------------------------------- levels */

static void push(parser *p, uint8_t ctx, uint8_t fl)
{
	if (p->call_pending)
		fl |= L_FN;
	if (p->cast_pending)
		fl |= L_CAST;
	p->call_pending = p->cast_pending = 0;
	if (p->over || p->depth + 1 >= MAXDEPTH) {
		p->over++;
		p->reasons |= CAP_SQLR_UNSUPPORTED;
		advance(p);
		return;
	}
	p->depth++;
	p->lv[p->depth] = (level){ ctx, 0, fl, 0 };
	advance(p);
}

static void pop(parser *p)
{
	p->call_pending = p->cast_pending = 0;
	if (p->over) {
		p->over--;
		advance(p);
		return;
	}
	if (p->depth == 0) {
		p->reasons |= CAP_SQLR_UNSUPPORTED;
		advance(p);
		return;
	}
	level *c = &p->lv[p->depth];
	if ((c->fl & L_CTEBODY) && c->cte)
		p->ctes[c->cte - 1].active = 1;
	if (c->fl & L_TGT) {
		p->tgt_pending--;
		p->write_unknown = 1;
	}
	p->depth--;
	while (p->ncte > 0 && p->ctes[p->ncte - 1].depth > p->depth)
		p->ncte--;
	advance(p);
}

/* ---------------------------------------------------------------- the walk */

static void begin_write(parser *p, uint16_t kw)
{
	level *L = &p->lv[p->depth];
	p->write_seen = 1;
	if (p->depth > 0)
		p->reasons |= CAP_SQLR_WRITE_CTE;
	if (!(L->fl & L_TGT)) {
		L->fl |= L_TGT;
		p->tgt_pending++;
	}
	switch (kw) {
	case KW_UPDATE:
		L->ctx = C_FROM;
		L->fl |= (uint8_t)(L_WRITE | (p->my ? L_WRITE_ALL : 0));
		break;
	case KW_DELETE:
		L->ctx = C_DEL;
		break;
	case KW_MERGE:
		L->ctx = C_TARGET;
		L->fl |= L_USING_FROM;
		break;
	default:
		L->ctx = C_TARGET;
		break;
	}
	advance(p);
}

static int is_cte_start(const parser *p)
{
	const tok *n = &p->nxt;
	if (n->t == TK_QIDENT)
		return 1;
	if (n->t != TK_WORD)
		return 0;
	switch (n->kw) {
	case KW_TIME: case KW_ORDINALITY: case KW_CHECK: case KW_ROLLUP: case KW_CONSISTENT:
	case KW_TIES: case KW_DATA: case KW_NO: case KW_GRANT: case KW_HOLD: case KW_LOCAL:
	case KW_OPTION: case KW_ZONE: case KW_READ: case KW_TABLE: case KW_ROLE:
		return 0;
	}
	return 1;
}

static int accept(parser *p, uint16_t kw);

/* FROM item expected. Returns 1 when it consumed or re-dispatched the token. */
static int from_expect(parser *p, level *L)
{
	tok parts[3];
	switch (p->cur.t) {
	case TK_WORD:
		switch (p->cur.kw) {
		case KW_LATERAL:
		case KW_ONLY:
			advance(p);
			return 1;
		case KW_LOW_PRIORITY:
		case KW_IGNORE:
		case KW_QUICK:
			if (L->fl & L_WRITE) {
				advance(p);
				return 1;
			}
			break;
		case KW_ROWS:
			if (p->nxt.t == TK_WORD && p->nxt.kw == KW_FROM) {
				advance(p);
				L->ctx = C_FROM_AFTER;
				L->fa = FA_START;
				p->call_pending = 1; /* ROWS FROM ( f(), g() ) */
				advance(p);
				return 1;
			}
			break;
		case KW_SELECT:
		case KW_VALUES:
		case KW_WITH:
			goto unsupported;
		default:
			if (cap_kws[p->cur.kw].fl & KF_TERM)
				goto unsupported;
			break;
		}
		/* fall through */
	case TK_QIDENT: {
		int np = chain(p, parts);
		if (p->nxt.t == TK_LP && p->cur.t != TK_OP) {
			if (L->fl & L_WRITE)
				write_lost(p);
			call(p, parts, np);
			if (!p->call_pending) /* syntax word: not a FROM item we know */
				p->reasons |= CAP_SQLR_UNSUPPORTED;
		} else {
			add_table(p, parts, np, (L->fl & L_WRITE) != 0);
		}
		L->ctx = C_FROM_AFTER;
		L->fa = FA_START;
		advance(p);
		return 1;
	}
	case TK_LP: {
		uint16_t k = p->nxt.t == TK_WORD ? p->nxt.kw : 0;
		uint8_t child = (k == KW_SELECT || k == KW_WITH || k == KW_VALUES || k == KW_TABLE)
					? C_NONE : C_FROM;
		uint8_t fl = child == C_FROM ? (L->fl & (L_WRITE | L_WRITE_ALL)) : 0;
		if (child == C_FROM && (L->fl & L_TGT) && (L->fl & L_WRITE)) {
			/* the target is inside the parentheses: move the wait there */
			L->fl &= (uint8_t)~L_TGT;
			fl |= L_TGT;
		}
		L->ctx = C_FROM_AFTER;
		L->fa = FA_START;
		push(p, child, fl);
		return 1;
	}
	default:
		break;
	}
unsupported:
	if (L->fl & L_WRITE)
		write_lost(p);
	p->reasons |= CAP_SQLR_UNSUPPORTED;
	L->ctx = C_NONE;
	return 0;
}

static int from_after(parser *p, level *L)
{
	if (L->fa == FA_START && p->cur.t == TK_WORD && p->cur.kw == KW_AS) {
		L->fa = FA_AS;
		advance(p);
		return 1;
	}
	/* after AS any word is the alias; without AS a word that cannot start a clause, or
	 * a clause word followed by ',' (PostgreSQL: FROM a lock, b) */
	if ((L->fa == FA_AS && is_name(&p->cur)) ||
	    (L->fa == FA_START &&
	     (p->cur.t == TK_QIDENT ||
	      (p->cur.t == TK_WORD && (!(cap_kws[p->cur.kw].fl & KF_NOALIAS) ||
				       (p->nxt.t == TK_COMMA && p->cur.kw != KW_USING)))))) {
		L->fa = FA_ALIAS;
		advance(p);
		return 1;
	}
	/* MySQL index hints: USE|FORCE|IGNORE INDEX|KEY [FOR JOIN|ORDER BY|GROUP BY] (...) */
	if (p->cur.t == TK_WORD &&
	    (p->cur.kw == KW_USE || p->cur.kw == KW_FORCE || p->cur.kw == KW_IGNORE) &&
	    p->nxt.t == TK_WORD && (p->nxt.kw == KW_INDEX || p->nxt.kw == KW_KEY)) {
		advance(p);
		advance(p);
		if (accept(p, KW_FOR)) {
			(void)(accept(p, KW_JOIN) || accept(p, KW_ORDER) || accept(p, KW_GROUP));
			accept(p, KW_BY);
		}
		if (p->cur.t == TK_LP) {
			int d = 0;
			do {
				d += p->cur.t == TK_LP;
				d -= p->cur.t == TK_RP;
				advance(p);
			} while (d > 0 && !end_of_stmt(p));
		}
		L->fa = FA_REST;
		return 1;
	}
	L->fa = FA_REST;
	return 0;
}

static int target(parser *p, level *L)
{
	tok parts[3];
	if (p->cur.t == TK_WORD) {
		switch (p->cur.kw) {
		case KW_INTO: case KW_IGNORE: case KW_LOW_PRIORITY: case KW_DELAYED:
		case KW_HIGH_PRIORITY: case KW_ONLY: case KW_TABLE:
			advance(p);
			return 1;
		}
	}
	if (is_name(&p->cur)) {
		int np = chain(p, parts);
		add_table(p, parts, np, 1);
		L->ctx = C_NONE;
		advance(p);
		return 1;
	}
	write_lost(p);
	L->ctx = C_NONE;
	return 0;
}

static int cte_state(parser *p, level *L)
{
	switch (L->ctx) {
	case C_CTE_NAME:
		if (is_name(&p->cur)) {
			uint16_t off, len;
			if (p->ncte >= MAXCTE || !put_name(p, &p->cur, &off, &len)) {
				p->reasons |= CAP_SQLR_UNSUPPORTED;
				L->ctx = C_NONE;
				return 0;
			}
			p->ctes[p->ncte] = (cte){ off, len, (uint8_t)p->depth,
						  (uint8_t)((L->fl & L_RECURSIVE) != 0) };
			L->cte = (uint8_t)++p->ncte;
			L->ctx = C_CTE_AS;
			L->fa = 0;
			advance(p);
			return 1;
		}
		break;
	case C_CTE_AS:
		if (p->cur.t == TK_LP) {
			if (L->fa) {
				uint8_t c = L->cte;
				L->ctx = C_CTE_DONE;
				push(p, C_NONE, L_CTEBODY);
				if (!p->over)
					p->lv[p->depth].cte = c;
			} else {
				push(p, C_NONE, 0); /* column list */
			}
			return 1;
		}
		if (p->cur.t == TK_WORD &&
		    (p->cur.kw == KW_AS || p->cur.kw == KW_NOT || p->cur.kw == KW_MATERIALIZED)) {
			if (p->cur.kw == KW_AS)
				L->fa = 1;
			advance(p);
			return 1;
		}
		break;
	case C_CTE_DONE:
		if (p->cur.t == TK_COMMA) {
			L->ctx = C_CTE_NAME;
			advance(p);
			return 1;
		}
		if (p->cur.t == TK_WORD && (p->cur.kw == KW_SEARCH || p->cur.kw == KW_CYCLE)) {
			L->ctx = C_CTE_SKIP;
			advance(p);
			return 1;
		}
		L->ctx = C_NONE;
		return 0;
	case C_CTE_SKIP:
		if (p->cur.t == TK_COMMA) {
			L->ctx = C_CTE_NAME;
			advance(p);
			return 1;
		}
		if (p->cur.t == TK_WORD) {
			switch (p->cur.kw) {
			case KW_SELECT: case KW_INSERT: case KW_UPDATE: case KW_DELETE: case KW_MERGE:
			case KW_VALUES: case KW_TABLE:
				L->ctx = C_NONE;
				return 0;
			}
		}
		if (p->cur.t == TK_LP) {
			L->ctx = C_NONE;
			return 0;
		}
		advance(p);
		return 1;
	}
	p->reasons |= CAP_SQLR_UNSUPPORTED;
	L->ctx = C_NONE;
	return 0;
}

/* The words date/time input reads as the current time, seen one ASCII letter at a time:
 * a run of letters between non-letters is compared when it ends. */
typedef struct nowscan {
	char w[10];
	uint32_t n;
	int hit;
} nowscan;

static void ns_end(nowscan *z)
{
	if ((z->n == 3 && memcmp(z->w, "now", 3) == 0) ||
	    (z->n == 5 && memcmp(z->w, "today", 5) == 0) ||
	    (z->n == 8 && memcmp(z->w, "tomorrow", 8) == 0) ||
	    (z->n == 9 && memcmp(z->w, "yesterday", 9) == 0))
		z->hit = 1;
	z->n = 0;
}

static void ns_feed(nowscan *z, uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
		if (z->n < sizeof(z->w))
			z->w[z->n] = (char)(c | 0x20);
		z->n++;
	} else {
		ns_end(z);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Up to max hex digits at s[*i]; -1 when there are fewer than min. */
static long hexrun(const char *s, size_t n, size_t *i, int min, int max)
{
	long v = 0;
	int k = 0;
	while (k < max && *i < n && hexval(s[*i]) >= 0) {
		v = v * 16 + hexval(s[*i]);
		(*i)++;
		k++;
	}
	return k >= min ? v : -1;
}

/* Three readings of the text, any of which may be what the server's date/time input sees:
 * backslashes dropped (array and range literals unescape), E'' escapes decoded (\157,
 * \x6f, \u006f), U&'' escapes decoded (\006F, \+00006F). */
int cap_sql_now_text(const char *s, size_t n)
{
	nowscan z = { { 0 }, 0, 0 };
	int bs = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			bs = 1;
			continue;
		}
		ns_feed(&z, (uint8_t)s[i]);
	}
	ns_end(&z);
	if (z.hit || !bs)
		return z.hit;
	for (int mode = 0; mode < 2 && !z.hit; mode++) {
		z.n = 0;
		for (size_t i = 0; i < n;) {
			if (s[i] != '\\' || i + 1 >= n) {
				ns_feed(&z, (uint8_t)s[i++]);
				continue;
			}
			i++;
			long v = -1;
			if (mode == 0) {
				if (s[i] >= '0' && s[i] <= '7') {
					v = 0;
					for (int k = 0; k < 3 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
						v = v * 8 + (s[i++] - '0');
				} else if (s[i] == 'x') {
					i++;
					v = hexrun(s, n, &i, 1, 2);
				} else if (s[i] == 'u') {
					i++;
					v = hexrun(s, n, &i, 4, 4);
				} else if (s[i] == 'U') {
					i++;
					v = hexrun(s, n, &i, 8, 8);
				} else if (s[i] == 'b' || s[i] == 'f' || s[i] == 'n' || s[i] == 'r' ||
					   s[i] == 't') {
					i++;
					v = ' '; /* a control character: not a letter */
				}
			} else if (s[i] == '+') {
				i++;
				v = hexrun(s, n, &i, 6, 6);
			} else {
				v = hexrun(s, n, &i, 4, 4);
			}
			if (v < 0)
				v = (uint8_t)s[i++]; /* \c is c */
			ns_feed(&z, (uint32_t)v);
		}
		ns_end(&z);
	}
	return z.hit;
}

/* A PostgreSQL string literal whose text may mean the current time (cap_sql_now_text); a
 * U&'' string with its own UESCAPE character is not decoded and counts as one. */
static int is_now_literal(const parser *p, const tok *t)
{
	const char *s = p->lx.s + t->off;
	uint32_t n = t->len, b = 0, e = n;
	if (n >= 2 && s[0] == '$') { /* $tag$...$tag$ */
		b = 1;
		while (b < n && s[b] != '$')
			b++;
		b++;
		e = n >= 2 * b ? n - b : b;
	} else {
		while (b < n && s[b] != '\'')
			b++;
		b++;
		e = n ? n - 1 : 0;
		if (b >= 3 && (s[0] | 0x20) == 'u' && p->nxt.t == TK_WORD &&
		    p->nxt.len == 7 && ci_eq(p->lx.s + p->nxt.off, "uescape", 7))
			return 1;
	}
	return b < e && cap_sql_now_text(s + b, e - b);
}

/* A PostgreSQL date/time type (or a range of one): its input reads 'now', 'today' ... as the
 * current time, whatever text it is given. */
static int datetime_type(const parser *p, const tok *t)
{
	static const char *const names[] = { "date", "time", "timetz", "timestamp", "timestamptz",
					     "daterange", "tsrange", "tstzrange", "datemultirange",
					     "tsmultirange", "tstzmultirange" };
	if (p->my || !is_name(t))
		return 0;
	const char *s = p->lx.s + t->off;
	size_t n = t->len;
	if (t->t == TK_QIDENT && n >= 2) {
		s++;
		n -= 2;
	}
	for (size_t i = 0; i < CAP_ARRAY_LEN(names); i++)
		if (strlen(names[i]) == n && ci_eq(s, names[i], n))
			return 1;
	return 0;
}

/* Only a literal (checked for 'now' itself) or a parameter (its value is checked) is known
 * not to be the current time; a column, a variable or an expression may hold 'now'. */
static int lit_token(uint8_t t)
{
	return t == TK_STR || t == TK_NUM || t == TK_PARAM;
}

static void word(parser *p)
{
	level *L = &p->lv[p->depth];
	uint16_t kw = p->cur.t == TK_WORD ? p->cur.kw : 0;
	tok parts[3];
	if (kw == KW_CAST && p->nxt.t == TK_LP)
		p->cast_pending = 1;
	if (kw) {
		uint8_t fl = cap_kws[kw].fl;
		switch (kw) {
		case KW_SELECT:
			L->fl &= (uint8_t)~L_FN;
			L->ctx = C_NONE;
			advance(p);
			return;
		case KW_FROM:
			if (L->fl & L_FN)
				break;
			if (p->prevkw == KW_DISTINCT && (p->prev2kw == KW_IS || p->prev2kw == KW_NOT))
				break;
			L->ctx = C_FROM;
			if (!(L->fl & L_WRITE_ALL))
				L->fl &= (uint8_t)~L_WRITE;
			advance(p);
			return;
		case KW_JOIN:
			/* a table always follows JOIN, whatever we think the context is */
			if (!(L->fl & L_FN))
				L->ctx = C_FROM;
			advance(p);
			return;
		case KW_STRAIGHT_JOIN:
			if (L->ctx == C_FROM_AFTER || L->ctx == C_FROM)
				L->ctx = C_FROM;
			advance(p);
			return;
		case KW_USING:
			if (L->fl & L_USING_FROM) {
				L->fl &= (uint8_t)~L_USING_FROM;
				L->ctx = C_FROM;
				if (!(L->fl & L_WRITE_ALL))
					L->fl &= (uint8_t)~L_WRITE;
				advance(p);
				return;
			}
			advance(p);
			return;
		case KW_FOR:
			if (L->fl & L_FN)
				break;
			if (p->nxt.t == TK_WORD &&
			    (p->nxt.kw == KW_UPDATE || p->nxt.kw == KW_SHARE || p->nxt.kw == KW_NO ||
			     p->nxt.kw == KW_KEY)) {
				p->reasons |= CAP_SQLR_LOCKING;
				L->ctx = C_NONE;
			}
			/* else FOR SYSTEM_TIME ... (MariaDB) and the like: the FROM list goes on */
			advance(p);
			return;
		case KW_LOCK:
			if (L->fl & L_FN)
				break;
			if (p->nxt.t == TK_WORD && p->nxt.kw == KW_IN)
				p->reasons |= CAP_SQLR_LOCKING;
			L->ctx = C_NONE;
			advance(p);
			return;
		case KW_INTO:
			if (L->fl & L_FN)
				break;
			L->ctx = C_NONE;
			advance(p);
			p->reasons |= CAP_SQLR_INTO;
			if (!p->my && p->query && !p->ddl) {
				/* PostgreSQL SELECT INTO creates a table */
				int temp = 0;
				while (p->cur.t == TK_WORD &&
				       (p->cur.kw == KW_TEMP || p->cur.kw == KW_TEMPORARY ||
					p->cur.kw == KW_UNLOGGED || p->cur.kw == KW_TABLE ||
					p->cur.kw == KW_GLOBAL || p->cur.kw == KW_LOCAL)) {
					temp |= p->cur.kw == KW_TEMP || p->cur.kw == KW_TEMPORARY;
					advance(p);
				}
				p->select_into = 1;
				if (temp) {
					p->in->flags |= CAP_SQLF_TEMP;
					p->reasons |= CAP_SQLR_TEMP;
				}
				if (is_name(&p->cur)) {
					int np = chain(p, parts);
					add_table(p, parts, np, 1);
					advance(p);
				} else {
					p->write_unknown = 1;
				}
			}
			return;
		case KW_INSERT:
		case KW_UPDATE:
		case KW_DELETE:
		case KW_MERGE:
			if (p->ddl || p->nowr || (kw == KW_INSERT && p->nxt.t == TK_LP))
				break;
			if (kw == KW_UPDATE && (p->prevkw == KW_FOR || p->prevkw == KW_KEY)) {
				if (p->prev2kw != KW_DUPLICATE)
					p->reasons |= CAP_SQLR_LOCKING;
				advance(p);
				return;
			}
			switch (p->prevkw) {
			case KW_THEN: case KW_DO: case KW_ON: case KW_OR: case KW_BEFORE: case KW_AFTER:
			case KW_OF:
				advance(p);
				return;
			}
			begin_write(p, kw);
			return;
		case KW_WITH:
			if (!is_cte_start(p))
				break;
			L->ctx = C_CTE_NAME;
			advance(p);
			if (p->cur.t == TK_WORD && p->cur.kw == KW_RECURSIVE) {
				L->fl |= L_RECURSIVE;
				advance(p);
			}
			return;
		case KW_TABLE:
			if ((L->fl & L_FN) || !is_name(&p->nxt) || L->ctx != C_NONE)
				break;
			L->ctx = C_FROM;
			if (p->ddl)
				L->fl |= L_WRITE;
			else if (!(L->fl & L_WRITE_ALL))
				L->fl &= (uint8_t)~L_WRITE;
			advance(p);
			return;
		case KW_TABLESAMPLE:
			p->reasons |= CAP_SQLR_VOLATILE_CLAUSE;
			advance(p);
			return;
		case KW_SQL_NO_CACHE:
			p->reasons |= CAP_SQLR_NO_CACHE;
			advance(p);
			return;
		case KW_SQL_CALC_FOUND_ROWS:
			p->reasons |= CAP_SQLR_LASTID;
			advance(p);
			return;
		case KW_RENAME:
			if (!p->ddl)
				break;
			advance(p);
			if (p->cur.t == TK_WORD && (p->cur.kw == KW_TO || p->cur.kw == KW_AS)) {
				advance(p);
				if (is_name(&p->cur)) {
					int np = chain(p, parts);
					add_table(p, parts, np, 1);
					advance(p);
				}
			}
			return;
		case KW_CASCADE:
			if (p->ddl && p->prevkw != KW_DELETE && p->prevkw != KW_UPDATE)
				p->write_unknown = 1;
			break;
		case KW_BEGIN:
			if (p->in_create) {
				p->block++;
				advance(p);
				return;
			}
			break;
		case KW_CASE:
		case KW_LOOP:
		case KW_WHILE:
		case KW_REPEAT:
			if (p->block > 0)
				p->block++;
			break;
		case KW_IF:
			if (p->block > 0 && p->nxt.t != TK_LP &&
			    !(p->nxt.t == TK_WORD && (p->nxt.kw == KW_NOT || p->nxt.kw == KW_EXISTS)))
				p->block++;
			break;
		case KW_END:
			if (p->block > 0) {
				p->block--;
				advance(p);
				if (p->cur.t == TK_WORD &&
				    (p->cur.kw == KW_IF || p->cur.kw == KW_LOOP || p->cur.kw == KW_WHILE ||
				     p->cur.kw == KW_REPEAT || p->cur.kw == KW_CASE))
					advance(p);
				return;
			}
			break;
		default:
			break;
		}
		if ((fl & KF_TERM) && !(L->fl & L_FN)) {
			L->ctx = C_NONE;
			if (kw == KW_SET && !(L->fl & L_WRITE_ALL))
				L->fl &= (uint8_t)~L_WRITE;
			advance(p);
			return;
		}
		if ((fl & (p->my ? KF_NIL_MY : KF_NIL_PG)) && p->nxt.t != TK_LP &&
		    p->prevt != TK_DOT) {
			add_func(p, &p->cur, NULL, CAP_FUNC_VOLATILE);
			advance(p);
			return;
		}
	}
	if (seq_value(p)) {
		advance(p);
		return;
	}
	/* CAST(x AS date): as x::date, over the whole of x */
	if (kw == KW_AS && (L->fl & L_CAST) && datetime_type(p, &p->nxt) &&
	    !(lit_token(p->prevt) && p->prev2t == TK_LP))
		p->reasons |= CAP_SQLR_VOLATILE_CLAUSE;
	/* a name chain: column, qualified column, or a call */
	uint16_t before_kw = p->prevkw;
	uint8_t before_t = p->prevt;
	int np = chain(p, parts);
	if (p->nxt.t == TK_LP && is_name(&p->cur) && before_kw != KW_AS && before_t != TK_CAST)
		call(p, parts, np);
	else if (pg_row_header(p, &parts[np - 1]))
		p->reasons |= CAP_SQLR_VOLATILE_CLAUSE;
	else
		seq_attr(p, parts, np);
	advance(p);
}

static void cast(parser *p)
{
	tok parts[3];
	const int lit = lit_token(p->prevt); /* x::type binds to the token before it */
	advance(p);
	if (!is_name(&p->cur))
		return;
	int np = chain(p, parts);
	const tok *t = &parts[np - 1];
	if (!p->my && t->t == TK_WORD && t->len >= 3 && ci_eq(p->lx.s + t->off, "reg", 3))
		p->reasons |= CAP_SQLR_SYSCATALOG;
	if (!lit && datetime_type(p, t))
		p->reasons |= CAP_SQLR_VOLATILE_CLAUSE;
	advance(p);
}

static void step(parser *p)
{
	if (p->over && p->cur.t != TK_LP && p->cur.t != TK_RP) {
		uint16_t k = p->cur.t == TK_WORD ? p->cur.kw : 0;
		if ((k == KW_INSERT || k == KW_UPDATE || k == KW_DELETE || k == KW_MERGE) &&
		    !p->ddl && !p->nowr) {
			p->write_seen = 1;
			p->write_unknown = 1;
			p->reasons |= CAP_SQLR_WRITE_CTE;
		}
		advance(p);
		return;
	}
	level *L = &p->lv[p->depth];
	switch (L->ctx) {
	case C_FROM:
		if (from_expect(p, L))
			return;
		break;
	case C_FROM_AFTER:
		if (from_after(p, L))
			return;
		break;
	case C_TARGET:
		if (target(p, L))
			return;
		break;
	case C_DEL:
		if (p->cur.t == TK_WORD) {
			if (p->cur.kw == KW_LOW_PRIORITY || p->cur.kw == KW_QUICK ||
			    p->cur.kw == KW_IGNORE) {
				advance(p);
				return;
			}
			if (p->cur.kw == KW_FROM) {
				L->ctx = C_FROM;
				L->fl |= (uint8_t)(L_WRITE | L_USING_FROM | (p->my ? L_WRITE_ALL : 0));
				advance(p);
				return;
			}
		}
		/* MySQL: DELETE t1, t2 FROM ... */
		L->ctx = C_FROM;
		L->fl |= L_WRITE | L_WRITE_ALL | L_USING_FROM;
		return;
	case C_CTE_NAME:
	case C_CTE_AS:
	case C_CTE_DONE:
	case C_CTE_SKIP:
		if (cte_state(p, L))
			return;
		break;
	default:
		break;
	}
	switch (p->cur.t) {
	case TK_LP:
		push(p, C_NONE, 0);
		return;
	case TK_RP:
		pop(p);
		return;
	case TK_COMMA:
		if (L->ctx == C_FROM_AFTER && !(L->fl & L_FN))
			L->ctx = C_FROM;
		advance(p);
		return;
	case TK_WORD:
	case TK_QIDENT:
		word(p);
		return;
	case TK_VAR:
		p->reasons |= CAP_SQLR_USERVAR;
		advance(p);
		return;
	case TK_STR:
		if (!p->my && is_now_literal(p, &p->cur))
			p->reasons |= CAP_SQLR_VOLATILE_CLAUSE;
		if (p->my && p->nxt.t == TK_LP && p->lx.s[p->cur.off] == '"') {
			/* under sql_mode ANSI_QUOTES "f"(...) calls f; without it, a syntax error */
			add_func(p, &p->cur, NULL, CAP_FUNC_UNKNOWN);
			p->call_pending = 1;
		}
		advance(p);
		return;
	case TK_CAST:
		cast(p);
		return;
	default:
		advance(p);
		return;
	}
}

static void walk(parser *p)
{
	while (!end_of_stmt(p)) {
		if (p->skip_rest) {
			if (CAP_UNLIKELY(p->flush_tables) && p->cur.t == TK_WORD &&
			    (p->cur.kw == KW_LOCK || p->cur.kw == KW_EXPORT))
				p->in->flags |= CAP_SQLF_LOCK_TABLES;
			advance(p);
		} else
			step(p);
	}
}

/* ---------------------------------------------------------------- statement heads */

static inline int cur_kw(const parser *p, uint16_t kw)
{
	return p->cur.t == TK_WORD && p->cur.kw == kw;
}

static int accept(parser *p, uint16_t kw)
{
	if (cur_kw(p, kw)) {
		advance(p);
		return 1;
	}
	return 0;
}

static void skip_if_exists(parser *p)
{
	if (cur_kw(p, KW_IF)) {
		advance(p);
		accept(p, KW_NOT);
		accept(p, KW_EXISTS);
	}
}

/* a name at cur: record it (write) and step past it */
static int take_name(parser *p, int write)
{
	tok parts[3];
	if (!is_name(&p->cur))
		return 0;
	int np = chain(p, parts);
	add_table(p, parts, np, write);
	advance(p);
	return 1;
}

static enum cap_sql_iso iso_words(parser *p)
{
	if (accept(p, KW_SERIALIZABLE))
		return CAP_ISO_SERIALIZABLE;
	if (accept(p, KW_REPEATABLE)) {
		accept(p, KW_READ);
		return CAP_ISO_REPEATABLE_READ;
	}
	if (accept(p, KW_READ)) {
		if (accept(p, KW_COMMITTED))
			return CAP_ISO_READ_COMMITTED;
		if (accept(p, KW_UNCOMMITTED))
			return CAP_ISO_READ_UNCOMMITTED;
	}
	return CAP_ISO_UNKNOWN;
}

/* transaction modes: ISOLATION LEVEL x, READ ONLY/WRITE, [NOT] DEFERRABLE, WITH CONSISTENT
 * SNAPSHOT, separated by commas; stops at the end of the statement */
static enum cap_sql_iso txn_modes(parser *p, int *ro)
{
	enum cap_sql_iso iso = CAP_ISO_NONE;
	while (!end_of_stmt(p)) {
		if (accept(p, KW_ISOLATION)) {
			accept(p, KW_LEVEL);
			iso = iso_words(p);
		} else if (accept(p, KW_READ)) {
			if (accept(p, KW_ONLY))
				*ro = 1;
			else
				accept(p, KW_WRITE);
		} else if (cur_kw(p, KW_CONSISTENT) ||
			   (p->cur.t == TK_WORD && p->cur.len == 8 &&
			    ci_eq(p->lx.s + p->cur.off, "snapshot", 8))) {
			p->in->flags |= CAP_SQLF_SNAPSHOT;
			advance(p);
		} else {
			advance(p);
		}
	}
	return iso;
}

static void set_iso(parser *p, enum cap_sql_iso iso, enum cap_sql_iso_scope scope)
{
	if (iso == CAP_ISO_NONE)
		return;
	p->in->iso = iso;
	p->in->iso_scope = scope;
}

static enum cap_sql_iso iso_value(const parser *p, const tok *t)
{
	if (t->t == TK_WORD) {
		if (t->kw == KW_SERIALIZABLE)
			return CAP_ISO_SERIALIZABLE;
		return CAP_ISO_UNKNOWN;
	}
	if (t->t != TK_STR)
		return CAP_ISO_UNKNOWN;
	const char *s = p->lx.s + t->off;
	uint32_t n = t->len;
	if (n < 2 || (s[0] != '\'' && s[0] != '"'))
		return CAP_ISO_UNKNOWN;
	char b[24];
	uint32_t k = 0;
	for (uint32_t i = 1; i + 1 < n; i++) {
		if (k >= sizeof(b))
			return CAP_ISO_UNKNOWN;
		char c = (char)lc((uint8_t)s[i]);
		b[k++] = (c == '-' || c == '_') ? ' ' : c;
	}
	if (k == 14 && memcmp(b, "read committed", 14) == 0)
		return CAP_ISO_READ_COMMITTED;
	if (k == 16 && memcmp(b, "read uncommitted", 16) == 0)
		return CAP_ISO_READ_UNCOMMITTED;
	if (k == 15 && memcmp(b, "repeatable read", 15) == 0)
		return CAP_ISO_REPEATABLE_READ;
	if (k == 12 && memcmp(b, "serializable", 12) == 0)
		return CAP_ISO_SERIALIZABLE;
	return CAP_ISO_UNKNOWN;
}

static int autocommit_value(const parser *p, const tok *t)
{
	const char *s = p->lx.s + t->off;
	if (t->t == TK_NUM && t->len == 1)
		return s[0] == '0' ? 0 : s[0] == '1' ? 1 : -1;
	if (t->t == TK_WORD) {
		if (t->kw == KW_ON || t->kw == KW_TRUE)
			return 1;
		if (t->kw == KW_OFF || t->kw == KW_FALSE)
			return 0;
	}
	if (t->t == TK_STR) {
		if (t->len == 4 && ci_eq(s + 1, "on", 2))
			return 1;
		if (t->len == 5 && ci_eq(s + 1, "off", 3))
			return 0;
	}
	return -1;
}

/* skip to the ',' that ends one MySQL SET assignment; returns 1 at a ',' */
static int skip_assignment(parser *p)
{
	while (!end_of_stmt(p)) {
		if (p->cur.t == TK_LP) {
			/* SET @x = (SELECT v FROM w), SET @x = f((SELECT ...)): the walk records what
			 * the subquery reads, so that a view whose functions write makes the SET a
			 * write */
			const int base = p->depth, over = p->over;
			step(p);
			while (!end_of_stmt(p) && (p->depth > base || p->over > over))
				step(p);
			continue;
		}
		if (p->cur.t == TK_COMMA)
			return 1;
		if (p->cur.t == TK_RP) {
			p->reasons |= CAP_SQLR_UNSUPPORTED; /* unbalanced: the server rejects it */
		} else if (seq_value(p)) {
			;
		} else if (is_name(&p->cur) || p->cur.t == TK_STR) {
			/* SET @x = f(): a function in the value runs, and may write */
			tok parts[3];
			int np = p->cur.t == TK_STR ? (parts[0] = p->cur, 1) : chain(p, parts);
			if (p->nxt.t == TK_LP && (p->cur.t != TK_STR || p->lx.s[p->cur.off] == '"'))
				call(p, parts, np);
			else
				seq_attr(p, parts, np);
		}
		advance(p);
	}
	return 0;
}

enum { SC_NONE = 0, SC_SESSION, SC_GLOBAL, SC_LOCAL, SC_BARE_AT };

static void set_stmt(parser *p)
{
	cap_sql_info *in = p->in;
	p->kind = CAP_SQL_SESSION;
	p->nowr = 1;
	advance(p);
	for (;;) {
		int scope = SC_NONE, ro = 0;
		if (accept(p, KW_GLOBAL) || accept(p, KW_PERSIST) || accept(p, KW_PERSIST_ONLY)) {
			scope = SC_GLOBAL;
			in->flags |= CAP_SQLF_CLUSTER; /* see cap_sql_classify */
		} else if (cur_kw(p, KW_SESSION)) {
			advance(p);
			if (accept(p, KW_CHARACTERISTICS)) {
				accept(p, KW_AS);
				accept(p, KW_TRANSACTION);
				set_iso(p, txn_modes(p, &ro), CAP_ISO_SCOPE_SESSION);
				return;
			}
			if (accept(p, KW_AUTHORIZATION)) {
				in->flags |= CAP_SQLF_SET_ROLE;
				return;
			}
			scope = SC_SESSION;
		} else if (accept(p, KW_LOCAL)) {
			scope = SC_LOCAL;
			if (!p->my)
				in->flags |= CAP_SQLF_SET_LOCAL;
		}
		if (accept(p, KW_TRANSACTION)) {
			enum cap_sql_iso iso = txn_modes(p, &ro);
			/* PostgreSQL's SET SESSION / SET LOCAL TRANSACTION is SET TRANSACTION: this
			 * transaction only (MySQL's SET SESSION TRANSACTION sets the default) */
			if (scope == SC_NONE || (!p->my && scope != SC_GLOBAL)) {
				p->kind = CAP_SQL_TXN;
				p->txn = CAP_TXN_SET;
				if (ro)
					in->flags |= CAP_SQLF_READ_ONLY;
				set_iso(p, iso, p->my ? CAP_ISO_SCOPE_NEXT : CAP_ISO_SCOPE_TXN);
			} else if (scope != SC_GLOBAL) {
				set_iso(p, iso, CAP_ISO_SCOPE_SESSION);
			}
			return;
		}
		if (cur_kw(p, KW_ROLE) || (cur_kw(p, KW_DEFAULT) && p->nxt.t == TK_WORD &&
					    p->nxt.kw == KW_ROLE)) {
			in->flags |= CAP_SQLF_SET_ROLE;
			return;
		}
		if (cur_kw(p, KW_PASSWORD) && p->my) {
			p->kind = CAP_SQL_DDL;
			return;
		}
		if (cur_kw(p, KW_STATEMENT) && p->my) {
			p->kind = CAP_SQL_OTHER; /* MariaDB SET STATEMENT ... FOR stmt */
			return;
		}
		uint16_t var = 0;
		if (p->cur.t == TK_VAR) {
			const char *s = p->lx.s + p->cur.off;
			uint32_t n = p->cur.len;
			if (n > 2 && s[1] == '@') {
				const char *dot = memchr(s, '.', n);
				uint32_t st = 2;
				if (dot) {
					uint32_t sl = (uint32_t)(dot - s) - 2;
					if ((sl == 7 && ci_eq(s + 2, "session", 7)) ||
					    (sl == 5 && ci_eq(s + 2, "local", 5)))
						scope = SC_SESSION;
					else {
						scope = SC_GLOBAL;
						in->flags |= CAP_SQLF_CLUSTER;
					}
					st = (uint32_t)(dot - s) + 1;
				} else {
					scope = SC_BARE_AT;
				}
				var = kw_find(s + st, n - st);
			}
			advance(p);
		} else if (is_name(&p->cur)) {
			tok parts[3];
			int np = chain(p, parts);
			if (np == 1 && parts[0].t == TK_WORD) {
				var = parts[0].kw;
				if (var == KW_NAMES || var == KW_CHARSET ||
				    (var == KW_CHARACTER && p->nxt.t == TK_WORD && p->nxt.kw == KW_SET))
					var = KW_NAMES;
			}
			advance(p);
		}
		if (var != KW_NAMES && (p->cur.t == TK_OP || cur_kw(p, KW_TO)))
			advance(p); /* = := TO */
		const tok v = p->cur;
		switch (var) {
		case KW_AUTOCOMMIT:
			if (scope != SC_GLOBAL) {
				in->flags |= CAP_SQLF_SET_AUTOCOMMIT;
				in->autocommit = autocommit_value(p, &v);
				if (v.t != TK_EOF && p->nxt.t != TK_EOF && p->nxt.t != TK_SEMI &&
				    p->nxt.t != TK_COMMA)
					in->autocommit = -1;
			}
			break;
		case KW_TRANSACTION_ISOLATION:
		case KW_TX_ISOLATION:
			if (scope == SC_GLOBAL)
				break;
			if (!p->my)
				set_iso(p, iso_value(p, &v), CAP_ISO_SCOPE_TXN);
			else
				set_iso(p, iso_value(p, &v),
					scope == SC_BARE_AT ? CAP_ISO_SCOPE_NEXT : CAP_ISO_SCOPE_SESSION);
			break;
		case KW_DEFAULT_TRANSACTION_ISOLATION:
			if (scope != SC_GLOBAL)
				set_iso(p, iso_value(p, &v), CAP_ISO_SCOPE_SESSION);
			break;
		default:
			break;
		}
		if (!p->my)
			return;
		if (!skip_assignment(p))
			return;
		advance(p); /* ',' */
	}
}

static void txn_head(parser *p, enum cap_sql_txn t)
{
	p->kind = CAP_SQL_TXN;
	p->txn = t;
	p->nowr = 1;
}

static void head(parser *p);

/* EXPLAIN ... / DESCRIBE ... at cur; analyze: the statement runs (MariaDB's ANALYZE stmt). */
static void explain(parser *p, int analyze)
{
	advance(p);
	for (;;) {
		if (cur_kw(p, KW_ANALYZE) || cur_kw(p, KW_ANALYSE)) {
			analyze = 1;
			advance(p);
		} else if (cur_kw(p, KW_VERBOSE) || cur_kw(p, KW_EXTENDED) ||
			   cur_kw(p, KW_PARTITIONS)) {
			advance(p);
		} else if (cur_kw(p, KW_FORMAT)) {
			advance(p);
			if (p->cur.t == TK_OP)
				advance(p);
			advance(p);
		} else if (p->cur.t == TK_LP && !p->my) {
			int d = 0;
			do {
				if (p->cur.t == TK_LP)
					d++;
				else if (p->cur.t == TK_RP)
					d--;
				else if (cur_kw(p, KW_ANALYZE) || cur_kw(p, KW_ANALYSE)) {
					advance(p);
					if (cur_kw(p, KW_FALSE) || cur_kw(p, KW_OFF) ||
					    (p->cur.t == TK_NUM && p->cur.len == 1 &&
					     p->lx.s[p->cur.off] == '0'))
						continue;
					analyze = 1;
					continue;
				}
				advance(p);
			} while (d > 0 && !end_of_stmt(p));
		} else {
			break;
		}
	}
	p->reasons |= CAP_SQLR_EXPLAIN;
	uint16_t k = p->cur.t == TK_WORD ? p->cur.kw : 0;
	switch (k) {
	case KW_SELECT: case KW_WITH: case KW_VALUES: case KW_TABLE: case KW_INSERT:
	case KW_UPDATE: case KW_DELETE: case KW_MERGE: case KW_REPLACE: case KW_CREATE:
	case KW_EXECUTE: case KW_DECLARE:
		break;
	default:
		if (p->cur.t != TK_LP) {
			p->kind = CAP_SQL_UTILITY;
			p->nowr = 1;
			return;
		}
	}
	head(p);
	p->explain = (uint8_t)(analyze ? 2 : 1);
}

/* CREATE/ALTER/DROP of an object every database of the server shares (roles, databases). */
static void cluster_object(parser *p)
{
	if (cur_kw(p, KW_ROLE) || cur_kw(p, KW_USER) || cur_kw(p, KW_GROUP) ||
	    cur_kw(p, KW_DATABASE))
		p->in->flags |= CAP_SQLF_CLUSTER;
}

static void create(parser *p)
{
	cap_sql_info *in = p->in;
	int temp = 0;
	p->kind = CAP_SQL_DDL;
	p->ddl = 1;
	p->in_create = 1;
	in->flags |= CAP_SQLF_CATALOG_CHANGE;
	advance(p);
	cluster_object(p);
	for (;;) {
		if (cur_kw(p, KW_TEMP) || cur_kw(p, KW_TEMPORARY)) {
			temp = 1;
			advance(p);
		} else if (cur_kw(p, KW_OR) || cur_kw(p, KW_REPLACE) || cur_kw(p, KW_GLOBAL) ||
			   cur_kw(p, KW_LOCAL) || cur_kw(p, KW_UNLOGGED) || cur_kw(p, KW_UNIQUE) ||
			   cur_kw(p, KW_MATERIALIZED) || cur_kw(p, KW_RECURSIVE) ||
			   cur_kw(p, KW_FOREIGN) || cur_kw(p, KW_CONSTRAINT)) {
			advance(p);
		} else if (cur_kw(p, KW_DEFINER) || cur_kw(p, KW_ALGORITHM) || cur_kw(p, KW_SQL)) {
			/* MySQL view/routine options: skip to the object word */
			while (!end_of_stmt(p) && !cur_kw(p, KW_VIEW) && !cur_kw(p, KW_TRIGGER) &&
			       !cur_kw(p, KW_PROCEDURE) && !cur_kw(p, KW_FUNCTION) &&
			       !cur_kw(p, KW_EVENT))
				advance(p);
		} else {
			break;
		}
	}
	if (temp) {
		in->flags |= CAP_SQLF_TEMP;
		p->reasons |= CAP_SQLR_TEMP;
	}
	uint16_t k = p->cur.t == TK_WORD ? p->cur.kw : 0;
	switch (k) {
	case KW_TABLE:
	case KW_VIEW:
	case KW_SEQUENCE:
		advance(p);
		skip_if_exists(p);
		if (!take_name(p, 1))
			p->write_unknown = 1;
		break;
	case KW_INDEX:
	case KW_TRIGGER:
	case KW_POLICY:
	case KW_RULE: {
		uint16_t want = k == KW_RULE ? KW_TO : KW_ON;
		int d = 0;
		while (!end_of_stmt(p) && !(d == 0 && cur_kw(p, want))) {
			d += p->cur.t == TK_LP;
			d -= p->cur.t == TK_RP;
			advance(p);
		}
		if (accept(p, want)) {
			accept(p, KW_ONLY);
			if (!take_name(p, 1))
				p->write_unknown = 1;
		} else {
			p->write_unknown = 1;
		}
		break;
	}
	default:
		break;
	}
}

static int object_word(parser *p)
{
	/* TABLE VIEW INDEX SEQUENCE, MATERIALIZED VIEW, FOREIGN TABLE */
	if (cur_kw(p, KW_MATERIALIZED) || cur_kw(p, KW_FOREIGN))
		advance(p);
	if (cur_kw(p, KW_TABLE) || cur_kw(p, KW_VIEW) || cur_kw(p, KW_INDEX) ||
	    cur_kw(p, KW_SEQUENCE)) {
		int t = cur_kw(p, KW_TABLE);
		advance(p);
		return t ? 2 : 1;
	}
	return 0;
}

static void alter(parser *p)
{
	p->kind = CAP_SQL_DDL;
	p->ddl = 1;
	p->in->flags |= CAP_SQLF_CATALOG_CHANGE;
	advance(p);
	cluster_object(p);
	if (object_word(p)) {
		skip_if_exists(p);
		accept(p, KW_ONLY);
		if (!take_name(p, 1))
			p->write_unknown = 1;
	}
}

static void drop(parser *p)
{
	advance(p);
	accept(p, KW_TEMPORARY);
	if (p->my && cur_kw(p, KW_PREPARE)) {
		p->kind = CAP_SQL_SESSION;
		p->nowr = 1;
		return;
	}
	p->kind = CAP_SQL_DDL;
	p->ddl = 1;
	p->in->flags |= CAP_SQLF_CATALOG_CHANGE;
	cluster_object(p);
	int o = object_word(p);
	if (!o)
		return;
	if (o == 2)
		p->in->flags |= CAP_SQLF_DROP_TEMP;
	accept(p, KW_CONCURRENTLY);
	skip_if_exists(p);
	do {
		if (!take_name(p, 1)) {
			p->write_unknown = 1;
			break;
		}
		accept(p, KW_ONLY);
	} while (p->cur.t == TK_COMMA && (advance(p), 1));
	if (accept(p, KW_ON) && !take_name(p, 1))
		p->write_unknown = 1;
}

/* MySQL LOCK TABLE[S], UNLOCK TABLE[S], FLUSH [NO_WRITE_TO_BINLOG | LOCAL] TABLE[S] ... WITH
 * READ LOCK | FOR EXPORT (at LOCK, UNLOCK or FLUSH): the session's table locks, whatever
 * executable comment or case spells them. The rest of a FLUSH TABLES is skipped, and any
 * LOCK or EXPORT met on the way counts as locking (walk). */
static void table_locks(parser *p)
{
	uint16_t k = p->cur.t == TK_WORD ? p->cur.kw : 0;
	if (k != KW_LOCK && k != KW_UNLOCK && k != KW_FLUSH)
		return; /* ANALYZE falls through to here */
	if (k == KW_FLUSH && p->nxt.t == TK_WORD && (p->nxt.kw == KW_LOCAL || p->nxt.kw == 0))
		advance(p); /* LOCAL, NO_WRITE_TO_BINLOG */
	if (!(p->nxt.t == TK_WORD && (p->nxt.kw == KW_TABLE || p->nxt.kw == KW_TABLES)))
		return;
	if (k == KW_FLUSH)
		p->flush_tables = 1;
	else
		p->in->flags |= k == KW_LOCK ? CAP_SQLF_LOCK_TABLES : CAP_SQLF_UNLOCK_TABLES;
}

/* [ONLY] name [*], ... : the tables a TRUNCATE or a LOCK names, taken as written. */
static void written_list(parser *p)
{
	accept(p, KW_ONLY);
	for (;;) {
		if (!take_name(p, 1)) {
			p->write_unknown = 1;
			break;
		}
		if (p->cur.t == TK_OP && p->cur.len == 1 && p->lx.s[p->cur.off] == '*')
			advance(p);
		if (p->cur.t != TK_COMMA)
			break;
		advance(p);
		accept(p, KW_ONLY);
	}
}

/* PostgreSQL LOCK [TABLE] [ONLY] name [*], ... [IN mode MODE] [NOWAIT]: a hit takes no lock,
 * so a read that another session's ACCESS EXCLUSIVE lock (the default mode) would hold back
 * until that transaction commits would be answered at once with the rows from before it. The
 * tables named count as written (their entries invalidated before the lock is asked for, and
 * nothing stored for them while the locking transaction runs), whatever the mode: rare, and
 * cheap to be sure of. */
static void pg_lock(parser *p)
{
	p->kind = CAP_SQL_WRITE;
	p->nowr = 1;
	advance(p);
	accept(p, KW_TABLE);
	written_list(p);
	p->skip_rest = 1; /* the mode and NOWAIT */
}

/* CLUSTER, VACUUM FULL (in either spelling: VACUUM FULL t, VACUUM (FULL) t) and MySQL's
 * OPTIMIZE TABLE rewrite tables in a new physical order, in which a read without ORDER BY
 * then returns its rows: the whole database counts as written (they are rare). A plain
 * VACUUM moves no row: a utility. Reads the statement to its end. */
static void rewrites_order(parser *p)
{
	int full = !cur_kw(p, KW_VACUUM);
	advance(p);
	while (!end_of_stmt(p)) {
		if (cur_kw(p, KW_FULL))
			full = 1;
		advance(p);
	}
	p->kind = full ? CAP_SQL_WRITE : CAP_SQL_UTILITY;
	p->nowr = 1;
	p->write_unknown = full;
}

static void head(parser *p)
{
	cap_sql_info *in = p->in;
	if (p->cur.t == TK_LP) {
		p->query = 1;
		p->kind = CAP_SQL_READ;
		return;
	}
	if (p->cur.t != TK_WORD) {
		p->kind = CAP_SQL_OTHER;
		return;
	}
	switch (p->cur.kw) {
	case KW_SELECT:
	case KW_VALUES:
	case KW_WITH:
	case KW_TABLE:
		p->query = 1;
		p->kind = CAP_SQL_READ;
		if (p->cur.kw == KW_WITH && !is_cte_start(p))
			p->kind = CAP_SQL_OTHER;
		if (p->cur.kw == KW_TABLE) {
			advance(p);
			p->lv[p->depth].ctx = C_FROM;
		}
		return;
	case KW_INSERT:
	case KW_UPDATE:
	case KW_DELETE:
	case KW_MERGE:
		p->kind = CAP_SQL_WRITE;
		return; /* the walk starts the write */
	case KW_REPLACE:
		if (!p->my)
			break;
		p->kind = CAP_SQL_WRITE;
		begin_write(p, KW_INSERT);
		return;
	case KW_TRUNCATE:
		p->kind = CAP_SQL_WRITE;
		p->nowr = 1;
		advance(p);
		accept(p, KW_TABLE);
		written_list(p);
		p->ddl = 1; /* CASCADE: every table */
		return;
	case KW_COPY:
		if (p->my)
			break;
		advance(p);
		if (p->cur.t == TK_LP) {
			p->kind = CAP_SQL_UTILITY; /* COPY (query) TO */
			return;
		}
		{
			tok parts[3];
			if (!is_name(&p->cur))
				break;
			int np = chain(p, parts);
			advance(p);
			if (p->cur.t == TK_LP) {
				int d = 0;
				do {
					d += p->cur.t == TK_LP;
					d -= p->cur.t == TK_RP;
					advance(p);
				} while (d > 0 && !end_of_stmt(p));
			}
			if (cur_kw(p, KW_FROM)) {
				p->kind = CAP_SQL_WRITE;
				add_table(p, parts, np, 1);
			} else if (cur_kw(p, KW_TO)) {
				p->kind = CAP_SQL_UTILITY;
				add_table(p, parts, np, 0);
			} else {
				p->kind = CAP_SQL_OTHER;
			}
			p->nowr = 1;
			p->skip_rest = 1;
			return;
		}
	case KW_LOAD:
		if (!p->my || !(p->nxt.t == TK_WORD &&
				(p->nxt.kw == KW_DATA || p->nxt.kw == KW_XML)))
			break;
		p->kind = CAP_SQL_WRITE;
		p->nowr = 1;
		while (!end_of_stmt(p) && !cur_kw(p, KW_INTO))
			advance(p);
		if (accept(p, KW_INTO)) {
			accept(p, KW_TABLE);
			if (!take_name(p, 1))
				p->write_unknown = 1;
		} else {
			p->write_unknown = 1;
		}
		return;
	case KW_CREATE:
		create(p);
		return;
	case KW_ALTER:
		alter(p);
		return;
	case KW_DROP:
		drop(p);
		return;
	case KW_RENAME:
		if (!p->my)
			break;
		p->kind = CAP_SQL_DDL;
		p->nowr = 1;
		in->flags |= CAP_SQLF_CATALOG_CHANGE;
		advance(p);
		if (accept(p, KW_TABLE) || cur_kw(p, KW_TABLE)) {
			for (;;) {
				if (!take_name(p, 1) || !accept(p, KW_TO) || !take_name(p, 1)) {
					p->write_unknown = 1;
					break;
				}
				if (p->cur.t != TK_COMMA)
					break;
				advance(p);
			}
		}
		return;
	case KW_GRANT:
	case KW_REVOKE:
	case KW_REASSIGN:
		/* role memberships are the server's: every database must forget */
		in->flags |= CAP_SQLF_CLUSTER;
		/* fall through */
	case KW_COMMENT:
	case KW_SECURITY:
	case KW_IMPORT:
		/* no table named: callers invalidate the database */
		p->kind = CAP_SQL_DDL;
		p->ddl = 1;
		p->nowr = 1;
		p->skip_rest = 1;
		in->flags |= CAP_SQLF_CATALOG_CHANGE;
		return;
	case KW_REFRESH:
		p->kind = CAP_SQL_DDL;
		p->ddl = 1;
		advance(p);
		accept(p, KW_MATERIALIZED);
		accept(p, KW_VIEW);
		accept(p, KW_CONCURRENTLY);
		if (!take_name(p, 1))
			p->write_unknown = 1;
		return;
	case KW_CLUSTER:
	case KW_VACUUM:
	case KW_OPTIMIZE:
		rewrites_order(p);
		return;
	case KW_ANALYZE:
	case KW_ANALYSE:
		/* MariaDB's ANALYZE [FORMAT=...] stmt runs stmt and reports its plan: what it
		 * writes is written (ANALYZE TABLE stays a utility) */
		if (p->my && p->nxt.t == TK_WORD &&
		    (p->nxt.kw == KW_SELECT || p->nxt.kw == KW_UPDATE || p->nxt.kw == KW_DELETE ||
		     p->nxt.kw == KW_INSERT || p->nxt.kw == KW_REPLACE || p->nxt.kw == KW_WITH ||
		     p->nxt.kw == KW_FORMAT)) {
			explain(p, 1);
			return;
		}
		/* fall through */
	case KW_UNLOCK:
	case KW_FLUSH:
		if (p->my)
			table_locks(p);
		/* fall through */
	case KW_REINDEX:
	case KW_CHECKPOINT: case KW_LISTEN: case KW_UNLISTEN: case KW_NOTIFY: case KW_SHOW:
	case KW_FETCH: case KW_MOVE: case KW_CLOSE: case KW_HELP:
	case KW_CHECK: case KW_CHECKSUM: case KW_KILL:
	case KW_HANDLER: case KW_PURGE: case KW_CACHE:
		p->skip_rest = 1;
		/* fall through */
	case KW_LOCK:
		if (!p->my && cur_kw(p, KW_LOCK)) {
			pg_lock(p);
			return;
		}
		/* fall through */
	case KW_DECLARE:
		if (p->my && cur_kw(p, KW_LOCK))
			table_locks(p);
		p->kind = CAP_SQL_UTILITY;
		p->nowr = 1;
		advance(p);
		return;
	case KW_GET:
		if (!(p->nxt.t == TK_WORD && p->nxt.kw == KW_DIAGNOSTICS))
			break;
		p->kind = CAP_SQL_UTILITY;
		p->nowr = 1;
		return;
	case KW_EXPLAIN:
	case KW_DESCRIBE:
	case KW_DESC:
		explain(p, 0);
		return;
	case KW_BEGIN:
		txn_head(p, CAP_TXN_BEGIN);
		advance(p);
		if (p->my && cur_kw(p, KW_NOT)) {
			p->kind = CAP_SQL_OTHER; /* MariaDB BEGIN NOT ATOMIC */
			return;
		}
		(void)(accept(p, KW_WORK) || accept(p, KW_TRANSACTION));
		goto modes;
	case KW_START:
		if (!(p->nxt.t == TK_WORD && p->nxt.kw == KW_TRANSACTION))
			break;
		txn_head(p, CAP_TXN_BEGIN);
		advance(p);
		advance(p);
	modes: {
		int ro = 0;
		enum cap_sql_iso iso = txn_modes(p, &ro);
		if (ro)
			in->flags |= CAP_SQLF_READ_ONLY;
		set_iso(p, iso, CAP_ISO_SCOPE_TXN);
		return;
	}
	case KW_END:
		if (p->my)
			break;
		/* fall through */
	case KW_COMMIT:
		txn_head(p, CAP_TXN_COMMIT);
		advance(p);
		(void)(accept(p, KW_WORK) || accept(p, KW_TRANSACTION));
		if (accept(p, KW_PREPARED)) {
			p->txn = CAP_TXN_2PC_END;
			return;
		}
	chain:
		if (accept(p, KW_AND)) {
			if (!accept(p, KW_NO) && cur_kw(p, KW_CHAIN))
				in->flags |= CAP_SQLF_CHAIN;
		}
		return;
	case KW_ABORT:
		if (p->my)
			break;
		/* fall through */
	case KW_ROLLBACK:
		txn_head(p, CAP_TXN_ROLLBACK);
		advance(p);
		(void)(accept(p, KW_WORK) || accept(p, KW_TRANSACTION));
		if (accept(p, KW_PREPARED)) {
			p->txn = CAP_TXN_2PC_END;
			return;
		}
		if (accept(p, KW_TO)) {
			p->txn = CAP_TXN_ROLLBACK_TO;
			return;
		}
		goto chain;
	case KW_SAVEPOINT:
		txn_head(p, CAP_TXN_SAVEPOINT);
		return;
	case KW_RELEASE:
		txn_head(p, CAP_TXN_RELEASE);
		return;
	case KW_XA:
		txn_head(p, CAP_TXN_OTHER);
		advance(p);
		if (cur_kw(p, KW_PREPARE))
			p->txn = CAP_TXN_PREPARE;
		else if (cur_kw(p, KW_COMMIT) || cur_kw(p, KW_ROLLBACK))
			p->txn = CAP_TXN_2PC_END;
		return;
	case KW_PREPARE:
		advance(p);
		if (cur_kw(p, KW_TRANSACTION) && p->nxt.t == TK_STR) {
			txn_head(p, CAP_TXN_PREPARE);
			return;
		}
		/* PostgreSQL: a prepared statement changes no setting, so no read's key: drivers
		 * prepare and deallocate all the time (DBD::Pg, psycopg 3, Rails) */
		p->kind = p->my ? CAP_SQL_SESSION : CAP_SQL_UTILITY;
		p->nowr = 1;
		p->skip_rest = 1; /* the statement is only prepared here */
		return;
	case KW_DEALLOCATE:
		p->kind = p->my ? CAP_SQL_SESSION : CAP_SQL_UTILITY;
		p->nowr = 1;
		return;
	case KW_SET:
		set_stmt(p);
		return;
	case KW_RESET:
		p->nowr = 1;
		advance(p);
		if (p->my) {
			p->kind = CAP_SQL_UTILITY;
			return;
		}
		p->kind = CAP_SQL_SESSION;
		if (cur_kw(p, KW_ALL)) {
			in->flags |= CAP_SQLF_RESET_ALL;
			set_iso(p, CAP_ISO_UNKNOWN, CAP_ISO_SCOPE_SESSION);
		} else if (cur_kw(p, KW_ROLE) || cur_kw(p, KW_SESSION)) {
			in->flags |= CAP_SQLF_SET_ROLE;
		} else if (cur_kw(p, KW_DEFAULT_TRANSACTION_ISOLATION)) {
			set_iso(p, CAP_ISO_UNKNOWN, CAP_ISO_SCOPE_SESSION);
		}
		return;
	case KW_DISCARD:
		if (p->my)
			break;
		p->kind = CAP_SQL_SESSION;
		p->nowr = 1;
		advance(p);
		if (cur_kw(p, KW_ALL)) {
			in->flags |= CAP_SQLF_RESET_ALL | CAP_SQLF_DROP_TEMP;
			set_iso(p, CAP_ISO_UNKNOWN, CAP_ISO_SCOPE_SESSION);
		} else if (cur_kw(p, KW_TEMP) || cur_kw(p, KW_TEMPORARY)) {
			in->flags |= CAP_SQLF_DROP_TEMP;
		}
		return;
	case KW_USE:
		if (!p->my)
			break;
		p->kind = CAP_SQL_SESSION;
		p->nowr = 1;
		advance(p);
		if (is_name(&p->cur)) {
			uint16_t off, len;
			if (put_name(p, &p->cur, &off, &len)) {
				in->flags |= CAP_SQLF_USE_DB;
				in->db = (cap_sql_name){ 0, 0, off, len };
			} else {
				p->reasons |= CAP_SQLR_TOO_COMPLEX;
				p->kind = CAP_SQL_OTHER;
			}
			advance(p);
		} else {
			p->kind = CAP_SQL_OTHER;
		}
		return;
	default:
		break;
	}
	/* CALL DO EXECUTE and everything unknown */
	p->kind = CAP_SQL_OTHER;
	p->nowr = 1;
}

/* ---------------------------------------------------------------- driver */

static void stmt(parser *p)
{
	cap_sql_info *in = p->in;
	p->depth = 0;
	p->over = 0;
	p->lv[0] = (level){ 0, 0, 0, 0 };
	p->ncte = 0;
	p->reasons = 0;
	p->kind = CAP_SQL_OTHER;
	p->txn = CAP_TXN_NONE;
	p->query = p->ddl = p->nowr = p->write_seen = p->select_into = p->call_pending = p->cast_pending = 0;
	p->in_create = p->explain = p->skip_rest = p->flush_tables = 0;
	uint16_t nwrite0 = in->nwrite;
	p->block = 0;
	p->tgt_pending = 0;

	head(p);
	walk(p);

	if (p->depth > 0 || p->over)
		p->reasons |= CAP_SQLR_UNSUPPORTED;
	if (p->tgt_pending > 0)
		p->write_unknown = 1;
	enum cap_sql_kind k = p->kind;
	if (p->write_seen && rank(k) < rank(CAP_SQL_WRITE))
		k = CAP_SQL_WRITE;
	if (p->select_into && rank(k) < rank(CAP_SQL_DDL)) {
		k = CAP_SQL_DDL;
		in->flags |= CAP_SQLF_CATALOG_CHANGE;
	}
	if (p->explain) {
		if (!(p->explain == 2 && rank(k) >= rank(CAP_SQL_WRITE))) {
			k = CAP_SQL_UTILITY;
			in->nwrite = nwrite0; /* not executed: writes nothing */
		}
	}
	if (k == CAP_SQL_READ && p->reasons)
		k = CAP_SQL_READ_NOCACHE;
	if (k == CAP_SQL_SESSION)
		p->saw_session = 1;
	in->reasons |= p->reasons;
	if (k == CAP_SQL_TXN && in->txn == CAP_TXN_NONE)
		in->txn = p->txn;
	if (rank(k) > rank(in->kind))
		in->kind = k;
	in->nstmts++;
	if (p->cur.t == TK_SEMI)
		advance(p);
}

static void run(enum cap_dialect d, const char *sql, uint32_t len, int alt, cap_sql_info *in,
		parser *p)
{
	in->kind = CAP_SQL_EMPTY;
	in->reasons = 0;
	in->flags = 0;
	in->txn = CAP_TXN_NONE;
	in->iso = CAP_ISO_NONE;
	in->iso_scope = CAP_ISO_SCOPE_NONE;
	in->autocommit = -1;
	in->nstmts = in->nread = in->nwrite = in->nfunc = in->nbuiltin = 0;
	in->db = (cap_sql_name){ 0, 0, 0, 0 };
	in->names_len = 0;

	p->lx = (lexer){ sql, len, 0, (uint8_t)(d == CAP_DIALECT_MYSQL), (uint8_t)alt, 0, 0, 0 };
	p->my = (uint8_t)(d == CAP_DIALECT_MYSQL);
	p->in = in;
	p->dg = (dgst){ 0xcbf29ce484222325ull, NULL, 0, 0, 0, 0, 0 };
	p->write_unknown = 0;
	p->saw_session = 0;
	p->prevkw = p->prev2kw = 0;
	p->prevt = TK_EOF;
	p->cur.t = TK_EOF;
	lex(&p->lx, &p->nxt);
	dg_hash(&p->dg, &p->nxt);
	advance(p);
	for (;;) {
		while (p->cur.t == TK_SEMI)
			advance(p);
		if (p->cur.t == TK_EOF)
			break;
		if (in->nstmts == UINT16_MAX) {
			in->reasons |= CAP_SQLR_TOO_COMPLEX;
			in->kind = CAP_SQL_OTHER;
			break;
		}
		stmt(p);
	}
	in->reasons |= p->lx.bad;
	if (in->nstmts > 1)
		in->reasons |= CAP_SQLR_MULTI;
	if (p->saw_session && in->kind != CAP_SQL_SESSION)
		in->flags |= CAP_SQLF_SESSION;
	if (in->kind == CAP_SQL_READ && in->reasons)
		in->kind = CAP_SQL_READ_NOCACHE;
	if (in->kind == CAP_SQL_EMPTY && in->reasons)
		in->kind = CAP_SQL_OTHER;
	if (p->write_unknown)
		in->nwrite = 0;
	in->digest = p->dg.h;
}

static int same_names(const cap_sql_info *a, const cap_sql_name *an, unsigned na,
		      const cap_sql_info *b, const cap_sql_name *bn, unsigned nb)
{
	if (na != nb)
		return 0;
	for (unsigned i = 0; i < na; i++) {
		unsigned j;
		for (j = 0; j < nb; j++)
			if (an[i].name_len == bn[j].name_len && an[i].schema_len == bn[j].schema_len &&
			    memcmp(a->names + an[i].name_off, b->names + bn[j].name_off,
				   an[i].name_len) == 0 &&
			    memcmp(a->names + an[i].schema_off, b->names + bn[j].schema_off,
				   an[i].schema_len) == 0)
				break;
		if (j == nb)
			return 0;
	}
	return 1;
}

enum cap_sql_kind cap_sql_classify(enum cap_dialect d, const char *sql, size_t len,
				   cap_sql_info *info)
{
	parser p;
	if (!sql || len > 0x7fffffffu) {
		run(d, "", 0, 0, info, &p);
		info->kind = CAP_SQL_OTHER;
		info->reasons |= CAP_SQLR_MALFORMED;
		return info->kind;
	}
	run(d, sql, (uint32_t)len, 0, info, &p);
	if (info->kind == CAP_SQL_SESSION && (info->flags & CAP_SQLF_CLUSTER)) {
		/* MySQL's SET GLOBAL / PERSIST: a global-only variable (ft_boolean_syntax ...)
		 * changes what every open session of the server reads at once, where no session's
		 * own state shows it: the whole server is written */
		info->kind = CAP_SQL_OTHER;
	}
	if (len && memchr(sql, 0, len)) {
		info->reasons |= CAP_SQLR_MALFORMED;
		if (info->kind == CAP_SQL_READ)
			info->kind = CAP_SQL_READ_NOCACHE;
	}
	if (p.lx.bsq == 2) {
		/* a string crossed the end of a MySQL executable comment */
		info->reasons |= CAP_SQLR_MALFORMED;
		info->kind = CAP_SQL_OTHER;
		info->nwrite = 0;
	} else if (p.lx.bsq) {
		cap_sql_info alt;
		parser q;
		run(d, sql, (uint32_t)len, 1, &alt, &q);
		if (!(alt.reasons & CAP_SQLR_MALFORMED)) {
			if (alt.kind != info->kind || alt.nstmts != info->nstmts ||
			    !same_names(info, info->read, info->nread, &alt, alt.read, alt.nread) ||
			    !same_names(info, info->write, info->nwrite, &alt, alt.write,
					alt.nwrite)) {
				info->reasons |= CAP_SQLR_MALFORMED;
				info->kind = CAP_SQL_OTHER;
				info->nwrite = 0;
			} else {
				info->reasons |= alt.reasons;
				if (info->kind == CAP_SQL_READ && info->reasons)
					info->kind = CAP_SQL_READ_NOCACHE;
			}
		}
	}
	return info->kind;
}

size_t cap_sql_digest(enum cap_dialect d, const char *sql, size_t len, char *buf, size_t cap)
{
	lexer lx = { sql ? sql : "", sql && len <= 0x7fffffffu ? (uint32_t)len : 0, 0,
		     (uint8_t)(d == CAP_DIALECT_MYSQL), 0, 0, 0, 0 };
	dgst g = { 0xcbf29ce484222325ull, buf, buf ? cap : 0, 0, 0, 0, 0 };
	char dummy[1];
	if (!buf) {
		g.buf = dummy;
		g.cap = 0;
	}
	tok t;
	for (;;) {
		lex(&lx, &t);
		if (t.t == TK_EOF)
			break;
		dg_tok(&g, &lx, &t);
	}
	if (buf && cap)
		buf[g.pos < cap ? g.pos : cap - 1] = '\0';
	return g.pos;
}

const char *cap_sql_kind_name(enum cap_sql_kind k)
{
	switch (k) {
	case CAP_SQL_EMPTY: return "empty";
	case CAP_SQL_READ: return "read";
	case CAP_SQL_READ_NOCACHE: return "nocache";
	case CAP_SQL_WRITE: return "write";
	case CAP_SQL_DDL: return "ddl";
	case CAP_SQL_TXN: return "txn";
	case CAP_SQL_SESSION: return "session";
	case CAP_SQL_UTILITY: return "utility";
	case CAP_SQL_OTHER: return "other";
	}
	return "?";
}

const char *cap_sql_reason_name(uint32_t one_reason_bit)
{
	switch (one_reason_bit) {
	case CAP_SQLR_LOCKING: return "locking";
	case CAP_SQLR_INTO: return "into";
	case CAP_SQLR_WRITE_CTE: return "write_cte";
	case CAP_SQLR_EXPLAIN: return "explain";
	case CAP_SQLR_FUNCTION: return "function";
	case CAP_SQLR_SYSCATALOG: return "syscatalog";
	case CAP_SQLR_SEQUENCE: return "sequence";
	case CAP_SQLR_LASTID: return "lastid";
	case CAP_SQLR_USERVAR: return "uservar";
	case CAP_SQLR_NO_CACHE: return "no_cache";
	case CAP_SQLR_MULTI: return "multi";
	case CAP_SQLR_SESSION_FN: return "session_fn";
	case CAP_SQLR_MALFORMED: return "malformed";
	case CAP_SQLR_TOO_COMPLEX: return "too_complex";
	case CAP_SQLR_TEMP: return "temp";
	case CAP_SQLR_VOLATILE_CLAUSE: return "volatile_clause";
	case CAP_SQLR_UNSUPPORTED: return "unsupported";
	}
	return NULL;
}

void cap_sql_unknown(cap_sql_info *info)
{
	info->kind = CAP_SQL_OTHER;
	info->reasons = CAP_SQLR_UNSUPPORTED;
	info->flags = 0;
	info->txn = CAP_TXN_NONE;
	info->nread = info->nwrite = info->nfunc = 0;
	info->iso = CAP_ISO_NONE;
	info->iso_scope = CAP_ISO_SCOPE_NONE;
	info->digest = 0;
	info->nbuiltin = 0;
	info->names_len = 0;
}

int cap_sql_charset_unsafe(const char *name)
{
	static const char *const unsafe[] = { "sjis", "cp932", "big5", "gbk", "gb18030", NULL };
	if (name == NULL)
		return 1; /* not known: not known safe */
	for (int i = 0; unsafe[i]; i++)
		if (strcasecmp(name, unsafe[i]) == 0)
			return 1;
	return 0;
}

int cap_sql_ascii(const char *s, size_t n)
{
	unsigned char any = 0;
	for (size_t i = 0; i < n; i++)
		any |= (unsigned char)s[i];
	return any < 0x80;
}

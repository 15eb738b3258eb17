/*
 * follow_check.h - the checking half shared by pq_follow.c and my_follow.c: a writer outside
 * Capacitor and a reader under it, connected by a pipe.
 *
 *   writer:  for i in 1..N: UPDATE fw SET v = i WHERE id = 1 + i % ROWS (autocommit, or every
 *            fourth in BEGIN .. COMMIT); once the call (or its COMMIT) returned, print
 *            "ROW i T" (T = CLOCK_MONOTONIC ns) on stdout and flush.
 *   reader:  SELECT v FROM fw WHERE id = ROW over every row in turn, as fast as it can (a short
 *            pause between reads), taking the writer's lines from stdin as they come.
 *
 * A read of ROW that started at S must see at least the largest i written to ROW whose write
 * returned at or before S - BOUND: anything less is a violation (a stale cached result served
 * past the bound). Staleness of write i: from its return to the start of the first read of its
 * row that saw it (0 when a read that started earlier already did). After the writer's EOF the
 * reader keeps reading until every write was seen, or 5 s passed (the rest are "unseen").
 * Prints one line "reads=.. writes=.. violations=.. unseen=.. stale_us p50=.. p99=.. max=..";
 * exits 1 on any violation or unseen write, 2 on an error.
 */
#ifndef FOLLOW_CHECK_H
#define FOLLOW_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FC_ROWS 8
#define FC_MAXW 2000000

static uint64_t fc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct fc_w {
	int64_t v;
	uint64_t t;
} fc_w;

typedef struct fc_row {
	fc_w *w;
	size_t n, cap;
	size_t req;  /* writes [0, req) returned at least BOUND before the latest read start */
	size_t seen; /* writes [0, seen) have been seen by a read */
	int64_t last_v;
} fc_row;

typedef struct fc_state {
	fc_row row[FC_ROWS];
	uint64_t bound_ns;
	uint64_t reads, violations, writes;
	uint64_t *stale;
	size_t nstale;
	char buf[65536];
	size_t blen;
	int eof;
	int64_t first_bad_row, first_bad_v, first_bad_want;
} fc_state;

static int fc_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void fc_add(fc_state *st, int r, int64_t v, uint64_t t)
{
	fc_row *row = &st->row[r];
	if (row->n == row->cap) {
		row->cap = row->cap ? row->cap * 2 : 1024;
		row->w = realloc(row->w, row->cap * sizeof(fc_w));
		if (row->w == NULL)
			exit(2);
	}
	row->w[row->n++] = (fc_w){ v, t };
	st->writes++;
	/* already seen by an earlier read (it read before we heard of the write) */
	while (row->seen < row->n && row->w[row->seen].v <= row->last_v) {
		st->stale[st->nstale++] = 0;
		row->seen++;
	}
}

/* fc_drain - take every complete line the writer has sent so far. */
static void fc_drain(fc_state *st)
{
	for (;;) {
		ssize_t n = read(0, st->buf + st->blen, sizeof(st->buf) - 1 - st->blen);
		if (n == 0) {
			st->eof = 1;
			break;
		}
		if (n < 0)
			break;
		st->blen += (size_t)n;
		st->buf[st->blen] = '\0';
		char *p = st->buf, *nl;
		while ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			int r;
			long long v;
			unsigned long long t;
			if (sscanf(p, "%d %lld %llu", &r, &v, &t) == 3 && r >= 0 && r < FC_ROWS &&
			    st->nstale < FC_MAXW)
				fc_add(st, r, v, t);
			p = nl + 1;
		}
		st->blen -= (size_t)(p - st->buf);
		memmove(st->buf, p, st->blen);
	}
}

/* fc_check - a read of row r that started at s saw v. */
static void fc_check(fc_state *st, int r, uint64_t s, int64_t v)
{
	fc_row *row = &st->row[r];
	st->reads++;
	while (row->req < row->n && row->w[row->req].t + st->bound_ns <= s)
		row->req++;
	if (row->req > 0 && v < row->w[row->req - 1].v) {
		if (st->violations == 0) {
			st->first_bad_row = r;
			st->first_bad_v = v;
			st->first_bad_want = row->w[row->req - 1].v;
		}
		st->violations++;
	}
	if (v > row->last_v)
		row->last_v = v;
	while (row->seen < row->n && row->w[row->seen].v <= v) {
		uint64_t t = row->w[row->seen].t;
		st->stale[st->nstale++] = s > t ? s - t : 0;
		row->seen++;
	}
}

static int fc_all_seen(const fc_state *st)
{
	for (int r = 0; r < FC_ROWS; r++)
		if (st->row[r].seen < st->row[r].n)
			return 0;
	return 1;
}

/* fc_reader - the reader's loop; read_row(ctx, r, &v) runs one cached read (0 ok). */
static int fc_reader(uint64_t bound_ms, int (*read_row)(void *ctx, int r, int64_t *v), void *ctx)
{
	static fc_state st;
	st.bound_ns = bound_ms * 1000000ull;
	st.stale = malloc(FC_MAXW * sizeof(uint64_t));
	if (st.stale == NULL)
		return 2;
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	uint64_t eof_at = 0;
	for (int r = 0;; r = (r + 1) % FC_ROWS) {
		fc_drain(&st);
		if (st.eof) {
			if (eof_at == 0)
				eof_at = fc_now();
			if (fc_all_seen(&st) || fc_now() - eof_at > 5000000000ull)
				break;
		}
		uint64_t s = fc_now();
		int64_t v;
		if (read_row(ctx, r, &v) != 0)
			return 2;
		fc_check(&st, r, s, v);
		usleep(100);
	}
	uint64_t unseen = 0;
	for (int r = 0; r < FC_ROWS; r++)
		unseen += st.row[r].n - st.row[r].seen;
	qsort(st.stale, st.nstale, sizeof(uint64_t), fc_cmp);
	uint64_t p50 = 0, p99 = 0, mx = 0;
	if (st.nstale) {
		p50 = st.stale[st.nstale / 2];
		p99 = st.stale[(st.nstale * 99) / 100];
		mx = st.stale[st.nstale - 1];
	}
	printf("reads=%llu writes=%llu violations=%llu unseen=%llu stale_us p50=%.0f p99=%.0f "
	       "max=%.0f\n",
	       (unsigned long long)st.reads, (unsigned long long)st.writes,
	       (unsigned long long)st.violations, (unsigned long long)unseen, p50 / 1e3, p99 / 1e3,
	       mx / 1e3);
	if (st.violations)
		printf("first violation: row %lld read %lld, expected at least %lld\n",
		       (long long)st.first_bad_row, (long long)st.first_bad_v,
		       (long long)st.first_bad_want);
	fflush(stdout);
	return st.violations || unseen ? 1 : 0;
}

#endif

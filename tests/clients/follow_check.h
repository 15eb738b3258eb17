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
 * past the bound).
 *
 * With CAP_FOLLOW_HEARTBEAT=PATH (a follower's heartbeat file, cache/follow.h) the reader also
 * checks the follower's own contract, which holds however loaded the machine is: it reads the
 * heartbeat's live_ns L just before each read, and the read must see every write that returned
 * before L ("contract" violations: the test fails on any). A bound violation can then only
 * happen on a read made while the heartbeat was older than the bound (the follower behind or
 * not scheduled: "behind" reads, where CAPACITOR_FOLLOW=require would not serve from the
 * cache); those are counted, not failed, unless they are most reads.
 *
 * Staleness of write i: from its return to the start of the first read of its row that saw it
 * (0 when a read that started earlier already did). After the writer's EOF the reader keeps
 * reading until every write was seen, or 5 s passed (the rest are "unseen"). Prints one line
 * "reads=.. writes=.. violations=.. unseen=.. stale_us p50=.. p99=.. max=.." (and a
 * "heartbeat:" line); exits 1 on a failed check or an unseen write, 2 on an error.
 */
#ifndef FOLLOW_CHECK_H
#define FOLLOW_CHECK_H

#include "cache/follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
	size_t creq; /* writes [0, creq) returned before the heartbeat's live_ns */
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
	const cap_follow_beat *hb; /* CAP_FOLLOW_HEARTBEAT, mapped; NULL without */
	uint64_t contract, behind, bound_when_behind;
} fc_state;

/* fc_live - the heartbeat's live_ns (0 when not streaming or unreadable), seqlock read. */
static uint64_t fc_live(const cap_follow_beat *b)
{
	for (int i = 0; i < 100; i++) {
		uint64_t s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		uint64_t live = __atomic_load_n(&b->live_ns, __ATOMIC_RELAXED);
		uint32_t state = __atomic_load_n(&b->state, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s1)
			return state == CAP_FOLLOW_STREAMING ? live : 0;
	}
	return 0;
}

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

/* fc_check - a read of row r that started at s, with the heartbeat at live, saw v. */
static void fc_check(fc_state *st, int r, uint64_t s, uint64_t live, int64_t v)
{
	fc_row *row = &st->row[r];
	st->reads++;
	int behind = st->hb && live + st->bound_ns < s;
	st->behind += behind;
	while (row->req < row->n && row->w[row->req].t + st->bound_ns <= s)
		row->req++;
	if (row->req > 0 && v < row->w[row->req - 1].v) {
		if (st->violations == 0) {
			st->first_bad_row = r;
			st->first_bad_v = v;
			st->first_bad_want = row->w[row->req - 1].v;
		}
		st->violations++;
		st->bound_when_behind += behind;
	}
	while (row->creq < row->n && row->w[row->creq].t < live)
		row->creq++;
	if (row->creq > 0 && v < row->w[row->creq - 1].v) {
		if (st->contract == 0)
			fprintf(stderr, "contract violation: row %d read %lld, a write of %lld returned "
				"%.3f ms before the heartbeat's live time\n", r, (long long)v,
				(long long)row->w[row->creq - 1].v,
				(double)(live - row->w[row->creq - 1].t) / 1e6);
		st->contract++;
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
	const char *hbpath = getenv("CAP_FOLLOW_HEARTBEAT");
	if (hbpath && hbpath[0]) {
		int fd = open(hbpath, O_RDONLY | O_CLOEXEC);
		void *p = fd >= 0 ? mmap(NULL, sizeof(cap_follow_beat), PROT_READ, MAP_SHARED, fd, 0)
				  : MAP_FAILED;
		if (fd >= 0)
			close(fd);
		if (p == MAP_FAILED) {
			fprintf(stderr, "cannot map the heartbeat %s\n", hbpath);
			return 2;
		}
		st.hb = p;
	}
	uint64_t eof_at = 0;
	for (int r = 0;; r = (r + 1) % FC_ROWS) {
		fc_drain(&st);
		if (st.eof) {
			if (eof_at == 0)
				eof_at = fc_now();
			if (fc_all_seen(&st) || fc_now() - eof_at > 5000000000ull)
				break;
		}
		uint64_t live = st.hb ? fc_live(st.hb) : 0;
		uint64_t s = fc_now();
		int64_t v;
		if (read_row(ctx, r, &v) != 0)
			return 2;
		fc_check(&st, r, s, live, v);
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
	if (st.hb) {
		printf("heartbeat: contract_violations=%llu behind_reads=%llu "
		       "bound_violations_while_behind=%llu\n",
		       (unsigned long long)st.contract, (unsigned long long)st.behind,
		       (unsigned long long)st.bound_when_behind);
		fflush(stdout);
		/* the follower's guarantee must hold; the bound may only slip while it says so */
		return st.contract || unseen || st.violations != st.bound_when_behind ||
				       st.behind * 2 > st.reads ? 1 : 0;
	}
	fflush(stdout);
	return st.violations || unseen ? 1 : 0;
}

#endif

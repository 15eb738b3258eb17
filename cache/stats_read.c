/*
 * stats_read.c - aggregation of the stats file for readers (the protocol is described in
 * cache/stats_file.h).
 *
 * A view is built in one lock-free pass: load the fold word, copy totals[cur], add the data
 * of every ever-used slot except the one a fold excludes, then load the fold word again; a
 * different word means a fold or reset published in the middle, and the pass is repeated.
 * The loads of a pass are acquire loads, so none is ordered after that second load. Writers
 * never wait for a reader. Gauges are read after the pass, with a liveness check of each
 * slot's owner: a dead process's L1 gauges are dropped. Every load from the mapping is atomic
 * (other processes write it concurrently).
 */
#include "cache/stats_read.h"
#include "cache/cap.h"
#include "cache/hist.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define LD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
/* Loads of a pass are acquire loads, so none can move after the second load of the fold word
 * (on x86 and other TSO machines these are plain loads; ThreadSanitizer does not model a
 * separate acquire fence). */
#define LDA(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

struct cap_stats_reader {
	void *base;
	size_t size;
	int writable;
};

int cap_stats_reader_open(const char *dir, int writable, cap_stats_reader **out, char *err,
			  size_t errcap)
{
	cap_stats_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errcap, "calloc: out of memory");
		return CAP_ENOMEM;
	}
	int rc = cap_statsf_map(dir, writable ? CAP_STATSF_WRITE : CAP_STATSF_READ, &r->base,
				&r->size, err, errcap);
	if (rc != CAP_OK) {
		free(r);
		return rc;
	}
	r->writable = writable;
	*out = r;
	return CAP_OK;
}

void cap_stats_reader_close(cap_stats_reader *r)
{
	if (r == NULL)
		return;
	munmap(r->base, r->size);
	free(r);
}

void *cap_stats_reader_base(cap_stats_reader *r) { return r->base; }

static void add_words(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += LDA(&src[i]);
}

int cap_stats_reader_view(cap_stats_reader *r, cap_stats_view *v)
{
	void *base = r->base;
	cap_stats_hdr *h = cap_statsf_hdr(base);
	memset(v, 0, sizeof(*v));
	uint64_t *acc = (uint64_t *)&v->d;
	for (uint32_t tries = 0;; tries++) {
		uint64_t w1 = __atomic_load_n(&h->fold_word, __ATOMIC_ACQUIRE);
		uint32_t excl = CAP_FOLD_EXCL(w1);
		const uint64_t *t = (const uint64_t *)cap_statsf_totals(base, CAP_FOLD_CUR(w1));
		for (size_t i = 0; i < CAP_STATS_DATA_WORDS; i++)
			acc[i] = LDA(&t[i]);
		for (uint32_t k = 0; k < CAP_STATS_NSLOTS; k++) {
			if (k + 1 == excl || !LD(&cap_statsf_slot(base, k)->used))
				continue;
			add_words(acc, (const uint64_t *)cap_statsf_data(base, k), CAP_STATS_DATA_WORDS);
		}
		uint64_t w2 = __atomic_load_n(&h->fold_word, __ATOMIC_RELAXED);
		if (w1 == w2 || tries >= 1000) {
			v->retries = tries;
			break;
		}
		sched_yield();
	}
	/* gauges: L1 of live owners only; the process count from distinct live pids */
	int32_t pids[CAP_STATS_NSLOTS];
	uint32_t npids = 0;
	int64_t l1e = 0, l1b = 0;
	for (uint32_t k = 0; k < CAP_STATS_NSLOTS; k++) {
		cap_stats_slot *s = cap_statsf_slot(base, k);
		uint64_t o = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
		if (o == 0)
			continue;
		int alive = cap_statsf_owner_alive(o, LD(&s->start));
		if (CAP_SLOT_STATE(o) == CAP_SLOT_SHARED) {
			l1e += LD(&s->l1_entries);
			l1b += LD(&s->l1_bytes);
			continue;
		}
		if (!alive) {
			v->slots_dead++;
			continue;
		}
		v->slots_live++;
		l1e += LD(&s->l1_entries);
		l1b += LD(&s->l1_bytes);
		int32_t pid = CAP_SLOT_PID(o);
		uint32_t j = 0;
		while (j < npids && pids[j] != pid)
			j++;
		if (j == npids)
			pids[npids++] = pid;
	}
	v->procs = npids;
	v->g.l1_entries = l1e > 0 ? (uint64_t)l1e : 0;
	v->g.l1_bytes = l1b > 0 ? (uint64_t)l1b : 0;
	v->g.l2_entries = LD(&h->l2_entries);
	v->g.l2_bytes = LD(&h->l2_bytes);
	v->g.entries = v->g.l1_entries + v->g.l2_entries;
	v->folds = LD(&h->folds);
	v->created_ns = LD(&h->created_ns);
	v->reset_ns = LD(&h->reset_ns);
	v->warnings = LD(&h->warnings);
	return CAP_OK;
}

void cap_stats_lat_of_counts(const uint64_t *b, uint64_t sum_ns, cap_stats_lat *out)
{
	const unsigned m = CAP_HIST_SUB_BITS;
	const uint32_t nb = CAP_HIST_BUCKETS;
	uint64_t total = cap_hist_total(b, nb);
	out->count = total;
	out->sum_ns = sum_ns;
	out->p50 = cap_hist_quantile(b, nb, m, total, 0.5);
	out->p90 = cap_hist_quantile(b, nb, m, total, 0.9);
	out->p99 = cap_hist_quantile(b, nb, m, total, 0.99);
	out->p999 = cap_hist_quantile(b, nb, m, total, 0.999);
	out->max = cap_hist_quantile(b, nb, m, total, 1.0);
}

void cap_stats_lat_of(const cap_stats_hist *h, cap_stats_lat *out)
{
	cap_stats_lat_of_counts(h->b, h->sum, out);
}

static int by_calls_desc(const void *a, const void *b)
{
	const cap_stats_shape_info *x = a, *y = b;
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void shape_copy(cap_stats_shape *s, int other, cap_stats_shape_info *o)
{
	memset(o, 0, sizeof(*o));
	o->key = other ? 0 : LD(&s->key);
	o->other = other;
	uint64_t hb[CAP_HIST_SHAPE_BUCKETS];
	uint64_t total = 0;
	for (uint32_t i = 0; i < CAP_HIST_SHAPE_BUCKETS; i++)
		total += (hb[i] = LD(&s->h[i]));
	for (unsigned p = 0; p < CAP_PATH__N; p++) {
		o->n[p] = LD(&s->n[p]);
		o->calls += o->n[p];
	}
	o->hits = o->n[CAP_PATH_HIT_L1] + o->n[CAP_PATH_HIT_L2];
	o->lat_sum_ns = LD(&s->lat_sum);
	o->mean_ns = o->calls ? o->lat_sum_ns / o->calls : 0;
	o->p99_ns = cap_hist_quantile(hb, CAP_HIST_SHAPE_BUCKETS, CAP_HIST_SHAPE_SUB_BITS, total, 0.99);
	uint32_t why = LD(&s->reason);
	o->reason = why < CAP_REASON__N ? (enum cap_reason)why : CAP_REASON_none;
	if (other) {
		snprintf(o->text, sizeof(o->text), "(other shapes: table full)");
	} else if (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE)) {
		size_t i = 0;
		for (; i + 1 < sizeof(o->text); i++) {
			char c = LD(&s->text[i]);
			if (c == '\0')
				break;
			o->text[i] = c;
		}
		o->text[i] = '\0';
	}
}

size_t cap_stats_reader_top(cap_stats_reader *r, cap_stats_shape_info *out, size_t max)
{
	if (max == 0)
		return 0;
	size_t cap = CAP_STATS_NSHAPES + 1;
	cap_stats_shape_info *all = malloc(cap * sizeof(*all));
	if (all == NULL)
		return 0;
	size_t n = 0;
	for (uint32_t k = 0; k <= CAP_STATS_NSHAPES; k++) {
		cap_stats_shape *s = cap_statsf_shape(r->base, k);
		int other = k == CAP_STATS_NSHAPES;
		if (!other && LD(&s->key) == 0)
			continue;
		shape_copy(s, other, &all[n]);
		if (all[n].calls > 0)
			n++;
	}
	qsort(all, n, sizeof(*all), by_calls_desc);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*all));
	free(all);
	return n;
}

int cap_stats_reader_reset(cap_stats_reader *r)
{
	if (!r->writable)
		return CAP_EINVAL;
	return cap_statsf_reset(r->base);
}

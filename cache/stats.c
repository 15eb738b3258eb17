/*
 * stats.c - the writing side of the shared-memory statistics (layout, fold and reader
 * protocol: cache/stats_file.h).
 *
 * Hot path. cap_stats_record() reads this thread's data block from an initial-exec TLS
 * pointer; when it is set (the common case) it adds to the block with relaxed atomic loads and
 * stores: the block belongs to this thread alone, so there is no lock prefix and no cache line
 * shared with another writer. Per-shape counters are shared by every process and are added
 * with relaxed fetch-adds (three per statement that has a shape). Everything else (claiming a
 * slot, the shared overflow slot, the first use of a shape) is in cold functions.
 *
 * Slots. The first record of a thread claims a slot: from this process's free list (slots of
 * its exited threads, returned by a pthread key destructor), else a free slot of the file by
 * CAS on its owner word, else, after folding the slots of dead processes, the shared overflow
 * slot 0 (atomic adds). A fork child re-claims (handlers in cache/fork): its TLS pointer and
 * free list are cleared, it inherits its parent's L1 gauges (it inherited the L1 tier itself).
 *
 * Locks. g.mu is process-local and guards open, claim and the free list (never the hot
 * path; fork handlers keep it out of a child's way). The file's own locks (its flock at open,
 * the fold lock) are taken only in stats_file.c, each for a bounded time.
 *
 * Files. The file is opened, built, folded and reset by stats_file.c (the same code serves
 * `capacitor stats`); its mapping is watched by cache/fault: a bus error (the file truncated
 * under us) turns it into private zeros and the host carries on.
 *
 * Logging. With a log destination set (CAPACITOR_LOG, or cap_stats_set_log), the miss path
 * calls cap_stats_log_tick(): one relaxed load and a compare with a coarse clock; one caller
 * per interval wins a CAS and writes this process's summary; another at exit.
 *
 * Nothing here prints to stdout or exits; a failure to open leaves stats off with one warning.
 */
#include "cache/stats.h"
#include "cache/lock.h"
#include "cache/cap.h"
#include "cache/clock.h"
#include "cache/proc.h"
#include "cache/fault.h"
#include "cache/fork.h"
#include "cache/hist.h"
#include "cache/log.h"
#include "cache/sql.h"
#include "cache/stats_file.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#define TLS_IE __attribute__((tls_model("initial-exec")))
#define LD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define DEFAULT_LOG_INTERVAL_NS (60ull * 1000000000ull)

static struct {
	pthread_once_t once;
	pthread_mutex_t mu;       /* process-local: open, claim, free list */
	pthread_key_t key;        /* value: slot index + 1 of the calling thread */
	void *base;               /* the mapping; NULL = stats off (atomic) */
	int pid;                  /* getpid() of this process (reset in a fork child) */
	uint64_t start;           /* our start time, 0 = not read yet */
	int32_t primary;          /* first slot of this process (L1 gauges), -1 = none (atomic) */
	int64_t inherit_entries;  /* L1 gauges inherited from the parent at fork */
	int64_t inherit_bytes;
	uint32_t free_n;
	uint32_t free_list[CAP_STATS_NSLOTS];
	int warned_open, warned_full, exit_registered;
	int dead;                 /* atomic: the mapping faulted (cache/fault) */
	int log_on;               /* atomic */
	uint64_t log_interval;    /* ns (atomic) */
	uint64_t next_log;        /* coarse monotonic ns of the next summary, 0 = none (atomic) */
} g = {
	.once = PTHREAD_ONCE_INIT,
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.primary = -1,
	.log_interval = DEFAULT_LOG_INTERVAL_NS,
};

static __thread cap_stats_data *tls_d TLS_IE;
static __thread int tls_shared TLS_IE;

/* ---- slots ----------------------------------------------------------------------------- */

static void thread_exit(void *v)
{
	uint32_t idx = (uint32_t)((uintptr_t)v - 1);
	cap_mutex_lock(&g.mu);
	if (idx > 0 && idx < CAP_STATS_NSLOTS && g.free_n < CAP_STATS_NSLOTS)
		g.free_list[g.free_n++] = idx;
	cap_mutex_unlock(&g.mu);
	tls_d = NULL;
}

static void atfork_prepare(void) { cap_mutex_lock(&g.mu); }
static void atfork_parent(void) { cap_mutex_unlock(&g.mu); }

static void atfork_child(void)
{
	pthread_mutex_init(&g.mu, NULL);
	g.pid = (int)getpid();
	g.start = 0;
	g.free_n = 0;
	g.inherit_entries = g.inherit_bytes = 0;
	int32_t p = LD(&g.primary);
	void *base = LD(&g.base);
	if (base != NULL && p > 0) {
		cap_stats_slot *s = cap_statsf_slot(base, (uint32_t)p);
		g.inherit_entries = LD(&s->l1_entries);
		g.inherit_bytes = LD(&s->l1_bytes);
	}
	ST(&g.primary, -1);
	tls_d = NULL;
	tls_shared = 0;
	pthread_setspecific(g.key, NULL);
}

static void init_once(void)
{
	pthread_key_create(&g.key, thread_exit);
	cap_fork_register(CAP_FORK_STATS, atfork_prepare, atfork_parent, atfork_child);
}

/* CAS a free slot of the file to this process. Called with g.mu held. */
static int32_t claim_free_slot(void *base)
{
	if (g.start == 0)
		g.start = cap_proc_start(g.pid);
	uint32_t n = CAP_STATS_NSLOTS - 1;
	uint32_t first = (uint32_t)g.pid % n;
	for (uint32_t j = 0; j < n; j++) {
		uint32_t k = 1 + (first + j) % n;
		cap_stats_slot *s = cap_statsf_slot(base, k);
		uint64_t o = LD(&s->owner);
		if (o != 0)
			continue;
		if (!__atomic_compare_exchange_n(&s->owner, &o, CAP_SLOT_OWNER(g.pid, CAP_SLOT_CLAIMING),
						 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		ST(&s->start, g.start);
		ST(&s->used, 1);
		__atomic_store_n(&s->owner, CAP_SLOT_OWNER(g.pid, CAP_SLOT_LIVE), __ATOMIC_RELEASE);
		return (int32_t)k;
	}
	return -1;
}

static CAP_COLD cap_stats_data *claim(void)
{
	void *base = __atomic_load_n(&g.base, __ATOMIC_ACQUIRE);
	if (base == NULL)
		return NULL;
	cap_mutex_lock(&g.mu);
	int32_t idx = -1;
	if (g.free_n > 0)
		idx = (int32_t)g.free_list[--g.free_n];
	if (idx < 0)
		idx = claim_free_slot(base);
	if (idx < 0 && cap_statsf_fold_dead(base) > 0)
		idx = claim_free_slot(base);
	int shared = 0;
	if (idx < 0) {
		idx = 0;
		shared = 1;
		if (!g.warned_full) {
			g.warned_full = 1;
			cap_log(CAP_LOG_WARN, "stats: all %u slots in use; sharing the overflow slot",
				CAP_STATS_NSLOTS);
		}
	}
	if (LD(&g.primary) < 0) {
		ST(&g.primary, idx);
		if (idx > 0 && (g.inherit_entries || g.inherit_bytes)) {
			cap_stats_slot *s = cap_statsf_slot(base, (uint32_t)idx);
			__atomic_fetch_add(&s->l1_entries, g.inherit_entries, __ATOMIC_RELAXED);
			__atomic_fetch_add(&s->l1_bytes, g.inherit_bytes, __ATOMIC_RELAXED);
		}
		g.inherit_entries = g.inherit_bytes = 0;
	}
	cap_mutex_unlock(&g.mu);
	if (!shared)
		pthread_setspecific(g.key, (void *)(uintptr_t)(idx + 1));
	tls_shared = shared;
	tls_d = cap_statsf_data(base, (uint32_t)idx);
	return tls_d;
}

/* ---- recording ------------------------------------------------------------------------- */

/* own: this thread's block (load + store); shared: the overflow slot (fetch-add). */
#define ADD(shared, p, v)                                                                  \
	do {                                                                               \
		if (shared)                                                                \
			__atomic_fetch_add((p), (v), __ATOMIC_RELAXED);                    \
		else                                                                       \
			ST((p), LD(p) + (v));                                              \
	} while (0)

static CAP_COLD cap_stats_shape *shape_insert(void *base, const cap_qrec *r, uint32_t i0)
{
	for (uint32_t j = 0; j < CAP_STATS_SHAPE_PROBES; j++) {
		cap_stats_shape *s = cap_statsf_shape(base, (i0 + j) % CAP_STATS_NSHAPES);
		uint64_t k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
		if (k == r->shape)
			return s;
		if (k != 0)
			continue;
		if (__atomic_compare_exchange_n(&s->key, &k, r->shape, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			char text[CAP_STATS_SHAPE_TEXT_MAX + 1] = "";
			if (r->sql != NULL) {
				cap_sql_digest((enum cap_dialect)r->dialect, r->sql, r->sql_len, text,
					       sizeof(text));
				if (strlen(text) == CAP_STATS_SHAPE_TEXT_MAX) /* mark the cut */
					memcpy(text + CAP_STATS_SHAPE_TEXT_MAX - 3, "...", 3);
			}
			for (size_t c = 0; c < sizeof(text); c++)
				ST(&s->text[c], text[c]);
			__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
			return s;
		}
		if (k == r->shape)
			return s;
	}
	return cap_statsf_shape(base, CAP_STATS_NSHAPES); /* "other" */
}

static inline void shape_record(const cap_qrec *r, unsigned path)
{
	void *base = LD(&g.base);
	uint32_t i0 = (uint32_t)((r->shape * 0x9E3779B97F4A7C15ull) >> 55) % CAP_STATS_NSHAPES;
	cap_stats_shape *s = cap_statsf_shape(base, i0);
	if (CAP_UNLIKELY(__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != r->shape))
		s = shape_insert(base, r, i0);
	__atomic_fetch_add(&s->n[path], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->lat_sum, r->ns, __ATOMIC_RELAXED);
	uint32_t b = cap_hist_index(r->ns, CAP_HIST_SHAPE_SUB_BITS, CAP_HIST_SHAPE_BUCKETS);
	__atomic_fetch_add(&s->h[b], 1, __ATOMIC_RELAXED);
	if (r->reason != CAP_REASON_none && (path == CAP_PATH_BYPASS || path == CAP_PATH_MISS) &&
	    LD(&s->reason) != (uint32_t)r->reason)
		ST(&s->reason, (uint32_t)r->reason);
}

void cap_stats_shape_reason(uint64_t shape, enum cap_reason reason)
{
	void *base = LD(&g.base);
	if (base == NULL || shape == 0)
		return;
	uint32_t i0 = (uint32_t)((shape * 0x9E3779B97F4A7C15ull) >> 55) % CAP_STATS_NSHAPES;
	for (uint32_t j = 0; j < CAP_STATS_SHAPE_PROBES; j++) {
		cap_stats_shape *s = cap_statsf_shape(base, (i0 + j) % CAP_STATS_NSHAPES);
		if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) == shape) {
			ST(&s->reason, (uint32_t)reason);
			return;
		}
	}
}

static inline __attribute__((always_inline)) void record_into(cap_stats_data *d,
							      const cap_qrec *r, int shared)
{
	unsigned p = (unsigned)r->path;
	ADD(shared, &d->c.queries, 1);
	if (r->is_read)
		ADD(shared, &d->c.reads, 1);
	switch (p) {
	case CAP_PATH_HIT_L1:
		ADD(shared, &d->c.hits, 1);
		ADD(shared, &d->c.hits_l1, 1);
		if (r->followed)
			ADD(shared, &d->c.hits_followed, 1);
		break;
	case CAP_PATH_HIT_L2:
		ADD(shared, &d->c.hits, 1);
		ADD(shared, &d->c.hits_l2, 1);
		if (r->followed)
			ADD(shared, &d->c.hits_followed, 1);
		break;
	case CAP_PATH_MISS:
		ADD(shared, &d->c.misses, 1);
		break;
	case CAP_PATH_WRITE:
		ADD(shared, &d->c.writes, 1);
		break;
	case CAP_PATH_BYPASS: {
		unsigned why = (unsigned)r->reason < CAP_REASON__N ? (unsigned)r->reason
								  : (unsigned)CAP_REASON_internal;
		ADD(shared, &d->c.bypasses, 1);
		ADD(shared, &d->reason[why], 1);
		break;
	}
	default:
		return;
	}
	cap_stats_hist *h = &d->h[p];
	ADD(shared, &h->b[cap_hist_index(r->ns, CAP_HIST_SUB_BITS, CAP_HIST_BUCKETS)], 1);
	ADD(shared, &h->sum, r->ns);
	if (r->shape != 0)
		shape_record(r, p);
}

static CAP_COLD void record_slow(const cap_qrec *r)
{
	cap_stats_data *d = tls_d;
	if (d == NULL && (d = claim()) == NULL)
		return;
	if (tls_shared)
		record_into(d, r, 1);
	else
		record_into(d, r, 0);
}

void cap_stats_record(const cap_qrec *r)
{
	cap_stats_data *d = tls_d;
	if (CAP_UNLIKELY(d == NULL || tls_shared)) {
		record_slow(r);
		return;
	}
	record_into(d, r, 0);
}

static const uint8_t event_word[CAP_EV__N] = {
	[CAP_EV_INVAL_TABLE] = offsetof(cap_stats_counters, invalidations_table) / 8,
	[CAP_EV_INVAL_DB] = offsetof(cap_stats_counters, invalidations_db) / 8,
	[CAP_EV_EVICT_L1] = offsetof(cap_stats_counters, evictions_l1) / 8,
	[CAP_EV_EVICT_L2] = offsetof(cap_stats_counters, evictions_l2) / 8,
	[CAP_EV_FALLBACK] = offsetof(cap_stats_counters, fallbacks) / 8,
	[CAP_EV_FILL_L1] = offsetof(cap_stats_counters, fills_l1) / 8,
	[CAP_EV_FILL_L2] = offsetof(cap_stats_counters, fills_l2) / 8,
	[CAP_EV_DLSYM] = offsetof(cap_stats_counters, dlsym_redirects) / 8,
	[CAP_EV_UNSEEN] = offsetof(cap_stats_counters, unseen_clients) / 8,
};

void cap_stats_event(enum cap_event ev, uint64_t n)
{
	if ((unsigned)ev >= CAP_EV__N)
		return;
	cap_stats_data *d = tls_d;
	if (CAP_UNLIKELY(d == NULL) && (d = claim()) == NULL)
		return;
	uint64_t *w = (uint64_t *)&d->c + event_word[ev];
	ADD(tls_shared, w, n);
}

void cap_stats_l1(int64_t entries, int64_t bytes)
{
	void *base = __atomic_load_n(&g.base, __ATOMIC_ACQUIRE);
	if (base == NULL)
		return;
	int32_t p = LD(&g.primary);
	if (p < 0) {
		if (claim() == NULL)
			return;
		p = LD(&g.primary);
		if (p < 0)
			return;
	}
	cap_stats_slot *s = cap_statsf_slot(base, (uint32_t)p);
	__atomic_fetch_add(&s->l1_entries, entries, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->l1_bytes, bytes, __ATOMIC_RELAXED);
}

void cap_stats_l2(uint64_t entries, uint64_t bytes)
{
	void *base = __atomic_load_n(&g.base, __ATOMIC_ACQUIRE);
	if (base == NULL)
		return;
	cap_stats_hdr *h = cap_statsf_hdr(base);
	ST(&h->l2_entries, entries);
	ST(&h->l2_bytes, bytes);
}

/* ---- log summary ----------------------------------------------------------------------- */

/* Quantile of path p over this process's slots, without a copy of the histogram. */
static uint64_t own_quantile(void *base, const uint32_t *own, uint32_t nown, unsigned p,
			     uint64_t total, double q)
{
	if (total == 0)
		return 0;
	double rr = q * (double)total;
	uint64_t rank = (uint64_t)rr;
	if ((double)rank < rr)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < CAP_HIST_BUCKETS; i++) {
		for (uint32_t j = 0; j < nown; j++)
			seen += LD(&cap_statsf_data(base, own[j])->h[p].b[i]);
		if (seen >= rank)
			return cap_hist_mid(i, CAP_HIST_SUB_BITS, CAP_HIST_BUCKETS);
	}
	return 0;
}

static int fmt_us(char *buf, size_t cap, uint64_t ns)
{
	if (ns < 10000)
		return snprintf(buf, cap, "%.2fus", (double)ns / 1e3);
	if (ns < 10000000)
		return snprintf(buf, cap, "%.0fus", (double)ns / 1e3);
	return snprintf(buf, cap, "%.0fms", (double)ns / 1e6);
}

static void log_summary(const char *when)
{
	void *base = __atomic_load_n(&g.base, __ATOMIC_ACQUIRE);
	if (base == NULL)
		return;
	static const char *const pname[CAP_PATH__N] = { "hit_l1", "hit_l2", "miss", "write", "bypass" };
	uint32_t own[CAP_STATS_NSLOTS], nown = 0;
	uint64_t me = CAP_SLOT_OWNER(LD(&g.pid), CAP_SLOT_LIVE);
	for (uint32_t k = 1; k < CAP_STATS_NSLOTS; k++)
		if (__atomic_load_n(&cap_statsf_slot(base, k)->owner, __ATOMIC_ACQUIRE) == me)
			own[nown++] = k;
	uint64_t c[CAP_STATS_NCOUNTERS] = { 0 };
	for (uint32_t j = 0; j < nown; j++) {
		const uint64_t *w = (const uint64_t *)&cap_statsf_data(base, own[j])->c;
		for (size_t i = 0; i < CAP_STATS_NCOUNTERS; i++)
			c[i] += LD(&w[i]);
	}
	const cap_stats_counters *cc = (const cap_stats_counters *)c;
	char line[1024];
	size_t n = (size_t)snprintf(line, sizeof(line),
				    "capacitor[%d]: stats (%s): queries=%llu reads=%llu hits=%llu "
				    "misses=%llu writes=%llu bypasses=%llu",
				    (int)LD(&g.pid), when, (unsigned long long)cc->queries,
				    (unsigned long long)cc->reads, (unsigned long long)cc->hits,
				    (unsigned long long)cc->misses, (unsigned long long)cc->writes,
				    (unsigned long long)cc->bypasses);
	for (unsigned p = 0; p < CAP_PATH__N && n < sizeof(line) - 100; p++) {
		uint64_t total = 0;
		for (uint32_t j = 0; j < nown; j++)
			for (uint32_t i = 0; i < CAP_HIST_BUCKETS; i++)
				total += LD(&cap_statsf_data(base, own[j])->h[p].b[i]);
		if (total == 0)
			continue;
		char a[32], b[32];
		fmt_us(a, sizeof(a), own_quantile(base, own, nown, p, total, 0.5));
		fmt_us(b, sizeof(b), own_quantile(base, own, nown, p, total, 0.99));
		n += (size_t)snprintf(line + n, sizeof(line) - n, " | %s n=%llu p50=%s p99=%s",
				      pname[p], (unsigned long long)total, a, b);
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	cap_log_write(line, n);
}

static void log_at_exit(void)
{
	if (LD(&g.log_on))
		log_summary("exit");
}

void cap_stats_log_tick(void)
{
	uint64_t next = LD(&g.next_log);
	if (CAP_LIKELY(next == 0))
		return;
	uint64_t now = cap_now_ns();
	if (CAP_LIKELY(now < next))
		return;
	uint64_t iv = LD(&g.log_interval);
	if (!__atomic_compare_exchange_n(&g.next_log, &next, iv ? now + iv : 0, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	log_summary("interval");
}

static void arm_log(void)
{
	uint64_t iv = LD(&g.log_interval);
	int on = LD(&g.log_on) && LD(&g.base) != NULL;
	ST(&g.next_log, on && iv ? cap_now_ns() + iv : 0);
}

void cap_stats_set_log_interval(uint64_t ns)
{
	ST(&g.log_interval, ns);
	arm_log();
}

void cap_stats_set_log(int on)
{
	ST(&g.log_on, on ? 1 : 0);
	arm_log();
}

void cap_stats_log_now(void)
{
	log_summary("now");
}

/* ---- open ------------------------------------------------------------------------------ */

int cap_stats_open(const char *dir)
{
	pthread_once(&g.once, init_once);
	cap_mutex_lock(&g.mu);
	if (LD(&g.base) != NULL) {
		cap_mutex_unlock(&g.mu);
		return CAP_OK;
	}
	void *base;
	size_t size;
	char err[PATH_MAX + 200];
	int rc = cap_statsf_map(dir, CAP_STATSF_CREATE, &base, &size, err, sizeof(err));
	if (rc != CAP_OK) {
		if (!g.warned_open) {
			g.warned_open = 1;
			cap_log(CAP_LOG_WARN, "stats: %s; statistics off", err);
		}
		cap_mutex_unlock(&g.mu);
		return rc;
	}
	g.pid = (int)getpid();
	g.start = cap_proc_start(g.pid);
	/* a bus error here (the file truncated under us) turns the mapping into zeros: counts
	 * then go nowhere, and the host carries on */
	cap_fault_watch(base, CAP_STATS_FILE_SIZE, &g.dead);
	cap_statsf_fold_dead(base);
	__atomic_store_n(&g.base, base, __ATOMIC_RELEASE);
	/* summaries only when the user chose a log destination: the default file is for warnings */
	const char *log = getenv("CAPACITOR_LOG");
	if (log != NULL && log[0] != '\0')
		ST(&g.log_on, 1);
	cap_log_count_into(&cap_statsf_hdr(base)->warnings);
	if (!g.exit_registered) {
		g.exit_registered = 1;
		atexit(log_at_exit);
	}
	cap_mutex_unlock(&g.mu);
	arm_log();
	return CAP_OK;
}

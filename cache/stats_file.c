/*
 * stats_file.c - the stats file itself, for both its writers (cache/stats) and its readers
 * (cache/stats_read, `capacitor stats`): the header check, opening, building and mapping it
 * (through cache/shmfile), whether a slot's owner still runs, and the fold and reset
 * protocol (cache/stats_file.h). A reader links this, never the writer's hot path.
 *
 * Locks. The file's fold lock (cache/plock) is only taken by cap_statsf_fold_dead and
 * cap_statsf_reset, called at open, when the file has no free slot, and by `capacitor stats
 * --reset`, and only for FOLD_LOCK_NS: a holder that never lets go means no fold this time,
 * never a hang. The file's flock at open is waited for FLOCK_MS at most.
 *
 * Files. cache/shmfile checks the directory and the file (ours, not writable by others, no
 * symlink), builds a new file whole under a temporary name (allocated in full) and publishes
 * it by link (a missing file, built under the directory's own flock so that processes that
 * start together build it once) or rename (a bad one, under the old file's flock), and checks
 * the size before it maps.
 */
#include "cache/stats_file.h"
#include "cache/cap.h"
#include "cache/clock.h"
#include "cache/fault.h"
#include "cache/log.h"
#include "cache/plock.h"
#include "cache/proc.h"
#include "cache/shmfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define FOLD_LOCK_NS 100000000ull /* longest wait for the file's fold lock */
#define FLOCK_MS 200            /* longest wait for the file's flock at open */
#define STATS_FILE "stats"

static const char *const reason_names[] = {
#define CAP_REASON_NAME(name, text) text,
	CAP_REASONS(CAP_REASON_NAME)
#undef CAP_REASON_NAME
};
_Static_assert(CAP_ARRAY_LEN(reason_names) == CAP_REASON__N, "one name per reason");

const char *cap_stats_reason_name(enum cap_reason r)
{
	if ((unsigned)r >= CAP_REASON__N)
		return "?";
	return reason_names[r];
}

/* ---- process identity ------------------------------------------------------------------ */

int cap_statsf_owner_alive(uint64_t owner, uint64_t start)
{
	int pid = CAP_SLOT_PID(owner);
	uint32_t state = CAP_SLOT_STATE(owner);
	if (state == CAP_SLOT_SHARED)
		return 1;
	if (owner == 0 || pid <= 0)
		return 0;
	/* a pid reused by another process (a live slot's start time differs) is gone too; an
	 * unknown start time on either side counts as alive */
	return !cap_proc_gone(pid, state == CAP_SLOT_LIVE ? start : 0);
}

/* ---- header check, create, map --------------------------------------------------------- */

int cap_statsf_check(const cap_stats_hdr *h, uint64_t fsize, char *err, size_t errcap)
{
	if (fsize < sizeof(cap_stats_hdr)) {
		snprintf(err, errcap, "truncated (%llu bytes; the header alone needs %u)",
			 (unsigned long long)fsize, CAP_STATS_HDR_SIZE);
		return CAP_ECORRUPT;
	}
	if (h->magic != CAP_STATS_MAGIC) {
		snprintf(err, errcap, "not a Capacitor stats file (bad magic)");
		return CAP_ECORRUPT;
	}
	if (h->version > CAP_STATS_VERSION) {
		snprintf(err, errcap, "format version %u is newer than this build understands (%u)",
			 h->version, CAP_STATS_VERSION);
		return CAP_EVERSION;
	}
	if (h->version < CAP_STATS_VERSION) {
		snprintf(err, errcap, "format version %u is older than this build's (%u)",
			 h->version, CAP_STATS_VERSION);
		return CAP_EVERSION;
	}
	if (h->hdr_size != CAP_STATS_HDR_SIZE || h->layout != CAP_STATS_LAYOUT ||
	    h->file_size != CAP_STATS_FILE_SIZE || h->nslots != CAP_STATS_NSLOTS ||
	    h->nshapes != CAP_STATS_NSHAPES || h->hist_sub_bits != CAP_HIST_SUB_BITS ||
	    h->hist_buckets != CAP_HIST_BUCKETS || h->shape_sub_bits != CAP_HIST_SHAPE_SUB_BITS ||
	    h->shape_buckets != CAP_HIST_SHAPE_BUCKETS || h->ncounters != CAP_STATS_NCOUNTERS ||
	    h->nreasons != CAP_REASON__N || h->npaths != CAP_PATH__N) {
		snprintf(err, errcap, "layout does not match this build (corrupt or another build)");
		return CAP_ECORRUPT;
	}
	if (h->ready != 1) {
		snprintf(err, errcap, "not completely initialised (corrupt)");
		return CAP_ECORRUPT;
	}
	if (fsize < h->file_size) {
		snprintf(err, errcap, "truncated (%llu bytes, expected %llu)",
			 (unsigned long long)fsize, (unsigned long long)h->file_size);
		return CAP_ECORRUPT;
	}
	if (CAP_FOLD_EXCL(h->fold_word) > CAP_STATS_NSLOTS) {
		snprintf(err, errcap, "fold word out of range (corrupt)");
		return CAP_ECORRUPT;
	}
	return CAP_OK;
}

/* layout - a new file's header and overflow slot (cap_shm_fill_fn); the magic is published
 * last. */
static void layout(void *base, size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	cap_stats_hdr *h = cap_statsf_hdr(base);
	memset(h, 0, sizeof(*h));
	h->version = CAP_STATS_VERSION;
	h->hdr_size = CAP_STATS_HDR_SIZE;
	h->file_size = CAP_STATS_FILE_SIZE;
	h->layout = CAP_STATS_LAYOUT;
	h->nslots = CAP_STATS_NSLOTS;
	h->nshapes = CAP_STATS_NSHAPES;
	h->hist_sub_bits = CAP_HIST_SUB_BITS;
	h->hist_buckets = CAP_HIST_BUCKETS;
	h->shape_sub_bits = CAP_HIST_SHAPE_SUB_BITS;
	h->shape_buckets = CAP_HIST_SHAPE_BUCKETS;
	h->ncounters = CAP_STATS_NCOUNTERS;
	h->nreasons = CAP_REASON__N;
	h->npaths = CAP_PATH__N;
	h->created_ns = cap_wall_ns();
	cap_stats_slot *s0 = cap_statsf_slot(base, 0);
	s0->owner = CAP_SLOT_OWNER(0, CAP_SLOT_SHARED);
	s0->used = 1;
	h->ready = 1;
	__atomic_store_n(&h->magic, CAP_STATS_MAGIC, __ATOMIC_RELEASE);
}

/* build - a new stats file published as `publish` says (cache/shmfile); *base its mapping,
 * left unwatched: cap_stats_open watches it with its own word. */
static int build(int dfd, int publish, void **base, char *err, size_t errcap)
{
	int dead = 0;
	cap_shm m;
	int fd = cap_shm_build(dfd, STATS_FILE, CAP_STATS_FILE_SIZE, publish, layout, NULL, &dead,
			       &m, err, errcap);
	if (fd < 0)
		return fd;
	close(fd);
	cap_fault_unwatch(m.addr);
	*base = m.addr;
	return CAP_OK;
}

/* read_check - the header of the open file fd (st: its fstat), read with pread and checked. */
static int read_check(int fd, const struct stat *st, cap_stats_hdr *h, char *err, size_t errcap)
{
	memset(h, 0, sizeof(*h));
	ssize_t n = pread(fd, h, sizeof(*h), 0);
	if (n < 0) {
		snprintf(err, errcap, "read: %s", strerror(errno));
		return CAP_EIO;
	}
	return cap_statsf_check(h, n < (ssize_t)sizeof(*h) ? (uint64_t)n : (uint64_t)st->st_size,
				err, errcap);
}

/* flock_timed - the lock of fd (the file, or the directory) within FLOCK_MS: a holder that
 * never lets go (stopped, or a foreign process) must not hang the host; the caller then runs
 * without statistics. */
static int flock_timed(int fd)
{
	for (int waited_ms = 0;; waited_ms += 2) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited_ms >= FLOCK_MS)
			return -1;
		struct timespec ts = { 0, 2000000L };
		nanosleep(&ts, NULL);
	}
}

/* unlock_close - release the flock explicitly, then close: when the file is mapped the mapping
 * keeps the open file description alive, and with it the lock, long after close(2). */
static void unlock_close(int fd)
{
	flock(fd, LOCK_UN);
	close(fd);
}

/* Library side: open or create dfd/stats. A missing file is built whole and linked into
 * place (a process that loses that race opens the winner's). An existing file is checked
 * under its flock and, when it is not a valid file of our version (garbage, empty, older),
 * replaced by a new one renamed over it, so that mappings of the old one never see it
 * shrink. A newer version is left alone. */
static int map_create(int dfd, void **base, char *err, size_t errcap)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct stat st, st2;
		int fd = cap_shm_open(dfd, STATS_FILE, O_RDWR, &st, err, errcap);
		if (fd == CAP_EIO && errno == ENOENT) {
			/* one builder at a time, under the directory's flock: a new file is
			 * allocated in full (tens of MB), and processes that start together must
			 * not each build one; the others then open the builder's file */
			if (flock_timed(dfd) != 0) {
				snprintf(err, errcap, "flock of the directory: %s",
					 errno == EWOULDBLOCK ? "held by another process for too long"
							      : strerror(errno));
				return CAP_EIO;
			}
			int rc = CAP_EIO;
			errno = EEXIST;
			if (faccessat(dfd, STATS_FILE, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
				rc = build(dfd, CAP_SHM_LINK, base, err, errcap);
			int e = errno;
			flock(dfd, LOCK_UN);
			if (rc == CAP_EIO && e == EEXIST)
				continue; /* another process published one first: use it */
			return rc;
		}
		if (fd < 0)
			return fd;
		if (flock_timed(fd) != 0) {
			snprintf(err, errcap, "flock %s: %s", STATS_FILE,
				 errno == EWOULDBLOCK ? "held by another process for too long"
						      : strerror(errno));
			close(fd);
			return CAP_EIO;
		}
		/* someone replaced the file while we waited: start again on the new one */
		if (fstatat(dfd, STATS_FILE, &st2, AT_SYMLINK_NOFOLLOW) != 0 ||
		    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
			unlock_close(fd);
			continue;
		}
		if (fstat(fd, &st) != 0) {
			snprintf(err, errcap, "fstat %s: %s", STATS_FILE, strerror(errno));
			unlock_close(fd);
			return CAP_EIO;
		}
		cap_stats_hdr h;
		char why[160] = "";
		int rc = read_check(fd, &st, &h, why, sizeof(why));
		if (rc == CAP_OK) {
			cap_shm m;
			rc = cap_shm_map(fd, CAP_STATS_FILE_SIZE, PROT_READ | PROT_WRITE, NULL, NULL,
					 &m, err, errcap);
			unlock_close(fd);
			if (rc == CAP_OK)
				*base = m.addr;
			return rc;
		}
		if (rc == CAP_EVERSION && h.version > CAP_STATS_VERSION) {
			snprintf(err, errcap, "%s: %s", STATS_FILE, why);
			unlock_close(fd);
			return CAP_EVERSION;
		}
		/* garbage, empty or an older format: a new file renamed over it */
		rc = build(dfd, CAP_SHM_RENAME, base, err, errcap);
		if (rc == CAP_OK)
			cap_log(CAP_LOG_WARN, "stats: %s: %s; rebuilt it", STATS_FILE, why);
		unlock_close(fd);
		return rc;
	}
	snprintf(err, errcap, "%s: replaced too often while opening", STATS_FILE);
	return CAP_EIO;
}

/* map_existing - open, check and map dfd/stats for a reader (never creates or rebuilds). */
static int map_existing(int dfd, enum cap_statsf_mode mode, void **base, char *err,
			size_t errcap)
{
	struct stat st;
	int fd = cap_shm_open(dfd, STATS_FILE, mode == CAP_STATSF_READ ? O_RDONLY : O_RDWR, &st,
			      err, errcap);
	if (fd < 0)
		return fd;
	cap_stats_hdr h;
	char why[160];
	int rc = read_check(fd, &st, &h, why, sizeof(why));
	if (rc != CAP_OK) {
		snprintf(err, errcap, "%s: %s", STATS_FILE, why);
		close(fd);
		return rc;
	}
	int prot = PROT_READ | (mode == CAP_STATSF_WRITE ? PROT_WRITE : 0);
	cap_shm m;
	rc = cap_shm_map(fd, CAP_STATS_FILE_SIZE, prot, NULL, NULL, &m, err, errcap);
	close(fd);
	if (rc == CAP_OK)
		*base = m.addr;
	return rc;
}

int cap_statsf_map(const char *dir, enum cap_statsf_mode mode, void **base, size_t *size,
		   char *err, size_t errcap)
{
	char why[PATH_MAX + 200];
	int dfd = cap_shm_dir_open(dir, mode == CAP_STATSF_CREATE ? CAP_SHM_CREATE : 0, err,
				   errcap);
	if (dfd < 0)
		return dfd;
	int rc = mode == CAP_STATSF_CREATE ? map_create(dfd, base, why, sizeof(why))
					   : map_existing(dfd, mode, base, why, sizeof(why));
	close(dfd);
	if (rc != CAP_OK) {
		snprintf(err, errcap, "%s: %s", dir, why);
		return rc;
	}
	*size = CAP_STATS_FILE_SIZE;
	return CAP_OK;
}

/* ---- fold and reset (under the file's fold lock) ------------------------------------- */

/* fold_lock - the fold lock within FOLD_LOCK_NS (a holder that is stopped, or a lock word
 * naming a live process that never lets go, must not hang the host): CAP_EIO on timeout, and
 * the fold or reset is skipped. */
static int fold_lock(cap_stats_hdr *h)
{
	uint32_t holder = 0;
	int e = cap_plock_acquire(&h->lock, FOLD_LOCK_NS, &holder);
	if (e < 0) {
		cap_log(CAP_LOG_WARN, "stats: the fold lock is held by thread %u for too long; "
			"dead processes' slots are not folded this time", holder);
		return CAP_EIO;
	}
	/* CAP_PLOCK_RECOVERED: the previous holder died; callers finish any half-done fold
	 * (fold word) */
	return CAP_OK;
}

/* Step 3 of a fold: the slot is excluded by the fold word; zero it, clear excl, free it. */
static void fold_finish(void *base, uint32_t k, uint64_t gen, unsigned cur)
{
	cap_stats_hdr *h = cap_statsf_hdr(base);
	cap_stats_slot *s = cap_statsf_slot(base, k);
	uint64_t *w = (uint64_t *)cap_statsf_data(base, k);
	for (size_t i = 0; i < CAP_STATS_DATA_WORDS; i++)
		ST(&w[i], 0);
	ST(&s->l1_entries, 0);
	ST(&s->l1_bytes, 0);
	ST(&s->start, 0);
	__atomic_store_n(&h->fold_word, CAP_FOLD_WORD(gen + 1, 0, cur), __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&h->folds, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->owner, 0, __ATOMIC_RELEASE);
}

static void fold_recover(void *base)
{
	cap_stats_hdr *h = cap_statsf_hdr(base);
	uint64_t w = __atomic_load_n(&h->fold_word, __ATOMIC_ACQUIRE);
	uint32_t e = CAP_FOLD_EXCL(w);
	if (e == 0)
		return;
	if (e > CAP_STATS_NSLOTS) {
		__atomic_store_n(&h->fold_word, CAP_FOLD_WORD(CAP_FOLD_GEN(w) + 1, 0, CAP_FOLD_CUR(w)),
				 __ATOMIC_SEQ_CST);
		return;
	}
	fold_finish(base, e - 1, CAP_FOLD_GEN(w), CAP_FOLD_CUR(w));
}

static void fold_one(void *base, uint32_t k)
{
	cap_stats_hdr *h = cap_statsf_hdr(base);
	uint64_t w = __atomic_load_n(&h->fold_word, __ATOMIC_ACQUIRE);
	unsigned cur = CAP_FOLD_CUR(w);
	const uint64_t *src = (const uint64_t *)cap_statsf_totals(base, cur);
	uint64_t *dst = (uint64_t *)cap_statsf_totals(base, !cur);
	const uint64_t *sd = (const uint64_t *)cap_statsf_data(base, k);
	for (size_t i = 0; i < CAP_STATS_DATA_WORDS; i++)
		ST(&dst[i], LD(&src[i]) + LD(&sd[i]));
	uint64_t gen = CAP_FOLD_GEN(w) + 1;
	__atomic_store_n(&h->fold_word, CAP_FOLD_WORD(gen, k + 1, !cur), __ATOMIC_SEQ_CST);
	fold_finish(base, k, gen, !cur);
}

int cap_statsf_fold_dead(void *base)
{
	cap_stats_hdr *h = cap_statsf_hdr(base);
	int rc = fold_lock(h);
	if (rc != CAP_OK)
		return rc;
	fold_recover(base);
	int n = 0;
	for (uint32_t k = 1; k < CAP_STATS_NSLOTS; k++) {
		cap_stats_slot *s = cap_statsf_slot(base, k);
		uint64_t o = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
		if (o == 0 || CAP_SLOT_STATE(o) == CAP_SLOT_SHARED)
			continue;
		if (cap_statsf_owner_alive(o, LD(&s->start)))
			continue;
		/* re-check: a pid is only ours to fold if the owner word did not move */
		if (__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE) != o)
			continue;
		fold_one(base, k);
		n++;
	}
	cap_plock_release(&h->lock);
	return n;
}

int cap_statsf_reset(void *base)
{
	cap_stats_hdr *h = cap_statsf_hdr(base);
	int rc = fold_lock(h);
	if (rc != CAP_OK)
		return rc;
	fold_recover(base);
	uint64_t w = __atomic_load_n(&h->fold_word, __ATOMIC_ACQUIRE);
	unsigned cur = CAP_FOLD_CUR(w);
	uint64_t *dst = (uint64_t *)cap_statsf_totals(base, !cur);
	/* totals' = totals - (totals + sum of slots) = -(sum of slots), modulo 2^64 */
	for (size_t i = 0; i < CAP_STATS_DATA_WORDS; i++)
		ST(&dst[i], 0);
	for (uint32_t k = 0; k < CAP_STATS_NSLOTS; k++) {
		if (!LD(&cap_statsf_slot(base, k)->used))
			continue;
		const uint64_t *sd = (const uint64_t *)cap_statsf_data(base, k);
		for (size_t i = 0; i < CAP_STATS_DATA_WORDS; i++)
			ST(&dst[i], LD(&dst[i]) - LD(&sd[i]));
	}
	__atomic_store_n(&h->fold_word, CAP_FOLD_WORD(CAP_FOLD_GEN(w) + 1, 0, !cur), __ATOMIC_SEQ_CST);
	ST(&h->reset_ns, cap_wall_ns());
	for (uint32_t k = 0; k <= CAP_STATS_NSHAPES; k++) {
		cap_stats_shape *sh = cap_statsf_shape(base, k);
		if (LD(&sh->key) == 0 && k != CAP_STATS_NSHAPES)
			continue;
		for (unsigned p = 0; p < CAP_PATH__N; p++)
			ST(&sh->n[p], 0);
		ST(&sh->lat_sum, 0);
		for (unsigned i = 0; i < CAP_HIST_SHAPE_BUCKETS; i++)
			ST(&sh->h[i], 0);
	}
	cap_plock_release(&h->lock);
	return CAP_OK;
}

/*
 * disk.c - L2, the shared mmap tier (layout in disk.h).
 *
 * Why a log per region: entries have any size up to a fraction of the file, processes come and
 * go, and a writer can die at any instruction. A ring written in log order needs no free-space
 * bookkeeping, evicts oldest-first by construction, and lets a reader decide whether the bytes
 * it copied could have been overwritten from one counter: `reserved`, the region's log end.
 *
 * Write (region mutex held): reserve [pos, pos + total) by storing reserved = pos + total, then
 * a release fence, then the entry's words (relaxed atomic stores), then the index way (tag,
 * pos + 1). Entries never straddle the ring's end: the rest of the ring is filled with a SKIP
 * header. The tail walks over overwritten entries to keep the entry/byte counts and count
 * evictions.
 *
 * Read (no lock, seqlock style): find a way whose tag is hash.lo, check pos is inside the live
 * window, copy the entry out with relaxed atomic loads, acquire fence, reload reserved: the copy
 * is kept only if reserved <= pos + ring_size (nothing was written over it), the header's pos
 * and hash match, the checksum over everything matches, the key material is equal, every
 * dependency slot is in range and its generation still holds, and the TTL has not passed.
 * Anything else is a miss. So a torn, half-written, stale or corrupt entry reads as a miss and
 * a reader never waits for a process that may be dead.
 *
 * Writers: one lock word per region (cache/plock, not a pthread mutex: bytes written into
 * the file must never crash the host), taken with a time limit (region_lock): a holder that
 * is stopped or a lock word naming a live thread that never lets go costs a put 20 ms once,
 * then the region is only try-locked for a second; the entry is simply not stored. A dead
 * holder's lock is taken over and the region reset - its log and index may be half-updated. Bad
 * lengths found while walking the tail also reset the region. Nothing in the mapping is a
 * pointer.
 *
 * Building: as for the generation table (gen.c), under the directory's flock, a missing or bad
 * file is replaced by a fresh one (cap_shm_build: written under a temporary name, allocated in
 * full so that a full file system fails here rather than SIGBUS later, renamed over it). A
 * valid file is checked (cache/shmfile, then its header with pread) before it is mapped, and
 * the mapping is watched by cache/fault: if the file shrinks under us anyway, the access
 * reads zeros (a miss), `dead` is set and the engine drops this tier and re-opens it.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/disk.h"
#include "cache/clock.h"
#include "cache/fault.h"
#include "cache/log.h"
#include "cache/plock.h"
#include "cache/shmfile.h"
#include "cache/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_SPACE 4096u
#define CAP_L2_LOCK_NS 20000000L           /* 20 ms: a put waits no longer for a region */
#define CAP_L2_STUCK_NS 1000000000ULL      /* then 1 s of try-lock only for that region */
#define CAP_L2_POS_MAX (UINT64_MAX / 2)      /* log positions stay below: never wrap 2^64 */

struct cap_disk {
	unsigned char *map;
	size_t size;
	int dead;            /* atomic: the SIGBUS handler replaced the mapping (cache/fault) */
	uint64_t dev, ino;   /* identity of the file mapped */
	uint32_t uid;        /* its owner when mapped */
	uint64_t *stuck;     /* per region: coarse ns until which a put only tries the lock */
	uint64_t warned_ns;  /* last lock-timeout log line (atomic) */
	const cap_l2_hdr *hdr;
	cap_l2_region *reg;
	uint32_t nregions;
	uint64_t nbuckets, ring_size;
	uint64_t index_off, ring_off;
};

/* ---- geometry ---- */

static void geometry(uint64_t size, cap_l2_hdr *h)
{
	uint32_t nr = 1;
	while (nr < 64 && size / ((uint64_t)nr * 2) >= 4u << 20)
		nr *= 2;
	uint64_t space = (size - HDR_SPACE - (uint64_t)nr * sizeof(cap_l2_region)) / nr;
	uint64_t nb = 1;
	while (nb * 2 * sizeof(cap_l2_bucket) <= space / 64)
		nb *= 2;
	h->file_size = size;
	h->nregions = nr;
	h->ways = CAP_L2_WAYS;
	h->nbuckets = nb;
	h->ring_size = (space - nb * sizeof(cap_l2_bucket)) & ~(uint64_t)63;
	h->regions_off = HDR_SPACE;
	h->index_off = HDR_SPACE + (uint64_t)nr * sizeof(cap_l2_region);
	h->ring_off = h->index_off + (uint64_t)nr * nb * sizeof(cap_l2_bucket);
}

static void read_boot_id(char out[48])
{
	memset(out, 0, 48);
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, 47);
	close(fd);
	if (n < 0)
		n = 0;
	out[n] = 0;
	char *nl = strchr(out, '\n');
	if (nl)
		memset(nl, 0, (size_t)(out + 48 - nl));
}

static uint64_t hdr_check(const cap_l2_hdr *h)
{
	return XXH3_64bits(h, offsetof(cap_l2_hdr, check));
}

static inline cap_l2_bucket *bucket(cap_disk *d, uint32_t r, uint64_t b)
{
	return (cap_l2_bucket *)(d->map + d->index_off) + (uint64_t)r * d->nbuckets + b;
}

static inline unsigned char *ring(cap_disk *d, uint32_t r)
{
	return d->map + d->ring_off + (uint64_t)r * d->ring_size;
}

/* attach - the geometry from h, a checked copy of the header (never re-read through the
 * mapping, which a truncation could turn into zeros at any time). */
static void attach(cap_disk *d, unsigned char *map, const cap_l2_hdr *h)
{
	d->map = map;
	d->hdr = (const cap_l2_hdr *)map;
	d->size = h->file_size;
	d->nregions = h->nregions;
	d->nbuckets = h->nbuckets;
	d->ring_size = h->ring_size;
	d->index_off = h->index_off;
	d->ring_off = h->ring_off;
	d->reg = (cap_l2_region *)(map + h->regions_off);
}

/* ---- open / build ---- */

/* map_valid - map the open file fd (st: its fstat) when its header is valid for this build,
 * this generation table and this boot; checked with pread before anything is mapped. */
static int map_valid(int fd, const struct stat *st, uint64_t gen_nonce, const char *boot,
		     cap_disk *d)
{
	if ((uint64_t)st->st_size < CAP_L2_MIN_SIZE)
		return CAP_ECORRUPT;
	cap_l2_hdr h;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return CAP_ECORRUPT;
	if (h.magic != CAP_L2_MAGIC)
		return CAP_ECORRUPT;
	if (h.format != CAP_L2_FORMAT)
		return CAP_EVERSION;
	if (h.check != hdr_check(&h) || h.file_size != (uint64_t)st->st_size)
		return CAP_ECORRUPT;
	cap_l2_hdr g;
	memset(&g, 0, sizeof(g));
	geometry(h.file_size, &g);
	if (g.nregions != h.nregions || g.ways != h.ways || g.nbuckets != h.nbuckets ||
	    g.ring_size != h.ring_size || g.regions_off != h.regions_off ||
	    g.index_off != h.index_off || g.ring_off != h.ring_off)
		return CAP_ECORRUPT;
	if (h.gen_nonce != gen_nonce || memcmp(h.boot_id, boot, sizeof(h.boot_id)) != 0)
		return CAP_ECORRUPT; /* stale: other generation table or another boot */
	cap_shm m;
	int rc = cap_shm_map(fd, h.file_size, PROT_READ | PROT_WRITE, NULL, &d->dead, &m, NULL, 0);
	if (rc < 0)
		return rc;
	attach(d, m.addr, &h);
	d->dev = m.dev;
	d->ino = m.ino;
	d->uid = m.uid;
	return CAP_OK;
}

/* A new file's header: everything after it (region lock words, counters, index) starts as
 * the zeros posix_fallocate gave. */
typedef struct build_ctx {
	uint64_t gen_nonce;
	const char *boot;
	cap_l2_hdr h; /* out: the header written */
} build_ctx;

static void layout(void *m, size_t size, void *ctx)
{
	build_ctx *c = ctx;
	cap_l2_hdr *h = &c->h;
	memset(h, 0, sizeof(*h));
	geometry(size, h);
	h->format = CAP_L2_FORMAT;
	h->gen_nonce = c->gen_nonce;
	memcpy(h->boot_id, c->boot, sizeof(h->boot_id));
	h->magic = CAP_L2_MAGIC;
	h->check = hdr_check(h);
	memcpy(m, h, sizeof(*h));
}

static int build(int dfd, uint64_t size, uint64_t gen_nonce, const char *boot, cap_disk *d)
{
	build_ctx c = { .gen_nonce = gen_nonce, .boot = boot };
	cap_shm m;
	int fd = cap_shm_build(dfd, CAP_L2_FILE, size, CAP_SHM_RENAME, layout, &c, &d->dead, &m,
			       NULL, 0);
	if (fd < 0)
		return fd;
	close(fd);
	attach(d, m.addr, &c.h);
	d->dev = m.dev;
	d->ino = m.ino;
	d->uid = m.uid;
	return CAP_OK;
}

static int open_file(int dfd, uint64_t size, uint64_t gen_nonce, int may_build, cap_disk **out)
{
	*out = NULL;
	if (may_build && size < CAP_L2_MIN_SIZE)
		return CAP_EINVAL;
	cap_disk *d = calloc(1, sizeof(*d));
	if (!d)
		return CAP_ENOMEM;
	char boot[48];
	read_boot_id(boot);
	int rc;
	struct stat st;
	int fd = cap_shm_open(dfd, CAP_L2_FILE, O_RDWR, &st, NULL, 0);
	if (fd == CAP_EIO && errno == ENOENT) {
		rc = may_build ? build(dfd, size, gen_nonce, boot, d) : fd;
	} else if (fd < 0) {
		rc = fd;
	} else {
		rc = map_valid(fd, &st, gen_nonce, boot, d);
		close(fd);
		if (may_build && (rc == CAP_ECORRUPT || rc == CAP_EVERSION)) {
			cap_log(CAP_LOG_INFO, "L2 file: %s or stale, rebuilding", cap_strerror(rc));
			rc = build(dfd, size, gen_nonce, boot, d);
		}
	}
	if (rc == CAP_OK) {
		d->stuck = calloc(d->nregions, sizeof(*d->stuck));
		if (!d->stuck) {
			cap_fault_unwatch(d->map);
			munmap(d->map, d->size);
			rc = CAP_ENOMEM;
		}
	}
	if (rc < 0) {
		free(d);
		return rc;
	}
	*out = d;
	return CAP_OK;
}

int cap_disk_open(int dfd, uint64_t size, uint64_t gen_nonce, cap_disk **out)
{
	return open_file(dfd, size, gen_nonce, 1, out);
}

int cap_disk_attach(int dfd, uint64_t gen_nonce, cap_disk **out)
{
	return open_file(dfd, 0, gen_nonce, 0, out);
}

void cap_disk_note_seq(cap_disk *d, uint64_t seq)
{
	uint64_t *p = &((cap_l2_hdr *)d->map)->gen_seq;
	uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
	while (cur < seq &&
	       !__atomic_compare_exchange_n(p, &cur, seq, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

uint64_t cap_disk_peek_seq(int dfd, uint64_t gen_nonce)
{
	int fd = cap_file_open(dfd, CAP_L2_FILE, 0);
	if (fd < 0)
		return 0;
	cap_l2_hdr h;
	int ok = pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && h.magic == CAP_L2_MAGIC &&
		 h.format == CAP_L2_FORMAT && h.check == hdr_check(&h) && h.gen_nonce == gen_nonce;
	close(fd);
	return ok ? h.gen_seq : 0;
}

int cap_disk_dead(const cap_disk *d)
{
	return __atomic_load_n(&d->dead, __ATOMIC_ACQUIRE);
}

int cap_disk_is_current(const cap_disk *d, const char *path, int dir_seen)
{
	if (cap_disk_dead(d))
		return 0;
	int now = cap_shm_current(path, d->dev, d->ino, d->size, d->uid);
	if (now == CAP_EIO && !dir_seen)
		return 1; /* out of reach (chroot, credentials): its entries are still checked
			   * against the generation table, and what we store is still shared
			   * with every process that maps it */
	return now == 1;
}

void cap_disk_close(cap_disk *d)
{
	if (!d)
		return;
	if (d->map) {
		cap_fault_unwatch(d->map);
		munmap(d->map, d->size);
	}
	free(d->stuck);
	free(d);
}

uint64_t cap_disk_max_entry(const cap_disk *d)
{
	return d->ring_size / 2;
}

/* ---- word copies: relaxed atomics, so concurrent overwrites are defined behaviour ---- */

static void words_out(void *dst, const unsigned char *src, size_t n)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *o = dst;
	for (size_t i = 0; i < n / 8; i++)
		o[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

static void words_in(unsigned char *dst, const void *src, size_t n)
{
	uint64_t *o = (uint64_t *)dst;
	const uint64_t *s = src;
	for (size_t i = 0; i < n / 8; i++)
		__atomic_store_n(&o[i], s[i], __ATOMIC_RELAXED);
}

/* ---- writers ---- */

static void region_reset(cap_disk *d, uint32_t r)
{
	cap_l2_region *g = &d->reg[r];
	uint64_t res = __atomic_load_n(&g->reserved, __ATOMIC_RELAXED);
	uint64_t lap = d->ring_size;
	/* Past everything in the ring: any reader's window check now fails. A log end written
	 * into the file near 2^64 starts again at one lap instead: the index is cleared below,
	 * and a reader still holding an old position finds it beyond the new end. */
	if (res <= CAP_L2_POS_MAX)
		lap += (res + d->ring_size - 1) / d->ring_size * d->ring_size;
	__atomic_store_n(&g->reserved, lap, __ATOMIC_RELAXED);
	g->tail = lap;
	__atomic_store_n(&g->entries, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g->bytes, 0, __ATOMIC_RELAXED);
	for (uint64_t b = 0; b < d->nbuckets; b++) {
		cap_l2_bucket *bk = bucket(d, r, b);
		for (int w = 0; w < CAP_L2_WAYS; w++) {
			__atomic_store_n(&bk->pos[w], 0, __ATOMIC_RELAXED);
			__atomic_store_n(&bk->tag[w], 0, __ATOMIC_RELAXED);
		}
	}
}

/* region_lock - take a region's writer lock within CAP_L2_LOCK_NS. A lock that is not free
 * in time (its holder is stopped, or the lock word names a live thread that never lets go)
 * makes this put pass (the entry is not stored), and for the next CAP_L2_STUCK_NS puts to that
 * region only try the lock once. A dead holder's lock is taken over and the region reset. */
static int region_lock(cap_disk *d, uint32_t r)
{
	uint64_t now = cap_now_ns();
	uint64_t budget = now < __atomic_load_n(&d->stuck[r], __ATOMIC_RELAXED) ? 0 : CAP_L2_LOCK_NS;
	uint32_t holder = 0;
	int rc = cap_plock_acquire(&d->reg[r].lock, budget, &holder);
	if (rc == CAP_PLOCK_RECOVERED) {
		cap_log(CAP_LOG_INFO, "L2 region %u: previous writer died, region reset", r);
		region_reset(d, r);
	}
	if (rc >= 0) {
		__atomic_store_n(&d->stuck[r], 0, __ATOMIC_RELAXED);
		return 0;
	}
	__atomic_store_n(&d->stuck[r], now + CAP_L2_STUCK_NS, __ATOMIC_RELAXED);
	uint64_t last = __atomic_load_n(&d->warned_ns, __ATOMIC_RELAXED);
	if (budget && (last == 0 || now - last > CAP_L2_STUCK_NS * 10)) {
		__atomic_store_n(&d->warned_ns, now, __ATOMIC_RELAXED);
		cap_log(CAP_LOG_WARN, "L2 region %u: writer lock held by thread %u for over %d ms; "
			"entries of that region are not stored meanwhile", r, holder,
			(int)(CAP_L2_LOCK_NS / 1000000));
	}
	return CAP_EIO;
}

/* advance_tail - drop entries that [.., end) will overwrite; returns evictions, or -1 when
 * the log is inconsistent (the caller resets the region). */
static int64_t advance_tail(cap_disk *d, uint32_t r, uint64_t end)
{
	cap_l2_region *g = &d->reg[r];
	unsigned char *base = ring(d, r);
	int64_t ev = 0;
	uint64_t res = __atomic_load_n(&g->reserved, __ATOMIC_RELAXED);
	if (g->tail > res || g->tail % 8)
		return -1;
	if (end <= d->ring_size)
		return 0;
	/* end - ring_size <= res always (an entry is at most half a ring) */
	while (g->tail < end - d->ring_size) {
		if (g->tail >= res)
			return -1;
		uint64_t off = g->tail % d->ring_size;
		uint64_t left = d->ring_size - off;
		if (left < sizeof(cap_l2_ent)) {
			g->tail += left;
			continue;
		}
		cap_l2_ent h = { 0 };
		words_out(&h, base + off, sizeof(h));
		if (h.total < sizeof(cap_l2_ent) || h.total % 8 || h.total > left || h.pos != g->tail)
			return -1;
		if (h.klen != CAP_L2_SKIP) {
			ev++;
			__atomic_fetch_sub(&g->entries, 1, __ATOMIC_RELAXED);
			__atomic_fetch_sub(&g->bytes, h.total, __ATOMIC_RELAXED);
		}
		g->tail += h.total;
	}
	return ev;
}

/* pos_sane - a log position a writer can build on: 8-aligned (entries are, and their words
 * are written with 64-bit atomics) and far from wrapping 2^64. Bytes written into the file can
 * make the log end anything; an insane one resets the region. */
static inline int pos_sane(uint64_t pos)
{
	return pos % 8 == 0 && pos <= CAP_L2_POS_MAX;
}

static inline uint32_t region_of(const cap_disk *d, cap_hash h)
{
	return (uint32_t)(h.hi >> 40) & (d->nregions - 1);
}

static inline uint64_t bucket_of(const cap_disk *d, cap_hash h)
{
	return (h.lo >> 20) & (d->nbuckets - 1);
}

static inline size_t slots_bytes(uint32_t n)
{
	return ((size_t)n * 4 + 7) & ~(size_t)7;
}

static void report(cap_disk *d)
{
	uint64_t n, b;
	cap_disk_usage(d, &n, &b, NULL);
	cap_stats_l2(n, b);
}

int cap_disk_put(cap_disk *d, const cap_key *k, const cap_deps *deps, uint64_t expire_ns,
		 const void *val, size_t len)
{
	uint32_t nd = deps ? deps->n : 0;
	if (nd > CAP_DEPS_MAX)
		return CAP_EINVAL;
	uint64_t body = sizeof(cap_l2_ent) + (uint64_t)nd * 8 + slots_bytes(nd) + k->len + len;
	uint64_t total = (body + 7) & ~(uint64_t)7;
	if (total > cap_disk_max_entry(d))
		return CAP_ETOOBIG;
	unsigned char *buf = malloc(total);
	if (!buf)
		return CAP_ENOMEM;
	memset(buf + total - 8, 0, 8);
	cap_l2_ent *h = (cap_l2_ent *)buf;
	h->hash_lo = k->hash.lo;
	h->hash_hi = k->hash.hi;
	h->expire = expire_ns;
	h->total = (uint32_t)total;
	h->klen = (uint32_t)k->len;
	h->vlen = (uint32_t)len;
	h->ndeps = nd;
	unsigned char *p = buf + sizeof(*h);
	if (nd) {
		memcpy(p, deps->gen, (size_t)nd * 8);
		p += (size_t)nd * 8;
		memset(p, 0, slots_bytes(nd));
		memcpy(p, deps->slot, (size_t)nd * 4);
		p += slots_bytes(nd);
	}
	memcpy(p, k->mat, k->len);
	p += k->len;
	if (len)
		memcpy(p, val, len);

	uint32_t r = region_of(d, k->hash);
	cap_l2_region *g = &d->reg[r];
	unsigned char *base = ring(d, r);
	if (region_lock(d, r) < 0) {
		free(buf);
		return CAP_EIO;
	}
	uint64_t pos = __atomic_load_n(&g->reserved, __ATOMIC_RELAXED);
	if (!pos_sane(pos)) {
		region_reset(d, r);
		pos = __atomic_load_n(&g->reserved, __ATOMIC_RELAXED);
	}
	uint64_t off = pos % d->ring_size;
	if (d->ring_size - off < total) {
		/* Fill to the end of the ring and start the next lap. */
		uint64_t left = d->ring_size - off;
		int64_t ev = advance_tail(d, r, pos + left + total);
		if (ev < 0) {
			region_reset(d, r);
			pos = __atomic_load_n(&g->reserved, __ATOMIC_RELAXED);
		} else {
			if (ev)
				cap_stats_event(CAP_EV_EVICT_L2, (uint64_t)ev);
			__atomic_store_n(&g->reserved, pos + left + total, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_RELEASE);
			if (left >= sizeof(cap_l2_ent)) {
				cap_l2_ent skip;
				memset(&skip, 0, sizeof(skip));
				skip.pos = pos;
				skip.total = (uint32_t)left;
				skip.klen = CAP_L2_SKIP;
				words_in(base + off, &skip, sizeof(skip));
			}
			pos += left;
			goto write;
		}
	}
	{
		int64_t ev = advance_tail(d, r, pos + total);
		if (ev < 0) {
			region_reset(d, r);
			pos = __atomic_load_n(&g->reserved, __ATOMIC_RELAXED);
			ev = 0;
		}
		if (ev)
			cap_stats_event(CAP_EV_EVICT_L2, (uint64_t)ev);
		__atomic_store_n(&g->reserved, pos + total, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
write:
	h->pos = pos;
	h->sum = XXH3_64bits(buf + 8, total - 8);
	words_in(base + pos % d->ring_size, buf, total);
	__atomic_fetch_add(&g->entries, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&g->bytes, total, __ATOMIC_RELAXED);

	/* Index: the same key's way, else an empty or overwritten way, else the oldest. */
	cap_l2_bucket *bk = bucket(d, r, bucket_of(d, k->hash));
	uint64_t lo_live = pos + total > d->ring_size ? pos + total - d->ring_size : 0;
	int pick = -1, oldest = 0;
	uint64_t oldest_pos = UINT64_MAX;
	for (int w = 0; w < CAP_L2_WAYS; w++) {
		uint64_t wp = __atomic_load_n(&bk->pos[w], __ATOMIC_RELAXED);
		uint64_t wt = __atomic_load_n(&bk->tag[w], __ATOMIC_RELAXED);
		if (wp && wt == k->hash.lo) {
			pick = w;
			break;
		}
		if (pick < 0 && (wp == 0 || wp - 1 < lo_live))
			pick = w;
		if (wp < oldest_pos) {
			oldest_pos = wp;
			oldest = w;
		}
	}
	if (pick < 0)
		pick = oldest;
	__atomic_store_n(&bk->pos[pick], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&bk->tag[pick], k->hash.lo, __ATOMIC_RELAXED);
	__atomic_store_n(&bk->pos[pick], pos + 1, __ATOMIC_RELEASE);
	cap_plock_release(&g->lock);
	free(buf);
	cap_stats_event(CAP_EV_FILL_L2, 1);
	report(d);
	return CAP_OK;
}

/* ---- readers ---- */

static int try_way(cap_disk *d, uint32_t r, uint64_t pos, const cap_gen *gt, const cap_key *k,
		   cap_disk_hit *hit, void *scratch, size_t cap)
{
	cap_l2_region *g = &d->reg[r];
	unsigned char *base = ring(d, r);
	uint64_t res = __atomic_load_n(&g->reserved, __ATOMIC_ACQUIRE);
	if (pos >= res || res - pos > d->ring_size || pos % 8)
		return 0;
	uint64_t off = pos % d->ring_size;
	uint64_t left = d->ring_size - off;
	if (left < sizeof(cap_l2_ent))
		return 0;
	cap_l2_ent h = { 0 };
	words_out(&h, base + off, sizeof(h));
	if (h.pos != pos || h.hash_lo != k->hash.lo || h.hash_hi != k->hash.hi ||
	    h.klen != k->len || h.total > left || h.total % 8 || h.ndeps > CAP_DEPS_MAX ||
	    (uint64_t)sizeof(cap_l2_ent) + (uint64_t)h.ndeps * 8 + slots_bytes(h.ndeps) + h.klen +
			    h.vlen > h.total)
		return 0;
	unsigned char *buf = h.total <= cap ? scratch : malloc(h.total);
	if (!buf)
		return 0;
	words_out(buf, base + off, h.total);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint64_t res2 = __atomic_load_n(&g->reserved, __ATOMIC_RELAXED);
	if (res2 - pos > d->ring_size || memcmp(buf, &h, sizeof(h)) != 0 ||
	    XXH3_64bits(buf + 8, h.total - 8) != h.sum)
		goto miss;
	const unsigned char *p = buf + sizeof(h);
	const uint64_t *gens = (const uint64_t *)p;
	const uint32_t *slots = (const uint32_t *)(p + (size_t)h.ndeps * 8);
	p += (size_t)h.ndeps * 8 + slots_bytes(h.ndeps);
	if (memcmp(p, k->mat, k->len) != 0)
		goto miss;
	for (uint32_t i = 0; i < h.ndeps; i++)
		if (slots[i] >= CAP_GEN_SLOTS)
			goto miss;
	if (!cap_gen_valid(gt, slots, gens, h.ndeps))
		goto miss;
	if (h.expire && cap_now_ns() >= h.expire)
		goto miss;
	hit->buf = buf == scratch ? NULL : buf;
	hit->val = p + k->len;
	hit->vlen = h.vlen;
	hit->expire = h.expire;
	hit->deps.n = h.ndeps;
	memcpy(hit->deps.gen, gens, (size_t)h.ndeps * 8);
	memcpy(hit->deps.slot, slots, (size_t)h.ndeps * 4);
	return 1;
miss:
	if (buf != scratch)
		free(buf);
	return 0;
}

int cap_disk_get(cap_disk *d, const cap_gen *g, const cap_key *k, cap_disk_hit *hit,
		 void *scratch, size_t cap)
{
	uint32_t r = region_of(d, k->hash);
	cap_l2_bucket *bk = bucket(d, r, bucket_of(d, k->hash));
	for (int w = 0; w < CAP_L2_WAYS; w++) {
		if (__atomic_load_n(&bk->tag[w], __ATOMIC_RELAXED) != k->hash.lo)
			continue;
		uint64_t p = __atomic_load_n(&bk->pos[w], __ATOMIC_ACQUIRE);
		if (p && try_way(d, r, p - 1, g, k, hit, scratch, cap))
			return 1;
	}
	return 0;
}

void cap_disk_usage(cap_disk *d, uint64_t *entries, uint64_t *bytes, uint64_t *size)
{
	uint64_t n = 0, b = 0;
	for (uint32_t i = 0; i < d->nregions; i++) {
		n += __atomic_load_n(&d->reg[i].entries, __ATOMIC_RELAXED);
		b += __atomic_load_n(&d->reg[i].bytes, __ATOMIC_RELAXED);
	}
	if (entries)
		*entries = n;
	if (bytes)
		*bytes = b;
	if (size)
		*size = d->size;
}

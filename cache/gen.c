/*
 * gen.c - the shared generation table (see gen.h).
 *
 * Why a file of plain counters: a bump must be O(1) and seen by every process at once, and a
 * hit must check its entry's generations with a few loads and no lock. An entry records the
 * counters it depends on, read before its miss went to the server; any later bump of one of
 * them makes it stale.
 *
 * Attaching: a file is checked (owner, mode and size by cache/shmfile, then the header with
 * pread) before it is mapped, and mapped over the handle's fixed address (MAP_FIXED), so
 * readers in other threads never see the mapping vanish; that needs no lock, since files are
 * only ever replaced whole.
 * Building: the caller holds an flock on CAPACITOR_DIR/lock, so only one process at a time
 * builds. A file that fails any check (size, magic, format, header checksum, geometry,
 * retired) is never repaired in place - another process may still have the old one mapped,
 * and shrinking it under them would raise SIGBUS - it is marked retired and a new file is
 * built and renamed over it (cap_shm_build: fully allocated, under a temporary name).
 * Counters of the new file start at random values, so no generation recorded against the old
 * file can match them.
 * Every mapping is watched by cache/fault: a bus error reads as zeros and sets `dead`.
 * The file mapped is also held open (cache/shmfile's held descriptor): a process that chroots
 * or drops its credentials after attaching can no longer look the path up, and fstat of that
 * descriptor is then what tells a deleted or replaced table (no link left) from one it merely
 * cannot reach.
 *
 * Locking: none after open; counters are accessed only with __atomic builtins.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/fault.h"
#include "cache/gen.h"
#include "cache/log.h"
#include "cache/rand.h"
#include "cache/shmfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t hdr_check(const cap_gen_hdr *h)
{
	return XXH3_64bits(h, offsetof(cap_gen_hdr, check));
}

/* fill - the counters of a new table: random values derived from its nonce, so that no
 * generation recorded against another table matches them by accident. */
static void fill(uint64_t *ctr, uint64_t nonce)
{
	for (uint32_t i = 0; i < CAP_GEN_SLOTS; i++) {
		uint64_t v = XXH3_64bits_withSeed(&i, sizeof(i), nonce);
		__atomic_store_n(&ctr[i], v, __ATOMIC_RELAXED);
	}
}

/* fill_sum - the sum of the values fill() writes for nonce. */
static uint64_t fill_sum(uint64_t nonce)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < CAP_GEN_SLOTS; i++)
		sum += XXH3_64bits_withSeed(&i, sizeof(i), nonce);
	return sum;
}

uint64_t cap_gen_seq(const cap_gen *g)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < CAP_GEN_SLOTS; i++)
		sum += cap_gen_read(g, i);
	return sum - g->base;
}

static uint64_t *ctr_of(void *map)
{
	return (uint64_t *)((char *)map + CAP_GEN_HDR_SIZE);
}

/* clock_ids - this process's boot (XXH3-64 of boot_id; 0 when unreadable) and time
 * namespace (0 when unknown). The boot is read once: it does not change while we run. */
static void clock_ids(uint64_t *boot, uint32_t *timens)
{
	static uint64_t boot_hash;
	static int boot_read;
	if (!__atomic_load_n(&boot_read, __ATOMIC_ACQUIRE)) {
		char id[64];
		uint64_t b = 0;
		int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, id, sizeof(id));
			if (n > 0)
				b = XXH3_64bits(id, (size_t)n);
			close(fd);
		}
		__atomic_store_n(&boot_hash, b, __ATOMIC_RELAXED);
		__atomic_store_n(&boot_read, 1, __ATOMIC_RELEASE);
	}
	*boot = __atomic_load_n(&boot_hash, __ATOMIC_RELAXED);
	struct stat st;
	*timens = stat("/proc/self/ns/time", &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/* private_table - a filled anonymous table at a new address, or MAP_FAILED. */
static void *private_table(uint64_t nonce)
{
	void *m = mmap(NULL, CAP_GEN_FILE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED)
		fill(ctr_of(m), nonce);
	return m;
}

int cap_gen_open_private(cap_gen **out)
{
	cap_gen *g = calloc(1, sizeof(*g));
	if (!g)
		return CAP_ENOMEM;
	g->nonce = cap_random64();
	g->map = private_table(g->nonce);
	if (g->map == MAP_FAILED) {
		free(g);
		return CAP_ENOMEM;
	}
	g->maplen = CAP_GEN_FILE_SIZE;
	g->ctr = ctr_of(g->map);
	g->shared = 0;
	g->fd = -1;
	cap_fault_watch(g->map, g->maplen, &g->dead);
	*out = g;
	return CAP_OK;
}

void cap_gen_detach(cap_gen *g, int retire)
{
	if (retire && __atomic_load_n(&g->shared, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&g->dead, __ATOMIC_ACQUIRE)) {
		cap_gen_hdr *h = g->map;
		__atomic_store_n(&h->retired, 1, __ATOMIC_SEQ_CST);
	}
	uint64_t nonce = cap_random64();
	void *m = private_table(nonce);
	if (m == MAP_FAILED ||
	    mremap(m, CAP_GEN_FILE_SIZE, CAP_GEN_FILE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   g->map) == MAP_FAILED) {
		/* no memory for a filled table: zeros still make every recorded generation
		 * stale (new tables never start at 0 in practice) */
		if (m != MAP_FAILED)
			munmap(m, CAP_GEN_FILE_SIZE);
		mmap(g->map, CAP_GEN_FILE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	g->nonce = nonce;
	cap_shm_release(g->fd, g->dev, g->ino);
	g->fd = -1;
	/* dev and ino stay: CAP_GEN_RENEW compares the next file with the one left */
	__atomic_store_n(&g->shared, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&g->dead, 0, __ATOMIC_RELEASE);
}

/* check_file - the header and size (st, its fstat) of an open table file, read with pread
 * (never through a mapping, which could fault); CAP_OK, or CAP_ECORRUPT/CAP_EVERSION. */
static int check_file(int fd, const struct stat *st, uint64_t *nonce)
{
	if ((size_t)st->st_size != CAP_GEN_FILE_SIZE)
		return CAP_ECORRUPT;
	cap_gen_hdr h;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return CAP_ECORRUPT;
	if (h.magic != CAP_GEN_MAGIC)
		return CAP_ECORRUPT;
	if (h.format != CAP_GEN_FORMAT)
		return CAP_EVERSION;
	if (h.check != hdr_check(&h) || h.nslots != CAP_GEN_SLOTS ||
	    h.ntables != CAP_GEN_TABLES || h.ndbs != CAP_GEN_DBS || h.retired)
		return CAP_ECORRUPT;
	uint64_t boot;
	uint32_t timens;
	clock_ids(&boot, &timens);
	if (h.boot != boot)
		return CAP_ECORRUPT; /* built before a reboot: expiry times of another clock */
	if (h.timens != timens)
		return CAP_EUNSAFE; /* same boot, another monotonic clock: not ours to rebuild */
	*nonce = h.nonce;
	return CAP_OK;
}

/* map_over - map the checked file fd over g's address (its fault watch stays) and hold fd
 * (cap_gen_is_current); fd is g's or closed afterwards either way. */
static int map_over(cap_gen *g, int fd, uint64_t nonce)
{
	cap_shm m;
	int rc = cap_shm_map(fd, CAP_GEN_FILE_SIZE, PROT_READ | PROT_WRITE, g->map, NULL, &m, NULL,
			     0);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	cap_shm_release(g->fd, g->dev, g->ino); /* of the file mapped before, if any */
	g->nonce = nonce;
	g->base = fill_sum(nonce);
	g->dev = m.dev;
	g->ino = m.ino;
	g->uid = m.uid;
	g->fd = cap_shm_hold(fd);
	__atomic_store_n(&g->dead, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&g->shared, 1, __ATOMIC_RELEASE);
	return CAP_OK;
}

/* layout - a new table's counters and header (cap_shm_fill_fn; ctx: the nonce chosen). */
static void layout(void *m, size_t size, void *ctx)
{
	(void)size;
	uint64_t nonce = *(const uint64_t *)ctx;
	fill(ctr_of(m), nonce);
	cap_gen_hdr *h = m;
	memset(h, 0, sizeof(*h));
	h->format = CAP_GEN_FORMAT;
	h->nonce = nonce;
	h->nslots = CAP_GEN_SLOTS;
	h->ntables = CAP_GEN_TABLES;
	h->ndbs = CAP_GEN_DBS;
	clock_ids(&h->boot, &h->timens);
	h->magic = CAP_GEN_MAGIC;
	h->check = hdr_check(h);
}

/* build - a fresh table published over CAP_GEN_FILE (cache/shmfile); returns an fd of the new
 * file or a CAP_* code. */
static int build(int dfd, uint64_t *nonce)
{
	*nonce = cap_random64();
	int dead = 0;
	cap_shm m;
	int fd = cap_shm_build(dfd, CAP_GEN_FILE, CAP_GEN_FILE_SIZE, CAP_SHM_RENAME, layout, nonce,
			       &dead, &m, NULL, 0);
	if (fd >= 0)
		cap_shm_unmap(&m); /* mapped again over the handle's own address */
	return fd;
}

int cap_gen_attach(cap_gen *g, int dfd, int flags)
{
	struct stat st;
	uint64_t nonce = 0;
	int rc;
	int fd = cap_shm_open(dfd, CAP_GEN_FILE, O_RDWR, &st, NULL, 0);
	if (fd >= 0) {
		rc = check_file(fd, &st, &nonce);
		if (rc == CAP_OK && (flags & CAP_GEN_RENEW) && (uint64_t)st.st_dev == g->dev &&
		    (uint64_t)st.st_ino == g->ino)
			rc = CAP_ECORRUPT; /* the rewound table itself: never again */
		if (rc == CAP_OK)
			return map_over(g, fd, nonce);
		if ((rc == CAP_ECORRUPT || rc == CAP_EVERSION) && (flags & CAP_GEN_BUILD) &&
		    st.st_size >= (off_t)sizeof(cap_gen_hdr)) {
			/* processes that still map it stop trusting it now, not at their next check */
			uint64_t one = 1;
			ssize_t w = pwrite(fd, &one, sizeof(one), offsetof(cap_gen_hdr, retired));
			(void)w;
		}
		close(fd);
		if (rc != CAP_ECORRUPT && rc != CAP_EVERSION)
			return rc;
		if (!(flags & CAP_GEN_BUILD))
			return rc;
		cap_log(CAP_LOG_INFO, "generation table: %s, rebuilding", cap_strerror(rc));
	} else if (!(fd == CAP_EIO && errno == ENOENT) || !(flags & CAP_GEN_BUILD)) {
		return fd;
	}
	fd = build(dfd, &nonce);
	if (fd < 0)
		return fd;
	return map_over(g, fd, nonce);
}

int cap_gen_is_current(cap_gen *g, const char *path, int dir_seen)
{
	if (!__atomic_load_n(&g->shared, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&g->dead, __ATOMIC_ACQUIRE))
		return 0;
	int now = cap_shm_current(path, g->dev, g->ino, CAP_GEN_FILE_SIZE, g->uid);
	if (now == CAP_EIO) {
		if (dir_seen && (errno == ENOENT || errno == ENOTDIR))
			return 0; /* removed from the directory we still see */
		now = cap_shm_held_current(g->fd, g->dev, g->ino, CAP_GEN_FILE_SIZE, g->uid);
		if (now == CAP_EIO) {
			g->fd = -1; /* the host closed it (and may reuse the number) */
			now = 1;    /* out of reach, and nothing says it changed */
		}
	}
	if (now == 0 || cap_gen_retired(g))
		return 0;
	/* chmod/chown while we run: the processes that start now refuse the file, so their
	 * bumps would never reach us */
	if (now < 0)
		return now;
	/* the header read through the mapping: the size was just checked, and a fault here is
	 * recovered (zeros: not current) */
	const cap_gen_hdr *h = g->map;
	return __atomic_load_n(&h->nonce, __ATOMIC_RELAXED) == g->nonce &&
	       __atomic_load_n(&h->magic, __ATOMIC_RELAXED) == CAP_GEN_MAGIC &&
	       !__atomic_load_n(&g->dead, __ATOMIC_ACQUIRE);
}

int cap_gen_open_file(int dfd, cap_gen **out)
{
	cap_gen *g;
	int rc = cap_gen_open_private(&g);
	if (rc < 0)
		return rc;
	rc = cap_gen_attach(g, dfd, CAP_GEN_BUILD);
	if (rc < 0) {
		cap_gen_close(g);
		return rc;
	}
	*out = g;
	return CAP_OK;
}

void cap_gen_close(cap_gen *g)
{
	if (!g)
		return;
	if (g->map) {
		cap_fault_unwatch(g->map);
		munmap(g->map, g->maplen);
	}
	cap_shm_release(g->fd, g->dev, g->ino);
	free(g);
}

uint32_t cap_gen_table_slot(const char *name, size_t n)
{
	size_t start = 0;
	for (size_t i = n; i > 0; i--)
		if (name[i - 1] == '.') {
			start = i;
			break;
		}
	/* Lower-case in chunks (identifiers are short; one chunk is the rule) and chain the
	 * chunk hashes through the seed. */
	unsigned char low[256];
	size_t m = n - start;
	uint64_t h = 0x7461626c65ULL;
	size_t off = 0;
	do {
		size_t k = m - off < sizeof(low) ? m - off : sizeof(low);
		for (size_t i = 0; i < k; i++) {
			unsigned char c = (unsigned char)name[start + off + i];
			low[i] = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
		}
		h = XXH3_64bits_withSeed(low, k, h);
		off += k;
	} while (off < m);
	return 1u + (uint32_t)(h & (CAP_GEN_TABLES - 1));
}

/* ---- writes in flight ----
 * A marker changes hands only by compare-and-swap of its owner word, so a resolver that saw an
 * orphan never clears a marker its owner (or a new one) holds by then. Its other fields are
 * written by the owner between the claim and the send; a reader that sees them half written
 * only stores an entry whose dependencies that write's first bump (made after the fields)
 * makes stale. The fields are stored with release and the owner's bump that follows is a
 * sequentially consistent read-modify-write: a reader whose acquire load of a generation sees
 * that bump sees the whole marker. Ownership changes are compare-and-swaps. */

int cap_gen_mark_claim(cap_gen *g, uint64_t own, uint64_t start, const uint64_t server[2],
		       uint64_t session)
{
	cap_gen_marks *a = cap_gen_marks_of(g);
	for (uint32_t i = 0; i < CAP_GEN_MARKS; i++) {
		cap_gen_mark *m = cap_gen_mark_at(g, i);
		uint64_t free_word = 0;
		if (__atomic_load_n(&m->own, __ATOMIC_RELAXED) != 0 ||
		    !__atomic_compare_exchange_n(&m->own, &free_word, own, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED))
			continue;
		for (uint32_t k = 0; k < CAP_MARK_SLOTS; k++)
			__atomic_store_n(&m->slot[k], CAP_MARK_EMPTY, __ATOMIC_RELEASE);
		__atomic_store_n(&m->start, start, __ATOMIC_RELEASE);
		__atomic_store_n(&m->server[0], server[0], __ATOMIC_RELEASE);
		__atomic_store_n(&m->server[1], server[1], __ATOMIC_RELEASE);
		__atomic_store_n(&m->session, session, __ATOMIC_RELEASE);
		uint64_t hi = __atomic_load_n(&a->hi, __ATOMIC_SEQ_CST);
		while (hi < i + 1u &&
		       !__atomic_compare_exchange_n(&a->hi, &hi, (uint64_t)i + 1u, 0,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			;
		return (int)i;
	}
	return -1;
}

int cap_gen_mark_add(cap_gen *g, uint32_t i, uint64_t own, uint32_t slot)
{
	if (i >= CAP_GEN_MARKS)
		return 0;
	cap_gen_mark *m = cap_gen_mark_at(g, i);
	if (__atomic_load_n(&m->own, __ATOMIC_SEQ_CST) != own)
		return 0;
	for (uint32_t k = 0; k < CAP_MARK_SLOTS; k++) {
		uint32_t v = __atomic_load_n(&m->slot[k], __ATOMIC_SEQ_CST);
		if (v == slot || v == CAP_GEN_GLOBAL)
			return 1;
		if (v == CAP_MARK_EMPTY) {
			__atomic_store_n(&m->slot[k], slot, __ATOMIC_RELEASE);
			return 1;
		}
	}
	/* full: the global epoch, which every entry depends on, stands for the rest */
	__atomic_store_n(&m->slot[CAP_MARK_SLOTS - 1], CAP_GEN_GLOBAL, __ATOMIC_RELEASE);
	return 1;
}

int cap_gen_mark_clear(cap_gen *g, uint32_t i, uint64_t own)
{
	if (i >= CAP_GEN_MARKS || own == 0)
		return 0;
	cap_gen_mark *m = cap_gen_mark_at(g, i);
	return __atomic_compare_exchange_n(&m->own, &own, 0, 0, __ATOMIC_SEQ_CST,
					   __ATOMIC_RELAXED);
}

int cap_gen_marked(const cap_gen *g, const uint32_t *slot, uint32_t n, uint32_t *from,
		   uint64_t *own)
{
	uint64_t hi = __atomic_load_n(&cap_gen_marks_of(g)->hi, __ATOMIC_SEQ_CST);
	if (hi > CAP_GEN_MARKS)
		hi = CAP_GEN_MARKS; /* a damaged word: scan everything */
	for (uint32_t i = *from; i < hi; i++) {
		const cap_gen_mark *m = cap_gen_mark_at(g, i);
		uint64_t o = __atomic_load_n(&m->own, __ATOMIC_SEQ_CST);
		if (o == 0)
			continue;
		for (uint32_t k = 0; k < CAP_MARK_SLOTS; k++) {
			uint32_t v = __atomic_load_n(&m->slot[k], __ATOMIC_SEQ_CST);
			if (v == CAP_MARK_EMPTY)
				break;
			for (uint32_t j = 0; j < n; j++)
				if (slot[j] == v) {
					*own = o;
					*from = i + 1;
					return (int)i;
				}
		}
	}
	*from = (uint32_t)hi;
	return -1;
}

uint32_t cap_gen_db_slot(uint64_t scope)
{
	uint64_t h = XXH3_64bits_withSeed(&scope, sizeof(scope), 0x6462ULL);
	return 1u + CAP_GEN_TABLES + (uint32_t)(h & (CAP_GEN_DBS - 1));
}

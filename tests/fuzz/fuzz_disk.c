/*
 * fuzz_disk.c - libFuzzer target for the shared tier's entry reader and log walker
 * (cache/disk.c): cap_disk_get over a region, index and ring that any process of the user
 * may have written, and cap_disk_put, which walks the log's tail over whatever is there.
 *
 * The target builds a real CAPACITOR_DIR in /dev/shm (generation table and an l2.cache of
 * CAP_L2_MIN_SIZE, one region) and maps l2.cache a second time to write into it. For each input
 * it clears the region, stores four entries (key i, value "value-i", one dependency on table
 * slot 1 + i), then runs the input's operations, then reads and writes.
 *
 * Input: operations, each an opcode byte (modulo 6) and its operands:
 *   0  off:u8, len:u8, bytes    patch the region's counters (the lock word is zeroed after)
 *   1  off:u16, len:u8, bytes   patch the index (offset modulo its size)
 *   2  off:u32, len:u8, bytes   patch the ring (offset modulo its size)
 *   3  key:u8                   recompute the checksum of the entry key's index way points
 *                               at, when its length is plausible (so that the checks behind the
 *                               checksum are reached: dependency slots, key, lengths)
 *   4  key:u8                   bump the generation slot key's entry depends on
 *   5                           puts that wrap the ring once (the tail walks the whole log)
 * Invariants besides ASan/UBSan:
 *  1. a hit holds at most CAP_DEPS_MAX dependencies, each inside the table and still holding;
 *  2. without a recomputed checksum, a hit for key i < 4 returns exactly "value-i" and its one
 *     dependency (bytes written over an entry never read as another value);
 *  3. after a bump of key i's slot, key i is a miss (an invalidation is never lost), unless
 *     a checksum was recomputed (a forged entry may carry no dependency at all);
 *  4. a put either fails cleanly or is read back at once, value and dependencies equal,
 *     whatever the corrupt log it had to walk (after the operations, and at each put of 5).
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/disk.h"
#include "cache/gen.h"
#include "cache/shmfile.h"
#include "cache/key.h"
#include "cache/cap.h"
#include "tests/fuzz/fuzz_dir.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NKEYS 8

static char dir[128];
static int dfd = -1;
static cap_gen *g;
static cap_disk *d;
static unsigned char *map; /* the target's own mapping of l2.cache */
static cap_l2_hdr hdr;
static char mat[NKEYS][16];
static cap_key keys[NKEYS];
static int bumped[NKEYS]; /* slot bumped since the key's last put */

static void cleanup(void)
{
	cap_disk_close(d);
	cap_gen_close(g);
	unlinkat(dfd, CAP_L2_FILE, 0);
	unlinkat(dfd, CAP_GEN_FILE, 0);
	close(dfd);
	rmdir(dir);
}

static void setup(void)
{
	if (fuzz_mkdir(dir, sizeof(dir), "disk") != 0 || (dfd = cap_dir_open(dir)) < 0 ||
	    cap_gen_open_file(dfd, &g) != CAP_OK ||
	    cap_disk_open(dfd, CAP_L2_MIN_SIZE, g->nonce, &d) != CAP_OK)
		abort();
	atexit(cleanup);
	int fd = openat(dfd, CAP_L2_FILE, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		abort();
	map = mmap(NULL, hdr.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED || hdr.nregions != 1)
		abort();
	for (int i = 0; i < NKEYS; i++) {
		int n = snprintf(mat[i], sizeof(mat[i]), "key-%d", i);
		keys[i].mat = mat[i];
		keys[i].len = (size_t)n;
		keys[i].hash = cap_hash128(mat[i], (size_t)n);
	}
}

static uint32_t slot_of(int i)
{
	return 1u + (uint32_t)i;
}

static int put(int i, const void *val, size_t len)
{
	cap_deps deps;
	deps.n = 1;
	deps.slot[0] = slot_of(i);
	deps.gen[0] = cap_gen_read(g, slot_of(i));
	bumped[i] = 0;
	return cap_disk_put(d, &keys[i], &deps, 0, val, len);
}

/* get - cap_disk_get with invariant 1: 1 and *hit (buf to free, may be NULL) on a hit. Odd
 * keys are read through a scratch buffer, which holds the entry exactly when buf is NULL. */
static unsigned char scratch[512] __attribute__((aligned(8)));
static int get(int i, cap_disk_hit *hit)
{
	memset(hit, 0, sizeof(*hit));
	int sc = i & 1;
	if (!cap_disk_get(d, g, &keys[i], hit, sc ? scratch : NULL, sc ? sizeof(scratch) : 0)) {
		hit->buf = NULL;
		return 0;
	}
	const unsigned char *vp = hit->val;
	if ((hit->buf == NULL) != (sc && vp > scratch && vp + hit->vlen <= scratch + sizeof(scratch)))
		abort();
	if (hit->deps.n > CAP_DEPS_MAX)
		abort();
	for (uint32_t k = 0; k < hit->deps.n; k++)
		if (hit->deps.slot[k] >= CAP_GEN_SLOTS ||
		    cap_gen_read(g, hit->deps.slot[k]) != hit->deps.gen[k])
			abort();
	/* the whole value is readable (ASan checks the copy) */
	void *copy = malloc(hit->vlen ? hit->vlen : 1);
	memcpy(copy, hit->val, hit->vlen);
	free(copy);
	return 1;
}

/* is_exact - the hit is value val of key i, depending on its slot only. */
static int is_exact(const cap_disk_hit *h, int i, const void *val, size_t len)
{
	return h->vlen == len && memcmp(h->val, val, len) == 0 && h->deps.n == 1 &&
	       h->deps.slot[0] == slot_of(i);
}

static void value_of(int i, char *buf, size_t cap, size_t *len)
{
	*len = (size_t)snprintf(buf, cap, "value-%d", i);
}

static void fix_sum(int i)
{
	const cap_l2_bucket *bk = (const cap_l2_bucket *)(map + hdr.index_off) +
				  ((keys[i].hash.lo >> 20) & (hdr.nbuckets - 1));
	for (int w = 0; w < CAP_L2_WAYS; w++) {
		if (bk->tag[w] != keys[i].hash.lo || bk->pos[w] == 0)
			continue;
		uint64_t off = (bk->pos[w] - 1) % hdr.ring_size;
		unsigned char *e = map + hdr.ring_off + off;
		if (hdr.ring_size - off < sizeof(cap_l2_ent))
			continue;
		cap_l2_ent h;
		memcpy(&h, e, sizeof(h));
		if (h.total < sizeof(h) || h.total % 8 || h.total > hdr.ring_size - off)
			continue;
		uint64_t sum = XXH3_64bits(e + 8, h.total - 8);
		memcpy(e, &sum, 8);
	}
}

/* put_get - invariant 4 for one put. */
static void put_get(int i, const void *val, size_t len)
{
	int rc = put(i, val, len);
	if (rc == CAP_ETOOBIG)
		return;
	if (rc != CAP_OK)
		abort();
	cap_disk_hit h;
	if (!get(i, &h) || !is_exact(&h, i, val, len))
		abort();
	free(h.buf);
}

/* wrap - op 5: entries of a quarter ring (keys 4..7) until the log has gone round once. */
static void wrap(void)
{
	static unsigned char big[CAP_L2_MIN_SIZE / 4];
	size_t len = hdr.ring_size / 4 - 256;
	for (int r = 0; r < 5; r++) {
		memset(big, 'a' + r, len);
		put_get(4 + r % 4, big, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	if (dfd < 0)
		setup();
	/* a clean region: counters, index and ring zeroed (a fresh file's state) */
	memset(map + hdr.regions_off, 0, sizeof(cap_l2_region));
	memset(map + hdr.index_off, 0, hdr.nbuckets * sizeof(cap_l2_bucket));
	memset(map + hdr.ring_off, 0, hdr.ring_size);
	char v[32];
	size_t vl;
	for (int i = 0; i < 4; i++) {
		value_of(i, v, sizeof(v), &vl);
		if (put(i, v, vl) != CAP_OK)
			abort();
	}
	int forged = 0;
	size_t at = 0;
	while (at < size) {
		unsigned op = data[at++] % 6;
		if (op == 5) {
			wrap();
			continue;
		}
		size_t need = op == 0 ? 2 : op == 1 ? 3 : op == 2 ? 5 : 1;
		if (size - at < need)
			break;
		if (op >= 3) {
			int i = data[at++] % NKEYS;
			if (op == 3) {
				fix_sum(i);
				forged = 1;
			} else {
				cap_gen_bump(g, slot_of(i));
				bumped[i] = 1;
			}
			continue;
		}
		uint32_t off = 0;
		memcpy(&off, data + at, need - 1);
		at += need - 1;
		size_t len = data[at++];
		if (len > size - at)
			len = size - at;
		size_t area = op == 0 ? sizeof(cap_l2_region) :
			      op == 1 ? hdr.nbuckets * sizeof(cap_l2_bucket) : hdr.ring_size;
		unsigned char *base = map + (op == 0 ? hdr.regions_off :
					     op == 1 ? hdr.index_off : hdr.ring_off);
		off %= (uint32_t)area;
		memcpy(base + off, data + at, len < area - off ? len : area - off);
		at += len;
		/* a lock word naming a live thread costs a put its bounded wait, tested elsewhere */
		__atomic_store_n(&((cap_l2_region *)(map + hdr.regions_off))->lock, 0,
				 __ATOMIC_RELAXED);
	}

	for (int i = 0; i < NKEYS; i++) {
		cap_disk_hit h;
		if (!get(i, &h))
			continue;
		value_of(i, v, sizeof(v), &vl);
		/* keys 4.. hold what op 5 stored */
		if (!forged && (bumped[i] || (i < 4 && !is_exact(&h, i, v, vl))))
			abort(); /* 2, 3 */
		free(h.buf);
	}

	put_get(4, "after", 5);
	return 0;
}

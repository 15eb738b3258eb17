/*
 * test_disk.c - L2: layout, round trips, wraparound and eviction, corrupt and torn entries read
 * as misses, a writer killed while holding a region lock, adopting a file of another size.
 */
#include "cache/disk.h"
#include "cache/gen.h"
#include "cache/shmfile.h"
#include "cache/plock.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static int dfd = -1;
static cap_gen *g;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cap-test-disk-%d", (int)getpid());
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	dfd = cap_dir_open(dir);
	cr_assert(dfd >= 0);
	cr_assert_eq(cap_gen_open_file(dfd, &g), CAP_OK);
}

static void teardown(void)
{
	cap_gen_close(g);
	close(dfd);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

TestSuite(disk, .init = setup, .fini = teardown);

Test(disk, layout)
{
	cr_assert_eq(sizeof(cap_l2_hdr), 144);
	cr_assert_eq(offsetof(cap_l2_hdr, format), 8);
	cr_assert_eq(offsetof(cap_l2_hdr, gen_nonce), 24);
	cr_assert_eq(offsetof(cap_l2_hdr, boot_id), 80);
	cr_assert_eq(offsetof(cap_l2_hdr, check), 128);
	cr_assert_eq(offsetof(cap_l2_hdr, gen_seq), 136);
	cr_assert_eq(sizeof(cap_l2_ent), 56);
	cr_assert_eq(offsetof(cap_l2_ent, pos), 8);
	cr_assert_eq(offsetof(cap_l2_ent, total), 40);
	cr_assert_eq(sizeof(cap_l2_bucket), 64);
	cr_assert_eq(sizeof(cap_l2_region) % 64, 0);
	cr_assert_eq(offsetof(cap_l2_region, lock), 0);
}

static cap_key mk(cap_keymat *km, unsigned char *buf, size_t cap, uint64_t id)
{
	cap_key k;
	cap_keymat_init(km, buf, cap);
	cap_keymat_add_u64(km, id);
	cap_keymat_finish(km, &k);
	return k;
}

static int put(cap_disk *d, uint64_t id, size_t vlen)
{
	unsigned char kb[32], v[8192];
	cap_keymat km;
	cap_key k = mk(&km, kb, sizeof(kb), id);
	memset(v, (int)(id & 0xff), sizeof(v));
	memcpy(v, &id, 8);
	cap_deps dp = { .n = 1, .slot = { 0 }, .gen = { cap_gen_read(g, 0) } };
	return cap_disk_put(d, &k, &dp, 0, v, vlen);
}

static int get(cap_disk *d, uint64_t id)
{
	unsigned char kb[32];
	cap_keymat km;
	cap_key k = mk(&km, kb, sizeof(kb), id);
	/* odd ids are read through a scratch buffer: what fits is copied there, nothing is
	 * allocated (buf NULL), and the value is read from it */
	unsigned char scratch[512] __attribute__((aligned(8)));
	int sc = (id & 1) != 0;
	cap_disk_hit h;
	if (!cap_disk_get(d, g, &k, &h, sc ? scratch : NULL, sc ? sizeof(scratch) : 0))
		return 0;
	const unsigned char *vp = h.val;
	cr_assert_eq(h.buf == NULL, sc && vp > scratch && vp + h.vlen <= scratch + sizeof(scratch));
	uint64_t got;
	memcpy(&got, h.val, 8);
	cr_assert_eq(got, id);
	for (size_t i = 8; i < h.vlen; i++)
		cr_assert_eq(((const unsigned char *)h.val)[i], (unsigned char)(id & 0xff));
	cr_assert_eq(h.deps.n, 1);
	free(h.buf);
	return 1;
}

Test(disk, roundtrip_wrap_and_evict)
{
	cap_disk *d;
	cr_assert_eq(cap_disk_open(dfd, 1 << 20, g->nonce, &d), CAP_OK);
	cr_assert_eq(put(d, 1, 100), CAP_OK);
	cr_assert(get(d, 1));
	cr_assert(!get(d, 2));
	/* overwrite the ring many times over */
	for (uint64_t i = 10; i < 20000; i++)
		cr_assert_eq(put(d, i, 50 + (i % 13) * 97), CAP_OK);
	cr_assert(!get(d, 1));
	int recent = 0;
	for (uint64_t i = 19900; i < 20000; i++)
		recent += get(d, i);
	cr_assert(recent >= 90, "%d", recent);
	uint64_t n, b, size;
	cap_disk_usage(d, &n, &b, &size);
	cr_assert(n > 0 && b <= size);
	cr_assert_eq(size, 1 << 20);
	cr_assert_eq(put(d, 5, cap_disk_max_entry(d) + 1), CAP_ETOOBIG);
	/* a bump makes entries stale */
	cap_gen_bump(g, 0);
	cr_assert(!get(d, 19999));
	cap_disk_close(d);
}

Test(disk, corrupt_entry_reads_as_miss)
{
	cap_disk *d;
	cr_assert_eq(cap_disk_open(dfd, 1 << 20, g->nonce, &d), CAP_OK);
	for (uint64_t i = 0; i < 50; i++)
		put(d, i, 300);
	cap_disk_close(d);
	/* flip bytes all over the rings */
	int fd = openat(dfd, CAP_L2_FILE, O_RDWR);
	cap_l2_hdr h;
	cr_assert_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	unsigned char *m = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(m, MAP_FAILED);
	for (uint64_t off = h.ring_off + 100; off < h.file_size; off += 211)
		m[off] ^= 0x5a;
	munmap(m, h.file_size);
	close(fd);
	cr_assert_eq(cap_disk_open(dfd, 1 << 20, g->nonce, &d), CAP_OK);
	int hits = 0;
	for (uint64_t i = 0; i < 50; i++)
		hits += get(d, i); /* get() asserts any hit is the right value */
	cr_assert_lt(hits, 50);
	for (uint64_t i = 100; i < 3000; i++) /* writing over garbage is fine too */
		put(d, i, 400);
	cr_assert(get(d, 2999));
	cap_disk_close(d);
}

Test(disk, dead_writer_does_not_deadlock)
{
	cap_disk *d;
	cr_assert_eq(cap_disk_open(dfd, 1 << 20, g->nonce, &d), CAP_OK);
	put(d, 1, 100);
	int fd = openat(dfd, CAP_L2_FILE, O_RDWR);
	cap_l2_hdr h;
	cr_assert_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	cr_assert_eq(h.nregions, 1);
	pid_t pid = fork();
	if (pid == 0) {
		unsigned char *m = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		cap_l2_region *r = (cap_l2_region *)(m + h.regions_off);
		cap_plock_acquire(&r->lock, 0, NULL);
		raise(SIGKILL);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFSIGNALED(st));
	close(fd);
	/* the next writer recovers the region instead of waiting forever */
	cr_assert_eq(put(d, 2, 100), CAP_OK);
	cr_assert(get(d, 2));
	cr_assert_eq(put(d, 3, 100), CAP_OK);
	cr_assert(get(d, 3));
	cap_disk_close(d);
}

Test(disk, adopts_existing_size_and_rebuilds_on_nonce)
{
	cap_disk *d;
	cr_assert_eq(cap_disk_open(dfd, 1 << 20, g->nonce, &d), CAP_OK);
	put(d, 7, 100);
	cap_disk_close(d);
	cr_assert_eq(cap_disk_open(dfd, 2 << 20, g->nonce, &d), CAP_OK);
	uint64_t size;
	cap_disk_usage(d, NULL, NULL, &size);
	cr_assert_eq(size, 1 << 20);
	cr_assert(get(d, 7));
	cap_disk_close(d);
	cr_assert_eq(cap_disk_open(dfd, 2 << 20, g->nonce + 1, &d), CAP_OK);
	cap_disk_usage(d, NULL, NULL, &size);
	cr_assert_eq(size, 2 << 20);
	cr_assert(!get(d, 7));
	cap_disk_close(d);
	cr_assert_eq(cap_disk_open(dfd, 1000, g->nonce, &d), CAP_EINVAL);
}

/* A log end written into the file unaligned and near 2^64 (found by tests/fuzz/fuzz_disk): a
 * writer used to build on it, writing entries at unaligned offsets and wrapping the position
 * past 2^64, so that an entry it had just stored read as a miss. It resets the region now:
 * every put is read back at once. */
Test(disk, insane_log_end_is_reset_by_the_writer)
{
	cap_disk *d;
	cr_assert_eq(cap_disk_open(dfd, CAP_L2_MIN_SIZE, g->nonce, &d), CAP_OK);
	for (uint64_t i = 0; i < 4; i++)
		cr_assert_eq(put(d, i, 8), CAP_OK);
	int fd = openat(dfd, CAP_L2_FILE, O_RDWR);
	cap_l2_hdr h;
	cr_assert_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	uint64_t res = 0xffffffffffff0061ULL;
	cr_assert_eq(pwrite(fd, &res, 8, (off_t)(h.regions_off + offsetof(cap_l2_region, reserved))),
		     8);
	close(fd);
	static unsigned char v[CAP_L2_MIN_SIZE / 4];
	size_t len = h.ring_size / 4 - 256;
	cap_deps dp = { .n = 1, .slot = { 0 }, .gen = { cap_gen_read(g, 0) } };
	for (uint64_t i = 100; i < 105; i++) {
		unsigned char kb[32];
		cap_keymat km;
		cap_key k = mk(&km, kb, sizeof(kb), i);
		memset(v, (int)i, len);
		cr_assert_eq(cap_disk_put(d, &k, &dp, 0, v, len), CAP_OK);
		cap_disk_hit hit;
		cr_assert(cap_disk_get(d, g, &k, &hit, NULL, 0), "entry %llu stored but not read back",
			  (unsigned long long)i);
		cr_assert(hit.vlen == len && memcmp(hit.val, v, len) == 0);
		free(hit.buf);
	}
	cap_disk_close(d);
}

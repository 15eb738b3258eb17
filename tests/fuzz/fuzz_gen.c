/*
 * fuzz_gen.c - libFuzzer target for the generation table reader (cache/gen.c): attaching to a
 * CAPACITOR_DIR/gen file that any process of the user may have written, then reading through
 * the mapping.
 *
 * Input: byte 0 holds flags, then the 64 header bytes (zeros when short), then counter patches
 * of 10 bytes each (u16 slot modulo CAP_GEN_SLOTS, u64 value). Flags:
 *   bit 0  store this process's boot and time namespace in the header (from a table it built),
 *   bit 1  store the right header checksum (after bit 0), so that the fuzzer gets past it,
 *   bit 2  the file has another size: the u32 after the header bytes, modulo 2 x the real one,
 *   bit 3  attach with CAP_GEN_BUILD (a bad file is rebuilt),
 *   bit 4  truncate the file to half its size after the attach, before reading through it.
 * The file is written into a private temporary directory and attached over one handle that
 * lives for the whole run. Invariants besides ASan/UBSan:
 *  1. without CAP_GEN_BUILD, the attach succeeds exactly when a reference reading of the file
 *     (size, magic, format, checksum, geometry, not retired, boot, time namespace) accepts it;
 *  2. after a successful attach the handle maps that file: cap_gen_is_current is 1 and the
 *     counters read are the file's, cap_gen_seq counts what the counters say, and a bump is seen;
 *     with bit 4 the reads after the truncation fault into cache/fault, which turns them into
 *     zeros and marks the handle dead, and nothing else happens;
 *  3. with CAP_GEN_BUILD the attach always ends with a valid file that a plain attach accepts;
 *  4. cap_gen_detach leaves a private table under which no recorded generation holds.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/gen.h"
#include "cache/shmfile.h"
#include "cache/cap.h"
#include "tests/fuzz/fuzz_dir.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[128];
static char path[sizeof(dir) + 8];
static int dfd = -1;
static cap_gen *g;
static cap_gen_hdr good; /* a header this process built: its boot and time namespace */

static void cleanup(void)
{
	cap_gen_close(g);
	unlinkat(dfd, CAP_GEN_FILE, 0);
	close(dfd);
	rmdir(dir);
}

static void setup(void)
{
	if (fuzz_mkdir(dir, sizeof(dir), "gen") != 0 || (dfd = cap_dir_open(dir)) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/%s", dir, CAP_GEN_FILE);
	if (cap_gen_open_file(dfd, &g) != CAP_OK)
		abort();
	int fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &good, sizeof(good), 0) != (ssize_t)sizeof(good))
		abort();
	close(fd);
	cap_gen_detach(g, 0);
	atexit(cleanup);
}

/* ref_valid - invariant 1's reference reading. */
static int ref_valid(const cap_gen_hdr *h, uint64_t fsize)
{
	return fsize == CAP_GEN_FILE_SIZE && h->magic == CAP_GEN_MAGIC &&
	       h->format == CAP_GEN_FORMAT &&
	       h->check == XXH3_64bits(h, offsetof(cap_gen_hdr, check)) &&
	       h->nslots == CAP_GEN_SLOTS && h->ntables == CAP_GEN_TABLES &&
	       h->ndbs == CAP_GEN_DBS && h->retired == 0 && h->boot == good.boot &&
	       h->timens == good.timens;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	if (dfd < 0)
		setup();
	unsigned flags = data[0];
	cap_gen_hdr h;
	memset(&h, 0, sizeof(h));
	size_t at = 1, n = size - at < sizeof(h) ? size - at : sizeof(h);
	memcpy(&h, data + at, n);
	at += n;
	if (flags & 1) {
		h.boot = good.boot;
		h.timens = good.timens;
	}
	if (flags & 2)
		h.check = XXH3_64bits(&h, offsetof(cap_gen_hdr, check));
	uint64_t fsize = CAP_GEN_FILE_SIZE;
	if ((flags & 4) && size - at >= 4) {
		uint32_t v;
		memcpy(&v, data + at, 4);
		at += 4;
		fsize = v % (2 * CAP_GEN_FILE_SIZE);
	}

	/* the file: written afresh under its own name (a new inode each time) */
	unlinkat(dfd, CAP_GEN_FILE, 0);
	int fd = openat(dfd, CAP_GEN_FILE, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)fsize) != 0)
		abort();
	if (pwrite(fd, &h, fsize < sizeof(h) ? fsize : sizeof(h), 0) < 0)
		abort();
	uint64_t patched[4096 / 10];
	uint32_t pslot[4096 / 10];
	unsigned np = 0;
	for (; size - at >= 10; at += 10) {
		uint16_t s;
		uint64_t v;
		memcpy(&s, data + at, 2);
		memcpy(&v, data + at + 2, 8);
		uint32_t slot = s % CAP_GEN_SLOTS;
		off_t off = (off_t)(CAP_GEN_HDR_SIZE + (size_t)slot * 8);
		if ((uint64_t)off + 8 <= fsize && pwrite(fd, &v, 8, off) != 8)
			abort();
		pslot[np] = slot;
		patched[np++] = v;
	}
	/* a slot patched twice holds the last value */
	for (unsigned i = 0; i < np; i++)
		for (unsigned j = i + 1; j < np; j++)
			if (pslot[j] == pslot[i])
				patched[i] = patched[j];

	int build = (flags & 8) != 0;
	int want = ref_valid(&h, fsize);
	int rc = cap_gen_attach(g, dfd, build ? CAP_GEN_BUILD : 0);
	if (!build && (rc == CAP_OK) != want)
		abort(); /* 1 */
	if (build) {
		if (rc != CAP_OK)
			abort(); /* 3 */
		cap_gen_hdr now;
		struct stat st;
		int f2 = open(path, O_RDONLY);
		if (f2 < 0 || fstat(f2, &st) != 0 ||
		    pread(f2, &now, sizeof(now), 0) != (ssize_t)sizeof(now) ||
		    !ref_valid(&now, (uint64_t)st.st_size))
			abort();
		close(f2);
	}
	if (rc == CAP_OK) {
		if (cap_gen_is_current(g, path, 1) != 1)
			abort(); /* 2 */
		if (want && !build)
			for (unsigned i = 0; i < np; i++)
				if (cap_gen_read(g, pslot[i]) != patched[i])
					abort();
		if (flags & 16) {
			/* the file mapped: a rebuild (CAP_GEN_BUILD) renamed a new one over fd's */
			if (truncate(path, (off_t)(CAP_GEN_FILE_SIZE / 2)) != 0)
				abort();
			/* the second half of the counters is beyond the end now: a fault */
			(void)cap_gen_read(g, CAP_GEN_SLOTS - 1);
			if (!__atomic_load_n(&g->dead, __ATOMIC_ACQUIRE) ||
			    cap_gen_read(g, CAP_GEN_SLOTS - 1) != 0 || cap_gen_is_current(g, path, 1))
				abort();
		}
		uint32_t slot = 1 + (flags >> 5);
		uint64_t before = cap_gen_read(g, slot), seq = cap_gen_seq(g);
		cap_gen_bump(g, slot);
		if (cap_gen_read(g, slot) != before + 1 || cap_gen_seq(g) != seq + 1)
			abort();
		uint64_t gen = before + 1;
		if (!cap_gen_valid(g, &slot, &gen, 1) && !cap_gen_retired(g))
			abort();
		cap_gen_detach(g, flags & 1);
		if (cap_gen_valid(g, &slot, &gen, 1))
			abort(); /* 4: a fresh private table of random values */
	}
	close(fd);
	return 0;
}

/*
 * fuzz_stats.c - libFuzzer target for the stats file reader (cache/stats_read.c, what
 * `capacitor stats` runs): open and check CAPACITOR_DIR/stats, aggregate a view, list the
 * busiest shapes, summarise histograms, reset.
 *
 * Every process of the user writes the file, so its words can be anything. The target builds
 * one valid file (cap_statsf_map CREATE) in a private directory under /dev/shm, and for each
 * input writes patches into it, runs the reader, and puts the patched bytes back.
 *
 * Input: byte 0 holds flags, then patches: u8 area, u16 index, u16 offset, u8 length, bytes.
 * Areas (modulo 5): the header, a slot table entry, one of the two totals blocks, a slot's data
 * block, a shape entry; index and offset are taken modulo the area's count and size, and a patch
 * stops at its entry's end. The fold lock word is zeroed after patching (a live holder makes
 * a reset wait its bounded time, which the integration tests cover). Flags:
 *   bit 0  open read-write and reset after the first view,
 *   bit 1  truncate the file before the open (to the u32 after the flags, modulo its size),
 *   bit 2  truncate it after the open, to the start of the slot data blocks (a bus error in the
 *          reader, which cache/fault turns into zeros),
 *   bits 4-7  how many shapes to list, less one.
 * Invariants besides ASan/UBSan:
 *  1. the open succeeds on an intact header and full size, and fails on a file shorter than
 *     the header says;
 *  2. the view's counters are exactly totals[cur] plus every used slot's data except the one
 *     the fold word excludes (a reference sum read through the target's own mapping); slot and
 *     process counts are within the table;
 *  3. after a reset every counter of the view is zero;
 *  4. the shape list is sorted by calls, at most the number asked, with calls > 0, hits the sum
 *     of the hit paths, NUL-terminated text and a known bypass reason;
 *  5. histogram summaries are ordered: p50 <= p90 <= p99 <= p999 <= max;
 *  6. `capacitor stats` prints the view (tools/cmd_stats.c, compiled in as test_stats does):
 *     the JSON form is valid UTF-8 without raw control characters, whatever bytes the shape
 *     texts hold; the human and Prometheus forms are printed without fault.
 */
#include "cache/stats_read.h"
#include "cache/cap.h"
#include "tools/cmd_stats.c"
#include "tests/fuzz/fuzz_dir.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FSIZE ((size_t)CAP_STATS_FILE_SIZE)
#define PAGE 4096u

static char dir[128];
static char path[sizeof(dir) + 8];
static int fd = -1;
static unsigned char *tmpl;  /* the file as built */
static unsigned char *map;   /* the target's own read-only mapping of the file */
static uint32_t *dirty_pages; /* pages of tmpl that are not all zeros */
static size_t ndirty;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void setup(void)
{
	char err[256];
	void *base;
	size_t sz;
	if (fuzz_mkdir(dir, sizeof(dir), "stats") != 0)
		abort();
	snprintf(path, sizeof(path), "%s/stats", dir);
	if (cap_statsf_map(dir, CAP_STATSF_CREATE, &base, &sz, err, sizeof(err)) != CAP_OK)
		abort();
	munmap(base, sz);
	atexit(cleanup);
	fd = open(path, O_RDWR | O_CLOEXEC);
	tmpl = malloc(FSIZE);
	dirty_pages = malloc((FSIZE / PAGE + 1) * sizeof(*dirty_pages));
	if (fd < 0 || !tmpl || !dirty_pages || pread(fd, tmpl, FSIZE, 0) != (ssize_t)FSIZE)
		abort();
	for (size_t p = 0; p * PAGE < FSIZE; p++) {
		size_t n = FSIZE - p * PAGE < PAGE ? FSIZE - p * PAGE : PAGE;
		for (size_t i = 0; i < n; i++)
			if (tmpl[p * PAGE + i]) {
				dirty_pages[ndirty++] = (uint32_t)p;
				break;
			}
	}
	map = mmap(NULL, FSIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		abort();
}

/* restore - bytes [off, off + n) back to the template. */
static void restore(size_t off, size_t n)
{
	if (n && pwrite(fd, tmpl + off, n, (off_t)off) != (ssize_t)n)
		abort();
}

static void restore_after_truncate(size_t from)
{
	if (ftruncate(fd, (off_t)FSIZE) != 0)
		abort();
	for (size_t i = 0; i < ndirty; i++) {
		size_t off = (size_t)dirty_pages[i] * PAGE;
		if (off + PAGE > from)
			restore(off, FSIZE - off < PAGE ? FSIZE - off : PAGE);
	}
}

/* ref_view - invariant 2's reference sum into acc, from the target's mapping. */
static void ref_view(uint64_t *acc)
{
	const cap_stats_hdr *h = (const cap_stats_hdr *)map;
	uint64_t w = h->fold_word;
	const uint64_t *t = (const uint64_t *)(map + CAP_STATS_OFF_TOTALS) +
			    CAP_FOLD_CUR(w) * CAP_STATS_DATA_WORDS;
	memcpy(acc, t, CAP_STATS_DATA_WORDS * 8);
	for (uint32_t k = 0; k < CAP_STATS_NSLOTS; k++) {
		const cap_stats_slot *s = (const cap_stats_slot *)(map + CAP_STATS_OFF_SLOTS) + k;
		if (k + 1 == CAP_FOLD_EXCL(w) || !s->used)
			continue;
		const uint64_t *d = (const uint64_t *)(map + CAP_STATS_OFF_DATA) +
				    (size_t)k * CAP_STATS_DATA_WORDS;
		for (size_t i = 0; i < CAP_STATS_DATA_WORDS; i++)
			acc[i] += d[i];
	}
}

/* utf8_ok - strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) and no
 * raw control character but the final newline. */
static int utf8_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c < 0x20)
			return c == '\n' && i + 1 == n;
		size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
			     c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (len == 0 || n - i < len)
			return 0;
		uint32_t cp = len == 1 ? c : c & (0xff >> (len + 1));
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

/* print_all - invariant 6. */
static void print_all(const cap_stats_view *v, const cap_stats_shape_info *top, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	print_json(out, v, top, n, 1, dir);
	fclose(out);
	if (!utf8_ok((const unsigned char *)buf, len))
		abort();
	free(buf);
	out = open_memstream(&buf, &len);
	print_human(out, path, v, top, n, 1);
	print_prom(out, v);
	fclose(out);
	free(buf);
}

static void check_lat(const cap_stats_hist *hh)
{
	cap_stats_lat l;
	cap_stats_lat_of(hh, &l);
	if (l.p50 > l.p90 || l.p90 > l.p99 || l.p99 > l.p999 || l.p999 > l.max)
		abort(); /* 5 */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cap_stats_view v;
	static uint64_t ref[CAP_STATS_DATA_WORDS];
	static cap_stats_shape_info top[CAP_STATS_NSHAPES + 1];
	static struct { size_t off, n; } patched[4096 / 6 + 1];
	if (size < 1 || size > 4096)
		return 0;
	if (fd < 0)
		setup();
	unsigned flags = data[0];
	size_t at = 1, npatched = 0;
	uint32_t cut = 0;
	if ((flags & 2) && size - at >= 4) {
		memcpy(&cut, data + at, 4);
		at += 4;
		cut %= (uint32_t)FSIZE;
	} else {
		flags &= ~2u;
	}
	int header_patched = 0;
	while (size - at >= 6) {
		uint16_t idx, off;
		memcpy(&idx, data + at + 1, 2);
		memcpy(&off, data + at + 3, 2);
		size_t len = data[at + 5], base, esize;
		switch (data[at] % 5) {
		case 0:
			base = 0, esize = CAP_STATS_HDR_SIZE, header_patched = 1;
			break;
		case 1:
			base = CAP_STATS_OFF_SLOTS + (idx % CAP_STATS_NSLOTS) * sizeof(cap_stats_slot);
			esize = sizeof(cap_stats_slot);
			break;
		case 2:
			base = CAP_STATS_OFF_TOTALS + (idx % 2) * sizeof(cap_stats_data);
			esize = sizeof(cap_stats_data);
			break;
		case 3:
			base = CAP_STATS_OFF_DATA + (idx % CAP_STATS_NSLOTS) * sizeof(cap_stats_data);
			esize = sizeof(cap_stats_data);
			break;
		default:
			base = CAP_STATS_OFF_SHAPES +
			       (idx % (CAP_STATS_NSHAPES + 1)) * sizeof(cap_stats_shape);
			esize = sizeof(cap_stats_shape);
			break;
		}
		at += 6;
		size_t o = off % esize;
		if (len > size - at)
			len = size - at;
		if (len > esize - o)
			len = esize - o;
		if (len && pwrite(fd, data + at, len, (off_t)(base + o)) != (ssize_t)len)
			abort();
		patched[npatched].off = base + o;
		patched[npatched++].n = len;
		at += len;
	}
	uint32_t zero = 0;
	if (pwrite(fd, &zero, 4, offsetof(cap_stats_hdr, lock)) != 4)
		abort();
	if ((flags & 2) && ftruncate(fd, (off_t)cut) != 0)
		abort();

	cap_stats_reader *r = NULL;
	char err[256] = "";
	int rc = cap_stats_reader_open(dir, flags & 1, &r, err, sizeof(err));
	if (!header_patched && !(flags & 2) && rc != CAP_OK)
		abort(); /* 1 */
	if (rc == CAP_OK && (flags & 2) && cut < ((const cap_stats_hdr *)tmpl)->file_size &&
	    !header_patched)
		abort(); /* 1: a short file is refused */
	if (rc != CAP_OK && strlen(err) == 0)
		abort();
	if (rc == CAP_OK) {
		int cut_after = (flags & 4) != 0;
		if (cut_after && ftruncate(fd, (off_t)CAP_STATS_OFF_DATA) != 0)
			abort();
		if (!cut_after)
			ref_view(ref);
		if (cap_stats_reader_view(r, &v) != CAP_OK)
			abort();
		if (v.slots_live + v.slots_dead > CAP_STATS_NSLOTS || v.procs > v.slots_live ||
		    v.retries > 1000)
			abort(); /* 2 */
		if (!cut_after && memcmp(ref, &v.d, sizeof(ref)) != 0)
			abort(); /* 2 */
		for (unsigned p = 0; p < CAP_PATH__N; p++)
			check_lat(&v.d.h[p]);
		size_t max = 1 + (flags >> 4);
		size_t n = cap_stats_reader_top(r, top, max);
		if (n > max)
			abort(); /* 4 */
		for (size_t i = 0; i < n; i++) {
			const cap_stats_shape_info *s = &top[i];
			if (s->calls == 0 || (i && s->calls > top[i - 1].calls) ||
			    s->hits != s->n[CAP_PATH_HIT_L1] + s->n[CAP_PATH_HIT_L2] ||
			    memchr(s->text, '\0', sizeof(s->text)) == NULL ||
			    (unsigned)s->reason >= CAP_REASON__N)
				abort(); /* 4 */
		}
		print_all(&v, top, n);
		if ((flags & 1) && !cut_after) {
			if (cap_stats_reader_reset(r) != CAP_OK ||
			    cap_stats_reader_view(r, &v) != CAP_OK)
				abort();
			static const cap_stats_data zeros;
			if (memcmp(&v.d, &zeros, sizeof(zeros)) != 0)
				abort(); /* 3 */
			/* what a reset writes: header, slot table, totals (the rest is patched) */
			restore(0, CAP_STATS_OFF_DATA);
		}
		cap_stats_reader_close(r);
		if (cut_after)
			restore_after_truncate(CAP_STATS_OFF_DATA);
	}
	if (flags & 2)
		restore_after_truncate(cut);
	for (size_t i = 0; i < npatched; i++)
		restore(patched[i].off, patched[i].n);
	restore(offsetof(cap_stats_hdr, lock), 4);
	return 0;
}

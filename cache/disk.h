/*
 * disk.h - L2, the shared mmap tier: one file, CAPACITOR_DIR/l2.cache, of a fixed size
 * (CAPACITOR_DISK), mapped MAP_SHARED by every process of the user and still warm after they
 * all exit.
 *
 * Layout (all offsets from the start of the file, never pointers):
 *   0                   cap_l2_hdr: magic, format (computed from the layout), geometry, the
 *                       boot id (TTL deadlines are CLOCK_MONOTONIC, so valid for one boot)
 *                       and the nonce of the generation table the entries were recorded
 *                       against; a header checksum. Any mismatch -> the file is rebuilt.
 *                       After the checksum, gen_seq: the highest bump count (cap_gen_seq)
 *                       any process saw in that table, raised by every periodic check. A table
 *                       whose count is below it went back (a copy restored in place while no
 *                       process ran to notice): see cap_disk_peek_seq.
 *   regions_off         nregions x cap_l2_region: the writers' lock word (cache/plock) and
 *                       the region's log counters.
 *   index_off           nregions x nbuckets x cap_l2_bucket (CAP_L2_WAYS x {tag, pos+1}).
 *   ring_off            nregions x ring_size bytes: each region's log of entries.
 * An entry (cap_l2_ent + gens + slots + key + value, 8-aligned) sits at a 64-bit log position;
 * its byte offset is pos % ring_size. It carries an XXH3-64 checksum of everything after the
 * checksum word. Readers copy an entry out without a lock and keep it only if the log has not
 * wrapped over it meanwhile and the checksum matches (see disk.c).
 */
#ifndef CAP_DISK_H
#define CAP_DISK_H

#include "cache/deps.h"
#include "cache/gen.h"
#include "cache/key.h"

#include <stddef.h>
#include <stdint.h>

#define CAP_L2_FILE "l2.cache"
#define CAP_L2_MAGIC 0x3145484341435043ULL /* "CPCACHE1" little-endian */
#define CAP_L2_WAYS 4
#define CAP_L2_MIN_SIZE (256u * 1024u)

typedef struct cap_l2_hdr {
	uint64_t magic;
	uint64_t format;
	uint64_t file_size;
	uint64_t gen_nonce;
	uint32_t nregions;
	uint32_t ways;
	uint64_t nbuckets;  /* per region, power of two */
	uint64_t ring_size; /* per region, multiple of 64 */
	uint64_t regions_off;
	uint64_t index_off;
	uint64_t ring_off;
	char boot_id[48];
	uint64_t check; /* XXH3-64 of the bytes before it */
	uint64_t gen_seq; /* atomic: highest bump count of the generation table seen (see below) */
} cap_l2_hdr;

typedef struct cap_l2_region {
	uint32_t lock;       /* cache/plock: 0 or the writer's thread id; writers only */
	uint32_t pad0;
	uint64_t reserved;   /* log end: bytes ever reserved (atomic; readers check against it) */
	uint64_t tail;       /* log position of the oldest entry still in the ring */
	uint64_t entries;    /* entries between tail and reserved (atomic, for stats) */
	uint64_t bytes;
	uint64_t evictions;
} __attribute__((aligned(64))) cap_l2_region;

typedef struct cap_l2_bucket {
	uint64_t tag[CAP_L2_WAYS]; /* hash.lo of the entry */
	uint64_t pos[CAP_L2_WAYS]; /* log position + 1; 0 = empty */
} cap_l2_bucket;

typedef struct cap_l2_ent {
	uint64_t sum; /* XXH3-64 of bytes [8, total) */
	uint64_t pos; /* this entry's log position */
	uint64_t hash_lo, hash_hi;
	uint64_t expire; /* cap_now_ns deadline, 0 = none */
	uint32_t total;  /* bytes including header and padding; multiple of 8 */
	uint32_t klen;   /* CAP_L2_SKIP: filler up to the end of the ring */
	uint32_t vlen;
	uint32_t ndeps;
} cap_l2_ent;

#define CAP_L2_SKIP 0xffffffffu

_Static_assert(sizeof(cap_l2_hdr) == 144, "L2 header layout");
_Static_assert(offsetof(cap_l2_hdr, boot_id) == 80, "L2 header layout");
_Static_assert(sizeof(cap_l2_region) == 64, "L2 region is one cache line");
_Static_assert(sizeof(cap_l2_bucket) == 64, "L2 bucket is one cache line");
_Static_assert(sizeof(cap_l2_ent) == 56, "L2 entry header layout");
_Static_assert(offsetof(cap_l2_ent, total) == 40, "L2 entry header layout");

#define CAP_L2_FORMAT                                                                      \
	((uint64_t)3 << 56 | (uint64_t)sizeof(cap_l2_hdr) << 44 |                          \
	 (uint64_t)sizeof(cap_l2_region) << 32 | (uint64_t)sizeof(uint32_t) << 24 |        \
	 (uint64_t)sizeof(cap_l2_ent) << 16 | (uint64_t)sizeof(cap_l2_bucket) << 8 |       \
	 (uint64_t)CAP_L2_WAYS)

typedef struct cap_disk cap_disk;

/* A hit copied out of the file: val points into the caller's scratch buffer or into buf,
 * which the caller frees (NULL when the scratch buffer held it). */
typedef struct cap_disk_hit {
	void *buf;
	const void *val;
	size_t vlen;
	uint64_t expire;
	cap_deps deps;
} cap_disk_hit;

/* cap_disk_open - map (or build) dfd/l2.cache of `size` bytes for a generation table of nonce
 * gen_nonce. The caller holds the directory's init lock. A valid file of another size is
 * adopted as it is. CAP_OK, CAP_EUNSAFE, CAP_EIO (including a full file system), CAP_EINVAL
 * (size below CAP_L2_MIN_SIZE), CAP_ENOMEM. */
int cap_disk_open(int dfd, uint64_t size, uint64_t gen_nonce, cap_disk **out);
/* cap_disk_attach - map an existing valid dfd/l2.cache of any size for gen_nonce; never builds
 * and needs no lock. CAP_EIO (errno ENOENT) when missing, CAP_ECORRUPT when invalid or stale. */
int cap_disk_attach(int dfd, uint64_t gen_nonce, cap_disk **out);
/* cap_disk_dead - 1 after a bus error in the mapping (its pages now read as zeros). */
int cap_disk_dead(const cap_disk *d);
/* cap_disk_is_current - 1 when path is still the file mapped (device, inode, size), still
 * owned by its owner at open and not writable by others (cap_shm_current), or when path
 * cannot be looked up and the directory was not seen either (dir_seen 0: see
 * cap_shm_dir_state): a process that can no longer reach its directory keeps the file it
 * maps. */
int cap_disk_is_current(const cap_disk *d, const char *path, int dir_seen);
void cap_disk_close(cap_disk *d);

/* cap_disk_note_seq - raise the header's gen_seq to seq (atomic max). */
void cap_disk_note_seq(cap_disk *d, uint64_t seq);
/* cap_disk_peek_seq - the gen_seq recorded in dfd/l2.cache when it is a valid file of this
 * format for the table gen_nonce (read with pread, never mapped); 0 otherwise. */
uint64_t cap_disk_peek_seq(int dfd, uint64_t gen_nonce);
/* cap_disk_get - 1 and *hit filled (free hit->buf) for a valid entry of k; 0 otherwise. The
 * entry is copied into scratch (cap bytes; may be NULL, 0) when it fits: a hit of a small
 * entry allocates nothing. */
int cap_disk_get(cap_disk *d, const cap_gen *g, const cap_key *k, cap_disk_hit *hit,
		 void *scratch, size_t cap);

/* cap_disk_put - append an entry. CAP_OK, CAP_ETOOBIG, CAP_ENOMEM, CAP_EIO (the region's
 * writer lock was not had within its time limit: not stored). */
int cap_disk_put(cap_disk *d, const cap_key *k, const cap_deps *deps, uint64_t expire_ns,
		 const void *val, size_t len);

/* cap_disk_usage - entries and bytes in the rings (summed over regions), and the file size. */
void cap_disk_usage(cap_disk *d, uint64_t *entries, uint64_t *bytes, uint64_t *size);
/* cap_disk_max_entry - the largest entry (header included) a put accepts. */
uint64_t cap_disk_max_entry(const cap_disk *d);

#endif

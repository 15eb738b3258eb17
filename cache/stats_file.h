/*
 * stats_file.h - the binary layout of CAPACITOR_DIR/stats, format version 5, shared by the
 * library (writers), `capacitor stats` (reader) and the tests. Version 2 made the fold lock a
 * cache/plock word (version 1 had a pthread mutex there); version 3 added dlsym_redirects;
 * version 4 hits_followed and the bypass reason "no live follower"; version 5 unseen_clients.
 * Everything inside is addressed by offsets from the start of the mapping, never by pointers.
 *
 *   offset                      size              what
 *   0                           4096              cap_stats_hdr: magic, version, layout word,
 *                                                 geometry, fold lock, fold word, L2 gauges
 *   CAP_STATS_OFF_SLOTS         64 * NSLOTS       slot table: owner (pid + state), start time,
 *                                                 per-process L1 gauges; one cache line each
 *   CAP_STATS_OFF_TOTALS        2 * DATA          totals of folded slots, double-buffered
 *   CAP_STATS_OFF_DATA          NSLOTS * DATA     one counters+histograms block per slot
 *   CAP_STATS_OFF_SHAPES        SHAPE * (NSHAPES + 1)  per-query-shape table; the last is "other"
 *
 * A data block (cap_stats_data) is only uint64_t words: the X-macro counters, one counter per
 * bypass reason, and per cap_path a latency histogram (sum + buckets, see cache/hist.h). Totals
 * and aggregation treat it as a flat word array, so adding a counter is one line in
 * CAP_STATS_COUNTERS and a version bump.
 *
 * Writers. A slot is owned by one thread of one process at a time (threads of a process each
 * claim one, keep it in a process free list when they exit and hand it to the next thread), so
 * the hot path adds with a relaxed atomic load + store (no lock prefix, TSan-clean, no false
 * sharing: blocks are cache-line aligned). Slot 0 is the shared overflow slot, updated with
 * atomic fetch-add by threads that found no free slot; it is never folded. Owner word:
 * pid | state << 32, state CLAIMING (CAS from 0), LIVE (start time written), SHARED (slot 0).
 *
 * Folding. Slots whose owner died (kill(pid,0) == ESRCH, or /proc start time differs: pid
 * reuse) are folded under the lock word hdr.lock (cache/plock: a dead holder's lock is taken over), which is only taken when
 * opening, when no slot is free, and by `capacitor stats --reset`, never on the record path.
 * The fold is crash-safe and double-count-free through fold_word (gen << 17 | excl << 1 | cur):
 *   1. new = totals[cur] + slot, written into totals[!cur] (inactive, nobody reads it);
 *   2. one store publishes fold_word {gen+1, cur = !cur, excl = slot + 1}: from here readers
 *      use the new totals and ignore the slot;
 *   3. the slot's data and L1 gauges are zeroed; fold_word {gen+2, excl = 0}; owner = 0 (free).
 * A folder dying before 2 leaves a garbage inactive buffer (rewritten by the next fold); after
 * 2, the next lock owner (EOWNERDEAD) or fold sees excl != 0 and finishes step 3. Free slots
 * always hold zeros.
 *
 * Readers take no lock: read fold_word (acquire), add totals[cur] and every slot except excl,
 * re-read fold_word, retry if it changed (seqlock style; writers of live slots never touch it,
 * so a reader never blocks or slows a writer). Counters are monotonic per slot, so a snapshot
 * is consistent per counter.
 *
 * Reset (--reset) under the fold lock: totals[!cur] = -(sum of all slots) (mod 2^64), published
 * like a fold. Sums after that count only what happened since; writers are not touched. Shape
 * counters, shared by all processes and added with atomics, are zeroed with atomic stores.
 *
 * Warnings: hdr.warnings counts the warning and error lines every process logged (the log
 * itself is CAPACITOR_DIR/log by default); a build that does not know the word leaves it be.
 *
 * Gauges: L1 entries/bytes are per process (in its first slot's table entry, atomic adds), and
 * a reader adds them only for live owners; a fold drops them. L2 gauges are absolute values in
 * the header, stored by whichever process last counted them.
 *
 * Shapes: open addressing on the 64-bit digest (0 = empty); the first process to CAS the key
 * writes the normalised text, then sets `ready` (release); a reader shows text only when ready.
 * When a digest finds no place within CAP_STATS_SHAPE_PROBES probes it is counted in the last
 * entry, "other".
 */
#ifndef CAP_STATS_FILE_H
#define CAP_STATS_FILE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/hist.h"
#include "cache/stats_kinds.h"

#define CAP_STATS_MAGIC 0x5441545343504143ull /* "CAPCSTAT" in little-endian bytes */
#define CAP_STATS_VERSION 5u
#define CAP_STATS_HDR_SIZE 4096u
#define CAP_STATS_NSLOTS 256u
#define CAP_STATS_NSHAPES 512u /* plus one "other" entry */
#define CAP_STATS_SHAPE_PROBES 32u
#define CAP_STATS_SHAPE_TEXT 256u /* text bytes, NUL included (text capped at 200 chars) */
#define CAP_STATS_SHAPE_TEXT_MAX 200u

/* Counters: name (JSON key; Prometheus capacitor_<name>_total), help. */
#define CAP_STATS_COUNTERS(X)                                                              \
	X(queries, "statements seen")                                                      \
	X(reads, "read statements (hits, misses and bypassed reads)")                     \
	X(writes, "writes, DDL and other statements passed through")                      \
	X(hits, "reads answered from the cache")                                           \
	X(hits_l1, "reads answered from the process memory tier")                          \
	X(hits_l2, "reads answered from the shared mmap tier")                             \
	X(misses, "cacheable reads sent to the server")                                    \
	X(bypasses, "statements passed through uncached (see bypass reasons)")           \
	X(invalidations_table, "table generation bumps")                                   \
	X(invalidations_db, "database or global epoch bumps")                              \
	X(evictions_l1, "entries evicted from the memory tier")                            \
	X(evictions_l2, "entries evicted from the mmap tier")                              \
	X(fills_l1, "entries stored in the memory tier")                                   \
	X(fills_l2, "entries stored in the mmap tier")                                     \
	X(fallbacks, "internal errors that passed a call through")                         \
	X(dlsym_redirects, "dlsym lookups of client functions answered with Capacitor's")   \
	X(hits_followed, "hits served while a live capacitor follow covered the database")   \
	X(unseen_clients, "client libraries loaded where Capacitor cannot see their calls (log)")

/* Gauges: name, help. entries = l1_entries + l2_entries. */
#define CAP_STATS_GAUGES(X)                                                                \
	X(entries, "entries held (memory tiers of live processes + mmap tier)")           \
	X(l1_entries, "entries in the memory tiers of live processes")                     \
	X(l2_entries, "entries in the mmap tier")                                          \
	X(l1_bytes, "bytes in the memory tiers of live processes")                         \
	X(l2_bytes, "bytes in the mmap tier")

typedef struct cap_stats_counters {
#define CAP_STATS_FIELD(name, help) uint64_t name;
	CAP_STATS_COUNTERS(CAP_STATS_FIELD)
#undef CAP_STATS_FIELD
} cap_stats_counters;

typedef struct cap_stats_gauges {
#define CAP_STATS_FIELD(name, help) uint64_t name;
	CAP_STATS_GAUGES(CAP_STATS_FIELD)
#undef CAP_STATS_FIELD
} cap_stats_gauges;

#define CAP_STATS_NCOUNTERS (sizeof(cap_stats_counters) / sizeof(uint64_t))

/* One latency histogram: sum of the values (ns) on its own line, then the buckets. */
typedef struct cap_stats_hist {
	uint64_t sum;
	uint64_t pad[7];
	uint64_t b[CAP_HIST_BUCKETS];
} cap_stats_hist;

/* One slot's (or the totals') data: all uint64_t words. */
typedef struct cap_stats_data {
	cap_stats_counters c;
	uint64_t reason[CAP_REASON__N];                     /* bypasses by cap_reason */
	uint64_t pad[(64 - (sizeof(cap_stats_counters) + CAP_REASON__N * 8) % 64) % 64 / 8];
	cap_stats_hist h[CAP_PATH__N];
} cap_stats_data;

#define CAP_STATS_DATA_WORDS (sizeof(cap_stats_data) / sizeof(uint64_t))

/* Slot table entry, one cache line. */
enum { CAP_SLOT_FREE = 0, CAP_SLOT_CLAIMING = 1, CAP_SLOT_LIVE = 2, CAP_SLOT_SHARED = 3 };
#define CAP_SLOT_OWNER(pid, state) ((uint64_t)(uint32_t)(pid) | ((uint64_t)(state) << 32))
#define CAP_SLOT_PID(owner) ((int32_t)(uint32_t)(owner))
#define CAP_SLOT_STATE(owner) ((uint32_t)((owner) >> 32))

typedef struct cap_stats_slot {
	uint64_t owner;      /* CAP_SLOT_OWNER(pid, state); 0 = free */
	uint64_t start;      /* owner's start time (clock ticks since boot, /proc/pid/stat), 0 = unknown */
	int64_t l1_entries;  /* per-process L1 gauges (only on the process's first slot) */
	int64_t l1_bytes;
	uint64_t used;       /* ever claimed: readers skip the data of never-used slots */
	uint64_t pad[3];
} cap_stats_slot;

/* Per-shape entry. n[] counts per cap_path; calls = their sum. */
typedef struct cap_stats_shape {
	uint64_t key;        /* cap_qrec.shape; 0 = empty */
	uint32_t ready;      /* text written */
	uint32_t reason;     /* last bypass reason (enum cap_reason) */
	uint64_t n[CAP_PATH__N];
	uint64_t lat_sum;    /* ns */
	uint64_t h[CAP_HIST_SHAPE_BUCKETS];
	char text[CAP_STATS_SHAPE_TEXT];
} cap_stats_shape;

typedef struct cap_stats_hdr {
	uint64_t magic;         /* written last when the file is built */
	uint32_t version;       /* CAP_STATS_VERSION */
	uint32_t hdr_size;      /* CAP_STATS_HDR_SIZE */
	uint64_t file_size;     /* CAP_STATS_FILE_SIZE */
	uint64_t layout;        /* CAP_STATS_LAYOUT: the geometry below in one word */
	uint32_t nslots, nshapes, hist_sub_bits, hist_buckets;
	uint32_t shape_sub_bits, shape_buckets, ncounters, nreasons;
	uint32_t npaths, ready;
	uint64_t created_ns;    /* CLOCK_REALTIME when built */
	uint64_t reset_ns;      /* CLOCK_REALTIME of the last --reset, 0 = never */
	uint64_t pad0[5];
	/* 128: the fold lock (cache/plock: 0 or the holder's thread id) */
	union {
		uint32_t lock;
		uint64_t lock_line[8];
	};
	/* 192 */
	uint64_t fold_word;     /* gen << 17 | (excluded slot + 1) << 1 | cur */
	uint64_t folds;         /* slots folded so far */
	uint64_t pad1[6];
	/* 256 */
	uint64_t l2_entries, l2_bytes;
	uint64_t warnings;      /* warnings and errors logged by every process (atomic adds) */
	uint64_t pad2[5];
	uint8_t pad3[CAP_STATS_HDR_SIZE - 320];
} cap_stats_hdr;

#define CAP_STATS_OFF_SLOTS ((uint64_t)CAP_STATS_HDR_SIZE)
#define CAP_STATS_OFF_TOTALS (CAP_STATS_OFF_SLOTS + CAP_STATS_NSLOTS * sizeof(cap_stats_slot))
#define CAP_STATS_OFF_DATA (CAP_STATS_OFF_TOTALS + 2 * sizeof(cap_stats_data))
#define CAP_STATS_OFF_SHAPES (CAP_STATS_OFF_DATA + CAP_STATS_NSLOTS * sizeof(cap_stats_data))
#define CAP_STATS_FILE_SIZE (CAP_STATS_OFF_SHAPES + (CAP_STATS_NSHAPES + 1) * sizeof(cap_stats_shape))
#define CAP_STATS_LAYOUT                                                                   \
	((uint64_t)CAP_STATS_NSLOTS ^ ((uint64_t)CAP_STATS_NSHAPES << 10) ^                \
	 ((uint64_t)CAP_HIST_BUCKETS << 21) ^ ((uint64_t)CAP_HIST_SUB_BITS << 33) ^         \
	 ((uint64_t)CAP_STATS_NCOUNTERS << 37) ^ ((uint64_t)CAP_REASON__N << 45) ^          \
	 ((uint64_t)CAP_PATH__N << 52) ^ ((uint64_t)CAP_HIST_SHAPE_SUB_BITS << 57) ^        \
	 ((uint64_t)sizeof(cap_stats_data) << 16))

_Static_assert(offsetof(cap_stats_hdr, lock) == 128, "header: lock offset");
_Static_assert(offsetof(cap_stats_hdr, fold_word) == 192, "header: fold word offset");
_Static_assert(offsetof(cap_stats_hdr, l2_entries) == 256, "header: L2 gauges offset");
_Static_assert(sizeof(cap_stats_hdr) == CAP_STATS_HDR_SIZE, "header size");
_Static_assert(sizeof(cap_stats_slot) == 64, "slot entry is one cache line");
_Static_assert(offsetof(cap_stats_data, h) % 64 == 0, "histograms cache-line aligned");
_Static_assert(sizeof(cap_stats_hist) % 64 == 0, "histogram size");
_Static_assert(sizeof(cap_stats_data) % 64 == 0, "data block size");
_Static_assert(sizeof(cap_stats_data) == 80000, "data block size (format v4)");

_Static_assert(offsetof(cap_stats_shape, n) == 16, "shape counters offset");
_Static_assert(offsetof(cap_stats_shape, h) == 64, "shape histogram offset");
_Static_assert(sizeof(cap_stats_shape) % 64 == 0, "shape entry size");
_Static_assert(sizeof(cap_stats_shape) == 2496, "shape entry size (format v1)");
_Static_assert(CAP_STATS_OFF_TOTALS % 64 == 0 && CAP_STATS_OFF_DATA % 64 == 0 &&
		       CAP_STATS_OFF_SHAPES % 64 == 0, "areas cache-line aligned");
_Static_assert(CAP_STATS_NSLOTS < (1u << 16), "slot index fits the fold word");

/* fold word */
#define CAP_FOLD_CUR(w) ((unsigned)((w)&1u))
#define CAP_FOLD_EXCL(w) ((uint32_t)(((w) >> 1) & 0xffffu)) /* slot + 1, 0 = none */
#define CAP_FOLD_GEN(w) ((w) >> 17)
#define CAP_FOLD_WORD(gen, excl, cur) (((uint64_t)(gen) << 17) | ((uint64_t)(excl) << 1) | (cur))

/* Accessors from a mapping's base (offsets, never stored pointers). */
static inline cap_stats_hdr *cap_statsf_hdr(void *base) { return (cap_stats_hdr *)base; }
static inline cap_stats_slot *cap_statsf_slot(void *base, uint32_t i)
{
	return (cap_stats_slot *)((char *)base + CAP_STATS_OFF_SLOTS) + i;
}
static inline cap_stats_data *cap_statsf_totals(void *base, unsigned k)
{
	return (cap_stats_data *)((char *)base + CAP_STATS_OFF_TOTALS) + k;
}
static inline cap_stats_data *cap_statsf_data(void *base, uint32_t i)
{
	return (cap_stats_data *)((char *)base + CAP_STATS_OFF_DATA) + i;
}
static inline cap_stats_shape *cap_statsf_shape(void *base, uint32_t i)
{
	return (cap_stats_shape *)((char *)base + CAP_STATS_OFF_SHAPES) + i;
}

/* How cap_statsf_map opens the file. */
enum cap_statsf_mode {
	CAP_STATSF_READ = 0,   /* read-only, never creates (the tool) */
	CAP_STATSF_WRITE = 1,  /* read-write, never creates or rebuilds (`--reset`) */
	CAP_STATSF_CREATE = 2  /* the library: create dir and file, rebuild garbage */
};

/* cap_statsf_map - open, check and map dir/stats. On success *base and *size describe a mapping of
 * CAP_STATS_FILE_SIZE bytes (PROT_READ only in READ mode). On failure returns a CAP_* code and
 * writes one human line (no newline) into err. */
int cap_statsf_map(const char *dir, enum cap_statsf_mode mode, void **base, size_t *size,
		   char *err, size_t errcap);
/* cap_statsf_check - validate a header of a file of fsize bytes: CAP_OK, CAP_EVERSION (newer
 * or older format), CAP_ECORRUPT (bad magic, geometry, not ready), CAP_ETOOBIG never;
 * a too-short file is CAP_ECORRUPT with "truncated" in err. */
int cap_statsf_check(const cap_stats_hdr *h, uint64_t fsize, char *err, size_t errcap);
/* cap_statsf_owner_alive - whether the process recorded in a slot owner word still runs. */
int cap_statsf_owner_alive(uint64_t owner, uint64_t start);
/* cap_statsf_fold_dead - fold the slots of dead processes (takes the fold lock; writable
 * mapping). Returns the number of slots folded or a CAP_* code. */
int cap_statsf_fold_dead(void *base);
/* cap_statsf_reset - zero what readers see (takes the fold lock; writable mapping). */
int cap_statsf_reset(void *base);

#endif

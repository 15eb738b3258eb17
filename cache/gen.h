/*
 * gen.h - the generation table: shared atomic counters that invalidate cache entries.
 *
 * The table is an array of CAP_GEN_SLOTS uint64 counters, in the file CAPACITOR_DIR/gen mapped
 * MAP_SHARED by every process of the user (or, when that file cannot be used, in private
 * anonymous memory of one process):
 *   slot 0                          the global epoch (`capacitor invalidate --all`)
 *   slots 1 .. CAP_GEN_TABLES       tables: 1 + (hash of the lower-cased bare name) mod TABLES
 *   the CAP_GEN_DBS slots after     database epochs: keyed by the hooks' 64-bit scope
 * A new file starts every counter at its own random 64-bit value derived from the file's nonce,
 * so a generation recorded against an older file never matches by accident. Two names that
 * share a slot only over-invalidate. A bump is one atomic increment, seen by every process at
 * once; a reader loads with acquire.
 *
 * Retiring: a process that finds that the file it maps is no longer the directory's table
 * (deleted, replaced, or its counters went back) sets the header's `retired` word before it
 * leaves. Every process still mapping that file then sees each of its entries as stale at
 * once (cap_gen_valid checks the word: one load of a line that is written once), instead of
 * serving them until its own next check while writers bump the new table. A retired file is
 * never attached again (it is rebuilt).
 *
 * One clock. Entries carry expiry times on CLOCK_MONOTONIC, which starts again at each boot
 * and is offset in a time namespace. A table (and so every L2 entry, which is only valid
 * with the table's nonce) records the boot and the time namespace of the process that built
 * it: a table from another boot (a disk-based CAPACITOR_DIR across a reboot) is rebuilt, so
 * no entry keeps an expiry of the old clock; a process in another time namespace of the same
 * boot refuses the table (CAP_EUNSAFE: it caches only entries with a TTL, privately) rather
 * than rebuilding it under the processes that use it.
 *
 * Writes in flight (cap_gen_mark): after the counters, a bounded table of markers. A process
 * that is about to send a statement that may write claims one, names in it the slots the write
 * will bump and the server session that runs it, bumps those slots, sends, bumps them again
 * when the answer (or the end of the transaction) is seen, and clears the marker. A reader
 * stores nothing that depends on a slot a marker names (cap_gen_marked, on a fill only):
 * whatever it read may be from before a commit whose bump could still be missing. A marker
 * whose owner died (cache/engine checks, on a fill only) is orphaned; it is resolved (bumped
 * and cleared) only once the server says the writer's session is gone, since the server
 * finishes, and may commit, a statement whose client died (hooks). See CORRECTNESS.md.
 *
 * File layout (offsets, no pointers): cap_gen_hdr at 0, counters at CAP_GEN_HDR_SIZE, the
 * marker area (cap_gen_marks, then CAP_GEN_MARKS markers) at CAP_GEN_MARK_OFF.
 */
#ifndef CAP_GEN_H
#define CAP_GEN_H

#include "cache/cap.h"

#include <stddef.h>
#include <stdint.h>

#define CAP_GEN_TABLES 16384u
#define CAP_GEN_DBS 4096u
#define CAP_GEN_SLOTS (1u + CAP_GEN_TABLES + CAP_GEN_DBS)
#define CAP_GEN_GLOBAL 0u
#define CAP_GEN_FILE "gen"
#define CAP_GEN_MAGIC 0x314e454750414355ULL /* "UCAPGEN1" little-endian */
#define CAP_GEN_HDR_SIZE 64u

/* The header at offset 0 of CAPACITOR_DIR/gen. */
typedef struct cap_gen_hdr {
	uint64_t magic;
	uint64_t format; /* CAP_GEN_FORMAT: changes whenever the layout does */
	uint64_t nonce;  /* random, chosen when the file was built */
	uint32_t nslots;
	uint32_t ntables;
	uint32_t ndbs;
	uint32_t timens; /* the builder's time namespace (inode of /proc/self/ns/time), 0 unknown */
	uint64_t check; /* XXH3-64 of the bytes before this field */
	uint64_t retired; /* set once the file is no longer the directory's table (see below) */
	uint64_t boot;    /* XXH3-64 of the builder's /proc/sys/kernel/random/boot_id */
} cap_gen_hdr;

_Static_assert(sizeof(cap_gen_hdr) == CAP_GEN_HDR_SIZE, "gen header is one cache line");
_Static_assert(offsetof(cap_gen_hdr, check) == 40, "gen header layout");
_Static_assert(offsetof(cap_gen_hdr, retired) == 48, "gen header layout");
_Static_assert(offsetof(cap_gen_hdr, boot) == 56, "gen header layout");

/* A write in flight. own: 0 = free; else the claimer's pid << 32 | a tag whose bit 0 says
 * the owner was found dead (orphan). A claimer writes every other field after claiming and
 * before it sends the write; slot entries are CAP_MARK_EMPTY or a generation slot. */
#define CAP_GEN_MARKS 1024u
#define CAP_MARK_SLOTS 22u
#define CAP_MARK_EMPTY 0xffffffffu
#define CAP_MARK_ORPHAN 1ull
typedef struct cap_gen_mark {
	uint64_t own;
	uint64_t start;     /* the owner's start time (/proc/PID/stat), against pid reuse */
	uint64_t server[2]; /* keys of the server the write went to (hooks; 0 = none) */
	uint64_t session;   /* the server's id of the writer's session (backend pid, thread id) */
	uint32_t slot[CAP_MARK_SLOTS];
} cap_gen_mark;

/* The marker area's header: hi is one more than the highest marker ever claimed (scans stop
 * there). */
typedef struct cap_gen_marks {
	uint64_t hi;
	uint64_t pad[7];
} cap_gen_marks;

_Static_assert(sizeof(cap_gen_mark) == 128, "a marker is two cache lines");
_Static_assert(sizeof(cap_gen_marks) == 64, "marker area header is one cache line");

#define CAP_GEN_MARK_OFF (((size_t)CAP_GEN_HDR_SIZE + (size_t)CAP_GEN_SLOTS * 8 + 63) & ~(size_t)63)

/* format 2: the marker area */
#define CAP_GEN_FORMAT                                                                     \
	((uint64_t)2 << 56 | (uint64_t)CAP_GEN_MARKS << 44 | (uint64_t)CAP_MARK_SLOTS << 38 | \
	 (uint64_t)sizeof(cap_gen_hdr) << 30 | (uint64_t)offsetof(cap_gen_hdr, check) << 24 | \
	 (uint64_t)CAP_GEN_SLOTS)

#define CAP_GEN_FILE_SIZE                                                                  \
	(CAP_GEN_MARK_OFF + sizeof(cap_gen_marks) + (size_t)CAP_GEN_MARKS * sizeof(cap_gen_mark))

/* A process's view of a table. The mapping has one fixed address for the life of the handle:
 * attaching to another file or falling back to a private table maps the new one over it
 * (MAP_FIXED), so a reader holding ctr never sees it move or vanish. */
typedef struct cap_gen {
	uint64_t *ctr;   /* CAP_GEN_SLOTS counters (inside map) */
	uint64_t nonce;  /* of the table mapped now */
	void *map;       /* CAP_GEN_FILE_SIZE bytes */
	size_t maplen;
	int shared;      /* 1 = the file (atomic), 0 = private anonymous memory */
	int dead;        /* atomic: set by the SIGBUS handler (cache/fault) when the file faulted */
	uint64_t dev, ino; /* identity of the file mapped (or last mapped, when private) */
	uint32_t uid;      /* its owner when mapped */
	int fd;            /* held descriptor of the file mapped (cap_shm_hold), -1 none */
	uint64_t base;     /* sum of the table's starting values (see cap_gen_seq) */
} cap_gen;

/* cap_gen_open_private - a table in anonymous memory for this process only (random values). */
int cap_gen_open_private(cap_gen **out);
/* cap_gen_open_file - cap_gen_open_private, then cap_gen_attach(CAP_GEN_BUILD); CAP_OK or the
 * attach error (the handle is then freed). */
int cap_gen_open_file(int dfd, cap_gen **out);

/* cap_gen_attach flags */
enum {
	CAP_GEN_BUILD = 1, /* build a new file when it is missing, of another format or corrupt:
			    * the caller holds the directory's init lock (see engine.c) */
	CAP_GEN_RENEW = 2  /* also replace a valid file when it is the one g maps now (its
			    * counters went back): needs CAP_GEN_BUILD */
};
/* cap_gen_attach - map dfd/gen over g's address. The file is checked (owner, mode, size,
 * header) before it is mapped. Without CAP_GEN_BUILD a missing or invalid file is CAP_EIO
 * (errno ENOENT) or CAP_ECORRUPT/CAP_EVERSION and g is unchanged. CAP_OK, CAP_EUNSAFE,
 * CAP_EIO, CAP_ENOMEM. */
int cap_gen_attach(cap_gen *g, int dfd, int flags);
/* cap_gen_detach - replace the mapping with a private table of fresh random values: every
 * entry recorded against the old one becomes stale at once. retire: first mark the file
 * mapped now as retired (when it still is mapped, that is, has not faulted). */
void cap_gen_detach(cap_gen *g, int retire);
/* cap_gen_is_current - 1 when g maps the file now at path (same device and inode, full size,
 * same nonce), not retired, and it has not faulted; CAP_EUNSAFE when it is that file but no
 * longer owned by its owner at attach or now group/other-writable; 0 otherwise. One stat(2).
 * When path cannot be looked up, "cannot reach it" is not taken for "replaced": dir_seen says
 * whether the directory itself was seen at its path (cap_shm_dir_state), so that a missing
 * file there was deleted; otherwise (a chroot, credentials dropped since the attach) the
 * held descriptor says whether the file was unlinked (fstat: deleted, or renamed over), and
 * without one, or on another failure, the table counts as current: the mapping stays valid
 * and writable whatever the process's credentials or root, and its bumps keep reaching
 * every process that maps it. */
int cap_gen_is_current(cap_gen *g, const char *path, int dir_seen);
void cap_gen_close(cap_gen *g);

/* Slot numbers. name: n bytes, may be "schema.table"; only the part after the last '.'
 * counts, ASCII lower-cased. */
uint32_t cap_gen_table_slot(const char *name, size_t n);
uint32_t cap_gen_db_slot(uint64_t scope);

static inline uint64_t cap_gen_read(const cap_gen *g, uint32_t slot)
{
	return __atomic_load_n(&g->ctr[slot], __ATOMIC_ACQUIRE);
}

static inline void cap_gen_bump(cap_gen *g, uint32_t slot)
{
	__atomic_fetch_add(&g->ctr[slot], 1, __ATOMIC_SEQ_CST);
}

/* cap_gen_seq - bumps ever made to the mapped table: every counter starts at a value derived
 * from the nonce and only ever grows by one per bump, so the sum of the counters less the
 * sum of their starting values counts them (mod 2^64). A table restored in place from an
 * older copy counts fewer. One pass over the counters: checks only, never a hit. */
uint64_t cap_gen_seq(const cap_gen *g);
/* cap_gen_retired - whether the mapped table was retired (header word; 0 for a private one). */
static inline int cap_gen_retired(const cap_gen *g)
{
	return __atomic_load_n(&((const cap_gen_hdr *)g->map)->retired, __ATOMIC_ACQUIRE) != 0;
}

/* cap_gen_valid - 1 if every (slot[i], gen[i]) still holds and the table is not retired;
 * slots must be < CAP_GEN_SLOTS. */
static inline int cap_gen_valid(const cap_gen *g, const uint32_t *slot, const uint64_t *gen,
				uint32_t n)
{
	if (cap_gen_retired(g))
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (cap_gen_read(g, slot[i]) != gen[i])
			return 0;
	return 1;
}

/* Writes in flight (see the top of the file). Never on a hit. */
static inline cap_gen_marks *cap_gen_marks_of(const cap_gen *g)
{
	return (cap_gen_marks *)((char *)g->map + CAP_GEN_MARK_OFF);
}
static inline cap_gen_mark *cap_gen_mark_at(const cap_gen *g, uint32_t i)
{
	return (cap_gen_mark *)((char *)g->map + CAP_GEN_MARK_OFF + sizeof(cap_gen_marks)) + i;
}
/* cap_gen_mark_claim - take a free marker for owner own (pid << 32 | tag, bit 0 clear), fill
 * start, server and session, empty its slots; the index, or -1 when every marker is taken. */
int cap_gen_mark_claim(cap_gen *g, uint64_t own, uint64_t start, const uint64_t server[2],
		       uint64_t session);
/* cap_gen_mark_add - name slot in marker i, still owned by own: 1, or 0 when the marker is no
 * longer own's. When its slots are full, the last one becomes CAP_GEN_GLOBAL (every entry
 * depends on it). */
int cap_gen_mark_add(cap_gen *g, uint32_t i, uint64_t own, uint32_t slot);
/* cap_gen_mark_clear - free marker i if own still owns it (orphaned or not): 1, else 0. The
 * caller bumped what it names first. */
int cap_gen_mark_clear(cap_gen *g, uint32_t i, uint64_t own);
/* cap_gen_marked - the index of a marker that names one of slot[0..n) and its owner word in
 * *own, searching from marker *from on (set to the next index); -1 when none. */
int cap_gen_marked(const cap_gen *g, const uint32_t *slot, uint32_t n, uint32_t *from,
		   uint64_t *own);

#endif

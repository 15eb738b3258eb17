/*
 * follow.c - the heartbeat file of `capacitor follow` (layout and rules in follow.h).
 *
 * The writer is the follower process, alone on its file (it holds the follower's lock). It
 * publishes a new file atomically (cache/shmfile: a complete image under a temporary name,
 * then link() to the final name, which fails if another process won the race: that one's
 * file is used instead). Updates go through a MAP_SHARED mapping under a sequence lock; release and
 * acquire fences order the fields against seq, so a reader that sees the same even seq before
 * and after copying has a consistent copy. A follower that finds a file of another format
 * (an older build's) under its name replaces it with a new one (readers still mapping the old
 * one see it age, never go live again).
 *
 * The library's registry (bottom of this file): a fixed table of mappings that only grows, so
 * a hit can read entry idx with no lock while a miss adds one; n is raised (release) after the
 * entry is complete. Scans are rate-limited by a coarse-clock deadline and run by one thread
 * at a time (the owner's pid in a word: a scan interrupted by fork() in another thread does
 * not stop the child's).
 */
#include "cache/follow.h"
#include "cache/cap.h"
#include "cache/clock.h"
#include "cache/engine.h"
#include "cache/fault.h"
#include "cache/gen.h"
#include "cache/key.h"
#include "cache/log.h"
#include "cache/shmfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct cap_follow_map {
	const cap_follow_beat *b;
};

struct cap_follow_writer {
	cap_follow_beat *b;
};

int cap_follow_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > CAP_FOLLOW_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	/* the follower's own lock, pid and log files are follow.NAME.lock/.pid/.log */
	static const char *const taken[] = { ".lock", ".pid", ".log" };
	for (size_t i = 0; i < CAP_ARRAY_LEN(taken); i++) {
		size_t tl = strlen(taken[i]);
		if (n >= tl && strcmp(name + n - tl, taken[i]) == 0)
			return 0;
	}
	return 1;
}

void cap_follow_default_name(const char *uri, char *out, size_t cap)
{
	int my = strncmp(uri, "mysql://", 8) == 0 || strncmp(uri, "mariadb://", 10) == 0;
	snprintf(out, cap, "%s-%012llx", my ? "my" : "pg",
		 (unsigned long long)(cap_hash64(uri, strlen(uri), 0) & 0xffffffffffffull));
}

const char *cap_follow_state_name(uint32_t state)
{
	static const char *names[] = { "starting", "connecting", "streaming", "backoff", "stopped" };
	return state < CAP_ARRAY_LEN(names) ? names[state] : "unknown";
}

/* header_ok - the checks every reader and the writer make before trusting a mapping. */
static int header_ok(const cap_follow_beat *b)
{
	if (b->magic != CAP_FOLLOW_MAGIC)
		return CAP_ECORRUPT;
	if (b->format != CAP_FOLLOW_FORMAT || b->size != sizeof(*b))
		return CAP_EVERSION;
	return CAP_OK;
}

/* map_file - map dir/name read-only after the checks of cap_follow_map_open; *st gets the
 * file's identity. */
static int map_file(const char *dir, const char *name, const cap_follow_beat **out,
		    struct stat *st)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return CAP_EINVAL;
	int fd = cap_shm_open(AT_FDCWD, path, O_RDONLY, st, NULL, 0);
	if (fd < 0)
		return fd;
	cap_shm sm = { 0 };
	int rc = CAP_ECORRUPT;
	if (st->st_size == (off_t)sizeof(cap_follow_beat))
		rc = cap_shm_map(fd, sizeof(cap_follow_beat), PROT_READ, NULL, NULL, &sm, NULL, 0);
	close(fd);
	if (rc != CAP_OK)
		return rc;
	void *p = sm.addr;
	rc = header_ok(p);
	if (rc != CAP_OK) {
		munmap(p, sizeof(cap_follow_beat));
		return rc;
	}
	*out = p;
	return CAP_OK;
}

int cap_follow_map_open(const char *dir, const char *name, cap_follow_map **out)
{
	*out = NULL;
	const cap_follow_beat *p;
	struct stat st;
	int rc = map_file(dir, name, &p, &st);
	if (rc != CAP_OK)
		return rc;
	cap_follow_map *m = malloc(sizeof(*m));
	if (m == NULL) {
		munmap((void *)p, sizeof(cap_follow_beat));
		return CAP_ENOMEM;
	}
	m->b = p;
	*out = m;
	return CAP_OK;
}

void cap_follow_map_close(cap_follow_map *m)
{
	if (m == NULL)
		return;
	munmap((void *)m->b, sizeof(cap_follow_beat));
	free(m);
}

int cap_follow_map_read(const cap_follow_map *m, cap_follow_beat *out)
{
	for (int tries = 0; tries < 64; tries++) {
		uint64_t s1 = __atomic_load_n(&m->b->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		/* A byte copy racing the writer is fine: it is thrown away unless seq held. */
		const volatile unsigned char *src = (const volatile unsigned char *)m->b;
		unsigned char *dst = (unsigned char *)out;
		for (size_t i = 0; i < sizeof(*out); i++)
			dst[i] = src[i];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&m->b->seq, __ATOMIC_RELAXED) == s1) {
			out->kind[sizeof(out->kind) - 1] = '\0';
			out->server[sizeof(out->server) - 1] = '\0';
			out->database[sizeof(out->database) - 1] = '\0';
			out->position[sizeof(out->position) - 1] = '\0';
			out->target[sizeof(out->target) - 1] = '\0';
			out->last_error[sizeof(out->last_error) - 1] = '\0';
			return header_ok(out);
		}
	}
	return CAP_EIO;
}

static int live_at(uint32_t state, uint64_t live_ns, uint64_t now_ns, uint64_t max_age_ns)
{
	if (state != CAP_FOLLOW_STREAMING)
		return 0;
	if (live_ns > now_ns)
		return live_ns - now_ns <= 1000000000ull; /* coarse clock behind the precise one */
	return now_ns - live_ns <= max_age_ns;
}

int cap_follow_beat_live(const cap_follow_beat *b, uint64_t now_ns, uint64_t max_age_ns)
{
	return live_at(b->state, b->live_ns, now_ns, max_age_ns);
}

int cap_follow_map_live(const cap_follow_map *m, uint64_t max_age_ns)
{
	cap_follow_beat b;
	if (cap_follow_map_read(m, &b) != CAP_OK)
		return 0;
	return cap_follow_beat_live(&b, cap_now_ns(), max_age_ns);
}

int cap_follow_scan(const char *dir, cap_follow_scan_fn fn, void *ctx)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return CAP_EIO;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		size_t pl = strlen(CAP_FOLLOW_PREFIX);
		if (strncmp(nm, CAP_FOLLOW_PREFIX, pl) != 0 || !cap_follow_name_ok(nm + pl))
			continue;
		cap_follow_map *m;
		if (cap_follow_map_open(dir, nm, &m) != CAP_OK)
			continue;
		cap_follow_beat b;
		int rc = cap_follow_map_read(m, &b);
		cap_follow_map_close(m);
		if (rc != CAP_OK)
			continue;
		n++;
		if (fn(ctx, nm, &b))
			break;
	}
	closedir(d);
	return n;
}

typedef struct live_ctx {
	const char *kind;
	uint64_t now, max_age;
	int live;
} live_ctx;

static int count_live(void *ctx, const char *name, const cap_follow_beat *b)
{
	(void)name;
	live_ctx *c = ctx;
	if ((c->kind == NULL || strcmp(c->kind, b->kind) == 0) &&
	    cap_follow_beat_live(b, c->now, c->max_age))
		c->live++;
	return 0;
}

int cap_follow_live(const char *dir, const char *kind, uint64_t max_age_ns)
{
	live_ctx c = { kind, cap_now_ns(), max_age_ns, 0 };
	int rc = cap_follow_scan(dir, count_live, &c);
	return rc < 0 ? rc : c.live;
}

/* ------------------------------------------------------------------ writer */

/* layout - a new heartbeat file: the header, every other field zero (cap_shm_fill_fn). */
static void layout(void *addr, size_t size, void *ctx)
{
	(void)ctx;
	cap_follow_beat *b = addr;
	b->format = CAP_FOLLOW_FORMAT;
	b->size = (uint32_t)size;
	b->pid = getpid();
	__atomic_store_n(&b->magic, CAP_FOLLOW_MAGIC, __ATOMIC_RELEASE);
}

/* stale_format - fd is a heartbeat file of another size or format (an older build's). */
static int stale_format(int fd)
{
	struct stat st;
	cap_follow_beat b;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (st.st_size != (off_t)sizeof(b))
		return 1;
	return pread(fd, &b, sizeof(b), 0) == (ssize_t)sizeof(b) && header_ok(&b) == CAP_EVERSION;
}

int cap_follow_writer_open(int dfd, const char *name, cap_follow_writer **out)
{
	*out = NULL;
	struct stat st;
	cap_shm sm = { 0 };
	int rc = CAP_OK;
	int fd = cap_shm_open(dfd, name, O_RDWR, &st, NULL, 0);
	if (fd == CAP_EIO && errno == ENOENT) {
		/* a new file is published whole; if another process won the race, use its file */
		int dead = 0;
		fd = cap_shm_build(dfd, name, sizeof(cap_follow_beat), CAP_SHM_LINK, layout, NULL,
				   &dead, &sm, NULL, 0);
		if (fd >= 0)
			cap_fault_unwatch(sm.addr); /* as an existing file's mapping: not watched */
		else if (fd == CAP_EIO && errno == EEXIST)
			fd = cap_shm_open(dfd, name, O_RDWR, &st, NULL, 0);
	}
	if (fd >= 0 && sm.addr == NULL && stale_format(fd)) {
		/* an older build's file: replaced by a new one (its readers see it age) */
		close(fd);
		if (unlinkat(dfd, name, 0) < 0)
			return CAP_EIO;
		int dead = 0;
		fd = cap_shm_build(dfd, name, sizeof(cap_follow_beat), CAP_SHM_LINK, layout, NULL,
				   &dead, &sm, NULL, 0);
		if (fd >= 0)
			cap_fault_unwatch(sm.addr);
		else if (fd == CAP_EIO && errno == EEXIST)
			fd = cap_shm_open(dfd, name, O_RDWR, &st, NULL, 0);
	}
	if (fd < 0)
		return fd;
	if (sm.addr == NULL)
		rc = st.st_size != (off_t)sizeof(cap_follow_beat)
			     ? CAP_ECORRUPT
			     : cap_shm_map(fd, sizeof(cap_follow_beat), PROT_READ | PROT_WRITE,
					   NULL, NULL, &sm, NULL, 0);
	close(fd);
	if (rc == CAP_OK)
		rc = header_ok(sm.addr);
	cap_follow_writer *w = rc == CAP_OK ? malloc(sizeof(*w)) : NULL;
	if (w == NULL) {
		if (sm.addr != NULL)
			munmap(sm.addr, sizeof(cap_follow_beat));
		return rc == CAP_OK ? CAP_ENOMEM : rc;
	}
	w->b = sm.addr;
	/* A previous follower may have died mid-update: make seq even again. */
	if (w->b->seq & 1)
		__atomic_store_n(&w->b->seq, w->b->seq + 1, __ATOMIC_RELEASE);
	*out = w;
	return CAP_OK;
}

cap_follow_beat *cap_follow_writer_begin(cap_follow_writer *w)
{
	__atomic_store_n(&w->b->seq, w->b->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return w->b;
}

void cap_follow_writer_commit(cap_follow_writer *w)
{
	__atomic_store_n(&w->b->seq, w->b->seq + 1, __ATOMIC_RELEASE);
}

void cap_follow_writer_close(cap_follow_writer *w)
{
	if (w == NULL)
		return;
	munmap(w->b, sizeof(cap_follow_beat));
	free(w);
}

/* ------------------------------------------------------------------ the library's registry */

uint64_t cap_follow_ident(const char *kind, const char *server, size_t server_len,
			  const char *db, size_t db_len)
{
	uint64_t h = cap_hash64(kind, strlen(kind), 0x666f6c6c6f77ull);
	h = cap_hash64(server, server_len, h);
	h = cap_hash64(db, db_len, h ^ 0x6462);
	return h ? h : 1;
}

typedef struct reg_entry {
	const cap_follow_beat *b;
	dev_t dev;
	ino_t ino;
	int dead; /* set by the SIGBUS handler: the mapping now reads as zeros (not live) */
} reg_entry;

static reg_entry reg[CAP_FOLLOW_TABLE_MAX];
static int reg_n;              /* atomic: entries [0, reg_n) are complete */
static uint32_t reg_gen;       /* atomic */
static uint64_t reg_next_scan; /* atomic: coarse ns */
static int reg_scanner;        /* atomic: pid of the scanning process, 0 none */
static int reg_full_logged;

/* reg_known - st is mapped already (a mapping a bus error turned into zeros does not count:
 * the file, restored in place, is mapped again). */
static int reg_known(const struct stat *st)
{
	int n = __atomic_load_n(&reg_n, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n; i++)
		if (reg[i].dev == st->st_dev && reg[i].ino == st->st_ino &&
		    !__atomic_load_n(&reg[i].dead, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

static void reg_scan(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	size_t pl = strlen(CAP_FOLLOW_PREFIX);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		if (strncmp(nm, CAP_FOLLOW_PREFIX, pl) != 0 || !cap_follow_name_ok(nm + pl))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) < 0 || reg_known(&st))
			continue;
		int n = __atomic_load_n(&reg_n, __ATOMIC_RELAXED);
		if (n == CAP_FOLLOW_TABLE_MAX) {
			if (!reg_full_logged++)
				cap_log(CAP_LOG_WARN, "%s: more than %d heartbeat files seen by this "
					"process; later followers are not used by it", dir,
					CAP_FOLLOW_TABLE_MAX);
			break;
		}
		const cap_follow_beat *b;
		if (map_file(dir, nm, &b, &st) != CAP_OK)
			continue;
		if (reg_known(&st)) { /* replaced by a known file since the fstatat */
			munmap((void *)b, sizeof(*b));
			continue;
		}
		reg_entry *e = &reg[n];
		e->b = b;
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->dead = 0;
		(void)cap_fault_watch((void *)b, sizeof(*b), &e->dead);
		__atomic_store_n(&reg_n, n + 1, __ATOMIC_RELEASE);
	}
	closedir(d);
}

void cap_follow_refresh(const char *dir)
{
	uint64_t now = cap_now_ns();
	if (dir == NULL || dir[0] == '\0' || now < __atomic_load_n(&reg_next_scan, __ATOMIC_RELAXED))
		return;
	int me = (int)getpid(), cur = 0;
	if (!__atomic_compare_exchange_n(&reg_scanner, &cur, me, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		/* a scan is running here, or was when a parent forked us: take that one over */
		if (cur == me || !__atomic_compare_exchange_n(&reg_scanner, &cur, me, 0,
							      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
	}
	__atomic_store_n(&reg_next_scan, now + 1000000000ull, __ATOMIC_RELAXED);
	reg_scan(dir);
	__atomic_fetch_add(&reg_gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&reg_scanner, 0, __ATOMIC_RELEASE);
}

uint32_t cap_follow_table_gen(void)
{
	return __atomic_load_n(&reg_gen, __ATOMIC_ACQUIRE);
}

int cap_follow_seen(void)
{
	return __atomic_load_n(&reg_n, __ATOMIC_ACQUIRE);
}

/* entry_read - state, ident and live_ns of entry idx, consistent under the sequence lock. */
static int entry_read(int idx, uint32_t *state, uint64_t *ident, uint64_t *live_ns)
{
	if (idx < 0 || idx >= __atomic_load_n(&reg_n, __ATOMIC_ACQUIRE))
		return 0;
	const cap_follow_beat *b = reg[idx].b;
	for (int tries = 0; tries < 8; tries++) {
		uint64_t s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		*state = __atomic_load_n(&b->state, __ATOMIC_RELAXED);
		*ident = __atomic_load_n(&b->ident, __ATOMIC_RELAXED);
		*live_ns = __atomic_load_n(&b->live_ns, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s1)
			return 1;
	}
	return 0;
}

int cap_follow_entry_live(int idx, uint64_t ident)
{
	uint32_t state;
	uint64_t id, live;
	return entry_read(idx, &state, &id, &live) && id == ident &&
	       live_at(state, live, cap_now_ns(), CAP_FOLLOW_MAX_AGE_NS);
}

int cap_follow_find(uint64_t ident)
{
	int n = __atomic_load_n(&reg_n, __ATOMIC_ACQUIRE), first = -1;
	for (int i = 0; i < n; i++) {
		uint32_t state;
		uint64_t id, live;
		if (!entry_read(i, &state, &id, &live) || id != ident)
			continue;
		if (live_at(state, live, cap_now_ns(), CAP_FOLLOW_MAX_AGE_NS))
			return i;
		if (first < 0)
			first = i;
	}
	return first;
}

/*
 * follow.c - the heartbeat file of `capacitor follow` (layout and rules in follow.h).
 *
 * The writer is the follower process, alone on its file (it holds the follower's lock). It
 * publishes a new file atomically (cache/shmfile: a complete image under a temporary name,
 * then link() to the final name, which fails if another process won the race: that one's
 * file is used instead). Updates go through a MAP_SHARED mapping under a sequence lock; release and
 * acquire fences order the fields against seq, so a reader that sees the same even seq before
 * and after copying has a consistent copy.
 */
#include "cache/follow.h"
#include "cache/cap.h"
#include "cache/clock.h"
#include "cache/fault.h"
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

int cap_follow_map_open(const char *dir, const char *name, cap_follow_map **out)
{
	*out = NULL;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return CAP_EINVAL;
	struct stat st;
	int fd = cap_shm_open(AT_FDCWD, path, O_RDONLY, &st, NULL, 0);
	if (fd < 0)
		return fd;
	cap_shm sm = { 0 };
	int rc = CAP_ECORRUPT;
	if (st.st_size == (off_t)sizeof(cap_follow_beat))
		rc = cap_shm_map(fd, sizeof(cap_follow_beat), PROT_READ, NULL, NULL, &sm, NULL, 0);
	close(fd);
	if (rc != CAP_OK)
		return rc;
	void *p = sm.addr;
	rc = header_ok(p);
	cap_follow_map *m = rc == CAP_OK ? malloc(sizeof(*m)) : NULL;
	if (m == NULL) {
		munmap(p, sizeof(cap_follow_beat));
		return rc == CAP_OK ? CAP_ENOMEM : rc;
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

int cap_follow_beat_live(const cap_follow_beat *b, uint64_t now_ns, uint64_t max_age_ns)
{
	if (b->state != CAP_FOLLOW_STREAMING)
		return 0;
	if (b->live_ns > now_ns)
		return b->live_ns - now_ns <= 1000000000ull; /* coarse clock behind the precise one */
	return now_ns - b->live_ns <= max_age_ns;
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

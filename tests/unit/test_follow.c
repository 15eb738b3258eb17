/* test_follow.c - the heartbeat file of `capacitor follow` (cache/follow.h): layout, safe
 * creation and reuse, the sequence lock, what "live" means, names, and the directory scan. */
#include "tests/unit/testdir.h"
#include "cache/follow.h"
#include "cache/cap.h"
#include "cache/engine.h"
#include "cache/shmfile.h"

#include <criterion/criterion.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static int dfd = -1;

static void setup(void)
{
	dfd = cap_testdir_open(dir, sizeof(dir), "follow");
	cr_assert(dfd >= 0);
}

static void teardown(void)
{
	close(dfd);
	cap_testdir_remove(dir);
}

TestSuite(follow, .init = setup, .fini = teardown);

Test(follow, layout)
{
	cr_assert_eq(sizeof(cap_follow_beat), 680);
	cr_assert_eq(offsetof(cap_follow_beat, magic), 0);
	cr_assert_eq(offsetof(cap_follow_beat, seq), 16);
	cr_assert_eq(offsetof(cap_follow_beat, live_ns), 40);
	cr_assert_eq(offsetof(cap_follow_beat, kind), 112);
	cr_assert_eq(offsetof(cap_follow_beat, last_error), 512);
	cr_assert_eq(offsetof(cap_follow_beat, ident), 672);
}

Test(follow, ident_is_the_servers_and_databases)
{
	uint64_t a = cap_follow_ident("postgresql", "7301", 4, "16384", 5);
	cr_assert_neq(a, 0);
	cr_assert_eq(a, cap_follow_ident("postgresql", "7301", 4, "16384", 5));
	cr_assert_neq(a, cap_follow_ident("postgresql", "7301", 4, "16385", 5));
	cr_assert_neq(a, cap_follow_ident("postgresql", "7302", 4, "16384", 5));
	cr_assert_neq(a, cap_follow_ident("mariadb", "7301", 4, "16384", 5));
	/* the boundary between the parts counts */
	cr_assert_neq(cap_follow_ident("mariadb", "ab", 2, "c", 1),
		      cap_follow_ident("mariadb", "a", 1, "bc", 2));
}

/* The library's registry: a follower found by a scan is live for its ident only, while its
 * heartbeat is fresh; stopping it (or another ident) is seen with no rescan. */
Test(follow, registry_finds_and_checks)
{
	uint64_t id = cap_follow_ident("postgresql", "1", 1, "2", 1);
	cr_assert_eq(cap_follow_find(id), -1);
	cap_follow_writer *w;
	cr_assert_eq(cap_follow_writer_open(dfd, "follow.r", &w), CAP_OK);
	cap_follow_beat *wb = cap_follow_writer_begin(w);
	wb->state = CAP_FOLLOW_STREAMING;
	wb->ident = id;
	wb->live_ns = cap_now_ns();
	cap_follow_writer_commit(w);
	uint32_t g = cap_follow_table_gen();
	cap_follow_refresh(dir);
	cr_assert_neq(cap_follow_table_gen(), g);
	cr_assert_eq(cap_follow_seen(), 1);
	int idx = cap_follow_find(id);
	cr_assert_geq(idx, 0);
	wb = cap_follow_writer_begin(w); /* fresh again: this process may have been descheduled */
	wb->live_ns = cap_now_ns();
	cap_follow_writer_commit(w);
	cr_assert(cap_follow_entry_live(idx, id));
	cr_assert(!cap_follow_entry_live(idx, id + 1));
	cr_assert_eq(cap_follow_find(id + 1), -1);
	/* a rescan within the second is skipped, and finds nothing new anyway */
	g = cap_follow_table_gen();
	cap_follow_refresh(dir);
	cr_assert_eq(cap_follow_table_gen(), g);
	/* stale heartbeat: not live (no rescan needed) */
	wb = cap_follow_writer_begin(w);
	wb->live_ns = cap_now_ns() - 2 * CAP_FOLLOW_MAX_AGE_NS;
	cap_follow_writer_commit(w);
	cr_assert(!cap_follow_entry_live(idx, id));
	/* live again, then stopped */
	wb = cap_follow_writer_begin(w);
	wb->live_ns = cap_now_ns();
	cap_follow_writer_commit(w);
	cr_assert(cap_follow_entry_live(idx, id));
	wb = cap_follow_writer_begin(w);
	wb->state = CAP_FOLLOW_BACKOFF;
	cap_follow_writer_commit(w);
	cr_assert(!cap_follow_entry_live(idx, id));
	/* mid-update (odd seq): not live, never a torn read */
	wb = cap_follow_writer_begin(w);
	wb->state = CAP_FOLLOW_STREAMING;
	cr_assert(!cap_follow_entry_live(idx, id));
	cap_follow_writer_commit(w);
	cr_assert(cap_follow_entry_live(idx, id));
	cr_assert(!cap_follow_entry_live(-1, id));
	cr_assert(!cap_follow_entry_live(CAP_FOLLOW_TABLE_MAX, id));
	cap_follow_writer_close(w);
}

/* A file an older build left under the follower's name is replaced, not refused. */
Test(follow, writer_replaces_another_format)
{
	int fd = openat(dfd, "follow.old", O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	char old[672];
	memset(old, 0, sizeof(old));
	cr_assert_eq(write(fd, old, sizeof(old)), (ssize_t)sizeof(old));
	close(fd);
	cap_follow_writer *w;
	cr_assert_eq(cap_follow_writer_open(dfd, "follow.old", &w), CAP_OK);
	cap_follow_map *m;
	cr_assert_eq(cap_follow_map_open(dir, "follow.old", &m), CAP_OK);
	cap_follow_map_close(m);
	cap_follow_writer_close(w);
}

Test(follow, names)
{
	cr_assert(cap_follow_name_ok("pg-1a2b"));
	cr_assert(cap_follow_name_ok("my_db.main"));
	cr_assert(!cap_follow_name_ok(""));
	cr_assert(!cap_follow_name_ok("."));
	cr_assert(!cap_follow_name_ok(".."));
	cr_assert(!cap_follow_name_ok("a/b"));
	cr_assert(!cap_follow_name_ok("a b"));
	cr_assert(!cap_follow_name_ok("x.lock"));
	cr_assert(!cap_follow_name_ok("x.pid"));
	cr_assert(!cap_follow_name_ok("x.log"));
	cr_assert(cap_follow_name_ok("x.logs"));
	char longname[80];
	memset(longname, 'x', 65);
	longname[65] = '\0';
	cr_assert(!cap_follow_name_ok(longname));
}

Test(follow, create_write_read_reuse)
{
	cap_follow_writer *w;
	cr_assert_eq(cap_follow_writer_open(dfd, "follow.t", &w), CAP_OK);
	struct stat st;
	cr_assert_eq(fstatat(dfd, "follow.t", &st, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(st.st_size, (off_t)sizeof(cap_follow_beat));

	cap_follow_map *m;
	cr_assert_eq(cap_follow_map_open(dir, "follow.t", &m), CAP_OK);
	cap_follow_beat b;
	cr_assert_eq(cap_follow_map_read(m, &b), CAP_OK);
	cr_assert_eq(b.state, CAP_FOLLOW_STARTING);
	cr_assert(!cap_follow_map_live(m, 500000000ull));

	cap_follow_beat *wb = cap_follow_writer_begin(w);
	wb->state = CAP_FOLLOW_STREAMING;
	wb->live_ns = cap_now_ns();
	snprintf(wb->kind, sizeof(wb->kind), "postgresql");
	cap_follow_writer_commit(w);
	cr_assert(cap_follow_map_live(m, 500000000ull));
	cr_assert_eq(cap_follow_map_read(m, &b), CAP_OK);
	cr_assert_str_eq(b.kind, "postgresql");
	cr_assert_eq(b.seq % 2, 0);
	cr_assert_eq(cap_follow_live(dir, "postgresql", 500000000ull), 1);
	cr_assert_eq(cap_follow_live(dir, "mariadb", 500000000ull), 0);

	/* a second writer (a restarted follower) reuses the same file: the mapping stays valid */
	cap_follow_writer_close(w);
	cr_assert_eq(cap_follow_writer_open(dfd, "follow.t", &w), CAP_OK);
	wb = cap_follow_writer_begin(w);
	wb->state = CAP_FOLLOW_STOPPED;
	cap_follow_writer_commit(w);
	cr_assert(!cap_follow_map_live(m, 500000000ull));
	cap_follow_writer_close(w);
	cap_follow_map_close(m);
}

Test(follow, live_means_recent_and_streaming)
{
	cap_follow_beat b;
	memset(&b, 0, sizeof(b));
	b.state = CAP_FOLLOW_STREAMING;
	b.live_ns = 10000000000ull;
	cr_assert(cap_follow_beat_live(&b, 10400000000ull, 500000000ull));
	cr_assert(!cap_follow_beat_live(&b, 10600000000ull, 500000000ull));
	cr_assert(cap_follow_beat_live(&b, 9990000000ull, 500000000ull)); /* coarse clock behind */
	cr_assert(!cap_follow_beat_live(&b, 5000000000ull, 500000000ull));
	b.state = CAP_FOLLOW_BACKOFF;
	cr_assert(!cap_follow_beat_live(&b, 10000000000ull, 500000000ull));
}

Test(follow, refuses_unsafe_and_foreign_files)
{
	cap_follow_map *m;
	/* missing */
	cr_assert_eq(cap_follow_map_open(dir, "follow.none", &m), CAP_EIO);
	/* wrong size */
	int fd = openat(dfd, "follow.short", O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "x", 1), 1);
	close(fd);
	cr_assert_eq(cap_follow_map_open(dir, "follow.short", &m), CAP_ECORRUPT);
	/* group-writable */
	fd = openat(dfd, "follow.open", O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	cap_follow_beat b;
	memset(&b, 0, sizeof(b));
	b.magic = CAP_FOLLOW_MAGIC;
	b.format = CAP_FOLLOW_FORMAT;
	b.size = sizeof(b);
	cr_assert_eq(write(fd, &b, sizeof(b)), (ssize_t)sizeof(b));
	fchmod(fd, 0666);
	close(fd);
	cr_assert_eq(cap_follow_map_open(dir, "follow.open", &m), CAP_EUNSAFE);
	/* another format */
	b.format = CAP_FOLLOW_FORMAT + 1;
	fd = openat(dfd, "follow.newer", O_CREAT | O_WRONLY, 0600);
	cr_assert_eq(write(fd, &b, sizeof(b)), (ssize_t)sizeof(b));
	close(fd);
	cr_assert_eq(cap_follow_map_open(dir, "follow.newer", &m), CAP_EVERSION);
	/* a symlink */
	cr_assert_eq(symlinkat("follow.newer", dfd, "follow.link"), 0);
	cr_assert_neq(cap_follow_map_open(dir, "follow.link", &m), CAP_OK);
	/* the scan skips all of them */
	cr_assert_eq(cap_follow_live(dir, NULL, 500000000ull), 0);
}

static volatile int stop_writer;

static void *writer_thread(void *arg)
{
	cap_follow_writer *w = arg;
	for (uint64_t i = 1; !stop_writer; i++) {
		cap_follow_beat *b = cap_follow_writer_begin(w);
		b->events = i;
		b->bumps = i;
		b->reconnects = i;
		cap_follow_writer_commit(w);
	}
	return NULL;
}

Test(follow, seqlock_gives_consistent_copies)
{
	cap_follow_writer *w;
	cr_assert_eq(cap_follow_writer_open(dfd, "follow.s", &w), CAP_OK);
	cap_follow_map *m;
	cr_assert_eq(cap_follow_map_open(dir, "follow.s", &m), CAP_OK);
	pthread_t t;
	pthread_create(&t, NULL, writer_thread, w);
	int copies = 0;
	/* on a loaded machine the writer may be off the processor, mid-write, for a whole run of
	 * reads: read on (up to 30 s) until some copies were had */
	time_t until = time(NULL) + 30;
	for (int i = 0; i < 200000 || (copies < 100 && time(NULL) < until); i++) {
		cap_follow_beat b;
		if (cap_follow_map_read(m, &b) != CAP_OK)
			continue;
		copies++;
		cr_assert_eq(b.events, b.bumps);
		cr_assert_eq(b.events, b.reconnects);
	}
	stop_writer = 1;
	pthread_join(t, NULL);
	cr_assert_gt(copies, 0);
	cap_follow_map_close(m);
	cap_follow_writer_close(w);
}

/* A heartbeat truncated under the registry: the read faults into zeros (not live, the
 * program lives), and once the file is whole again, in place, a rescan maps it anew. */
Test(follow, registry_survives_a_truncated_heartbeat)
{
	uint64_t id = cap_follow_ident("mariadb", "uid", 3, "", 0);
	cap_follow_writer *w;
	cr_assert_eq(cap_follow_writer_open(dfd, "follow.t", &w), CAP_OK);
	cap_follow_beat *wb = cap_follow_writer_begin(w);
	wb->state = CAP_FOLLOW_STREAMING;
	wb->ident = id;
	cap_follow_writer_commit(w);
	cap_follow_writer_close(w);
	cap_follow_refresh(dir);
	int idx = cap_follow_find(id);
	cr_assert_geq(idx, 0);
	int fd = openat(dfd, "follow.t", O_RDWR);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 0), 0);
	cr_assert(!cap_follow_entry_live(idx, id), "a truncated heartbeat reads as not live");
	/* whole again, same inode */
	cap_follow_beat b;
	memset(&b, 0, sizeof(b));
	b.magic = CAP_FOLLOW_MAGIC;
	b.format = CAP_FOLLOW_FORMAT;
	b.size = sizeof(b);
	b.state = CAP_FOLLOW_STREAMING;
	b.ident = id;
	usleep(1100000); /* past the rescan's rate limit */
	b.live_ns = cap_now_ns();
	cr_assert_eq(pwrite(fd, &b, sizeof(b), 0), (ssize_t)sizeof(b));
	close(fd);
	cap_follow_refresh(dir);
	idx = cap_follow_find(id);
	cr_assert_geq(idx, 0);
	cr_assert(cap_follow_entry_live(idx, id), "the restored file is mapped again");
}

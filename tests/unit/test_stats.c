/*
 * test_stats.c - the shared-memory stats file (cache/stats.c, cache/stats_read.c) and the
 * `capacitor stats` command (tools/cmd_stats.c, compiled into this test).
 *
 * Every test uses its own temporary CAPACITOR_DIR. Writers are threads of this process and
 * forked children; the reader is cap_stats_reader_* on a second mapping, as the tool does.
 * Checked: exact totals after concurrent writers finish, monotonic totals while they run,
 * dead processes (exited or SIGKILLed, also while holding the fold lock or in the middle
 * of a fold) counted exactly once, L1 gauges dropped with their process, reset, the shape
 * table and its overflow bucket, the periodic log line, and the clear errors for missing,
 * truncated, corrupt, newer-version and unsafe files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache/cap.h"
#include "cache/log.h"
#include "cache/plock.h"
#include "cache/sql.h"
#include "cache/stats.h"
#include "cache/stats_file.h"
#include "cache/stats_read.h"

/* the command itself, to check its exit statuses and messages */
#include "tools/cmd_stats.c"

#pragma weak cap_sql_digest

static char dir[64];
static char path[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cap-test-stats-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stats", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	int rc = system(cmd);
	(void)rc;
}

TestSuite(stats, .init = setup, .fini = teardown, .timeout = 60);

static cap_stats_view *view(void)
{
	static cap_stats_view v;
	cap_stats_reader *r;
	char err[512];
	int rc = cap_stats_reader_open(dir, 0, &r, err, sizeof(err));
	cr_assert_eq(rc, CAP_OK, "reader: %s", err);
	cap_stats_reader_view(r, &v);
	cap_stats_reader_close(r);
	return &v;
}

static void *wmap(void)
{
	void *base;
	size_t size;
	char err[512];
	int rc = cap_statsf_map(dir, CAP_STATSF_WRITE, &base, &size, err, sizeof(err));
	cr_assert_eq(rc, CAP_OK, "%s", err);
	return base;
}

static uint64_t hist_count(const cap_stats_hist *h) { return cap_hist_total(h->b, CAP_HIST_BUCKETS); }

static void rec(enum cap_path p, uint64_t ns, uint64_t shape)
{
	cap_qrec q = { .path = p, .ns = ns, .shape = shape, .is_read = p != CAP_PATH_WRITE,
		       .reason = p == CAP_PATH_BYPASS ? CAP_REASON_txn : CAP_REASON_none };
	cap_stats_record(&q);
}

/* n records cycling through the five paths: n/5 each (n a multiple of 5). */
static void rec_mix(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		rec((enum cap_path)(i % 5), 1000 + (i % 7) * 100, 0);
}

/* cap_stats_open (and n records) in a fresh child, so this process stays unopened. */
static int open_in_child(uint64_t n)
{
	pid_t pid = fork();
	if (pid == 0) {
		int rc = cap_stats_open(dir);
		if (rc == CAP_OK)
			rec_mix(n);
		_exit(-rc);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	return -WEXITSTATUS(st);
}

Test(stats, layout)
{
	cr_assert_eq(sizeof(cap_stats_hdr), 4096);
	cr_assert_eq(offsetof(cap_stats_hdr, fold_word), 192);
	cr_assert_eq(sizeof(cap_stats_slot), 64);
	cr_assert_eq(sizeof(cap_stats_data) % 64, 0);
	cr_assert_eq(offsetof(cap_stats_data, h) % 64, 0);
	cr_assert_eq(sizeof(cap_stats_shape), 2496);
	cr_assert_eq(CAP_STATS_OFF_SHAPES % 64, 0);
	cr_assert_eq(CAP_STATS_NCOUNTERS, 18);
	cr_assert_str_eq(cap_stats_reason_name(CAP_REASON_follow), "no live follower");
	cr_assert_str_eq(cap_stats_reason_name(CAP_REASON_txn), "transaction");
	cr_assert_str_eq(cap_stats_reason_name((enum cap_reason)999), "?");
}

Test(stats, open_creates_private_file)
{
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	cr_assert_eq(cap_stats_open(sub), CAP_OK);
	cr_assert_eq(cap_stats_open(sub), CAP_OK, "safe to call again");
	struct stat st;
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/stats", sub);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq((uint64_t)st.st_size, CAP_STATS_FILE_SIZE);
}

Test(stats, events_land_in_their_counters)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	cap_stats_event(CAP_EV_DLSYM, 3);
	cap_stats_event(CAP_EV_FALLBACK, 1);
	cap_stats_view *v = malloc(sizeof(*v));
	cap_stats_reader *r;
	char err[256];
	cr_assert_eq(cap_stats_reader_open(dir, 0, &r, err, sizeof(err)), CAP_OK);
	cap_stats_reader_view(r, v);
	cr_assert_eq(v->d.c.dlsym_redirects, 3);
	cr_assert_eq(v->d.c.fallbacks, 1);
	cap_stats_reader_close(r);
	free(v);
}

Test(stats, off_is_a_noop)
{
	/* never opened: every call returns quietly */
	rec(CAP_PATH_HIT_L1, 100, 7);
	cap_stats_event(CAP_EV_FALLBACK, 1);
	cap_stats_l1(1, 1);
	cap_stats_l2(1, 1);
	cap_stats_log_tick();
}

/* ---- threads --------------------------------------------------------------------------- */

#define NTHREADS 8
#define PER_THREAD 100000

static volatile int readers_stop;

static void *writer_thread(void *arg)
{
	(void)arg;
	rec_mix(PER_THREAD);
	cap_stats_event(CAP_EV_INVAL_TABLE, 2);
	return NULL;
}

static void *reader_thread(void *arg)
{
	uint64_t *bad = arg, last = 0;
	cap_stats_view *v = malloc(sizeof(*v));
	cap_stats_reader *r;
	char err[256];
	cr_assert_eq(cap_stats_reader_open(dir, 0, &r, err, sizeof(err)), CAP_OK);
	while (!__atomic_load_n(&readers_stop, __ATOMIC_RELAXED)) {
		cap_stats_reader_view(r, v);
		if (v->d.c.queries < last || v->d.c.queries > (uint64_t)NTHREADS * PER_THREAD * 2)
			(*bad)++;
		last = v->d.c.queries;
	}
	cap_stats_reader_close(r);
	free(v);
	return NULL;
}

Test(stats, threads_exact_totals)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	pthread_t t[NTHREADS], rt;
	uint64_t bad = 0;
	readers_stop = 0;
	pthread_create(&rt, NULL, reader_thread, &bad);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NTHREADS; i++)
			pthread_create(&t[i], NULL, writer_thread, NULL);
		for (int i = 0; i < NTHREADS; i++)
			pthread_join(t[i], NULL);
	}
	__atomic_store_n(&readers_stop, 1, __ATOMIC_RELAXED);
	pthread_join(rt, NULL);
	cr_assert_eq(bad, 0, "reader saw totals go backwards or overshoot");
	cap_stats_view *v = view();
	uint64_t n = 2ull * NTHREADS * PER_THREAD;
	cr_assert_eq(v->d.c.queries, n);
	cr_assert_eq(v->d.c.hits, 2 * n / 5);
	cr_assert_eq(v->d.c.hits_l1, n / 5);
	cr_assert_eq(v->d.c.hits_l2, n / 5);
	cr_assert_eq(v->d.c.misses, n / 5);
	cr_assert_eq(v->d.c.writes, n / 5);
	cr_assert_eq(v->d.c.bypasses, n / 5);
	cr_assert_eq(v->d.c.reads, 4 * n / 5);
	cr_assert_eq(v->d.reason[CAP_REASON_txn], n / 5);
	cr_assert_eq(v->d.c.invalidations_table, 2ull * NTHREADS * 2);
	for (unsigned p = 0; p < CAP_PATH__N; p++)
		cr_assert_eq(hist_count(&v->d.h[p]), n / 5, "path %u", p);
	/* exited threads hand their slots to the next ones */
	cr_assert_leq(v->slots_live, NTHREADS + 1);
	cr_assert_eq(v->procs, 1);
}

/* More live threads than slots: the last ones share the overflow slot 0 (atomic adds). */
#define MANY ((int)CAP_STATS_NSLOTS + 20)
static pthread_barrier_t many_barrier;

static void *many_thread(void *arg)
{
	(void)arg;
	rec_mix(500);
	pthread_barrier_wait(&many_barrier); /* nobody exits (freeing a slot) before all recorded */
	return NULL;
}

Test(stats, more_threads_than_slots)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	pthread_barrier_init(&many_barrier, NULL, MANY);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	static pthread_t t[MANY];
	for (int i = 0; i < MANY; i++)
		cr_assert_eq(pthread_create(&t[i], &a, many_thread, NULL), 0);
	for (int i = 0; i < MANY; i++)
		pthread_join(t[i], NULL);
	cap_stats_view *v = view();
	cr_assert_eq(v->d.c.queries, (uint64_t)MANY * 500);
	cr_assert_eq(hist_count(&v->d.h[CAP_PATH_HIT_L2]), (uint64_t)MANY * 100);
	void *base = wmap();
	cr_assert_gt(cap_statsf_data(base, 0)->c.queries, 0, "the overflow slot was used");
	munmap(base, CAP_STATS_FILE_SIZE);
}

/* ---- processes ------------------------------------------------------------------------- */

#define NPROCS 6
#define PER_PROC 30000

static void *proc_thread(void *arg)
{
	(void)arg;
	rec_mix(PER_PROC / 2);
	return NULL;
}

Test(stats, processes_exact_totals)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	rec_mix(1000); /* the parent's slot exists before the forks */
	pid_t pids[NPROCS];
	for (int i = 0; i < NPROCS; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			pthread_t a, b;
			pthread_create(&a, NULL, proc_thread, NULL);
			pthread_create(&b, NULL, proc_thread, NULL);
			pthread_join(a, NULL);
			pthread_join(b, NULL);
			_exit(0);
		}
	}
	rec_mix(1000);
	for (int i = 0; i < NPROCS; i++) {
		int st;
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	uint64_t n = 2000 + (uint64_t)NPROCS * PER_PROC;
	cap_stats_view *v = view();
	cr_assert_eq(v->d.c.queries, n);
	cr_assert_eq(v->d.c.hits_l1, n / 5);
	cr_assert_eq(hist_count(&v->d.h[CAP_PATH_MISS]), n / 5);
	cr_assert_eq(v->procs, 1, "only this process is alive");
	/* fold the children's slots: totals unchanged, then again: still unchanged */
	void *base = wmap();
	int folded = cap_statsf_fold_dead(base);
	cr_assert_geq(folded, NPROCS, "folded %d", folded);
	v = view();
	cr_assert_eq(v->d.c.queries, n);
	cr_assert_eq(v->slots_dead, 0);
	cr_assert_eq(cap_statsf_fold_dead(base), 0);
	v = view();
	cr_assert_eq(v->d.c.queries, n);
	cr_assert_eq(hist_count(&v->d.h[CAP_PATH_WRITE]), n / 5);
	munmap(base, CAP_STATS_FILE_SIZE);
}

/* Fork a child that records n statements, reports on a pipe and waits to be killed. */
static pid_t spawn_recorder(uint64_t n, int64_t l1)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		rec_mix(n);
		if (l1)
			cap_stats_l1(l1, l1 * 100);
		char c = 'x';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	char c;
	cr_assert_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

static void kill9(pid_t pid)
{
	kill(pid, SIGKILL);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st));
}

/* Processes that start together on an empty directory: the file is published whole (built
 * under a temporary name, linked into place, one builder at a time), every process maps the
 * same one, no temporary file is left behind and every record lands. */
Test(stats, first_open_by_many_processes)
{
	int go[2];
	cr_assert_eq(pipe(go), 0);
	pid_t pids[NPROCS];
	for (int i = 0; i < NPROCS; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			if (cap_stats_open(dir) != CAP_OK)
				_exit(1);
			rec_mix(5);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]); /* every child starts now */
	for (int i = 0; i < NPROCS; i++) {
		int st;
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: status %d", i, st);
	}
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		cr_assert(de->d_name[0] == '.' ? strcmp(de->d_name, ".") == 0 ||
						   strcmp(de->d_name, "..") == 0
					       : strcmp(de->d_name, "stats") == 0,
			  "left behind: %s", de->d_name);
	closedir(d);
	cr_assert_eq(view()->d.c.queries, NPROCS * 5);
}

Test(stats, sigkilled_process_counted_once)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	pid_t pid = spawn_recorder(50000, 0);
	cap_stats_view *v = view();
	cr_assert_eq(v->d.c.queries, 50000);
	cr_assert_eq(v->procs, 1);
	kill9(pid);
	v = view();
	cr_assert_eq(v->d.c.queries, 50000, "a dead slot is still read");
	cr_assert_eq(v->slots_dead, 1);
	uint64_t folds = v->folds;
	void *base = wmap();
	cr_assert_eq(cap_statsf_fold_dead(base), 1);
	v = view();
	cr_assert_eq(v->d.c.queries, 50000, "folded, not double counted");
	cr_assert_eq(v->folds, folds + 1);
	cr_assert_eq(v->slots_dead, 0);
	cr_assert_eq(cap_statsf_fold_dead(base), 0, "folded once");
	cr_assert_eq(view()->d.c.queries, 50000);
	/* the freed slot is reused by a new process */
	pid = spawn_recorder(500, 0);
	kill9(pid);
	cap_statsf_fold_dead(base);
	cr_assert_eq(view()->d.c.queries, 50500);
	munmap(base, CAP_STATS_FILE_SIZE);
}

static uint32_t slot_of(void *base, pid_t pid)
{
	for (uint32_t k = 1; k < CAP_STATS_NSLOTS; k++)
		if (CAP_SLOT_PID(cap_statsf_slot(base, k)->owner) == pid &&
		    CAP_SLOT_STATE(cap_statsf_slot(base, k)->owner) == CAP_SLOT_LIVE)
			return k;
	cr_assert_fail("no slot for pid %d", (int)pid);
	return 0;
}

Test(stats, folder_killed_mid_fold)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	rec_mix(100);
	pid_t pid = spawn_recorder(7000, 0);
	kill9(pid);
	void *base = wmap();
	uint32_t k = slot_of(base, pid);
	cap_stats_hdr *h = cap_statsf_hdr(base);
	/* a folder that died after step 1 (the inactive totals written, nothing published) */
	uint64_t w = h->fold_word;
	unsigned cur = CAP_FOLD_CUR(w);
	memset(cap_statsf_totals(base, !cur), 0xa5, sizeof(cap_stats_data));
	cr_assert_eq(view()->d.c.queries, 7100);
	/* a folder that died after step 2 (published, slot not zeroed yet) */
	uint64_t *dst = (uint64_t *)cap_statsf_totals(base, !cur);
	const uint64_t *src = (const uint64_t *)cap_statsf_totals(base, cur);
	const uint64_t *sd = (const uint64_t *)cap_statsf_data(base, k);
	for (size_t i = 0; i < CAP_STATS_DATA_WORDS; i++)
		dst[i] = src[i] + sd[i];
	__atomic_store_n(&h->fold_word, CAP_FOLD_WORD(CAP_FOLD_GEN(w) + 1, k + 1, !cur),
			 __ATOMIC_SEQ_CST);
	cr_assert_eq(view()->d.c.queries, 7100, "the excluded slot is not counted twice");
	/* the next fold finishes the job */
	cr_assert_eq(cap_statsf_fold_dead(base), 0);
	cr_assert_eq(cap_statsf_slot(base, k)->owner, 0, "slot freed");
	cr_assert_eq(CAP_FOLD_EXCL(h->fold_word), 0);
	cap_stats_view *v = view();
	cr_assert_eq(v->d.c.queries, 7100);
	cr_assert_eq(hist_count(&v->d.h[CAP_PATH_BYPASS]), 7100 / 5);
	munmap(base, CAP_STATS_FILE_SIZE);
}

Test(stats, robust_mutex_owner_killed)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	pid_t dead = spawn_recorder(1000, 0);
	kill9(dead);
	void *base = wmap();
	cap_stats_hdr *h = cap_statsf_hdr(base);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		cap_plock_acquire(&h->lock, 0, NULL);
		char c = 'x';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char c;
	cr_assert_eq(read(fds[0], &c, 1), 1);
	kill9(pid);
	cr_assert_eq(cap_statsf_fold_dead(base), 1, "the lock is recovered and the fold done");
	cr_assert_eq(view()->d.c.queries, 1000);
	cr_assert_eq(cap_statsf_reset(base), CAP_OK);
	cr_assert_eq(view()->d.c.queries, 0);
	munmap(base, CAP_STATS_FILE_SIZE);
}

/* ---- gauges ---------------------------------------------------------------------------- */

Test(stats, gauges_l1_per_process_l2_global)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	cap_stats_l1(3, 300);
	cap_stats_l2(10, 1000);
	cap_stats_l2(20, 2000); /* absolute */
	pid_t pid = spawn_recorder(5, 4); /* inherits 3, adds 4 */
	cap_stats_view *v = view();
	cr_assert_eq(v->g.l1_entries, 3 + 7);
	cr_assert_eq(v->g.l1_bytes, 300 + 700);
	cr_assert_eq(v->g.l2_entries, 20);
	cr_assert_eq(v->g.l2_bytes, 2000);
	cr_assert_eq(v->g.entries, 30);
	cr_assert_eq(v->procs, 2);
	kill9(pid);
	v = view();
	cr_assert_eq(v->g.l1_entries, 3, "a dead process's L1 is dropped");
	void *base = wmap();
	cap_statsf_fold_dead(base);
	v = view();
	cr_assert_eq(v->g.l1_entries, 3, "and not folded");
	cap_stats_l1(-3, -300);
	cr_assert_eq(view()->g.l1_entries, 0);
	munmap(base, CAP_STATS_FILE_SIZE);
}

/* ---- reset ----------------------------------------------------------------------------- */

static void *busy_writer(void *arg)
{
	uint64_t *n = arg;
	while (!__atomic_load_n(&readers_stop, __ATOMIC_RELAXED)) {
		rec_mix(5);
		__atomic_fetch_add(n, 5, __ATOMIC_RELAXED);
	}
	return NULL;
}

Test(stats, reset_with_concurrent_writers)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	rec_mix(1000);
	rec(CAP_PATH_HIT_L1, 500, 42);
	cap_stats_reader *r;
	char err[256];
	cr_assert_eq(cap_stats_reader_open(dir, 0, &r, err, sizeof(err)), CAP_OK);
	cr_assert_eq(cap_stats_reader_reset(r), CAP_EINVAL, "a read-only reader cannot reset");
	cap_stats_reader_close(r);
	cr_assert_eq(cap_stats_reader_open(dir, 1, &r, err, sizeof(err)), CAP_OK, "%s", err);
	cr_assert_eq(cap_stats_reader_reset(r), CAP_OK);
	cap_stats_view *v = view();
	cr_assert_eq(v->d.c.queries, 0);
	cr_assert_eq(hist_count(&v->d.h[CAP_PATH_HIT_L1]), 0);
	cr_assert_eq(v->d.h[CAP_PATH_HIT_L1].sum, 0);
	cr_assert_neq(v->reset_ns, 0);
	cap_stats_shape_info top[4];
	cr_assert_eq(cap_stats_reader_top(r, top, 4), 0, "shape counts zeroed");
	rec_mix(10);
	cr_assert_eq(view()->d.c.queries, 10);
	/* resets while another thread writes: never negative, never more than written */
	uint64_t written = 0;
	readers_stop = 0;
	pthread_t t;
	pthread_create(&t, NULL, busy_writer, &written);
	for (int i = 0; i < 50; i++) {
		cr_assert_eq(cap_stats_reader_reset(r), CAP_OK);
		v = view();
		cr_assert_leq(v->d.c.queries, __atomic_load_n(&written, __ATOMIC_RELAXED) + 10);
	}
	__atomic_store_n(&readers_stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_eq(cap_stats_reader_reset(r), CAP_OK);
	rec_mix(25);
	cr_assert_eq(view()->d.c.queries, 25);
	/* a process dying after a reset is folded without going negative */
	pid_t pid = spawn_recorder(100, 0);
	cr_assert_eq(cap_stats_reader_reset(r), CAP_OK);
	kill9(pid);
	cap_statsf_fold_dead(cap_stats_reader_base(r));
	cr_assert_eq(view()->d.c.queries, 0);
	cap_stats_reader_close(r);
}

/* ---- shapes ---------------------------------------------------------------------------- */

Test(stats, shapes_counts_text_and_overflow)
{
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	const char *sql = "SELECT name FROM users WHERE id = 424242 AND email = 'secret@x'";
	for (int i = 0; i < 90; i++) {
		cap_qrec q = { .path = i < 60 ? CAP_PATH_HIT_L1 : i < 80 ? CAP_PATH_MISS : CAP_PATH_BYPASS,
			       .reason = i < 80 ? CAP_REASON_none : CAP_REASON_volatile,
			       .is_read = 1, .ns = 1000 * (uint64_t)(i + 1), .shape = 0xabcdefull,
			       .sql = sql, .sql_len = strlen(sql), .dialect = CAP_DIALECT_PG };
		cap_stats_record(&q);
	}
	/* more distinct shapes than the table holds */
	for (uint64_t s = 1; s <= CAP_STATS_NSHAPES + 100; s++) {
		rec(CAP_PATH_MISS, 100, s * 0x10001ull);
		rec(CAP_PATH_MISS, 100, s * 0x10001ull);
	}
	cap_stats_reader *r;
	char err[256];
	cr_assert_eq(cap_stats_reader_open(dir, 0, &r, err, sizeof(err)), CAP_OK);
	static cap_stats_shape_info top[CAP_STATS_NSHAPES + 1];
	size_t n = cap_stats_reader_top(r, top, CAP_STATS_NSHAPES + 1);
	const cap_stats_shape_info *t = NULL;
	for (size_t i = 0; i < n; i++)
		if (top[i].key == 0xabcdefull)
			t = &top[i];
	cr_assert_not_null(t);
	cr_assert_eq(t->calls, 90);
	cr_assert_eq(t->hits, 60);
	cr_assert_eq(t->n[CAP_PATH_MISS], 20);
	cr_assert_eq(t->n[CAP_PATH_BYPASS], 10);
	cr_assert_eq(t->reason, CAP_REASON_volatile);
	cr_assert_eq(t->mean_ns, 45500);
	cr_assert(t->p99_ns >= 89000 * 15 / 16 && t->p99_ns <= 90000 * 17 / 16, "p99 %llu",
		  (unsigned long long)t->p99_ns);
	if (cap_sql_digest != NULL) {
		cr_assert_neq(t->text[0], '\0');
		cr_assert_null(strstr(t->text, "424242"), "no parameter values: %s", t->text);
		cr_assert_null(strstr(t->text, "secret"), "no parameter values: %s", t->text);
	}
	for (size_t i = 1; i < n; i++)
		cr_assert_geq(top[i - 1].calls, top[i].calls, "busiest first");
	uint64_t calls = 0;
	int other = 0;
	for (size_t i = 0; i < n; i++) {
		calls += top[i].calls;
		other |= top[i].other;
	}
	cr_assert_eq(calls, 90 + 2 * (CAP_STATS_NSHAPES + 100), "every call counted somewhere");
	cr_assert(other, "the overflow lands in the other bucket");
	cr_assert_eq(cap_stats_reader_top(r, top, 3), 3);
	cap_stats_reader_close(r);
}

/* ---- log ------------------------------------------------------------------------------- */

Test(stats, periodic_log_line)
{
	char logp[160];
	snprintf(logp, sizeof(logp), "%s/log", dir);
	cr_assert_eq(cap_log_setup(logp, CAP_LOG_WARN), CAP_OK);
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	cap_stats_set_log(1);
	cap_stats_set_log_interval(1000000); /* 1 ms */
	rec_mix(50);
	struct timespec ts = { 0, 30 * 1000000 };
	nanosleep(&ts, NULL);
	cap_stats_log_tick();
	cap_stats_log_tick(); /* not due again yet */
	cap_stats_set_log_interval(0);
	cap_stats_log_tick();
	FILE *f = fopen(logp, "r");
	cr_assert_not_null(f);
	char line[2048];
	int lines = 0;
	while (fgets(line, sizeof(line), f)) {
		lines++;
		cr_assert_not_null(strstr(line, "stats (interval): queries=50 "), "%s", line);
		cr_assert_not_null(strstr(line, "hit_l1 n=10 p50="), "%s", line);
	}
	fclose(f);
	cr_assert_eq(lines, 1);
}

/* ---- bad files ------------------------------------------------------------------------- */

static int reader_err(char *err, size_t cap)
{
	cap_stats_reader *r;
	int rc = cap_stats_reader_open(dir, 0, &r, err, cap);
	if (rc == CAP_OK)
		cap_stats_reader_close(r);
	return rc;
}

static void patch_header(size_t off, const void *val, size_t len)
{
	int fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, val, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* Run `capacitor stats ARGS` in a child; its stderr into *err; returns the exit status. */
static int run_cmd(const char *const *args, int nargs, char *errbuf, size_t cap)
{
	char outp[160], errp[160];
	snprintf(outp, sizeof(outp), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(o, 1);
		dup2(e, 2);
		char *argv[16];
		int argc = 0;
		argv[argc++] = (char *)"stats";
		argv[argc++] = (char *)"--dir";
		argv[argc++] = dir;
		for (int i = 0; i < nargs; i++)
			argv[argc++] = (char *)args[i];
		argv[argc] = NULL;
		int st = cap_cmd_stats(argc, argv);
		fflush(NULL);
		_exit(st);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the command crashed");
	FILE *f = fopen(errp, "r");
	errbuf[0] = '\0';
	size_t n = f ? fread(errbuf, 1, cap - 1, f) : 0;
	errbuf[n] = '\0';
	if (f)
		fclose(f);
	return WEXITSTATUS(st);
}

static int one_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	return nl != NULL && nl[1] == '\0';
}

Test(stats, missing_truncated_corrupt_newer)
{
	char err[512], out[1024];
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_EIO);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
	cr_assert_eq(run_cmd(NULL, 0, out, sizeof(out)), 1);
	cr_assert(one_line(out), "%s", out);

	cr_assert_eq(open_in_child(10), CAP_OK);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_OK);
	const char *json[] = { "--json", "--top", "3" };
	cr_assert_eq(run_cmd(json, 3, out, sizeof(out)), 0, "%s", out);
	const char *prom[] = { "--prometheus" };
	cr_assert_eq(run_cmd(prom, 1, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(run_cmd(NULL, 0, out, sizeof(out)), 0, "%s", out);

	/* newer version: refused by the reader and by a writer, and left alone */
	uint32_t ver = CAP_STATS_VERSION + 1;
	patch_header(offsetof(cap_stats_hdr, version), &ver, 4);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_EVERSION);
	cr_assert_not_null(strstr(err, "newer"), "%s", err);
	cr_assert_eq(run_cmd(NULL, 0, out, sizeof(out)), 1);
	cr_assert(one_line(out) && strstr(out, "newer"), "%s", out);
	cr_assert_eq(open_in_child(0), CAP_EVERSION, "a writer refuses a newer file");
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_EVERSION, "and does not rebuild it");

	/* bad magic */
	ver = CAP_STATS_VERSION;
	patch_header(offsetof(cap_stats_hdr, version), &ver, 4);
	uint64_t magic = 0x1122334455667788ull;
	patch_header(0, &magic, 8);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_ECORRUPT);
	cr_assert_not_null(strstr(err, "bad magic"), "%s", err);
	cr_assert_eq(run_cmd(NULL, 0, out, sizeof(out)), 1);
	cr_assert(one_line(out), "%s", out);
	/* garbage is rebuilt by a writer */
	struct stat st1, st2;
	stat(path, &st1);
	cr_assert_eq(open_in_child(5), CAP_OK, "a writer rebuilds garbage");
	stat(path, &st2);
	cr_assert_neq(st1.st_ino, st2.st_ino, "replaced by rename, not rewritten in place");
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_OK, "%s", err);
	cr_assert_eq(view()->d.c.queries, 5, "the rebuilt file starts from zero");

	/* truncated: inside the header and past it */
	cr_assert_eq(truncate(path, 100), 0);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_ECORRUPT);
	cr_assert_not_null(strstr(err, "truncated"), "%s", err);
	cr_assert_eq(run_cmd(NULL, 0, out, sizeof(out)), 1);
	cr_assert(one_line(out) && strstr(out, "truncated"), "%s", out);
	cr_assert_eq(truncate(path, CAP_STATS_FILE_SIZE / 2), 0);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_ECORRUPT);
	cr_assert_not_null(strstr(err, "truncated"), "%s", err);
	const char *jargs[] = { "--json" };
	cr_assert_eq(run_cmd(jargs, 1, out, sizeof(out)), 1);

	/* an empty file */
	cr_assert_eq(truncate(path, 0), 0);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_ECORRUPT);
	cr_assert_eq(run_cmd(NULL, 0, out, sizeof(out)), 1);
}

Test(stats, unsafe_files_refused)
{
	char err[512], target[160];
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	int fd = open(target, O_CREAT | O_WRONLY, 0600);
	close(fd);
	cr_assert_eq(symlink(target, path), 0);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_EUNSAFE);
	cr_assert_not_null(strstr(err, "symbolic link"), "%s", err);
	cr_assert_eq(open_in_child(0), CAP_EUNSAFE, "a writer refuses a symlink");
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	fchmod(fd, 0622);
	close(fd);
	cr_assert_eq(reader_err(err, sizeof(err)), CAP_EUNSAFE);
	cr_assert_not_null(strstr(err, "writable"), "%s", err);
	cr_assert_eq(cap_stats_open(dir), CAP_EUNSAFE);
	/* stats stay off and every call is a no-op */
	rec(CAP_PATH_HIT_L1, 1, 1);
}

Test(stats, cmd_usage_errors)
{
	char out[1024];
	const char *a1[] = { "--watch", "0" };
	cr_assert_eq(run_cmd(a1, 2, out, sizeof(out)), 2);
	const char *a2[] = { "--watch", "2s" };
	cr_assert_eq(run_cmd(a2, 2, out, sizeof(out)), 2);
	const char *a3[] = { "--top", "x" };
	cr_assert_eq(run_cmd(a3, 2, out, sizeof(out)), 2);
	const char *a4[] = { "--json", "--prometheus" };
	cr_assert_eq(run_cmd(a4, 2, out, sizeof(out)), 2);
	const char *a5[] = { "--nope" };
	cr_assert_eq(run_cmd(a5, 1, out, sizeof(out)), 2);
}

/* Shape texts are whatever bytes the programs' statements held: `capacitor stats --json` writes
 * well-formed UTF-8 through and replaces anything else with U+FFFD. Lead bytes 0xf5-0xff, an
 * overlong form and a surrogate used to be written through as three-byte sequences, which JSON
 * readers refuse (found by tests/fuzz/fuzz_stats). */
Test(stats, json_text_is_valid_utf8)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	json_str(out, "a\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf8\x88\x80 \xe0\x80\xaf \xed\xa0\x80 "
		      "\xf4\x90\x80\x80 \xc3");
	fclose(out);
	cr_assert_str_eq(buf, "\"a\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\ufffd\\ufffd\\ufffd "
			      "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd "
			      "\\ufffd\"");
	free(buf);
}

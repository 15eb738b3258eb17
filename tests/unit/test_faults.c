/*
 * test_faults.c - the shared files misbehave while the engine runs: truncated (SIGBUS must
 * never kill the process), deleted, replaced, restored in place (counters going back), a lock
 * word naming a live process that never lets go, the directory's init lock held by another
 * process. Each case must pass through (a miss, not stored) within a bound and then recover.
 */
#include "cache/disk.h"
#include "cache/engine.h"
#include "cache/fault.h"
#include "cache/gen.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[256];

static void rm_rf(const char *d)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		cr_log_warn("rm failed");
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cap-test-faults-%d", (int)getpid());
	rm_rf(dir);
}

static void teardown(void)
{
	rm_rf(dir);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 30);

static int grab(void *ctx, const void *val, size_t len)
{
	(void)ctx;
	(void)val;
	(void)len;
	return 0;
}

static cap_engine *open_eng(uint64_t mem, uint64_t disk)
{
	cap_engine_conf c = { .dir = dir, .mem_bytes = mem, .disk_bytes = disk };
	cap_engine *e = NULL;
	cr_assert_eq(cap_engine_open(&c, &e), CAP_OK);
	cr_assert_not_null(e);
	return e;
}

static void mkkey(cap_keymat *km, unsigned char *buf, size_t cap, cap_key *k, const char *s)
{
	cap_keymat_init(km, buf, cap);
	cap_keymat_add(km, s, strlen(s));
	cr_assert_eq(cap_keymat_finish(km, k), CAP_OK);
}

static int put(cap_engine *e, const char *key, const char *table)
{
	unsigned char kb[128];
	cap_keymat km;
	cap_key k;
	cap_deps d;
	mkkey(&km, kb, sizeof(kb), &k, key);
	cap_engine_deps_begin(e, &d, 42);
	cr_assert_eq(cap_engine_deps_table(e, &d, table, strlen(table)), CAP_OK);
	int rc = cap_engine_put(e, &k, &d, 0, "value", 5);
	cap_keymat_done(&km);
	return rc;
}

static int get(cap_engine *e, const char *key)
{
	unsigned char kb[128];
	cap_keymat km;
	cap_key k;
	mkkey(&km, kb, sizeof(kb), &k, key);
	int rc = cap_engine_get(e, &k, grab, NULL);
	cap_keymat_done(&km);
	return rc;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void path_of(char *p, size_t cap, const char *name)
{
	snprintf(p, cap, "%s/%s", dir, name);
}

static ino_t ino_of(const char *name)
{
	char p[512];
	struct stat st;
	path_of(p, sizeof(p), name);
	return stat(p, &st) == 0 ? st.st_ino : 0;
}

static void truncate_file(const char *name)
{
	char p[512];
	path_of(p, sizeof(p), name);
	cr_assert_eq(truncate(p, 0), 0);
}

Test(faults, gen_truncated_is_a_miss_then_rebuilt)
{
	cap_engine *e = open_eng(1 << 20, 1 << 20);
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L1);
	truncate_file(CAP_GEN_FILE);
	/* the hit path reads the truncated table: a bus error, recovered as zeros: a miss */
	cr_assert_eq(get(e, "k"), CAP_MISS);
	cr_assert(cap_fault_count() > 0);
	/* the next miss notices, builds a new table and caches again */
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L1);
	cap_engine_usage_t u;
	cap_engine_usage(e, &u);
	cr_assert(u.gen_shared);
	sleep_ms(300);
	(void)get(e, "k"); /* the periodic check re-opens L2 for the new table */
	cap_engine_usage(e, &u);
	cr_assert(u.gen_shared && u.l2_on);
	cap_engine_close(e);
}

Test(faults, l2_truncated_is_a_miss_then_reopened)
{
	cap_engine *e = open_eng(0, 1 << 20);
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L2);
	truncate_file(CAP_L2_FILE);
	cr_assert_eq(get(e, "k"), CAP_MISS);
	(void)put(e, "k2", "t"); /* writes into the dead mapping's zeros: harmless */
	sleep_ms(300);
	cr_assert_eq(get(e, "k"), CAP_MISS); /* periodic check: L2 re-opened (rebuilt) */
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L2);
	cap_engine_close(e);
}

/* The process died of the bus error as it would have without Capacitor. Under AddressSanitizer
 * its own SIGBUS handler reports the fault and exits non-zero instead (3 is the test's own
 * setup failure). */
static int died_of_sigbus(int st)
{
#ifdef __SANITIZE_ADDRESS__
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 3)
		return 1;
#endif
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS;
}

Test(faults, foreign_sigbus_still_kills)
{
	pid_t pid = fork();
	if (pid == 0) {
		cap_engine *e = open_eng(1 << 20, 1 << 20);
		(void)e;
		char p[512];
		path_of(p, sizeof(p), "foreign");
		int fd = open(p, O_CREAT | O_RDWR, 0600);
		if (fd < 0 || ftruncate(fd, 4096) != 0)
			_exit(3);
		volatile char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED || ftruncate(fd, 0) != 0)
			_exit(3);
		m[0] = 1;
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(died_of_sigbus(st), "status %d", st);
}

static volatile sig_atomic_t program_handler_ran;
static void program_handler(int sig)
{
	(void)sig;
	program_handler_ran = 1;
}

Test(faults, program_sigbus_handler_chained)
{
	signal(SIGBUS, program_handler);
	cap_engine *e = open_eng(1 << 20, 1 << 20);
	raise(SIGBUS);
	cr_assert(program_handler_ran);
	cap_engine_close(e);
}

/* A handler the program installs after ours (Python's faulthandler.enable() after the first
 * query): the next miss, a second later, puts ours back; a truncated table is then still a
 * miss, not a death, and a SIGBUS from elsewhere still reaches the program's handler. */
static volatile sig_atomic_t late_ran;
static void late_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code > 0)
		_exit(99); /* a fault reached the program: ours was not consulted */
	late_ran = 1;
}

Test(faults, program_handler_installed_later_is_taken_back)
{
	pid_t pid = fork();
	if (pid == 0) {
		cap_engine *e = open_eng(1 << 20, 1 << 20);
		if (put(e, "k", "t") != CAP_OK)
			_exit(3);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = late_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
		sleep_ms(1100);
		(void)put(e, "k2", "t"); /* a miss: the disposition is looked at */
		truncate_file(CAP_GEN_FILE);
		if (get(e, "k") != CAP_MISS)
			_exit(4);
		raise(SIGBUS);
		_exit(late_ran ? 0 : 5);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d (99: the program's handler "
		  "got our fault)", st);
}

/* A program handler that hands over the way faulthandler does (put the previous handler,
 * ours, back and raise again) ends in the default action, not a loop. */
static struct sigaction handed_prev;
static void handing_handler(int sig)
{
	sigaction(sig, &handed_prev, NULL);
	raise(sig);
}

Test(faults, program_handler_handing_back_still_dies)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		cap_engine *e = open_eng(1 << 20, 1 << 20);
		if (put(e, "k", "t") != CAP_OK)
			_exit(3);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handing_handler;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, &handed_prev);
		sleep_ms(1100);
		(void)put(e, "k2", "t");
		raise(SIGBUS);
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(died_of_sigbus(st), "status %d", st);
}

/* chmod g+w of the directory or of gen while a process runs: the processes that start now
 * refuse it and go private (their writes bump nothing shared), so the running one must stop
 * serving shared entries too at its next miss; and share again once the mode is safe. */
static void chmod_goes_private(const char *name, mode_t bad, mode_t good)
{
	cap_engine *e = open_eng(1 << 20, 1 << 20);
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L1);
	char p[512];
	if (name)
		path_of(p, sizeof(p), name);
	else
		snprintf(p, sizeof(p), "%s", dir);
	cr_assert_eq(chmod(p, bad), 0);
	(void)put(e, "k2", "t"); /* a miss */
	cr_assert_eq(get(e, "k"), CAP_MISS, "%s mode %o: a shared entry still served", p, bad);
	cap_engine_usage_t u;
	cap_engine_usage(e, &u);
	cr_assert(!u.gen_shared && !u.l2_on);
	cr_assert_neq(put(e, "k", "t"), CAP_OK, "private: no entry without a TTL");
	cr_assert_eq(chmod(p, good), 0);
	sleep_ms(1100);
	(void)put(e, "k3", "t");
	cap_engine_usage(e, &u);
	cr_assert(u.gen_shared, "shared again once the mode is safe");
	cap_engine_close(e);
}

Test(faults, dir_chmod_goes_private)
{
	chmod_goes_private(NULL, 0770, 0700);
}

Test(faults, gen_chmod_goes_private)
{
	chmod_goes_private(CAP_GEN_FILE, 0620, 0600);
}

/* chmod g+w of l2.cache while a process runs: others may now write entries into it, and the
 * processes that start now refuse it; the running one must stop serving from it too, at the
 * next periodic check (it used to compare only the file's identity and size). */
Test(faults, l2_chmod_stops_serving_it)
{
	cap_engine *e = open_eng(1 << 20, 1 << 20);
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cap_engine_clear_local(e);
	cr_assert_eq(get(e, "k"), CAP_HIT_L2);
	cap_engine_clear_local(e);
	char p[512];
	path_of(p, sizeof(p), CAP_L2_FILE);
	cr_assert_eq(chmod(p, 0620), 0);
	sleep_ms(300);
	(void)put(e, "k2", "t"); /* runs the periodic check */
	cr_assert_neq(get(e, "k"), CAP_HIT_L2, "an entry served from a group-writable l2.cache");
	cap_engine_usage_t u;
	cap_engine_usage(e, &u);
	cr_assert(!u.l2_on, "L2 still on over a group-writable file");
	cr_assert(u.gen_shared, "the generation table is not concerned");
	cap_engine_close(e);
}

/* A CAPACITOR_DIR on disk across a reboot: CLOCK_MONOTONIC started again, so expiry times
 * stored before are meaningless. A table recording another boot is rebuilt, and the L2
 * entries recorded against it are gone with its nonce (l2.cache records the boot too). */
Test(faults, table_of_another_boot_is_rebuilt)
{
	cap_engine *e = open_eng(0, 1 << 20);
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L2);
	cap_engine_close(e);
	ino_t was = ino_of(CAP_GEN_FILE);
	char p[512];
	path_of(p, sizeof(p), CAP_GEN_FILE);
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	uint64_t other = 0x0123456789abcdefull;
	cr_assert_eq(pwrite(fd, &other, sizeof(other), offsetof(cap_gen_hdr, boot)),
		     (ssize_t)sizeof(other));
	close(fd);
	e = open_eng(0, 1 << 20);
	cr_assert_eq(get(e, "k"), CAP_MISS, "an entry of another boot was served");
	cr_assert_neq(ino_of(CAP_GEN_FILE), was, "the table of another boot was kept");
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L2);
	cap_engine_close(e);
}

/* A process in another time namespace (its CLOCK_MONOTONIC offset) must not share a table
 * whose L2 entries carry expiry times of the other clock: it refuses it and goes private. */
Test(faults, other_time_namespace_does_not_share)
{
	cap_engine *e = open_eng(0, 1 << 20);
	cr_assert_eq(put(e, "k", "t"), CAP_OK);
	cr_assert_eq(get(e, "k"), CAP_HIT_L2);
	cap_engine_close(e);
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWTIME) != 0)
			_exit(77);
		int fd = open("/proc/self/timens_offsets", O_WRONLY);
		if (fd < 0 || write(fd, "monotonic -3600 0", 17) != 17)
			_exit(77);
		close(fd);
		pid_t c = fork(); /* the children enter the new namespace */
		if (c == 0) {
			cap_engine *e2 = open_eng(0, 1 << 20);
			cap_engine_usage_t u;
			cap_engine_usage(e2, &u);
			_exit(get(e2, "k") == CAP_MISS && !u.gen_shared ? 0 : 1);
		}
		int st;
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
			_exit(2);
		_exit(WEXITSTATUS(st));
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		cr_log_warn("no time namespaces here: skipped");
		return;
	}
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "status %d: a process of another time namespace shared the table", st);
}

Test(faults, gen_deleted_noticed_on_next_miss)
{
	cap_engine *a = open_eng(1 << 20, 1 << 20);
	cr_assert_eq(put(a, "k", "t"), CAP_OK);
	char p[512];
	path_of(p, sizeof(p), CAP_GEN_FILE);
	cr_assert_eq(unlink(p), 0);
	cap_engine *b = open_eng(1 << 20, 1 << 20); /* builds a new table */
	cap_engine_bump_table(b, "t", 1);           /* ... and writes through it */
	/* a's next miss notices that its table is not the directory's: k is gone */
	cap_deps d;
	cap_engine_deps_begin(a, &d, 42);
	cr_assert_eq(get(a, "k"), CAP_MISS);
	cr_assert_eq(put(a, "k", "t"), CAP_OK);
	cap_engine_bump_table(b, "t", 1);
	cr_assert_eq(get(a, "k"), CAP_MISS); /* a and b share the new table */
	cap_engine_close(a);
	cap_engine_close(b);
}

Test(faults, gen_replaced_noticed_by_hits_alone)
{
	cap_engine *a = open_eng(1 << 20, 0);
	cr_assert_eq(put(a, "k", "t"), CAP_OK);
	char p[512];
	path_of(p, sizeof(p), CAP_GEN_FILE);
	cr_assert_eq(unlink(p), 0);
	cap_engine *b = open_eng(1 << 20, 0);
	cap_engine_bump_table(b, "t", 1);
	sleep_ms(300);
	cr_assert_eq(get(a, "k"), CAP_MISS); /* within a bounded time, with no miss at all */
	cap_engine_close(a);
	cap_engine_close(b);
}

Test(faults, gen_restored_in_place_treated_as_new)
{
	cap_engine *a = open_eng(1 << 20, 1 << 20);
	char p[512];
	path_of(p, sizeof(p), CAP_GEN_FILE);
	size_t n = CAP_GEN_FILE_SIZE;
	char *saved = malloc(n);
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, saved, n, 0), (ssize_t)n);
	ino_t before = ino_of(CAP_GEN_FILE);
	cap_engine_bump_table(a, "t", 1);
	sleep_ms(300);
	cr_assert_eq(get(a, "nothing"), CAP_MISS); /* the periodic check saw the bump */
	cr_assert_eq(put(a, "k", "t"), CAP_OK);
	cr_assert_eq(get(a, "k"), CAP_HIT_L1);
	/* a backup restored over the file: t's counter goes back */
	cr_assert_eq(pwrite(fd, saved, n, 0), (ssize_t)n);
	close(fd);
	sleep_ms(300);
	cr_assert_eq(get(a, "k"), CAP_MISS);
	cr_assert_neq(ino_of(CAP_GEN_FILE), before, "a new table replaces the rewound one");
	cr_assert_eq(put(a, "k", "t"), CAP_OK);
	cr_assert_eq(get(a, "k"), CAP_HIT_L1);
	free(saved);
	cap_engine_close(a);
}

/* The same restore while no process runs that could see the counters go back: an entry of
 * l2.cache made stale by the bump the copy predates must not come back. l2.cache records the
 * highest bump count seen; the restored table counts fewer: a new table, L2 dropped. */
Test(faults, gen_restored_while_nobody_ran_treated_as_new)
{
	char p[512];
	path_of(p, sizeof(p), CAP_GEN_FILE);
	cap_engine *a = open_eng(0, 1 << 20);
	size_t n = CAP_GEN_FILE_SIZE;
	char *saved = malloc(n);
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, saved, n, 0), (ssize_t)n);
	cr_assert_eq(put(a, "k", "t"), CAP_OK);
	cr_assert_eq(get(a, "k"), CAP_HIT_L2);
	cap_engine_bump_table(a, "t", 1);
	cr_assert_eq(get(a, "k"), CAP_MISS);
	sleep_ms(300);
	(void)get(a, "nothing"); /* a periodic check: l2.cache records the bump count */
	cap_engine_close(a);
	cr_assert_eq(pwrite(fd, saved, n, 0), (ssize_t)n);
	close(fd);
	free(saved);
	cap_engine *b = open_eng(0, 1 << 20);
	cr_assert_eq(get(b, "k"), CAP_MISS, "an entry made stale before the restore came back");
	cr_assert_eq(put(b, "k", "t"), CAP_OK);
	cr_assert_eq(get(b, "k"), CAP_HIT_L2);
	cap_engine_close(b);
}

/* set every L2 region's lock word to pid, as a process that never lets go would leave it */
static void poison_l2_locks(int pid)
{
	char p[512];
	path_of(p, sizeof(p), CAP_L2_FILE);
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	cap_l2_hdr h;
	cr_assert_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	unsigned char *m = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert(m != MAP_FAILED);
	for (uint32_t r = 0; r < h.nregions; r++) {
		cap_l2_region *g = (cap_l2_region *)(m + h.regions_off) + r;
		__atomic_store_n(&g->lock, (uint32_t)pid, __ATOMIC_SEQ_CST);
	}
	munmap(m, h.file_size);
	close(fd);
}

Test(faults, l2_lock_held_by_live_process_is_bounded)
{
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with the test, whatever it asserts */
		pause();
		_exit(0);
	}
	cap_engine *e = open_eng(0, 1 << 20);
	poison_l2_locks(child);
	uint64_t t0 = now_ms();
	(void)put(e, "k", "t");
	uint64_t t1 = now_ms();
	for (int i = 0; i < 200; i++) /* then only tried: 200 waits of 20 ms would be 4 s */
		(void)put(e, "k2", "t");
	uint64_t t2 = now_ms();
	/* bounds far above the waits (20 ms, then none), so a loaded machine cannot fail them */
	cr_assert_lt(t1 - t0, 5000, "first put waited %llu ms", (unsigned long long)(t1 - t0));
	cr_assert_lt(t2 - t1, 2000, "200 more puts took %llu ms", (unsigned long long)(t2 - t1));
	cr_assert_eq(get(e, "k"), CAP_MISS); /* passed through: not stored */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	cap_engine_close(e);
}

Test(faults, dir_lock_held_is_bounded)
{
	cr_assert_eq(mkdir(dir, 0700), 0);
	int rd[2];
	cr_assert_eq(pipe(rd), 0);
	pid_t child = fork();
	if (child == 0) {
		char p[512];
		path_of(p, sizeof(p), "lock");
		int fd = open(p, O_CREAT | O_RDWR, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(3);
		if (write(rd[1], "x", 1) != 1)
			_exit(3);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with the test, whatever it asserts */
		pause();
		_exit(0);
	}
	char c;
	cr_assert_eq(read(rd[0], &c, 1), 1);
	uint64_t t0 = now_ms();
	cap_engine *e = open_eng(1 << 20, 1 << 20);
	uint64_t t1 = now_ms();
	cr_assert_lt(t1 - t0, 5000, "open waited %llu ms (the wait is 200 ms)", (unsigned long long)(t1 - t0));
	cap_engine_usage_t u;
	cap_engine_usage(e, &u);
	cr_assert(!u.gen_shared);
	cr_assert_eq(put(e, "k", "t"), CAP_EOFF); /* no shared invalidation: nothing kept */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	sleep_ms(1100);
	cr_assert_eq(get(e, "k"), CAP_MISS);
	cr_assert_eq(put(e, "k", "t"), CAP_OK); /* re-attached on a later check */
	cap_engine_usage(e, &u);
	cr_assert(u.gen_shared);
	cap_engine_close(e);
}

#include "cache/stats.h"
#include "cache/stats_file.h"

static void record_some(int n)
{
	for (int i = 0; i < n; i++) {
		cap_qrec r = { .path = CAP_PATH_HIT_L1, .is_read = 1, .ns = 1000, .shape = 7 };
		cap_stats_record(&r);
		cap_stats_event(CAP_EV_FILL_L1, 1);
	}
}

Test(faults, stats_truncated_while_recording)
{
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	record_some(10);
	truncate_file("stats");
	record_some(10); /* bus errors, recovered */
	cr_assert(cap_fault_count() > 0);
	cap_stats_log_now();
}

Test(faults, stats_fold_lock_held_by_live_process_is_bounded)
{
	cr_assert_eq(mkdir(dir, 0700), 0);
	pid_t child = fork();
	if (child == 0) {
		if (cap_stats_open(dir) != CAP_OK)
			_exit(3);
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with the test, whatever it asserts */
		pause();
		_exit(0);
	}
	char p[512];
	path_of(p, sizeof(p), "stats");
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	cap_stats_hdr *h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert(h != MAP_FAILED);
	__atomic_store_n(&h->lock, (uint32_t)child, __ATOMIC_SEQ_CST);
	uint64_t t0 = now_ms();
	cr_assert_eq(cap_stats_open(dir), CAP_OK);
	record_some(3);
	cr_assert_lt(now_ms() - t0, 5000); /* the fold lock's wait is 100 ms */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	munmap(h, sizeof(*h));
	close(fd);
}

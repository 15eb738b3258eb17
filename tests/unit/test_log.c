/*
 * test_log.c - the log never reaches the host's stderr unless asked, its default file stays
 * bounded, and warnings are counted.
 */
#include "cache/cap.h"
#include "cache/log.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cap-test-log-%d", (int)getpid());
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("rm failed");
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("rm failed");
}

TestSuite(log, .init = setup, .fini = teardown);

/* stderr_size - run fn with stderr sent to a file; the bytes it wrote there */
static off_t stderr_size(void (*fn)(void))
{
	char p[300];
	snprintf(p, sizeof(p), "%s.err", dir);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	int saved = dup(2);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	struct stat st;
	fstat(fd, &st);
	close(fd);
	unlink(p);
	return st.st_size;
}

static void log_some(void)
{
	cap_log(CAP_LOG_ERROR, "an error");
	cap_log(CAP_LOG_WARN, "a warning");
}

Test(log, nothing_on_stderr_by_default)
{
	cr_assert_eq(stderr_size(log_some), 0, "no destination yet: lines are dropped");
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(cap_log_setup_dir(dir, CAP_LOG_WARN), CAP_OK);
	cr_assert_eq(stderr_size(log_some), 0, "the default file, not stderr");
	char p[300];
	snprintf(p, sizeof(p), "%s/%s", dir, CAP_LOG_FILE);
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_gt(st.st_size, 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(cap_log_setup("stderr", CAP_LOG_WARN), CAP_OK);
	cr_assert_gt(stderr_size(log_some), 0, "stderr when the user asks for it");
}

Test(log, default_file_is_bounded)
{
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(cap_log_setup_dir(dir, CAP_LOG_WARN), CAP_OK);
	char p[300];
	snprintf(p, sizeof(p), "%s/%s", dir, CAP_LOG_FILE);
	struct stat st;
	for (int i = 0; i < 30000; i++) {
		cap_log(CAP_LOG_WARN, "%0100d", i);
		cr_assert_eq(stat(p, &st), 0);
		cr_assert_leq(st.st_size, (off_t)CAP_LOG_MAX + 1024, "log grew to %lld bytes",
			      (long long)st.st_size);
	}
}

Test(log, warnings_counted)
{
	uint64_t n = 0;
	log_some(); /* before a counter: kept pending */
	cap_log_count_into(&n);
	cr_assert_eq(n, 2);
	cap_log(CAP_LOG_INFO, "not a warning");
	cap_log(CAP_LOG_WARN, "one more");
	cr_assert_eq(n, 3);
	cap_log_count_into(NULL);
}

Test(log, unsafe_log_file_refused)
{
	cr_assert_eq(mkdir(dir, 0700), 0);
	char p[300];
	snprintf(p, sizeof(p), "%s/%s", dir, CAP_LOG_FILE);
	int fd = open(p, O_CREAT | O_WRONLY, 0666);
	cr_assert(fd >= 0);
	fchmod(fd, 0666);
	close(fd);
	cr_assert_eq(cap_log_setup_dir(dir, CAP_LOG_WARN), CAP_EUNSAFE);
}

/* A CAPACITOR_LOG that names a FIFO nobody reads must not hang the host at start-up (a
 * blocking open waits for a reader forever), and a FIFO is never a log file. */
Test(log, fifo_refused_without_hanging, .timeout = 5)
{
	cr_assert_eq(mkdir(dir, 0700), 0);
	char p[300];
	snprintf(p, sizeof(p), "%s/fifo", dir);
	cr_assert_eq(mkfifo(p, 0600), 0);
	cr_assert_neq(cap_log_setup(p, CAP_LOG_WARN), CAP_OK);
	int rd = open(p, O_RDONLY | O_NONBLOCK); /* with a reader: still no log file */
	cr_assert(rd >= 0);
	cr_assert_eq(cap_log_setup(p, CAP_LOG_WARN), CAP_EUNSAFE);
	close(rd);
}

/* A CAPACITOR_LOG file that others may write is refused, and one that becomes so later gets
 * no more lines. */
Test(log, unsafe_user_log_refused)
{
	cr_assert_eq(mkdir(dir, 0700), 0);
	char p[300];
	snprintf(p, sizeof(p), "%s/mylog", dir);
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(fchmod(fd, 0666), 0);
	cr_assert_eq(cap_log_setup(p, CAP_LOG_WARN), CAP_EUNSAFE);
	cr_assert_eq(fchmod(fd, 0600), 0);
	cr_assert_eq(cap_log_setup(p, CAP_LOG_WARN), CAP_OK);
	log_some();
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_gt(st.st_size, 0);
	off_t was = st.st_size;
	cr_assert_eq(fchmod(fd, 0622), 0);
	log_some();
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_size, was, "group/other-writable now: no more lines");
	close(fd);
}

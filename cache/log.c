/*
 * log.c - one-line log messages to a bounded file (see log.h).
 *
 * The state is a few integers written at setup (before any thread can log through us in
 * practice) and read with relaxed atomics afterwards. Formatting goes into a stack buffer and
 * out with one write(2), so concurrent lines never interleave and no allocation happens.
 * Bounding: before a line goes out, fstat(2) tells the file's size; over CAP_LOG_MAX, the file
 * is emptied (ftruncate; every process writes with O_APPEND, so all carry on at the new end).
 * Logging is rare (warnings are rate-limited by their callers), so the extra system call costs
 * nothing that matters.
 */
#include "cache/log.h"
#include "cache/cap.h"
#include "cache/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int log_fd = -1;
static int log_is_file;
static int log_level = CAP_LOG_WARN;
static uint64_t *warn_counter;
static uint64_t warn_pending;

const char *cap_strerror(int err)
{
	switch (err) {
	case CAP_OK: return "success";
	case CAP_ENOMEM: return "out of memory";
	case CAP_EIO: return "I/O error on a shared file";
	case CAP_ECORRUPT: return "corrupt data";
	case CAP_EINVAL: return "invalid argument";
	case CAP_ETOOBIG: return "too large";
	case CAP_EUNSAFE: return "unsafe ownership or permissions";
	case CAP_EOFF: return "feature switched off";
	case CAP_EVERSION: return "incompatible format version";
	default: return "unknown error";
	}
}

static void use_fd(int fd, int is_file)
{
	int old = __atomic_exchange_n(&log_fd, fd, __ATOMIC_ACQ_REL);
	__atomic_store_n(&log_is_file, is_file, __ATOMIC_RELAXED);
	if (old > 2)
		close(old);
}

int cap_log_setup(const char *path, enum cap_log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
	if (path == NULL || path[0] == '\0')
		return CAP_OK;
	if (strcmp(path, "stderr") == 0) {
		use_fd(2, 0);
		return CAP_OK;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return CAP_EIO;
	use_fd(fd, 1);
	return CAP_OK;
}

int cap_log_setup_dir(const char *dir, enum cap_log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
	int dfd = cap_dir_open(dir);
	if (dfd < 0)
		return dfd;
	int fd = cap_file_open(dfd, CAP_LOG_FILE, O_CREAT | O_APPEND);
	close(dfd);
	if (fd < 0)
		return fd;
	use_fd(fd, 1);
	return CAP_OK;
}

int cap_log_enabled(enum cap_log_level level)
{
	return (int)level <= __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int cap_log_fd(void)
{
	return __atomic_load_n(&log_fd, __ATOMIC_RELAXED);
}

void cap_log_count_into(uint64_t *counter)
{
	if (counter) {
		uint64_t n = __atomic_exchange_n(&warn_pending, 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&warn_counter, counter, __ATOMIC_RELEASE);
}

void cap_log_write(const char *line, unsigned long len)
{
	int fd = cap_log_fd();
	if (fd < 0)
		return;
	struct stat st;
	if (__atomic_load_n(&log_is_file, __ATOMIC_RELAXED) && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > (off_t)CAP_LOG_MAX) {
		int r = ftruncate(fd, 0);
		(void)r;
	}
	ssize_t w = write(fd, line, len);
	(void)w;
}

void cap_log(enum cap_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (level <= CAP_LOG_WARN) {
		uint64_t *c = __atomic_load_n(&warn_counter, __ATOMIC_ACQUIRE);
		__atomic_fetch_add(c ? c : &warn_pending, 1, __ATOMIC_RELAXED);
	}
	if (!cap_log_enabled(level))
		return;
	int saved = errno;
	char line[1024];
	int n = snprintf(line, sizeof(line), "capacitor[%ld]: %s: ", (long)getpid(),
			 names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	cap_log_write(line, len);
	errno = saved;
}

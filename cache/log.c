/*
 * log.c - one-line log messages to a bounded file (see log.h).
 *
 * The state is written at setup (before any thread can log through us in practice) and read
 * with atomics afterwards. Formatting goes into a stack buffer and out with one write(2), so
 * concurrent lines never interleave and no allocation happens. A log file is opened for each
 * line and closed again: no descriptor of ours lives in the host between lines, where the host
 * could close it and reuse its number. Bounding: fstat(2) tells the file's size; over
 * CAP_LOG_MAX, the file is emptied (ftruncate; every process writes with O_APPEND, so all
 * carry on at the new end). Logging is rare (warnings are rate-limited by their callers), so
 * the extra system calls cost nothing that matters.
 */
#include "cache/log.h"
#include "cache/cap.h"
#include "cache/shmfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Destination: none (lines dropped), stderr, or a file opened anew for each line. */
enum { DEST_NONE = 0, DEST_STDERR = 1, DEST_FILE = 2 };
static int log_dest;
static int log_level = CAP_LOG_WARN;
static char log_path[PATH_MAX];
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

/* use_file - log to path from now on (set before the host's threads log through us). */
static void use_file(const char *path)
{
	__atomic_store_n(&log_dest, DEST_NONE, __ATOMIC_RELEASE);
	snprintf(log_path, sizeof(log_path), "%s", path);
	__atomic_store_n(&log_dest, DEST_FILE, __ATOMIC_RELEASE);
}

/* open_log - open path for one append (st: its fstat). The file rules of cache/shmfile: a
 * regular file (a FIFO or device could block, or feed another program), ours, and writable by
 * nobody else (another user's file, or one anybody can replace the content of, must not
 * receive our lines); O_NONBLOCK so that a FIFO without a reader fails at once (ENXIO)
 * instead of hanging the host. An fd, or a CAP_* code. */
static int open_log(const char *path, int flags, struct stat *st)
{
	return cap_shm_open(AT_FDCWD, path, O_WRONLY | O_APPEND | O_NONBLOCK | flags, st, NULL, 0);
}

int cap_log_setup(const char *path, enum cap_log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
	if (path == NULL || path[0] == '\0')
		return CAP_OK;
	if (strcmp(path, "stderr") == 0) {
		__atomic_store_n(&log_dest, DEST_STDERR, __ATOMIC_RELEASE);
		return CAP_OK;
	}
	if (strlen(path) >= sizeof(log_path))
		return CAP_EINVAL;
	int fd = open_log(path, O_CREAT, NULL);
	if (fd < 0)
		return fd;
	close(fd);
	use_file(path);
	return CAP_OK;
}

int cap_log_setup_dir(const char *dir, enum cap_log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
	char path[PATH_MAX];
	if (!dir || snprintf(path, sizeof(path), "%s/%s", dir, CAP_LOG_FILE) >= (int)sizeof(path))
		return CAP_EINVAL;
	int dfd = cap_dir_open(dir);
	if (dfd < 0)
		return dfd;
	int fd = cap_file_open(dfd, CAP_LOG_FILE, O_CREAT | O_APPEND);
	close(dfd);
	if (fd < 0)
		return fd;
	close(fd);
	use_file(path);
	return CAP_OK;
}

int cap_log_enabled(enum cap_log_level level)
{
	return (int)level <= __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

void cap_log_count_into(uint64_t *counter)
{
	if (counter) {
		uint64_t n = __atomic_exchange_n(&warn_pending, 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&warn_counter, counter, __ATOMIC_RELEASE);
}

long cap_write_nopipe(int fd, const void *buf, unsigned long len)
{
	sigset_t pipe_only, old, pending;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_only, &old) != 0)
		return -1; /* cannot write without risking the host: say nothing */
	int was_pending = sigpending(&pending) != 0 || sigismember(&pending, SIGPIPE);
	ssize_t w = write(fd, buf, len);
	int e = errno;
	if (w < 0 && e == EPIPE && !was_pending) {
		/* the SIGPIPE our write raised (thread-directed, pending while blocked) */
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return (long)w;
}

void cap_log_write(const char *line, unsigned long len)
{
	int dest = __atomic_load_n(&log_dest, __ATOMIC_ACQUIRE);
	if (dest == DEST_STDERR) {
		(void)cap_write_nopipe(2, line, len);
		return;
	}
	if (dest != DEST_FILE)
		return;
	/* opened for this line only: a descriptor kept open could be closed by the host (a
	 * daemon closing every descriptor) and its number reused for one of the host's files */
	struct stat st;
	int fd = open_log(log_path, 0, &st);
	if (fd < 0)
		return;
	if (st.st_size > (off_t)CAP_LOG_MAX) {
		int r = ftruncate(fd, 0);
		(void)r;
		st.st_size = 0;
	}
	/* past the file-size limit, write(2) would raise SIGXFSZ and kill the host: the line is
	 * dropped instead, with room for what other processes may append meanwhile */
	if (!cap_shm_size_allowed((unsigned long long)st.st_size + len + 65536u)) {
		close(fd);
		return;
	}
	ssize_t w = write(fd, line, len);
	(void)w;
	close(fd);
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

/*
 * log.c - one-line log messages to stderr or an append-only file.
 *
 * The state is two integers written once at setup (before any thread can log through us in
 * practice) and read with relaxed atomics afterwards. Formatting goes into a stack buffer and
 * out with one write(2), so concurrent lines never interleave and no allocation happens.
 */
#include "cache/log.h"
#include "cache/cap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_fd = 2;
static int log_level = CAP_LOG_WARN;

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

int cap_log_setup(const char *path, enum cap_log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
	if (path == NULL || path[0] == '\0' || strcmp(path, "stderr") == 0)
		return CAP_OK;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_LOG: cannot open '%s': %s; logging to stderr",
			path, strerror(errno));
		return CAP_EIO;
	}
	__atomic_store_n(&log_fd, fd, __ATOMIC_RELAXED);
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

void cap_log(enum cap_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
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
	ssize_t w = write(cap_log_fd(), line, len);
	(void)w;
	errno = saved;
}

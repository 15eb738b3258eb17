/*
 * shmfile.c - the life cycle of the shared files (see shmfile.h).
 *
 * Every failure path keeps errno as the failing call left it, because callers tell a missing
 * file (ENOENT: build it) and a lost publication race (EEXIST: open the winner's) from other
 * trouble by it; the messages are formatted with errno saved around them.
 */
#include "cache/shmfile.h"
#include "cache/fault.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static void say(char *err, size_t errcap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errcap, const char *fmt, ...)
{
	if (err == NULL || errcap == 0)
		return;
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
	errno = e;
}

/* owned_by - the owner and mode rule for a directory or a file, on its fstat: owned by uid. */
static int owned_by(const struct stat *st, uid_t uid, const char *what, char *err, size_t errcap)
{
	if (st->st_uid != uid) {
		say(err, errcap, "%s: owned by uid %u, not by this user", what,
		    (unsigned)st->st_uid);
		return CAP_EUNSAFE;
	}
	if (st->st_mode & 022) {
		say(err, errcap, "%s: group- or other-writable (mode %03o)", what,
		    (unsigned)(st->st_mode & 0777));
		return CAP_EUNSAFE;
	}
	return CAP_OK;
}

/* owned_safely - the rule for a file or directory being opened: ours, that is the effective
 * user's. */
static int owned_safely(const struct stat *st, const char *what, char *err, size_t errcap)
{
	return owned_by(st, geteuid(), what, err, errcap);
}

/* dir_safely - the rule for the directory: the file rule, and no group or other bit at all
 * (README: "yours, mode 0700"). A directory others may enter or list shows them the files'
 * names, sizes and times, that is when the user's programs write; `/` or a home directory
 * named by mistake is refused with it. */
static int dir_safely(const struct stat *st, const char *what, char *err, size_t errcap)
{
	if (st->st_uid == geteuid() && (st->st_mode & 077)) {
		say(err, errcap, "%s: %s (mode %03o); it must be a directory of its own, yours, mode "
		    "0700: name a new path (created so), or chmod 0700 a directory kept for it", what,
		    st->st_mode & 022 ? "group- or other-writable" : "others may enter or list it",
		    (unsigned)(st->st_mode & 0777));
		return CAP_EUNSAFE;
	}
	return owned_safely(st, what, err, errcap);
}

int cap_shm_dir_open(const char *path, int flags, char *err, size_t errcap)
{
	if (path == NULL || *path == '\0') {
		say(err, errcap, "no directory");
		return CAP_EINVAL;
	}
	if ((flags & CAP_SHM_CREATE) && mkdir(path, 0700) < 0 && errno != EEXIST) {
		say(err, errcap, "mkdir %s: %s", path, strerror(errno));
		return CAP_EIO;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			/* O_DIRECTORY|O_NOFOLLOW on a symlink fails ENOTDIR too: say which */
			struct stat lst;
			int link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
			say(err, errcap, "%s: %s", path,
			    link ? "is a symbolic link" : "not a directory");
			return CAP_EUNSAFE;
		}
		say(err, errcap, "open %s: %s", path, strerror(errno));
		return CAP_EIO;
	}
	struct stat st;
	int rc = CAP_EIO;
	if (fstat(fd, &st) < 0) {
		say(err, errcap, "fstat %s: %s", path, strerror(errno));
		goto out_close;
	}
	rc = dir_safely(&st, path, err, errcap);
	if (rc == CAP_OK)
		return fd;
out_close:
	close(fd);
	return rc;
}

int cap_shm_open(int dfd, const char *name, int oflags, struct stat *st, char *err,
		 size_t errcap)
{
	/* O_NONBLOCK: opening a FIFO put under the name would wait for a writer (forever, in
	 * the host); it is refused as not a regular file below, and cleared for a file */
	int fd = openat(dfd, name, oflags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		if (errno == ELOOP) {
			say(err, errcap, "%s: is a symbolic link", name);
			return CAP_EUNSAFE;
		}
		say(err, errcap, "open %s: %s", name, strerror(errno));
		return CAP_EIO;
	}
	struct stat own;
	if (st == NULL)
		st = &own;
	int rc = CAP_EIO;
	if (fstat(fd, st) < 0) {
		say(err, errcap, "fstat %s: %s", name, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st->st_mode)) {
		say(err, errcap, "%s: not a regular file", name);
		rc = CAP_EUNSAFE;
		goto out_close;
	}
	rc = owned_safely(st, name, err, errcap);
	if (rc == CAP_OK && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		rc = CAP_EIO;
	if (rc == CAP_OK)
		return fd;
out_close:
	close(fd);
	return rc;
}

int cap_shm_current(const char *path, uint64_t dev, uint64_t ino, uint64_t size, uint32_t uid)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return CAP_EIO;
	if ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino ||
	    (uint64_t)st.st_size != size)
		return 0;
	return owned_by(&st, (uid_t)uid, path, NULL, 0) == CAP_OK ? 1 : CAP_EUNSAFE;
}

int cap_shm_dir_state(const char *path, uint64_t dev, uint64_t ino, uint32_t uid)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return CAP_SHM_DIR_UNSEEN;
	if (!S_ISDIR(st.st_mode) || owned_by(&st, (uid_t)uid, path, NULL, 0) != CAP_OK ||
	    (st.st_mode & 077))
		return CAP_SHM_DIR_UNSAFE;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino ? CAP_SHM_DIR_SAME
									 : CAP_SHM_DIR_OTHER;
}

int cap_shm_hold(int fd)
{
	int h = fcntl(fd, F_DUPFD_CLOEXEC, CAP_SHM_HOLD_MIN);
	close(fd);
	return h < 0 ? -1 : h;
}

/* held_is - fstat of held fd, and whether it still is the file (dev, ino). */
static int held_is(int fd, uint64_t dev, uint64_t ino, struct stat *st)
{
	return fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) &&
	       (uint64_t)st->st_dev == dev && (uint64_t)st->st_ino == ino;
}

int cap_shm_held_current(int fd, uint64_t dev, uint64_t ino, uint64_t size, uint32_t uid)
{
	struct stat st;
	if (!held_is(fd, dev, ino, &st))
		return CAP_EIO;
	if (st.st_nlink == 0 || (uint64_t)st.st_size != size)
		return 0;
	return owned_by(&st, (uid_t)uid, "", NULL, 0) == CAP_OK ? 1 : CAP_EUNSAFE;
}

void cap_shm_release(int fd, uint64_t dev, uint64_t ino)
{
	struct stat st;
	if (held_is(fd, dev, ino, &st))
		close(fd);
}

int cap_shm_map(int fd, size_t size, int prot, void *at, int *dead, cap_shm *out, char *err,
		size_t errcap)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		say(err, errcap, "fstat: %s", strerror(errno));
		return CAP_EIO;
	}
	if ((uint64_t)st.st_size < (uint64_t)size) {
		say(err, errcap, "truncated (%llu bytes, expected %llu)",
		    (unsigned long long)st.st_size, (unsigned long long)size);
		return CAP_ECORRUPT;
	}
	void *m = mmap(at, size, prot, MAP_SHARED | (at ? MAP_FIXED : 0), fd, 0);
	if (m == MAP_FAILED) {
		say(err, errcap, "mmap: %s", strerror(errno));
		return CAP_EIO;
	}
	if (dead != NULL)
		cap_fault_watch(m, size, dead);
	out->addr = m;
	out->size = size;
	out->dev = (uint64_t)st.st_dev;
	out->ino = (uint64_t)st.st_ino;
	out->uid = (uint32_t)st.st_uid;
	return CAP_OK;
}

int cap_shm_size_allowed(unsigned long long end)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 0;
	return rl.rlim_cur == RLIM_INFINITY || end <= (unsigned long long)rl.rlim_cur;
}

void cap_shm_unmap(cap_shm *m)
{
	if (m->addr == NULL)
		return;
	cap_fault_unwatch(m->addr);
	munmap(m->addr, m->size);
	m->addr = NULL;
}

int cap_shm_build(int dfd, const char *name, size_t size, int publish, cap_shm_fill_fn fill,
		  void *ctx, int *dead, cap_shm *out, char *err, size_t errcap)
{
	char tmp[NAME_MAX + 1];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", name, (long)getpid()) >= (int)sizeof(tmp)) {
		say(err, errcap, "%s: name too long", name);
		return CAP_EINVAL;
	}
	if (!cap_shm_size_allowed(size)) {
		say(err, errcap, "%s: the file-size limit (ulimit -f) is below its %zu bytes", name,
		    size);
		return CAP_ETOOBIG;
	}
	unlinkat(dfd, tmp, 0); /* left by a builder that died with our pid */
	int fd = cap_shm_open(dfd, tmp, O_RDWR | O_CREAT | O_EXCL, NULL, err, errcap);
	if (fd < 0)
		return fd;
	int rc = CAP_EIO;
	int fe = posix_fallocate(fd, 0, (off_t)size);
	if (fe != 0) {
		errno = fe;
		say(err, errcap, "posix_fallocate %s: %s", tmp, strerror(fe));
		goto out_unlink;
	}
	rc = cap_shm_map(fd, size, PROT_READ | PROT_WRITE, NULL, dead, out, err, errcap);
	if (rc < 0)
		goto out_unlink;
	fill(out->addr, size, ctx);
	rc = CAP_EIO;
	if (__atomic_load_n(dead, __ATOMIC_ACQUIRE)) {
		errno = EIO;
		say(err, errcap, "%s: truncated while it was built", tmp);
		goto out_unmap;
	}
	if (publish == CAP_SHM_RENAME) {
		if (renameat(dfd, tmp, dfd, name) < 0) {
			say(err, errcap, "rename %s: %s", tmp, strerror(errno));
			goto out_unmap;
		}
		return fd;
	}
	if (linkat(dfd, tmp, dfd, name, 0) < 0) {
		say(err, errcap, "link %s: %s", name, strerror(errno));
		goto out_unmap;
	}
	unlinkat(dfd, tmp, 0);
	return fd;
out_unmap:
	cap_shm_unmap(out);
out_unlink: {
	int e = errno;
	unlinkat(dfd, tmp, 0);
	close(fd);
	errno = e;
}
	return rc;
}

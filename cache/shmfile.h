/*
 * shmfile.h - the life cycle of Capacitor's shared files: a safe directory, safe files in it,
 * a new file built whole and published in one step, a size checked before it is mapped, and
 * the mapping watched for bus errors. The generation table (cache/gen), L2 (cache/disk), the
 * statistics (cache/stats), the log and the follower heartbeats keep only their layouts.
 *
 * Safety. Every process of the user trusts what these files say (a generation that did not
 * move, an entry whose checksum holds), so nobody else may write them: the directory must be
 * a directory (not a symlink: O_NOFOLLOW on the last component) owned by us with mode 0700 (no
 * group or other bit: others may not even list the files' names, sizes and times), and every
 * file in it a regular file (opened O_NOFOLLOW, created 0600) owned by us and not group- or
 * other-writable. The checks are made on the open descriptor (fstat), never on a path that could be
 * swapped between the check and the use.
 *
 * Building. A new file is written under a temporary name in the same directory
 * (NAME.tmp.PID), allocated in full with posix_fallocate (a full file system fails the build,
 * never a later access with SIGBUS), mapped and filled by the caller while cache/fault watches
 * the mapping, and then published under NAME in one step: renamed over whatever is there
 * (CAP_SHM_RENAME: a file that failed its checks is replaced, never repaired in place, since
 * other processes may still map it and shrinking it under them would fault them), or linked
 * only if nobody published one first (CAP_SHM_LINK: the loser opens the winner's file). So
 * no reader ever sees a partial file under NAME.
 *
 * Mapping. A file's size is checked (fstat) before it is mapped, so a valid file cannot fault
 * at once; a third party can still truncate it later, which is what the fault watch is for.
 *
 * Errors are CAP_* codes; functions that take err/errcap also leave one human line there
 * (no newline; err may be NULL) naming the file and what was wrong with it.
 */
#ifndef CAP_SHMFILE_H
#define CAP_SHMFILE_H

#include "cache/cap.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* cap_shm_dir_open flags */
enum {
	CAP_SHM_CREATE = 1 /* mkdir the last component (0700) when it is missing */
};

/* cap_shm_dir_open - open directory path (O_DIRECTORY|O_NOFOLLOW) and check it is ours with
 * no group or other permission bit. Returns an fd or CAP_EUNSAFE (a symlink, not a directory, not
 * ours, writable by others) or CAP_EIO (errno kept: ENOENT when missing without
 * CAP_SHM_CREATE). */
int cap_shm_dir_open(const char *path, int flags, char *err, size_t errcap);

/* cap_shm_open - openat(dfd, name, oflags | O_NOFOLLOW | O_CLOEXEC, 0600) and check it is a
 * regular file, ours, not group/other-writable. oflags holds the access mode and any of
 * O_CREAT, O_EXCL, O_APPEND. Returns an fd (and *st, when st != NULL, its fstat) or
 * CAP_EUNSAFE or CAP_EIO (errno kept: ENOENT when missing). */
int cap_shm_open(int dfd, const char *name, int oflags, struct stat *st, char *err,
		 size_t errcap);

/* cap_shm_current - whether path still names the file mapped (dev, ino) at its size, with one
 * stat(2), for the checks a running process makes: 1 it does, and the file is still ours and
 * not writable by others; CAP_EUNSAFE it does, but its owner or mode changed (the processes
 * that start now refuse it); 0 another file, another size, or nothing (ENOENT, ENOTDIR,
 * ELOOP); CAP_EIO stat failed otherwise (errno kept: the caller decides whether a transient
 * failure counts as current). */
int cap_shm_current(const char *path, uint64_t dev, uint64_t ino, uint64_t size);

/* cap_shm_dir_safe - the directory rule of cap_shm_dir_open, checked again on a running
 * process's directory with one lstat(2): 0 when path is no longer a directory of ours with
 * mode 0700; 1 when it still is, or cannot be looked at (a missing directory shows
 * as a missing file to cap_shm_current). */
int cap_shm_dir_safe(const char *path);

/* The common cases: CAPACITOR_DIR, created when missing, and a file opened read-write. */
static inline int cap_dir_open(const char *path)
{
	return cap_shm_dir_open(path, CAP_SHM_CREATE, NULL, 0);
}
static inline int cap_file_open(int dfd, const char *name, int extra_flags)
{
	return cap_shm_open(dfd, name, O_RDWR | extra_flags, NULL, NULL, 0);
}

/* A mapping of a shared file: MAP_SHARED, offsets inside it only. */
typedef struct cap_shm {
	void *addr;
	size_t size;
	uint64_t dev, ino; /* identity of the file mapped (for "is it still the directory's?") */
} cap_shm;

/* cap_shm_map - map the first size bytes of the checked file fd (from cap_shm_open) with prot
 * (PROT_READ, or PROT_READ | PROT_WRITE). The file's size is checked first: shorter than size
 * is CAP_ECORRUPT. at: NULL, or an address to map over (MAP_FIXED: the caller's mapping
 * there is replaced in one step, and its fault watch stays). dead: when not NULL, cache/fault
 * watches the new mapping and sets *dead after a bus error in it. CAP_OK, CAP_ECORRUPT,
 * CAP_EIO. */
int cap_shm_map(int fd, size_t size, int prot, void *at, int *dead, cap_shm *out, char *err,
		size_t errcap);

/* cap_shm_unmap - stop watching and unmap m (no-op when m->addr is NULL). */
void cap_shm_unmap(cap_shm *m);

/* How cap_shm_build publishes the new file. */
enum {
	CAP_SHM_LINK = 0,  /* link(2), only if NAME does not exist (else CAP_EIO, errno EEXIST) */
	CAP_SHM_RENAME = 1 /* rename(2) over NAME, whatever it is */
};

/* Writes a new file's layout into its mapping (size bytes of zeros, allocated in full). */
typedef void (*cap_shm_fill_fn)(void *addr, size_t size, void *ctx);

/* cap_shm_build - build dfd/name (see the top of this file): a temporary file of size bytes,
 * allocated in full, mapped read-write and watched with *dead (required), filled by
 * fill(addr, size, ctx), then published as `publish` says. A fault while it was filled fails
 * the build. On success returns an fd of the published file (the caller closes it) and *out
 * its mapping, still watched with *dead; on failure nothing is left behind (CAP_EIO with
 * errno kept, CAP_EUNSAFE, CAP_EINVAL for a name too long, CAP_ETOOBIG when the file-size
 * limit is below size). */
int cap_shm_build(int dfd, const char *name, size_t size, int publish, cap_shm_fill_fn fill,
		  void *ctx, int *dead, cap_shm *out, char *err, size_t errcap);

/* cap_shm_size_allowed - 1 when the process may make a file end bytes long: a write or an
 * allocation past the file-size limit (RLIMIT_FSIZE: ulimit -f, systemd's LimitFSIZE=)
 * fails and raises SIGXFSZ, whose default action kills the host. Asked before every
 * file Capacitor grows, at each growth (the limit may change at run time); never on a hit. */
int cap_shm_size_allowed(unsigned long long end);

#endif

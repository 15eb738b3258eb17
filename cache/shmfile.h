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
 * stat(2), for the checks a running process makes: 1 it does, and the file is still owned by
 * uid (its owner when it was mapped: a process that changed its own credentials since, say
 * setuid to nobody, still maps the same file) and not writable by others; CAP_EUNSAFE it does,
 * but its owner or mode changed (the processes that start now refuse it); 0 another file or
 * another size; CAP_EIO stat failed (errno kept): the file is missing, or out of this process's
 * reach (a chroot, credentials that may not search the directory), which the caller tells
 * apart with cap_shm_dir_state and cap_shm_held_current. */
int cap_shm_current(const char *path, uint64_t dev, uint64_t ino, uint64_t size, uint32_t uid);

/* What a running process finds at its directory's path (cap_shm_dir_state). */
enum {
	CAP_SHM_DIR_SAME = 0,   /* the directory it opened, still uid's with mode 0700 */
	CAP_SHM_DIR_OTHER = 1,  /* another directory, safe: the old one was replaced */
	CAP_SHM_DIR_UNSAFE = 2, /* not a directory, not uid's, or a group/other bit is set */
	CAP_SHM_DIR_UNSEEN = 3  /* lstat fails: removed, or out of reach from here (chroot,
				 * credentials): what the path names now cannot be known */
};
/* cap_shm_dir_state - the directory rule of cap_shm_dir_open, checked again on a running
 * process's directory with one lstat(2), against the identity (dev, ino) and owner (uid) it
 * had when opened. Only CAP_SHM_DIR_UNSEEN leaves the process unable to tell whether the
 * files it maps are still the directory's; it then trusts what it holds (see
 * cap_shm_held_current). */
int cap_shm_dir_state(const char *path, uint64_t dev, uint64_t ino, uint32_t uid);

/* A descriptor kept on a mapped file, for the checks of a process that can no longer reach it
 * by path. It lives in the host, which may close it (a daemon closing every descriptor) and
 * reuse its number: every use checks it still is that file (device and inode), and one that is
 * not is forgotten, never closed. */
/* cap_shm_hold - fd moved to a close-on-exec descriptor at CAP_SHM_HOLD_MIN or above (out of
 * the way of the host's low numbers), fd itself closed; -1 when that fails. */
#define CAP_SHM_HOLD_MIN 100
int cap_shm_hold(int fd);
/* cap_shm_held_current - the file behind held fd (from cap_shm_hold of the file mapped as
 * dev, ino): 1 still linked in a directory, at size, owned by uid and not writable by others;
 * 0 unlinked (deleted, or replaced by a rename) or of another size; CAP_EUNSAFE its owner or
 * mode changed; CAP_EIO fd is no longer that file (set it to -1 and never close it). */
int cap_shm_held_current(int fd, uint64_t dev, uint64_t ino, uint64_t size, uint32_t uid);
/* cap_shm_release - close held fd when it still is the file (dev, ino); -1 is a no-op. */
void cap_shm_release(int fd, uint64_t dev, uint64_t ino);

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
	uint32_t uid;      /* its owner when mapped */
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

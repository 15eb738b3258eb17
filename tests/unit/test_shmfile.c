/* test_shmfile.c - the shared files' life cycle: safety checks, building, publishing, mapping. */
#include "tests/unit/testdir.h"
#include "cache/shmfile.h"
#include "cache/stats_read.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static int dfd = -1;

static void setup(void)
{
	dfd = cap_testdir_open(dir, sizeof(dir), "shm");
	cr_assert(dfd >= 0);
}

static void teardown(void)
{
	close(dfd);
	cap_testdir_remove(dir);
}

TestSuite(shm, .init = setup, .fini = teardown);

static void stamp(void *addr, size_t size, void *ctx)
{
	memset(addr, *(const int *)ctx, size);
}

Test(shm, dir_checks)
{
	char err[256], sub[300];
	struct stat st;
	cr_assert_eq(fstat(dfd, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "created 0700");
	snprintf(sub, sizeof(sub), "%s/missing", dir);
	cr_assert_eq(cap_shm_dir_open(sub, 0, err, sizeof(err)), CAP_EIO, "no create: missing");
	cr_assert_eq(errno, ENOENT);
	snprintf(sub, sizeof(sub), "%s/link", dir);
	cr_assert_eq(symlink(dir, sub), 0);
	cr_assert_eq(cap_shm_dir_open(sub, 0, err, sizeof(err)), CAP_EUNSAFE);
	cr_assert_not_null(strstr(err, "symbolic link"), "%s", err);
	cr_assert_eq(chmod(dir, 0770), 0);
	cr_assert_eq(cap_shm_dir_open(dir, 0, err, sizeof(err)), CAP_EUNSAFE,
		     "a group-writable directory is refused without create too");
	cr_assert_not_null(strstr(err, "writable"), "%s", err);
	/* README: mode 0700; one others may enter or list shows them the files' names and times */
	static const mode_t listable[] = { 0755, 0711, 0750, 0701 };
	for (size_t i = 0; i < sizeof(listable) / sizeof(listable[0]); i++) {
		cr_assert_eq(chmod(dir, listable[i]), 0);
		cr_assert_eq(cap_shm_dir_open(dir, CAP_SHM_CREATE, err, sizeof(err)), CAP_EUNSAFE,
			     "mode %o", (unsigned)listable[i]);
		cr_assert_not_null(strstr(err, "others may enter or list it"), "%s", err);
		cr_assert_not_null(strstr(err, "chmod 0700"), "%s", err);
		cr_assert_eq(cap_shm_dir_state(dir, st.st_dev, st.st_ino, getuid()),
			     CAP_SHM_DIR_UNSAFE, "mode %o", (unsigned)listable[i]);
	}
	cr_assert_eq(chmod(dir, 0700), 0);
	cr_assert_eq(cap_shm_dir_state(dir, st.st_dev, st.st_ino, getuid()), CAP_SHM_DIR_SAME);
	cr_assert_eq(cap_shm_dir_state(dir, st.st_dev, st.st_ino + 1, getuid()), CAP_SHM_DIR_OTHER);
	cr_assert_eq(cap_shm_dir_state(dir, st.st_dev, st.st_ino, getuid() + 1), CAP_SHM_DIR_UNSAFE,
		     "checked against the owner it had, not against who we are now");
	snprintf(sub, sizeof(sub), "%s/gone", dir);
	cr_assert_eq(cap_shm_dir_state(sub, st.st_dev, st.st_ino, getuid()), CAP_SHM_DIR_UNSEEN);
}

/* A descriptor held on a mapped file tells what the path cannot: unlinked, or still there. */
Test(shm, held_descriptor)
{
	int fd = cap_shm_open(dfd, "h", O_RDWR | O_CREAT, NULL, NULL, 0);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 4096), 0);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	int h = cap_shm_hold(fd);
	cr_assert(h >= CAP_SHM_HOLD_MIN, "%d", h);
	cr_assert(fcntl(h, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(cap_shm_held_current(h, st.st_dev, st.st_ino, 4096, getuid()), 1);
	cr_assert_eq(cap_shm_held_current(h, st.st_dev, st.st_ino, 8192, getuid()), 0);
	cr_assert_eq(cap_shm_held_current(h, st.st_dev, st.st_ino, 4096, getuid() + 1),
		     CAP_EUNSAFE);
	cr_assert_eq(cap_shm_held_current(h, st.st_dev, st.st_ino + 1, 4096, getuid()), CAP_EIO,
		     "another file under the number: not ours");
	cr_assert_eq(cap_shm_held_current(-1, st.st_dev, st.st_ino, 4096, getuid()), CAP_EIO);
	cr_assert_eq(unlinkat(dfd, "h", 0), 0);
	cr_assert_eq(cap_shm_held_current(h, st.st_dev, st.st_ino, 4096, getuid()), 0,
		     "deleted");
	/* a number the host reused is never closed */
	cap_shm_release(h, st.st_dev, st.st_ino + 1);
	cr_assert_neq(fcntl(h, F_GETFD), -1, "left open");
	cap_shm_release(h, st.st_dev, st.st_ino);
	cr_assert_eq(fcntl(h, F_GETFD), -1, "closed");
}

Test(shm, file_checks)
{
	char err[256];
	struct stat st;
	cr_assert_eq(cap_shm_open(dfd, "f", O_RDWR, &st, err, sizeof(err)), CAP_EIO);
	cr_assert_eq(errno, ENOENT, "errno kept for a missing file");
	int fd = cap_shm_open(dfd, "f", O_RDWR | O_CREAT, &st, err, sizeof(err));
	cr_assert(fd >= 0, "%s", err);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(fchmod(fd, 0620), 0);
	close(fd);
	cr_assert_eq(cap_shm_open(dfd, "f", O_RDONLY, NULL, err, sizeof(err)), CAP_EUNSAFE);
	cr_assert_not_null(strstr(err, "writable"), "%s", err);
	cr_assert_eq(symlinkat("f", dfd, "l"), 0);
	cr_assert_eq(cap_shm_open(dfd, "l", O_RDONLY, NULL, err, sizeof(err)), CAP_EUNSAFE);
	cr_assert_not_null(strstr(err, "symbolic link"), "%s", err);
	cr_assert_eq(mkdirat(dfd, "d", 0700), 0);
	cr_assert_eq(cap_shm_open(dfd, "d", O_RDONLY, NULL, err, sizeof(err)), CAP_EUNSAFE);
}

Test(shm, build_publish_map)
{
	char err[256];
	int dead = 0, byte = 0x5a;
	cap_shm m;
	int fd = cap_shm_build(dfd, "x", 8192, CAP_SHM_LINK, stamp, &byte, &dead, &m, err,
			       sizeof(err));
	cr_assert(fd >= 0, "%s", err);
	cr_assert_eq(((unsigned char *)m.addr)[8191], 0x5a);
	struct stat st;
	cr_assert_eq(fstatat(dfd, "x", &st, 0), 0);
	cr_assert_eq(st.st_size, 8192);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq((uint64_t)st.st_ino, m.ino);
	cr_assert_eq(faccessat(dfd, "x.tmp", F_OK, 0), -1);
	close(fd);
	cap_shm_unmap(&m);
	cr_assert_null(m.addr);

	/* link publication never replaces: the loser is told EEXIST and leaves nothing behind */
	byte = 0x11;
	cr_assert_eq(cap_shm_build(dfd, "x", 4096, CAP_SHM_LINK, stamp, &byte, &dead, &m, err,
				   sizeof(err)),
		     CAP_EIO);
	cr_assert_eq(errno, EEXIST);
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "x.tmp.%d", (int)getpid());
	cr_assert_eq(faccessat(dfd, tmp, F_OK, 0), -1, "no temporary file left");

	/* rename publication replaces it whole: a new inode, the old one's mappers keep theirs */
	fd = cap_shm_build(dfd, "x", 4096, CAP_SHM_RENAME, stamp, &byte, &dead, &m, err,
			   sizeof(err));
	cr_assert(fd >= 0, "%s", err);
	cr_assert_neq(m.ino, (uint64_t)st.st_ino);
	cap_shm_unmap(&m);

	/* the size is checked before mapping */
	cr_assert_eq(ftruncate(fd, 100), 0);
	cr_assert_eq(cap_shm_map(fd, 4096, PROT_READ, NULL, NULL, &m, err, sizeof(err)),
		     CAP_ECORRUPT);
	cr_assert_not_null(strstr(err, "truncated"), "%s", err);
	close(fd);
}

/* A stats reader (`capacitor stats`) checks the directory as strictly as every writer. */
Test(shm, stats_reader_checks_dir)
{
	char err[512];
	cap_stats_reader *r;
	cr_assert_eq(chmod(dir, 0770), 0);
	cr_assert_eq(cap_stats_reader_open(dir, 0, &r, err, sizeof(err)), CAP_EUNSAFE);
	cr_assert_not_null(strstr(err, "writable"), "%s", err);
	cr_assert_eq(chmod(dir, 0700), 0);
}

/*
 * testdir.h - a fresh CAPACITOR_DIR-like directory for one unit-test suite: made empty and
 * opened (cap_dir_open, so mode 0700 and ours) before each test, removed after it.
 */
#ifndef CAP_TESTDIR_H
#define CAP_TESTDIR_H

#include "cache/shmfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cap_testdir_remove(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

/* /tmp/cap-test-WHAT-PID, empty, opened: the directory fd (negative on failure) */
static inline int cap_testdir_open(char *dir, size_t cap, const char *what)
{
	snprintf(dir, cap, "/tmp/cap-test-%s-%d", what, (int)getpid());
	cap_testdir_remove(dir);
	return cap_dir_open(dir);
}

#endif

/*
 * fuzz_dir.h - the private directory of a fuzz target that works on files.
 *
 * In /dev/shm (tmpfs: the files are mapped, and a full disk elsewhere must not fail a run),
 * named capacitor-fuzzdir-WHAT-PID-XXXXXX. A target removes it at exit; after a crash (libFuzzer
 * leaves with _exit) tests/run-fuzz.sh removes it by the target's pid.
 */
#ifndef CAP_FUZZ_DIR_H
#define CAP_FUZZ_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* fuzz_mkdir - make the directory into buf; 0, or -1 on failure. */
static inline int fuzz_mkdir(char *buf, size_t cap, const char *what)
{
	if (snprintf(buf, cap, "/dev/shm/capacitor-fuzzdir-%s-%ld-XXXXXX", what,
		     (long)getpid()) >= (int)cap)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

#endif

/*
 * proc.c - process identity from /proc (see proc.h).
 */
#include "cache/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* proc_stat - the state letter (field 3) and start time (field 22) of pid from
 * /proc/PID/stat: 1 when read, 0 when not (no /proc, or the process is gone). */
static int proc_stat(int pid, char *state, uint64_t *start)
{
	char path[48], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (p == NULL || p[1] != ' ')
		return 0;
	p += 2; /* field 3: the state; the start time is field 22 */
	*state = *p;
	for (int f = 3; f < 22; f++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return 0;
		p++;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		return 0;
	*start = (uint64_t)v;
	return 1;
}

uint64_t cap_proc_start(int pid)
{
	char st;
	uint64_t s = 0;
	return proc_stat(pid, &st, &s) ? s : 0;
}

int cap_proc_gone(int pid, uint64_t start)
{
	if (pid <= 0)
		return 1;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 1;
	char st = 0;
	uint64_t now = 0;
	if (!proc_stat(pid, &st, &now))
		return 0;
	return st == 'Z' || st == 'X' || (start != 0 && now != 0 && now != start);
}

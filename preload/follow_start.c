/*
 * follow_start.c - start `capacitor follow --daemon URI` from inside the host (see
 * follow_start.h).
 *
 * The host must not be able to tell. A child that execs always ends with SIGCHLD to its parent
 * (the kernel resets a "clone child"'s exit signal after an exec), and a host that reaps "all
 * its children" or counts SIGCHLD would meet it. So there are two steps, both created the way
 * posix_spawn creates a child (clone with CLONE_VM | CLONE_VFORK on a stack of their own: no
 * copy of the host's memory, no pthread_atfork handler of the host runs):
 *   - an intermediate with exit signal 0, which never execs: no SIGCHLD, invisible to the
 *     host's wait(), waitpid(-1) and waitid(P_ALL) (they skip such "clone children" unless
 *     asked for __WCLONE/__WALL); it starts the tool and exits, and we collect it at once
 *     with __WCLONE (it is gone as soon as the host resumes);
 *   - the tool's process, the intermediate's child: orphaned when the intermediate exits, so
 *     init (or the nearest subreaper) collects it; it detaches on its own (--daemon).
 * The host is suspended only until the tool's execve. All signals are blocked around the
 * clone (a signal must not run the host's handler on the shared memory); the tool's process
 * puts every signal back to its default action and unblocks them, takes /dev/null on 0 and
 * 1 and the library's log file on 2 (what the tool says before it detaches, such as a URI
 * it refuses, is one line there; after, it logs to CAPACITOR_DIR/follow.NAME.log), and closes
 * every other descriptor (the host's database sockets must not live on in the daemon). Its
 * environment is the host's less LD_PRELOAD (the follower must not run under the library),
 * with CAPACITOR_DIR set to the directory this process resolved.
 *
 * The tool is found next to this library (build/ and the install's lib/../bin/), else on PATH.
 */
#include "preload/follow_start.h"
#include "cache/cap.h"
#include "cache/follow.h"
#include "cache/log.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define STACK_SIZE (64 * 1024)

static char starter_name[CAP_FOLLOW_NAME_MAX + 1];

typedef struct spawn_arg {
	const char *path;
	char **argv;
	char **envp;
	int nul;
	int errfd; /* the tool's stderr: the library's log file, else nul */
	char *stack2; /* the tool's process's stack until its exec */
	int err;   /* written when the clone or the exec failed */
} spawn_arg;

/* tool - the tool's process until its exec: system calls only, on the host's memory. */
static int tool(void *p)
{
	spawn_arg *a = p;
	/* the kernel's struct sigaction, all zero: SIG_DFL, no flags, an empty mask */
	unsigned long ksa[4] = { 0, 0, 0, 0 };
	for (int sig = 1; sig < NSIG; sig++)
		(void)syscall(SYS_rt_sigaction, sig, ksa, NULL, sizeof(unsigned long));
	unsigned long none = 0;
	(void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
	/* nul and errfd are >= 3 (see cap_follow_start): no dup3 overwrites the other */
	for (int fd = 0; fd < 3; fd++)
		(void)syscall(SYS_dup3, fd == 2 ? a->errfd : a->nul, fd, 0);
	if (syscall(SYS_close_range, 3, ~0u, 0) != 0)
		for (int fd = 3; fd < 4096; fd++)
			(void)syscall(SYS_close, fd);
	syscall(SYS_execve, a->path, a->argv, a->envp);
	a->err = errno ? errno : ENOEXEC;
	syscall(SYS_exit, 127);
	return 127;
}

/* intermediate - start the tool's process (exit signal SIGCHLD, to us: we exit first, so
 * init collects it) and exit; signals stay blocked here. */
static int intermediate(void *p)
{
	spawn_arg *a = p;
	if (clone(tool, a->stack2 + STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, a) < 0)
		a->err = errno ? errno : EAGAIN;
	syscall(SYS_exit, 0);
	return 0;
}

/* high_fd - fd moved to 3 or above (close-on-exec), so that the child's dup3 onto 0, 1 and 2
 * never overwrites the other source (a host that closed its stdin would get 0 from open). */
static int high_fd(int fd)
{
	if (fd < 0 || fd >= 3)
		return fd;
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return h;
}

static int executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* find_tool - `capacitor` next to this library, in ../bin from it, or on PATH. */
static int find_tool(char *out, size_t cap)
{
	Dl_info di;
	if (dladdr((void *)cap_follow_start, &di) && di.dli_fname && di.dli_fname[0] == '/') {
		const char *slash = strrchr(di.dli_fname, '/');
		int n = (int)(slash - di.dli_fname);
		if (snprintf(out, cap, "%.*s/capacitor", n, di.dli_fname) < (int)cap && executable(out))
			return 0;
		if (snprintf(out, cap, "%.*s/../bin/capacitor", n, di.dli_fname) < (int)cap &&
		    executable(out))
			return 0;
	}
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && path[0] == '/' &&
		    snprintf(out, cap, "%.*s/capacitor", (int)n, path) < (int)cap && executable(out))
			return 0;
		path += n + (path[n] == ':');
	}
	return -1;
}

/* live_already - a follower of this URI (its default name) is live now. */
static int live_already(const char *dir, const char *name)
{
	char file[CAP_FOLLOW_NAME_MAX + 16];
	snprintf(file, sizeof(file), CAP_FOLLOW_PREFIX "%s", name);
	cap_follow_map *m;
	if (cap_follow_map_open(dir, file, &m) != CAP_OK)
		return 0;
	int live = cap_follow_map_live(m, CAP_FOLLOW_MAX_AGE_NS);
	cap_follow_map_close(m);
	return live;
}

/* child_env - the host's environment less LD_PRELOAD and CAPACITOR_DIR, plus our
 * CAPACITOR_DIR. NULL on no memory. */
static char **child_env(const char *dir, char **dirvar)
{
	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	char **env = malloc((n + 2) * sizeof(char *));
	size_t dn = strlen(dir) + sizeof("CAPACITOR_DIR=");
	*dirvar = malloc(dn);
	if (*dirvar)
		snprintf(*dirvar, dn, "CAPACITOR_DIR=%s", dir);
	if (env == NULL || *dirvar == NULL) {
		free(env);
		free(*dirvar);
		return NULL;
	}
	size_t k = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "CAPACITOR_DIR=", 14) != 0)
			env[k++] = *e;
	env[k++] = *dirvar;
	env[k] = NULL;
	return env;
}

void cap_follow_start(const cap_config *c)
{
	if (c->follow_dsn[0] == '\0' || c->dir[0] == '\0')
		return;
	cap_follow_default_name(c->follow_dsn, starter_name, sizeof(starter_name));
	if (live_already(c->dir, starter_name))
		return;
	char path[PATH_MAX];
	if (find_tool(path, sizeof(path)) < 0) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: no `capacitor` next to the library or on "
			"PATH; no follower started");
		return;
	}
	char *dirvar = NULL;
	char **env = child_env(c->dir, &dirvar);
	char *stack = malloc(2 * STACK_SIZE);
	int nul = high_fd(open("/dev/null", O_RDWR | O_CLOEXEC)), errfd = -1;
	char logpath[PATH_MAX + 8];
	if (strcmp(c->log, "stderr") != 0 &&
	    snprintf(logpath, sizeof(logpath), "%s", c->log[0] ? c->log : c->dir) < (int)sizeof(logpath) &&
	    (c->log[0] || strlen(logpath) + 4 < sizeof(logpath))) {
		if (!c->log[0])
			strcat(logpath, "/log");
		errfd = high_fd(open(logpath, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
	}
	if (env == NULL || stack == NULL || nul < 0) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: cannot start %s: %s", path,
			nul < 0 ? strerror(errno) : "no memory");
		goto out;
	}
	char *argv[] = { path, "follow", "--daemon", (char *)c->follow_dsn, NULL };
	spawn_arg a = { path, argv, env, nul, errfd >= 0 ? errfd : nul, stack + STACK_SIZE, 0 };
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int saved = errno;
	pid_t pid = clone(intermediate, stack + STACK_SIZE, CLONE_VM | CLONE_VFORK, &a);
	int clone_err = errno;
	errno = saved; /* the child ran on this thread's errno */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: cannot start %s: clone: %s", path,
			strerror(clone_err));
		goto out;
	}
	/* it has exited (or is exiting: CLONE_VFORK resumed us on its way out) */
	while (waitpid(pid, NULL, __WCLONE) < 0 && errno == EINTR)
		;
	errno = saved;
	if (a.err) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: cannot run %s: %s", path, strerror(a.err));
		goto out;
	}
	cap_log(CAP_LOG_INFO, "CAPACITOR_FOLLOW_DSN: started %s follow --daemon (follow.%s)", path,
		starter_name);
out:
	if (nul >= 0)
		close(nul);
	if (errfd >= 0)
		close(errfd);
	free(stack);
	free(env);
	free(dirvar);
}

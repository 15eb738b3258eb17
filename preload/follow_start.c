/*
 * follow_start.c - start `capacitor follow --daemon URI` from inside the host (see
 * follow_start.h).
 *
 * The host must not be able to tell. So the starter is created the way posix_spawn creates a
 * child (clone with CLONE_VM | CLONE_VFORK on a stack of its own: no copy of the host's
 * memory, no pthread_atfork handler of the host runs, the host is suspended only until the
 * exec), with one difference: its exit signal is 0, not SIGCHLD. Such a "clone child" raises
 * no SIGCHLD in the host and is invisible to the host's wait(), waitpid(-1) and waitid(P_ALL)
 * unless they ask for __WCLONE/__WALL, so a program that reaps "all its children" never meets
 * ours; we collect it ourselves with __WCLONE on a later miss. In the child, before the exec:
 * every signal back to its default action and unblocked (the host blocked them around the
 * clone: a signal must not run the host's handler on the shared memory), /dev/null on 0 and
 * 1, the library's log file on 2 (what the tool says before it detaches, such as a URI it
 * refuses, is one line there; after, it logs to CAPACITOR_DIR/follow.NAME.log), every other
 * descriptor closed (the host's database sockets must not live on in the
 * daemon). The environment is the host's less LD_PRELOAD (the follower must not run under the
 * library) and with CAPACITOR_DIR set to the directory this process resolved.
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

static pid_t starter;  /* atomic: the starter not collected yet, 0 none */
static char starter_name[CAP_FOLLOW_NAME_MAX + 1];

typedef struct spawn_arg {
	const char *path;
	char **argv;
	char **envp;
	int nul;
	int errfd; /* the child's stderr: the library's log file, else nul */
	int err; /* written by the child when the exec failed */
} spawn_arg;

/* child - runs on its own stack in the host's memory until the exec: system calls only. */
static int child(void *p)
{
	spawn_arg *a = p;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &sa, NULL, _NSIG / 8);
	sigset_t none;
	sigemptyset(&none);
	(void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
	for (int fd = 0; fd < 3; fd++)
		(void)syscall(SYS_dup2, fd == 2 ? a->errfd : a->nul, fd);
	if (syscall(SYS_close_range, 3, ~0u, 0) != 0)
		for (int fd = 3; fd < 4096; fd++)
			(void)syscall(SYS_close, fd);
	syscall(SYS_execve, a->path, a->argv, a->envp);
	a->err = errno ? errno : ENOEXEC;
	syscall(SYS_exit, 127);
	return 127;
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
	if (asprintf(dirvar, "CAPACITOR_DIR=%s", dir) < 0)
		*dirvar = NULL;
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
	char tool[PATH_MAX];
	if (find_tool(tool, sizeof(tool)) < 0) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: no `capacitor` next to the library or on "
			"PATH; no follower started");
		return;
	}
	char *dirvar = NULL;
	char **env = child_env(c->dir, &dirvar);
	char *stack = malloc(STACK_SIZE);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC), errfd = -1;
	char logpath[PATH_MAX + 8];
	if (strcmp(c->log, "stderr") != 0 &&
	    snprintf(logpath, sizeof(logpath), "%s", c->log[0] ? c->log : c->dir) < (int)sizeof(logpath) &&
	    (c->log[0] || strlen(logpath) + 4 < sizeof(logpath))) {
		if (!c->log[0])
			strcat(logpath, "/log");
		errfd = open(logpath, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	}
	if (env == NULL || stack == NULL || nul < 0) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: cannot start %s: %s", tool,
			nul < 0 ? strerror(errno) : "no memory");
		goto out;
	}
	char *argv[] = { tool, "follow", "--daemon", (char *)c->follow_dsn, NULL };
	spawn_arg a = { tool, argv, env, nul, errfd >= 0 ? errfd : nul, 0 };
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int saved = errno;
	pid_t pid = clone(child, stack + STACK_SIZE, CLONE_VM | CLONE_VFORK, &a);
	int clone_err = errno;
	errno = saved; /* the child ran on this thread's errno */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: cannot start %s: clone: %s", tool,
			strerror(clone_err));
		goto out;
	}
	if (a.err) {
		(void)waitpid(pid, NULL, __WCLONE);
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: cannot run %s: %s", tool, strerror(a.err));
		goto out;
	}
	__atomic_store_n(&starter, pid, __ATOMIC_RELEASE);
	cap_log(CAP_LOG_INFO, "CAPACITOR_FOLLOW_DSN: started %s follow --daemon (follow.%s)", tool,
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

void cap_follow_start_reap(void)
{
	pid_t pid = __atomic_load_n(&starter, __ATOMIC_ACQUIRE);
	if (pid == 0)
		return;
	int st;
	pid_t r = waitpid(pid, &st, __WCLONE | WNOHANG);
	if (r == 0 || !__atomic_compare_exchange_n(&starter, &pid, 0, 0, __ATOMIC_ACQ_REL,
						   __ATOMIC_RELAXED))
		return; /* still starting, or another thread collected it */
	if (r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (r == pid)
		cap_log(CAP_LOG_WARN, "CAPACITOR_FOLLOW_DSN: capacitor follow --daemon %s %d (see "
			"`capacitor follow --check` and CAPACITOR_DIR/follow.%s.log)",
			WIFEXITED(st) ? "exited with status" : "died of signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), starter_name);
}

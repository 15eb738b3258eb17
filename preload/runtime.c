/*
 * runtime.c - lazy process initialisation (see runtime.h), and the configuration check at load.
 *
 * A bad configuration value (an environment variable, CAPACITOR_LOG, the rules file) gets one
 * line on stderr, at load: the constructor below checks them before main, while fd 2 is still
 * what the program was started with. Later fd 2 may be anything (a daemon's data file, or
 * libpq's own socket in a program started with stderr closed), so nothing is ever written to
 * it after that, and at load only when it is open and not a socket (a file, a pipe or a
 * terminal is stderr as the user gave it). The runtime itself starts at the first query, as
 * before (a program may set CAPACITOR_* with setenv until then): order configuration, log
 * (CAPACITOR_LOG or CAPACITOR_DIR/log), engine (its tiers turn themselves off on trouble),
 * stats, rules. What it finds wrong then goes to the log only. The rules file is read at
 * load to be checked, and again at the first query to be used; a rules file with any problem
 * switches caching off for the process (a `never` that was not understood must not be
 * silently ignored) while writes keep invalidating.
 */
#include "preload/runtime.h"
#include "cache/cap.h"
#include "cache/log.h"
#include "cache/shmfile.h"
#include "cache/stats.h"
#include "preload/copy.h"
#include "preload/follow_start.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__thread int cap_guard __attribute__((tls_model("initial-exec")));

static cap_rt rt;
static pthread_once_t rt_once = PTHREAD_ONCE_INIT;

/* ---- at load: one line on stderr per bad value */

static int stderr_ok; /* fd 2 may be written (at load only) */

static void say(const char *line, int n, size_t cap)
{
	if (n <= 0 || !stderr_ok)
		return;
	/* a pipe with no reader any more must not kill the host with SIGPIPE before main */
	(void)cap_write_nopipe(2, line, (size_t)n < cap ? (size_t)n : cap - 1);
}

static int var_line(char *line, size_t cap, const cap_var *var, const char *value)
{
	return snprintf(line, cap, "capacitor: %s='%.200s' is not valid (expected %s); using the "
			"default %s\n", var->name, cap_config_shown(var, value), var->form,
			var->def[0] ? var->def : "(unset)");
}

static void load_var(void *ctx, const cap_var *var, const char *value)
{
	(void)ctx;
	char line[1024];
	say(line, var_line(line, sizeof(line), var, value), sizeof(line));
}

/* The first problem of the rules file, for the single line it gets. */
static void first_rule(void *ctx, const char *file, unsigned line, const char *text,
		       const char *message)
{
	(void)text;
	char *first = ctx;
	if (first[0] == '\0')
		snprintf(first, 512, "%.200s:%u: %.250s", file, line, message);
}

static void log_unusable_line(const cap_config *c)
{
	char line[PATH_MAX + 200];
	say(line, snprintf(line, sizeof(line), "capacitor: CAPACITOR_LOG='%.200s' cannot be used (a "
			   "regular file of ours that only we may write); logging to "
			   "CAPACITOR_DIR/log\n", c->log), sizeof(line));
}

static void rules_bad_line(const cap_config *c, const char *first)
{
	char line[PATH_MAX + 700];
	say(line, snprintf(line, sizeof(line), "capacitor: CAPACITOR_RULES='%.200s' is not valid "
			   "(%s); caching is off for this process, writes still invalidate\n",
			   c->rules, first[0] ? first : "unreadable"), sizeof(line));
}

/* A CAPACITOR_DIR the user named that is a directory of ours others may enter or list (any
 * group or other bit: a home directory, `/` as root) is a bad value too. Anything else wrong
 * with it (a file, a symlink, another user's) may be a fault or an attack of the moment,
 * logged where the engine meets it; a missing one is created 0700 at the first query. */
static void check_dir(const cap_config *c)
{
	const char *named = getenv("CAPACITOR_DIR");
	struct stat st;
	if (named == NULL || named[0] == '\0' || c->dir[0] == '\0' || lstat(c->dir, &st) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || !(st.st_mode & 077))
		return;
	char why[PATH_MAX + 200] = "";
	int fd = cap_shm_dir_open(c->dir, 0, why, sizeof(why));
	if (fd >= 0) {
		close(fd); /* made safe in between */
		return;
	}
	char line[sizeof(why) + 200];
	say(line, snprintf(line, sizeof(line), "capacitor: CAPACITOR_DIR is not used: %s; nothing "
			   "is shared (each process caches only entries with a TTL)\n", why),
	    sizeof(line));
}

/* Not in an inactive copy (copy.h): the active one says it. */
__attribute__((constructor)) static void check_at_load(void)
{
	if (cap_copy_inactive())
		return;
	struct stat st;
	stderr_ok = fstat(2, &st) == 0 && !S_ISSOCK(st.st_mode);
	static cap_config c; /* PATH_MAX fields: off the stack of a constructor */
	cap_config_load(&c, load_var, NULL);
	if (!c.enable)
		return;
	check_dir(&c);
	if (c.log[0] && cap_log_setup(c.log, (enum cap_log_level)c.log_level) != CAP_OK)
		log_unusable_line(&c);
	if (c.rules[0]) {
		char first[512] = "";
		cap_rules *r = NULL;
		int rc = cap_rules_load(c.rules, first_rule, first, &r);
		if (rc == CAP_OK)
			cap_rules_free(r);
		else if (rc != CAP_ENOMEM) /* the process's memory, not the user's file */
			rules_bad_line(&c, first);
	}
	stderr_ok = 0; /* never again */
}

/* ---- at the first query: problems go to the log */

/* Bad values met while the configuration is read, before the log is open: logged after. */
static char var_pending[4][512];
static unsigned var_npending;

static void report_var(void *ctx, const cap_var *var, const char *value)
{
	(void)ctx;
	if (var_npending < sizeof(var_pending) / sizeof(var_pending[0]))
		var_line(var_pending[var_npending++], sizeof(var_pending[0]), var, value);
}

static void report_rule(void *ctx, const char *file, unsigned line, const char *text,
			const char *message)
{
	(void)ctx;
	char where[PATH_MAX + 32];
	snprintf(where, sizeof(where), "%s:%u", file, line);
	if (text && text[0])
		cap_log(CAP_LOG_WARN, "%s: %s: '%.200s'", where, message, text);
	else
		cap_log(CAP_LOG_WARN, "%s: %s", where, message);
}

/* log_init - the log goes to CAPACITOR_LOG or, by default, CAPACITOR_DIR/log; never to the
 * host's stderr unless the user asked. A CAPACITOR_LOG file that cannot be opened (or is a FIFO,
 * a device, another user's file or one others may write: see log.c) was reported at load; the
 * default file is used instead, and says so. */
static void log_init(void)
{
	enum cap_log_level lvl = (enum cap_log_level)rt.conf.log_level;
	if (rt.conf.log[0] && cap_log_setup(rt.conf.log, lvl) == CAP_OK)
		return;
	cap_log_setup_dir(rt.conf.dir, lvl);
	if (rt.conf.log[0])
		cap_log(CAP_LOG_WARN, "CAPACITOR_LOG=%s cannot be used (a regular file of ours that "
			"only we may write); logging here", rt.conf.log);
}

static void rt_init(void)
{
	if (cap_copy_inactive())
		return; /* another copy is active: no configuration, log, files or threads here */
	cap_config_load(&rt.conf, report_var, NULL);
	cap_log_setup(NULL, (enum cap_log_level)rt.conf.log_level);
	rt.invalidating = rt.conf.enable;
	if (!rt.conf.enable)
		return;
	log_init();
	for (unsigned i = 0; i < var_npending; i++)
		cap_log(CAP_LOG_WARN, "%.*s", (int)strcspn(var_pending[i], "\n"), var_pending[i]);
	cap_copy_others();
	cap_engine_conf ec = { rt.conf.dir[0] ? rt.conf.dir : NULL, rt.conf.mem, rt.conf.disk };
	if (cap_engine_open(&ec, &rt.engine) != CAP_OK || rt.engine == NULL) {
		cap_log(CAP_LOG_WARN, "cannot start the cache engine; passing every query through");
		rt.invalidating = 0;
		return;
	}
	if (cap_stats_open(rt.conf.dir) == CAP_OK)
		cap_stats_set_log_interval(rt.conf.log[0] ? rt.conf.log_interval_ns : 0);
	cap_follow_start(&rt.conf);
	rt.caching = 1;
	if (rt.conf.rules[0]) {
		int rc = cap_rules_load(rt.conf.rules, report_rule, NULL, &rt.rules);
		if (rc == CAP_ENOMEM) {
			/* not the user's configuration but the process's memory: the rules cannot
			 * be honoured, so nothing is cached, and the host's stderr hears nothing */
			rt.rules = NULL;
			rt.caching = 0;
			cap_log(CAP_LOG_WARN, "no memory to load CAPACITOR_RULES=%s; caching is off "
				"for this process, writes still invalidate", rt.conf.rules);
		} else if (rc != CAP_OK) {
			rt.rules = NULL;
			rt.caching = 0; /* its line on stderr was said at load */
			cap_log(CAP_LOG_WARN, "CAPACITOR_RULES=%s has problems; caching is off for "
				"this process", rt.conf.rules);
		}
	}
}

const cap_rt *cap_rt_get(void)
{
	pthread_once(&rt_once, rt_init);
	return &rt;
}

void cap_fail_open(const char *what, int err)
{
	static uint64_t last_ns;
	cap_stats_event(CAP_EV_FALLBACK, 1);
	uint64_t now = cap_now_ns();
	uint64_t prev = __atomic_load_n(&last_ns, __ATOMIC_RELAXED);
	if (prev != 0 && now - prev < 10ULL * 1000000000ULL)
		return;
	__atomic_store_n(&last_ns, now ? now : 1, __ATOMIC_RELAXED);
	cap_log(CAP_LOG_WARN, "%s: %s; the call went to the client library uncached", what,
		cap_strerror(err));
}

/*
 * runtime.c - lazy process initialisation (see runtime.h).
 *
 * Order: configuration (bad values reported on stderr, one line each), log (CAPACITOR_LOG or
 * CAPACITOR_DIR/log: nothing else of ours ever reaches the host's stderr), engine (its tiers
 * turn themselves off on trouble), stats, rules (problems, a configuration error, on stderr). The rules file is read once, here, at the
 * first query; a rules file with any problem switches caching off for the process (a `never`
 * that was not understood must not be silently ignored) while writes keep invalidating.
 */
#include "preload/runtime.h"
#include "cache/cap.h"
#include "cache/log.h"
#include "cache/stats.h"
#include "preload/copy.h"
#include "preload/follow_start.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__thread int cap_guard __attribute__((tls_model("initial-exec")));

static cap_rt rt;
static pthread_once_t rt_once = PTHREAD_ONCE_INIT;

static void report_var(void *ctx, const cap_var *var, const char *value)
{
	(void)ctx;
	char line[1024];
	int n = snprintf(line, sizeof(line),
			 "capacitor: %s='%.200s' is not valid (expected %s); using the default %s\n",
			 var->name, cap_config_shown(var, value), var->form,
			 var->def[0] ? var->def : "(unset)");
	if (n > 0) {
		ssize_t w = write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		(void)w;
	}
}

/* Rules-file problems go to the log, one line each; the first is kept for the single line
 * on stderr that a bad configuration value gets at start-up. */
static char rule_first[512];

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
	if (rule_first[0] == '\0')
		snprintf(rule_first, sizeof(rule_first), "%.200s: %.250s", where, message);
}

/* log_init - the log goes to CAPACITOR_LOG or, by default, CAPACITOR_DIR/log; never to the
 * host's stderr unless the user asked. A CAPACITOR_LOG file that cannot be opened (or is a FIFO,
 * a device, another user's file or one others may write: see log.c) is a bad
 * configuration value, reported once on stderr now; the default file is used instead. */
static void log_init(void)
{
	enum cap_log_level lvl = (enum cap_log_level)rt.conf.log_level;
	if (rt.conf.log[0]) {
		if (cap_log_setup(rt.conf.log, lvl) == CAP_OK)
			return;
		char line[PATH_MAX + 200];
		int n = snprintf(line, sizeof(line),
				 "capacitor: CAPACITOR_LOG='%.200s' cannot be used (a regular file of ours "
				 "that only we may write); logging to CAPACITOR_DIR/log\n", rt.conf.log);
		if (n > 0) {
			ssize_t w = write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
			(void)w;
		}
	}
	cap_log_setup_dir(rt.conf.dir, lvl);
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
			rt.caching = 0;
			/* a bad configuration value at start-up: one line on stderr */
			char line[PATH_MAX + 700];
			int n = snprintf(line, sizeof(line), "capacitor: CAPACITOR_RULES='%.200s' is not "
					 "valid (%s); caching is off for this process, writes still "
					 "invalidate\n", rt.conf.rules,
					 rule_first[0] ? rule_first : "unreadable");
			if (n > 0) {
				ssize_t w = write(2, line, (size_t)n < sizeof(line) ? (size_t)n
										  : sizeof(line) - 1);
				(void)w;
			}
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

/*
 * config.h - the CAPACITOR_* environment variables: one table drives parsing, defaults,
 * `capacitor config`, and the documentation (conf/capacitor.env, the man page, the README).
 *
 * Every value is parsed strictly. A bad value produces one problem report naming the variable,
 * the value and the accepted form; that setting then keeps its default (or is off), and the
 * host program carries on.
 */
#ifndef CAP_CONFIG_H
#define CAP_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum cap_txn_mode { CAP_TXN_STRICT = 0, CAP_TXN_READ_COMMITTED = 1 };
/* CAPACITOR_FOLLOW: what a live `capacitor follow` changes (cache/follow.h). */
enum cap_follow_mode { CAP_FOLLOW_OFF = 0, CAP_FOLLOW_AUTO = 1, CAP_FOLLOW_REQUIRE = 2 };

typedef struct cap_config {
	int enable;                 /* CAPACITOR_ENABLE */
	char dir[PATH_MAX];         /* CAPACITOR_DIR (resolved default when unset; "" = none) */
	uint64_t mem;               /* CAPACITOR_MEM bytes */
	uint64_t disk;              /* CAPACITOR_DISK bytes */
	uint64_t ttl_ns;            /* CAPACITOR_TTL, 0 = no limit */
	uint64_t max_result;        /* CAPACITOR_MAX_RESULT bytes */
	char rules[PATH_MAX];       /* CAPACITOR_RULES, "" = none */
	enum cap_txn_mode txn;      /* CAPACITOR_TXN */
	enum cap_follow_mode follow; /* CAPACITOR_FOLLOW */
	char follow_dsn[1024];      /* CAPACITOR_FOLLOW_DSN, "" = none */
	char log[PATH_MAX];         /* CAPACITOR_LOG: a path or "stderr"; "" = CAPACITOR_DIR/log */
	int log_level;              /* CAPACITOR_LOG_LEVEL (enum cap_log_level) */
	uint64_t log_interval_ns;   /* CAPACITOR_LOG_INTERVAL */
} cap_config;

typedef struct cap_var {
	const char *name;    /* "CAPACITOR_MEM" */
	const char *def;     /* default as the user would write it ("64M"); "" = unset */
	const char *form;    /* accepted values, for messages */
	const char *help;    /* one line */
	int (*parse)(const char *value, cap_config *c); /* CAP_OK or CAP_EINVAL */
} cap_var;

/* Called once per bad variable. */
typedef void (*cap_config_problem_fn)(void *ctx, const cap_var *var, const char *value);

/* cap_config_vars - the table (static storage); *n gets its length. */
const cap_var *cap_config_vars(size_t *n);

/* cap_config_load - defaults, then the environment. Returns the number of bad variables.
 * problem may be NULL. Does not log: the caller reports. */
int cap_config_load(cap_config *c, cap_config_problem_fn problem, void *ctx);

/* cap_config_shown - value as it may be printed: a URI that may hold a password
 * (CAPACITOR_FOLLOW_DSN) is not shown. */
const char *cap_config_shown(const cap_var *var, const char *value);

/* cap_config_value - format the effective value of var in c into buf (for `capacitor config`). */
void cap_config_value(const cap_config *c, const cap_var *var, char *buf, size_t cap);

/* cap_config_default_dir - /dev/shm/capacitor-<uid> unless another user holds that name, else the random-suffixed name
 * recorded in ~/.cache/capacitor-dir (see config.c); "" when none can be had safely. */
void cap_config_default_dir(char *buf, size_t cap);

#endif

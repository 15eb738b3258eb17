/*
 * config.c - the CAPACITOR_* table and its parsers (see config.h).
 *
 * Defaults are applied from the same table by running each parser on its default string, so a
 * default can never drift from what the parser accepts. The table order is the order users
 * see in `capacitor config`, conf/capacitor.env and the man page.
 */
#include "preload/config.h"
#include "cache/cap.h"
#include "cache/rand.h"
#include "cache/shmfile.h"
#include "cache/log.h"
#include "cache/units.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_path(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n >= cap)
		return CAP_EINVAL;
	memcpy(dst, v, n + 1);
	return CAP_OK;
}

static int p_enable(const char *v, cap_config *c)
{
	if (strcmp(v, "1") == 0)
		c->enable = 1;
	else if (strcmp(v, "0") == 0)
		c->enable = 0;
	else
		return CAP_EINVAL;
	return CAP_OK;
}

static int p_dir(const char *v, cap_config *c)
{
	if (v[0] == '\0') {
		c->dir[0] = '\0'; /* the default, resolved once the environment is read */
		return CAP_OK;
	}
	if (v[0] != '/')
		return CAP_EINVAL;
	return copy_path(c->dir, sizeof(c->dir), v);
}

static int p_mem(const char *v, cap_config *c) { return cap_parse_size(v, &c->mem); }
static int p_disk(const char *v, cap_config *c) { return cap_parse_size(v, &c->disk); }
static int p_ttl(const char *v, cap_config *c) { return cap_parse_duration(v, &c->ttl_ns); }

static int p_max_result(const char *v, cap_config *c)
{
	uint64_t n;
	if (cap_parse_size(v, &n) != CAP_OK || n == 0)
		return CAP_EINVAL;
	c->max_result = n;
	return CAP_OK;
}

static int p_rules(const char *v, cap_config *c) { return copy_path(c->rules, sizeof(c->rules), v); }

static int p_txn(const char *v, cap_config *c)
{
	if (strcmp(v, "strict") == 0)
		c->txn = CAP_TXN_STRICT;
	else if (strcmp(v, "read-committed") == 0)
		c->txn = CAP_TXN_READ_COMMITTED;
	else
		return CAP_EINVAL;
	return CAP_OK;
}

static int p_follow(const char *v, cap_config *c)
{
	static const char *const names[] = { "off", "auto", "require" };
	for (size_t i = 0; i < CAP_ARRAY_LEN(names); i++)
		if (strcmp(v, names[i]) == 0) {
			c->follow = (enum cap_follow_mode)i;
			return CAP_OK;
		}
	return CAP_EINVAL;
}

/* A URI `capacitor follow` takes; its own parser judges the rest when it starts. */
static int p_follow_dsn(const char *v, cap_config *c)
{
	if (v[0] != '\0' && strncmp(v, "postgresql://", 13) != 0 &&
	    strncmp(v, "postgres://", 11) != 0 && strncmp(v, "mysql://", 8) != 0 &&
	    strncmp(v, "mariadb://", 10) != 0)
		return CAP_EINVAL;
	return copy_path(c->follow_dsn, sizeof(c->follow_dsn), v);
}

static int p_log(const char *v, cap_config *c)
{
	if (v[0] == '\0') {
		c->log[0] = '\0'; /* CAPACITOR_DIR/log */
		return CAP_OK;
	}
	if (strcmp(v, "stderr") != 0 && v[0] != '/')
		return CAP_EINVAL;
	return copy_path(c->log, sizeof(c->log), v);
}

static int p_log_level(const char *v, cap_config *c)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (size_t i = 0; i < CAP_ARRAY_LEN(names); i++)
		if (strcmp(v, names[i]) == 0) {
			c->log_level = (int)i;
			return CAP_OK;
		}
	return CAP_EINVAL;
}

static int p_log_interval(const char *v, cap_config *c)
{
	return cap_parse_duration(v, &c->log_interval_ns);
}

static const cap_var vars[] = {
	{ "CAPACITOR_ENABLE", "1", "1 or 0", "1 caches; 0 passes every call straight through", p_enable },
	{ "CAPACITOR_DIR", "", "an absolute directory path",
	  "directory of the shared files (mmap tier, generations, stats); default "
	  "/dev/shm/capacitor-<uid>", p_dir },
	{ "CAPACITOR_MEM", "64M", CAP_SIZE_FORM, "memory tier budget per process (0 = off)", p_mem },
	{ "CAPACITOR_DISK", "256M", CAP_SIZE_FORM, "size of the shared mmap tier file (0 = off)", p_disk },
	{ "CAPACITOR_TTL", "0", CAP_DURATION_FORM, "longest life of an entry (0 = no limit)", p_ttl },
	{ "CAPACITOR_MAX_RESULT", "1M", "a size above zero such as 64K or 1M",
	  "largest encoded result that is cached", p_max_result },
	{ "CAPACITOR_RULES", "", "a path to a rules file (see conf/rules.example)",
	  "per-table TTL, never-cache tables, functions declared safe", p_rules },
	{ "CAPACITOR_TXN", "strict", "strict or read-committed",
	  "strict: no hits inside REPEATABLE READ/SERIALIZABLE transactions; read-committed: "
	  "transactions that have not written are served as at READ COMMITTED", p_txn },
	{ "CAPACITOR_FOLLOW", "auto", "off, auto or require",
	  "what a live `capacitor follow` of the connection's database changes: auto: entries "
	  "stored while it is live need no CAPACITOR_TTL; require: nothing of a database is "
	  "cached while none is live; off: heartbeats are not read", p_follow },
	{ "CAPACITOR_FOLLOW_DSN", "", "a postgresql:// or mysql:// URI for capacitor follow",
	  "start `capacitor follow --daemon URI` once, at the first query (a running one makes "
	  "it a no-op)", p_follow_dsn },
	{ "CAPACITOR_LOG", "", "an absolute file path or stderr",
	  "where warnings go; default CAPACITOR_DIR/log (emptied when over 1M); setting it also "
	  "turns on the stats summaries", p_log },
	{ "CAPACITOR_LOG_LEVEL", "warn", "error, warn, info or debug", "least severe level logged",
	  p_log_level },
	{ "CAPACITOR_LOG_INTERVAL", "60s", CAP_DURATION_FORM,
	  "with CAPACITOR_LOG set, one stats summary line per interval and at exit (0 = only at exit)",
	  p_log_interval },
};

const cap_var *cap_config_vars(size_t *n)
{
	*n = CAP_ARRAY_LEN(vars);
	return vars;
}

/* ---- the default directory, which another local user must not be able to take ----
 *
 * /dev/shm/capacitor-<uid>, the same for every process of the user wherever it was started:
 * $XDG_RUNTIME_DIR is set by a login session and not by cron, su, sudo, services or docker
 * exec, so a default that followed it split one user's programs into caches that never see
 * each other's writes (attack round 7, x-7). The name is one anyone can create first. When it exists
 * and is not ours (another owner, a symlink, group/other-writable), it is never used: the
 * directory becomes /dev/shm/capacitor-<uid>-<64 random bits>, and that name is recorded in
 * ~/.cache/capacitor-dir (mode 0600, in directories only we can write) so that every process
 * of ours picks the same one. The file is created with link(2), so two processes that race
 * agree on one name; a recorded name someone else took meanwhile is replaced by a new random
 * one. Without a usable home there is no shared directory (CAPACITOR_DIR="" : each process
 * keeps a private cache, which stores only entries with a TTL). */

#define SHM_BASE "/dev/shm/capacitor-"

/* owned_dir - 1: a directory of ours, not group/other-writable; 0: missing; -1: anything else */
static int owned_dir(const char *p)
{
	struct stat st;
	if (lstat(p, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022) ? 1 : -1;
}

/* pointer_path - ~/.cache/capacitor-dir, after checking that only we can write on the way. */
static int pointer_path(char *buf, size_t cap)
{
	const char *home = getenv("HOME");
	if (!home || home[0] != '/' || owned_dir(home) != 1)
		return -1;
	if (snprintf(buf, cap, "%s/.cache", home) >= (int)cap)
		return -1;
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	if (owned_dir(buf) != 1 || strlen(buf) + sizeof("/capacitor-dir") > cap)
		return -1;
	strcat(buf, "/capacitor-dir");
	return 0;
}

/* read_pointer - the recorded name, if the file is ours and holds a name of the right form. */
static int read_pointer(const char *path, char *out, size_t cap)
{
	int fd = cap_shm_open(AT_FDCWD, path, O_RDONLY, NULL, NULL, 0);
	if (fd < 0)
		return -1;
	char buf[128];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	char prefix[64];
	int pl = snprintf(prefix, sizeof(prefix), SHM_BASE "%lu-", (unsigned long)geteuid());
	if (strncmp(buf, prefix, (size_t)pl) != 0 || strlen(buf + pl) != 16 ||
	    strspn(buf + pl, "0123456789abcdef") != 16 || strlen(buf) >= cap)
		return -1;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

/* record - create the pointer file naming dir (link: fails with EEXIST when another process
 * was first). 0, or -1 with errno. */
static int record(const char *path, const char *dir)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t n = strlen(dir);
	int ok = write(fd, dir, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
	close(fd);
	int rc = ok ? link(tmp, path) : -1;
	int e = errno;
	unlink(tmp);
	errno = e;
	return rc;
}

static void squatted_fallback(char *buf, size_t cap)
{
	char ptr[PATH_MAX], cand[128];
	buf[0] = '\0';
	if (pointer_path(ptr, sizeof(ptr)) != 0)
		return;
	for (int attempt = 0; attempt < 8; attempt++) {
		if (read_pointer(ptr, cand, sizeof(cand)) == 0) {
			int o = owned_dir(cand);
			if (o == 0 && mkdir(cand, 0700) == 0)
				o = owned_dir(cand);
			else if (o == 0)
				o = owned_dir(cand); /* made by a process of ours meanwhile? */
			if (o == 1 && strlen(cand) < cap) {
				memcpy(buf, cand, strlen(cand) + 1);
				return;
			}
			/* taken by someone else: pick another name (whoever comes first) */
			unlink(ptr);
		}
		snprintf(cand, sizeof(cand), SHM_BASE "%lu-%016llx", (unsigned long)geteuid(),
			 (unsigned long long)cap_random64());
		if (mkdir(cand, 0700) != 0)
			continue;
		if (record(ptr, cand) == 0 && strlen(cand) < cap) {
			memcpy(buf, cand, strlen(cand) + 1);
			return;
		}
		rmdir(cand); /* another process recorded its name first: read it */
	}
}

void cap_config_default_dir(char *buf, size_t cap)
{
	snprintf(buf, cap, SHM_BASE "%lu", (unsigned long)geteuid());
	if (owned_dir(buf) >= 0)
		return; /* ours, or free: the engine creates it (0700) and checks it again */
	squatted_fallback(buf, cap);
}

const char *cap_config_shown(const cap_var *var, const char *value)
{
	return strcmp(var->name, "CAPACITOR_FOLLOW_DSN") == 0 ? "(not shown: it may hold a password)"
							       : value;
}

int cap_config_load(cap_config *c, cap_config_problem_fn problem, void *ctx)
{
	int bad = 0;
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CAP_ARRAY_LEN(vars); i++)
		(void)vars[i].parse(vars[i].def, c);
	for (size_t i = 0; i < CAP_ARRAY_LEN(vars); i++) {
		const char *v = getenv(vars[i].name);
		if (v == NULL)
			continue;
		cap_config saved = *c;
		if (vars[i].parse(v, c) != CAP_OK) {
			*c = saved;
			bad++;
			if (problem)
				problem(ctx, &vars[i], v);
		}
	}
	if (c->dir[0] == '\0')
		cap_config_default_dir(c->dir, sizeof(c->dir));
	return bad;
}

static void fmt_size(uint64_t v, char *buf, size_t cap)
{
	static const char sfx[] = "KMGT";
	int i = -1;
	while (v >= 1024 && v % 1024 == 0 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, cap, "%" PRIu64, v);
	else
		snprintf(buf, cap, "%" PRIu64 "%c", v, sfx[i]);
}

static void fmt_duration(uint64_t ns, char *buf, size_t cap)
{
	static const struct { const char *u; uint64_t ns; } u[] = {
		{ "d", 86400000000000ULL }, { "h", 3600000000000ULL }, { "m", 60000000000ULL },
		{ "s", 1000000000ULL }, { "ms", 1000000ULL }, { "us", 1000ULL }, { "ns", 1ULL },
	};
	if (ns == 0) {
		snprintf(buf, cap, "0");
		return;
	}
	for (size_t i = 0; i < CAP_ARRAY_LEN(u); i++)
		if (ns % u[i].ns == 0) {
			snprintf(buf, cap, "%" PRIu64 "%s", ns / u[i].ns, u[i].u);
			return;
		}
}

void cap_config_value(const cap_config *c, const cap_var *var, char *buf, size_t cap)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	if (var->parse == p_enable)
		snprintf(buf, cap, "%d", c->enable);
	else if (var->parse == p_dir)
		snprintf(buf, cap, "%s", c->dir);
	else if (var->parse == p_mem)
		fmt_size(c->mem, buf, cap);
	else if (var->parse == p_disk)
		fmt_size(c->disk, buf, cap);
	else if (var->parse == p_ttl)
		fmt_duration(c->ttl_ns, buf, cap);
	else if (var->parse == p_max_result)
		fmt_size(c->max_result, buf, cap);
	else if (var->parse == p_rules)
		snprintf(buf, cap, "%s", c->rules[0] ? c->rules : "(none)");
	else if (var->parse == p_txn)
		snprintf(buf, cap, "%s", c->txn == CAP_TXN_STRICT ? "strict" : "read-committed");
	else if (var->parse == p_follow)
		snprintf(buf, cap, "%s", c->follow == CAP_FOLLOW_OFF ? "off"
					 : c->follow == CAP_FOLLOW_AUTO ? "auto" : "require");
	else if (var->parse == p_follow_dsn)
		snprintf(buf, cap, "%s", c->follow_dsn[0] ? "(set)" : "(none)");
	else if (var->parse == p_log)
		snprintf(buf, cap, "%s%s", c->log[0] ? c->log : c->dir, c->log[0] ? "" : "/log");
	else if (var->parse == p_log_level)
		snprintf(buf, cap, "%s", levels[c->log_level & 3]);
	else if (var->parse == p_log_interval)
		fmt_duration(c->log_interval_ns, buf, cap);
	else
		snprintf(buf, cap, "?");
}

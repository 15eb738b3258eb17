/*
 * capacitor.c - the `capacitor` command: run a program under the cache, check the
 * configuration, invalidate tables, read the statistics.
 *
 *     capacitor run [--] CMD [ARGS...]      exec CMD with libcapacitor.so preloaded
 *     capacitor config                      effective CAPACITOR_* values and the rules file
 *     capacitor invalidate TABLE... | --all bump generations in CAPACITOR_DIR/gen
 *     capacitor stats [OPTIONS]             tools/cmd_stats.c
 *     capacitor follow [OPTIONS] URI        tools/follow.c (links libpq and Connector/C)
 *     capacitor help [COMMAND] | --help | version
 *
 * Shaped like LMDB's mdb_stat.c: getopt, usage() on stderr for a usage error (stdout when help
 * is asked for), every failure naming the call and the error. Exit statuses mean something:
 * 0 success, 1 the operation failed (bad configuration, unusable directory), 2 usage error;
 * `run` replaces itself with CMD, so CMD's status is the status, and before that exits 125
 * when the library cannot be found, 126 when CMD cannot be executed, 127 when it is not found
 * (the convention of env(1) and nice(1)).
 *
 * The command links the cache core (libcapcore.a), never the preload library: `invalidate`
 * opens the same shared files the preloaded processes map, with both tiers off, so it only
 * touches the generation table; `config` runs the very parsers the library runs, so what it
 * accepts is exactly what the library accepts.
 *
 * `run` keeps an LD_PRELOAD that is already set and appends the library after it: a sanitizer
 * runtime or another preload that must come first stays first.
 */
#include "cache/cap.h"
#include "cache/engine.h"
#include "cache/gen.h"
#include "cache/shmfile.h"
#include "cache/log.h"
#include "cache/rules.h"
#include "cache/stats.h"
#include "preload/config.h"
#include "tools/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CAP_VERSION
#define CAP_VERSION "0.1.0"
#endif

#define LIB_NAME "libcapacitor.so"

enum { EXIT_RUN_SETUP = 125, EXIT_RUN_NOEXEC = 126, EXIT_RUN_NOTFOUND = 127 };

typedef struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis; /* after "capacitor NAME " */
	const char *help;     /* what `capacitor help NAME` adds */
} command;

static int cmd_run(int argc, char **argv);
static int cmd_config(int argc, char **argv);
static int cmd_invalidate(int argc, char **argv);
static int cmd_stats(int argc, char **argv);
static int cmd_follow(int argc, char **argv);
static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const command commands[] = {
	{ "run", cmd_run, "[--] CMD [ARGS...]",
	  "Run CMD with " LIB_NAME " preloaded, so that its libpq and libmysqlclient queries\n"
	  "go through the cache. An LD_PRELOAD already set is kept and the library appended.\n"
	  "The library is looked for next to this program, in ../lib from it, then in\n"
	  "/usr/local/lib and /usr/lib. CMD's exit status is the exit status; 125 when the\n"
	  "library is not found, 126 when CMD cannot be executed, 127 when it is not found.\n" },
	{ "config", cmd_config, "",
	  "Print every CAPACITOR_* variable with its effective value and where it came from\n"
	  "(environment or default), and the rules CAPACITOR_RULES defines. Exit status 1 when\n"
	  "any variable is not valid, the directory would be refused, or the rules file has a\n"
	  "problem (each is listed on stderr, rules problems as file:line), 0 otherwise.\n" },
	{ "invalidate", cmd_invalidate, "TABLE... | --all",
	  "Make every process sharing CAPACITOR_DIR forget the cached results that read the\n"
	  "named tables (a bare name: schema and database are ignored, case does not matter),\n"
	  "or every cached result with --all. Use it after writes that did not go through\n"
	  "Capacitor. --all also clears the marks of writes left in flight by processes that\n"
	  "died (their tables are not cached until the server is seen to have ended them).\n"
	  "Exit status 1 when the directory's generation table cannot be opened.\n" },
	{ "stats", cmd_stats, "[--json | --prometheus] [--top N] [--watch SECONDS] [--reset] [--dir DIR]",
	  "Print the counters and latency histograms of every process sharing CAPACITOR_DIR:\n"
	  "a table by default, one JSON object with --json, the Prometheus text format with\n"
	  "--prometheus; --watch refreshes every SECONDS. See `capacitor stats --help`.\n" },
	{ "follow", cmd_follow, "[--daemon] [--name NAME] [OPTIONS] URI | --check URI | --status",
	  "Follow a server's own change stream (PostgreSQL logical replication, MariaDB binlog)\n"
	  "and invalidate the tables written there by any client, Capacitor or not. URI is\n"
	  "postgresql://... (libpq) or mysql://user:password@host:port/db. Runs in the\n"
	  "foreground until SIGTERM/SIGINT; --daemon detaches; --check says what the server\n"
	  "lacks; --status lists followers. See `capacitor follow --help`.\n" },
	{ "help", cmd_help, "[COMMAND]", "Describe the commands, or one of them.\n" },
	{ "version", cmd_version, "", "Print the version.\n" },
};

static const char *progname = "capacitor";

static const command *find_command(const char *name)
{
	for (size_t i = 0; i < CAP_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s COMMAND [ARGS...]\n\ncommands:\n", progname);
	for (size_t i = 0; i < CAP_ARRAY_LEN(commands); i++)
		fprintf(f, "  %s %s%s%s\n", progname, commands[i].name,
			commands[i].synopsis[0] ? " " : "", commands[i].synopsis);
	fprintf(f, "\n%s help COMMAND describes one; man capacitor describes all, with every\n"
		   "CAPACITOR_* variable.\n", progname);
}

static void command_usage(FILE *f, const command *c)
{
	fprintf(f, "usage: %s %s%s%s\n", progname, c->name, c->synopsis[0] ? " " : "", c->synopsis);
}

static int usage_error(const command *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* usage_error - one line naming the problem, then the usage, on stderr; returns exit 2. */
static int usage_error(const command *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	if (c)
		fprintf(stderr, "%s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c)
		command_usage(stderr, c);
	else
		usage(stderr);
	return CAP_EXIT_USAGE;
}

/* wants_help - argv[1] is -h or --help. */
static int wants_help(int argc, char **argv)
{
	return argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
}

static int print_help(const command *c)
{
	command_usage(stdout, c);
	printf("\n%s", c->help);
	return CAP_EXIT_OK;
}

/* ------------------------------------------------------------------ run */

/* find_library - the absolute path of libcapacitor.so into buf; 0, or -1 with the places
 * tried in tried. */
static int find_library(char *buf, size_t cap, char *tried, size_t tcap)
{
	char exe[PATH_MAX], cand[PATH_MAX + 32];
	const char *fixed[] = {
#ifdef CAP_PREFIX
		CAP_PREFIX "/lib/" LIB_NAME,
#endif
		"/usr/local/lib/" LIB_NAME,
		"/usr/lib/" LIB_NAME,
	};
	size_t used = 0;
	tried[0] = '\0';
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int have_exe = n > 0;
	if (have_exe) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
	}
	for (int i = 0; i < 2 + (int)CAP_ARRAY_LEN(fixed); i++) {
		if (i < 2) {
			if (!have_exe)
				continue;
			snprintf(cand, sizeof(cand), "%s/%s" LIB_NAME, exe, i == 0 ? "" : "../lib/");
		} else {
			snprintf(cand, sizeof(cand), "%s", fixed[i - 2]);
		}
		int w = snprintf(tried + used, tcap - used, "%s%s", used ? ", " : "", cand);
		if (w > 0 && (size_t)w < tcap - used)
			used += (size_t)w;
		if (access(cand, R_OK) == 0 && realpath(cand, buf) != NULL && strlen(buf) < cap)
			return 0;
	}
	return -1;
}

/* has_token - whether list (separated by spaces or colons, as ld.so reads LD_PRELOAD)
 * contains word. */
static int has_token(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ':')
			p++;
		const char *e = p;
		while (*e && *e != ' ' && *e != ':')
			e++;
		if ((size_t)(e - p) == wl && memcmp(p, word, wl) == 0)
			return 1;
		p = e;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	const command *self = find_command("run");
	int i = 1;
	if (wants_help(argc, argv))
		return print_help(self);
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	else if (i < argc && argv[i][0] == '-')
		return usage_error(self, "unknown option '%s' (put -- before a command that starts "
					 "with '-')", argv[i]);
	if (i >= argc)
		return usage_error(self, "no command given");

	char lib[PATH_MAX], tried[4 * PATH_MAX];
	if (find_library(lib, sizeof(lib), tried, sizeof(tried)) < 0) {
		fprintf(stderr, "%s: run: cannot find " LIB_NAME " (tried %s)\n", progname, tried);
		return EXIT_RUN_SETUP;
	}
	/* ld.so splits LD_PRELOAD at spaces and colons, with no way to quote one: the program
	 * would print its errors and run without the library. Say so, and run nothing. */
	if (strpbrk(lib, " :\t\n") != NULL) {
		fprintf(stderr, "%s: run: %s holds a space or a colon, which LD_PRELOAD cannot carry "
			"(ld.so splits it there); install Capacitor under a path without them "
			"(make install PREFIX=...), or link the library from one and set LD_PRELOAD "
			"to the link; nothing was run\n", progname, lib);
		return EXIT_RUN_SETUP;
	}
	const char *old = getenv("LD_PRELOAD");
	if (old == NULL || old[strspn(old, " :")] == '\0') {
		if (setenv("LD_PRELOAD", lib, 1) < 0) {
			fprintf(stderr, "%s: run: setenv LD_PRELOAD: %s\n", progname, strerror(errno));
			return EXIT_RUN_SETUP;
		}
	} else if (!has_token(old, lib)) {
		size_t len = strlen(old) + 1 + strlen(lib) + 1;
		char *v = malloc(len);
		if (v == NULL) {
			fprintf(stderr, "%s: run: malloc: %s\n", progname, strerror(errno));
			return EXIT_RUN_SETUP;
		}
		snprintf(v, len, "%s %s", old, lib);
		if (setenv("LD_PRELOAD", v, 1) < 0) {
			fprintf(stderr, "%s: run: setenv LD_PRELOAD: %s\n", progname, strerror(errno));
			free(v);
			return EXIT_RUN_SETUP;
		}
		free(v);
	}
	fflush(NULL);
	execvp(argv[i], argv + i);
	int err = errno;
	fprintf(stderr, "%s: run: execvp %s: %s\n", progname, argv[i], strerror(err));
	return err == ENOENT ? EXIT_RUN_NOTFOUND : EXIT_RUN_NOEXEC;
}

/* ------------------------------------------------------------------ config */

typedef struct config_report {
	unsigned bad_vars;
	unsigned rule_problems;
	const char *bad[64]; /* names of the bad variables, for the value column */
	size_t nbad;
} config_report;

static void config_var_problem(void *ctx, const cap_var *var, const char *value)
{
	config_report *r = ctx;
	r->bad_vars++;
	if (r->nbad < CAP_ARRAY_LEN(r->bad))
		r->bad[r->nbad++] = var->name;
	fprintf(stderr, "%s: %s='%.200s' is not valid (expected %s); the library uses the default "
		"%s\n", progname, var->name, cap_config_shown(var, value), var->form,
		var->def[0] ? var->def : "(unset)");
}

static void config_rule_problem(void *ctx, const char *file, unsigned line, const char *text,
				const char *message)
{
	config_report *r = ctx;
	r->rule_problems++;
	if (text && text[0])
		fprintf(stderr, "%s: %s:%u: %s: '%s'\n", progname, file, line, message, text);
	else
		fprintf(stderr, "%s: %s:%u: %s\n", progname, file, line, message);
}

static int is_bad(const config_report *r, const char *name)
{
	for (size_t i = 0; i < r->nbad; i++)
		if (strcmp(r->bad[i], name) == 0)
			return 1;
	return 0;
}

/* check_dir - the checks the library makes of CAPACITOR_DIR (cache/shmfile), without creating
 * anything: 0 when the directory is missing (it is created on first use) or usable, -1 with
 * the reason in why. */
static int check_dir(const char *dir, char *why, size_t whycap)
{
	int dfd = cap_shm_dir_open(dir, 0, why, whycap);
	if (dfd >= 0)
		close(dfd);
	return dfd >= 0 || (dfd == CAP_EIO && errno == ENOENT) ? 0 : -1;
}

static int cmd_config(int argc, char **argv)
{
	const command *self = find_command("config");
	if (wants_help(argc, argv))
		return print_help(self);
	if (argc > 1)
		return usage_error(self, "unexpected argument '%s'", argv[1]);

	config_report rep = { 0 };
	cap_config c;
	size_t nvars;
	const cap_var *vars = cap_config_vars(&nvars);
	cap_config_load(&c, config_var_problem, &rep);

	for (size_t i = 0; i < nvars; i++) {
		char val[PATH_MAX + 64];
		const char *from = "default";
		cap_config_value(&c, &vars[i], val, sizeof(val));
		if (getenv(vars[i].name) != NULL)
			from = is_bad(&rep, vars[i].name) ? "environment: NOT VALID, default used"
							  : "environment";
		printf("%-24s %-32s %s\n", vars[i].name, val, from);
	}

	unsigned dir_problems = 0;
	char why[PATH_MAX + 100];
	if (c.enable && check_dir(c.dir, why, sizeof(why)) < 0) {
		dir_problems++;
		fprintf(stderr, "%s: CAPACITOR_DIR %s: the library would keep no shared files "
			"there (no L2, no cross-process invalidation: only entries with a TTL "
			"cached)\n", progname, why);
	}

	if (c.rules[0]) {
		cap_rules *r = NULL;
		int rc = cap_rules_load(c.rules, config_rule_problem, &rep, &r);
		if (rc == CAP_OK) {
			size_t n = cap_rules_count(r);
			printf("\nrules from %s: %zu rule%s\n", c.rules, n, n == 1 ? "" : "s");
			for (size_t i = 0; i < n; i++) {
				char desc[1024];
				if (cap_rules_describe(r, i, desc, sizeof(desc)) != CAP_EINVAL)
					printf("  %s\n", desc);
			}
			cap_rules_free(r);
		} else {
			if (rep.rule_problems == 0) {
				rep.rule_problems++;
				fprintf(stderr, "%s: cap_rules_load %s: %s\n", progname, c.rules,
					cap_strerror(rc));
			}
			printf("\nrules from %s: NOT LOADED (%u problem%s); processes using them cache "
			       "nothing\n", c.rules, rep.rule_problems,
			       rep.rule_problems == 1 ? "" : "s");
		}
	}

	unsigned total = rep.bad_vars + rep.rule_problems + dir_problems;
	if (total) {
		fprintf(stderr, "%s: config: %u problem%s\n", progname, total, total == 1 ? "" : "s");
		return CAP_EXIT_FAIL;
	}
	return CAP_EXIT_OK;
}

/* ------------------------------------------------------------------ invalidate */

static void quiet_var_problem(void *ctx, const cap_var *var, const char *value)
{
	(void)value;
	const char **dirbad = ctx;
	if (strcmp(var->name, "CAPACITOR_DIR") == 0)
		*dirbad = var->name;
}

/* table_part - the table of `arg` as SQL spells a name, the way the library names a table when
 * it bumps (cache/sql: the last part, unquoted): parts separated by '.', each bare, "quoted"
 * ("" inside for one ") or `backquoted` (`` inside); a bare part is taken as it is (case
 * does not matter to the slot). Writes the last part's text to out and returns its length,
 * or -1 with *why set for what no SQL spells as a table name. */
static long table_part(const char *arg, char *out, size_t cap, const char **why)
{
	const char *p = arg;
	size_t n = 0;
	for (;;) {
		n = 0;
		if (*p == '"' || *p == '`') {
			char q = *p++;
			for (;; p++) {
				if (*p == '\0') {
					*why = "a quoted name without its closing quote";
					return -1;
				}
				if (*p == q && p[1] != q)
					break;
				if (*p == q)
					p++; /* a doubled quote is one */
				if (n + 1 >= cap) {
					*why = "a name too long";
					return -1;
				}
				out[n++] = *p;
			}
			p++;
			if (n == 0) {
				*why = "an empty quoted name";
				return -1;
			}
		} else {
			for (; *p && *p != '.'; p++) {
				if (*p == '"' || *p == '`' || *p == ' ' || *p == '\t') {
					*why = "a quote or a space inside a bare name (quote the whole part)";
					return -1;
				}
				if (n + 1 >= cap) {
					*why = "a name too long";
					return -1;
				}
				out[n++] = *p;
			}
			if (n == 0) {
				*why = "an empty part";
				return -1;
			}
		}
		if (*p == '\0')
			break;
		if (*p != '.') {
			*why = "something after a closing quote other than '.'";
			return -1;
		}
		p++;
	}
	out[n] = '\0';
	return (long)n;
}

static int cmd_invalidate(int argc, char **argv)
{
	const command *self = find_command("invalidate");
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int all = 0, ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+ah", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'h':
			return print_help(self);
		default:
			return usage_error(self, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (all && optind < argc)
		return usage_error(self, "--all takes no table names (got '%s')", argv[optind]);
	if (!all && optind >= argc)
		return usage_error(self, "name at least one table, or --all");
	char part[1024];
	for (int i = optind; i < argc; i++) {
		const char *why = NULL;
		if (argv[i][0] == '\0')
			return usage_error(self, "an empty table name");
		if (table_part(argv[i], part, sizeof(part), &why) < 0)
			return usage_error(self, "'%s' is not a table name as SQL spells it: %s; "
					   "nothing invalidated", argv[i], why);
	}

	cap_config c;
	const char *dirbad = NULL;
	cap_config_load(&c, quiet_var_problem, &dirbad);
	if (dirbad) {
		fprintf(stderr, "%s: invalidate: CAPACITOR_DIR='%s' is not valid (expected an "
			"absolute directory path); nothing invalidated\n", progname,
			getenv("CAPACITOR_DIR"));
		return CAP_EXIT_FAIL;
	}
	cap_log_setup("stderr", CAP_LOG_WARN);

	/* The engine never fails its host: it falls back to a private table that nobody else
	 * sees. Here that would be a silent no-op, so check the directory and the file it must
	 * have used. */
	int dfd = cap_dir_open(c.dir);
	if (dfd < 0) {
		fprintf(stderr, "%s: invalidate: cap_dir_open %s: %s%s\n", progname, c.dir,
			cap_strerror(dfd), dfd == CAP_EIO ? "" : " (must be ours, mode 0700)");
		return CAP_EXIT_FAIL;
	}
	cap_engine_conf ec = { c.dir, 0, 0 };
	cap_engine *e = NULL;
	int rc = cap_engine_open(&ec, &e);
	if (rc != CAP_OK || e == NULL) {
		fprintf(stderr, "%s: invalidate: cap_engine_open %s: %s\n", progname, c.dir,
			cap_strerror(rc));
		close(dfd);
		return CAP_EXIT_FAIL;
	}
	int gfd = cap_file_open(dfd, CAP_GEN_FILE, 0);
	close(dfd);
	if (gfd < 0) {
		fprintf(stderr, "%s: invalidate: cap_file_open %s/%s: %s; nothing invalidated\n",
			progname, c.dir, CAP_GEN_FILE, cap_strerror(gfd));
		cap_engine_close(e);
		return CAP_EXIT_FAIL;
	}
	close(gfd);
	(void)cap_stats_open(c.dir); /* so the bumps show in `capacitor stats` */

	if (all) {
		cap_engine_bump_all(e);
		/* markers of writers that died with a write in flight keep their tables from
		 * being cached until the server says the write ended; the user says so here */
		unsigned n = cap_engine_orphans_clear(e);
		printf("invalidated every cached result in %s\n", c.dir);
		if (n)
			printf("cleared %u write%s in flight of processes that died\n", n,
			       n == 1 ? "" : "s");
	} else {
		for (int i = optind; i < argc; i++) {
			const char *why = NULL;
			long n = table_part(argv[i], part, sizeof(part), &why);
			cap_engine_bump_table(e, part, (size_t)n);
		}
		printf("invalidated %d table%s in %s\n", argc - optind, argc - optind == 1 ? "" : "s",
		       c.dir);
	}
	cap_engine_close(e);
	return CAP_EXIT_OK;
}

/* ------------------------------------------------------------------ the rest */

static int cmd_stats(int argc, char **argv)
{
	return cap_cmd_stats(argc, argv);
}

static int cmd_follow(int argc, char **argv)
{
	return cap_cmd_follow(argc, argv);
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return CAP_EXIT_OK;
	}
	const command *c = find_command(argv[1]);
	if (c == NULL)
		return usage_error(NULL, "no command '%s'", argv[1]);
	if (c->fn == cmd_stats) {
		/* cmd_stats.c owns its options; let it describe them. */
		char *av[] = { (char *)"stats", (char *)"--help", NULL };
		return cap_cmd_stats(2, av);
	}
	if (c->fn == cmd_follow) {
		char *av[] = { (char *)"follow", (char *)"--help", NULL };
		return cap_cmd_follow(2, av);
	}
	return print_help(c);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("capacitor %s\n", CAP_VERSION);
	return CAP_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CAP_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
		usage(stdout);
		return CAP_EXIT_OK;
	}
	if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0)
		name = "version";
	const command *c = find_command(name);
	if (c == NULL)
		return usage_error(NULL, "unknown command '%s'", name);
	int rc = c->fn(argc - 1, argv + 1);
	if (fflush(stdout) != 0 && rc == CAP_EXIT_OK) {
		fprintf(stderr, "%s: writing to stdout: %s\n", progname, strerror(errno));
		rc = CAP_EXIT_FAIL;
	}
	return rc;
}

/*
 * test_conf.c - keeps conf/ from rotting: conf/rules.example must load without a problem and
 * use every rule kind; conf/capacitor.env must name exactly the variables of the table in
 * preload/config.c, set each one whose default is not "unset" to that default, comment out
 * the others, and every value in it (commented examples included) must pass the table's
 * parser. Paths are relative to the repository root, or to $CAP_SRCDIR when set.
 */
#include "cache/cap.h"
#include "cache/rules.h"
#include "preload/config.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void src_path(char *buf, size_t cap, const char *rel)
{
	const char *dir = getenv("CAP_SRCDIR");
	snprintf(buf, cap, "%s/%s", dir && dir[0] ? dir : ".", rel);
}

static int nproblems;

static void on_problem(void *ctx, const char *file, unsigned line, const char *text,
		       const char *message)
{
	(void)ctx;
	nproblems++;
	cr_log_error("%s:%u: %s: %s", file, line, text, message);
}

Test(conf, rules_example_loads_cleanly_and_uses_every_kind)
{
	char path[4096], buf[256];
	src_path(path, sizeof(path), "conf/rules.example");
	cap_rules *r = NULL;
	nproblems = 0;
	cr_assert_eq(cap_rules_load(path, on_problem, NULL, &r), CAP_OK, "%s does not load", path);
	cr_assert_eq(nproblems, 0);
	int seen[3] = { 0 };
	for (size_t i = 0; i < cap_rules_count(r); i++) {
		cr_assert_eq(cap_rules_describe(r, i, buf, sizeof(buf)), CAP_OK);
		seen[0] += strncmp(buf, "ttl ", 4) == 0;
		seen[1] += strncmp(buf, "never ", 6) == 0;
		seen[2] += strncmp(buf, "safe ", 5) == 0;
	}
	cr_assert(seen[0] && seen[1] && seen[2], "ttl %d never %d safe %d", seen[0], seen[1],
		  seen[2]);
	cap_rules_free(r);
}

static const cap_var *find_var(const cap_var *vars, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return &vars[i];
	return NULL;
}

Test(conf, env_file_names_every_variable_with_its_default)
{
	char path[4096], line[1024];
	size_t n;
	const cap_var *vars = cap_config_vars(&n);
	int *seen = calloc(n, sizeof(int));
	src_path(path, sizeof(path), "conf/capacitor.env");
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	unsigned ln = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		size_t len = strlen(line);
		cr_assert(len > 0 && line[len - 1] == '\n', "%s:%u: overlong or unterminated line",
			  path, ln);
		line[--len] = '\0';
		const char *s = line;
		int commented = 0;
		if (strncmp(s, "# CAPACITOR_", 12) == 0) {
			commented = 1;
			s += 2;
		} else if (s[0] == '#' || s[0] == '\0') {
			continue;
		}
		const char *eq = strchr(s, '=');
		cr_assert(strncmp(s, "CAPACITOR_", 10) == 0 && eq != NULL,
			  "%s:%u: not a comment and not NAME=value: %s", path, ln, line);
		const cap_var *v = find_var(vars, n, s, (size_t)(eq - s));
		cr_assert_not_null(v, "%s:%u: %.*s is not in the table", path, ln, (int)(eq - s), s);
		size_t vi = (size_t)(v - vars);
		cr_assert_eq(seen[vi], 0, "%s:%u: %s named twice", path, ln, v->name);
		seen[vi] = 1;
		const char *val = eq + 1;
		/* A value the shell takes literally: no quoting, spaces or expansions. */
		for (const char *c = val; *c; c++)
			cr_assert(isalnum((unsigned char)*c) || strchr("/._-+:", *c),
				  "%s:%u: value needs shell quoting: %s", path, ln, val);
		if (commented)
			cr_assert_str_eq(v->def, "", "%s:%u: %s has a default (%s) and must be set",
					 path, ln, v->name, v->def);
		else
			cr_assert_str_eq(val, v->def, "%s:%u: %s=%s but the default is '%s'", path,
					 ln, v->name, val, v->def);
		cap_config c;
		memset(&c, 0, sizeof(c));
		cr_assert_eq(v->parse(val, &c), CAP_OK, "%s:%u: %s=%s does not parse (%s)", path, ln,
			     v->name, val, v->form);
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		cr_assert(seen[i], "%s does not name %s", path, vars[i].name);
	free(seen);
}

/* ---- the default directory cannot be squatted by another local user ---- */

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int owner_of(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode) ? (int)st.st_uid : -1;
}

/* In a child running as uid: the default directory it resolves, written to fd. With xdg set
 * XDG_RUNTIME_DIR names it (a login session), else it is unset (cron, sudo, a service). */
static void resolve_as(uid_t uid, const char *home, const char *xdg, int fd)
{
	if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0)
		_exit(3);
	setenv("HOME", home, 1);
	if (xdg)
		setenv("XDG_RUNTIME_DIR", xdg, 1);
	else
		unsetenv("XDG_RUNTIME_DIR");
	char d[4096];
	cap_config_default_dir(d, sizeof(d));
	if (write(fd, d, strlen(d) + 1) < 0)
		_exit(4);
	_exit(0);
}

static void resolve_in(uid_t uid, const char *home, const char *xdg, char *out, size_t cap)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0)
		resolve_as(uid, home, xdg, p[1]);
	close(p[1]);
	ssize_t n = read(p[0], out, cap - 1);
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	cr_assert(n > 0);
	out[n] = '\0';
}

static void resolve(uid_t uid, const char *home, char *out, size_t cap)
{
	resolve_in(uid, home, NULL, out, cap);
}

Test(conf, default_dir_squatted_by_another_user_is_never_used)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to act as two users");
	uid_t victim = 61000 + (uid_t)(getpid() % 1000);
	char home[256], squat[256], a[4096], b[4096], c[4096], cmd[13000];
	snprintf(home, sizeof(home), "/tmp/cap-test-home-%d", (int)getpid());
	snprintf(squat, sizeof(squat), "/dev/shm/capacitor-%u", (unsigned)victim);
	cr_assert_eq(mkdir(home, 0700), 0);
	cr_assert_eq(chown(home, victim, victim), 0);
	rmdir(squat);
	/* the attacker (root here, any other uid works the same) takes the well-known name */
	cr_assert_eq(mkdir(squat, 0777), 0);
	chmod(squat, 0777);

	resolve(victim, home, a, sizeof(a));
	cr_assert_str_neq(a, squat);
	cr_assert_eq(strncmp(a, squat, strlen(squat)), 0, "%s", a);
	cr_assert_eq(owner_of(a), (int)victim, "%s is not the victim's", a);
	resolve(victim, home, b, sizeof(b));
	cr_assert_str_eq(a, b, "every process of the user agrees on one directory");

	/* the attacker learns the name and takes it too (after a reboot, say): a new one */
	rmdir(a);
	cr_assert_eq(mkdir(a, 0777), 0);
	resolve(victim, home, c, sizeof(c));
	cr_assert_str_neq(c, a);
	cr_assert_str_neq(c, squat);
	cr_assert_eq(owner_of(c), (int)victim);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s' '%s'", home, squat, a, c);
	cr_assert_eq(system(cmd), 0);
}

Test(conf, default_dir_of_the_owner_is_used)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to act as another user");
	uid_t u = 62000 + (uid_t)(getpid() % 1000);
	char home[256], want[256], got[4096], cmd[600];
	snprintf(home, sizeof(home), "/tmp/cap-test-home2-%d", (int)getpid());
	snprintf(want, sizeof(want), "/dev/shm/capacitor-%u", (unsigned)u);
	rmdir(want);
	cr_assert_eq(mkdir(home, 0700), 0);
	cr_assert_eq(chown(home, u, u), 0);
	resolve(u, home, got, sizeof(got));
	cr_assert_str_eq(got, want);
	/* a login session's XDG_RUNTIME_DIR (the user's own, mode 0700) changes nothing: cron
	 * jobs, services and sudo have none, and all of them must share one cache (x-7) */
	resolve_in(u, home, home, got, sizeof(got));
	cr_assert_str_eq(got, want);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	cr_assert_eq(system(cmd), 0);
}

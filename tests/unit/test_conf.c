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

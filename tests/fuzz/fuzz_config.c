/*
 * fuzz_config.c - libFuzzer target for the CAPACITOR_* parsers (preload/config.c, the size and
 * duration forms of cache/units.c).
 *
 * The values come from the environment of whatever program loads the library: any bytes. Input:
 * lines; the first byte of a line picks a variable of the table (modulo its length), the rest
 * of the line is the value. Each value goes
 *  1. to the variable's own parser, on a configuration holding the defaults: it answers CAP_OK
 *     or CAP_EINVAL; an accepted value printed by cap_config_value (what `capacitor config`
 *     shows) parses again to the same configuration (the printed form never lies), and sizes
 *     and durations agree with a reference reading of the documented forms (cache/units.h);
 *  2. into the environment, for one cap_config_load of all of them: the number of bad
 *     variables equals the problem reports, and matches what step 1 found for the last value
 *     of each variable.
 * HOME points at a private temporary directory, so that resolving the default CAPACITOR_DIR
 * (which reads ~/.cache/capacitor-dir, and writes it when /dev/shm/capacitor-<uid> is taken)
 * never touches the real one.
 */
#include "preload/config.h"
#include "cache/cap.h"
#include "cache/units.h"
#include "tests/fuzz/fuzz_dir.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned nproblems;

static void on_problem(void *ctx, const cap_var *var, const char *value)
{
	(void)ctx;
	if (var == NULL || value == NULL)
		abort();
	nproblems++;
}

/* ref_number - the documented forms: decimal digits (no sign, space or 0x) and a suffix from
 * the list, the product below 2^64. 1 and *out, or 0. */
static int ref_number(const char *s, const char *const *sfx, const uint64_t *mult, size_t nsfx,
		      uint64_t *out)
{
	size_t nd = strspn(s, "0123456789");
	if (nd == 0)
		return 0;
	unsigned __int128 v = 0;
	for (size_t i = 0; i < nd; i++) {
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > UINT64_MAX)
			return 0;
	}
	for (size_t k = 0; k < nsfx; k++)
		if (strcmp(s + nd, sfx[k]) == 0) {
			unsigned __int128 p = v * mult[k];
			if (p > UINT64_MAX || (mult[k] == 0 && v != 0))
				return 0;
			*out = (uint64_t)p;
			return 1;
		}
	return 0;
}

static int ref_size(const char *s, uint64_t *out)
{
	static const char *const sfx[] = { "", "B", "b", "K", "KB", "Kb", "KiB", "Kib", "k", "kB",
		"kb", "kiB", "kib", "M", "MB", "Mb", "MiB", "Mib", "m", "mB", "mb", "miB", "mib",
		"G", "GB", "Gb", "GiB", "Gib", "g", "gB", "gb", "giB", "gib", "T", "TB", "Tb",
		"TiB", "Tib", "t", "tB", "tb", "tiB", "tib" };
	uint64_t mult[CAP_ARRAY_LEN(sfx)];
	for (size_t k = 0; k < CAP_ARRAY_LEN(sfx); k++) {
		const char *u = "KkMmGgTt";
		const char *p = sfx[k][0] ? strchr(u, sfx[k][0]) : NULL;
		mult[k] = p ? 1ULL << (10 * (1 + (p - u) / 2)) : 1;
	}
	return ref_number(s, sfx, mult, CAP_ARRAY_LEN(sfx), out);
}

static int ref_duration(const char *s, uint64_t *out)
{
	static const char *const sfx[] = { "ns", "us", "ms", "s", "m", "h", "d", "" };
	/* a bare number is only "0": multiplying by 0 refuses any other */
	static const uint64_t mult[] = { 1ULL, 1000ULL, 1000000ULL, 1000000000ULL, 60000000000ULL,
		3600000000000ULL, 86400000000000ULL, 0 };
	return ref_number(s, sfx, mult, CAP_ARRAY_LEN(sfx), out);
}

/* one_value - step 1; returns whether the parser accepted v. */
static int one_value(const cap_var *var, const char *v)
{
	static cap_config c, again;
	cap_config_load(&c, NULL, NULL);
	int rc = var->parse(v, &c);
	if (rc != CAP_OK && rc != CAP_EINVAL)
		abort();
	uint64_t want = 0, got = 0;
	int ok = -1;
	if (strcmp(var->name, "CAPACITOR_MEM") == 0 || strcmp(var->name, "CAPACITOR_DISK") == 0) {
		ok = ref_size(v, &want);
		got = strcmp(var->name, "CAPACITOR_MEM") == 0 ? c.mem : c.disk;
	} else if (strcmp(var->name, "CAPACITOR_MAX_RESULT") == 0) {
		ok = ref_size(v, &want) && want != 0;
		got = c.max_result;
	} else if (strcmp(var->name, "CAPACITOR_TTL") == 0) {
		ok = ref_duration(v, &want);
		got = c.ttl_ns;
	} else if (strcmp(var->name, "CAPACITOR_LOG_INTERVAL") == 0) {
		ok = ref_duration(v, &want);
		got = c.log_interval_ns;
	}
	if (ok >= 0 && (ok != (rc == CAP_OK) || (ok && got != want)))
		abort();
	if (rc != CAP_OK)
		return 0;
	/* printed form: "(none)" and CAPACITOR_DIR/log stand for the empty default */
	char buf[PATH_MAX + 16];
	cap_config_value(&c, var, buf, sizeof(buf));
	/* the follower's URI is shown as "(set)": it may hold a password */
	int placeholder = (strcmp(var->name, "CAPACITOR_RULES") == 0 && c.rules[0] == '\0') ||
			  (strcmp(var->name, "CAPACITOR_LOG") == 0 && c.log[0] == '\0') ||
			  strcmp(var->name, "CAPACITOR_FOLLOW_DSN") == 0;
	if (!placeholder) {
		again = c;
		if (var->parse(buf, &again) != CAP_OK || memcmp(&again, &c, sizeof(c)) != 0)
			abort();
	}
	return 1;
}

static char home[128];

static void remove_home(void)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/.cache/capacitor-dir", home);
	unlink(p);
	snprintf(p, sizeof(p), "%s/.cache", home);
	rmdir(p);
	rmdir(home);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (fuzz_mkdir(home, sizeof(home), "home") != 0)
			abort();
		setenv("HOME", home, 1);
		atexit(remove_home);
		ready = 1;
	}
	if (size > 8192)
		return 0;
	size_t nvars;
	const cap_var *vars = cap_config_vars(&nvars);
	for (size_t i = 0; i < nvars; i++)
		unsetenv(vars[i].name);
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	int last_ok[64];
	for (size_t i = 0; i < nvars; i++)
		last_ok[i] = -1;
	char *line = text, *end = text + size;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		if (nl)
			*nl = '\0';
		if (line[0] != '\0') {
			size_t i = (unsigned char)line[0] % nvars;
			/* one value per byte string: a NUL ends it, as in an environment */
			const char *v = line + 1;
			last_ok[i] = one_value(&vars[i], v);
			setenv(vars[i].name, v, 1);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	unsigned want_bad = 0;
	for (size_t i = 0; i < nvars; i++)
		want_bad += last_ok[i] == 0;
	cap_config c;
	nproblems = 0;
	int bad = cap_config_load(&c, on_problem, NULL);
	if (bad < 0 || (unsigned)bad != nproblems || (unsigned)bad != want_bad)
		abort();
	for (size_t i = 0; i < nvars; i++)
		unsetenv(vars[i].name);
	free(text);
	return 0;
}

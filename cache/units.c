/*
 * units.c - size and duration parsing (see units.h for the accepted forms).
 *
 * Parsing is done by hand rather than with strtoull because strtoull accepts leading spaces,
 * signs and "0x", which a configuration value must not silently mean.
 */
#include "cache/units.h"
#include "cache/cap.h"

#include <string.h>

/* Parse the leading decimal digits; returns the count consumed, 0 on none or on overflow. */
static int parse_digits(const char *s, uint64_t *val)
{
	uint64_t v = 0;
	int i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*val = v;
	return i;
}

static int mul_checked(uint64_t a, uint64_t b, uint64_t *out)
{
	if (a != 0 && b > UINT64_MAX / a)
		return CAP_EINVAL;
	*out = a * b;
	return CAP_OK;
}

int cap_parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	if (s == NULL)
		return CAP_EINVAL;
	int n = parse_digits(s, &v);
	if (n == 0)
		return CAP_EINVAL;
	const char *u = s + n;
	uint64_t mult = 1;
	switch (*u) {
	case '\0': break;
	case 'k': case 'K': mult = 1ULL << 10; u++; break;
	case 'm': case 'M': mult = 1ULL << 20; u++; break;
	case 'g': case 'G': mult = 1ULL << 30; u++; break;
	case 't': case 'T': mult = 1ULL << 40; u++; break;
	case 'b': case 'B': break;
	default: return CAP_EINVAL;
	}
	if (strcmp(u, "") != 0 && strcmp(u, "B") != 0 && strcmp(u, "b") != 0 &&
	    !(mult > 1 && (strcmp(u, "iB") == 0 || strcmp(u, "ib") == 0)))
		return CAP_EINVAL;
	return mul_checked(v, mult, out);
}

int cap_parse_duration(const char *s, uint64_t *out)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1ULL }, { "us", 1000ULL }, { "ms", 1000000ULL },
		{ "s", 1000000000ULL }, { "m", 60000000000ULL }, { "h", 3600000000000ULL },
		{ "d", 86400000000000ULL },
	};
	uint64_t v;
	if (s == NULL)
		return CAP_EINVAL;
	int n = parse_digits(s, &v);
	if (n == 0)
		return CAP_EINVAL;
	const char *u = s + n;
	if (*u == '\0')
		return v == 0 ? (*out = 0, CAP_OK) : CAP_EINVAL;
	for (size_t i = 0; i < CAP_ARRAY_LEN(units); i++)
		if (strcmp(u, units[i].unit) == 0)
			return mul_checked(v, units[i].ns, out);
	return CAP_EINVAL;
}

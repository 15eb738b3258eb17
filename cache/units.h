/*
 * units.h - strict parsers for the size and duration forms users write in CAPACITOR_* variables
 * and rules files.
 *
 * Sizes:      a decimal integer with an optional suffix K, M, G, T (powers of 1024; a trailing
 *             "B" or "iB" is accepted: 64M, 64MB, 64MiB, 1G, 4096).
 * Durations:  a decimal integer with a unit: ns, us, ms, s, m, h, d (500ms, 30s, 5m, 1h). A bare
 *             "0" means zero. Anything else (signs, spaces, overflow, fractions, empty) is refused.
 */
#ifndef CAP_UNITS_H
#define CAP_UNITS_H

#include <stdint.h>

/* cap_parse_size - 0 on success with *out in bytes, CAP_EINVAL otherwise (out untouched). */
int cap_parse_size(const char *s, uint64_t *out);

/* cap_parse_duration - 0 on success with *out in nanoseconds, CAP_EINVAL otherwise. */
int cap_parse_duration(const char *s, uint64_t *out);

/* Accepted-form descriptions for error messages. */
#define CAP_SIZE_FORM "a size such as 0, 4096, 512K, 64M or 1G"
#define CAP_DURATION_FORM "a duration such as 0, 500ms, 30s, 5m or 1h"

#endif

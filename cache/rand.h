/*
 * rand.h - random 64-bit values for nonces and salts (shared-file nonces, per-process salts,
 * unique temporary names). Not for keys: nothing here needs to be unpredictable to an attacker
 * who can read CAPACITOR_DIR, only different from every value chosen before.
 */
#ifndef CAP_RAND_H
#define CAP_RAND_H

#include <stdint.h>

/* cap_random64 - 64 random bits, never 0: getrandom(2) without blocking, else a hash of the
 * time, the pid and a stack address (early boot, seccomp filters). Never fails. */
uint64_t cap_random64(void);

#endif

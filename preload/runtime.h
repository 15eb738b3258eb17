/*
 * runtime.h - the library's process-wide state: configuration, engine, rules, and the
 * re-entrancy guard every hook checks first.
 *
 * Initialisation is lazy (first hooked call, under pthread_once), never in a constructor: a
 * program that never talks to a database pays nothing but the mapping of this library, the
 * one lookup preload/copy.c makes and the configuration check runtime.c makes at load (so
 * that a bad value is reported while fd 2 is still the program's stderr). In an inactive copy (preload/copy.h) it does
 * nothing: the runtime stays off, with no configuration, log, files or threads.
 * Failing to initialise any part turns that part off; it never stops the host program.
 */
#ifndef CAP_RUNTIME_H
#define CAP_RUNTIME_H

#include "cache/engine.h"
#include "cache/rules.h"
#include "preload/config.h"

typedef struct cap_rt {
	cap_config conf;
	cap_engine *engine;   /* NULL only when even the handle could not be allocated */
	cap_rules *rules;     /* NULL: no rules file */
	int caching;          /* 1: lookups and fills allowed; 0: pass through (writes still bump) */
	int invalidating;     /* 1: writes bump generations (0 only with CAPACITOR_ENABLE=0) */
} cap_rt;

/* cap_rt_get - the runtime, initialised on first call; never NULL. */
const cap_rt *cap_rt_get(void);

/* Re-entrancy guard: > 0 while this thread is inside a real client function called by a hook
 * (libpq's PQexec calls our PQsendQuery, Connector/C's mysql_query our mysql_real_query...):
 * such inner calls must go straight to the real function. */
extern __thread int cap_guard __attribute__((tls_model("initial-exec")));

/* CAP_REAL(call) - run a real client function with the guard raised. */
#define CAP_REAL(call)                          \
	__extension__({                         \
		cap_guard++;                    \
		__typeof__(call) cap_real_r_ = (call); \
		cap_guard--;                    \
		cap_real_r_;                    \
	})
#define CAP_REAL_VOID(call) \
	do {                \
		cap_guard++; \
		call;        \
		cap_guard--; \
	} while (0)

/* cap_fail_open - log one line (rate-limited) for an internal failure and count a fallback. */
void cap_fail_open(const char *what, int err);

#endif

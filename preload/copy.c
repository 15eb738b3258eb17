/*
 * copy.c - which copy of the library is the active one (copy.h).
 *
 * The marker is compared through a hidden alias: inside the library a reference to an exported
 * function binds, like the program's, to the first definition in the global scope, which is
 * the active copy's in every copy; the alias is always this copy's own.
 */
#include "preload/copy.h"
#include "cache/log.h"
#include "preload/dlsym.h"

#include <dlfcn.h>

#define CAP_EXPORT __attribute__((visibility("default")))

CAP_EXPORT void cap_copy_marker(void);
CAP_EXPORT void cap_copy_marker(void)
{
}
extern void cap_copy_self(void) __attribute__((alias("cap_copy_marker"), visibility("hidden")));

enum { COPY_UNKNOWN, COPY_ACTIVE, COPY_INACTIVE };
static int copy_state;

int cap_copy_inactive(void)
{
	int s = __atomic_load_n(&copy_state, __ATOMIC_ACQUIRE);
	if (s == COPY_UNKNOWN) {
		void *first = cap_dl_real_sym(RTLD_DEFAULT, "cap_copy_marker");
		s = first && first != (void *)&cap_copy_self ? COPY_INACTIVE : COPY_ACTIVE;
		__atomic_store_n(&copy_state, s, __ATOMIC_RELEASE);
	}
	return s == COPY_INACTIVE;
}

/* At load, before any hook of this copy can run on the program's behalf: from then on an
 * inactive copy's hooks see the answer without asking. */
__attribute__((constructor)) static void copy_init(void)
{
	(void)cap_copy_inactive();
}

static void log_other(const char *path)
{
	cap_log(CAP_LOG_WARN, "another copy of Capacitor is loaded (%s); it is inactive and passes "
		"every call on to this one's", path);
}

void cap_copy_others(void)
{
	cap_dl_other_copies(log_other);
}

/*
 * asan_first.c - a test-only shim, preloaded right after libasan in `make test SANITIZE=1`.
 *
 * A preloaded libasan runs its constructor after those of the program's own libraries (the
 * dynamic loader initialises preloaded objects last), so it initialises itself lazily, at the
 * first call it intercepts. In programs that load libp11-kit (psql, pgbench, sysbench, through
 * libpq's and libmariadb's TLS stacks) that call is the malloc inside glibc's newlocale, made
 * by p11-kit's constructor while newlocale holds glibc's __libc_setlocale_lock as writer. The
 * runtime's initialisation calls dlerror, whose message goes through dcgettext, which takes the
 * same lock as reader: the rdlock fails with EDEADLK (same thread), dcgettext unlocks anyway and
 * so releases newlocale's write lock, and newlocale's own unlock then drives the reader count
 * negative. From then on any setlocale, newlocale, freelocale or strerror (a translation) may
 * wait forever: psql hung at exit in freelocale (p11-kit's destructor), and at start in
 * setlocale when Capacitor's constructor had called strerror for a missing CAPACITOR_RULES.
 * tests/san/repro_locale.sh shows it without Capacitor.
 *
 * This newlocale makes the runtime initialise first, outside any glibc lock, then does the
 * real work. Nothing else changes, so the sanitized library sees the program as it is.
 */
#include <locale.h>

/* libasan's entry point (weak: the shim stays harmless if it is preloaded alone). */
extern void __asan_init(void) __attribute__((weak));
/* glibc's own name for newlocale (exported for libstdc++), so no dlsym is needed here. */
extern locale_t __newlocale(int mask, const char *name, locale_t base);

__attribute__((visibility("default"))) locale_t newlocale(int mask, const char *name, locale_t base)
{
	if (__asan_init)
		__asan_init();
	return __newlocale(mask, name, base);
}

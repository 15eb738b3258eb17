/*
 * keep_locale.c - a test-only shim, preloaded after libasan in `make test SANITIZE=1`.
 *
 * With libasan preloaded, programs that load libp11-kit (psql, pgbench, sysbench through
 * libpq's and libmariadb's TLS stacks) hang at exit: p11-kit's destructor calls freelocale,
 * which waits forever on glibc's locale lock (seen with nothing but libasan preloaded, with
 * gcc's and clang's runtimes alike). Making freelocale a no-op lets those programs exit, so
 * the sanitized library is tested through them too; the locale objects are freed by exit.
 */
#include <locale.h>

__attribute__((visibility("default"))) void freelocale(locale_t l)
{
	(void)l;
}

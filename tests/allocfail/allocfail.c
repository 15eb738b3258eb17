/*
 * allocfail.c - the counting allocator of the allocation-failure test build (see allocfail.h).
 *
 * One counter per process, incremented by every counted call whichever thread makes it; the
 * configuration is read once, at the first call, by whichever thread gets there first (the
 * others wait for it: reading two variables takes no time). Everything here is
 * async-signal-safe (atomics and write(2)), because cache/fault.c maps from a signal handler.
 */
/* The build force-includes allocfail.h here too: this file calls the real functions. */
#include "tests/allocfail/allocfail.h"

#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef strndup
#undef posix_memalign
#undef aligned_alloc
#undef mmap

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static atomic_ulong ncalls;
static atomic_int conf_state; /* 0: not read, 1: being read, 2: read */
static unsigned long fail_at;  /* 0: fail nothing */
static int fail_rest;          /* N+: every call from the Nth on fails */
static int log_fd = -1;

static void conf_read(void)
{
	const char *s = getenv("CAP_TEST_ALLOC_FAIL");
	if (s && *s) {
		char *end;
		errno = 0;
		unsigned long n = strtoul(s, &end, 10);
		if (errno == 0 && end != s && (*end == '\0' || (end[0] == '+' && end[1] == '\0'))) {
			fail_at = n;
			fail_rest = *end == '+';
		}
	}
	const char *path = getenv("CAP_TEST_ALLOC_LOG");
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

static void conf(void)
{
	int st = atomic_load_explicit(&conf_state, memory_order_acquire);
	if (st == 2)
		return;
	st = 0;
	if (atomic_compare_exchange_strong(&conf_state, &st, 1)) {
		conf_read();
		atomic_store_explicit(&conf_state, 2, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&conf_state, memory_order_acquire) != 2)
		;
}

static char *put_num(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void log_call(unsigned long n, const char *site, const char *fn, int failed)
{
	char line[512], *p = line;
	p = put_num(p, (unsigned long)getpid());
	*p++ = ' ';
	p = put_num(p, n);
	*p++ = ' ';
	size_t sl = strlen(site), fl = strlen(fn);
	if (sl > 300)
		sl = 300;
	if (fl > 100)
		fl = 100;
	memcpy(p, site, sl);
	p += sl;
	*p++ = ' ';
	memcpy(p, fn, fl);
	p += fl;
	if (failed) {
		memcpy(p, " FAIL", 5);
		p += 5;
	}
	*p++ = '\n';
	int saved = errno;
	ssize_t w = write(log_fd, line, (size_t)(p - line));
	(void)w;
	errno = saved;
}

/* Counts one call; non-zero when it is the one (or one of those) to fail. */
static int fails(const char *site, const char *fn)
{
	conf();
	unsigned long n = atomic_fetch_add(&ncalls, 1) + 1;
	int f = fail_at != 0 && (n == fail_at || (fail_rest && n > fail_at));
	if (log_fd >= 0)
		log_call(n, site, fn, f);
	if (f)
		errno = ENOMEM;
	return f;
}

void *cap_af_malloc(size_t n, const char *site, const char *fn)
{
	return fails(site, fn) ? NULL : malloc(n);
}

void *cap_af_calloc(size_t m, size_t n, const char *site, const char *fn)
{
	return fails(site, fn) ? NULL : calloc(m, n);
}

void *cap_af_realloc(void *p, size_t n, const char *site, const char *fn)
{
	return fails(site, fn) ? NULL : realloc(p, n);
}

char *cap_af_strdup(const char *s, const char *site, const char *fn)
{
	return fails(site, fn) ? NULL : strdup(s);
}

char *cap_af_strndup(const char *s, size_t n, const char *site, const char *fn)
{
	return fails(site, fn) ? NULL : strndup(s, n);
}

int cap_af_posix_memalign(void **p, size_t align, size_t n, const char *site, const char *fn)
{
	return fails(site, fn) ? ENOMEM : posix_memalign(p, align, n);
}

void *cap_af_aligned_alloc(size_t align, size_t n, const char *site, const char *fn)
{
	return fails(site, fn) ? NULL : aligned_alloc(align, n);
}

void *cap_af_mmap(void *a, size_t n, int prot, int flags, int fd, off_t off, const char *site,
		  const char *fn)
{
	return fails(site, fn) ? MAP_FAILED : mmap(a, n, prot, flags, fd, off);
}

/*
 * libpq's result builders, as the codec calls them (hooks/pq_codec.c). Declared here with
 * plain types (a PGresult is a pointer, ExecStatusType an int) so that this file needs no
 * client header. Each failure looks like libpq's own out-of-memory answer.
 */
static void *(*real_make_empty)(void *, int);
static int (*real_set_attrs)(void *, int, void *);
static int (*real_set_value)(void *, int, int, char *, int);

static void *af_make_empty(void *conn, int status)
{
	return fails("libpq:PQmakeEmptyPGresult", "(libpq)") ? NULL : real_make_empty(conn, status);
}

static int af_set_attrs(void *res, int n, void *attrs)
{
	return fails("libpq:PQsetResultAttrs", "(libpq)") ? 0 : real_set_attrs(res, n, attrs);
}

static int af_set_value(void *res, int t, int f, char *v, int len)
{
	return fails("libpq:PQsetvalue", "(libpq)") ? 0 : real_set_value(res, t, f, v, len);
}

void *cap_allocfail_wrap(const char *name, void *real)
{
	if (real == NULL)
		return NULL;
	if (strcmp(name, "PQmakeEmptyPGresult") == 0) {
		real_make_empty = (void *(*)(void *, int))real;
		return (void *)af_make_empty;
	}
	if (strcmp(name, "PQsetResultAttrs") == 0) {
		real_set_attrs = (int (*)(void *, int, void *))real;
		return (void *)af_set_attrs;
	}
	if (strcmp(name, "PQsetvalue") == 0) {
		real_set_value = (int (*)(void *, int, int, char *, int))real;
		return (void *)af_set_value;
	}
	return real;
}

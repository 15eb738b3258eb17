/*
 * allocfail.h - the counting allocator of the allocation-failure test build (make allocfail,
 * build/allocfail/libcapacitor.so; tests/integration/t_alloc_fail.sh drives it).
 *
 * The Makefile force-includes this header (-include) into every file of the library when it
 * builds that variant, so every call Capacitor's own code makes to malloc, calloc, realloc,
 * strdup, strndup, posix_memalign, aligned_alloc or mmap becomes a call to the counting
 * version below, with the call site's file, line and function. No source file names these
 * functions differently and the normal build never sees this header: the product pays
 * nothing, and an allocation added tomorrow is counted without anyone routing it. Allocations
 * libpq makes on our behalf while building a result we decode (PQmakeEmptyPGresult,
 * PQsetResultAttrs, PQsetvalue) are counted too: in this build cap_resolve hands out counting
 * wrappers for those (cap_allocfail_wrap). Connector/C results are built by our own code.
 *
 * Environment, read at the first counted call:
 *   CAP_TEST_ALLOC_FAIL=N    the Nth counted call (from 1) fails as the real one fails when
 *                            memory is out (NULL, ENOMEM; MAP_FAILED for mmap; false for the
 *                            libpq setters); N+ fails the Nth and every later one
 *   CAP_TEST_ALLOC_LOG=PATH  appends one line per counted call: "PID N FILE:LINE FUNCTION"
 *                            ("... FAIL" for one that failed), so a test can count the calls of a
 *                            run and name the site whose failure broke something
 * Each process counts its own calls. Only write(2) and atomics are used, so the mmap done in
 * the SIGBUS handler (cache/fault.c) is counted safely too.
 */
#ifndef CAP_ALLOCFAIL_H
#define CAP_ALLOCFAIL_H

/* Every header that declares a wrapped function comes first, so that its declaration is not
 * rewritten and a later #include of it is a no-op. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#if defined(__has_include) && __has_include(<mm_malloc.h>)
#include <mm_malloc.h> /* declares posix_memalign again; xxhash.h pulls it in on x86 */
#endif

void *cap_af_malloc(size_t n, const char *site, const char *fn);
void *cap_af_calloc(size_t m, size_t n, const char *site, const char *fn);
void *cap_af_realloc(void *p, size_t n, const char *site, const char *fn);
char *cap_af_strdup(const char *s, const char *site, const char *fn);
char *cap_af_strndup(const char *s, size_t n, const char *site, const char *fn);
int cap_af_posix_memalign(void **p, size_t align, size_t n, const char *site, const char *fn);
void *cap_af_aligned_alloc(size_t align, size_t n, const char *site, const char *fn);
void *cap_af_mmap(void *a, size_t n, int prot, int flags, int fd, off_t off, const char *site,
		  const char *fn);

/* cap_allocfail_wrap - for the client-library function `name` whose real address is `real`,
 * the counting wrapper to use instead (or `real` itself when the function is not one that
 * allocates a result on our behalf). Called by cap_resolve. */
void *cap_allocfail_wrap(const char *name, void *real);

#define CAP_AF_STR2(x) #x
#define CAP_AF_STR(x) CAP_AF_STR2(x)
#define CAP_AF_SITE __FILE__ ":" CAP_AF_STR(__LINE__)
#define malloc(n) cap_af_malloc((n), CAP_AF_SITE, __func__)
#define calloc(m, n) cap_af_calloc((m), (n), CAP_AF_SITE, __func__)
#define realloc(p, n) cap_af_realloc((p), (n), CAP_AF_SITE, __func__)
#define strdup(s) cap_af_strdup((s), CAP_AF_SITE, __func__)
#define strndup(s, n) cap_af_strndup((s), (n), CAP_AF_SITE, __func__)
#define posix_memalign(p, a, n) cap_af_posix_memalign((p), (a), (n), CAP_AF_SITE, __func__)
#define aligned_alloc(a, n) cap_af_aligned_alloc((a), (n), CAP_AF_SITE, __func__)
#define mmap(a, n, p, f, d, o) cap_af_mmap((a), (n), (p), (f), (d), (o), CAP_AF_SITE, __func__)

#endif

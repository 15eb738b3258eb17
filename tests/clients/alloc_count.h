/*
 * alloc_count.h - counts the allocations of the whole process, for the clients that check
 * what a hit allocates (pq_hitallocs, my_hitallocs). Include it in exactly one file of a
 * program: its malloc, calloc and realloc take precedence over libc's for every library in
 * the process, the preloaded one included, and count into alloc_count.
 */
#ifndef CAP_TEST_ALLOC_COUNT_H
#define CAP_TEST_ALLOC_COUNT_H

#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static uint64_t alloc_count;

__attribute__((visibility("default"))) void *malloc(size_t n)
{
	__atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

__attribute__((visibility("default"))) void *calloc(size_t a, size_t b)
{
	__atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);
	return __libc_calloc(a, b);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t n)
{
	__atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}

#endif

/*
 * resolve.c - real-function lookup (see resolve.h for why RTLD_NEXT alone is not enough).
 *
 * Called only on first use of each function (the hooks cache the pointer), never on the hit
 * path. dlopen(RTLD_NOLOAD) returns a handle only for an object that is already mapped, and
 * dlsym on that handle searches the object and its own dependencies, so a program-loaded
 * client library is found even when it lives in a local scope. Every handle is closed again:
 * RTLD_NOLOAD took a reference, and closing it gives that reference back.
 */
#include "preload/resolve.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

/* Our own load address, to refuse resolving back into ourselves. */
static int is_ours(void *p)
{
	Dl_info self, other;
	if (!dladdr((void *)&is_ours, &self) || !dladdr(p, &other))
		return 0;
	return self.dli_fbase == other.dli_fbase;
}

static void *from_handle_path(const char *path, const char *name)
{
	void *h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
	if (h == NULL)
		return NULL;
	void *p = dlsym(h, name);
	dlclose(h);
	if (p && is_ours(p))
		return NULL;
	return p;
}

struct walk {
	const cap_libfamily *fam;
	const char *name;
	void *found;
};

static int walk_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct walk *w = arg;
	const char *path = info->dlpi_name;
	if (path == NULL || path[0] == '\0')
		return 0;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (const char *const *s = w->fam->stems; *s; s++)
		if (strncmp(base, *s, strlen(*s)) == 0) {
			w->found = from_handle_path(path, w->name);
			if (w->found)
				return 1;
		}
	return 0;
}

static void *resolve_any(const cap_libfamily *fam, const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (p && !is_ours(p))
		return p;
	for (const char *const *s = fam->sonames; *s; s++) {
		p = from_handle_path(*s, name);
		if (p)
			return p;
	}
	struct walk w = { fam, name, NULL };
	dl_iterate_phdr(walk_cb, &w);
	return w.found;
}

/* The allocation-failure test build (make allocfail) counts the allocations libpq makes for
 * the results we build, through wrappers handed out here; the product build returns p. */
#ifdef CAP_ALLOC_TEST
#include "tests/allocfail/allocfail.h"
#define CAP_RESOLVED(name, p) cap_allocfail_wrap((name), (p))
#else
#define CAP_RESOLVED(name, p) (p)
#endif

void *cap_resolve(const cap_libfamily *fam, const char *name)
{
	return CAP_RESOLVED(name, resolve_any(fam, name));
}

/*
 * resolve.c - real-function lookup (see resolve.h for why RTLD_NEXT alone is not enough).
 *
 * Called only on first use of each function (the hooks cache the pointer), never on the hit
 * path. dlopen(RTLD_NOLOAD) returns a handle only for an object that is already mapped, and
 * dlsym on that handle searches the object and its own dependencies, so a program-loaded
 * client library is found even when it lives in a local scope. Every handle is closed again:
 * RTLD_NOLOAD took a reference, and closing it gives that reference back.
 *
 * After the first successful lookup for a family, the loaded objects are walked once more for
 * a second copy of the family's library (another file whose name starts with a stem and
 * ".so"): the hooks call only the copy found here, so calls bound inside the other never reach
 * Capacitor. It is reported through preload/dlsym.h.
 */
#include "preload/resolve.h"
#include "preload/copy.h"
#include "preload/dlsym.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Never resolve back into ourselves, nor into another copy of this library: an inactive copy
 * only passes calls on, and the active one passing to it would be a detour at best (see
 * preload/copy.h). */
static int is_ours(void *p)
{
	return cap_dl_is_copy(p);
}

static void *from_handle_path(const char *path, const char *name)
{
	void *h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
	if (h == NULL)
		return NULL;
	void *p = cap_dl_real_sym(h, name);
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
	void *p = cap_dl_real_sym(RTLD_NEXT, name);
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

struct copies {
	const cap_libfamily *fam;
	const char *used; /* the file the resolved function lies in */
	const char *other;
};

static int copies_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct copies *c = arg;
	const char *path = info->dlpi_name;
	if (path == NULL || path[0] == '\0' || strcmp(path, c->used) == 0)
		return 0;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (const char *const *s = c->fam->stems; *s; s++) {
		size_t n = strlen(*s);
		if (strncmp(base, *s, n) == 0 && strncmp(base + n, ".so", 3) == 0) {
			c->other = path;
			return 1;
		}
	}
	return 0;
}

/* ---- where the client libraries' code lies -------------------------------------------------
 * The waits (preload/waits.c) ask whether a poll comes from libpq's or Connector/C's own code
 * on every wait that includes a held socket: a hit's path. dladdr would take the dynamic
 * linker's lock (held for as long as another thread's dlopen runs) and walk every loaded
 * object; so the executable segments of each library a real function was resolved from are
 * noted once, here, and asked with plain loads. A client library is never unloaded while its
 * functions are in use (the hooks keep pointers into it). */
#define CAP_TEXT_MAX 8
static struct {
	uintptr_t lo, hi;
} text_seg[CAP_TEXT_MAX];
static unsigned text_n;

struct text_walk {
	uintptr_t p;
};

static int text_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct text_walk *t = arg;
	int mine = 0;
	for (int i = 0; i < info->dlpi_phnum && !mine; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		mine = ph->p_type == PT_LOAD && t->p >= lo && t->p < lo + ph->p_memsz;
	}
	if (!mine)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		unsigned n = __atomic_load_n(&text_n, __ATOMIC_ACQUIRE);
		if (n == CAP_TEXT_MAX)
			break;
		text_seg[n].lo = info->dlpi_addr + ph->p_vaddr;
		text_seg[n].hi = text_seg[n].lo + ph->p_memsz;
		__atomic_store_n(&text_n, n + 1, __ATOMIC_RELEASE); /* the range first, then the count */
	}
	return 1;
}

int cap_resolve_in_client(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	unsigned n = __atomic_load_n(&text_n, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++)
		if (a >= text_seg[i].lo && a < text_seg[i].hi)
			return 1;
	return 0;
}

/* check_copies - once per family (the first lookup that found something), look for a second
 * copy of its library beside the one p lies in. */
static void check_copies(const cap_libfamily *fam, void *p)
{
	Dl_info di;
	if (!dladdr(p, &di) || di.dli_fname == NULL)
		return;
	struct copies c = { fam, di.dli_fname, NULL };
	dl_iterate_phdr(copies_cb, &c);
	if (c.other)
		cap_dl_unseen_copy(c.other);
}

/* first_find - once per family (the first lookup that found something): note where its code
 * lies, and, in the active copy of this library, look for a second copy of the client library. */
static void first_find(const cap_libfamily *fam, void *p)
{
	static const cap_libfamily *seen[8];
	size_t i;
	for (i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		const cap_libfamily *want = NULL;
		if (__atomic_compare_exchange_n(&seen[i], &want, fam, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break; /* ours to note */
		if (want == fam)
			return; /* noted already */
	}
	if (i == sizeof(seen) / sizeof(seen[0]))
		return;
	static pthread_mutex_t text_lock = PTHREAD_MUTEX_INITIALIZER; /* two families at once */
	struct text_walk t = { (uintptr_t)p };
	pthread_mutex_lock(&text_lock);
	dl_iterate_phdr(text_cb, &t);
	pthread_mutex_unlock(&text_lock);
	if (!cap_copy_inactive())
		check_copies(fam, p);
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
	void *p = resolve_any(fam, name);
	if (p)
		first_find(fam, p);
	return CAP_RESOLVED(name, p);
}

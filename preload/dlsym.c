/*
 * dlsym.c - dlsym and dlvsym, answering lookups of client-library functions with ours (see
 * dlsym.h for why).
 *
 * Finding the real functions. Our own calls to dlsym or dlvsym bind to these very functions
 * (we are first in the global scope), so the real ones cannot be asked for by name through
 * either. Once, at the first call, we look "dlvsym" up in the dynamic symbol table of the C
 * library (libc.so.6 since glibc 2.34, libdl.so.2 before) with a small GNU-hash lookup, and ask
 * that one for the next "dlsym" and "dlvsym" after us (RTLD_NEXT, so an interposer loaded after
 * us keeps its place in the chain). The same lookup in our own table says whether a name is one
 * that we export: exactly the functions of the .exports files, with no list kept here.
 *
 * The caller matters. glibc takes the caller of dlsym from its return address: RTLD_NEXT means
 * "after the caller", RTLD_DEFAULT "in the caller's namespace". Those two pseudo-handles are
 * passed on with a tail call, so the real dlsym sees the program's return address, not ours
 * (tests/clients/pq_dlsym.c checks RTLD_NEXT). A lookup made by this library itself (the
 * resolver in preload/resolve.c asks libpq's handle for libpq's PQexec) is never redirected:
 * the return address says it came from us.
 *
 * A redirection happens only when the real answer lies inside libpq, libmariadb or
 * libmysqlclient (by file name, through dladdr) and we export that name; the program then
 * calls our hook, which resolves and calls the real function as for any other caller.
 */
#include "preload/dlsym.h"
#include "cache/stats.h"
#include "preload/runtime.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define CAP_EXPORT __attribute__((visibility("default")))

typedef void *(*dlsym_fn)(void *, const char *);
typedef void *(*dlvsym_fn)(void *, const char *, const char *);

/* An object's dynamic symbol table: enough for a GNU-hash lookup. */
typedef struct elf_syms {
	ElfW(Addr) base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *gnu;        /* DT_GNU_HASH */
	const ElfW(Half) *versym;   /* NULL: the object has no symbol versions */
	uintptr_t lo, hi;           /* the span of its loaded segments */
} elf_syms;

static dlsym_fn real_dlsym;
static dlvsym_fn real_dlvsym;
static elf_syms self_syms;
static pthread_once_t dl_once = PTHREAD_ONCE_INIT;

/* File-name prefixes of the client libraries whose functions we hook. */
static const char *const dl_client_libs[] = {
	"libpq.so", "libmariadb.so", "libmysqlclient.so", "libmysqlclient_r.so", NULL,
};

/* glibc rewrites d_ptr to run-time addresses where the dynamic section is writable and leaves
 * them as link-time addresses elsewhere: an address below the load base is link-time. */
static const void *dyn_ptr(ElfW(Addr) base, ElfW(Addr) v)
{
	return (const void *)(v < base ? v + base : v);
}

static int syms_load(const struct dl_phdr_info *info, elf_syms *s)
{
	const ElfW(Dyn) *dyn = NULL;
	memset(s, 0, sizeof(*s));
	s->base = info->dlpi_addr;
	s->lo = UINTPTR_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_LOAD) {
			uintptr_t a = info->dlpi_addr + ph->p_vaddr;
			if (a < s->lo)
				s->lo = a;
			if (a + ph->p_memsz > s->hi)
				s->hi = a + ph->p_memsz;
		}
	}
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			s->symtab = dyn_ptr(s->base, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			s->strtab = dyn_ptr(s->base, dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			s->gnu = dyn_ptr(s->base, dyn->d_un.d_ptr);
			break;
		case DT_VERSYM:
			s->versym = dyn_ptr(s->base, dyn->d_un.d_ptr);
			break;
		default:
			break;
		}
	}
	return s->symtab && s->strtab && s->gnu;
}

/* syms_find - the address of the defined function `name` in its default version, or NULL. */
static void *syms_find(const elf_syms *s, const char *name)
{
	if (s->gnu == NULL)
		return NULL;
	uint32_t h = 5381;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = h * 33 + *c;
	uint32_t nbuckets = s->gnu[0], symoffset = s->gnu[1], bloom_size = s->gnu[2];
	if (nbuckets == 0)
		return NULL;
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(s->gnu + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];
		const ElfW(Sym) *sym = &s->symtab[i];
		if ((h | 1) == (h2 | 1) && sym->st_shndx != SHN_UNDEF &&
		    (sym->st_info & 0xf) == STT_FUNC &&
		    (s->versym == NULL || !(s->versym[i] & 0x8000)) &&
		    strcmp(s->strtab + sym->st_name, name) == 0)
			return (void *)(s->base + sym->st_value);
		if (h2 & 1)
			return NULL;
	}
}

struct dl_find {
	uintptr_t self_addr;
	int have_self;
	dlvsym_fn libc_dlvsym;
	dlsym_fn libc_dlsym;
};

static int dl_find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct dl_find *f = arg;
	elf_syms s;
	if (!syms_load(info, &s))
		return 0;
	if (!f->have_self && f->self_addr >= s.lo && f->self_addr < s.hi) {
		self_syms = s;
		f->have_self = 1;
	}
	const char *path = info->dlpi_name ? info->dlpi_name : "";
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (f->libc_dlvsym == NULL &&
	    (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libdl.so", 8) == 0)) {
		f->libc_dlvsym = (dlvsym_fn)syms_find(&s, "dlvsym");
		f->libc_dlsym = (dlsym_fn)syms_find(&s, "dlsym");
		if (f->libc_dlvsym == NULL || f->libc_dlsym == NULL)
			f->libc_dlvsym = NULL, f->libc_dlsym = NULL;
	}
	return f->have_self && f->libc_dlvsym;
}

static void dl_init(void)
{
	struct dl_find f = { (uintptr_t)&dl_init, 0, NULL, NULL };
	dl_iterate_phdr(dl_find_cb, &f);
	if (f.libc_dlvsym == NULL)
		return;
	/* the base version of the dl functions differs between architectures */
	static const char *const vers[] = { "GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.0",
					    NULL };
	for (const char *const *v = vers; *v && !(real_dlsym && real_dlvsym); v++) {
		if (real_dlsym == NULL)
			real_dlsym = (dlsym_fn)f.libc_dlvsym(RTLD_NEXT, "dlsym", *v);
		if (real_dlvsym == NULL)
			real_dlvsym = (dlvsym_fn)f.libc_dlvsym(RTLD_NEXT, "dlvsym", *v);
	}
	if (real_dlsym == NULL)
		real_dlsym = f.libc_dlsym;
	if (real_dlvsym == NULL)
		real_dlvsym = f.libc_dlvsym;
}

static int in_client_lib(const void *p)
{
	Dl_info di;
	if (!dladdr(p, &di) || di.dli_fname == NULL)
		return 0;
	const char *base = strrchr(di.dli_fname, '/');
	base = base ? base + 1 : di.dli_fname;
	for (const char *const *s = dl_client_libs; *s; s++)
		if (strncmp(base, *s, strlen(*s)) == 0)
			return 1;
	return 0;
}

/* redirect - our function for `name` when p (the real answer) is that client library's own
 * and we hook it; p otherwise. caller is the return address of the program's call. */
static void *redirect(const char *name, void *p, const void *caller)
{
	uintptr_t ra = (uintptr_t)caller;
	if (p == NULL || name == NULL || (ra >= self_syms.lo && ra < self_syms.hi))
		return p;
	void *ours = syms_find(&self_syms, name);
	if (ours == NULL || ours == p || !in_client_lib(p))
		return p;
	cap_rt_get(); /* opens the stats, so that the redirection is counted */
	cap_stats_event(CAP_EV_DLSYM, 1);
	return ours;
}

CAP_EXPORT void *dlsym(void *handle, const char *name)
{
	pthread_once(&dl_once, dl_init);
	dlsym_fn real = real_dlsym;
	if (real == NULL)
		return NULL;
	if (handle == RTLD_NEXT || handle == RTLD_DEFAULT)
		return real(handle, name); /* a tail call: see the top of this file */
	return redirect(name, real(handle, name), __builtin_return_address(0));
}

CAP_EXPORT void *dlvsym(void *handle, const char *name, const char *version)
{
	pthread_once(&dl_once, dl_init);
	dlvsym_fn real = real_dlvsym;
	if (real == NULL)
		return NULL;
	if (handle == RTLD_NEXT || handle == RTLD_DEFAULT)
		return real(handle, name, version);
	return redirect(name, real(handle, name, version), __builtin_return_address(0));
}

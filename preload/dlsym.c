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
 * That first call can come very early: a sanitizer runtime preloaded before us finds its own
 * real functions with dlsym(RTLD_NEXT) while it initialises, when its interceptors (of
 * dl_iterate_phdr, for one) cannot run yet. So the loaded objects are found by walking the
 * dynamic linker's list (_r_debug), ourselves by our own _DYNAMIC and ELF header, nothing on
 * the first-call path calls a C library function that a sanitizer intercepts, and this file is
 * compiled without sanitizer instrumentation (Makefile), whose shadow memory does not exist yet.
 *
 * The caller matters. glibc takes the caller of dlsym from its return address: RTLD_NEXT means
 * "after the caller", RTLD_DEFAULT "in the caller's namespace". Those two pseudo-handles are
 * passed on with a tail call, so the real dlsym sees the program's return address, not ours
 * (tests/clients/pq_dlsym.c checks RTLD_NEXT). A lookup made by this library itself (the
 * resolver in preload/resolve.c asks libpq's handle for libpq's PQexec) goes to the real dlsym
 * directly (cap_dl_real_sym): through the global name it would reach the active copy's dlsym
 * when this copy is not that one (preload/copy.h), and be redirected back into its hooks.
 * In an inactive copy these four functions pass every call on unchanged.
 *
 * A redirection happens only when the real answer lies inside libpq, libmariadb or
 * libmysqlclient (by file name, through dladdr) and we export that name; the program then
 * calls our hook, which resolves and calls the real function as for any other caller.
 *
 * dlopen with RTLD_DEEPBIND (PHP loads every extension so: pgsql.so, pdo_pgsql.so) makes the
 * object's references bind in its own dependencies before the global scope, so libpq's
 * functions, not ours, however early we are preloaded. When the object opened by path names a
 * client library among its DT_NEEDED (read from the file), the flag is dropped; every other
 * call is passed on unchanged. Both are tail calls: glibc takes the caller from the return
 * address (its namespace, its RUNPATH for a bare name), which stays the program's.
 *
 * Client libraries we cannot see (unseen(), cap_dl_unseen_copy in dlsym.h) are noticed where these functions
 * already look: dlmopen of a client library (by its name, or by the DT_NEEDED of a file named
 * by path) into a namespace other than the main one, a dlsym answer inside a client library of
 * another namespace, and a program that defines the client functions itself (found in its
 * dynamic symbol table once, in dl_init; reported at its next dlopen, dlmopen or lookup on a
 * handle, since dl_init may run before anything can be logged). dlmopen is checked before the call and
 * passed on with a tail call, like dlopen.
 */
#include "preload/dlsym.h"
#include "cache/log.h"
#include "preload/copy.h"
#include "cache/stats.h"
#include "preload/runtime.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define CAP_EXPORT __attribute__((visibility("default")))

typedef void *(*dlsym_fn)(void *, const char *);
typedef void *(*dlvsym_fn)(void *, const char *, const char *);
typedef void *(*dlopen_fn)(const char *, int);
typedef void *(*dlmopen_fn)(Lmid_t, const char *, int);

/* An object's dynamic symbol table: enough for a GNU-hash lookup. */
typedef struct elf_syms {
	ElfW(Addr) base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *gnu;        /* DT_GNU_HASH */
	const ElfW(Half) *versym;   /* NULL: the object has no symbol versions */
	uintptr_t lo, hi;           /* the span of its loaded segments (ours only) */
} elf_syms;

static dlsym_fn real_dlsym;
static dlvsym_fn real_dlvsym;
static dlopen_fn real_dlopen;
static dlmopen_fn real_dlmopen;
static elf_syms self_syms;
/* The client function the program itself defines (a client library linked in statically), or
 * NULL; set by dl_init, reported by unseen_static. */
static const char *static_client;
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

static int syms_load(const struct link_map *l, elf_syms *s)
{
	const ElfW(Dyn) *dyn = l->l_ld;
	*s = (elf_syms){ .base = l->l_addr };
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

/* Plain loops, not the C library's: see the top of this file. */
static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
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
		    str_eq(s->strtab + sym->st_name, name))
			return (void *)(s->base + sym->st_value);
		if (h2 & 1)
			return NULL;
	}
}

/* Our own loaded span, from our ELF header's program headers: where our code lives. */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

static void self_span(elf_syms *s)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
	s->lo = UINTPTR_MAX;
	for (int i = 0; i < __ehdr_start.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			uintptr_t a = s->base + ph[i].p_vaddr;
			if (a < s->lo)
				s->lo = a;
			if (a + ph[i].p_memsz > s->hi)
				s->hi = a + ph[i].p_memsz;
		}
}

static int has_prefix(const char *s, const char *p) /* see str_eq */
{
	while (*p && *s == *p)
		s++, p++;
	return *p == '\0';
}

/* One client function per library, defined by any copy of it. */
static const char *const dl_client_funcs[] = { "PQexec", "mysql_real_query", NULL };

static void dl_init(void)
{
	dlvsym_fn libc_dlvsym = NULL;
	dlsym_fn libc_dlsym = NULL;
	dlopen_fn libc_dlopen = NULL;
	dlmopen_fn libc_dlmopen = NULL;
	for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next) {
		elf_syms s;
		if (!syms_load(l, &s))
			continue;
		if (l == _r_debug.r_map) /* the program: does it define client functions itself? */
			for (const char *const *f = dl_client_funcs; *f && !static_client; f++)
				if (syms_find(&s, *f))
					static_client = *f;
		if (l->l_ld == _DYNAMIC) {
			self_syms = s;
			self_span(&self_syms);
			continue;
		}
		const char *path = l->l_name ? l->l_name : "", *base = path;
		for (const char *c = path; *c; c++)
			if (*c == '/')
				base = c + 1;
		if (libc_dlvsym == NULL && (has_prefix(base, "libc.so") || has_prefix(base, "libdl.so"))) {
			libc_dlvsym = (dlvsym_fn)syms_find(&s, "dlvsym");
			libc_dlsym = (dlsym_fn)syms_find(&s, "dlsym");
			libc_dlopen = (dlopen_fn)syms_find(&s, "dlopen");
			libc_dlmopen = (dlmopen_fn)syms_find(&s, "dlmopen");
			if (libc_dlvsym == NULL || libc_dlsym == NULL)
				libc_dlvsym = NULL, libc_dlsym = NULL;
		}
	}
	if (libc_dlvsym == NULL)
		return;
	/* the base version of the dl functions differs between architectures */
	static const char *const vers[] = { "GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.3.4", "GLIBC_2.17",
					    "GLIBC_2.0", NULL };
	for (const char *const *v = vers;
	     *v && !(real_dlsym && real_dlvsym && real_dlopen && real_dlmopen); v++) {
		if (real_dlsym == NULL)
			real_dlsym = (dlsym_fn)libc_dlvsym(RTLD_NEXT, "dlsym", *v);
		if (real_dlvsym == NULL)
			real_dlvsym = (dlvsym_fn)libc_dlvsym(RTLD_NEXT, "dlvsym", *v);
		if (real_dlopen == NULL)
			real_dlopen = (dlopen_fn)libc_dlvsym(RTLD_NEXT, "dlopen", *v);
		if (real_dlmopen == NULL)
			real_dlmopen = (dlmopen_fn)libc_dlvsym(RTLD_NEXT, "dlmopen", *v);
	}
	if (real_dlsym == NULL)
		real_dlsym = libc_dlsym;
	if (real_dlvsym == NULL)
		real_dlvsym = libc_dlvsym;
	if (real_dlopen == NULL)
		real_dlopen = libc_dlopen;
	if (real_dlmopen == NULL)
		real_dlmopen = libc_dlmopen;
}

static int from_us(const void *caller)
{
	uintptr_t ra = (uintptr_t)caller;
	return ra >= self_syms.lo && ra < self_syms.hi;
}

/* Each kind of unseen client is counted and logged once per process: the counter says that a
 * process needs looking at, the log line says which and why. */
enum { UNSEEN_NAMESPACE, UNSEEN_STATIC, UNSEEN_COPY, UNSEEN__N };
static int unseen_done[UNSEEN__N];

static void unseen(int kind, const char *what)
{
	static const char *const why[UNSEEN__N] = {
		[UNSEEN_NAMESPACE] = "loaded into another dlmopen namespace",
		[UNSEEN_STATIC] = "defined by the program itself (a client library linked in "
				  "statically)",
		[UNSEEN_COPY] = "a second copy of a client library already in use",
	};
	if (cap_copy_inactive() || __atomic_exchange_n(&unseen_done[kind], 1, __ATOMIC_RELAXED))
		return;
	cap_rt_get(); /* opens the stats and the log */
	cap_stats_event(CAP_EV_UNSEEN, 1);
	cap_log(CAP_LOG_WARN, "%s: %s; its calls do not reach Capacitor: they are not cached and "
		"their writes invalidate nothing (capacitor stats: unseen_clients)", what, why[kind]);
}

void cap_dl_unseen_copy(const char *path)
{
	unseen(UNSEEN_COPY, path);
}

/* unseen_static - report a program that defines client functions itself, at its first call of
 * ours after dl_init that did not come from this library: a dlopen, a dlmopen, or a lookup on a
 * handle. Never from a lookup with RTLD_NEXT or RTLD_DEFAULT: a sanitizer runtime makes those
 * while it initialises, before our runtime can start (see the top of this file). */
static void unseen_static(const void *caller)
{
	if (static_client && !__atomic_load_n(&unseen_done[UNSEEN_STATIC], __ATOMIC_RELAXED) &&
	    !from_us(caller))
		unseen(UNSEEN_STATIC, static_client);
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

void *cap_dl_real_sym(void *handle, const char *name)
{
	pthread_once(&dl_once, dl_init);
	return real_dlsym ? real_dlsym(handle, name) : NULL;
}

/* A copy of this library is an object that defines the marker (preload/copy.h). */
static int is_copy(const struct link_map *l)
{
	elf_syms s;
	return l->l_ld == _DYNAMIC || (syms_load(l, &s) && syms_find(&s, "cap_copy_marker"));
}

int cap_dl_is_copy(const void *p)
{
	Dl_info di;
	struct link_map *l = NULL;
	if (!dladdr1(p, &di, (void **)&l, RTLD_DL_LINKMAP) || l == NULL)
		return 0;
	return is_copy(l);
}

void cap_dl_other_copies(void (*fn)(const char *path))
{
	for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next)
		if (l->l_ld != _DYNAMIC && l->l_name && l->l_name[0] && is_copy(l))
			fn(l->l_name);
}

/* redirect - our function for `name` when p (the real answer from handle) is that client
 * library's own and we hook it; p otherwise. caller is the return address of the program's
 * call. A library in another dlmopen namespace is not ours to serve: our hooks resolve and
 * call the one in the main namespace. */
static void *redirect(void *handle, const char *name, void *p, const void *caller)
{
	if (p == NULL || name == NULL || from_us(caller))
		return p;
	void *ours = syms_find(&self_syms, name);
	if (ours == NULL || ours == p || !in_client_lib(p))
		return p;
	Lmid_t ns;
	if (dlinfo(handle, RTLD_DI_LMID, &ns) != 0) {
		(void)dlerror(); /* leave the state of the program's successful lookup */
		return p;
	}
	if (ns != LM_ID_BASE) {
		unseen(UNSEEN_NAMESPACE, name);
		return p;
	}
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
	if (cap_copy_inactive())
		return real(handle, name);
	unseen_static(__builtin_return_address(0));
	return redirect(handle, name, real(handle, name), __builtin_return_address(0));
}

CAP_EXPORT void *dlvsym(void *handle, const char *name, const char *version)
{
	pthread_once(&dl_once, dl_init);
	dlvsym_fn real = real_dlvsym;
	if (real == NULL)
		return NULL;
	if (handle == RTLD_NEXT || handle == RTLD_DEFAULT)
		return real(handle, name, version);
	if (cap_copy_inactive())
		return real(handle, name, version);
	unseen_static(__builtin_return_address(0));
	return redirect(handle, name, real(handle, name, version), __builtin_return_address(0));
}

/* pread_all - n bytes at off, or 0. */
static int pread_all(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off) == (ssize_t)n;
}

/* needs_client - 1 when the ELF object at path names a client library among its DT_NEEDED
 * (the first 256 dynamic entries); 0 when not, or when the file cannot be read as one of our
 * class (the caller's flags then stand). */
static int needs_client(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int found = 0;
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph[64];
	ElfW(Dyn) dyn[256];
	if (!pread_all(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != __ehdr_start.e_ident[EI_CLASS] ||
	    eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum == 0 || eh.e_phnum > 64 ||
	    !pread_all(fd, ph, eh.e_phnum * sizeof(ElfW(Phdr)), (off_t)eh.e_phoff))
		goto out;
	size_t ndyn = 0;
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC) {
			ndyn = ph[i].p_filesz / sizeof(ElfW(Dyn));
			if (ndyn > 256)
				ndyn = 256;
			if (!pread_all(fd, dyn, ndyn * sizeof(ElfW(Dyn)), (off_t)ph[i].p_offset))
				ndyn = 0;
			break;
		}
	ElfW(Addr) strtab = 0;
	ElfW(Xword) strsz = 0;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
		else if (dyn[i].d_tag == DT_STRSZ)
			strsz = dyn[i].d_un.d_val;
	}
	off_t stroff = -1; /* the string table's place in the file, through its PT_LOAD */
	for (int i = 0; i < eh.e_phnum && strtab; i++)
		if (ph[i].p_type == PT_LOAD && strtab >= ph[i].p_vaddr &&
		    strtab - ph[i].p_vaddr < ph[i].p_filesz)
			stroff = (off_t)(strtab - ph[i].p_vaddr + ph[i].p_offset);
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL && stroff >= 0 && !found; i++) {
		if (dyn[i].d_tag != DT_NEEDED || dyn[i].d_un.d_val >= strsz)
			continue;
		char name[64] = "";
		ssize_t n = pread(fd, name, sizeof(name) - 1, stroff + (off_t)dyn[i].d_un.d_val);
		if (n <= 0)
			continue;
		name[n] = '\0';
		for (const char *const *c = dl_client_libs; *c && !found; c++)
			found = has_prefix(name, *c);
	}
out:
	close(fd);
	return found;
}

CAP_EXPORT void *dlopen(const char *file, int mode)
{
	pthread_once(&dl_once, dl_init);
	dlopen_fn real = real_dlopen;
	if (real == NULL)
		return NULL;
	if (cap_copy_inactive())
		return real(file, mode);
	unseen_static(__builtin_return_address(0));
	if ((mode & RTLD_DEEPBIND) && file && strchr(file, '/') && needs_client(file))
		mode &= ~RTLD_DEEPBIND;
	return real(file, mode); /* a tail call: see the top of this file */
}

/* names_client - 1 when file is a client library by its name, or a file (named by path) that
 * needs one. */
static int names_client(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	for (const char *const *c = dl_client_libs; *c; c++)
		if (has_prefix(base, *c))
			return 1;
	return strchr(file, '/') && needs_client(file);
}

CAP_EXPORT void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
	pthread_once(&dl_once, dl_init);
	dlmopen_fn real = real_dlmopen;
	if (real == NULL)
		return NULL;
	if (cap_copy_inactive())
		return real(lmid, file, mode);
	unseen_static(__builtin_return_address(0));
	if (lmid != LM_ID_BASE && file && !from_us(__builtin_return_address(0)) && names_client(file))
		unseen(UNSEEN_NAMESPACE, file);
	return real(lmid, file, mode); /* a tail call: see the top of this file */
}

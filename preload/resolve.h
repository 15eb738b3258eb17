/*
 * resolve.h - finding the real client-library functions behind our interposed ones.
 *
 * dlsym(RTLD_NEXT) finds a function only when the client library is in the global scope.
 * Python's psycopg2 and MySQLdb load it with dlopen(RTLD_LOCAL), where RTLD_NEXT finds
 * nothing; so resolution also asks the already-loaded library directly: first by its known
 * sonames with dlopen(RTLD_NOLOAD), then by walking the loaded objects (dl_iterate_phdr) for a
 * file whose name starts with the library's stem. It never loads a library that the program
 * has not loaded itself, and never returns one of our own symbols.
 */
#ifndef CAP_RESOLVE_H
#define CAP_RESOLVE_H

/* A client library family: the sonames to try and the file-name stems to look for. */
typedef struct cap_libfamily {
	const char *const *sonames; /* NULL-terminated, e.g. { "libpq.so.5", NULL } */
	const char *const *stems;   /* NULL-terminated, e.g. { "libpq", NULL } */
} cap_libfamily;

/* cap_resolve - the address of the real `name`, or NULL when no loaded library has it. */
void *cap_resolve(const cap_libfamily *fam, const char *name);

/* cap_resolve_in_client - whether addr lies in the code of a client library a real function was
 * resolved from (a return address: the caller is libpq or Connector/C). No lock, no call. */
int cap_resolve_in_client(const void *addr);

#endif

/*
 * dlsym.h - serving programs that look up client-library functions themselves.
 *
 * LD_PRELOAD puts our PQexec ahead of libpq's for every reference the dynamic linker binds,
 * but a program that takes a function with dlsym on its own handle of libpq (psycopg 3's
 * ctypes implementation, cffi, a C program with dlopen(RTLD_LOCAL) + dlsym) searches only that
 * handle's scope and gets libpq's own function: none of its calls would reach Capacitor. So
 * the library interposes dlsym and dlvsym: a lookup whose answer lies inside libpq or
 * Connector/C (libmariadb, libmysqlclient), for a name that this library exports (the
 * functions listed in hooks/pq.exports and hooks/mysql.exports), is answered with our function; every other lookup gets
 * exactly what the real function returned, dlerror state included (we only ever add successful
 * calls after a successful lookup, and a successful call leaves the state "no error").
 *
 * The interface is the exported functions, declared by <dlfcn.h> and listed in
 * preload/dl.exports; each redirection is counted in the stats (dlsym_redirects).
 *
 * Some client libraries stay out of reach whatever we interpose: one loaded with dlmopen into
 * another namespace (its callers bind inside that namespace), a client library linked into the
 * program (its own calls bind to its own functions, which come before ours), a second copy of
 * a client library (under another path or soname) beside the one the hooks call. Their calls
 * are not cached and, worse, their writes invalidate nothing for the other processes sharing
 * CAPACITOR_DIR. Where the lookups above or the resolver (preload/resolve.c) meet one, it is
 * counted in the stats (unseen_clients, once per process and kind) and logged once, so that
 * `capacitor stats` says a process needs looking at. Nothing on a query path pays for it.
 */
#ifndef CAP_DLSYM_H
#define CAP_DLSYM_H

#include <dlfcn.h>

/* cap_dl_unseen_copy - count and log (once per process) a second copy of a client library at
 * path, found by the resolver. */
void cap_dl_unseen_copy(const char *path);

/* cap_dl_real_sym - the C library's dlsym, asked from this library (RTLD_NEXT: after this
 * copy), never redirected and never through another copy's dlsym. */
void *cap_dl_real_sym(void *handle, const char *name);

/* cap_dl_is_copy - 1 when p lies in this library or in another copy of it (preload/copy.h). */
int cap_dl_is_copy(const void *p);

/* cap_dl_other_copies - call fn with the path of each other copy of this library loaded now. */
void cap_dl_other_copies(void (*fn)(const char *path));

#endif

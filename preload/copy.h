/*
 * copy.h - one active copy of this library per process.
 *
 * Two copies can meet in one process (an LD_PRELOAD exported for an installed copy, then
 * `capacitor run` of another build; a program that dlopens libcapacitor.so while it is
 * preloaded). Each would resolve the other's hooks as the "real" functions (an endless
 * recursion) and keep its own connection table (a deadlock through the other's hooks). So
 * exactly one copy is active: the first in the global lookup order, the one whose symbols the
 * program binds to. Every other copy, from its load on, passes each interposed function to the
 * next definition and never runs its own hooks, threads or files.
 *
 * Detected by construction, not by file names: each copy exports cap_copy_marker and asks
 * dlsym(RTLD_DEFAULT) for it. The answer depends only on the lookup order, so it is the same
 * whichever constructor runs first and whenever it is asked; a copy outside the global scope
 * (dlopen RTLD_LOCAL) with no copy in it is the only copy, hence active.
 */
#ifndef CAP_COPY_H
#define CAP_COPY_H

/* cap_copy_inactive - 1 in a copy that is not the active one: its hooks only pass calls on. */
int cap_copy_inactive(void);

/* cap_copy_others - log one line per other copy of this library loaded now (the active copy
 * calls it when its log opens). */
void cap_copy_others(void);

#endif

/*
 * plock.h - a lock word inside a shared file: no bytes written into the file can turn it into
 * a crash of the host, and no holder can turn it into a wait without a bound.
 *
 * Why not a process-shared robust pthread mutex: glibc links its robust-mutex list through
 * the mutexes themselves and checks their kind with assert(), so a file that any process of
 * the user (a backup tool, an editor, a stray write) can change could abort the host or make
 * it write through a pointer read from the file. This lock is one 32-bit word: 0 = free,
 * otherwise the thread id of the holder. Taking it is one compare-and-swap; a busy word is
 * waited for within the caller's budget, and a holder that no longer exists (killed, or a
 * garbage word) is replaced by the caller, who is told so and repairs what the lock guards.
 * A live holder that never lets go (stopped, or a live thread id written there) costs the
 * budget, then the caller passes.
 *
 * Not reentrant. Fork-safe: a child never holds a lock its parent's threads took (the word
 * names the parent's thread, which the child cannot release, and which lets go by itself).
 */
#ifndef CAP_PLOCK_H
#define CAP_PLOCK_H

#include <stdint.h>

enum { CAP_PLOCK_OK = 0, CAP_PLOCK_RECOVERED = 1 };

/* cap_plock_acquire - CAP_PLOCK_OK, CAP_PLOCK_RECOVERED (the lock was taken from a holder that
 * no longer exists: what it guards may be half-updated), or CAP_EIO when a live holder kept it
 * for budget_ns (0: one attempt). *holder (may be NULL) gets the holder's thread id then. */
int cap_plock_acquire(uint32_t *word, uint64_t budget_ns, uint32_t *holder);
/* cap_plock_release - free the word if this thread holds it (else leave it alone). */
void cap_plock_release(uint32_t *word);

#endif

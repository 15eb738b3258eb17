/*
 * fault.h - a bus error in one of Capacitor's own shared mappings never kills the host.
 *
 * A file mapped MAP_SHARED can shrink (someone truncates it) or lose its backing (a full
 * tmpfs) at any moment, and the next access to a page past the end raises SIGBUS. Files are
 * allocated in full before they are published and their size is checked before they are
 * mapped, so this needs a third party; but it must still never be fatal.
 *
 * cap_fault_watch registers a mapping. The process's SIGBUS handler (installed once, keeping
 * whatever handler the program had) looks at the faulting address: inside a watched mapping,
 * it replaces the whole mapping with private zero pages at the same address (one mmap
 * MAP_FIXED: the access is retried and reads zeros, which every reader of our files treats
 * as a miss or a stale entry), and sets the mapping's `dead` flag, which its owner polls to
 * turn that tier off and re-open the file. Anywhere else, the signal goes to the program's own
 * handler, or gets the default action (the process dies as it would have without us).
 *
 * Nothing here is on the hit path: watching happens when a file is mapped, and the handler
 * runs only on a fault. The handler takes no lock and calls only mmap, sigaction and raise.
 * A program that replaces our handler with its own after we installed ours gets ours back
 * at the next cap_fault_recheck (its handler is then called for faults outside our
 * mappings). A thread that blocks SIGBUS cannot be protected: the kernel kills the process on
 * a synchronous SIGBUS that is blocked, whatever the handler (documented in the README).
 */
#ifndef CAP_FAULT_H
#define CAP_FAULT_H

#include <stddef.h>
#include <stdint.h>

/* cap_fault_watch - watch [addr, addr + len); *dead (atomic) is set to 1 after a fault there.
 * Installs the handler on first use. CAP_OK, or CAP_ENOMEM when the table is full (the
 * mapping then is not protected; the caller may go on). */
int cap_fault_watch(void *addr, size_t len, int *dead);
/* cap_fault_unwatch - stop watching the mapping that starts at addr (before munmap). */
void cap_fault_unwatch(void *addr);
/* cap_fault_recheck - at most once a second (now_ns: the coarse clock), one sigaction(2) to
 * see that our handler is still the process's; if the program replaced it, put ours back and
 * chain to the program's. Miss path only: a system call. */
void cap_fault_recheck(uint64_t now_ns);
/* cap_fault_count - faults recovered so far in this process. */
unsigned long cap_fault_count(void);

#endif

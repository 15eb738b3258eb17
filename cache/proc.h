/*
 * proc.h - what /proc says about another process: whether the process that held a shared
 * slot (a statistics slot, a write-in-flight marker) is still the one that took it.
 *
 * A pid alone is not an identity: pids are reused. Holders record their start time (field 22
 * of /proc/PID/stat, clock ticks since boot) beside their pid, and a holder counts as gone
 * only when the kernel says so. Whatever cannot be read counts as alive, so a slot is only
 * ever held too long, never taken from a live holder.
 */
#ifndef CAP_PROC_H
#define CAP_PROC_H

#include <stdint.h>

/* cap_proc_start - pid's start time, 0 when unknown. */
uint64_t cap_proc_start(int pid);

/* cap_proc_gone - 1 when the process pid that started at start is gone: no such pid, a
 * zombie, or another process under that pid (its start time differs; start 0 compares
 * nothing). 0 when it lives or cannot be told. */
int cap_proc_gone(int pid, uint64_t start);

#endif

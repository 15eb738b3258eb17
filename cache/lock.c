/*
 * lock.c - the per-thread state of lock.h: how many of Capacitor's mutexes this thread holds,
 * and its cancellation state from before the first.
 */
#include "cache/lock.h"

__thread int cap_lock_depth __attribute__((tls_model("initial-exec")));
__thread int cap_lock_cancel __attribute__((tls_model("initial-exec")));

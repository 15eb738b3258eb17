/*
 * lock.h - taking Capacitor's process-local mutexes in a host program that may cancel threads.
 *
 * A program may pthread_cancel a thread at any cancellation point inside a libpq or
 * Connector/C call, and so inside Capacitor's code: a write to the log, an open, a poll. A
 * thread cancelled while it holds one of Capacitor's mutexes would leave it locked for ever,
 * and every other thread's next statement would hang on it. So cancellation is off while a
 * thread holds any of them (a per-thread count: locks nest), and a cancellation that arrives
 * meanwhile is acted on at the thread's next cancellation point after the last unlock.
 * pthread_setcancelstate makes no system call.
 */
#ifndef CAP_LOCK_H
#define CAP_LOCK_H

#include <pthread.h>

extern __thread int cap_lock_depth __attribute__((tls_model("initial-exec")));
extern __thread int cap_lock_cancel __attribute__((tls_model("initial-exec")));

static inline void cap_lock_hold(void)
{
	if (cap_lock_depth++ == 0)
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cap_lock_cancel);
}

static inline void cap_lock_drop(void)
{
	if (cap_lock_depth > 0 && --cap_lock_depth == 0)
		pthread_setcancelstate(cap_lock_cancel, NULL);
}

/* cap_mutex_lock / cap_mutex_unlock - pthread_mutex_lock/unlock with cancellation off while
 * the mutex is held. */
static inline void cap_mutex_lock(pthread_mutex_t *m)
{
	cap_lock_hold();
	pthread_mutex_lock(m);
}

static inline void cap_mutex_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	cap_lock_drop();
}

#endif

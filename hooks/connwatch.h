/*
 * connwatch.h - notice, without a system call on the hit path, that the server (or anything
 * between) has closed a connection the process caches on (hooks/connwatch.c).
 *
 * A hit sends nothing, so a session the server ended (pg_terminate_backend, KILL, a restart,
 * wait_timeout, a proxy that closed the socket) would go on being answered from the cache,
 * where without Capacitor the program gets the library's error or a reconnect. The hit path
 * may not poll the socket, so one thread per process polls the sockets of the connections
 * that asked for hits, for the peer's close only (POLLRDHUP; POLLHUP, POLLERR and POLLNVAL
 * come anyway), and raises that connection's flag in a static table. The hit path reads the
 * flag: one load (cap_connwatch_open).
 *
 * Why poll, and no descriptor of our own: poll only observes (it reads nothing from the
 * socket, and a program's level- or edge-triggered waits see every event they would), has no
 * state a program can disturb by closing or reusing a descriptor number, and a program that
 * closes every descriptor cannot make us write to or wait on one of its files. A number the
 * program closed and reused can only make a connection read as closed (no more hits there,
 * never a wrong answer): each slot carries a generation, and the watcher marks only the
 * generation it polled.
 *
 * The thread starts at the first connection that asks (the first cacheable statement of a
 * process; never in a process that caches nothing), with every signal blocked, and ends when
 * no connection has been watched for a while; it is started again when one asks. The ports
 * ask first when a cacheable read reads the session back (a round trip anyway), so a hit
 * seldom pays for a slot or the thread's start. If the thread cannot be started, or the table
 * is full, a connection is simply not watched: hits are served as they would have been
 * without this module (one line in the log).
 *
 * The program must not be able to tell the thread exists, and a process with two threads
 * differs from one with one: the kernel refuses unshare(CLONE_NEWUSER) and setns into a user,
 * mount or time namespace to a multi-threaded process, and Python 3.12 warns at os.fork() when
 * /proc counts more than one thread. So the thread is stopped (woken, joined, and waited for
 * until the kernel no longer counts it) in fork's prepare handler and in the interposed
 * unshare and setns, and never started in a fork handler: a fork's parent and child, and the
 * caller of unshare or setns, have only the program's threads until their next cacheable
 * statement. That statement's check of its connection takes the slow half once: it polls its
 * own socket (a close while no watcher ran is seen there, at once) and starts the watcher.
 * Stopping is why the watcher sleeps on a futex word the stopper raises (with no descriptor
 * of its own nothing could end a blocked poll at once) and polls the sockets without waiting
 * when it wakes, every CAP_CONNWATCH_POLL_MS.
 *
 * Rules: a connection's cap_connwatch is used by the thread that runs the connection's calls
 * (the client libraries' rule); the table is shared with the watcher through atomics only, in
 * static storage that exit and the library's destructors never free.
 */
#ifndef CAP_CONNWATCH_H
#define CAP_CONNWATCH_H

#include <stdint.h>

/* How many connections of one process can be watched at once; more are not watched. */
#define CAP_CONNWATCH_SLOTS 1024
/* The watcher's round, in ms: how late a close (and a newly watched socket) is first seen. */
#define CAP_CONNWATCH_POLL_MS 100

/* A slot's word: generation << 2 | state. */
enum { CAP_CW_FREE = 0, CAP_CW_WATCHED = 1, CAP_CW_CLOSED = 2, CAP_CW_CLAIMED = 3 };

/* One connection's watch, embedded in the client's connection record (zeroed: unwatched;
 * cap_connwatch_init sets it up). */
typedef struct cap_connwatch {
	const uint64_t *word; /* its slot's word, or a word that never reads closed */
	uint64_t closed;      /* what *word reads once the watcher saw the peer close */
	int fd;               /* the socket it watches (-1: none) */
	unsigned epoch;       /* cap_connwatch_epoch when set up (a stop starts over) */
} cap_connwatch;

/* Bumped when the watcher is stopped (a fork, unshare, setns): every watch is checked again at
 * its next use, in the slow half (one poll of its socket; the first also starts the thread). */
extern unsigned cap_connwatch_epoch;

/* cap_connwatch_init - w watches nothing (a new record, or after cap_connwatch_release). */
void cap_connwatch_init(cap_connwatch *w);

/* cap_connwatch_watch - the slow half of cap_connwatch_open: w watches fd from now on (a
 * slot taken, the watcher started if it is not running, and the waits told the socket's
 * identity: cap_wait_bind); 1 unless w already saw fd closed. */
__attribute__((cold, noinline)) int cap_connwatch_watch(cap_connwatch *w, int fd);

/* cap_connwatch_open - 0 when the watcher saw the peer close fd, the connection's socket;
 * else 1. The first call for a socket (and the first after a stop) takes the slow half; then
 * it is two compares and one load: no system call, no lock. */
static inline int cap_connwatch_open(cap_connwatch *w, int fd)
{
	if (__builtin_expect(w->fd == fd && w->epoch == __atomic_load_n(&cap_connwatch_epoch,
									  __ATOMIC_RELAXED), 1))
		return __atomic_load_n(w->word, __ATOMIC_ACQUIRE) != w->closed;
	return cap_connwatch_watch(w, fd);
}

/* cap_connwatch_release - w's connection was closed or is a new session (a reset, a
 * reconnect: its socket, perhaps under the same number, is another): the slot is given back
 * and w watches nothing; the next cap_connwatch_open watches the socket it is given. */
void cap_connwatch_release(cap_connwatch *w);

#endif

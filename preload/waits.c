/*
 * waits.c - the interposed waits (see waits.h for why).
 *
 * State, indexed by descriptor number (CAP_WAIT_FDS of them; a socket beyond is never held,
 * its hits are covered by the caller):
 *   held[fd]    nonzero while a result is held on fd: the hold's generation (edge-triggered
 *               epoll reports each hold once per epoll instance);
 *   known[fd]   the program was told fd is a connection's socket (PQsocket), so it may wait
 *               on it; cleared when the connection closes;
 *   waiting[fd] how many waits of a multi-threaded process are inside the kernel with fd, a
 *               known socket, in their read set; for an epoll instance's descriptor, how many
 *               of its waits are;
 *   ep_of[fd]   the epoll instance a known socket (or an epoll instance) was added to
 *               (epoll_ctl): its descriptor + 1, or -1 when several were;
 *   is_ep[fd]   fd was made an epoll instance (epoll_create*): one a held socket may sit in,
 *               so an epoll instance nesting it, or poll and select on its descriptor, see
 *               it as readable (recursively, as deep as the kernel nests instances);
 *   id_*[fd]    the socket's identity (st_dev, st_ino), recorded by cap_wait_bind off the hit
 *               path: a wait made while a hold exists tells by it which of its descriptors
 *               are the held socket (the number itself, a duplicate under another number)
 *               and which are not (the number closed and given to another file).
 * hold_slot[] lists the held sockets whose identity is known (descriptor + 1), so that a wait
 * finds the hold a duplicate stands for without a scan of the table.
 * nheld counts the holds. A wait whose process has no hold costs one relaxed load of nheld
 * and one of glibc's __libc_single_threaded, then the real call, as if we were not there.
 *
 * What a wait sees, and why none misses a hold: waits.h.
 */
#include "preload/waits.h"
#include "cache/fork.h"
#include "preload/resolve.h"
#include "preload/runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#define CAP_EXPORT __attribute__((visibility("default")))

#define CAP_WAIT_FDS 32768
#define CAP_WAIT_MARKS 16 /* known sockets one wait remembers; more: wide_blocked */
#define CAP_EP_DEPTH 5 /* epoll instances nest at most this deep (the kernel's EP_MAX_NESTS) */

static uint32_t held[CAP_WAIT_FDS];
static uint32_t waiting[CAP_WAIT_FDS];
static uint8_t known[CAP_WAIT_FDS];
static uint8_t is_ep[CAP_WAIT_FDS]; /* made by epoll_create (the number may be reused since) */
static int ep_of[CAP_WAIT_FDS];
static uint64_t id_dev[CAP_WAIT_FDS], id_ino[CAP_WAIT_FDS];
static uint8_t id_ok[CAP_WAIT_FDS]; /* id_dev, id_ino are the socket's (cap_wait_bind) */
static uint8_t slot_of[CAP_WAIT_FDS]; /* its hold_slot + 1 while held with an identity */
#define CAP_HOLD_SLOTS 64 /* held sockets with an identity at once; more: the caller covers */
static int hold_slot[CAP_HOLD_SLOTS];
static unsigned hold_top; /* slots ever used: a wait reads no slot above */
static unsigned nheld, nknown, epoll_blocked, wide_blocked;
static int known_top = -1; /* the highest descriptor ever known or made an epoll instance
			    * (select reads no bit above) */
static uint32_t hold_gen;

#define SC __ATOMIC_SEQ_CST
#define RLX __ATOMIC_RELAXED

/* ---- the real functions ----------------------------------------------------------------- */

typedef int (*poll_fn)(struct pollfd *, nfds_t, int);
typedef int (*ppoll_fn)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
typedef int (*poll_chk_fn)(struct pollfd *, nfds_t, int, size_t);
typedef int (*ppoll_chk_fn)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *,
			    size_t);
typedef int (*select_fn)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
typedef int (*pselect_fn)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
			  const sigset_t *);
typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
typedef int (*epoll_pwait_fn)(int, struct epoll_event *, int, int, const sigset_t *);
typedef int (*epoll_pwait2_fn)(int, struct epoll_event *, int, const struct timespec *,
			       const sigset_t *);
typedef int (*epoll_ctl_fn)(int, int, int, struct epoll_event *);
typedef int (*epoll_create_fn)(int);

#define CAP_WAIT_FUNCS(X)                                                                      \
	X(poll_fn, poll) X(ppoll_fn, ppoll) X(poll_chk_fn, __poll_chk)                         \
	X(ppoll_chk_fn, __ppoll_chk) X(select_fn, select) X(pselect_fn, pselect)               \
	X(epoll_wait_fn, epoll_wait) X(epoll_pwait_fn, epoll_pwait)                            \
	X(epoll_pwait2_fn, epoll_pwait2) X(epoll_ctl_fn, epoll_ctl)                          \
	X(epoll_create_fn, epoll_create) X(epoll_create_fn, epoll_create1)

static struct {
#define CAP_WAIT_PTR(type, name) type real_##name;
	CAP_WAIT_FUNCS(CAP_WAIT_PTR)
#undef CAP_WAIT_PTR
} waitfn;

static pthread_once_t w_once = PTHREAD_ONCE_INIT;

static void w_resolve(void)
{
#define CAP_WAIT_RES(type, name) waitfn.real_##name = (type)dlsym(RTLD_NEXT, #name);
	CAP_WAIT_FUNCS(CAP_WAIT_RES)
#undef CAP_WAIT_RES
}

#define REAL(name)                                                                             \
	__extension__({                                                                        \
		if (__atomic_load_n(&waitfn.real_##name, __ATOMIC_ACQUIRE) == NULL)                 \
			pthread_once(&w_once, w_resolve);                                      \
		waitfn.real_##name;                                                                 \
	})

/* Edge-triggered and ONESHOT registrations already given a hold: (epfd, fd, generation). A
 * full table forgets its oldest (that registration may be told again: a spurious wake-up). */
#define ET_SLOTS 64
static struct {
	int epfd, fd;
	uint32_t gen;
} et_seen[ET_SLOTS];
static unsigned et_next;
static int et_lock; /* a try-lock: a wait never blocks on it (nor a child forked while held) */

/* ---- holds -------------------------------------------------------------------------------- */

static int in_range(int fd)
{
	return fd >= 0 && fd < CAP_WAIT_FDS;
}

static void raise_top(int fd)
{
	int top = __atomic_load_n(&known_top, RLX);
	while (fd > top && !__atomic_compare_exchange_n(&known_top, &top, fd, 0, SC, RLX))
		;
}

void cap_wait_known(int fd)
{
	if (in_range(fd) && !__atomic_load_n(&known[fd], RLX)) {
		__atomic_store_n(&known[fd], 1, SC);
		raise_top(fd);
		__atomic_add_fetch(&nknown, 1, SC);
	}
}

/* A fork child holds nothing: the results are the parent's, and the child may close the
 * socket and get its number again for something else (a pipe that must not read as ready).
 * Nor is any wait of the child blocked, as the threads that made them are not there. */
static void w_fork_child(void)
{
	memset(held, 0, sizeof(held));
	memset(waiting, 0, sizeof(waiting));
	memset(et_seen, 0, sizeof(et_seen));
	memset(slot_of, 0, sizeof(slot_of));
	memset(hold_slot, 0, sizeof(hold_slot));
	nheld = epoll_blocked = wide_blocked = hold_top = 0;
	et_lock = 0;
}

static pthread_once_t w_fork_once = PTHREAD_ONCE_INIT;

static void w_fork_register(void)
{
	cap_fork_register(CAP_FORK_WAITS, NULL, NULL, w_fork_child);
}

void cap_wait_bind(int fd)
{
	struct stat st;
	if (!in_range(fd))
		return;
	int ok = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	if (ok && __atomic_load_n(&id_ok[fd], RLX) && __atomic_load_n(&id_dev[fd], RLX) == st.st_dev &&
	    __atomic_load_n(&id_ino[fd], RLX) == st.st_ino)
		return;
	__atomic_store_n(&id_ok[fd], 0, SC);
	if (!ok)
		return;
	__atomic_store_n(&id_dev[fd], (uint64_t)st.st_dev, RLX);
	__atomic_store_n(&id_ino[fd], (uint64_t)st.st_ino, RLX);
	__atomic_store_n(&id_ok[fd], 1, SC);
}

/* A slot for a held socket with an identity, published before the hold itself (a wait that
 * sees nheld sees the slot); 0 when all are taken. */
static int slot_take(int fd)
{
	for (unsigned s = 0; s < CAP_HOLD_SLOTS; s++) {
		int none = 0;
		if (__atomic_load_n(&hold_slot[s], RLX) == 0 &&
		    __atomic_compare_exchange_n(&hold_slot[s], &none, fd + 1, 0, SC, RLX)) {
			__atomic_store_n(&slot_of[fd], (uint8_t)(s + 1), RLX);
			unsigned top = __atomic_load_n(&hold_top, RLX);
			while (s + 1 > top &&
			       !__atomic_compare_exchange_n(&hold_top, &top, s + 1, 0, SC, RLX))
				;
			return 1;
		}
	}
	return 0;
}

int cap_wait_hold(int fd)
{
	if (!in_range(fd))
		return 0;
	pthread_once(&w_fork_once, w_fork_register);
	cap_wait_known(fd);
	if (__atomic_load_n(&held[fd], RLX) == 0) {
		/* a duplicate of the socket must find the hold: one that cannot (no slot left)
		 * is not made, and the caller's real bytes wake every descriptor */
		if (__atomic_load_n(&id_ok[fd], SC) && !slot_take(fd))
			return 0;
		uint32_t g = __atomic_add_fetch(&hold_gen, 1, RLX);
		__atomic_store_n(&held[fd], g ? g : 1, SC);
		__atomic_add_fetch(&nheld, 1, SC);
	}
	if (__libc_single_threaded)
		return 1;
	/* a wait on the socket, on the instance it was added to, on the instance that one was
	 * added to (nested, as deep as the kernel allows), or on any when added to several */
	int blocked = __atomic_load_n(&waiting[fd], SC) || __atomic_load_n(&wide_blocked, SC);
	int ep = __atomic_load_n(&ep_of[fd], SC);
	for (int depth = 0; !blocked && ep > 0 && depth <= CAP_EP_DEPTH; depth++) {
		blocked = __atomic_load_n(&waiting[ep - 1], SC) != 0;
		ep = __atomic_load_n(&ep_of[ep - 1], SC);
	}
	if (blocked || (ep < 0 && __atomic_load_n(&epoll_blocked, SC))) {
		cap_wait_release(fd);
		return 0;
	}
	return 1;
}

void cap_wait_release(int fd)
{
	if (in_range(fd) && __atomic_load_n(&held[fd], RLX)) {
		__atomic_store_n(&held[fd], 0, SC);
		__atomic_sub_fetch(&nheld, 1, SC);
		unsigned s = __atomic_load_n(&slot_of[fd], RLX);
		if (s) {
			__atomic_store_n(&slot_of[fd], 0, RLX);
			__atomic_store_n(&hold_slot[s - 1], 0, SC);
		}
	}
}

void cap_wait_forget(int fd)
{
	if (!in_range(fd))
		return;
	cap_wait_release(fd);
	__atomic_store_n(&ep_of[fd], 0, RLX);
	__atomic_store_n(&id_ok[fd], 0, SC);
	if (__atomic_load_n(&known[fd], RLX)) {
		__atomic_store_n(&known[fd], 0, SC);
		__atomic_sub_fetch(&nknown, 1, SC);
	}
}

/* The hold of the socket whose identity this is (its generation), 0 for none. */
static uint32_t hold_by_id(uint64_t dev, uint64_t ino)
{
	unsigned top = __atomic_load_n(&hold_top, SC);
	for (unsigned s = 0; s < top && s < CAP_HOLD_SLOTS; s++) {
		int f = __atomic_load_n(&hold_slot[s], SC) - 1;
		if (f < 0)
			continue;
		uint32_t g = __atomic_load_n(&held[f], SC);
		if (g && __atomic_load_n(&id_ok[f], SC) && __atomic_load_n(&id_dev[f], RLX) == dev &&
		    __atomic_load_n(&id_ino[f], RLX) == ino)
			return g;
	}
	return 0;
}

/* The hold a descriptor of a wait stands for (its generation), 0 for none; called only while
 * a hold exists (one fstat). The held socket under any number - its own, or a duplicate's
 * (dup, fcntl F_DUPFD, Perl's open '<&', socket.fromfd) - is known by its identity. A held
 * number that is closed, or now another kind of file, stands for nothing: the kernel answers
 * for it (POLLNVAL, an empty pipe). Another socket under a held number keeps the hold by
 * number, as does a hold whose identity was never recorded: after a reconnect inside the
 * client library not seen yet it is the connection's own, and a hold not seen is a hang. */
static uint32_t hold_of(int fd)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	uint32_t g = hold_by_id((uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (g == 0 && in_range(fd))
		g = __atomic_load_n(&held[fd], SC);
	return g;
}

static int epoll_made(int fd)
{
	return in_range(fd) && __atomic_load_n(&is_ep[fd], RLX);
}

static int ep_holds(int epfd);

/* fd reads as ready because of a hold: held, or an epoll instance that (perhaps through
 * instances nested in it) watches a held socket for reading. */
static int is_ready(int fd)
{
	return hold_of(fd) != 0 || (epoll_made(fd) && ep_holds(fd));
}

/* ---- the common shape of a wait --------------------------------------------------------- */

/* Nothing held and no other thread to race with: the real call, untouched. */
static inline int wait_plain(void)
{
	if (__atomic_load_n(&nheld, RLX) != 0)
		return 0;
	return __libc_single_threaded || __atomic_load_n(&nknown, RLX) == 0;
}

/* A multi-threaded wait's marks on the known sockets and epoll instances of its read set. */
typedef struct marks {
	int fd[CAP_WAIT_MARKS];
	int n;
	int wide; /* counted in wide_blocked */
	int epoll; /* counted in epoll_blocked */
} marks;

static int marking(void)
{
	return !__libc_single_threaded && __atomic_load_n(&nknown, RLX) != 0;
}

static void mark(marks *m, int fd)
{
	if (!in_range(fd) || !(__atomic_load_n(&known[fd], RLX) || epoll_made(fd)))
		return;
	if (m->n < CAP_WAIT_MARKS) {
		__atomic_add_fetch(&waiting[fd], 1, SC);
		m->fd[m->n++] = fd;
	} else if (!m->wide) {
		__atomic_add_fetch(&wide_blocked, 1, SC);
		m->wide = 1;
	}
}

static void unmark(marks *m)
{
	for (int i = 0; i < m->n; i++)
		__atomic_sub_fetch(&waiting[m->fd[i]], 1, SC);
	if (m->wide)
		__atomic_sub_fetch(&wide_blocked, 1, SC);
	if (m->epoll)
		__atomic_sub_fetch(&epoll_blocked, 1, SC);
}

/* The wait comes from libpq or Connector/C (their own blocking calls), or from a real function
 * our hooks are running: the kernel answers. Only asked when a held socket is in the set: a
 * hit's path, so the libraries' code ranges noted when their functions were resolved are
 * compared, without the dynamic linker's lock (preload/resolve.h). */
static int from_client(const void *caller)
{
	return cap_guard || (caller != NULL && cap_resolve_in_client(caller));
}

/* The program's memory, read or written through the kernel, which refuses (EFAULT) what it
 * would refuse the program: a wait never touches a byte the real call would not have, and a
 * bad pointer gets the kernel's errno, not a SIGSEGV. Where the call itself is refused
 * (seccomp: ENOSYS, EPERM) the copy is made directly, as a program's valid pointers are. 0,
 * or -1 with errno set. */
static int user_copy(void *dst, const void *src, size_t n, int to_program)
{
	struct iovec ours = { to_program ? (void *)(uintptr_t)src : dst, n };
	struct iovec theirs = { to_program ? dst : (void *)(uintptr_t)src, n };
	ssize_t r = to_program ? process_vm_writev(getpid(), &ours, 1, &theirs, 1, 0)
			       : process_vm_readv(getpid(), &ours, 1, &theirs, 1, 0);
	if (r == (ssize_t)n)
		return 0;
	if (r >= 0 || errno == EFAULT) {
		errno = EFAULT;
		return -1;
	}
	memcpy(dst, src, n);
	return 0;
}

/* ---- poll and ppoll ----------------------------------------------------------------------- */

#define POLL_READ (POLLIN | POLLRDNORM)

/* One of the four poll entry points, called with its own arguments or a zero timeout. */
typedef struct poll_call {
	int kind; /* 0 poll, 1 ppoll, 2 __poll_chk, 3 __ppoll_chk */
	struct pollfd *fds;
	nfds_t n;
	int timeout;
	const struct timespec *ts;
	const sigset_t *mask;
	size_t fdslen;
} poll_call;

static int poll_run(const poll_call *c, int zero)
{
	static const struct timespec z;
	switch (c->kind) {
	case 0: return REAL(poll)(c->fds, c->n, zero ? 0 : c->timeout);
	case 1: return REAL(ppoll)(c->fds, c->n, zero ? &z : c->ts, c->mask);
	case 2: return REAL(__poll_chk)(c->fds, c->n, zero ? 0 : c->timeout, c->fdslen);
	default: return REAL(__ppoll_chk)(c->fds, c->n, zero ? &z : c->ts, c->mask, c->fdslen);
	}
}

/* The held descriptors of the array, after a zero-timeout call that succeeded, made
 * readable: the new count, or -1 when none is held (or the wait is libpq's own). */
static int poll_answer(const poll_call *c, const void *caller)
{
	if (!__atomic_load_n(&nheld, SC))
		return -1;
	nfds_t first = c->n; /* the first held one: reported even if released meanwhile */
	for (nfds_t i = 0; i < c->n && first == c->n; i++)
		if ((c->fds[i].events & POLL_READ) && is_ready(c->fds[i].fd))
			first = i;
	if (first == c->n || from_client(caller))
		return -1;
	/* the others held are taken as they are now: one released meanwhile was collected (a
	 * spurious readiness costs a look); the first keeps the answer from reading as a
	 * timeout */
	int rc = 0;
	for (nfds_t i = 0; i < c->n; i++) {
		if ((c->fds[i].events & POLL_READ) && (i == first || (i > first && is_ready(c->fds[i].fd))))
			c->fds[i].revents |= (short)(c->fds[i].events & POLL_READ);
		rc += c->fds[i].revents != 0;
	}
	return rc;
}

static int poll_slow(const poll_call *c, const void *caller)
{
	if (cap_guard)
		return poll_run(c, 0);
	/* The array is read only after the kernel took it: a zero-timeout call first (it
	 * leaves fd and events as they are), whose error (EFAULT, EINVAL for nfds over
	 * RLIMIT_NOFILE) is the program's answer, and whose readiness is the program's answer
	 * as soon as there is some. */
	int rc = poll_run(c, 1);
	if (rc < 0)
		return rc;
	int ans = poll_answer(c, caller);
	if (ans >= 0 || rc > 0)
		return ans >= 0 ? ans : rc;
	marks m = { .n = 0 };
	if (marking())
		for (nfds_t i = 0; i < c->n; i++)
			if (c->fds[i].events & POLL_READ)
				mark(&m, c->fds[i].fd);
	ans = poll_answer(c, caller); /* a hold published meanwhile */
	rc = ans >= 0 ? ans : poll_run(c, 0);
	if (m.n || m.wide) {
		int e = errno;
		unmark(&m);
		errno = e;
	}
	return rc;
}

CAP_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (wait_plain())
		return REAL(poll)(fds, n, timeout);
	poll_call c = { 0, fds, n, timeout, NULL, NULL, 0 };
	return poll_slow(&c, __builtin_return_address(0));
}

CAP_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	if (wait_plain())
		return REAL(ppoll)(fds, n, ts, mask);
	poll_call c = { 1, fds, n, 0, ts, mask, 0 };
	return poll_slow(&c, __builtin_return_address(0));
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
CAP_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (wait_plain())
		return REAL(__poll_chk)(fds, n, timeout, fdslen);
	if (fdslen / sizeof(*fds) < n) /* the real one aborts the program: let it say so */
		return REAL(__poll_chk)(fds, n, timeout, fdslen);
	poll_call c = { 2, fds, n, timeout, NULL, NULL, fdslen };
	return poll_slow(&c, __builtin_return_address(0));
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask,
		size_t fdslen);
CAP_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			   const sigset_t *mask, size_t fdslen)
{
	if (wait_plain())
		return REAL(__ppoll_chk)(fds, n, ts, mask, fdslen);
	if (fdslen / sizeof(*fds) < n)
		return REAL(__ppoll_chk)(fds, n, ts, mask, fdslen);
	poll_call c = { 3, fds, n, 0, ts, mask, fdslen };
	return poll_slow(&c, __builtin_return_address(0));
}

/* ---- select and pselect -------------------------------------------------------------------- */

/* fd_set bits by hand: the fortified FD_ISSET refuses descriptors past FD_SETSIZE, and a
 * program may pass larger sets. */
#define BITS (8 * (int)sizeof(unsigned long))
static int bit_get(const fd_set *s, int fd)
{
	return (int)((((const unsigned long *)(const void *)s)[fd / BITS] >> (fd % BITS)) & 1ul);
}
static void bit_set(fd_set *s, int fd)
{
	((unsigned long *)(void *)s)[fd / BITS] |= 1ul << (fd % BITS);
}

typedef struct select_call {
	int pselect;
	int nfds;
	fd_set *r, *wr, *e;
	struct timeval *tv;
	const struct timespec *ts;
	const sigset_t *mask;
} select_call;

static int select_run(const select_call *c, int zero)
{
	if (c->pselect) {
		static const struct timespec z;
		return REAL(pselect)(c->nfds, c->r, c->wr, c->e, zero ? &z : c->ts, c->mask);
	}
	struct timeval z = { 0, 0 };
	return REAL(select)(c->nfds, c->r, c->wr, c->e, zero ? &z : c->tv);
}

/* The read set is also the write or exception set: the kernel writes its answer for reading
 * first and the other over it, so the set ends as the other's answer, and the count has
 * each readiness of each set. The held sockets' reading then counts once each unless the
 * kernel found them readable itself (and counted them), and their bits stay the other set's. */
static int select_aliased(const int *add, int nadd)
{
	struct pollfd p[CAP_WAIT_MARKS];
	for (int i = 0; i < nadd; i++)
		p[i] = (struct pollfd){ add[i], POLLIN | POLLRDNORM | POLLRDBAND, 0 };
	if (REAL(poll)(p, (nfds_t)nadd, 0) < 0)
		return nadd;
	int n = 0;
	for (int i = 0; i < nadd; i++)
		n += p[i].revents == 0;
	return n;
}

static int select_slow(const select_call *c, const void *caller)
{
	if (cap_guard || c->r == NULL || c->nfds <= 0)
		return select_run(c, 0);
	/* The bits of known sockets and epoll instances below nfds are read: they were open,
	 * so are below the size of the descriptor table, whose bits the kernel reads too (it
	 * reads min(nfds, table size) bits, never nfds of a 128-byte set). While a hold exists
	 * any open descriptor may be a duplicate of the held socket: the bits up to nfds are
	 * read, unless the set ends before them (the kernel, which reads no bit past its table,
	 * would not fault: only the known ones are looked at then). Bits past the table, read
	 * from the program's memory beyond its set, are of no open descriptor: fstat refuses
	 * them, and none is written. Copied through the kernel, which refuses a bad set with
	 * the EFAULT the real call then gives. */
	int mtop = __atomic_load_n(&known_top, SC) + 1;
	if (mtop > c->nfds)
		mtop = c->nfds;
	int top = c->nfds < CAP_WAIT_FDS ? c->nfds : CAP_WAIT_FDS;
	unsigned long in[CAP_WAIT_FDS / BITS];
	if (!__atomic_load_n(&nheld, SC) || top <= mtop ||
	    user_copy(in, c->r, (size_t)((top + BITS - 1) / BITS) * sizeof(long), 0) < 0) {
		top = mtop;
		if (top <= 0)
			return select_run(c, 0);
		if (user_copy(in, c->r, (size_t)((top + BITS - 1) / BITS) * sizeof(long), 0) < 0)
			return select_run(c, 0);
	}
	const fd_set *r = (const fd_set *)(const void *)in;
	marks m = { .n = 0 };
	if (marking())
		for (int fd = 0; fd < mtop; fd++)
			if (bit_get(r, fd))
				mark(&m, fd);
	int add[CAP_WAIT_MARKS], nadd = 0;
	/* read again after the marks (a hold made meanwhile is seen: waits.h); the bits read
	 * still cover every known socket */
	if (__atomic_load_n(&nheld, SC))
		for (int fd = 0; fd < top && nadd < CAP_WAIT_MARKS; fd++)
			if (bit_get(r, fd) && is_ready(fd))
				add[nadd++] = fd;
	int rc;
	if (nadd && !from_client(caller)) {
		/* those found held are reported even if released meanwhile (the program then
		 * has its result: a spurious readiness costs it a look, a 0 would read as the
		 * timeout) */
		rc = select_run(c, 1);
		if (rc >= 0 && (c->wr == c->r || c->e == c->r))
			rc += select_aliased(add, nadd);
		else
			for (int i = 0; rc >= 0 && i < nadd; i++)
				if (!bit_get(c->r, add[i])) {
					bit_set(c->r, add[i]);
					rc++;
				}
	} else {
		rc = select_run(c, 0);
	}
	if (m.n || m.wide) {
		int e = errno;
		unmark(&m);
		errno = e;
	}
	return rc;
}

CAP_EXPORT int select(int nfds, fd_set *r, fd_set *wr, fd_set *e, struct timeval *tv)
{
	if (wait_plain())
		return REAL(select)(nfds, r, wr, e, tv);
	select_call c = { 0, nfds, r, wr, e, tv, NULL, NULL };
	return select_slow(&c, __builtin_return_address(0));
}

CAP_EXPORT int pselect(int nfds, fd_set *r, fd_set *wr, fd_set *e, const struct timespec *ts,
		       const sigset_t *mask)
{
	if (wait_plain())
		return REAL(pselect)(nfds, r, wr, e, ts, mask);
	select_call c = { 1, nfds, r, wr, e, NULL, ts, mask };
	return select_slow(&c, __builtin_return_address(0));
}

/* ---- epoll ----------------------------------------------------------------------------------- */

/* 1 when this hold was already given to this registration (and records it when not). */
static int et_given(int epfd, int fd, uint32_t gen)
{
	if (__atomic_exchange_n(&et_lock, 1, __ATOMIC_ACQUIRE))
		return 0;
	int given = 0;
	for (int i = 0; i < ET_SLOTS && !given; i++)
		given = et_seen[i].epfd == epfd && et_seen[i].fd == fd && et_seen[i].gen == gen;
	if (!given) {
		unsigned s = et_next++ % ET_SLOTS;
		et_seen[s].epfd = epfd;
		et_seen[s].fd = fd;
		et_seen[s].gen = gen;
	}
	__atomic_store_n(&et_lock, 0, __ATOMIC_RELEASE);
	return given;
}

/* A registration of fd in epfd (re)made, EPOLL_CTL_ADD or MOD: the kernel checks readiness
 * again and reports unread bytes anew, so a hold already given to it is given again. The
 * lock is only ever held for a short scan: waited for, a bounded while (a registration
 * still marked costs the program one edge it will not see: it was told of this hold once). */
static void et_forget(int epfd, int fd)
{
	for (int tries = 0; __atomic_exchange_n(&et_lock, 1, __ATOMIC_ACQUIRE); tries++)
		if (tries > 100000)
			return;
	for (int i = 0; i < ET_SLOTS; i++)
		if (et_seen[i].epfd == epfd && et_seen[i].fd == fd)
			et_seen[i].gen = 0;
	__atomic_store_n(&et_lock, 0, __ATOMIC_RELEASE);
}

typedef struct ep_hit {
	int fd;
	uint32_t events; /* as registered */
	uint64_t data;
	uint32_t gen; /* the hold's generation (of a socket in the nested instance fd) */
} ep_hit;

/* The registrations of epfd, from the kernel's list, for reading of a held socket or of an
 * epoll instance that (nested up to the kernel's depth) has one; at most max. */
static int ep_find(int epfd, ep_hit *out, int max, int depth)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	char buf[4096];
	size_t have = 0;
	int n = 0;
	for (;;) {
		ssize_t r = read(f, buf + have, sizeof(buf) - 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			int tfd;
			unsigned ev, sdev;
			unsigned long long data, ino;
			const char *p = strstr(line, "ino:");
			uint32_t gen = 0;
			struct stat st;
			if (n < max && sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &ev, &data) == 3 &&
			    (ev & (EPOLLIN | EPOLLRDNORM)) && p &&
			    sscanf(p, "ino:%llx sdev:%x", &ino, &sdev) == 2) {
				/* the registered file itself, under whatever number (the kernel's
				 * dev_t is major << 20 | minor) */
				gen = hold_by_id((uint64_t)makedev(sdev >> 20, sdev & 0xfffff), ino);
				ep_hit inner;
				/* else by number: the registration is of the file that has the
				 * number now, not of an earlier one (a dup of it kept it alive) */
				if (gen == 0 && in_range(tfd) && fstat(tfd, &st) == 0 &&
				    (unsigned long long)st.st_ino == ino) {
					if (S_ISSOCK(st.st_mode))
						gen = __atomic_load_n(&held[tfd], SC);
					else if (depth < CAP_EP_DEPTH && epoll_made(tfd) &&
						 ep_find(tfd, &inner, 1, depth + 1))
						gen = inner.gen;
				}
			}
			if (gen) {
				out[n].fd = tfd;
				out[n].events = ev;
				out[n].data = data;
				out[n].gen = gen;
				n++;
			}
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer is no registration line */
	}
	close(f);
	return n;
}

static int ep_holds(int epfd)
{
	ep_hit h;
	return ep_find(epfd, &h, 1, 1);
}

typedef struct ep_call {
	int kind; /* 0 epoll_wait, 1 epoll_pwait, 2 epoll_pwait2 */
	int epfd;
	struct epoll_event *ev;
	int max;
	int timeout;
	const struct timespec *ts;
	const sigset_t *mask;
} ep_call;

/* zero: 0 the program's timeout, 1 none, 2 the shortest that is not none (the kernel checks
 * for signals only in a wait that may sleep, and then before it sleeps). */
static int ep_run(const ep_call *c, int max, int zero)
{
	static const struct timespec z, one = { 0, 1 };
	int ms = zero == 0 ? c->timeout : zero == 2;
	switch (c->kind) {
	case 0: return REAL(epoll_wait)(c->epfd, c->ev, max, ms);
	case 1: return REAL(epoll_pwait)(c->epfd, c->ev, max, ms, c->mask);
	default: return REAL(epoll_pwait2)(c->epfd, c->ev, max, zero == 0 ? c->ts : zero == 2 ? &one : &z, c->mask);
	}
}

/* Could the program's own call sleep (a timeout that is not zero)? */
static int ep_may_sleep(const ep_call *c)
{
	struct timespec t;
	if (c->kind != 2)
		return c->timeout != 0;
	return c->ts == NULL || user_copy(&t, c->ts, sizeof(t), 0) < 0 || t.tv_sec != 0 || t.tv_nsec != 0;
}

/* Does mask unblock a signal pending now? A wait with that mask then ends with EINTR, after
 * the handler ran, unless something is ready when it starts - which a held socket is not,
 * to the kernel (nothing to read): poll and select with no timeout look at signals after the
 * descriptors (poll_slow, select_slow get EINTR as the program would), epoll does not. A mask
 * the kernel cannot read is left to its EFAULT. */
static int unblocks_pending(const sigset_t *mask)
{
	sigset_t want, pend;
	sigemptyset(&want);
	if (mask == NULL || user_copy(&want, mask, _NSIG / 8, 0) < 0 || sigpending(&pend) != 0)
		return 0;
	for (int sig = 1; sig < _NSIG; sig++)
		if (sigismember(&pend, sig) == 1 && sigismember(&want, sig) == 0)
			return 1;
	return 0;
}

static int ep_slow(const ep_call *c, const void *caller)
{
	if (cap_guard || c->ev == NULL || c->max <= 0 ||
	    c->max > (int)(INT32_MAX / sizeof(struct epoll_event)))
		return ep_run(c, c->max, 0); /* the kernel's EFAULT, EINVAL */
	int counted = 0;
	if (marking() && in_range(c->epfd)) {
		__atomic_add_fetch(&waiting[c->epfd], 1, SC);
		__atomic_add_fetch(&epoll_blocked, 1, SC);
		counted = 1;
	}
	ep_hit hit[8];
	int nhit = 0;
	if (__atomic_load_n(&nheld, SC) && !from_client(caller)) {
		ep_hit found[8];
		int nf = ep_find(c->epfd, found, 8, 1);
		for (int i = 0; i < nf; i++) {
			if ((found[i].events & (EPOLLET | EPOLLONESHOT)) &&
			    et_given(c->epfd, found[i].fd, found[i].gen))
				continue;
			hit[nhit++] = found[i];
		}
	}
	int rc;
	if (nhit) {
		/* the kernel's zero-timeout answer first (its EFAULT, EINVAL are the program's);
		 * the held ones are then written through the kernel, which refuses a bad array */
		int room = c->max - nhit;
		rc = ep_run(c, room > 0 ? room : 1, ep_may_sleep(c) && unblocks_pending(c->mask) ? 2 : 1);
		for (int i = 0; rc >= 0 && i < nhit; i++) {
			int j = 0;
			while (j < rc && c->ev[j].data.u64 != hit[i].data)
				j++;
			if (j < rc) {
				c->ev[j].events |= hit[i].events & (EPOLLIN | EPOLLRDNORM);
			} else if (rc < c->max) {
				struct epoll_event one = { hit[i].events & (EPOLLIN | EPOLLRDNORM),
							   { .u64 = hit[i].data } };
				if (user_copy(&c->ev[rc], &one, sizeof(one), 1) < 0) {
					if (rc == 0)
						rc = -1; /* as the kernel, which had nothing else to say */
					break;
				}
				rc++;
			} else {
				continue; /* no room left: not told, so not spent */
			}
			if (hit[i].events & EPOLLONESHOT) {
				/* spent, as the kernel leaves a registration that reported */
				struct epoll_event off = { hit[i].events & (EPOLLONESHOT | EPOLLET),
							   { .u64 = hit[i].data } };
				int e = errno;
				REAL(epoll_ctl)(c->epfd, EPOLL_CTL_MOD, hit[i].fd, &off);
				errno = e;
			}
		}
	} else {
		rc = ep_run(c, c->max, 0);
	}
	if (counted) {
		int e = errno;
		__atomic_sub_fetch(&epoll_blocked, 1, SC);
		__atomic_sub_fetch(&waiting[c->epfd], 1, SC);
		errno = e;
	}
	return rc;
}

CAP_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	if (wait_plain())
		return REAL(epoll_wait)(epfd, ev, max, timeout);
	ep_call c = { 0, epfd, ev, max, timeout, NULL, NULL };
	return ep_slow(&c, __builtin_return_address(0));
}

CAP_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
			   const sigset_t *mask)
{
	if (wait_plain())
		return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
	ep_call c = { 1, epfd, ev, max, timeout, NULL, mask };
	return ep_slow(&c, __builtin_return_address(0));
}

CAP_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *ts,
			    const sigset_t *mask)
{
	epoll_pwait2_fn real = REAL(epoll_pwait2);
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (wait_plain())
		return real(epfd, ev, max, ts, mask);
	ep_call c = { 2, epfd, ev, max, 0, ts, mask };
	return ep_slow(&c, __builtin_return_address(0));
}

/* A known socket (or an epoll instance) added to an epoll instance: a multi-threaded hold on
 * it must then ask whether a wait on that instance (on any, for one in several; on the
 * instances that one is nested in) is blocked. A
 * registration removed is not forgotten: the worst it costs is an empty query. A held
 * socket's registration re-made is told of the hold again (et_forget). */
CAP_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && in_range(fd) &&
	    ((__atomic_load_n(&nknown, RLX) && __atomic_load_n(&known[fd], RLX)) || epoll_made(fd))) {
		int was = __atomic_load_n(&ep_of[fd], RLX);
		int now = !in_range(epfd) || (was != 0 && was != epfd + 1) ? -1 : epfd + 1;
		if (now != was)
			__atomic_store_n(&ep_of[fd], now, SC);
	}
	int rc = REAL(epoll_ctl)(epfd, op, fd, event);
	if (rc == 0 && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) &&
	    __atomic_load_n(&nheld, SC) && hold_of(fd))
		et_forget(epfd, fd);
	return rc;
}

/* An epoll instance made: one a held socket may sit in, nested in another instance or waited
 * on itself with poll or select. Remembered by number (a reused number costs a look). */
static int ep_made(int fd)
{
	if (in_range(fd)) {
		__atomic_store_n(&is_ep[fd], 1, SC);
		raise_top(fd);
	}
	return fd;
}

CAP_EXPORT int epoll_create(int size)
{
	return ep_made(REAL(epoll_create)(size));
}

CAP_EXPORT int epoll_create1(int flags)
{
	return ep_made(REAL(epoll_create1)(flags));
}

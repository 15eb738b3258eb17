/*
 * waits.h - a result held by us makes its connection's socket read as ready to every wait
 * of the program.
 *
 * A hit on the asynchronous API (PQsendQuery, then the result later) sends nothing to the
 * server, so the socket never becomes readable: a program that waits on it before it asks
 * libpq (an event loop that polls, then reads) would wait forever. The library therefore
 * interposes the waits a program can make on a socket - poll, ppoll, select, pselect,
 * epoll_wait, epoll_pwait, epoll_pwait2 (and the fortified __poll_chk, __ppoll_chk) - and,
 * while a hit is held on a socket, answers a wait that includes it for reading at once, with
 * the socket reported readable next to whatever else the kernel says is ready (the state
 * behind it: waits.c).
 *
 * Answering. While nheld > 0 a wait looks for a held socket among the descriptors it watches
 * for reading (poll and select: in its arguments; epoll: in the kernel's own list of the
 * instance's registrations, /proc/self/fdinfo/EPFD, which also shows those made before we
 * were loaded or through other means, and a ONESHOT registration already spent). A held
 * socket is known by its identity (st_dev, st_ino: sockets have unique inodes in sockfs),
 * recorded by cap_wait_bind when the connection is first watched, so a duplicate under another
 * number (dup, fcntl F_DUPFD, Perl's open '<&' as Mojo::Pg does, socket.fromfd) is the held
 * socket too, and a held number the program closed and got again for another kind of file is
 * not (the kernel answers for it); each descriptor of the wait costs one fstat then, epoll's
 * registrations none (fdinfo lists the identity). When there
 * is one, the real call is made with a zero timeout (so other ready descriptors are reported
 * too, and a signal still interrupts with EINTR: a signal pending that the wait's mask
 * unblocks ends it as when the answer is still on its way - epoll, which looks at signals only
 * in a wait that may sleep, is then given the shortest timeout instead) and the held ones are
 * added as readable (select with its read set aliased as the write or exception set: counted,
 * the set left as the kernel's last answer wrote it):
 * level-triggered, as a socket with unread bytes stays readable until read; an
 * edge-triggered registration gets it once per hold, a ONESHOT one once and is then disarmed
 * in the kernel as the kernel would have done.
 *
 * Nothing is written that the kernel would not: poll reads its array after a zero-timeout
 * real call took it, select writes only bits of open descriptors (below the descriptor table
 * the kernel reads up to) and reads through the kernel only the words of known sockets and
 * epoll instances, or while a hold exists all nfds bits (any may be a duplicate) unless the
 * set ends before them, and epoll writes a held event through the kernel; a bad argument gets
 * the kernel's errno. A fork child holds nothing (its parent's holds are not its own).
 *
 * libpq is never answered. A wait made by a client library itself (libpq's pqWait inside a
 * blocking call, or anything while our hooks run a real function: cap_guard) goes straight to
 * the kernel: a hold only stands for bytes the program would read through libpq's API, which
 * the hooks answer without reading.
 *
 * No wait misses a hold. A wait that starts after the hold sees nheld. One already inside the
 * kernel does not: in a single-threaded process none can be (the thread that holds is not
 * waiting). In a multi-threaded one, a wait marks the known sockets in its read set in
 * waiting[] (an epoll wait, whose set it cannot read cheaply, marks its instance instead, and
 * counts itself in epoll_blocked for sockets added to several; a wait with more known sockets
 * than it can remember counts itself in wide_blocked) before it reads
 * nheld, and cap_wait_hold publishes the hold before it reads those marks: by the total order
 * of sequentially consistent operations, either the wait sees the hold or the hold sees the
 * wait, and then it reports 0 and the caller sends real bytes (an empty query of its own). A
 * program can only wait on a socket whose number libpq gave it (PQsocket), so known[] is set
 * before any wait that includes it starts. A duplicate is not marked (telling it would cost a
 * wait an fstat per descriptor with no hold anywhere): a multi-threaded program's wait on a
 * duplicate already blocked when the hold is made is not seen; one that starts after it is.
 *
 * The hooks call these from the thread that owns the connection (libpq's rule), never on a
 * wait; none makes a system call or takes a lock.
 */
#ifndef CAP_WAITS_H
#define CAP_WAITS_H

/* cap_wait_known - the program has been told fd is a connection's socket (PQsocket): from
 * now on a wait of another thread that includes it says so, so that a hold can tell. */
void cap_wait_known(int fd);

/* cap_wait_bind - fd is a connection's socket as its session now stands (the first cacheable
 * statement of the session; called off the hit path, one fstat): its identity is recorded, so
 * that a wait while a hit is held on it knows it under any number (a duplicate) and knows
 * the number is no longer it once the program closed it and got the number for another file.
 * A later call for the same socket costs the fstat only. */
void cap_wait_bind(int fd);

/* cap_wait_hold - a result for the connection on fd is held by us: every wait that includes
 * fd for reading returns at once with fd readable until cap_wait_release. 1 when held; 0 when
 * some wait might not see it (a wait of another thread already blocked with fd in its set, a
 * descriptor beyond the table, more held sockets with an identity than a wait looks through):
 * the caller must make the socket readable itself (an empty query of ours), and nothing is
 * held. */
int cap_wait_hold(int fd);

/* cap_wait_release - the program has collected what was held on fd (or moved on): waits see
 * the kernel's state again. No-op when nothing is held on fd. */
void cap_wait_release(int fd);

/* cap_wait_forget - fd is about to be closed (PQfinish, PQreset): release it and forget that
 * it was a connection's socket (the number will be reused). */
void cap_wait_forget(int fd);

#endif

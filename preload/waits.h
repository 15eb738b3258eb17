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
 * the socket reported readable next to whatever else the kernel says is ready. waits.c says
 * how, and why no wait can miss a hold.
 *
 * The hooks call these from the thread that owns the connection (libpq's rule), never on a
 * wait; none makes a system call or takes a lock.
 */
#ifndef CAP_WAITS_H
#define CAP_WAITS_H

/* cap_wait_known - the program has been told fd is a connection's socket (PQsocket): from
 * now on a wait of another thread that includes it says so, so that a hold can tell. */
void cap_wait_known(int fd);

/* cap_wait_hold - a result for the connection on fd is held by us: every wait that includes
 * fd for reading returns at once with fd readable until cap_wait_release. 1 when held; 0 when
 * some wait might not see it (a wait of another thread already blocked with fd in its set, a
 * descriptor beyond the table): the caller must make the socket readable itself (an empty
 * query of ours), and nothing is held. */
int cap_wait_hold(int fd);

/* cap_wait_release - the program has collected what was held on fd (or moved on): waits see
 * the kernel's state again. No-op when nothing is held on fd. */
void cap_wait_release(int fd);

/* cap_wait_forget - fd is about to be closed (PQfinish, PQreset): release it and forget that
 * it was a connection's socket (the number will be reused). */
void cap_wait_forget(int fd);

#endif

/* test_waits.c - the interposed waits (preload/waits.c), built into this program: a held
 * socket with nothing to read is reported readable by poll, ppoll, select, pselect and epoll
 * (level-triggered every time, edge-triggered and ONESHOT once per hold), next to what is
 * really ready, until released; waits made under the re-entrancy guard are not answered; a
 * hold reports 0 when another thread is already blocked in a wait on that socket; a pending
 * signal that a wait's mask unblocks interrupts it as the kernel would; select with aliased
 * sets answers as the kernel does; a duplicate of the held socket (dup, fcntl F_DUPFD) reads
 * as it does, and a held number the program closed and got again for a pipe reads as the
 * pipe. */
#include "preload/waits.c"

#include <criterion/criterion.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

__thread int cap_guard __attribute__((tls_model("initial-exec")));

/* no client library in this program: every wait is the program's own */
int cap_resolve_in_client(const void *addr)
{
	(void)addr;
	return 0;
}

static int sp[2], pp[2];

static void setup(void)
{
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	cr_assert(pipe(pp) == 0);
	cap_wait_known(sp[0]);
	cap_wait_bind(sp[0]); /* as the hooks do at the session's first cacheable statement */
}

static void teardown(void)
{
	cap_wait_forget(sp[0]);
	close(sp[0]);
	close(sp[1]);
	close(pp[0]);
	close(pp[1]);
}

TestSuite(waits, .init = setup, .fini = teardown);

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(waits, poll_reports_a_held_socket_until_released)
{
	struct pollfd p[2] = { { sp[0], POLLIN, 0 }, { sp[1], POLLOUT, 0 } };
	cr_assert_eq(poll(p, 1, 0), 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	long long t0 = now_ms();
	cr_assert_eq(poll(p, 2, 5000), 2); /* the other descriptor's readiness is kept */
	cr_assert(now_ms() - t0 < 1000);
	cr_assert(p[0].revents & POLLIN);
	cr_assert(p[1].revents & POLLOUT);
	struct timespec ts = { 5, 0 };
	p[0].revents = 0;
	cr_assert_eq(ppoll(p, 1, &ts, NULL), 1);
	cr_assert(p[0].revents & POLLIN);
	cap_wait_release(sp[0]);
	cr_assert_eq(poll(p, 1, 0), 0);
}

Test(waits, select_reports_a_held_socket)
{
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(sp[0], &r);
	FD_SET(pp[0], &r); /* nothing to read there */
	FD_SET(sp[1], &w);
	int top = sp[0] > pp[0] ? sp[0] : pp[0];
	if (sp[1] > top)
		top = sp[1];
	struct timeval tv = { 5, 0 };
	cr_assert_eq(select(top + 1, &r, &w, NULL, &tv), 2);
	cr_assert(FD_ISSET(sp[0], &r));
	cr_assert(!FD_ISSET(pp[0], &r));
	cr_assert(FD_ISSET(sp[1], &w));
	FD_ZERO(&r);
	FD_SET(sp[0], &r);
	struct timespec ts = { 5, 0 };
	cr_assert_eq(pselect(sp[0] + 1, &r, NULL, NULL, &ts, NULL), 1);
	cap_wait_release(sp[0]);
	FD_SET(sp[0], &r);
	struct timeval zero = { 0, 0 };
	cr_assert_eq(select(sp[0] + 1, &r, NULL, NULL, &zero), 0);
}

static int ep_count(int ep, int ms, uint64_t *data)
{
	struct epoll_event ev[4];
	int n = epoll_wait(ep, ev, 4, ms);
	if (n == 1 && data)
		*data = ev[0].data.u64;
	return n;
}

Test(waits, epoll_level_triggered_every_wait)
{
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 42 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	uint64_t d = 0;
	cr_assert_eq(ep_count(ep, 5000, &d), 1);
	cr_assert_eq(d, 42);
	cr_assert_eq(ep_count(ep, 5000, NULL), 1);
	cap_wait_release(sp[0]);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	close(ep);
}

Test(waits, epoll_edge_triggered_once_per_hold)
{
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN | EPOLLET, { .u64 = 42 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	cr_assert_eq(ep_count(ep, 5000, NULL), 1);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	cap_wait_release(sp[0]);
	cr_assert_eq(cap_wait_hold(sp[0]), 1); /* the next hit: a new edge */
	cr_assert_eq(ep_count(ep, 5000, NULL), 1);
	cap_wait_release(sp[0]);
	close(ep);
}

Test(waits, epoll_oneshot_disarmed_until_rearmed)
{
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN | EPOLLONESHOT, { .u64 = 42 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	cr_assert_eq(ep_count(ep, 5000, NULL), 1);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	/* disarmed in the kernel too: real bytes now are not reported either */
	cr_assert_eq(write(sp[1], "x", 1), 1);
	cap_wait_release(sp[0]);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	cr_assert(epoll_ctl(ep, EPOLL_CTL_MOD, sp[0], &e) == 0);
	cr_assert_eq(ep_count(ep, 0, NULL), 1);
	close(ep);
}

Test(waits, epoll_merges_with_what_is_ready)
{
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 42 } }, pe = { EPOLLIN, { .u64 = 7 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &pe) == 0);
	cr_assert_eq(write(pp[1], "x", 1), 1);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	struct epoll_event out[4];
	int n = epoll_wait(ep, out, 4, 5000);
	cr_assert_eq(n, 2);
	cr_assert(out[0].data.u64 + out[1].data.u64 == 49);
	/* one slot: the held socket still fits, the pipe waits for the next call */
	cr_assert_eq(epoll_wait(ep, out, 1, 5000), 1);
	cap_wait_release(sp[0]);
	close(ep);
}

Test(waits, not_answered_inside_a_real_call)
{
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	struct pollfd p = { sp[0], POLLIN, 0 };
	cap_guard = 1;
	int n = poll(&p, 1, 0);
	cap_guard = 0;
	cr_assert_eq(n, 0);
	cap_wait_release(sp[0]);
}

Test(waits, out_of_range_is_not_held)
{
	cr_assert_eq(cap_wait_hold(-1), 0);
	cr_assert_eq(cap_wait_hold(CAP_WAIT_FDS), 0);
}

static void *blocked_poll(void *arg)
{
	(void)arg;
	struct pollfd p = { sp[0], POLLIN, 0 };
	return (void *)(intptr_t)poll(&p, 1, 5000);
}

Test(waits, a_wait_already_blocked_makes_the_hold_fail)
{
	pthread_t th;
	cr_assert(pthread_create(&th, NULL, blocked_poll, NULL) == 0);
	/* it is inside poll() once its mark is up */
	for (int i = 0; i < 500 && __atomic_load_n(&waiting[sp[0]], SC) == 0; i++)
		usleep(10000);
	cr_assert(__atomic_load_n(&waiting[sp[0]], SC) > 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 0); /* the caller must send real bytes */
	cr_assert_eq(__atomic_load_n(&nheld, SC), 0);
	cr_assert_eq(write(sp[1], "x", 1), 1);
	void *r;
	pthread_join(th, &r);
	cr_assert_eq((intptr_t)r, 1);
	cr_assert_eq(__atomic_load_n(&waiting[sp[0]], SC), 0);
}

static int ep_a, ep_b;

static void *blocked_epoll(void *arg)
{
	struct epoll_event ev;
	return (void *)(intptr_t)epoll_wait(*(int *)arg, &ev, 1, 5000);
}

Test(waits, an_epoll_wait_blocked_on_the_sockets_instance_makes_the_hold_fail)
{
	ep_a = epoll_create1(0);
	ep_b = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 42 } }, pe = { EPOLLIN, { .u64 = 7 } };
	cr_assert(epoll_ctl(ep_a, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert(epoll_ctl(ep_b, EPOLL_CTL_ADD, pp[0], &pe) == 0);
	pthread_t tb, ta;
	/* a wait on another instance does not stand in the way */
	cr_assert(pthread_create(&tb, NULL, blocked_epoll, &ep_b) == 0);
	for (int i = 0; i < 500 && __atomic_load_n(&waiting[ep_b], SC) == 0; i++)
		usleep(10000);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	cap_wait_release(sp[0]);
	/* one on the socket's instance does */
	cr_assert(pthread_create(&ta, NULL, blocked_epoll, &ep_a) == 0);
	for (int i = 0; i < 500 && __atomic_load_n(&waiting[ep_a], SC) == 0; i++)
		usleep(10000);
	cr_assert_eq(cap_wait_hold(sp[0]), 0);
	cr_assert_eq(write(sp[1], "x", 1), 1);
	cr_assert_eq(write(pp[1], "x", 1), 1);
	void *r;
	pthread_join(ta, &r);
	cr_assert_eq((intptr_t)r, 1);
	pthread_join(tb, &r);
	cr_assert_eq((intptr_t)r, 1);
	close(ep_a);
	close(ep_b);
}

/* ---- nothing read or written that the kernel would not (attack round 4, F1) ---- */

static void *nothing(void *arg)
{
	return arg;
}

/* A second thread, so that waits mark what they watch even with nothing held. */
static void go_multi_threaded(void)
{
	pthread_t th;
	cr_assert(pthread_create(&th, NULL, nothing, NULL) == 0);
	pthread_join(th, NULL);
}

/* An ordinary 128-byte fd_set right before an unmapped page. */
static fd_set *set_at_page_end(void)
{
	char *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(pg != MAP_FAILED);
	cr_assert(mprotect(pg + 4096, 4096, PROT_NONE) == 0);
	fd_set *s = (fd_set *)(void *)(pg + 4096 - sizeof(fd_set));
	FD_ZERO(s);
	FD_SET(sp[0], s);
	return s;
}

Test(waits, select_reads_no_bit_past_the_table_held)
{
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	fd_set *r = set_at_page_end();
	struct timeval tv = { 0, 0 };
	cr_assert_eq(select(20000, r, NULL, NULL, &tv), 1); /* kernel: min(nfds, table) bits */
	cap_wait_release(sp[0]);
}

Test(waits, select_reads_no_bit_past_the_table_multi_threaded)
{
	go_multi_threaded();
	fd_set *r = set_at_page_end();
	struct timeval tv = { 0, 0 };
	cr_assert_eq(select(20000, r, NULL, NULL, &tv), 0);
}

/* volatile: the compiler would refuse the calls it can see are wrong */
static void *volatile bad_ptr = (void *)16;
static volatile nfds_t huge_n = 1ul << 30;

static void bad_arguments_get_the_kernels_errno(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's own poll and select check the arrays before the kernel does, and report these
	 * calls as the errors they are: the kernel's answer is only seen without it */
	cr_skip_test("ASan intercepts poll and select before the kernel checks their arguments");
#endif
	errno = 0;
	cr_assert_eq(poll(bad_ptr, 3, 0), -1);
	cr_assert_eq(errno, EFAULT);
	struct pollfd p = { sp[0], POLLIN, 0 };
	errno = 0;
	cr_assert_eq(poll(&p, huge_n, 0), -1); /* over RLIMIT_NOFILE */
	cr_assert_eq(errno, EINVAL);
	struct timeval tv = { 0, 0 };
	errno = 0;
	cr_assert_eq(select(sp[0] + 1, bad_ptr, NULL, NULL, &tv), -1);
	cr_assert_eq(errno, EFAULT);
}

Test(waits, bad_arguments_get_the_kernels_errno_held)
{
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	bad_arguments_get_the_kernels_errno();
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 42 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	errno = 0;
	cr_assert_eq(epoll_wait(ep, bad_ptr, 4, 0), -1); /* not written */
	cr_assert_eq(errno, EFAULT);
	errno = 0;
	cr_assert_eq(epoll_wait(ep, bad_ptr, 0, 0), -1);
	cr_assert_eq(errno, EINVAL);
	close(ep);
	cap_wait_release(sp[0]);
}

Test(waits, bad_arguments_get_the_kernels_errno_multi_threaded)
{
	go_multi_threaded();
	bad_arguments_get_the_kernels_errno();
}

/* ---- a registration re-made is told again, as the kernel re-checks (attack round 4, F4) ---- */

Test(waits, edge_triggered_rearmed_is_told_again)
{
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN | EPOLLET, { .u64 = 42 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	cr_assert_eq(ep_count(ep, 5000, NULL), 1);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	cr_assert(epoll_ctl(ep, EPOLL_CTL_MOD, sp[0], &e) == 0); /* same events */
	cr_assert_eq(ep_count(ep, 0, NULL), 1);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	cr_assert(epoll_ctl(ep, EPOLL_CTL_DEL, sp[0], NULL) == 0);
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert_eq(ep_count(ep, 0, NULL), 1);
	struct epoll_event one = { EPOLLIN | EPOLLONESHOT, { .u64 = 42 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_MOD, sp[0], &one) == 0);
	cr_assert_eq(ep_count(ep, 0, NULL), 1);
	cr_assert_eq(ep_count(ep, 0, NULL), 0); /* spent */
	cr_assert(epoll_ctl(ep, EPOLL_CTL_MOD, sp[0], &one) == 0); /* re-armed before reading */
	cr_assert_eq(ep_count(ep, 0, NULL), 1);
	cap_wait_release(sp[0]);
	close(ep);
}

/* ---- a fork child holds nothing (attack round 4, F5) ---- */

Test(waits, a_fork_child_holds_nothing)
{
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* the child closes the socket and gets its number again for a pipe */
		int p[2];
		if (pipe(p) != 0 || dup2(p[0], sp[0]) != sp[0])
			_exit(2);
		struct pollfd pf = { sp[0], POLLIN, 0 };
		int n = poll(&pf, 1, 0);
		int ep = epoll_create1(0);
		struct epoll_event e = { EPOLLIN, { .u64 = 42 } };
		epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e);
		int m = ep_count(ep, 0, NULL);
		cap_wait_release(sp[0]); /* nothing held: harmless */
		_exit(n == 0 && m == 0 && __atomic_load_n(&nheld, SC) == 0 ? 0 : 1);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct pollfd pf = { sp[0], POLLIN, 0 };
	cr_assert_eq(poll(&pf, 1, 0), 1); /* the parent's hold stands */
	cap_wait_release(sp[0]);
}

/* ---- a held socket in a nested epoll instance (attack round 4, F2) ---- */

static int ep_inner, ep_outer;

/* sp[0] in ep_inner (data 42), ep_inner in ep_outer (data 9) */
static void nest(void)
{
	ep_inner = epoll_create1(0);
	ep_outer = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 42 } }, ie = { EPOLLIN, { .u64 = 9 } };
	cr_assert(epoll_ctl(ep_inner, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert(epoll_ctl(ep_outer, EPOLL_CTL_ADD, ep_inner, &ie) == 0);
}

Test(waits, a_nested_instance_reads_as_ready)
{
	nest();
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	uint64_t d = 0;
	long long t0 = now_ms();
	cr_assert_eq(ep_count(ep_outer, 3000, &d), 1);
	cr_assert_eq(d, 9); /* the outer's registration of the inner */
	cr_assert_eq(ep_count(ep_inner, 3000, &d), 1);
	cr_assert_eq(d, 42);
	struct pollfd p = { ep_inner, POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 3000), 1);
	cr_assert(p.revents & POLLIN);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(ep_inner, &r);
	struct timeval tv = { 3, 0 };
	cr_assert_eq(select(ep_inner + 1, &r, NULL, NULL, &tv), 1);
	cr_assert(FD_ISSET(ep_inner, &r));
	cr_assert(now_ms() - t0 < 1000);
	cap_wait_release(sp[0]);
	cr_assert_eq(ep_count(ep_outer, 0, NULL), 0);
	cr_assert_eq(poll(&p, 1, 0), 0);
	close(ep_outer);
	close(ep_inner);
}

static void *blocked_poll_inner(void *arg)
{
	(void)arg;
	struct pollfd p = { ep_inner, POLLIN, 0 };
	return (void *)(intptr_t)poll(&p, 1, 5000);
}

Test(waits, a_wait_blocked_on_an_outer_instance_makes_the_hold_fail)
{
	nest();
	pthread_t th;
	cr_assert(pthread_create(&th, NULL, blocked_epoll, &ep_outer) == 0);
	for (int i = 0; i < 500 && __atomic_load_n(&waiting[ep_outer], SC) == 0; i++)
		usleep(10000);
	cr_assert_eq(cap_wait_hold(sp[0]), 0);
	cr_assert_eq(write(sp[1], "x", 1), 1);
	void *r;
	pthread_join(th, &r);
	cr_assert_eq((intptr_t)r, 1);
	char x;
	cr_assert_eq(read(sp[0], &x, 1), 1);
	cr_assert(pthread_create(&th, NULL, blocked_poll_inner, NULL) == 0);
	for (int i = 0; i < 500 && __atomic_load_n(&waiting[ep_inner], SC) == 0; i++)
		usleep(10000);
	cr_assert_eq(cap_wait_hold(sp[0]), 0);
	cr_assert_eq(write(sp[1], "x", 1), 1);
	pthread_join(th, &r);
	cr_assert_eq((intptr_t)r, 1);
	close(ep_outer);
	close(ep_inner);
}


/* ---- a signal pending that the wait's mask unblocks (ppoll, pselect, epoll_pwait[2]) ---- */

static volatile sig_atomic_t handled;
static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

/* SIGUSR1 blocked and pending; *open: a mask that unblocks it. */
static void usr1_pending(sigset_t *open)
{
	sigset_t b;
	signal(SIGUSR1, on_usr1);
	sigemptyset(&b);
	sigaddset(&b, SIGUSR1);
	sigprocmask(SIG_BLOCK, &b, NULL);
	sigemptyset(open);
	handled = 0;
	raise(SIGUSR1);
}

/* With nothing to read on the socket the kernel ends the wait with EINTR after the handler
 * ran: a held socket (nothing to read either) gets the same, and is ready at the next wait. */
Test(waits, a_pending_signal_the_mask_unblocks_interrupts_a_held_wait)
{
	sigset_t open;
	struct timespec ts = { 5, 0 };
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 42 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	for (int kind = 0; kind < 4; kind++) {
		usr1_pending(&open);
		struct pollfd p = { sp[0], POLLIN, 0 };
		fd_set r;
		FD_ZERO(&r);
		FD_SET(sp[0], &r);
		long long t0 = now_ms();
		errno = 0;
		int rc = kind == 0 ? ppoll(&p, 1, &ts, &open)
			 : kind == 1 ? pselect(sp[0] + 1, &r, NULL, NULL, &ts, &open)
			 : kind == 2 ? epoll_pwait(ep, &e, 1, 5000, &open)
				     : epoll_pwait2(ep, &e, 1, &ts, &open);
		cr_assert_eq(rc, -1, "wait %d: %d", kind, rc);
		cr_assert_eq(errno, EINTR);
		cr_assert_eq(handled, 1, "wait %d: the handler ran %d times", kind, (int)handled);
		cr_assert(now_ms() - t0 < 1000);
		/* the signal taken, the hold answers */
		rc = kind == 0 ? ppoll(&p, 1, &ts, &open)
		     : kind == 1 ? pselect(sp[0] + 1, &r, NULL, NULL, &ts, &open)
		     : kind == 2 ? epoll_pwait(ep, &e, 1, 5000, &open)
				 : epoll_pwait2(ep, &e, 1, &ts, &open);
		cr_assert_eq(rc, 1, "wait %d again: %d", kind, rc);
	}
	/* a zero timeout: epoll does not look at signals, poll does (as the kernel) */
	usr1_pending(&open);
	cr_assert_eq(epoll_pwait(ep, &e, 1, 0, &open), 1);
	cr_assert_eq(handled, 0);
	struct pollfd p = { sp[0], POLLIN, 0 };
	struct timespec z = { 0, 0 };
	cr_assert_eq(ppoll(&p, 1, &z, &open), -1);
	cr_assert_eq(handled, 1);
	/* a mask that keeps it blocked: the hold answers, the signal stays pending */
	sigset_t shut;
	sigemptyset(&shut);
	sigaddset(&shut, SIGUSR1);
	usr1_pending(&open);
	cr_assert_eq(epoll_pwait(ep, &e, 1, 5000, &shut), 1);
	cr_assert_eq(ppoll(&p, 1, &ts, &shut), 1);
	cr_assert_eq(handled, 0);
	close(ep);
	cap_wait_release(sp[0]);
}

/* ---- select with the read set passed as the write or exception set too ---- */

/* select(r, r, NULL) and select(r, r, r) on {sp[0], sp[1]}: the count and the set as left. */
static void select_aliased_run(int three, int *rc, fd_set *out)
{
	int top = sp[0] > sp[1] ? sp[0] : sp[1];
	FD_ZERO(out);
	FD_SET(sp[0], out);
	FD_SET(sp[1], out);
	struct timeval tv = { 5, 0 };
	*rc = select(top + 1, out, out, three ? out : NULL, &tv);
}

/* The kernel writes the read answer, then the write (and exception) answer over it, and
 * counts every readiness: a held socket answers as one with bytes to read. */
Test(waits, select_with_aliased_sets_answers_as_the_kernel)
{
	for (int three = 0; three < 2; three++) {
		int rc_held, rc_real;
		fd_set as_held, real;
		cr_assert_eq(cap_wait_hold(sp[0]), 1);
		select_aliased_run(three, &rc_held, &as_held);
		cap_wait_release(sp[0]);
		cr_assert_eq(write(sp[1], "x", 1), 1);
		select_aliased_run(three, &rc_real, &real);
		char c;
		cr_assert_eq(read(sp[0], &c, 1), 1);
		cr_assert_eq(rc_held, rc_real, "r=w%s: %d, the kernel %d", three ? "=e" : "", rc_held, rc_real);
		cr_assert_eq(FD_ISSET(sp[0], &as_held), FD_ISSET(sp[0], &real));
		cr_assert_eq(FD_ISSET(sp[1], &as_held), FD_ISSET(sp[1], &real));
	}
	/* really readable and held: counted once */
	cr_assert_eq(write(sp[1], "x", 1), 1);
	int rc_both, rc_real;
	fd_set both, real;
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	select_aliased_run(0, &rc_both, &both);
	cap_wait_release(sp[0]);
	select_aliased_run(0, &rc_real, &real);
	cr_assert_eq(rc_both, rc_real);
}

/* ---- a duplicate of the held socket, a held number closed (attack round 5, my-3, my-4) ---- */

Test(waits, a_duplicate_of_the_held_socket_reads_as_it)
{
	int d = dup(sp[0]), f = fcntl(sp[0], F_DUPFD, 200);
	cr_assert(d >= 0 && f >= 200);
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 5 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, f, &e) == 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	long long t0 = now_ms();
	struct pollfd p[2] = { { d, POLLIN, 0 }, { pp[0], POLLIN, 0 } };
	cr_assert_eq(poll(p, 2, 5000), 1);
	cr_assert_eq(p[0].revents, POLLIN);
	cr_assert_eq(p[1].revents, 0);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(f, &r);
	FD_SET(pp[0], &r);
	struct timeval tv = { 5, 0 };
	cr_assert_eq(select(f + 1, &r, NULL, NULL, &tv), 1);
	cr_assert(FD_ISSET(f, &r) && !FD_ISSET(pp[0], &r));
	uint64_t data = 0;
	cr_assert_eq(ep_count(ep, 5000, &data), 1);
	cr_assert_eq(data, 5);
	cr_assert(now_ms() - t0 < 1000);
	/* the registration outlives the number it was made with, as in the kernel */
	close(f);
	cr_assert_eq(ep_count(ep, 5000, &data), 1);
	cap_wait_release(sp[0]);
	p[0].revents = 0;
	cr_assert_eq(poll(p, 1, 0), 0);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	close(ep);
	close(d);
}

Test(waits, a_duplicate_rearmed_edge_triggered_is_told_again)
{
	int d = dup(sp[0]);
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN | EPOLLET, { .u64 = 6 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, d, &e) == 0);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	cr_assert_eq(ep_count(ep, 0, NULL), 1);
	cr_assert_eq(ep_count(ep, 0, NULL), 0); /* one edge per hold */
	cr_assert(epoll_ctl(ep, EPOLL_CTL_MOD, d, &e) == 0);
	cr_assert_eq(ep_count(ep, 0, NULL), 1);
	cap_wait_release(sp[0]);
	close(ep);
	close(d);
}

Test(waits, a_held_number_closed_and_reused_reads_as_the_new_file)
{
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	int keep = dup(sp[0]); /* the socket itself lives on, as libpq's would */
	cr_assert(keep >= 0);
	close(sp[0]);
	struct pollfd p = { sp[0], POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 0), 1); /* closed: the kernel's POLLNVAL, no readiness */
	cr_assert_eq(p.revents, POLLNVAL);
	int fresh[2];
	cr_assert(pipe(fresh) == 0);
	cr_assert_eq(dup2(fresh[0], sp[0]), sp[0]); /* an empty pipe under the number */
	if (fresh[0] != sp[0])
		close(fresh[0]);
	p.revents = 0;
	cr_assert_eq(poll(&p, 1, 200), 0);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(sp[0], &r);
	struct timeval tv = { 0, 0 };
	cr_assert_eq(select(sp[0] + 1, &r, NULL, NULL, &tv), 0);
	int ep = epoll_create1(0);
	struct epoll_event e = { EPOLLIN, { .u64 = 7 } };
	cr_assert(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e) == 0);
	cr_assert_eq(ep_count(ep, 0, NULL), 0);
	/* the socket under its other number is still the held one */
	struct pollfd k = { keep, POLLIN, 0 };
	cr_assert_eq(poll(&k, 1, 0), 1);
	cap_wait_release(sp[0]);
	close(ep);
	close(fresh[1]);
	close(keep);
}

Test(waits, a_hold_whose_identity_was_never_recorded_stands_by_number)
{
	cap_wait_forget(sp[0]);
	cap_wait_known(sp[0]);
	cr_assert_eq(cap_wait_hold(sp[0]), 1);
	struct pollfd p = { sp[0], POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 0), 1);
	cap_wait_release(sp[0]);
}

Test(waits, holds_beyond_the_slots_are_not_made)
{
	int s[CAP_HOLD_SLOTS + 1][2];
	for (int i = 0; i <= CAP_HOLD_SLOTS; i++) {
		cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, s[i]) == 0);
		cap_wait_bind(s[i][0]);
	}
	for (int i = 0; i < CAP_HOLD_SLOTS; i++)
		cr_assert_eq(cap_wait_hold(s[i][0]), 1);
	/* the caller sends real bytes, which wake every descriptor of that socket */
	cr_assert_eq(cap_wait_hold(s[CAP_HOLD_SLOTS][0]), 0);
	cap_wait_release(s[0][0]);
	cr_assert_eq(cap_wait_hold(s[CAP_HOLD_SLOTS][0]), 1);
	int d = dup(s[CAP_HOLD_SLOTS][0]);
	struct pollfd p = { d, POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 0), 1);
	close(d);
	for (int i = 0; i <= CAP_HOLD_SLOTS; i++) {
		cap_wait_forget(s[i][0]);
		close(s[i][0]);
		close(s[i][1]);
	}
}

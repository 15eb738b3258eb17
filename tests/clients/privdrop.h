/*
 * privdrop.h - the driver of pq_privdrop and my_privdrop (t_privdrop.sh): a process that drops
 * its privileges or chroots after its first queries must keep invalidating the other processes
 * of its CAPACITOR_DIR, and keep seeing their writes.
 *
 * Two processes with the library preloaded, each with its own connection, on a table
 * pd(id int primary key, v int) whose row 1 the test created:
 *   A, the parent, stays root and can reach CAPACITOR_DIR; it connects once B is running;
 *   B, started by A (fork and exec of this program), reads row 1 twice (the engine attaches,
 *     the value is cached), then does what a daemon does (MODE): setgid/setuid to 65534
 *     ("setuid"), chroot into CHROOT ("chroot"), or seteuid(65534) around each of its writes
 *     only, as a server acting for a user does ("euid").
 * Then ROUNDS rounds, GAP ms apart (so the periodic checks run in between), in which B writes
 * and A's next read must return B's value; then ROUNDS rounds in which A writes and B's next
 * read must return A's value.
 *
 * MODE "unlink-setuid" / "unlink-chroot": B drops as above and holds its cached value; then A,
 * which has made no query yet (its engine never mapped B's table), deletes CAPACITOR_DIR/gen,
 * writes (building a new table) and, after the 200 ms a process that only hits may take to
 * notice, asks B to read: B, which cannot reach the directory any more, must have noticed from
 * the file it maps that it was deleted, and read A's value.
 *
 *     {pq,my}_privdrop MODE ROUNDS CHROOT
 * Prints one line per step; exits 1 on a stale read, 2 on an error.
 */
#ifndef PRIVDROP_H
#define PRIVDROP_H

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PD_NOBODY 65534
#define PD_GAP_MS 250

/* What each client file provides, on one connection of its own per process. */
static void db_connect(void);
static long db_read(void);  /* SELECT v FROM pd WHERE id = 1 (cacheable) */
static void db_write(void); /* UPDATE pd SET v = v + 1 WHERE id = 1 */

static const char *pd_me = "A";

static void pd_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", pd_me, what, strerror(errno));
	exit(2);
}

static void pd_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void pd_send(int fd, char c, long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%c %ld\n", c, v);
	if (write(fd, buf, (size_t)n) != n)
		pd_die("write to peer");
}

/* pd_recv - one line "C VALUE" from the peer: C, and the value in *v. */
static char pd_recv(int fd, long *v)
{
	char buf[32];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			pd_die("peer gone");
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	char c = buf[0];
	*v = strtol(buf + 1, NULL, 10);
	return c;
}

/* B's drop. */
static void pd_drop(const char *mode, const char *root)
{
	if (strstr(mode, "setuid")) {
		if (setgroups(0, NULL) != 0 || setgid(PD_NOBODY) != 0 || setuid(PD_NOBODY) != 0)
			pd_die("setuid");
	} else if (strstr(mode, "chroot")) {
		if (chroot(root) != 0 || chdir("/") != 0)
			pd_die("chroot");
	}
}

/* B: answer A's requests until "q". */
static int pd_peer(const char *mode, const char *root, int in, int out)
{
	pd_me = "B";
	db_connect();
	long v = db_read();
	db_read();
	pd_drop(mode, root);
	int euid = strcmp(mode, "euid") == 0;
	pd_send(out, 'R', v);
	for (;;) {
		long x;
		char c = pd_recv(in, &x);
		if (c == 'q')
			return 0;
		if (c == 'w') {
			db_read();
			if (euid && seteuid(PD_NOBODY) != 0)
				pd_die("seteuid");
			db_write();
			if (euid && seteuid(0) != 0)
				pd_die("seteuid back");
			v = db_read();
		} else {
			db_read();
			v = db_read();
		}
		pd_send(out, 'v', v);
	}
}

/* pd_check - A's comparison: 1 when the reader saw what the writer left. */
static int pd_check(const char *who, int round, long got, long want)
{
	printf("round %d: %s read %ld, expected %ld%s\n", round, who, got, want,
	       got == want ? "" : "  <-- STALE");
	return got == want;
}

static int pd_main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 6 && strcmp(argv[1], "peer") == 0)
		return pd_peer(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if (argc != 4) {
		fprintf(stderr, "usage: %s MODE ROUNDS CHROOT\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1], *root = argv[3];
	int rounds = atoi(argv[2]), unlinked = strncmp(mode, "unlink-", 7) == 0;
	/* B first: a connection open across a fork is one the child could use too, which a
	 * cache must not serve from */
	int to_b[2], from_b[2];
	if (pipe(to_b) != 0 || pipe(from_b) != 0)
		pd_die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		pd_die("fork");
	if (pid == 0) {
		char in[16], out[16];
		snprintf(in, sizeof(in), "%d", to_b[0]);
		snprintf(out, sizeof(out), "%d", from_b[1]);
		close(to_b[1]);
		close(from_b[0]);
		char *args[] = { argv[0], "peer", (char *)mode, (char *)root, in, out, NULL };
		execv("/proc/self/exe", args);
		pd_die("exec");
	}
	close(to_b[0]);
	close(from_b[1]);
	long v, w;
	if (pd_recv(from_b[0], &v) != 'R')
		pd_die("peer did not start");
	printf("B dropped (%s) after reading %ld\n", mode, v);
	int ok = 1;
	if (!unlinked) {
		db_connect();
		db_read();
		db_read();
	}
	if (unlinked) {
		const char *dir = getenv("CAPACITOR_DIR");
		char gen[4096];
		snprintf(gen, sizeof(gen), "%s/gen", dir ? dir : "");
		if (unlink(gen) != 0)
			pd_die("unlink CAPACITOR_DIR/gen");
		db_connect();
		db_write();
		w = db_read();
		pd_sleep_ms(PD_GAP_MS + 100);
		pd_send(to_b[1], 'r', 0);
		pd_recv(from_b[0], &v);
		ok &= pd_check("B", 1, v, w);
	}
	/* B writes and A reads; then A writes and B reads (A only reads in the first half, as a
	 * reader process that shares the files with a writer that dropped its privileges) */
	for (int i = 1; !unlinked && i <= rounds; i++) {
		pd_sleep_ms(PD_GAP_MS);
		pd_send(to_b[1], 'w', 0);
		pd_recv(from_b[0], &v);
		db_read();
		ok &= pd_check("A", i, db_read(), v);
	}
	for (int i = 1; !unlinked && i <= rounds; i++) {
		pd_sleep_ms(PD_GAP_MS);
		db_write();
		w = db_read();
		pd_send(to_b[1], 'r', 0);
		pd_recv(from_b[0], &v);
		ok &= pd_check("B", i, v, w);
	}
	pd_send(to_b[1], 'q', 0);
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "A: peer B failed (status %d)\n", st);
		return 2;
	}
	return ok ? 0 : 1;
}

#endif

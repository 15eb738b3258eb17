/*
 * follow.c - `capacitor follow`: invalidate from the database server's own change stream.
 *
 *   capacitor follow [OPTIONS] URI        follow one server (PostgreSQL: one database)
 *   capacitor follow --check URI          what the server lacks, and how to fix it
 *   capacitor follow --status [--name N]  the followers of CAPACITOR_DIR; exit 0 when one is live
 *
 * Why it is safe: the follower only ever bumps generations (over-invalidation is harmless) and
 * never resumes from a remembered position. Every (re)connect creates a new temporary slot or
 * reads the current binlog position FIRST, then bumps every generation, and only then streams:
 * a write committed while no follower ran is covered by the bump, a write committed after the
 * position was taken is in the stream. Nothing is left on the server when it stops or dies (a
 * temporary slot goes with its connection; a binlog reader holds nothing).
 *
 * Process: one follower per NAME (lock file CAPACITOR_DIR/follow.NAME.lock, flock; a second
 * one fails, or with --daemon exits 0 quietly). The heartbeat CAPACITOR_DIR/follow.NAME
 * (cache/follow.h) is updated from the stream loop, so it stops advancing when the stream
 * does. One log line per state change (stderr, or --log FILE; --daemon defaults to
 * CAPACITOR_DIR/follow.NAME.log). SIGTERM/SIGINT stop it cleanly: state STOPPED, connection
 * closed (the temporary slot goes with it).
 *
 * Layering: this file is the command on top; it picks a reader by the URI (tools/follow_pg.h,
 * tools/follow_my.h) and runs it in its reconnect loop; the readers report through the
 * follower's services (tools/follow_svc.h), the layer below both, and never call up here.
 *
 * Exit status: 0 stopped by a signal (or --daemon when one already runs), 1 setup failed
 * (directory, lock, --check found problems, --status found no live follower), 2 usage.
 */
#include "tools/follow_my.h"
#include "tools/follow_pg.h"
#include "tools/follow_svc.h"
#include "cache/cap.h"
#include "cache/shmfile.h"
#include "cache/key.h"
#include "cache/log.h"
#include "cache/stats.h"
#include "preload/config.h"
#include "tools/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ------------------------------------------------------------------ --status */

typedef struct status_ctx {
	const char *want; /* file name, or NULL */
	uint64_t now, max_age;
	int live, seen;
} status_ctx;

static int print_status(void *ctx, const char *name, const cap_follow_beat *b)
{
	status_ctx *c = ctx;
	if (c->want && strcmp(c->want, name) != 0)
		return 0;
	int live = cap_follow_beat_live(b, c->now, c->max_age);
	c->seen++;
	c->live += live;
	double age = b->live_ns && c->now > b->live_ns ? (double)(c->now - b->live_ns) / 1e9 : 0;
	printf("%s: %s%s pid %lld %s %s%s%s at %s, heard %.3f s ago, lag %.1f ms, %llu events "
	       "(%llu/s), %llu bumps, %llu bump-alls, %llu reconnects%s%s\n",
	       name, cap_follow_state_name(b->state), live ? " (live)" : "", (long long)b->pid,
	       b->kind, b->server, b->database[0] ? "/" : "", b->database, b->position, age,
	       (double)b->lag_ns / 1e6, (unsigned long long)b->events,
	       (unsigned long long)b->events_per_s, (unsigned long long)b->bumps,
	       (unsigned long long)b->bump_alls, (unsigned long long)b->reconnects,
	       b->last_error[0] ? "; last error: " : "", b->last_error);
	return 0;
}

/* ------------------------------------------------------------------ the command */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: capacitor follow [OPTIONS] URI\n"
		"       capacitor follow --check URI\n"
		"       capacitor follow --status [--name NAME] [--max-age MS]\n"
		"URI: postgresql://user@host:port/db (libpq; ?host=/socket/dir for a socket, or a\n"
		"     \"host=/socket/dir dbname=db\" string) or\n"
		"     mysql://user:password@host:port/db, mysql://user@localhost/db?socket=/path\n"
		"  --daemon           detach; pid file and lock in CAPACITOR_DIR (a second one exits 0)\n"
		"  --name NAME        heartbeat CAPACITOR_DIR/follow.NAME (default from the URI)\n"
		"  --publication P    PostgreSQL: stream pgoutput with this FOR ALL TABLES publication\n"
		"                     (default: capacitor_follow when it exists, else test_decoding)\n"
		"  --create-publication  create capacitor_follow FOR ALL TABLES when missing (then\n"
		"                     UPDATE/DELETE fail on tables without a replica identity)\n"
		"  --test-decoding    PostgreSQL: use test_decoding even when a publication exists\n"
		"  --server-id N      MariaDB replica server_id (default: random, unique)\n"
		"  --timeout SECONDS  reconnect after this long without a word (default 5)\n"
		"  --log FILE         log here instead of stderr\n"
		"  --verbose          log every bump\n"
		"  --check            report what the server lacks for following, and how to fix it\n"
		"  --status           list followers; exit 0 when one (NAME) is live\n"
		"  --max-age MS       --status: live = every commit older than MS is invalidated\n"
		"                     (default 500)\n");
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static void dir_problem(void *ctx, const cap_var *var, const char *value)
{
	(void)value;
	if (strcmp(var->name, "CAPACITOR_DIR") == 0)
		*(int *)ctx = 1;
}

static int daemonize(const char *logpath)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -1;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		if (logpath == NULL)
			dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	return 0;
}

int cap_cmd_follow(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'D' },       { "name", required_argument, NULL, 'n' },
		{ "publication", required_argument, NULL, 'p' },
		{ "server-id", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' }, { "log", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },      { "check", no_argument, NULL, 'c' },
		{ "status", no_argument, NULL, 'S' },       { "max-age", required_argument, NULL, 'm' },
		{ "test-decoding", no_argument, NULL, 'T' },
		{ "create-publication", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	int daemon_mode = 0, check = 0, status = 0, verbose = 0, test_decoding = 0;
	int create_publication = 0, ch;
	const char *name = NULL, *publication = NULL, *logpath = NULL;
	unsigned long long server_id = 0, timeout_s = 5, max_age_ms = CAP_FOLLOW_MAX_AGE_NS / 1000000;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'D': daemon_mode = 1; break;
		case 'n': name = optarg; break;
		case 'p': publication = optarg; break;
		case 's':
			if (parse_uint(optarg, 0xffffffffull, &server_id) < 0 || server_id == 0)
				goto bad_value;
			break;
		case 't':
			if (parse_uint(optarg, 3600, &timeout_s) < 0 || timeout_s == 0)
				goto bad_value;
			break;
		case 'l': logpath = optarg; break;
		case 'v': verbose = 1; break;
		case 'T': test_decoding = 1; break;
		case 'P': create_publication = 1; break;
		case 'c': check = 1; break;
		case 'S': status = 1; break;
		case 'm':
			if (parse_uint(optarg, 86400000ull, &max_age_ms) < 0)
				goto bad_value;
			break;
		case 'h': usage(stdout); return CAP_EXIT_OK;
		default:
			fprintf(stderr, "capacitor: follow: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return CAP_EXIT_USAGE;
		}
	}
	if (0) {
bad_value:
		fprintf(stderr, "capacitor: follow: bad value '%s' for %s\n", optarg, argv[optind - 1]);
		return CAP_EXIT_USAGE;
	}
	if (name && !cap_follow_name_ok(name)) {
		fprintf(stderr, "capacitor: follow: --name '%s': 1 to 64 of A-Z a-z 0-9 _ . -, not "
			"ending in .lock .pid .log\n", name);
		return CAP_EXIT_USAGE;
	}

	cap_config c;
	int dirbad = 0;
	cap_config_load(&c, dir_problem, &dirbad);
	if (dirbad) {
		/* the default directory would be a silent no-op for the programs using another */
		fprintf(stderr, "capacitor: follow: CAPACITOR_DIR='%s' is not valid (expected an "
			"absolute directory path)\n", getenv("CAPACITOR_DIR"));
		return CAP_EXIT_FAIL;
	}
	if (status) {
		if (optind < argc) {
			fprintf(stderr, "capacitor: follow: --status takes no URI\n");
			return CAP_EXIT_USAGE;
		}
		char want[CAP_FOLLOW_NAME_MAX + 16];
		snprintf(want, sizeof(want), CAP_FOLLOW_PREFIX "%s", name ? name : "");
		status_ctx sc = { name ? want : NULL, cap_now_ns(), max_age_ms * 1000000ull, 0, 0 };
		int rc = cap_follow_scan(c.dir, print_status, &sc);
		if (rc < 0 || sc.seen == 0)
			printf("no follower in %s\n", c.dir);
		return sc.live > 0 ? CAP_EXIT_OK : CAP_EXIT_FAIL;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "capacitor: follow: %s\n", optind >= argc ? "no URI given"
									 : "one URI only");
		usage(stderr);
		return CAP_EXIT_USAGE;
	}
	const char *uri = argv[optind];
	int is_my = strncmp(uri, "mysql://", 8) == 0 || strncmp(uri, "mariadb://", 10) == 0;
	/* libpq also takes a keyword/value string: "host=/run/postgresql dbname=app" */
	int is_pg = !is_my && (strncmp(uri, "postgresql://", 13) == 0 ||
			       strncmp(uri, "postgres://", 11) == 0 ||
			       (strchr(uri, '=') != NULL && strstr(uri, "://") == NULL));
	if (!is_pg && !is_my) {
		fprintf(stderr, "capacitor: follow: URI must start with postgresql:// or mysql:// (or "
			"be a libpq \"key=value ...\" string)\n");
		return CAP_EXIT_USAGE;
	}
	if (is_my) {
		cap_my_uri mu;
		char err[200];
		if (cap_my_uri_parse(uri, &mu, err, sizeof(err)) < 0) {
			fprintf(stderr, "capacitor: follow: %s\n", err);
			return CAP_EXIT_USAGE;
		}
	}
	if (check)
		return is_pg ? cap_fw_pg_check(uri, publication) : cap_fw_my_check(uri);

	char defname[40];
	if (name == NULL) {
		cap_follow_default_name(uri, defname, sizeof(defname));
		name = defname;
	}
	char hbname[CAP_FOLLOW_NAME_MAX + 16], lockname[CAP_FOLLOW_NAME_MAX + 24];
	char pidname[CAP_FOLLOW_NAME_MAX + 24], logname[CAP_FOLLOW_NAME_MAX + 24];
	snprintf(hbname, sizeof(hbname), CAP_FOLLOW_PREFIX "%s", name);
	snprintf(lockname, sizeof(lockname), "%s.lock", hbname);
	snprintf(pidname, sizeof(pidname), "%s.pid", hbname);
	snprintf(logname, sizeof(logname), "%s.log", hbname);

	cap_log_setup(NULL, CAP_LOG_WARN);
	int dfd = cap_dir_open(c.dir);
	if (dfd < 0) {
		fprintf(stderr, "capacitor: follow: cap_dir_open %s: %s (must be ours, mode 0700)\n",
			c.dir, cap_strerror(dfd));
		return CAP_EXIT_FAIL;
	}
	int lfd = cap_file_open(dfd, lockname, O_CREAT);
	if (lfd < 0) {
		fprintf(stderr, "capacitor: follow: open %s/%s: %s\n", c.dir, lockname,
			cap_strerror(lfd));
		close(dfd);
		return CAP_EXIT_FAIL;
	}
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		int quiet = daemon_mode && errno == EWOULDBLOCK;
		if (!quiet)
			fprintf(stderr, "capacitor: follow: %s/%s: %s\n", c.dir, lockname,
				errno == EWOULDBLOCK ? "another follower of this name is running"
						     : strerror(errno));
		close(lfd);
		close(dfd);
		return quiet ? CAP_EXIT_OK : CAP_EXIT_FAIL;
	}

	if (daemon_mode || logpath) {
		int fd = logpath ? open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)
				 : openat(dfd, logname, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
							O_CLOEXEC, 0600);
		FILE *log_out = fd < 0 ? NULL : fdopen(fd, "a");
		if (log_out == NULL) {
			fprintf(stderr, "capacitor: follow: open log %s: %s\n",
				logpath ? logpath : logname, strerror(errno));
			return CAP_EXIT_FAIL;
		}
		cap_fw_log_to(log_out);
	}
	if (daemon_mode) {
		fflush(NULL);
		if (daemonize(logpath) < 0) {
			fprintf(stderr, "capacitor: follow: detaching: %s\n", strerror(errno));
			return CAP_EXIT_FAIL;
		}
		int pfd = openat(dfd, pidname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
				 0600);
		if (pfd >= 0) {
			dprintf(pfd, "%ld\n", (long)getpid());
			close(pfd);
		}
	}

	cap_fw fw;
	memset(&fw, 0, sizeof(fw));
	fw.stop = &stop_flag;
	fw.uri = uri;
	fw.publication = publication;
	fw.server_id = (uint32_t)server_id;
	fw.verbose = verbose;
	fw.test_decoding = test_decoding;
	fw.create_publication = create_publication;
	fw.timeout_ns = timeout_s * 1000000000ull;
	int rc = cap_follow_writer_open(dfd, hbname, &fw.hb);
	if (rc != CAP_OK) {
		cap_fw_log("heartbeat %s/%s: %s", c.dir, hbname, cap_strerror(rc));
		return CAP_EXIT_FAIL;
	}
	cap_engine_conf ec = { c.dir, 0, 0 };
	if (cap_engine_open(&ec, &fw.eng) != CAP_OK || fw.eng == NULL) {
		cap_fw_log("cannot open the generation table in %s", c.dir);
		return CAP_EXIT_FAIL;
	}
	cap_engine_usage_t u;
	cap_engine_usage(fw.eng, &u);
	if (!u.gen_shared) {
		cap_fw_log("the generation table in %s is not shared; nothing would be invalidated",
			   c.dir);
		return CAP_EXIT_FAIL;
	}
	(void)cap_stats_open(c.dir);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	char red[sizeof(((cap_follow_beat *)0)->target)];
	cap_fw_redact(uri, red, sizeof(red));
	{
		cap_follow_beat *b = cap_follow_writer_begin(fw.hb);
		memset(b->kind, 0, sizeof(b->kind) + sizeof(b->server) + sizeof(b->database) +
					   sizeof(b->position));
		snprintf(b->kind, sizeof(b->kind), "%s", is_pg ? "postgresql" : "mariadb");
		snprintf(b->target, sizeof(b->target), "%s", red);
		b->live_ns = 0;
		cap_follow_writer_commit(fw.hb);
	}
	cap_fw_log("started: %s, heartbeat %s/%s", red, c.dir, hbname);

	uint64_t backoff_ms = 100;
	for (int attempt = 0; !stop_flag; attempt++) {
		if (attempt > 0)
			fw.reconnects++;
		cap_fw_state(&fw, CAP_FOLLOW_CONNECTING);
		cap_fw_log("connecting");
		fw.err[0] = '\0';
		uint64_t t0 = cap_precise_ns();
		rc = is_pg ? cap_fw_pg_run(&fw) : cap_fw_my_run(&fw);
		if (stop_flag)
			break;
		if (cap_precise_ns() - t0 > 10000000000ull)
			backoff_ms = 100;
		cap_fw_state(&fw, CAP_FOLLOW_BACKOFF);
		cap_fw_log("disconnected: %s; retrying in %llu ms", fw.err[0] ? fw.err : "stream ended",
			   (unsigned long long)backoff_ms);
		for (uint64_t slept = 0; slept < backoff_ms && !stop_flag; slept += 50)
			usleep(50000);
		backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2;
	}
	cap_fw_state(&fw, CAP_FOLLOW_STOPPED);
	cap_fw_log("stopped");
	cap_engine_close(fw.eng);
	cap_follow_writer_close(fw.hb);
	if (daemon_mode)
		unlinkat(dfd, pidname, 0);
	close(lfd);
	close(dfd);
	return CAP_EXIT_OK;
}


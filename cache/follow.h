/*
 * follow.h - the heartbeat file of `capacitor follow`, and the reader the library uses to
 * decide whether a follower is live.
 *
 * `capacitor follow URI` reads a server's own change stream (PostgreSQL logical replication,
 * MariaDB's binlog) and bumps the generation of every table written there, by any client, in
 * the shared generation table of CAPACITOR_DIR. While it runs, a write made without Capacitor
 * (another host, a cron job, an admin shell) invalidates cached results within milliseconds,
 * not only when a TTL expires. It publishes what it is doing in one small file per follower:
 *
 *     CAPACITOR_DIR/follow.NAME      NAME: [A-Za-z0-9_.-]{1,64} (--name; default from the URI)
 *
 * Layout: one cap_follow_beat, fixed size, created mode 0600 under a temporary name, written
 * whole and only then linked to its name, so a reader never sees a half-made file. After that
 * the follower updates it in place through a shared mapping under a sequence lock (seq odd
 * while a write is in progress), so a reader can map it once and check liveness with no system
 * call: two loads of seq, the fields, and the coarse monotonic clock (vDSO). A follower that
 * restarts reuses the file (readers' mappings stay valid); a follower that dies leaves it, and
 * its live_ns simply ages.
 *
 * What "live" means (the guarantee the library may rely on): state is CAP_FOLLOW_STREAMING and
 * live_ns (CLOCK_MONOTONIC) is at most max_age old, where live_ns means: every transaction
 * whose COMMIT had returned to its client before live_ns has been bumped. The follower proves
 * it with probes (tools/follow_svc.h): every ~100 ms it asks the server where its log ends
 * (PostgreSQL: pg_current_wal_flush_lsn(); MariaDB: SHOW MASTER STATUS), and when the stream
 * has been applied past that position, the time it asked becomes live_ns. So live_ns advances
 * every 100-200 ms while the follower keeps up, stops at once when the follower, its
 * connection or the server stops, and also stops while decoding falls behind (a huge
 * transaction): a reader that starts at S and finds live_ns >= S - max_age knows every commit
 * older than max_age is invalidated. lag_ns is the last probe's round trip. Every (re)connect
 * bumps every generation (cap_engine_bump_all) before the state becomes STREAMING (live_ns =
 * that moment), so nothing written while no follower ran survives in the cache.
 * PostgreSQL with synchronous_commit = off returns COMMIT before the WAL is flushed; such a
 * commit is covered once the WAL writer flushed it (wal_writer_delay, 200 ms by default).
 *
 * Use by the library (CAPACITOR_FOLLOW, see the registry below and hooks/session.c):
 *   - off:     heartbeats are never read; outside writes are seen when a TTL expires.
 *   - auto:    (the default) a session whose server identity matches a live follower's
 *              ident (PostgreSQL: cluster system_identifier + the postmaster's start + database
 *              oid, one follower per database; MariaDB: @@server_uid, one follower per server) is "covered". With
 *              CAPACITOR_TTL set, entries stored while covered are not given CAPACITOR_TTL
 *              and are filed under a key of their own that is only looked up while covered;
 *              without a live follower, today's rules (and CAPACITOR_TTL) apply.
 *   - require: a read of a session that is not covered is neither served nor stored (it
 *              passes through); the check is made for every cacheable read, hits included.
 * Why "covered now" is enough for any entry still valid by its generations, whenever it was
 * stored: a commit C after the entry's generations were read is bumped by the follower after
 * C (if it streamed C) or by its connect-time bump of everything (if it started after C, or
 * reconnected); live now means every commit before live_ns was bumped. A process that does
 * not share the directory's generation table never counts as covered (it sees no bumps).
 *
 * Threads: the reader functions may be called from any thread; a mapping is read-only.
 */
#ifndef CAP_FOLLOW_H
#define CAP_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#define CAP_FOLLOW_PREFIX "follow."
#define CAP_FOLLOW_MAGIC 0x43415046464f4c57ull /* "CAPFFOLW" */
#define CAP_FOLLOW_FORMAT 2u /* 2: ident */
#define CAP_FOLLOW_NAME_MAX 64
/* The library's bound: a follower is live for it while live_ns is at most this old. Outside
 * writes reach a covered session's reads within this (plus a coarse clock tick). */
#define CAP_FOLLOW_MAX_AGE_NS (500ull * 1000000ull)

/* Follower states, in the order a follower goes through them. */
enum {
	CAP_FOLLOW_STARTING = 0,   /* process started, not yet connected */
	CAP_FOLLOW_CONNECTING = 1, /* connecting, creating the slot / reading the binlog position */
	CAP_FOLLOW_STREAMING = 2,  /* everything bumped once, stream applied as it arrives */
	CAP_FOLLOW_BACKOFF = 3,    /* disconnected; waiting before the next attempt */
	CAP_FOLLOW_STOPPED = 4,    /* stopped cleanly (SIGTERM/SIGINT) */
};

typedef struct cap_follow_beat {
	uint64_t magic;   /* CAP_FOLLOW_MAGIC */
	uint32_t format;  /* CAP_FOLLOW_FORMAT */
	uint32_t size;    /* sizeof(cap_follow_beat) */
	uint64_t seq;     /* sequence lock: odd while the follower writes */
	int64_t pid;      /* the follower */
	uint32_t state;   /* CAP_FOLLOW_* */
	uint32_t pad0;
	uint64_t live_ns;    /* CLOCK_MONOTONIC: last word from the server, stream applied */
	uint64_t since_ns;   /* CLOCK_MONOTONIC: start of the current stream (after bump_all) */
	uint64_t wall_ns;    /* CLOCK_REALTIME of this update */
	uint64_t lag_ns;     /* server send time to our receipt of the last message */
	uint64_t events;     /* change messages / binlog events applied */
	uint64_t bumps;      /* table bumps */
	uint64_t bump_alls;  /* everything bumped (connects, DDL, unknown events) */
	uint64_t reconnects; /* connects after the first */
	uint64_t events_per_s; /* over the last second or so */
	char kind[16];      /* "postgresql" or "mariadb" */
	char server[96];    /* PostgreSQL: system identifier; MariaDB: "server_id@host:port" */
	char database[64];  /* PostgreSQL: the database followed; MariaDB: "*" */
	char position[64];  /* last LSN or binlog file:pos */
	char target[160];   /* the URI without its password */
	char last_error[160];
	uint64_t ident;     /* cap_follow_ident of the server (and database) followed; 0 unknown */
} cap_follow_beat;

_Static_assert(sizeof(cap_follow_beat) == 680, "cap_follow_beat layout changed: bump the format");

/* cap_follow_map - a read-only mapping of one heartbeat file. */
typedef struct cap_follow_map cap_follow_map;

/* cap_follow_map_open - map dir/name (name is "follow.NAME") read-only after checking it is a
 * regular file owned by us, not writable by others, of this format. CAP_OK and *out, or a
 * CAP_* code (CAP_EIO for a missing file, CAP_EUNSAFE, CAP_EVERSION, CAP_ECORRUPT). */
int cap_follow_map_open(const char *dir, const char *name, cap_follow_map **out);
void cap_follow_map_close(cap_follow_map *m);

/* cap_follow_map_read - a consistent copy of the beat (retries while the follower writes;
 * CAP_EIO when it could not get one in a few tries). No system call. */
int cap_follow_map_read(const cap_follow_map *m, cap_follow_beat *out);

/* cap_follow_beat_live - 1 when b is STREAMING, its live_ns is at most max_age_ns before
 * now_ns (CLOCK_MONOTONIC) and not in the future by more than a second, else 0. */
int cap_follow_beat_live(const cap_follow_beat *b, uint64_t now_ns, uint64_t max_age_ns);

/* cap_follow_map_live - cap_follow_beat_live on a fresh copy, with the coarse monotonic clock
 * (no system call; usable on the hit path). */
int cap_follow_map_live(const cap_follow_map *m, uint64_t max_age_ns);

/* cap_follow_scan - call fn for every heartbeat file in dir that maps and reads cleanly, with
 * its file name and a copy of its beat; stops when fn returns non-zero. Returns the number of
 * files visited, or a CAP_* code when dir cannot be opened. Slow path (opens files). */
typedef int (*cap_follow_scan_fn)(void *ctx, const char *name, const cap_follow_beat *b);
int cap_follow_scan(const char *dir, cap_follow_scan_fn fn, void *ctx);

/* cap_follow_live - how many followers in dir are live (max_age_ns), optionally only those of
 * kind ("postgresql"/"mariadb"; NULL = any). Slow path; for tools and the library's setup. */
int cap_follow_live(const char *dir, const char *kind, uint64_t max_age_ns);

/* cap_follow_ident - the identity a follower publishes and a session matches on, from the
 * server's own identifiers: kind "postgresql" with CAP_FOLLOW_PG_SERVER_FMT of the cluster's
 * system_identifier and its start (CAP_FOLLOW_PG_START_SQL) and the database oid (as text),
 * or kind "mariadb" with @@server_uid (MySQL: @@server_uuid) and "". Never 0. */
uint64_t cap_follow_ident(const char *kind, const char *server, size_t server_len,
			  const char *db, size_t db_len);

/* A copy of a PostgreSQL cluster (pg_basebackup, a promoted standby, a restored backup) keeps
 * its system_identifier and database oids: what tells the running copies apart is the
 * postmaster's start, which every role may read and which changes at every start (then the
 * follower reconnects and publishes it again, and every session reconnects and reads it
 * back). As microseconds since the epoch, so that neither TimeZone nor DateStyle shapes the
 * text (the follower's session and the program's may differ in both); a double holds them
 * exactly (< 2^53). MariaDB's @@server_uid is no part of its data directory: it is the SHA-1
 * of the port and a MAC address of the machine (10.11, checked), so a copy elsewhere has its
 * own. Its limit: two servers on the same port behind the same MAC (containers on two hosts
 * whose generated addresses coincide) share it, and MariaDB's start is known to the second
 * only (Uptime counts whole seconds): two such servers started within the same second would
 * still be taken for one - README.md, "capacitor follow". (A session's keys include that start,
 * hooks/mysql_probe.c: enough to tell a server restored in place from the one before it, which
 * ran for longer than a second.) */
#define CAP_FOLLOW_PG_START_SQL                                                              \
	"(pg_catalog.date_part('epoch', pg_catalog.pg_postmaster_start_time()) "             \
	"OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8::pg_catalog.text"
#define CAP_FOLLOW_PG_SERVER_FMT "%s@%s" /* system_identifier, start */

/* The library's registry: one table per process of mapped heartbeat files, never unmapped
 * (a hit may be reading one), at most CAP_FOLLOW_TABLE_MAX. The hit path reads it with a few
 * loads and no lock; cap_follow_refresh, on misses, rescans the directory at most once a
 * second. A mapping is watched for bus errors (cache/fault.h): a truncated file reads as
 * zeros, which is not live. */
#define CAP_FOLLOW_TABLE_MAX 16
/* cap_follow_refresh - when a second has passed since the last scan (coarse clock), map the
 * heartbeat files of dir not mapped yet and re-read every entry's ident; another thread's
 * scan in progress is not waited for. Miss path: system calls. */
void cap_follow_refresh(const char *dir);
/* cap_follow_table_gen - changes after every scan: a session re-resolves its follower. */
uint32_t cap_follow_table_gen(void);
/* cap_follow_find - the entry following ident (one live now preferred), or -1. No system
 * call; loops over the table. */
int cap_follow_find(uint64_t ident);
/* cap_follow_entry_live - 1 when entry idx follows ident and is live (CAP_FOLLOW_MAX_AGE_NS,
 * coarse clock). A few loads: the hit path. */
int cap_follow_entry_live(int idx, uint64_t ident);
/* cap_follow_seen - how many heartbeat files the registry holds (0: no follower seen). */
int cap_follow_seen(void);

/* cap_follow_default_name - the NAME `capacitor follow URI` takes without --name:
 * "pg-" or "my-" and 48 bits of the URI's hash. */
void cap_follow_default_name(const char *uri, char *out, size_t cap);

/* cap_follow_state_name - "starting", "connecting", "streaming", "backoff", "stopped". */
const char *cap_follow_state_name(uint32_t state);

/* Writer side (the follower only). */
typedef struct cap_follow_writer cap_follow_writer;

/* cap_follow_writer_open - create or reuse dir/follow.NAME (created whole under a temporary
 * name, then linked into place) and map it read-write. The caller holds the follower's lock
 * (see tools/follow.c), so there is one writer per file. */
int cap_follow_writer_open(int dfd, const char *name, cap_follow_writer **out);
/* cap_follow_writer_begin/commit - bracket an update of the returned beat (seq odd/even). */
cap_follow_beat *cap_follow_writer_begin(cap_follow_writer *w);
void cap_follow_writer_commit(cap_follow_writer *w);
void cap_follow_writer_close(cap_follow_writer *w);

/* cap_follow_name_ok - NAME is 1..64 of [A-Za-z0-9_.-], not "." or "..", and does not end in
 * .lock, .pid or .log (the follower's other files). */
int cap_follow_name_ok(const char *name);

#endif

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
 * it with probes (tools/follow.h): every ~100 ms it asks the server where its log ends
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
 * Intended use by the library (CAPACITOR_FOLLOW; not wired by this module):
 *   - off:     the follower is ignored; outside writes are seen when CAPACITOR_TTL expires.
 *   - auto:    when a follower of the connection's server (kind, and for PostgreSQL the
 *              database) is live, results may be kept past CAPACITOR_TTL's outside-writer
 *              bound; when none is live, today's rules (and CAPACITOR_TTL) apply.
 *   - require: cache nothing of a connection's database while no matching follower is live
 *              (a hit re-checks cap_follow_map_live; a miss is sent to the server and not
 *              stored). Use it where outside writers exist and no TTL staleness is acceptable.
 * A PostgreSQL follower covers one database (a logical slot is per database); a MariaDB
 * follower covers the whole server (the binlog is).
 *
 * Threads: the reader functions may be called from any thread; a mapping is read-only.
 */
#ifndef CAP_FOLLOW_H
#define CAP_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#define CAP_FOLLOW_PREFIX "follow."
#define CAP_FOLLOW_MAGIC 0x43415046464f4c57ull /* "CAPFFOLW" */
#define CAP_FOLLOW_FORMAT 1u
#define CAP_FOLLOW_NAME_MAX 64

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
} cap_follow_beat;

_Static_assert(sizeof(cap_follow_beat) == 672, "cap_follow_beat layout changed: bump the format");

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

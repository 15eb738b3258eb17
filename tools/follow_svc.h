/*
 * follow_svc.h - the follower's services: what the two stream readers (tools/follow_pg.c,
 * tools/follow_my.c) call to report what they saw, and what the command (tools/follow.c)
 * sets up around them. The lowest module of `capacitor follow`: it calls no reader and no
 * command, so the readers depend on it and the command on all three, never the other way.
 *
 * The command owns the process: options, lock and pid file, signals, the reconnect loop with
 * backoff, the engine (generation table only) and the heartbeat file (cache/follow.h). A
 * reader owns one connection: cap_fw_*_run connects, reports the server's identity, calls
 * cap_fw_streaming once everything has been bumped and the stream is about to start, then
 * applies messages until the connection fails or *fw->stop is set. It returns 0 on a stop,
 * -1 after a failure (reason in fw->err). Readers call cap_fw_alive as the stream advances
 * and cap_fw_bump_* for every change.
 *
 * Liveness is proved by probes, not by mere traffic: every ~100 ms the reader asks the server,
 * on a second ordinary connection, where its log ends (PostgreSQL: pg_current_wal_flush_lsn();
 * MariaDB: SHOW MASTER STATUS), noting the time T just before asking. Every transaction whose
 * COMMIT had returned by T ends before that position. When the stream has been applied up to
 * it, the reader passes T as live_at: the heartbeat's live_ns then means "every commit that
 * returned before live_ns is bumped". Without probes (the second connection refused) the reader
 * falls back to the time the server last answered on the stream, and says so in the log
 * (cap_fw_probe_* keep that rule in one place).
 *
 * Threads: every function here is called on the stream thread (the one running the reader).
 */
#ifndef CAP_TOOLS_FOLLOW_SVC_H
#define CAP_TOOLS_FOLLOW_SVC_H

#include "cache/engine.h"
#include "cache/follow.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cap_fw {
	cap_engine *eng;
	cap_follow_writer *hb;
	volatile sig_atomic_t *stop;
	const char *uri;        /* as given */
	const char *publication; /* --publication, or NULL */
	uint32_t server_id;      /* --server-id (MariaDB), 0 = pick one */
	int verbose;
	int test_decoding;       /* --test-decoding: no publication */
	int create_publication;  /* --create-publication */
	uint64_t timeout_ns;     /* no word from the server for this long: reconnect */
	/* counters mirrored into the heartbeat */
	uint64_t events, bumps, bump_alls, reconnects;
	uint64_t rate_events, rate_t0, rate;
	uint64_t last_beat;
	char err[160];
} cap_fw;

/* cap_fw_log_to - send cap_fw_log's lines to f (not owned; NULL = stderr). */
void cap_fw_log_to(FILE *f);
/* Log one line on stderr (or the --log file), prefixed with the time and "capacitor follow". */
void cap_fw_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set fw->err (and return -1) for a reader's failure. */
int cap_fw_fail(cap_fw *fw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cap_fw_bump_table - bump the n bytes of name (a bare table name) in the generation table. */
void cap_fw_bump_table(cap_fw *fw, const char *name, size_t n);
/* cap_fw_bump_all - bump everything; why is logged with --verbose. */
void cap_fw_bump_all(cap_fw *fw, const char *why);
/* cap_fw_identity - record who the server is once connected: server and database as shown,
 * and id_server, id_db the identifiers a library session matches on (cap_follow_ident:
 * PostgreSQL system_identifier and database oid, MariaDB @@server_uid and ""; id_server NULL
 * when the server would not say: no library session then relies on this follower). */
void cap_fw_identity(cap_fw *fw, const char *kind, const char *server, const char *database,
		     const char *id_server, const char *id_db);
/* cap_fw_streaming - everything is bumped and the stream starts at position pos. */
void cap_fw_streaming(cap_fw *fw, const char *pos);
/* cap_fw_alive - the stream is applied up to pos (or NULL); live_at (CLOCK_MONOTONIC) is the
 * time of a probe the stream has now passed, or 0 when none was; the lag shown becomes the
 * probe's round trip. */
void cap_fw_alive(cap_fw *fw, const char *pos, uint64_t live_at);
/* cap_fw_event - count one applied change event. */
void cap_fw_event(cap_fw *fw);
/* cap_fw_state - the heartbeat's state becomes state (CAP_FOLLOW_*); in BACKOFF and STOPPED
 * it shows fw->err as the last error. For the command's reconnect loop. */
void cap_fw_state(cap_fw *fw, uint32_t state);

/* cap_fw_no_probes - liveness probes cannot be made (why, or NULL): log once per run that the
 * heartbeat now shows only that the stream is up (the reader falls back, see above). */
void cap_fw_no_probes(const char *why);

/* cap_fw_txn - the tables one transaction changed, by name, as both readers track them: a
 * table is bumped when the transaction first changes it (cap_fw_txn_add says when) and again
 * at its end (cap_fw_txn_end), so that a read that filled between the two is not kept. More
 * tables than fit make the end bump everything. Names longer than CAP_FW_NAME_MAX count as
 * "more than fit" too. */
#define CAP_FW_TXN_MAX 256
#define CAP_FW_NAME_MAX 128
typedef struct cap_fw_txn {
	char name[CAP_FW_TXN_MAX][CAP_FW_NAME_MAX + 1];
	size_t n;
	int overflow;
} cap_fw_txn;
/* cap_fw_txn_begin - a new transaction: forget the tables of any other. */
void cap_fw_txn_begin(cap_fw_txn *t);
/* cap_fw_txn_add - the transaction changed name; 1 when it is new to the transaction (the
 * caller bumps it now), 0 when it was already bumped. */
int cap_fw_txn_add(cap_fw_txn *t, const char *name);
/* cap_fw_txn_end - the transaction ended: bump(ctx, name) for each of its tables, or bump
 * everything after an overflow; then begin afresh. */
void cap_fw_txn_end(cap_fw *fw, cap_fw_txn *t, void (*bump)(void *ctx, const char *name),
		    void *ctx);

/* cap_fw_redact - uri without a password, into out (cap bytes, always terminated). */
void cap_fw_redact(const char *uri, char *out, size_t cap);

#endif

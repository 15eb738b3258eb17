/*
 * follow_pg_int.h - what the four files of the PostgreSQL reader share, private to them:
 *   follow_pg.c        the entry points (follow_pg.h): the run (connect, identify, create
 *                      the slot, start, the stream loop) and --check;
 *   follow_pg_proto.c  the replication protocol: CopyData messages, pgoutput and test_decoding
 *                      decoded into bumps, and the standby status updates;
 *   follow_pg_conn.c   the connections: how to connect, and the second, ordinary connection
 *                      (liveness probes, ancestor lookups);
 *   follow_pg_setup.c  the server's side: the publication, the DDL event trigger.
 * They call downwards only: follow_pg.c -> proto, setup, conn; proto -> conn; setup -> conn.
 *
 * One pg_run lives for one connection's run (tools/follow_svc.h); only the stream thread
 * touches it.
 */
#ifndef CAP_TOOLS_FOLLOW_PG_INT_H
#define CAP_TOOLS_FOLLOW_PG_INT_H

#include "tools/follow_svc.h"

#include <libpq-fe.h>

#include <stddef.h>
#include <stdint.h>

#define PUB_DEFAULT "capacitor_follow"
#define DDL_TRIGGER "capacitor_follow_ddl"
#define MSG_PREFIX "capacitor"
#define TXN_MAX 256
#define STREAM_XIDS_MAX 64

typedef struct rel {
	uint32_t oid;
	char *name;       /* bare relation name */
	uint64_t shape;   /* hash of namespace, name and columns: a change means DDL */
	char **anc;       /* names of ancestors (inheritance/partitions), looked up lazily */
	size_t nanc;
	int anc_known;
} rel;

typedef struct oidset {
	uint32_t oid[TXN_MAX];
	size_t n;
	int overflow;
} oidset;

typedef struct pg_run {
	cap_fw *fw;
	PGconn *repl, *meta;
	int use_pgoutput;
	rel *rels;
	size_t nrels, caprels;
	oidset txn;           /* tables of the transaction being decoded */
	oidset streamed;      /* tables of open streamed transactions */
	uint32_t stream_xids[STREAM_XIDS_MAX];
	size_t nstream_xids;
	int stream_overflow;
	int in_stream;
	uint64_t received;    /* highest LSN received and applied */
	cap_fw_txn td;        /* test_decoding: this transaction's tables, qualified */
	uint64_t probe_lsn, probe_t; /* outstanding probe: flush LSN and when it was asked */
	uint64_t inflight_t;         /* a probe query sent on meta, its answer not yet read */
	int probes;                  /* 1 probing works, 0 it does not (fallback), -1 unknown */
	char pub_q[400];             /* pgoutput: the query for the publication's stamp */
	char pub_stamp[64];          /* its oid and xmin when chosen: any ALTER, DROP or RENAME
				      * changes it */
	int pub_changed;             /* a probe found it changed: the stream may miss writes */
	struct tdanc {           /* test_decoding: ancestors by qualified name, until DDL */
		char name[64];
		char **anc;
		size_t nanc;
	} tdanc[TXN_MAX];
	size_t ntdanc;
} pg_run;

/* ---- follow_pg_conn.c ---- */

/* cap_fwpg_connect - connect to the user's URI; with replication, as a logical replication
 * connection (replication=database). Never NULL (libpq's rule): check PQstatus. */
PGconn *cap_fwpg_connect(const char *uri, int replication);
/* cap_fwpg_exec - run sql; the result when its status is want, else NULL with the error
 * (one line) in err when err is not NULL. The caller PQclear()s the result. */
PGresult *cap_fwpg_exec(PGconn *c, const char *sql, ExecStatusType want, char *err, size_t cap);
/* cap_fwpg_meta - the ordinary connection, connected on demand; NULL when it cannot be. */
PGconn *cap_fwpg_meta(pg_run *pr);
/* cap_fwpg_probe - send a liveness probe on the ordinary connection when one is due. */
void cap_fwpg_probe(pg_run *pr);
/* cap_fwpg_probe_collect - read the probe's answer if there (wait for it when block); 1 when
 * a new probe position arrived. */
int cap_fwpg_probe_collect(pg_run *pr, int block);
/* cap_fwpg_ancestors - the ancestors (inheritance, partitions) of relation `what` (an oid or a
 * quoted regclass literal) into a new array *out of *nout new strings, both the caller's to
 * free; 0, or -1 when it could not be looked up (the caller then bumps everything). */
int cap_fwpg_ancestors(pg_run *pr, const char *what, char ***out, size_t *nout);

/* ---- follow_pg_proto.c ---- */

/* cap_fwpg_lsn_str - an LSN as PostgreSQL shows it (X/X). */
void cap_fwpg_lsn_str(uint64_t lsn, char *out, size_t cap);
/* cap_fwpg_copy - apply one CopyData message of the stream (len bytes); 0, or -1 with fw->err. */
int cap_fwpg_copy(pg_run *pr, const unsigned char *buf, int len);
/* cap_fwpg_status - send a standby status update confirming everything applied, asking for a
 * reply when reply; 0, or -1 with fw->err. */
int cap_fwpg_status(pg_run *pr, int reply);
/* cap_fwpg_forget_ancestors - drop every ancestor lookup (after DDL, and at the run's end). */
void cap_fwpg_forget_ancestors(pg_run *pr);
/* cap_fwpg_rels_free - drop the relation table (at the run's end). */
void cap_fwpg_rels_free(pg_run *pr);

/* ---- follow_pg_setup.c ---- */

/* cap_fwpg_choose_output - the publication to stream (into pub, cap bytes), or "" for
 * test_decoding; fills pr->pub_q and pr->pub_stamp. 0, or -1 with fw->err. */
int cap_fwpg_choose_output(pg_run *pr, char *pub, size_t cap);
/* cap_fwpg_ddl_trigger - install the DDL event trigger when missing and we may; logs either way. */
void cap_fwpg_ddl_trigger(pg_run *pr);

#endif

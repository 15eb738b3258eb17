/*
 * follow_my.c - `capacitor follow mysql://...`: the MariaDB binlog, read as a replica would.
 *
 * One run (tools/follow_svc.h):
 *   1. connect; read the server's identity, log_bin and binlog_format; SHOW MASTER STATUS
 *      gives the current binlog file and position;
 *   2. bump everything (what committed before that position is covered), then ask for the
 *      binlog from that position (COM_BINLOG_DUMP through Connector/C's mariadb_rpl_*), as a
 *      replica with its own server_id, with MariaDB's event types, the server's checksums and
 *      a heartbeat every 50 ms while the binlog is idle;
 *   3. apply events: a row event (WRITE/UPDATE/DELETE_ROWS) bumps the table its TABLE_MAP
 *      named, at once, and every table of the transaction is bumped again at its end (XID, or
 *      a COMMIT/ROLLBACK query). Any other QUERY event - DDL, TRUNCATE, RENAME, a statement-
 *      format write, XA - bumps everything, as does any event type not known to be harmless.
 *      Cascading foreign keys are applied inside InnoDB and never reach the binlog, so a
 *      bump of a table also bumps every table whose rows its ON DELETE/UPDATE CASCADE, SET
 *      NULL or SET DEFAULT keys change, transitively (read through a second connection once,
 *      and again after any DDL).
 *      Every event refreshes the heartbeat: the server only sends a heartbeat when it has sent
 *      everything before it.
 * Threads: the stream is read by the calling thread; a second thread (prober) runs the
 * liveness probes on the ordinary connection, which the stream thread also uses (rarely, for
 * the foreign keys) under meta_mu; the prober's result is handed over under res_mu.
 * The binlog covers every database of the server: one follower serves them all, and table
 * generations are keyed by bare table name anyway.
 */
#include "tools/follow_my.h"
#include "cache/cap.h"
#include "tools/cmd.h"

#include <mysql.h>
#include <mariadb_rpl.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMAP_MAX 4096
#define NAME_MAX_LEN 64

typedef struct tmap {
	uint64_t id;
	char name[NAME_MAX_LEN + 1];
} tmap;

typedef struct fkedge {
	char parent[NAME_MAX_LEN + 1], child[NAME_MAX_LEN + 1];
} fkedge;

typedef struct my_run {
	cap_fw *fw;
	MYSQL *m;
	MYSQL *meta;       /* ordinary connection: foreign-key graph and probes, under meta_mu */
	pthread_mutex_t meta_mu;
	pthread_mutex_t res_mu; /* the probe thread's latest result, below */
	pthread_t prober;
	int prober_on, stop_prober;
	char res_file[256];
	unsigned long res_pos;
	uint64_t res_t, res_seq, used_seq;
	int res_state;     /* 1 probing works, 0 it does not, -1 unknown */
	cap_my_uri uri;
	fkedge *fk;        /* parent -> child where a change of parent rows changes child rows */
	size_t nfk;
	int fk_known;
	tmap *maps;
	size_t nmaps;
	cap_fw_txn txn;    /* this transaction's tables */
	char file[256];
	char probe_file[256]; /* outstanding probe: where the binlog ended, and when asked */
	unsigned long probe_pos;
	uint64_t probe_t;
	int probes;           /* 1 works, 0 does not (fallback), -1 unknown */
} my_run;

/* ------------------------------------------------------------------ URI */

static int unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };
			c = (int)strtol(hex, NULL, 16);
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int cap_my_uri_parse(const char *uri, cap_my_uri *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	const char *p = strstr(uri, "://");
	if (p == NULL) {
		snprintf(err, errlen, "not a mysql:// URI");
		return -1;
	}
	p += 3;
	const char *q = strchr(p, '?');
	const char *end = q ? q : p + strlen(p);
	const char *slash = memchr(p, '/', (size_t)(end - p));
	const char *auth_end = slash ? slash : end;
	const char *at = NULL;
	for (const char *s = p; s < auth_end; s++)
		if (*s == '@')
			at = s;
	const char *hp = p;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (unescape(p, (size_t)((colon ? colon : at) - p), u->user, sizeof(u->user)) < 0 ||
		    (colon && unescape(colon + 1, (size_t)(at - colon - 1), u->password,
				       sizeof(u->password)) < 0)) {
			snprintf(err, errlen, "user or password too long");
			return -1;
		}
		hp = at + 1;
	}
	const char *pc = memchr(hp, ':', (size_t)(auth_end - hp));
	if (unescape(hp, (size_t)((pc ? pc : auth_end) - hp), u->host, sizeof(u->host)) < 0) {
		snprintf(err, errlen, "host too long");
		return -1;
	}
	if (pc) {
		char *e;
		long port = strtol(pc + 1, &e, 10);
		if (e != auth_end || port <= 0 || port > 65535) {
			snprintf(err, errlen, "bad port in URI");
			return -1;
		}
		u->port = (unsigned)port;
	}
	if (slash && unescape(slash + 1, (size_t)(end - slash - 1), u->db, sizeof(u->db)) < 0) {
		snprintf(err, errlen, "database name too long");
		return -1;
	}
	for (const char *s = q; s && *s;) {
		s++;
		const char *amp = strchr(s, '&');
		size_t n = amp ? (size_t)(amp - s) : strlen(s);
		if (n > 7 && strncmp(s, "socket=", 7) == 0) {
			if (unescape(s + 7, n - 7, u->socket, sizeof(u->socket)) < 0) {
				snprintf(err, errlen, "socket path too long");
				return -1;
			}
		} else if (n > 0) {
			snprintf(err, errlen, "unknown URI parameter '%.*s' (only socket=)", (int)n, s);
			return -1;
		}
		s = amp;
	}
	if (u->host[0] == '\0')
		snprintf(u->host, sizeof(u->host), "localhost");
	return 0;
}

static MYSQL *my_connect(const cap_my_uri *u, unsigned timeout_s, char *err, size_t cap)
{
	MYSQL *m = mysql_init(NULL);
	if (m == NULL) {
		snprintf(err, cap, "mysql_init failed");
		return NULL;
	}
	unsigned ct = 5;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout_s);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout_s);
	mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "capacitor-follow");
	if (!mysql_real_connect(m, u->host, u->user[0] ? u->user : NULL,
				u->password[0] ? u->password : NULL,
				u->db[0] ? u->db : NULL, u->port, u->socket[0] ? u->socket : NULL, 0)) {
		snprintf(err, cap, "connect: %s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* query_row - run sql, copy the first row's columns (up to n) into out; 1 with a row, 0
 * without, -1 on error (message in err). */
static int query_row(MYSQL *m, const char *sql, char out[][256], unsigned n, char *err, size_t cap)
{
	if (mysql_query(m, sql) != 0) {
		snprintf(err, cap, "%s: %s", sql, mysql_error(m));
		return -1;
	}
	MYSQL_RES *r = mysql_store_result(m);
	if (r == NULL) {
		snprintf(err, cap, "%s: %s", sql, mysql_error(m));
		return -1;
	}
	MYSQL_ROW row = mysql_fetch_row(r);
	unsigned nf = mysql_num_fields(r);
	for (unsigned i = 0; row && i < n; i++)
		snprintf(out[i], 256, "%s", i < nf && row[i] ? row[i] : "");
	int got = row != NULL;
	mysql_free_result(r);
	return got;
}

/* ------------------------------------------------------------------ events */

static const char *tmap_find(my_run *mr, uint64_t id)
{
	for (size_t i = 0; i < mr->nmaps; i++)
		if (mr->maps[i].id == id)
			return mr->maps[i].name;
	return NULL;
}

static void tmap_set(my_run *mr, uint64_t id, const char *name, size_t n)
{
	if (n > NAME_MAX_LEN)
		n = NAME_MAX_LEN;
	tmap *t = NULL;
	for (size_t i = 0; i < mr->nmaps && !t; i++)
		if (mr->maps[i].id == id)
			t = &mr->maps[i];
	if (t == NULL) {
		if (mr->nmaps == TMAP_MAX)
			mr->nmaps = 0; /* forget them all: unknown ids bump everything */
		t = &mr->maps[mr->nmaps++];
	}
	t->id = id;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
}

/* fk_load - the foreign keys whose ON DELETE/ON UPDATE action changes the child (CASCADE,
 * SET NULL, SET DEFAULT): InnoDB applies them inside the engine and the binlog has no row
 * events for the child, so a change of the parent must bump the children. Read through a
 * second connection (the first one is streaming); 0, or -1 (the caller bumps everything). */
static int fk_load(my_run *mr)
{
	char err[512];
	pthread_mutex_lock(&mr->meta_mu);
	if (mr->meta == NULL)
		mr->meta = my_connect(&mr->uri, 5, err, sizeof(err));
	MYSQL_RES *r = NULL;
	if (mr->meta && mysql_query(mr->meta, "SELECT REFERENCED_TABLE_NAME, TABLE_NAME FROM "
				  "information_schema.REFERENTIAL_CONSTRAINTS WHERE "
				  "UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR "
				  "DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION')") == 0)
		r = mysql_store_result(mr->meta);
	if (r == NULL && mr->meta) {
		mysql_close(mr->meta);
		mr->meta = NULL;
	}
	pthread_mutex_unlock(&mr->meta_mu);
	if (r == NULL)
		return -1;
	size_t n = (size_t)mysql_num_rows(r);
	fkedge *e = calloc(n + 1, sizeof(fkedge));
	MYSQL_ROW row;
	size_t k = 0;
	while (e && k < n && (row = mysql_fetch_row(r)) != NULL) {
		if (row[0] == NULL || row[1] == NULL)
			continue;
		snprintf(e[k].parent, sizeof(e[k].parent), "%s", row[0]);
		snprintf(e[k].child, sizeof(e[k].child), "%s", row[1]);
		k++;
	}
	mysql_free_result(r);
	if (e == NULL)
		return -1;
	free(mr->fk);
	mr->fk = e;
	mr->nfk = k;
	mr->fk_known = 1;
	return 0;
}

/* bump_name - bump a table and, transitively, the tables its cascading keys change. */
static void bump_name(my_run *mr, const char *name)
{
	if (!mr->fk_known && fk_load(mr) < 0) {
		cap_fw_bump_all(mr->fw, "the foreign keys could not be read");
		return;
	}
	const char *todo[64];
	size_t n = 0, done = 0;
	todo[n++] = name;
	while (done < n) {
		const char *t = todo[done++];
		cap_fw_bump_table(mr->fw, t, strlen(t));
		for (size_t i = 0; i < mr->nfk; i++) {
			if (strcasecmp(mr->fk[i].parent, t) != 0)
				continue;
			int dup = 0;
			for (size_t j = 0; j < n && !dup; j++)
				dup = strcasecmp(todo[j], mr->fk[i].child) == 0;
			if (dup)
				continue;
			if (n == CAP_ARRAY_LEN(todo)) {
				cap_fw_bump_all(mr->fw, "a long chain of cascading foreign keys");
				return;
			}
			todo[n++] = mr->fk[i].child;
		}
	}
}

static void bump_cb(void *ctx, const char *name)
{
	bump_name(ctx, name);
}

static void txn_commit(my_run *mr)
{
	cap_fw_txn_end(mr->fw, &mr->txn, bump_cb, mr);
}

static void row_change(my_run *mr, uint64_t table_id)
{
	cap_fw_event(mr->fw);
	const char *name = tmap_find(mr, table_id);
	if (name == NULL) {
		cap_fw_bump_all(mr->fw, "row event for an unknown table id");
		return;
	}
	if (cap_fw_txn_add(&mr->txn, name))
		bump_name(mr, name);
}

static int word_is(const char *s, size_t n, const char *w)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	size_t wl = strlen(w);
	return n >= wl && strncasecmp(s, w, wl) == 0 &&
	       (n == wl || isspace((unsigned char)s[wl]) || s[wl] == ';');
}

static void query_event(my_run *mr, const char *sql, size_t n)
{
	cap_fw_event(mr->fw);
	if (word_is(sql, n, "BEGIN")) {
		cap_fw_txn_begin(&mr->txn);
	} else if (word_is(sql, n, "COMMIT") || (word_is(sql, n, "ROLLBACK") &&
						  !word_is(sql, n, "ROLLBACK TO"))) {
		txn_commit(mr);
	} else if (word_is(sql, n, "SAVEPOINT")) {
		/* nothing changes */
	} else {
		txn_commit(mr);
		mr->fk_known = 0; /* DDL may have changed the foreign keys */
		cap_fw_bump_all(mr->fw, "query event (DDL or statement-format write)");
	}
}

static void apply(my_run *mr, MARIADB_RPL_EVENT *ev)
{
	switch ((int)ev->event_type) {
	case TABLE_MAP_EVENT:
		tmap_set(mr, ev->event.table_map.table_id, ev->event.table_map.table.str,
			 ev->event.table_map.table.length);
		break;
	case WRITE_ROWS_EVENT_V1:
	case UPDATE_ROWS_EVENT_V1:
	case DELETE_ROWS_EVENT_V1:
	case WRITE_ROWS_EVENT:
	case UPDATE_ROWS_EVENT:
	case DELETE_ROWS_EVENT:
	case WRITE_ROWS_COMPRESSED_EVENT_V1:
	case UPDATE_ROWS_COMPRESSED_EVENT_V1:
	case DELETE_ROWS_COMPRESSED_EVENT_V1:
	case WRITE_ROWS_COMPRESSED_EVENT:
	case UPDATE_ROWS_COMPRESSED_EVENT:
	case DELETE_ROWS_COMPRESSED_EVENT:
		row_change(mr, ev->event.rows.table_id);
		break;
	case QUERY_EVENT:
		query_event(mr, ev->event.query.statement.str, ev->event.query.statement.length);
		break;
	case XID_EVENT:
		txn_commit(mr);
		break;
	case GTID_EVENT:
		/* a new event group; a standalone one (DDL) has no BEGIN */
		cap_fw_txn_begin(&mr->txn);
		break;
	case ROTATE_EVENT:
		snprintf(mr->file, sizeof(mr->file), "%.*s", (int)ev->event.rotate.filename.length,
			 ev->event.rotate.filename.str);
		break;
	case FORMAT_DESCRIPTION_EVENT:
	case HEARTBEAT_LOG_EVENT:
	case GTID_LIST_EVENT:
	case BINLOG_CHECKPOINT_EVENT:
	case ANNOTATE_ROWS_EVENT:
	case INTVAR_EVENT:
	case RAND_EVENT:
	case USER_VAR_EVENT:
	case IGNORABLE_LOG_EVENT:
	case STOP_EVENT:
	case START_ENCRYPTION_EVENT:
		break;
	default:
		cap_fw_event(mr->fw);
		txn_commit(mr);
		cap_fw_bump_all(mr->fw, "binlog event of another kind");
		break;
	}
}

/* prober - a thread that notes where the binlog ends every 100 ms (tools/follow_svc.h), on the
 * ordinary connection, so that the stream thread never waits for the answer. */
static void *prober(void *arg)
{
	my_run *mr = arg;
	while (!__atomic_load_n(&mr->stop_prober, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 10 && !__atomic_load_n(&mr->stop_prober, __ATOMIC_ACQUIRE); i++)
			usleep(10000);
		char err[512], v[2][256];
		pthread_mutex_lock(&mr->meta_mu);
		if (mr->meta == NULL)
			mr->meta = my_connect(&mr->uri, 5, err, sizeof(err));
		uint64_t t = cap_precise_ns();
		int got = mr->meta ? query_row(mr->meta, "SHOW MASTER STATUS", v, 2, err, sizeof(err))
				   : -1;
		if (got < 0 && mr->meta) {
			mysql_close(mr->meta);
			mr->meta = NULL;
		}
		pthread_mutex_unlock(&mr->meta_mu);
		pthread_mutex_lock(&mr->res_mu);
		if (got == 1) {
			snprintf(mr->res_file, sizeof(mr->res_file), "%s", v[0]);
			mr->res_pos = strtoul(v[1], NULL, 10);
			mr->res_t = t;
			mr->res_seq++;
			mr->res_state = 1;
		} else if (mr->res_state < 0) {
			mr->res_state = 0;
		}
		pthread_mutex_unlock(&mr->res_mu);
	}
	return NULL;
}

/* probe - take the prober's latest result when no probe is outstanding. */
static void probe(my_run *mr)
{
	if (mr->probe_t && cap_precise_ns() - mr->probe_t < 2000000000ull)
		return;
	pthread_mutex_lock(&mr->res_mu);
	int state = mr->res_state;
	if (mr->res_seq != mr->used_seq) {
		snprintf(mr->probe_file, sizeof(mr->probe_file), "%s", mr->res_file);
		mr->probe_pos = mr->res_pos;
		mr->probe_t = mr->res_t;
		mr->used_seq = mr->res_seq;
	}
	pthread_mutex_unlock(&mr->res_mu);
	if (state == 0 && mr->probes != 0)
		cap_fw_no_probes(NULL);
	mr->probes = state;
}

/* passed - whether the stream position (file, pos) is at or past the probe. */
static int passed(const my_run *mr, const char *file, unsigned long pos)
{
	int c = strcmp(file, mr->probe_file);
	return c > 0 || (c == 0 && pos >= mr->probe_pos);
}

int cap_fw_my_run(cap_fw *fw)
{
	my_run mr;
	memset(&mr, 0, sizeof(mr));
	mr.fw = fw;
	mr.probes = -1;
	mr.res_state = -1;
	pthread_mutex_init(&mr.meta_mu, NULL);
	pthread_mutex_init(&mr.res_mu, NULL);
	cap_my_uri u;
	char err[512], v[6][256];
	MARIADB_RPL *rpl = NULL;
	MARIADB_RPL_EVENT *ev = NULL;
	int rc = -1;
	if (cap_my_uri_parse(fw->uri, &u, err, sizeof(err)) < 0)
		return cap_fw_fail(fw, "%s", err);
	mr.uri = u;
	mr.maps = calloc(TMAP_MAX, sizeof(tmap));
	if (mr.maps == NULL)
		return cap_fw_fail(fw, "out of memory");
	unsigned tmo = (unsigned)(fw->timeout_ns / 1000000000ull);
	mr.m = my_connect(&u, tmo ? tmo : 1, err, sizeof(err));
	if (mr.m == NULL) {
		cap_fw_fail(fw, "%s", err);
		goto out;
	}
	if (query_row(mr.m, "SELECT @@server_id, @@hostname, @@port, @@log_bin, @@binlog_format",
		      v, 5, err, sizeof(err)) <= 0) {
		cap_fw_fail(fw, "%s", err);
		goto out;
	}
	if (strcmp(v[3], "1") != 0) {
		cap_fw_fail(fw, "the binary log is off (log_bin); see capacitor follow --check");
		goto out;
	}
	if (strcasecmp(v[4], "ROW") != 0)
		cap_fw_log("binlog_format is %s: statement-format writes invalidate everything; "
			   "ROW names the tables", v[4]);
	char ident[800];
	snprintf(ident, sizeof(ident), "%s@%s:%s", v[0], v[1], v[2]);
	/* sessions match on the server's unique id, as the library reads it (hooks/mysql_probe.c):
	 * MariaDB's @@server_uid, MySQL's @@server_uuid */
	char uid[1][256];
	int have_uid = query_row(mr.m, "SELECT @@server_uid", uid, 1, err, sizeof(err)) > 0 ||
		       query_row(mr.m, "SELECT @@server_uuid", uid, 1, err, sizeof(err)) > 0;
	if (!have_uid)
		cap_fw_log("WARNING: the server has neither @@server_uid nor @@server_uuid: programs "
			   "with CAPACITOR_FOLLOW cannot match this follower (it still invalidates)");
	cap_fw_identity(fw, "mariadb", ident, "*", have_uid ? uid[0] : NULL, "");
	uint32_t me = fw->server_id;
	if (me == 0)
		me = 0x80000000u | (uint32_t)((cap_precise_ns() ^ ((uint64_t)getpid() << 12)) & 0x7fffffffu);
	if (me == (uint32_t)strtoul(v[0], NULL, 10))
		me ^= 1;

	int got = query_row(mr.m, "SHOW MASTER STATUS", v, 2, err, sizeof(err));
	if (got <= 0) {
		cap_fw_fail(fw, "%s", got < 0 ? err : "SHOW MASTER STATUS: no binary log");
		goto out;
	}
	snprintf(mr.file, sizeof(mr.file), "%s", v[0]);
	unsigned long start = strtoul(v[1], NULL, 10);
	char pos[300];
	snprintf(pos, sizeof(pos), "%s:%lu", mr.file, start);

	if (mysql_query(mr.m, "SET @master_binlog_checksum = @@global.binlog_checksum, "
			      "@mariadb_slave_capability = 4, "
			      "@master_heartbeat_period = 50000000") != 0) {
		cap_fw_fail(fw, "setting up the dump: %s", mysql_error(mr.m));
		goto out;
	}
	/* Everything committed before the position we start from is covered by this bump. */
	cap_fw_bump_all(fw, "connected");

	rpl = mariadb_rpl_init(mr.m);
	if (rpl == NULL) {
		cap_fw_fail(fw, "mariadb_rpl_init failed");
		goto out;
	}
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, mr.file, (size_t)strlen(mr.file));
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, start);
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, (unsigned int)me);
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS, (unsigned int)0);
	if (mariadb_rpl_open(rpl) != 0) {
		cap_fw_fail(fw, "binlog dump: %s", mysql_error(mr.m));
		goto out;
	}
	cap_fw_streaming(fw, pos);
	mr.prober_on = pthread_create(&mr.prober, NULL, prober, &mr) == 0;
	if (!mr.prober_on)
		mr.res_state = 0;
	while (!*fw->stop) {
		ev = mariadb_rpl_fetch(rpl, ev);
		if (ev == NULL) {
			if (*fw->stop)
				break;
			cap_fw_fail(fw, "binlog read: %s", mysql_errno(mr.m) ? mysql_error(mr.m)
									  : mariadb_rpl_error(rpl));
			goto out;
		}
		apply(&mr, ev);
		const char *file = mr.file;
		char hbfile[256];
		if (ev->event_type == HEARTBEAT_LOG_EVENT) {
			/* sent only when the dump thread has sent everything: its position is the end */
			snprintf(hbfile, sizeof(hbfile), "%.*s",
				 (int)ev->event.heartbeat.filename.length, ev->event.heartbeat.filename.str);
			file = hbfile;
		}
		uint64_t live_at = 0;
		if (ev->next_event_pos > 0) {
			snprintf(pos, sizeof(pos), "%s:%u", file, ev->next_event_pos);
			if (mr.probe_t && passed(&mr, file, ev->next_event_pos)) {
				live_at = mr.probe_t;
				mr.probe_t = 0;
			}
		}
		if (mr.probes == 0 && ev->event_type == HEARTBEAT_LOG_EVENT)
			live_at = cap_precise_ns();
		cap_fw_alive(fw, ev->next_event_pos > 0 ? pos : NULL, live_at);
		probe(&mr);
	}
	rc = 0;
out:
	if (ev)
		mariadb_free_rpl_event(ev);
	if (rpl)
		mariadb_rpl_close(rpl);
	if (mr.m)
		mysql_close(mr.m);
	if (mr.prober_on) {
		__atomic_store_n(&mr.stop_prober, 1, __ATOMIC_RELEASE);
		pthread_join(mr.prober, NULL);
	}
	if (mr.meta)
		mysql_close(mr.meta);
	pthread_mutex_destroy(&mr.meta_mu);
	pthread_mutex_destroy(&mr.res_mu);
	free(mr.fk);
	free(mr.maps);
	return rc;
}

/* ------------------------------------------------------------------ --check */

int cap_fw_my_check(const char *uri)
{
	cap_my_uri u;
	char err[512], v[5][256];
	int problems = 0;
	if (cap_my_uri_parse(uri, &u, err, sizeof(err)) < 0) {
		printf("%s\n", err);
		return CAP_EXIT_USAGE;
	}
	MYSQL *m = my_connect(&u, 5, err, sizeof(err));
	if (m == NULL) {
		printf("cannot %s\n", err);
		return CAP_EXIT_FAIL;
	}
	if (query_row(m, "SELECT @@version, @@log_bin, @@binlog_format, @@server_id, CURRENT_USER()",
		      v, 5, err, sizeof(err)) <= 0) {
		printf("cannot read the settings: %s\n", err);
		mysql_close(m);
		return CAP_EXIT_FAIL;
	}
	printf("MariaDB %s, server_id %s, user %s\n", v[0], v[3], v[4]);
	if (strcmp(v[1], "1") != 0) {
		problems++;
		printf("PROBLEM: the binary log is off.\n  fix: start the server with log_bin (e.g. "
		       "log_bin = mysql-bin and a unique server_id in [mariadbd] of my.cnf), restart\n");
	}
	if (strcasecmp(v[2], "ROW") != 0) {
		problems++;
		printf("PROBLEM: binlog_format is %s: statement-format writes can only invalidate "
		       "everything.\n  fix: SET GLOBAL binlog_format = 'ROW'; and binlog_format = ROW "
		       "in my.cnf\n", v[2]);
	}
	if (mysql_query(m, "SHOW GRANTS") == 0) {
		MYSQL_RES *r = mysql_store_result(m);
		int slave = 0, monitor = 0;
		MYSQL_ROW row;
		while (r && (row = mysql_fetch_row(r)) != NULL) {
			const char *g = row[0] ? row[0] : "";
			if (strstr(g, "ALL PRIVILEGES ON *.*") || strstr(g, "REPLICATION SLAVE"))
				slave = 1;
			if (strstr(g, "ALL PRIVILEGES ON *.*") || strstr(g, "BINLOG MONITOR") ||
			    strstr(g, "REPLICATION CLIENT") || strstr(g, "SUPER"))
				monitor = 1;
		}
		if (r)
			mysql_free_result(r);
		if (!slave || !monitor) {
			problems++;
			printf("PROBLEM: %s lacks%s%s.\n  fix: GRANT REPLICATION SLAVE, BINLOG MONITOR "
			       "ON *.* TO %s;\n", v[4], slave ? "" : " REPLICATION SLAVE",
			       monitor ? "" : " BINLOG MONITOR (for SHOW MASTER STATUS)", v[4]);
		}
	}
	mysql_close(m);
	if (problems == 0)
		printf("ok: this server can be followed\n");
	return problems ? CAP_EXIT_FAIL : CAP_EXIT_OK;
}

/*
 * follow_pg.c - `capacitor follow postgresql://...`: PostgreSQL logical replication.
 *
 * The reader's two entry points: a run and --check. One run (tools/follow_svc.h; this file
 * holds steps 1, 4 and the loop of 5, the other steps live in follow_pg_setup.c and
 * follow_pg_proto.c, follow_pg_int.h lists them):
 *   1. connect with replication=database; IDENTIFY_SYSTEM names the server;
 *   2. choose the output: the publication named by --publication, else `capacitor_follow`
 *      when it exists (created FOR ALL TABLES by --create-publication), else test_decoding. A
 *      publication must be FOR ALL TABLES and publish insert, update, delete and truncate:
 *      anything narrower would hide writes, so it is refused. The follower does not create
 *      one unasked: a publication that publishes updates makes PostgreSQL refuse UPDATE and
 *      DELETE on every table without a replica identity (no primary key), which would change
 *      what the applications see. test_decoding needs nothing of the tables. Every probe
 *      (below) also reads the publication's oid and xmin: once it was altered, renamed or
 *      dropped the probes prove nothing, and the run ends (reconnecting checks it again);
 *   3. make sure DDL is visible: the event trigger `capacitor_follow_ddl` (installed when we
 *      may) emits a transactional logical message `capacitor` for every DDL command, which
 *      becomes a bump of everything. Without it, DDL that changes no rows (RENAME, DROP, ALTER)
 *      is not seen, which the log says once per connect;
 *   4. CREATE_REPLICATION_SLOT ... TEMPORARY (dropped by the server with the connection), then
 *      bump everything, then START_REPLICATION from the slot's consistent point;
 *   5. apply the CopyData stream: XLogData ('w') carrying pgoutput messages, or test_decoding
 *      text lines; keepalives ('k'). A change bumps its table at once, and every table of the
 *      transaction is bumped again at its COMMIT (once per table per transaction). Streamed
 *      in-progress transactions (protocol 2, PostgreSQL 14+) are bumped as they stream, and
 *      again at their stream commit. Every 100 ms we send a standby status update that
 *      confirms everything received (so the slot never holds WAL) and asks for a reply; the
 *      reply proves the stream current and refreshes the heartbeat.
 *
 * Inheritance and partitions: a write to a child changes what a read of any ancestor returns,
 * and pgoutput names the leaf. A second, ordinary connection looks the ancestors of each
 * relation up once (pg_inherits, recursively) and each change bumps them all; a DDL message
 * forgets every lookup. A relation that cannot be looked up bumps everything.
 */
#include "tools/follow_pg.h"
#include "tools/follow_pg_int.h"
#include "cache/cap.h"
#include "tools/cmd.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATUS_EVERY_NS 100000000ull

static int stream(pg_run *pr)
{
	cap_fw *fw = pr->fw;
	uint64_t last_status = 0, last_word = cap_precise_ns();
	int sock = PQsocket(pr->repl);
	while (!*fw->stop) {
		for (;;) {
			char *buf = NULL;
			int n = PQgetCopyData(pr->repl, &buf, 1);
			if (n == 0)
				break;
			if (n == -1) {
				PGresult *res = PQgetResult(pr->repl);
				const char *why = res ? PQresultErrorMessage(res) : "";
				cap_fw_fail(fw, "the server ended the stream%s%s", why[0] ? ": " : "",
					    why[0] ? why : "");
				PQclear(res);
				return -1;
			}
			if (n < 0)
				return cap_fw_fail(fw, "%s", PQerrorMessage(pr->repl));
			last_word = cap_precise_ns();
			int rc = cap_fwpg_copy(pr, (const unsigned char *)buf, n);
			PQfreemem(buf);
			if (rc < 0)
				return -1;
		}
		uint64_t now = cap_precise_ns();
		if (now - last_status >= STATUS_EVERY_NS) {
			cap_fwpg_probe(pr);
			if (cap_fwpg_status(pr, 1) < 0)
				return -1;
			last_status = now;
		}
		if (now - last_word > fw->timeout_ns)
			return cap_fw_fail(fw, "no word from the server for %llu s",
					   (unsigned long long)(fw->timeout_ns / 1000000000ull));
		struct pollfd pfd[2] = { { sock, POLLIN, 0 }, { -1, POLLIN, 0 } };
		if (pr->inflight_t && pr->meta)
			pfd[1].fd = PQsocket(pr->meta);
		int pr_rc = poll(pfd, 2, 20);
		if (pr_rc < 0 && errno != EINTR)
			return cap_fw_fail(fw, "poll: %s", strerror(errno));
		if (pr_rc > 0 && pfd[0].revents && !PQconsumeInput(pr->repl))
			return cap_fw_fail(fw, "%s", PQerrorMessage(pr->repl));
		if (cap_fwpg_probe_collect(pr, 0) && cap_fwpg_status(pr, 1) < 0)
			return -1;
		if (pr->pub_changed)
			return cap_fw_fail(fw, "publication %s changed (altered, renamed or dropped): "
					   "writes may no longer be streamed",
					   pr->fw->publication ? pr->fw->publication : PUB_DEFAULT);
	}
	return 0;
}

int cap_fw_pg_run(cap_fw *fw)
{
	pg_run pr;
	memset(&pr, 0, sizeof(pr));
	pr.fw = fw;
	pr.probes = -1;
	int rc = -1;
	char err[256], pub[128], slot[64], sql[512], pos[32];
	pr.repl = cap_fwpg_connect(fw->uri, 1);
	if (PQstatus(pr.repl) != CONNECTION_OK) {
		cap_fw_fail(fw, "connect: %s", PQerrorMessage(pr.repl));
		goto out;
	}
	PGresult *r = cap_fwpg_exec(pr.repl, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL || PQntuples(r) < 1 || PQnfields(r) < 4) {
		cap_fw_fail(fw, "IDENTIFY_SYSTEM: %s", r ? "unexpected answer" : err);
		PQclear(r);
		goto out;
	}
	char sysid[64];
	snprintf(sysid, sizeof(sysid), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	/* sessions match on the database's oid and the server's start, as the library reads
	 * them (hooks/pq.c): a copy of the cluster shares its system_identifier and oids */
	r = cap_fwpg_exec(pr.repl, "SELECT d.oid, d.datname, " CAP_FOLLOW_PG_START_SQL
		      " FROM pg_catalog.pg_database d WHERE "
		      "d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()",
		      PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL || PQntuples(r) != 1 || PQnfields(r) != 3 || PQgetisnull(r, 0, 2)) {
		cap_fw_log("WARNING: cannot read the database's oid (%s): programs with "
			   "CAPACITOR_FOLLOW cannot match this follower (it still invalidates)",
			   r ? "unexpected answer" : err);
		cap_fw_identity(fw, "postgresql", sysid, "", NULL, "");
	} else {
		char server[160];
		snprintf(server, sizeof(server), CAP_FOLLOW_PG_SERVER_FMT, sysid,
			 PQgetvalue(r, 0, 2));
		cap_fw_identity(fw, "postgresql", sysid, PQgetvalue(r, 0, 1), server,
				PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	if (cap_fwpg_choose_output(&pr, pub, sizeof(pub)) < 0)
		goto out;
	pr.use_pgoutput = pub[0] != '\0';
	cap_fwpg_ddl_trigger(&pr);

	snprintf(slot, sizeof(slot), "capacitor_%ld_%08x", (long)getpid(),
		 (unsigned)(cap_precise_ns() & 0xffffffffu));
	snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT %s TEMPORARY LOGICAL %s NOEXPORT_SNAPSHOT",
		 slot, pr.use_pgoutput ? "pgoutput" : "test_decoding");
	r = cap_fwpg_exec(pr.repl, sql, PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL || PQntuples(r) < 1 || PQnfields(r) < 2) {
		cap_fw_fail(fw, "CREATE_REPLICATION_SLOT: %s", r ? "unexpected answer" : err);
		PQclear(r);
		goto out;
	}
	snprintf(pos, sizeof(pos), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	/* The slot sees every transaction that commits from here on; everything before it is
	 * covered by this bump. A publication changed since it was chosen may hide some. */
	if (pr.use_pgoutput) {
		r = cap_fwpg_exec(pr.repl, pr.pub_q, PGRES_TUPLES_OK, err, sizeof(err));
		int same = r && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), pr.pub_stamp) == 0;
		PQclear(r);
		if (!same) {
			cap_fw_fail(fw, "publication %s changed while connecting", pub);
			goto out;
		}
	}
	cap_fw_bump_all(fw, "connected");

	if (pr.use_pgoutput) {
		char *ident = PQescapeIdentifier(pr.repl, pub, strlen(pub));
		if (ident == NULL) {
			cap_fw_fail(fw, "PQescapeIdentifier: %s", PQerrorMessage(pr.repl));
			goto out;
		}
		int v14 = PQserverVersion(pr.repl) >= 140000;
		/* publication_names is a list of identifiers inside a string literal */
		char names[300], *o = names;
		for (const char *s = ident; *s && o < names + sizeof(names) - 2; s++) {
			if (*s == '\'')
				*o++ = '\'';
			*o++ = *s;
		}
		*o = '\0';
		PQfreemem(ident);
		snprintf(sql, sizeof(sql),
			 "START_REPLICATION SLOT %s LOGICAL 0/0 (proto_version '%s'%s, "
			 "publication_names '%s')",
			 slot, v14 ? "2" : "1", v14 ? ", streaming 'on', messages 'true'" : "", names);
	} else {
		snprintf(sql, sizeof(sql),
			 "START_REPLICATION SLOT %s LOGICAL 0/0 (\"include-xids\" '0', "
			 "\"skip-empty-xacts\" '1'%s)", slot,
			 PQserverVersion(pr.repl) >= 140000 ? ", \"stream-changes\" '1'" : "");
	}
	r = PQexec(pr.repl, sql);
	if (PQresultStatus(r) != PGRES_COPY_BOTH) {
		snprintf(err, sizeof(err), "%s", PQresultErrorMessage(r));
		cap_fw_fail(fw, "START_REPLICATION: %s", err);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	PQsetnonblocking(pr.repl, 1);
	cap_fw_streaming(fw, pos);
	rc = stream(&pr);
out:
	PQfinish(pr.repl);
	if (pr.meta)
		PQfinish(pr.meta);
	cap_fwpg_forget_ancestors(&pr);
	cap_fwpg_rels_free(&pr);
	return rc;
}

/* ------------------------------------------------------------------ --check */

int cap_fw_pg_check(const char *uri, const char *publication)
{
	int problems = 0;
	PGconn *c = cap_fwpg_connect(uri, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		printf("cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return CAP_EXIT_FAIL;
	}
	PGresult *r = PQexec(c, "SELECT current_setting('wal_level'), "
				"current_setting('max_replication_slots')::int, "
				"current_setting('max_wal_senders')::int, "
				"(SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user), "
				"(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), current_user, "
				"current_database(), "
				"(SELECT count(*) FROM pg_event_trigger WHERE evtname = '" DDL_TRIGGER "'), "
				"(SELECT count(*) FROM pg_publication WHERE pubname = '" PUB_DEFAULT "')");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("cannot read the settings: %s", PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
		return CAP_EXIT_FAIL;
	}
	const char *wal = PQgetvalue(r, 0, 0), *user = PQgetvalue(r, 0, 5);
	int slots = atoi(PQgetvalue(r, 0, 1)), senders = atoi(PQgetvalue(r, 0, 2));
	int repl = strcmp(PQgetvalue(r, 0, 3), "t") == 0, super = strcmp(PQgetvalue(r, 0, 4), "t") == 0;
	int trig = atoi(PQgetvalue(r, 0, 7)), pubs = atoi(PQgetvalue(r, 0, 8));
	printf("PostgreSQL %d, database %s, user %s\n", PQserverVersion(c), PQgetvalue(r, 0, 6), user);
	if (strcmp(wal, "logical") != 0) {
		problems++;
		printf("PROBLEM: wal_level is %s; logical decoding needs logical.\n"
		       "  fix: ALTER SYSTEM SET wal_level = logical; then restart the server\n", wal);
	}
	if (slots < 1 || senders < 1) {
		problems++;
		printf("PROBLEM: max_replication_slots = %d, max_wal_senders = %d; each follower needs "
		       "one of each.\n  fix: ALTER SYSTEM SET max_replication_slots = 10; ALTER SYSTEM "
		       "SET max_wal_senders = 10; then restart\n", slots, senders);
	}
	if (!repl) {
		problems++;
		printf("PROBLEM: role %s lacks the REPLICATION attribute.\n"
		       "  fix: ALTER ROLE %s REPLICATION;\n", user, user);
	}
	if (publication == NULL && pubs == 0)
		printf("note: no publication " PUB_DEFAULT ": the follower uses test_decoding (fine).\n"
		       "  pgoutput is used with CREATE PUBLICATION " PUB_DEFAULT " FOR ALL TABLES;\n"
		       "  but then UPDATE and DELETE fail on tables without a primary key or replica "
		       "identity.\n");
	if (trig == 0 && !super) {
		problems++;
		printf("PROBLEM: event trigger " DDL_TRIGGER " is missing and %s cannot install it: "
		       "DDL that changes no rows\n  (RENAME, DROP, ALTER) would not be seen.\n"
		       "  fix (as a superuser, in database %s):\n"
		       "    CREATE FUNCTION public." DDL_TRIGGER "() RETURNS event_trigger LANGUAGE "
		       "plpgsql AS\n      $$BEGIN PERFORM pg_logical_emit_message(true, '" MSG_PREFIX
		       "', tg_tag); END$$;\n"
		       "    CREATE EVENT TRIGGER " DDL_TRIGGER " ON ddl_command_end EXECUTE FUNCTION "
		       "public." DDL_TRIGGER "();\n", user, PQgetvalue(r, 0, 6));
	}
	PQclear(r);
	PQfinish(c);
	if (problems == 0) {
		PGconn *rc = cap_fwpg_connect(uri, 1);
		if (PQstatus(rc) != CONNECTION_OK) {
			problems++;
			printf("PROBLEM: a replication connection is refused: %s"
			       "  fix: allow it in pg_hba.conf (a line for database `replication` does "
			       "not cover logical;\n  the database's own lines do), then SELECT "
			       "pg_reload_conf();\n", PQerrorMessage(rc));
		}
		PQfinish(rc);
	}
	if (problems == 0)
		printf("ok: this server can be followed\n");
	return problems ? CAP_EXIT_FAIL : CAP_EXIT_OK;
}

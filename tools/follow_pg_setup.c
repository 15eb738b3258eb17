/*
 * follow_pg_setup.c - the PostgreSQL server's side of following: which output to stream (a
 * publication that publishes every write of every table, else test_decoding), the DDL event
 * trigger that makes DDL visible in the stream, and `capacitor follow --check`, which reports
 * what the server lacks for all of it. Apart from the run because it reads and writes the
 * server's catalogs rather than the stream; follow_pg.c says why each choice is safe.
 */
#include "tools/follow_pg_int.h"
#include "cache/cap.h"
#include "tools/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DDL_TRIGGER "capacitor_follow_ddl"

/* cap_fwpg_choose_output - the publication to stream (into pub), or "" for test_decoding. */
int cap_fwpg_choose_output(pg_run *pr, char *pub, size_t cap)
{
	cap_fw *fw = pr->fw;
	if (fw->test_decoding) {
		pub[0] = '\0';
		return 0;
	}
	const char *want = fw->publication ? fw->publication : PUB_DEFAULT;
	char *lit = PQescapeLiteral(pr->repl, want, strlen(want));
	if (lit == NULL)
		return cap_fw_fail(fw, "PQescapeLiteral: %s", PQerrorMessage(pr->repl));
	char sql[600], err[256];
	/* its stamp, which the probes compare (cap_fwpg_probe_collect) */
	snprintf(pr->pub_q, sizeof(pr->pub_q),
		 "SELECT p.oid::pg_catalog.text OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) "
		 "p.xmin::pg_catalog.text FROM pg_catalog.pg_publication p WHERE p.pubname "
		 "OPERATOR(pg_catalog.=) %s", lit);
	/* publish_via_partition_root reports a partition's changes as its root's: a read of the
	 * partition itself would not be bumped */
	snprintf(sql, sizeof(sql),
		 "SELECT puballtables AND pubinsert AND pubupdate AND pubdelete AND pubtruncate%s, "
		 "(%s) FROM pg_publication WHERE pubname = %s",
		 PQserverVersion(pr->repl) >= 130000 ? " AND NOT pubviaroot" : "", pr->pub_q, lit);
	PQfreemem(lit);
	PGresult *r = cap_fwpg_exec(pr->repl, sql, PGRES_TUPLES_OK, err, sizeof(err));
	if (r == NULL)
		return cap_fw_fail(fw, "reading pg_publication: %s", err);
	int have = PQntuples(r) == 1, full = have && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (have)
		snprintf(pr->pub_stamp, sizeof(pr->pub_stamp), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	if (have && !full)
		return cap_fw_fail(fw, "publication %s is not FOR ALL TABLES publishing insert, "
				   "update, delete, truncate, not via partition root: writes would be "
				   "missed", want);
	if (!have && fw->publication)
		return cap_fw_fail(fw, "publication %s does not exist", want);
	if (!have && !fw->create_publication) {
		pub[0] = '\0';
		return 0;
	}
	if (!have) {
		r = cap_fwpg_exec(pr->repl, "CREATE PUBLICATION " PUB_DEFAULT " FOR ALL TABLES",
			      PGRES_COMMAND_OK, err, sizeof(err));
		if (r == NULL) {
			cap_fw_log("cannot create publication " PUB_DEFAULT " (%s); using test_decoding",
				   err);
			pub[0] = '\0';
			return 0;
		}
		PQclear(r);
		cap_fw_log("created publication " PUB_DEFAULT " FOR ALL TABLES");
		r = cap_fwpg_exec(pr->repl, pr->pub_q, PGRES_TUPLES_OK, err, sizeof(err));
		if (r == NULL || PQntuples(r) != 1) {
			cap_fw_fail(fw, "reading pg_publication: %s", r ? "no row" : err);
			PQclear(r);
			return -1;
		}
		snprintf(pr->pub_stamp, sizeof(pr->pub_stamp), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	snprintf(pub, cap, "%s", want);
	return 0;
}

void cap_fwpg_ddl_trigger(pg_run *pr)
{
	char err[256];
	PGresult *r = cap_fwpg_exec(pr->repl, "SELECT 1 FROM pg_event_trigger WHERE evtname = '"
				DDL_TRIGGER "' AND evtenabled <> 'D'", PGRES_TUPLES_OK, err,
				sizeof(err));
	int have = r && PQntuples(r) > 0;
	PQclear(r);
	if (have)
		return;
	r = cap_fwpg_exec(pr->repl,
		      "CREATE OR REPLACE FUNCTION public." DDL_TRIGGER "() RETURNS event_trigger "
		      "LANGUAGE plpgsql AS $$BEGIN PERFORM pg_logical_emit_message(true, '"
		      MSG_PREFIX "', tg_tag); END$$;"
		      "CREATE EVENT TRIGGER " DDL_TRIGGER " ON ddl_command_end "
		      "EXECUTE FUNCTION public." DDL_TRIGGER "()",
		      PGRES_COMMAND_OK, err, sizeof(err));
	if (r == NULL) {
		cap_fw_log("WARNING: cannot install event trigger " DDL_TRIGGER " (%s): DDL that "
			   "changes no rows (RENAME, DROP, ALTER) is not seen; a superuser can "
			   "install it with `capacitor follow --check` instructions", err);
		return;
	}
	PQclear(r);
	cap_fw_log("installed event trigger " DDL_TRIGGER);
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

/*
 * follow_pg_setup.c - the PostgreSQL server's side of following: which output to stream (a
 * publication that publishes every write of every table, else test_decoding) and the DDL
 * event trigger that makes DDL visible in the stream. Apart from the run because it reads and
 * writes the server's catalogs rather than the stream; follow_pg.c says why each choice is
 * safe (and its --check reports what the server lacks for them).
 */
#include "tools/follow_pg_int.h"
#include "cache/cap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

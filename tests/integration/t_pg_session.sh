#!/bin/bash
# t_pg_session - the session state is the server's, not a guess from the text: after a change
# the text cannot prove (RESET ALL after SET ROLE, a SET inside a multi-statement string, inside
# a transaction that rolls back or with SET LOCAL, in pipeline mode, through pg_settings, a
# STABLE function, a trigger or an event trigger calling set_config), with role and database
# defaults (ALTER ROLE / ALTER DATABASE ... SET), after cluster-wide changes made in another
# database (REVOKE), for a database dropped and created again under its name, for a role that
# may not read the cluster's identity, and for the isolation level (an old REPEATABLE READ
# snapshot must never be stored as current), after a configuration reload made outside, and
# for prepared statement names prepared again, every connection gets what the server would give.
# Each scenario is a script of tests/clients/pq_session (several connections in one process)
# run without and with Capacitor after the same setup; the outputs must be identical. The
# probe that reads the state back must stay invisible: the unnamed prepared statement of the
# program survives it (PQdescribePrepared / PQexecPrepared of "").
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_session
[ -x "$client" ] || fail "$client not built (make clients)"

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
PSQL="$CAP_PG_BIN/psql -X -q -v ON_ERROR_STOP=1"
LIB=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
failures=0

setup() { # through the library, so that the cache forgets what earlier runs cached
	"${LIB[@]}" $PSQL >/dev/null <<'SQL'
SET client_min_messages = warning;
GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC;
DROP EVENT TRIGGER IF EXISTS ss_evt;
DROP DATABASE IF EXISTS ss_db;
DROP DATABASE IF EXISTS ss_tpl;
DROP DATABASE IF EXISTS ss_other;
DROP TABLE IF EXISTS ss_secret, ss_bin, ss_iso, ss_log, ss_trig, ss_ddl, public.ss_t;
DROP SCHEMA IF EXISTS ss1, ss2 CASCADE;
DROP FUNCTION IF EXISTS ss_setpath(), ss_trigfn(), ss_evtfn();
DROP ROLE IF EXISTS ss_lesser, ss_u, ss_r;
CREATE ROLE ss_lesser;
CREATE ROLE ss_r;
CREATE ROLE ss_u LOGIN;
GRANT ss_r TO ss_u;
GRANT ss_lesser TO ss_u;
CREATE TABLE ss_secret (x int);
INSERT INTO ss_secret VALUES (42);
GRANT SELECT ON ss_secret TO ss_r;
CREATE SCHEMA ss1;
CREATE SCHEMA ss2;
CREATE TABLE public.ss_t (v text);
CREATE TABLE ss1.ss_t (v text);
CREATE TABLE ss2.ss_t (v text);
INSERT INTO public.ss_t VALUES ('public');
INSERT INTO ss1.ss_t VALUES ('one');
INSERT INTO ss2.ss_t VALUES ('two');
GRANT USAGE ON SCHEMA ss1, ss2 TO PUBLIC;
GRANT SELECT ON public.ss_t, ss1.ss_t, ss2.ss_t TO PUBLIC;
CREATE TABLE ss_bin (b bytea);
INSERT INTO ss_bin VALUES ('\x0102');
CREATE TABLE ss_log (x int);
CREATE TABLE ss_iso (id int PRIMARY KEY, v int);
INSERT INTO ss_iso VALUES (1, 1);
GRANT SELECT, UPDATE ON ss_iso TO PUBLIC;
CREATE FUNCTION ss_setpath() RETURNS text STABLE LANGUAGE plpgsql
	AS $$ BEGIN PERFORM set_config('search_path', 'ss2', false); RETURN 'set'; END $$;
CREATE FUNCTION ss_trigfn() RETURNS trigger LANGUAGE plpgsql
	AS $$ BEGIN PERFORM set_config('search_path', 'ss2', false); RETURN NEW; END $$;
CREATE TABLE ss_trig (x int);
CREATE TRIGGER ss_trig_set BEFORE INSERT ON ss_trig FOR EACH ROW EXECUTE FUNCTION ss_trigfn();
CREATE FUNCTION ss_evtfn() RETURNS event_trigger LANGUAGE plpgsql
	AS $$ BEGIN PERFORM set_config('search_path', 'ss1', false); END $$;
CREATE DATABASE ss_tpl;
CREATE DATABASE ss_other;
SQL
	"${LIB[@]}" $PSQL -d ss_tpl -c "CREATE TABLE ss_t (v text); INSERT INTO ss_t VALUES ('new')"
	"${LIB[@]}" $PSQL -c "CREATE DATABASE ss_db"
	"${LIB[@]}" $PSQL -d ss_db -c "CREATE TABLE ss_t (v text); INSERT INTO ss_t VALUES ('old')"
}

# run NAME - the script $d/NAME.in without and with the library after a fresh setup; compare
run() {
	local name=$1
	setup
	env -u LD_PRELOAD "$client" <"$d/$name.in" >"$d/$name.off" 2>&1 || true
	setup
	"${LIB[@]}" "$client" <"$d/$name.in" >"$d/$name.on" 2>&1 || true
	if cmp -s "$d/$name.off" "$d/$name.on"; then
		echo "ok   $name"
	else
		echo "FAIL $name: output with Capacitor differs:"
		diff -u --label without --label with "$d/$name.off" "$d/$name.on" | head -n 30 | sed 's/^/    /' || true
		failures=$((failures + 1))
	fi
}

# 1. RESET ALL keeps the role (role is not reset by RESET ALL); SET ROLE inside one string
cat >"$d/roles.in" <<'EOF'
connect a dbname=capacitor user=ss_u
exec a SELECT x FROM ss_secret
exec a SET ROLE ss_lesser
exec a RESET ALL
exec a SELECT current_user
exec a SELECT x FROM ss_secret
exec a RESET ROLE
exec a SELECT x FROM ss_secret
exec a BEGIN; SET ROLE ss_lesser; COMMIT
exec a SELECT x FROM ss_secret
exec a RESET ROLE
exec a SELECT x FROM ss_secret
exec a DISCARD ALL
exec a SELECT x FROM ss_secret
EOF
run roles

# 2. settings changed where the text cannot prove the outcome
cat >"$d/settings.in" <<'EOF'
connect a dbname=capacitor
connect b dbname=capacitor
exec a SELECT v FROM ss_t
exec a BEGIN; SET search_path = ss1; COMMIT
exec a SELECT v FROM ss_t
exec b SELECT v FROM ss_t
exec b SELECT b FROM ss_bin
exec a INSERT INTO ss_log VALUES (1); SET bytea_output = escape
exec a SELECT b FROM ss_bin
exec b SELECT b FROM ss_bin
exec a RESET ALL
exec a SELECT v FROM ss_t
exec a SELECT b FROM ss_bin
exec a UPDATE pg_settings SET setting = 'ss2' WHERE name = 'search_path'
exec a SELECT v FROM ss_t
exec a RESET ALL
exec a SELECT v FROM ss_t
pipe a SET search_path = ss1 ;; SELECT 1
exec a SELECT v FROM ss_t
exec a RESET ALL
exec a SELECT v FROM ss_t
exec a BEGIN
exec a SET LOCAL search_path = ss1
exec a SELECT v FROM ss_t
exec a COMMIT
exec a SELECT v FROM ss_t
exec a BEGIN
exec a SET search_path = ss1
exec a SELECT v FROM ss_t
exec a ROLLBACK
exec a SELECT v FROM ss_t
exec a SELECT ss_setpath()
exec a SELECT v FROM ss_t
exec b SELECT v FROM ss_t
exec a RESET ALL
exec a SELECT v FROM ss_t
exec a INSERT INTO ss_trig VALUES (1)
exec a SELECT v FROM ss_t
exec b SELECT v FROM ss_t
EOF
run settings

# code the statement does not name: a trigger, an event trigger on DDL
cat >"$d/trigger.in" <<'EOF'
connect a dbname=capacitor
connect b dbname=capacitor
exec b SELECT v FROM ss_t
exec a SELECT v FROM ss_t
exec a INSERT INTO ss_trig VALUES (1)
exec a SELECT v FROM ss_t
exec b SELECT v FROM ss_t
EOF
run trigger
cat >"$d/evtrigger.in" <<'EOF'
connect adm dbname=capacitor
connect a dbname=capacitor
connect b dbname=capacitor
exec adm CREATE EVENT TRIGGER ss_evt ON ddl_command_end EXECUTE FUNCTION ss_evtfn()
exec a SELECT v FROM ss_t
exec a CREATE TABLE ss_ddl (x int)
exec a SELECT v FROM ss_t
exec b SELECT v FROM ss_t
exec adm DROP EVENT TRIGGER ss_evt
EOF
run evtrigger

# the probe leaves the program's unnamed prepared statement alone
cat >"$d/unnamed.in" <<'EOF'
connect a dbname=capacitor
exec a SELECT v FROM ss_t
params a SELECT set_config('search_path', 'ss1', false), 1 AS one, 2 AS two
describe a
prepare a SELECT v, 3 AS three FROM ss_t
execunnamed a
describe a
execunnamed a
exec a SELECT v FROM ss_t
params a SELECT set_config('search_path', 'ss2', false), 1 AS one, 2 AS two
execunnamed a
describe a
params a SELECT v FROM ss_t
describe a
exec a SELECT v FROM ss_t
params a SELECT set_config('search_path', 'ss2', false), 1 AS one
exec a SELECT v FROM ss_t
EOF
run unnamed

# 3. role defaults, taken when each connection logs in
cat >"$d/defaults.in" <<'EOF'
connect adm dbname=capacitor
connect a dbname=capacitor user=ss_u
exec adm ALTER ROLE ss_u SET search_path = ss2
connect b dbname=capacitor user=ss_u
exec a SELECT v FROM ss_t
exec b SELECT v FROM ss_t
exec a SELECT v FROM ss_t
exec adm ALTER ROLE ss_u RESET search_path
connect c dbname=ss_db
exec adm ALTER DATABASE ss_db SET bytea_output = escape
connect d dbname=ss_db
exec c SELECT '\x0102'::bytea
exec d SELECT '\x0102'::bytea
exec c SELECT '\x0102'::bytea
EOF
run defaults

# 4. a membership revoked from another database
cat >"$d/revoke.in" <<'EOF'
connect u dbname=capacitor user=ss_u
exec u SELECT x FROM ss_secret
connect o dbname=ss_other
exec o REVOKE ss_r FROM ss_u
exec u SELECT x FROM ss_secret
exec o GRANT ss_r TO ss_u
exec u SELECT x FROM ss_secret
exec o BEGIN
exec o REVOKE ss_r FROM ss_u
exec u SELECT x FROM ss_secret
exec o COMMIT
exec u SELECT x FROM ss_secret
EOF
run revoke

# 6. a database dropped and created again under its name
cat >"$d/recreate.in" <<'EOF'
connect adm dbname=capacitor
connect d dbname=ss_db
exec d SELECT v FROM ss_t
finish d
exec adm DROP DATABASE ss_db
exec adm CREATE DATABASE ss_db TEMPLATE ss_tpl
connect d2 dbname=ss_db
exec d2 SELECT v FROM ss_t
EOF
run recreate

# a role that may not read the cluster's identity is served by the server
cat >"$d/noident.in" <<'EOF'
connect adm dbname=capacitor
exec adm REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC
connect u dbname=capacitor user=ss_u
exec u SELECT v FROM ss_t
exec u SELECT v FROM ss_t
exec adm UPDATE ss_t SET v = 'changed'
exec u SELECT v FROM ss_t
exec adm GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC
EOF
run noident

# 5. isolation levels: a REPEATABLE READ snapshot taken for READ COMMITTED would be stored as
# current; c (a fresh connection) must see the committed update
iso_case() { # iso_case NAME SETUP-LINES...: a runs SETUP, then an RR-or-not transaction
	local name=$1
	shift
	{
		echo "connect a dbname=capacitor"
		echo "connect w dbname=capacitor"
		printf '%s\n' "$@"
		echo "exec a BEGIN"
		echo "exec a SELECT v FROM ss_iso WHERE id = 1"
		echo "exec w UPDATE ss_iso SET v = v + 1 WHERE id = 1"
		echo "exec a SELECT v FROM ss_iso WHERE id = 1"
		echo "exec a COMMIT"
		echo "connect c dbname=capacitor"
		echo "exec c SELECT v FROM ss_iso WHERE id = 1"
		echo "exec a SELECT v FROM ss_iso WHERE id = 1"
	} >"$d/$name.in"
	run "$name"
}
iso_case iso_rollback "exec a SET default_transaction_isolation = 'repeatable read'" \
	"exec a BEGIN" "exec a SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED" \
	"exec a ROLLBACK"
iso_case iso_session_txn "exec a SET default_transaction_isolation = 'repeatable read'" \
	"exec a SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"
iso_case iso_local "exec a SET default_transaction_isolation = 'repeatable read'" \
	"exec a BEGIN" "exec a SET LOCAL default_transaction_isolation = 'read committed'" \
	"exec a COMMIT"
iso_case iso_pipeline "exec a SET default_transaction_isolation = 'read committed'" \
	"pipe a SET default_transaction_isolation = 'repeatable read' ;; SELECT 1" "exec a SELECT 2"
iso_case iso_multi "exec a SET default_transaction_isolation = 'repeatable read'" \
	"exec a BEGIN; SET default_transaction_isolation = 'read committed'; ROLLBACK"
# a role default changed after login: the session keeps the one it logged in with
{
	echo "connect adm dbname=capacitor"
	echo "exec adm ALTER ROLE ss_u SET default_transaction_isolation = 'repeatable read'"
	echo "connect a dbname=capacitor user=ss_u"
	echo "exec adm ALTER ROLE ss_u RESET default_transaction_isolation"
	echo "connect w dbname=capacitor"
	echo "exec a BEGIN"
	echo "exec a SELECT v FROM ss_iso WHERE id = 1"
	echo "exec w UPDATE ss_iso SET v = v + 1 WHERE id = 1"
	echo "exec a SELECT v FROM ss_iso WHERE id = 1"
	echo "exec a COMMIT"
	echo "connect c dbname=capacitor user=ss_u"
	echo "exec c SELECT v FROM ss_iso WHERE id = 1"
} >"$d/iso_role.in"
run iso_role

# 7. a configuration reload made without Capacitor (ALTER SYSTEM, pg_reload_conf()): the
# server applies it before the next statement it runs; a reported setting that moved (TimeZone)
# makes the connection read the whole state back, search_path (not reported) included
OUTSIDE="env -u LD_PRELOAD $CAP_PG_BIN/psql -X -q -o /dev/null"
cat >"$d/reload.in" <<EOF
connect a dbname=capacitor
exec a SELECT v FROM ss_t
exec a SELECT v FROM ss_t
exec a SELECT '2020-01-01 00:00+00'::timestamptz
exec a SELECT '2020-01-01 00:00+00'::timestamptz
shell - $OUTSIDE -c "ALTER SYSTEM SET search_path = ss1, public" -c "ALTER SYSTEM SET TimeZone = 'Asia/Tokyo'" -c "SELECT pg_reload_conf()"; sleep 0.5
exec a INSERT INTO ss_log VALUES (7)
exec a SELECT v FROM ss_t
exec a SELECT '2020-01-01 00:00+00'::timestamptz
exec a SHOW search_path
shell - $OUTSIDE -c "ALTER SYSTEM RESET search_path" -c "ALTER SYSTEM RESET TimeZone" -c "SELECT pg_reload_conf()"; sleep 0.5
exec a INSERT INTO ss_log VALUES (8)
exec a SELECT v FROM ss_t
exec a SELECT '2020-01-01 00:00+00'::timestamptz
EOF
run reload

# 9. in REPEATABLE READ, a Parse (PQprepare) takes the transaction's snapshot: the execute
# after it reads that snapshot, not the latest data, and must not be stored (another
# connection would get the row from before a commit it must see)
cat >"$d/prepsnap.in" <<EOF
connect a dbname=capacitor
exec a BEGIN ISOLATION LEVEL REPEATABLE READ
prepare a SELECT v FROM ss_iso WHERE id = 1
shell - $CAP_PG_BIN/psql -X -q -o /dev/null -c "UPDATE ss_iso SET v = v + 1 WHERE id = 1"
execunnamed a
exec a COMMIT
connect c dbname=capacitor
prepare c SELECT v FROM ss_iso WHERE id = 1
execunnamed c
params c SELECT v FROM ss_iso WHERE id = 1
exec c SELECT v FROM ss_iso WHERE id = 1
EOF
run prepsnap

# 8. the read-back runs under its own time limits: a program's statement_timeout of 1 ms cancels
# (almost) none of them (before, most were canceled, and the program sometimes got the cancel as
# its own statement's error); the server's log tells which statements it canceled
log=$CAP_PG_HOST/postgres.log
if [ -r "$log" ]; then
	{
		echo "SET statement_timeout = '1ms';"
		for i in $(seq 100); do
			echo "SELECT set_config('application_name', 'x$i', false);"
			echo "SELECT v FROM ss_t;"
		done
	} >"$d/timeout.sql"
	n0=$(wc -l <"$log")
	"${LIB[@]}" "$CAP_PG_BIN/psql" -X -q -o /dev/null -f "$d/timeout.sql" >"$d/timeout.on" 2>&1 || true
	canceled=$(tail -n +$((n0 + 1)) "$log" | grep -A1 'canceling statement due to statement timeout' |
		grep -c 'system_identifier' || true)
	# the read-back's first statement (set_config, microseconds) still runs under the
	# program's 1 ms: a loaded machine may stall one of them that long
	if [ "$canceled" -le 2 ]; then echo "ok   timeout: $canceled of 100 read-backs canceled"; else
		echo "FAIL timeout: the program's statement_timeout canceled $canceled read-backs"
		failures=$((failures + 1))
	fi
fi

# 9. prepared statement names: PREPARE and DEALLOCATE change no setting (reads keep their key and
# their hits: DBD::Pg deallocates after every re-prepare), but a name prepared again, in a
# pipeline or in a string of several statements, runs its new text
cat >"$d/prepared_names.in" <<'EOF'
connect a dbname=capacitor
prepnamed a s SELECT 1 AS x
execnamed a s
execnamed a s
pipe a DEALLOCATE s ;; PREPARE s AS SELECT 2 AS x
execnamed a s
execnamed a s
exec a DEALLOCATE s
exec a PREPARE s AS SELECT 3 AS x
execnamed a s
execnamed a s
pipe a DEALLOCATE ALL ;; SELECT 4 AS x
prepnamed a s SELECT 5 AS x
execnamed a s
exec a PREPARE t AS SELECT 6 AS x; DEALLOCATE s; PREPARE s AS SELECT 7 AS x
execnamed a s
EOF
run prepared_names

[ "$failures" -eq 0 ] || fail "$failures scenario(s) differ with Capacitor"
echo "ok: session state, identity and isolation as the server has them"

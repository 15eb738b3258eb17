#!/bin/bash
# t_pg_functions - what a PostgreSQL statement reaches without naming it is found from the
# catalog, by object: writes hidden behind attribute notation (t.f), a user operator, a view
# over a writing function, UPDATE t SET x = f(x), a column default or a domain check calling a
# writing function, and a user function named like a built-in (public.upper(int)) run every
# time and invalidate what they write; a view over a sequence is never cached; 'now' in any
# spelling (and as a parameter, built by an expression or stored in a column) is never frozen; CREATE TRIGGER inside a transaction reaches
# every process's catalog at COMMIT; a function or DO block that re-PREPAREs a statement name
# is not answered from the cache under the old name; after a PQexecParams hit the unnamed
# statement is still the program's (PQdescribePrepared, PQexecPrepared ""); a LISTENing
# connection gets its notifications; a hit on a closed connection reports it closed; the
# catalog is read without a connection of its own (a role at its connection limit works and
# prints nothing) and without waiting behind another session's lock; a user function in SQL or
# PL/pgSQL labelled IMMUTABLE that calls set_config (by name, through an operator, a cast, an
# index expression, predicate, operator class or exclusion constraint, a generated column, a
# domain's default, a partition key or a row-level security policy of a written table) or
# reads a table is not trusted by its label (a BEGIN ATOMIC body that only computes is).
#
# Most cases run a script once without Capacitor and once with it after the same setup: the
# outputs must be identical.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_funcs
[ -x "$client" ] || fail "$client not built (make clients)"

stat() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get(sys.argv[1], 0))
except Exception: print(0)' "$1"
}

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
conn="-h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $CAP_PG_DB"
PSQL="$CAP_PG_BIN/psql -X -A -t $conn"
DIRECT="env -u LD_PRELOAD $PSQL"
ON="env LD_PRELOAD=$(cap_preload) CAPACITOR_ENABLE=1"
export PGOPTIONS="-c client_min_messages=warning"
failures=0

bad() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# same NAME SETUP-FILE SCRIPT-FILE [psql|client] - run SETUP directly, then SCRIPT without the
# library; SETUP again (through the library, so that it invalidates), SCRIPT twice with it (cold, then warm): outputs and stderr must match.
same() {
	local name=$1 setup=$2 script=$3 runner=${4:-psql} i
	runit() {
		if [ "$runner" = psql ]; then "$@" $PSQL -f "$script"; else "$@" "$client" <"$script"; fi
	}
	$DIRECT -q -f "$setup" >/dev/null 2>&1
	runit env -u LD_PRELOAD >"$d/$name.off" 2>&1
	for i in 1 2; do
		$ON $PSQL -q -f "$setup" >/dev/null 2>&1
		runit $ON >"$d/$name.on$i" 2>&1
		if ! cmp -s "$d/$name.off" "$d/$name.on$i"; then
			bad "$name (run $i): output differs with Capacitor"
			diff -u "$d/$name.off" "$d/$name.on$i" | sed 's/^/    /' | head -40 >&2 || true
			return
		fi
	done
}

# ---- 1. writes reached without naming the function ------------------------------------------
cat >"$d/w.setup" <<'SQL'
DROP TABLE IF EXISTS fl_t, fl_log, fl_d, fl_dd CASCADE;
DROP VIEW IF EXISTS fl_wv;
DROP FUNCTION IF EXISTS fl_bump(fl_t), fl_bump_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx(fl_t), fl_w(), fl_opf(int, int), public.upper(int), fl_chk(int) CASCADE;
DROP DOMAIN IF EXISTS fl_dom;
CREATE TABLE fl_t (a int, x int);
INSERT INTO fl_t VALUES (1, 10), (2, 20);
CREATE TABLE fl_log (n int);
CREATE FUNCTION fl_w() RETURNS int LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO fl_log VALUES (1); RETURN (SELECT count(*) FROM fl_log); END$$;
CREATE FUNCTION fl_bump(fl_t) RETURNS int LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO fl_log VALUES ($1.a); RETURN $1.a; END$$;
CREATE FUNCTION fl_bump_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx(fl_t) RETURNS int LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO fl_log VALUES ($1.a); RETURN $1.a; END$$;
CREATE FUNCTION fl_opf(int, int) RETURNS bool LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO fl_log VALUES ($1); RETURN $1 = $2; END$$;
CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = fl_opf);
CREATE OPERATOR ==# (LEFTARG = int, RIGHTARG = int, FUNCTION = fl_opf);
CREATE FUNCTION public.upper(int) RETURNS int LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO fl_log VALUES ($1); RETURN $1; END$$;
CREATE VIEW fl_wv AS SELECT a, fl_w() AS w FROM fl_t;
CREATE TABLE fl_d (a int, b int DEFAULT fl_w());
CREATE FUNCTION fl_chk(int) RETURNS bool LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO fl_log VALUES ($1); RETURN true; END$$;
CREATE DOMAIN fl_dom AS int CHECK (fl_chk(VALUE));
CREATE TABLE fl_dd (v fl_dom);
SQL
# Each case: count fl_log, then the statement that writes it (twice where a read could be
# answered from the cache), then count again.
wcase() { # wcase NAME STATEMENT [TIMES]
	local n
	{
		echo "SELECT count(*) FROM fl_log;"
		for n in $(seq "${3:-2}"); do echo "$2"; done
		echo "SELECT count(*) FROM fl_log;"
		echo "SELECT count(*) FROM fl_log;"
	} >"$d/w_$1.sql"
	same "writes_$1" "$d/w.setup" "$d/w_$1.sql"
}
wcase attribute "SELECT t.fl_bump FROM fl_t t ORDER BY 1;"
# the text scan passes over a run by its length and first byte: upper case, and a name of
# 63 bytes (the longest there is), must still be seen
wcase attribute_upper "SELECT t.FL_BUMP FROM fl_t t ORDER BY 1;"
wcase attribute_long "SELECT t.Fl_bump_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX FROM fl_t t ORDER BY 1;"
wcase operator "SELECT a FROM fl_t WHERE a === 1;"
# the text is searched once per first byte: a later operator of the same first byte
wcase operator_same_first "SELECT a FROM fl_t WHERE a ==# 1;"
wcase builtin_name "SELECT upper(7);"
wcase view "SELECT a FROM fl_wv ORDER BY a;"
wcase update "UPDATE fl_t SET x = fl_w() WHERE a = 1;" 1
wcase default "INSERT INTO fl_d (a) VALUES (1);" 1
wcase domain_cast "SELECT 5::fl_dom;"
wcase domain_column "INSERT INTO fl_dd VALUES (3);" 1

# ---- 2. sequences through a view ------------------------------------------------------------
cat >"$d/s.setup" <<'SQL'
DROP VIEW IF EXISTS fl_sv;
DROP SEQUENCE IF EXISTS fl_seq;
CREATE SEQUENCE fl_seq;
SELECT nextval('fl_seq');
CREATE VIEW fl_sv AS SELECT last_value FROM fl_seq;
SQL
cat >"$d/s.sql" <<'SQL'
SELECT * FROM fl_sv;
SELECT * FROM fl_sv;
SELECT nextval('fl_seq');
SELECT * FROM fl_sv;
SELECT last_value FROM fl_seq;
SELECT last_value FROM fl_seq;
SELECT nextval('fl_seq');
SELECT last_value FROM fl_seq;
SQL
same sequence "$d/s.setup" "$d/s.sql"

# ---- 3. 'now' in any spelling ----------------------------------------------------------------
# Each spelling is read twice with a pause between: the values must differ, with the library too.
: >"$d/now.sql"
k=0
for lit in "E'now'::timestamptz" "E'n\\157w'::timestamptz" "\$\$now\$\$::timestamptz" \
	"\$x\$now\$x\$::timestamptz" "U&'now'::timestamptz" "U&'\\006Eow'::timestamptz" \
	"'NOW'::timestamptz" "'  now '::timestamptz" "'{now}'::timestamptz[]" \
	"'[now,infinity)'::tstzrange" "N'now'::timestamptz" "timestamptz 'now'"; do
	k=$((k + 1))
	cat >>"$d/now.sql" <<SQL
SELECT ($lit)::text AS x \\gset v_
SELECT pg_sleep(0.02);
SELECT ($lit)::text AS x \\gset w_
SELECT 'changes: ' || (:'v_x' <> :'w_x')::text || ' $k';
SELECT pg_sleep(0.02);
SQL
done
: >"$d/now.setup"
same now "$d/now.setup" "$d/now.sql"
grep -q "changes: false" "$d/now.off" && bad "now: a value did not change even without the library"
# 'now' as a parameter value (PQexecParams)
printf 'params\tSELECT $1::timestamptz::text\tnow\nsleep\t20\nparams\tSELECT $1::timestamptz::text\tnow\n' >"$d/nowp.in"
$ON "$client" <"$d/nowp.in" >"$d/nowp.out" 2>&1
$ON "$client" <"$d/nowp.in" >>"$d/nowp.out" 2>&1
[ "$(grep -c '^    20' "$d/nowp.out" | tr -d ' ')" = 4 ] || bad "nowp: unexpected output: $(cat "$d/nowp.out")"
[ "$(grep '^    20' "$d/nowp.out" | sort -u | wc -l)" = 4 ] || bad "nowp: a 'now' parameter was answered from the cache"

# ---- 4. CREATE TRIGGER inside a transaction ---------------------------------------------------
# A long-lived process reads (its catalog is loaded while the trigger is not committed yet),
# the trigger commits, the process writes the table: the trigger's write must be invalidated.
cat >"$d/tg.setup" <<'SQL'
DROP TABLE IF EXISTS fl_tg, fl_tlog CASCADE;
DROP FUNCTION IF EXISTS fl_tgf() CASCADE;
CREATE TABLE fl_tg (a int);
CREATE TABLE fl_tlog (n int);
CREATE FUNCTION fl_tgf() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO fl_tlog VALUES (NEW.a); RETURN NEW; END$$;
SQL
cat >"$d/tg.ddl" <<'SQL'
BEGIN;
CREATE TRIGGER fl_tgt AFTER INSERT ON fl_tg FOR EACH ROW EXECUTE FUNCTION fl_tgf();
SELECT pg_sleep(1.5);
COMMIT;
SQL
cat >"$d/tg.sql" <<SQL
SELECT count(*) FROM fl_tlog;
SELECT count(*) FROM fl_tlog;
\\! $ON $PSQL -q -f $d/tg.ddl >/dev/null &
SELECT pg_sleep(0.7);
SELECT count(*) FROM fl_tg;
SELECT count(*) FROM fl_tlog;
SELECT pg_sleep(1.8);
SELECT count(*) FROM fl_tlog;
INSERT INTO fl_tg VALUES (1);
SELECT count(*) FROM fl_tlog;
SELECT count(*) FROM fl_tlog;
SQL
same trigger_txn "$d/tg.setup" "$d/tg.sql"

# The same with the trigger created by a DO block (code whose DDL the text does not show).
cat >"$d/tgdo.sql" <<SQL
SELECT count(*) FROM fl_tlog;
SELECT count(*) FROM fl_tg;
SELECT pg_sleep(1.2);
\\! $ON $PSQL -q -c "DO \\\$\\\$BEGIN EXECUTE 'CREATE TRIGGER fl_tgt AFTER INSERT ON fl_tg FOR EACH ROW EXECUTE FUNCTION fl_tgf()'; END\\\$\\\$" >/dev/null
SELECT count(*) FROM fl_tlog;
INSERT INTO fl_tg VALUES (1);
SELECT count(*) FROM fl_tlog;
SELECT count(*) FROM fl_tlog;
SQL
same trigger_do "$d/tg.setup" "$d/tgdo.sql"

# ---- 5. statement names re-prepared behind the hook's back -----------------------------------
cat >"$d/rp.setup" <<'SQL'
DROP TABLE IF EXISTS fl_p;
CREATE TABLE fl_p (a int);
INSERT INTO fl_p VALUES (1), (2), (3);
DROP TABLE IF EXISTS fl_q;
CREATE TABLE fl_q (a int);
INSERT INTO fl_q VALUES (1);
CREATE OR REPLACE FUNCTION fl_reprep(n text) RETURNS int LANGUAGE plpgsql AS
  $$BEGIN EXECUTE 'DEALLOCATE ' || n; EXECUTE 'PREPARE ' || n || ' AS DELETE FROM fl_p WHERE a = 1'; RETURN 1; END$$;
SQL
cat >"$d/rp.in" <<'EOF'
prepare	s1	SELECT count(*) FROM fl_p
execp	s1
execp	s1
exec	SELECT fl_reprep('s1')
execp	s1
prepare	s2	SELECT count(*) FROM fl_p
execp	s2
execp	s2
exec	DO $$BEGIN EXECUTE 'DEALLOCATE s2'; EXECUTE 'PREPARE s2 AS DELETE FROM fl_p WHERE a = 2'; END$$
execp	s2
prepare	s3	SELECT count(*) FROM fl_p
execp	s3
execp	s3
exec	SELECT 1; DEALLOCATE s3; PREPARE s3 AS DELETE FROM fl_p WHERE a = 3
execp	s3
exec	INSERT INTO fl_p VALUES (1), (2), (3)
prepare	s4	SELECT count(*) FROM fl_p
execp	s4
execp	s4
exec	UPDATE fl_q SET a = a WHERE fl_reprep('s4') = 1
execp	s4
exec	SELECT count(*) FROM fl_p
EOF
same reprepare "$d/rp.setup" "$d/rp.in" client

# ---- 6. what the program can observe after a hit ------------------------------------------------
cat >"$d/un.setup" <<'SQL'
DROP TABLE IF EXISTS fl_u;
CREATE TABLE fl_u (a int, b text);
INSERT INTO fl_u VALUES (1, 'one'), (2, 'two');
SQL
cat >"$d/un.in" <<'EOF'
params	SELECT a, b FROM fl_u WHERE a = $1	1
params	SELECT b FROM fl_u WHERE a = $1	2
params	SELECT a, b FROM fl_u WHERE a = $1	1
describe	-
execp	-	2
params	SELECT b FROM fl_u WHERE a = $1	2
params	SELECT a, b FROM fl_u WHERE a = $1	1
senddescribe	-
sendexecp	-	2
prepare	-	SELECT b, a FROM fl_u WHERE a = $1
params	SELECT a, b FROM fl_u WHERE a = $1	1
exec	SELECT count(*) FROM fl_u
execp	-	1
EOF
same unnamed "$d/un.setup" "$d/un.in" client

# LISTEN: the notification sent by another session between two reads arrives with the second.
cat >"$d/ln.in" <<'EOF'
exec	SELECT count(*) FROM fl_u
exec	LISTEN fl_ch
exec	SELECT count(*) FROM fl_u
sleep	1500
exec	SELECT count(*) FROM fl_u
EOF
cat >"$d/ln.run" <<EOF
( sleep 0.7; $DIRECT -q -c "NOTIFY fl_ch, 'hello'" ) &
"$client" <"$d/ln.in"
wait
EOF
$DIRECT -q -f "$d/un.setup" >/dev/null 2>&1
env -u LD_PRELOAD bash "$d/ln.run" >"$d/listen.off" 2>&1
$ON "$client" <"$d/ln.in" >/dev/null 2>&1 # warm the cache
$ON bash "$d/ln.run" >"$d/listen.on" 2>&1
grep -q "notify fl_ch hello" "$d/listen.off" || bad "listen: no notification even without the library"
cmp -s "$d/listen.off" "$d/listen.on" || { bad "listen: output differs"; diff -u "$d/listen.off" "$d/listen.on" >&2 || true; }

# ... but code that might have listened (a volatile function) costs hits only until the server
# says the connection does not listen.
printf 'exec\tSELECT fl_w()\nexec\tSELECT count(*) FROM fl_u\nexec\tSELECT count(*) FROM fl_u\n' >"$d/nl.in"
h0=$(stat hits)
$ON "$client" <"$d/nl.in" >"$d/nl.out" 2>&1
h1=$(stat hits)
[ "$h1" -gt "$h0" ] || bad "not listening: no hit after a volatile function ($(cat "$d/nl.out"))"

# A hit on a connection libpq knows the server closed reports it closed: another session
# terminates it, a statement finds out, then a read that was cached.
cat >"$d/cl.in" <<'EOF'
exec	SELECT count(*) FROM fl_u
exec	SELECT count(*) FROM fl_u
sleep	1500
exec	SELECT count(*) FROM fl_u WHERE a > 1
status
exec	SELECT count(*) FROM fl_u
status
EOF
cat >"$d/cl.run" <<EOF
( sleep 0.7; $DIRECT -q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fl_closed'" ) >/dev/null &
PGAPPNAME=fl_closed "$client" <"$d/cl.in" 2>&1 | grep -v '^  PGRES_FATAL_ERROR'
wait
EOF
$DIRECT -q -f "$d/un.setup" >/dev/null 2>&1
env -u LD_PRELOAD bash "$d/cl.run" >"$d/closed.off" 2>&1
$ON $PSQL -q -f "$d/un.setup" >/dev/null 2>&1
$ON bash "$d/cl.run" >"$d/closed.on" 2>&1
grep -q bad "$d/closed.off" || bad "closed: the connection was not closed even without the library"
cmp -s "$d/closed.off" "$d/closed.on" || { bad "closed: output differs"; diff -u "$d/closed.off" "$d/closed.on" >&2 || true; }

# ---- 7. the catalog connection --------------------------------------------------------------
# A role at its connection limit: everything works, nothing is printed, reads are cached.
$DIRECT -q <<'SQL' >/dev/null 2>&1 || true
DROP ROLE IF EXISTS fl_lim;
CREATE ROLE fl_lim LOGIN CONNECTION LIMIT 1;
GRANT SELECT ON fl_u TO fl_lim;
SQL
lim="$CAP_PG_BIN/psql -X -A -t -h $CAP_PG_HOST -p $CAP_PG_PORT -U fl_lim -d $CAP_PG_DB"
h0=$(stat hits)
$ON $lim -c "SELECT count(*) FROM fl_u" \
	-c "SELECT count(*) FROM fl_u" -c "SELECT count(*) FROM fl_u" >"$d/lim.out" 2>"$d/lim.err"
[ -s "$d/lim.err" ] && bad "connection limit: the program's stderr got: $(cat "$d/lim.err")"
[ "$(cat "$d/lim.out")" = "$(printf '2\n2\n2')" ] || bad "connection limit: output $(cat "$d/lim.out")"
h1=$(stat hits)
[ "$h1" -gt "$h0" ] || bad "connection limit: no hits (the catalog could not be read)"

# The catalog is read on the program's connection, but the isolation level it reports is the
# one a new session gets (the role's default here), not what this session SET.
$DIRECT -q <<'SQL' >/dev/null 2>&1 || true
DROP ROLE IF EXISTS fl_iso;
CREATE ROLE fl_iso LOGIN;
ALTER ROLE fl_iso SET default_transaction_isolation = 'serializable';
GRANT SELECT ON fl_u TO fl_iso;
CREATE TABLE IF NOT EXISTS fl_other (a int);
GRANT SELECT ON fl_other TO fl_iso;
SQL
iso="$CAP_PG_BIN/psql -X -A -t -h $CAP_PG_HOST -p $CAP_PG_PORT -U fl_iso -d $CAP_PG_DB"
cat >"$d/iso.sql" <<EOF
SET default_transaction_isolation = 'read committed';
SELECT count(*) FROM fl_u;
\\c
BEGIN;
SELECT count(*) FROM fl_other;
\\! $ON $PSQL -q -c "INSERT INTO fl_u VALUES (9, 'nine')"
\\! $ON $iso -q -c "SELECT count(*) FROM fl_u" -c "SELECT count(*) FROM fl_u" >/dev/null
SELECT count(*) FROM fl_u;
COMMIT;
EOF
$ON $PSQL -q -f "$d/un.setup" -c "GRANT SELECT ON fl_u TO fl_iso" >/dev/null 2>&1
$ON $iso -f "$d/iso.sql" >"$d/iso.out" 2>&1
[ "$(grep -v -e '^$' -e '^You are now' "$d/iso.out" | tr '\n' ' ')" = "SET 2 BEGIN 0 2 COMMIT " ] ||
	bad "isolation: a serializable transaction saw a later state: $(cat "$d/iso.out")"

# psycopg2 runs every statement in a transaction it begins itself: the catalog is read before
# its BEGIN, so reads in those transactions are cached.
if python3 -c 'import psycopg2' 2>/dev/null; then
	h0=$(stat hits)
	$ON python3 - <<PY >"$d/psy.out" 2>&1 || bad "psycopg2: $(cat "$d/psy.out")"
import psycopg2
c = psycopg2.connect(host="$CAP_PG_HOST", port=$CAP_PG_PORT, user="$CAP_PG_USER", dbname="$CAP_PG_DB")
for i in range(3):
    cur = c.cursor()
    cur.execute("SELECT count(*) FROM fl_u")
    cur.fetchall()
    c.commit()
PY
	h1=$(stat hits)
	[ "$h1" -gt "$h0" ] || bad "psycopg2: no hits in its transactions"
fi

# Another session holds an ACCESS EXCLUSIVE lock on a view's base table: loading the catalog
# must not wait for it.
$DIRECT -q <<'SQL' >/dev/null 2>&1
DROP VIEW IF EXISTS fl_lv;
DROP TABLE IF EXISTS fl_lt;
CREATE TABLE fl_lt (a int);
CREATE VIEW fl_lv AS SELECT a FROM fl_lt;
SQL
$DIRECT -q -c "BEGIN" -c "LOCK TABLE fl_lt IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(6)" \
	-c "COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.5
"$CAP_TOOL" invalidate --all >/dev/null 2>&1 || true
t0=$(date +%s%N)
$ON $PSQL -c "CREATE TABLE IF NOT EXISTS fl_other (a int)" -c "SELECT count(*) FROM fl_u" \
	-c "SELECT count(*) FROM fl_u" >"$d/lock.out" 2>&1
t1=$(date +%s%N)
wait "$locker" || true
ms=$(((t1 - t0) / 1000000))
[ "$ms" -lt 3000 ] || bad "lock: reading the catalog waited ${ms} ms behind another session's lock"

# The catalog query runs on the program's connection, under the program's search_path: a user
# operator that comes first there (public.= on oid) must not be what the query calls.
$DIRECT -q <<'SQL' >/dev/null 2>&1
DROP OPERATOR IF EXISTS public.= (oid, oid);
DROP FUNCTION IF EXISTS public.fl_oideq(oid, oid);
DROP SEQUENCE IF EXISTS fl_opcalls;
CREATE SEQUENCE fl_opcalls;
CREATE FUNCTION public.fl_oideq(oid, oid) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS
  $$BEGIN PERFORM nextval('fl_opcalls'); RETURN $1 OPERATOR(pg_catalog.=) $2; END$$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, PROCEDURE = public.fl_oideq);
SQL
"$CAP_TOOL" invalidate --all >/dev/null 2>&1 || true
$ON $PSQL -c "SET search_path = public, pg_catalog" -c "CREATE TABLE IF NOT EXISTS fl_op (a int)" \
	-c "INSERT INTO fl_op VALUES (1)" -c "SELECT count(*) FROM fl_op" -c "SELECT count(*) FROM fl_op" \
	>"$d/op.out" 2>&1
calls=$($DIRECT -c "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM fl_opcalls")
[ "$calls" = 0 ] || bad "search_path: the catalog query called the program's operator $calls times"
$DIRECT -q -c "DROP OPERATOR public.= (oid, oid)" -c "DROP FUNCTION public.fl_oideq(oid, oid)" \
	-c "DROP TABLE fl_op" -c "DROP SEQUENCE fl_opcalls" >/dev/null 2>&1

# 'now' that is not a literal: built by an expression, stored in a column, behind an E''
# escape; each read twice 50 ms apart in one session must give two times
$DIRECT -q -c "DROP TABLE IF EXISTS fl_sched" -c "CREATE TABLE fl_sched (job text, starts text)" \
	-c "INSERT INTO fl_sched VALUES ('backup', 'now')" >/dev/null
for q in "SELECT ('n' || 'ow')::timestamptz" "SELECT (chr(110) || 'ow')::timestamp" \
	"SELECT starts::timestamptz FROM fl_sched" "SELECT CAST(starts AS timestamp) FROM fl_sched" \
	"SELECT E'\\tnow'::timestamptz" "SELECT E'now\\n'::timestamp"; do
	out=$($ON $PSQL -c "$q" -c "SELECT pg_sleep(0.05)" -c "$q" 2>&1 | grep -v '^$' | sort -u | wc -l)
	[ "$out" = 2 ] || bad "the current time was frozen: $q"
done
$DIRECT -q -c "DROP TABLE fl_sched" >/dev/null

# ---- 8. a user function's label is not trusted ------------------------------------------------
# PostgreSQL does not check that a function labelled IMMUTABLE is: one written in a procedural
# language or SQL may call set_config (moving the session: another schema's rows, a privilege
# drop that a hit would skip) or read a table (a cached result would not depend on it). Index
# expressions, partial index predicates, generated columns and partition keys demand IMMUTABLE,
# so such labels are common there: a write to those tables runs the function too. Each case
# reads, runs the code, shows the session, reads again, and puts the session back.
cat >"$d/u.setup" <<'SQL'
DROP SCHEMA IF EXISTS fl_s2 CASCADE;
DROP TABLE IF EXISTS fl_t1, fl_ix, fl_ixw, fl_gc, fl_pk, fl_ops, fl_ex, fl_dt, fl_rls, fl_secret,
  fl_items CASCADE;
DROP OPERATOR IF EXISTS ##> (int, int);
DROP OPERATOR FAMILY IF EXISTS fl_int_ops USING btree CASCADE;
DROP OPERATOR FAMILY IF EXISTS fl_ex_ops USING btree CASCADE;
DROP OPERATOR IF EXISTS ##= (int, int) CASCADE;
DROP FUNCTION IF EXISTS fl_never(int, int) CASCADE;
DROP FUNCTION IF EXISTS fl_sneaky(int), fl_sneaky2(int, int), fl_low(), fl_tobox(int),
  fl_price(int), fl_price_atomic(int), fl_price_pl(int), fl_cmp(int, int), fl_sneaky_atomic(int),
  fl_twice(int), fl_atomic_now(), fl_atomic_user(), fl_atomic_pl() CASCADE;
DROP TYPE IF EXISTS fl_box CASCADE;
DROP AGGREGATE IF EXISTS fl_agg(int);
DROP FUNCTION IF EXISTS fl_acc(int, int);
DROP DOMAIN IF EXISTS fl_ddom CASCADE;
DO $$BEGIN CREATE ROLE fl_lowly; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
CREATE TABLE fl_t1 (id int, v text);
INSERT INTO fl_t1 VALUES (1, 'public.fl_t1 row');
CREATE SCHEMA fl_s2;
CREATE TABLE fl_s2.fl_t1 (id int, v text);
INSERT INTO fl_s2.fl_t1 VALUES (1, 'fl_s2.fl_t1 row');
GRANT USAGE ON SCHEMA fl_s2 TO fl_lowly;
CREATE FUNCTION fl_sneaky(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM set_config('search_path', 'fl_s2', false); RETURN $1; END$$;
CREATE FUNCTION fl_sneaky2(int, int) RETURNS bool IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM set_config('search_path', 'fl_s2', false); RETURN $1 = $2; END$$;
CREATE OPERATOR ##> (LEFTARG = int, RIGHTARG = int, FUNCTION = fl_sneaky2);
CREATE FUNCTION fl_acc(int, int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM set_config('search_path', 'fl_s2', false); RETURN coalesce($1, 0) + $2; END$$;
CREATE AGGREGATE fl_agg(int) (SFUNC = fl_acc, STYPE = int);
CREATE TYPE fl_box AS (v int);
CREATE FUNCTION fl_tobox(int) RETURNS fl_box IMMUTABLE LANGUAGE sql AS
  $$SELECT set_config('search_path', 'fl_s2', false); SELECT ROW($1)::fl_box$$;
CREATE CAST (int AS fl_box) WITH FUNCTION fl_tobox(int);
CREATE TABLE fl_ix (id int);
CREATE INDEX ON fl_ix ((fl_sneaky(id)));
CREATE TABLE fl_ixw (id int);
CREATE INDEX ON fl_ixw (id) WHERE fl_sneaky(id) > 0;
CREATE TABLE fl_gc (id int, g int GENERATED ALWAYS AS (fl_sneaky(id)) STORED);
CREATE TABLE fl_pk (id int) PARTITION BY RANGE (fl_sneaky(id));
CREATE TABLE fl_pk1 PARTITION OF fl_pk FOR VALUES FROM (0) TO (100);
CREATE FUNCTION fl_cmp(int, int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM set_config('search_path', 'fl_s2', false); RETURN btint4cmp($1, $2); END$$;
CREATE OPERATOR CLASS fl_int_ops FOR TYPE int USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 fl_cmp(int, int);
CREATE TABLE fl_ops (id int);
CREATE INDEX ON fl_ops (id fl_int_ops);
INSERT INTO fl_ops VALUES (0);
CREATE FUNCTION fl_never(int, int) RETURNS bool IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM set_config('search_path', 'fl_s2', false); RETURN false; END$$;
CREATE OPERATOR ##= (LEFTARG = int, RIGHTARG = int, FUNCTION = fl_never, COMMUTATOR = ##=);
CREATE OPERATOR CLASS fl_ex_ops FOR TYPE int USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 ##=, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int, int);
CREATE TABLE fl_ex (id int, EXCLUDE USING btree (id fl_ex_ops WITH ##=));
CREATE DOMAIN fl_ddom AS int DEFAULT fl_sneaky(1);
CREATE TABLE fl_dt (a int, v fl_ddom);
CREATE TABLE fl_rls (id int);
ALTER TABLE fl_rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY fl_rls_in ON fl_rls FOR INSERT WITH CHECK (fl_sneaky(id) > 0);
GRANT INSERT ON fl_rls TO fl_lowly;
GRANT SELECT ON fl_t1, fl_s2.fl_t1 TO fl_lowly;
GRANT EXECUTE ON FUNCTION pg_control_system() TO fl_lowly; -- or its reads are never cached
CREATE TABLE fl_secret (x text);
INSERT INTO fl_secret VALUES ('TOP SECRET');
CREATE FUNCTION fl_sneaky_atomic(int) RETURNS int IMMUTABLE LANGUAGE sql
  BEGIN ATOMIC SELECT set_config('search_path', 'fl_s2', false); SELECT $1; END;
CREATE FUNCTION fl_twice(int) RETURNS int IMMUTABLE LANGUAGE sql BEGIN ATOMIC SELECT $1 * 2; END;
CREATE FUNCTION fl_atomic_now() RETURNS text IMMUTABLE LANGUAGE sql BEGIN ATOMIC SELECT now()::text; END;
CREATE FUNCTION fl_atomic_user() RETURNS text IMMUTABLE LANGUAGE sql
  BEGIN ATOMIC SELECT current_user::text; END;
CREATE FUNCTION fl_low() RETURNS int IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM set_config('role', 'fl_lowly', false); RETURN 1; END$$;
CREATE TABLE fl_items (id int PRIMARY KEY, price numeric);
INSERT INTO fl_items VALUES (1, 1.00);
CREATE FUNCTION fl_price(int) RETURNS numeric IMMUTABLE LANGUAGE sql AS
  'SELECT price FROM public.fl_items WHERE id = $1';
CREATE FUNCTION fl_price_atomic(int) RETURNS numeric IMMUTABLE LANGUAGE sql
  BEGIN ATOMIC SELECT price FROM public.fl_items WHERE id = $1; END;
CREATE FUNCTION fl_price_pl(int) RETURNS numeric IMMUTABLE LANGUAGE plpgsql AS
  'BEGIN RETURN (SELECT price FROM public.fl_items WHERE id = $1); END';
CREATE FUNCTION fl_atomic_pl() RETURNS text IMMUTABLE LANGUAGE sql
  BEGIN ATOMIC SELECT fl_price_pl(1)::text; END;
SQL
$DIRECT -q -v ON_ERROR_STOP=1 -f "$d/u.setup" >/dev/null 2>&1 || bad "label: the setup failed"
ucase() { # ucase NAME STATEMENT - the statement moves search_path to fl_s2
	cat >"$d/u_$1.sql" <<SQL
SELECT v FROM fl_t1 WHERE id = 1;
$2
SHOW search_path;
SELECT v FROM fl_t1 WHERE id = 1;
RESET search_path;
SELECT v FROM fl_t1 WHERE id = 1;
SQL
	same "label_$1" "$d/u.setup" "$d/u_$1.sql"
}
ucase call "SELECT fl_sneaky(1);"
ucase call_atomic "SELECT fl_sneaky_atomic(1);"
ucase operator "SELECT 1 ##> 1;"
ucase aggregate "SELECT fl_agg(id) FROM fl_t1;"
ucase cast "SELECT (5::fl_box).v;"
ucase index_expression "INSERT INTO fl_ix VALUES (1);"
ucase index_predicate "INSERT INTO fl_ixw VALUES (1);"
ucase generated_column "INSERT INTO fl_gc (id) VALUES (1);"
ucase partition_key "INSERT INTO fl_pk VALUES (1);"
ucase opclass "INSERT INTO fl_ops VALUES (1);"
ucase exclusion "INSERT INTO fl_ex VALUES (1);"
ucase domain_default "INSERT INTO fl_dt (a) VALUES (1);"
# a policy binds a role that does not own the table (the library's key changes with the role)
ucase policy "SET ROLE fl_lowly;
SELECT v FROM fl_t1 WHERE id = 1;
SELECT v FROM fl_t1 WHERE id = 1;
INSERT INTO fl_rls VALUES (1);
SELECT v FROM fl_t1 WHERE id = 1;
RESET ROLE;"
# a privilege drop: the table the control refuses to read must be refused with the library too,
# also in a second session, which a cached call would spare the function's set_config
cat >"$d/u_role.sql" <<'SQL'
SELECT x FROM fl_secret;
SELECT fl_low();
SELECT current_user;
SELECT x FROM fl_secret;
RESET role;
SQL
$DIRECT -q -f "$d/u.setup" >/dev/null 2>&1
for i in 1 2; do $DIRECT -f "$d/u_role.sql"; done >"$d/u_role.off" 2>&1
$ON $PSQL -q -f "$d/u.setup" >/dev/null 2>&1
for i in 1 2; do $ON $PSQL -f "$d/u_role.sql"; done >"$d/u_role.on" 2>&1
cmp -s "$d/u_role.off" "$d/u_role.on" ||
	bad "label_role: output differs with Capacitor: $(diff "$d/u_role.off" "$d/u_role.on" | tr '\n' ' ')"
# a function that reads a table: a write through the library must be seen by its next call
for f in fl_price fl_price_atomic fl_price_pl; do
	cat >"$d/u_$f.sql" <<SQL
UPDATE fl_items SET price = 1.00 WHERE id = 1;
SELECT $f(1);
SELECT $f(1);
UPDATE fl_items SET price = 2.00 WHERE id = 1;
SELECT $f(1);
SQL
	same "label_reads_$f" "$d/u.setup" "$d/u_$f.sql"
done
# ... unless the rules file declares it safe: then it is cached, as the user asked
echo "safe fl_price_pl" >"$d/u.rules"
$ON $PSQL -q -f "$d/u.setup" >/dev/null 2>&1
h0=$(stat hits)
$ON $PSQL -q -c 'SELECT fl_price(1)' -c 'SELECT fl_price(1)' -c 'SELECT fl_price(1)' >/dev/null
h1=$(stat hits)
[ "$h1" = "$h0" ] || bad "label: an IMMUTABLE SQL function that reads a table gave $((h1 - h0)) hits"
CAPACITOR_RULES="$d/u.rules" $ON $PSQL -q -c 'SELECT fl_price_pl(1)' -c 'SELECT fl_price_pl(1)' \
	-c 'SELECT fl_price_pl(1)' >/dev/null
h2=$(stat hits)
[ "$h2" -gt "$h1" ] || bad "label: a PL/pgSQL function the rules file declares safe gave no hit"
# a BEGIN ATOMIC body is stored parsed: one that reads nothing and runs only immutable code is
# trusted by its label
$ON $PSQL -q -c 'SELECT fl_twice(21)' -c 'SELECT fl_twice(21)' -c 'SELECT fl_twice(21)' >/dev/null
h3=$(stat hits)
[ "$h3" -gt "$h2" ] || bad "label: an IMMUTABLE BEGIN ATOMIC function that only computes gave no hit"
# ... but not one that runs anything else (a STABLE built-in, the session's user, a PL function)
for f in fl_atomic_now fl_atomic_user fl_atomic_pl; do
	h3=$(stat hits)
	$ON $PSQL -q -c "SELECT $f()" -c "SELECT $f()" -c "SELECT $f()" >/dev/null
	h4=$(stat hits)
	[ "$h4" = "$h3" ] || bad "label: the BEGIN ATOMIC function $f gave $((h4 - h3)) hits"
done
$DIRECT -q -f - >/dev/null 2>&1 <<'SQL'
DROP SCHEMA fl_s2 CASCADE;
DROP TABLE fl_t1, fl_ix, fl_ixw, fl_gc, fl_pk, fl_ops, fl_ex, fl_dt, fl_rls, fl_secret, fl_items
  CASCADE;
DROP DOMAIN fl_ddom;
DROP OPERATOR FAMILY fl_int_ops USING btree CASCADE;
DROP OPERATOR FAMILY fl_ex_ops USING btree CASCADE;
DROP OPERATOR ##= (int, int);
DROP FUNCTION fl_never(int, int);
DROP OPERATOR ##> (int, int);
DROP FUNCTION fl_sneaky(int), fl_sneaky2(int, int), fl_low(), fl_price(int), fl_price_atomic(int),
  fl_price_pl(int), fl_cmp(int, int), fl_sneaky_atomic(int), fl_twice(int), fl_atomic_now(),
  fl_atomic_user(), fl_atomic_pl() CASCADE;
DROP TYPE fl_box CASCADE;
DROP AGGREGATE fl_agg(int);
DROP FUNCTION fl_acc(int, int);
DROP OWNED BY fl_lowly;
DROP ROLE fl_lowly;
SQL

[ "$failures" -eq 0 ] || fail "$failures case(s) failed (logs in \$CAP_TEST_LOG)"
echo "ok"

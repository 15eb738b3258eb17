#!/bin/bash
# t_pg_invalidation - writes that change what a cached read returns, by every indirect route
# PostgreSQL offers, must make the next read fresh: triggers, rules, cascading foreign keys,
# partitions and inheritance, views (also written through), materialized views with REFRESH,
# DDL (add/alter column, drop and re-create, rename, CREATE OR REPLACE VIEW/FUNCTION),
# TRUNCATE, COPY, functions and procedures that write, DO blocks, data-modifying CTEs, EXPLAIN
# ANALYZE, MERGE, upserts, SQL-level PREPARE/EXECUTE, multi-statement strings, quoted and
# schema-qualified names, sequences, set_config() and DISCARD; volatile and STABLE functions
# are not cached, nor is a user IMMUTABLE one unless the rules file declares it safe; temporary tables shadowing a real table are never mixed
# up with it; `capacitor invalidate TABLE` / `--all` make a write done without the library
# visible to a running process.
#
# Each case is a psql session `read; read; WRITE; read; read` (the write in the same session,
# in another psql process, or - for functions - without the library), run once without
# Capacitor and once with it after the same setup: the outputs must be identical.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# psql and pgbench hang at exit with libasan preloaded (SANITIZE=1; tests/README.md)
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"

stat() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get(sys.argv[1], 0))
except Exception: print(0)' "$1"
}

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
conn="-h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $CAP_PG_DB"
PSQL="$CAP_PG_BIN/psql -X -A $conn"
DIRECT="env -u LD_PRELOAD $PSQL"
export PGOPTIONS="-c client_min_messages=warning"
failures=0
total_hits=0

# defcase NAME < text with sections --@setup, --@pre (optional), --@read, --@write
defcase() {
	awk -v dir="$d" -v name="$1" '
		/^--@[a-z]+$/ { sec = substr($0, 4); next }
		sec != "" { print > (dir "/" name "." sec) }' 
	for s in pre setup read write; do
		[ -e "$d/$1.$s" ] || : >"$d/$1.$s"
	done
}

# session NAME VARIANT - the session script
session() {
	local name=$1 variant=$2
	cat "$d/$name.pre"
	echo "\\echo -- first read"
	echo "\\i $d/$name.read"
	echo "\\echo -- second read"
	echo "\\i $d/$name.read"
	case "$variant" in
	same) echo "\\echo -- write"; echo "\\i $d/$name.write" ;;
	other) echo "\\echo -- write in another process"; echo "\\! $PSQL -q -f $d/$name.write" ;;
	direct) echo "\\echo -- write without the library"; echo "\\! $DIRECT -q -f $d/$name.write" ;;
	esac
	echo "\\echo -- read after the write"
	echo "\\i $d/$name.read"
	echo "\\echo -- and again"
	echo "\\i $d/$name.read"
}

# check NAME VARIANT...
check() {
	local name=$1 v h0 h1
	shift
	for v in "$@"; do
		session "$name" "$v" >"$d/$name.$v.sql"
		$DIRECT -q -f "$d/$name.setup" >/dev/null 2>&1 || true
		$DIRECT -f "$d/$name.$v.sql" >"$d/$name.$v.off" 2>&1 || true
		env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $PSQL -q -f "$d/$name.setup" >/dev/null 2>&1 || true
		h0=$(stat hits)
		env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $PSQL -f "$d/$name.$v.sql" >"$d/$name.$v.on" 2>&1 || true
		h1=$(stat hits)
		total_hits=$((total_hits + h1 - h0))
		if cmp -s "$d/$name.$v.off" "$d/$name.$v.on"; then
			echo "ok   $name/$v (hits $((h1 - h0)))"
		else
			echo "FAIL $name/$v (hits $((h1 - h0))): output with Capacitor differs:"
			diff -u --label without --label with "$d/$name.$v.off" "$d/$name.$v.on" | head -n 30 | sed 's/^/    /' || true
			failures=$((failures + 1))
		fi
	done
}

# ------------------------------------------------------------------ cases

defcase trigger <<'SQL'
--@setup
DROP TABLE IF EXISTS inv_t1, inv_t2 CASCADE;
CREATE TABLE inv_t1 (id int);
CREATE TABLE inv_t2 (id int, note text);
CREATE OR REPLACE FUNCTION inv_trg() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO inv_t2 VALUES (NEW.id, 'from t1'); RETURN NEW; END$$;
CREATE TRIGGER inv_trg AFTER INSERT ON inv_t1 FOR EACH ROW EXECUTE FUNCTION inv_trg();
INSERT INTO inv_t2 VALUES (0, 'seed');
--@read
SELECT count(*), max(id) FROM inv_t2;
--@write
INSERT INTO inv_t1 VALUES (7);
SQL
check trigger same other

defcase rule <<'SQL'
--@setup
DROP TABLE IF EXISTS inv_ra, inv_rb CASCADE;
CREATE TABLE inv_ra (id int);
CREATE TABLE inv_rb (id int);
CREATE RULE inv_r AS ON INSERT TO inv_ra DO ALSO INSERT INTO inv_rb VALUES (NEW.id + 100);
--@read
SELECT * FROM inv_rb ORDER BY id;
--@write
INSERT INTO inv_ra VALUES (1);
SQL
check rule same other

fk_setup='--@setup
DROP TABLE IF EXISTS inv_child, inv_parent;
CREATE TABLE inv_parent (id int PRIMARY KEY);
CREATE TABLE inv_child (id int, pid int REFERENCES inv_parent ON DELETE CASCADE ON UPDATE CASCADE);
INSERT INTO inv_parent VALUES (1), (2);
INSERT INTO inv_child VALUES (10, 1), (11, 1), (20, 2);
--@read
SELECT id, pid FROM inv_child ORDER BY id;'
defcase fk_delete_cascade <<<"$fk_setup
--@write
DELETE FROM inv_parent WHERE id = 1;"
check fk_delete_cascade same other
defcase fk_update_cascade <<<"$fk_setup
--@write
UPDATE inv_parent SET id = 5 WHERE id = 1;"
check fk_update_cascade same other

pt_setup='--@setup
DROP TABLE IF EXISTS inv_pt, inv_pt_b;
CREATE TABLE inv_pt (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE inv_pt_a PARTITION OF inv_pt FOR VALUES FROM (0) TO (100);
CREATE TABLE inv_pt_b PARTITION OF inv_pt FOR VALUES FROM (100) TO (200);
INSERT INTO inv_pt VALUES (1, $$a$$), (150, $$b$$);
--@read
SELECT count(*) FROM inv_pt;
SELECT count(*) FROM inv_pt_a;
SELECT k, v FROM inv_pt_b ORDER BY k;'
defcase part_write_partition <<<"$pt_setup
--@write
INSERT INTO inv_pt_a VALUES (2, 'direct');"
check part_write_partition same other
defcase part_write_parent <<<"$pt_setup
--@write
INSERT INTO inv_pt VALUES (3, 'via parent'), (160, 'via parent');"
check part_write_parent same other
defcase part_row_moves <<<"$pt_setup
--@write
UPDATE inv_pt SET k = 120 WHERE k = 1;"
check part_row_moves same other
defcase part_detach <<<"$pt_setup
--@write
ALTER TABLE inv_pt DETACH PARTITION inv_pt_b;"
check part_detach same

inh_setup='--@setup
DROP TABLE IF EXISTS inv_ich, inv_ipar;
CREATE TABLE inv_ipar (id int);
CREATE TABLE inv_ich () INHERITS (inv_ipar);
INSERT INTO inv_ipar VALUES (1);
INSERT INTO inv_ich VALUES (2);
--@read
SELECT count(*) FROM inv_ipar;
SELECT count(*) FROM ONLY inv_ipar;
SELECT count(*) FROM inv_ich;'
defcase inherit_write_child <<<"$inh_setup
--@write
INSERT INTO inv_ich VALUES (3);"
check inherit_write_child same other
defcase inherit_delete_via_parent <<<"$inh_setup
--@write
DELETE FROM inv_ipar WHERE id = 2;"
check inherit_delete_via_parent same other

view_setup='--@setup
DROP VIEW IF EXISTS inv_vv, inv_v;
DROP MATERIALIZED VIEW IF EXISTS inv_mv;
DROP TABLE IF EXISTS inv_base;
CREATE TABLE inv_base (id int PRIMARY KEY, v int);
INSERT INTO inv_base VALUES (1, 1), (2, 2);
CREATE VIEW inv_v AS SELECT id, v * 10 AS v10 FROM inv_base;
CREATE VIEW inv_vv AS SELECT sum(v10) AS s FROM inv_v;
CREATE MATERIALIZED VIEW inv_mv AS SELECT count(*) AS n, sum(v) AS s FROM inv_base;'
defcase view <<<"$view_setup
--@read
SELECT * FROM inv_v ORDER BY id;
SELECT * FROM inv_vv;
--@write
UPDATE inv_base SET v = 5 WHERE id = 1;"
check view same other
defcase view_written_through <<<"$view_setup
--@read
SELECT * FROM inv_base ORDER BY id;
--@write
UPDATE inv_v SET id = 3 WHERE id = 2;"
check view_written_through same other
defcase view_replaced <<<"$view_setup
--@read
SELECT * FROM inv_v ORDER BY id;
--@write
CREATE OR REPLACE VIEW inv_v AS SELECT id, v * 100 AS v10 FROM inv_base;"
check view_replaced same other
defcase matview_refresh <<<"$view_setup
--@read
SELECT n, s FROM inv_mv;
--@write
INSERT INTO inv_base VALUES (9, 9);
SELECT n, s FROM inv_mv;
REFRESH MATERIALIZED VIEW inv_mv;"
check matview_refresh same other

ddl_setup='--@setup
DROP TABLE IF EXISTS inv_d, inv_d_old;
CREATE TABLE inv_d (id int);
INSERT INTO inv_d VALUES (1);
--@read
SELECT * FROM inv_d ORDER BY 1;'
defcase ddl_add_column <<<"$ddl_setup
--@write
ALTER TABLE inv_d ADD COLUMN z int DEFAULT 7;"
check ddl_add_column same other
defcase ddl_alter_type <<<"$ddl_setup
--@write
ALTER TABLE inv_d ALTER COLUMN id TYPE numeric(10,2);"
check ddl_alter_type same other
defcase ddl_recreate <<<"$ddl_setup
--@write
DROP TABLE inv_d;
CREATE TABLE inv_d (id int, w text);
INSERT INTO inv_d VALUES (2, 'new');"
check ddl_recreate same other
defcase ddl_rename <<<"$ddl_setup
--@write
ALTER TABLE inv_d RENAME TO inv_d_old;
CREATE TABLE inv_d AS SELECT 3 AS id;"
check ddl_rename same other
defcase truncate <<<"$ddl_setup
--@write
TRUNCATE inv_d;"
check truncate same other
defcase copy_from <<<"$ddl_setup
--@write
COPY inv_d FROM STDIN;
5
6
\\.
"
check copy_from same other
defcase select_into <<'SQL'
--@setup
DROP TABLE IF EXISTS inv_into;
--@read
SELECT * FROM inv_into;
--@write
SELECT 1 AS a INTO inv_into;
SQL
check select_into same other

kv_setup='--@setup
DROP TABLE IF EXISTS inv_kv CASCADE;
CREATE TABLE inv_kv (id int PRIMARY KEY, v int);
INSERT INTO inv_kv VALUES (1, 0), (2, 0);
CREATE OR REPLACE FUNCTION inv_bump() RETURNS int LANGUAGE sql VOLATILE AS
  $$UPDATE inv_kv SET v = v + 1 WHERE id = 1 RETURNING v$$;
CREATE OR REPLACE FUNCTION inv_setf() RETURNS SETOF int LANGUAGE sql AS
  $$UPDATE inv_kv SET v = v + 1 RETURNING v$$;
CREATE OR REPLACE PROCEDURE inv_proc() LANGUAGE sql AS $$UPDATE inv_kv SET v = v + 10 WHERE id = 1$$;
CREATE OR REPLACE FUNCTION inv_vf() RETURNS int LANGUAGE sql VOLATILE AS $$SELECT v FROM inv_kv WHERE id = 1$$;
CREATE OR REPLACE FUNCTION inv_sf() RETURNS int LANGUAGE sql STABLE AS $$SELECT v FROM inv_kv WHERE id = 1$$;
--@read
SELECT id, v FROM inv_kv ORDER BY id;'
kv() { # kv NAME WRITE-SQL [VARIANTS...]
	local name=$1 sql=$2
	shift 2
	defcase "$name" <<<"$kv_setup
--@write
$sql"
	check "$name" "${@:-same}"
}
kv fn_writes "SELECT inv_bump();" same other
kv fn_writes_in_where "SELECT count(*) FROM items WHERE id = 1 AND inv_bump() > 0;" same other
kv fn_writes_in_from "SELECT * FROM inv_setf() ORDER BY 1;" same other
kv do_block 'DO $$BEGIN UPDATE inv_kv SET v = v + 1 WHERE id = 1; END$$;' same other
kv call_procedure "CALL inv_proc();" same other
kv cte_write "WITH u AS (UPDATE inv_kv SET v = v + 1 WHERE id = 1 RETURNING v) SELECT v FROM u;" same other
kv cte_select_then_update "WITH x AS (SELECT 1 AS id) UPDATE inv_kv SET v = v + 1 FROM x WHERE inv_kv.id = x.id;" same
kv explain_analyze "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) UPDATE inv_kv SET v = v + 1 WHERE id = 1;" same other
kv merge "MERGE INTO inv_kv k USING (SELECT 1 AS id) s ON k.id = s.id WHEN MATCHED THEN UPDATE SET v = k.v + 100;" same other
kv upsert "INSERT INTO inv_kv VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET v = inv_kv.v + 1000;" same other
kv sql_prepare_execute "PREPARE inv_up AS UPDATE inv_kv SET v = v + 1 WHERE id = 1;
EXECUTE inv_up;
DEALLOCATE inv_up;" same other
kv multi_statement 'SELECT 1 AS x \; UPDATE inv_kv SET v = v + 1 WHERE id = 1;' same other
kv comment_first "/* a comment */ UPDATE inv_kv SET v = v + 1 WHERE id = 1;" same
kv parenthesized_lower "update INV_KV set v = v + 1 where id = 1;" same
kv delete_using "DELETE FROM inv_kv USING items WHERE inv_kv.id = items.id AND items.id = 2;" same

# functions: volatile and STABLE are not cached (a STABLE function may read any table, so a
# cached result could not know what to depend on); a user function written in SQL or a PL is
# cached only when the rules file declares it safe, whatever its label (t_pg_functions), and
# then redefining it is seen.
defcase fn_volatile <<<"$kv_setup
SELECT inv_vf();
--@write
UPDATE inv_kv SET v = v + 1 WHERE id = 1;"
sed -i 's/^SELECT id, v FROM inv_kv ORDER BY id;$/SELECT inv_vf();/' "$d/fn_volatile.read"
check fn_volatile direct same
defcase fn_stable <<<"$kv_setup
--@write
UPDATE inv_kv SET v = v + 1 WHERE id = 1;"
echo "SELECT inv_sf();" >"$d/fn_stable.read"
check fn_stable direct same
defcase fn_immutable_redefined <<'SQL'
--@setup
CREATE OR REPLACE FUNCTION inv_imm(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$SELECT $1 * 2$$;
--@read
SELECT inv_imm(21);
--@write
CREATE OR REPLACE FUNCTION inv_imm(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$SELECT $1 * 3$$;
SQL
echo "safe inv_imm" >"$d/fn_immutable.rules"
CAPACITOR_RULES="$d/fn_immutable.rules" check fn_immutable_redefined same other

defcase sequence_nextval <<'SQL'
--@setup
DROP SEQUENCE IF EXISTS inv_seq;
CREATE SEQUENCE inv_seq;
--@read
SELECT last_value, is_called FROM inv_seq;
--@write
SELECT nextval('inv_seq');
SQL
check sequence_nextval same other
defcase sequence_setval <<'SQL'
--@setup
DROP SEQUENCE IF EXISTS inv_seq;
CREATE SEQUENCE inv_seq;
--@read
SELECT last_value, is_called FROM inv_seq;
--@write
SELECT setval('inv_seq', 42);
SQL
check sequence_setval same other

defcase quoted_dot_name <<'SQL'
--@setup
DROP TABLE IF EXISTS "inv.q", q;
CREATE TABLE "inv.q" (v int);
INSERT INTO "inv.q" VALUES (1);
--@read
SELECT v FROM "inv.q";
--@write
UPDATE "inv.q" SET v = v + 1;
SQL
check quoted_dot_name same other
defcase mixed_case <<'SQL'
--@setup
DROP TABLE IF EXISTS "InvMixed", invmixed;
CREATE TABLE "InvMixed" (v int);
CREATE TABLE invmixed (v int);
INSERT INTO "InvMixed" VALUES (1);
INSERT INTO invmixed VALUES (100);
--@read
SELECT v FROM "InvMixed";
SELECT v FROM invmixed;
SELECT v FROM INVMIXED;
--@write
UPDATE "InvMixed" SET v = v + 1;
UPDATE INVMIXED SET v = v + 1;
SQL
check mixed_case same other
defcase search_path_write <<'SQL'
--@setup
CREATE SCHEMA IF NOT EXISTS inv_s;
DROP TABLE IF EXISTS inv_s.t;
CREATE TABLE inv_s.t (v int);
INSERT INTO inv_s.t VALUES (1);
--@read
SELECT v FROM inv_s.t;
--@write
SET search_path = inv_s, public;
UPDATE t SET v = v + 1;
RESET search_path;
SQL
check search_path_write same other

# session state changed by a function call or DISCARD, not by SET
defcase set_config_search_path <<'SQL'
--@setup
CREATE SCHEMA IF NOT EXISTS inv_s;
DROP TABLE IF EXISTS inv_s.items;
CREATE TABLE inv_s.items AS SELECT 1 AS id;
--@read
SELECT count(*) FROM items;
--@write
SELECT set_config('search_path', 'inv_s, public', false);
SQL
check set_config_search_path same
defcase set_config_timezone <<'SQL'
--@read
SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' AS t;
--@write
SELECT set_config('TimeZone', 'Asia/Tokyo', false);
SQL
check set_config_timezone same
defcase set_config_bytea_output <<'SQL'
--@read
SELECT '\x00ff41'::bytea AS b, 0.1::float8 AS f;
--@write
SELECT set_config('bytea_output', 'escape', false), set_config('extra_float_digits', '3', false);
SQL
check set_config_bytea_output same
defcase discard_all <<'SQL'
--@setup
CREATE SCHEMA IF NOT EXISTS inv_s;
DROP TABLE IF EXISTS inv_s.items;
CREATE TABLE inv_s.items AS SELECT 1 AS id;
--@pre
SET search_path = inv_s, public;
--@read
SELECT count(*) FROM items;
--@write
DISCARD ALL;
SQL
check discard_all same
defcase reset_all <<'SQL'
--@pre
SET bytea_output = escape;
--@read
SELECT '\x00ff41'::bytea AS b;
--@write
RESET ALL;
SQL
check reset_all same

# temporary tables: a temp "items" shadows the real one in its session only
cat >"$d/temp.sql" <<EOF
SELECT count(*) FROM items;
SELECT count(*) FROM items;
CREATE TEMP TABLE items AS SELECT * FROM public.items WHERE id <= 3;
SELECT count(*) FROM items;
SELECT count(*) FROM items;
INSERT INTO items SELECT * FROM public.items WHERE id = 50;
SELECT count(*), max(id) FROM items;
\\! $PSQL -c 'SELECT count(*) FROM items'
CREATE TEMP TABLE inv_tmp AS SELECT 1 AS a;
SELECT * FROM inv_tmp;
\\! $PSQL -c 'CREATE TEMP TABLE inv_tmp AS SELECT 2 AS a' -c 'SELECT * FROM inv_tmp' -c 'SELECT * FROM inv_tmp'
SELECT * FROM inv_tmp;
DROP TABLE items;
SELECT count(*) FROM items;
SELECT count(*) FROM items;
EOF
$DIRECT -f "$d/temp.sql" >"$d/temp.off" 2>&1
env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $PSQL -f "$d/temp.sql" >"$d/temp.on" 2>&1
if cmp -s "$d/temp.off" "$d/temp.on"; then
	echo "ok   temp_tables"
else
	echo "FAIL temp_tables: output with Capacitor differs:"
	diff -u --label without --label with "$d/temp.off" "$d/temp.on" | head -n 30 | sed 's/^/    /' || true
	failures=$((failures + 1))
fi

# a write through a postgres_fdw foreign table (or dblink_exec) in another database of the
# cluster: the reader's database must see it (the whole server is invalidated)
fdw_db=inv_fdw_other
$DIRECT -q -c "DROP DATABASE IF EXISTS $fdw_db" -c "CREATE DATABASE $fdw_db" >/dev/null 2>&1
$DIRECT -q -c "DROP TABLE IF EXISTS inv_fdw_t" -c "CREATE TABLE inv_fdw_t (id int PRIMARY KEY, v int)" \
	-c "INSERT INTO inv_fdw_t VALUES (1, 1), (2, 1)" >/dev/null
if env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -q -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d $fdw_db \
	-c "CREATE EXTENSION postgres_fdw" -c "CREATE EXTENSION dblink" \
	-c "CREATE SERVER loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$CAP_PG_HOST', port '$CAP_PG_PORT', dbname '$CAP_PG_DB')" \
	-c "CREATE USER MAPPING FOR CURRENT_USER SERVER loop OPTIONS (user '$CAP_PG_USER')" \
	-c "CREATE FOREIGN TABLE inv_ft (id int, v int) SERVER loop OPTIONS (table_name 'inv_fdw_t')" >/dev/null 2>&1; then
	OTHER="$CAP_PG_BIN/psql -X -q -h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $fdw_db"
	fdw_read() { env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $PSQL -tA -c "SELECT v FROM inv_fdw_t WHERE id = $1"; }
	fdw_case() { # fdw_case NAME ID SQL - SQL in the other database changes row ID to 999
		fdw_read "$2" >/dev/null
		fdw_read "$2" >/dev/null
		env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $OTHER -c "$3" >/dev/null 2>&1
		local got
		got=$(fdw_read "$2")
		if [ "$got" = 999 ]; then
			echo "ok   $1 (a write from another database of the cluster is seen)"
		else
			echo "FAIL $1: read after the write gave '$got' (want 999)"
			failures=$((failures + 1))
		fi
	}
	fdw_case fdw_foreign_table 1 "UPDATE inv_ft SET v = 999 WHERE id = 1"
	fdw_case fdw_dblink_exec 2 "SELECT dblink_exec('host=$CAP_PG_HOST port=$CAP_PG_PORT user=$CAP_PG_USER dbname=$CAP_PG_DB', 'UPDATE inv_fdw_t SET v = 999 WHERE id = 2')"
else
	echo "skip fdw cases: postgres_fdw or dblink not available"
fi
$DIRECT -q -c "DROP DATABASE IF EXISTS $fdw_db" >/dev/null 2>&1 || true

# an IMMUTABLE function is cached: a built-in by its label, a user SQL function once the rules
# file declares it safe (and a volatile one is not: fn_volatile above)
$DIRECT -q -c "CREATE OR REPLACE FUNCTION inv_imm2(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 * 2'"
echo "safe inv_imm2" >"$d/fn_immutable2.rules"
for q in "SELECT abs(-21)" "SELECT inv_imm2(21)"; do
	h0=$(stat hits)
	env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 CAPACITOR_RULES="$d/fn_immutable2.rules" \
		$PSQL -q -c "$q" -c "$q" -c "$q" >/dev/null
	h1=$(stat hits)
	if [ "$h1" -gt "$h0" ]; then
		echo "ok   fn_immutable cached: $q (hits $((h1 - h0)))"
	else
		echo "FAIL fn_immutable: $q three times gave no hit"
		failures=$((failures + 1))
	fi
done

# capacitor invalidate: a write done without the library is seen after it, by a running process
inv_case() { # inv_case ARGS... - the invalidate command line; INV_T: the table as SQL spells it
	local t=${INV_T:-inv_kv}
	# through the library: the cache must forget the previous case's rows
	env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $PSQL -q -c "DROP TABLE IF EXISTS $t CASCADE" \
		-c "CREATE TABLE $t (id int PRIMARY KEY, v int)" -c "INSERT INTO $t VALUES (1, 0)" >/dev/null
	{
		echo "SELECT v FROM $t WHERE id = 1;"
		echo "SELECT v FROM $t WHERE id = 1;"
		echo "\\! $DIRECT -q -c 'UPDATE $t SET v = 100 WHERE id = 1'"
		echo "SELECT v FROM $t WHERE id = 1;"
		echo "\\! CAPACITOR_DIR=$CAPACITOR_DIR $CAP_TOOL invalidate $(printf '%q ' "$@") >/dev/null"
		echo "SELECT v FROM $t WHERE id = 1;"
	} >"$d/invtool.sql"
	env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $PSQL -tA -f "$d/invtool.sql" >"$d/invtool.out" 2>&1
	local got
	got=$(tr '\n' ' ' <"$d/invtool.out")
	case "$got" in
	"0 0 0 100 ") echo "ok   invalidate $* (stale before, fresh after)" ;;
	"0 0 100 100 ") echo "ok   invalidate $* (fresh after; the read before was not cached)" ;;
	*)
		echo "FAIL invalidate $*: reads were: $got (want 0 0 0|100 100)"
		failures=$((failures + 1))
		;;
	esac
}
inv_case inv_kv
inv_case Public.INV_KV
inv_case --all
# a table name as SQL spells it (attack round 7, x-6): quoted, with "" inside, backquoted as
# MariaDB spells it, schema-qualified; and what is no SQL name is refused, not reported done
INV_T='"InvMix"' inv_case '"InvMix"'
INV_T='"InvMix"' inv_case 'public."InvMix"'
INV_T='"InvMix"' inv_case '`InvMix`'
INV_T='"Inv""Q"' inv_case '"Inv""Q"'
for bad in '"InvMix' 'Inv"Mix' '"InvMix"x' 'public..InvMix'; do
	rc=0
	CAPACITOR_DIR=$CAPACITOR_DIR "$CAP_TOOL" invalidate "$bad" >"$d/invbad.out" 2>&1 || rc=$?
	if [ "$rc" -eq 2 ] && grep -q "is not a table name as SQL spells it" "$d/invbad.out" &&
		! grep -q "^invalidated" "$d/invbad.out"; then
		echo "ok   invalidate $bad refused"
	else
		echo "FAIL invalidate $bad: exit $rc: $(cat "$d/invbad.out")"
		failures=$((failures + 1))
	fi
done

# CLUSTER (and VACUUM FULL) through Capacitor rewrite a table in a new physical order: a read
# without ORDER BY then returns the new one, as the server does (attack round 5, pg-6).
clu_run() { # PRELOAD -> the reads, one line (a CAPACITOR_DIR of their own: no DDL of the
	# sections above makes these reads wait for a catalog reload)
	rm -rf "$d/clu"
	$DIRECT -q -v ON_ERROR_STOP=1 -c "DROP TABLE IF EXISTS inv_clu" -c "CREATE TABLE inv_clu (id int)" \
		-c "INSERT INTO inv_clu VALUES (1), (2), (3)" -c "CREATE INDEX inv_clu_desc ON inv_clu (id DESC)"
	# the rewrite comes from another process, as another program's would
	cat >"$d/clu.sql" <<SQL
SELECT id FROM inv_clu;
SELECT id FROM inv_clu;
\\! env LD_PRELOAD="$1" CAPACITOR_ENABLE=1 $PSQL -q -c "CLUSTER inv_clu USING inv_clu_desc"
SELECT id FROM inv_clu;
\\! env LD_PRELOAD="$1" CAPACITOR_ENABLE=1 $PSQL -q -c "INSERT INTO inv_clu VALUES (0)" -c "VACUUM FULL inv_clu"
SELECT id FROM inv_clu;
SQL
	CAPACITOR_DIR=$d/clu env LD_PRELOAD="$1" CAPACITOR_ENABLE=1 $PSQL -tA -q -f "$d/clu.sql" 2>&1 | tr '\n' ' '
}
clu_off=$(clu_run "")
clu_on=$(clu_run "$(cap_preload)")
if [ "$clu_off" = "$clu_on" ]; then
	echo "ok   CLUSTER: the new physical order is read ($clu_on)"
else
	echo "FAIL CLUSTER: without Capacitor '$clu_off', with '$clu_on'"
	failures=$((failures + 1))
fi

echo "hits during the cases: $total_hits"
[ "$total_hits" -gt 0 ] || { echo "FAIL: no hits at all: the cases did not exercise the cache"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || fail "$failures case(s) failed"
echo "ok"

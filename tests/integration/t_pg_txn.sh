#!/bin/bash
# t_pg_txn - transactions through the library (DESIGN.md, contract point 2):
#  - READ COMMITTED: hits inside BEGIN before any write; after a write every statement goes to
#    the server and sees the transaction's own writes; a rolled-back write is never served
#    afterwards; COMMIT makes another process's next read fresh (it read the old value while
#    the transaction was open);
#  - an aborted transaction gets its error, never a cached row; savepoints; COMMIT AND CHAIN;
#  - REPEATABLE READ / SERIALIZABLE, however chosen (BEGIN ISOLATION LEVEL, SET TRANSACTION,
#    SET default_transaction_isolation, SET SESSION CHARACTERISTICS, ALTER ROLE ... SET,
#    ALTER DATABASE ... SET, PGOPTIONS): no hits inside the transaction, and what it reads
#    equals what the server's snapshot shows even when another process cached a newer value;
#    with CAPACITOR_TXN=read-committed such transactions get hits.
# Every session runs without and with Capacitor (same setup) and must print the same; hit
# counts come from `capacitor stats --json` snapshots taken inside the session (\!).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# psql and pgbench hang at exit with libasan preloaded (SANITIZE=1; tests/README.md)
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
PSQLBIN="$CAP_PG_BIN/psql -X -tA -h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER"
PSQL="$PSQLBIN -d $CAP_PG_DB"
DIRECT="env -u LD_PRELOAD $PSQL"
LIBENV="LD_PRELOAD=$(cap_preload) CAPACITOR_ENABLE=1"
export PGOPTIONS="-c client_min_messages=warning"
failures=0

# mark LABEL (inside a session: \! $d/mark LABEL) - record the hit counter under LABEL
cat >"$d/mark" <<EOF
#!/bin/bash
h=\$( { "$CAP_TOOL" stats --json 2>/dev/null || true; } | python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("hits", 0))
except Exception: print(0)')
echo "\$1 \$h" >>"$d/marks.\$CAP_T_MODE"
EOF
chmod +x "$d/mark"
# hits A B - hits between marks A and B of the last run with the library
hits() {
	local a b
	a=$(awk -v k="$1" '$1 == k { print $2 }' "$d/marks.on")
	b=$(awk -v k="$2" '$1 == k { print $2 }' "$d/marks.on")
	echo $((b - a))
}
expect_hits() { # expect_hits WHAT A B zero|some
	local n
	n=$(hits "$2" "$3")
	if { [ "$4" = zero ] && [ "$n" -eq 0 ]; } || { [ "$4" = some ] && [ "$n" -gt 0 ]; }; then
		echo "ok   $1: $n hits"
	else
		echo "FAIL $1: $n hits, expected $4"
		failures=$((failures + 1))
	fi
}

setup() { # setup ENV... - reset the tables, through the library so that the cache forgets
	env "$@" $PSQL -q >/dev/null 2>&1 <<'SQL' || true
DROP TABLE IF EXISTS txn_kv;
CREATE TABLE txn_kv (id int PRIMARY KEY, v int);
INSERT INTO txn_kv VALUES (1, 0), (2, 0);
SQL
}

# sess NAME [ENV...] - run session $d/NAME.sql (psql with -d from the file's first line
# "-- db: NAME" if any) without and with the library; compare
sess() {
	local name=$1
	shift
	local extra=("$@")
	rm -f "$d/marks.off" "$d/marks.on"
	setup $LIBENV
	env -u LD_PRELOAD CAP_T_MODE=off "${extra[@]}" $PSQL -f "$d/$name.sql" >"$d/$name.off" 2>&1 || true
	setup $LIBENV
	env CAP_T_MODE=on $LIBENV "${extra[@]}" $PSQL -f "$d/$name.sql" >"$d/$name.on" 2>&1 || true
	if cmp -s "$d/$name.off" "$d/$name.on"; then
		echo "ok   $name: same output"
	else
		echo "FAIL $name: output with Capacitor differs:"
		diff -u --label without --label with "$d/$name.off" "$d/$name.on" | head -n 30 | sed 's/^/    /' || true
		failures=$((failures + 1))
	fi
}

OTHER="$PSQL -c"   # another process, inheriting the session's environment (library or not)

# ---- READ COMMITTED
cat >"$d/rc.sql" <<EOF
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 2;
\\! $d/mark begin
BEGIN;
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 2;
SELECT v FROM txn_kv WHERE id = 1;
\\! $d/mark before_write
UPDATE txn_kv SET v = v + 1 WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 2;
SELECT v FROM txn_kv WHERE id = 2;
\\! $d/mark after_write
ROLLBACK;
\\! $d/mark rolled_back
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
BEGIN;
UPDATE txn_kv SET v = v + 10 WHERE id = 1;
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
SELECT v FROM txn_kv WHERE id = 1;
COMMIT;
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
EOF
sess rc
expect_hits "READ COMMITTED before a write" begin before_write some
expect_hits "READ COMMITTED after a write" before_write after_write zero

cat >"$d/aborted.sql" <<EOF
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
BEGIN;
SELECT v FROM txn_kv WHERE id = 1;
SELECT 1/0;
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
ROLLBACK;
BEGIN;
SELECT v FROM txn_kv WHERE id = 2;
SAVEPOINT s1;
UPDATE txn_kv SET v = v + 100 WHERE id = 2;
SELECT v FROM txn_kv WHERE id = 2;
ROLLBACK TO SAVEPOINT s1;
SELECT v FROM txn_kv WHERE id = 2;
UPDATE txn_kv SET v = v + 5 WHERE id = 2;
COMMIT AND CHAIN;
SELECT v FROM txn_kv WHERE id = 2;
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 2'
UPDATE txn_kv SET v = v + 1 WHERE id = 2;
SELECT v FROM txn_kv WHERE id = 2;
ROLLBACK;
SELECT v FROM txn_kv WHERE id = 2;
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 2'
SELECT v FROM txn_kv WHERE id = 1 FOR UPDATE;
\\set AUTOCOMMIT off
SELECT v FROM txn_kv WHERE id = 1;
UPDATE txn_kv SET v = 42 WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
ROLLBACK;
SELECT v FROM txn_kv WHERE id = 1;
COMMIT;
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
EOF
sess aborted

# ---- REPEATABLE READ and SERIALIZABLE, however they are chosen
rr_body() { # rr_body BEGIN-STATEMENT
	cat <<EOF
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
\\! $d/mark warm
$1
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
\\! $d/mark first
\\! $OTHER 'UPDATE txn_kv SET v = v + 1 WHERE id = 1'
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
\\! $OTHER 'SELECT v FROM txn_kv WHERE id = 1'
SELECT v FROM txn_kv WHERE id = 1;
SELECT v FROM txn_kv WHERE id = 1;
\\! $d/mark inside
COMMIT;
SELECT v FROM txn_kv WHERE id = 1;
EOF
}
rr_case() { # rr_case NAME BEGIN-STATEMENT [PREAMBLE]
	{ printf '%s\n' "${3:-}"; rr_body "$2"; } >"$d/$1.sql"
	sess "$1"
	expect_hits "$1: reads inside the transaction" warm first zero
	# the other process's reads happen between first and inside: count only ours
	local n
	n=$(hits first inside)
	[ "$n" -le 2 ] || { echo "FAIL $1: hits inside after the concurrent write: $n (at most the other process's 2)"; failures=$((failures + 1)); }
}
rr_case rr_begin "BEGIN ISOLATION LEVEL REPEATABLE READ;"
rr_case serializable_begin "START TRANSACTION ISOLATION LEVEL SERIALIZABLE;"
rr_case rr_set_transaction "BEGIN; SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
rr_case rr_default "BEGIN;" "SET default_transaction_isolation = 'repeatable read';"
rr_case rr_characteristics "BEGIN;" "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE;"
rr_case rr_set_config "BEGIN;" "SELECT set_config('default_transaction_isolation', 'repeatable read', false);"

# PGOPTIONS: the server default for this connection, invisible to the statements
{ rr_body "BEGIN;"; } >"$d/rr_pgoptions.sql"
sess rr_pgoptions PGOPTIONS="-c client_min_messages=warning -c default_transaction_isolation=repeatable\\ read"
expect_hits "rr_pgoptions: reads inside the transaction" warm first zero

# ALTER ROLE ... SET: a role whose sessions default to REPEATABLE READ
$DIRECT -q >/dev/null 2>&1 <<'SQL' || true
DROP ROLE IF EXISTS txn_rr;
CREATE ROLE txn_rr LOGIN;
ALTER ROLE txn_rr SET default_transaction_isolation = 'repeatable read';
SQL
$DIRECT -q -c "GRANT ALL ON SCHEMA public TO txn_rr" >/dev/null 2>&1 || true
setup_role() { env "$@" $PSQL -q >/dev/null 2>&1 <<'SQL' || true
DROP TABLE IF EXISTS txn_kv;
CREATE TABLE txn_kv (id int PRIMARY KEY, v int);
INSERT INTO txn_kv VALUES (1, 0), (2, 0);
GRANT ALL ON txn_kv TO txn_rr;
SQL
}
{ rr_body "BEGIN;"; } >"$d/rr_role.sql"
rm -f "$d/marks.off" "$d/marks.on"
setup_role $LIBENV
env -u LD_PRELOAD CAP_T_MODE=off PGUSER=txn_rr $CAP_PG_BIN/psql -X -tA -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U txn_rr -d "$CAP_PG_DB" -f "$d/rr_role.sql" >"$d/rr_role.off" 2>&1 || true
setup_role $LIBENV
env CAP_T_MODE=on $LIBENV PGUSER=txn_rr $CAP_PG_BIN/psql -X -tA -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U txn_rr -d "$CAP_PG_DB" -f "$d/rr_role.sql" >"$d/rr_role.on" 2>&1 || true
if cmp -s "$d/rr_role.off" "$d/rr_role.on"; then echo "ok   rr_role: same output"; else
	echo "FAIL rr_role: output with Capacitor differs:"
	diff -u "$d/rr_role.off" "$d/rr_role.on" | head -n 30 | sed 's/^/    /' || true
	failures=$((failures + 1))
fi
expect_hits "rr_role (ALTER ROLE ... SET default_transaction_isolation)" warm first zero

# ALTER DATABASE ... SET: a database whose sessions default to SERIALIZABLE
$DIRECT -q -d postgres -c "DROP DATABASE IF EXISTS capacitor_txn" >/dev/null 2>&1 || true
$DIRECT -q -d postgres -c "CREATE DATABASE capacitor_txn" >/dev/null
$DIRECT -q -d postgres -c "ALTER DATABASE capacitor_txn SET default_transaction_isolation = 'serializable'" >/dev/null
{ rr_body "BEGIN;"; } | sed "s|$PSQL|$PSQLBIN -d capacitor_txn|g" >"$d/rr_db.sql"
rm -f "$d/marks.off" "$d/marks.on"
for mode in off on; do
	if [ $mode = off ]; then e=(env -u LD_PRELOAD CAP_T_MODE=off); else e=(env $LIBENV CAP_T_MODE=on); fi
	"${e[@]}" $PSQLBIN -d capacitor_txn -q -c "DROP TABLE IF EXISTS txn_kv" -c "CREATE TABLE txn_kv (id int PRIMARY KEY, v int)" -c "INSERT INTO txn_kv VALUES (1, 0), (2, 0)" >/dev/null 2>&1 || true
	"${e[@]}" $PSQLBIN -d capacitor_txn -f "$d/rr_db.sql" >"$d/rr_db.$mode" 2>&1 || true
done
if cmp -s "$d/rr_db.off" "$d/rr_db.on"; then echo "ok   rr_db: same output"; else
	echo "FAIL rr_db: output with Capacitor differs:"
	diff -u "$d/rr_db.off" "$d/rr_db.on" | head -n 30 | sed 's/^/    /' || true
	failures=$((failures + 1))
fi
expect_hits "rr_db (ALTER DATABASE ... SET default_transaction_isolation)" warm first zero

# CAPACITOR_TXN=read-committed: the user accepts READ COMMITTED reads, so hits
{ rr_body "BEGIN ISOLATION LEVEL REPEATABLE READ;"; } | sed '/UPDATE txn_kv/d' >"$d/rr_relaxed.sql"
sess rr_relaxed CAPACITOR_TXN=read-committed
expect_hits "CAPACITOR_TXN=read-committed at REPEATABLE READ" warm first some

$DIRECT -q -d postgres -c "DROP DATABASE IF EXISTS capacitor_txn" >/dev/null 2>&1 || true
[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "ok"

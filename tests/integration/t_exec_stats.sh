#!/bin/bash
# t_exec_stats.sh - both clients count a read the same way (hooks/exec): a read that is not
# cached is a bypass with its reason even when it is also invalidated after (it calls a
# function that may write), so that reads = hits + misses + bypasses over a run of reads only,
# and no read counts as a write. MySQL counted such a read as a write before the one driver.
# A miss whose result is over CAPACITOR_MAX_RESULT is not stored and says why ("too large"):
# libpq's synchronous and asynchronous paths (PQsendQuery, psycopg 3), Connector/C's text
# and prepared paths (which store the result after the statement's line).
. "$(dirname "$0")/lib.sh"
cap_need_pg
cap_need_my
PQ="$CAP_BUILD/clients/pq_lines"
MY="$CAP_BUILD/clients/my_lines"
if [ ! -x "$PQ" ] || [ ! -x "$MY" ]; then fail "clients not built (make clients)"; fi

counter() { # counter NAME: one counter of capacitor stats --json
	"$CAP_TOOL" stats --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

check() { # check LABEL: reads = hits + misses + bypasses, and no writes
	local reads hits misses bypasses writes
	reads=$(counter reads) hits=$(counter hits) misses=$(counter misses)
	bypasses=$(counter bypasses) writes=$(counter writes)
	echo "$1: reads=$reads hits=$hits misses=$misses bypasses=$bypasses writes=$writes"
	[ "${reads:-0}" -ge 6 ] || fail "$1: expected at least 6 reads, got ${reads:-none}"
	assert_eq "$1: reads = hits + misses + bypasses" "$reads" $((hits + misses + bypasses))
	assert_eq "$1: writes" 0 "$writes"
	"$CAP_TOOL" stats --reset >/dev/null
}
# the fixture's setup statements above ran without the library: the stats start empty

cap_pg_psql -q <<'SQL'
DROP TABLE IF EXISTS t_exec_stats;
CREATE TABLE t_exec_stats (id int PRIMARY KEY, v text);
INSERT INTO t_exec_stats VALUES (1, 'a'), (2, 'b');
CREATE OR REPLACE FUNCTION t_exec_stats_f(i int) RETURNS text VOLATILE LANGUAGE sql
  AS 'SELECT v FROM t_exec_stats WHERE id = i';
SQL
cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_exec_stats;
CREATE TABLE t_exec_stats (id INT PRIMARY KEY, v VARCHAR(8)) ENGINE=InnoDB;
INSERT INTO t_exec_stats VALUES (1, 'a'), (2, 'b');
DROP FUNCTION IF EXISTS t_exec_stats_f;
CREATE FUNCTION t_exec_stats_f(i INT) RETURNS VARCHAR(8) NOT DETERMINISTIC MODIFIES SQL DATA
  RETURN (SELECT v FROM t_exec_stats WHERE id = i);
SQL

reads='SELECT v FROM t_exec_stats WHERE id = 1
SELECT v FROM t_exec_stats WHERE id = 1
SELECT t_exec_stats_f(2)
SELECT t_exec_stats_f(2)
SELECT v FROM t_exec_stats WHERE id = 2
SELECT v FROM t_exec_stats WHERE id = 2'

out=$(printf '%s\n' "$reads" | LD_PRELOAD=$(cap_preload) "$PQ") || fail "pq_lines"
echo "$out" | grep -q ERR && fail "libpq: $out"
check libpq
out=$(printf '%s\n' "$reads" | LD_PRELOAD=$(cap_preload) "$MY") || fail "my_lines"
echo "$out" | grep -q ERR && fail "Connector/C: $out"
check Connector/C
echo "ok: a read that may write is a bypassed read on both clients"

# a result over CAPACITOR_MAX_RESULT: two misses, no hit, the shape's reason "too large"
big='SELECT v, repeat(v, 4000) FROM t_exec_stats ORDER BY id
SELECT v, repeat(v, 4000) FROM t_exec_stats ORDER BY id'
out=$(printf '%s\n' "$big" | CAPACITOR_MAX_RESULT=1K LD_PRELOAD=$(cap_preload) "$PQ") || fail "pq_lines (big)"
echo "$out" | grep -q ERR && fail "libpq (big): $out"
top=$("$CAP_TOOL" stats --top 5)
echo "$top"
assert_eq "hits of a result over CAPACITOR_MAX_RESULT" 0 "$(counter hits)"
assert_eq "misses of a result over CAPACITOR_MAX_RESULT" 2 "$(counter misses)"
echo "$top" | grep -i 'repeat' | grep -q 'too large' || fail "the shape's reason is not \"too large\""
"$CAP_TOOL" stats --reset >/dev/null
if /usr/bin/python3 -c 'import psycopg' 2>/dev/null; then
	CAPACITOR_MAX_RESULT=1K LD_PRELOAD=$(cap_preload) /usr/bin/python3 - <<'PY' || fail "psycopg 3 (big)"
import psycopg
with psycopg.connect(autocommit=True) as c:
    for _ in range(2):
        c.execute("SELECT v, repeat(v, 4000) FROM t_exec_stats ORDER BY id").fetchall()
PY
	top=$("$CAP_TOOL" stats --top 5)
	echo "$top"
	echo "$top" | grep -i 'repeat' | grep -q 'too large' || fail "psycopg 3: the shape's reason is not \"too large\""
fi
"$CAP_TOOL" stats --reset >/dev/null
# Connector/C stores a result after the statement's line is written (mysql_store_result,
# mysql_stmt_store_result): the shape is told why afterwards, text and prepared
out=$(printf '%s\n' "$big" | CAPACITOR_MAX_RESULT=1K LD_PRELOAD=$(cap_preload) "$MY") || fail "my_lines (big)"
echo "$out" | grep -q ERR && fail "Connector/C (big): $out"
top=$("$CAP_TOOL" stats --top 5)
echo "$top"
assert_eq "Connector/C: hits of a result over CAPACITOR_MAX_RESULT" 0 "$(counter hits)"
echo "$top" | grep -i 'repeat' | grep -q 'too large' || fail "Connector/C: the shape's reason is not \"too large\""
"$CAP_TOOL" stats --reset >/dev/null
if perl -MDBD::MariaDB -e 1 2>/dev/null; then
	CAPACITOR_MAX_RESULT=1K LD_PRELOAD=$(cap_preload) perl -MDBI -e '
		my $d = DBI->connect("dbi:MariaDB:database=$ENV{CAP_MY_DB};mariadb_socket=$ENV{CAP_MY_SOCKET};mariadb_server_prepare=1",
			$ENV{CAP_MY_USER}, $ENV{CAP_MY_PASSWORD}, { RaiseError => 1 });
		for (1 .. 2) {
			my $s = $d->prepare("SELECT v, repeat(v, ?) FROM t_exec_stats ORDER BY id");
			$s->execute(4000);
			$s->fetchall_arrayref;
		}' || fail "DBD::MariaDB (big)"
	top=$("$CAP_TOOL" stats --top 5)
	echo "$top"
	assert_eq "prepared: hits of a result over CAPACITOR_MAX_RESULT" 0 "$(counter hits)"
	echo "$top" | grep -i 'repeat' | grep -q 'too large' ||
		fail "Connector/C prepared: the shape's reason is not \"too large\""
fi
echo "ok: a result over CAPACITOR_MAX_RESULT is a miss with the reason \"too large\", both clients"

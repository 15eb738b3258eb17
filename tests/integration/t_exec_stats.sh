#!/bin/bash
# t_exec_stats.sh - both clients count a read the same way (hooks/exec): a read that is not
# cached is a bypass with its reason even when it is also invalidated after (it calls a
# function that may write), so that reads = hits + misses + bypasses over a run of reads only,
# and no read counts as a write. MySQL counted such a read as a write before the one driver.
. "$(dirname "$0")/lib.sh"
cap_need_pg
cap_need_my
PQ="$CAP_BUILD/clients/pq_lines"
MY="$CAP_BUILD/clients/my_lines"
[ -x "$PQ" ] && [ -x "$MY" ] || fail "clients not built (make clients)"

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

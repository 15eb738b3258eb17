#!/bin/bash
# t_mysql_ps.sh - prepared statements (mysql_stmt_*) through Capacitor: reads are served from
# the cache through the program's bound buffers exactly as the server path fills them, over a
# type corpus (integers of every width signed/unsigned, FLOAT/DOUBLE, DECIMAL, UTF-8
# VARCHAR/TEXT, BLOB with zero bytes, DATE/TIME/DATETIME/TIMESTAMP, YEAR, BIT, ENUM, JSON,
# NULLs, empty results, 10,000 rows) with parameters of several types, result buffers of the
# column's own type and of other types (conversions, truncation, fetch_column), stored and
# unstored fetch, data_seek/row_seek; from L1 (same process) and L2 (another process); hits
# really happen; a prepared write is seen by the next prepared read in another process; no
# hits inside a REPEATABLE READ transaction; a hit left unread makes the next command "out
# of sync" as the real result does; valgrind is clean.
. "$(dirname "$0")/lib.sh"
cap_need_my
ps=$CAP_BUILD/clients/my_ps
[ -x "$ps" ] || fail "$ps not built (make clients)"
tmp=$(cap_tmpdir)

cap_my_sql <<'SQL'
SET NAMES utf8mb4;
DROP TABLE IF EXISTS ps_types, ps_big, ps_empty;
CREATE TABLE ps_types (
  id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, bi BIGINT, d DECIMAL(20,6),
  f DOUBLE, vc VARCHAR(64), tx TEXT, bl BLOB, dt DATE, dtm DATETIME(3), ts TIMESTAMP NULL,
  js JSON, en ENUM('a','b'), bt BIT(8), fl FLOAT, mi MEDIUMINT, yr YEAR, tm TIME(2),
  ui INT UNSIGNED, ub BIGINT UNSIGNED
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO ps_types VALUES
 (1, -128, 65535, -9223372036854775808, 12345678901234.123456, 1.5e300, 'héllo wörld ✓',
  REPEAT('long text ', 50), X'00FF0001', '2024-02-29', '2024-02-29 23:59:59.123',
  '2001-02-03 04:05:06', '{"a": [1, 2, null], "b": "ü"}', 'a', b'10100101', 3.25, -8388608,
  2024, '-838:59:59', 4294967295, 18446744073709551615),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL),
 (3, 0, 0, 0, 0, 0, '', '', X'', '1000-01-01', '9999-12-31 23:59:59', NULL, '[]', 'b', b'0', 0,
  0, 1901, '00:00:00', 0, 0),
 (4, 127, 1, 9223372036854775807, -0.000001, -2.5, 'emoji 😀', 'x', X'000000', NULL, NULL,
  '2038-01-19 03:14:07', 'null', NULL, NULL, -1.5e-10, 8388607, 2155, '12:34:56.78', 1, 1),
 (5, 1, 300, 123, 42.5, 1e-300, '12345', '2024-01-02 03:04:05', X'41', '2024-01-02',
  '2024-01-02 00:00:00', NULL, '"s"', 'a', b'1', 1e30, 1, NULL, '-00:00:01', 2147483648,
  9223372036854775808);
CREATE TABLE ps_big (id INT PRIMARY KEY, v VARCHAR(32), n INT) ENGINE=InnoDB;
SET SESSION max_recursive_iterations = 100000;
INSERT INTO ps_big WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10000)
  SELECT i, CONCAT('v', i), IF(i % 10 = 0, NULL, i * 3) FROM s;
CREATE TABLE ps_empty (a INT, b TEXT) ENGINE=InnoDB;
SQL

cat >"$tmp/q.txt" <<'EOF'
SELECT * FROM ps_types ORDER BY id
SELECT * FROM ps_types WHERE id = ?|i:1
SELECT id, vc, tx FROM ps_types WHERE vc = ?|s:héllo wörld ✓
SELECT id, bl, LENGTH(bl) FROM ps_types WHERE id IN (?, ?, ?) ORDER BY id|I:1|I:3|I:4
SELECT ? IS NULL, ?, ? + 1, ?|n:|s:abc|d:1.25|t:-5
SELECT id FROM ps_types WHERE dt = ?|D:2024-02-29
SELECT id, dtm FROM ps_types WHERE dtm >= ? ORDER BY id|T:2024-01-01 00:00:00
SELECT * FROM ps_empty
SELECT a FROM ps_empty WHERE a > ?|t:3
SELECT * FROM ps_big ORDER BY id
SELECT COUNT(*), SUM(n), MAX(v) FROM ps_big WHERE id > ?|u:5
SELECT 1 AS one, 'two' AS two, NULL AS three, 1.5 AS four, CAST('2020-01-01' AS DATE) AS five
EOF

"$ps" corpus "$tmp/q.txt" 2 >"$tmp/direct.txt" || fail "my_ps without Capacitor"
LD_PRELOAD=$(cap_preload) "$ps" corpus "$tmp/q.txt" 2 >"$tmp/l1.txt" || fail "my_ps with Capacitor"
diff -u "$tmp/direct.txt" "$tmp/l1.txt" >"$tmp/diff1" || { head -60 "$tmp/diff1"; fail "prepared results differ (first process)"; }
LD_PRELOAD=$(cap_preload) "$ps" corpus "$tmp/q.txt" 1 >"$tmp/l2.txt" || fail "my_ps with Capacitor (2)"
"$ps" corpus "$tmp/q.txt" 1 >"$tmp/direct1.txt" || fail "my_ps without Capacitor (2)"
diff -u "$tmp/direct1.txt" "$tmp/l2.txt" >"$tmp/diff2" || { head -60 "$tmp/diff2"; fail "prepared results differ (second process)"; }
grep -q 'rc=101' "$tmp/direct.txt" || fail "the corpus does not exercise truncation"
grep -q 'col(3) rc=0' "$tmp/direct.txt" || fail "the corpus does not exercise fetch_column"

stat() { "$CAP_TOOL" stats --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
hits=$(stat hits) hits_l2=$(stat hits_l2)
echo "hits=$hits hits_l2=$hits_l2"
[ "${hits:-0}" -ge 500 ] || fail "expected at least 500 prepared hits, got ${hits:-none}"
[ "${hits_l2:-0}" -ge 1 ] || fail "expected L2 hits from the second process"

# cursors pass through uncached, unchanged; STMT_ATTR_UPDATE_MAX_LENGTH set before the
# execute (Ruby's mysql2) is served, each field's max_length as the library's store sets it
grep -v 'ps_big ORDER BY' "$tmp/q.txt" >"$tmp/q_small.txt"
for attr in cursor maxlen; do
	h0=$(stat hits)
	MY_PS_ATTR=$attr "$ps" corpus "$tmp/q_small.txt" 1 >"$tmp/a_direct.txt" || fail "my_ps $attr"
	MY_PS_ATTR=$attr LD_PRELOAD=$(cap_preload) "$ps" corpus "$tmp/q_small.txt" 1 >"$tmp/a_cap.txt" ||
		fail "my_ps $attr with Capacitor"
	diff -u "$tmp/a_direct.txt" "$tmp/a_cap.txt" >"$tmp/diff_$attr" || { head -40 "$tmp/diff_$attr"; fail "$attr statements differ"; }
	if [ "$attr" = cursor ]; then
		# only the corpus' one plain "SELECT 42" per statement may hit
		[ $(($(stat hits) - h0)) -le 12 ] || fail "$attr statements were served from the cache"
	else
		[ $(($(stat hits) - h0)) -gt 100 ] || fail "$attr statements were not served from the cache"
	fi
done

# parameters sent with mysql_stmt_send_long_data pass through
h0=$(stat hits)
for i in 1 2; do
	assert_eq "long data ($i)" "$(printf '5\n6\n7')" "$(LD_PRELOAD=$(cap_preload) "$ps" longdata abcde)"
done
assert_eq "no hits for long data" "$h0" "$(stat hits)"

# writes invalidate: prepared and text, each seen by the next prepared read in another process
q=(query "SELECT v FROM ps_big WHERE id = ?" i:7)
run() { LD_PRELOAD=$(cap_preload) "$ps" "$@"; }
assert_eq "read before" "v7" "$(run "${q[@]}")"
h0=$(stat hits)
assert_eq "cached read" "v7" "$(run "${q[@]}")"
[ "$(stat hits)" -gt "$h0" ] || fail "the second prepared read was not a hit"
assert_eq "prepared write" "affected 1" "$(run query "UPDATE ps_big SET v = ? WHERE id = ?" s:ps-write i:7)"
assert_eq "after prepared write" "ps-write" "$(run "${q[@]}")"
LD_PRELOAD=$(cap_preload) "$CAP_BUILD/clients/my_api" exec "UPDATE ps_big SET v = 'text write' WHERE id = 7" >/dev/null
assert_eq "after text write" "text write" "$(run "${q[@]}")"
assert_eq "cached again" "text write" "$(run "${q[@]}")"
# a write in a transaction (autocommit off), committed by the text API
MY_API_AUTOCOMMIT=0 LD_PRELOAD=$(cap_preload) "$CAP_BUILD/clients/my_api" exec \
	"UPDATE ps_big SET v = 'txn write' WHERE id = 7" "COMMIT" >/dev/null
assert_eq "after committed write" "txn write" "$(run "${q[@]}")"
run query "UPDATE ps_big SET v = ? WHERE id = ?" s:v7 i:7 >/dev/null
assert_eq "restored" "v7" "$(run "${q[@]}")"

# no hits inside a REPEATABLE READ transaction (autocommit off: every statement is in one)
h0=$(stat hits)
assert_eq "in a transaction" "v7" "$(MY_PS_AUTOCOMMIT=0 run "${q[@]}")"
assert_eq "in a transaction (2)" "v7" "$(MY_PS_AUTOCOMMIT=0 run "${q[@]}")"
assert_eq "no hits in a transaction" "$h0" "$(stat hits)"

# a hit left unread holds its connection as the real result does (tests/clients/my_pssync):
# another command (a query, a ping, another statement's execute or prepare) is "out of sync",
# the rows can still be read after it; free_result (also through the non-blocking API),
# store_result, reset, a new execute and close release it. Cursor statements pass through.
sy=$CAP_BUILD/clients/my_pssync
[ -x "$sy" ] || fail "$sy not built (make clients)"
sync_run() { # sync_run OUT [env...] - the scenario $sc, its exit status last
	local out=$1 rc=0
	shift
	timeout -k 5 30 env "$@" "$sy" "$sc" "SELECT id, v FROM ps_big WHERE id < 3 /* $sc */ ORDER BY id" \
		>"$out" 2>&1 || rc=$?
	echo "exit $rc" >>"$out"
}
for sc in query ping exec2 prepare2 partial free store reset reexec close nbfree cursor; do
	sync_run "$tmp/sync.off"
	h0=$(stat hits)
	sync_run "$tmp/sync.on" LD_PRELOAD="$(cap_preload)"
	[ "$sc" = cursor ] || [ "$(stat hits)" -gt "$h0" ] || fail "$sc: the unread execution was not a hit"
	diff -u "$tmp/sync.off" "$tmp/sync.on" || fail "$sc: an unread prepared hit differs from an unread result"
done
# closing (also through the non-blocking API), resetting or storing another statement,
# resetting the connection or reading a query's answer that was never sent, meanwhile:
# Connector/C reads the unread rows as that command's answer, and the connection is out of
# step (the next query fails, a later fetch of the first statement crashes); under Capacitor
# the unread hit is read to its end first (mysql_read_query_result fails "out of sync"), and
# nothing waits for bytes that never come
for sc in close2 nbclose2 reset2 resetconn store2 sendread; do
	sync_run "$tmp/sync.on" LD_PRELOAD="$(cap_preload)"
	grep -q "^exit 0$" "$tmp/sync.on" || { cat "$tmp/sync.on"; fail "$sc: hung or crashed"; }
	grep -q "^SELECT RAND() < [23] rc=0" "$tmp/sync.on" || { cat "$tmp/sync.on"; fail "$sc: the connection is not usable"; }
done

# valgrind: no invalid access, no definite leak on the hit and miss paths
if command -v valgrind >/dev/null && [ -z "$CAP_PRELOAD_PREFIX" ]; then
	LD_PRELOAD=$CAP_LIB valgrind -q --error-exitcode=9 --leak-check=full \
		--errors-for-leak-kinds=definite "$ps" corpus "$tmp/q_small.txt" 2 >"$tmp/vg.txt" 2>"$tmp/vg.err" ||
		{ head -60 "$tmp/vg.err"; fail "valgrind reported errors"; }
	"$ps" corpus "$tmp/q_small.txt" 2 >"$tmp/vg0.txt"
	diff -q "$tmp/vg0.txt" "$tmp/vg.txt" >/dev/null || fail "results differ under valgrind"
fi
echo "ok"

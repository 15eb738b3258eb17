#!/bin/bash
# t_mysql_api.sh - libmysqlclient through Capacitor: every result path of the C API returns
# exactly what it returns without Capacitor over a corpus of types (integers, DECIMAL, UTF-8
# VARCHAR/TEXT, BLOB with zero bytes, DATE/DATETIME/TIMESTAMP, JSON, NULLs, empty results,
# 10,000 rows), from L1 (same process) and L2 (another process); hits really happen; prepared
# statements pass through unchanged; writes through either API invalidate; a hit left unread
# makes the next command "out of sync"; the non-blocking API next to hits behaves as without
# Capacitor; valgrind is clean.
. "$(dirname "$0")/lib.sh"
cap_need_my
api=$CAP_BUILD/clients/my_api
[ -x "$api" ] || fail "$api not built (make clients)"
tmp=$(cap_tmpdir)

cap_my_sql <<'SQL'
SET NAMES utf8mb4;
DROP TABLE IF EXISTS t_types, t_big, t_empty;
CREATE TABLE t_types (
  id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, bi BIGINT, d DECIMAL(20,6),
  f DOUBLE, vc VARCHAR(64), tx TEXT, bl BLOB, dt DATE, dtm DATETIME(3), ts TIMESTAMP NULL,
  js JSON, en ENUM('a','b'), bt BIT(8)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO t_types VALUES
 (1, -128, 65535, -9223372036854775808, 12345678901234.123456, 1.5e300, 'héllo wörld ✓',
  REPEAT('long text ', 50), X'00FF0001', '2024-02-29', '2024-02-29 23:59:59.123',
  '2001-02-03 04:05:06', '{"a": [1, 2, null], "b": "ü"}', 'a', b'10100101'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 0, 0, 0, 0, 0, '', '', X'', '1000-01-01', '9999-12-31 23:59:59', NULL, '[]', 'b', b'0'),
 (4, 127, 1, 9223372036854775807, -0.000001, -2.5, 'emoji 😀', 'x', X'000000', NULL, NULL,
  '2038-01-19 03:14:07', 'null', NULL, NULL);
CREATE TABLE t_big (id INT PRIMARY KEY, v VARCHAR(32), n INT) ENGINE=InnoDB;
SET SESSION max_recursive_iterations = 100000;
INSERT INTO t_big WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10000)
  SELECT i, CONCAT('v', i), IF(i % 10 = 0, NULL, i * 3) FROM s;
CREATE TABLE t_empty (a INT, b TEXT) ENGINE=InnoDB;
SQL

cat >"$tmp/q.sql" <<'EOF2'
SELECT * FROM t_types ORDER BY id
SELECT id, bl, LENGTH(bl) FROM t_types WHERE id IN (1, 3, 4) ORDER BY id
SELECT vc AS alias_vc, js, d + 1 AS expr FROM t_types WHERE id = 1
SELECT * FROM t_empty
SELECT a FROM t_empty WHERE a > 3
SELECT * FROM t_big ORDER BY id
SELECT COUNT(*), SUM(n), MAX(v) FROM t_big
SELECT t.id, b.v FROM t_types t JOIN t_big b ON b.id = t.id ORDER BY t.id
SELECT 1 AS one, 'two' AS two, NULL AS three
EOF2

"$api" dump "$tmp/q.sql" 2 >"$tmp/direct.txt" || fail "my_api without Capacitor"
LD_PRELOAD=$(cap_preload) "$api" dump "$tmp/q.sql" 2 >"$tmp/l1.txt" || fail "my_api with Capacitor"
diff -u "$tmp/direct.txt" "$tmp/l1.txt" >"$tmp/diff1" || { head -50 "$tmp/diff1"; fail "results differ (first process)"; }
LD_PRELOAD=$(cap_preload) "$api" dump "$tmp/q.sql" 2 >"$tmp/l2.txt" || fail "my_api with Capacitor (2)"
diff -u "$tmp/direct.txt" "$tmp/l2.txt" >"$tmp/diff2" || { head -50 "$tmp/diff2"; fail "results differ (second process)"; }

hits=$("$CAP_TOOL" stats --json | sed -n 's/.*"hits":\([0-9]*\).*/\1/p')
hits_l2=$("$CAP_TOOL" stats --json | sed -n 's/.*"hits_l2":\([0-9]*\).*/\1/p')
echo "hits=$hits hits_l2=$hits_l2"
[ "${hits:-0}" -ge 80 ] || fail "expected at least 80 hits, got ${hits:-none}"
[ "${hits_l2:-0}" -ge 1 ] || fail "expected L2 hits from the second process"

# prepared statements: results pass through unchanged (truncation, NULLs, fetch_column)
"$api" ps "$tmp/q.sql" 2 >"$tmp/ps_direct.txt" || fail "ps without Capacitor"
LD_PRELOAD=$(cap_preload) "$api" ps "$tmp/q.sql" 2 >"$tmp/ps_cap.txt" || fail "ps with Capacitor"
diff -u "$tmp/ps_direct.txt" "$tmp/ps_cap.txt" >"$tmp/diff3" || { head -50 "$tmp/diff3"; fail "prepared results differ"; }

# writes invalidate: text and prepared, each seen by the next read in another process
q="SELECT v FROM t_big WHERE id = 7"
run() { LD_PRELOAD=$(cap_preload) "$api" exec "$@"; }
assert_eq "read before" "v7" "$(run "$q")"
assert_eq "cached read" "v7" "$(run "$q")"
run "UPDATE t_big SET v = 'text write' WHERE id = 7" >/dev/null
assert_eq "after text write" "text write" "$(run "$q")"
printf '%s\n' "UPDATE t_big SET v = 'ps write' WHERE id = 7" >"$tmp/w.sql"
LD_PRELOAD=$(cap_preload) "$api" ps "$tmp/w.sql" 1 >/dev/null
assert_eq "after prepared write" "ps write" "$(run "$q")"
run "UPDATE t_big SET v = 'v7' WHERE id = 7" >/dev/null

# write through mysql_commit in a transaction (autocommit off)
assert_eq "cached again" "v7" "$(run "$q")"
MY_API_AUTOCOMMIT=0 run "UPDATE t_big SET v = 'txn write' WHERE id = 7" "COMMIT" >/dev/null
assert_eq "after committed write" "txn write" "$(run "$q")"
run "UPDATE t_big SET v = 'v7' WHERE id = 7" >/dev/null

# a program's first statement is a hit: the session's settings are read before it, and their
# answer, later on the coarse clock than the statement's start, is no idle time (20 programs
# of one read each, text and prepared; about half of them missed when it counted as idle)
hits_now() { "$CAP_TOOL" stats --json | sed -n 's/.*"hits":\([0-9]*\).*/\1/p'; }
q="SELECT id, v FROM t_big WHERE id < 3"
printf '%s\n' "$q" >"$tmp/first.sql"
for i in 1 2; do
	run "$q" >/dev/null
	LD_PRELOAD=$(cap_preload) "$api" ps "$tmp/first.sql" 1 >/dev/null
done
h0=$(hits_now)
for ((i = 0; i < 20; i++)); do run "$q" >/dev/null; done
h1=$(hits_now)
assert_eq "hits of 20 programs' first (text) statement" 20 $((h1 - h0))
for ((i = 0; i < 20; i++)); do LD_PRELOAD=$(cap_preload) "$api" ps "$tmp/first.sql" 1 >/dev/null; done
h2=$(hits_now)
assert_eq "hits of 20 programs' first (prepared) statement" 20 $((h2 - h1))

# a hit left unread: the next command is "out of sync" as without Capacitor, and the result
# can still be stored after it
"$api" unread "SELECT id, v FROM t_big WHERE id < 4" >"$tmp/unread.off"
LD_PRELOAD=$(cap_preload) "$api" unread "SELECT id, v FROM t_big WHERE id < 4" >"$tmp/unread.on"
diff -u "$tmp/unread.off" "$tmp/unread.on" || fail "an unread hit differs from an unread result"
# two mysql_send_query before reading, the first a hit from the second round on: Connector/C
# sends without reading, and the program reads both answers in the order it sent them
"$api" sendtwice "SELECT id, v FROM t_big WHERE id = 3" >"$tmp/send2.off"
LD_PRELOAD=$(cap_preload) "$api" sendtwice "SELECT id, v FROM t_big WHERE id = 3" >"$tmp/send2.on"
diff -u "$tmp/send2.off" "$tmp/send2.on" || fail "two sends before reading: answers differ or out of order"

# a session the server closed for being idle (wait_timeout) is not answered from the cache:
# the read after it fails as it does without Capacitor
"$api" idle "SELECT id, v FROM t_big WHERE id < 5" >"$tmp/idle.off"
LD_PRELOAD=$(cap_preload) "$api" idle "SELECT id, v FROM t_big WHERE id < 5" >"$tmp/idle.on"
diff -u "$tmp/idle.off" "$tmp/idle.on" || fail "a hit answered for a session the server closed"

# the non-blocking API next to hits (my_async): a mysql_send_query hit not read yet, then
# another command through a _start function, a prepared statement or a blocking call that
# sends one: the hit gives way, the answers come in the order sent, nothing waits forever;
# and a hit collected with mysql_store_result_start, mysql_fetch_row_start,
# mysql_free_result_start, mysql_next_result_start as without the library (three hits each);
# held_ping: another thread is blocked in poll() on the socket when the hit is sent (it then
# pays a COM_PING, whose answer the hit's giving way reads first)
cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_myasync;
CREATE TABLE t_myasync (id INT PRIMARY KEY, name VARCHAR(16)) ENGINE=InnoDB;
INSERT INTO t_myasync VALUES (1, 'one'), (2, 'two'), (3, NULL);
SQL
async=$CAP_BUILD/clients/my_async
[ -x "$async" ] || fail "$async not built (make clients)"
q1="SELECT id, name FROM t_myasync WHERE id < 3 ORDER BY id"
q2="SELECT name FROM t_myasync WHERE id = 2"
for what in held held_ping collect; do
	waiter=0
	case $what in
	held) args=(held all "$q1" "$q2") ;;
	held_ping) args=(held all "$q1" "$q2") waiter=1 ;;
	collect) args=(collect "$q1") ;;
	esac
	MY_ASYNC_WAITER=$waiter timeout -k 5 300 "$async" "${args[@]}" >"$tmp/async_$what.off" 2>&1 ||
		fail "my_async $what without Capacitor"
	h0=$(hits_now)
	rc=0
	MY_ASYNC_WAITER=$waiter LD_PRELOAD=$(cap_preload) timeout -k 5 300 "$async" "${args[@]}" \
		>"$tmp/async_$what.on" 2>&1 || rc=$?
	h=$(($(hits_now) - h0))
	diff -u "$tmp/async_$what.off" "$tmp/async_$what.on" >"$tmp/async_$what.diff" ||
		{ head -60 "$tmp/async_$what.diff"; fail "non-blocking API next to hits ($what): output differs (exit $rc)"; }
	[ "$rc" -eq 0 ] || fail "my_async $what with Capacitor: exit $rc"
	echo "my_async $what: same output, $h hits"
	[ "$h" -ge 20 ] || fail "my_async $what: expected at least 20 hits, got $h"
done

# valgrind: no invalid access, no definite leak on the hit and miss paths
if command -v valgrind >/dev/null && [ -z "$CAP_PRELOAD_PREFIX" ]; then
	head -n 4 "$tmp/q.sql" >"$tmp/vq.sql"
	LD_PRELOAD=$CAP_LIB valgrind -q --error-exitcode=9 --leak-check=full \
		--errors-for-leak-kinds=definite "$api" dump "$tmp/vq.sql" 3 >"$tmp/vg.txt" 2>"$tmp/vg.err" ||
		{ cat "$tmp/vg.err"; fail "valgrind reported errors"; }
	"$api" dump "$tmp/vq.sql" 3 >"$tmp/vg0.txt"
	diff -q "$tmp/vg0.txt" "$tmp/vg.txt" >/dev/null || fail "results differ under valgrind"
fi
echo "ok"

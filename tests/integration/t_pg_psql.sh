#!/bin/bash
# t_pg_psql - psql scripts (reads, writes, \d, errors, BEGIN/COMMIT/ROLLBACK, \gset, \watch-free
# repetition) print the same with and without Capacitor, cold and warm; and a write through one
# psql process is seen by the very next read through another process, 200 times in a row.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# psql and pgbench hang at exit with libasan preloaded (SANITIZE=1; tests/README.md)
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
PSQL=("$CAP_PG_BIN/psql" -X -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB")

cat >"$d/script.sql" <<'SQL'
\pset pager off
SET client_min_messages = warning;
DROP TABLE IF EXISTS ps_t;
CREATE TABLE ps_t (id int PRIMARY KEY, v text, n numeric(8,2));
INSERT INTO ps_t SELECT i, 'v' || i, i / 3.0 FROM generate_series(1, 50) i;
SELECT count(*), sum(n) FROM ps_t;
SELECT count(*), sum(n) FROM ps_t;
SELECT * FROM ps_t WHERE id < 4 ORDER BY id;
UPDATE ps_t SET v = 'changed' WHERE id = 2;
SELECT * FROM ps_t WHERE id < 4 ORDER BY id;
SELECT * FROM ps_t WHERE id < 4 ORDER BY id;
DELETE FROM ps_t WHERE id = 3;
SELECT * FROM ps_t WHERE id < 4 ORDER BY id;
SELECT * FROM no_such;
SELECT * FROM no_such;
SELECT 1/0;
BEGIN;
SELECT count(*) FROM ps_t;
INSERT INTO ps_t VALUES (100, 'in txn', 1);
SELECT count(*) FROM ps_t;
ROLLBACK;
SELECT count(*) FROM ps_t;
BEGIN;
INSERT INTO ps_t VALUES (101, 'committed', 1);
COMMIT;
SELECT count(*) FROM ps_t;
SELECT max(id) AS maxid FROM ps_t \gset
\echo maxid :maxid
SELECT v FROM ps_t WHERE id = :maxid;
\d ps_t
\dt ps_t
\df now
SELECT * FROM ps_t ORDER BY id \g
SELECT * FROM ps_t ORDER BY id \g
TRUNCATE ps_t;
SELECT count(*) FROM ps_t;
DROP TABLE ps_t;
SELECT count(*) FROM ps_t;
SQL
for mode in off cold warm; do
	case $mode in
	off) env -u LD_PRELOAD "${PSQL[@]}" -f "$d/script.sql" >"$d/$mode.out" 2>&1 || true ;;
	*) env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "${PSQL[@]}" -f "$d/script.sql" >"$d/$mode.out" 2>&1 || true ;;
	esac
done
for mode in cold warm; do
	if ! cmp -s "$d/off.out" "$d/$mode.out"; then
		diff -u "$d/off.out" "$d/$mode.out" | head -n 40 | sed 's/^/    /' || true
		fail "psql script: $mode run differs from the run without Capacitor"
	fi
done
echo "ok   psql script identical cold and warm"

# write in one process, read in the next
LIB=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
"${LIB[@]}" "${PSQL[@]}" -q -c "DROP TABLE IF EXISTS ps_c" -c "CREATE TABLE ps_c (id int PRIMARY KEY, v int)" -c "INSERT INTO ps_c VALUES (1, 0)"
for i in $(seq 1 200); do
	got=$("${LIB[@]}" "${PSQL[@]}" -tA -c "SELECT v FROM ps_c WHERE id = 1")
	[ "$got" = "$((i - 1))" ] || fail "round $i: read $got before the write, expected $((i - 1))"
	"${LIB[@]}" "${PSQL[@]}" -q -c "UPDATE ps_c SET v = v + 1 WHERE id = 1"
done
got=$("${LIB[@]}" "${PSQL[@]}" -tA -c "SELECT v FROM ps_c WHERE id = 1")
[ "$got" = 200 ] || fail "final read $got, expected 200"
echo "ok   200 write-then-read rounds across processes"
"${LIB[@]}" "${PSQL[@]}" -q -c "DROP TABLE ps_c"
echo "ok"

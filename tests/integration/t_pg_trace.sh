#!/bin/bash
# t_pg_trace - a program tracing its connection (PQtrace) sees exactly the messages it would
# see without Capacitor (psycopg 3's own suite checks this in test_pgconn.py::test_trace),
# cold and warm, and reads correct values after PQuntrace. tests/clients/pq_trace.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_trace
[ -x "$client" ] || fail "$client not built (make clients)"
cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS trace_t;
CREATE TABLE trace_t (id int PRIMARY KEY, v int);
INSERT INTO trace_t VALUES (1, 10), (2, 20);
SQL
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
export CAPACITOR_DIR=$d/cap
warm_reads() { # the reads the traced run makes, through Capacitor, so they are cached
	for _ in 1 2; do
		LD_PRELOAD="$(cap_preload)" "$CAP_PG_BIN/psql" -X -tA \
			-c "SELECT v FROM trace_t WHERE id = 1" -c "SELECT count(*) FROM trace_t" >/dev/null
	done
}
for mode in off cold warm; do
	cap_pg_psql -qc "UPDATE trace_t SET v = 10 WHERE id = 1"
	case $mode in
	off) "$client" "$d/$mode.trace" >"$d/$mode.out" 2>"$d/$mode.err" || fail "pq_trace ($mode) failed: $(cat "$d/$mode.err")" ;;
	*)
		[ "$mode" = warm ] && warm_reads
		LD_PRELOAD="$(cap_preload)" "$client" "$d/$mode.trace" >"$d/$mode.out" 2>"$d/$mode.err" ||
			fail "pq_trace ($mode) failed: $(cat "$d/$mode.err")"
		;;
	esac
done
for mode in cold warm; do
	diff -u "$d/off.trace" "$d/$mode.trace" >&2 || fail "the $mode trace differs from the one without Capacitor"
	diff -u "$d/off.out" "$d/$mode.out" >&2 || fail "the $mode output differs from the one without Capacitor"
	[ -s "$d/$mode.err" ] && fail "pq_trace ($mode) printed on stderr: $(cat "$d/$mode.err")"
done
grep -q 'Query' "$d/off.trace" || fail "the trace holds no Query message: $(head "$d/off.trace")"
echo "ok: a traced connection shows only the program's messages, cold and warm"

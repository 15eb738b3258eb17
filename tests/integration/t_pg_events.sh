#!/bin/bash
# t_pg_events - a libpq event procedure (PQregisterEventProc: libpqtypes, other add-ons) sees
# exactly the events it would see without Capacitor (attack round 5, pg-2): none for a query
# of Capacitor's own, cold and warm, registered right after connecting or after statements
# that went through the library. tests/clients/pq_events.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_events
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
export CAPACITOR_DIR=$d/cap
mkdir -m 0700 "$CAPACITOR_DIR"
setup() {
	cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS ev_t;
CREATE TABLE ev_t (id int PRIMARY KEY, v int);
INSERT INTO ev_t VALUES (1, 10), (2, 20);
SQL
}
warm_reads() { # the reads the client makes, through Capacitor, so they are cached
	for _ in 1 2; do
		LD_PRELOAD="$(cap_preload)" "$CAP_PG_BIN/psql" -X -tA -c "SELECT v FROM ev_t WHERE id = 1" \
			-c "SELECT count(*) FROM ev_t" >/dev/null
	done
}
for when in early late; do
	for mode in off cold warm; do
		setup
		out=$d/$when-$mode
		case $mode in
		off) "$client" "$when" >"$out.out" 2>"$out.err" || fail "pq_events $when ($mode) failed: $(cat "$out.err")" ;;
		*)
			[ "$mode" = warm ] && warm_reads
			LD_PRELOAD="$(cap_preload)" "$client" "$when" >"$out.out" 2>"$out.err" ||
				fail "pq_events $when ($mode) failed: $(cat "$out.err")"
			;;
		esac
	done
	for mode in cold warm; do
		diff -u "$d/$when-off.out" "$d/$when-$mode.out" >&2 ||
			fail "the events ($when, $mode) differ from those without Capacitor"
		[ -s "$d/$when-$mode.err" ] && fail "pq_events ($when, $mode) printed on stderr: $(cat "$d/$when-$mode.err")"
	done
	grep -q 'RESULTCREATE PGRES_TUPLES_OK nt=1 cols: v first=10' "$d/$when-off.out" ||
		fail "the procedure saw no result of the program's: $(head "$d/$when-off.out")"
done
echo "ok: an event procedure sees only the program's results, cold and warm, early and late"

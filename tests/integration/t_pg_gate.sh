#!/bin/bash
# t_pg_gate - a program whose connection reaches the server only through a TCP gate its own
# thread runs, moving bytes only while the program waits in its event loop (Ruby pg's tests
# under a Fiber scheduler, an asyncio proxy): a round trip of Capacitor's inside one of the
# program's calls would never be answered. The program (tests/clients/pq_gate) polls its
# connection open, then runs reads, a write and reads again on a nonblocking connection; with
# Capacitor it prints what it prints without, never hangs, and its reads hit: the session's
# read-back and the catalog query go out while the program polls the connection open
# (hooks/pq_connect.c). Also a program that waits for PQstatus to say CONNECTION_OK, and a
# second connection in the same process.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_gate
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
# the gate forwards to the server's TCP address
export PGHOST=127.0.0.1 PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
setup() {
	cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS gate_t;
CREATE TABLE gate_t (id int PRIMARY KEY, v int);
INSERT INTO gate_t VALUES (1, 10), (2, 20);
SQL
}
hits() { CAPACITOR_DIR=$1 "$CAP_TOOL" stats --json 2>/dev/null | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin).get("hits", 0))' 2>/dev/null || echo 0; }
for mode in poll status two; do
	setup
	rc=0
	"$client" "$mode" >"$d/$mode.off" 2>&1 || rc=$?
	[ "$rc" = 0 ] || fail "pq_gate $mode failed without Capacitor (rc $rc): $(cat "$d/$mode.off")"
	cap=$d/cap-$mode
	mkdir -m 0700 "$cap"
	for run in cold warm; do
		setup
		rc=0
		CAPACITOR_ENABLE=1 CAPACITOR_DIR=$cap LD_PRELOAD="$(cap_preload)" "$client" "$mode" \
			>"$d/$mode.$run" 2>&1 || rc=$?
		[ "$rc" = 3 ] && fail "pq_gate $mode ($run) hung under Capacitor: $(tail -3 "$d/$mode.$run")"
		[ "$rc" = 0 ] || fail "pq_gate $mode ($run) failed under Capacitor (rc $rc): $(cat "$d/$mode.$run")"
		diff -u "$d/$mode.off" "$d/$mode.$run" >&2 ||
			fail "pq_gate $mode ($run): the output differs from the run without Capacitor"
	done
	h=$(hits "$cap")
	[ "$h" -gt 0 ] || fail "pq_gate $mode: no hits through the gate"
	echo "pq_gate $mode: same output cold and warm, $h hits"
done
echo "ok: a program behind its own event loop's gate is served, never held up"

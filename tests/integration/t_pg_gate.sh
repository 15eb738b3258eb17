#!/bin/bash
# t_pg_gate - a program whose connection reaches the server only through a TCP gate its own
# thread runs, moving bytes only while the program waits in its event loop (Ruby pg's tests
# under a Fiber scheduler, an asyncio proxy): a round trip of Capacitor's inside one of the
# program's calls would never be answered. The program (tests/clients/pq_gate) polls its
# connection open, then runs reads, a write and reads again on a nonblocking connection; with
# Capacitor it prints what it prints without, never hangs, and its reads hit: the session's
# read-back and the catalog query go out while the program polls the connection open
# (hooks/pq_connect.c). Also a program that waits for PQstatus to say CONNECTION_OK, a second
# connection in the same process, and a reset polled with PQresetPoll (Ruby pg's reset).
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
# a role that may not call pg_control_system(): the read-back fails while the connection is
# polled open; its error must not stay in PQerrorMessage (attack round 8, pg-2)
# (PUBLIC may call it by default: taken away for this test only, given back at its exit)
cap_pg_psql -q -c "DROP OWNED BY gate_nocs" -c "DROP ROLE IF EXISTS gate_nocs" 2>/dev/null || true
cap_pg_psql -q -c "CREATE ROLE gate_nocs LOGIN" \
	-c "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC"
trap 'cap_pg_psql -q -c "GRANT EXECUTE ON FUNCTION pg_catalog.pg_control_system() TO PUBLIC" >/dev/null 2>&1; _cap_cleanup' EXIT
for mode in poll status two reset nocs; do
	setup
	rc=0
	arg=$mode user=$CAP_PG_USER
	[ "$mode" = nocs ] && arg=poll user=gate_nocs
	[ "$mode" = nocs ] && cap_pg_psql -q -c "GRANT ALL ON gate_t TO gate_nocs"
	PGUSER=$user "$client" "$arg" >"$d/$mode.off" 2>&1 || rc=$?
	[ "$rc" = 0 ] || fail "pq_gate $mode failed without Capacitor (rc $rc): $(cat "$d/$mode.off")"
	cap=$d/cap-$mode
	mkdir -m 0700 "$cap"
	for run in cold warm; do
		setup
		[ "$mode" = nocs ] && cap_pg_psql -q -c "GRANT ALL ON gate_t TO gate_nocs"
		rc=0
		PGUSER=$user CAPACITOR_ENABLE=1 CAPACITOR_DIR=$cap LD_PRELOAD="$(cap_preload)" "$client" "$arg" \
			>"$d/$mode.$run" 2>&1 || rc=$?
		[ "$rc" = 3 ] && fail "pq_gate $mode ($run) hung under Capacitor: $(tail -3 "$d/$mode.$run")"
		[ "$rc" = 0 ] || fail "pq_gate $mode ($run) failed under Capacitor (rc $rc): $(cat "$d/$mode.$run")"
		diff -u "$d/$mode.off" "$d/$mode.$run" >&2 ||
			fail "pq_gate $mode ($run): the output differs from the run without Capacitor"
	done
	h=$(hits "$cap")
	if [ "$mode" = nocs ]; then
		[ "$h" = 0 ] || fail "pq_gate nocs: $h hits on a session whose state could not be read"
	else
		[ "$h" -gt 0 ] || fail "pq_gate $mode: no hits through the gate"
	fi
	echo "pq_gate $mode: same output cold and warm, $h hits"
done
echo "ok: a program behind its own event loop's gate is served, never held up"

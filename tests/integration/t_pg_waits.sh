#!/bin/bash
# t_pg_waits - programs that wait on the connection's socket BEFORE they ask libpq are never
# hung by a hit, and get the right rows (tests/clients/pq_waits: a socket number fetched once,
# before anything is sent; poll, ppoll, select, pselect, epoll level- and edge-triggered and
# ONESHOT, a readable pipe next to the socket, a nonblocking connection, a second thread already
# blocked in poll when the query is sent), cold and warm, each output equal to the run without
# the library; the same waits on a duplicate of the socket (-d: fcntl F_DUPFD, as Mojo::Pg's
# open '<&' and Python's socket.fromfd); a wait over 10 s is a hang (exit 3), and `timeout`
# bounds every run.
# Then the cost: hits send nothing to the server (strace counts sendto) on a nonblocking
# connection that asks PQisBusy first (psycopg 3, Ruby pg), on one that polls first, and on a
# blocking one that polls first: N+10 hits send exactly what N hits send.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_clean_exit
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_waits
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS waits_t;
CREATE TABLE waits_t (id int PRIMARY KEY, v int, t text);
INSERT INTO waits_t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, NULL);
SQL

hits() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("hits", 0))
except Exception: print(0)'
}

failures=0
modes="poll ppoll select pselect epoll epoll_et epoll_once pipe_epoll nb_busy nb_poll thread taken"
modes="$modes poll-d select-d epoll-d epoll_et-d epoll_once-d nb_poll-d"
for m in $modes; do
	args=(-m "${m%-d}")
	[ "$m" = "${m%-d}" ] || args+=(-d)
	timeout -k 5 60 env -u LD_PRELOAD "$client" "${args[@]}" >"$d/$m.off" 2>&1 || fail "$m: pq_waits without the library failed"
	for run in cold warm; do
		rc=0
		h0=$(hits)
		timeout -k 5 60 env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" "${args[@]}" >"$d/$m.$run" 2>&1 || rc=$?
		h=$(($(hits) - h0))
		if [ "$rc" -eq 3 ] || [ "$rc" -eq 124 ]; then
			echo "FAIL $m ($run): hang (exit $rc): $(grep -m1 HANG "$d/$m.$run" || true)"
			failures=$((failures + 1))
		elif [ "$rc" -ne 0 ]; then
			echo "FAIL $m ($run): exit $rc: $(tail -n 1 "$d/$m.$run")"
			failures=$((failures + 1))
		elif ! cmp -s "$d/$m.off" "$d/$m.$run"; then
			echo "FAIL $m ($run): output differs:"
			diff -u "$d/$m.off" "$d/$m.$run" | head -n 20 | sed 's/^/    /' || true
			failures=$((failures + 1))
		elif [ "$h" -lt 6 ]; then
			echo "FAIL $m ($run): $h hits, expected at least 6 of 9 queries"
			failures=$((failures + 1))
		else
			echo "ok   $m ($run): $h hits"
		fi
	done
done

# Round trips: the extra hits of a longer run add no sendto (the cache is warm from above).
if command -v strace >/dev/null; then
	sends() {
		timeout -k 5 60 strace -f -qq -e trace=sendto -o "$d/strace.$1.$2" \
			env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" -m "$1" -n "$2" \
			-q 'SELECT id, v, t FROM waits_t ORDER BY id' >"$d/sends.$1.$2" 2>&1 ||
			fail "$1 -n $2 under strace failed"
		grep -c 'sendto(' "$d/strace.$1.$2" || true
	}
	for m in nb_busy nb_poll poll epoll; do
		s1=$(sends "$m" 2)
		s2=$(sends "$m" 12)
		if [ "$s1" -ne "$s2" ]; then
			echo "FAIL $m: 10 more hits sent $((s2 - s1)) more messages ($s1 -> $s2)"
			failures=$((failures + 1))
		else
			echo "ok   $m: 10 more hits, no round trip ($s1 sendto either way)"
		fi
	done
else
	echo "skip round-trip count: strace not installed"
fi
[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "ok"

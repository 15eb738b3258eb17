#!/bin/bash
# t_pg_nonblocking - programs that wait for the socket before reading never hang on a hit and
# get the right results: tests/clients/pq_api's nb_* paths (PQsetnonblocking 1, PQflush,
# poll() for readability first, then PQconsumeInput / PQisBusy / PQgetResult) and blk_poll
# (the same wait on a blocking connection: libpq's documented asynchronous pattern - "call
# PQconsumeInput when the socket is read-ready" - does not require nonblocking mode). Any wait
# over 10 s is a hang (pq_api exits 3). Output must equal the run without the library.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_api
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS api_t;
CREATE TABLE api_t (id int PRIMARY KEY, v int, t text);
INSERT INTO api_t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, NULL);
DROP TABLE IF EXISTS api_big;
CREATE TABLE api_big (id int PRIMARY KEY, pad text);
INSERT INTO api_big SELECT i, repeat(chr(65 + i % 26), i % 40) FROM generate_series(1, 2000) AS i;
SQL

failures=0
for m in nb_query nb_params nb_prepared nb_single send,nb_single blk_poll; do
	env -u LD_PRELOAD "$client" -m "$m" >"$d/$m.off" 2>&1 || fail "$m: pq_api without the library failed"
	for run in cold warm; do
		rc=0
		env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" -m "$m" >"$d/$m.$run" 2>&1 || rc=$?
		if [ "$rc" -eq 3 ]; then
			echo "FAIL $m ($run): hang: $(grep -m1 HANG "$d/$m.$run")"
			failures=$((failures + 1))
		elif [ "$rc" -ne 0 ]; then
			echo "FAIL $m ($run): exit $rc"
			failures=$((failures + 1))
		elif ! cmp -s "$d/$m.off" "$d/$m.$run"; then
			echo "FAIL $m ($run): output differs:"
			diff -u "$d/$m.off" "$d/$m.$run" | head -n 20 | sed 's/^/    /' || true
			failures=$((failures + 1))
		else
			echo "ok   $m ($run)"
		fi
	done
done
[ "$failures" -eq 0 ] || fail "$failures run(s) failed"
echo "ok"

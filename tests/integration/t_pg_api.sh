#!/bin/bash
# t_pg_api - every libpq API path (PQexec, PQexecParams text/binary, PQprepare/PQexecPrepared,
# PQsendQuery*/PQgetResult, single-row mode, a nonblocking connection waiting with poll())
# gives byte-identical results with and without Capacitor: tests/clients/pq_api dumps every
# result accessor for each query twice (miss, then hit), with writes between the paths. Then
# `capacitor stats --json` must report hits, and one run under valgrind must be clean.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_api
[ -x "$client" ] || fail "$client not built (make clients)"

stat() { # stat KEY - a counter of `capacitor stats --json` (0 when there is no stats file yet)
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get(sys.argv[1], 0))
except Exception: print(0)' "$1"
}

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS api_t;
CREATE TABLE api_t (id int PRIMARY KEY, v int, t text);
INSERT INTO api_t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, NULL);
DROP TABLE IF EXISTS api_big;
CREATE TABLE api_big (id int PRIMARY KEY, pad text);
INSERT INTO api_big SELECT i, repeat(chr(65 + i % 26), i % 40) FROM generate_series(1, 2000) AS i;
SQL

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
run() { # run NAME [ENV...] - run the client, output in $d/NAME.out/.err
	local name=$1 rc=0
	shift
	env "$@" "$client" >"$d/$name.out" 2>"$d/$name.err" || rc=$?
	[ "$rc" -eq 0 ] || { tail -n 20 "$d/$name.out" "$d/$name.err" >&2; fail "$name: pq_api exited $rc"; }
}
same() { # same NAME - NAME's output equals the reference
	if ! cmp -s "$d/off.out" "$d/$1.out" || ! cmp -s "$d/off.err" "$d/$1.err"; then
		echo "FAIL: $1 differs from the run without Capacitor:" >&2
		diff -u "$d/off.out" "$d/$1.out" | head -n 60 | sed 's/^/    /' >&2 || true
		diff -u "$d/off.err" "$d/$1.err" | head -n 20 | sed 's/^/    /' >&2 || true
		[ -n "${CAP_TEST_LOG:-}" ] && cp "$d"/* "$CAP_TEST_LOG/" 2>/dev/null
		exit 1
	fi
	echo "ok: $1 identical ($(wc -l <"$d/$1.out") lines)"
}

run off -u LD_PRELOAD
run cold LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1
same cold
hits_cold=$(stat hits)
run warm LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1
same warm
hits=$(stat hits)
echo "hits after the cold run: $hits_cold, after the warm run: $hits"
[ "$hits_cold" -gt 0 ] || fail "no hits in a run that repeats every query (stats: $("$CAP_TOOL" stats --json 2>&1 | head -c 600))"
[ "$hits" -gt "$hits_cold" ] || fail "the warm run had no hits"

# L2 only (no memory tier): every hit is decoded from the shared file.
run l2 LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 CAPACITOR_MEM=0
same l2
# L1 only.
run l1 LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 CAPACITOR_DISK=0
same l1

if [ "${SANITIZE:-0}" = 1 ]; then
	echo "valgrind skipped under SANITIZE=1"
elif ! command -v valgrind >/dev/null; then
	echo "valgrind not installed: skipped"
else
	rc=0
	LD_PRELOAD="$CAP_LIB" CAPACITOR_ENABLE=1 valgrind -q --leak-check=full --error-exitcode=99 \
		--suppressions="$CAP_ROOT/conf/valgrind.supp" \
		--errors-for-leak-kinds=definite,possible --log-file="$d/valgrind.log" \
		"$client" >"$d/vg.out" 2>"$d/vg.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		head -n 80 "$d/valgrind.log" | sed 's/^/    /' >&2
		fail "pq_api under valgrind with the library: exit $rc"
	fi
	cp "$d/vg.out" "$d/valgrind_run.out"
	cp "$d/vg.err" "$d/valgrind_run.err"
	same valgrind_run
fi
echo "ok"

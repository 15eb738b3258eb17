#!/bin/bash
# t_pg_pgbench - pgbench through the library: the TPC-B script with 4 clients for 10 s keeps
# the books balanced (sum(abalance) = sum(tbalance) = sum(bbalance) = sum(delta) of history);
# a custom script checks read-your-writes inside and outside transactions under concurrency;
# then select-only (-S) in simple, extended and prepared protocol modes exits 0 with no
# failed transactions and is served hits.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# psql and pgbench hang at exit with libasan preloaded (SANITIZE=1; tests/README.md)
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
PGB=("$CAP_PG_BIN/pgbench" -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER")
LIB=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
stat() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get(sys.argv[1], 0))
except Exception: print(0)' "$1"
}

env -u LD_PRELOAD "${PGB[@]}" -i -q -s 1 "$CAP_PG_DB" >"$d/init.log" 2>&1 || { cat "$d/init.log"; fail "pgbench -i"; }

rc=0
"${LIB[@]}" "${PGB[@]}" -n -c 4 -j 2 -T 10 "$CAP_PG_DB" >"$d/tpcb.log" 2>&1 || rc=$?
grep -E "^(number of transactions actually processed|number of failed)" "$d/tpcb.log" || true
[ "$rc" -eq 0 ] || { tail -n 20 "$d/tpcb.log"; fail "pgbench TPC-B under the library exited $rc"; }
sums=$(cap_pg_psql -tA -c "SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), (SELECT sum(bbalance) FROM pgbench_branches), (SELECT sum(delta) FROM pgbench_history), (SELECT count(*) FROM pgbench_history)")
echo "balances accounts|tellers|branches|history|rows: $sums"
IFS='|' read -r a t b h n <<<"$sums"
[ "$n" -gt 0 ] || fail "no transactions recorded"
[ "$a" = "$h" ] && [ "$t" = "$h" ] && [ "$b" = "$h" ] || fail "books do not balance: $sums"

# read-your-writes under concurrency: the value read after an update is at least the one the
# update returned (other clients only add)
cat >"$d/ryw.sql" <<'SQL'
\set aid random(1, 20)
\set delta random(1, 1000)
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid RETURNING abalance AS w \gset
SELECT abalance AS r FROM pgbench_accounts WHERE aid = :aid \gset
\if :r < :w
SELECT 'stale read after own autocommit write' AS failure, 1/0;
\endif
BEGIN;
SELECT abalance AS r0 FROM pgbench_accounts WHERE aid = :aid \gset
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid RETURNING abalance AS w \gset
SELECT abalance AS r FROM pgbench_accounts WHERE aid = :aid \gset
\if :r != :w
SELECT 'transaction did not read its own write' AS failure, 1/0;
\endif
END;
SELECT abalance AS r FROM pgbench_accounts WHERE aid = :aid \gset
\if :r < :w
SELECT 'stale read after commit' AS failure, 1/0;
\endif
SQL
for mode in simple extended prepared; do
	rc=0
	"${LIB[@]}" "${PGB[@]}" -n -c 4 -j 2 -T 3 -M "$mode" -f "$d/ryw.sql" "$CAP_PG_DB" >"$d/ryw.$mode.log" 2>&1 || rc=$?
	echo "read-your-writes -M $mode: $(grep -E '^number of transactions actually processed' "$d/ryw.$mode.log" || true)"
	[ "$rc" -eq 0 ] || { grep -iE 'error|failure' "$d/ryw.$mode.log" | head -n 5; fail "read-your-writes -M $mode: exit $rc"; }
done

for mode in simple extended prepared; do
	h0=$(stat hits)
	rc=0
	"${LIB[@]}" "${PGB[@]}" -n -S -c 4 -j 2 -T 5 -M "$mode" "$CAP_PG_DB" >"$d/select.$mode.log" 2>&1 || rc=$?
	h1=$(stat hits)
	echo "select-only -M $mode: $(grep -E '^number of transactions actually processed' "$d/select.$mode.log" || true); hits $((h1 - h0))"
	[ "$rc" -eq 0 ] || { tail -n 10 "$d/select.$mode.log"; fail "pgbench -S -M $mode: exit $rc"; }
	if grep -qE '^number of failed transactions: [1-9]' "$d/select.$mode.log"; then
		fail "pgbench -S -M $mode: failed transactions"
	fi
	[ "$((h1 - h0))" -gt 0 ] || fail "pgbench -S -M $mode: no hits"
done
echo "ok"

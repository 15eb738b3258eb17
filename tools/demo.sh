#!/bin/bash
# demo.sh - `make demo`: pgbench's read-only workload on a throwaway PostgreSQL, first without
# Capacitor, then with it (a fresh CAPACITOR_DIR), and the cache's own statistics.
#
#     CAP_BUILD=build tools/demo.sh       (CAP_DEMO_SECONDS=10, CAP_DEMO_SCALE=1 by default)
#
# The server is started by tests/fixture.sh and stopped (by pid) when this script exits, also
# on error or Ctrl-C. pgbench runs in simple query mode: each transaction is one
# `SELECT abalance FROM pgbench_accounts WHERE aid = :aid` with a random aid.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CAP_BUILD=$(cd "${CAP_BUILD:-$root/build}" && pwd)
lib=$CAP_BUILD/libcapacitor.so
tool=$CAP_BUILD/capacitor
secs=${CAP_DEMO_SECONDS:-10}
scale=${CAP_DEMO_SCALE:-1}
for f in "$lib" "$tool"; do
	[ -e "$f" ] || { echo "demo: $f not built (run make)" >&2; exit 1; }
done

# shellcheck source=../tests/fixture.sh
. "$root/tests/fixture.sh"
cap_fixture_start_pg
pgbench=$CAP_PG_BIN/pgbench

capdir=$(mktemp -d /tmp/capacitor-demo.XXXXXX)
chmod 0700 "$capdir"
trap 'cap_fixture_stop; rm -rf -- "$capdir"' EXIT

echo "== pgbench -i -s $scale"
"$pgbench" -i -q -s "$scale" >/dev/null 2>&1 || "$pgbench" -i -s "$scale"

run() {
	# run LABEL [ENV...] - one pgbench -S run; prints its output, sets $tps.
	local label=$1 out
	shift
	echo
	echo "== $label: pgbench -S -c 4 -j 2 -T $secs"
	out=$(env "$@" "$pgbench" -S -n -c 4 -j 2 -T "$secs" 2>&1) || {
		echo "$out" >&2
		echo "demo: pgbench failed ($label)" >&2
		exit 1
	}
	grep -E 'number of transactions actually processed|latency average|^tps' <<<"$out" || true
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -n 1)
	[ -n "$tps" ] || { echo "$out" >&2; echo "demo: no tps figure from pgbench" >&2; exit 1; }
}

run "without Capacitor"
tps_off=$tps
run "with Capacitor" LD_PRELOAD="$lib" CAPACITOR_DIR="$capdir"
tps_on=$tps

echo
echo "== capacitor stats"
CAPACITOR_DIR=$capdir "$tool" stats || true
echo
awk -v a="$tps_off" -v b="$tps_on" 'BEGIN {
	printf "without Capacitor: %10.0f tps\n", a
	printf "with Capacitor:    %10.0f tps\n", b
	if (a > 0) printf "ratio:             %10.2fx\n", b / a
}'

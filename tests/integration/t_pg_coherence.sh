#!/bin/bash
# t_pg_coherence - 4 processes reading and incrementing 20 rows through the library
# (tests/clients/pq_coherence): over 100,000 operations, no read may return a value older than
# a write that had completed before the read started, and a transaction must read its own
# write. Run with both tiers, with the shared tier only, and with the memory tier only. The
# cache must actually have served hits (else the run proves nothing).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_coherence
[ -x "$client" ] || fail "$client not built (make clients)"

stat() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get(sys.argv[1], 0))
except Exception: print(0)' "$1"
}

seed=${CAP_TEST_SEED:-$(date +%s)}
echo "seed $seed (CAP_TEST_SEED to repeat)"
prev=0
for cfg in "both" "l2-only CAPACITOR_MEM=0" "l1-only CAPACITOR_DISK=0"; do
	read -r name vars <<<"$cfg"
	rc=0
	# shellcheck disable=SC2086
	out=$(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 $vars "$client" -p 4 -n 25000 -r 20 -s "$seed" 2>&1) || rc=$?
	echo "$name: $out"
	[ "$rc" -eq 0 ] || fail "$name: pq_coherence exited $rc"
	hits=$(stat hits)
	echo "$name: hits $((hits - prev)) (misses so far $(stat misses), writes $(stat writes))"
	[ "$((hits - prev))" -gt 0 ] || fail "$name: no hits: the run did not exercise the cache"
	prev=$hits
done
echo "ok"

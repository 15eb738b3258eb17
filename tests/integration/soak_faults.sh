#!/bin/bash
# soak_faults - t_preload_faults over and over for about CAP_SOAK_SECONDS (default 480): more
# operations per process, 200 writer processes SIGKILLed per round, a new seed each round.
# Every round must pass (no stale read, no crash, nothing on stderr, no wait past its bound).
# Run by `make soak` (tests/integration/run.sh soak_ with CAP_TEST_TIMEOUT=900).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_clean_exit
budget=${CAP_SOAK_SECONDS:-480}
start=$(date +%s)
round=0
seed=${CAP_TEST_SEED:-$(date +%s)}
while [ $(($(date +%s) - start)) -lt "$budget" ]; do
	round=$((round + 1))
	echo "round $round (seed $((seed + round)))"
	CAP_TEST_SEED=$((seed + round)) CAP_FAULT_OPS=${CAP_FAULT_OPS:-20000} \
		CAP_FAULT_KILLS=${CAP_FAULT_KILLS:-200} \
		bash "$CAP_ROOT/tests/integration/t_preload_faults.sh" || fail "round $round failed"
done
echo "ok: $round rounds in $(($(date +%s) - start))s"

#!/usr/bin/env bash
# bench/check.sh - `make bench-check`: a short bench/run.sh (every section but the micro
# benchmarks, fewer and shorter runs) whose ratios bench/check.py compares with the committed
# bench/baseline.json; exits non-zero when a ratio regressed by more than 20%.
#     bench/check.sh            compare
#     bench/check.sh --update   run, then write the run's ratios as bench/baseline.json
# The run's own figures go to bench/results/check/ (check.json, raw.txt, charts). BENCH_*
# variables given in the environment override the short settings below.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_ROUNDS=${BENCH_ROUNDS:-3}
export BENCH_SECONDS=${BENCH_SECONDS:-3}
export BENCH_N=${BENCH_N:-3000}
export BENCH_DDL_SESSIONS=${BENCH_DDL_SESSIONS:-4}
export BENCH_DDL_LOOPS=${BENCH_DDL_LOOPS:-5}
export BENCH_SECTIONS=${BENCH_SECTIONS:-latency instr writes ddl throughput scaling}
export BENCH_OUT=${BENCH_OUT:-bench/results/check}
export BENCH_JSON=$BENCH_OUT/check.json
bench/run.sh
if [ "${1:-}" = --update ]; then
	exec /usr/bin/python3 bench/check.py --update bench/baseline.json "$BENCH_JSON"
fi
exec /usr/bin/python3 bench/check.py bench/baseline.json "$BENCH_JSON"

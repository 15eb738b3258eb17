#!/bin/bash
# run-fuzz.sh - run each libFuzzer target given (build/fuzz/fuzz_X) for CAP_FUZZ_SECONDS
# (default 20) over a scratch copy of its seed corpus tests/fuzz/corpus_X (the seeds in the tree
# are never written), with tests/fuzz/X.dict when present. Any crash, leak, timeout or
# sanitizer report fails the run; the reproducer stays in the printed artifact directory.
# A target without a corpus directory is skipped with a warning. The directory a target keeps
# its files in (/dev/shm/capacitor-fuzzdir-WHAT-PID-*) is removed after it, crashed or not.
# Last line: "N passed, N failed" (", N skipped" appended when any were).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
secs=${CAP_FUZZ_SECONDS:-20}
passed=0 failed=0 skipped=0
for bin in "$@"; do
	base=$(basename "$bin")
	x=${base#fuzz_}
	seeds=tests/fuzz/corpus_$x
	if [ ! -d "$seeds" ]; then
		echo "run-fuzz: warning: $seeds missing; skipping $base" >&2
		skipped=$((skipped + 1))
		continue
	fi
	work=$(mktemp -d /tmp/capacitor-fuzz-"$x".XXXXXX)
	mkdir -p "$work/corpus" "$work/artifacts"
	cp -R "$seeds"/. "$work/corpus"/ 2>/dev/null || true
	chmod -R u+w "$work/corpus"
	dict=()
	[ -f "tests/fuzz/$x.dict" ] && dict=(-dict="tests/fuzz/$x.dict")
	echo "== $base: ${secs}s over $seeds"
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" >"$work/log" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	# a target's own files (tests/fuzz/fuzz_dir.h), left behind when it crashed
	rm -rf /dev/shm/capacitor-fuzzdir-*-"$pid"-*
	if [ "$rc" -eq 0 ] && [ -z "$(ls -A "$work/artifacts")" ]; then
		grep -aE '^(#[0-9]+.*DONE|stat::number_of_executed_units)' "$work/log" | tail -n 2
		echo "ok   $base"
		passed=$((passed + 1))
		rm -rf -- "$work"
	else
		echo "FAIL $base (exit $rc); reproducers and log kept in $work:"
		ls -l "$work/artifacts"
		grep -aE 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$work/log" | head -n 20 | sed 's/^/    /'
		tail -n 20 "$work/log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]

#!/bin/bash
# run-unit.sh - run the Criterion unit test binaries given as arguments (from the repo root),
# each under a 600 s timeout; Criterion prints its own "Synthesis" line per binary. Ends with
# one line "N passed, N failed" summed over every binary (a binary that dies before its
# synthesis counts as one failure) and exits 1 if anything failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
passed=0 failed=0 bad_bins=()
for bin in "$@"; do
	echo "== $bin"
	out=$(mktemp)
	# into a file, not a pipe: a test's child left behind (a lock holder that pauses, after a
	# failed assertion) would keep a pipe open and the reader waiting for ever
	timeout -k 10 "${CAP_UNIT_TIMEOUT:-600}" "$bin" --jobs=2 --color=never -S >"$out" 2>&1
	rc=$?
	cat "$out"
	syn=$(grep -a 'Synthesis:' "$out" | tail -n 1)
	rm -f "$out"
	if [ -n "$syn" ]; then
		p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn")
		f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$syn")
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
			failed=$((failed + 1)) # non-zero exit with no failing test: count it
		fi
	elif [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
	fi
	[ "$rc" -eq 0 ] || bad_bins+=("$bin (exit $rc)")
done
for b in "${bad_bins[@]}"; do
	echo "failed: $b"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#bad_bins[@]} -eq 0 ]

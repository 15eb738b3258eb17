# shellcheck shell=bash
# drivers.sh - helpers for the tests of language drivers (Ruby, Perl, PHP) from Debian's
# packages; sourced after lib.sh.
#
#   cap_drv_run LABEL CMD...      run CMD three times: without the library (off), with it on an
#                                 empty cache (cold), again (warm). Each run's stdout, stderr and
#                                 exit status must equal the off run's (a run over 60 s is a
#                                 hang). Before cold (base) and after cold and warm,
#                                 `capacitor stats --json --top 513` is kept as
#                                 $CAP_DRV_DIR/MODE.json.
#   cap_drv_count MODE KEY        a top-level stats counter (hits, hits_l2 ...) gained in MODE
#   cap_drv_shape MODE TEXT FIELD calls|hits|misses|bypasses of the query shape TEXT (as
#                                 `capacitor stats --top` prints it) gained in MODE
#   cap_drv_expect_hits MODE TEXT MIN_HITS MAX_MISSES
#                                 fail unless shape TEXT gained at least MIN_HITS hits and at
#                                 most MAX_MISSES misses in MODE
#
# A driver program resets its own rows at start (through the driver, so that the reset
# invalidates what an earlier run cached) and prints everything it sees.

CAP_DRV_DIR=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$CAP_DRV_DIR"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT

cap_drv_run() {
	local label=$1 mode rc bad=0 d=$CAP_DRV_DIR
	shift
	for mode in off cold warm; do
		rc=0
		if [ "$mode" = off ]; then
			timeout -k 5 60 env -u LD_PRELOAD "$@" >"$d/$mode.out" 2>"$d/$mode.err" || rc=$?
		else
			[ "$mode" = cold ] && { "$CAP_TOOL" stats --json --top 513 2>/dev/null || echo '{}'; } >"$d/base.json"
			timeout -k 5 60 env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$@" \
				>"$d/$mode.out" 2>"$d/$mode.err" || rc=$?
			"$CAP_TOOL" stats --json --top 513 >"$d/$mode.json" ||
				fail "$label: capacitor stats failed after the $mode run (no call reached Capacitor?)"
		fi
		echo "$rc" >"$d/$mode.rc"
		[ "$rc" -ne 124 ] || fail "$label: the $mode run hung (60 s): $(tail -n 5 "$d/$mode.out")"
	done
	[ "$(cat "$d/off.rc")" = 0 ] ||
		fail "$label: the run without the library failed (exit $(cat "$d/off.rc")): $(tail -n 5 "$d/off.err")"
	for mode in cold warm; do
		for f in rc out err; do
			if ! cmp -s "$d/off.$f" "$d/$mode.$f"; then
				echo "FAIL: $label: the $mode run differs from the run without the library ($f):" >&2
				diff -a -u --label "off.$f" --label "$mode.$f" "$d/off.$f" "$d/$mode.$f" |
					head -n 40 | sed 's/^/    /' >&2 || true
				bad=1
			fi
		done
	done
	[ "$bad" -eq 0 ] || exit 1
	echo "ok: $label: cold and warm runs print what the run without the library printed ($(wc -l <"$d/off.out") lines)"
}

# _cap_drv_py MODE EXPR - evaluate EXPR with `now` and `before` (the stats after MODE and
# before it) and print the result.
_cap_drv_py() {
	local before=$CAP_DRV_DIR/base.json
	[ "$1" = warm ] && before=$CAP_DRV_DIR/cold.json
	/usr/bin/python3 - "$CAP_DRV_DIR/$1.json" "$before" "$2" <<'PY'
import json, sys
now = json.load(open(sys.argv[1]))
before = json.load(open(sys.argv[2]))
def shape(stats, text, field):
    return sum(s.get(field, 0) for s in stats.get("top", []) if s.get("text") == text)
print(eval(sys.argv[3]))
PY
}

cap_drv_count() {
	_cap_drv_py "$1" "now.get('$2', 0) - before.get('$2', 0)"
}

cap_drv_shape() {
	local text=${2//\\/\\\\}
	text=${text//\'/\\\'}
	_cap_drv_py "$1" "shape(now, '$text', '$3') - shape(before, '$text', '$3')"
}

cap_drv_expect_hits() {
	local mode=$1 text=$2 min=$3 max=$4 hits misses
	hits=$(cap_drv_shape "$mode" "$text" hits)
	misses=$(cap_drv_shape "$mode" "$text" misses)
	if [ "$hits" -lt "$min" ] || [ "$misses" -gt "$max" ]; then
		fail "$mode run: '$text': $hits hits and $misses misses (expected >= $min hits, <= $max misses)"
	fi
	echo "ok: $mode run: '$text': $hits hits, $misses misses"
}

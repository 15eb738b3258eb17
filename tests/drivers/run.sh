#!/bin/bash
# run.sh - run each language driver's own test suite without Capacitor, then with it on an
# empty cache (cold), then again on the same cache (warm), and fail when any test's outcome
# under Capacitor differs from its outcome without it.
#
#     CAP_BUILD=build tests/drivers/run.sh [DRIVER...]     (make test-drivers)
#
# DRIVER is the name of a tests/drivers/drv_*.sh file (dbd-pg, psycopg2, ...); none = all.
# Starts one throwaway PostgreSQL 15 and one MariaDB (tests/fixture.sh), as only the drivers
# picked need. Each driver gets a database of its own, created once before the three runs, and
# a fresh copy of its suite (tests/drivers/suites/NAME, the upstream tests of the version
# Debian 12 ships) for each run, so files a suite writes never carry over.
#
# A drv_*.sh file defines:
#   DRV_SERVER          pg, my, or own (the suite starts a server of its own)
#   drv_run WORK OUT    run the suite in WORK (its copy), leaving whatever drv_outcomes needs in
#                       OUT; runs with LD_PRELOAD and CAPACITOR_* already set (or unset)
#   drv_outcomes OUT    print one line per test: ID<TAB>OUTCOME (pass, fail, skip, xfail ...)
# and may define drv_cleanup WORK (run after each run, also one that timed out: stops what the
# suite started) and set DRV_RUN_AS (a user to run the suite and `capacitor stats` as, for a
# suite that starts a PostgreSQL of its own, which refuses root; its copy, output directory and
# CAPACITOR_DIR are given to that user), DRV_DBNAME (its database's name, where the suite
# insists on one), DRV_TIMEOUT (seconds for one run; default CAP_DRV_TIMEOUT, else 900). Tests
# flaky without Capacitor are listed in tests/drivers/flaky/NAME (one ID a line, # comments):
# they run but are not compared.
#
# Per driver it prints the number of tests, whether the outcomes are equal, the hits Capacitor
# served in the cold and warm runs (`capacitor stats --json`), and the time of each run. The
# last line is "N passed, N failed", counting drivers. Logs, outcomes and raw output stay in
# the directory printed at the end. A run that timed out is reported as such.
# CAP_DRV_OFF_RUNS=2 runs each suite twice without Capacitor first and prints (and leaves
# uncompared) the tests whose outcome differed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAP_ROOT=$(cd "$here/../.." && pwd)
CAP_BUILD=$(cd "${CAP_BUILD:-$CAP_ROOT/build}" 2>/dev/null && pwd) || {
	echo "run.sh: build directory ${CAP_BUILD:-$CAP_ROOT/build} not found (run make)" >&2
	exit 1
}
CAP_LIB=$CAP_BUILD/libcapacitor.so
CAP_TOOL=$CAP_BUILD/capacitor
export CAP_ROOT CAP_BUILD CAP_LIB CAP_TOOL
timeout_s=${CAP_DRV_TIMEOUT:-900}

for f in "$CAP_LIB" "$CAP_TOOL"; do
	[ -e "$f" ] || { echo "run.sh: $f is missing (run make all)" >&2; exit 1; }
done

drivers=()
if [ $# -gt 0 ]; then
	for d in "$@"; do
		[ -e "$here/drv_$d.sh" ] || { echo "run.sh: no driver $d (tests/drivers/drv_$d.sh)" >&2; exit 2; }
		drivers+=("$d")
	done
else
	for f in "$here"/drv_*.sh; do
		d=${f##*/drv_}
		drivers+=("${d%.sh}")
	done
fi

need_pg=0 need_my=0
for d in "${drivers[@]}"; do
	case "$(sed -n 's/^DRV_SERVER=//p' "$here/drv_$d.sh")" in
	pg) need_pg=1 ;;
	my) need_my=1 ;;
	esac
done

logdir=$(mktemp -d /tmp/capacitor-drivers.XXXXXX)
chmod 0755 "$logdir"
passed=0 failed=0

# shellcheck source=../fixture.sh
. "$CAP_ROOT/tests/fixture.sh"
if [ "$need_pg" = 1 ] && ! cap_fixture_start_pg 2>"$logdir/fixture-pg.log"; then
	echo "FAIL fixture: PostgreSQL"
	sed 's/^/    /' "$logdir/fixture-pg.log"
	unset CAP_PG_PORT
fi
if [ "$need_my" = 1 ] && ! cap_fixture_start_mariadb 2>"$logdir/fixture-my.log"; then
	echo "FAIL fixture: MariaDB"
	sed 's/^/    /' "$logdir/fixture-my.log"
	unset CAP_MY_PORT
fi

# drv_db NAME SERVER [DBNAME] - create the driver's own database (drv_NAME unless DBNAME; and,
# on MariaDB, a user with every right the suites ask for) and export DRV_DB, DRV_USER,
# DRV_PASSWORD.
drv_db() {
	local name=$1 server=$2
	DRV_DB=${3:-drv_${name//-/_}}
	if [ "$server" = pg ]; then
		DRV_USER=$CAP_PG_USER DRV_PASSWORD=
		"$CAP_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
			-U "$CAP_PG_USER" -d postgres \
			-c "DROP DATABASE IF EXISTS $DRV_DB" -c "CREATE DATABASE $DRV_DB" >/dev/null || return 1
		# Suites skip what needs hstore when it is missing (postgresql-contrib has it).
		"$CAP_PG_BIN/psql" -X -q -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" \
			-d "$DRV_DB" -c "CREATE EXTENSION IF NOT EXISTS hstore" >/dev/null || true
	else
		DRV_USER=drv DRV_PASSWORD=drv
		mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" <<SQL || return 1
DROP DATABASE IF EXISTS $DRV_DB;
CREATE DATABASE $DRV_DB;
CREATE USER IF NOT EXISTS 'drv'@'localhost' IDENTIFIED BY 'drv';
CREATE USER IF NOT EXISTS 'drv'@'127.0.0.1' IDENTIFIED BY 'drv';
GRANT ALL ON *.* TO 'drv'@'localhost' WITH GRANT OPTION;
GRANT ALL ON *.* TO 'drv'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
	fi
	export DRV_DB DRV_USER DRV_PASSWORD
}

# hits_of JSON - "hits misses" from `capacitor stats --json` output ("0 0" when unreadable).
hits_of() {
	/usr/bin/python3 -c '
import json, sys
try:
    c = json.load(open(sys.argv[1]))
except Exception:
    c = {}
print(c.get("hits", 0), c.get("misses", 0))' "$1"
}

for d in "${drivers[@]}"; do
	f=$here/drv_$d.sh
	server=$(sed -n 's/^DRV_SERVER=//p' "$f")
	out=$logdir/$d
	mkdir -p "$out"
	if { [ "$server" = pg ] && [ -z "${CAP_PG_PORT:-}" ]; } || { [ "$server" = my ] && [ -z "${CAP_MY_PORT:-}" ]; }; then
		echo "FAIL $d: no $server server"
		failed=$((failed + 1))
		continue
	fi
	if [ "$server" != own ] && ! drv_db "$d" "$server" "$(sed -n 's/^DRV_DBNAME=//p' "$f")" >"$out/db.log" 2>&1; then
		echo "FAIL $d: cannot create its database: $(tail -n 3 "$out/db.log")"
		failed=$((failed + 1))
		continue
	fi
	drv_timeout=$(sed -n 's/^DRV_TIMEOUT=//p' "$f")
	run_as=$(sed -n 's/^DRV_RUN_AS=//p' "$f")
	as=()
	[ -z "$run_as" ] || as=(setpriv --reuid="$run_as" --regid="$(id -gn "$run_as")" --clear-groups)
	capdir=$(mktemp -d /tmp/capacitor-dir.XXXXXX)
	chmod 0700 "$capdir"
	[ -z "$run_as" ] || chown "$run_as:" "$capdir"
	declare -A secs=()
	modes=(off)
	[ "${CAP_DRV_OFF_RUNS:-1}" = 2 ] && modes+=(off2)
	for mode in "${modes[@]}" cold warm; do
		work=$out/$mode.work
		rm -rf "$work"
		cp -r "$here/suites/$d" "$work"
		mkdir -p "$out/$mode"
		[ -z "$run_as" ] || chown -R "$run_as:" "$work" "$out/$mode"
		pre=(env -u LD_PRELOAD -u CAPACITOR_DIR)
		[[ "$mode" == off* ]] || pre=(env LD_PRELOAD="$CAP_LIB" CAPACITOR_DIR="$capdir" CAPACITOR_ENABLE=1)
		start=$(date +%s.%N)
		(cd "$work" && exec timeout -k 10 "${drv_timeout:-$timeout_s}" "${as[@]}" "${pre[@]}" \
			bash -c '. "$1"; drv_run "$2" "$3"' _ "$f" "$work" "$out/$mode") \
			</dev/null >"$out/$mode.log" 2>&1
		echo "$?" >"$out/$mode.rc"
		bash -c '. "$1"; ! declare -F drv_cleanup >/dev/null || drv_cleanup "$2"' _ "$f" "$work" \
			>>"$out/$mode.log" 2>&1
		secs[$mode]=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
		bash -c '. "$1"; drv_outcomes "$2"' _ "$f" "$out/$mode" 2>>"$out/$mode.log" |
			LC_ALL=C sort -u >"$out/$mode.outcomes"
		if [[ "$mode" != off* ]]; then
			"${as[@]}" "$CAP_TOOL" stats --json --dir "$capdir" >"$out/$mode.json" 2>>"$out/$mode.log" || true
		fi
	done
	rm -rf "$capdir"

	# Tests not compared: those listed as flaky, and those whose outcome differed between two
	# runs without Capacitor (CAP_DRV_OFF_RUNS=2), which are printed to be listed.
	: >"$out/flaky.found"
	if [ -e "$out/off2.outcomes" ]; then
		{
			diff <(cut -f1 "$out/off.outcomes") <(cut -f1 "$out/off2.outcomes") | sed -n 's/^[<>] //p'
			LC_ALL=C join -t "$(printf '\t')" "$out/off.outcomes" "$out/off2.outcomes" |
				awk -F'\t' '$2 != $3 { print $1 }'
		} | LC_ALL=C sort -u >"$out/flaky.found"
		if [ -s "$out/flaky.found" ]; then
			echo "     $d: tests whose outcome differs between two runs without Capacitor (for tests/drivers/flaky/$d):"
			head -n 40 "$out/flaky.found" | sed 's/^/    /'
		fi
	fi
	{
		[ -e "$here/flaky/$d" ] && grep -v -e '^#' -e '^$' "$here/flaky/$d"
		cat "$out/flaky.found"
	} >"$out/flaky"
	cmp_filter() {
		awk -F'\t' -v skip="$out/flaky" 'BEGIN { while ((getline l <skip) > 0) f[l] } !($1 in f)' "$1"
	}
	n=$(wc -l <"$out/off.outcomes")
	read -r cold_hits cold_misses < <(hits_of "$out/cold.json")
	read -r warm_hits_total warm_misses_total < <(hits_of "$out/warm.json")
	warm_hits=$((warm_hits_total - cold_hits)) warm_misses=$((warm_misses_total - cold_misses))
	summary="$n tests, hits cold $cold_hits warm $warm_hits (misses $cold_misses, $warm_misses), ${secs[off]}s/${secs[cold]}s/${secs[warm]}s"
	bad=0
	if [ "$n" -eq 0 ]; then
		echo "FAIL $d: no test outcome parsed from the run without Capacitor; last lines of $out/off.log:"
		tail -n 20 "$out/off.log" | sed 's/^/    /'
		bad=1
	fi
	for mode in "${modes[@]}" cold warm; do
		if [ "$(cat "$out/$mode.rc")" = 124 ]; then
			echo "FAIL $d: the $mode run timed out after ${drv_timeout:-$timeout_s} s (a hang?); last lines of $out/$mode.log:"
			tail -n 5 "$out/$mode.log" | sed 's/^/    /'
			bad=1
		fi
	done
	for mode in cold warm; do
		if ! diff <(cmp_filter "$out/off.outcomes") <(cmp_filter "$out/$mode.outcomes") >"$out/$mode.diff"; then
			echo "FAIL $d: the $mode run's outcomes differ from the run without Capacitor:"
			head -n 40 "$out/$mode.diff" | sed 's/^/    /'
			bad=1
		fi
	done
	counts=$(cut -f2 "$out/off.outcomes" | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }')
	if [ "$bad" -eq 0 ]; then
		echo "ok   $d: $summary; outcomes equal ($counts)"
		passed=$((passed + 1))
	else
		echo "     $d: $summary ($counts without Capacitor)"
		failed=$((failed + 1))
	fi
done

cap_fixture_stop
echo "logs: $logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

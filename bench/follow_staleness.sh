#!/usr/bin/env bash
# bench/follow_staleness.sh - how stale can a cached read be with `capacitor follow` running?
#
# For PostgreSQL (wal_level = logical, synchronous_commit = on) and MariaDB (log_bin, ROW), each
# started here with tests/fixture.sh: a writer WITHOUT Capacitor (tests/clients/*_follow write)
# and a reader WITH it (*_follow read) share a pipe; staleness is the time from a write's
# COMMIT returning to the start of the first cached read of its row that sees it
# (tests/clients/follow_check.h). Cases: single-row transactions, and transactions that also
# insert 100,000 rows. Also the follower's CPU time per 10,000 changes and its RSS.
#
#     CAP_BUILD=build bench/follow_staleness.sh [pg] [my]
# Environment: FOLLOW_N (single-row writes, default 5000), FOLLOW_BIG (large transactions,
# default 5), FOLLOW_BIG_ROWS (default 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${CAP_BUILD:-build}" && pwd)
LIB=$BUILD/libcapacitor.so
TOOL=$BUILD/capacitor
N=${FOLLOW_N:-5000}
BIG=${FOLLOW_BIG:-5}
BIG_ROWS=${FOLLOW_BIG_ROWS:-100000}
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(pg my)
for f in "$LIB" "$TOOL" "$BUILD/clients/pq_follow" "$BUILD/clients/my_follow"; do
	[ -x "$f" ] || [ -e "$f" ] || { echo "missing $f (make all clients)" >&2; exit 1; }
done
# shellcheck source=tests/fixture.sh
. tests/fixture.sh
export CAP_FIXTURE_PG_CONF="wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
synchronous_commit = on"
export CAP_FIXTURE_MY_BINLOG=1
unset CAP_TEST_USE_PG CAP_TEST_USE_MY
fpid=
cleanup() {
	if [ -n "$fpid" ]; then kill -TERM "$fpid" 2>/dev/null || true; fi
	cap_fixture_stop
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
events() { { "$TOOL" follow --status 2>/dev/null || true; } | sed -n 's/.* \([0-9]*\) events .*/\1/p' | head -n 1; }

# run KIND LABEL CLIENT WRITE_ARGS... - one measured run; prints the reader's line
run() {
	local label=$1 client=$2
	shift 2
	"$client" setup
	LD_PRELOAD=$LIB "$client" read 1000 </dev/null >/dev/null
	local line
	line=$(env -u LD_PRELOAD "$client" write "$@" | LD_PRELOAD=$LIB "$client" read 1000 || true)
	printf '%-28s %s\n' "$label" "$line"
}

for kind in "${kinds[@]}"; do
	export CAPACITOR_DIR
	CAPACITOR_DIR=$(mktemp -d /tmp/capacitor-fbench.XXXXXX)
	chmod 700 "$CAPACITOR_DIR"
	case "$kind" in
	pg)
		cap_fixture_start_pg >/dev/null 2>&1
		uri="postgresql:///$CAP_PG_DB?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=$CAP_PG_USER"
		client=$BUILD/clients/pq_follow
		name=PostgreSQL
		;;
	my)
		cap_fixture_start_mariadb >/dev/null 2>&1
		uri="mysql://$CAP_MY_USER:$CAP_MY_PASSWORD@localhost/$CAP_MY_DB?socket=$CAP_MY_SOCKET"
		client=$BUILD/clients/my_follow
		name=MariaDB
		;;
	*) echo "unknown kind $kind (pg or my)" >&2; exit 2 ;;
	esac
	trap cleanup EXIT # after the fixture, which installs its own
	"$TOOL" follow "$uri" 2>"$CAPACITOR_DIR/follow.err" &
	fpid=$!
	for ((i = 0; i < 100; i++)); do "$TOOL" follow --status >/dev/null 2>&1 && break; sleep 0.1; done
	echo "== $name: staleness (us) from an outside COMMIT returning to the first fresh cached read"
	t0=$(cpu_ticks "$fpid") e0=$(events)
	run "single-row x $N" "$client" "$N" 500
	t1=$(cpu_ticks "$fpid") e1=$(events)
	run "$BIG_ROWS-row txn x $BIG" "$client" "$BIG" 1000000 "$BIG_ROWS"
	t2=$(cpu_ticks "$fpid") e2=$(events)
	hz=$(getconf CLK_TCK)
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v ea="$e0" -v eb="$e1" -v ec="$e2" -v hz="$hz" -v rss="$(rss_kb "$fpid")" 'BEGIN {
		printf "follower: %.1f ms CPU per 10,000 changes (single-row), %.1f ms (large), RSS %d kB\n",
			(eb > ea ? (b - a) * 1000 / hz * 10000 / (eb - ea) : 0),
			(ec > eb ? (c - b) * 1000 / hz * 10000 / (ec - eb) : 0), rss }'
	kill -TERM "$fpid"
	wait "$fpid" || true
	fpid=
	cap_fixture_stop
	rm -rf "$CAPACITOR_DIR"
done

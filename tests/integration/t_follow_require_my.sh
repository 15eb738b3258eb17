#!/bin/bash
# t_follow_require_my - the library uses `capacitor follow` (CAPACITOR_FOLLOW), MariaDB.
#
# Starts its own MariaDB with log_bin and ROW binlog, then, with CAPACITOR_FOLLOW=require:
#   - no follower: repeated reads are never hits (the stats count none, every one is a bypass
#     "no live follower", and the server's TABLE_STATISTICS (userstat) sees every one);
#   - a follower whose heartbeat names another server (a copied file, ident changed) does not
#     count;
#   - the follower starts: hits come; a write from the mariadb CLI (no library) is seen by the
#     next read;
#   - kill -9 of the follower: within the heartbeat bound reads stop being hits, and an
#     outside write is seen; a restarted follower brings hits back;
#   - a stopped follower (SIGSTOP: its heartbeat goes stale): fallback, outside writes seen;
# and with CAPACITOR_FOLLOW=auto and CAPACITOR_TTL=3s: an entry stored while the follower is
# live outlives the TTL, one stored without a live follower does not.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"
MYF=$CAP_BUILD/clients/my_follow
[ -x "$MYF" ] || fail "$MYF not built (make clients)"

unset CAP_TEST_USE_MY
. "$CAP_ROOT/tests/fixture.sh"
export CAP_FIXTURE_MY_BINLOG=1
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
	cap_fixture_stop
	_cap_cleanup
}
cap_fixture_start_mariadb 2>"$CAP_TEST_LOG/fixture.log" || { cat "$CAP_TEST_LOG/fixture.log"; fail "MariaDB with log_bin did not start"; }
trap cleanup EXIT

URI="mysql://$CAP_MY_USER:$CAP_MY_PASSWORD@localhost/$CAP_MY_DB?socket=$CAP_MY_SOCKET"
out() { mariadb --no-defaults -u"$CAP_MY_USER" -p"$CAP_MY_PASSWORD" -S "$CAP_MY_SOCKET" "$CAP_MY_DB" "$@"; }
root() { mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" "$@"; }
Q="SELECT SUM(a) FROM rq"
direct() { out -N -e "$Q"; }
# reads N - N programs under the library, one read each; prints the last result
reads() {
	local i v
	for ((i = 0; i < $1; i++)); do v=$(LD_PRELOAD=$CAP_PRELOAD "$MYF" query "$CAP_MY_DB" "$Q"); done
	echo "$v"
}
js() { "$CAP_TOOL" stats --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
hits() { js 'd["hits"]'; }
scans() { root -N -e "SELECT COALESCE(SUM(ROWS_READ), 0) FROM information_schema.TABLE_STATISTICS WHERE TABLE_SCHEMA = '$CAP_MY_DB' AND TABLE_NAME = 'rq'"; }

start_follower() {
	local name=$1 uri=$2 i
	"$CAP_TOOL" follow --name "$name" "$uri" 2>>"$CAP_TEST_LOG/follow-$name.log" &
	pids+=($!)
	eval "fpid_$name=\$!"
	for ((i = 0; i < 100; i++)); do
		"$CAP_TOOL" follow --status --name "$name" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$CAP_TEST_LOG/follow-$name.log" >&2
	fail "follower $name did not become live"
}
# some_hits WHAT - 6 programs reading once under a live follower give hits (up to 3 rounds:
# on this loaded machine a follower's heartbeat may lag past the bound for a moment)
some_hits() {
	local h0 h1 v round
	for round in 1 2 3; do
		h0=$(hits)
		v=$(reads 6)
		h1=$(hits)
		[ "$h1" -gt "$h0" ] && break
		"$CAP_TOOL" follow --status || true
	done
	[ "$h1" -gt "$h0" ] || { "$CAP_TOOL" stats; fail "$1: no hit in 3 rounds of 6 reads"; }
	assert_eq "$1: value" "$(direct)" "$v"
	echo "ok: $1: $((h1 - h0)) hits in 6 reads (round $round)"
}
# no_hits WHAT - 4 reads: no hit, the server read the table 4 times (one row each)
no_hits() {
	local h0 h1 s0 s1
	h0=$(hits)
	s0=$(scans)
	reads 4 >/dev/null
	h1=$(hits)
	s1=$(scans)
	assert_eq "$1: hits" "$h0" "$h1"
	[ "$s1" -ge $((s0 + 4)) ] || fail "$1: the server read the table $((s1 - s0)) times for 4 reads"
	echo "ok: $1: 4 reads, no hit, the server saw every one"
}
stale_wait() { sleep 0.8; } # CAP_FOLLOW_MAX_AGE_NS (500 ms) and a margin

root -e "SET GLOBAL userstat = 1"
out -e "CREATE TABLE rq (a INT) ENGINE=InnoDB; INSERT INTO rq VALUES (1)"

# ---------------------------------------------------------------- require
export CAPACITOR_FOLLOW=require
reads 1 >/dev/null # the stats file exists from here
no_hits "require, no follower"
[ "$(js 'd["bypass_reasons"]["follow"]')" -ge 4 ] || fail "the bypasses are not counted as 'no live follower'"

start_follower main "$URI"
some_hits "require, live follower"
# the same heartbeat under another name, naming another server: not a follower of this one
kill -STOP "$fpid_main"
stale_wait
python3 - "$CAPACITOR_DIR/follow.main" "$CAPACITOR_DIR/follow.fake" <<'PY'
import struct, sys, time
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<Q', b, 672, struct.unpack_from('<Q', b, 672)[0] ^ 1)   # ident
struct.pack_into('<Q', b, 40, time.clock_gettime_ns(time.CLOCK_MONOTONIC) + 3600 * 10**9)  # live_ns
open(sys.argv[2] + '.tmp', 'wb').write(b)
PY
chmod 0600 "$CAPACITOR_DIR/follow.fake.tmp"
mv "$CAPACITOR_DIR/follow.fake.tmp" "$CAPACITOR_DIR/follow.fake"
no_hits "require, a live follower of another server only"
rm -f "$CAPACITOR_DIR/follow.fake"
kill -CONT "$fpid_main"
for ((i = 0; i < 100; i++)); do
	"$CAP_TOOL" follow --status --name main >/dev/null 2>&1 && break
	sleep 0.1
done
some_hits "require, follower resumed"
out -e "INSERT INTO rq VALUES (10)"
sleep 0.3
assert_eq "require: outside write seen" 11 "$(reads 1)"
some_hits "require, live follower, after the write"
[ "$(js 'd["follow"]["hits_followed"]')" -gt 0 ] || fail "stats --json: follow.hits_followed is 0"

kill -KILL "$fpid_main"
wait "$fpid_main" 2>/dev/null || true
stale_wait
no_hits "require, follower killed"
out -e "INSERT INTO rq VALUES (100)"
assert_eq "require, follower killed: outside write seen" 111 "$(reads 2)"

start_follower main "$URI"
some_hits "require, follower restarted"

kill -STOP "$fpid_main"
stale_wait
no_hits "require, follower stopped (stale heartbeat)"
out -e "INSERT INTO rq VALUES (1000)"
assert_eq "require, follower stopped: outside write seen" 1111 "$(reads 2)"
kill -CONT "$fpid_main"
for ((i = 0; i < 100; i++)); do
	"$CAP_TOOL" follow --status --name main >/dev/null 2>&1 && break
	sleep 0.1
done
some_hits "require, follower resumed"

# ---------------------------------------------------------------- auto with a TTL
export CAPACITOR_FOLLOW=auto CAPACITOR_TTL=3s
for round in 1 2 3; do # (a heartbeat late for a moment on this loaded machine: again)
	reads 2 >/dev/null
	sleep 3.5
	h0=$(hits)
	reads 1 >/dev/null
	[ "$(hits)" -gt "$h0" ] && break
done
[ "$(hits)" -gt "$h0" ] || fail "auto: an entry stored under a live follower expired with CAPACITOR_TTL"
echo "ok: auto: under a live follower an entry outlives CAPACITOR_TTL"
out -e "INSERT INTO rq VALUES (10000)"
sleep 0.3
assert_eq "auto: outside write seen" 11111 "$(reads 1)"

kill -TERM "$fpid_main"
wait "$fpid_main" || true
reads 2 >/dev/null # stored without a live follower: with CAPACITOR_TTL
h0=$(hits)
reads 1 >/dev/null
[ "$(hits)" -gt "$h0" ] || fail "auto, no follower: no hit (today's rules cache)"
sleep 3.5
h0=$(hits)
reads 1 >/dev/null
assert_eq "auto, no follower: a hit after CAPACITOR_TTL" "$h0" "$(hits)"
echo "ok: auto: without a follower, CAPACITOR_TTL applies"
echo "PASS"

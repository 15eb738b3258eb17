#!/bin/bash
# t_follow_require_pg - the library uses `capacitor follow` (CAPACITOR_FOLLOW), PostgreSQL.
#
# Starts its own PostgreSQL with wal_level = logical, then, with CAPACITOR_FOLLOW=require:
#   - no follower: repeated reads are never hits (the stats count none, every one is a bypass
#     "no live follower", and the server's own seq_scan counter sees every one);
#   - a follower of ANOTHER database of the same server does not count for this one;
#   - the follower of this database starts: hits come; a write from psql WITHOUT the library
#     is seen by the next read;
#   - kill -9 of the follower: within the heartbeat bound reads stop being hits, and an
#     outside write is seen; a restarted follower brings hits back;
#   - a stopped follower (SIGSTOP: its heartbeat goes stale): fallback, outside writes seen;
#     SIGCONT: hits again; the same with the server's walsender stopped (a cut network);
#   - reads of an UNLOGGED table (directly, through a view, through a partitioned parent) are
#     never covered (logical decoding does not carry their writes): outside writes seen; also
#     in a program already running when the table was made UNLOGGED outside;
#   - a pgoutput follower whose publication is altered (publish = 'insert') or dropped while
#     it streams stops being live: outside UPDATEs seen; made whole, it covers again; a
#     publish_via_partition_root publication is refused;
# and with CAPACITOR_FOLLOW=auto and CAPACITOR_TTL=3s: an entry stored while the follower is
# live outlives the TTL (hits after it), one stored without a live follower does not, nor
# one of an unlogged table;
# `capacitor stats` reports the hits that relied on the follower; under require the hit path
# makes no system call; CAPACITOR_FOLLOW_DSN starts one follower, prints nothing, leaves the
# program no child to wait for and no SIGCHLD, and a follower that refuses its URI is a line
# in the log.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"

unset CAP_TEST_USE_PG
. "$CAP_ROOT/tests/fixture.sh"
export CAP_FIXTURE_PG_CONF="wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
synchronous_commit = on"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
	for p in "$CAPACITOR_DIR"/follow.*.pid; do # daemons CAPACITOR_FOLLOW_DSN started
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null || true
	done
	cap_fixture_stop
	_cap_cleanup
}
cap_fixture_start_pg 2>"$CAP_TEST_LOG/fixture.log" || { cat "$CAP_TEST_LOG/fixture.log"; fail "PostgreSQL with wal_level=logical did not start"; }
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"

URI="postgresql:///$CAP_PG_DB?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=$CAP_PG_USER"
URI2="postgresql:///capacitor2?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=$CAP_PG_USER"
out() { env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" "$@" >/dev/null; }
direct() { env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" "$@"; }
Q="SELECT sum(a) FROM rq"
# reads N - one psql under the library running Q N times (one PQexec each); prints the last
reads() {
	local i
	for ((i = 0; i < $1; i++)); do echo "$Q;"; done |
		LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" | tail -n 1
}
js() { "$CAP_TOOL" stats --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
hits() { js 'd["hits"]'; }
scans() { direct -c "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'rq'"; }

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
# some_hits WHAT - 3 programs of 3 reads each under a live follower give hits (up to 3
# rounds: on this loaded machine a follower's heartbeat may lag past the bound for a moment)
some_hits() {
	local h0 h1 v round
	for round in 1 2 3; do
		h0=$(hits)
		for _ in 1 2 3; do v=$(reads 3); done
		h1=$(hits)
		[ "$h1" -gt "$h0" ] && break
		"$CAP_TOOL" follow --status || true
	done
	[ "$h1" -gt "$h0" ] || { "$CAP_TOOL" stats; fail "$1: no hit in 3 rounds of 9 reads"; }
	assert_eq "$1: value" "$(direct -c "$Q")" "$v"
	echo "ok: $1: $((h1 - h0)) hits in 9 reads (round $round)"
}
# no_hits WHAT - 2 programs of 3 reads each: no hit, the server saw all 6
no_hits() {
	local h0 h1 s0 s1 i
	h0=$(hits)
	s0=$(scans)
	reads 3 >/dev/null
	reads 3 >/dev/null
	h1=$(hits)
	assert_eq "$1: hits" "$h0" "$h1"
	for ((i = 0; i < 50; i++)); do # a backend's counters reach the view when it exits
		s1=$(scans)
		[ "$s1" -ge $((s0 + 6)) ] && break
		sleep 0.1
	done
	[ "$s1" -ge $((s0 + 6)) ] || fail "$1: the server saw $((s1 - s0)) of 6 reads"
	echo "ok: $1: 6 reads, no hit, the server saw every one"
}
stale_wait() { sleep 0.8; } # CAP_FOLLOW_MAX_AGE_NS (500 ms) and a margin

out -c "CREATE TABLE rq (a int); INSERT INTO rq VALUES (1)"
out -c "CREATE DATABASE capacitor2"

# ---------------------------------------------------------------- require
export CAPACITOR_FOLLOW=require
reads 1 >/dev/null # the stats file exists from here
no_hits "require, no follower"
[ "$(js 'd["bypass_reasons"]["follow"]')" -ge 6 ] || fail "the bypasses are not counted as 'no live follower'"

start_follower other "$URI2"
no_hits "require, a follower of another database only"

start_follower main "$URI"
some_hits "require, live follower"
out -c "INSERT INTO rq VALUES (10)"
sleep 0.3
assert_eq "require: outside write seen" 11 "$(reads 1)"
some_hits "require, live follower, after the write"
"$CAP_TOOL" stats | sed -n '/^followers/,$p' | tee "$CAP_TEST_LOG/stats-followers.out"
grep -q 'relied on: [1-9][0-9]* hits' "$CAP_TEST_LOG/stats-followers.out" || fail "capacitor stats does not say the hits relied on the follower"
[ "$(js 'd["follow"]["hits_followed"]')" -gt 0 ] || fail "stats --json: follow.hits_followed is 0"

kill -KILL "$fpid_main"
wait "$fpid_main" 2>/dev/null || true
stale_wait
no_hits "require, follower killed"
out -c "INSERT INTO rq VALUES (100)"
assert_eq "require, follower killed: outside write seen" 111 "$(reads 2)"

start_follower main "$URI"
some_hits "require, follower restarted"

# The hit path under require checks the heartbeat with no system call: 1,000 more hits make
# no more system calls (as t_hit_path.sh, with a live follower).
if command -v strace >/dev/null && [ "${SANITIZE:-0}" != 1 ]; then
	[ "$(direct -c 'SELECT count(*) FROM items WHERE id = 3')" = 1 ] || fail "the fixture has no items row 3"
	calls() {
		strace -f -c -o /dev/stdout env LD_PRELOAD="$CAP_PRELOAD" "$CAP_BUILD/clients/pq_hitloop" "$1" 2>/dev/null |
			awk '$NF == "total" { print $(NF-2) }'
	}
	for round in 1 2 3; do # (the heartbeat late for a moment on a loaded machine: again)
		LD_PRELOAD=$CAP_PRELOAD "$CAP_BUILD/clients/pq_hitloop" 10 || fail "pq_hitloop"
		h0=$(hits)
		a=$(calls 100)
		b=$(calls 1100)
		h1=$(hits)
		[ $((h1 - h0)) -ge 1150 ] && break
	done
	[ $((h1 - h0)) -ge 1150 ] || fail "require, hit path: $((h1 - h0)) hits of 1,200"
	[ $((b - a)) -le 100 ] || fail "require, hit path: 1,000 more hits made $((b - a)) more system calls ($a -> $b)"
	echo "ok: require, hit path: 1,000 more hits, $((b - a)) more system calls"
fi

kill -STOP "$fpid_main"
stale_wait
no_hits "require, follower stopped (stale heartbeat)"
out -c "INSERT INTO rq VALUES (1000)"
assert_eq "require, follower stopped: outside write seen" 1111 "$(reads 2)"
kill -CONT "$fpid_main"
for ((i = 0; i < 100; i++)); do
	"$CAP_TOOL" follow --status --name main >/dev/null 2>&1 && break
	sleep 0.1
done
some_hits "require, follower resumed"

# The server's side of the stream stops (its walsender stopped, as with a cut network): the
# heartbeat goes stale, reads fall back; once the stream flows again, hits come back.
ws=$(direct -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender' AND datname = '$CAP_PG_DB'")
[ -n "$ws" ] || fail "no walsender for the followed database"
kill -STOP $ws
stale_wait
no_hits "require, stream stalled"
out -c "INSERT INTO rq VALUES (5)"
kill -CONT $ws
for ((i = 0; i < 150; i++)); do
	"$CAP_TOOL" follow --status --name main >/dev/null 2>&1 && break
	sleep 0.1
done
assert_eq "require, after a stalled stream: outside write seen" 1116 "$(reads 2)"
some_hits "require, stream flowing again"

# ---------------------------------------------------------------- what the stream cannot see
# qreads SQL N - one psql under the library running SQL N times; prints the last
qreads() {
	local i
	for ((i = 0; i < $2; i++)); do echo "$1;"; done |
		LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" | tail -n 1
}
# An UNLOGGED table's writes are not in the WAL: logical decoding never reports them, so a
# read of one (itself, through a view, through a partitioned parent) is never covered: under
# require it goes to the server, and an outside write is seen.
out -c "CREATE UNLOGGED TABLE ru (id int PRIMARY KEY, v int); INSERT INTO ru VALUES (1, 0);
	CREATE VIEW ruv AS SELECT v FROM ru WHERE id = 1;
	CREATE TABLE rup (id int, v int) PARTITION BY LIST (id);
	CREATE UNLOGGED TABLE rup1 PARTITION OF rup FOR VALUES IN (1); INSERT INTO rup VALUES (1, 0)"
for uq in "SELECT v FROM ru WHERE id = 1" "SELECT v FROM ruv" "SELECT v FROM rup WHERE id = 1"; do
	some_hits "require, before reads of unlogged tables" >/dev/null
	h0=$(hits)
	qreads "$uq" 3 >/dev/null
	qreads "$uq" 3 >/dev/null
	assert_eq "require, unlogged ($uq): hits" "$h0" "$(hits)"
	out -c "UPDATE ru SET v = v + 1; UPDATE rup SET v = v + 1"
	stale_wait
	assert_eq "require, unlogged ($uq): outside write seen" "$(direct -c "$uq")" "$(qreads "$uq" 2)"
done
echo "ok: require: reads of unlogged tables (direct, view, partition) are not covered, outside writes seen"
# A table made UNLOGGED outside while a program runs: the follower's DDL bump makes the
# program's catalog reload at once (not at its periodic reload), so its next reads are not
# covered either.
out -c "CREATE TABLE rl (id int PRIMARY KEY, v int); INSERT INTO rl VALUES (1, 0)"
some_hits "require, before a table is made unlogged" >/dev/null
LQ="SELECT v FROM rl WHERE id = 1"
OUTSIDE="env -u LD_PRELOAD $CAP_PG_BIN/psql -X -q -v ON_ERROR_STOP=1 -d $CAP_PG_DB"
got=$(LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" <<EOF | tail -n 1
$LQ;
$LQ;
\! $OUTSIDE -c 'ALTER TABLE rl SET UNLOGGED'
\! sleep 0.8
$LQ;
$LQ;
\! $OUTSIDE -c 'UPDATE rl SET v = 1'
\! sleep 0.8
$LQ;
EOF
)
assert_eq "require, a table made UNLOGGED under a running program: outside write seen" 1 "$got"
echo "ok: require: a table made unlogged outside is not covered in a program already running"

# The publication changes while a pgoutput follower streams (ALTER PUBLICATION ... SET
# (publish = 'insert') stops UPDATEs; DROP PUBLICATION stops everything): the follower stops
# being live at once, readers fall back; made whole again, it reconnects and covers again.
kill -TERM "$fpid_main"
wait "$fpid_main" || true
out -c "CREATE TABLE rp (id int PRIMARY KEY, v int); INSERT INTO rp VALUES (1, 0);
	CREATE PUBLICATION capacitor_follow FOR ALL TABLES"
PQ="SELECT v FROM rp WHERE id = 1"
start_follower pub "$URI"
pub_hits() { # pub_hits WHAT - reads of rp get hits (up to 3 rounds), and the value is right
	local h0 round
	for round in 1 2 3; do
		h0=$(hits)
		qreads "$PQ" 3 >/dev/null
		[ "$(hits)" -gt "$h0" ] && break
	done
	[ "$(hits)" -gt "$h0" ] || fail "$1: no hits on rp"
	assert_eq "$1: value" "$(direct -c "$PQ")" "$(qreads "$PQ" 1)"
}
pub_hits "require, pgoutput follower"
out -c "ALTER PUBLICATION capacitor_follow SET (publish = 'insert')"
stale_wait
qreads "$PQ" 3 >/dev/null
out -c "UPDATE rp SET v = 1"
stale_wait
assert_eq "require, publication altered to insert only: outside UPDATE seen" 1 "$(qreads "$PQ" 2)"
"$CAP_TOOL" follow --status --name pub >/dev/null 2>&1 && fail "the follower of an altered publication is still live"
grep -q "publication capacitor_follow changed" "$CAP_TEST_LOG/follow-pub.log" || fail "the follower did not log the publication change"
out -c "ALTER PUBLICATION capacitor_follow SET (publish = 'insert, update, delete, truncate')"
for ((i = 0; i < 150; i++)); do
	"$CAP_TOOL" follow --status --name pub >/dev/null 2>&1 && break
	sleep 0.1
done
"$CAP_TOOL" follow --status --name pub || fail "the follower did not come back once the publication was whole"
pub_hits "require, publication whole again"
out -c "UPDATE rp SET v = 2"
sleep 0.3
assert_eq "require, publication whole again: outside UPDATE seen" 2 "$(qreads "$PQ" 1)"
out -c "DROP PUBLICATION capacitor_follow"
stale_wait
qreads "$PQ" 3 >/dev/null
out -c "UPDATE rp SET v = 3"
stale_wait
assert_eq "require, publication dropped: outside UPDATE seen" 3 "$(qreads "$PQ" 2)"
"$CAP_TOOL" follow --status --name pub >/dev/null 2>&1 && fail "the follower of a dropped publication is still live"
kill -TERM "$fpid_pub"
wait "$fpid_pub" || true
echo "ok: require: a publication altered or dropped under the follower: not live, outside writes seen; whole again: covered"
# publish_via_partition_root reports a partition's writes as its root's (a read of the
# partition itself would not be invalidated): refused at start
out -c "CREATE PUBLICATION capacitor_follow FOR ALL TABLES WITH (publish_via_partition_root = true)"
"$CAP_TOOL" follow --name viaroot "$URI" 2>>"$CAP_TEST_LOG/follow-viaroot.log" &
pids+=($!)
vpid=$!
for ((i = 0; i < 50; i++)); do
	grep -q "not via partition root" "$CAP_TEST_LOG/follow-viaroot.log" && break
	sleep 0.1
done
grep -q "not via partition root" "$CAP_TEST_LOG/follow-viaroot.log" || fail "a publish_via_partition_root publication was not refused"
"$CAP_TOOL" follow --status --name viaroot >/dev/null 2>&1 && fail "a follower of a publish_via_partition_root publication is live"
kill -TERM "$vpid"
wait "$vpid" || true
out -c "DROP PUBLICATION capacitor_follow"
echo "ok: a publish_via_partition_root publication is refused"
start_follower main "$URI"
some_hits "require, test_decoding follower again"

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
out -c "INSERT INTO rq VALUES (10000)"
sleep 0.3
assert_eq "auto: outside write seen" 11116 "$(reads 1)"
# a read of an unlogged table is not covered: it keeps CAPACITOR_TTL
UQ="SELECT v FROM ru WHERE id = 1"
qreads "$UQ" 2 >/dev/null
out -c "UPDATE ru SET v = 100"
sleep 3.5
assert_eq "auto, unlogged table: outside write seen after CAPACITOR_TTL" 100 "$(qreads "$UQ" 1)"
echo "ok: auto: a read of an unlogged table keeps CAPACITOR_TTL under a live follower"

kill -TERM "$fpid_main"
wait "$fpid_main" || true
kill -TERM "$fpid_other"
wait "$fpid_other" || true
reads 2 >/dev/null # stored without a live follower: with CAPACITOR_TTL
h0=$(hits)
reads 1 >/dev/null
[ "$(hits)" -gt "$h0" ] || fail "auto, no follower: no hit (today's rules cache)"
sleep 3.5
h0=$(hits)
reads 1 >/dev/null
assert_eq "auto, no follower: a hit after CAPACITOR_TTL" "$h0" "$(hits)"
echo "ok: auto: without a follower, CAPACITOR_TTL applies"

# ---------------------------------------------------------------- CAPACITOR_FOLLOW_DSN
# The first program under the library starts the follower (require: the reads before it is
# live go to the server); the next ones find it live and start nothing.
unset CAPACITOR_TTL
export CAPACITOR_FOLLOW=require CAPACITOR_FOLLOW_DSN=$URI
"$CAP_TOOL" follow --status >/dev/null 2>&1 && fail "a follower is live before CAPACITOR_FOLLOW_DSN started one"
err=$(for _ in 1 2 3; do echo "$Q;"; done | LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" 2>&1 >/dev/null)
[ -z "$err" ] || fail "starting the follower printed on the program's stderr: $err"
for ((i = 0; i < 100; i++)); do
	"$CAP_TOOL" follow --status >/dev/null 2>&1 && break
	sleep 0.1
done
"$CAP_TOOL" follow --status || fail "CAPACITOR_FOLLOW_DSN did not start a live follower"
pidf=$(ls "$CAPACITOR_DIR"/follow.pg-*.pid)
dpid=$(cat "$pidf")
pids+=("$dpid")
some_hits "CAPACITOR_FOLLOW_DSN: the started follower"
[ "$(cat "$pidf")" = "$dpid" ] || fail "a second follower was started"
[ "$(ls "$CAPACITOR_DIR"/follow.pg-*.pid | wc -l)" = 1 ] || fail "more than one follower was started"
kill -TERM "$dpid"
for ((i = 0; i < 100; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
# a program that reaps "all its children" never meets the starter: no SIGCHLD, nothing to wait
# for (psycopg2; the follower it started is stopped after)
if /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then
	o=$(LD_PRELOAD=$CAP_PRELOAD /usr/bin/python3 - "$CAP_PG_DB" "$Q" <<'PY' 2>&1
import os, signal, sys, time
import psycopg2
got = []
signal.signal(signal.SIGCHLD, lambda s, f: got.append(s))
c = psycopg2.connect(dbname=sys.argv[1])
c.autocommit = True
cur = c.cursor()
for _ in range(3):
    cur.execute(sys.argv[2])
    cur.fetchall()
time.sleep(0.5)
try:
    print("a child to wait for:", os.waitpid(-1, os.WNOHANG))
except ChildProcessError:
    pass
if got:
    print("SIGCHLD")
print("done")
PY
	)
	assert_eq "CAPACITOR_FOLLOW_DSN: the program's view of its children" done "$o"
	for ((i = 0; i < 100; i++)); do
		"$CAP_TOOL" follow --status >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$CAP_TOOL" follow --status >/dev/null || fail "psycopg2 under CAPACITOR_FOLLOW_DSN: no follower started"
	dpid=$(cat "$pidf")
	pids+=("$dpid")
	kill -TERM "$dpid"
	for ((i = 0; i < 100; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	echo "ok: CAPACITOR_FOLLOW_DSN: no SIGCHLD, no child for the program to wait for"
fi
# a follower that cannot start (a URI it refuses): one line in the log, the program unaffected
export CAPACITOR_FOLLOW=auto CAPACITOR_FOLLOW_DSN="mysql://u@h:99999/db"
assert_eq "CAPACITOR_FOLLOW_DSN failing: the read" "$(direct -c "$Q")" "$(reads 3 2>&1)"
grep -q "capacitor: follow: bad port in URI" "$CAPACITOR_DIR/log" ||
	fail "a follower that could not start is not in the log: $(tail -3 "$CAPACITOR_DIR/log")"
unset CAPACITOR_FOLLOW_DSN
echo "ok: CAPACITOR_FOLLOW_DSN starts one follower, quietly"

# ---------------------------------------------------------------- a bad value
err=$(CAPACITOR_FOLLOW=sometimes LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -d "$CAP_PG_DB" -c "$Q" 2>&1 >/dev/null)
echo "$err" | grep -q "CAPACITOR_FOLLOW='sometimes' is not valid" || fail "a bad CAPACITOR_FOLLOW is not reported: $err"
[ "$(echo "$err" | wc -l)" = 1 ] || fail "more than one line for a bad CAPACITOR_FOLLOW: $err"
echo "ok: a bad CAPACITOR_FOLLOW is one line"
echo "PASS"

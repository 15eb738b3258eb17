#!/bin/bash
# t_follow_pg - `capacitor follow` on PostgreSQL: writes made WITHOUT Capacitor (psql and a C
# client without the preload) are seen by cached readers within a bound once a follower runs.
#
# Starts its own PostgreSQL (tests/fixture.sh with wal_level = logical; the shared fixture is
# left as it is), then:
#   - control: with no follower, a cached reader keeps serving stale rows (proves the reads are
#     cached and the check can fail);
#   - pq_follow: N outside writes against a cached reader: every read sees every write that
#     returned before the heartbeat's live time (the follower's contract), and every read that
#     starts more than 200 ms after a write's COMMIT returned sees it unless the heartbeat
#     said the follower was behind (load); staleness p50/p99/max printed; then
#     pgbench TPC-B without the preload: every table read through the cache as on the server;
#   - all of it with pgoutput (a publication made by --create-publication) and again with
#     test_decoding (the default);
#   - a stalled walsender: the heartbeat goes stale at once, the follower reconnects;
#   - psql readers under the library, outside writes by psql without it: TRUNCATE, RENAME
#     (tables swapped), ADD COLUMN, DROP and re-create, a partitioned table, a table written
#     only by a trigger, a cascading foreign key, a second database (its own follower), and the
#     test_decoding fallback;
#   - SIGKILL leaves no slot on the server and the heartbeat goes stale; a write made while no
#     follower runs is invisible to nobody after it restarts (everything is bumped at connect);
#   - a server restart: the follower reconnects and keeps invalidating;
#   - --daemon: a second one exits 0 quietly; SIGTERM stops it and drops its slot; --check.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"
PQF=$CAP_BUILD/clients/pq_follow
[ -x "$PQF" ] || fail "$PQF not built (make clients)"
N=${CAP_FOLLOW_N:-3000}
BOUND_MS=${CAP_FOLLOW_BOUND_MS:-200}

# Our own server with logical decoding; synchronous_commit on so that a COMMIT that returned
# is in the flushed WAL the walsender decodes.
unset CAP_TEST_USE_PG
. "$CAP_ROOT/tests/fixture.sh"
export CAP_FIXTURE_PG_CONF="wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
synchronous_commit = on"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	cap_fixture_stop
	_cap_cleanup
}
cap_fixture_start_pg 2>"$CAP_TEST_LOG/fixture.log" || { cat "$CAP_TEST_LOG/fixture.log"; fail "PostgreSQL with wal_level=logical did not start"; }
trap cleanup EXIT
PGDIR=$_cap_fx_pg_dir

URI="postgresql:///$CAP_PG_DB?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=$CAP_PG_USER"
out() { env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" "$@" >/dev/null; }
out_db() { local db=$1; shift; env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@" >/dev/null; }
cached() { LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 -d "$CAP_PG_DB" "$@"; }
cached_db() { local db=$1; shift; LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 -d "$db" "$@"; }
slots() { env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -tA -d postgres -c "SELECT count(*) FROM pg_replication_slots"; }
bound() { sleep "$(awk -v b="$BOUND_MS" 'BEGIN { printf "%.3f", b / 1000 }')"; }
export PGOPTIONS="-c client_min_messages=warning"

# start_follower NAME URI [OPTIONS...] - run a follower in the background, wait until live.
start_follower() {
	local name=$1 uri=$2 i
	shift 2
	"$CAP_TOOL" follow --name "$name" "$@" "$uri" 2>>"$CAP_TEST_LOG/follow-$name.log" &
	pids+=($!)
	eval "fpid_$name=\$!"
	for ((i = 0; i < 100; i++)); do
		"$CAP_TOOL" follow --status --name "$name" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$CAP_TEST_LOG/follow-$name.log" >&2
	fail "follower $name did not become live"
}
fpid() { eval "echo \$fpid_$1"; }
wait_slots() {
	# wait_slots N - until the server has N replication slots (up to 10 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(slots)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "expected $1 replication slots, have $(slots): $(env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -tA -d postgres -c 'SELECT slot_name, temporary, active_pid FROM pg_replication_slots')"
}

# --check on a server that allows it
"$CAP_TOOL" follow --check "$URI" >"$CAP_TEST_LOG/check.out" || { cat "$CAP_TEST_LOG/check.out"; fail "--check found problems on a prepared server"; }
grep -q '^ok:' "$CAP_TEST_LOG/check.out" || fail "--check did not say ok"
"$CAP_TOOL" follow --check "host=$CAP_PG_HOST port=$CAP_PG_PORT dbname=$CAP_PG_DB user=$CAP_PG_USER" >/dev/null ||
	fail "--check with a libpq key=value string"
out -c "CREATE ROLE fw_norepl LOGIN"
rc=0
"$CAP_TOOL" follow --check "postgresql:///$CAP_PG_DB?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=fw_norepl" >"$CAP_TEST_LOG/check2.out" || rc=$?
[ "$rc" = 1 ] || fail "--check for a role without REPLICATION: exit $rc, expected 1"
grep -q 'ALTER ROLE fw_norepl REPLICATION' "$CAP_TEST_LOG/check2.out" || fail "--check does not say how to grant REPLICATION"
echo "ok: --check"

# ---------------------------------------------------------------- control: no follower
"$PQF" setup
LD_PRELOAD=$CAP_PRELOAD "$PQF" read "$BOUND_MS" </dev/null >/dev/null # warm the cache
rc=0
env -u LD_PRELOAD "$PQF" write 300 2000 | LD_PRELOAD=$CAP_PRELOAD "$PQF" read "$BOUND_MS" >"$CAP_TEST_LOG/control.out" || rc=$?
cat "$CAP_TEST_LOG/control.out"
grep -q 'violations=[1-9]' "$CAP_TEST_LOG/control.out" ||
	fail "control: without a follower the cached reader saw every outside write (is the read cached?)"
echo "ok: control: without a follower, outside writes are not seen (reads are cached)"

# ---------------------------------------------------------------- the follower
# coherence OUTPUT N - pq_follow's writer outside, its reader under the library
coherence() {
	local mode=$1 n=$2 rc=0 hits
	"$PQF" setup
	LD_PRELOAD=$CAP_PRELOAD "$PQF" read "$BOUND_MS" </dev/null >/dev/null # warm the cache
	env -u LD_PRELOAD "$PQF" write "$n" 500 |
		CAP_FOLLOW_HEARTBEAT=$CAPACITOR_DIR/follow.main LD_PRELOAD=$CAP_PRELOAD "$PQF" read "$BOUND_MS" >"$CAP_TEST_LOG/follow-$mode.out" || rc=$?
	cat "$CAP_TEST_LOG/follow-$mode.out"
	[ "$rc" = 0 ] || fail "$mode: pq_follow: outside writes not seen within ${BOUND_MS} ms (exit $rc)"
	hits=$("$CAP_TOOL" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"])')
	[ "$hits" -gt 1000 ] || fail "only $hits cache hits: the reader was not served from the cache"
	echo "ok: $mode: $n outside writes, every read after ${BOUND_MS} ms fresh ($hits hits so far)"
}

# ---------------------------------------------------------------- DDL and indirect writes
# case NAME SETUP READ WRITE EXPECTED - warm READ (cached), WRITE outside, wait, READ again.
case_() {
	local name=$1 setup=$2 read=$3 write=$4 want=$5 got
	out -c "$setup"
	cached -c "$read" >/dev/null
	cached -c "$read" >/dev/null
	out -c "$write"
	bound
	got=$(cached -c "$read" 2>&1) || true
	assert_eq "$name: the read after the outside write" "$want" "$got"
	echo "ok: $name ($mode_)"
}
all_cases() {
	mode_=$1
	case_ truncate "DROP TABLE IF EXISTS t1; CREATE TABLE t1 (a int); INSERT INTO t1 VALUES (1), (2)" \
		"SELECT count(*) FROM t1" "TRUNCATE t1" 0
	case_ rename-swap "DROP TABLE IF EXISTS ra, rb, ra_old; CREATE TABLE ra (s text); INSERT INTO ra VALUES ('old');
		CREATE TABLE rb (s text); INSERT INTO rb VALUES ('new')" \
		"SELECT s FROM ra" "ALTER TABLE ra RENAME TO ra_old; ALTER TABLE rb RENAME TO ra" new
	case_ add-column "DROP TABLE IF EXISTS ac; CREATE TABLE ac (a int); INSERT INTO ac VALUES (1)" \
		"SELECT * FROM ac" "ALTER TABLE ac ADD COLUMN b int DEFAULT 7" "1|7"
	case_ drop-recreate "DROP TABLE IF EXISTS dr; CREATE TABLE dr (a int); INSERT INTO dr VALUES (1)" \
		"SELECT a FROM dr" "DROP TABLE dr; CREATE TABLE dr (a int); INSERT INTO dr VALUES (2)" 2
	case_ partition "DROP TABLE IF EXISTS pt; CREATE TABLE pt (k int, v int) PARTITION BY RANGE (k);
		CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);
		CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (100) TO (200); INSERT INTO pt VALUES (1, 1)" \
		"SELECT sum(v) FROM pt" "INSERT INTO pt VALUES (150, 10)" 11
	[ "$1" = pgoutput ] ||
		case_ partition-leaf "SELECT 1" "SELECT sum(v) FROM pt_2" "UPDATE pt SET v = 20 WHERE k = 150" 20
	case_ inheritance "DROP TABLE IF EXISTS ih_c, ih_p; CREATE TABLE ih_p (v int); CREATE TABLE ih_c () INHERITS (ih_p);
		INSERT INTO ih_p VALUES (1)" "SELECT sum(v) FROM ih_p" "INSERT INTO ih_c VALUES (5)" 6
	case_ trigger-only "DROP TABLE IF EXISTS tg_src, tg_log; CREATE TABLE tg_log (n int);
		CREATE TABLE tg_src (a int); CREATE OR REPLACE FUNCTION tg_f() RETURNS trigger LANGUAGE plpgsql AS
		\$\$BEGIN INSERT INTO tg_log VALUES (NEW.a); RETURN NEW; END\$\$;
		CREATE TRIGGER tg AFTER INSERT ON tg_src FOR EACH ROW EXECUTE FUNCTION tg_f()" \
		"SELECT count(*) FROM tg_log" "INSERT INTO tg_src VALUES (1), (2), (3)" 3
	[ "$1" = pgoutput ] ||
		case_ cascade "DROP TABLE IF EXISTS fk_c, fk_p; CREATE TABLE fk_p (id int PRIMARY KEY);
		CREATE TABLE fk_c (pid int REFERENCES fk_p ON DELETE CASCADE); INSERT INTO fk_p VALUES (1), (2);
		INSERT INTO fk_c VALUES (1), (1), (2)" "SELECT count(*) FROM fk_c" "DELETE FROM fk_p WHERE id = 1" 1
	case_ big-transaction "DROP TABLE IF EXISTS bt; CREATE TABLE bt (a int)" "SELECT count(*) FROM bt" \
		"INSERT INTO bt SELECT g FROM generate_series(1, 100000) g" 100000
}

# pgbench TPC-B without the preload, then readers under it: every table as it is on the server.
PGBENCH_READS=("SELECT count(*), sum(abalance) FROM pgbench_accounts"
	"SELECT count(*), sum(bbalance) FROM pgbench_branches"
	"SELECT count(*), sum(tbalance) FROM pgbench_tellers"
	"SELECT count(*), sum(delta) FROM pgbench_history")
pgbench_case() {
	local q direct got
	env -u LD_PRELOAD "$CAP_PG_BIN/pgbench" -q -i -s 1 "$CAP_PG_DB" >/dev/null 2>&1 || fail "pgbench -i"
	for q in "${PGBENCH_READS[@]}"; do cached -c "$q" >/dev/null; done
	env -u LD_PRELOAD "$CAP_PG_BIN/pgbench" -n -c 2 -T 3 "$CAP_PG_DB" >/dev/null 2>&1 || fail "pgbench"
	bound
	for q in "${PGBENCH_READS[@]}"; do
		direct=$(env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -tA -d "$CAP_PG_DB" -c "$q")
		got=$(cached -c "$q")
		assert_eq "pgbench ($1): $q" "$direct" "$got"
	done
	echo "ok: pgbench TPC-B outside, cached readers see every table as it is ($1)"
}

# pgoutput: with a publication (created by the follower when asked). It makes UPDATE and
# DELETE fail on tables without a replica identity, so those cases run with test_decoding.
start_follower main "$URI" --create-publication
wait_slots 1
grep -q 'created publication' "$CAP_TEST_LOG/follow-main.log" || fail "no publication created"
coherence pgoutput "$N"
pgbench_case pgoutput
all_cases pgoutput
kill -TERM "$fpid_main"
wait "$fpid_main" || fail "follower main: exit $? on SIGTERM"
wait_slots 0
out -c "DROP PUBLICATION capacitor_follow"

# test_decoding: the default without a publication
start_follower main "$URI"
grep -q 'created publication' "$CAP_TEST_LOG/follow-main.log" && [ "$(grep -c 'created publication' "$CAP_TEST_LOG/follow-main.log")" -gt 1 ] &&
	fail "a publication was created unasked"
coherence test_decoding "$((N / 2))"
pgbench_case test_decoding
all_cases test_decoding

# A second database on the same server: a logical slot is per database, so it has its own
# follower.
out -c "CREATE DATABASE capacitor2"
out_db capacitor2 -c "CREATE TABLE d2 (a int); INSERT INTO d2 VALUES (1)"
start_follower second "postgresql:///capacitor2?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=$CAP_PG_USER" --timeout 2
cached_db capacitor2 -c "SELECT sum(a) FROM d2" >/dev/null
cached_db capacitor2 -c "SELECT sum(a) FROM d2" >/dev/null
out_db capacitor2 -c "INSERT INTO d2 VALUES (41)"
bound
assert_eq "second database: read after the outside write" 42 "$(cached_db capacitor2 -c "SELECT sum(a) FROM d2")"
echo "ok: second database"

kill -TERM "$fpid_main"
wait "$fpid_main" || fail "follower main: exit $? on SIGTERM"
grep -q 'stopped' "$CAP_TEST_LOG/follow-main.log" || fail "no 'stopped' line in the log"
wait_slots 1 # the second database's follower still runs
echo "ok: SIGTERM stops cleanly and drops the slot"

# ---------------------------------------------------------------- a stalled stream
# The walsender stops (as with a cut network): the heartbeat goes stale within its bound, and
# the follower gives up on the connection and streams again through a new one.
ws=$(env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -tA -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender' AND datname = 'capacitor2'")
[ -n "$ws" ] || fail "no walsender for the second database"
kill -STOP "$ws"
sleep 0.8
rc=0
"$CAP_TOOL" follow --status --name second --max-age 500 >/dev/null || rc=$?
kill -CONT "$ws" 2>/dev/null || true
[ "$rc" = 1 ] || fail "--status says a follower whose walsender is stopped is live"
kill -STOP "$ws" 2>/dev/null || true
for ((i = 0; i < 150; i++)); do
	"$CAP_TOOL" follow --status --name second >"$CAP_TEST_LOG/status.out" 2>&1 &&
		grep -q '[1-9][0-9]* reconnects' "$CAP_TEST_LOG/status.out" && break
	sleep 0.1
done
kill -CONT "$ws" 2>/dev/null || true
grep -q '[1-9][0-9]* reconnects' "$CAP_TEST_LOG/status.out" || { cat "$CAP_TEST_LOG/status.out"; fail "the follower did not reconnect past a stalled walsender"; }
cached_db capacitor2 -c "SELECT count(*) FROM d2" >/dev/null
out_db capacitor2 -c "INSERT INTO d2 VALUES (0)"
bound
assert_eq "after a stalled stream" 3 "$(cached_db capacitor2 -c "SELECT count(*) FROM d2")"
echo "ok: a stalled stream: heartbeat stale at once, reconnect after --timeout"

# ---------------------------------------------------------------- SIGKILL and restart
kill -KILL "$fpid_second"
wait "$fpid_second" 2>/dev/null || true
wait_slots 0
sleep 0.6
rc=0
"$CAP_TOOL" follow --status --name second --max-age 500 >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "--status says a SIGKILLed follower is live"
echo "ok: SIGKILL leaves no slot and the heartbeat goes stale"

# Written while no follower ran: the next follower bumps everything before it streams.
cached_db capacitor2 -c "SELECT sum(a) FROM d2" >/dev/null
out_db capacitor2 -c "INSERT INTO d2 VALUES (100)"
start_follower second "postgresql:///capacitor2?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=$CAP_PG_USER"
assert_eq "write made while no follower ran" 142 "$(cached_db capacitor2 -c "SELECT sum(a) FROM d2")"
echo "ok: a restarted follower invalidates what was written while none ran"

# ---------------------------------------------------------------- server restart
_cap_fx_pg_as "$CAP_PG_BIN/pg_ctl" -D "$PGDIR/data" -w -t 60 -m fast restart >"$CAP_TEST_LOG/restart.log" 2>&1 ||
	fail "pg_ctl restart failed"
for ((i = 0; i < 200; i++)); do
	"$CAP_TOOL" follow --status --name second >"$CAP_TEST_LOG/status.out" 2>&1 &&
		grep -q 'reconnects [1-9]\|[1-9][0-9]* reconnects' "$CAP_TEST_LOG/status.out" && break
	sleep 0.1
done
grep -q '[1-9][0-9]* reconnects' "$CAP_TEST_LOG/status.out" || { cat "$CAP_TEST_LOG/status.out"; fail "the follower did not reconnect after a server restart"; }
cached_db capacitor2 -c "SELECT sum(a) FROM d2" >/dev/null
out_db capacitor2 -c "INSERT INTO d2 VALUES (1000)"
bound
assert_eq "after a server restart" 1142 "$(cached_db capacitor2 -c "SELECT sum(a) FROM d2")"
kill -TERM "$fpid_second"
wait "$fpid_second" || true
echo "ok: the follower reconnects after a server restart"

# ---------------------------------------------------------------- --daemon
"$CAP_TOOL" follow --daemon --name dmn "$URI" || fail "--daemon: exit $?"
for ((i = 0; i < 100; i++)); do
	"$CAP_TOOL" follow --status --name dmn >/dev/null 2>&1 && break
	sleep 0.1
done
"$CAP_TOOL" follow --status --name dmn >/dev/null || fail "the daemon is not live"
[ -s "$CAPACITOR_DIR/follow.dmn.pid" ] || fail "no pid file"
dpid=$(cat "$CAPACITOR_DIR/follow.dmn.pid")
pids+=("$dpid")
o=$("$CAP_TOOL" follow --daemon --name dmn "$URI" 2>&1) || fail "a second --daemon: exit $?"
[ -z "$o" ] || fail "a second --daemon is not quiet: $o"
rc=0
"$CAP_TOOL" follow --name dmn "$URI" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "a second foreground follower of the same name: exit $rc, expected 1"
wait_slots 1
"$CAP_TOOL" stats | grep -q 'dmn .*streaming' || fail "capacitor stats does not show the follower"
kill -TERM "$dpid"
for ((i = 0; i < 100; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$dpid" 2>/dev/null && fail "the daemon did not stop on SIGTERM"
[ ! -e "$CAPACITOR_DIR/follow.dmn.pid" ] || fail "the daemon left its pid file"
wait_slots 0
echo "ok: --daemon"
echo "PASS"

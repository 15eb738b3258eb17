#!/bin/bash
# t_follow_clone_pg - a copy of a PostgreSQL cluster is another server (attack round 2, pg-2
# and pg-3).
#
# Starts its own PostgreSQL A (wal_level = logical) and a copy B of it made by pg_basebackup,
# started on another port: B has A's system_identifier and database oids. Then:
#   - a dead writer's marker on A (the writer through the library blocks on a row lock held
#     by a session outside it and is killed; its server session keeps waiting) is not cleared
#     by a process that misses on B, where that session never was: a reader of A stores
#     nothing until A commits the write, and then reads it;
#   - a `capacitor follow` of A covers readers of A (hits with CAPACITOR_FOLLOW=require), not
#     readers of B: with require, and with auto and CAPACITOR_TTL, an outside write on B is
#     seen by the next read.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"

unset CAP_TEST_USE_PG
. "$CAP_ROOT/tests/fixture.sh"
export CAP_FIXTURE_PG_CONF="wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
synchronous_commit = on"
pids=()
clone=""
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	if [ -n "$clone" ]; then
		[ -r "$clone/data/postmaster.pid" ] &&
			_cap_fx_kill_pid "$(head -n 1 "$clone/data/postmaster.pid")" INT postgres
		rm -rf -- "$clone"
	fi
	cap_fixture_stop
	_cap_cleanup
}
cap_fixture_start_pg 2>"$CAP_TEST_LOG/fixture.log" || { cat "$CAP_TEST_LOG/fixture.log"; fail "PostgreSQL with wal_level=logical did not start"; }
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"

# B: the copy, on its own port and socket directory
clone=$(mktemp -d /tmp/capacitor-pgclone.XXXXXX)
chmod 0755 "$clone"
[ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$clone"
_cap_fx_pg_as "$CAP_PG_BIN/pg_basebackup" -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U postgres \
	-D "$clone/data" -X stream -c fast -N >"$CAP_TEST_LOG/basebackup.log" 2>&1 ||
	{ cat "$CAP_TEST_LOG/basebackup.log"; fail "pg_basebackup failed"; }
port_b=$(_cap_fx_free_port)
_cap_fx_pg_as "$CAP_PG_BIN/pg_ctl" -D "$clone/data" -l "$clone/log" -w -t 60 \
	-o "-p $port_b -k $clone -c listen_addresses=" start >"$CAP_TEST_LOG/clone.log" 2>&1 ||
	{ cat "$CAP_TEST_LOG/clone.log" "$clone/log"; fail "the copy did not start"; }

A=(-h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB")
B=(-h "$clone" -p "$port_b" -U "$CAP_PG_USER" -d "$CAP_PG_DB")
direct() { env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 "$@"; }
cap() { LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 "$@"; }
js() { "$CAP_TOOL" stats --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

sys_a=$(direct "${A[@]}" -c "SELECT system_identifier FROM pg_control_system()")
sys_b=$(direct "${B[@]}" -c "SELECT system_identifier FROM pg_control_system()")
assert_eq "the copy has the cluster's system_identifier" "$sys_a" "$sys_b"

# ---- a dead writer's marker on A, and a process missing on B (pg-3)
direct "${A[@]}" -c "CREATE TABLE cm(id int PRIMARY KEY, v int); INSERT INTO cm VALUES (1, 0)" >/dev/null
direct "${B[@]}" -c "CREATE TABLE cmb(id int PRIMARY KEY, v int); INSERT INTO cmb VALUES (1, 0)" >/dev/null
fifo=$(cap_tmpdir)/lock
mkfifo "$fifo"
direct "${A[@]}" <"$fifo" >/dev/null &
pids+=($!)
exec {lockfd}>"$fifo"
echo "BEGIN; SELECT v FROM cm WHERE id = 1 FOR UPDATE; SELECT 'locked';" >&"$lockfd"
LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -q "${A[@]}" -c "UPDATE cm SET v = 1 WHERE id = 1" >/dev/null 2>&1 &
writer=$!
pids+=("$writer")
for ((i = 0; i < 100; i++)); do
	[ "$(direct "${A[@]}" -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE cm%'")" = 1 ] && break
	sleep 0.1
done
[ "$i" -lt 100 ] || fail "the writer never waited for the row lock"
kill -KILL "$writer"
wait "$writer" 2>/dev/null || true
assert_eq "a reader of A while the dead writer's session waits" 0 "$(cap "${A[@]}" -c "SELECT v FROM cm WHERE id = 1")"
cap "${B[@]}" -c "SELECT v FROM cmb WHERE id = 1" >/dev/null
cap "${B[@]}" -c "SELECT count(*) FROM cmb" >/dev/null
for _ in 1 2; do cap "${A[@]}" -c "SELECT v FROM cm WHERE id = 1" >/dev/null; done
echo "COMMIT;" >&"$lockfd"
exec {lockfd}>&-
for ((i = 0; i < 100; i++)); do
	[ "$(direct "${A[@]}" -c "SELECT v FROM cm WHERE id = 1")" = 1 ] && break
	sleep 0.1
done
[ "$i" -lt 100 ] || fail "the dead writer's UPDATE never committed on A"
assert_eq "a reader of A after the dead writer's UPDATE committed (a miss on the copy B cleared its marker)" \
	1 "$(cap "${A[@]}" -c "SELECT v FROM cm WHERE id = 1")"

# ---- a follower of A, readers of B (pg-2)
"$CAP_TOOL" follow --name a "postgresql:///$CAP_PG_DB?host=$CAP_PG_HOST&port=$CAP_PG_PORT&user=$CAP_PG_USER" \
	2>>"$CAP_TEST_LOG/follow-a.log" &
pids+=($!)
for ((i = 0; i < 100; i++)); do
	"$CAP_TOOL" follow --status --name a >/dev/null 2>&1 && break
	sleep 0.1
done
[ "$i" -lt 100 ] || { cat "$CAP_TEST_LOG/follow-a.log"; fail "the follower of A did not become live"; }
direct "${A[@]}" -c "CREATE TABLE fa(id int PRIMARY KEY, v int); INSERT INTO fa VALUES (1, 0)" >/dev/null
direct "${B[@]}" -c "CREATE TABLE fb(id int PRIMARY KEY, v int); INSERT INTO fb VALUES (1, 0)" >/dev/null

# the follower does cover A (its identity and the sessions' agree), up to 3 rounds on a loaded
# machine whose heartbeat may lag past the bound for a moment
covered=0
for _ in 1 2 3; do
	h0=$(js 'd["hits_followed"]')
	for _ in 1 2 3; do
		CAPACITOR_FOLLOW=require cap "${A[@]}" -c "SELECT v FROM fa WHERE id = 1" >/dev/null
	done
	[ "$(js 'd["hits_followed"]')" -gt "$h0" ] && { covered=1; break; }
done
[ "$covered" = 1 ] || fail "the follower of A does not cover readers of A"

v=0
for mode in require auto; do
	direct "${B[@]}" -c "UPDATE fb SET v = $v WHERE id = 1" >/dev/null
	sleep 0.7
	for _ in 1 2; do
		CAPACITOR_FOLLOW=$mode CAPACITOR_TTL=1s cap "${B[@]}" -c "SELECT v FROM fb WHERE id = 1" >/dev/null
	done
	v=$((v + 1))
	direct "${B[@]}" -c "UPDATE fb SET v = $v WHERE id = 1" >/dev/null # outside write on B
	sleep 1.5 # past the follower's 500 ms and the TTL
	assert_eq "CAPACITOR_FOLLOW=$mode: a reader of the copy B after an outside write there, A followed" \
		"$v" "$(CAPACITOR_FOLLOW=$mode CAPACITOR_TTL=1s cap "${B[@]}" -c "SELECT v FROM fb WHERE id = 1")"
	v=$((v + 1))
done
echo "ok: t_follow_clone_pg"

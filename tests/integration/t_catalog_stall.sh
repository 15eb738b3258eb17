#!/bin/bash
# t_catalog_stall - a catalog load that stalls or is cancelled holds up nobody but its own
# thread, and only within its bounds (attack round 5, x-1 to x-4):
#  - threads cancelled (pthread_cancel) at random moments inside libpq calls (cancellation
#    is off while a thread holds any of Capacitor's mutexes: cache/lock.h) leave the
#    process's other threads free to read (the registry was left locked: every later first
#    read hung);
#  - a thread whose connection stalls for ever inside Capacitor's catalog load does not hold
#    up another thread reading another database;
#  - MariaDB: a catalog connection whose query is never answered gives up (read timeout), and
#    a failed load is not tried again by every read.
# tests/clients/pq_catstall, my_catstall; tests/integration/freeze_proxy.py.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
pq=$CAP_BUILD/clients/pq_catstall
my=$CAP_BUILD/clients/my_catstall
[ -x "$pq" ] && [ -x "$my" ] || fail "clients not built (make clients)"
proxy=$(dirname "${BASH_SOURCE[0]}")/freeze_proxy.py
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
export CAPACITOR_DIR=$d/cap
cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS stall_t;
CREATE TABLE stall_t (id int PRIMARY KEY, v text);
INSERT INTO stall_t SELECT g, 'v' || g FROM generate_series(1, 5) g;
DROP DATABASE IF EXISTS stall_other;
CREATE DATABASE stall_other;
SQL
cap_pg_psql -q -d stall_other -c "CREATE TABLE stall_other (id int PRIMARY KEY, v text)" \
	-c "INSERT INTO stall_other VALUES (1, 'one')"

# (the catalog load starts with its own set_config of lock_timeout; the session read-back
# with statement_timeout)
# the proxy's port: free, and the proxy is up once it says "ready"
start_proxy() { # DPORT WORD... ; sets proxy_pid, proxy_port
	local i
	for i in 1 2 3 4 5; do
		proxy_port=$((30000 + RANDOM % 20000))
		/usr/bin/python3 "$proxy" "$proxy_port" "$@" >"$d/proxy.out" 2>"$d/proxy.err" &
		proxy_pid=$!
		for _ in $(seq 50); do
			grep -q ready "$d/proxy.out" 2>/dev/null && return 0
			kill -0 "$proxy_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$proxy_pid" 2>/dev/null || true
		wait "$proxy_pid" 2>/dev/null || true
	done
	fail "the test's proxy did not start: $(cat "$d/proxy.err")"
}
stop_proxy() {
	kill "$proxy_pid" 2>/dev/null || true
	wait "$proxy_pid" 2>/dev/null || true
}

# ---- 1. cancelled threads ------------------------------------------------------------------
# 120 rounds: a cancelled thread's connection outlives it (without Capacitor too: the
# connections pile up idle in pg_stat_activity until the process exits), and the fixture's max_connections is 200: with
# more rounds the main thread's own connection could be refused, with or without Capacitor,
# depending on how long each connect takes
timeout 120 "$pq" cancel 120 >"$d/cancel.off" 2>&1 || fail "cancel: the program failed without Capacitor"
rm -rf "$CAPACITOR_DIR"
rc=0
timeout 120 env LD_PRELOAD="$(cap_preload)" "$pq" cancel 120 >"$d/cancel.on" 2>&1 || rc=$?
[ $rc -eq 124 ] && fail "cancel: the program hung after threads were cancelled inside libpq"
diff -u "$d/cancel.off" "$d/cancel.on" >&2 || fail "cancel: output differs (exit $rc)"

# ---- 2. a stalled catalog load on one thread ---------------------------------------------------
for mode in off on; do
	start_proxy "$CAP_PG_PORT" '/*A*/' "SELECT pg_catalog.set_config('lock_timeout'"
	rm -rf "$CAPACITOR_DIR"
	pre=()
	[ $mode = off ] || pre=(env LD_PRELOAD="$(cap_preload)")
	rc=0
	timeout 60 "${pre[@]}" "$pq" stall "host=127.0.0.1 port=$proxy_port" \
		"host=$CAP_PG_HOST port=$CAP_PG_PORT dbname=stall_other" >"$d/stall.$mode" 2>&1 || rc=$?
	stop_proxy
	grep -q FREEZE "$d/proxy.err" || fail "stall ($mode): the proxy never stalled thread A"
	[ $rc -eq 124 ] && fail "stall ($mode): thread B was held up by thread A's stalled connection"
	[ $rc -eq 0 ] || fail "stall ($mode): exit $rc: $(cat "$d/stall.$mode")"
done
diff -u "$d/stall.off" "$d/stall.on" >&2 || fail "stall: output differs"

# ---- 3. MariaDB: a catalog connection never answered -----------------------------------------
if [ -n "${CAP_MY_PORT:-}" ]; then
	cap_my_sql -e "DROP TABLE IF EXISTS stall_t; CREATE TABLE stall_t (id int PRIMARY KEY, v varchar(8));
		INSERT INTO stall_t VALUES (1, 'one');"
	export CAP_MY_USER CAP_MY_PASSWORD CAP_MY_DB
	for mode in off on; do
		start_proxy "$CAP_MY_PORT" "information_schema.TABLES"
		rm -rf "$CAPACITOR_DIR"
		pre=()
		[ $mode = off ] || pre=(env LD_PRELOAD="$(cap_preload)")
		rc=0
		timeout 60 "${pre[@]}" "$my" "$proxy_port" 4 >"$d/my.$mode" 2>&1 || rc=$?
		stop_proxy
		[ $rc -eq 124 ] && fail "mariadb ($mode): the read waited for ever on the catalog connection"
		[ $rc -eq 0 ] || fail "mariadb ($mode): exit $rc: $(cat "$d/my.$mode")"
	done
	diff -u "$d/my.off" "$d/my.on" >&2 || fail "mariadb: output differs"
	grep -q FREEZE "$d/proxy.err" || fail "mariadb: Capacitor's catalog query never went through the proxy"
	n=$(grep -c "catalog connection\|cannot read information_schema" "$CAPACITOR_DIR/log" 2>/dev/null || true)
	[ "${n:-0}" -le 2 ] || fail "mariadb: the failed catalog load was tried again by every read ($n log lines)"
fi
echo "ok: cancelled and stalled catalog loads hold up no other thread; the MariaDB catalog connection gives up"

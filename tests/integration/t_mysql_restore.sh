#!/bin/bash
# t_mysql_restore - a MariaDB data directory restored in place is another server (the
# MariaDB side of attack round 5, pg-3).
#
# Starts its own MariaDB, stops it and copies its data directory (a cold backup), starts it
# again, then through the library writes a row and caches the read of it (the second read is
# a hit). The server is stopped, the copy put back in its data directory, and it is started
# again on the same port and socket: the same @@server_uid (port and MAC address), other rows.
# A new process must read the restored row, not the one cached before; on the restored
# server, two processes still share entries and a write still invalidates.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"
client=$CAP_BUILD/clients/my_lines
[ -x "$client" ] || fail "$client not built (make clients)"

unset CAP_TEST_USE_MY
. "$CAP_ROOT/tests/fixture.sh"
cleanup() {
	cap_fixture_stop
	_cap_cleanup
}
cap_fixture_start_mariadb 2>"$CAP_TEST_LOG/fixture.log" || { cat "$CAP_TEST_LOG/fixture.log"; fail "MariaDB did not start"; }
trap cleanup EXIT
dir=$_cap_fx_my_dir

hits() { "$CAP_TOOL" stats --json | python3 -c "import json,sys; print(json.load(sys.stdin)['hits'])"; }
through() { printf '%s\n' "$@" | LD_PRELOAD=$CAP_PRELOAD "$client"; }
read_v() { through "SELECT v FROM kv WHERE k = 1"; }
uid() { mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" -N -e "SELECT @@server_uid"; }
stop() { _cap_fx_kill_pid "$(head -n 1 "$dir/mysqld.pid")" TERM mariadbd; }
start() { _cap_fx_my_launch "$CAP_MY_PORT" || { tail "$dir/error.log"; fail "MariaDB did not start again"; }; }

cap_my_sql -e "CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB; INSERT INTO kv VALUES (1, 'before backup')"
uid_before=$(uid)
stop
cp -a "$dir/data" "$dir/backup"
start

assert_eq "the write" "OK" "$(through "UPDATE kv SET v = 'after backup' WHERE k = 1")"
assert_eq "the live server's row" "after backup" "$(read_v)"
h0=$(hits)
assert_eq "the live server's row, again" "after backup" "$(read_v)"
[ "$(hits)" -gt "$h0" ] || fail "the second read of the live server was no hit: nothing was cached to test with"

# restore in place: same data directory, port and socket. The server's start is known to the
# second: the restored one starts at least a second after the one before it did.
sleep 1.1
stop
rm -rf -- "$dir/data"
cp -a "$dir/backup" "$dir/data"
start
assert_eq "the restored server's @@server_uid" "$uid_before" "$(uid)"

assert_eq "the restored server's row (a new process)" "before backup" "$(read_v)"
assert_eq "the restored server's row, again" "before backup" "$(read_v)"
h0=$(hits)
assert_eq "the restored server's row, a third process" "before backup" "$(read_v)"
[ "$(hits)" -gt "$h0" ] || fail "processes of the restored server share no entry"
assert_eq "the write on the restored server" "OK" "$(through "UPDATE kv SET v = 'after restore' WHERE k = 1")"
assert_eq "the row written on the restored server" "after restore" "$(read_v)"
assert_eq "the row written on the restored server, again" "after restore" "$(read_v)"
echo "ok: a MariaDB data directory restored in place is not answered from what was cached before"

#!/bin/bash
# t_pg_restore - a PostgreSQL cluster restored in place is another server (attack round 5,
# pg-3).
#
# Starts its own small PostgreSQL, takes a base backup, then through the library writes a
# row and caches the read of it (the second read is a hit). The server is stopped, the backup
# put in its data directory, and it is started again on the same port and socket: the same
# system_identifier and database oids, as after a restore, a PITR, pg_rewind or a standby
# promoted behind the same address. A new process must read the restored row, not the one
# cached before. Then, on the restored server, two processes still share entries and a
# write of one still invalidates the other's (they read the same start).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"

unset CAP_TEST_USE_PG
. "$CAP_ROOT/tests/fixture.sh"
backup=""
cleanup() {
	[ -n "$backup" ] && rm -rf -- "$backup"
	cap_fixture_stop
	_cap_cleanup
}
cap_fixture_start_pg 2>"$CAP_TEST_LOG/fixture.log" || { cat "$CAP_TEST_LOG/fixture.log"; fail "PostgreSQL did not start"; }
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"
data=$CAP_PG_HOST/data

direct() { env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 "$@"; }
cap() { LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -tA -v ON_ERROR_STOP=1 "$@"; }
hits() { "$CAP_TOOL" stats --json | python3 -c "import json,sys; print(json.load(sys.stdin)['hits'])"; }
read_v() { cap -c "SELECT v FROM kv WHERE k = 1"; }

direct -c "CREATE TABLE kv(k int PRIMARY KEY, v text); INSERT INTO kv VALUES (1, 'before backup')" >/dev/null
backup=$(mktemp -d /tmp/capacitor-pgbackup.XXXXXX)
chmod 0755 "$backup"
[ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$backup"
_cap_fx_pg_as "$CAP_PG_BIN/pg_basebackup" -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U postgres \
	-D "$backup/data" -X stream -c fast >"$CAP_TEST_LOG/basebackup.log" 2>&1 ||
	{ cat "$CAP_TEST_LOG/basebackup.log"; fail "pg_basebackup failed"; }
sys_before=$(direct -c "SELECT system_identifier FROM pg_control_system()")

cap -c "UPDATE kv SET v = 'after backup' WHERE k = 1" >/dev/null
assert_eq "the live server's row" "after backup" "$(read_v)"
h0=$(hits)
assert_eq "the live server's row, again" "after backup" "$(read_v)"
[ "$(hits)" -gt "$h0" ] || fail "the second read of the live server was no hit: nothing was cached to test with"

# restore in place: same data directory, port and socket
_cap_fx_pg_as "$CAP_PG_BIN/pg_ctl" -D "$data" -m fast -w stop >"$CAP_TEST_LOG/stop.log" 2>&1 ||
	{ cat "$CAP_TEST_LOG/stop.log"; fail "the server did not stop"; }
_cap_fx_pg_as rm -rf -- "$data"
_cap_fx_pg_as cp -a "$backup/data" "$data"
_cap_fx_pg_as "$CAP_PG_BIN/pg_ctl" -D "$data" -l "$CAP_PG_HOST/postgres.log" -w -t 60 \
	-o "-p $CAP_PG_PORT" start >"$CAP_TEST_LOG/start.log" 2>&1 ||
	{ cat "$CAP_TEST_LOG/start.log"; fail "the restored server did not start"; }
assert_eq "the restored server's system_identifier" "$sys_before" \
	"$(direct -c "SELECT system_identifier FROM pg_control_system()")"

assert_eq "the restored server's row (a new process)" "before backup" "$(read_v)"
assert_eq "the restored server's row, again" "before backup" "$(read_v)"

# the restored server's processes agree on its identity: they share entries, and a write of
# one invalidates what the others cached
h0=$(hits)
assert_eq "the restored server's row, a third process" "before backup" "$(read_v)"
[ "$(hits)" -gt "$h0" ] || fail "processes of the restored server share no entry"
cap -c "UPDATE kv SET v = 'after restore' WHERE k = 1" >/dev/null
assert_eq "the row written on the restored server" "after restore" "$(read_v)"
assert_eq "the row written on the restored server, again" "after restore" "$(read_v)"
echo "ok: a cluster restored in place is not answered from what was cached before"

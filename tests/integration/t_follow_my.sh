#!/bin/bash
# t_follow_my - `capacitor follow` on MariaDB: writes made WITHOUT Capacitor (the mariadb
# command-line client, a C client without the preload) are seen by cached readers within a
# bound once a follower reads the binlog.
#
# Starts its own MariaDB (tests/fixture.sh with CAP_FIXTURE_MY_BINLOG=1: log_bin, ROW), then:
#   - control: with no follower, a cached reader keeps serving stale rows;
#   - my_follow: N outside writes against a cached reader: every read sees every write that
#     returned before the heartbeat's live time (the follower's contract), and every read that
#     starts more than 200 ms after a write's COMMIT returned sees it unless the heartbeat
#     said the follower was behind (load); staleness p50/p99/max printed;
#   - readers under the library (my_follow query), outside writes with the mariadb CLI:
#     TRUNCATE, RENAME TABLE (swap), ADD COLUMN, DROP and re-create, a partitioned table, a
#     table written only by a trigger, a cascading foreign key (InnoDB does not binlog the
#     child rows), a multi-table transaction, a second database;
#   - SIGKILL: heartbeat stale; a restarted follower invalidates what was written meanwhile;
#   - a server restart: the follower reconnects; --daemon over TCP; --check.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"
MYF=$CAP_BUILD/clients/my_follow
[ -x "$MYF" ] || fail "$MYF not built (make clients)"
N=${CAP_FOLLOW_N:-3000}
BOUND_MS=${CAP_FOLLOW_BOUND_MS:-200}

unset CAP_TEST_USE_MY
. "$CAP_ROOT/tests/fixture.sh"
export CAP_FIXTURE_MY_BINLOG=1
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	cap_fixture_stop
	_cap_cleanup
}
cap_fixture_start_mariadb 2>"$CAP_TEST_LOG/fixture.log" || { cat "$CAP_TEST_LOG/fixture.log"; fail "MariaDB with log_bin did not start"; }
trap cleanup EXIT
MYDIR=$_cap_fx_my_dir

URI="mysql://$CAP_MY_USER:$CAP_MY_PASSWORD@localhost/$CAP_MY_DB?socket=$CAP_MY_SOCKET"
TCPURI="mysql://$CAP_MY_USER:$CAP_MY_PASSWORD@127.0.0.1:$CAP_MY_PORT/$CAP_MY_DB"
out() { mariadb --no-defaults -u"$CAP_MY_USER" -p"$CAP_MY_PASSWORD" -S "$CAP_MY_SOCKET" "$CAP_MY_DB" "$@"; }
root() { mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" "$@"; }
# cached [DB] SQL - one read through Capacitor (a libmysqlclient program), rows tab-separated
cached() {
	local db=$CAP_MY_DB
	[ $# -gt 1 ] && { db=$1; shift; }
	LD_PRELOAD=$CAP_PRELOAD "$MYF" query "$db" "$1"
}
bound() { sleep "$(awk -v b="$BOUND_MS" 'BEGIN { printf "%.3f", b / 1000 }')"; }

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

# --check
"$CAP_TOOL" follow --check "$URI" >"$CAP_TEST_LOG/check.out" || { cat "$CAP_TEST_LOG/check.out"; fail "--check found problems on a prepared server"; }
# the password from ~/.my.cnf's [capacitor-follow] group, not the URI
h=$(cap_tmpdir)
printf '[capacitor-follow]\npassword=%s\n' "$CAP_MY_PASSWORD" >"$h/.my.cnf"
chmod 0600 "$h/.my.cnf"
HOME=$h "$CAP_TOOL" follow --check "mysql://$CAP_MY_USER@localhost/$CAP_MY_DB?socket=$CAP_MY_SOCKET" >"$CAP_TEST_LOG/check-cnf.out" ||
	{ cat "$CAP_TEST_LOG/check-cnf.out"; fail "--check with the password in ~/.my.cnf"; }
root -e "CREATE USER 'fw_norepl'@'localhost' IDENTIFIED BY 'x'"
rc=0
"$CAP_TOOL" follow --check "mysql://fw_norepl:x@localhost/?socket=$CAP_MY_SOCKET" >"$CAP_TEST_LOG/check2.out" || rc=$?
[ "$rc" = 1 ] || fail "--check for a user without REPLICATION SLAVE: exit $rc, expected 1"
grep -q 'GRANT REPLICATION SLAVE' "$CAP_TEST_LOG/check2.out" || fail "--check does not say what to grant"
echo "ok: --check"

# ---------------------------------------------------------------- control: no follower
"$MYF" setup
LD_PRELOAD=$CAP_PRELOAD "$MYF" read "$BOUND_MS" </dev/null >/dev/null # warm the cache
rc=0
env -u LD_PRELOAD "$MYF" write 300 2000 | LD_PRELOAD=$CAP_PRELOAD "$MYF" read "$BOUND_MS" >"$CAP_TEST_LOG/control.out" || rc=$?
cat "$CAP_TEST_LOG/control.out"
grep -q 'violations=[1-9]' "$CAP_TEST_LOG/control.out" ||
	fail "control: without a follower the cached reader saw every outside write (is the read cached?)"
echo "ok: control: without a follower, outside writes are not seen (reads are cached)"

# ---------------------------------------------------------------- the follower
start_follower main "$URI"
"$MYF" setup
LD_PRELOAD=$CAP_PRELOAD "$MYF" read "$BOUND_MS" </dev/null >/dev/null
rc=0
env -u LD_PRELOAD "$MYF" write "$N" 500 |
	CAP_FOLLOW_HEARTBEAT=$CAPACITOR_DIR/follow.main LD_PRELOAD=$CAP_PRELOAD "$MYF" read "$BOUND_MS" >"$CAP_TEST_LOG/follow.out" || rc=$?
cat "$CAP_TEST_LOG/follow.out"
[ "$rc" = 0 ] || fail "my_follow: outside writes not seen within ${BOUND_MS} ms (exit $rc)"
hits=$("$CAP_TOOL" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"])')
[ "$hits" -gt 1000 ] || fail "only $hits cache hits: the reader was not served from the cache"
echo "ok: $N outside writes, every read after ${BOUND_MS} ms fresh ($hits hits)"

# case NAME SETUP READ WRITE EXPECTED - warm READ (cached), WRITE outside, wait, READ again.
case_() {
	local name=$1 setup=$2 read=$3 write=$4 want=$5 got
	out -e "$setup" >/dev/null
	cached "$read" >/dev/null
	cached "$read" >/dev/null
	out -e "$write"
	bound
	got=$(cached "$read" 2>&1) || true
	assert_eq "$name: the read after the outside write" "$want" "$got"
	echo "ok: $name"
}
case_ truncate "DROP TABLE IF EXISTS t1; CREATE TABLE t1 (a INT); INSERT INTO t1 VALUES (1), (2)" \
	"SELECT COUNT(*) FROM t1" "TRUNCATE t1" 0
case_ rename-swap "DROP TABLE IF EXISTS ra, rb, ra_old; CREATE TABLE ra (s TEXT); INSERT INTO ra VALUES ('old');
	CREATE TABLE rb (s TEXT); INSERT INTO rb VALUES ('new')" \
	"SELECT s FROM ra" "RENAME TABLE ra TO ra_old, rb TO ra" new
case_ alter-rename "DROP TABLE IF EXISTS ar, ar2; CREATE TABLE ar (s TEXT); INSERT INTO ar VALUES ('x');
	CREATE TABLE ar2 (s TEXT); INSERT INTO ar2 VALUES ('y')" \
	"SELECT s FROM ar2" "DROP TABLE ar2; ALTER TABLE ar RENAME TO ar2" x
case_ add-column "DROP TABLE IF EXISTS ac; CREATE TABLE ac (a INT); INSERT INTO ac VALUES (1)" \
	"SELECT * FROM ac" "ALTER TABLE ac ADD COLUMN b INT DEFAULT 7" "1	7"
case_ drop-recreate "DROP TABLE IF EXISTS dr; CREATE TABLE dr (a INT); INSERT INTO dr VALUES (1)" \
	"SELECT a FROM dr" "DROP TABLE dr; CREATE TABLE dr (a INT); INSERT INTO dr VALUES (2)" 2
case_ partition "DROP TABLE IF EXISTS pt; CREATE TABLE pt (k INT, v INT) PARTITION BY RANGE (k)
	(PARTITION p0 VALUES LESS THAN (100), PARTITION p1 VALUES LESS THAN (200)); INSERT INTO pt VALUES (1, 1)" \
	"SELECT SUM(v) FROM pt" "INSERT INTO pt VALUES (150, 10)" 11
case_ trigger-only "DROP TABLE IF EXISTS tg_src, tg_log; CREATE TABLE tg_log (n INT); CREATE TABLE tg_src (a INT);
	CREATE TRIGGER tg AFTER INSERT ON tg_src FOR EACH ROW INSERT INTO tg_log VALUES (NEW.a)" \
	"SELECT COUNT(*) FROM tg_log" "INSERT INTO tg_src VALUES (1), (2), (3)" 3
case_ cascade "DROP TABLE IF EXISTS fk_gc, fk_c, fk_p; CREATE TABLE fk_p (id INT PRIMARY KEY) ENGINE=InnoDB;
	CREATE TABLE fk_c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES fk_p (id) ON DELETE CASCADE) ENGINE=InnoDB;
	CREATE TABLE fk_gc (cid INT, FOREIGN KEY (cid) REFERENCES fk_c (id) ON DELETE SET NULL) ENGINE=InnoDB;
	INSERT INTO fk_p VALUES (1), (2); INSERT INTO fk_c VALUES (10, 1), (11, 1), (12, 2); INSERT INTO fk_gc VALUES (10), (12)" \
	"SELECT COUNT(*), COUNT(cid) FROM fk_gc" "DELETE FROM fk_p WHERE id = 1" "2	1"
case_ cascade-child "SELECT 1" "SELECT COUNT(*) FROM fk_c" "DELETE FROM fk_p WHERE id = 2" 0
case_ multi-table-txn "DROP TABLE IF EXISTS m1, m2; CREATE TABLE m1 (a INT); CREATE TABLE m2 (a INT);
	INSERT INTO m1 VALUES (1); INSERT INTO m2 VALUES (1)" "SELECT (SELECT SUM(a) FROM m1) + (SELECT SUM(a) FROM m2)" \
	"BEGIN; UPDATE m1 SET a = 10; UPDATE m2 SET a = 20; COMMIT" 30
case_ big-transaction "DROP TABLE IF EXISTS bt; CREATE TABLE bt (a INT) ENGINE=InnoDB" "SELECT COUNT(*) FROM bt" \
	"INSERT INTO bt SELECT seq FROM seq_1_to_100000" 100000

# A second database: the binlog covers the whole server, one follower serves both.
root -e "CREATE DATABASE capacitor2; GRANT ALL ON capacitor2.* TO 'cap'@'localhost'"
out -e "CREATE TABLE capacitor2.d2 (a INT); INSERT INTO capacitor2.d2 VALUES (1)"
cached capacitor2 "SELECT SUM(a) FROM d2" >/dev/null
cached capacitor2 "SELECT SUM(a) FROM d2" >/dev/null
out -e "INSERT INTO capacitor2.d2 VALUES (41)"
bound
assert_eq "second database" 42 "$(cached capacitor2 "SELECT SUM(a) FROM d2")"
echo "ok: second database"

# ---------------------------------------------------------------- a stalled server
# The server stops answering (as with a cut network): the heartbeat goes stale within its
# bound; when it answers again, the follower is live again and invalidating.
mpid=$(cat "$MYDIR/mysqld.pid")
kill -STOP "$mpid"
sleep 0.8
rc=0
"$CAP_TOOL" follow --status --name main --max-age 500 >/dev/null || rc=$?
kill -CONT "$mpid"
[ "$rc" = 1 ] || fail "--status says a follower of a stopped server is live"
for ((i = 0; i < 150; i++)); do
	"$CAP_TOOL" follow --status --name main >/dev/null 2>&1 && break
	sleep 0.1
done
"$CAP_TOOL" follow --status --name main >/dev/null || fail "the follower is not live again after the server resumed"
cached capacitor2 "SELECT COUNT(*) FROM d2" >/dev/null
out -e "INSERT INTO capacitor2.d2 VALUES (0)"
bound
assert_eq "after a stalled server" 3 "$(cached capacitor2 "SELECT COUNT(*) FROM d2")"
echo "ok: a stalled server: heartbeat stale at once, live again after"

# ---------------------------------------------------------------- SIGKILL and restart
kill -KILL "$fpid_main"
wait "$fpid_main" 2>/dev/null || true
sleep 0.6
rc=0
"$CAP_TOOL" follow --status --name main --max-age 500 >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "--status says a SIGKILLed follower is live"
cached capacitor2 "SELECT SUM(a) FROM d2" >/dev/null
out -e "INSERT INTO capacitor2.d2 VALUES (100)"
start_follower main "$URI"
assert_eq "write made while no follower ran" 142 "$(cached capacitor2 "SELECT SUM(a) FROM d2")"
echo "ok: SIGKILL: heartbeat stale; the restarted follower invalidates what was written meanwhile"

# ---------------------------------------------------------------- server restart
pid=$(cat "$MYDIR/mysqld.pid")
mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
args=$(tr '\0' '\n' <"/proc/$pid/cmdline" | tail -n +2 | tr '\n' '\0' | base64 -w0)
kill -TERM "$pid"
for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
# the same command line again
mapfile -d '' argv < <(echo "$args" | base64 -d)
setsid "$mariadbd" "${argv[@]}" </dev/null >>"$MYDIR/mariadbd.out" 2>&1 &
for ((i = 0; i < 300; i++)); do
	mariadb-admin --no-defaults -uroot -S "$CAP_MY_SOCKET" ping >/dev/null 2>&1 && break
	sleep 0.1
done
for ((i = 0; i < 200; i++)); do
	"$CAP_TOOL" follow --status --name main >"$CAP_TEST_LOG/status.out" 2>&1 &&
		grep -q '[1-9][0-9]* reconnects' "$CAP_TEST_LOG/status.out" && break
	sleep 0.1
done
grep -q '[1-9][0-9]* reconnects' "$CAP_TEST_LOG/status.out" || { cat "$CAP_TEST_LOG/status.out"; fail "no reconnect after a server restart"; }
cached capacitor2 "SELECT SUM(a) FROM d2" >/dev/null
out -e "INSERT INTO capacitor2.d2 VALUES (1000)"
bound
assert_eq "after a server restart" 1142 "$(cached capacitor2 "SELECT SUM(a) FROM d2")"
kill -TERM "$fpid_main"
wait "$fpid_main" || fail "follower: exit $? on SIGTERM"
echo "ok: reconnect after a server restart; SIGTERM"

# ---------------------------------------------------------------- --daemon over TCP
"$CAP_TOOL" follow --daemon --name dmn "$TCPURI" || fail "--daemon: exit $?"
for ((i = 0; i < 100; i++)); do
	"$CAP_TOOL" follow --status --name dmn >/dev/null 2>&1 && break
	sleep 0.1
done
"$CAP_TOOL" follow --status --name dmn >/dev/null || fail "the daemon is not live"
dpid=$(cat "$CAPACITOR_DIR/follow.dmn.pid")
pids+=("$dpid")
o=$("$CAP_TOOL" follow --daemon --name dmn "$TCPURI" 2>&1) || fail "a second --daemon: exit $?"
[ -z "$o" ] || fail "a second --daemon is not quiet: $o"
grep -aq "$CAP_MY_USER:$CAP_MY_PASSWORD@" "$CAPACITOR_DIR/follow.dmn" && fail "the heartbeat holds the password"
"$CAP_TOOL" stats --json | python3 -c '
import json, sys
f = [x for x in json.load(sys.stdin)["followers"] if x["name"] == "dmn"]
assert f and f[0]["live"] and f[0]["kind"] == "mariadb", f' || fail "capacitor stats --json does not show the follower"
kill -TERM "$dpid"
for ((i = 0; i < 100; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$dpid" 2>/dev/null && fail "the daemon did not stop on SIGTERM"
echo "ok: --daemon"
echo "PASS"

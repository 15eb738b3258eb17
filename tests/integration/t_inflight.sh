#!/bin/bash
# t_inflight - a write whose process dies after the server committed it, before the process
# could bump the generations (issue 14), must not leave any process a stale cached result.
#
# Process A caches a row; process B (also preloaded) sends a write that the server commits
# only seconds later and is SIGKILLed while the server still runs it, so B never sees the
# answer and never bumps after it. Deterministic with real servers:
#   PostgreSQL, autocommit: "UPDATE ...; SELECT pg_sleep(3)" is one implicit transaction that
#     commits after the sleep; B is killed during the sleep.
#   PostgreSQL, transaction: BEGIN; UPDATE; COMMIT, where a deferred constraint trigger sleeps
#     at COMMIT; B is killed during it. A reads between B's UPDATE and COMMIT (a fill that the
#     end-of-transaction bump B never makes would have covered).
#   MariaDB, autocommit: "UPDATE ... WHERE id = 1 AND SLEEP(3) = 0" commits after the sleep.
#   MariaDB, transaction: BEGIN; UPDATE; COMMIT, where another session holds FLUSH TABLES WITH
#     READ LOCK, so the COMMIT waits; B is killed while it waits; the lock is let go later.
# While the server still runs B's write, A reads the old value (right at that moment), and
# must not keep it; once the server committed, A and a new process C read the new value. The
# dead writer's marker is resolved (its session gone), after which A hits again. Also: a
# writer stopped with SIGSTOP (alive: readers neither wait nor keep), and one that closes its
# connection with the write unanswered and lives on (the server still commits it), and a
# write sent in libpq pipeline mode that waits on a row lock held by a session outside
# Capacitor while its writer is killed (the server commits it once the lock goes), and a
# pipelined read of a view whose function writes, killed the same way.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PQ="$CAP_BUILD/clients/pq_lines"
MY="$CAP_BUILD/clients/my_lines"
[ -x "$PQ" ] && [ -x "$MY" ] || fail "clients not built (make clients)"

d=$(cap_tmpdir)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	if [ -n "${CAP_TEST_LOG:-}" ]; then
		cp "$d"/*.out "$d"/*.err "$CAP_TEST_LOG/" 2>/dev/null || true
		cp "$CAPACITOR_DIR/log" "$CAP_TEST_LOG/capacitor.log" 2>/dev/null || true
	fi
	_cap_cleanup
}
trap cleanup EXIT
PRE=$(cap_preload)
export CAPACITOR_LOG_LEVEL=info # the resolution of a dead writer's marker is logged
failures=0

# start NAME PROGRAM - PROGRAM (preloaded) reads lines from the FIFO d/NAME.in, writes d/NAME.out
start() {
	rm -f "$d/$1.in"
	mkfifo "$d/$1.in"
	: >"$d/$1.out"
	env LD_PRELOAD="$PRE" "$2" <"$d/$1.in" >"$d/$1.out" 2>"$d/$1.err" &
	local pid=$!
	pids+=("$pid")
	local fd
	exec {fd}>"$d/$1.in"
	eval "pid_$1=$pid fd_$1=$fd"
}
stop() {
	local fdv="fd_$1" pidv="pid_$1"
	eval "exec ${!fdv}>&-"
	kill "${!pidv}" 2>/dev/null || true # later children share the FIFO's write end: no end of input
	wait "${!pidv}" 2>/dev/null || true
}
send() {
	local fdv="fd_$1"
	printf '%s\n' "$2" >&"${!fdv}"
}
# ask NAME SQL - the output line for SQL (TIMEOUT after 10 s)
ask() {
	local n
	n=$(wc -l <"$d/$1.out")
	send "$1" "$2"
	for _ in $(seq 1 200); do
		if [ "$(wc -l <"$d/$1.out")" -gt "$n" ]; then
			sed -n "$((n + 1))p" "$d/$1.out"
			return
		fi
		sleep 0.05
	done
	echo TIMEOUT
}
# until_eq WANT CMD... - wait up to 15 s for CMD's output to be WANT
until_eq() {
	local want=$1
	shift
	for _ in $(seq 1 150); do
		[ "$("$@" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
check() { # check WHAT WANT GOT
	if [ "$2" = "$3" ]; then
		echo "ok   $1: $3"
	else
		echo "FAIL $1: expected $2, got $3"
		failures=$((failures + 1))
	fi
}
killb() {
	kill -9 "$pid_B" || true
	wait "$pid_B" 2>/dev/null || true
	eval "exec $fd_B>&-"
}
# resolved WHAT SQL [READER] - the dead writer's marker is resolved within 10 s of reads (A's,
# or READER's), after which a read hits again: the log says so
resolved() {
	for _ in $(seq 1 100); do
		ask "${3:-A}" "$2" >/dev/null
		if grep -q "was resolved" "$CAPACITOR_DIR/log" 2>/dev/null; then
			echo "ok   $1: the dead writer's marker was resolved"
			return
		fi
		sleep 0.1
	done
	echo "FAIL $1: the dead writer's marker was never resolved"
	tail -5 "$CAPACITOR_DIR/log" 2>/dev/null
	failures=$((failures + 1))
}

pgdirect() { env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -qtA -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
	-U "$CAP_PG_USER" -d "$CAP_PG_DB" -c "$1"; }
mydirect() { cap_my_sql -N -B -e "$1"; }
# root (by the socket's peer credentials, as the fixture sets it up): RELOAD, PROCESS
myroot() { mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" -N -B -e "$1"; }

if [ -n "${CAP_PG_PORT:-}" ]; then
	export PGOPTIONS="-c client_min_messages=warning"
	pgdirect "DROP TABLE IF EXISTS inflight, inflight_tx;
		CREATE TABLE inflight(id int PRIMARY KEY, v int);
		INSERT INTO inflight VALUES (1, 0);
		CREATE TABLE inflight_tx(id int PRIMARY KEY, v int);
		INSERT INTO inflight_tx VALUES (1, 0);
		CREATE OR REPLACE FUNCTION inflight_slow() RETURNS trigger LANGUAGE plpgsql AS
			\$\$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END \$\$;
		CREATE CONSTRAINT TRIGGER inflight_slow AFTER UPDATE ON inflight_tx
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inflight_slow();
		CREATE OR REPLACE FUNCTION inflight_set7() RETURNS int LANGUAGE plpgsql AS
			\$\$ BEGIN UPDATE inflight SET v = 7 WHERE id = 1; RETURN 7; END \$\$;
		CREATE OR REPLACE VIEW inflight_wv AS SELECT inflight_set7() AS x;" ||
		fail "setup"
	Q="SELECT v FROM inflight WHERE id = 1"
	echo "== PostgreSQL, autocommit: UPDATE ...; SELECT pg_sleep(3), writer killed in the sleep"
	start A "$PQ"
	check "pg A reads" 0 "$(ask A "$Q")"
	check "pg A reads again (cached)" 0 "$(ask A "$Q")"
	start B "$PQ"
	send B "UPDATE inflight SET v = 1 WHERE id = 1; SELECT pg_sleep(3)"
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query LIKE 'UPDATE inflight SET%'" || fail "B's write never ran"
	killb
	check "pg A reads while the server still runs the write" 0 "$(ask A "$Q")"
	until_eq 1 pgdirect "$Q" || fail "B's write never committed"
	check "pg A reads after the commit" 1 "$(ask A "$Q")"
	start C "$PQ"
	check "pg C (new process) reads after the commit" 1 "$(ask C "$Q")"
	check "pg C reads again" 1 "$(ask C "$Q")"
	resolved "pg autocommit" "$Q"
	check "pg A reads after the resolution" 1 "$(ask A "$Q")"

	echo "== PostgreSQL: writer stopped (SIGSTOP) with its write committed, answer unread"
	start B "$PQ"
	send B "UPDATE inflight SET v = 2 WHERE id = 1; SELECT pg_sleep(1)"
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query LIKE 'UPDATE inflight SET%'" || fail "B's write never ran"
	kill -STOP "$pid_B"
	until_eq 2 pgdirect "$Q" || fail "B's write never committed"
	# B is alive: its marker stays; readers neither wait for it nor keep what they read
	check "pg A reads while the writer is stopped" 2 "$(ask A "$Q")"
	check "pg A reads again while the writer is stopped" 2 "$(ask A "$Q")"
	check "pg C reads while the writer is stopped" 2 "$(ask C "$Q")"
	kill -CONT "$pid_B"
	until_eq 1 sh -c "wc -l <'$d/B.out'" || fail "B never got its answer after SIGCONT"
	check "pg A reads after the writer went on" 2 "$(ask A "$Q")"
	stop B

	echo "== PostgreSQL: writer closes its connection with the write unanswered, and lives on"
	: >"$CAPACITOR_DIR/log"
	start B "$PQ"
	check "pg B sends and closes" SENT "$(ask B "!UPDATE inflight SET v = 3 WHERE id = 1; SELECT pg_sleep(3)")"
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query LIKE 'UPDATE inflight SET v = 3%'" || fail "B's write never ran"
	check "pg A reads while the server still runs the write" 2 "$(ask A "$Q")"
	until_eq 3 pgdirect "$Q" || fail "B's write never committed"
	check "pg A reads after the commit" 3 "$(ask A "$Q")"
	check "pg A reads again after the commit" 3 "$(ask A "$Q")"
	check "pg C reads after the commit" 3 "$(ask C "$Q")"
	resolved "pg closed connection" "$Q"
	stop B

	echo "== PostgreSQL: write sent in pipeline mode waits on a row lock, writer killed"
	: >"$CAPACITOR_DIR/log"
	# a session outside Capacitor, which writes nothing, holds the row lock for 3 s
	pgdirect "BEGIN; SELECT 1 FROM inflight WHERE id = 1 FOR UPDATE; SELECT pg_sleep(3); COMMIT" \
		>/dev/null &
	lockpid=$!
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query LIKE 'BEGIN; SELECT 1 FROM inflight%'" || fail "the lock was never taken"
	start B "$PQ"
	send B "|UPDATE inflight SET v = 4 WHERE id = 1"
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query LIKE 'UPDATE inflight SET v = 4%'" || fail "B's write never waited on the lock"
	check "pg A reads while the pipelined write waits" 3 "$(ask A "$Q")"
	check "pg A reads again while the pipelined write waits" 3 "$(ask A "$Q")"
	killb
	check "pg A reads after the writer died" 3 "$(ask A "$Q")"
	wait "$lockpid" || true
	until_eq 4 pgdirect "$Q" || fail "B's write never committed"
	check "pg A reads after the commit" 4 "$(ask A "$Q")"
	check "pg A reads again after the commit" 4 "$(ask A "$Q")"
	check "pg C reads after the commit" 4 "$(ask C "$Q")"
	resolved "pg pipeline" "$Q"

	echo "== PostgreSQL: a pipelined write that ends clears its marker"
	start B "$PQ"
	check "pg B pipelined write" OK "$(ask B "|UPDATE inflight SET v = 5 WHERE id = 1")"
	check "pg A reads after the pipelined write" 5 "$(ask A "$Q")"
	check "pg A reads again" 5 "$(ask A "$Q")"
	# a write outside Capacitor (never seen) tells a cached row from one read each time: a
	# marker left behind would keep A from storing anything
	pgdirect "UPDATE inflight SET v = 6 WHERE id = 1" >/dev/null
	check "pg A hits (no marker left)" 5 "$(ask A "$Q")"
	check "pg B writes back" OK "$(ask B "UPDATE inflight SET v = 5 WHERE id = 1")"
	stop B

	echo "== PostgreSQL: pipelined read of a view that calls what writes, writer killed"
	: >"$CAPACITOR_DIR/log"
	check "pg A reads" 5 "$(ask A "$Q")"
	pgdirect "BEGIN; SELECT 1 FROM inflight WHERE id = 1 FOR UPDATE; SELECT pg_sleep(3); COMMIT" \
		>/dev/null &
	lockpid=$!
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query LIKE 'BEGIN; SELECT 1 FROM inflight%'" || fail "the lock was never taken"
	start B "$PQ"
	send B "|SELECT x FROM inflight_wv"
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query LIKE 'SELECT x FROM inflight_wv%'" || fail "B's read never waited on the lock"
	check "pg A reads while the view's write waits" 5 "$(ask A "$Q")"
	check "pg A reads again while the view's write waits" 5 "$(ask A "$Q")"
	killb
	wait "$lockpid" || true
	until_eq 7 pgdirect "$Q" || fail "B's view never wrote"
	check "pg A reads after the commit" 7 "$(ask A "$Q")"
	check "pg C reads after the commit" 7 "$(ask C "$Q")"
	resolved "pg pipelined view" "$Q"
	stop A
	stop C
	: >"$CAPACITOR_DIR/log"

	Q="SELECT v FROM inflight_tx WHERE id = 1"
	echo "== PostgreSQL, transaction: writer killed after sending COMMIT (slow deferred trigger)"
	start A "$PQ"
	check "pg-tx A reads" 0 "$(ask A "$Q")"
	check "pg-tx A reads again (cached)" 0 "$(ask A "$Q")"
	start B "$PQ"
	check "pg-tx B BEGIN" OK "$(ask B "BEGIN")"
	check "pg-tx B UPDATE" OK "$(ask B "UPDATE inflight_tx SET v = 1 WHERE id = 1")"
	check "pg-tx A reads during B's transaction" 0 "$(ask A "$Q")"
	check "pg-tx A reads again during B's transaction" 0 "$(ask A "$Q")"
	send B "COMMIT"
	until_eq 1 pgdirect "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query = 'COMMIT'" || fail "B's COMMIT never ran"
	killb
	check "pg-tx A reads while the server still commits" 0 "$(ask A "$Q")"
	until_eq 1 pgdirect "$Q" || fail "B's transaction never committed"
	check "pg-tx A reads after the commit" 1 "$(ask A "$Q")"
	start C "$PQ"
	check "pg-tx C (new process) reads after the commit" 1 "$(ask C "$Q")"
	resolved "pg transaction" "$Q"
	stop A
	stop C
	: >"$CAPACITOR_DIR/log"
fi

if [ -n "${CAP_MY_SOCKET:-}" ]; then
	mydirect "DROP TABLE IF EXISTS inflight, inflight_tx;
		CREATE TABLE inflight(id int PRIMARY KEY, v int) ENGINE=InnoDB;
		INSERT INTO inflight VALUES (1, 0);
		CREATE TABLE inflight_tx(id int PRIMARY KEY, v int) ENGINE=InnoDB;
		INSERT INTO inflight_tx VALUES (1, 0);" || fail "setup"
	Q="SELECT v FROM inflight WHERE id = 1"
	echo "== MariaDB, autocommit: UPDATE ... AND SLEEP(3) = 0, writer killed in the sleep"
	start A "$MY"
	check "my A reads" 0 "$(ask A "$Q")"
	check "my A reads again (cached)" 0 "$(ask A "$Q")"
	start B "$MY"
	send B "UPDATE inflight SET v = 1 WHERE id = 1 AND SLEEP(3) = 0"
	until_eq 1 mydirect "SELECT COUNT(*) FROM information_schema.PROCESSLIST
		WHERE INFO LIKE 'UPDATE inflight SET%'" || fail "B's write never ran"
	killb
	check "my A reads while the server still runs the write" 0 "$(ask A "$Q")"
	until_eq 1 mydirect "$Q" || fail "B's write never committed"
	check "my A reads after the commit" 1 "$(ask A "$Q")"
	start C "$MY"
	check "my C (new process) reads after the commit" 1 "$(ask C "$Q")"
	check "my C reads again" 1 "$(ask C "$Q")"
	resolved "my autocommit" "$Q"

	echo "== MariaDB: writer closes its connection with the write unanswered, and lives on"
	: >"$CAPACITOR_DIR/log"
	start B "$MY"
	check "my B sends and closes" SENT "$(ask B "!UPDATE inflight SET v = 2 WHERE id = 1 AND SLEEP(3) = 0")"
	until_eq 1 mydirect "SELECT COUNT(*) FROM information_schema.PROCESSLIST
		WHERE INFO LIKE 'UPDATE inflight SET v = 2%'" || fail "B's write never ran"
	check "my A reads while the server still runs the write" 1 "$(ask A "$Q")"
	until_eq 2 mydirect "$Q" || fail "B's write never committed"
	check "my A reads after the commit" 2 "$(ask A "$Q")"
	check "my A reads again after the commit" 2 "$(ask A "$Q")"
	check "my C reads after the commit" 2 "$(ask C "$Q")"
	resolved "my closed connection" "$Q"
	stop B
	stop A
	stop C
	: >"$CAPACITOR_DIR/log"

	Q="SELECT v FROM inflight_tx WHERE id = 1"
	echo "== MariaDB, transaction: COMMIT done on the server, its answer held, writer killed"
	# B talks to the server through a TCP relay that, while d/hold exists, keeps what the
	# server sends: the COMMIT is applied and B never hears of it
	cat >"$d/relay.py" <<'PY'
import os, socket, sys, threading, time
hold, portfile, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
def pump(src, dst, held):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            while held and os.path.exists(hold):
                time.sleep(0.02)
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = ls.accept()
    s = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pump, args=(c, s, False), daemon=True).start()
    threading.Thread(target=pump, args=(s, c, True), daemon=True).start()
PY
	python3 "$d/relay.py" "$d/hold" "$d/relay.port" "$CAP_MY_PORT" &
	pids+=("$!")
	disown "$!" # killed at the end without a job-control line
	until_eq yes sh -c "[ -s '$d/relay.port' ] && echo yes" || fail "relay did not start"
	relay=$(cat "$d/relay.port")
	start A "$MY"
	check "my-tx A reads" 0 "$(ask A "$Q")"
	check "my-tx A reads again (cached)" 0 "$(ask A "$Q")"
	MY_LINES_PORT=$relay start B "$MY"
	check "my-tx B BEGIN" OK "$(ask B "BEGIN")"
	check "my-tx B UPDATE" OK "$(ask B "UPDATE inflight_tx SET v = 1 WHERE id = 1")"
	check "my-tx A reads during B's transaction" 0 "$(ask A "$Q")"
	check "my-tx A reads again during B's transaction" 0 "$(ask A "$Q")"
	touch "$d/hold"
	send B "COMMIT"
	until_eq 1 mydirect "$Q" || fail "B's COMMIT never committed"
	killb
	rm -f "$d/hold"
	check "my-tx A reads after the commit" 1 "$(ask A "$Q")"
	start C "$MY"
	check "my-tx C (new process) reads after the commit" 1 "$(ask C "$Q")"
	# the marker names B's connection (through the relay): a reader connected the same way
	# asks the server about it
	MY_LINES_PORT=$relay start D "$MY"
	resolved "my transaction" "$Q" D
	stop D
	stop A
	stop C
fi

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "all checks passed"

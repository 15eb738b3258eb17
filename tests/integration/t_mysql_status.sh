#!/bin/bash
# t_mysql_status.sh - after a hit, the connection's server_status and session tracking
# information read as after the server's own answer (tests/clients/my_session "st"/"pst"):
# the flags the server sets about one statement only (SERVER_SESSION_STATE_CHANGED after a
# SET, USE or SET NAMES; the index flags) are the hit's statement's, not the statement's
# before it, and mysql_session_track_get_first gives what it gives without Capacitor. With
# session_track_transaction_info on, the server flags a SELECT in a transaction "state
# changed" by a state only it knows: such sessions are not served hits.
. "$(dirname "$0")/lib.sh"
cap_need_my
client=$CAP_BUILD/clients/my_session
[ -x "$client" ] || fail "$client not built (make clients)"

cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_st, t_st_mi;
CREATE TABLE t_st (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t_st VALUES (1, 2), (2, 3);
CREATE TABLE t_st_mi (a INT) ENGINE=MyISAM;
INSERT INTO t_st_mi VALUES (1);
SQL

hits() { "$CAP_TOOL" stats --json 2>/dev/null | sed -n 's/.*"hits":\([0-9]*\).*/\1/p'; }

# check LABEL [VAR=VALUE...] <SCRIPT - the script prints the same with Capacitor as without
# (each SELECT runs twice or more: the later ones are hits in the Capacitor run).
check() {
	local label=$1 script want got
	shift
	script=$(cat)
	want=$(printf '%s\n' "$script" | env "$@" "$client" 2>&1) || true
	got=$(printf '%s\n' "$script" | env LD_PRELOAD="$(cap_preload)" "$@" timeout -k 5 60 "$client" 2>&1) || true
	assert_eq "$label" "$want" "$got"
	echo "ok: $label"
}

check "server_status and session tracking after hits, default tracking" <<'EOF'
st SELECT v FROM t_st WHERE id = 1
st SELECT v FROM t_st WHERE id = 1
st SET autocommit = 1
st SELECT v FROM t_st WHERE id = 1
st SELECT v FROM t_st
st USE capacitor
st SELECT v FROM t_st WHERE id = 1
st SET NAMES utf8mb4
st SELECT v FROM t_st WHERE id = 1
st SET time_zone = '+01:00'
st SELECT v FROM t_st WHERE id = 1
st SELECT v FROM t_st
st SET autocommit = 0
st SELECT v FROM t_st WHERE id = 1
st COMMIT
st SET autocommit = 1
pst SELECT v FROM t_st WHERE id = 2
pst SELECT v FROM t_st WHERE id = 2
st SET autocommit = 1
pst SELECT v FROM t_st WHERE id = 2
EOF
h=$(hits)
echo "hits: ${h:-none}"
[ "${h:-0}" -ge 5 ] || fail "expected hits in the default-tracking run, got ${h:-none}"

# a statement prepared after a session change, in a session the program used already: the
# read-back waits for its first execution (a prepare keeps the diagnostics), and it is cached
h0=$(hits)
check "prepared after a session change" <<'EOF'
q SELECT SQL_CALC_FOUND_ROWS v FROM t_st ORDER BY id LIMIT 1
q SET @z = 1
prep SELECT v FROM t_st WHERE id = 2
q SELECT FOUND_ROWS()
exec
exec
exec
EOF
h1=$(hits)
[ $((${h1:-0} - ${h0:-0})) -ge 2 ] || fail "a statement prepared after a session change: $((${h1:-0} - ${h0:-0})) hits"

check "server_status after hits, every system variable and state change tracked" <<'EOF'
st SET session_track_state_change = ON
st SET session_track_system_variables = '*'
st SELECT v FROM t_st WHERE id = 1
st SELECT v FROM t_st WHERE id = 1
st SET @x = 1
st SELECT v FROM t_st WHERE id = 1
st SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED
st SELECT v FROM t_st WHERE id = 1
st BEGIN
st SELECT v FROM t_st WHERE id = 1
st SELECT v FROM t_st WHERE id = 1
st SAVEPOINT a
st SELECT v FROM t_st WHERE id = 1
st COMMIT
st SELECT v FROM t_st WHERE id = 1
EOF

for mode in STATE CHARACTERISTICS; do
	h0=$(hits)
	check "server_status after reads, session_track_transaction_info = $mode" <<EOF
st SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED
st SET session_track_transaction_info = $mode
st SELECT v FROM t_st WHERE id = 1
st SELECT v FROM t_st WHERE id = 1
st BEGIN
st SELECT v FROM t_st WHERE id = 1
st SAVEPOINT a
st SELECT v FROM t_st WHERE id = 1
st SELECT a FROM t_st_mi
st COMMIT
st SET autocommit = 0
st SELECT v FROM t_st WHERE id = 1
st SELECT v FROM t_st WHERE id = 1
st COMMIT
st SET autocommit = 1
st SELECT v FROM t_st WHERE id = 1
pst SELECT v FROM t_st WHERE id = 2
pst SELECT v FROM t_st WHERE id = 2
st SET session_track_transaction_info = OFF
st SELECT v FROM t_st WHERE id = 1
EOF
	# only the last SELECT, with the tracking off again, may hit
	[ $(($(hits) - h0)) -le 1 ] ||
		fail "reads were served from the cache with session_track_transaction_info = $mode"
	# a statement whose effect on the session needs reading back, inside a transaction (and
	# the tracking switched on inside one): no read-back of Capacitor's runs there, where it
	# would change the transaction state the server reports to the program's next statement
	check "transaction state after SETs in a transaction, session_track_transaction_info = $mode" <<EOF
st SET session_track_transaction_info = $mode
st SELECT v FROM t_st WHERE id = 1
st BEGIN
st SET @x = 1
st SELECT v FROM t_st WHERE id = 1
st SELECT a FROM t_st_mi
st SET NAMES latin1
st SELECT v FROM t_st WHERE id = 1
st COMMIT
st SET session_track_transaction_info = OFF
st SELECT v FROM t_st WHERE id = 1
st BEGIN
st SET session_track_transaction_info = $mode
st SELECT a FROM t_st_mi
st SELECT v FROM t_st WHERE id = 1
st COMMIT
st SET autocommit = 0
st SET @y = 2
st SELECT v FROM t_st WHERE id = 1
st COMMIT
EOF
done

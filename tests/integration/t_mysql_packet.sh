#!/bin/bash
# t_mysql_packet.sh - a hit respects the client's packet limit (MYSQL_OPT_MAX_ALLOWED_PACKET,
# or max_allowed_packet in an option file's [client] group): where the program's connection
# cannot take the server's row ("Lost connection to server during query", then "Server has
# gone away"), a row another process cached is not handed over either, and rows it can take
# still are. A limit too small for Capacitor's own read-back of the session leaves the session
# uncached, never broken. Text protocol, prepared statements, compressed connections.
. "$(dirname "$0")/lib.sh"
cap_need_my
client=$CAP_BUILD/clients/my_session
[ -x "$client" ] || fail "$client not built (make clients)"

cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_pk;
CREATE TABLE t_pk (id INT PRIMARY KEY, name VARCHAR(16)) ENGINE=InnoDB;
INSERT INTO t_pk VALUES (1, 'abcdef'), (2, 'x');
SQL

hits() { "$CAP_TOOL" stats --json 2>/dev/null | sed -n 's/.*"hits":\([0-9]*\).*/\1/p'; }

small="SELECT id, name FROM t_pk ORDER BY id"
mid="SELECT REPEAT(name, 1000) FROM t_pk WHERE id = 2"    # a 1,000-byte row
big="SELECT REPEAT(name, 2000) FROM t_pk WHERE id = 1"    # 12,000 bytes
near="SELECT REPEAT(name, 16400) FROM t_pk WHERE id = 1"  # 98,400 bytes
over="SELECT REPEAT(name, 20000) FROM t_pk WHERE id = 1"  # 120,000 bytes

# a process with the default limit caches every result
for s in "$small" "$mid" "$big" "$near" "$over"; do printf 'q %s\np %s\n' "$s" "$s"; done |
	LD_PRELOAD="$(cap_preload)" "$client" >/dev/null 2>&1 || fail "filling the cache"

cnf=$(cap_tmpdir)/my.cnf
printf '[client]\nmax_allowed_packet=1024\n' >"$cnf"

# check LABEL [VAR=VALUE...] <SCRIPT - the same output with Capacitor as without, where the
# library refuses a row (unless refuse=0).
refuse=1
check() {
	local label=$1 script want got
	shift
	script=$(cat)
	want=$(printf '%s\n' "$script" | env "$@" "$client" 2>&1) || true
	got=$(printf '%s\n' "$script" | env LD_PRELOAD="$(cap_preload)" "$@" timeout -k 5 60 "$client" 2>&1) || true
	assert_eq "$label" "$want" "$got"
	[ "$refuse" = 0 ] || grep -q 'Lost connection' <<<"$want" ||
		fail "$label: the library did not refuse a row"
	echo "ok: $label"
}

# a 100,000-byte limit: the 12,000-byte row is served (the library would grow its 8 KB
# buffer for it); the 98,400-byte one is too close to the limit to be served
# (hooks/mysql_codec.h) and is read; the 120,000-byte one is refused
h0=$(hits)
check "text protocol, MYSQL_OPT_MAX_ALLOWED_PACKET 100000" MY_SESS_MAXPACKET=100000 <<EOF
q $small
q $big
q $near
q $small
q $over
q $small
EOF
check "prepared statements, MYSQL_OPT_MAX_ALLOWED_PACKET 100000" MY_SESS_MAXPACKET=100000 <<EOF
p $small
p $big
p $over
p $small
EOF
refuse=0
check "compressed connection, MYSQL_OPT_MAX_ALLOWED_PACKET 2000000" MY_SESS_COMPRESS=1 MY_SESS_MAXPACKET=2000000 <<EOF
q $small
q $big
p $big
q $over
EOF
refuse=1
h1=$(hits)
echo "hits: $((h1 - h0))"
[ $((h1 - h0)) -ge 7 ] || fail "rows within the limit were not served from the cache"

# limits under Capacitor's read-back of the session: not cached, connection intact
check "text protocol, MYSQL_OPT_MAX_ALLOWED_PACKET 1024" MY_SESS_MAXPACKET=1024 <<EOF
q $small
q $mid
q $big
q $small
EOF
check "prepared statements, MYSQL_OPT_MAX_ALLOWED_PACKET 1024" MY_SESS_MAXPACKET=1024 <<EOF
p $small
p $mid
p $big
p $small
EOF
check "text protocol, max_allowed_packet in the option file" MY_SESS_CNF="$cnf" <<EOF
q $small
q $big
EOF
check "compressed connection, MYSQL_OPT_MAX_ALLOWED_PACKET 1024" MY_SESS_COMPRESS=1 MY_SESS_MAXPACKET=1024 <<EOF
q $small
q $big
EOF
check "compressed connection, MYSQL_OPT_MAX_ALLOWED_PACKET 100000" MY_SESS_COMPRESS=1 MY_SESS_MAXPACKET=100000 <<EOF
q $small
q $big
q $over
EOF

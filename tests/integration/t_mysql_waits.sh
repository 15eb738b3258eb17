#!/bin/bash
# t_mysql_waits - a Connector/C program that sends with mysql_send_query and waits on the
# socket (taken at connect time, as mysql2 takes net.fd) before mysql_read_query_result never
# hangs on a hit and prints what it prints without the library: poll, a level-triggered epoll
# instance, a second thread already blocked in poll when the statement is sent (the hit
# then pays a COM_PING, the one wait the library cannot answer), and poll and epoll on a
# duplicate of the socket (dup, as Mojo::mysql's open '<&'). Hits are counted.
# Then a program that closes the socket itself while a hit is held and gets its number again
# for an empty pipe: poll says the pipe is not readable, as without the library.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_my
cap_need_clean_exit
client=$CAP_BUILD/clients/my_waits
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)

cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_mywaits;
CREATE TABLE t_mywaits (id INT PRIMARY KEY, v VARCHAR(16)) ENGINE=InnoDB;
INSERT INTO t_mywaits VALUES (1, 'one'), (2, 'two'), (3, NULL);
SQL

hits() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } | sed -n 's/.*"hits":\([0-9]*\).*/\1/p'
}
failures=0
for m in poll epoll thread dup dup_epoll; do
	run=("$client" "$m" 3 "SELECT id, v FROM t_mywaits ORDER BY id" "SELECT v FROM t_mywaits WHERE id = 2")
	timeout -k 5 60 env -u LD_PRELOAD "${run[@]}" >"$d/$m.off" 2>&1 || fail "$m: my_waits without the library failed"
	for r in cold warm; do
		h0=$(hits)
		h0=${h0:-0}
		rc=0
		timeout -k 5 60 env LD_PRELOAD="$(cap_preload)" "${run[@]}" >"$d/$m.$r" 2>&1 || rc=$?
		h=$(($(hits) - h0))
		if [ "$rc" -ne 0 ]; then
			echo "FAIL $m ($r): exit $rc: $(tail -n 1 "$d/$m.$r")"
			failures=$((failures + 1))
		elif ! cmp -s "$d/$m.off" "$d/$m.$r"; then
			echo "FAIL $m ($r): output differs:"
			diff -u "$d/$m.off" "$d/$m.$r" | head -n 20 | sed 's/^/    /' || true
			failures=$((failures + 1))
		elif [ "$h" -lt 4 ]; then
			echo "FAIL $m ($r): $h hits, expected at least 4 of 6 statements"
			failures=$((failures + 1))
		else
			echo "ok   $m ($r): $h hits"
		fi
	done
done

# The socket closed under a held hit (the cache is warm: the second send is a hit).
q="SELECT v FROM t_mywaits WHERE id = 1"
timeout -k 5 60 env -u LD_PRELOAD "$client" closed 2 "$q" >"$d/closed.off" 2>&1 || fail "closed: my_waits without the library failed"
timeout -k 5 60 env LD_PRELOAD="$(cap_preload)" "$client" poll 2 "$q" >/dev/null 2>&1 || fail "closed: warming failed"
h0=$(hits)
rc=0
timeout -k 5 60 env LD_PRELOAD="$(cap_preload)" "$client" closed 2 "$q" >"$d/closed.on" 2>&1 || rc=$?
h=$(($(hits) - ${h0:-0}))
if [ "$rc" -ne 0 ] || ! cmp -s "$d/closed.off" "$d/closed.on"; then
	echo "FAIL closed: exit $rc, $(tail -n 1 "$d/closed.on") (without: $(tail -n 1 "$d/closed.off"))"
	failures=$((failures + 1))
elif [ "$h" -lt 1 ]; then
	echo "FAIL closed: no hit was held when the socket was closed"
	failures=$((failures + 1))
else
	echo "ok   closed: $(tail -n 1 "$d/closed.on")"
fi
[ "$failures" -eq 0 ] || fail "$failures run(s) failed"
echo "ok"

#!/bin/bash
# t_mysql_sysbench.sh - sysbench through Capacitor: oltp_point_select and oltp_read_only in
# both prepared-statement modes run without errors (hits in text mode), and after
# oltp_read_write the data read through Capacitor equals the server's.
. "$(dirname "$0")/lib.sh"
# sysbench loads the same libraries whose exit hangs with libasan preloaded (SANITIZE=1)
cap_need_clean_exit
cap_need_my
command -v sysbench >/dev/null || skip "sysbench not installed"
api=$CAP_BUILD/clients/my_api
sb=(sysbench --db-driver=mysql --mysql-socket="$CAP_MY_SOCKET" --mysql-user="$CAP_MY_USER"
	--mysql-password="$CAP_MY_PASSWORD" --mysql-db="$CAP_MY_DB" --tables=1 --table-size=1000)
"${sb[@]}" oltp_read_write cleanup >/dev/null 2>&1 || true
"${sb[@]}" oltp_read_write prepare >/dev/null || fail "sysbench prepare"
tmp=$(cap_tmpdir)
hits() { "$CAP_TOOL" stats --json | sed -n 's/.*"hits":\([0-9]*\).*/\1/p'; }
for test in oltp_point_select oltp_read_only; do
	for ps in disable auto; do
		LD_PRELOAD=$(cap_preload) "${sb[@]}" --threads=4 --time=3 --db-ps-mode=$ps "$test" run \
			>"$tmp/$test.$ps" 2>&1 || { tail "$tmp/$test.$ps"; fail "$test --db-ps-mode=$ps"; }
		grep -E 'transactions:' "$tmp/$test.$ps" | sed "s/^/$test $ps: /"
		grep -q 'ignored errors: *0 ' "$tmp/$test.$ps" || fail "$test $ps: errors"
	done
done
h=$(hits)
echo "hits=$h"
[ "${h:-0}" -ge 10000 ] || fail "expected hits from sysbench in text mode"
sum="SELECT COUNT(*), SUM(k), SUM(CRC32(c)), SUM(CRC32(pad)) FROM sbtest1"
ids="SELECT id, k, c FROM sbtest1 WHERE id IN (1, 2, 3, 500, 999)"
LD_PRELOAD=$(cap_preload) "$api" exec "$sum" "$ids" >/dev/null # cache them
for ps in disable auto; do
	LD_PRELOAD=$(cap_preload) "${sb[@]}" --threads=4 --time=3 --db-ps-mode=$ps oltp_read_write run \
		>"$tmp/rw.$ps" 2>&1 || { tail "$tmp/rw.$ps"; fail "oltp_read_write --db-ps-mode=$ps"; }
	grep -E 'transactions:' "$tmp/rw.$ps" | sed "s/^/oltp_read_write $ps: /"
	direct=$("$api" exec "$sum" "$ids")
	cached=$(LD_PRELOAD=$(cap_preload) "$api" exec "$sum" "$ids")
	assert_eq "data after oltp_read_write ($ps) through Capacitor" "$direct" "$cached"
done
"${sb[@]}" oltp_read_write cleanup >/dev/null 2>&1 || true
echo ok

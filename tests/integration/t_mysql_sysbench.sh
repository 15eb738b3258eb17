#!/bin/bash
# t_mysql_sysbench.sh - sysbench through Capacitor: oltp_point_select and oltp_read_only in
# both prepared-statement modes run without errors and with hits (text and prepared), the
# rows sysbench's prepared point selects put in the cache equal the server's, and after
# oltp_read_write (both modes) the data read through Capacitor, by text and prepared
# statements, equals the server's.
. "$(dirname "$0")/lib.sh"
# sysbench loads the same libraries whose exit hangs with libasan preloaded (SANITIZE=1)
cap_need_clean_exit
cap_need_my
command -v sysbench >/dev/null || skip "sysbench not installed"
api=$CAP_BUILD/clients/my_api
ps=$CAP_BUILD/clients/my_ps
sb=(sysbench --db-driver=mysql --mysql-socket="$CAP_MY_SOCKET" --mysql-user="$CAP_MY_USER"
	--mysql-password="$CAP_MY_PASSWORD" --mysql-db="$CAP_MY_DB" --tables=1 --table-size=1000)
"${sb[@]}" oltp_read_write cleanup >/dev/null 2>&1 || true
"${sb[@]}" oltp_read_write prepare >/dev/null || fail "sysbench prepare"
tmp=$(cap_tmpdir)
hits() {
	local h
	h=$("$CAP_TOOL" stats --json 2>/dev/null | sed -n 's/.*"hits":\([0-9]*\).*/\1/p') || true
	echo "${h:-0}"
}
for test in oltp_point_select oltp_read_only; do
	for mode in disable auto; do
		h0=$(hits)
		LD_PRELOAD=$(cap_preload) "${sb[@]}" --threads=4 --time=3 --db-ps-mode=$mode "$test" run \
			>"$tmp/$test.$mode" 2>&1 || { tail "$tmp/$test.$mode"; fail "$test --db-ps-mode=$mode"; }
		grep -E 'transactions:' "$tmp/$test.$mode" | sed "s/^/$test $mode: /"
		grep -q 'ignored errors: *0 ' "$tmp/$test.$mode" || fail "$test $mode: errors"
		h1=$(hits)
		echo "$test $mode: hits $((h1 - h0))"
		# oltp_read_only runs in REPEATABLE READ transactions: no hits there by design
		[ "$test" != oltp_point_select ] || [ $((h1 - h0)) -ge 10000 ] ||
			fail "expected hits from sysbench $test --db-ps-mode=$mode"
	done
done
# the point selects sysbench cached through prepared statements (the same text and parameter
# type as my_ps's I: - sysbench binds INT as MYSQL_TYPE_LONGLONG) hold the server's rows
pq="SELECT c FROM sbtest1 WHERE id=?"
h0=$(hits)
for id in 1 2 3 17 500 999 1000; do
	assert_eq "prepared point select id=$id" "$("$ps" query "$pq" "I:$id")" \
		"$(LD_PRELOAD=$(cap_preload) "$ps" query "$pq" "I:$id")"
done
h1=$(hits)
echo "prepared point selects served from sysbench's entries: $((h1 - h0))"
[ $((h1 - h0)) -ge 1 ] || fail "expected my_ps to hit the entries sysbench filled"
sum="SELECT COUNT(*), SUM(k), SUM(CRC32(c)), SUM(CRC32(pad)) FROM sbtest1"
ids="SELECT id, k, c FROM sbtest1 WHERE id IN (1, 2, 3, 500, 999)"
LD_PRELOAD=$(cap_preload) "$api" exec "$sum" "$ids" >/dev/null # cache them
for id in 1 2 3 500 999; do LD_PRELOAD=$(cap_preload) "$ps" query "$pq" "I:$id" >/dev/null; done
for mode in disable auto; do
	LD_PRELOAD=$(cap_preload) "${sb[@]}" --threads=4 --time=3 --db-ps-mode=$mode oltp_read_write run \
		>"$tmp/rw.$mode" 2>&1 || { tail "$tmp/rw.$mode"; fail "oltp_read_write --db-ps-mode=$mode"; }
	grep -E 'transactions:' "$tmp/rw.$mode" | sed "s/^/oltp_read_write $mode: /"
	direct=$("$api" exec "$sum" "$ids")
	cached=$(LD_PRELOAD=$(cap_preload) "$api" exec "$sum" "$ids")
	assert_eq "data after oltp_read_write ($mode) through Capacitor" "$direct" "$cached"
	for id in 1 2 3 500 999; do
		assert_eq "prepared read of id=$id after oltp_read_write ($mode)" \
			"$("$ps" query "$pq" "I:$id")" "$(LD_PRELOAD=$(cap_preload) "$ps" query "$pq" "I:$id")"
	done
done
"${sb[@]}" oltp_read_write cleanup >/dev/null 2>&1 || true
echo ok

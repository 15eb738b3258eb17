#!/bin/bash
# t_passthrough_my - a libmysqlclient program (tests/clients/my_passthru: queries, errors,
# writes then reads, transactions, autocommit, multi-statements, prepared statements, both
# transports) behaves exactly the same without Capacitor, with it switched off and with it on
# (cold and warm cache), and so does sysbench's read-only workload (exit status and counts).
. "$CAP_ROOT/tests/integration/lib.sh"
cap_need_my
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"

client=$CAP_BUILD/clients/my_passthru
[ -x "$client" ] || fail "$client not built (make clients)"
cap_compare_modes my_passthru cat "$client"

if command -v sysbench >/dev/null 2>&1 && ldd "$(command -v sysbench)" | grep -qE 'libmariadb|libmysqlclient'; then
	sb=(sysbench --db-driver=mysql --mysql-socket="$CAP_MY_SOCKET" --mysql-user="$CAP_MY_USER"
		--mysql-password="$CAP_MY_PASSWORD" --mysql-db="$CAP_MY_DB" --tables=1 --table-size=1000)
	"${sb[@]}" oltp_read_only cleanup >/dev/null 2>&1 || true
	"${sb[@]}" oltp_read_only prepare >"$(cap_tmpdir)/prepare.log" 2>&1 || fail "sysbench prepare failed"
	counts='grep -E "^ *(read|write|other|total|transactions|queries):" | sed -E "s/ *\(.*//"'
	cap_compare_modes sysbench-read-only "$counts" "${sb[@]}" --events=200 --time=0 --threads=1 \
		--db-ps-mode=disable oltp_read_only run
	cap_compare_modes sysbench-read-only-ps "$counts" "${sb[@]}" --events=200 --time=0 --threads=1 \
		oltp_read_only run
	"${sb[@]}" oltp_read_only cleanup >/dev/null 2>&1 || true
else
	echo "sysbench with a MySQL driver not found: sysbench part skipped"
fi

#!/usr/bin/env bash
# bench/run-mysql.sh - the MariaDB half of `make bench`, called by bench/run.sh with the
# fixture's server running (CAP_MY_* exported) and CAP_BUILD, CLIENT_CPU, ROUNDS, SECS set.
# The server starts with query_cache_type=DEMAND and size 0, so its query cache is off for
# every other test and bench_my_query can switch it on for its own comparison.
set -euo pipefail
BUILD=${CAP_BUILD:?}
LIB=$BUILD/libcapacitor.so
client() { taskset -c "${CLIENT_CPU:-0}" "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }

echo "== MariaDB: 1-row x 4-column point query (mysql_real_query + mysql_store_result)"
for r in $(seq "${ROUNDS:-3}"); do
	d=$(mktemp -d); chmod 700 "$d"
	CAPACITOR_DIR=$d CAP_LIB=$LIB client "$BUILD/bench/bench_my_query"
	rm -rf "$d"
done

echo "== MariaDB: the same query as a prepared statement (mysql_stmt_execute + store + fetch)"
if [ -x "$BUILD/bench/bench_my_stmt" ]; then
	for r in $(seq "${ROUNDS:-3}"); do
		d=$(mktemp -d); chmod 700 "$d"
		CAPACITOR_DIR=$d CAP_LIB=$LIB client "$BUILD/bench/bench_my_stmt"
		rm -rf "$d"
	done
fi

echo "== sysbench oltp_point_select (1 table x 10000 rows, 4 threads, ${SECS:-10}s each), TPS"
sb=(sysbench --db-driver=mysql --mysql-socket="$CAP_MY_SOCKET" --mysql-user="$CAP_MY_USER"
	--mysql-password="$CAP_MY_PASSWORD" --mysql-db="$CAP_MY_DB" --tables=1 --table-size=10000)
client "${sb[@]}" oltp_point_select cleanup >/dev/null 2>&1 || true
client "${sb[@]}" oltp_point_select prepare >/dev/null 2>&1
tps() { sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' | head -1; }
for mode in disable auto; do
	: >"/tmp/sb_$$_$mode"
	for r in $(seq "${ROUNDS:-3}"); do
		a=$(client "${sb[@]}" --threads=4 --time="${SECS:-10}" --db-ps-mode=$mode oltp_point_select run 2>/dev/null | tps)
		d=$(mktemp -d); chmod 700 "$d"
		b=$(CAPACITOR_DIR=$d LD_PRELOAD=$LIB client "${sb[@]}" --threads=4 --time="${SECS:-10}" \
			--db-ps-mode=$mode oltp_point_select run 2>/dev/null | tps)
		rm -rf "$d"
		echo "$a $b" >>"/tmp/sb_$$_$mode"
	done
	a=$(cut -d' ' -f1 "/tmp/sb_$$_$mode" | median); b=$(cut -d' ' -f2 "/tmp/sb_$$_$mode" | median)
	awk -v m="$mode" -v a="$a" -v b="$b" 'BEGIN { printf "sysbench point_select ps-mode=%-8s direct %10.0f  capacitor %10.0f  ratio %6.2fx\n", m, a, b, (a > 0 ? b/a : 0) }'
	rm -f "/tmp/sb_$$_$mode"
done
client "${sb[@]}" oltp_point_select cleanup >/dev/null 2>&1 || true

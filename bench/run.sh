#!/usr/bin/env bash
# bench/run.sh - `make bench`: micro benchmarks, then end-to-end figures against real servers,
# each with and without Capacitor in the same run, interleaved (A B A B ...), as ratios: libpq
# (blocking calls, a nonblocking connection asking PQisBusy first and one polling first),
# psycopg 3 (sync and asyncio, when python3-psycopg is installed), pgbench, MariaDB, sysbench.
#
# Placement: servers pinned to CPU 0, clients to CPU 1 (client and server on different CPUs)
# when the machine has two or more CPUs; figures of other placements are not comparable.
# Environment: CAP_BUILD (build dir), BENCH_ROUNDS (default 3), BENCH_SECONDS (pgbench and
# sysbench duration, default 10), BENCH_N (queries per latency case, default 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${CAP_BUILD:-$PWD/build}
LIB=$BUILD/libcapacitor.so
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-10}
N=${BENCH_N:-20000}
OUT=$(mktemp -d /tmp/capacitor-bench.XXXXXX)
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then CLIENT_CPU=1; SERVER_CPU=0; else CLIENT_CPU=0; SERVER_CPU=0; fi
client() { taskset -c "$CLIENT_CPU" "$@"; }

echo "== machine: $NCPU cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "== placement: servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU"

echo "== micro benchmarks (unpinned: the thread-scaling figure needs both CPUs)"
for b in "$BUILD"/bench/bench_*; do
	case "$(basename "$b")" in bench_pq*|bench_my*) continue ;; esac
	[ -x "$b" ] || continue
	"$b"
done

# shellcheck source=tests/fixture.sh
. tests/fixture.sh
cap_fixture_start_pg >/dev/null
pin_server() { # pin a server's processes (and the children it forks later)
	local pid
	for pid in "$@"; do taskset -a -p -c "$SERVER_CPU" "$pid" >/dev/null 2>&1 || true; done
}
pin_server "$(head -1 "$_cap_fx_pg_dir/data/postmaster.pid" 2>/dev/null || true)"

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "== PostgreSQL: 1-row x 4-column point query, $N queries per case, $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	client "$BUILD/bench/bench_pq" direct "$N" >>"$OUT/pq.txt"
	d=$(mktemp -d); chmod 700 "$d"
	CAPACITOR_DIR=$d LD_PRELOAD=$LIB client "$BUILD/bench/bench_pq" l1 "$N" >>"$OUT/pq.txt"
	# a fresh process on the warm cache file, memory tier off: every hit comes from L2
	CAPACITOR_DIR=$d CAPACITOR_MEM=0 LD_PRELOAD=$LIB client "$BUILD/bench/bench_pq" l2 "$N" >>"$OUT/pq.txt"
	# psycopg 3 (pure Python, libpq taken with dlsym); "l1" here means through Capacitor
	if /usr/bin/python3 -c 'import psycopg' 2>/dev/null; then
		client /usr/bin/python3 bench/bench_psycopg3.py direct "$((N / 4))" >>"$OUT/pq.txt"
		CAPACITOR_DIR=$d LD_PRELOAD=$LIB client /usr/bin/python3 bench/bench_psycopg3.py l1 "$((N / 4))" >>"$OUT/pq.txt"
	fi
	rm -rf "$d"
done
printf '%-20s %-7s %10s %10s %10s %8s %9s\n' case mode p50_us p99_us mean_us allocs "x_direct"
for c in pq_exec pq_exec_params pq_exec_prepared pq_nonblocking pq_nonblocking_poll pq_miss \
	psycopg3_sync psycopg3_async; do
	base=$(grep "^$c direct " "$OUT/pq.txt" | field p50_ns | median) || continue
	for m in direct l1 l2; do
		lines=$(grep "^$c $m " "$OUT/pq.txt") || continue
		p50=$(echo "$lines" | field p50_ns | median)
		p99=$(echo "$lines" | field p99_ns | median)
		mean=$(echo "$lines" | field mean_ns | median)
		al=$(echo "$lines" | field allocs | median)
		awk -v c="$c" -v m="$m" -v a="$p50" -v b="$p99" -v me="$mean" -v al="$al" -v base="$base" \
			'BEGIN { printf "%-20s %-7s %10.2f %10.2f %10.2f %8s %8.1fx\n", c, m, a/1000, b/1000, me/1000, al, (a > 0 ? base/a : 0) }'
	done
done

echo "== pgbench (scale 1, 4 clients, 2 threads, ${SECS}s each), TPS"
client pgbench -i -s 1 -q >/dev/null 2>&1
tps() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1; }
for mode in simple prepared; do
	for r in $(seq "$ROUNDS"); do
		a=$(client pgbench -n -S -M "$mode" -c 4 -j 2 -T "$SECS" 2>/dev/null | tps)
		d=$(mktemp -d); chmod 700 "$d"
		b=$(CAPACITOR_DIR=$d LD_PRELOAD=$LIB client pgbench -n -S -M "$mode" -c 4 -j 2 -T "$SECS" 2>/dev/null | tps)
		rm -rf "$d"
		echo "$a $b" >>"$OUT/pgbench_$mode.txt"
	done
	a=$(cut -d' ' -f1 "$OUT/pgbench_$mode.txt" | median); b=$(cut -d' ' -f2 "$OUT/pgbench_$mode.txt" | median)
	awk -v m="$mode" -v a="$a" -v b="$b" 'BEGIN { printf "pgbench -S -M %-9s direct %10.0f  capacitor %10.0f  ratio %6.2fx\n", m, a, b, (a > 0 ? b/a : 0) }'
done
for r in $(seq "$ROUNDS"); do
	a=$(client pgbench -n -c 4 -j 2 -T "$SECS" 2>/dev/null | tps)
	d=$(mktemp -d); chmod 700 "$d"
	b=$(CAPACITOR_DIR=$d LD_PRELOAD=$LIB client pgbench -n -c 4 -j 2 -T "$SECS" 2>/dev/null | tps)
	rm -rf "$d"
	echo "$a $b" >>"$OUT/tpcb.txt"
done
a=$(cut -d' ' -f1 "$OUT/tpcb.txt" | median); b=$(cut -d' ' -f2 "$OUT/tpcb.txt" | median)
awk -v a="$a" -v b="$b" 'BEGIN { printf "pgbench TPC-B            direct %10.0f  capacitor %10.0f  ratio %6.2fx\n", a, b, (a > 0 ? b/a : 0) }'

if ls "$BUILD"/bench/bench_my* >/dev/null 2>&1 || [ -x bench/run-mysql.sh ]; then
	cap_fixture_start_mariadb >/dev/null
	pin_server "$(cat "$_cap_fx_my_dir/mysqld.pid" 2>/dev/null || true)"
	[ -x bench/run-mysql.sh ] && CAP_BUILD=$BUILD CLIENT_CPU=$CLIENT_CPU ROUNDS=$ROUNDS SECS=$SECS N=$N bench/run-mysql.sh
fi
cap_fixture_stop
rm -rf "$OUT"

#!/usr/bin/env bash
# bench/run.sh - `make bench`: Capacitor against a direct connection and against the peers a
# user would compare it with (pgpool-II's query cache, MariaDB's query cache, the PQcopyResult
# floor), every comparison a ratio of two figures measured in this run, interleaved
# (round 1: A B C ..., round 2: A B C ...), each ratio the median of the per-round ratios.
#
# Sections (BENCH_SECTIONS, default all, in this order):
#   micro       the engine's micro benchmarks (bench_engine, bench_sql, bench_stats)
#   latency     the point query, median and p99 per mode and client path: libpq (PQexec,
#               PQexecParams, PQexecPrepared, a nonblocking connection asking PQisBusy first
#               and one polling its socket first, a miss per query), psycopg2, psycopg 3 (sync
#               and asyncio; libpq taken with dlsym), Connector/C text and prepared, MySQLdb;
#               modes direct, Capacitor memory tier (l1), shared tier (l2: fresh process, warm
#               file, memory tier off), pgpool-II query cache, MariaDB query cache (qc), the
#               PQcopyResult floor
#   instr       instructions per query of a miss and of a hit against direct (callgrind)
#   writes      pgbench TPC-B and sysbench oltp_read_write, with and without
#   ddl         BENCH_DDL_SESSIONS parallel psql sessions, each creating, filling, altering,
#               reading and dropping its own table BENCH_DDL_LOOPS times, with and without
#   throughput  pgbench -S (simple, extended, prepared) direct, with Capacitor and through
#               pgpool-II; sysbench oltp_point_select and oltp_read_only with and without;
#               the caches warm (one untimed run first, kept across rounds)
#   scaling     hits/s of 1, 2, 4 threads of one process and 1, 2, 4 processes
#
# Output: the table on the terminal; BENCH_OUT (default bench/results) gets latest.json (every
# figure, the machine, the parameters, the ratios), raw.txt (every measured line), and the
# charts latency.svg/.png, latency_clients.svg/.png, throughput.svg/.png (gnuplot).
#
# Placement: servers (PostgreSQL, pgpool-II, MariaDB) pinned to CPU 0, clients to CPU 1 when the
# machine has two or more CPUs; the scaling section runs its clients unpinned.
# Environment: CAP_BUILD (build dir), BENCH_ROUNDS (default 3), BENCH_SECONDS (each pgbench and
# sysbench run, default 10), BENCH_N (queries per latency case, default 20000), BENCH_IDS
# (distinct ids of the point query, default 64), BENCH_DDL_SESSIONS (8), BENCH_DDL_LOOPS (25),
# BENCH_SECTIONS, BENCH_OUT, BENCH_JSON (the JSON's path, default $BENCH_OUT/latest.json).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${CAP_BUILD:-$PWD/build}
LIB=$BUILD/libcapacitor.so
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-10}
N=${BENCH_N:-20000}
export BENCH_IDS=${BENCH_IDS:-64}
DDL_SESSIONS=${BENCH_DDL_SESSIONS:-8}
DDL_LOOPS=${BENCH_DDL_LOOPS:-25}
SECTIONS=${BENCH_SECTIONS:-micro latency instr writes ddl throughput scaling}
OUTDIR=${BENCH_OUT:-bench/results}
JSON=${BENCH_JSON:-$OUTDIR/latest.json}
SCALE_SECS=$(awk -v s="$SECS" 'BEGIN { x = s / 4; if (x < 1) x = 1; print x }')
# Every client is bounded: a run that hangs is killed and its figure is missing, not the bench.
TMO=$((SECS * 3 + 120))
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then CLIENT_CPU=1; SERVER_CPU=0; else CLIENT_CPU=0; SERVER_CPU=0; fi

# Only the runs that say so get Capacitor, each with its own directory and defaults.
unset LD_PRELOAD
for v in $(compgen -e | grep '^CAPACITOR_' || true); do unset "$v"; done

mkdir -p "$OUTDIR"
WORK=$(mktemp -d /tmp/capacitor-bench.XXXXXX)
RAW=$WORK/raw.txt
: >"$RAW"
# Capacitor's directories live where its default does (tmpfs), all under one removed at exit.
CAPROOT=$(mktemp -d /dev/shm/capacitor-bench.XXXXXX)

# shellcheck source=tests/fixture.sh
. tests/fixture.sh
# shellcheck source=bench/pgpool.sh
. bench/pgpool.sh
cleanup() {
	# parallel clients still running (DDL sessions, scaling processes), by their pids
	local j
	for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
	bench_pgpool_stop
	cap_fixture_stop
	rm -rf -- "$CAPROOT" "$WORK"
}
trap 'cleanup' EXIT
trap 'cleanup; trap - INT; exit 130' INT
trap 'cleanup; trap - TERM; exit 143' TERM

want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }
say() { echo "== [$(date +%H:%M:%S)] $*" >&2; }
warn() { echo "bench: $*" >&2; }
# bounded CMD... - CMD with the time limit TMO. A client that died of Ctrl-C exits 130 through
# timeout, which bash may take as an interrupt the client handled (then no INT trap runs), and
# in a command substitution the exit would only end the subshell: remember the interrupt in a
# file that `interrupted` checks after such runs, and exit (the EXIT trap stops every server).
INTR=$WORK/interrupted
bounded() {
	local rc=0
	timeout --foreground -k 5 "$TMO" "$@" || rc=$?
	if [ "$rc" -eq 130 ]; then
		: >"$INTR"
		[ "$BASH_SUBSHELL" -gt 0 ] || exit 130
	fi
	return "$rc"
}
interrupted() { [ ! -e "$INTR" ] || { warn "interrupted"; exit 130; }; }
client() { bounded taskset -c "$CLIENT_CPU" "$@"; }
capdir() { # a fresh CAPACITOR_DIR (mode 0700)
	mktemp -d "$CAPROOT/dir.XXXXXX"
}
# rec ROUND CMD... - run a client, append its "lat/scale ..." lines to raw.txt with the round.
rec() {
	local r=$1 out
	shift
	if out=$("$@" 2>"$WORK/last.err"); then
		printf '%s\n' "$out" | grep -E '^(lat|scale) ' | sed "s/\$/ round=$r/" >>"$RAW" || true
	else
		interrupted
		warn "failed (figure missing): $*"
		tail -n 3 "$WORK/last.err" >&2 || true
	fi
}
# put LINE - append one measured figure to raw.txt.
put() { echo "$*" >>"$RAW"; }

pin_server() { # pin a server's processes (and the children it forks later)
	local pid
	for pid in "$@"; do
		[ -n "$pid" ] || continue
		taskset -a -p -c "$SERVER_CPU" "$pid" >/dev/null 2>&1 || true
		local c
		for c in $(pgrep -P "$pid" 2>/dev/null); do taskset -a -p -c "$SERVER_CPU" "$c" >/dev/null 2>&1 || true; done
	done
}

{
	echo "cpus	$NCPU"
	echo "placement	servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU"
	echo "rounds	$ROUNDS"
	echo "seconds	$SECS"
	echo "queries_per_case	$N"
	echo "ids	$BENCH_IDS"
	echo "ddl	$DDL_SESSIONS sessions x $DDL_LOOPS loops"
	echo "sections	$SECTIONS"
} >"$WORK/params.txt"

say "machine: $NCPU cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"

if want micro; then
	say "micro benchmarks (unpinned: the thread-scaling figure needs both CPUs)"
	for b in "$BUILD"/bench/bench_engine "$BUILD"/bench/bench_sql "$BUILD"/bench/bench_stats; do
		[ -x "$b" ] || continue
		TMO=600 bounded "$b" | tee -a "$WORK/micro.txt" >&2 || warn "$(basename "$b") failed"
		interrupted
	done
fi

cap_fixture_start_pg >/dev/null
# The fixture's trap replaced ours: put ours back.
trap 'cleanup' EXIT
trap 'cleanup; trap - INT; exit 130' INT
trap 'cleanup; trap - TERM; exit 143' TERM
pin_server "$(head -1 "$_cap_fx_pg_dir/data/postmaster.pid" 2>/dev/null || true)"
PGPOOL=0
if want latency || want throughput; then
	if bench_pgpool_start; then
		PGPOOL=1
		pin_server "$(bench_pgpool_pid)"
	else
		warn "pgpool-II did not start: its figures are missing"
	fi
fi
MY=0
if want latency || want writes || want throughput; then
	if cap_fixture_start_mariadb >/dev/null; then
		MY=1
		pin_server "$(cat "$_cap_fx_my_dir/mysqld.pid" 2>/dev/null || true)"
	else
		warn "MariaDB did not start: its figures are missing"
	fi
fi
# The fixture's trap replaced ours when it started a server: put ours back.
trap 'cleanup' EXIT
trap 'cleanup; trap - INT; exit 130' INT
trap 'cleanup; trap - TERM; exit 143' TERM
{
	echo "postgresql	$("$CAP_PG_BIN/postgres" -V | awk '{print $3}')"
	[ "$PGPOOL" = 1 ] && echo "pgpool	$(pgpool --version 2>&1 | awk '{print $3}')"
	[ "$MY" = 1 ] && echo "mariadb	$(mariadbd --version 2>/dev/null | awk '{print $3}')"
	echo "pgbench	$(pgbench --version | awk '{print $3}')"
	echo "sysbench	$(sysbench --version 2>/dev/null | awk '{print $2}')"
	echo "cc	$(${CC:-gcc} --version | head -1)"
	echo "python	$(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])')"
	echo "psycopg2	$(/usr/bin/python3 -c 'import psycopg2; print(psycopg2.__version__.split()[0])' 2>/dev/null || echo none)"
	echo "psycopg	$(/usr/bin/python3 -c 'import psycopg; print(psycopg.__version__)' 2>/dev/null || echo none)"
	echo "mysqldb	$(/usr/bin/python3 -c 'import MySQLdb; print(MySQLdb.__version__)' 2>/dev/null || echo none)"
} >>"$WORK/params.txt"

my_admin() { timeout --foreground 30 mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" -N -B -e "$1"; }
qc() { # qc on|off - MariaDB's query cache (the fixture starts it with type DEMAND and size 0)
	if [ "$1" = on ]; then
		my_admin "SET GLOBAL query_cache_size = 16777216; SET GLOBAL query_cache_type = ON"
	else
		my_admin "SET GLOBAL query_cache_type = DEMAND; SET GLOBAL query_cache_size = 0"
	fi
}
my_status() { my_admin "SHOW GLOBAL STATUS LIKE '$1'" | awk '{print $2}'; }
cap_hits() { # hits recorded in a CAPACITOR_DIR's stats
	"$BUILD/capacitor" stats --json --dir "$1" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("hits", d.get("totals", {}).get("hits", 0)))' 2>/dev/null || echo 0
}

if want latency; then
	say "latency: the point query over $BENCH_IDS ids, $N queries per case, $ROUNDS rounds"
	PQCASES=(exec sync prepared nonblocking nonblocking_poll miss)
	pool_h0=$([ "$PGPOOL" = 1 ] && bench_pgpool_hits | awk '{print $1}' || echo 0)
	qc_h0=0
	cap_pg_hits=0 cap_my_hits=0
	for r in $(seq "$ROUNDS"); do
		say "  round $r/$ROUNDS"
		rec "$r" client "$BUILD/bench/bench_pq" direct "$N" "${PQCASES[@]}" floor
		d=$(capdir)
		rec "$r" client env CAPACITOR_DIR="$d" LD_PRELOAD="$LIB" "$BUILD/bench/bench_pq" l1 "$N" "${PQCASES[@]}"
		rec "$r" client env CAPACITOR_DIR="$d" CAPACITOR_MEM=0 LD_PRELOAD="$LIB" "$BUILD/bench/bench_pq" l2 "$N" "${PQCASES[@]}"
		if [ "$PGPOOL" = 1 ]; then
			rec "$r" client env PGHOST="$BENCH_PGPOOL_HOST" PGPORT="$BENCH_PGPOOL_PORT" "$BUILD/bench/bench_pq" pgpool "$N" "${PQCASES[@]}"
		fi
		for drv in psycopg2 psycopg psycopg_async; do
			rec "$r" client /usr/bin/python3 bench/bench_py.py "$drv" direct "$N"
			rec "$r" client env CAPACITOR_DIR="$d" LD_PRELOAD="$LIB" /usr/bin/python3 bench/bench_py.py "$drv" l1 "$N"
			rec "$r" client env CAPACITOR_DIR="$d" CAPACITOR_MEM=0 LD_PRELOAD="$LIB" /usr/bin/python3 bench/bench_py.py "$drv" l2 "$N"
			if [ "$PGPOOL" = 1 ]; then
				rec "$r" client env PGHOST="$BENCH_PGPOOL_HOST" PGPORT="$BENCH_PGPOOL_PORT" /usr/bin/python3 bench/bench_py.py "$drv" pgpool "$N"
			fi
		done
		cap_pg_hits=$((cap_pg_hits + $(cap_hits "$d")))
		if [ "$MY" = 1 ]; then
			md=$(capdir)
			rec "$r" client "$BUILD/bench/bench_my" direct "$N" text stmt miss
			rec "$r" client env CAPACITOR_DIR="$md" LD_PRELOAD="$LIB" "$BUILD/bench/bench_my" l1 "$N" text stmt miss
			rec "$r" client /usr/bin/python3 bench/bench_py.py MySQLdb direct "$N"
			rec "$r" client env CAPACITOR_DIR="$md" LD_PRELOAD="$LIB" /usr/bin/python3 bench/bench_py.py MySQLdb l1 "$N"
			if qc on; then
				h=$(my_status Qcache_hits)
				rec "$r" client "$BUILD/bench/bench_my" qc "$N" text stmt miss
				rec "$r" client /usr/bin/python3 bench/bench_py.py MySQLdb qc "$N"
				qc_h0=$((qc_h0 + $(my_status Qcache_hits) - h))
				qc off || warn "could not switch MariaDB's query cache off"
			else
				warn "MariaDB's query cache could not be switched on: its figures are missing"
			fi
			cap_my_hits=$((cap_my_hits + $(cap_hits "$md")))
		fi
	done
	# The peers' caches really answered: their own counters, read after the runs.
	if [ "$PGPOOL" = 1 ]; then
		read -r ph ps < <(bench_pgpool_hits)
		put "verify name=pgpool_query_cache hits=$((ph - pool_h0)) selects=${ps:-0}"
	fi
	[ "$MY" = 1 ] && put "verify name=mariadb_query_cache hits=$qc_h0"
	put "verify name=capacitor_pg hits=$cap_pg_hits"
	[ "$MY" = 1 ] && put "verify name=capacitor_mariadb hits=$cap_my_hits"
fi

if want instr; then
	say "instructions per query (callgrind, client side only)"
	cg() { # cg MODE CASE [ENV...] - instructions per query of the timed loop
		local mode=$1 cs=$2 n=1000 f
		shift 2
		f=$WORK/cg.$mode.$cs
		if TMO=600 bounded env "$@" valgrind --tool=callgrind --toggle-collect=timed_loop \
			--callgrind-out-file="$f" "$BUILD/bench/bench_pq" "$mode" "$n" "$cs" >/dev/null 2>"$WORK/cg.err"; then
			awk -v n="$n" -v m="$mode" -v c="$cs" '/^(summary|totals):/ { print "instr path=libpq_" c " mode=" m " ir_per_query=" int($2 / n); exit }' "$f" >>"$RAW"
		else
			warn "callgrind $mode $cs failed"
		fi
	}
	cg direct miss
	cg direct sync
	d=$(capdir)
	cg l1 miss CAPACITOR_DIR="$d" LD_PRELOAD="$LIB"
	cg l1 sync CAPACITOR_DIR="$d" LD_PRELOAD="$LIB"
fi

pgb_tps() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1; }
sb_tps() { sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' | head -1; }
# tput NAME MODE ROUND CMD... - run a load generator, record its transactions per second.
tput() {
	local name=$1 mode=$2 r=$3 out v
	shift 3
	out=$("$@" 2>"$WORK/last.err") || true
	interrupted
	v=$(printf '%s\n' "$out" | { case "$name" in pgbench*) pgb_tps ;; *) sb_tps ;; esac; })
	if [ -n "$v" ]; then
		put "tput name=$name mode=$mode tps=$v round=$r"
	else
		warn "$name $mode: no figure"
		tail -n 3 "$WORK/last.err" >&2 || true
	fi
}
PGB=(pgbench -n -c 4 -j 2 -T "$SECS")
if [ "$MY" = 1 ]; then
	SB=(sysbench --db-driver=mysql --mysql-socket="$CAP_MY_SOCKET" --mysql-user="$CAP_MY_USER"
		--mysql-password="$CAP_MY_PASSWORD" --mysql-db="$CAP_MY_DB" --tables=1 --table-size=10000
		--threads=4 --time="$SECS")
fi
if want writes || want throughput; then
	client pgbench -i -s 1 -q >/dev/null 2>&1 || warn "pgbench -i failed"
	if [ "$MY" = 1 ]; then
		client "${SB[@]}" oltp_read_write cleanup >/dev/null 2>&1 || true
		client "${SB[@]}" oltp_read_write prepare >/dev/null 2>&1 || warn "sysbench prepare failed"
	fi
fi

if want writes; then
	say "writes: pgbench TPC-B and sysbench oltp_read_write, ${SECS}s each, $ROUNDS rounds"
	for r in $(seq "$ROUNDS"); do
		tput pgbench_tpcb direct "$r" client "${PGB[@]}"
		d=$(capdir)
		tput pgbench_tpcb l1 "$r" client env CAPACITOR_DIR="$d" LD_PRELOAD="$LIB" "${PGB[@]}"
		if [ "$MY" = 1 ]; then
			tput sysbench_oltp_read_write direct "$r" client "${SB[@]}" oltp_read_write run
			d=$(capdir)
			tput sysbench_oltp_read_write l1 "$r" client env CAPACITOR_DIR="$d" LD_PRELOAD="$LIB" "${SB[@]}" oltp_read_write run
		fi
	done
fi

if want ddl; then
	say "DDL-heavy: $DDL_SESSIONS parallel psql sessions x $DDL_LOOPS create/fill/alter/read/drop, $ROUNDS rounds"
	for s in $(seq "$DDL_SESSIONS"); do
		awk -v s="$s" -v loops="$DDL_LOOPS" 'BEGIN {
			for (l = 0; l < loops; l++) {
				t = "ddl_" s
				print "CREATE TABLE " t " (id int PRIMARY KEY, v text);"
				print "INSERT INTO " t " SELECT g, '"'"'v'"'"' || g FROM generate_series(1, 100) g;"
				print "SELECT count(*), max(v) FROM " t ";"
				print "ALTER TABLE " t " ADD COLUMN w int DEFAULT 0;"
				print "UPDATE " t " SET w = id WHERE id <= 10;"
				print "SELECT id, v, w FROM " t " WHERE id = 5;"
				print "SELECT sum(w) FROM " t ";"
				print "DROP TABLE " t ";"
			}
		}' >"$WORK/ddl_$s.sql"
	done
	# ddl_run [ENV...] - sets DDL_T to the wall seconds of the parallel sessions, empty on failure
	# (in this shell, not a subshell: a signal interrupts its wait and the trap ends the jobs).
	ddl_run() {
		local s pids=() t0 t1 ok=1
		DDL_T=
		t0=$(date +%s%N)
		for s in $(seq "$DDL_SESSIONS"); do
			env "$@" timeout --foreground -k 5 600 taskset -c "$CLIENT_CPU" \
				psql -X -q -v ON_ERROR_STOP=1 -f "$WORK/ddl_$s.sql" >/dev/null 2>>"$WORK/ddl.err" &
			pids+=($!)
		done
		for s in "${pids[@]}"; do
			wait "$s" || { [ $? -ne 130 ] || : >"$INTR"; ok=0; }
		done
		interrupted
		t1=$(date +%s%N)
		[ "$ok" = 1 ] && DDL_T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }')
		return 0
	}
	for r in $(seq "$ROUNDS"); do
		for mode in direct l1; do
			if [ "$mode" = direct ]; then ddl_run; else d=$(capdir); ddl_run CAPACITOR_DIR="$d" LD_PRELOAD="$LIB"; fi
			if [ -n "$DDL_T" ]; then put "time name=ddl_heavy mode=$mode seconds=$DDL_T round=$r"; else warn "DDL-heavy $mode failed"; tail -n 3 "$WORK/ddl.err" >&2; fi
		done
	done
fi

if want throughput; then
	# Read-only workloads are measured warm: each cache (one CAPACITOR_DIR per workload,
	# pgpool-II's shared memory) is filled by one untimed run first and kept across the rounds,
	# as a long-running program's would be; every Capacitor run still starts with an empty
	# memory tier (a new process), the shared tier warm.
	say "throughput: pgbench -S and sysbench, ${SECS}s each after one warm-up run, $ROUNDS rounds"
	# pgbench -S's own statement for every account once (scale 1: 100000 accounts, 4 clients
	# x 25000; pgbench variables live on across a client's transactions). The SELECT is the
	# second command, as in -S's script, so that -M prepared gives it the same statement name.
	cat >"$WORK/warm.sql" <<'EOF'
\set aid :client_id * 25000 + :n
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
\set n :n + 1
EOF
	WARM=(pgbench -n -c 4 -j 2 -t 25000 -D n=1 -f "$WORK/warm.sql")
	declare -A TD
	for m in simple extended prepared; do
		TD[$m]=$(capdir)
		client env CAPACITOR_DIR="${TD[$m]}" LD_PRELOAD="$LIB" "${WARM[@]}" -M "$m" >/dev/null 2>&1 || warn "warm-up $m failed"
		if [ "$PGPOOL" = 1 ]; then
			client env PGHOST="$BENCH_PGPOOL_HOST" PGPORT="$BENCH_PGPOOL_PORT" "${WARM[@]}" -M "$m" >/dev/null 2>&1 || warn "pgpool warm-up $m failed"
		fi
	done
	if [ "$MY" = 1 ]; then
		for t in oltp_point_select oltp_read_only; do
			TD[$t]=$(capdir)
			client env CAPACITOR_DIR="${TD[$t]}" LD_PRELOAD="$LIB" "${SB[@]}" "$t" run >/dev/null 2>&1 || true
		done
	fi
	for r in $(seq "$ROUNDS"); do
		for m in simple extended prepared; do
			tput "pgbench_S_$m" direct "$r" client "${PGB[@]}" -S -M "$m"
			tput "pgbench_S_$m" l1 "$r" client env CAPACITOR_DIR="${TD[$m]}" LD_PRELOAD="$LIB" "${PGB[@]}" -S -M "$m"
			if [ "$PGPOOL" = 1 ]; then
				tput "pgbench_S_$m" pgpool "$r" client env PGHOST="$BENCH_PGPOOL_HOST" PGPORT="$BENCH_PGPOOL_PORT" "${PGB[@]}" -S -M "$m"
			fi
		done
		if [ "$MY" = 1 ]; then
			for t in oltp_point_select oltp_read_only; do
				tput "sysbench_$t" direct "$r" client "${SB[@]}" "$t" run
				tput "sysbench_$t" l1 "$r" client env CAPACITOR_DIR="${TD[$t]}" LD_PRELOAD="$LIB" "${SB[@]}" "$t" run
			done
		fi
	done
	if [ "$PGPOOL" = 1 ]; then
		read -r ph ps < <(bench_pgpool_hits)
		put "verify name=pgpool_query_cache_after_pgbench hits=${ph:-0} selects=${ps:-0}"
	fi
fi

if want scaling; then
	say "scaling: hits/s of 1, 2, 4 threads and 1, 2, 4 processes, ${SCALE_SECS}s each, unpinned"
	scale_procs() { # scale_procs P MODE ROUND [ENV...] - P one-thread processes at once, summed
		local p=$1 mode=$2 r=$3 i pids=() sum=0 ok=1 q
		shift 3
		for i in $(seq "$p"); do
			env "$@" timeout --foreground -k 5 "$TMO" "$BUILD/bench/bench_pq_scale" 1 "$SCALE_SECS" >"$WORK/scale.$i" 2>>"$WORK/scale.err" &
			pids+=($!)
		done
		for i in "${pids[@]}"; do
			wait "$i" || { [ $? -ne 130 ] || : >"$INTR"; ok=0; }
		done
		interrupted
		for i in $(seq "$p"); do
			q=$(sed -n 's/.* qps=\([0-9.]*\).*/\1/p' "$WORK/scale.$i")
			[ -n "$q" ] || ok=0
			sum=$(awk -v a="$sum" -v b="${q:-0}" 'BEGIN { print a + b }')
		done
		if [ "$ok" = 1 ]; then put "scale kind=processes n=$p mode=$mode qps=$sum round=$r"; else warn "scaling $p processes $mode failed"; fi
	}
	for r in $(seq "$ROUNDS"); do
		for mode in direct l1; do
			envs=()
			if [ "$mode" = l1 ]; then d=$(capdir); envs=(CAPACITOR_DIR="$d" LD_PRELOAD="$LIB"); fi
			for t in 1 2 4; do
				out=$(bounded env "${envs[@]}" "$BUILD/bench/bench_pq_scale" "$t" "$SCALE_SECS" 2>>"$WORK/scale.err") || true
				interrupted
				q=$(printf '%s\n' "$out" | sed -n 's/.* qps=\([0-9.]*\).*/\1/p')
				if [ -n "$q" ]; then put "scale kind=threads n=$t mode=$mode qps=$q round=$r"; else warn "scaling $t threads $mode failed"; fi
			done
			for p in 1 2 4; do scale_procs "$p" "$mode" "$r" "${envs[@]}"; done
		done
	done
fi

cp "$RAW" "$OUTDIR/raw.txt"
/usr/bin/python3 bench/report.py --raw "$RAW" --params "$WORK/params.txt" \
	--micro "$WORK/micro.txt" --json "$JSON" --charts "$OUTDIR"

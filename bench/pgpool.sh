# shellcheck shell=bash
# bench/pgpool.sh - a throwaway pgpool-II (Debian's pgpool2) with its in-memory query cache in
# front of the fixture's PostgreSQL, for bench/run.sh. Source it after tests/fixture.sh has
# started PostgreSQL (CAP_PG_HOST, CAP_PG_PORT set), then:
#
#     bench_pgpool_start    # exports BENCH_PGPOOL_HOST (socket dir) and BENCH_PGPOOL_PORT
#     bench_pgpool_hits     # prints "hits selects" from SHOW POOL_CACHE
#     bench_pgpool_stop     # stops it by the pid in its pid file; bench/run.sh's exit trap
#                           #   calls it before the fixture's
#
# pgpool-II runs in raw mode (one backend, no replication checks, no health checks) with
# memqcache_method = shmem and no expiry, everything in its own `mktemp -d` directory, on a
# random free port (the fixture's _cap_fx_free_port).
_bench_pgpool_dir=

bench_pgpool_start() {
	command -v pgpool >/dev/null 2>&1 || { echo "bench: pgpool not found (run tools/install-deps)" >&2; return 1; }
	_bench_pgpool_dir=$(mktemp -d /tmp/capacitor-pgpool.XXXXXX) || return 1
	chmod 0755 "$_bench_pgpool_dir"
	local d=$_bench_pgpool_dir port pcp i
	port=$(_cap_fx_free_port) || return 1
	pcp=$(_cap_fx_free_port) || return 1
	mkdir -p "$d/oiddir"
	: >"$d/pool_passwd"
	: >"$d/pcp.conf"
	cat >"$d/pgpool.conf" <<EOF
backend_clustering_mode = 'raw'
listen_addresses = '127.0.0.1'
port = $port
socket_dir = '$d'
pcp_listen_addresses = ''
pcp_port = $pcp
pcp_socket_dir = '$d'
backend_hostname0 = '$CAP_PG_HOST'
backend_port0 = $CAP_PG_PORT
backend_weight0 = 1
backend_flag0 = 'DISALLOW_TO_FAILOVER'
enable_pool_hba = off
pool_passwd = ''
num_init_children = 16
max_pool = 1
child_life_time = 0
connection_life_time = 0
client_idle_limit = 0
health_check_period = 0
sr_check_period = 0
use_watchdog = off
failover_on_backend_error = off
load_balance_mode = off
log_destination = 'stderr'
logging_collector = off
log_min_messages = warning
pid_file_name = '$d/pgpool.pid'
logdir = '$d'
memory_cache_enabled = on
memqcache_method = 'shmem'
memqcache_total_size = 64MB
memqcache_max_num_cache = 100000
memqcache_expire = 0
memqcache_auto_cache_invalidation = on
memqcache_maxcache = 400kB
memqcache_cache_block_size = 1MB
memqcache_oiddir = '$d/oiddir'
EOF
	setsid pgpool -n -f "$d/pgpool.conf" -F "$d/pcp.conf" -a "$d/pool_hba.conf" \
		</dev/null >"$d/pgpool.log" 2>&1 &
	echo $! >"$d/pgpool.launch.pid"
	BENCH_PGPOOL_HOST=$d BENCH_PGPOOL_PORT=$port
	export BENCH_PGPOOL_HOST BENCH_PGPOOL_PORT
	for ((i = 0; i < 300; i++)); do
		if timeout --foreground 5 psql -X -tA -h "$d" -p "$port" -U "$CAP_PG_USER" -d "$CAP_PG_DB" \
			-c 'SELECT 1' >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$(cat "$d/pgpool.launch.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench: pgpool-II did not start:" >&2
	tail -n 20 "$d/pgpool.log" >&2
	return 1
}

# bench_pgpool_hits - "HITS SELECTS" from pgpool-II's own cache statistics.
bench_pgpool_hits() {
	timeout --foreground 10 psql -X -tA -F ' ' -h "$BENCH_PGPOOL_HOST" -p "$BENCH_PGPOOL_PORT" \
		-U "$CAP_PG_USER" -d "$CAP_PG_DB" -c 'SHOW POOL_CACHE' 2>/dev/null |
		awk -F'|' 'NR == 1 { print $1, $2 }' | awk '{ print $1, $2 }'
}

# bench_pgpool_pid - the main process (its pid file is padded with NUL bytes).
bench_pgpool_pid() {
	local pid=
	[ -r "$_bench_pgpool_dir/pgpool.pid" ] && pid=$(tr -d '\0' <"$_bench_pgpool_dir/pgpool.pid" | head -n 1)
	[ -n "$pid" ] || pid=$(cat "$_bench_pgpool_dir/pgpool.launch.pid" 2>/dev/null || true)
	echo "$pid"
}

bench_pgpool_stop() {
	[ -n "$_bench_pgpool_dir" ] || return 0
	local pid=
	pid=$(bench_pgpool_pid)
	# SIGINT is pgpool-II's fast shutdown; the children follow their parent.
	_cap_fx_kill_pid "$pid" INT pgpool
	rm -rf -- "$_bench_pgpool_dir"
	_bench_pgpool_dir=
}

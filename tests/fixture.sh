# shellcheck shell=bash
# fixture.sh - throwaway PostgreSQL and MariaDB servers for tests, `make demo` and `make bench`.
# Source it from bash, then:
#
#     cap_fixture_start_pg        # exports CAP_PG_HOST CAP_PG_PORT CAP_PG_USER CAP_PG_DB,
#                                 #   PGHOST PGPORT PGUSER PGDATABASE, CAP_PG_BIN
#     cap_fixture_start_mariadb   # exports CAP_MY_SOCKET CAP_MY_PORT CAP_MY_USER
#                                 #   CAP_MY_PASSWORD CAP_MY_DB
#     cap_fixture_stop            # stops what this shell started; also runs from the
#                                 #   EXIT/INT/TERM trap the start functions install
#
# Each server lives in its own `mktemp -d` directory under /tmp (data, unix socket, logs,
# pid file) and listens on 127.0.0.1 at a random free port, so two runs at once never collide.
# A port that turns out to be taken at start (a race with another run) is retried with a new
# one. Servers are stopped by the pid in their pid file (signal, wait up to 30 s, SIGKILL),
# never by name, and their directories removed.
#
# PostgreSQL refuses to run as root: when root, initdb and postgres run as `nobody` (setpriv),
# and the temp directory is given to nobody with mode 0755 so root and other users can reach
# the socket. MariaDB runs as the calling user (--user=root when root); root@localhost
# authenticates by unix socket as the calling OS user, and the tests use the account
# cap/cap, which has ALL on the `capacitor` database, over the socket or TCP.
#
# Options (unset: the default servers every test shares):
#     CAP_FIXTURE_PG_CONF="LINES"   appended to postgresql.conf (e.g. "wal_level = logical")
#     CAP_FIXTURE_MY_BINLOG=1       MariaDB with log_bin, binlog_format=ROW and server_id 1
#                                   (instead of --skip-log-bin); the test user cap then also
#                                   gets REPLICATION SLAVE and BINLOG MONITOR
# A test that needs them (t_follow_*) sources this file and starts its own instance.
#
# To use existing servers instead (for debugging, like memcached's T_MEMD_USE_DAEMON):
#     CAP_TEST_USE_PG="HOST PORT [USER [DB]]"     HOST a socket directory or a host name;
#                                                 USER defaults to postgres, DB to capacitor
#     CAP_TEST_USE_MY="SOCKET PORT [USER [PASSWORD [DB]]]"   defaults cap, cap, capacitor
# Nothing is started or stopped then; the `capacitor` database (PostgreSQL) is created if
# missing and the `items` fixture table is (re)loaded. See tests/README.md.

CAP_FIXTURE_PG_VERSION=${CAP_FIXTURE_PG_VERSION:-15}
_cap_fx_pg_dir=
_cap_fx_my_dir=
_cap_fx_trap=0

_cap_fx_log() { echo "fixture: $*" >&2; }

# _cap_fx_free_port - print a random loopback TCP port nobody listens on now.
_cap_fx_free_port() {
	local port i
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if command -v ss >/dev/null 2>&1; then
			[ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ] || continue
		elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			continue
		fi
		echo "$port"
		return 0
	done
	_cap_fx_log "no free TCP port found"
	return 1
}

# _cap_fx_kill_pid PID SIGNAL WHAT - signal, wait up to 30 s, then SIGKILL.
_cap_fx_kill_pid() {
	local pid=$1 sig=$2 what=$3 i
	[ -n "$pid" ] && [ "$pid" -gt 1 ] 2>/dev/null || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	_cap_fx_log "$what (pid $pid) did not stop in 30 s; SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
}

_cap_fx_install_trap() {
	[ "$_cap_fx_trap" = 1 ] && return 0
	_cap_fx_trap=1
	trap 'cap_fixture_stop' EXIT
	trap 'cap_fixture_stop; trap - INT; exit 130' INT
	trap 'cap_fixture_stop; trap - TERM; exit 143' TERM
}

# ---------------------------------------------------------------- PostgreSQL

_cap_fx_pg_as() {
	# Run a command as the unprivileged owner of the cluster.
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$_cap_fx_pg_dir" && setpriv --reuid=nobody --regid=nogroup --init-groups \
			env HOME="$_cap_fx_pg_dir" "$@")
	else
		(cd "$_cap_fx_pg_dir" && "$@")
	fi
}

_cap_fx_pg_sql() {
	# _cap_fx_pg_sql DB SQL... - run SQL as the superuser, quietly, stopping at the first error.
	local db=$1
	shift
	PGOPTIONS="-c client_min_messages=warning" "$CAP_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
		-U "$CAP_PG_USER" -d "$db" "$@" >/dev/null
}

_cap_fx_pg_load() {
	local have
	have=$("$CAP_PG_BIN/psql" -X -tA -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" \
		-d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$CAP_PG_DB'") || return 1
	if [ -z "$have" ]; then
		_cap_fx_pg_sql postgres -c "CREATE DATABASE $CAP_PG_DB" || return 1
	fi
	_cap_fx_pg_sql "$CAP_PG_DB" <<'SQL'
DROP TABLE IF EXISTS items;
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2), qty int);
INSERT INTO items
SELECT i, 'item ' || i, round((i * 1.25)::numeric, 2), i % 7
FROM generate_series(1, 100) AS i;
ANALYZE items;
SQL
}

_cap_fx_pg_export() {
	export CAP_PG_BIN CAP_PG_HOST CAP_PG_PORT CAP_PG_USER CAP_PG_DB
	export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
}

_cap_fx_pg_find_bin() {
	local d
	CAP_PG_BIN=/usr/lib/postgresql/$CAP_FIXTURE_PG_VERSION/bin
	[ -x "$CAP_PG_BIN/postgres" ] && return 0
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/postgres" ]; then
			CAP_PG_BIN=$d
			return 0
		fi
	done
	_cap_fx_log "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (run tools/install-deps)"
	return 1
}

cap_fixture_start_pg() {
	_cap_fx_pg_find_bin || return 1
	if [ -n "${CAP_TEST_USE_PG:-}" ]; then
		local h p u d
		read -r h p u d <<<"$CAP_TEST_USE_PG"
		CAP_PG_HOST=$h CAP_PG_PORT=${p:-5432} CAP_PG_USER=${u:-postgres} CAP_PG_DB=${d:-capacitor}
		_cap_fx_pg_export
		_cap_fx_pg_load || { _cap_fx_log "cannot prepare database $CAP_PG_DB on $CAP_TEST_USE_PG"; return 1; }
		return 0
	fi
	[ -z "$_cap_fx_pg_dir" ] || { _cap_fx_log "PostgreSQL already started"; return 0; }
	_cap_fx_install_trap
	_cap_fx_pg_dir=$(mktemp -d /tmp/capacitor-pg.XXXXXX) || return 1
	chmod 0755 "$_cap_fx_pg_dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody:nogroup "$_cap_fx_pg_dir"
	fi
	local data=$_cap_fx_pg_dir/data log=$_cap_fx_pg_dir/postgres.log
	if ! _cap_fx_pg_as "$CAP_PG_BIN/initdb" -D "$data" -U postgres --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 --no-sync >"$_cap_fx_pg_dir/initdb.log" 2>&1; then
		_cap_fx_log "initdb failed:"
		tail -n 20 "$_cap_fx_pg_dir/initdb.log" >&2
		return 1
	fi
	_cap_fx_pg_as sh -c "cat >> '$data/postgresql.conf'" <<EOF
# capacitor test fixture
listen_addresses = '127.0.0.1'
unix_socket_directories = '$_cap_fx_pg_dir'
unix_socket_permissions = 0777
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
log_min_messages = warning
${CAP_FIXTURE_PG_CONF:-}
EOF
	local try port ok=0
	for ((try = 0; try < 5; try++)); do
		port=$(_cap_fx_free_port) || return 1
		if _cap_fx_pg_as "$CAP_PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 \
			-o "-p $port" start >"$_cap_fx_pg_dir/pg_ctl.log" 2>&1; then
			ok=1
			break
		fi
		# pg_ctl gave up: make sure no postmaster is left behind.
		[ -r "$data/postmaster.pid" ] && _cap_fx_kill_pid "$(head -n 1 "$data/postmaster.pid")" INT postgres
		# A port taken between the check and the bind: try another one.
		grep -q 'already in use' "$log" 2>/dev/null || break
	done
	if [ "$ok" != 1 ]; then
		_cap_fx_log "PostgreSQL did not start:"
		tail -n 20 "$log" "$_cap_fx_pg_dir/pg_ctl.log" >&2 2>/dev/null
		return 1
	fi
	CAP_PG_HOST=$_cap_fx_pg_dir CAP_PG_PORT=$port CAP_PG_USER=postgres CAP_PG_DB=capacitor
	_cap_fx_pg_export
	local i
	for ((i = 0; i < 300; i++)); do
		"$CAP_PG_BIN/pg_isready" -q -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" && break
		sleep 0.1
	done
	if ! "$CAP_PG_BIN/pg_isready" -q -h "$CAP_PG_HOST" -p "$CAP_PG_PORT"; then
		_cap_fx_log "PostgreSQL does not accept connections"
		return 1
	fi
	_cap_fx_pg_load || { _cap_fx_log "loading the PostgreSQL fixture failed"; return 1; }
	_cap_fx_log "PostgreSQL $("$CAP_PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$CAP_PG_PORT, socket dir $CAP_PG_HOST"
}

_cap_fx_pg_stop() {
	[ -n "$_cap_fx_pg_dir" ] || return 0
	local pid=
	[ -r "$_cap_fx_pg_dir/data/postmaster.pid" ] && pid=$(head -n 1 "$_cap_fx_pg_dir/data/postmaster.pid")
	# SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
	_cap_fx_kill_pid "$pid" INT postgres
	if [ "${CAP_FIXTURE_KEEP:-0}" = 1 ]; then
		_cap_fx_log "kept $_cap_fx_pg_dir"
	else
		rm -rf -- "$_cap_fx_pg_dir"
	fi
	_cap_fx_pg_dir=
}

# ---------------------------------------------------------------- MariaDB

_cap_fx_my_admin_sql() {
	# Run SQL as root over the fixture's socket (root authenticates by unix socket).
	mariadb --no-defaults -uroot -S "$_cap_fx_my_dir/mysql.sock" "$@"
}

_cap_fx_my_load() {
	# _cap_fx_my_load - create the fixture table as the test user.
	mariadb --no-defaults -u"$CAP_MY_USER" -p"$CAP_MY_PASSWORD" -S "$CAP_MY_SOCKET" "$CAP_MY_DB" <<'SQL'
DROP TABLE IF EXISTS items;
CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL, price DECIMAL(10,2), qty INT)
  ENGINE=InnoDB;
INSERT INTO items
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100)
SELECT i, CONCAT('item ', i), ROUND(i * 1.25, 2), i % 7 FROM s;
SQL
}

_cap_fx_my_export() {
	export CAP_MY_SOCKET CAP_MY_PORT CAP_MY_USER CAP_MY_PASSWORD CAP_MY_DB
}

cap_fixture_start_mariadb() {
	local mariadbd
	mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	if [ -n "${CAP_TEST_USE_MY:-}" ]; then
		local s p u pw d
		read -r s p u pw d <<<"$CAP_TEST_USE_MY"
		CAP_MY_SOCKET=$s CAP_MY_PORT=${p:-3306} CAP_MY_USER=${u:-cap} CAP_MY_PASSWORD=${pw:-cap}
		CAP_MY_DB=${d:-capacitor}
		_cap_fx_my_export
		_cap_fx_my_load || { _cap_fx_log "cannot prepare database $CAP_MY_DB on $CAP_TEST_USE_MY"; return 1; }
		return 0
	fi
	[ -x "$mariadbd" ] || { _cap_fx_log "mariadbd not found (run tools/install-deps)"; return 1; }
	[ -z "$_cap_fx_my_dir" ] || { _cap_fx_log "MariaDB already started"; return 0; }
	_cap_fx_install_trap
	_cap_fx_my_dir=$(mktemp -d /tmp/capacitor-my.XXXXXX) || return 1
	chmod 0755 "$_cap_fx_my_dir"
	local me user_opt=()
	me=$(id -un)
	[ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
	if ! mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$_cap_fx_my_dir/data" \
		--auth-root-authentication-method=socket --auth-root-socket-user="$me" \
		--skip-test-db --skip-name-resolve >"$_cap_fx_my_dir/install.log" 2>&1; then
		_cap_fx_log "mariadb-install-db failed:"
		tail -n 20 "$_cap_fx_my_dir/install.log" >&2
		return 1
	fi
	local try port ok=0 log=$_cap_fx_my_dir/error.log
	for ((try = 0; try < 5; try++)); do
		port=$(_cap_fx_free_port) || return 1
		_cap_fx_my_launch "$port" && { ok=1; break; }
		grep -qiE 'address already in use|bind on tcp/ip port' "$log" 2>/dev/null || break
	done
	if [ "$ok" != 1 ]; then
		_cap_fx_log "MariaDB did not start:"
		tail -n 20 "$log" >&2
		return 1
	fi
	CAP_MY_SOCKET=$_cap_fx_my_dir/mysql.sock CAP_MY_PORT=$port CAP_MY_USER=cap
	CAP_MY_PASSWORD=cap CAP_MY_DB=capacitor
	_cap_fx_my_export
	if ! _cap_fx_my_admin_sql <<SQL; then
CREATE DATABASE IF NOT EXISTS capacitor;
CREATE USER IF NOT EXISTS 'cap'@'localhost' IDENTIFIED BY 'cap';
CREATE USER IF NOT EXISTS 'cap'@'127.0.0.1' IDENTIFIED BY 'cap';
GRANT ALL ON capacitor.* TO 'cap'@'localhost';
GRANT ALL ON capacitor.* TO 'cap'@'127.0.0.1';
$([ "${CAP_FIXTURE_MY_BINLOG:-0}" = 1 ] && echo "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cap'@'localhost', 'cap'@'127.0.0.1';")
FLUSH PRIVILEGES;
SQL
		_cap_fx_log "creating the MariaDB database and user failed"
		return 1
	fi
	_cap_fx_my_load || { _cap_fx_log "loading the MariaDB fixture failed"; return 1; }
	_cap_fx_log "MariaDB $("$mariadbd" --version | awk '{print $3}') on 127.0.0.1:$CAP_MY_PORT, socket $CAP_MY_SOCKET"
}

# _cap_fx_my_launch PORT - start mariadbd on the fixture's directory and PORT; 0 once it
# answers (a test may stop it and start it again on the same port: t_mysql_restore).
_cap_fx_my_launch() {
	local port=$1 mariadbd pid i user_opt=() log=$_cap_fx_my_dir/error.log binlog=(--skip-log-bin)
	mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	[ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
	[ "${CAP_FIXTURE_MY_BINLOG:-0}" = 1 ] &&
		binlog=(--log-bin="$_cap_fx_my_dir/data/binlog" --binlog-format=ROW --server-id=1
			--log-bin-trust-function-creators=1)
	: >"$log"
	setsid "$mariadbd" --no-defaults "${user_opt[@]}" \
		--datadir="$_cap_fx_my_dir/data" --socket="$_cap_fx_my_dir/mysql.sock" \
		--pid-file="$_cap_fx_my_dir/mysqld.pid" --log-error="$log" \
		--tmpdir="$_cap_fx_my_dir" --skip-networking=0 --bind-address=127.0.0.1 \
		--port="$port" --skip-name-resolve "${binlog[@]}" --max-connections=300 \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
		--innodb-flush-log-at-trx-commit=2 --innodb-use-native-aio=0 \
		--innodb-doublewrite=0 --character-set-server=utf8mb4 \
		--query-cache-type=2 --query-cache-size=0 \
		</dev/null >>"$_cap_fx_my_dir/mariadbd.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		mariadb-admin --no-defaults -uroot -S "$_cap_fx_my_dir/mysql.sock" \
			--connect-timeout=2 ping >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	_cap_fx_kill_pid "$pid" TERM mariadbd
	return 1
}

_cap_fx_my_stop() {
	[ -n "$_cap_fx_my_dir" ] || return 0
	local pid=
	[ -r "$_cap_fx_my_dir/mysqld.pid" ] && pid=$(head -n 1 "$_cap_fx_my_dir/mysqld.pid")
	_cap_fx_kill_pid "$pid" TERM mariadbd
	if [ "${CAP_FIXTURE_KEEP:-0}" = 1 ]; then
		_cap_fx_log "kept $_cap_fx_my_dir"
	else
		rm -rf -- "$_cap_fx_my_dir"
	fi
	_cap_fx_my_dir=
}

cap_fixture_stop() {
	_cap_fx_pg_stop
	_cap_fx_my_stop
}

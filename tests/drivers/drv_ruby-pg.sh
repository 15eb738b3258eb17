# shellcheck shell=bash disable=SC2034 # DRV_* are read by run.sh
# Ruby pg (ruby-pg 1.4.5): its spec/, upstream tag v1.4.5, run by rspec. Its helpers start a
# PostgreSQL of their own (initdb, SSL certificates, a TCP port on localhost: PGPORT, a free
# one) in the suite's copy and stop it at the end, so the suite runs as nobody (PostgreSQL
# refuses root), with PostgreSQL 15's programs first in PATH, in the order the files define
# (its helpers pick a random order otherwise).
DRV_SERVER=own
DRV_RUN_AS=nobody

drv_run() {
	local work=$1 out=$2
	unset PGHOST PGUSER PGDATABASE PGPASSWORD
	PGPORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export PGPORT PATH=/usr/lib/postgresql/15/bin:$PATH HOME=$work
	cd "$work" || return 1
	rspec --order defined --format progress --format json --out "$out/rspec.json" spec
}

# drv_cleanup - stop the suite's server if it outlived the run (a timeout), by its pid file.
drv_cleanup() {
	local pidf=$1/tmp_test_specs/data/postmaster.pid pid
	[ -e "$pidf" ] || return 0
	pid=$(head -n 1 "$pidf")
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

drv_outcomes() {
	/usr/bin/python3 "$CAP_ROOT/tests/drivers/rspec_outcomes.py" "$1/rspec.json"
}

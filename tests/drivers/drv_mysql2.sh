# shellcheck shell=bash disable=SC2034,SC2209 # DRV_* are read by run.sh
# Ruby mysql2 (ruby-mysql2 0.5.3): its spec/, upstream tag 0.5.3, run by rspec against the
# fixture's MariaDB over its Unix socket (spec/configuration.yml written per run). Not copied:
# spec/em (EventMachine, not packaged with the driver) and rcov.opts.
DRV_SERVER=my
# its specs say USE test
DRV_DBNAME=test
DRV_TIMEOUT=300

drv_run() {
	local work=$1 out=$2
	cat >"$work/spec/configuration.yml" <<YML
root:
  socket: $CAP_MY_SOCKET
  username: $DRV_USER
  password: $DRV_PASSWORD
  database: $DRV_DB

user:
  socket: $CAP_MY_SOCKET
  username: $DRV_USER
  password: $DRV_PASSWORD
  database: $DRV_DB
YML
	cd "$work" || return 1
	rspec --order defined --format progress --format json --out "$out/rspec.json" spec/mysql2
}

drv_outcomes() {
	/usr/bin/python3 "$CAP_ROOT/tests/drivers/rspec_outcomes.py" "$1/rspec.json"
}

# shellcheck shell=bash disable=SC2034 # DRV_* are read by run.sh
# MySQLdb (python3-mysqldb 1.4.6, mysqlclient): its tests/, upstream tag v1.4.6, run by pytest
# against the fixture's MariaDB over its Unix socket (an option file named by TESTDB).
DRV_SERVER=my

drv_run() {
	local work=$1 out=$2
	cat >"$out/test.cnf" <<CNF
[MySQLdb-tests]
socket = $CAP_MY_SOCKET
user = $DRV_USER
password = $DRV_PASSWORD
database = $DRV_DB
default-character-set = utf8mb4
CNF
	export TESTDB=$out/test.cnf
	cd "$work" || return 1
	/usr/bin/python3 -m pytest -p no:cacheprovider -q -rA --junitxml="$out/junit.xml" tests
}

drv_outcomes() {
	/usr/bin/python3 "$CAP_ROOT/tests/drivers/junit_outcomes.py" "$1/junit.xml"
}

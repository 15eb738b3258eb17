# shellcheck shell=bash disable=SC2034 # DRV_* are read by run.sh
# psycopg2 (python3-psycopg2 2.9.5): its tests/ (unittest cases), upstream tag 2_9_5, run by
# pytest against the fixture's PostgreSQL. Replication tests stay off (they need a
# replication connection; psycopg2 skips them without PSYCOPG2_TEST_REPL_DSN).
DRV_SERVER=pg

drv_run() {
	local work=$1 out=$2
	export PSYCOPG2_TESTDB=$DRV_DB PSYCOPG2_TESTDB_HOST=$CAP_PG_HOST
	export PSYCOPG2_TESTDB_PORT=$CAP_PG_PORT PSYCOPG2_TESTDB_USER=$DRV_USER
	cd "$work" || return 1
	/usr/bin/python3 -m pytest -p no:cacheprovider -q -rA --junitxml="$out/junit.xml" tests
}

drv_outcomes() {
	/usr/bin/python3 "$CAP_ROOT/tests/drivers/junit_outcomes.py" "$1/junit.xml"
}

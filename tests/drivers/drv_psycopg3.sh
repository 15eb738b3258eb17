# shellcheck shell=bash disable=SC2034 # DRV_* are read by run.sh
# psycopg 3 (python3-psycopg 3.1.7, its pure-Python implementation over ctypes): its tests/,
# upstream tag 3.1.7, run by pytest with the options of its pyproject.toml (asyncio_mode=auto,
# warnings are errors) against the fixture's PostgreSQL. Not copied: tests/crdb (CockroachDB
# only). Tests marked slow or timing (sleeps, timing thresholds) are deselected: with them one
# run takes a quarter of an hour. Tests that need what Debian lacks (pproxy, mypy) skip.
DRV_SERVER=pg

drv_run() {
	local work=$1 out=$2
	export PSYCOPG_TEST_DSN="host=$CAP_PG_HOST port=$CAP_PG_PORT user=$DRV_USER dbname=$DRV_DB"
	cd "$work" || return 1
	/usr/bin/python3 -m pytest -q -rA -o asyncio_mode=auto -W error -p no:randomly -m "not slow and not timing" \
		--junitxml="$out/junit.xml" tests
}

drv_outcomes() {
	/usr/bin/python3 "$CAP_ROOT/tests/drivers/junit_outcomes.py" "$1/junit.xml"
}

# shellcheck shell=bash disable=SC2034 # DRV_* are read by run.sh
# DBD::Pg (libdbd-pg-perl 3.16.0): its t/*.t, upstream tag 3.16.0, against the fixture's
# PostgreSQL. The files that check the source distribution (signature, release notes, POD,
# spelling, perlcritic) are left out: they test no driver behaviour.
DRV_SERVER=pg

drv_run() {
	local work=$1 out=$2 t name
	export DBI_DSN="dbi:Pg:dbname=$DRV_DB;host=$CAP_PG_HOST;port=$CAP_PG_PORT" DBI_USER=$DRV_USER
	export DBI_PASS='' PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT
	cd "$work" || return 1
	for t in t/*.t; do
		name=${t#t/}
		name=${name%.t}
		timeout -k 5 300 perl "$t" >"$out/$name.tap" 2>"$out/$name.err"
		echo "$?" >"$out/$name.rc"
	done
}

drv_outcomes() {
	perl "$CAP_ROOT/tests/drivers/tap_outcomes.pl" "$1"
}

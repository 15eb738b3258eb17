# shellcheck shell=bash disable=SC2034 # DRV_* are read by run.sh
# DBD::MariaDB (libdbd-mariadb-perl 1.22): its t/*.t, upstream tag 1.22, against the
# fixture's MariaDB over its Unix socket, as a user with every right (some tests create
# databases and procedures).
DRV_SERVER=my

drv_run() {
	local work=$1 out=$2 t name
	export DBI_DSN="DBI:MariaDB:database=$DRV_DB;mariadb_socket=$CAP_MY_SOCKET"
	export DBI_USER=$DRV_USER DBI_PASS=$DRV_PASSWORD
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

#!/bin/bash
# t_mysql_creds.sh - Capacitor's catalog connection logs in with the program connection's user
# and password: once they may have changed (the program's SET PASSWORD, or a login refused
# after an admin changed them) it never logs in with them again, so a server with
# max_password_errors never blocks the account, and the program's output is unchanged.
. "$(dirname "$0")/lib.sh"
cap_need_my
client=$CAP_BUILD/clients/my_session
[ -x "$client" ] || fail "$client not built (make clients)"
root_sql() { mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" "$@"; }
root_sql -e "SELECT 1" >/dev/null 2>&1 || skip "no root access to the fixture server to create a user"
old_max=$(root_sql -N -e "SELECT @@global.max_password_errors")
restore() {
	root_sql -e "SET GLOBAL max_password_errors = $old_max; DROP USER IF EXISTS 'cap_pw'@'localhost'" \
		>/dev/null 2>&1
	_cap_cleanup
}
trap restore EXIT
root_sql <<SQL
DROP USER IF EXISTS 'cap_pw'@'localhost';
CREATE USER 'cap_pw'@'localhost' IDENTIFIED BY 'old';
GRANT ALL ON $CAP_MY_DB.* TO 'cap_pw'@'localhost';
SET GLOBAL max_password_errors = 3;
SQL
denied() { root_sql -N -e "SHOW GLOBAL STATUS LIKE 'Access_denied_errors'" | awk '{print $2}'; }
login() { # login PASSWORD - a new login of cap_pw, as another client would
	mariadb --no-defaults -ucap_pw -p"$1" -S "$CAP_MY_SOCKET" "$CAP_MY_DB" -N -e "SELECT 'login ok'" 2>&1
}
ddl_reads() { # DDL (the catalog loads again) and a read, N times, a second apart
	for i in $(seq "$1"); do
		printf 'q CREATE TABLE cpw_t (a INT)\nq SELECT name FROM items WHERE id = 1\n'
		printf 'q DROP TABLE cpw_t\nq SELECT name FROM items WHERE id = 1\nq DO SLEEP(1)\n'
	done
}
run() { # run PRELOAD - the script on stdin as cap_pw with password old
	env LD_PRELOAD="$1" MY_SESS_USER=cap_pw MY_SESS_PASSWORD=old timeout -k 5 60 "$client" 2>&1
}

# 1. the program changes its own password (SET PASSWORD through Capacitor)
script=$({
	echo "q SELECT name FROM items WHERE id = 1"
	echo "q SELECT name FROM items WHERE id = 1"
	echo "q SET PASSWORD = PASSWORD('new')"
	ddl_reads 3
})
want=$(printf '%s\n' "$script" | run "")
root_sql -e "ALTER USER 'cap_pw'@'localhost' IDENTIFIED BY 'old'"
d0=$(denied)
got=$(printf '%s\n' "$script" | run "$CAP_PRELOAD")
d1=$(denied)
assert_eq "self: output" "$want" "$got"
assert_eq "self: logins refused" "0" "$((d1 - d0))"
assert_eq "self: a new login" "login ok" "$(login new)"
echo "ok: the program's own SET PASSWORD"

# 2. an admin changes the password while the program runs: at most one refused login
root_sql -e "ALTER USER 'cap_pw'@'localhost' IDENTIFIED BY 'old'"
script=$({
	echo "q SELECT name FROM items WHERE id = 1"
	echo "q DO SLEEP(2)"
	ddl_reads 8
})
want=$( (sleep 1; root_sql -e "ALTER USER 'cap_pw'@'localhost' IDENTIFIED BY 'new2'") &
	printf '%s\n' "$script" | run ""; wait)
root_sql -e "ALTER USER 'cap_pw'@'localhost' IDENTIFIED BY 'old'"
d0=$(denied)
got=$( (sleep 1; root_sql -e "ALTER USER 'cap_pw'@'localhost' IDENTIFIED BY 'new2'") &
	printf '%s\n' "$script" | run "$CAP_PRELOAD"; wait)
d1=$(denied)
assert_eq "admin: output" "$want" "$got"
[ $((d1 - d0)) -le 1 ] || fail "admin: $((d1 - d0)) logins refused (at most 1 expected)"
assert_eq "admin: a new login" "login ok" "$(login new2)"
echo "ok: a password changed by an admin"

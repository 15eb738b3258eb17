#!/bin/bash
# t_mysql_users.sh - two MariaDB users with different grants never see each other's cached
# results: a user without access gets the server's error, not the other user's cached rows.
. "$(dirname "$0")/lib.sh"
cap_need_my
api=$CAP_BUILD/clients/my_api
root_sql() { mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" "$@"; }
root_sql -e "SELECT 1" >/dev/null 2>&1 || skip "no root access to the fixture server to create a second user"
cap_my_sql <<'SQL'
DROP TABLE IF EXISTS u_secret, u_pub;
CREATE TABLE u_secret (id INT PRIMARY KEY, s VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO u_secret VALUES (1, 'top secret');
CREATE TABLE u_pub (id INT PRIMARY KEY, s VARCHAR(20), hidden VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO u_pub VALUES (1, 'public', 'column secret');
SQL
root_sql <<SQL
DROP USER IF EXISTS 'cap_ro'@'localhost';
CREATE USER 'cap_ro'@'localhost' IDENTIFIED BY 'ro';
GRANT SELECT (id, s) ON $CAP_MY_DB.u_pub TO 'cap_ro'@'localhost';
SQL
run_cap() { LD_PRELOAD=$(cap_preload) "$api" exec "$@"; }
run_ro() { CAP_MY_USER=cap_ro CAP_MY_PASSWORD=ro LD_PRELOAD=$(cap_preload) "$api" exec "$@"; }
for i in 1 2; do
	assert_eq "cap reads the secret ($i)" "top secret" "$(run_cap "SELECT s FROM u_secret WHERE id = 1")"
	assert_eq "cap reads the hidden column ($i)" "column secret" "$(run_cap "SELECT hidden FROM u_pub WHERE id = 1")"
	assert_eq "cap reads u_pub ($i)" "public" "$(run_cap "SELECT s FROM u_pub WHERE id = 1")"
done
out=$(run_ro "SELECT s FROM u_secret WHERE id = 1" 2>&1) && fail "cap_ro read u_secret: $out"
echo "$out" | grep -qi "denied" || fail "cap_ro: expected access denied, got: $out"
out=$(run_ro "SELECT hidden FROM u_pub WHERE id = 1" 2>&1) && fail "cap_ro read the hidden column: $out"
for i in 1 2; do
	assert_eq "cap_ro reads u_pub ($i)" "public" "$(run_ro "SELECT s FROM u_pub WHERE id = 1")"
done
hits=$("$CAP_TOOL" stats --json | sed -n 's/.*"hits":\([0-9]*\).*/\1/p')
[ "${hits:-0}" -ge 4 ] || fail "expected hits for both users, got ${hits:-none}"
root_sql -e "DROP USER 'cap_ro'@'localhost'"
echo ok

#!/bin/bash
# t_mysql_global - SET GLOBAL through Capacitor of a global-only variable that changes results
# (ft_boolean_syntax: what MATCH ... AGAINST (... IN BOOLEAN MODE) returns) is seen by the
# sessions already open, which read it at once from the server, as without Capacitor: the
# statement counts as a write of the whole server (attack round 6, my-3: open sessions kept
# the row cached under the old syntax). MySQLdb, three connections in one program.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_my
/usr/bin/python3 -c 'import MySQLdb' 2>/dev/null || skip "python3-mysqldb not installed"
d=$(cap_tmpdir)
root() { mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" "$@"; }
trap 'root -e "SET GLOBAL ft_boolean_syntax = DEFAULT" 2>/dev/null; _cap_cleanup' EXIT
setup() {
	root <<SQL
SET GLOBAL ft_boolean_syntax = DEFAULT;
DROP USER IF EXISTS 'capft'@'localhost';
CREATE USER 'capft'@'localhost' IDENTIFIED BY 'capft';
GRANT SUPER, SELECT ON *.* TO 'capft'@'localhost';
DROP TABLE IF EXISTS \`$CAP_MY_DB\`.ft;
CREATE TABLE \`$CAP_MY_DB\`.ft (id INT PRIMARY KEY, t TEXT, FULLTEXT(t)) ENGINE=MyISAM;
INSERT INTO \`$CAP_MY_DB\`.ft VALUES (1,'apple pie'),(2,'banana split'),(3,'apple banana smoothie'),
	(4,'cherry tart'),(5,'grape juice'),(6,'melon'),(7,'kiwi'),(8,'lemon');
SQL
}
cat >"$d/global.py" <<'PY'
import os, MySQLdb
def conn(user, pw):
    return MySQLdb.connect(unix_socket=os.environ["CAP_MY_SOCKET"], user=user, passwd=pw,
                           db=os.environ["CAP_MY_DB"], autocommit=True)
q = "SELECT id FROM ft WHERE MATCH(t) AGAINST('+apple -banana' IN BOOLEAN MODE) ORDER BY id"
reader, admin = conn(os.environ["CAP_MY_USER"], os.environ["CAP_MY_PASSWORD"]), conn("capft", "capft")
def read(c, what):
    cur = c.cursor()
    cur.execute(q)
    print(what, [r[0] for r in cur.fetchall()])
read(reader, "before")
read(reader, "before, again")
admin.cursor().execute("SET GLOBAL ft_boolean_syntax = '- +><()~*:\"\"&|'")
read(reader, "open session after SET GLOBAL")
read(conn(os.environ["CAP_MY_USER"], os.environ["CAP_MY_PASSWORD"]), "new session")
PY
export CAP_MY_SOCKET CAP_MY_USER CAP_MY_PASSWORD CAP_MY_DB
for mode in off on; do
	setup
	pre=(env)
	[ $mode = off ] || pre=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
	CAPACITOR_DIR=$d/cap.$mode "${pre[@]}" /usr/bin/python3 "$d/global.py" >"$d/$mode" 2>&1 ||
		fail "the program failed ($mode): $(cat "$d/$mode")"
done
diff -u "$d/off" "$d/on" >&2 || fail "output differs from the run without Capacitor"
h=$(CAPACITOR_DIR=$d/cap.on "$CAP_TOOL" stats 2>/dev/null | awk '$1 == "hits" { print $2 }')
[ "${h:-0}" -gt 0 ] || fail "no hits: the reads were not cached"
echo "ok: SET GLOBAL is seen by the open sessions"

#!/bin/bash
# t_mysql_dlsym - a Connector/C program that loads libmariadb itself (dlopen RTLD_LOCAL) and
# takes its functions with dlsym and dlvsym (tests/clients/dl_my) is served: the same output
# without the library, with it off, cold and warm; its repeated reads are hits; a write is seen
# by the next read; the lookups are counted as dlsym_redirects.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_my
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/dl_my
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)

failures=0
for mode in off enable0 cold warm; do
	# reset through the library, so that it invalidates what earlier runs cached
	env LD_PRELOAD="$(cap_preload)" /usr/bin/python3 - <<'PY'
import os, MySQLdb
c = MySQLdb.connect(unix_socket=os.environ["CAP_MY_SOCKET"], user=os.environ["CAP_MY_USER"],
                    passwd=os.environ["CAP_MY_PASSWORD"], db=os.environ["CAP_MY_DB"],
                    autocommit=True)
cur = c.cursor()
cur.execute("DROP TABLE IF EXISTS dl_my_t")
cur.execute("CREATE TABLE dl_my_t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
cur.execute("INSERT INTO dl_my_t VALUES (1, 10), (2, 20), (3, NULL)")
c.close()
PY
	rc=0
	case $mode in
	off) env -u LD_PRELOAD "$client" >"$d/$mode" 2>&1 || rc=$? ;;
	enable0) env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=0 "$client" >"$d/$mode" 2>&1 || rc=$? ;;
	*) env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" >"$d/$mode" 2>&1 || rc=$? ;;
	esac
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $mode: exit $rc: $(tail -n 3 "$d/$mode")"
		failures=$((failures + 1))
	elif [ "$mode" != off ] && ! cmp -s "$d/off" "$d/$mode"; then
		echo "FAIL $mode: output differs from the run without the library:"
		diff -u "$d/off" "$d/$mode" | head -n 30 | sed 's/^/    /' || true
		failures=$((failures + 1))
	else
		echo "ok   $mode ($(wc -l <"$d/$mode") lines)"
	fi
done
[ "$failures" -eq 0 ] || fail "$failures run(s) failed"

stat() {
	"$CAP_TOOL" stats --json | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" | head -n 1
}
hits=$(stat hits)
redirects=$(stat dlsym_redirects)
echo "hits=$hits dlsym_redirects=$redirects"
[ "${hits:-0}" -gt 0 ] || fail "no hits: the program's calls did not reach Capacitor"
[ "${redirects:-0}" -gt 0 ] || fail "no dlsym redirections counted"
echo "ok"

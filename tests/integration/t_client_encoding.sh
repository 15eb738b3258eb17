#!/bin/bash
# t_client_encoding - statements in a client character set whose two-byte characters may end
# in an ASCII byte (Shift-JIS, Big5, GBK: SJIS 0x95 0x5C is one kanji whose second byte is a
# backslash to a byte-wise reader) are read as the server reads them: a byte-wise lexer would
# take that byte for an escape, end a string or a dollar-quote tag elsewhere, and miss the
# UPDATE, the volatile function or the sequence behind it (attack round 6, pg-1). Such text,
# unless pure ASCII, counts as unknown: not cached, a write of the whole database.
# PostgreSQL through psql (PGCLIENTENCODING=SJIS), MariaDB through MySQLdb (charset sjis).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
PSQL="$CAP_PG_BIN/psql -X"
K=$(printf '\x95\x5c') # one SJIS character
QA="SELECT E'$K' AS a; UPDATE enc_t SET v = v + 1; SELECT 1 AS b --'"
QB="SELECT E'$K' AS x, enc_bump() AS newv --'"
QC="SELECT E'$K' AS x, nextval('enc_sq') AS n --'"
QD="SELECT \$$K\$'\$$K\$ AS a; UPDATE enc_t SET v = v + 100; SELECT '1' AS b --'"
pg_run() { # PRELOAD: prints what the program reads
	export CAPACITOR_DIR=$d/cap.$1
	local pre=(env)
	[ "$1" = on ] && pre=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
	env -u LD_PRELOAD $PSQL -q -c "DROP TABLE IF EXISTS enc_t; DROP SEQUENCE IF EXISTS enc_sq;
		CREATE TABLE enc_t (v int); INSERT INTO enc_t VALUES (1); CREATE SEQUENCE enc_sq;
		CREATE OR REPLACE FUNCTION enc_bump() RETURNS int LANGUAGE sql VOLATILE
		AS 'UPDATE enc_t SET v = v + 1 RETURNING v'" 2>/dev/null
	"${pre[@]}" $PSQL -tAq -c "SELECT v FROM enc_t" -c "SELECT v FROM enc_t"
	PGCLIENTENCODING=SJIS "${pre[@]}" $PSQL -tAq -c "$QA" >/dev/null
	"${pre[@]}" $PSQL -tAq -c "SELECT v FROM enc_t"
	PGCLIENTENCODING=SJIS "${pre[@]}" $PSQL -tAq -c "$QB" -c "$QB" -c "$QB" | cut -d'|' -f2
	PGCLIENTENCODING=SJIS "${pre[@]}" $PSQL -tAq -c "$QC" -c "$QC" -c "$QC" | cut -d'|' -f2
	PGCLIENTENCODING=SJIS "${pre[@]}" $PSQL -tAq -c "$QD" >/dev/null
	"${pre[@]}" $PSQL -tAq -c "SELECT v FROM enc_t"
	# pure ASCII text reads the same in every encoding: still cached
	PGCLIENTENCODING=SJIS "${pre[@]}" $PSQL -tAq -c "SELECT v FROM enc_t" -c "SELECT v FROM enc_t"
}
pg_run off >"$d/pg.off" 2>&1
pg_run on >"$d/pg.on" 2>&1
diff -u "$d/pg.off" "$d/pg.on" >&2 || fail "PostgreSQL, SJIS: output differs from the run without Capacitor"
hits=$(CAPACITOR_DIR=$d/cap.on "$CAP_TOOL" stats --json 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("hits", 0))' 2>/dev/null || echo 0)
[ "${hits:-0}" -gt 0 ] || fail "PostgreSQL: no hits at all (the reads should be cached)"

if [ -n "${CAP_MY_PORT:-}" ] && /usr/bin/python3 -c 'import MySQLdb' 2>/dev/null; then
	cap_my_sql -e "DROP TABLE IF EXISTS enc_t; DROP SEQUENCE IF EXISTS enc_sq;
		CREATE TABLE enc_t (v int); INSERT INTO enc_t VALUES (1); CREATE SEQUENCE enc_sq;"
	cat >"$d/my.py" <<'PY'
import os, MySQLdb
c = MySQLdb.connect(unix_socket=os.environ["CAP_MY_SOCKET"], user=os.environ["CAP_MY_USER"],
                    passwd=os.environ["CAP_MY_PASSWORD"], db=os.environ["CAP_MY_DB"],
                    charset="sjis", autocommit=True, use_unicode=False)
cur = c.cursor()
k = b"\x95\x5c"  # a kanji ending in a backslash
w = b"\x81\x60"  # a wave dash ending in a backquote
for _ in range(3):  # a sequence behind the character: 1 2 3 ... from the server
    cur.execute(b"SELECT '" + k + b"' AS x, NEXT VALUE FOR enc_sq AS n -- '")
    print(cur.fetchall()[0][1])
for _ in range(3):
    cur.execute(b"SELECT 1 AS `" + w + b"`, NEXT VALUE FOR enc_sq AS n -- `")
    print(cur.fetchall()[0][1])
for _ in range(2):
    cur.execute(b"SELECT v FROM enc_t")
    print(cur.fetchall()[0][0])
PY
	export CAP_MY_SOCKET CAP_MY_USER CAP_MY_PASSWORD CAP_MY_DB
	for mode in off on; do
		cap_my_sql -e "DROP SEQUENCE IF EXISTS enc_sq; CREATE SEQUENCE enc_sq;"
		pre=(env)
		[ $mode = on ] && pre=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
		CAPACITOR_DIR=$d/mycap.$mode "${pre[@]}" /usr/bin/python3 "$d/my.py" >"$d/my.$mode" 2>&1
	done
	diff -u "$d/my.off" "$d/my.on" >&2 || fail "MariaDB, sjis: output differs from the run without Capacitor"
fi
echo "ok: text in Shift-JIS is read as the server reads it"

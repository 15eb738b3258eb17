#!/bin/bash
# t_pg_types - results are the same with and without Capacitor over a type corpus (integers,
# numeric, UTF-8 text, bytea with zero bytes, json/jsonb, arrays, timestamptz, NULLs, an empty
# result, 10,000 rows), in text through psql and in binary through tests/clients/pq_api; and
# every session setting that changes how values are rendered changes the key: SET TimeZone in
# the session, PGTZ / PGOPTIONS (-c bytea_output, extra_float_digits, DateStyle,
# IntervalStyle, lc_monetary) in another process that reads what this one cached.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# psql and pgbench hang at exit with libasan preloaded (SANITIZE=1; tests/README.md)
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_api
[ -x "$client" ] || fail "$client not built (make clients)"

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
PSQL="$CAP_PG_BIN/psql -X -A -t -h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $CAP_PG_DB"
LIB=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
failures=0
stat() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get(sys.argv[1], 0))
except Exception: print(0)' "$1"
}
compare() { # compare NAME - $d/NAME.off vs $d/NAME.on
	if cmp -s "$d/$1.off" "$d/$1.on"; then
		echo "ok   $1 ($(wc -l <"$d/$1.off") lines)"
	else
		echo "FAIL $1: output with Capacitor differs:"
		diff -u --label without --label with "$d/$1.off" "$d/$1.on" | head -n 30 | sed 's/^/    /' || true
		failures=$((failures + 1))
	fi
}

env -u LD_PRELOAD $PSQL -q >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS ty;
CREATE TABLE ty (id int PRIMARY KEY, s smallint, i int, b bigint, n numeric, nf numeric(12,4),
  r real, f double precision, t text, vc varchar(10), by bytea, j json, jb jsonb,
  ai int[], at text[], ts timestamptz, tsn timestamp, d date, tm time, iv interval,
  bo boolean, u uuid, ip inet, m money);
INSERT INTO ty VALUES
 (1, -32768, -2147483648, -9223372036854775808, -1.5e-20, 12345678.1234, 1.5, -0.1,
  'plain', 'x', '\x00', '{"a":1}', '{"b": [1, 2, {"c": null}]}', '{1,2,3}', '{"a b","c\"d",NULL}',
  '2024-01-01 00:00:00+00', '2024-01-01 12:34:56.789', '2024-02-29', '23:59:59.999999',
  '1 year 2 months 3 days 04:05:06', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.0.0.1/8', 12.34),
 (2, 32767, 2147483647, 9223372036854775807, 123456789012345678901234567890.123456789, 0, 'NaN', 'Infinity',
  'é 日本 😀 ünïcödé', 'ñ', '\x00ff00fe0001', '[]', '{}', '{}', '{}',
  '1999-12-31 23:59:59.999999-08', '-infinity', '0001-01-01 BC', '00:00', '-1 day', false,
  '00000000-0000-0000-0000-000000000000', '::1', -0.01),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 0, 0, 0, 'NaN', -0.0001, '-Infinity', 1e-300, '', '', '', 'null', '"str"', '{{1,2},{3,4}}', '{""}',
  'epoch', 'infinity', 'infinity', '12:00', '0', NULL, NULL, '192.168.0.0/16', 0);
DROP TABLE IF EXISTS ty_big;
CREATE TABLE ty_big AS SELECT i AS id, md5(i::text) AS h, i * 1.5 AS x FROM generate_series(1, 10000) AS i;
SQL

# text, through psql: each statement twice in one session, and again in a second session
cat >"$d/corpus.sql" <<'SQL'
SELECT s, i, b FROM ty ORDER BY id;
SELECT n, nf, r, f FROM ty ORDER BY id;
SELECT t, vc, length(t), octet_length(t) FROM ty ORDER BY id;
SELECT by FROM ty ORDER BY id;
SELECT j, jb FROM ty ORDER BY id;
SELECT ai, at FROM ty ORDER BY id;
SELECT ts, tsn, d, tm, iv FROM ty ORDER BY id;
SELECT bo, u, ip, m FROM ty ORDER BY id;
SELECT * FROM ty ORDER BY id;
SELECT * FROM ty WHERE id = 3;
SELECT * FROM ty WHERE false;
SELECT count(*), sum(x), min(h), max(h) FROM ty_big;
SELECT * FROM ty_big ORDER BY id;
SELECT * FROM ty WHERE t = 'é 日本 😀 ünïcödé';
SQL
awk '{ print; print }' "$d/corpus.sql" >"$d/corpus2.sql"
env -u LD_PRELOAD $PSQL -f "$d/corpus2.sql" >"$d/text.off" 2>&1
"${LIB[@]}" $PSQL -f "$d/corpus2.sql" >"$d/text.on" 2>&1
compare text
"${LIB[@]}" $PSQL -f "$d/corpus2.sql" >"$d/text.on" 2>&1
compare text
h=$(stat hits)
[ "$h" -gt 10 ] || { echo "FAIL: only $h hits over the corpus run twice"; failures=$((failures + 1)); }

# binary and text, through every API path of pq_api
grep -v 'ty_big ORDER BY' "$d/corpus.sql" >"$d/corpus.pqapi"
for m in exec,params_bin,send_params,nb_params prepared; do
	env -u LD_PRELOAD "$client" -m "$m" -f "$d/corpus.pqapi" >"$d/api.off" 2>&1 || true
	"${LIB[@]}" "$client" -m "$m" -f "$d/corpus.pqapi" >"$d/api.on" 2>&1 || true
	compare api
done

# SET TimeZone changes the key, in the session and from the environment of another process
cat >"$d/tz.sql" <<'SQL'
SET TimeZone = 'UTC';
SELECT ts FROM ty ORDER BY id;
SELECT ts FROM ty ORDER BY id;
SET TimeZone = 'Asia/Tokyo';
SELECT ts FROM ty ORDER BY id;
SELECT ts FROM ty ORDER BY id;
SET TimeZone = 'UTC';
SELECT ts FROM ty ORDER BY id;
RESET TimeZone;
SELECT ts FROM ty ORDER BY id;
SQL
env -u LD_PRELOAD $PSQL -f "$d/tz.sql" >"$d/tz.off" 2>&1
"${LIB[@]}" $PSQL -f "$d/tz.sql" >"$d/tz.on" 2>&1
compare tz
grep -q '+09' "$d/tz.on" || { echo "FAIL: no Tokyo rendering after SET TimeZone"; failures=$((failures + 1)); }

# another process with a different startup setting reads what the first one cached
q="SELECT ts, tsn, d, iv, by, f, f * 3 AS f3, r, m, n FROM ty ORDER BY id"
for setting in "PGTZ=Asia/Tokyo" "PGTZ=America/New_York" "PGDATESTYLE=German" \
	"PGOPTIONS=-c bytea_output=escape" "PGOPTIONS=-c extra_float_digits=0" \
	"PGOPTIONS=-c IntervalStyle=sql_standard" "PGOPTIONS=-c DateStyle=SQL,DMY" \
	"PGOPTIONS=-c lc_monetary=C" "PGOPTIONS=-c TimeZone=Pacific/Chatham" \
	"PGCLIENTENCODING=LATIN1"; do
	name="setting ${setting}"
	"${LIB[@]}" $PSQL -c "$q" -c "$q" >/dev/null 2>&1 || true  # cache it with the defaults
	env -u LD_PRELOAD "$setting" $PSQL -c "$q" >"$d/set.off" 2>&1 || true
	"${LIB[@]}" "$setting" $PSQL -c "$q" -c "$q" >"$d/set.on.2" 2>&1 || true
	env -u LD_PRELOAD "$setting" $PSQL -c "$q" -c "$q" >"$d/set.off.2" 2>&1 || true
	if cmp -s "$d/set.off.2" "$d/set.on.2"; then
		echo "ok   $name"
	else
		echo "FAIL $name: a result cached under the default setting was served:"
		diff -u --label without --label with "$d/set.off.2" "$d/set.on.2" | head -n 12 | sed 's/^/    /' || true
		failures=$((failures + 1))
	fi
done

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "ok"

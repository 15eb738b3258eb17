#!/bin/bash
# t_passthrough_pg - libpq programs behave exactly the same without Capacitor, with it
# switched off and with it on (cold and warm cache): psql (queries, errors, writes then reads,
# transactions, \d), pgbench, and tests/clients/pq_passthru, compared byte for byte (pgbench:
# exit status and transaction counts, since timings vary).
. "$CAP_ROOT/tests/integration/lib.sh"
cap_need_pg
cap_need_clean_exit
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"

d=$(cap_tmpdir)
cat >"$d/script.sql" <<'SQL'
\pset pager off
SET client_min_messages = notice;
DROP TABLE IF EXISTS t_psql;
SELECT count(*), sum(price), min(name), max(qty) FROM items;
SELECT * FROM items WHERE id <= 5 ORDER BY id;
SELECT * FROM items WHERE id <= 5 ORDER BY id;
SELECT id, name FROM items WHERE qty = 3 ORDER BY id LIMIT 3;
SELECT * FROM items WHERE false;
SELECT NULL::int AS n, ''::text AS empty, true AS b, 1.5::float8 AS f, '\x00ff'::bytea AS by,
       DATE '2024-01-02' AS d, ARRAY[1,2] AS a, '{"a": 1}'::jsonb AS j;
SELECT * FROM no_such_table;
SELECT 1/0;
SELEC broken;
CREATE TABLE t_psql (id int PRIMARY KEY, v text);
INSERT INTO t_psql VALUES (1, 'a'), (2, 'b');
SELECT * FROM t_psql ORDER BY id;
UPDATE t_psql SET v = 'c' WHERE id = 1;
SELECT * FROM t_psql ORDER BY id;
BEGIN;
SELECT count(*) FROM t_psql;
INSERT INTO t_psql VALUES (3, 'x');
SELECT count(*) FROM t_psql;
ROLLBACK;
SELECT count(*) FROM t_psql;
BEGIN;
SELECT * FROM no_such_table;
SELECT 1;
ROLLBACK;
SELECT 1 AS a \; SELECT 2 AS b;
PREPARE byid(int) AS SELECT name FROM items WHERE id = $1;
EXECUTE byid(7);
EXECUTE byid(7);
DEALLOCATE byid;
\d items
\dt items
\d t_psql
DROP TABLE t_psql;
\echo done
SQL

psql=("$CAP_PG_BIN/psql" -X -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB")
cap_compare_modes psql-script cat "${psql[@]}" -f "$d/script.sql"
cap_compare_modes psql-errors-stop cat "${psql[@]}" -v ON_ERROR_STOP=1 -f "$d/script.sql"
cap_compare_modes psql-c cat "${psql[@]}" -tA -c 'SELECT count(*) FROM items' -c 'SELECT name FROM items WHERE id = 42'

pgbench=("$CAP_PG_BIN/pgbench" -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" "$CAP_PG_DB")
# -i prints timings: compare its exit status only.
cap_compare_modes pgbench-init 'true' "${pgbench[@]}" -i -q -s 1
txns='grep -E "^(number of transactions actually processed|number of failed transactions)"'
cap_compare_modes pgbench-select "$txns" "${pgbench[@]}" -n -S -t 50 -c 2
cap_compare_modes pgbench-tpcb "$txns" "${pgbench[@]}" -n -t 50 -c 2
cap_compare_modes pgbench-select-prepared "$txns" "${pgbench[@]}" -n -S -M prepared -t 50
cap_compare_modes pgbench-select-extended "$txns" "${pgbench[@]}" -n -S -M extended -t 50

client=$CAP_BUILD/clients/pq_passthru
[ -x "$client" ] || fail "$client not built (make clients)"
cap_compare_modes pq_passthru cat "$client"

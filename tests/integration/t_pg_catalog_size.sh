#!/bin/bash
# t_pg_catalog_size - the catalog of a database with many user functions still loads within
# the load's own statement_timeout (10 s), so its reads are cached. The load's relation query
# once paired every operator class with every user function (177 x 1500 pairs here, one
# subquery each: about 30 s, cancelled at 10 s), so that such a database cached nothing at
# all; 19 functions (what t_pg_functions leaves) already made it 200 ms to seconds, which
# left t_preload_faults' delete-gen case without hits. Nor does the load compile its plans
# with JIT (below). The database is this test's own.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_clean_exit
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
db=capacitor_catsize
nfuncs=${CAP_CATSIZE_FUNCS:-1500}
d=$(cap_tmpdir)
trap 'cap_pg_psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; _cap_cleanup' EXIT
export PGOPTIONS="-c client_min_messages=warning"
cap_pg_psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
cap_pg_psql -q -d "$db" >/dev/null <<SQL
DO \$\$BEGIN
  FOR i IN 1..$nfuncs LOOP
    EXECUTE format('CREATE FUNCTION cs_f%s(int) RETURNS int LANGUAGE plpgsql AS '
      '\$b\$BEGIN RETURN \$1 + %s; END\$b\$', i, i);
  END LOOP;
END\$\$;
CREATE TABLE cs_t (id int PRIMARY KEY, v int);
INSERT INTO cs_t VALUES (1, 10);
SQL

# One program, the same read three times: a miss (the catalog is loaded first), then hits.
start=$(date +%s.%N)
out=$(LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d CAPACITOR_ENABLE=1 CAPACITOR_LOG_LEVEL=info \
	timeout -k 5 60 "$CAP_PG_BIN/psql" -X -A -t -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
	-U "$CAP_PG_USER" -d "$db" -c "SELECT v FROM cs_t WHERE id = 1" \
	-c "SELECT v FROM cs_t WHERE id = 1" -c "SELECT v FROM cs_t WHERE id = 1" 2>"$d/psql.err") ||
	fail "psql failed: $(cat "$d/psql.err")"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
assert_eq "the three reads" "$(printf '10\n10\n10')" "$out"
echo "$nfuncs user functions: three reads in ${secs}s"
if grep -a -q "catalog query failed\|cannot read the PostgreSQL catalog" "$d/log" 2>/dev/null; then
	fail "the catalog did not load: $(grep -a "catalog" "$d/log" | head -3)"
fi
hits=$("$CAP_TOOL" stats --dir "$d" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"])')
[ "$hits" -ge 2 ] || fail "$hits hits, expected 2: the catalog of a database with $nfuncs user functions did not load"
echo "the catalog loads: $hits hits"

# The load compiles nothing with JIT: its plans' estimates pass jit_above_cost (default
# 100000) once a catalog is large or its statistics are stale (2000 tables just made and 600
# functions: 1.2 s of JIT in a load of 1.3 s). Here the database lowers the threshold to 100, which the load's statements pass
# and the program's read (and the session read-back) do not, and jit_dump_bitcode makes every
# compilation leave a file in the data directory (the fixture's own server only).
data=$CAP_PG_HOST/data
if [ "$(cap_pg_psql -A -t -c "SELECT pg_jit_available()")" != t ] || [ ! -d "$data" ]; then
	echo "jit: skipped (no JIT provider, or not the fixture's own server)"
	echo "ok"
	exit 0
fi
cap_pg_psql -q -d postgres -c "ALTER DATABASE $db SET jit = on" \
	-c "ALTER DATABASE $db SET jit_above_cost = 100" -c "ALTER DATABASE $db SET jit_dump_bitcode = on"
d2=$(cap_tmpdir)
: >"$d2/since"
bitcode() { find "$data" -maxdepth 1 -name '*.bc' -newer "$d2/since" "$@"; }
out=$(LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d2 CAPACITOR_ENABLE=1 timeout -k 5 60 \
	"$CAP_PG_BIN/psql" -X -A -t -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$db" \
	-c "SELECT v FROM cs_t WHERE id = 1" -c "SELECT v FROM cs_t WHERE id = 1" 2>"$d2/psql.err") ||
	fail "jit: psql failed: $(cat "$d2/psql.err")"
assert_eq "jit: the two reads" "$(printf '10\n10')" "$out"
n=$(bitcode | wc -l)
bitcode -delete
[ "$n" = 0 ] || fail "jit: the catalog load was compiled ($n bitcode files)"
echo "jit: the catalog load compiles nothing"
echo "ok"

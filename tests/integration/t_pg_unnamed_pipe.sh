#!/bin/bash
# t_pg_unnamed_pipe - after a hit stands in for PQexecParams, the unnamed statement a pipeline
# uses (PQsendQueryPrepared(conn, "")) is the one the program last prepared, as without
# Capacitor: it is prepared again when the program enters pipeline mode (attack round 6,
# pg-4: the pipeline ran the statement before it, another query's rows).
# tests/clients/pq_unnamed_pipe.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_unnamed_pipe
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
export CAPACITOR_DIR=$d/cap
cap_pg_psql -q -c "DROP TABLE IF EXISTS unp_t" -c "CREATE TABLE unp_t (id int PRIMARY KEY, name text, price numeric)" \
	-c "INSERT INTO unp_t SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 10) g"
env -u LD_PRELOAD "$client" >"$d/off" 2>&1 || fail "the client failed without Capacitor: $(cat "$d/off")"
env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" >"$d/on" 2>&1 || fail "the client failed: $(cat "$d/on")"
diff -u "$d/off" "$d/on" >&2 || fail "output differs from the run without Capacitor"
grep -q 'b_price=B: 5.00' "$d/off" || fail "the pipeline did not run QB: $(cat "$d/off")"
h=$(CAPACITOR_DIR=$CAPACITOR_DIR "$CAP_TOOL" stats 2>/dev/null | awk '$1 == "hits" { print $2 }')
[ "${h:-0}" -gt 0 ] || fail "no hits: the case did not exercise the cache"
echo "ok: a pipeline's unnamed statement is the program's after a hit"

#!/bin/bash
# t_pg_busy - libpq calls made while a PQsendQuery result is still unread behave as without
# Capacitor when that query was a hit held for PQgetResult (attack round 6, pg-3): the
# synchronous calls discard it, the calls that need libpq idle refuse with libpq's own
# message, PQtransactionStatus says active. tests/clients/pq_busy runs every call after every
# way of leaving the result unread; its output must match the run without the library.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_busy
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
export CAPACITOR_DIR=$d/cap
cap_pg_psql -q -c "DROP TABLE IF EXISTS busy_t" -c "CREATE TABLE busy_t (id int PRIMARY KEY, qty int)" \
	-c "INSERT INTO busy_t SELECT g, g % 7 FROM generate_series(1, 50) g"
env -u LD_PRELOAD "$client" >"$d/off" 2>&1 || fail "the client failed without Capacitor: $(cat "$d/off")"
env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" >"$d/on" 2>&1 || fail "the client failed: $(cat "$d/on")"
diff -u "$d/off" "$d/on" >&2 || fail "output differs from the run without Capacitor"
h=$(CAPACITOR_DIR=$CAPACITOR_DIR "$CAP_TOOL" stats 2>/dev/null | awk '$1 == "hits" { print $2 }')
# each case reads the query it leaves unread twice before (the second a hit), then that query
cases=$(grep -c ' / ' "$d/off")
[ "${h:-0}" -ge $((cases * 2)) ] || fail "too few hits (${h:-0} for $cases cases): the cases did not exercise held hits"
echo "ok: libpq calls while a hit is unread behave as without Capacitor"

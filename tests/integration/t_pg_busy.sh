#!/bin/bash
# t_pg_busy - libpq calls made while a PQsendQuery result is still unread behave as without
# Capacitor when that query was a hit held for PQgetResult (attack round 6, pg-3): the
# synchronous calls discard it, the calls that need libpq idle refuse with libpq's own
# message, PQtransactionStatus says active. tests/clients/pq_busy runs every call after every
# way of leaving the result unread; its output must match the run without the library. It
# also checks the unnamed statement after a simple-query hit (gone, as the query destroys it)
# and after a failed PQprepare of it (gone: the server drops it before parsing).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_busy
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
cap_pg_psql -q -c "DROP TABLE IF EXISTS busy_t" -c "CREATE TABLE busy_t (id int PRIMARY KEY, qty int)" \
	-c "INSERT INTO busy_t SELECT g, g % 7 FROM generate_series(1, 50) g"
# one process per way of leaving the result unread, each with its own cache directory: the
# last calls of each run a statement of unknown effect, after which nothing is cached for a
# while, and every case must be a hit held for PQgetResult
s=0
while :; do
	rc=0
	env -u LD_PRELOAD "$client" "$s" >"$d/off.$s" 2>&1 || rc=$?
	[ "$rc" -ne 3 ] || break
	[ "$rc" -eq 0 ] || fail "the client failed without Capacitor: $(cat "$d/off.$s")"
	CAPACITOR_DIR=$d/cap.$s env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" "$s" \
		>"$d/on.$s" 2>&1 || fail "the client failed: $(cat "$d/on.$s")"
	diff -u "$d/off.$s" "$d/on.$s" >&2 || fail "state $s: output differs from the run without Capacitor"
	h=$(CAPACITOR_DIR=$d/cap.$s "$CAP_TOOL" stats 2>/dev/null | awk '$1 == "hits" { print $2 }')
	# each case reads the query it leaves unread twice before (the second a hit), then that
	# query, and more after
	cases=$(grep -c ' / ' "$d/off.$s")
	[ "${h:-0}" -ge $((cases * 3)) ] ||
		fail "state $s: too few hits (${h:-0} for $cases cases): the cases did not exercise held hits"
	s=$((s + 1))
done
[ "$s" -ge 9 ] || fail "only $s states ran"
echo "ok: libpq calls while a hit is unread behave as without Capacitor ($s states)"

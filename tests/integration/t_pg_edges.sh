#!/bin/bash
# t_pg_edges - what a program can see of libpq around a hit is what it would see without
# Capacitor: the fast path (PQfn) writing or moving search_path, PQerrorMessage after a hit
# that follows an error, a second PQsendQuery while a hit is unread, a NULL statement name,
# xmax after a row lock, set_config run by a view, a default, a check or a domain, and a session the server ends for idling (idle_in_transaction_session_timeout,
# idle_session_timeout). Each case of tests/clients/pq_edges runs without and with the library
# after the same setup; the outputs must be identical.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_edges
[ -x "$client" ] || fail "$client not built (make clients)"

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
PSQL="$CAP_PG_BIN/psql -X -q -v ON_ERROR_STOP=1"
LIB=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
failures=0

setup() { # through the library, so that the cache forgets what the last run cached
	"${LIB[@]}" $PSQL >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS ed_s CASCADE;
DROP TABLE IF EXISTS ed_t, ed_p, ed_dft, ed_chk, ed_dom CASCADE;
DROP VIEW IF EXISTS ed_sv;
DROP DOMAIN IF EXISTS ed_d;
CREATE TABLE ed_t (id int PRIMARY KEY, v int);
INSERT INTO ed_t SELECT i, i * 10 FROM generate_series(1, 9) AS i;
CREATE TABLE ed_p (v text);
INSERT INTO ed_p VALUES ('public');
CREATE SCHEMA ed_s;
CREATE TABLE ed_s.ed_p (v text);
INSERT INTO ed_s.ed_p VALUES ('ed_s');
CREATE VIEW ed_sv AS SELECT pg_catalog.set_config('search_path', 'ed_s, public', false) AS s;
CREATE TABLE ed_dft (a int, b text DEFAULT pg_catalog.set_config('search_path', 'ed_s, public', false));
CREATE TABLE ed_chk (a int CHECK (pg_catalog.set_config('search_path', 'ed_s, public', false) IS NOT NULL));
CREATE DOMAIN ed_d AS text DEFAULT pg_catalog.set_config('search_path', 'ed_s, public', false);
CREATE TABLE ed_dom (a int, b ed_d);
CREATE OR REPLACE FUNCTION ed_bump() RETURNS int LANGUAGE sql AS
  'UPDATE ed_t SET v = v + 100 WHERE id = 1 RETURNING v';
SQL
}

for c in fn_write fn_path errmsg busy nullname xmax setcfg_view setcfg_default setcfg_check setcfg_domain idle_txn idle_session; do
	setup
	env -u LD_PRELOAD "$client" "$c" >"$d/$c.off" 2>&1 || echo "exit $?" >>"$d/$c.off"
	setup
	"${LIB[@]}" "$client" "$c" >"$d/$c.on" 2>&1 || echo "exit $?" >>"$d/$c.on"
	if cmp -s "$d/$c.off" "$d/$c.on"; then
		echo "ok   $c"
	else
		echo "FAIL $c: output with Capacitor differs:"
		diff -u --label without --label with "$d/$c.off" "$d/$c.on" | sed 's/^/    /' || true
		failures=$((failures + 1))
	fi
done
[ "$failures" -eq 0 ] || fail "$failures case(s) failed"
echo "ok"

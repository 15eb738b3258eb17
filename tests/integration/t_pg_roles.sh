#!/bin/bash
# t_pg_roles - a result cached for one role, database or session identity is never served to
# another: two roles with different privileges (a table granted to one only, a row-level
# security policy so each sees different rows) run the same statements through the library as
# separate logins, via SET ROLE / SET SESSION AUTHORIZATION / set_config('role') in one
# session, and with a policy keyed on a custom setting (SET and set_config); GRANT and REVOKE
# through the library take effect at once (a revoked role gets the permission error, never
# cached rows); the same query in two databases gives each its own rows.
# Each session runs without and with Capacitor after the same setup and must print the same.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# psql and pgbench hang at exit with libasan preloaded (SANITIZE=1; tests/README.md)
cap_need_clean_exit
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"

d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
base="$CAP_PG_BIN/psql -X -A -h $CAP_PG_HOST -p $CAP_PG_PORT"
PSQL="$base -U $CAP_PG_USER -d $CAP_PG_DB"
LIB=(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1)
export PGOPTIONS="-c client_min_messages=warning"
failures=0

setup() { # through the library, so that the cache forgets what earlier runs cached
	"${LIB[@]}" $PSQL -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DROP TABLE IF EXISTS rl_t, rl_priv, rl_app;
DO $$BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'role_a') THEN DROP OWNED BY role_a, role_b; END IF; END$$;
DROP ROLE IF EXISTS role_a, role_b;
CREATE ROLE role_a LOGIN;
CREATE ROLE role_b LOGIN;
CREATE TABLE rl_t (id int PRIMARY KEY, owner text, secret text);
INSERT INTO rl_t VALUES (1, 'role_a', 'a-secret'), (2, 'role_b', 'b-secret'), (3, 'role_a', 'a2');
ALTER TABLE rl_t ENABLE ROW LEVEL SECURITY;
CREATE POLICY rl_own ON rl_t USING (owner = current_user);
GRANT SELECT ON rl_t TO role_a, role_b;
CREATE TABLE rl_priv (x int);
INSERT INTO rl_priv VALUES (42);
GRANT SELECT ON rl_priv TO role_a;
CREATE TABLE rl_app (id int, tenant text);
INSERT INTO rl_app VALUES (1, 'acme'), (2, 'globex'), (3, 'acme');
ALTER TABLE rl_app ENABLE ROW LEVEL SECURITY;
ALTER TABLE rl_app FORCE ROW LEVEL SECURITY;
CREATE POLICY rl_tenant ON rl_app USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON rl_app TO role_a, role_b;
SQL
}

# run NAME CMD... - CMD without and with the library after a fresh setup; compare
run() {
	local name=$1
	shift
	setup
	env -u LD_PRELOAD "$@" >"$d/$name.off" 2>&1 || true
	setup
	"${LIB[@]}" "$@" >"$d/$name.on" 2>&1 || true
	if cmp -s "$d/$name.off" "$d/$name.on"; then
		echo "ok   $name"
	else
		echo "FAIL $name: output with Capacitor differs:"
		diff -u --label without --label with "$d/$name.off" "$d/$name.on" | head -n 30 | sed 's/^/    /' || true
		failures=$((failures + 1))
	fi
}

# separate logins, one process after the other, sharing the cache
cat >"$d/logins.sh" <<EOF
for r in role_a role_b role_a role_b postgres; do
	echo "-- \$r"
	$base -U \$r -d $CAP_PG_DB -c 'SELECT * FROM rl_t ORDER BY id' -c 'SELECT * FROM rl_t ORDER BY id' -c 'SELECT x FROM rl_priv' -c 'SELECT x FROM rl_priv'
done
EOF
run logins bash "$d/logins.sh"

# one session changing identity
cat >"$d/setrole.sql" <<'SQL'
SELECT * FROM rl_t ORDER BY id;
SELECT x FROM rl_priv;
SET ROLE role_a;
SELECT * FROM rl_t ORDER BY id;
SELECT * FROM rl_t ORDER BY id;
SELECT x FROM rl_priv;
SELECT x FROM rl_priv;
SET ROLE role_b;
SELECT * FROM rl_t ORDER BY id;
SELECT * FROM rl_t ORDER BY id;
SELECT x FROM rl_priv;
RESET ROLE;
SELECT * FROM rl_t ORDER BY id;
SET SESSION AUTHORIZATION role_b;
SELECT * FROM rl_t ORDER BY id;
SELECT x FROM rl_priv;
RESET SESSION AUTHORIZATION;
SELECT set_config('role', 'role_a', false);
SELECT * FROM rl_t ORDER BY id;
SELECT set_config('role', 'role_b', false);
SELECT * FROM rl_t ORDER BY id;
SELECT x FROM rl_priv;
RESET ROLE;
BEGIN;
SET LOCAL ROLE role_a;
SELECT * FROM rl_t ORDER BY id;
COMMIT;
SELECT * FROM rl_t ORDER BY id;
SQL
run set_role $PSQL -f "$d/setrole.sql"

# a policy keyed on a custom setting
cat >"$d/tenant.sql" <<'SQL'
SET ROLE role_a;
SELECT * FROM rl_app ORDER BY id;
SET app.tenant = 'acme';
SELECT * FROM rl_app ORDER BY id;
SELECT * FROM rl_app ORDER BY id;
SET app.tenant = 'globex';
SELECT * FROM rl_app ORDER BY id;
SELECT set_config('app.tenant', 'acme', false);
SELECT * FROM rl_app ORDER BY id;
SELECT set_config('app.tenant', 'nobody', false);
SELECT * FROM rl_app ORDER BY id;
BEGIN;
SELECT set_config('app.tenant', 'globex', true);
SELECT * FROM rl_app ORDER BY id;
COMMIT;
SELECT * FROM rl_app ORDER BY id;
SQL
run tenant_setting $PSQL -f "$d/tenant.sql"
cat >"$d/tenant_env.sh" <<EOF
for t in acme globex acme globex; do
	PGOPTIONS="-c app.tenant=\$t" $base -U role_b -d $CAP_PG_DB -c 'SELECT * FROM rl_app ORDER BY id' -c 'SELECT * FROM rl_app ORDER BY id'
done
EOF
run tenant_pgoptions bash "$d/tenant_env.sh"

# GRANT and REVOKE through the library, seen at once by another login
cat >"$d/grant.sh" <<EOF
B="$base -U role_b -d $CAP_PG_DB"
\$B -c 'SELECT x FROM rl_priv'
$PSQL -c 'GRANT SELECT ON rl_priv TO role_b'
\$B -c 'SELECT x FROM rl_priv' -c 'SELECT x FROM rl_priv'
$PSQL -c 'REVOKE SELECT ON rl_priv FROM role_b'
\$B -c 'SELECT x FROM rl_priv'
$PSQL -c 'ALTER POLICY rl_own ON rl_t USING (true)'
\$B -c 'SELECT * FROM rl_t ORDER BY id'
$PSQL -c 'ALTER TABLE rl_t DISABLE ROW LEVEL SECURITY' -c 'REVOKE SELECT ON rl_t FROM role_b'
\$B -c 'SELECT * FROM rl_t ORDER BY id'
EOF
run grant_revoke bash "$d/grant.sh"

# two databases, the same table name
"${LIB[@]}" $base -U "$CAP_PG_USER" -d postgres -q -c "DROP DATABASE IF EXISTS capacitor_roles2" -c "CREATE DATABASE capacitor_roles2" >/dev/null
"${LIB[@]}" $base -U "$CAP_PG_USER" -d capacitor_roles2 -q -c "CREATE TABLE items AS SELECT 1 AS id, 'other db' AS name" >/dev/null
cat >"$d/dbs.sql" <<'SQL'
SELECT count(*), min(name) FROM items;
SELECT count(*), min(name) FROM items;
\c capacitor_roles2
SELECT count(*), min(name) FROM items;
SELECT count(*), min(name) FROM items;
SQL
cat >"$d/dbs.sh" <<EOF
$PSQL -f $d/dbs.sql
$base -U $CAP_PG_USER -d capacitor_roles2 -c 'SELECT count(*), min(name) FROM items'
$PSQL -c 'SELECT count(*), min(name) FROM items'
EOF
run databases bash "$d/dbs.sh"
env -u LD_PRELOAD $base -U "$CAP_PG_USER" -d postgres -q -c "DROP DATABASE IF EXISTS capacitor_roles2" >/dev/null 2>&1 || true

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "ok"

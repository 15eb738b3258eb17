#!/bin/bash
# t_rules_pg.sh - DRAFT: the rules file (CAPACITOR_RULES) against a real PostgreSQL.
#
# One psql session under Capacitor reads a row, a psql WITHOUT Capacitor changes it behind the
# cache's back (psql's \! runs it with LD_PRELOAD removed, so no invalidation happens), and the
# session reads again: a stale answer means the read was served from the cache.
#   - plain table, no rule:      stale (proves psql's reads are cached at all; skip otherwise)
#   - `never rules_never`:       fresh
#   - `ttl rules_ttl 1s`:        stale at once, fresh after 1.5 s
#   - `never public.rules_q`:    fresh also when the query names the table without a schema
#   - a rules file with a bad line: the problem is reported as file:line on stderr, and the
#     process caches nothing (the plain table reads fresh).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg

cap_pg_psql -q <<'SQL'
DROP TABLE IF EXISTS rules_plain, rules_never, rules_ttl, rules_q;
CREATE TABLE rules_plain (id int PRIMARY KEY, v int);
CREATE TABLE rules_never (id int PRIMARY KEY, v int);
CREATE TABLE rules_ttl (id int PRIMARY KEY, v int);
CREATE TABLE rules_q (id int PRIMARY KEY, v int);
INSERT INTO rules_plain VALUES (1, 0);
INSERT INTO rules_never VALUES (1, 0);
INSERT INTO rules_ttl VALUES (1, 0);
INSERT INTO rules_q VALUES (1, 0);
SQL

dir=$(cap_tmpdir)
rules=$dir/rules
cat >"$rules" <<'EOF2'
# t_rules_pg
never rules_never
ttl   rules_ttl 1s      # short, so that the test can wait it out
never public.rules_q
EOF2

# bump TABLE - +1 on the row, outside Capacitor.
bump="env -u LD_PRELOAD $CAP_PG_BIN/psql -X -q -h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $CAP_PG_DB -c"

# session RULESFILE TABLE [SLEEP] - read, bump, [sleep], read; prints "first second".
session() {
	local rf=$1 t=$2 pause=${3:-0}
	CAPACITOR_RULES=$rf LD_PRELOAD=$CAP_PRELOAD \
		"$CAP_PG_BIN/psql" -X -tA -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" \
		-d "$CAP_PG_DB" 2>"$dir/stderr" <<SQL | tr '\n' ' ' | sed 's/ $//'
SELECT v FROM $t WHERE id = 1;
\\! $bump "UPDATE $t SET v = v + 1 WHERE id = 1"
\\! sleep $pause
SELECT v FROM $t WHERE id = 1;
SQL
}

got=$(session "$rules" rules_plain)
[ "$got" = "0 0" ] || skip "psql's reads are not served from the cache here (got '$got')"

assert_eq "never: every read goes to the server" "0 1" "$(session "$rules" rules_never)"
assert_eq "ttl: stale within the ttl" "0 0" "$(session "$rules" rules_ttl)"
sleep 1.1 # let the entry of the previous session expire
assert_eq "ttl: fresh after the ttl" "1 2" "$(session "$rules" rules_ttl 1.5)"
assert_eq "never public.x matches an unqualified x" "0 1" "$(session "$rules" rules_q)"

# A bad line: reported with file:line, and this process caches nothing.
bad=$dir/bad
printf 'never rules_never\nnever rules_plain extra\n' >"$bad"
cap_pg_psql -q -c "UPDATE rules_plain SET v = 0"
got=$(session "$bad" rules_plain)
grep -q "$bad:2:" "$dir/stderr" || fail "no file:line report for the bad line: $(cat "$dir/stderr")"
grep -q "expected" "$dir/stderr" || fail "the report does not name the accepted form"
assert_eq "bad rules file: no caching" "0 1" "$got"

# A missing rules file: same.
cap_pg_psql -q -c "UPDATE rules_plain SET v = 0"
got=$(session "$dir/missing" rules_plain)
grep -q "$dir/missing" "$dir/stderr" || fail "missing rules file not reported"
assert_eq "missing rules file: no caching" "0 1" "$got"

cap_pg_psql -q -c "DROP TABLE rules_plain, rules_never, rules_ttl, rules_q"
echo "ok"

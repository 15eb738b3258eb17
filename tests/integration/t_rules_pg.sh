#!/bin/bash
# t_rules_pg.sh - the rules file (CAPACITOR_RULES) against a real PostgreSQL.
#
# A psql session under Capacitor reads rows, a psql WITHOUT Capacitor changes them behind the
# cache's back (psql's \! runs it with LD_PRELOAD removed, so no invalidation happens), and the
# session reads again: a stale answer means the read was served from the cache, a fresh one
# that it went to the server. CAPACITOR_TTL is unset throughout (no global TTL).
#   - plain table, no rule:      stale (proves psql's reads are cached at all; skip otherwise)
#   - `ttl rules_ttl 1s`:        stale at once, fresh after 1.5 s, then cached again; a table
#                                without a rule read in the same session stays stale
#   - `never rules_never`:       fresh on every read, also joined with a cached table; other
#                                tables still cached; `never public.rules_q` matches rules_q
#   - `safe rules_f` (VOLATILE): SELECT rules_f() not cached without the rule, cached with it;
#                                INSERT ... SELECT rules_f(), UPDATE ... SET v = rules_f(),
#                                SELECT ... FOR UPDATE and a temp-table read still not cached
#   - stats: never-bypasses are counted under bypass_reasons.rule, and `stats --top 5` shows
#     the reason `rule` for the statement's shape
#   - bad input (each kind of bad line, a missing file, a directory): psql's output is the
#     same as without Capacitor, stderr has one line naming the file and its first
#     problem, the log one "FILE:LINE: ..." line per problem, nothing is cached (no hits);
#     `capacitor config` lists the problems and exits 1, and
#     lists the rules of a good file and exits 0.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_clean_exit
unset CAPACITOR_TTL CAPACITOR_RULES

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS rules_plain, rules_never, rules_ttl, rules_q, rules_other, rules_fdata,
	rules_log, rules_upd, rules_bad;
DROP FUNCTION IF EXISTS rules_f();
CREATE TABLE rules_plain (id int PRIMARY KEY, v int);
CREATE TABLE rules_never (id int PRIMARY KEY, v int);
CREATE TABLE rules_ttl (id int PRIMARY KEY, v int);
CREATE TABLE rules_q (id int PRIMARY KEY, v int);
CREATE TABLE rules_other (id int PRIMARY KEY, v int);
CREATE TABLE rules_fdata (id int PRIMARY KEY, v int);
CREATE TABLE rules_log (n serial PRIMARY KEY, v int);
CREATE TABLE rules_upd (id int PRIMARY KEY, v int);
CREATE TABLE rules_bad (id int PRIMARY KEY, v int);
INSERT INTO rules_plain VALUES (1, 0);
INSERT INTO rules_never VALUES (1, 0);
INSERT INTO rules_ttl VALUES (1, 0);
INSERT INTO rules_q VALUES (1, 0);
INSERT INTO rules_other VALUES (1, 0);
INSERT INTO rules_fdata VALUES (1, 0);
INSERT INTO rules_upd VALUES (1, -1);
INSERT INTO rules_bad VALUES (1, 0);
-- VOLATILE, and it reads a table the statement does not name: only `safe` lets a statement
-- calling it be cached, and a change to rules_fdata behind the cache's back shows whether it was
CREATE FUNCTION rules_f() RETURNS int LANGUAGE sql VOLATILE
	AS 'SELECT v FROM rules_fdata WHERE id = 1';
SQL

dir=$(cap_tmpdir)
rules=$dir/rules
cat >"$rules" <<'EOF2'
# t_rules_pg
never rules_never
ttl   rules_ttl 1s      # short, so that the test can wait it out
never public.rules_q
EOF2
safe_rules=$dir/safe_rules
{
	cat "$rules"
	echo "safe rules_f"
} >"$safe_rules"

# bump TABLE - +1 on row 1 of TABLE, outside Capacitor (for psql's \!).
bump() {
	echo "\\! env -u LD_PRELOAD $CAP_PG_BIN/psql -X -q -h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $CAP_PG_DB -c 'UPDATE $1 SET v = v + 1 WHERE id = 1'"
}

# session RULESFILE - run the psql script on stdin under Capacitor; prints the output on one
# line (space-separated); stderr goes to $dir/stderr.
session() {
	CAPACITOR_RULES=$1 LD_PRELOAD=$CAP_PRELOAD \
		"$CAP_PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
		-U "$CAP_PG_USER" -d "$CAP_PG_DB" 2>"$dir/stderr" | tr '\n' ' ' | sed 's/ $//'
}

# st KEY - one number from `capacitor stats --json` (a key that occurs once: hits, bypasses,
# rule, volatile, locking, ...).
st() {
	local v
	v=$("$CAP_TOOL" stats --json | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2)
	[ -n "$v" ] || fail "no \"$1\" in capacitor stats --json"
	echo "$v"
}

# --- caching works at all -----------------------------------------------------------------
got=$(session "$rules" <<SQL
SELECT v FROM rules_plain WHERE id = 1;
$(bump rules_plain)
SELECT v FROM rules_plain WHERE id = 1;
SQL
)
[ "$got" = "0 0" ] || skip "psql's reads are not served from the cache here (got '$got')"
echo "ok: a table without a rule is cached"

# --- ttl ----------------------------------------------------------------------------------
# rules_ttl: stale within the second, fresh after it, then cached again (stale at once);
# rules_other (no rule) in the same session: still stale after the second.
got=$(session "$rules" <<SQL
SELECT v FROM rules_ttl WHERE id = 1;
SELECT v FROM rules_other WHERE id = 1;
$(bump rules_ttl)
$(bump rules_other)
SELECT v FROM rules_ttl WHERE id = 1;
SELECT v FROM rules_other WHERE id = 1;
\\! sleep 1.5
SELECT v FROM rules_ttl WHERE id = 1;
SELECT v FROM rules_other WHERE id = 1;
$(bump rules_ttl)
SELECT v FROM rules_ttl WHERE id = 1;
SQL
)
assert_eq "ttl: rules_ttl stale within 1s, fresh after it, cached again; rules_other stale" \
	"0 0 0 0 1 0 1" "$got"
[ ! -s "$dir/stderr" ] || fail "stderr with a good rules file: $(cat "$dir/stderr")"
echo "ok: ttl rules_ttl 1s"

# --- never --------------------------------------------------------------------------------
cap_pg_psql -q -c "UPDATE rules_other SET v = 0"
# (v + 0: not the statement the ttl part cached)
rule0=$(st rule) hits0=$(st hits)
got=$(session "$rules" <<SQL
SELECT v FROM rules_never WHERE id = 1;
SELECT v + 0 FROM rules_other WHERE id = 1;
SELECT v FROM rules_q WHERE id = 1;
SELECT n.v FROM rules_other o JOIN rules_never n USING (id);
$(bump rules_never)
$(bump rules_other)
$(bump rules_q)
SELECT v FROM rules_never WHERE id = 1;
SELECT v + 0 FROM rules_other WHERE id = 1;
SELECT v FROM rules_q WHERE id = 1;
SELECT n.v FROM rules_other o JOIN rules_never n USING (id);
SELECT v FROM rules_never WHERE id = 1;
SQL
)
assert_eq "never: rules_never and rules_q fresh, rules_other stale" "0 0 0 0 1 0 1 1 1" "$got"
assert_eq "never: bypasses counted under reason rule" 7 $(($(st rule) - rule0))
assert_eq "never: only rules_other hits" 1 $(($(st hits) - hits0))
echo "ok: never rules_never, never public.rules_q"

# --- safe ---------------------------------------------------------------------------------
# Without the rule: SELECT rules_f() goes to the server every time.
hits0=$(st hits) misses0=$(st misses)
got=$(session "$rules" <<SQL
SELECT rules_f();
$(bump rules_fdata)
SELECT rules_f();
SQL
)
assert_eq "no safe rule: a VOLATILE function's result is not cached" "0 1" "$got"
assert_eq "no safe rule: no hits" 0 $(($(st hits) - hits0))
assert_eq "no safe rule: no misses (not cacheable)" 0 $(($(st misses) - misses0))
# The same without any rules file.
got=$(session "" <<SQL
SELECT rules_f();
$(bump rules_fdata)
SELECT rules_f();
SQL
)
assert_eq "no rules file: a VOLATILE function's result is not cached" "1 2" "$got"

# With `safe rules_f`: cached (stale after the change behind the cache's back).
hits0=$(st hits)
got=$(session "$safe_rules" <<SQL
SELECT rules_f();
$(bump rules_fdata)
SELECT rules_f();
SQL
)
assert_eq "safe rules_f: cached" "2 2" "$got"
assert_eq "safe rules_f: one hit" 1 $(($(st hits) - hits0))

# With `safe rules_f`, writes, a locking read and a temp-table read are still not cached:
# each one runs on the server and sees the value rules_fdata has then. rules_fdata is 3 now.
hits0=$(st hits) lock0=$(st locking)
got=$(session "$safe_rules" <<SQL
INSERT INTO rules_log (v) SELECT rules_f();
UPDATE rules_upd SET v = rules_f() WHERE id = 1;
SELECT rules_f() FROM rules_fdata WHERE id = 1 FOR UPDATE;
SELECT rules_f() FROM rules_fdata WHERE id = 1 FOR SHARE;
CREATE TEMP TABLE rules_tmp AS SELECT 1 AS k;
SELECT rules_f() FROM rules_tmp;
$(bump rules_fdata)
INSERT INTO rules_log (v) SELECT rules_f();
UPDATE rules_upd SET v = rules_f() WHERE id = 1;
SELECT rules_f() FROM rules_fdata WHERE id = 1 FOR UPDATE;
SELECT rules_f() FROM rules_fdata WHERE id = 1 FOR SHARE;
SELECT rules_f() FROM rules_tmp;
SQL
)
assert_eq "safe rules_f: locking and temp-table reads still go to the server" "3 3 3 4 4 4" "$got"
assert_eq "safe rules_f: no hits from writes or locking reads" 0 $(($(st hits) - hits0))
assert_eq "safe rules_f: FOR UPDATE/FOR SHARE counted as locking" 4 $(($(st locking) - lock0))
assert_eq "safe rules_f: INSERT ... SELECT rules_f() ran twice" "3 4" \
	"$(cap_pg_psql -tA -c "SELECT v FROM rules_log ORDER BY n" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "safe rules_f: UPDATE ... SET v = rules_f() ran twice" 4 \
	"$(cap_pg_psql -tA -c "SELECT v FROM rules_upd WHERE id = 1")"
echo "ok: safe rules_f"

# --- stats: reason `rule` in --json and --top -----------------------------------------------
(
	CAPACITOR_DIR=$(cap_tmpdir)
	export CAPACITOR_DIR
	session "$rules" >/dev/null <<'SQL'
SELECT v FROM rules_never WHERE id = 1;
SELECT v FROM rules_never WHERE id = 1;
SELECT v FROM rules_never WHERE id = 1;
SELECT v FROM rules_never WHERE id = 1;
SELECT v FROM rules_never WHERE id = 1;
SELECT v FROM rules_other WHERE id = 1;
SELECT v FROM rules_other WHERE id = 1;
SQL
	assert_eq "stats: bypass_reasons.rule" 5 "$(st rule)"
	assert_eq "stats: bypasses" 5 "$(st bypasses)"
	assert_eq "stats: hits" 1 "$(st hits)"
	top=$("$CAP_TOOL" stats --top 5)
	echo "$top" | grep -Eiq '^ +5 +0\.0% .* rule +SELECT v FROM rules_never WHERE id = \?;?$' ||
		fail "stats --top 5 does not show reason rule for the never shape:
$(echo "$top" | sed -n '/top query shapes/,$p')"
	"$CAP_TOOL" stats --json --top 5 | grep -q '"bypasses":5,[^}]*"bypass_reason":"rule","text":"SELECT v FROM rules_never WHERE id = ?;\{0,1\}"' ||
		fail "stats --json --top 5 has no shape with reason rule: $("$CAP_TOOL" stats --json --top 5)"
)
echo "ok: stats reason rule"

# --- capacitor config with a good file ------------------------------------------------------
out=$(CAPACITOR_RULES=$safe_rules "$CAP_TOOL" config 2>"$dir/cfg.err") ||
	fail "capacitor config with a good rules file failed: $(cat "$dir/cfg.err")"
[ ! -s "$dir/cfg.err" ] || fail "capacitor config wrote to stderr: $(cat "$dir/cfg.err")"
assert_eq "capacitor config lists the rules" "rules from $safe_rules: 4 rules
  never rules_never
  ttl rules_ttl 1s
  never public.rules_q
  safe rules_f" "$(echo "$out" | sed -n '/^rules from/,$p')"
echo "ok: capacitor config with a good file"

# --- bad input ----------------------------------------------------------------------------
# The workload: reset, read twice, change behind the cache's back, read: "0 0 1" both
# without Capacitor and with Capacitor that caches nothing ("0 0 0" when it caches).
workload=$(
	cat <<SQL
UPDATE rules_bad SET v = 0 WHERE id = 1;
SELECT v FROM rules_bad WHERE id = 1;
SELECT v FROM rules_bad WHERE id = 1;
$(bump rules_bad)
SELECT v FROM rules_bad WHERE id = 1;
SELECT count(*) FROM rules_plain;
SQL
)
ref=$(env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -q -tA -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
	-U "$CAP_PG_USER" -d "$CAP_PG_DB" <<<"$workload" 2>"$dir/ref.err")
assert_eq "reference run" "0
0
1
1" "$ref"
# Positive control: a good rules file caches the workload's reads.
got=$(session "$rules" <<<"$workload")
assert_eq "good rules file: the workload is cached" "0 0 0 1" "$got"

# check_bad NAME FILE LINES... - FILE is a bad rules file whose problems are at LINES (0 for
# the file itself).
check_bad() {
	local name=$1 f=$2 l out want got n
	shift 2
	local hits0
	hits0=$(st hits)
	out=$(CAPACITOR_RULES=$f LD_PRELOAD=$CAP_PRELOAD "$CAP_PG_BIN/psql" -X -q -tA \
		-h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB" \
		<<<"$workload" 2>"$dir/bad.err") || fail "$name: psql failed: $(cat "$dir/bad.err")"
	assert_eq "$name: same output as without Capacitor" "$ref" "$out"
	assert_eq "$name: no hits" 0 $(($(st hits) - hits0))
	# stderr: psql's own (none) plus one "capacitor: FILE:LINE: ..." line per problem and
	# the library's one-line warning that caching is off.
	assert_eq "$name: stderr besides Capacitor's lines" "$(cat "$dir/ref.err")" \
		"$(grep -v '^capacitor' "$dir/bad.err" || true)"
	# stderr: exactly one line, naming the variable, the file and its first problem; every
	# problem goes to the log, one line each, naming file:line.
	want='' got=''
	for l in "$@"; do want+="$f:$l:"$'\n'; done
	# (one line per process: the shell and env that psql's \! starts load the library too
	# and say the same line at their load)
	n=$(grep '^capacitor' "$dir/bad.err" | sort -u | wc -l)
	assert_eq "$name: one stderr line" 1 "$n"
	grep -q "^capacitor: CAPACITOR_RULES='$f' is not valid ($f:$1: .*); caching is off" \
		"$dir/bad.err" || fail "$name: the stderr line does not name the first problem: $(cat "$dir/bad.err")"
	got=$(grep -E "warning: $f:[0-9]+: " "$CAPACITOR_DIR/log" | sed -E "s|.*warning: ($f:[0-9]+:) .*|\\1|" | tail -n $# || true)
	assert_eq "$name: one log line per problem, naming file:line" "${want%$'\n'}" "$got"
	# capacitor config: the same problems, exit status 1.
	local rc=0
	CAPACITOR_RULES=$f "$CAP_TOOL" config >"$dir/cfg.out" 2>"$dir/cfg.err" || rc=$?
	assert_eq "$name: capacitor config exit status" 1 "$rc"
	got=$(grep -E '^capacitor: .*:[0-9]+: ' "$dir/cfg.err" | sed -E "s|^capacitor: (.*:[0-9]+:) .*|\\1|" || true)
	assert_eq "$name: capacitor config lists the problems with file:line" "${want%$'\n'}" "$got"
	grep -q "rules from $f: NOT LOADED ($# problem" "$dir/cfg.out" ||
		fail "$name: capacitor config does not say the rules are not loaded: $(cat "$dir/cfg.out")"
	echo "ok: bad input: $name"
}

# One bad line at line 3 of an otherwise good file, for each kind of problem.
n=0
while IFS='|' read -r name line; do
	n=$((n + 1))
	f=$dir/bad$n
	printf '# t_rules_pg bad input: %s\nnever rules_never\n%s\nttl rules_ttl 1s\n' \
		"$name" "$line" >"$f"
	check_bad "$name" "$f" 3
done <<'EOF2'
unknown keyword|cache rules_bad 1s
keyword in upper case|NEVER rules_bad
bad pattern (two dots)|never a.b.c
bad pattern (empty schema)|never .rules_bad
bad pattern (unterminated quote)|never "rules_bad
bad pattern (hyphen)|never rules-bad
bad duration (unit)|ttl rules_bad 1fortnight
bad duration (no unit)|ttl rules_bad 10
bad duration (zero)|ttl rules_bad 0s
bad duration (negative)|ttl rules_bad -1s
missing duration|ttl rules_bad
missing pattern (ttl)|ttl
missing pattern (never)|never
missing function|safe
wildcard function|safe rules_*
trailing word (never)|never rules_bad extra
trailing word (ttl)|ttl rules_bad 1s 2s
trailing word (safe)|safe rules_f rules_g
EOF2

# Several problems in one file, among good lines, comments, blank lines: each one reported.
f=$dir/bad_many
cat >"$f" <<'EOF2'
# several problems
never rules_never

ttl rules_bad
   # an indented comment
nver rules_bad
ttl rules_ttl 1s  # good
never rules_bad rules_plain
safe
ttl rules_bad 5x
EOF2
check_bad "several bad lines" "$f" 4 6 8 9 10

# A control character on a line.
f=$dir/bad_ctl
printf 'never rules_never\nnever rules\001bad\n' >"$f"
check_bad "control character" "$f" 2

# A missing file and a directory: one line naming the file.
check_bad "missing file" "$dir/no-such-rules" 0
mkdir "$dir/rules.d"
check_bad "directory" "$dir/rules.d" 0

cap_pg_psql -q <<'SQL'
DROP TABLE rules_plain, rules_never, rules_ttl, rules_q, rules_other, rules_fdata, rules_log,
	rules_upd, rules_bad;
DROP FUNCTION rules_f();
SQL
echo "ok"

#!/bin/bash
# t_alloc_fail - an allocation that fails anywhere in Capacitor never changes what the program
# gets: the call passes through and the program gets the server's answer (DESIGN.md item 6).
#
# It uses the allocation-failure build (make allocfail: BUILD/allocfail/libcapacitor.so,
# tests/allocfail/allocfail.h), in which every malloc, calloc, realloc, strdup, strndup,
# posix_memalign, aligned_alloc and mmap of ours, and the libpq result builders we call, go
# through one counter; CAP_TEST_ALLOC_FAIL=N makes the Nth call of the process fail (N+: that
# one and every later one) and CAP_TEST_ALLOC_LOG names each call's site.
#
# First it checks that no object of that build calls an allocator directly (every site is
# counted). Then each step of a scenario runs once to count its calls, and again with call N
# failing, for many N; every run must print exactly what the program prints without the
# library (stdout, stderr, exit status), within its time bound (no crash, no hang):
#   pq_miss   pq_api (exec, params_bin, prepared, single: these four of its paths reach every
#             site the fourteen reach), twice per query (misses, memory-tier hits) with writes
#             (invalidations) between them; a fresh CAPACITOR_DIR per run
#   pq_l2     pq_api -w in a directory a clean pq_miss filled: shared-tier hits from a second
#             process, then memory-tier hits; the same directory for every run, so an entry a
#             failing run stored half-made would show in a later run
#   my_miss   my_api dump: Connector/C's three text paths, writes between the reads, one in
#             a transaction
#   my_l2     my_api dump of the reads only, in a directory a clean my_miss filled
#   my_ps     my_api ps: prepared statements with bound results (one 70 columns wide),
#             misses then hits
#   pq_unnamed  pq_session: hits through PQexecParams, then PQexecPrepared(conn, "")
#   pq_extra, my_extra   a rules file, SET, a temporary table, a view, a wide result and a
#             long statement (misses then hits)
# Which N: by default the first and the last call of every call site of the step (so every
# site fails at least once, early and late; only the last for a site an earlier step tried),
# and N+ for the first call of every fourth new site. CAP_AF_FULL=1 (make soak,
# soak_alloc_fail.sh) takes every N and N+ for every site's first and last call, except inside
# a run of more than 20 consecutive calls from one site (the catalog load's loop over
# pg_proc), where it takes the first, the last and every 50th. CAP_AF_JOBS runs that many at
# once (default 2); CAP_AF_STEPS=a,b runs only those steps; CAP_AF_PQ_PATHS pq_api's paths;
# CAP_AF_SECONDS stops starting runs after that many seconds (and says so).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_my
cap_need_clean_exit
aflib=$CAP_BUILD/allocfail/libcapacitor.so
[ -e "$aflib" ] || fail "$aflib not built (make allocfail)"
pq=$CAP_BUILD/clients/pq_api
my=$CAP_BUILD/clients/my_api
[ -x "$pq" ] && [ -x "$my" ] || fail "clients not built (make clients)"
full=${CAP_AF_FULL:-0}
jobs=${CAP_AF_JOBS:-2}
w=$(cap_tmpdir)
# the tables go again at the end: other tests share the databases
cleanup() {
	[ -z "${CAP_TEST_LOG:-}" ] || cp -r "$w"/. "$CAP_TEST_LOG/" 2>/dev/null || true
	cap_pg_psql -q -c 'SET client_min_messages = warning' \
		-c 'DROP VIEW IF EXISTS af_v' -c 'DROP TABLE IF EXISTS af_child, af_p' >/dev/null 2>&1 || true
	cap_my_sql -e 'DROP VIEW IF EXISTS af_v; DROP TABLE IF EXISTS af_child, af_t' >/dev/null 2>&1 || true
	_cap_cleanup
}
trap cleanup EXIT

# 1. Nothing in the library allocates behind the counter's back.
allocators='^(malloc|calloc|realloc|reallocarray|strdup|strndup|__strdup|__strndup|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|mmap|mmap64|asprintf|vasprintf)$'
direct=$(find "$CAP_BUILD/allocfail/obj" -name '*.o' ! -path '*/tests/allocfail/*' -print0 |
	xargs -0 nm -A -u | awk -v re="$allocators" '$NF ~ re { print $1, $NF }')
[ -z "$direct" ] || fail "objects calling an allocator directly (not counted): $direct"
echo "ok: every allocation of the library goes through the counter"

# 2. The scenario's tables and statements.
cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP VIEW IF EXISTS af_v;
DROP TABLE IF EXISTS af_child, af_p;
DROP TABLE IF EXISTS api_t;
CREATE TABLE api_t (id int PRIMARY KEY, v int, t text);
INSERT INTO api_t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, NULL);
DROP TABLE IF EXISTS api_big;
CREATE TABLE api_big (id int PRIMARY KEY, pad text);
INSERT INTO api_big SELECT i, repeat(chr(65 + i % 26), i % 40) FROM generate_series(1, 40) AS i;
-- a view and a foreign key: the catalog load records what each depends on
CREATE TABLE af_p (id int PRIMARY KEY, v int);
INSERT INTO af_p VALUES (1, 10), (2, 20);
CREATE VIEW af_v AS SELECT id, v FROM af_p;
CREATE TABLE af_child (id int PRIMARY KEY, p_id int REFERENCES af_p (id));
SQL
cap_my_sql <<'SQL'
DROP VIEW IF EXISTS af_v;
DROP TABLE IF EXISTS af_child, af_t;
CREATE TABLE af_t (id INT PRIMARY KEY, v INT, t VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO af_t VALUES (1, 2, 'a'), (2, 20, NULL), (3, 30, 'c'), (4, 40, 'd');
CREATE VIEW af_v AS SELECT id, v FROM af_t;
CREATE TABLE af_child (id INT PRIMARY KEY, t_id INT, g INT AS (id + 1) VIRTUAL,
  FOREIGN KEY (t_id) REFERENCES af_t (id)) ENGINE=InnoDB;
SQL
# what the other steps do not reach: a rules file, session state (SET, a temporary table),
# a result wider than the decoders' stack arrays, a statement longer than a key's inline
# buffer, a view
printf 'ttl items 1h\nttl report_* 15m\nnever af_child\nsafe lower\n' >"$w/rules"
wide_pg=$(seq -s, 1 40 | sed 's/\([0-9][0-9]*\)/\1 AS c\1/g')
wide_my=$(seq -s, 1 70 | sed 's/\([0-9][0-9]*\)/\1 AS c\1/g')
long=$(printf 'x%.0s' $(seq 1 1500))
cat >"$w/pq_extra.sql" <<SQL
SET search_path = public
SELECT $wide_pg
SELECT '$long' AS long_text, id FROM items WHERE id = 1
CREATE TEMP TABLE IF NOT EXISTS af_tmp (id int)
SELECT * FROM af_tmp
SELECT * FROM af_v ORDER BY id
SELECT lower(name) FROM items WHERE id <= 2 ORDER BY id
SELECT * FROM af_child
SQL
cat >"$w/my_extra.sql" <<SQL
SET @a = 1
SELECT @a
SET SESSION sql_mode = 'ANSI_QUOTES'
SELECT $wide_my
SELECT '$long' AS long_text, id FROM items WHERE id = 1
CREATE TEMPORARY TABLE IF NOT EXISTS af_tmp (id INT)
SELECT * FROM af_tmp
SELECT * FROM af_v ORDER BY id
SELECT LOWER(name) FROM items WHERE id <= 2 ORDER BY id
SELECT * FROM af_child
SQL
cat >"$w/my_reads.sql" <<'EOF'
SELECT id, v, t FROM af_t ORDER BY id
SELECT v FROM af_t WHERE id = 1
SELECT COUNT(*), SUM(v), MAX(t) FROM af_t
SELECT * FROM items WHERE id <= 3 ORDER BY id
SELECT 1 AS one, 'two' AS two, NULL AS three
SELECT * FROM af_t WHERE id > 100
SELECT * FROM no_such_table
EOF
# every run starts from and ends in the same state (v = 2, row 4 present)
{
	echo "UPDATE af_t SET v = 1 WHERE id = 1"
	echo "DELETE FROM af_t WHERE id = 4"
	cat "$w/my_reads.sql"
	echo "UPDATE af_t SET v = 2 WHERE id = 1"
	head -n 3 "$w/my_reads.sql"
	echo "REPLACE INTO af_t VALUES (4, 40, 'd')"
	head -n 3 "$w/my_reads.sql"
	echo "BEGIN"
	echo "UPDATE af_t SET v = 2 WHERE id = 1"
	echo "COMMIT"
	head -n 1 "$w/my_reads.sql"
} >"$w/my_all.sql"
{ cat "$w/my_reads.sql"; echo "SELECT $wide_my"; } >"$w/my_ps.sql"
# a hit through PQexecParams leaves the server's unnamed statement behind the program's:
# PQexecPrepared(conn, "") must still run the program's
cat >"$w/pq_unnamed.txt" <<'EOF'
connect a dbname=capacitor
params a SELECT id, v FROM af_p WHERE id = 1
params a SELECT id, v FROM af_p WHERE id = 2
params a SELECT id, v FROM af_p WHERE id = 1
execunnamed a
params a SELECT id, v FROM af_p WHERE id = 2
describe a
execunnamed a
finish a
EOF

# step NAME DIRMODE PAR CMD... - DIRMODE fresh (a new CAPACITOR_DIR per run) or shared:STEP
# (the one directory that a clean run of STEP filled); PAR 1 when runs may overlap (they
# only read), 0 when they write (the database's state is part of the expected output).
declare -A step_cmd step_dir step_par step_tail
steps=()
step() {
	local name=$1 mode=$2 par=$3
	shift 3
	steps+=("$name")
	step_dir[$name]=$mode
	step_par[$name]=$par
	step_cmd[$name]=$(printf '%q ' "$@")
}
pqpaths=${CAP_AF_PQ_PATHS:-exec,params_bin,prepared,single}
step pq_miss fresh 0 "$pq" -m "$pqpaths"
step pq_l2 shared:pq_miss 1 "$pq" -w -m "$pqpaths"
step my_miss fresh 0 "$my" dump "$w/my_all.sql" 2
step my_l2 shared:my_miss 1 "$my" dump "$w/my_reads.sql" 2
step my_ps fresh 1 "$my" ps "$w/my_ps.sql" 2
step pq_unnamed fresh 1 sh -c 'exec "$0" <"$1"' "$CAP_BUILD/clients/pq_session" "$w/pq_unnamed.txt"
step_tail[pq_unnamed]=1 # every call from the first hit on: which prep_new call fails matters
step pq_extra fresh 1 env CAPACITOR_RULES="$w/rules" "$pq" -f "$w/pq_extra.sql" -m "$pqpaths"
step_tail[pq_extra]=1 # and here which statement's text failed to be kept (single-row mode)
step my_extra fresh 1 env CAPACITOR_RULES="$w/rules" "$my" dump "$w/my_extra.sql" 2

# run STEP N PREFIX - one run (N "" for a counting run, "off" for no library at all), leaving
# PREFIX.out/.err/.rc/.log/.ms (and .hits for a fresh directory, which is removed after).
run() {
	local s=$1 n=$2 p=$3 dir rc=0 t0
	case "${step_dir[$s]}" in
	fresh) dir=$(mktemp -d "$w/dir.XXXXXX") ;;
	shared:*) dir=$w/shared.${step_dir[$s]#shared:} ;;
	esac
	t0=$(date +%s%N)
	if [ "$n" = off ]; then
		eval "timeout -k 2 30 env -u LD_PRELOAD ${step_cmd[$s]}" >"$p.out" 2>"$p.err" || rc=$?
	else
		eval "timeout -k 2 30 env LD_PRELOAD=${CAP_PRELOAD_PREFIX:+$CAP_PRELOAD_PREFIX:}$aflib \
			CAPACITOR_DIR=$dir CAPACITOR_DISK=4M CAP_TEST_ALLOC_FAIL=$n \
			CAP_TEST_ALLOC_LOG=$p.log ${step_cmd[$s]}" >"$p.out" 2>"$p.err" || rc=$?
	fi
	echo $((($(date +%s%N) - t0) / 1000000)) >"$p.ms"
	echo "$rc" >"$p.rc"
	if [ "${step_dir[$s]}" = fresh ]; then
		[ "$n" = off ] || CAPACITOR_DIR=$dir "$CAP_TOOL" stats --json 2>/dev/null |
			sed -n 's/.*"hits":\([0-9]*\).*/\1/p' >"$p.hits" || true
		rm -rf -- "$dir"
	fi
}

# judge STEP N PREFIX - PREFIX.why: empty when run N of STEP passed, else why not; a passing
# run's output and log are removed at once (a full sweep makes thousands).
judge() {
	local s=$1 n=$2 p=$3 why="" loads h fn
	[ "$(cat "$p.rc")" != 124 ] && [ "$(cat "$p.rc")" != 137 ] || why="hung (killed after 30 s)"
	[ -n "$why" ] || [ "$(cat "$p.ms")" -le "$limit" ] || why="took $(cat "$p.ms") ms (limit $limit ms)"
	# a catalog load that failed waits for its retry interval (5 s, longer than a run)
	# instead of being tried again by every statement
	loads=$(awk -v e="$entry" '$3 == e { n++ } END { print n + 0 }' "$p.log")
	[ -n "$why" ] || [ "$loads" -le $((loads0 + 2)) ] ||
		why="$loads catalog loads, $loads0 without a failure (a failed load retried by every statement)"
	h=$(cat "$p.hits" 2>/dev/null || echo 0)
	# Known costs, not checked: a prepared statement whose text could not be recorded
	# (prep_new) runs as an unknown statement, each execution invalidating its database; a
	# mysql_send_query whose text could not be kept (cap_my_text) leaves its connection
	# uncached (the README says so).
	fn=$(awk '$NF == "FAIL" { print $4; exit }' "$p.log")
	if [ -z "$why" ] && [ -n "$hits0" ] && [ -n "$warm" ] && [ "${n%+}" = "$n" ] &&
		[ "$fn" != prep_new ] && [ "$fn" != cap_my_text ] &&
		[ "$n" -ge "$warm" ] && [ "${h:-0}" -lt "$minhits" ]; then
		why="${h:-0} hits, $hits0 without a failure (one failure turned caching off)"
	fi
	[ -n "$why" ] || cmp -s "$w/$s/ref.rc" "$p.rc" || why="exit status $(cat "$p.rc"), expected $(cat "$w/$s/ref.rc")"
	[ -n "$why" ] || cmp -s "$w/$s/ref.err" "$p.err" || why="stderr differs"
	[ -n "$why" ] || cmp -s "$w/$s/ref.out" "$p.out" || why="stdout differs"
	awk '$NF == "FAIL" { print $3; exit }' "$p.log" >"$p.site"
	echo "$why" >"$p.why"
	[ -n "$why" ] || rm -f "$p.out" "$p.err" "$p.log"
}

# pick LOG SEEN [FROM] - the N values to try, from a counting run's log ("PID N SITE FUNCTION"
# lines). Sites listed in the file SEEN failed in an earlier step already: by default only
# their last call is tried again (the earlier steps' calls were in the same code's start-up).
# With FROM, every call from the FROMth on is tried too.
pick() {
	awk -v full="$full" -v from="${3:-0}" '
	FILENAME == ARGV[1] { seen[$1] = 1; next }
	{ n = $2; site = $3
	  if (!(site in first)) { first[site] = n; order[++ns] = site }
	  last[site] = n
	  if (site == prev) runlen++; else runlen = 1
	  prev = site
	  if (full && (runlen <= 20 || runlen % 50 == 0)) want[n] = 1
	  if (from && n >= from) want[n] = 1 }
	END {
	  for (i = 1; i <= ns; i++) {
	    s = order[i]
	    if (full || !(s in seen)) want[first[s]] = 1
	    if (full || first[s] != last[s]) want[last[s]] = 1
	  }
	  for (n in want) print n
	  for (i = 1; i <= ns; i++) {
	    s = order[i]
	    if (full || (i % 4 == 1 && !(s in seen))) print first[s] "+"
	    if (full && last[s] != first[s]) print last[s] "+"
	  }
	}' "$2" "$1" | sort -u | sort -n
}

bad=0 total=0 start=$(date +%s) budget=${CAP_AF_SECONDS:-100000}
for s in "${steps[@]}"; do
	[ -z "${CAP_AF_STEPS:-}" ] || [[ ",$CAP_AF_STEPS," == *",$s,"* ]] || continue
	mkdir -p "$w/$s"
	run "$s" off "$w/$s/ref"
	[ -s "$w/$s/ref.out" ] || fail "$s: no output without the library"
	case "${step_dir[$s]}" in
	shared:*)
		src=${step_dir[$s]#shared:}
		mkdir -p -m 0700 "$w/shared.$src"
		# fill it with a clean run of the step it names
		env LD_PRELOAD="$(cap_preload)" CAPACITOR_DIR="$w/shared.$src" CAPACITOR_DISK=4M \
			bash -c "${step_cmd[$src]}" >/dev/null 2>&1 || fail "$s: preparing run failed"
		;;
	esac
	run "$s" "" "$w/$s/count"
	for f in out err rc; do
		cmp -s "$w/$s/ref.$f" "$w/$s/count.$f" || fail "$s: the counting run differs from the reference in $f"
	done
	ncalls=$(wc -l <"$w/$s/count.log")
	# a failure after the first hit (the first result decoded) costs the hits of a statement
	# or two, not caching for the rest of the process's life: such runs keep at least half
	# the hits (or all but 6, when there are few)
	warm=$(awk '$4 == "(libpq)" || $3 ~ /mysql_codec/ { print $2; exit }' "$w/$s/count.log")
	hits0=$(cat "$w/$s/count.hits" 2>/dev/null || true)
	minhits=$((${hits0:-0} / 2))
	[ $((${hits0:-0} - 6)) -ge "$minhits" ] || minhits=$((${hits0:-0} - 6))
	# the first allocation of a catalog load (hooks/pq_catload.c, hooks/mysql_catalog.c)
	entry=$(awk '$4 == "cat_build" || $4 == "cat_load" { print $3; exit }' "$w/$s/count.log")
	loads0=$(awk -v e="$entry" '$3 == e { n++ } END { print n + 0 }' "$w/$s/count.log")
	# a failure may cost round trips (without a catalog every read reads the session state
	# back), never a stall: 20 times the counting run, at least 15 s (a loaded machine took 5.3 s
	# for a case that is quick alone; reloads and lost hits are counted apart, below)
	limit=$(($(cat "$w/$s/count.ms") * 20))
	[ "$limit" -ge 15000 ] || limit=15000
	touch "$w/seen"
	pick "$w/$s/count.log" "$w/seen" "${step_tail[$s]:+$warm}" >"$w/$s/ns"
	awk '{ print $3 }' "$w/$s/count.log" | sort -u - "$w/seen" -o "$w/seen"
	echo "$s: $ncalls counted calls from $(awk '{print $3}' "$w/$s/count.log" | sort -u | wc -l) sites; $(wc -l <"$w/$s/ns") runs"
	par=$jobs
	[ "${step_par[$s]}" = 1 ] || par=1
	while read -r n; do
		if [ $(($(date +%s) - start)) -ge "$budget" ]; then
			echo "$s: time budget of $budget s spent: runs from N=$n on not made"
			sed -i "/^$n\$/,\$d" "$w/$s/ns"
			break
		fi
		while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n || true; done
		{ run "$s" "$n" "$w/$s/$n" && judge "$s" "$n" "$w/$s/$n"; } </dev/null &
	done <"$w/$s/ns"
	wait
	while read -r n; do
		total=$((total + 1))
		p=$w/$s/$n
		why=$(cat "$p.why" 2>/dev/null || echo "no verdict")
		[ -z "$why" ] && continue
		bad=$((bad + 1))
		echo "FAIL: $s with CAP_TEST_ALLOC_FAIL=$n (first failed call at $(cat "$p.site" 2>/dev/null || true)): $why" >&2
		if [ "$bad" -le 5 ]; then
			diff -u "$w/$s/ref.err" "$p.err" | head -n 10 | sed 's/^/    /' >&2 || true
			diff -u "$w/$s/ref.out" "$p.out" | head -n 20 | sed 's/^/    /' >&2 || true
		fi
	done <"$w/$s/ns"
	case "${step_dir[$s]}" in shared:*) rm -rf -- "$w/shared.${step_dir[$s]#shared:}" ;; esac
	slow=$(for f in "$w/$s"/*.ms; do echo "$(cat "$f") ${f##*/}"; done | sort -n | tail -n 1)
	echo "$s: done (slowest run: ${slow%.ms} ms)"
done
[ "$bad" -eq 0 ] || fail "$bad of $total runs differ from the program without the library"
echo "ok: $total runs with a failing allocation, every one the same as without the library"

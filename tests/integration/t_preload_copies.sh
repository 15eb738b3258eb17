#!/bin/bash
# t_preload_copies - two copies of libcapacitor.so in one process are as one (preload/copy.h):
# an LD_PRELOAD exported for an installed copy and `capacitor run` of another build (which
# appends its own path), both orders, and a program that dlopens a copy itself (RTLD_LOCAL and
# RTLD_GLOBAL). psql, psycopg2, psycopg 3 (ctypes + dlsym), Perl DBD::Pg and a Connector/C
# client must print what they print with one copy; the active copy serves hits (counted in its
# CAPACITOR_DIR) and logs one line naming the other. Before the fix psycopg2 and DBD::Pg died
# of a stack overflow (each copy's PQisBusy calling the other's) and psycopg 3 deadlocked.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_my
cap_need_clean_exit
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
d=$(cap_tmpdir)
mkdir "$d/other"
cp "$CAP_LIB" "$d/other/libcapacitor.so"
copy=$d/other/libcapacitor.so
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB

q="SELECT id, name FROM items WHERE id <= 3 ORDER BY id"
p2="import psycopg2
c = psycopg2.connect(''); c.autocommit = True; cur = c.cursor()
for i in range(4): cur.execute('$q'); print(cur.fetchall())"
p3="import psycopg
c = psycopg.connect('', autocommit=True)
for i in range(4): print(c.execute('$q').fetchall())"
pl='use DBI; my $d = DBI->connect("dbi:Pg:", undef, undef, {RaiseError => 1});
print join(",", map { @$_ } @{$d->selectall_arrayref($ENV{Q})}), "\n" for 1..4;'
# a program that loads a copy itself, then reads through psycopg2
dl="import ctypes, os, sys
ctypes.CDLL(sys.argv[1], mode=int(sys.argv[2]))
$p2"
export Q=$q

progs=(psql psycopg2 psycopg3 perl mysql dlopen-local dlopen-global)
run_prog() { # NAME
	case "$1" in
	psql) "$CAP_PG_BIN/psql" -X -A -t -c "$q" -c "$q" -c "$q" ;;
	psycopg2) /usr/bin/python3 -c "$p2" ;;
	psycopg3) /usr/bin/python3 -c "$p3" ;;
	perl) perl -e "$pl" ;;
	mysql) "$CAP_BUILD/clients/my_passthru" ;;
	dlopen-local) /usr/bin/python3 -c "$dl" "$copy" 0 ;;
	dlopen-global) /usr/bin/python3 -c "$dl" "$copy" 256 ;;
	esac
}

/usr/bin/python3 -c 'import psycopg2, psycopg' 2>/dev/null || skip "psycopg2 or psycopg 3 missing"
perl -MDBD::Pg -e 1 2>/dev/null || skip "DBD::Pg missing"

# pre LIST - LIST after the sanitizer runtime (SANITIZE=1), which must come first
pre() {
	echo "${CAP_PRELOAD_PREFIX:+$CAP_PRELOAD_PREFIX:}$1"
}

# run LABEL PRELOAD PROG - leaves $d/LABEL.out (stdout, stderr, exit status) and LABEL.dir
run() {
	local dir=$d/$1.dir rc=0
	mkdir -m 0700 "$dir"
	CAPACITOR_DIR=$dir CAPACITOR_ENABLE=1 LD_PRELOAD=$(pre "$2") timeout -k 5 60 \
		bash -c "run_prog $3" >"$d/$1.out" 2>&1 || rc=$?
	echo "exit $rc" >>"$d/$1.out"
}

hits() { # DIR
	"$CAP_TOOL" stats --json --dir "$1" | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin).get("hits", 0))'
}

export -f run_prog
export q p2 p3 pl dl copy CAP_PG_BIN CAP_BUILD
for p in "${progs[@]}"; do
	ref=$p.one
	case "$p" in
	dlopen-*) ref=psycopg2.one ;; # two copies even with one preloaded; psycopg2's output
	*) run "$ref" "$CAP_LIB" "$p" ;;
	esac
	grep -q "^exit 0$" "$d/$ref.out" || fail "$p with one copy: $(tail -n 5 "$d/$ref.out")"
	for order in "$copy:$CAP_LIB" "$CAP_LIB:$copy"; do
		label=$p.$([ "${order%%:*}" = "$copy" ] && echo copy-first || echo build-first)
		run "$label" "$order" "$p"
		assert_eq "$label: output as with one copy" "$(cat "$d/$ref.out")" "$(cat "$d/$label.out")"
		# the first copy in the lookup order is the active one
		active=$d/$label.dir
		[ "$(hits "$active")" -gt 0 ] || fail "$label: the active copy counted no hits"
		grep -q "another copy of Capacitor is loaded (" "$active/log" ||
			fail "$label: no log line about the other copy: $(cat "$active/log" 2>/dev/null)"
		! grep -q "second copy of a client library" "$active/log" ||
			fail "$label: the other Capacitor taken for a client library"
		echo "ok   $label"
	done
done
# Only the active copy does anything: a bad value is reported once, by it, not by both.
for order in "$copy:$CAP_LIB" "$CAP_LIB:$copy"; do
	n=$(CAPACITOR_DIR=$d/ttl.dir CAPACITOR_TTL=5 LD_PRELOAD=$(pre "$order") "$CAP_PG_BIN/psql" -X -A -t \
		-c "$q" 2>&1 >/dev/null | grep -c "CAPACITOR_TTL='5' is not valid" || true)
	assert_eq "$order: lines for a bad value" 1 "$n"
done
echo "ok   the inactive copy says nothing"
echo "ok"

#!/bin/bash
# t_unseen_clients - `capacitor stats` says when a process loaded a client library whose calls
# Capacitor cannot see (unseen_clients, one per process and kind, with one line in the log):
# libpq loaded by dlmopen into a new namespace (by soname and by path), a second copy of libpq
# beside the one the hooks call (tests/clients/dl_unseen), and a program that defines the
# client functions itself (tests/clients/dl_static, noticed when it loads a plugin). An
# ordinary psql run and a program that loads libpq with dlopen report nothing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/dl_unseen
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)

libpq=$(/sbin/ldconfig -p | awk '$1 == "libpq.so.5" && !f { print $NF; f = 1 }')
[ -n "$libpq" ] || fail "libpq.so.5 not found by ldconfig"
cp "$libpq" "$d/libpq.so.5.copy"

# check LABEL WANT LOG-PATTERN CMD... - run CMD with the library on a fresh CAPACITOR_DIR; it
# must succeed, and unseen_clients must be WANT with a log line matching LOG-PATTERN (none
# mentioning unseen_clients when WANT is 0).
check() {
	local label=$1 want=$2 pat=$3 dir got
	shift 3
	dir=$(mktemp -d "$d/cap.XXXXXX")
	chmod 0700 "$dir"
	env LD_PRELOAD="$(cap_preload)" CAPACITOR_DIR="$dir" CAPACITOR_ENABLE=1 "$@" \
		>"$d/$label.out" 2>&1 || fail "$label: exit $?: $(tail -n 3 "$d/$label.out")"
	got=$("$CAP_TOOL" stats --json --dir "$dir" | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin).get("unseen_clients", "missing"))') ||
		fail "$label: capacitor stats --json failed"
	assert_eq "$label: unseen_clients" "$want" "$got"
	if [ "$want" = 0 ]; then
		! grep -q unseen_clients "$dir/log" 2>/dev/null || fail "$label: log: $(grep unseen_clients "$dir/log")"
	else
		grep -q -- "$pat" "$dir/log" 2>/dev/null ||
			fail "$label: no log line matching '$pat': $(cat "$dir/log" 2>/dev/null)"
		"$CAP_TOOL" stats --dir "$dir" | grep -q "unseen_clients *$want " ||
			fail "$label: capacitor stats (text) does not show unseen_clients $want"
	fi
	echo "ok   $label: unseen_clients $got"
}

check psql 0 "" "$CAP_PG_BIN/psql" -X -q -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" \
	-d "$CAP_PG_DB" -c "SELECT count(*) FROM items" -c "SELECT count(*) FROM items"
check plain 0 "" "$client" plain
check ns 1 "libpq.so.5: loaded into another dlmopen namespace" "$client" ns
check ns-path 1 "$libpq: loaded into another dlmopen namespace" "$client" ns-path "$libpq"
check copy 1 "$d/libpq.so.5.copy: a second copy of a client library" "$client" copy "$d/libpq.so.5.copy"
check static 1 "PQexec: defined by the program itself" "$CAP_BUILD/clients/dl_static"
echo "ok"

#!/bin/bash
# t_pg_dlsym - a program that loads libpq itself (dlopen RTLD_LOCAL) and takes every function
# with dlsym/dlvsym on its own handle (tests/clients/dl_pq, as psycopg 3's ctypes
# implementation does) is served: its output equals the run without the library (library off,
# cold, warm), its repeated reads are hits, its writes are seen by the next read, the lookups
# are counted as dlsym_redirects, dlerror behaves as without the library, a libpq loaded into
# another dlmopen namespace is left alone, and dlsym(RTLD_NEXT) from the program still means
# "after the program". Reads through the asynchronous API never hang, whether the program asks
# PQisBusy before it waits, calls PQconsumeInput first, or waits first (poll, or an
# edge-triggered epoll set) - on a nonblocking connection on a socket number fetched before
# anything was sent, on a blocking one asking PQsocket before waiting.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/dl_pq
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT

# Reset through the library, so that the reset itself invalidates what earlier runs cached.
reset_table() {
	env LD_PRELOAD="$(cap_preload)" "$CAP_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CAP_PG_HOST" \
		-p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS dl_t;
CREATE TABLE dl_t (id int PRIMARY KEY, v int);
INSERT INTO dl_t VALUES (1, 10), (2, 20), (3, NULL);
SQL
}

failures=0
for mode in off enable0 cold warm; do
	reset_table
	rc=0
	case $mode in
	off) env -u LD_PRELOAD "$client" >"$d/$mode" 2>&1 || rc=$? ;;
	enable0) env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=0 "$client" >"$d/$mode" 2>&1 || rc=$? ;;
	*) env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$client" >"$d/$mode" 2>&1 || rc=$? ;;
	esac
	if [ "$rc" -eq 3 ]; then
		echo "FAIL $mode: hang: $(grep -m1 HANG "$d/$mode")"
		failures=$((failures + 1))
	elif [ "$rc" -ne 0 ]; then
		echo "FAIL $mode: exit $rc: $(tail -n 3 "$d/$mode")"
		failures=$((failures + 1))
	elif [ "$mode" != off ] && ! cmp -s "$d/off" "$d/$mode"; then
		echo "FAIL $mode: output differs from the run without the library:"
		diff -u "$d/off" "$d/$mode" | head -n 30 | sed 's/^/    /' || true
		failures=$((failures + 1))
	else
		echo "ok   $mode ($(wc -l <"$d/$mode") lines)"
	fi
done
[ "$failures" -eq 0 ] || fail "$failures run(s) failed"

stat() {
	"$CAP_TOOL" stats --json | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" | head -n 1
}
hits=$(stat hits)
redirects=$(stat dlsym_redirects)
echo "hits=$hits dlsym_redirects=$redirects"
[ "${hits:-0}" -gt 0 ] || fail "no hits: the program's calls did not reach Capacitor"
[ "${redirects:-0}" -gt 0 ] || fail "no dlsym redirections counted"

out=$(env LD_PRELOAD="$(cap_preload)" "$client" --preloaded 2>&1) || fail "dl_pq --preloaded failed: $out"
grep -q '^RTLD_NEXT PQexec from the program: found$' <<<"$out" ||
	fail "dlsym(RTLD_NEXT) from the program lost its caller: $(grep RTLD_NEXT <<<"$out")"
echo "ok"

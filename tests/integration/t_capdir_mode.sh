#!/bin/bash
# t_capdir_mode - CAPACITOR_DIR must be a directory of yours with mode 0700 (README, "Another user
# cannot read ..."). One that others may enter or list (0755, 0711, 0750, 0701) is not used:
# no file is made in it, the program reads as without the library, and one line at load on
# stderr says what to do; `capacitor stats` refuses it the same way. 0700 is used. (Before, any
# mode without a group/other write bit was used, and as root CAPACITOR_DIR=/ filled / with the
# shared files.)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_fd2
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
ref=$("$client" closed) || fail "pq_fd2 without the library"

for mode in 0755 0711 0750 0701; do
	dir=$d/m$mode
	mkdir "$dir"
	chmod "$mode" "$dir"
	out=$(CAPACITOR_DIR=$dir LD_PRELOAD=$(cap_preload) "$client" closed 2>"$d/err") ||
		fail "mode $mode: the program failed: $(cat "$d/err")"
	assert_eq "mode $mode: output" "$ref" "$out"
	[ -z "$(ls -A "$dir")" ] || fail "mode $mode: files were made in it: $(ls -A "$dir")"
	assert_eq "mode $mode: one line on stderr" 1 "$(grep -c '^capacitor: CAPACITOR_DIR is not used' "$d/err" || true)"
	grep -q "others may enter or list it (mode ${mode#0}); it must be a directory of its own, yours, mode 0700: name a new path" "$d/err" ||
		fail "mode $mode: the line does not say what to do: $(cat "$d/err")"
	rc=0
	"$CAP_TOOL" stats --dir "$dir" >/dev/null 2>"$d/err" || rc=$?
	[ "$rc" -ne 0 ] || fail "mode $mode: capacitor stats read it"
	grep -q "name a new path (created so), or chmod 0700" "$d/err" || fail "mode $mode: capacitor stats does not say what to do: $(cat "$d/err")"
	echo "ok   mode $mode refused"
done

dir=$d/m0700
mkdir -m 0700 "$dir"
out=$(CAPACITOR_DIR=$dir LD_PRELOAD=$(cap_preload) "$client" closed 2>"$d/err") || fail "mode 0700: failed"
assert_eq "mode 0700: output" "$ref" "$out"
[ ! -s "$d/err" ] || fail "mode 0700: stderr: $(cat "$d/err")"
[ -e "$dir/gen" ] || fail "mode 0700: not used (no gen)"
"$CAP_TOOL" stats --dir "$dir" >/dev/null || fail "mode 0700: capacitor stats refused it"
echo "ok   mode 0700 used"
echo "ok"

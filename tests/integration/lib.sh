# shellcheck shell=bash
# lib.sh - helpers for the shell integration tests (sourced; run.sh provides the environment).
#
#   cap_need_pg / cap_need_my   exit 77 (skip) when the fixture server is not available
#   cap_need_clean_exit         exit 77 when preloaded libpq programs hang at exit (SANITIZE=1)
#   cap_pg_psql ARGS...         psql against the fixture database (no ~/.psqlrc)
#   cap_my_sql ARGS...          mariadb client against the fixture database, for SETUP ONLY:
#                               the static client does not go through libmysqlclient
#   cap_preload                 print the LD_PRELOAD value that loads Capacitor
#   cap_tmpdir                  print a fresh directory removed when the test exits
#   fail MSG / assert_eq WHAT EXPECTED GOT / assert_status WHAT EXPECTED CMD...
#   cap_compare_modes LABEL FILTER CMD...   same output without the library, with it off, on
set -euo pipefail

: "${CAP_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${CAP_BUILD:=$CAP_ROOT/build}"
: "${CAP_LIB:=$CAP_BUILD/libcapacitor.so}"
: "${CAP_TOOL:=$CAP_BUILD/capacitor}"
: "${CAP_PRELOAD_PREFIX:=}"
: "${CAP_PG_BIN:=/usr/lib/postgresql/15/bin}"

_cap_tmpbase=$(mktemp -d /tmp/capacitor-t.XXXXXX)
_cap_cleanup() {
	rm -rf -- "$_cap_tmpbase"
}
trap _cap_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "skip: $*"
	exit 77
}

assert_eq() {
	# assert_eq WHAT EXPECTED GOT
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1" >&2
		diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /' >&2 || true
		exit 1
	fi
}

assert_status() {
	# assert_status WHAT EXPECTED CMD... - run CMD, compare its exit status.
	local what=$1 want=$2 rc=0
	shift 2
	"$@" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$what: exit status $rc, expected $want"
}

cap_need_pg() {
	[ -n "${CAP_PG_PORT:-}" ] || skip "no PostgreSQL fixture (run through tests/integration/run.sh)"
}

cap_need_my() {
	[ -n "${CAP_MY_PORT:-}" ] || skip "no MariaDB fixture (run through tests/integration/run.sh)"
}

cap_need_clean_exit() {
	# Skip when preloaded libpq programs cannot exit under SANITIZE=1 (see run.sh).
	[ "${CAP_SAN_EXIT_HANG:-0}" != 1 ] ||
		skip "libpq programs hang at exit with libasan preloaded (toolchain problem, tests/README.md)"
}

cap_pg_psql() {
	"$CAP_PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
		-U "$CAP_PG_USER" -d "$CAP_PG_DB" "$@"
}

cap_my_sql() {
	mariadb --no-defaults -u"$CAP_MY_USER" -p"$CAP_MY_PASSWORD" -S "$CAP_MY_SOCKET" \
		"$CAP_MY_DB" "$@"
}

cap_preload() {
	echo "${CAP_PRELOAD_PREFIX:+$CAP_PRELOAD_PREFIX:}$CAP_LIB"
}

cap_tmpdir() {
	mktemp -d "$_cap_tmpbase/d.XXXXXX"
}

# Pass-through comparison. Every command runs in each mode, in this order:
#   off       without the library (the reference)
#   enable0   LD_PRELOAD=the library, CAPACITOR_ENABLE=0
#   enable1   LD_PRELOAD=the library, CAPACITOR_ENABLE=1 (cold cache the first time)
#   warm      the same again: repeated reads can now be answered from the shared tier
# and its stdout, stderr and exit status must be identical to the reference.
CAP_MODES=(off enable0 enable1 warm)

cap_run_mode() {
	# cap_run_mode MODE PREFIX CMD... - run CMD, leaving PREFIX.out, PREFIX.err, PREFIX.rc
	local mode=$1 prefix=$2 rc=0
	shift 2
	local t=(timeout -k 5 "${CAP_MODE_TIMEOUT:-120}")
	case "$mode" in
	off) "${t[@]}" env -u LD_PRELOAD "$@" >"$prefix.out" 2>"$prefix.err" || rc=$? ;;
	enable0) "${t[@]}" env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=0 "$@" >"$prefix.out" 2>"$prefix.err" || rc=$? ;;
	enable1 | warm) "${t[@]}" env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 "$@" >"$prefix.out" 2>"$prefix.err" || rc=$? ;;
	*) fail "unknown mode $mode" ;;
	esac
	[ "$rc" -ne 124 ] || echo "cap_run_mode: $mode: timed out after ${CAP_MODE_TIMEOUT:-120}s: $*" >&2
	echo "$rc" >"$prefix.rc"
}

cap_compare_modes() {
	# cap_compare_modes LABEL FILTER CMD... - run CMD in every mode and compare with `off`.
	# FILTER is a command applied to stdout and stderr before comparing ("cat" for none).
	local label=$1 filter=$2 dir mode f bad=0
	shift 2
	dir=$(cap_tmpdir)
	for mode in "${CAP_MODES[@]}"; do
		cap_run_mode "$mode" "$dir/$mode" "$@"
		for f in out err; do
			bash -c "$filter" <"$dir/$mode.$f" >"$dir/$mode.$f.cmp" 2>&1 || true
		done
	done
	for mode in "${CAP_MODES[@]:1}"; do
		for f in rc out.cmp err.cmp; do
			if ! cmp -s "$dir/off.$f" "$dir/$mode.$f"; then
				echo "FAIL: $label: $mode differs from off in ${f%.cmp}:" >&2
				diff -u --label "off.$f" --label "$mode.$f" "$dir/off.$f" "$dir/$mode.$f" |
					head -n 40 | sed 's/^/    /' >&2 || true
				bad=1
			fi
		done
	done
	if [ -n "${CAP_TEST_LOG:-}" ]; then
		mkdir -p "$CAP_TEST_LOG/$label"
		cp "$dir"/* "$CAP_TEST_LOG/$label/" 2>/dev/null || true
	fi
	[ "$bad" -eq 0 ] || exit 1
	echo "ok: $label: identical in modes ${CAP_MODES[*]} (exit $(cat "$dir/off.rc"))"
}

# shellcheck shell=bash
# lib.sh - helpers for the shell integration tests (sourced; run.sh provides the environment).
#
#   cap_need_pg / cap_need_my   exit 77 (skip) when the fixture server is not available
#   cap_pg_psql ARGS...         psql against the fixture database (no ~/.psqlrc)
#   cap_my_sql ARGS...          mariadb client against the fixture database, for SETUP ONLY:
#                               the static client does not go through libmysqlclient
#   cap_preload                 print the LD_PRELOAD value that loads Capacitor
#   cap_tmpdir                  print a fresh directory removed when the test exits
#   fail MSG / assert_eq WHAT EXPECTED GOT / assert_status WHAT EXPECTED CMD...
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

cap_pg_psql() {
	"$CAP_PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" \
		-U "$CAP_PG_USER" -d "$CAP_PG_DB" "$@"
}

cap_my_sql() {
	mariadb --no-defaults -u"$CAP_MY_USER" -p"$CAP_MY_PASSWORD" -S "$CAP_MY_SOCKET" \
		"$CAP_MY_DB" "$@"
}

cap_preload() {
	echo "${CAP_PRELOAD_PREFIX:+$CAP_PRELOAD_PREFIX }$CAP_LIB"
}

cap_tmpdir() {
	mktemp -d "$_cap_tmpbase/d.XXXXXX"
}

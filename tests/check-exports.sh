#!/bin/bash
# check-exports.sh LIB [EXPORTS-FILE...] - the library exports exactly the interposed functions
# the .exports files list (hooks/*.exports for the client libraries, preload/dl.exports for
# dlsym and dlvsym; one symbol per line, '#' starts a comment), no more and no fewer,
# and it has no DT_NEEDED entry on a client library (libpq, libmariadb, libmysqlclient) or on
# libxxhash: those are found in the host process at run time, never loaded by us.
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 LIB [EXPORTS-FILE...]" >&2
	exit 2
fi
lib=$1
shift
[ -r "$lib" ] || { echo "check-exports: cannot read $lib" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

if [ $# -gt 0 ]; then
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$@" | sort -u >"$tmp/want"
else
	: >"$tmp/want"
fi
# Defined dynamic symbols, without version suffixes; the version node names the linker adds
# for a version script (type A) are not functions.
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/have"

status=0
extra=$(comm -13 "$tmp/want" "$tmp/have")
missing=$(comm -23 "$tmp/want" "$tmp/have")
if [ -n "$extra" ]; then
	echo "check-exports: $lib exports symbols no .exports file lists:" >&2
	sed 's/^/    /' <<<"$extra" >&2
	status=1
fi
if [ -n "$missing" ]; then
	echo "check-exports: $lib lacks symbols the exports files list:" >&2
	sed 's/^/    /' <<<"$missing" >&2
	status=1
fi
needed=$(readelf -d "$lib" | awk '/\(NEEDED\)/ { print $NF }' | tr -d '[]' |
	grep -E 'libpq|libmariadb|libmysqlclient|libxxhash' || true)
if [ -n "$needed" ]; then
	echo "check-exports: $lib must not depend on these (DT_NEEDED):" >&2
	sed 's/^/    /' <<<"$needed" >&2
	status=1
fi
if [ "$status" -eq 0 ]; then
	echo "check-exports: $lib exports $(wc -l <"$tmp/want") symbols as listed; no client library needed"
fi
exit "$status"

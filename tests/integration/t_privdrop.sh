#!/bin/bash
# t_privdrop - a process that drops its privileges or chroots after its first queries keeps
# invalidating the other processes of its CAPACITOR_DIR and keeps seeing their writes (README,
# "Invalidation never silently stops"), over libpq and libmysqlclient (tests/clients/privdrop.h:
# setuid to nobody, chroot, seteuid around each write; and the table deleted while such a
# process cannot reach the directory). Needs root.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_my
[ "$(id -u)" -eq 0 ] || skip "needs root (setuid, chroot)"
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
for c in pq_privdrop my_privdrop; do
	[ -x "$CAP_BUILD/clients/$c" ] || fail "$c not built (make clients)"
done

cap_pg_psql -qc "DROP TABLE IF EXISTS pd; CREATE TABLE pd (id int PRIMARY KEY, v int); INSERT INTO pd VALUES (1, 0)"
cap_my_sql -e "DROP TABLE IF EXISTS pd; CREATE TABLE pd (id int PRIMARY KEY, v int) ENGINE=InnoDB; INSERT INTO pd VALUES (1, 0)"

# Directories like the default /dev/shm/capacitor-<uid>: mode 0700 in a directory that others
# may traverse (nobody then sees the directory but may not search it), and one in a 0700
# directory (nobody cannot even see it). The chroot target is an empty directory.
open=$(mktemp -d /tmp/capacitor-pd.XXXXXX)
chmod 0711 "$open"
trap '_cap_cleanup; rm -rf -- "$open"' EXIT
closed=$(cap_tmpdir)
root=$(cap_tmpdir)
n=0

hits() {
	CAPACITOR_DIR=$1 "$CAP_TOOL" stats --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("hits", 0))'
}

# one CLIENT MODE PARENT: a fresh CAPACITOR_DIR in PARENT
one() {
	local dir rc=0 out
	n=$((n + 1))
	dir=$3/d$n
	out=$(env LD_PRELOAD="$(cap_preload)" CAPACITOR_ENABLE=1 CAPACITOR_DIR="$dir" \
		timeout 60 "$CAP_BUILD/clients/$1" "$2" 3 "$root" 2>&1) || rc=$?
	echo "$1 $2 (CAPACITOR_DIR in a $(stat -c %a "$3") directory):"
	echo "$out" | sed 's/^/    /'
	[ "$rc" -eq 0 ] || fail "$1 $2: exit $rc (a stale read is exit 1)"
	[ "$(hits "$dir")" -gt 0 ] || fail "$1 $2: no hits: the run did not exercise the cache"
}

for c in pq_privdrop my_privdrop; do
	for m in setuid chroot euid unlink-setuid unlink-chroot; do
		one "$c" "$m" "$open"
	done
	one "$c" setuid "$closed"
	one "$c" unlink-setuid "$closed"
done
echo "ok"

#!/bin/bash
# t_preload_fifo.sh - a FIFO put under a name Capacitor opens in CAPACITOR_DIR (a follower's
# heartbeat follow.NAME, gen, stats, l2.cache, log) must not make anything wait for a writer:
# psql under the library answers at once, and so do `capacitor stats` and
# `capacitor follow --status` (before, a FIFO named follow.x hung every program using the
# directory: opening it for reading waited for a writer).
. "$(dirname "$0")/lib.sh"
cap_need_pg
cap_need_clean_exit
PSQL="$CAP_PG_BIN/psql -X -tA -h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $CAP_PG_DB"
for name in follow.evil gen stats l2.cache log; do
	d=$(mktemp -d /tmp/capacitor-fifo.XXXXXX)
	chmod 700 "$d"
	CAPACITOR_DIR=$d LD_PRELOAD=$(cap_preload) $PSQL -c "SELECT 1" >/dev/null ||
		fail "$name: psql failed before the FIFO"
	rm -f "$d/$name"
	mkfifo -m 600 "$d/$name"
	rc=0
	out=$(CAPACITOR_DIR=$d LD_PRELOAD=$(cap_preload) timeout 20 $PSQL \
		-c "SELECT count(*) FROM items" -c "SELECT count(*) FROM items" 2>&1) || rc=$?
	[ "$rc" = 0 ] || fail "$name: psql under the library exited $rc (124: it hung): $out"
	assert_eq "$name: psql's answer" "100
100" "$out"
	rc=0
	CAPACITOR_DIR=$d timeout 20 "$CAP_TOOL" stats >/dev/null 2>&1 || rc=$?
	[ "$rc" != 124 ] || fail "$name: capacitor stats hung"
	rc=0
	CAPACITOR_DIR=$d timeout 20 "$CAP_TOOL" follow --status >/dev/null 2>&1 || rc=$?
	[ "$rc" != 124 ] || fail "$name: capacitor follow --status hung"
	echo "ok: a FIFO named $name waits for nothing"
	rm -rf "$d"
done
echo "ok"

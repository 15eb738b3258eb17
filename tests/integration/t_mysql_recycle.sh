#!/bin/bash
# t_mysql_recycle.sh - a connection recycled as pools do it (mysql_reset_connection,
# mysql_change_user) after a write in an open transaction: the server rolled the transaction
# back, so the write's in-flight marker goes with it and other processes cache the table
# again while the recycled connection lives on (as after COMMIT); before, the marker stayed
# until the process ended and nothing of the table was cached anywhere meanwhile.
. "$(dirname "$0")/lib.sh"
cap_need_my
rc=$CAP_BUILD/clients/my_recycle
[ -x "$rc" ] || fail "$rc not built (make clients)"
"$rc" setup || fail "setup failed"
sleep 1.2 # the catalog after the DDL
hits() { { "$CAP_TOOL" stats --json 2>/dev/null || echo '{}'; } |
	python3 -c 'import json,sys; print(json.load(sys.stdin).get("hits", 0))'; }
for mode in commit reset change_user; do
	LD_PRELOAD=$(cap_preload) "$rc" "$mode" &
	wp=$!
	sleep 0.8 # the writer's transaction has ended on the server
	h0=$(hits)
	LD_PRELOAD=$(cap_preload) "$rc" reader 10
	h1=$(hits)
	wait "$wp"
	echo "$mode: $((h1 - h0)) hits in 10 reads of the table while the writer lives on"
	[ $((h1 - h0)) -ge 5 ] || fail "$mode: the table was not cached after the transaction ended"
done
echo "ok"

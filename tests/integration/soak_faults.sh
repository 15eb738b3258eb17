#!/bin/bash
# soak_faults - t_preload_faults over and over for about CAP_SOAK_SECONDS (default 480): more
# operations per process, 200 writer processes SIGKILLed per round, a new seed each round.
# Every round must pass (no stale read, no crash, nothing on stderr, no wait past its bound),
# and a process that reads and writes under the library all along keeps a flat RSS and
# CAPACITOR_DIR size.
# Run by `make soak` (tests/integration/run.sh soak_ with CAP_TEST_TIMEOUT=900).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_clean_exit
budget=${CAP_SOAK_SECONDS:-480}
start=$(date +%s)
round=0
seed=${CAP_TEST_SEED:-$(date +%s)}

# Beside the rounds, one long-lived process under the library (this test's CAPACITOR_DIR)
# reads and writes for the whole soak: its RSS and the directory's size must stay flat.
env -u LD_PRELOAD "$CAP_PG_BIN/psql" -X -q -c "DROP TABLE IF EXISTS soak_kv" \
	-c "CREATE TABLE soak_kv (id int PRIMARY KEY, v text)" \
	-c "INSERT INTO soak_kv SELECT i, md5(i::text) FROM generate_series(1, 5000) i" >/dev/null
cat >"$CAP_TEST_LOG/soak_rw.py" <<'PY'
import os, random, psycopg2
c = psycopg2.connect(host=os.environ["CAP_PG_HOST"], port=os.environ["CAP_PG_PORT"],
                     user=os.environ["CAP_PG_USER"], dbname=os.environ["CAP_PG_DB"])
c.autocommit = True
cur = c.cursor()
while True:
    k = random.randint(1, 5000)
    if random.random() < 0.1:
        cur.execute("UPDATE soak_kv SET v = md5(random()::text) WHERE id = %s", (k,))
    else:
        cur.execute("SELECT v FROM soak_kv WHERE id = %s", (k,))
        cur.fetchall()
PY
LD_PRELOAD=$(cap_preload) /usr/bin/python3 "$CAP_TEST_LOG/soak_rw.py" &
rw=$!
trap 'kill "$rw" 2>/dev/null' EXIT
# anonymous memory only: the shared tier's mapping (CAPACITOR_DISK) counts in VmRSS as its
# pages are touched, which is the file, not a leak
rss() { awk '/^RssAnon/ { print $2 }' "/proc/$rw/status" 2>/dev/null || echo 0; }
dirkb() { du -sk "$CAPACITOR_DIR" | cut -f1; }
sleep 5 # warm: the memory tier and the catalog are allocated
rss0=$(rss) dir0=$(dirkb)
echo "long-lived process: anonymous RSS ${rss0} kB, CAPACITOR_DIR ${dir0} kB after warm-up"

while [ $(($(date +%s) - start)) -lt "$budget" ]; do
	round=$((round + 1))
	echo "round $round (seed $((seed + round)))"
	CAP_TEST_SEED=$((seed + round)) CAP_FAULT_OPS=${CAP_FAULT_OPS:-20000} \
		CAP_FAULT_KILLS=${CAP_FAULT_KILLS:-200} \
		bash "$CAP_ROOT/tests/integration/t_preload_faults.sh" || fail "round $round failed"
	kill -0 "$rw" 2>/dev/null || fail "the long-lived process died"
	echo "  long-lived process: anonymous RSS $(rss) kB, CAPACITOR_DIR $(dirkb) kB"
done
rss1=$(rss) dir1=$(dirkb)
kill "$rw"
# flat: the memory tier's budget (CAPACITOR_MEM, 64M) bounds what the cache itself holds;
# growth past that and a quarter more, or a directory that grows, is a leak
[ "$rss1" -le $((rss0 + rss0 / 4 + 65536)) ] || fail "RSS grew from ${rss0} to ${rss1} kB"
[ "$dir1" -le $((dir0 + 1024)) ] || fail "CAPACITOR_DIR grew from ${dir0} to ${dir1} kB"
echo "ok: $round rounds in $(($(date +%s) - start))s; RSS ${rss0} -> ${rss1} kB, CAPACITOR_DIR ${dir0} -> ${dir1} kB"

#!/bin/bash
# t_mysql_coherence.sh - 8 processes, >= 100,000 random reads and writes through Capacitor on
# one MariaDB table (text API; prepared statements; half and half): no read returns a version
# older than one whose write had completed before the read started; and hits do happen.
. "$(dirname "$0")/lib.sh"
cap_need_my
bin=$CAP_BUILD/clients/my_coherence
[ -x "$bin" ] || fail "$bin not built (make clients)"
cap_my_sql <<'SQL'
DROP TABLE IF EXISTS coh;
CREATE TABLE coh (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB;
INSERT INTO coh SELECT seq, 0 FROM seq_1_to_64;
SQL
out=$(LD_PRELOAD=$(cap_preload) "$bin" 8 12500 64 10) || { echo "$out"; fail "coherence violations"; }
echo "$out"
ops=$(echo "$out" | awk '{print $2}')
[ "$ops" -ge 100000 ] || fail "only $ops operations"
# fewer writes: more hits racing with them
out=$(LD_PRELOAD=$(cap_preload) "$bin" 8 12500 256 2) || { echo "$out"; fail "coherence violations (2% writes)"; }
echo "$out"
# the same through prepared statements, then half the processes prepared, half text
for ps in 1 mixed; do
	out=$(MY_COH_PS=$ps LD_PRELOAD=$(cap_preload) "$bin" 8 12500 64 10) || { echo "$out"; fail "coherence violations (prepared: $ps)"; }
	echo "prepared $ps: $out"
	out=$(MY_COH_PS=$ps LD_PRELOAD=$(cap_preload) "$bin" 8 12500 64 2) || { echo "$out"; fail "coherence violations (prepared: $ps, 2% writes)"; }
	echo "prepared $ps: $out"
done
hits=$("$CAP_TOOL" stats --json | sed -n 's/.*"hits":\([0-9]*\).*/\1/p')
echo "hits=$hits"
[ "${hits:-0}" -ge 10000 ] || fail "expected hits, got ${hits:-none}"
echo ok

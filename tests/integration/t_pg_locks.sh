#!/bin/bash
# t_pg_locks - a hit takes no table lock, so a table another session locks through Capacitor
# (LOCK TABLE, ACCESS EXCLUSIVE by default) must not be answered from the cache while that
# transaction runs (attack round 7, pg-1, pg-2): a read that starts after the lock is taken
# waits, as without Capacitor, and returns what the locking transaction committed; under
# lock_timeout it fails as the server makes it fail. Autocommit and inside a transaction.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
export CAPACITOR_DIR=$d/cap CAPACITOR_ENABLE=1
mkdir -m 0700 "$CAPACITOR_DIR"
cap_pg_psql -q -c "DROP TABLE IF EXISTS lk_acct; CREATE TABLE lk_acct (id int PRIMARY KEY, balance int); INSERT INTO lk_acct VALUES (1, 100)"
P() { LD_PRELOAD="$(cap_preload)" "$CAP_PG_BIN/psql" -X -q -At "$@"; }
# run TXN LOCKTIMEOUT: B locks the table, writes and commits a second later; A reads after B
# holds the lock. Prints what A printed (its error too).
run() {
	local txn=$1 lt=$2 go=$d/go out
	rm -f "$go"
	cap_pg_psql -q -c "UPDATE lk_acct SET balance = 100"
	local pre="SET lock_timeout = 0"
	[ "$lt" = 0 ] || pre="SET lock_timeout = '${lt}ms'"
	for _ in 1 2; do P -c "$pre" -c "SELECT balance FROM lk_acct WHERE id = 1" >/dev/null; done # cached
	P >/dev/null <<SQL &
BEGIN;
LOCK TABLE lk_acct;
\! touch $go
SELECT pg_sleep(1);
UPDATE lk_acct SET balance = balance - 30 WHERE id = 1;
COMMIT;
SQL
	for _ in $(seq 1 500); do [ -e "$go" ] && break; sleep 0.02; done
	[ -e "$go" ] || fail "the locking session did not start"
	if [ "$txn" = txn ]; then
		out=$(P -c "$pre" -c "BEGIN" -c "SELECT balance FROM lk_acct WHERE id = 1" -c "COMMIT" 2>&1) || true
	else
		out=$(P -c "$pre" -c "SELECT balance FROM lk_acct WHERE id = 1" 2>&1) || true
	fi
	wait
	echo "$out" | grep -v '^SET$\|^BEGIN$\|^COMMIT$\|^ROLLBACK$' | sed 's/^psql:[^E]*//'
}
for txn in autocommit txn; do
	got=$(run "$txn" 0)
	[ "$got" = 70 ] || fail "[$txn] a read that began while the table was locked returned '$got', not the locking transaction's 70"
	got=$(run "$txn" 200)
	case $got in
	*"canceling statement due to lock timeout"*) ;;
	*) fail "[$txn] under lock_timeout a read of the locked table returned '$got', not the server's lock timeout" ;;
	esac
	echo "[$txn] reads of a locked table wait for the lock, and time out, as without Capacitor"
done
echo "ok: LOCK TABLE through Capacitor holds back reads of that table as the server does"

#!/bin/bash
# t_conn_closed - a cached read on a connection the server has closed reports the closed
# connection, as without Capacitor: another session ends it (pg_terminate_backend, KILL), and
# 200 ms later the program reads what it read before (a hit until then). PostgreSQL: PQexec,
# PQexecParams, PQexecPrepared and PQsendQueryPrepared (tests/clients/pq_funcs), psql,
# psycopg2 and DBD::Pg; MariaDB: the text API, mysql_send_query and a prepared statement
# (tests/clients/my_session), also with MYSQL_OPT_RECONNECT, MySQLdb and DBD::MariaDB. No
# query of Capacitor's own goes first on the closed connection (a read-back, a catalog load).
# Every script prints the same, error text included, with Capacitor as without it, and a new
# session (PQreset, a reconnect) is served from the cache again. The watcher thread is never
# the program's to see: a single-threaded program that forks, or calls setns(mnt) and
# unshare(CLONE_NEWUSER), with connections watched finds one thread (and Python >= 3.12 does
# not warn at os.fork()), and a close made while the watcher was stopped is still reported.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_clean_exit
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
d=$(cap_tmpdir)
trap '[ -n "${CAP_TEST_LOG:-}" ] && cp -r "$d"/. "$CAP_TEST_LOG/" 2>/dev/null; _cap_cleanup' EXIT
failures=0
bad() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# same LABEL FILE.off FILE.on - the two runs printed the same.
same() {
	if cmp -s "$2" "$3"; then
		echo "ok: $1"
	else
		bad "$1: output differs with Capacitor"
		diff -u "$2" "$3" | sed 's/^/    /' >&2 || true
	fi
}

# check LABEL CMD... <SCRIPT - CMD reads SCRIPT, without and with Capacitor.
check() {
	local label=$1 n
	shift
	n=$(echo "$label" | tr -c 'a-zA-Z0-9\n' _)
	cat >"$d/$n.in"
	env -u LD_PRELOAD timeout -k 5 60 "$@" <"$d/$n.in" >"$d/$n.off" 2>&1 ||
		echo "exit $?" >>"$d/$n.off"
	env LD_PRELOAD="$CAP_PRELOAD" CAPACITOR_ENABLE=1 timeout -k 5 60 "$@" <"$d/$n.in" \
		>"$d/$n.on" 2>&1 || echo "exit $?" >>"$d/$n.on"
	# the server numbers prepared statements by a counter other sessions move too
	sed -i 's/statement handler ([0-9]*)/statement handler (N)/' "$d/$n.off" "$d/$n.on"
	same "$label" "$d/$n.off" "$d/$n.on"
}

hits() {
	{ "$CAP_TOOL" stats --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("hits", 0))
except Exception: print(0)'
}

# ---- PostgreSQL -----------------------------------------------------------------------------
if [ -n "${CAP_PG_PORT:-}" ]; then
	pq=$CAP_BUILD/clients/pq_funcs
	[ -x "$pq" ] || fail "$pq not built (make clients)"
	export PGOPTIONS="-c client_min_messages=warning" PQ_FUNCS_PSQL=$CAP_PG_BIN/psql
	cap_pg_psql -q <<'SQL' >/dev/null
DROP TABLE IF EXISTS cw_t;
CREATE TABLE cw_t (a int, b text);
INSERT INTO cw_t VALUES (1, 'one'), (2, 'two'), (3, 'three');
SQL
	h0=$(hits)
	check "libpq PQexec" "$pq" <<'EOF'
exec	SELECT count(*) FROM cw_t
exec	SELECT count(*) FROM cw_t
terminate
exec	SELECT count(*) FROM cw_t
errmsg
status
exec	SELECT count(*) FROM cw_t
errmsg
status
EOF
	[ "$(hits)" -gt "$h0" ] || bad "libpq PQexec: no hit before the server closed the connection"
	check "libpq PQexecParams" "$pq" <<'EOF'
params	SELECT b FROM cw_t WHERE a = $1	2
params	SELECT b FROM cw_t WHERE a = $1	2
terminate
params	SELECT b FROM cw_t WHERE a = $1	2
errmsg
status
EOF
	check "libpq PQexecPrepared" "$pq" <<'EOF'
prepare	s1	SELECT b FROM cw_t WHERE a = $1
execp	s1	3
execp	s1	3
terminate
execp	s1	3
errmsg
status
EOF
	check "libpq PQsendQueryPrepared" "$pq" <<'EOF'
prepare	s2	SELECT a FROM cw_t ORDER BY a
sendexecp	s2
sendexecp	s2
terminate
sendexecp	s2
errmsg
status
EOF
	# a new session (PQreset) is served again
	h0=$(hits)
	check "libpq PQreset" "$pq" <<'EOF'
exec	SELECT b FROM cw_t WHERE a = 1
exec	SELECT b FROM cw_t WHERE a = 1
terminate
exec	SELECT b FROM cw_t WHERE a = 1
reset
status
exec	SELECT b FROM cw_t WHERE a = 1
exec	SELECT b FROM cw_t WHERE a = 1
EOF
	h1=$(hits)
	[ $((h1 - h0)) -ge 3 ] || bad "libpq PQreset: $((h1 - h0)) hits (3 expected: no hits after the reset)"
	# a single-threaded program stays one with its connections watched: fork (the parent's
	# thread count right after it), setns into a mount namespace and unshare(CLONE_NEWUSER)
	# (which the kernel refuses to a multi-threaded process) find only its own thread; the
	# watcher, started again at the next read, still reports the server's close (here one
	# made while it was stopped: terminate forks psql)
	h0=$(hits)
	check "libpq: fork, setns and unshare find one thread" "$pq" <<'EOF'
exec	SELECT count(*) FROM cw_t
exec	SELECT count(*) FROM cw_t
sleep	300
fork
exec	SELECT count(*) FROM cw_t
sleep	300
setns-mnt
exec	SELECT count(*) FROM cw_t
sleep	300
unshare-user
exec	SELECT count(*) FROM cw_t
sleep	300
terminate
exec	SELECT count(*) FROM cw_t
errmsg
status
EOF
	h1=$(hits)
	[ $((h1 - h0)) -ge 4 ] || bad "libpq fork/setns/unshare: $((h1 - h0)) hits (4 expected)"
	# Python 3.12 warns at os.fork() when /proc counts more than one thread (psycopg 3 reads
	# through libpq as ctypes does here)
	py312=
	for p in python3.13 python3.12 /root/.pyenv/versions/3.1[2-9]*/bin/python3; do
		if "$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
			py312=$p
			break
		fi
	done
	if [ -n "$py312" ]; then
		check "Python >= 3.12 os.fork() after libpq reads" "$py312" -W default - <<'EOF'
import ctypes, os
pq = ctypes.CDLL("libpq.so.5")
pq.PQconnectdb.restype = ctypes.c_void_p
pq.PQconnectdb.argtypes = [ctypes.c_char_p]
pq.PQexec.restype = ctypes.c_void_p
pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
pq.PQgetvalue.restype = ctypes.c_char_p
pq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
pq.PQclear.argtypes = [ctypes.c_void_p]
pq.PQfinish.argtypes = [ctypes.c_void_p]
c = pq.PQconnectdb(b"")
for i in range(3):
    r = pq.PQexec(c, b"SELECT count(*) FROM cw_t")
    print("read", pq.PQgetvalue(r, 0, 0).decode(), flush=True)
    pq.PQclear(r)
for i in range(2):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    r = pq.PQexec(c, b"SELECT count(*) FROM cw_t")
    print("forked, read", pq.PQgetvalue(r, 0, 0).decode(), flush=True)
    pq.PQclear(r)
pq.PQfinish(c)
EOF
	else
		echo "skip: no Python 3.12 or later"
	fi
	# none of Capacitor's own queries goes first and takes the error the program would get:
	# the read-back after a SET the text cannot prove, the catalog's reload after DDL (at most
	# once a second)
	check "libpq: no read-back on a closed connection" "$pq" <<'EOF'
exec	SELECT count(*) FROM cw_t
exec	SELECT count(*) FROM cw_t
exec	RESET ALL
terminate
exec	SELECT count(*) FROM cw_t
errmsg
status
EOF
	check "libpq: no catalog load on a closed connection" "$pq" <<'EOF'
exec	SELECT count(*) FROM cw_t
exec	SELECT count(*) FROM cw_t
exec	ALTER TABLE cw_t ALTER COLUMN b SET DEFAULT 'x'
sleep	1100
terminate
exec	SELECT count(*) FROM cw_t
errmsg
status
EOF
	# psql as a user runs it: a script whose session is ended between two cached reads
	cat >"$d/psql.sql" <<EOF
SELECT count(*) FROM cw_t;
SELECT count(*) FROM cw_t;
\\! env -u LD_PRELOAD $CAP_PG_BIN/psql -X -q -h $CAP_PG_HOST -p $CAP_PG_PORT -U $CAP_PG_USER -d $CAP_PG_DB -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cw_psql'" >/dev/null; sleep 0.2
SELECT count(*) FROM cw_t;
SELECT count(*) FROM cw_t;
EOF
	check "psql" env PGAPPNAME=cw_psql "$CAP_PG_BIN/psql" -X -A -t -h "$CAP_PG_HOST" \
		-p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB" -f - <"$d/psql.sql"
	grep -q "terminating connection" "$d/psql.off" ||
		bad "psql: the session was not ended even without Capacitor"

	if /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then
		cat >"$d/pg.py" <<'EOF'
import os
import subprocess
import time
import psycopg2

c = psycopg2.connect("")
c.autocommit = True
cur = c.cursor()
for i in range(2):
    cur.execute("SELECT a, b FROM cw_t ORDER BY a")
    print(cur.fetchall())
# from outside Capacitor: through it, the volatile function would invalidate the cache
env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
subprocess.run([os.environ["PQ_FUNCS_PSQL"], "-X", "-q", "-c",
                "SELECT pg_terminate_backend(%d)" % c.get_backend_pid()],
               env=env, stdout=subprocess.DEVNULL, check=True)
time.sleep(0.2)
for i in range(2):
    try:
        cur.execute("SELECT a, b FROM cw_t ORDER BY a")
        print(cur.fetchall())
    except psycopg2.Error as e:
        print(type(e).__name__, str(e).strip())
    print("closed", c.closed)
EOF
		check "psycopg2" /usr/bin/python3 - <"$d/pg.py"
	else
		echo "skip: psycopg2 is not installed"
	fi

	if perl -MDBD::Pg -e 1 2>/dev/null; then
		cat >"$d/pg.pl" <<'PERL'
use strict;
use warnings;
use DBI;
use Time::HiRes qw(sleep);
$| = 1;
my $dbh = DBI->connect('dbi:Pg:', undef, undef, { RaiseError => 0, PrintError => 0, AutoCommit => 1 });
my $sth = $dbh->prepare('SELECT a, b FROM cw_t WHERE a > ? ORDER BY a');
sub run {
	if ($sth->execute(0)) { print join(',', map { "@$_" } @{ $sth->fetchall_arrayref }), "\n" }
	else { print 'error ', ($dbh->state // ''), ' ', ($dbh->errstr // ''), "\n" }
}
run() for 1 .. 2;
# from outside Capacitor: through it, the volatile function would invalidate the cache
system("env -u LD_PRELOAD $ENV{PQ_FUNCS_PSQL} -X -q -c 'SELECT pg_terminate_backend($dbh->{pg_pid})' >/dev/null");
sleep 0.2;
run() for 1 .. 2;
print 'ping ', ($dbh->ping ? 1 : 0), "\n";
PERL
		check "DBD::Pg" perl - <"$d/pg.pl"
	else
		echo "skip: DBD::Pg is not installed"
	fi
fi

# ---- MariaDB --------------------------------------------------------------------------------
if [ -n "${CAP_MY_PORT:-}" ]; then
	my=$CAP_BUILD/clients/my_session
	[ -x "$my" ] || fail "$my not built (make clients)"
	cap_my_sql <<'SQL'
DROP TABLE IF EXISTS cw_t;
CREATE TABLE cw_t (a INT PRIMARY KEY, b VARCHAR(16)) ENGINE=InnoDB;
INSERT INTO cw_t VALUES (1, 'one'), (2, 'two'), (3, 'three');
SQL
	h0=$(hits)
	check "Connector/C text" "$my" <<'EOF'
q SELECT a, b FROM cw_t ORDER BY a
q SELECT a, b FROM cw_t ORDER BY a
kill
q SELECT a, b FROM cw_t ORDER BY a
q SELECT a, b FROM cw_t ORDER BY a
ping
EOF
	[ "$(hits)" -gt "$h0" ] || bad "Connector/C text: no hit before the server closed the connection"
	check "Connector/C mysql_send_query" "$my" <<'EOF'
poll SELECT a, b FROM cw_t ORDER BY a
poll SELECT a, b FROM cw_t ORDER BY a
kill
poll SELECT a, b FROM cw_t ORDER BY a
ping
EOF
	check "Connector/C prepared" "$my" <<'EOF'
prep SELECT a, b FROM cw_t ORDER BY a
exec
exec
kill
exec
exec
ping
EOF
	check "Connector/C: no read-back on a closed connection" "$my" <<'EOF'
q SELECT a, b FROM cw_t ORDER BY a
q SELECT a, b FROM cw_t ORDER BY a
q SET SESSION sql_mode = (SELECT @@sql_mode)
kill
q SELECT a, b FROM cw_t ORDER BY a
ping
EOF
	# a new session (a reconnect) is served again
	h0=$(hits)
	check "Connector/C reconnect, then hits" env MY_SESS_RECONNECT=1 "$my" <<'EOF'
q SELECT b FROM cw_t WHERE a = 1
q SELECT b FROM cw_t WHERE a = 1
kill
q SELECT b FROM cw_t WHERE a = 1
q SELECT b FROM cw_t WHERE a = 1
q SELECT b FROM cw_t WHERE a = 1
EOF
	h1=$(hits)
	[ $((h1 - h0)) -ge 3 ] || bad "Connector/C reconnect: $((h1 - h0)) hits (3 expected: no hits after it)"
	check "Connector/C with MYSQL_OPT_RECONNECT" env MY_SESS_RECONNECT=1 "$my" <<'EOF'
q SET @v = 'old session'
q SELECT a, b FROM cw_t ORDER BY a
q SELECT a, b FROM cw_t ORDER BY a
kill
q SELECT a, b FROM cw_t ORDER BY a
q SELECT @v
prep SELECT a, b FROM cw_t ORDER BY a
exec
exec
kill
exec
q SELECT a, b FROM cw_t ORDER BY a
EOF

	if /usr/bin/python3 -c 'import MySQLdb' 2>/dev/null; then
		cat >"$d/my.py" <<'EOF'
import os
import time
import MySQLdb

def connect():
    return MySQLdb.connect(unix_socket=os.environ["CAP_MY_SOCKET"], user=os.environ["CAP_MY_USER"],
                           passwd=os.environ["CAP_MY_PASSWORD"], db=os.environ["CAP_MY_DB"])

c = connect()
c.autocommit(True)
cur = c.cursor()
for i in range(2):
    cur.execute("SELECT a, b FROM cw_t ORDER BY a")
    print(cur.fetchall())
k = connect()
k.cursor().execute("KILL CONNECTION %d" % c.thread_id())
k.close()
time.sleep(0.2)
for i in range(2):
    try:
        cur.execute("SELECT a, b FROM cw_t ORDER BY a")
        print(cur.fetchall())
    except MySQLdb.Error as e:
        print(type(e).__name__, e.args)
EOF
		check "MySQLdb" /usr/bin/python3 - <"$d/my.py"
	else
		echo "skip: MySQLdb is not installed"
	fi

	lib=$(perl -MDBD::MariaDB -e "print \$INC{'DBD/MariaDB.pm'}" 2>/dev/null | sed "s|/DBD/MariaDB\.pm\$||")
	# (ldd's whole output: grep -q would end the pipe early, a failure under pipefail)
	deps=$([ -z "$lib" ] || ldd "$lib/auto/DBD/MariaDB/MariaDB.so" 2>/dev/null || true)
	if [[ "$deps" == *"libmariadb.so.3 => /"* ]]; then
		cat >"$d/my.pl" <<'PERL'
use strict;
use warnings;
use DBI;
use Time::HiRes qw(sleep);
$| = 1;
my $dsn = "dbi:MariaDB:database=$ENV{CAP_MY_DB};mariadb_socket=$ENV{CAP_MY_SOCKET}";
sub conn {
	return DBI->connect($dsn, $ENV{CAP_MY_USER}, $ENV{CAP_MY_PASSWORD},
		{ RaiseError => 0, PrintError => 0, AutoCommit => 1, @_ });
}
# the text protocol, and server-side prepared statements
for my $sp (0, 1) {
	my $dbh = conn(mariadb_server_prepare => $sp);
	my $sth = $dbh->prepare('SELECT a, b FROM cw_t WHERE a > ? ORDER BY a');
	my $run = sub {
		if ($sth->execute(0)) { print join(',', map { "@$_" } @{ $sth->fetchall_arrayref }), "\n" }
		else { print 'error ', ($dbh->err // ''), ' ', ($dbh->errstr // ''), "\n" }
	};
	$run->() for 1 .. 2;
	my $k = conn();
	$k->do("KILL $dbh->{mariadb_thread_id}");
	$k->disconnect;
	sleep 0.2;
	$run->() for 1 .. 2;
}
PERL
		check "DBD::MariaDB" perl - <"$d/my.pl"
	else
		echo "skip: DBD::MariaDB on libmariadb.so.3 is not installed"
	fi
fi
[ -n "${CAP_PG_PORT:-}${CAP_MY_PORT:-}" ] || skip "no server fixture"
[ "$failures" -eq 0 ] || fail "$failures case(s) failed"
echo "ok: t_conn_closed"

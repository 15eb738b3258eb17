#!/bin/bash
# t_pg_perl - Perl's DBD::Pg (Debian's libdbd-pg-perl, on the system libpq.so.5) through the
# library. A realistic DBI program - an autocommit connection, one with AutoCommit off (every
# statement inside a transaction), one with server-side prepares off (placeholders filled in by
# the driver: PQexec), prepare/execute, prepare_cached with bind_param, selectall/selectrow,
# bytea and NULL parameters, writes on its own and on another connection followed by reads on
# every connection, commit, rollback, REPEATABLE READ, errors outside and inside a
# transaction, pg_async queries (pg_ready polled, and the socket waited on first), COPY out -
# prints everything it sees; it runs without the library, then with it (cold, warm), and
# every run must print the same. Repeated reads must be hits (the warm run's from the shared
# tier, with no miss), and a write must show in the next read (the compared output).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/drivers.sh
. "$(dirname "${BASH_SOURCE[0]}")/drivers.sh"
cap_need_pg
cap_need_clean_exit
perl -MDBD::Pg -e 1 2>/dev/null || skip "perl with DBD::Pg not installed (libdbd-pg-perl)"
lib=$(perl -MDBD::Pg -e 'print $INC{"DBD/Pg.pm"} =~ s{\.pm$}{}r' | sed 's|/DBD/Pg$||')/auto/DBD/Pg/Pg.so
case $(ldd "$lib") in *"libpq.so.5 => /"*) ;; *) fail "DBD::Pg's $lib does not load the system libpq.so.5" ;; esac

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS plpg_t;
CREATE TABLE plpg_t (id int PRIMARY KEY, v int, t text, b bytea);
SQL

prog=$CAP_DRV_DIR/prog.pl
cat >"$prog" <<'PERL'
use strict;
use warnings;
use DBI qw(:sql_types);
use DBD::Pg qw(:pg_types :async);
use IO::Select;
binmode STDOUT, ':utf8';
$| = 1;

my $dsn = "dbi:Pg:dbname=$ENV{PGDATABASE};host=$ENV{PGHOST};port=$ENV{PGPORT}";
sub conn {
	my %o = @_;
	return DBI->connect($dsn, $ENV{PGUSER}, '', { RaiseError => 1, PrintError => 0,
		AutoCommit => 1, pg_enable_utf8 => 1, %o });
}
sub fmt {
	my ($rows) = @_;
	return '[' . join(',', map { join('|', map { defined $_ ? (ref $_ ? '{' . join(';', @$_) . '}' : $_) : 'NULL' } @$_) } @$rows) . ']';
}
sub show {
	my ($label, $sth) = @_;
	my $names = $sth->{NUM_OF_FIELDS} ? join(',', @{ $sth->{NAME} }) : '';
	my $types = $sth->{NUM_OF_FIELDS} ? join(',', @{ $sth->{pg_type} }) : '';
	my $rows = $sth->{NUM_OF_FIELDS} ? $sth->fetchall_arrayref : [];
	print "$label: ", fmt($rows), " names=$names types=$types rows=", $sth->rows, " status=", ($sth->{pg_cmd_status} // ''), "\n";
}
sub err {
	my ($label, $dbh, $code) = @_;
	my $ok = eval { $code->(); 1 };
	if ($ok) { print "$label: no error\n"; return }
	my $msg = $dbh->errstr // $@;
	$msg =~ s/\s+/ /g;
	print "$label: state=", ($dbh->state // ''), " err=", ($dbh->err // ''), " $msg ping=", $dbh->pg_ping, "\n";
}

my $setup = conn();
$setup->do('SET client_min_messages = warning');
$setup->do('DELETE FROM plpg_t');
$setup->do(q{INSERT INTO plpg_t VALUES (1, 10, 'un', '\x00ff'), (2, 20, 'dos', NULL), (3, NULL, 'tres', '\x')});
$setup->disconnect;

my $c = conn();                       # autocommit
my $t = conn(AutoCommit => 0);        # every statement inside a transaction
my $u = conn(pg_server_prepare => 0); # placeholders interpolated by the driver (PQexec)
my $w = conn();                       # another connection that writes

my @reads = (
	['SELECT id, name, price, qty FROM items WHERE id <= ? ORDER BY id', 5],
	['SELECT count(*), sum(price) FROM items'],
	['SELECT id, v, t, b FROM plpg_t ORDER BY id'],
	[q{SELECT NULL::int AS n, 'é日本😀'::text AS u, ARRAY[1,2] AS a, '{"a":1}'::jsonb AS j, 1.5::numeric AS d}],
	['SELECT * FROM items WHERE false'],
	['SELECT v FROM plpg_t WHERE id = $1', 2],
);
for my $rnd (0 .. 1) {
	for my $i (0 .. $#reads) {
		my ($sql, @args) = @{ $reads[$i] };
		for my $k (0 .. 2) {
			for my $pair (['auto', $c], ['txn', $t], ['interp', $u]) {
				my ($name, $dbh) = @$pair;
				next if $name eq 'interp' && $sql =~ /\$1/;
				my $sth = $dbh->prepare($sql);
				$sth->execute(@args);
				show("r$rnd $name q$i #$k", $sth);
			}
			my $row = $c->selectall_arrayref($sql, undef, @args);
			print "r$rnd selectall q$i #$k: ", fmt($row), "\n";
		}
	}
	$t->commit;
	# cached statement handles, bind_param with types, bytea
	my $sth = $c->prepare_cached('SELECT id, name FROM items WHERE id = ? OR name = ?');
	for my $k (0 .. 2) {
		$sth->bind_param(1, 7, SQL_INTEGER);
		$sth->bind_param(2, 'no');
		$sth->execute;
		show("r$rnd bound #$k", $sth);
		my @one = $c->selectrow_array('SELECT b FROM plpg_t WHERE id = ?', undef, 1);
		print "r$rnd bytea #$k: ", unpack('H*', $one[0] // ''), "\n";
		my $b = $c->prepare('SELECT $1::bytea AS b, $2::text IS NULL AS isnull');
		$b->bind_param(1, "\x00\x01\xff", { pg_type => PG_BYTEA });
		$b->bind_param(2, undef);
		$b->execute;
		my $r = $b->fetchrow_arrayref;
		print "r$rnd bytea param #$k: ", unpack('H*', $r->[0]), " $r->[1]\n";
	}
	# a write through the driver, then reads on every connection
	print "r$rnd before write: ", $c->selectrow_array('SELECT v FROM plpg_t WHERE id = ?', undef, 2), "\n";
	print "r$rnd write: ", $w->do('UPDATE plpg_t SET v = v + ? WHERE id = ?', undef, 1, 2), "\n";
	print "r$rnd after write: ", $c->selectrow_array('SELECT v FROM plpg_t WHERE id = ?', undef, 2), "\n";
	print "r$rnd after write txn: ", $t->selectrow_array('SELECT v FROM plpg_t WHERE id = ?', undef, 2), "\n";
	print "r$rnd after write interp: ", $u->selectrow_array('SELECT v FROM plpg_t WHERE id = ?', undef, 2), "\n";
	$t->commit;
	print "r$rnd own write: ", $c->do(q{UPDATE plpg_t SET t = t || '+' WHERE id = 3}), "\n";
	print "r$rnd after own write: ", fmt($c->selectall_arrayref('SELECT id, v, t FROM plpg_t ORDER BY id')), "\n";
	# transactions: commit, rollback, repeatable read
	$c->begin_work;
	print "txn read: ", $c->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), "\n";
	print "txn write: ", $c->do('UPDATE plpg_t SET v = v * 2 WHERE id = 1'), "\n";
	print "txn own write: ", $c->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), "\n";
	print "other during txn: ", $w->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), "\n";
	$c->commit;
	print "after commit: ", $c->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), " ", $w->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), "\n";
	print "t write: ", $t->do('UPDATE plpg_t SET v = -1 WHERE id = 1'), "\n";
	print "t own write: ", $t->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), "\n";
	$t->rollback;
	print "after rollback: ", $t->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), " ", $c->selectrow_array('SELECT v FROM plpg_t WHERE id = 1'), "\n";
	$t->commit;
	$t->do('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
	print "rr read: ", fmt($t->selectall_arrayref('SELECT id, v FROM plpg_t ORDER BY id')), "\n";
	print "rr other write: ", $w->do('UPDATE plpg_t SET v = v + 1000 WHERE id = 2'), "\n";
	print "rr read again: ", fmt($t->selectall_arrayref('SELECT id, v FROM plpg_t ORDER BY id')), "\n";
	$t->commit;
	print "after rr: ", fmt($t->selectall_arrayref('SELECT id, v FROM plpg_t ORDER BY id')), "\n";
	$t->commit;
	# errors, outside and inside a transaction
	err('error undefined table', $c, sub { $c->do('SELECT * FROM plpg_no_such') });
	err('error division', $c, sub { $c->selectrow_array('SELECT 1 / ?::int', undef, 0) });
	err('error interp', $u, sub { $u->selectrow_array('SELECT 1 / ?::int', undef, 0) });
	print "in txn: ", $t->selectrow_array('SELECT count(*) FROM plpg_t'), "\n";
	err('error in txn', $t, sub { $t->do('SELECT x FROM plpg_t') });
	err('after error in txn', $t, sub { $t->selectrow_array('SELECT count(*) FROM plpg_t') });
	$t->rollback;
	print "after error: ", fmt($t->selectall_arrayref('SELECT id, v, t FROM plpg_t ORDER BY id')), "\n";
	$t->commit;
	# asynchronous queries: pg_ready polled, then the socket waited on
	my $sel = IO::Select->new($c->{pg_socket});
	for my $k (0 .. 2) {
		my $a = $c->prepare('SELECT id, name FROM items WHERE id <= 3 ORDER BY id', { pg_async => PG_ASYNC });
		$a->execute;
		until ($c->pg_ready) {
			$sel->can_read(10) or do { print "HANG: async query not ready after 10 s\n"; exit 3 };
		}
		$c->pg_result;
		show("async r$rnd #$k", $a);
		# waits on the socket first, asked for after sending (a socket number fetched before
		# sending and polled without asking PQsocket or PQisBusy hangs on a hit: README)
		$c->do('SELECT v FROM plpg_t WHERE id = 2', { pg_async => PG_ASYNC });
		IO::Select->new($c->{pg_socket})->can_read(10) or do { print "HANG: socket not readable after 10 s\n"; exit 3 };
		until ($c->pg_ready) {
			$sel->can_read(10) or do { print "HANG: async query not ready after 10 s\n"; exit 3 };
		}
		print "async do r$rnd #$k: ", $c->pg_result, "\n";
	}
	# COPY out passes through
	$c->do('COPY (SELECT id, t FROM plpg_t ORDER BY id) TO STDOUT');
	my ($line, @copy);
	push @copy, $line while $c->pg_getcopydata($line) >= 0;
	print "copy: ", join('', @copy);
	print "ping: ", $c->ping, " ", $t->ping, "\n";
}
$_->disconnect for ($c, $t, $u, $w);
PERL

cap_drv_run "DBD::Pg" perl "$prog"
for mode in cold warm; do
	max=1
	[ "$mode" = warm ] && max=0
	# on every connection (autocommit, inside transactions, placeholders filled in by DBI)
	cap_drv_expect_hits $mode "SELECT COUNT(*), SUM(price) FROM items" 23 $max
	cap_drv_expect_hits $mode "SELECT id, name, price, qty FROM items WHERE id <= ? ORDER BY id" 22 $((2 * max))
	# a cached handle re-prepared (and the old statement deallocated) at each execute
	cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id = ? OR name = ?" 5 $max
	cap_drv_expect_hits $mode "SELECT ?::bytea AS b, ?::TEXT IS null AS ISNULL" 5 $max
	# pg_async
	cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id <= ? ORDER BY id" 5 $max
done
[ "$(cap_drv_count warm hits_l2)" -gt 0 ] || fail "the warm run got no hit from the shared tier"
echo "ok"

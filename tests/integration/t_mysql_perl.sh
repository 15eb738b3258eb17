#!/bin/bash
# t_mysql_perl - Perl's DBD::MariaDB (libdbd-mariadb-perl) and DBD::mysql (libdbd-mysql-perl,
# which Debian 12 links to MariaDB Connector/C, libmariadb.so.3) through the library. A
# realistic DBI program - an autocommit connection (placeholders filled in by the driver: the
# text protocol), one with server-side prepares (mysql_stmt_*, binary protocol), one with
# AutoCommit off (InnoDB's REPEATABLE READ: no hits there by default), cached handles, writes
# on its own and on another connection followed by reads on every connection, an
# AUTO_INCREMENT insert, commit, rollback, errors outside and inside a transaction, warnings,
# FOUND_ROWS(), asynchronous queries (ready polled, the socket waited on first, and a duplicate
# of it as Mojo::mysql makes waited on first) - prints
# everything it sees; for each driver it runs without the library, then with it (cold, warm),
# and every run must print the same. Repeated reads must be hits, through both protocols (the
# warm run's from the shared tier, with no miss), and a write must show in the next read.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/drivers.sh
. "$(dirname "${BASH_SOURCE[0]}")/drivers.sh"
cap_need_my

drivers=()
for drv in MariaDB mysql; do
	perl -MDBD::$drv -e 1 2>/dev/null || { echo "note: DBD::$drv not installed"; continue; }
	lib=$(perl -MDBD::$drv -e "print \$INC{'DBD/$drv.pm'}" | sed "s|/DBD/$drv\.pm\$||")/auto/DBD/$drv/$drv.so
	case $(ldd "$lib") in
	*"libmariadb.so.3 => /"*) drivers+=("$drv") ;;
	*) echo "note: DBD::$drv ($lib) is not linked to libmariadb.so.3: not served, not tested" ;;
	esac
done
[ ${#drivers[@]} -gt 0 ] || skip "neither DBD::MariaDB nor DBD::mysql on libmariadb.so.3 installed (libdbd-mariadb-perl, libdbd-mysql-perl)"

cap_my_sql <<'SQL'
DROP TABLE IF EXISTS plmy_t, plmy_ai;
CREATE TABLE plmy_t (id INT PRIMARY KEY, v INT, t VARCHAR(32), b VARBINARY(16)) ENGINE=InnoDB;
CREATE TABLE plmy_ai (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(16)) ENGINE=InnoDB;
SQL

prog=$(cap_tmpdir)/prog.pl
cat >"$prog" <<'PERL'
use strict;
use utf8;
use warnings;
use DBI;
binmode STDOUT, ':utf8';
$| = 1;

# waits for the connection's socket (a number: a Perl handle on it would close it)
package Sel {
	sub new { my ($c, $fd) = @_; my $v = ''; vec($v, $fd, 1) = 1; return bless \$v, $c }
	sub can_read { my ($self, $t) = @_; my $r = $$self; return select($r, undef, undef, $t) > 0 }
}

my $drv = shift @ARGV; # MariaDB or mysql
my $p = $drv eq 'MariaDB' ? 'mariadb' : 'mysql';
my $async = $drv eq 'MariaDB' ? 'mariadb_async' : 'async';
my $dsn = "dbi:$drv:database=$ENV{CAP_MY_DB};${p}_socket=$ENV{CAP_MY_SOCKET}";
sub conn {
	my %o = @_;
	return DBI->connect($dsn, $ENV{CAP_MY_USER}, $ENV{CAP_MY_PASSWORD}, { RaiseError => 1,
		PrintError => 0, AutoCommit => 1, ($drv eq 'mysql' ? (mysql_enable_utf8mb4 => 1) : ()), %o });
}
sub fmt {
	my ($rows) = @_;
	return '[' . join(',', map { join('|', map { defined $_ ? $_ : 'NULL' } @$_) } @$rows) . ']';
}
sub show {
	my ($label, $sth) = @_;
	my $names = $sth->{NUM_OF_FIELDS} ? join(',', @{ $sth->{NAME} }) : '';
	my $types = $sth->{NUM_OF_FIELDS} ? join(',', @{ $sth->{TYPE} }) : '';
	my $rows = $sth->{NUM_OF_FIELDS} ? $sth->fetchall_arrayref : [];
	print "$label: ", fmt($rows), " names=$names types=$types rows=", $sth->rows, "\n";
}
sub err {
	my ($label, $dbh, $code) = @_;
	my $ok = eval { $code->(); 1 };
	if ($ok) { print "$label: no error\n"; return }
	print "$label: state=", ($dbh->state // ''), " err=", ($dbh->err // ''), " ", ($dbh->errstr // $@), "\n";
}

my $setup = conn();
$setup->do('DELETE FROM plmy_t');
$setup->do('DELETE FROM plmy_ai');
$setup->do(q{INSERT INTO plmy_ai (note) VALUES ('base')});
my $base = $setup->last_insert_id(undef, undef, 'plmy_ai', 'id');
$setup->do(q{INSERT INTO plmy_t VALUES (1, 10, 'un', X'00ff'), (2, 20, 'dos', NULL), (3, NULL, 'tres', '')});
$setup->disconnect;

my $c = conn();                             # autocommit, placeholders filled in by the driver
my $s = conn("${p}_server_prepare" => 1);   # prepared statements (binary protocol)
my $t = conn(AutoCommit => 0);              # every statement inside a transaction
my $w = conn();                             # another connection that writes

my @reads = (
	['SELECT id, name, price, qty FROM items WHERE id <= ? ORDER BY id', 5],
	['SELECT count(*), sum(price) FROM items'],
	['SELECT id, v, t, HEX(b) FROM plmy_t ORDER BY id'],
	[q{SELECT NULL AS n, 'é日本😀' AS u, 1.5 AS d, CAST(7 AS SIGNED) AS i, 2e0 AS f}],
	['SELECT * FROM items WHERE 1 = 0'],
	['SELECT v FROM plmy_t WHERE id = ?', 2],
);
for my $rnd (0 .. 1) {
	for my $i (0 .. $#reads) {
		my ($sql, @args) = @{ $reads[$i] };
		for my $k (0 .. 2) {
			for my $pair (['auto', $c], ['ps', $s], ['txn', $t]) {
				my ($name, $dbh) = @$pair;
				my $sth = $dbh->prepare($sql);
				$sth->execute(@args);
				show("r$rnd $name q$i #$k", $sth);
			}
			print "r$rnd selectall q$i #$k: ", fmt($c->selectall_arrayref($sql, undef, @args)), "\n";
			print "r$rnd selectall ps q$i #$k: ", fmt($s->selectall_arrayref($sql, undef, @args)), "\n";
		}
	}
	$t->commit;
	# a cached handle executed again, streaming results
	my $sth = $s->prepare_cached('SELECT id, name FROM items WHERE id = ? OR name = ?');
	for my $k (0 .. 2) {
		$sth->execute(7, 'no');
		show("r$rnd cached #$k", $sth);
	}
	# a write through the driver, then reads on every connection
	print "r$rnd before write: ", $c->selectrow_array('SELECT v FROM plmy_t WHERE id = ?', undef, 2), "\n";
	print "r$rnd before write ps: ", $s->selectrow_array('SELECT v FROM plmy_t WHERE id = ?', undef, 2), "\n";
	print "r$rnd write: ", $w->do('UPDATE plmy_t SET v = v + ? WHERE id = ?', undef, 1, 2), "\n";
	print "r$rnd after write: ", $c->selectrow_array('SELECT v FROM plmy_t WHERE id = ?', undef, 2), "\n";
	print "r$rnd after write ps: ", $s->selectrow_array('SELECT v FROM plmy_t WHERE id = ?', undef, 2), "\n";
	print "r$rnd after write txn: ", $t->selectrow_array('SELECT v FROM plmy_t WHERE id = ?', undef, 2), "\n";
	$t->commit;
	print "r$rnd own write: ", $s->do(q{UPDATE plmy_t SET t = CONCAT(t, '+') WHERE id = ?}, undef, 3), "\n";
	print "r$rnd after own write: ", fmt($s->selectall_arrayref('SELECT id, v, t FROM plmy_t ORDER BY id')), "\n";
	print "r$rnd insert: ", $c->do('INSERT INTO plmy_ai (note) VALUES (?)', undef, "r$rnd"), " id=base+", $c->last_insert_id(undef, undef, 'plmy_ai', 'id') - $base, " ", $c->{"${p}_insertid"} - $base, "\n";
	print "r$rnd ai rows: ", fmt($c->selectall_arrayref('SELECT note FROM plmy_ai ORDER BY id')), "\n";
	# transactions: commit, rollback, repeatable read (InnoDB's default)
	$c->begin_work;
	print "txn read: ", $c->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), "\n";
	print "txn write: ", $c->do('UPDATE plmy_t SET v = v * 2 WHERE id = 1'), "\n";
	print "txn own write: ", $c->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), "\n";
	print "other during txn: ", $w->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), "\n";
	$c->commit;
	print "after commit: ", $c->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), " ", $w->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), "\n";
	print "t write: ", $t->do('UPDATE plmy_t SET v = -1 WHERE id = 1'), "\n";
	print "t own write: ", $t->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), "\n";
	$t->rollback;
	print "after rollback: ", $t->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), " ", $c->selectrow_array('SELECT v FROM plmy_t WHERE id = 1'), "\n";
	$t->commit;
	print "rr read: ", fmt($t->selectall_arrayref('SELECT id, v FROM plmy_t ORDER BY id')), "\n";
	print "rr other write: ", $w->do('UPDATE plmy_t SET v = v + 1000 WHERE id = 2'), "\n";
	print "rr read again: ", fmt($t->selectall_arrayref('SELECT id, v FROM plmy_t ORDER BY id')), "\n";
	$t->commit;
	print "after rr: ", fmt($t->selectall_arrayref('SELECT id, v FROM plmy_t ORDER BY id')), "\n";
	$t->commit;
	# errors, outside and inside a transaction
	err('error undefined table', $c, sub { $c->do('SELECT * FROM plmy_no_such') });
	err('error duplicate key', $s, sub { $s->do('INSERT INTO plmy_t VALUES (?, 0, NULL, NULL)', undef, 1) });
	print "in txn: ", $t->selectrow_array('SELECT count(*) FROM plmy_t'), "\n";
	err('error in txn', $t, sub { $t->do('SELECT x FROM plmy_t') });
	print "after error in txn: ", $t->selectrow_array('SELECT count(*) FROM plmy_t'), "\n";
	$t->rollback;
	print "warnings: ", $c->do(q{SELECT CAST('12abc' AS SIGNED)}), " ", fmt($c->selectall_arrayref('SHOW WARNINGS')), "\n";
	print "found rows: ", fmt($c->selectall_arrayref('SELECT SQL_CALC_FOUND_ROWS id FROM items WHERE id <= 3 LIMIT 1')), " ", fmt($c->selectall_arrayref('SELECT FOUND_ROWS()')), "\n";
	# asynchronous queries: ready polled, and the socket waited on first
	for my $k (0 .. 2) {
		my $a = $c->prepare('SELECT id, name FROM items WHERE id <= 3 ORDER BY id', { $async => 1 });
		$a->execute;
		my $fd = $drv eq 'MariaDB' ? $c->mariadb_sockfd : $c->mysql_fd;
		my $sel = Sel->new($fd);
		until ($drv eq 'MariaDB' ? $a->mariadb_async_ready : $a->mysql_async_ready) {
			$sel->can_read(10) or do { print "HANG: async query not ready after 10 s\n"; exit 3 };
		}
		print "async r$rnd #$k: ", ($drv eq 'MariaDB' ? $a->mariadb_async_result : $a->mysql_async_result), " ";
		show('', $a);
		my $b = $c->prepare('SELECT v FROM plmy_t WHERE id = 2', { $async => 1 });
		$b->execute;
		$sel->can_read(10) or do { print "HANG: socket not readable after 10 s\n"; exit 3 };
		until ($drv eq 'MariaDB' ? $b->mariadb_async_ready : $b->mysql_async_ready) {
			$sel->can_read(10) or do { print "HANG: async query not ready after 10 s\n"; exit 3 };
		}
		print "async first-wait r$rnd #$k: ", ($drv eq 'MariaDB' ? $b->mariadb_async_result : $b->mysql_async_result), " ";
		show('', $b);
		# the same on a duplicate of the socket, as Mojo::mysql watches it (open '<&')
		open(my $dup, '<&', $fd) or die "Can't dup: $!";
		my $dsel = Sel->new(fileno($dup));
		my $e = $c->prepare('SELECT v FROM plmy_t WHERE id = 2', { $async => 1 });
		$e->execute;
		$dsel->can_read(10) or do { print "HANG: duplicate not readable after 10 s\n"; exit 3 };
		until ($drv eq 'MariaDB' ? $e->mariadb_async_ready : $e->mysql_async_ready) {
			$dsel->can_read(10) or do { print "HANG: async query not ready after 10 s\n"; exit 3 };
		}
		print "async dup-wait r$rnd #$k: ", ($drv eq 'MariaDB' ? $e->mariadb_async_result : $e->mysql_async_result), " ";
		show('', $e);
		close($dup);
	}
	print "ping: ", $c->ping, " ", $s->ping, " ", $t->ping, "\n";
}
$_->disconnect for ($c, $s, $t, $w);
PERL

for drv in "${drivers[@]}"; do
	CAP_DRV_DIR=$(cap_tmpdir)
	cap_drv_run "DBD::$drv" perl "$prog" "$drv"
	for mode in cold warm; do
		max=1
		[ "$mode" = warm ] && max=0
		# text protocol (autocommit connection) and binary protocol (server-side prepares); not
		# the first read of each round, which is also the first of an AutoCommit-off
		# transaction (it takes the snapshot at the server, and is stored from there)
		cap_drv_expect_hits $mode "SELECT COUNT(*), SUM(price) FROM items" 22 $((2 * max))
		cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id = ? OR name = ?" 5 $max
		cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id <= ? ORDER BY id" 5 $max
	done
	[ "$(cap_drv_count warm hits_l2)" -gt 0 ] || fail "DBD::$drv: the warm run got no hit from the shared tier"
done
echo "ok"

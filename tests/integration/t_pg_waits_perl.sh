#!/bin/bash
# t_pg_waits_perl - Perl DBD::Pg pg_async programs that wait on the socket BEFORE they ask
# (DBD::Pg's pg_ready, pg_result) never hang on a hit and print what they print without the
# library: the socket number is taken once, at connect time, before anything is sent (as
# Mojo::Pg does: IO::Handle->new_from_fd($dbh->{pg_socket})), and waited on with IO::Poll
# (poll), with EV (libev-perl) on its epoll backend and on its poll backend, with one watcher
# kept for the connection and with one made after each send (Mojo::Pg's _watch); cold and
# warm, with hits. Reads between writes must show the writes (the compared output). The same
# on a duplicate of the socket made as Mojo::Pg's _watch makes it (open '<&', pg_socket),
# watched with IO::Poll and with EV: the duplicate reads as the socket.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/drivers.sh
. "$(dirname "${BASH_SOURCE[0]}")/drivers.sh"
cap_need_pg
cap_need_clean_exit
perl -MDBD::Pg -e 1 2>/dev/null || skip "perl with DBD::Pg not installed (libdbd-pg-perl)"
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS waits_pl;
CREATE TABLE waits_pl (id int PRIMARY KEY, v int, t text);
INSERT INTO waits_pl VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, NULL);
SQL

prog=$CAP_DRV_DIR/waits.pl
cat >"$prog" <<'PERL'
use strict;
use warnings;
use DBI;
use DBD::Pg qw(:async);
use IO::Handle;
use IO::Poll qw(POLLIN);
$| = 1;
my ($how) = @ARGV;
my $dbh = DBI->connect("dbi:Pg:dbname=$ENV{PGDATABASE};host=$ENV{PGHOST};port=$ENV{PGPORT}",
	$ENV{PGUSER}, '', { RaiseError => 1, PrintError => 0, AutoCommit => 1 });
# the socket, once, before anything is sent; or a duplicate of it (Mojo::Pg::Database::_watch)
my $h;
if ($how =~ s/_dup$//) {
	open($h, '<&', $dbh->{pg_socket}) or die "Can't dup: $!";
} else {
	$h = IO::Handle->new_from_fd($dbh->{pg_socket}, 'r') or die "new_from_fd: $!";
}
$dbh->do('UPDATE waits_pl SET v = id * 10');
my @q = ('SELECT id, v, t FROM waits_pl ORDER BY id', 'SELECT count(*), sum(v) FROM waits_pl',
	 'SELECT t FROM waits_pl WHERE id = 2');

my ($ev, $kept, $done);
if ($how =~ /^ev/) {
	require EV;
	$ev = 1;
	$kept = EV::io($h, EV::READ(), sub { $done = 1 if $dbh->pg_ready }) if $how eq 'ev_kept';
}

# wait first, then ask: pg_ready reads (PQconsumeInput) and says whether the result is there
sub wait_result {
	if (!$ev) {
		my $poll = IO::Poll->new;
		$poll->mask($h => POLLIN);
		for (;;) {
			my $n = $poll->poll(10);
			if (!$n) { print "HANG: socket not readable after 10 s\n"; exit 3 }
			return if $dbh->pg_ready;
		}
	}
	$done = 0;
	my $w = $kept ? undef : EV::io($h, EV::READ(), sub { $done = 1 if $dbh->pg_ready });
	my $t = EV::timer(10, 0, sub { print "HANG: no result after 10 s\n"; exit 3 });
	EV::run(EV::RUN_ONCE()) until $done;
}

for my $round (1 .. 2) {
	for my $sql (@q) {
		for my $k (1 .. 3) {
			my $sth = $dbh->prepare($sql, { pg_async => PG_ASYNC });
			$sth->execute;
			wait_result();
			$dbh->pg_result;
			my $rows = $sth->fetchall_arrayref;
			print "$how r$round $sql #$k: ",
				join(';', map { join(',', map { defined $_ ? $_ : 'NULL' } @$_) } @$rows), "\n";
		}
	}
	# the same through do(): the socket waited on, then pg_result
	$dbh->do('SELECT v FROM waits_pl WHERE id = 3', { pg_async => PG_ASYNC });
	wait_result();
	print "$how r$round do: ", $dbh->pg_result, "\n";
	$dbh->do('UPDATE waits_pl SET v = v + 1 WHERE id = 2');
}
$dbh->disconnect;
PERL

ran=0
for how in poll ev_kept ev_after poll_dup ev_after_dup; do
	backends=(none)
	if [ "${how#poll}" = "$how" ]; then
		perl -MEV -e 1 2>/dev/null || { echo "skip $how: EV not installed (libev-perl)"; continue; }
		backends=(4 2) # LIBEV_FLAGS: EVBACKEND_EPOLL, EVBACKEND_POLL
	fi
	for b in "${backends[@]}"; do
		label="DBD::Pg pg_async, $how"
		[ "$b" = none ] || label="$label (libev backend $b)"
		cap_drv_run "$label" env LIBEV_FLAGS="${b/none/0}" perl "$prog" "$how"
		for mode in cold warm; do
			h=$(cap_drv_count $mode hits)
			[ "$h" -ge 12 ] || fail "$label: $mode run: $h hits, expected at least 12"
			echo "ok: $label: $mode run: $h hits"
		done
		ran=$((ran + 1))
	done
done
[ "$ran" -gt 0 ] || skip "nothing ran"
echo "ok"

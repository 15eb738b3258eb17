#!/usr/bin/perl
# tap_outcomes.pl DIR - one line per test point of every DIR/*.tap (the TAP a test file
# printed; DIR/NAME.rc its exit status): FILE#N<TAB>OUTCOME, OUTCOME one of pass, fail, skip,
# todo-pass, todo-fail; plus FILE<TAB>exit=STATUS,plan=ok|bad|none for the file as a whole, so a
# file that dies half way differs even where its points so far agree.
use strict;
use warnings;
use TAP::Parser;

my $dir = shift or die "usage: tap_outcomes.pl DIR\n";
for my $tap (sort glob "$dir/*.tap") {
	(my $name = $tap) =~ s{.*/}{};
	$name =~ s/\.tap$//;
	open my $fh, '<', $tap or die "$tap: $!\n";
	my $text = do { local $/; <$fh> };
	my $rc = 'unknown';
	if (open my $rfh, '<', "$dir/$name.rc") {
		chomp($rc = <$rfh> // 'unknown');
	}
	if ($text eq '') { # TAP::Parser refuses empty input
		print "$name\texit=$rc,plan=none\n";
		next;
	}
	my $parser = TAP::Parser->new({ tap => $text });
	while (my $r = $parser->next) {
		next unless $r->is_test;
		my $o = $r->has_skip ? 'skip'
			: $r->has_todo ? ($r->is_actual_ok ? 'todo-pass' : 'todo-fail')
			: $r->is_ok ? 'pass' : 'fail';
		print "$name#", $r->number, "\t$o\n";
	}
	my $plan = $parser->is_good_plan ? 'ok' : 'bad';
	print "$name\texit=$rc,plan=$plan\n";
}

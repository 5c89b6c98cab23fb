#!/usr/bin/perl
# NAME
#	exim_spool_clone.pl - multiply real Exim 4.96 messages into N spool messages
# SUMMARY
#	exim_spool_clone.pl SPOOL COUNT RCPT-FORMAT TEMPLATE-ID...
# DESCRIPTION
#	A fast injector for the Exim scale bench (issue 13). Submitting
#	100,000 messages through Exim costs ~30 ms of CPU each here (about
#	14 hours of wall time on the shared lab box); this writes them
#	straight into the spool instead, from a few REAL messages that the lab
#	Exim received and deferred (the templates). Each clone is what Exim
#	itself would have left in the spool for such a message:
#	  SPOOL/input/ID-D   the template's data file, first line "ID-D";
#	  SPOOL/input/ID-H   the template's header file with the new id on its
#	                     first line and in the Received header, and the
#	                     recipient replaced everywhere (recipient list,
#	                     To:, Received's "for"); each header's length
#	                     prefix ("%03d" + type, see Exim's spool_out.c)
#	                     recomputed;
#	  SPOOL/msglog/ID    the template's message log (its Received and
#	                     defer lines), recipient replaced (when the
#	                     template has one: message_logs = true).
#	Clone k (1..COUNT, templates taken in turn) gets recipient
#	sprintf(RCPT-FORMAT, k) and the id TTTTTT-PPPPPP-FF of Exim 4.96
#	(receive.c: base-62 time, pid, fraction of a second): the template's
#	time and fraction, and as "pid" 4,194,304 + k, above Linux's highest
#	pid (PID_MAX_LIMIT), so no id Exim generates can ever be the same.
#	Files get the template's owner and mode. The -H file appears last,
#	by link(2) from a temporary name: Exim sees a message only when its
#	-H exists, and an id already in the spool is never overwritten.
#	Prints each new id, one a line. SPOOL must be a spool without
#	split_spool_directory (the lab's).
# LIMITS
#	COUNT <= MAX_CLONES (10,000,000); a template file <= MAX_FILE (1 MiB);
#	each template has exactly one recipient (the bench's messages).
# DIAGNOSTICS
#	Exit 1 with a message naming the template or file on any error: an
#	id or recipient format refused, a template not in the spool, a -H
#	file not in Exim 4.96's layout, an id that already exists. Clones
#	written before the error stay (each is complete: its -H comes last).
use strict;
use warnings;
use Fcntl qw(O_WRONLY O_CREAT O_EXCL);

use constant MAX_CLONES    => 10_000_000;
use constant MAX_FILE      => 1 << 20;
use constant PID_MAX_LIMIT => 4_194_304;
use constant ID_RE         => qr/\A([0-9A-Za-z]{6})-([0-9A-Za-z]{6})-([0-9A-Za-z]{2})\z/;

sub fail { print STDERR "exim_spool_clone: @_\n"; exit 1; }

sub base62 {
	my ($n, $width) = @_;
	my @d = ('0' .. '9', 'A' .. 'Z', 'a' .. 'z');
	my $s = '';
	for (1 .. $width) { $s = $d[$n % 62] . $s; $n = int($n / 62); }
	fail("number too large for $width base-62 digits") if $n;
	return $s;
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or fail("$path: $!");
	my @st = stat($fh);
	fail("$path: larger than " . MAX_FILE . " bytes") if $st[7] > MAX_FILE;
	local $/;
	my $text = <$fh>;
	return ($text // '', $st[2] & 07777, $st[4], $st[5]);
}

# parse_h ID TEXT: the -H file cut into (head before the recipients,
# recipient, non-header rest up to the blank line, [headers]); each
# header [length, type, text].
sub parse_h {
	my ($id, $text) = @_;
	my $where = "$id-H";
	$text =~ /\A\Q$id\E-H\n/ or fail("$where: first line is not \"$id-H\"");
	# everything up to the recipient count, which follows the
	# non-recipients tree ("XX" when empty)
	$text =~ /\A(.*?\nXX\n)1\n([^\n]+)\n\n/s
	    or fail("$where: not one recipient after an empty non-recipients tree (Exim 4.96 layout)");
	my ($head, $rcpt) = ($1, $2);
	fail("$where: recipient \"$rcpt\" has DSN fields") if $rcpt =~ / /;
	my $pos = length($head) + length("1\n$rcpt\n\n");
	my @hdrs;
	while ($pos < length($text)) {
		substr($text, $pos, 6) =~ /\A(\d{3,})(.) /s or fail("$where: bad header prefix at byte $pos");
		my ($len, $type) = ($1, $2);
		my $start = $pos + length($1) + 2;
		fail("$where: header at byte $pos runs past the end") if $start + $len > length($text);
		push @hdrs, [$type, substr($text, $start, $len)];
		$pos = $start + $len;
	}
	return ($head, $rcpt, \@hdrs);
}

sub write_new {
	my ($path, $data, $mode, $uid, $gid) = @_;
	sysopen(my $fh, $path, O_WRONLY | O_CREAT | O_EXCL, $mode) or fail("$path: $!");
	binmode $fh;
	print $fh $data or fail("$path: $!");
	close $fh or fail("$path: $!");
	chown($uid, $gid, $path) or fail("$path: chown: $!");
	chmod($mode, $path) or fail("$path: chmod: $!");
}

my ($spool, $count, $fmt, @tids) = @ARGV;
fail("usage: exim_spool_clone.pl SPOOL COUNT RCPT-FORMAT TEMPLATE-ID...") unless @tids;
fail("COUNT \"$count\" is not 1..@{[MAX_CLONES]}") unless $count =~ /\A[1-9][0-9]{0,7}\z/ && $count <= MAX_CLONES;
fail("RCPT-FORMAT \"$fmt\" needs exactly one %d and an \@") unless $fmt =~ /\A[^%\s]*%0?[0-9]*d[^%\s]*\z/ && $fmt =~ /@/;
my $in  = "$spool/input";
my $log = "$spool/msglog";
-d $in or fail("$in: not a directory");

my @tpl;
for my $id (@tids) {
	my ($t, $p, $f) = $id =~ ID_RE or fail("template id \"$id\" is not an Exim 4.96 id");
	my ($h, $hmode, $uid, $gid) = slurp("$in/$id-H");
	my ($d, $dmode) = slurp("$in/$id-D");
	$d =~ s/\A\Q$id\E-D\n// or fail("$in/$id-D: first line is not \"$id-D\"");
	my ($head, $rcpt, $hdrs) = parse_h($id, $h);
	my ($m, $mmode) = -e "$log/$id" ? slurp("$log/$id") : (undef, 0);
	push @tpl, { id => $id, time => $t, frac => $f, head => $head, rcpt => $rcpt,
		     hdrs => $hdrs, data => $d, msglog => $m, hmode => $hmode,
		     dmode => $dmode, mmode => $mmode, uid => $uid, gid => $gid };
}

$| = 0;
for my $k (1 .. $count) {
	my $t   = $tpl[($k - 1) % @tpl];
	my $id  = "$t->{time}-" . base62(PID_MAX_LIMIT + $k, 6) . "-$t->{frac}";
	my $rc  = sprintf($fmt, $k);
	my ($oid, $orc) = ($t->{id}, $t->{rcpt});
	my $head = $t->{head};
	$head =~ s/\A\Q$oid\E-H\n/$id-H\n/;
	my $h = "${head}1\n$rc\n\n";
	for my $hd (@{$t->{hdrs}}) {
		my $text = $hd->[1];
		$text =~ s/\bid \Q$oid\E\b/id $id/g;
		$text =~ s/\Q$orc\E/$rc/g;
		$h .= sprintf("%03d%s %s", length($text), $hd->[0], $text);
	}
	write_new("$in/$id-D", "$id-D\n$t->{data}", $t->{dmode}, $t->{uid}, $t->{gid});
	if (defined $t->{msglog}) {
		(my $m = $t->{msglog}) =~ s/\Q$orc\E/$rc/g;
		write_new("$log/$id", $m, $t->{mmode}, $t->{uid}, $t->{gid});
	}
	my $tmp = "$in/hdr.clone.$$";
	unlink $tmp;
	write_new($tmp, $h, $t->{hmode}, $t->{uid}, $t->{gid});
	link($tmp, "$in/$id-H") or fail("$in/$id-H: $!");
	unlink $tmp;
	print "$id\n";
}

#!/usr/bin/perl
# dns_garbage.pl ADDR PORT MXADDR — a misbehaving DNS server for the lab.
#
# UDP: the first label of the question name picks the misbehaviour:
#   garbage    random bytes          short     5 bytes
#   trunc      MX rdata cut short    loop      MX exchange = compression loop
#   owner      MX for another owner  question  reply for another name
#   oversized  ancount 65535, 1 RR   nxother   NXDOMAIN for another name
#   tc         TC bit, no answer     servfail  SERVFAIL
#   silent     no reply at all
#   anything else: a correct answer.
# TCP always answers correctly (MX 10 mx1.<name>; A MXADDR for any name;
# an SOA for any name, so the root and TLD canaries pass; AAAA NODATA). Runs in the foreground until killed.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Socket qw(inet_aton);

my ($addr, $port, $mxaddr) = @ARGV;
die "usage: $0 ADDR PORT MXADDR\n" unless defined $mxaddr;
$| = 1;

my $udp = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port,
	Proto => 'udp', ReuseAddr => 1) or die "udp: $!";
my $tcp = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port,
	Proto => 'tcp', Listen => 16, ReuseAddr => 1) or die "tcp: $!";
my $sel = IO::Select->new($udp, $tcp);

sub wname { my $n = shift; $n =~ s/\.$//;
	return join('', map { chr(length $_) . $_ } split /\./, $n) . "\0"; }

# Parse the question: (id, rd, qname, qtype, offset after question).
sub question {
	my $q = shift;
	return if length $q < 17;
	my ($id, $flags) = unpack 'n n', $q;
	my ($off, @labels) = (12);
	while (1) {
		return if $off >= length $q;
		my $l = ord substr $q, $off, 1;
		$off++;
		last if $l == 0;
		return if $l > 63 || $off + $l > length $q;
		push @labels, substr $q, $off, $l;
		$off += $l;
	}
	return if $off + 4 > length $q;
	my ($qtype) = unpack 'n', substr $q, $off, 2;
	return ($id, $flags & 0x0100, lc join('.', @labels), $qtype, $off + 4);
}

sub header { my ($id, $flags, $an, $ns) = @_; pack 'n6', $id, $flags, 1, $an, $ns, 0; }
sub rr { my ($owner, $type, $rdata) = @_;
	return wname($owner) . pack('n n N n', $type, 1, 300, length $rdata) . $rdata; }

sub good {
	my ($id, $name, $qtype) = @_;
	my $qs = wname($name) . pack 'n n', $qtype, 1;
	if ($qtype == 15) {
		return header($id, 0x8580, 1, 0) . $qs .
		    rr($name, 15, pack('n', 10) . wname("mx1.$name"));
	}
	if ($qtype == 1) {
		return header($id, 0x8580, 1, 0) . $qs . rr($name, 1, inet_aton($mxaddr));
	}
	if ($qtype == 6) { # the root and TLD canaries: names that exist
		return header($id, 0x8580, 1, 0) . $qs . rr($name, 6,
		    wname("ns.test") . wname("hostmaster.test") . pack('N5', 1, 60, 60, 3600, 300));
	}
	return header($id, 0x8580, 0, 0) . $qs;
}

sub bad {
	my ($id, $name, $qtype) = @_;
	my ($mode) = split /\./, $name;
	my $qs = wname($name) . pack 'n n', $qtype, 1;
	return good($id, $name, $qtype) if $qtype != 15;
	return join '', map { chr int rand 256 } 1 .. 12 + int rand 200 if $mode eq 'garbage';
	return substr(header($id, 0x8580, 1, 0), 0, 5) if $mode eq 'short';
	return header($id, 0x8580, 1, 0) . $qs . wname($name) .
	    pack('n n N n', 15, 1, 300, 5) . pack('n', 10) . "\x0am\0" if $mode eq 'trunc';
	if ($mode eq 'loop') {
		my $pre = header($id, 0x8580, 1, 0) . $qs . wname($name) . pack('n n N n', 15, 1, 300, 4) . pack('n', 10);
		return $pre . pack('n', 0xc000 | length $pre);
	}
	return header($id, 0x8580, 1, 0) . $qs .
	    rr("other.test", 15, pack('n', 10) . wname("mx1.other.test")) if $mode eq 'owner';
	return header($id, 0x8580, 0, 0) . wname("other.test") . pack('n n', 15, 1) if $mode eq 'question';
	return header($id, 0x8583, 0, 0) . wname("other.test") . pack('n n', 15, 1) if $mode eq 'nxother';
	return header($id, 0x8580, 65535, 0) . $qs .
	    rr($name, 15, pack('n', 10) . wname("mx1.$name")) if $mode eq 'oversized';
	return header($id, 0x8780, 0, 0) . $qs if $mode eq 'tc';
	return header($id, 0x8582, 0, 0) . $qs if $mode eq 'servfail';
	return undef if $mode eq 'silent';
	return good($id, $name, $qtype);
}

while (1) {
	for my $s ($sel->can_read) {
		if ($s == $udp) {
			my $peer = $udp->recv(my $q, 4096) or next;
			my ($id, $rd, $name, $qtype) = question($q) or next;
			my $r = bad($id, $name, $qtype);
			$udp->send($r, 0, $peer) if defined $r;
		} elsif ($s == $tcp) {
			my $c = $tcp->accept or next;
			$sel->add($c);
		} else {
			my $len = '';
			if (!sysread($s, $len, 2) || length $len != 2) {
				$sel->remove($s); close $s; next;
			}
			my $n = unpack 'n', $len;
			my $q = '';
			while (length $q < $n) {
				my $got = sysread($s, $q, $n - length $q, length $q);
				last unless $got;
			}
			my ($id, $rd, $name, $qtype) = question($q);
			if (!defined $id) { $sel->remove($s); close $s; next; }
			my $r = good($id, $name, $qtype);
			syswrite($s, pack('n', length $r) . $r);
		}
	}
}

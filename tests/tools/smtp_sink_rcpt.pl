#!/usr/bin/perl
# smtp_sink_rcpt.pl — test tool: an SMTP sink that accepts every
# recipient but those listed in a reject file, which get the reply
# written there (e.g. a 450 4.1.1 "unverified address" like a Postfix MX
# with reject_unverified_recipient and its default code, or a 550 5.1.1).
# Postfix's own smtp-sink can only reject RCPT for everyone (-r / -f).
#
# usage: smtp_sink_rcpt.pl ADDR:PORT DIR REJECT-FILE
#   DIR/rcpt.log   one line per RCPT command: "ACCEPT <addr>" or
#                  "REJECT <addr>" (appended, flock'ed)
#   DIR/msg.N      each message accepted, headed by one
#                  "X-Rcpt-Args: <addr>" line per accepted recipient
#                  (the lines smtp-sink -d writes, for the e2e helpers)
#   REJECT-FILE    lines "ADDRESS REPLY", read at every RCPT; ADDRESS is
#                  compared without case
# Runs in the foreground, one child per connection (at most 60 s each);
# prints nothing.
# No shell, no eval of input; input lines are bounded (1000 bytes, RFC
# 5321), the message size too (10 MB).
use strict;
use warnings;
use IO::Socket::INET;
use Fcntl qw(:flock);

my ($listen, $dir, $rejects) = @ARGV;
die "usage: $0 ADDR:PORT DIR REJECT-FILE\n" unless defined $rejects;
my $srv = IO::Socket::INET->new(LocalAddr => $listen, Listen => 64,
				ReuseAddr => 1, Proto => 'tcp')
    or die "listen $listen: $!\n";
$SIG{CHLD} = 'IGNORE';
my $seq = 0;

sub reject_reply {
	my ($addr) = @_;
	open(my $fh, '<', $rejects) or return undef;
	while (my $l = <$fh>) {
		chomp $l;
		my ($a, $reply) = split /\s+/, $l, 2;
		return $reply if defined $reply && lc($a) eq lc($addr);
	}
	return undef;
}

sub note {
	my ($line) = @_;
	open(my $fh, '>>', "$dir/rcpt.log") or return;
	flock($fh, LOCK_EX);
	print $fh "$line\n";
	close $fh;
}

sub session {
	my ($c) = @_;
	my (@rcpts, $from);
	$c->autoflush(1);
	print $c "220 sink.lab ESMTP retryd test sink\r\n";
	while (defined(my $l = <$c>)) {
		return if length($l) > 1000;
		$l =~ s/\r?\n\z//;
		if ($l =~ /^EHLO\b/i) {
			print $c "250-sink.lab\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";
		} elsif ($l =~ /^HELO\b/i) {
			print $c "250 sink.lab\r\n";
		} elsif ($l =~ /^MAIL FROM:\s*<([^>]*)>/i) {
			($from, @rcpts) = ($1);
			print $c "250 2.1.0 Ok\r\n";
		} elsif ($l =~ /^RCPT TO:\s*<([^>]*)>/i) {
			my $a = $1;
			my $r = reject_reply($a);
			if (defined $r) {
				note("REJECT <$a>");
				print $c "$r\r\n";
			} else {
				note("ACCEPT <$a>");
				push @rcpts, $a;
				print $c "250 2.1.5 Ok\r\n";
			}
		} elsif ($l =~ /^DATA\b/i) {
			if (!@rcpts) {
				print $c "554 5.5.1 Error: no valid recipients\r\n";
				next;
			}
			print $c "354 End data with <CR><LF>.<CR><LF>\r\n";
			my ($body, $size) = ('', 0);
			while (defined(my $d = <$c>)) {
				last if $d =~ /^\.\r?\n\z/;
				$size += length $d;
				return if $size > 10 << 20;
				$d =~ s/^\.//;
				$body .= $d;
			}
			my $n = sprintf "%d.%d.%d", time, $$, ++$seq;
			if (open(my $fh, '>', "$dir/msg.$n")) {
				print $fh "X-Rcpt-Args: <$_>\n" for @rcpts;
				print $fh $body;
				close $fh;
			}
			@rcpts = ();
			print $c "250 2.0.0 Ok: queued as $n\r\n";
		} elsif ($l =~ /^RSET\b/i) {
			@rcpts = ();
			print $c "250 2.0.0 Ok\r\n";
		} elsif ($l =~ /^NOOP\b/i) {
			print $c "250 2.0.0 Ok\r\n";
		} elsif ($l =~ /^QUIT\b/i) {
			print $c "221 2.0.0 Bye\r\n";
			return;
		} else {
			print $c "502 5.5.2 Error: command not recognized\r\n";
		}
	}
}

while (1) {
	my $c = $srv->accept or next;
	my $pid = fork;
	if (defined $pid && $pid == 0) {
		close $srv;
		alarm 60; # a child never outlives its test by much
		session($c);
		close $c;
		exit 0;
	}
	close $c;
}

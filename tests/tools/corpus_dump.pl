use strict; use warnings; use lib '/tmp/cls/sisimai/lib'; use Sisimai; use JSON;
my $j = JSON->new->canonical;
for my $f (@ARGV) {
  my $v = Sisimai->rise($f, 'delivered'=>1, 'vacation'=>1) || [];
  for my $e (@$v) {
    my $d = $e->damn;
    print $j->encode({file=>$f, rcpt=>$d->{recipient}, diag=>$d->{diagnosticcode}, reason=>$d->{reason}, dsn=>$d->{deliverystatus}, lhost=>$d->{decodedby}, rhost=>$d->{rhost}, dest=>$d->{destination}, code=>$d->{replycode}}),"\n";
  }
}

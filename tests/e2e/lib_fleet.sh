# lib_fleet.sh — two retryd hosts sharing one PostgreSQL (sourced).
#
# Sourced by tests/e2e/fleet_*.t after nothing else. On top of lib_e2e.sh:
#
#   127.$LAB_NET.0.60   PostgreSQL 15 (tests/lab/pg.sh), database retryd,
#                       schema made by `retryctl fleet init`
#   host A              Postfix pf-mta under $LAB_DIR/A, resolver unbound
#                       mta1 (.54), retryd state $LAB_DIR/A/state,
#                       host_id fleet-a, smtpd on port K=1
#   host B              the same under $LAB_DIR/B with unbound mta2 (.55),
#                       host_id fleet-b, smtpd on port K=2
#   the MX              tests/tools/smtp_sink_rcpt.pl on .25:25 (shared),
#                       refusing the addresses in $LAB_DIR/rejects
#
# Each host's smtpd checks RCPT against fleet_suppressed directly through
# the pgsql: table `retryctl fleet export postfix-pgsql` writes.
#
# Functions:
#   fleet_init NAME [POLICY-LINES...]  lab, PostgreSQL, both hosts, sink
#   fleet_use A|B       point E2E_DIR/E2E_POLICY/... at that host
#   fleet_once A|B      one retryd --once on that host (ships at its end)
#   fleet_ctl A|B ARGS  retryctl on that host
#   fleet_rcpt A|B ADDR the smtpd's reply to RCPT TO:<ADDR> on that host
#   fleet_submit A|B TAG RCPT...  one message through that host's sendmail

. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lab/pg.sh"

fleet_ready() {
	e2e_ready && pg_available && command -v psql >/dev/null &&
		[ -f /usr/lib/postfix/postfix-pgsql.so ] && command -v perl >/dev/null &&
		command -v python3 >/dev/null
}

fleet_use() {
	E2E_DIR=$LAB_DIR/$1
	E2E_POLICY=$E2E_DIR/retryd.ini
	E2E_STATE=$E2E_DIR/state
}

# fleet_host X HOSTID RES-SUFFIX RES-NAME SMTPD-K POLICY-LINES...
fleet_host() {
	local x=$1 id=$2 res=$3 rname=$4 k=$5
	shift 5
	fleet_use "$x"
	mkdir -p "$E2E_DIR"
	e2e_policy_write "$@" "[fleet]" "database = $PG_URL" "interval = 1s" || return 1
	sed -i -e "s/^host_id = .*/host_id = $id/" \
		-e "s/^mta = $(dns_addr 54)\$/mta = $(dns_addr "$res")/" \
		-e "s/unbound-mta1/unbound-$rname/" "$E2E_POLICY"
	"$E2E_RETRYD" -c "$E2E_POLICY" -t >/dev/null || return 1
	"$E2E_RETRYCTL" -c "$E2E_POLICY" fleet export postfix-pgsql -o "$E2E_DIR/fleet-pgsql.cf" || return 1
	[ "$(stat -c %a "$E2E_DIR/fleet-pgsql.cf")" = 640 ] || { echo "# fleet-pgsql.cf not mode 0640"; return 1; }
	# the MTA's credentials are its own (README): here the same role
	printf 'password = %s\n' "$PG_PASSWORD" >>"$E2E_DIR/fleet-pgsql.cf"
	E2E_PF_EXTRA="smtpd_recipient_restrictions = check_recipient_access pgsql:$E2E_DIR/fleet-pgsql.cf, permit_mynetworks, reject_unauth_destination" \
		e2e_postfix_start mta "$res" yes "$k" || return 1
	# both hosts name their instance "mta": the stop registered by
	# e2e_postfix_start reads E2E_DIR at cleanup time, so each host
	# registers its own (host A's Postfix was left running before)
	lab_on_exit fleet_postfix_stop "$x"
	eval "FLEET_PORT_$x=\$E2E_SMTPD_PORT_mta"
}

fleet_init() {
	local name=$1
	shift
	e2e_init "$name" ind mta2
	pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
	E2E_SINK=$LAB_DIR/sink
	mkdir -p "$E2E_SINK"
	: >"$LAB_DIR/rejects"
	perl "$LAB_ROOT/tests/tools/smtp_sink_rcpt.pl" "$(dns_addr 25):25" "$E2E_SINK" "$LAB_DIR/rejects" &
	lab_track $!
	fleet_host A fleet-a 54 mta1 1 "$@" || { echo "Bail out! host A did not start"; exit 1; }
	fleet_host B fleet-b 55 mta2 2 "$@" || { echo "Bail out! host B did not start"; exit 1; }
	wait_for 5 bash -c "exec 3<>/dev/tcp/$(dns_addr 25)/25" || { echo "Bail out! sink did not start"; exit 1; }
}

# fleet_postfix_stop A|B: stop that host's Postfix (cleanup).
fleet_postfix_stop() {
	fleet_use "$1"
	e2e_postfix_stop mta
}

fleet_once() { fleet_use "$1"; e2e_once; }
fleet_ctl() {
	local x=$1
	shift
	fleet_use "$x"
	"$E2E_RETRYCTL" -c "$E2E_POLICY" "$@"
}

fleet_submit() {
	local x=$1 tag=$2
	shift 2
	fleet_use "$x"
	printf 'From: <%s>\nSubject: fleet %s\nMessage-ID: <%s@e2e.test>\n\nretryd fleet e2e %s\n' \
		"$E2E_SENDER" "$tag" "$tag" "$tag" |
		sendmail -C "$(e2e_pf_conf mta)" -f "$E2E_SENDER" "$@"
}

# fleet_rcpt X ADDR: "CODE TEXT" of the RCPT TO:<ADDR> reply at host X.
fleet_rcpt() {
	local port
	eval "port=\$FLEET_PORT_$1"
	perl -MIO::Socket::INET -e '
		my ($port, $rcpt) = @ARGV;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port,
					      Timeout => 10) or die "connect: $!\n";
		sub reply { my $r = ""; while (my $l = <$s>) { $r .= $l; last if $l =~ /^\d{3} /; } $r =~ s/\r//g; chomp $r; $r }
		sub cmd { print $s "$_[0]\r\n"; reply() }
		reply(); cmd("EHLO client.lab.test"); cmd("MAIL FROM:<sender\@senders.test>");
		print cmd("RCPT TO:<$rcpt>"), "\n"; cmd("QUIT");
	' "$port" "$2"
}

# fleet_asan_clean: no sanitizer report in either host's retryd log.
fleet_asan_clean() {
	! grep -E -q 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		"$LAB_DIR"/A/retryd.log "$LAB_DIR"/B/retryd.log 2>/dev/null
}

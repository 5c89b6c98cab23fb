#!/bin/bash
# postfix_snippets.t — the Postfix lines of contrib/postfix (main.cf.retryd,
# README.postfix) on a real Postfix, as an operator types them (TAP).
#
# The lab Postfix gets a host's usual restrictions first
# (smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination)
# and an smtpd on loopback whose clients are all inside mynetworks, like the
# relay clients of a real outbound host. One address is suppressed in
# retryd's store. Then:
#  - the OLD order (permit_mynetworks before check_recipient_access, as
#    contrib shipped it once): the client in mynetworks gets 250 for the
#    suppressed address — what the issue reported, shown to happen;
#  - the documented lines: retryctl export suppressed --format postfix,
#    postmap, the `postconf -e "smtpd_recipient_restrictions =
#    check_recipient_access ..., $(postconf -h ...)"` line: the host's own
#    restrictions are kept after it; the client in mynetworks now gets
#    554 5.1.1 for the suppressed address, 250 for another, which reaches
#    the sink;
#  - sendmail(1): the same suppressed address submitted locally is accepted
#    (pickup never meets smtpd) and then bounced by the transport table the
#    documented lines add (--format postfix-transport, error:5.1.1); it never
#    reaches the sink, while another recipient of the same message does.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
[ -x "$SEED" ] || skip_all "store_seed not built (make asan)"
perl -MNet::SMTP -e1 2>/dev/null || skip_all "perl Net::SMTP missing"

e2e_init postfix_snippets
e2e_policy_write || { echo "Bail out! policy refused"; exit 1; }
"$SEED" "$E2E_STATE" <<'EOF'
suppressed address=alice@hotmail.test time=now-2h reason="mailbox-unknown x3 over 26h while DNS healthy" evidence="5.1.1 x3"
EOF
ok $? "alice@hotmail.test suppressed in retryd's store"
e2e_postfix_start mta 54 no 1 || { echo "Bail out! Postfix did not start"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }
e2e_pf_use mta
C=$PF_CONF
pc() { postconf -c "$C" "$@"; }
reload() { postfix_backdate && postfix -c "$C" reload >/dev/null 2>&1 && sleep 1; }
PORT=$E2E_SMTPD_PORT_mta

# rcpt ADDR: the reply to RCPT TO from an SMTP client on 127.0.0.1
# (inside mynetworks), "CODE TEXT"; the message is sent when accepted.
rcpt() {
	perl -MNet::SMTP -e '
		my ($port, $rcpt) = @ARGV;
		my $s = Net::SMTP->new("127.0.0.1", Port => $port, Hello => "client.lab.test", Timeout => 20)
		    or die "connect: $@\n";
		$s->mail("sender\@senders.test");
		my $ok = $s->to($rcpt);
		my $reply = $s->code . " " . ($s->message =~ s/\s+$//r);
		if ($ok) {
			$s->data("From: <sender\@senders.test>\r\nTo: <$rcpt>\r\nSubject: snippet\r\nMessage-ID: <smtp-$rcpt\@e2e.test>\r\n\r\nx\r\n");
		}
		$s->quit;
		print "$reply\n";
	' "$PORT" "$1"
}

like "$(pc -h mynetworks)" "127\.0\.0\.0/8" "the SMTP clients (127.0.0.1) are inside mynetworks"
pc -e "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination" && reload
ok $? "the host's own restrictions: permit_mynetworks, reject_unauth_destination"

# 1. the old contrib order: the relay client is never checked
e2e_ctl export suppressed --format postfix -o "$C/retryd_suppressed" 2>/dev/null &&
	postmap -c "$C" "hash:$C/retryd_suppressed"
ok $? "retryctl export suppressed --format postfix + postmap"
pc -e "smtpd_recipient_restrictions = permit_mynetworks, check_recipient_access hash:$C/retryd_suppressed, reject_unauth_destination" && reload
like "$(rcpt alice-old@hotmail.test)" "^250 " "old order (permit_mynetworks first): a client in mynetworks is never checked"
pc -e "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination" && reload

# 2. the documented lines (README.postfix section 2), verbatim but for -c
pc -e "smtpd_recipient_restrictions = check_recipient_access hash:$C/retryd_suppressed, $(pc -h smtpd_recipient_restrictions)"
e2e_ctl export suppressed --format postfix-transport -o "$C/retryd_transport" 2>/dev/null &&
	postmap -c "$C" "hash:$C/retryd_transport"
ok $? "retryctl export suppressed --format postfix-transport + postmap"
pc -e "transport_maps = hash:$C/retryd_transport, $(pc -h transport_maps)"
reload
ok $? "postfix reload with the documented postconf -e lines"
is "$(pc -h smtpd_recipient_restrictions)" \
	"check_recipient_access hash:$C/retryd_suppressed, permit_mynetworks, reject_unauth_destination" \
	"the check is prepended; the host's restrictions are kept after it"
like "$(pc -h transport_maps)" "^hash:$C/retryd_transport" "transport_maps starts with the retryd table"
ok "$(postfix -c "$C" check >"$LAB_DIR/check.out" 2>&1; grep -qiE 'fatal|error' "$LAB_DIR/check.out"; [ $? != 0 ]; echo $?)" \
	"postfix check: no error with the added lines" || diag "$(cat "$LAB_DIR/check.out")"

r=$(rcpt alice@hotmail.test)
# REJECT in an access table answers access_map_reject_code (554) with
# the table's enhanced code
like "$r" "^554 5\.1\.1 <alice@hotmail\.test>: Recipient address rejected: recipient suppressed by retryd: mailbox-unknown" \
	"a client inside mynetworks: RCPT TO a suppressed address gets 554 5.1.1 with the reason"
like "$(rcpt carol@hotmail.test)" "^250 " "... and another address of the domain 250"
e2e_wait_sink 1 30 'carol@hotmail\.test'
is "$(e2e_sink_count 'carol@hotmail\.test')" 1 "... which reaches the sink"

# 3. sendmail(1): accepted, then bounced by the transport table
printf 'From: <%s>\nTo: <alice@hotmail.test>, <dave@hotmail.test>\nSubject: local\nMessage-ID: <local-1@e2e.test>\n\nx\n' "$E2E_SENDER" |
	sendmail -C "$C" -f "$E2E_SENDER" alice@hotmail.test dave@hotmail.test
ok $? "sendmail(1) accepts a message to the suppressed address and another"
e2e_wait_log_count mta bounced 'alice@hotmail\.test' 1 30
like "$(e2e_log_lines mta 'to=<alice@hotmail\.test>.*status=bounced')" \
	"relay=none, .*dsn=5\.1\.1, status=bounced \(recipient suppressed by retryd" \
	"sendmail(1): the suppressed recipient is bounced 5.1.1 by the error transport"
e2e_wait_sink 1 30 'dave@hotmail\.test'
is "$(e2e_sink_count 'dave@hotmail\.test')" 1 "sendmail(1): the other recipient is delivered"
is "$(e2e_sink_count 'alice@hotmail\.test')" 0 "the suppressed address never reached the sink (SMTP nor sendmail)"
done_testing

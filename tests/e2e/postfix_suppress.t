#!/bin/bash
# postfix_suppress.t — evidence-based suppression end to end (issue #6):
# real Postfix, a real SMTP receiver, the DNS lab, retryd (ASan build,
# --once passes), then the exported table enforced by a real smtpd.
#
# How a mailbox failure reaches retryd. retryd only attempts messages it
# adopted, and it adopts only routing failures: so the messages are first
# deferred for routing (a stale negative cache for hotmail.test at the
# MTA's resolver, dsn 4.4.4 through the exported status filter), exactly
# the mission's incident. The receiving MX (tests/tools/smtp_sink_rcpt.pl
# on every lab MX address; Postfix's smtp-sink can only reject RCPT for
# everyone) accepts alice@ and answers RCPT TO:<gone@hotmail.test> with
#   450 4.1.1 <gone@hotmail.test>: Recipient address rejected:
#       unverified address: ... User unknown in virtual mailbox table
# — what a Postfix MX with reject_unverified_recipient says with its
# default unverified_recipient_reject_code = 450: a temporary reply for a
# mailbox its own probe found unknown. Postfix therefore defers gone@
# (keeps the message), each retryd attempt yields one more
# mailbox-unknown outcome, and repeated failures over time are possible
# with one message. (A 5xx is bounced by Postfix at once: covered by the
# unit tests, test_pass_suppress.)
#
# Policy: min_failures = 3, min_span = 3s, DNS must be healthy, tiers
# every 2s, verify_window 1s (each attempt verified afresh), on_suppress
# = bounce.
#
#  A. message M1 to alice@ and gone@ (both deferred 4.4.4): adopted; the
#     1st attempt is verified local-path (the stale cache), flushed,
#     tried: alice@ delivered, gone@ deferred 4.1.1 -> excluded ("DNS was
#     local-path"); attempts 2, 3 (healthy): 1, then 2 of 3 counted, not
#     suppressed; attempt 4: the 3rd counted failure, span >= 3s ->
#     suppressed in that pass, M1 handed back (postsuper -f) and bounced
#     for gone@ only. alice@ never suppressed.
#  B. a new incident, M2 to alice@ and gone@: adopted, gone@ marked
#     suppressed at once (evidence "suppressed since"), M2 held and
#     attempted for alice@ (delivered again); gone@ rides along (Postfix
#     cannot drop one recipient) and, left alone, M2 is handed back.
#  C. M3 to gone@ alone: adopted and handed back at once, never attempted.
#  D. retryctl export suppressed --format postfix, postmap, a second
#     Postfix with an smtpd listener and check_recipient_access on that
#     table: a real SMTP session gets RCPT TO:<gone@> rejected with 5.1.1
#     and RCPT TO:<alice@> accepted.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
command -v perl >/dev/null && command -v python3 >/dev/null || skip_all "perl or python3 missing"
SINKPL=$LAB_ROOT/tests/tools/smtp_sink_rcpt.pl
GOOD=alice@hotmail.test
BAD=gone@hotmail.test

e2e_init postfix_suppress ind
E2E_VERIFY_WINDOW=1s E2E_TIER_EVERY=2s e2e_policy_write \
	"[suppression]" "categories = mailbox-unknown, mailbox-disabled" \
	"min_failures = 3" "min_span = 3s" "require_healthy_dns = yes" \
	"on_suppress = bounce" || { echo "Bail out! policy refused"; exit 1; }
e2e_postfix_start mta 54 yes || { echo "Bail out! Postfix did not start"; exit 1; }

# The receiving MX: the Perl sink on 127.$LAB_NET.0.25:25.
E2E_SINK=$E2E_DIR/sink
mkdir -p "$E2E_SINK"
printf '%s %s\n' "$BAD" "450 4.1.1 <$BAD>: Recipient address rejected: unverified address: User unknown in virtual mailbox table" \
	>"$E2E_DIR/rejects"
perl "$SINKPL" "$(dns_addr 25):25" "$E2E_SINK" "$E2E_DIR/rejects" &
lab_track $!
wait_for 5 bash -c "exec 3<>/dev/tcp/$(dns_addr 25)/25" || { echo "Bail out! sink did not start"; exit 1; }

rcpt_log() { grep -c -F "$1 <$2>" "$E2E_SINK/rcpt.log" 2>/dev/null; }
sup() { e2e_ctl show "$1" --json | python3 -c 'import json,sys; d=json.load(sys.stdin)["suppression"]; print(eval(sys.argv[1]))' "$2"; }
submit() { # submit TAG RCPT...
	local tag=$1
	shift
	printf 'From: <%s>\nSubject: e2e %s\nMessage-ID: <%s@e2e.test>\n\nretryd e2e %s\n' \
		"$E2E_SENDER" "$tag" "$tag" "$tag" |
		sendmail -C "$(e2e_pf_conf mta)" -f "$E2E_SENDER" "$@"
}
# once_after: wait out the 2s tier, then one --once pass.
once_after() { sleep 2.1; e2e_once >/dev/null; }

# ---- A: four attempts, suppressed exactly at the 3rd counted failure ----
e2e_poison hotmail.test 54
submit m1 "$GOOD" "$BAD"
e2e_wait_queue mta deferred 1 20
e2e_wait_log_count mta deferred "$BAD" 1
is "$(e2e_log_count mta deferred '(alice|gone)@hotmail\.test')" 2 "A: M1 deferred for both recipients (routing)"
M1=$(e2e_msgid_qid mta m1)
like "$(e2e_once)" "adopted=1," "A: pass 1 adopts M1"

once_after
is "$(e2e_sink_count "$GOOD")" 1 "A: attempt 1 (local-path, flushed): alice@ delivered"
is "$(rcpt_log REJECT "$BAD")" 1 "A: ... gone@ refused by the MX (450 4.1.1)"
is "$(sup "$BAD" '(d["suppressed"], d["counted"], len(d["excluded"]))')" "(False, 0, 1)" \
	"A: ... not counted: 0 of 3, 1 excluded"
like "$(sup "$BAD" 'd["excluded"][0]["why"]')" "^excluded: DNS was local-path at " \
	"A: ... excluded because DNS was local-path then"

once_after
is "$(rcpt_log REJECT "$BAD")" 2 "A: attempt 2 (healthy): gone@ refused again"
is "$(sup "$BAD" '(d["suppressed"], d["counted"], d["needed"])')" "(False, 1, 3)" "A: ... 1 of 3 counted"

once_after
is "$(rcpt_log REJECT "$BAD")" 3 "A: attempt 3: gone@ refused again"
is "$(sup "$BAD" '(d["suppressed"], d["counted"])')" "(False, 2)" "A: ... 2 of 3 counted: not suppressed"
like "$(e2e_ctl show "$BAD")" "decision: +not yet: 2 of 3 failures over [0-9]+s of 3s; 1 excluded: DNS was local-path at" \
	"A: show explains: not yet, 2 of 3, 1 excluded (local-path)"
is "$(e2e_queue_count mta held)" 1 "A: M1 is still held for gone@"

once_after
is "$(rcpt_log REJECT "$BAD")" 4 "A: attempt 4: the 3rd counted failure"
is "$(sup "$BAD" '(d["suppressed"], d["counted"], d["span"] >= 3)')" "(True, 3, True)" \
	"A: ... suppressed now: 3 counted over >= 3s"
like "$(e2e_ctl show "$BAD")" "suppressed: +yes, since [0-9-]+T[0-9:]+Z: suppress: 3 of 3 failures \(mailbox-unknown\) over [0-9]+s of 3s, DNS healthy each time; 1 excluded: DNS was local-path" \
	"A: show: suppressed since, 3 of 3, the local-path one excluded"
like "$(grep "to=<$BAD>.*action=suppress" "$E2E_DIR/retryd.log" | head -1)" \
	"^.*$M1: to=<$BAD>, domain=hotmail\.test, verdict=healthy, action=suppress, since=.*, reason=suppress: 3 of 3 .*then=bounce" \
	"A: retryd logs QUEUEID: to=<gone@>, ..., action=suppress, reason=..."
is "$(grep -c 'action=suppress' "$E2E_DIR/retryd.log")" 1 "A: ... one suppression so far"
e2e_wait_queue mta all 0 10
is "$(e2e_queue_count mta all)" 0 "A: M1 handed back: gone from the queue"
wait_for 10 grep -q "$M1: from=<.*status=force-expired, returned to sender" "$(e2e_pf_log mta)"
like "$(e2e_log_lines mta "$M1: from=<.*status=" | tail -1)" "$M1: from=<$E2E_SENDER>, status=force-expired, returned to sender" \
	"A: Postfix returned M1 to its sender (postsuper -f, after the commit)"
e2e_wait_sink 1 10 'sender@senders\.test'
is "$(e2e_sink_count 'sender@senders\.test')" 1 "A: the sender got one bounce (DSN)"
is "$(sup "$GOOD" 'd["suppressed"]')" "False" "A: alice@ is not suppressed"
is "$(e2e_ctl suppressed --json | python3 -c 'import json,sys; print([s["address"] for s in json.load(sys.stdin)])')" \
	"['$BAD']" "A: retryctl suppressed: gone@ only"

# ---- B: a new message to both: held for alice@ only, then handed back ----
dns_unbound_reset mta1 # forget the good MX, to cache "no MX" again
e2e_poison hotmail.test 54
submit m2 "$GOOD" "$BAD"
e2e_wait_queue mta deferred 1 20
M2=$(e2e_msgid_qid mta m2)
like "$(e2e_once)" "adopted=1," "B: M2 adopted"
like "$(grep "$M2: to=<$BAD>.*action=suppress" "$E2E_DIR/retryd.log")" "then=held for 1 other pending recipient" \
	"B: gone@ marked suppressed at adoption, M2 held for alice@"
is "$(e2e_queue_count mta held)" 1 "B: M2 held"
once_after
is "$(e2e_sink_count "$GOOD")" 2 "B: alice@ delivered again (2 in all)"
is "$(rcpt_log REJECT "$BAD")" 5 "B: gone@ rode along in M2's attempt (one more refusal)"
e2e_wait_queue mta all 0 10
is "$(e2e_queue_count mta all)" 0 "B: M2, left with gone@ only, handed back"
wait_for 10 grep -q "$M2: from=<.*status=force-expired" "$(e2e_pf_log mta)"
like "$(e2e_log_lines mta "$M2: from=<.*status=" | tail -1)" "status=force-expired, returned to sender" "B: Postfix returned M2 to its sender"

# ---- C: a message to gone@ alone: never attempted ----
dns_unbound_reset mta1
e2e_poison hotmail.test 54
submit m3 "$BAD"
e2e_wait_queue mta deferred 1 20
M3=$(e2e_msgid_qid mta m3)
e2e_once >/dev/null
e2e_wait_queue mta all 0 10
is "$(e2e_queue_count mta all)" 0 "C: M3 adopted and handed back in one pass"
is "$(grep -c "$M3: .*action=attempt" "$E2E_DIR/retryd.log")" 0 "C: ... never attempted"
is "$(rcpt_log REJECT "$BAD")" 5 "C: ... the MX never saw gone@ again"
like "$(e2e_ctl show "$BAD" --json | python3 -c 'import json,sys; print([e["text"] for e in json.load(sys.stdin)["evidence"] if e["queue_id"] == sys.argv[1]])' "$M3")" \
	"retryd decided: suppressed since [0-9-]+T[0-9:]+Z: suppress: 3 of 3" "C: evidence says 'suppressed since ...'"
is "$(grep -c 'action=suppress' "$E2E_DIR/retryd.log")" 3 "A-C: gone@ suppressed once, marked in M2 and M3"
is "$(e2e_sink_count "$BAD")" 0 "A-C: nothing ever delivered to gone@"
is "$(e2e_sink_count "$GOOD")" 2 "A-C: alice@ delivered every time: 2 of 2"
is "$(sup "$GOOD" '(d["suppressed"], d["counted"])')" "(False, 0)" "A-C: alice@ never suppressed, nothing counted"

# ---- D: the exported table, enforced by a real smtpd ----
T=$E2E_DIR/retryd_suppressed
e2e_ctl export suppressed --format postfix -o "$T"
is "$?" 0 "D: retryctl export suppressed --format postfix"
like "$(grep -v '^#' "$T")" "^$BAD REJECT 5\.1\.1 recipient suppressed by retryd: " "D: ... one line: gone@ REJECT 5.1.1"
postmap -c "$(e2e_pf_conf mta)" "hash:$T"
is "$?" 0 "D: postmap hash:$T"
E2E_PF_EXTRA="smtpd_recipient_restrictions = check_recipient_access hash:$T, permit_mynetworks, reject_unauth_destination" \
	e2e_postfix_start front 54 no 1 || { echo "Bail out! front Postfix did not start"; exit 1; }
port=$E2E_SMTPD_PORT_front
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
session=$(perl -MIO::Socket::INET -e '
	my ($port, $bad, $good) = @ARGV;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port,
				      Timeout => 10) or die "connect: $!\n";
	sub reply { my $r = ""; while (my $l = <$s>) { $r .= $l; last if $l =~ /^\d{3} /; } $r =~ s/\r//g; $r }
	sub cmd { print $s "$_[0]\r\n"; my $r = reply(); print "$_[0] => $r"; }
	reply();
	cmd("EHLO client.lab.test"); cmd("MAIL FROM:<sender\@senders.test>");
	cmd("RCPT TO:<$bad>"); cmd("RCPT TO:<$good>"); cmd("RSET"); cmd("QUIT");
' "$port" "$BAD" "$GOOD")
grep RCPT <<<"$session" | sed "s/^/# /" >&2
like "$(grep "RCPT TO:<$BAD>" <<<"$session")" "=> 5[0-9][0-9] 5\.1\.1 <$BAD>: Recipient address rejected: recipient suppressed by retryd: suppress: 3 of 3" \
	"D: SMTP RCPT TO:<gone@> rejected 5.1.1 with retryd's reason"
like "$(grep "RCPT TO:<$GOOD>" <<<"$session")" "=> 250 2\.1\.5 Ok" "D: SMTP RCPT TO:<alice@> accepted"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

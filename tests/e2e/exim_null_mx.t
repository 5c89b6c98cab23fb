#!/bin/bash
# exim_null_mx.t — a null MX with Exim is handed back and bounced exactly
# once (issue #5, scenario 3). msn.test (group microsoft) publishes a null
# MX (RFC 7505, "MX 0 ."). Exim with fail_defer_domains defers it like a
# missing MX (LAB-NOTES: it cannot tell them apart), so N messages wait in
# the queue; retryd adopts them (frozen), its fresh verification says
# null-mx (authoritative and every resolver agree), the decision and its
# evidence are committed, and the messages are handed back (exim -Mg,
# Exim's only "bounce now": logged "cancelled by root", no "**" line): one
# cancel per message, the sender gets one DSN each (Action: failed,
# Status 5.0.0 — Exim's DSN for -Mg gives no reason text), nothing is
# delivered, the queue is empty, a further pass does nothing more.
# Beside them, a bounce Exim itself could not deliver (sender <>, to the
# unwatched nullmx.test) is frozen by Exim: held but not ours, retryd
# leaves it frozen and untouched throughout.
. "$(dirname "$0")/lib_exim_e2e.sh"
e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
N=4
e2e_exim_standard exim_null_mx

dns_zone_set msn.test "@ IN MX 0 ."
is "$(dns_ask 53 msn.test MX)" "0 ." "NSD publishes msn.test's null MX"
for i in $(seq 1 $N); do e2e_exim_submit mta "n$i@msn.test" "nullmx-$i" >/dev/null; done
ids=$(e2e_exim_msgid_ids mta 'nullmx-[0-9]+')
is "$(e2e_exim_count mta deferred '@msn\.test')" $N "Exim (fail_defer_domains) defers the $N null-MX messages"
is "$(e2e_exim_count mta bounced '@msn\.test')" 0 "... none bounced"

# Exim's own frozen bounce: a null-sender message that fails permanently.
printf 'From: <>\nSubject: dsn\nMessage-ID: <own-frozen@e2e.test>\n\nx\n' |
	{ e2e_exim_use mta; exim_cmd -odi -oi -f '<>' -- postmaster@nullmx.test >/dev/null 2>&1; }
own=$(e2e_exim_msgid_ids mta own-frozen)
like "$(grep " $own " "$(e2e_exim_log mta)" | tr '\n' '|')" \
	'\*\* postmaster@nullmx\.test: an MX or SRV record indicated no SMTP service.*Frozen' \
	"Exim froze its own undeliverable bounce $own"
is "$(e2e_exim_frozen mta)" "$own" "... the only frozen message so far"

s=$(e2e_exim_once)
like "$s" "adopted=$N," "retryd adopts the $N messages (not Exim's frozen bounce)"
is "$(e2e_exim_frozen mta)" "$(printf '%s\n' $ids $own | sort)" "... and freezes them"
sleep 1
for _ in 1 2 3 4 5; do
	e2e_exim_once >/dev/null
	[ "$(e2e_sum given_back)" -ge $N ] && break
	sleep 1
done
is "$(e2e_sum given_back)" $N "retryd hands the $N messages back"
is "$(e2e_sum attempted)" 0 "... without a delivery attempt of its own"
is "$(grep -c 'verdict=null-mx' "$E2E_DIR/retryd.log" | awk '{print ($1 >= 1) ? "yes" : "no"}')" yes \
	"... on the verdict null-mx"
e2e_exim_wait_queue mta 1 10
is "$(e2e_exim_queue mta)" "$own" "the $N messages left the queue; Exim's frozen bounce stays"
bounced() { # the -Mg of each handed-back id, as Exim logged it
	local q
	for q in $ids; do grep -E " $q cancelled by root$" "$(e2e_exim_log mta)"; done |
		awk '{print $3}' | sort
}
is "$(bounced | wc -l)" $N "mainlog: $N 'cancelled by root' (exim -Mg), one per message"
is "$(bounced | uniq)" "$ids" "... exactly the adopted ids, each once"
is "$(e2e_exim_count mta delivered '@msn\.test')" 0 "none delivered"
is "$(e2e_sink_count '@msn\.test')" 0 "the sink got nothing for msn.test"
e2e_wait_sink $N 20 'sender@senders\.test'
is "$(e2e_sink_count 'sender@senders\.test')" $N "the sender got $N DSNs at the sink"
is "$(cat "$E2E_SINK"/* | grep -E '^Final-Recipient: rfc822;n[0-9]+@msn\.test' | sort -u | wc -l)" $N \
	"... one for each recipient (Final-Recipient)"
is "$(for q in $ids; do grep -c " <= <> R=$q " "$(e2e_exim_log mta)"; done | sort -u)" 1 \
	"mainlog: exactly one bounce message (<= <> R=ID) per handed-back id"
j=$(e2e_exim_ctl show n1@msn.test --json)
like "$j" '"verdict": ?"null-mx"' "evidence for n1@msn.test: verdict null-mx"
is "$(e2e_exim_ctl list --json | grep -c '"queue_id"')" 0 "retryctl list: nothing pending"

sleep 1
e2e_exim_once >/dev/null
sleep 1
is "$(bounced | wc -l)" $N "a further pass: still exactly $N cancels"
is "$(e2e_sink_count 'sender@senders\.test')" $N "... and $N DSNs"
is "$(e2e_exim_frozen mta)" "$own" "Exim's own frozen bounce is still frozen"
is "$(grep -c " $own \(Unfrozen\|unfrozen\|=>\|\*\* .*cancelled\)" "$(e2e_exim_log mta)")" 0 \
	"... never thawed, delivered or cancelled by retryd"
like "$(grep "$own" "$E2E_DIR/retryd.log" | head -1)" 'held in the MTA but not by retryd: left alone' \
	"retryd logged it as not ours"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

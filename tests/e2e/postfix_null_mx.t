#!/bin/bash
# postfix_null_mx.t — a null MX is handed back and bounced exactly once
# (issue #4, scenario 3). msn.test (group microsoft) first has no MX at
# NSD: Postfix with the status filter defers N messages (5.4.4 -> 4.4.4)
# and retryd adopts them. Then msn.test publishes a null MX (RFC 7505,
# "MX 0 .") and the MTA resolver's negative TTL runs out (simulated with
# unbound-control flushes). retryd's fresh verification says null-mx: the
# decision and its evidence are recorded, the messages are handed back
# and Postfix bounces each exactly once (one bounce line per message, none
# delivered, all gone from the queue); a further pass does nothing more.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
N=4
e2e_standard postfix_null_mx yes

dns_zone_set msn.test "www IN A $(dns_addr 25)"
is "$(dns_ask 53 msn.test MX)" "" "NSD: msn.test has no MX (yet)"
for i in $(seq 1 $N); do e2e_submit mta "n$i@msn.test" "nullmx-$i"; done
e2e_wait_queue mta deferred $N 20
e2e_wait_log_count mta deferred '@msn\.test' $N
is "$(e2e_log_count mta deferred '@msn\.test')" $N "$N messages deferred by the filter"
is "$(e2e_log_count mta bounced '@msn\.test')" 0 "... none bounced yet"
s=$(e2e_once)
like "$s" "adopted=$N," "retryd adopts the $N messages"
is "$(e2e_queue_count mta held)" $N "... and holds them"
ids=$(e2e_queue_ids mta held)

# The domain publishes a null MX; the MTA resolver's cache entry expires.
dns_zone_set msn.test "@ IN MX 0 ."
is "$(dns_ask 53 msn.test MX)" "0 ." "NSD publishes the null MX"
sleep 1
for _ in 1 2 3 4 5; do
	e2e_once >/dev/null
	[ "$(e2e_sum given_back)" -ge $N ] && break
	sleep 1
done
is "$(e2e_sum given_back)" $N "retryd hands the $N messages back"
is "$(e2e_sum attempted)" 0 "... without a delivery attempt of its own"
e2e_wait_queue mta all 0 20
# Postfix returns a handed-back message to its sender: a per-recipient
# status=bounced line, or (postsuper -f) one "status=force-expired,
# returned to sender" line for the message; either way one per message.
bounce_re='(: to=<n[0-9]+@msn\.test>,.* status=bounced|: from=<[^>]*>, status=(force-)?expired, returned to sender)'
e2e_wait_count 20 $N grep -E -c "$bounce_re" "$(e2e_pf_log mta)"
bounce_ids() {
	local q
	for q in $ids; do grep -E "$q$bounce_re" "$(e2e_pf_log mta)"; done |
		sed -E 's/.*: ([0-9A-Za-z]+): (to|from)=.*/\1/' | sort
}
is "$(bounce_ids | wc -l)" $N "maillog: $N bounces, one per message"
is "$(bounce_ids | uniq)" "$ids" "... exactly the held queue ids, each once"
is "$(grep -E -c 'sender non-delivery notification' "$(e2e_pf_log mta)")" $N \
	"Postfix sent $N non-delivery notifications"
e2e_wait_sink $N 20 'sender@senders\.test'
is "$(e2e_sink_count 'sender@senders\.test')" $N "the sender got $N bounce messages (DSNs) at the sink"
is "$(grep -h '^Final-Recipient: rfc822; n[0-9]*@msn\.test' "$E2E_SINK"/* | sort -u | wc -l)" $N \
	"... one for each recipient (Action: failed)"
is "$(e2e_log_count mta sent '@msn\.test')" 0 "none delivered"
is "$(e2e_sink_count '@msn\.test')" 0 "the sink got nothing for msn.test"
ok "$(for q in $ids; do e2e_queue_ids mta | grep -qx "$q" && exit 1; done; echo 0)" "every message is gone from the queue"
j=$(e2e_ctl show n1@msn.test --json)
like "$j" '"verdict": ?"null-mx"' "evidence for n1@msn.test: verdict null-mx"
is "$(e2e_ctl list --json | grep -c '"queue_id"')" 0 "retryctl list: nothing pending"

sleep 1
e2e_once >/dev/null
sleep 1
is "$(bounce_ids | wc -l)" $N "a further pass: still exactly $N bounces"
is "$(e2e_sink_count 'sender@senders\.test')" $N "... and $N DSNs"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

#!/bin/bash
# postfix_lying_resolver.t — issue 11 end to end on a real Postfix: a
# lying DNS path never bounces good mail.
# (1) msn.test has no MX at NSD: Postfix (status filter) defers N
#     messages, retryd adopts them. Then NSD stops and the ONLY
#     independent resolver is a forger answering "msn.test MX 0 ." (an
#     unbound with local-data). Before issue 11 the independents were the
#     reference and this was null-mx: N bounces. Now nobody with the
#     authority to say null MX said it: unverified, 0 bounced, all held.
# (2) The same with a real interceptor (unbound, local-zone "."
#     always_nxdomain) as the MTA's own resolver: Postfix's NXDOMAIN is
#     deferred by the filter, retryd adopts, the canaries show the MTA
#     resolver lying: filtered, 0 bounced, the escalate hook runs once with
#     the proof and the flush hook never runs.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
N=3
e2e_init postfix_lying_resolver ind
dns_unbound_start nx 60 'local-zone: "." always_nxdomain' || { echo "Bail out! interceptor"; exit 1; }
dns_unbound_start forger 62 'local-data: "msn.test. 300 IN MX 0 ."' || { echo "Bail out! forger"; exit 1; }
E2E_RES_IND=$(dns_addr 62) E2E_ROOT_HINTS=$DNS_ROOT_HINTS \
	e2e_policy_write "escalate = /usr/bin/touch $E2E_DIR/escalated-%d" ||
	{ echo "Bail out! policy refused"; exit 1; }
e2e_postfix_start mta 54 yes || { echo "Bail out! Postfix did not start"; exit 1; }
e2e_postfix_start intc 60 yes || { echo "Bail out! Postfix (intercepted) did not start"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }
is "$(dns_ask 62 msn.test MX)" "0 ." "the forger answers a null MX for msn.test"

# (1) the forged null MX at the only independent, NSD down.
dns_zone_set msn.test "www IN A $(dns_addr 25)"
for i in $(seq 1 $N); do e2e_submit mta "f$i@msn.test" "forged-$i"; done
e2e_wait_queue mta deferred $N 20
e2e_wait_log_count mta deferred '@msn\.test' $N
like "$(e2e_once)" "adopted=$N," "retryd adopts the $N deferred messages"
dns_nsd_stop
dns_unbound_reset mta1
for _ in 1 2 3; do sleep 1; e2e_once >/dev/null; done
is "$(e2e_sum given_back)" 0 "NSD down, forged null MX at the only independent: nothing handed back"
is "$(e2e_log_count mta bounced '@msn\.test')" 0 "... 0 bounced by Postfix"
is "$(e2e_queue_count mta held)" $N "... all $N still held"
like "$(grep 'verdict=' "$E2E_DIR/retryd.log" | tail -1)" 'verdict=unverified' "... verdict unverified"
is "$(grep -c 'verdict=null-mx' "$E2E_DIR/retryd.log")" 0 "... never null-mx"
j=$(e2e_ctl diagnose msn.test --json)
is "$(dns_json_get "$j" .verdict)" unverified "diagnose: unverified"
like "$(dns_json_get "$j" .ns_path)" '^trace failed' "diagnose: the trace from the root hints failed (NSD down)"

# (2) a real interceptor as the MTA's resolver.
E2E_PF_NAME=intc E2E_MTA_RESOLVERS=$(dns_addr 60) E2E_RES_IND=$(dns_addr 62) \
	E2E_ROOT_HINTS=$DNS_ROOT_HINTS \
	e2e_policy_write "escalate = /usr/bin/touch $E2E_DIR/escalated-%d" ||
	{ echo "Bail out! policy 2 refused"; exit 1; }
mkdir -p "$E2E_DIR/state2" # a store of its own for this MTA
sed -i "s|^state_dir = .*|state_dir = $E2E_DIR/state2|; s|^socket = .*|socket = $E2E_DIR/retryd2.sock|" "$E2E_POLICY"
flushes=$(grep -c 'flush' "$E2E_DIR/retryd.log")
for i in $(seq 1 $N); do e2e_submit intc "x$i@msn.test" "intercepted-$i"; done
e2e_wait_queue intc deferred $N 20
e2e_wait_log_count intc deferred '@msn\.test' $N
is "$(e2e_log_count intc deferred '@msn\.test')" $N "the intercepted Postfix defers $N (NXDOMAIN, filter)"
for _ in 1 2 3; do e2e_once >/dev/null; sleep 1; done
is "$(e2e_log_count intc bounced '@msn\.test')" 0 "interceptor as the MTA's resolver: 0 bounced"
is "$(e2e_queue_count intc held)" $N "... all $N held by retryd"
like "$(grep 'verdict=' "$E2E_DIR/retryd.log" | tail -1)" 'verdict=filtered' "... verdict filtered"
ok "$([ -e "$E2E_DIR/escalated-msn.test" ]; echo $?)" "... the escalate hook ran (proof)"
is "$(grep -c 'flush' "$E2E_DIR/retryd.log")" "$flushes" "... the flush hook never ran"
j=$(e2e_ctl diagnose msn.test --json)
is "$(dns_json_get "$j" .verdict)" filtered "diagnose: filtered"
like "$j" "\"server\":\"$(dns_addr 60):53\",\"trusted\":false" "diagnose: the MTA's resolver is not trusted"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

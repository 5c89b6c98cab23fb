#!/bin/bash
# postfix_domain_gone.t — the domain really gone, then back (issue #4,
# scenario 2). windowslive.test (group microsoft) is NXDOMAIN at NSD:
# Postfix (status filter) defers N messages, a foreground retryd
# (scan_interval 1s, tier every 1s, verify_window 3s) adopts them and, while
# the domain stays gone, makes NO delivery attempt (no maillog delivery line
# for those ids after adoption; evidence verdict `domain`, several
# verifications). Then the domain is published again: the MTA's resolver
# still caches NXDOMAIN (and so does the independent one), so the next
# fresh verification says local-path or propagation with the MTA node
# failing: the flush hook runs and every message is delivered once, within
# one verify window (plus a pass) of the return.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
N=4
WINDOW=3
E2E_VERIFY_WINDOW=${WINDOW}s
e2e_standard postfix_domain_gone yes
e2e_domain_gone
is "$(dig +time=1 +tries=1 @"$(dns_addr 53)" windowslive.test MX | grep -o 'status: [A-Z]*')" \
	"status: NXDOMAIN" "NSD: windowslive.test is NXDOMAIN"

for i in $(seq 1 $N); do e2e_submit mta "u$i@windowslive.test" "gone-$i"; done
e2e_wait_queue mta deferred $N 20
e2e_wait_log_count mta deferred '@windowslive\.test' $N
is "$(e2e_log_count mta deferred '@windowslive\.test')" $N "$N messages deferred (filter) while the domain is gone"
is "$(e2e_log_count mta bounced '@windowslive\.test')" 0 "... none bounced"
ids=$(e2e_queue_ids mta deferred)

e2e_retryd_start
e2e_wait_queue mta held $N 20
mark=$(wc -l <"$(e2e_pf_log mta)")
is "$(e2e_queue_count mta held)" $N "retryd adopted and holds the $N messages"
e2e_wait_log "verdict=domain, action=wait" 20
# Stay gone for two verify windows and more: several verifications.
sleep $((2 * WINDOW + 1))
attempts=0
for q in $ids; do
	attempts=$((attempts + $(tail -n +"$((mark + 1))" "$(e2e_pf_log mta)" | grep -c ": $q: to=<")))
done
is "$attempts" 0 "no delivery attempt for those ids while the domain is gone"
is "$(e2e_queue_count mta held)" $N "... all still on hold"
is "$(e2e_sum attempted)" 0 "retryd attempted nothing"
ok "$([ "$(e2e_sum verified)" -ge 2 ]; echo $?)" "several fresh verifications while gone ($(e2e_sum verified))"
j=$(e2e_ctl show u1@windowslive.test --json)
like "$j" '"verdict": ?"domain"' "evidence for u1@windowslive.test: verdict domain"
like "$j" 'no attempt' "... recorded as no attempt"

# The domain comes back.
e2e_domain_back
t0=$(date +%s.%N)
is "$(dns_ask 53 windowslive.test MX)" "10 mx1.windowslive.test." "NSD serves windowslive.test again"
# one verify window + one pass (+ slack for a loaded box)
e2e_wait_sink $N $((WINDOW + 1 + 10)) '@windowslive\.test'
t1=$(date +%s.%N)
diag "delivered $(e2e_sink_count '@windowslive\.test') of $N, $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s after the domain came back (verify_window ${WINDOW}s)"
first=$(grep 'action=attempt' "$E2E_DIR/retryd.log" | head -1 | sed -n 's/.*verdict=\([a-z-]*\).*/\1/p')
diag "first attempt after the return: verdict ${first:-none}"
# The independent resolver cached the NXDOMAIN too (retryd asked it during
# the outage): the verdict may be local-path or propagation; either way an
# MTA node that still says "no" while the authoritative servers publish
# the MX gets the flush hook, then the attempt.
is "$(e2e_sink_count '@windowslive\.test')" $N \
	"every message delivered within one verify window (+ a pass) of the return: $N"
e2e_wait_log_count mta sent '@windowslive\.test' $N 5
is "$(e2e_log_count mta sent '@windowslive\.test')" $N "maillog: $N status=sent"
e2e_wait_queue mta all 0 5
is "$(e2e_queue_count mta all)" 0 "the queue is empty"
is "$(grep -c 'flush_resolver hook for windowslive\.test.*done' "$E2E_DIR/retryd.log")" 1 \
	"the flush hook ran once for the stale MTA resolver"
is "$(e2e_sink_dups)" 0 "no Message-ID twice"
is "$(grep -c 'flushed one by one' "$E2E_DIR/retryd.log")" 0 \
	"delivered by one deferred queue scan: no id flushed one by one"
is "$(e2e_log_count mta bounced '@windowslive\.test')" 0 "maillog: none bounced"
is "$(($(e2e_queue_count mta all) + $(e2e_sink_count '@windowslive\.test')))" $N \
	"nothing lost: queued + delivered == $N"
e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "retryd stops cleanly on SIGTERM"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

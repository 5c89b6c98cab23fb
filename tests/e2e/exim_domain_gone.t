#!/bin/bash
# exim_domain_gone.t — the domain really gone, then back, with Exim (issue
# #5, scenario 2). windowslive.test (group microsoft) is NXDOMAIN at NSD:
# Exim with fail_defer_domains defers N messages ("missing MX ... defer
# requested"); a foreground retryd (scan_interval 1s, tier every 1s,
# verify_window 3s, in Exim's resolver namespace) adopts them (frozen) and,
# while the domain stays gone, makes NO delivery attempt: no exim -M
# ("Unfrozen by forced delivery") and no delivery line for those ids in
# the main log, all still frozen, evidence verdict `domain` (no attempt),
# several fresh verifications. Then the domain is published again: the
# MTA's resolver still caches NXDOMAIN, the next fresh verification says
# local-path (or propagation, while the independent resolver's own negative
# cache lasts), the flush hook runs and every message is delivered once,
# within one verify window (+ a pass) of the return.
. "$(dirname "$0")/lib_exim_e2e.sh"
e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
N=4
WINDOW=3
E2E_VERIFY_WINDOW=${WINDOW}s
e2e_exim_standard exim_domain_gone
e2e_domain_gone
is "$(dig +time=1 +tries=1 @"$(dns_addr 53)" windowslive.test MX | grep -o 'status: [A-Z]*')" \
	"status: NXDOMAIN" "NSD: windowslive.test is NXDOMAIN"

for i in $(seq 1 $N); do e2e_exim_submit mta "u$i@windowslive.test" "gone-$i" >/dev/null; done
ids=$(e2e_exim_msgid_ids mta 'gone-[0-9]+')
is "$(e2e_exim_count mta deferred '@windowslive\.test')" $N "$N messages deferred by Exim while the domain is gone"
is "$(e2e_exim_count mta bounced '@windowslive\.test')" 0 "... none bounced"

e2e_exim_retryd_start
e2e_wait_count 20 $N e2e_exim_frozen_count mta
is "$(e2e_exim_frozen mta)" "$ids" "retryd adopted and froze the $N messages"
mark=$(wc -l <"$(e2e_exim_log mta)")
e2e_wait_log "verdict=domain, action=wait" 20
# Stay gone for two verify windows and more: several verifications.
sleep $((2 * WINDOW + 1))
tried=0
for q in $ids; do
	tried=$((tried + $(tail -n +"$((mark + 1))" "$(e2e_exim_log mta)" |
		grep -E -c " $q (Unfrozen|=>|==|\*\*) ")))
done
is "$tried" 0 "no delivery attempt (no -M, no =>/==/** line) for those ids while the domain is gone"
is "$(e2e_exim_frozen mta)" "$ids" "... all still frozen"
is "$(e2e_sum attempted)" 0 "retryd attempted nothing"
ok "$([ "$(e2e_sum verified)" -ge 2 ]; echo $?)" "several fresh verifications while gone ($(e2e_sum verified))"
j=$(e2e_exim_ctl show u1@windowslive.test --json)
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
is "$(e2e_sink_count '@windowslive\.test')" $N \
	"every message delivered within one verify window (+ a pass) of the return: $N"
is "$(e2e_exim_count mta delivered '@windowslive\.test')" $N "mainlog: $N '=>' lines"
e2e_exim_wait_queue mta 0 5
is "$(e2e_exim_queue_count mta)" 0 "the queue is empty"
ok "$([ "$(grep -c 'flush_resolver hook for windowslive\.test.*: done' "$E2E_DIR/retryd.log")" -ge 1 ]; echo $?)" \
	"the flush hook ran for the stale MTA resolver"
is "$(e2e_sink_dups)" 0 "no Message-ID twice"
is "$(e2e_exim_count mta bounced '@windowslive\.test')" 0 "mainlog: none bounced"
e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "retryd stops cleanly on SIGTERM"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

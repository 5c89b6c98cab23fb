#!/bin/bash
# verify_outage.t — NSD stopped: every resolver times out or SERVFAILs
# and the authoritative server is silent -> dns-outage, never domain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
[ -x "$RETRYD_ASAN_BUILD/tests/verify_tool" ] || skip_all "verify_tool not built (make asan)"
lab_init verify_outage
dns_lab_start ind || { echo "Bail out! DNS lab did not start"; exit 1; }

r=$(dns_verify -m "$(dns_addr 54)" -i "$(dns_addr 56)" -a yes -T 500 msn.test)
is "$(dns_json_get "$r" .verdict)" healthy "msn.test healthy while NSD runs"
dns_nsd_stop
dns_unbound_reset mta1
dns_unbound_reset ind
r=$(dns_verify -m "$(dns_addr 54)" -i "$(dns_addr 56)" -a yes -T 500 msn.test)
is "$(dns_json_get "$r" .verdict)" dns-outage "NSD down: dns-outage"
like "$r" '"role":"mta"[^}]*"kind":"(servfail|timeout)"' "the MTA resolver: SERVFAIL or timeout"
like "$r" '"role":"independent"[^}]*"kind":"(servfail|timeout)"' "the independent: SERVFAIL or timeout"
# A resolver nobody listens on is a result, not an error.
r=$(dns_verify -m "$(dns_addr 99)" -a no -T 300 msn.test); rc=$?
is "$rc" 0 "an unreachable resolver is a result (exit 0)"
is "$(dns_json_get "$r" .verdict)" dns-outage "...with verdict dns-outage"
done_testing

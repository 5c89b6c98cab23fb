#!/bin/bash
# verify_lying.t — issue 11: lying and intercepted resolvers never make a
# verdict destructive. The lab root (NSD on .52, root-hints) delegates
# test. to NSD on .53; interceptors are unbound:
#   nx     .60  local-zone: "." always_nxdomain   (every name NXDOMAIN)
#   sink   .61  local-zone: "." redirect + one A   (a sinkhole)
#   forger .62  live.test MX 0 .                   (a forged null MX)
# beside the honest mta1 (.54) and ind (.56). Each combination is
# verified with the authoritative servers up, then down; the trace from
# the root hints is used throughout (-R).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
[ -x "$RETRYD_ASAN_BUILD/tests/verify_tool" ] || skip_all "verify_tool not built (make asan)"
lab_init verify_lying
dns_lab_start mta2 ind || { echo "Bail out! DNS lab did not start"; exit 1; }
dns_unbound_start nx 60 'local-zone: "." always_nxdomain' ||
	{ echo "Bail out! nx interceptor"; exit 1; }
dns_unbound_start sink 61 'local-zone: "." redirect' \
	"local-data: \". 300 IN A 127.$LAB_NET.9.99\"" ||
	{ echo "Bail out! sinkhole"; exit 1; }
dns_unbound_start forger 62 'local-data: "live.test. 300 IN MX 0 ."' ||
	{ echo "Bail out! forger"; exit 1; }

A() { echo "$(dns_addr "$1")"; }
# V MTA IND DOMAIN: verify_tool with the trace; prints the JSON.
V() { dns_verify -m "$(A "$1")" -i "$(A "$2")" -a yes -T 400 -R "$DNS_ROOT_HINTS" "$3"; }
# check LABEL MTA IND DOMAIN WANT: one combination, one test line.
check() {
	local r
	r=$(V "$2" "$3" "$4")
	is "$(dns_json_get "$r" .verdict)" "$5" "$1: $4 -> $5"
	[ "$(dns_json_get "$r" .verdict)" = "$5" ] || diag "  detail: $(dns_json_get "$r" .detail)"
	LAST=$r
}

# The trace alone finds the authoritative servers while every recursive
# resolver lies.
check "trace, MTA nx + independent sink, NSD up" 60 61 hotmail.test filtered
like "$(dns_json_get "$LAST" .ns_path)" '^trace from root hints: authoritative answer from the test servers' \
	"ns_path: found by the trace, not through the resolvers"
like "$LAST" "\"role\":\"authoritative\",\"server\":\"$(A 53):53\"[^}]*\"kind\":\"mx\"" \
	"the authoritative server (found by trace) answers the MX"
like "$LAST" '"trusted":false,"why":"filters: root SOA nxdomain' "diagnose data: the nx resolver filters the root SOA"
check "trace, every resolver lying, NXDOMAIN at the authoritative" 60 61 nosuch.test domain
check "trace, every resolver lying, null MX at the authoritative" 60 61 nullmx.test null-mx

# Authoritative servers up.
check "honest path" 54 56 hotmail.test healthy
check "MTA nx, independent honest" 60 56 hotmail.test filtered
like "$(dns_json_get "$LAST" .detail)" "$(A 60)" "filtered: the detail names the lying MTA node"
check "MTA honest, independent nx" 54 60 hotmail.test healthy
like "$(dns_json_get "$LAST" .detail)" "filtering" "healthy: the filtering independent is named and ignored"
check "MTA sink, independent honest" 61 56 hotmail.test filtered
like "$LAST" '"trusted":false,"why":"filters: root SOA nodata' "the sinkhole has no root SOA"
check "MTA honest, independent sink" 54 61 hotmail.test healthy
check "MTA honest, independent forges null MX" 54 62 live.test propagation
check "MTA forges null MX (its resolver)" 62 56 live.test local-path
check "MTA nx, independent nx" 60 60 hotmail.test filtered
# the same interceptor as MTA node and independent: not independent
like "$(dns_json_get "$LAST" .resolvers[1].same_as)" "$(A 60)" "an independent with the MTA's interceptor is NOT independent"
# stale negative cache at the honest MTA: local-path, unchanged
dns_unbound_reset mta1
dns_zone_set live.test "@ IN TXT \"no mx now\""
dns_ask 54 live.test MX >/dev/null
dns_zone_set live.test
check "stale NODATA at the honest MTA" 54 56 live.test local-path
dns_unbound_reset mta1

# Not independent: the same cache seen twice (odd, identical TTLs).
dns_ask 54 . SOA >/dev/null
dns_ask 54 test SOA >/dev/null
sleep 2
r=$(dns_verify -m "$(A 54)" -m "$(A 55)" -i "$(A 54)" -a yes -T 400 -R "$DNS_ROOT_HINTS" hotmail.test)
like "$(dns_json_get "$r" .resolvers[2].why)" "NOT independent: same answers and TTLs as MTA node $(A 54)" \
	"an 'independent' that is the MTA's own cache is named"
is "$(dns_json_get "$r" .resolvers[1].same_as)" null "a fresh MTA node is not flagged"

# Authoritative servers down: nothing negative is confirmed.
dns_nsd_stop
for n in mta1 ind forger; do dns_unbound_reset "$n"; done
check "NSD down, honest path" 54 56 hotmail.test dns-outage
check "NSD down, MTA nx" 60 56 hotmail.test filtered
check "NSD down, independent nx" 54 60 hotmail.test filtered
check "NSD down, MTA sink" 61 56 hotmail.test filtered
check "NSD down, independent forges null MX" 54 62 live.test unverified
check "NSD down, MTA forges null MX" 62 56 live.test unverified
check "NSD down, MTA and independent nx" 60 60 nosuch.test filtered
like "$(dns_json_get "$LAST" .ns_path)" '^trace failed' "ns_path: the trace failed and says so"
done_testing

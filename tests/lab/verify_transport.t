#!/bin/bash
# verify_transport.t — UDP fails or truncates but TCP answers:
# (1) an unbound with `do-udp: no` as the MTA resolver, tcp = yes;
# (2) a server that sets TC on every UDP MX reply (dns_garbage.pl, mode
#     "tc"), tcp = no: the verifier falls back to TCP by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
[ -x "$RETRYD_ASAN_BUILD/tests/verify_tool" ] || skip_all "verify_tool not built (make asan)"
lab_init verify_transport
DNS_EXTRA_ZONES="bad.test"
dns_zone_write bad.test "* IN MX 10 mx1.bad.test." "mx1 IN A $(dns_addr 25)"
dns_lab_start ind || { echo "Bail out! DNS lab did not start"; exit 1; }
dns_unbound_start tcponly 58 "do-udp: no" || { echo "Bail out! tcp-only unbound"; exit 1; }
dns_garbage_start 57 || { echo "Bail out! garbage server did not start"; exit 1; }

r=$(dns_verify -m "$(dns_addr 58)" -i "$(dns_addr 56)" -a yes -t yes -T 500 msn.test)
is "$(dns_json_get "$r" .verdict)" transport "MTA resolver without UDP: transport"
like "$(dns_json_get "$r" .detail)" "$(dns_addr 58)" "detail names the resolver"
like "$r" "\"server\":\"$(dns_addr 58):53\",\"transport\":\"tcp\"[^}]*\"kind\":\"mx\"" "its TCP answer is usable"

r=$(dns_verify -m "$(dns_addr 54)" -i "$(dns_addr 57)" -a no -t no -T 500 tc.bad.test)
is "$(dns_json_get "$r" .verdict)" transport "TC on UDP, good over TCP: transport"
like "$r" '"transport":"udp"[^}]*"kind":"truncated","mx":\[\],"ttl":0,"neg_ttl":null,"truncated":true' \
	"the UDP answer is marked truncated"
like "$r" "\"server\":\"$(dns_addr 57):53\",\"transport\":\"tcp\"" "a TCP query followed the TC bit (tcp = no)"
done_testing

#!/bin/bash
# verify_local_path.t — the incident: a real stale negative cache at the
# MTA's unbound (MX removed, asked, restored) gives local-path naming the
# node; in a pool of two MTA nodes only the stale one is named;
# `unbound-control flush_negative` heals it -> healthy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
[ -x "$RETRYD_ASAN_BUILD/tests/verify_tool" ] || skip_all "verify_tool not built (make asan)"
lab_init verify_local_path
dns_lab_start mta2 ind || { echo "Bail out! DNS lab did not start"; exit 1; }
m1=$(dns_addr 54)
m2=$(dns_addr 55)

# Poison mta1 only: remove the MX, ask mta1, put the MX back.
dns_zone_set live.test "www IN A $(dns_addr 25)"
dns_ask 54 live.test MX >/dev/null
dns_zone_set live.test
is "$(dns_ask 53 live.test MX)" "10 mx1.live.test." "NSD serves the MX again"
is "$(dns_ask 54 live.test MX)" "" "mta1 still answers from its stale negative cache"

r=$(dns_verify -m "$m1" -i "$(dns_addr 56)" -a yes -T 500 live.test)
is "$(dns_json_get "$r" .verdict)" local-path "stale NODATA at the MTA resolver: local-path"
like "$(dns_json_get "$r" .detail)" "mta $m1:53 nodata" "detail names the MTA node"
like "$r" "\"server\":\"$m1:53\"[^}]*\"kind\":\"nodata\"[^}]*\"neg_ttl\":(300|29[0-9])" \
	"the MTA answer shows NODATA with its negative TTL"

r=$(dns_verify -m "$m1" -m "$m2" -i "$(dns_addr 56)" -a yes -T 500 live.test)
is "$(dns_json_get "$r" .verdict)" local-path "pool of two, one stale: local-path"
like "$(dns_json_get "$r" .detail)" "$m1:53" "detail names the stale node"
ok "$(grep -q "$m2" <<<"$(dns_json_get "$r" .detail)"; [ $? = 1 ]; echo $?)" "detail does not name the healthy node"

# Without independents nor authoritative: the pool alone still shows it.
r=$(dns_verify -m "$m1" -m "$m2" -a no -T 500 live.test)
is "$(dns_json_get "$r" .verdict)" local-path "MTA pool only: the stale node is still local-path"

dns_unbound_ctl mta1 flush_negative >/dev/null
r=$(dns_verify -m "$m1" -m "$m2" -i "$(dns_addr 56)" -a yes -T 500 live.test)
is "$(dns_json_get "$r" .verdict)" healthy "after flush_negative: healthy"
done_testing

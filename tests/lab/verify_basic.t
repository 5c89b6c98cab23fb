#!/bin/bash
# verify_basic.t — the verifier against real NSD + unbound: healthy
# domains (MX, MX in another zone), null MX, NXDOMAIN at the
# authoritative server (domain), and freshness: a zone changed at NSD is
# seen by the very next verification (no cache of ours).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
[ -x "$RETRYD_ASAN_BUILD/tests/verify_tool" ] || skip_all "verify_tool not built (make asan)"
lab_init verify_basic
dns_lab_start ind || { echo "Bail out! DNS lab did not start"; exit 1; }

V() { dns_verify -m "$(dns_addr 54)" -i "$(dns_addr 56)" -a yes -t yes -T 500 "$@"; }

out=$(V hotmail.test outlook.test live.test msn.test hosted.test)
n=0
while read -r line; do
	n=$((n + 1))
	d=$(dns_json_get "$line" .domain)
	is "$(dns_json_get "$line" .verdict)" healthy "$d is healthy"
done <<<"$out"
is "$n" 5 "one result per domain"
first=$(head -1 <<<"$out")
is "$(dns_json_get "$first" .best_mx)" mx1.hotmail.test "best MX of hotmail.test"
like "$(dns_json_get "$first" .answers)" '"role":"authoritative".*"server":"127\.[0-9]+\.0\.53:53"' \
	"NSD asked directly as the authoritative server"
like "$(dns_json_get "$first" .answers)" '"transport":"tcp"' "tcp = yes asks over TCP too"
like "$(dns_json_get "$first" .checked_at)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "checked_at is ISO 8601"
hosted=$(sed -n 5p <<<"$out")
is "$(dns_json_get "$hosted" .best_mx)" x.mail.protection.outlook.test "hosted.test MX in another zone"

r=$(V nullmx.test)
is "$(dns_json_get "$r" .verdict)" null-mx "nullmx.test: null-mx"

r=$(V nosuch.test)
is "$(dns_json_get "$r" .verdict)" domain "nosuch.test: domain (NXDOMAIN)"
like "$r" '"role":"authoritative"[^}]*"kind":"nxdomain"[^}]*"neg_ttl":300' \
	"the authoritative NXDOMAIN carries the SOA negative TTL"

# Freshness: move hotmail.test's MX to mx2 at NSD; the next check sees it.
dns_zone_set hotmail.test "@ IN MX 20 mx2" "mx2 IN A $(dns_addr 25)"
r=$(V hotmail.test)
like "$r" '"role":"authoritative"[^]]*"host":"mx2\.hotmail\.test"' \
	"the very next verification sees the new MX at the authoritative server"
# Remove every MX and address: the authoritative server says NODATA at once.
dns_zone_set hotmail.test "www IN A $(dns_addr 25)"
r=$(V hotmail.test)
like "$r" '"role":"authoritative","server":"[^"]*","transport":"udp"[^}]*"kind":"nodata"' \
	"...and the removal too (authoritative NODATA)"
ok "$([ "$(dns_json_get "$r" .verdict)" != healthy ]; echo $?)" "not healthy after the MX removal"
done_testing

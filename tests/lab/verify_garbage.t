#!/bin/bash
# verify_garbage.t — garbage, short, truncated-rdata, compression-loop,
# wrong-owner, wrong-question, count-mismatch ("oversized"), NXDOMAIN for
# another name, SERVFAIL and silent answers from dns_garbage.pl: each is a
# transient answer (malformed/timeout/servfail), nothing crashes (ASan),
# and the verdict is never `domain`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
[ -x "$RETRYD_ASAN_BUILD/tests/verify_tool" ] || skip_all "verify_tool not built (make asan)"
lab_init verify_garbage
DNS_EXTRA_ZONES="bad.test"
dns_zone_write bad.test "* IN MX 10 mx1.bad.test." "mx1 IN A $(dns_addr 25)"
dns_lab_start || { echo "Bail out! DNS lab did not start"; exit 1; }
dns_garbage_start 57 || { echo "Bail out! garbage server did not start"; exit 1; }
g=$(dns_addr 57)

modes="garbage short trunc loop owner question oversized nxother servfail silent"
names=""
for m in $modes; do names="$names $m.bad.test"; done
# shellcheck disable=SC2086
alone=$(dns_verify -m "$g" -a no -T 300 $names); rc1=$?
# shellcheck disable=SC2086
beside=$(dns_verify -m "$(dns_addr 54)" -i "$g" -a no -T 300 $names); rc2=$?
is "$rc1" 0 "verify_tool survives every bad answer (garbage server alone)"
is "$rc2" 0 "verify_tool survives every bad answer (garbage server as independent)"
i=0
for m in $modes; do
	i=$((i + 1))
	a=$(sed -n "${i}p" <<<"$alone")
	b=$(sed -n "${i}p" <<<"$beside")
	kind=$(dns_json_get "$a" .answers[0].kind)
	like "$kind" '^(malformed|timeout|servfail)$' "$m: the answer is transient ($kind)"
	is "$(dns_json_get "$a" .verdict)" dns-outage "$m: the only resolver misbehaves: dns-outage"
	is "$(dns_json_get "$b" .verdict)" healthy "$m: beside a good MTA resolver: healthy, never domain"
done
like "$(sed -n 2p <<<"$alone")" '"domain":"short.bad.test"' "results keep the order asked"
done_testing

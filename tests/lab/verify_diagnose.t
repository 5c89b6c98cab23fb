#!/bin/bash
# verify_diagnose.t — `retryctl -c POLICY diagnose` (ASan build) against
# the lab: the group pattern when only the local resolver fails for every
# domain of the group (real stale negative caches at unbound), --json
# fields, healing by flush_negative, exit 0 whatever the verdict, exit 2 on
# bad usage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
CTL="$RETRYD_ASAN_BUILD/retryctl"
[ -x "$CTL" ] || skip_all "retryctl not built (make asan)"
lab_init verify_diagnose
dns_lab_start ind || { echo "Bail out! DNS lab did not start"; exit 1; }
mkdir -p "$LAB_DIR/state"
cat >"$LAB_DIR/retryd.ini" <<INI
[retryd]
state_dir = $LAB_DIR/state
[resolvers]
mta = $(dns_addr 54)
independent = $(dns_addr 56)
authoritative = yes
tcp = no
timeout = 1s
[group microsoft]
domains = hotmail.test, live.test, msn.test, outlook.*
INI
D() { "$CTL" -c "$LAB_DIR/retryd.ini" diagnose "$@"; }

# Poison the MTA resolver for every exact domain of the group.
for z in hotmail.test live.test msn.test; do
	dns_zone_set "$z" "www IN A $(dns_addr 25)"
	dns_ask 54 "$z" MX >/dev/null
	dns_zone_set "$z"
done

j=$(D --group microsoft --json); rc=$?
is "$rc" 0 "diagnose --group exits 0 whatever the verdicts"
is "$(dns_json_get "$j" .pattern)" "only the local resolver fails for every domain of group microsoft" \
	"group pattern: the fault is local"
is "$(dns_json_get "$j" .skipped)" '["outlook.*"]' "patterns are skipped with a note"
is "$(dns_json_get "$j" .domains[1].verdict)" local-path "live.test: local-path"
like "$(dns_json_get "$j" .domains[1].answers)" '"kind":"nodata"[^}]*"role":"mta"' "its MTA answer: NODATA"

t=$(D live.test); rc=$?
is "$rc" 0 "diagnose DOMAIN exits 0 on local-path"
like "$t" 'verdict: local-path' "table shows the verdict"
like "$t" 'next: +flush the local resolver cache' "...and the next action"
like "$t" "$(dns_addr 54):53 +mta +udp +NOERROR +nodata" "table row for the MTA resolver"

dns_unbound_ctl mta1 flush_negative >/dev/null
j=$(D live.test --json)
is "$(dns_json_get "$j" .verdict)" healthy "after flush_negative: healthy"
like "$(dns_json_get "$j" .checked_at)" '^[0-9-]{10}T[0-9:]{8}Z$' "checked_at ISO 8601"
is "$(dns_json_get "$j" .domain)" live.test "domain field"

j=$(D nosuch.test --json); rc=$?
is "$rc" 0 "exit 0 on verdict domain"
is "$(dns_json_get "$j" .verdict)" domain "nosuch.test: domain"

j=$(D nullmx.test --json)
is "$(dns_json_get "$j" .verdict)" null-mx "nullmx.test: null-mx"

D >/dev/null 2>&1
is "$?" 2 "no argument: exit 2"
D 'not a domain!' >/dev/null 2>&1
is "$?" 2 "bad domain: exit 2"
D --group nosuchgroup >/dev/null 2>&1
is "$?" 2 "unknown group: exit 2"
done_testing

#!/bin/bash
# report.t — retryctl report: the escalation proof of a local-path
# incident, with real answers.
#
# The DNS lab (NSD, the MTA's unbound "mta1", an independent unbound)
# reproduces the incident: mta1 caches "no MX" for hotmail.test while NSD
# serves it again. verify_tool asks them with getdns, and its JSON is
# stored as the daemon stores it (tests/tools/verification_seed: now,
# 1 h and 2 h ago); store_seed adds the domain record (failing for 2h05m),
# held messages, evidence from two sending hosts and records outside the
# scope or the window. The report (json, text, html) must show exactly:
# the window, the verdict history, mta1 failing 3 of 3 with NODATA and
# its negative TTL while the independent resolver and the authoritative
# server give the MX, the affected messages and recipients, the counts by
# sending host, duration class 1h-4h and "check-local-path" naming mta1.
# Also: --group, --since, HTML escaping, an absent state_dir, bad usage.
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/../lab/dns.sh"
CTL=$RETRYD_ASAN_BUILD/retryctl
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
VSEED=$RETRYD_ASAN_BUILD/tests/verification_seed
for t in "$CTL" "$SEED" "$VSEED" "$RETRYD_ASAN_BUILD/tests/verify_tool"; do
	[ -x "$t" ] || skip_all "$t not built (make asan)"
done
command -v jq >/dev/null || skip_all "jq missing"
lab_init report

P=$LAB_DIR/retryd.ini
S=$LAB_DIR/state
cat >"$P" <<EOF
[retryd]
mta = postfix
state_dir = $S
host_id = mx-out-1

[resolvers]
mta = $(dns_addr 54)
independent = $(dns_addr 56)

[group microsoft]
domains = hotmail.test, outlook.test, live.test
EOF
C() { "$CTL" -c "$P" "$@"; }

# ---- no state_dir yet: an empty report, nothing created ----
out=$(C report --format json); rc=$?
is "$rc" 0 "report without a state_dir: exit 0"
is "$(jq -r '.messages.total, .verifications_total, .action.code' <<<"$out" | tr '\n' ' ')" \
	"0 0 retry-and-watch " "empty report: nothing affected, nothing verified"
ok "$([ ! -e "$S" ]; echo $?)" "report does not create the state_dir"

# ---- the incident, for real ----
dns_lab_start ind || { echo "Bail out! DNS lab did not start"; exit 1; }
M1=$(dns_addr 54):53
dns_zone_set hotmail.test "www IN A $(dns_addr 25)"
dns_ask 54 hotmail.test MX >/dev/null
dns_zone_set hotmail.test
is "$(dns_ask 54 hotmail.test MX)" "" "mta1 answers from its stale negative cache"
v=$(dns_verify -m "$(dns_addr 54)" -i "$(dns_addr 56)" -a yes -T 500 hotmail.test)
is "$(jq -r .verdict <<<"$v")" local-path "verify_tool: local-path"
printf '%s\n' "$v" | "$VSEED" -b 0 -b 3600 -b 7200 "$S"
is "$?" 0 "three verifications stored (now, 1 h and 2 h ago)"
dns_verify -m "$(dns_addr 54)" -i "$(dns_addr 56)" -a yes -T 500 live.test |
	"$VSEED" "$S"
# A healthy check 30 h ago: outside the default 24 h window.
printf '%s\n' "$v" | sed 's/"verdict":"local-path"/"verdict":"healthy"/' |
	"$VSEED" -b 108000 "$S" 2>/dev/null
"$SEED" "$S" <<'EOF'
domain domain=hotmail.test verdict=local-path first_failing=now-2h5m last_healthy=now-3h last_verified=now last_mx=mx1.hotmail.test
domain domain=live.test verdict=healthy last_healthy=now last_verified=now
message id=AB12C3 group=microsoft first_failure=now-2h5m adopted_at=now-2h attempts=2 verdict=local-path reason="no mail hosts" rcpt=alice@hotmail.test rcpt=bob@hotmail.test
message id=DE45F6 group=microsoft first_failure=now-1h adopted_at=now-1h attempts=1 verdict=local-path rcpt=carol%3Cx%3E@hotmail.test
message id=FF0001 first_failure=now-1h adopted_at=now-1h rcpt=dave@example.org
message id=0LD001 group=microsoft state=done first_failure=now-50h adopted_at=now-50h last_attempt=now-40h rcpt=erin@hotmail.test
evidence address=alice@hotmail.test time=now-2h id=AB12C3 host=mx-out-1 verdict=local-path outcome=deferred dsn=4.4.4
evidence address=alice@hotmail.test time=now-1h id=AB12C3 host=mx-out-2 verdict=local-path outcome=deferred dsn=4.4.4
evidence address=bob@hotmail.test time=now-1h id=AB12C3 host=mx-out-1 verdict=local-path outcome=none
evidence address=alice@hotmail.test time=now-30h id=AB12C3 host=mx-out-9 outcome=deferred
evidence address=dave@example.org time=now-1h id=FF0001 host=mx-out-7 outcome=bounced
EOF
is "$?" 0 "domain, messages and evidence seeded"

# ---- JSON, field by field ----
j=$(C report --domain hotmail.test --format json); rc=$?
is "$rc" 0 "report --domain --format json: exit 0"
J() { jq -r "$1" <<<"$j"; }
is "$(J '.scope.kind + " " + .scope.name + " " + .host_id')" "domain hotmail.test mx-out-1" "scope and host"
is "$(( $(J .window.until_unix) - $(J .window.since_unix) ))" 86400 "default window: 24 h"
is "$(J '.domains | length')" 1 "one domain in scope"
is "$(J '.domains[0].verdict + " " + .domains[0].duration_class + " " + .domains[0].last_mx')" \
	"local-path 1h-4h mx1.hotmail.test" "domain: verdict, duration class, last MX"
ff=$(J .duration.failing_for)
ok "$([ "$ff" -ge 7500 ] && [ "$ff" -lt 7560 ]; echo $?)" "failing for 2h05m (from first_failing; got ${ff}s)"
is "$(J .duration.class)" "1h-4h" "duration class 1h-4h"
is "$(J '[.verdicts[] | .verdict + " x" + (.count|tostring)] | join(",")')" "local-path x3" \
	"verdicts over time: local-path x3 (the healthy one 30 h ago is outside)"
is "$(( $(date -d "$(J '.verdicts[0].last_seen')" +%s) - $(date -d "$(J '.verdicts[0].first_seen')" +%s) ))" \
	7200 "first and last seen 2 h apart"
is "$(J .verifications_total) $(J .verifications_shown) $(J .verifications_unreadable)" "3 3 0" \
	"every verification in the window, all readable"
is "$(J '[.verifications[0].answers[] | select(.role=="mta")][0] | .server + " " + .transport + " " + .rcode_name + " " + .kind')" \
	"$M1 udp NOERROR nodata" "mta1's answer: NOERROR NODATA over UDP"
like "$(J '[.verifications[0].answers[] | select(.role=="mta")][0].neg_ttl')" '^(300|29[0-9]|2[0-8][0-9])$' \
	"mta1's answer carries the negative TTL"
is "$(J '[.verifications[0].answers[] | select(.role=="independent")][0] | .kind + " " + (.mx[0].preference|tostring) + " " + .mx[0].host')" \
	"mx 10 mx1.hotmail.test" "the independent resolver gives the MX"
is "$(J '[.verifications[0].answers[] | select(.role=="authoritative")][0] | .kind + " " + .mx[0].host + " " + (.ttl|tostring)')" \
	"mx mx1.hotmail.test 300" "the authoritative server gives the MX, TTL 300"
is "$(J '[.resolver_nodes[] | select(.server=="'"$M1"'")][0] | "\(.answers) \(.failed) \(.failures.nodata)"')" \
	"3 3 3" "resolver nodes: mta1 failed 3 of 3, all NODATA"
is "$(J '[.resolver_nodes[] | select(.role!="mta") | .failed] | add')" 0 "no other resolver failed"
is "$(J '.failing_mta_nodes | join(",")')" "$M1" "failing MTA nodes: mta1 only"
is "$(J '.messages.total, .messages.recipients_total, .messages.sample_size' | tr '\n' ' ')" "2 3 3 " \
	"2 affected messages, 3 recipients (not example.org's, not the one done 40 h ago)"
is "$(J '[.messages.sample[] | .queue_id + ":" + .recipient] | join(" ")')" \
	"AB12C3:alice@hotmail.test AB12C3:bob@hotmail.test DE45F6:carol<x>@hotmail.test" "sample: queue ids and recipients"
is "$(J '[.sending_hosts[] | "\(.host_id)=\(.attempts)/\(.deferred)/\(.no_attempt)"] | join(" ")')" \
	"mx-out-1=1/1/1 mx-out-2=1/1/0" "counts by sending host, in the window only"
is "$(J .action.code)" check-local-path "next action: check the local path"
like "$(J .action.text)" "failing MTA resolver nodes: $M1 \(3 of 3 answers failed\)" "the action names mta1"

# ---- text ----
t=$(C report --domain hotmail.test)
like "$t" "duration:   1h-4h \(failing since [0-9T:-]+Z, for 2h05m\)" "text: duration line"
like "$t" "action:     check-local-path: failing for 1-4 h" "text: action line"
like "$t" "    mta $M1/udp NOERROR nodata ttl=0 neg_ttl=[0-9]+" "text: mta1's answer"
like "$t" "  mta $M1 failed 3 of 3 nodata=3" "text: resolver node line"
like "$t" "affected: 2 messages, 3 recipients \(sample of 3\)" "text: affected line"

# ---- html: one page, everything escaped ----
h=$(C report --domain hotmail.test --format html)
like "$h" '^<!DOCTYPE html>' "html: a page"
like "$h" 'carol&lt;x&gt;@hotmail.test' "html: a recipient with < > is escaped"
ok "$(grep -q 'carol<x>' <<<"$h"; [ $? = 1 ]; echo $?)" "html: no raw markup from data"
ok "$(grep -Eiq '<(script|link|img)|src=|href=' <<<"$h"; [ $? = 1 ]; echo $?)" "html: self-contained"

# ---- group, since, all ----
g=$(C report --group microsoft --format json)
is "$(jq -r '[.domains[].domain] | sort | join(",")' <<<"$g")" "hotmail.test,live.test" "group: its domains"
is "$(jq -r .verifications_total <<<"$g")" 4 "group: verifications of both domains"
s=$(C report --domain hotmail.test --since 90m --format json)
is "$(jq -r .verifications_total <<<"$s")" 2 "--since 90m: only the last two verifications"
is "$(jq -r '[.sending_hosts[] | "\(.host_id)=\(.attempts)/\(.no_attempt)"] | sort | join(" ")' <<<"$s")" \
	"mx-out-1=0/1 mx-out-2=1/0" "--since 90m: only the evidence of the last 90 min"
a=$(C report --since 2d --format json)
is "$(jq -r .scope.kind <<<"$a")" all "no --domain/--group: every domain"
is "$(jq -r .messages.total <<<"$a")" 4 "--since 2d, all: every affected message, the done one too"

# ---- bad usage ----
C report --since 5x 2>/dev/null; is "$?" 2 "bad duration: exit 2"
C report --group nosuch 2>/dev/null; is "$?" 2 "unknown group: exit 2"
C report --domain a --group microsoft 2>/dev/null; is "$?" 2 "--domain and --group: exit 2"
C report --format pdf 2>/dev/null; is "$?" 2 "unknown format: exit 2"
C report --domain $'a\tb' 2>/dev/null; is "$?" 2 "control character in a domain: exit 2"

done_testing

#!/bin/bash
# postfix_sentinel.t — the sentinel catches a stale negative cache before
# mail defers (issue #16), on a real Postfix, NSD and two unbound nodes.
#
# The MTA's resolver pool is two unbound nodes (mta1 .54, mta2 .55);
# Postfix itself resolves through mta1. group microsoft (hotmail.test,
# live.test, msn.test, windowslive.test) is watched; outlook.test is in an
# unwatched group.
#  (a) A stale negative cache for hotmail.test is injected at mta1 only,
#      while no mail is queued. retryd runs as a daemon with the sentinel
#      every 1s: it sees local-path at mta1, runs the flush hook for mta1
#      only (never mta2), re-checks, and records an event naming the node,
#      its answer and the negative TTL it still had. Mail for hotmail.test
#      submitted after that is delivered on its first try: 0 deferred,
#      0 bounced.
#  (b) The same fault for outlook.test (unwatched): the sentinel never
#      touches it (no event, no row, mta1 keeps the stale answer until the
#      normal path acts); the mail defers, and retryd's normal path
#      (adopt, verify, flush, deliver) rescues it as before.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
N=4
e2e_init postfix_sentinel ind mta2
MTA1=$(dns_addr 54):53
MTA2=$(dns_addr 55):53
E2E_MTA_RESOLVERS="$(dns_addr 54), $(dns_addr 55)"
E2E_GROUP_DOMAINS="hotmail.test, live.test, msn.test, windowslive.test"
E2E_GROUP_LINES="watch = yes"
e2e_policy_write "[group other]" "domains = outlook.test" \
	"[sentinel]" "enabled = yes" "interval = 1s" ||
	{ echo "Bail out! policy refused"; exit 1; }
install -d -m 0755 "$E2E_DIR/metrics"
id retryd >/dev/null 2>&1 && chown retryd:retryd "$E2E_DIR/metrics"
METRICS=$E2E_DIR/metrics/retryd.prom
sed -i "s|^scan_interval = 1s\$|scan_interval = 1s\nmetrics_file = $METRICS|" "$E2E_POLICY"
e2e_postfix_start mta 54 yes || { echo "Bail out! Postfix did not start"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }

t=$("$E2E_RETRYD" -c "$E2E_POLICY" -t)
like "$t" "\[sentinel\]" "retryd -t prints the [sentinel] section"
like "$t" "watch = yes" "... and the watched group"

# (a) the incident, at one node of the pool, with nothing queued.
for _ in 1 2 3; do
	dns_unbound_ctl mta1 flush_zone hotmail.test >/dev/null
	e2e_poison hotmail.test 54
	[ -z "$(dns_ask 54 hotmail.test MX)" ] && break
done
is "$(dns_ask 54 hotmail.test MX)" "" "mta1 answers hotmail.test from a stale negative cache"
is "$(dns_ask 55 hotmail.test MX)" "10 mx1.hotmail.test." "mta2 has the MX"
is "$(e2e_queue_count mta all)" 0 "no mail is queued"

e2e_retryd_start
wait_for 20 grep -q "sentinel: hotmail.test: node $MTA1 fixed" "$E2E_DIR/retryd.log"
ok $? "the sentinel flushed mta1 for hotmail.test and the re-check says fixed"
is "$(dns_ask 54 hotmail.test MX)" "10 mx1.hotmail.test." "mta1 has the MX again"
is "$(grep -c "flush_resolver hook for hotmail.test ($MTA1): done" "$E2E_DIR/retryd.log")" 1 \
	"the flush hook ran once, for mta1"
is "$(grep -c "flush_resolver hook for [a-z.]* ($MTA2)" "$E2E_DIR/retryd.log")" 0 \
	"mta2 (not stale) was never flushed"

ev=$(e2e_ctl sentinel --events --json)
like "$ev" "\"kind\": ?\"flush\"" "retryctl sentinel --events: a flush event"
like "$ev" "\"node\": ?\"$MTA1\"" "... naming the node"
like "$ev" "\"answer\": ?\"nodata\"" "... with the node's answer"
like "$ev" "\"neg_ttl_left\": ?[1-9][0-9]*" "... and the negative TTL it still had"
like "$ev" "\"fixed\": ?true" "... fixed by the flush"
is "$(printf '%s' "$ev" | jq -r '.events[].node // empty' | sort -u | tr '\n' ' ')" "$MTA1 " \
	"no event names mta2"

for i in $(seq 1 $N); do e2e_submit mta "user$i@hotmail.test" "sent-$i"; done
e2e_wait_sink $N 20 '@hotmail\.test'
is "$(e2e_sink_count '@hotmail\.test')" $N "(a) all $N hotmail.test messages delivered"
is "$(e2e_log_count mta deferred '@hotmail\.test')" 0 "(a) none deferred: delivered on the first try"
is "$(e2e_log_count mta bounced '@hotmail\.test')" 0 "(a) none bounced"
is "$(e2e_log_count mta sent '@hotmail\.test')" $N "(a) maillog: $N status=sent"

r=$(e2e_ctl report --domain hotmail.test)
like "$r" "sentinel events" "retryctl report: a sentinel section"
like "$r" "hotmail\.test flush verdict=local-path node=$MTA1 answer=nodata negative-ttl-left=[0-9]+s fixed" \
	"... with the flush at mta1, its negative TTL, fixed"
h=$(e2e_ctl report --domain hotmail.test --format html)
like "$h" "id=\"proof-sentinel\"" "retryctl report --format html: a sentinel table in the proof"
like "$h" "<td>hotmail\.test</td><td>flush</td><td>local-path</td><td>$MTA1</td><td>nodata</td><td>[0-9]+</td><td>fixed</td>" \
	"... with the flush event's row"
st=$(e2e_ctl status)
like "$st" "sentinel: +last run [0-9]+s ago, 4 watched domains" "retryctl status: the sentinel's last run"
is "$(e2e_ctl status --json | jq -r '[.sentinel.nodes[] | select(.domain == "hotmail.test") | .node] | sort | join(" ")')" \
	"$MTA1 $MTA2" "retryctl status --json: hotmail.test at both nodes"
wait_for 10 grep -q '^retryd_sentinel_last_run_timestamp_seconds [1-9]' "$METRICS"
ok $? "metrics: retryd_sentinel_last_run_timestamp_seconds"
like "$(cat "$METRICS")" "retryd_sentinel_node_failing\{domain=\"hotmail\.test\",node=\"$MTA1\",verdict=\"healthy\"\} 0" \
	"metrics: hotmail.test at mta1 not failing now"
s=$(e2e_ctl sentinel)
like "$s" "sentinel: last run" "retryctl sentinel: the last run"
like "$s" "hotmail\.test +healthy .*$MTA1 +mx" "... hotmail.test healthy at mta1 now"
like "$s" "hotmail\.test +healthy .*$MTA2 +mx" "... and at mta2"

# (b) the same fault for an unwatched domain.
# (a zone reload under load can land after the poisoning query: retry)
for _ in 1 2 3; do
	dns_unbound_ctl mta1 flush_zone outlook.test >/dev/null
	e2e_poison outlook.test 54
	[ -z "$(dns_ask 54 outlook.test MX)" ] && break
done
is "$(dns_ask 54 outlook.test MX)" "" "mta1 answers outlook.test from a stale negative cache"
sleep 2 # two sentinel runs
is "$(dns_ask 54 outlook.test MX)" "" "the sentinel left outlook.test's stale cache at mta1 alone"
for i in $(seq 1 $N); do e2e_submit mta "user$i@outlook.test" "other-$i"; done
e2e_wait_sink $N 40 '@outlook\.test'
is "$(e2e_sink_count '@outlook\.test')" $N "(b) the normal path delivered all $N outlook.test messages"
ok "$([ "$(e2e_log_count mta deferred '@outlook\.test')" -ge 1 ]; echo $?)" \
	"(b) ... after Postfix deferred them (the sentinel did not act)"
is "$(e2e_log_count mta bounced '@outlook\.test')" 0 "(b) none bounced"
is "$(e2e_ctl sentinel --events --json | jq -r '.events[].domain' | grep -c outlook)" 0 "(b) no sentinel event for outlook.test"
is "$(e2e_ctl sentinel | grep -c 'outlook')" 0 "(b) no sentinel row for outlook.test"
is "$(e2e_sink_dups)" 0 "no message delivered twice"
e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "retryd stopped cleanly"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

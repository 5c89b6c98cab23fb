#!/bin/bash
# postfix_observe.t — taking over a stale-cache incident in observe mode,
# then act mode by a reload (issue 14). The daemon runs (-f, ASan build)
# with [retryd] mode = observe and a metrics_file:
#  - it adopts, verifies and records evidence exactly as in act mode and
#    logs "observe: would hold / would attempt / would run the
#    flush_resolver hook", but nothing is held in Postfix, nothing
#    delivered, the MTA's resolver not flushed;
#  - the metrics file parses with prometheus_client's parser and counts
#    the held messages by group and verdict; retryctl status says OK,
#    running, mode observe; retryctl report names the messages and opens
#    with the observe-mode banner (text and HTML; none once in act mode);
#  - mode = act and SIGHUP: the same daemon holds them for real, flushes
#    the resolver and every message reaches the sink, none bounced;
#  - idle afterwards: passes go on, summary lines do not (quiet when idle);
#  - stopped: retryctl status exits 2 (CRITICAL, not running).
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" -c "import prometheus_client" 2>/dev/null || skip_all "python3-prometheus-client missing (tests/deps.sh)"
N=4
e2e_init postfix_observe ind
e2e_policy_write || { echo "Bail out! policy refused"; exit 1; }
# the daemon drops to [retryd] user (privilege separation): the metrics
# directory must be writable by that user, as node_exporter's textfile
# directory must be on a host
install -d -m 0755 "$E2E_DIR/metrics"
id retryd >/dev/null 2>&1 && chown retryd:retryd "$E2E_DIR/metrics"
METRICS=$E2E_DIR/metrics/retryd.prom
sed -i "s|^scan_interval = 1s\$|scan_interval = 1s\nmode = observe\nmetrics_file = $METRICS|" "$E2E_POLICY"
"$E2E_RETRYD" -c "$E2E_POLICY" -t | grep -q '^mode = observe' || { echo "Bail out! mode not observe"; exit 1; }
e2e_postfix_start mta 54 yes || { echo "Bail out! Postfix did not start"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }

e2e_poison hotmail.test 54
is "$(dns_ask 54 hotmail.test MX)" "" "the MTA's resolver answers from its stale negative cache"
for i in $(seq 1 $N); do e2e_submit mta "user$i@hotmail.test" "obs-$i"; done
e2e_wait_queue mta deferred $N 20
is "$(e2e_queue_count mta deferred)" $N "$N messages deferred by the filter"

# observe
e2e_retryd_start
log=$E2E_DIR/retryd.log
wait_for 30 sh -c "[ \$(grep -c 'observe: would hold ' '$log') -ge $N ]"
wait_for 30 sh -c "[ \$(grep -c 'observe: would attempt ' '$log') -ge $N ]"
like "$(grep -m1 'started:' "$log")" "mode=observe" "started in observe mode"
is "$(grep 'observe: would hold ' "$log" | awk '{print $NF}' | sort -u | wc -l)" $N "observe: would hold each of the $N messages"
ok "$([ "$(grep -c 'observe: would attempt ' "$log")" -ge $N ]; echo $?)" "observe: would attempt each"
ok "$(grep -q 'observe: would run the flush_resolver hook for hotmail.test' "$log"; echo $?)" \
	"observe: would run the flush_resolver hook for hotmail.test"
is "$(e2e_queue_count mta held)" 0 "nothing held in Postfix"
is "$(e2e_queue_count mta deferred)" $N "the $N messages still deferred, Postfix's own"
is "$(e2e_sink_count '@hotmail\.test')" 0 "nothing delivered"
is "$(e2e_log_count mta bounced '@hotmail\.test')" 0 "nothing bounced"
is "$(dns_ask 54 hotmail.test MX)" "" "the MTA's resolver was not flushed"
j=$(e2e_ctl show user1@hotmail.test --json)
like "$j" '"last_verdict": ?"local-path"' "verified as in act mode: last verdict local-path"
is "$(e2e_ctl list --group microsoft --json | grep -o '"queue_id"' | wc -l)" $N "retryctl list: $N records"
r=$(e2e_ctl report --since 1h 2>&1)
like "$r" "hotmail\.test" "retryctl report names the incident's domain"
like "$r" "^OBSERVE MODE: retryd only recorded what it would do" "retryctl report: observe-mode banner"
is "$(e2e_ctl report --since 1h --format html | grep -c 'class="observe"')" 1 "retryctl report --format html: observe-mode banner"

# metrics, parsed by a real parser of the format
wait_for 10 test -s "$METRICS"
m=$("$PY" - "$METRICS" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
v = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        key = s.name + "".join("{%s=%s}" % kv for kv in sorted(s.labels.items()))
        v[key] = s.value
held = sum(val for k, val in v.items() if k.startswith("retryd_held_messages{"))
print("held=%d" % held)
print("ms=%d" % v.get("retryd_held_messages{group=microsoft}{verdict=local-path}", -1))
print("observe=%d" % v["retryd_observe_mode"])
print("verdicts=%d" % v.get("retryd_verdicts_total{verdict=local-path}", 0))
print("queries=%d" % v.get("retryd_dns_queries_total{role=mta}", 0))
print("oldest=%d" % v["retryd_oldest_held_seconds"])
for name in ("retryd_pass_duration_seconds", "retryd_suppressed_addresses", "retryd_hook_failures_total"):
    print("%s=%s" % (name, "yes" if name in v else "no"))
PY
)
ok $? "metrics file parses (prometheus_client)"
like "$m" "held=$N" "metrics: retryd_held_messages sums to $N"
like "$m" "ms=$N" "metrics: ... {group=microsoft,verdict=local-path} $N"
like "$m" "observe=1" "metrics: retryd_observe_mode 1"
ok "$(printf '%s' "$m" | grep -Eq 'verdicts=[1-9]'; echo $?)" "metrics: retryd_verdicts_total{verdict=local-path} > 0"
ok "$(printf '%s' "$m" | grep -Eq 'queries=[1-9]'; echo $?)" "metrics: retryd_dns_queries_total{role=mta} > 0"
like "$m" "retryd_pass_duration_seconds=yes" "metrics: retryd_pass_duration_seconds"
like "$m" "retryd_hook_failures_total=yes" "metrics: retryd_hook_failures_total"
is "$(stat -c %a "$METRICS")" 644 "metrics file mode 644"
[ ! -e "$METRICS.tmp" ]; ok $? "no temporary metrics file left"

st=$(e2e_ctl status); rc=$?
is "$rc" 0 "retryctl status: exit 0 (OK) while running"
like "$st" "^RETRYD OK - running" "status: Nagios line"
like "$st" "running, pid $E2E_RETRYD_PID, mode observe" "status: pid and mode"
js=$(e2e_ctl status --json)
is "$(printf '%s' "$js" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["held"], d["running"], d["mode"], sum(d["by_state"].values()))')" \
	"$N True observe $N" "status --json: held, running, mode, by_state"

# act, by a reload
sed -i 's/^mode = observe$/mode = act/' "$E2E_POLICY"
kill -HUP "$E2E_RETRYD_PID"
e2e_wait_log 'mode: act \(was observe\)' 20
ok $? "reload: mode act (was observe)"
e2e_wait_sink $N 40 '@hotmail\.test'
is "$(e2e_sink_count '@hotmail\.test')" $N "act: every message delivered to the sink: $N"
is "$(e2e_sink_dups)" 0 "act: no Message-ID delivered twice"
is "$(e2e_log_count mta bounced '@hotmail\.test')" 0 "act: none bounced"
wait_for 20 sh -c "[ \$(postqueue -c '$(e2e_pf_conf mta)' -j | wc -l) = 0 ]"
is "$(e2e_queue_count mta all)" 0 "act: the queue is empty"
ok "$(grep -q 'flush_resolver hook for hotmail.test' "$log"; echo $?)" "act: the flush hook ran"
e2e_ctl report --since 1h | grep -q '^OBSERVE MODE'
ok "$([ $? != 0 ]; echo $?)" "act: no observe-mode banner in the report"
is "$(dns_ask 54 hotmail.test MX)" "10 mx1.hotmail.test." "act: the MTA's resolver has the MX again"

# quiet when idle: 3 more passes, at most one summary line
p0=$(sed -n 's/^passes //p' "$E2E_STATE/retryd.status")
wait_for 30 sh -c "[ \$(sed -n 's/^passes //p' '$E2E_STATE/retryd.status') -ge \$(( $p0 + 5 )) ]"
s0=$(grep -c ' pass: scanned=' "$log")
p1=$(sed -n 's/^passes //p' "$E2E_STATE/retryd.status")
wait_for 30 sh -c "[ \$(sed -n 's/^passes //p' '$E2E_STATE/retryd.status') -ge \$(( $p1 + 4 )) ]"
s1=$(grep -c ' pass: scanned=' "$log")
is "$((s1 - s0))" 0 "idle: 4 passes, no summary line (the idle one was logged once)"
like "$(grep 'retryd_observe_mode ' "$METRICS")" " 0$" "metrics: retryd_observe_mode 0 after the reload"

e2e_retryd_stop
ok $? "retryd stopped cleanly"
st=$(e2e_ctl status); rc=$?
is "$rc" 2 "retryctl status: exit 2 (CRITICAL) when stopped"
like "$st" "^RETRYD CRITICAL - retryd is not running" "status: not running"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

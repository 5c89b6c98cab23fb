#!/bin/bash
# bench_sentinel.sh — the sentinel, measured (issue #16), run by `make bench`.
#
# Part 1, the cost: retryd with nothing to schedule (scan_interval 1h) and
#   the sentinel every BENCH_SENT_INTERVAL (2) seconds with verify_window 1s,
#   so every run verifies afresh, watching the lab's 5 Microsoft-like
#   domains at a pool of two MTA resolver nodes; after BENCH_SENT_SECONDS
#   (30): runs, DNS queries per run (the run record), retryd's CPU per run
#   (/proc/PID/stat), scaled to one hour at the shipped 60 s interval for
#   the lab's 5 domains and for the shipped watch list (10 domains).
# Part 2, the incident with mail arriving continuously, side by side in
#   one run: two Postfix instances with the status filter, each with its
#   own MTA resolver (mta1, mta2) and its own retryd (scan_interval and
#   sentinel interval BENCH_SENT_INCIDENT_INTERVAL, 5 s): "with" runs the
#   sentinel, "without" has it off. A stale negative cache for
#   hotmail.test is injected at both resolvers; BENCH_SENT_LEAD (8) seconds
#   later mail starts: one message every 0.5 s to each instance for
#   BENCH_SENT_MAIL_SECONDS (20) s. Figures per side: messages, deferred
#   (maillog status=deferred lines), bounced, delivered, duplicates, and the
#   time from the first submission to the last delivery.
# Benchmarks measure; nothing here passes or fails on a number. Exit 1 only
# when the benchmark could not run.
E2E_OPT=${E2E_OPT:-1}
. "$(dirname "$0")/../e2e/lib_e2e.sh"
BENCH_SENT_INTERVAL=${BENCH_SENT_INTERVAL:-2}
BENCH_SENT_SECONDS=${BENCH_SENT_SECONDS:-30}
BENCH_SENT_INCIDENT_INTERVAL=${BENCH_SENT_INCIDENT_INTERVAL:-5}
BENCH_SENT_LEAD=${BENCH_SENT_LEAD:-8}
BENCH_SENT_MAIL_SECONDS=${BENCH_SENT_MAIL_SECONDS:-20}
e2e_bins
e2e_ready || { echo "bench_sentinel: needs retryd, retryctl, postfix.so and the lab (make all deps)"; exit 1; }
now() { date +%s.%N; }

# cpu_s PID: user + system seconds of PID so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"; }

e2e_init bench_sentinel ind mta2
E2E_GROUP_LINES="watch = yes"
E2E_MTA_RESOLVERS="$(dns_addr 54), $(dns_addr 55)"

# ---------------------------------------------------------------- part 1
E2E_VERIFY_WINDOW=1s
e2e_policy_write "[sentinel]" "enabled = yes" "interval = ${BENCH_SENT_INTERVAL}s" ||
	{ echo "bench_sentinel: policy refused"; exit 1; }
sed -i 's/^scan_interval = .*/scan_interval = 1h/' "$E2E_POLICY"
e2e_postfix_start mta 54 yes || { echo "bench_sentinel: Postfix did not start"; exit 1; }
e2e_retryd_start
sleep "$BENCH_SENT_SECONDS"
c=$(cpu_s "$E2E_RETRYD_PID")
e2e_retryd_stop
run=$(e2e_ctl sentinel --json | jq -c '.run')
runs=$(grep -c 'sentinel' "$E2E_DIR/retryd.log" >/dev/null; e2e_ctl sentinel --json | jq '.run.last_run')
nruns=$(awk -v s="$BENCH_SENT_SECONDS" -v i="$BENCH_SENT_INTERVAL" 'BEGIN { printf "%d", s / i + 1 }')
q=$(printf '%s' "$run" | jq '.queries')
nd=$(printf '%s' "$run" | jq '.domains')
ms=$(printf '%s' "$run" | jq '.ms')
echo "part 1: the sentinel's cost, $nd watched domains x 2 MTA nodes (+ 1 independent, the authoritative servers), every run fresh"
awk -v c="$c" -v n="$nruns" -v q="$q" -v nd="$nd" -v ms="$ms" 'BEGIN {
	printf "  runs in %ss: ~%d; DNS queries per run: %d (%.1f per domain); last run took %d ms\n", '"$BENCH_SENT_SECONDS"', n, q, q / nd, ms
	printf "  retryd CPU: %.3f s in all, %.1f ms per run (startup included)\n", c, c * 1000 / n
	printf "  per hour at interval 60s (60 runs): %d queries, %.2f s CPU for %d domains\n", q * 60, c / n * 60, nd
	printf "  shipped watch list (10 domains), per hour at 60s: ~%d queries, ~%.2f s CPU\n", q / nd * 10 * 60, c / n * 60 * 10 / nd
}'
e2e_postfix_stop mta

# ---------------------------------------------------------------- part 2
I=$BENCH_SENT_INCIDENT_INTERVAL
E2E_VERIFY_WINDOW=${I}s
E2E_MTA_RESOLVERS=$(dns_addr 54)
E2E_PF_NAME=with
rm -rf "$E2E_DIR/state"
e2e_policy_write "[sentinel]" "enabled = yes" "interval = ${I}s" ||
	{ echo "bench_sentinel: policy refused"; exit 1; }
sed -i "s/^scan_interval = .*/scan_interval = ${I}s/" "$E2E_POLICY"
POL_WITH=$E2E_POLICY
POL_WITHOUT=$E2E_DIR/retryd-without.ini
mkdir -p "$E2E_DIR/state-without"
sed -e "s#pf-with/#pf-without/#g" -e "s#^state_dir = .*#state_dir = $E2E_DIR/state-without#" \
	-e "s#^mta = $(dns_addr 54)#mta = $(dns_addr 55)#" -e 's/^enabled = yes/enabled = no/' \
	-e "s#unbound-mta1#unbound-mta2#" -e "s#^host_id = .*#host_id = without#" \
	"$POL_WITH" >"$POL_WITHOUT"
"$E2E_RETRYD" -c "$POL_WITHOUT" -t >/dev/null || { echo "bench_sentinel: second policy refused"; exit 1; }
e2e_postfix_start with 54 yes || { echo "bench_sentinel: Postfix 'with' did not start"; exit 1; }
e2e_postfix_start without 55 yes || { echo "bench_sentinel: Postfix 'without' did not start"; exit 1; }
e2e_sink_start || { echo "bench_sentinel: smtp-sink did not start"; exit 1; }
E2E_POLICY=$POL_WITH e2e_retryd_start
P_WITH=$E2E_RETRYD_PID
"$E2E_RETRYD" -c "$POL_WITHOUT" -f >>"$E2E_DIR/retryd-without.log" 2>&1 &
P_WITHOUT=$!
lab_track $P_WITHOUT
sleep 1
# part 1 left hotmail.test's MX cached at both nodes: start from empty caches
dns_unbound_reset mta1 && dns_unbound_reset mta2
e2e_poison hotmail.test 54 55
[ -z "$(dns_ask 54 hotmail.test MX)" ] && [ -z "$(dns_ask 55 hotmail.test MX)" ] ||
	{ echo "bench_sentinel: the stale cache could not be injected"; exit 1; }
echo "part 2: stale negative cache for hotmail.test at both MTA resolvers; mail from +${BENCH_SENT_LEAD}s, every 0.5 s for ${BENCH_SENT_MAIL_SECONDS} s (scan and sentinel interval ${I}s)"
sleep "$BENCH_SENT_LEAD"
t_first=$(now)
n=0
end=$(awk -v t="$t_first" -v s="$BENCH_SENT_MAIL_SECONDS" 'BEGIN { printf "%.3f", t + s }')
while awk -v n="$(now)" -v e="$end" 'BEGIN { exit !(n < e) }'; do
	n=$((n + 1))
	e2e_submit with "w$n-1@hotmail.test" "w$n"
	e2e_submit without "o$n-1@hotmail.test" "o$n"
	sleep 0.5
done
e2e_wait_sink "$((2 * n))" 120 '@hotmail\.test' || true
last() { grep -l -E "^X-Rcpt-Args: <$1[0-9]+-" -r "$E2E_SINK" | xargs -r stat -c '%.9Y' | sort -n | tail -1; }
for side in with without; do
	tag=w
	[ $side = without ] && tag=o
	d=$(e2e_log_count $side deferred '@hotmail\.test')
	b=$(e2e_log_count $side bounced '@hotmail\.test')
	s=$(e2e_sink_count "$tag[0-9]+-[0-9]+@hotmail\\.test")
	l=$(last "$tag")
	printf '  %-8s sentinel: %3d messages, deferred %3d, bounced %d, delivered %3d, last delivery %s s after the first submission\n' \
		"$side" "$n" "$d" "$b" "$s" "$(awk -v a="$t_first" -v b="${l:-0}" 'BEGIN { printf "%.1f", b - a }')"
done
echo "  duplicates delivered: $(e2e_sink_dups)"
kill -TERM "$P_WITH" "$P_WITHOUT" 2>/dev/null
wait "$P_WITH" "$P_WITHOUT" 2>/dev/null
exit 0

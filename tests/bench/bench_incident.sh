#!/bin/bash
# bench_incident.sh — the incident, measured (issue #4), run by `make bench`.
#
# On the loopback lab (-O2 build), plain Postfix (resolver unbound mta2)
# and Postfix + status filter + retryd (resolver unbound mta1) side by side,
# BENCH_MSGS (1,000) messages each to Microsoft-like test domains
# (hotmail.test, outlook.test, live.test, msn.test), submitted over SMTP:
#
# Part 1, the stale negative cache: the MX records were removed and put
#   back at NSD before the mail comes; both MTA resolvers still answer "no
#   MX" (SOA negative TTL 300 s). DNS is healthy for the MTA once retryd's
#   flush hook ran (a watcher notes when mta1 answers the MX again).
# Part 2, the authoritative outage: the MX records are removed at NSD while
#   the mail comes (every resolver, the independent one included, caches
#   "no MX"), retryd holds the mail for two verify windows, then the MX is
#   put back (the fix). Waits at most BENCH_RECOVERY_MAX seconds.
# Figures of parts 1 and 2: good recipients bounced on each side, time from
#   DNS healthy (the flush, or the fix) to the last delivery (the sink's
#   file time; target: within one verify window + one pass), DNS queries
#   retryd sent and its fresh verifications (sums of its summary lines),
#   retryd CPU (/proc/PID/stat utime, stime), duplicates.
# Part 3, batching: hold and release BENCH_BULK (10,000) deferred messages
#   with postsuper -h - / -H - (ids on stdin, one process per batch, as the
#   plugin does) against one postsuper per id, measured on BENCH_SAMPLE
#   (500) ids and extrapolated to BENCH_BULK (said so in the output).
#
# BENCH_PARTS="1 2 3" chooses the parts.
# Benchmarks measure; nothing here passes or fails on a number. Exit 1
# only when the benchmark could not run.
E2E_OPT=${E2E_OPT:-1}
. "$(dirname "$0")/../e2e/lib_e2e.sh"
BENCH_MSGS=${BENCH_MSGS:-1000}
BENCH_BULK=${BENCH_BULK:-10000}
BENCH_SAMPLE=${BENCH_SAMPLE:-500}
BENCH_WINDOW=${BENCH_WINDOW:-5}
DOMS="hotmail.test outlook.test live.test msn.test"

BENCH_PARTS=${BENCH_PARTS:-1 2 3}
BENCH_RECOVERY_MAX=${BENCH_RECOVERY_MAX:-60}
e2e_bins
postfix_lab_available || { echo "bench_incident: postfix is not installed (make deps)"; exit 1; }
now() { date +%s.%N; }
secs() { awk "BEGIN { printf \"%.2f\", $2 - $1 }"; }

# ---------------------------------------------------------------- helpers
REGEX_DOMS='(hotmail|outlook|live|msn)\.test'

# healthy_watch FILE: in the background, write the time at which the MTA's
# resolver (mta1) first answers hotmail.test's MX again (the flush hook).
healthy_watch() {
	(
		while [ -z "$(dns_ask 54 hotmail.test MX 2>/dev/null)" ]; do sleep 0.05; done
		now >"$1"
	) &
	lab_track $!
}

# last_delivery TAG: the time the sink wrote its last file for TAG recipients.
last_delivery() {
	grep -l -E "^X-Rcpt-Args: <$1[0-9]+@" -r "$E2E_SINK" | xargs -r stat -c '%.9Y' | sort -n | tail -1
}

# cpu PID: user and system seconds of PID so far, then those of its
# waited-for children (postqueue, postsuper, hooks).
cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f %.2f %.2f %.2f", $14 / hz, $15 / hz, $16 / hz, $17 / hz }' \
		"/proc/$1/stat"
}

# ---------------------------------------------------------------- part 1
# The stale negative cache (scenario 1 at scale): the MX was removed and
# put back at NSD before the mail comes; both MTA resolvers still say "no
# MX". DNS becomes healthy for the MTA when retryd's flush hook runs.
part1() {
e2e_ready || { echo "bench_incident: part 1 needs retryd, retryctl and postfix.so (make all)"; exit 1; }
echo "part 1: $BENCH_MSGS messages to $DOMS at a stale negative cache (plain Postfix vs Postfix + retryd)"
for d in $DOMS; do e2e_poison "$d" 54 55; done
healthy_watch "$E2E_DIR/healthy1"
e2e_retryd_start
local rpid=$E2E_RETRYD_PID t_sub t_sub_end t_last t_ok sp sm
t_sub=$(now)
e2e_smtp_submit plain "$BENCH_MSGS" plain $DOMS >"$E2E_DIR/sp" &
sm=$(e2e_smtp_submit mta "$BENCH_MSGS" good $DOMS)
wait $!
sp=$(cat "$E2E_DIR/sp")
t_sub_end=$(now)
echo "  submitted over SMTP: plain $sp, retryd side $sm, in $(secs "$t_sub" "$t_sub_end") s"
e2e_wait_log_count plain bounced "$REGEX_DOMS" "$BENCH_MSGS" 120
e2e_wait_sink "$BENCH_MSGS" 300 'good[0-9]+@'
t_last=$(last_delivery good)
e2e_wait_log_count mta sent 'good[0-9]+@' "$BENCH_MSGS" 30
e2e_wait_pass $(($(e2e_passes_since_start) + 2)) 30
read -r ut st cut cst < <(cpu "$rpid")
e2e_retryd_stop
t_ok=$(cat "$E2E_DIR/healthy1" 2>/dev/null || echo "$t_last")
report "plain[0-9]+@" "good[0-9]+@" "$t_ok" "$t_last" "the flush hook made the MTA's resolver healthy"
echo "  from the start of submission to the last delivery: $(secs "$t_sub" "$t_last") s"
}

# ---------------------------------------------------------------- part 2
# The authoritative side breaks while the mail comes (the MX removed at
# NSD: both MTA resolvers and the independent one cache "no MX"), retryd
# holds the mail, then the MX is put back: time from that fix to the last
# delivery.
part2() {
e2e_ready || { echo "bench_incident: part 2 needs retryd, retryctl and postfix.so (make all)"; exit 1; }
echo "part 2: $BENCH_MSGS messages while the MX is gone at the authoritative server, then fixed"
local d t_fix t_last n
for d in $DOMS; do dns_zone_set "$d" "www IN A $(dns_addr 25)"; done
dns_unbound_reset mta1; dns_unbound_reset mta2; dns_unbound_reset ind
e2e_retryd_start
local rpid=$E2E_RETRYD_PID
e2e_smtp_submit plain "$BENCH_MSGS" outp $DOMS >/dev/null &
e2e_smtp_submit mta "$BENCH_MSGS" outg $DOMS >/dev/null
wait $!
e2e_wait_log_count plain bounced 'outp[0-9]+@' "$BENCH_MSGS" 120
e2e_wait_count 120 "$BENCH_MSGS" e2e_queue_count mta held
echo "  retryd holds $(e2e_queue_count mta held) messages; the outage lasts two verify windows"
sleep $((2 * BENCH_WINDOW))
for d in $DOMS; do dns_zone_set "$d"; done
t_fix=$(now)
if e2e_wait_sink "$BENCH_MSGS" "$BENCH_RECOVERY_MAX" 'outg[0-9]+@'; then
	t_last=$(last_delivery outg)
else
	n=$(e2e_sink_count 'outg[0-9]+@')
	echo "  NOT RECOVERED: $n of $BENCH_MSGS delivered $BENCH_RECOVERY_MAX s after the fix" \
		"(the MTA's resolver stays stale until its negative TTL, 300 s, runs out)"
	t_last=$(now)
fi
read -r ut st cut cst < <(cpu "$rpid")
e2e_retryd_stop
report "outp[0-9]+@" "outg[0-9]+@" "$t_fix" "$t_last" "the MX was back at the authoritative server"
}

# report PLAIN-RE RETRYD-RE T_HEALTHY T_LAST WHAT: the figures of a part.
report() {
	local pb ps rb rs rec
	pb=$(e2e_log_count plain bounced "$1")
	ps=$(e2e_log_count plain sent "$1")
	rb=$(e2e_log_count mta bounced "$2")
	rs=$(e2e_log_count mta sent "$2")
	rec=$(secs "$3" "$4")
	echo "  plain Postfix:    good recipients bounced: $pb of $BENCH_MSGS, delivered: $ps"
	echo "  Postfix + retryd: good recipients bounced: $rb of $BENCH_MSGS, delivered: $rs" \
		"(sink: $(e2e_sink_count "$2"), duplicate Message-IDs: $(e2e_sink_dups))"
	echo "  recovery: last delivery $rec s after $5 (verify_window ${BENCH_WINDOW}s, scan_interval 1s)"
	echo "  retryd (this run): DNS queries sent: $(e2e_sum_since queries)" \
		"($(e2e_sum_since verified) fresh verifications), hooks run: $(e2e_sum_since hooks)," \
		"passes: $(e2e_passes_since_start)"
	echo "  retryd CPU: $(awk "BEGIN { printf \"%.2f\", $ut + $st }") s (user $ut, system $st);" \
		"its children (postqueue, postsuper, hooks): $(awk "BEGIN { printf \"%.2f\", $cut + $cst }") s"
	echo "  targets: 0 bounced with retryd [$([ "$rb" = 0 ] && echo met || echo MISSED)]," \
		"recovery within one verify window + one pass [$(awk "BEGIN { print ($rec <= $BENCH_WINDOW + 1) ? \"met\" : \"MISSED\" }")]"
}

# ---------------------------------------------------------------- part 3
part3() {
echo "part 3: hold and release $BENCH_BULK messages, batched vs one postsuper per id"
E2E_PF_EXTRA="defer_transports = smtp" e2e_postfix_start bulk 54 no 3 ||
	{ echo "bulk Postfix did not start"; exit 1; }
e2e_pf_use bulk
t0=$(now)
left=$BENCH_BULK
while [ "$left" -gt 0 ]; do
	n=$((left > 2000 ? 2000 : left))
	smtp-source -s 4 -m "$n" -f "$E2E_SENDER" -t bulk@corp.test "127.0.0.1:$E2E_SMTPD_PORT_bulk" || break
	left=$((left - n))
done
e2e_wait_queue bulk deferred "$BENCH_BULK" 300
echo "  $(e2e_queue_count bulk deferred) messages deferred in $(secs "$t0" "$(now)") s"
e2e_queue_ids bulk deferred >"$E2E_DIR/bulk.ids"
head -n "$BENCH_SAMPLE" "$E2E_DIR/bulk.ids" >"$E2E_DIR/sample.ids"

t0=$(now)
postsuper -c "$PF_CONF" -h - <"$E2E_DIR/bulk.ids" >"$E2E_DIR/h.out" 2>&1
t1=$(now)
postsuper -c "$PF_CONF" -H - <"$E2E_DIR/bulk.ids" >"$E2E_DIR/H.out" 2>&1
t2=$(now)
bh=$(secs "$t0" "$t1")
bH=$(secs "$t1" "$t2")
echo "  batched: postsuper -h - : $bh s ($(grep -o 'Placed on hold: [0-9]* messages' "$E2E_DIR/h.out"))"
echo "  batched: postsuper -H - : $bH s ($(grep -o 'Released from hold: [0-9]* messages' "$E2E_DIR/H.out"))"

t0=$(now)
while read -r id; do postsuper -c "$PF_CONF" -h "$id" 2>/dev/null; done <"$E2E_DIR/sample.ids"
t1=$(now)
held=$(e2e_queue_count bulk held)
while read -r id; do postsuper -c "$PF_CONF" -H "$id" 2>/dev/null; done <"$E2E_DIR/sample.ids"
t2=$(now)
ph=$(secs "$t0" "$t1")
pH=$(secs "$t1" "$t2")
eh=$(awk "BEGIN { printf \"%.1f\", $ph * $BENCH_BULK / $BENCH_SAMPLE }")
eH=$(awk "BEGIN { printf \"%.1f\", $pH * $BENCH_BULK / $BENCH_SAMPLE }")
echo "  one process per id: -h on $BENCH_SAMPLE ids: $ph s ($held held), -H: $pH s"
echo "    extrapolated to $BENCH_BULK ids (x$((BENCH_BULK / BENCH_SAMPLE))): -h $eh s, -H $eH s"
echo "  speed-up of batching (hold + release): $(awk "BEGIN { printf \"%.0f\", ($eh + $eH) / ($bh + $bH) }")x" \
	"[target >= 50x: $(awk "BEGIN { print (($eh + $eH) / ($bh + $bH) >= 50) ? \"met\" : \"MISSED\" }")]"
t0=$(now)
while read -r id; do postqueue -c "$PF_CONF" -i "$id" 2>/dev/null; done <"$E2E_DIR/sample.ids"
t1=$(now)
echo "  deliver now (no batch form in Postfix): one postqueue -i per id on $BENCH_SAMPLE ids:" \
	"$(secs "$t0" "$t1") s, i.e. $(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) * 1000 / $BENCH_SAMPLE }") ms per message"
t0=$(now)
xargs -P 8 -n 1 postqueue -c "$PF_CONF" -i <"$E2E_DIR/sample.ids" 2>/dev/null
t1=$(now)
echo "    the same, 8 processes at a time (xargs -P 8): $(secs "$t0" "$t1") s," \
	"$(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) * 1000 / $BENCH_SAMPLE }") ms per message"
}

case " $BENCH_PARTS " in *" "[123]" "*) ;; *) echo "BENCH_PARTS: 1, 2 and/or 3"; exit 1 ;; esac
E2E_VERIFY_WINDOW=${BENCH_WINDOW}s
E2E_TIER_EVERY=2s
e2e_init bench_incident ind mta2
e2e_policy_write || exit 1
e2e_postfix_start plain 55 no 1 || { echo "plain Postfix did not start"; exit 1; }
e2e_postfix_start mta 54 yes 2 || { echo "Postfix did not start"; exit 1; }
e2e_sink_start || { echo "smtp-sink did not start"; exit 1; }
case " $BENCH_PARTS " in *" 1 "*) part1 ;; esac
case " $BENCH_PARTS " in *" 2 "*) part2 ;; esac
case " $BENCH_PARTS " in *" 3 "*) part3 ;; esac
exit 0

#!/bin/bash
# bench_incident_exim.sh — the incident with Exim, measured (issue #5), run
# by `make bench` (tests/bench/run.sh) beside bench_incident.sh (Postfix):
# the same parts, the same figures, the same line formats, "Exim" for
# "Postfix".
#
# On the loopback lab (-O2 build), plain Exim 4.96 (resolver unbound mta2,
# no fail_defer_domains) and Exim + contrib/exim + retryd (resolver unbound
# mta1, retryd in the same private mount namespace) side by side,
# BENCH_MSGS (1,000) messages each to Microsoft-like test domains
# (hotmail.test, outlook.test, live.test, msn.test), submitted in one SMTP
# session each (exim -bs) with immediate background delivery (-odb), as an
# Exim daemon does:
#
# Part 1, the stale negative cache: the MX records were removed and put
#   back at NSD before the mail comes; both MTA resolvers still answer "no
#   MX" (SOA negative TTL 300 s). retryd starts once Exim has tried (and
#   deferred) every message: the backlog of an incident in progress (with
#   retryd running from the start, its first flush lets Exim's own
#   in-flight first tries through, and the figure would time Exim's
#   intake). DNS is healthy for the MTA once retryd's flush hook ran (a
#   watcher notes when mta1 answers the MX again).
# Part 2, the authoritative outage: the MX records are removed at NSD while
#   the mail comes (every resolver, the independent one included, caches
#   "no MX"), retryd holds the mail for two verify windows, then the MX is
#   put back (the fix). Waits at most BENCH_RECOVERY_MAX seconds.
# Figures of parts 1 and 2: good recipients bounced on each side, time from
#   DNS healthy (the flush, or the fix) to the last delivery (the sink's
#   file time; target: within one verify window + one pass), DNS queries
#   retryd sent and its fresh verifications (sums of its summary lines),
#   retryd CPU (/proc/PID/stat utime, stime), duplicates.
# Part 3, batching: freeze and thaw BENCH_BULK (10,000) queued messages
#   through exim.so (plugin_drive: exim -Mf / -Mt with up to
#   LIMIT_BATCH_IDS ids on argv, each confirmed from Exim's output, as
#   retryd does) against one exim process per id, measured on BENCH_SAMPLE
#   (500) ids and extrapolated to BENCH_BULK (said so in the output).
#
# BENCH_PARTS="1 2 3" chooses the parts.
# Benchmarks measure; nothing here passes or fails on a number. Exit 1
# only when the benchmark could not run.
E2E_OPT=${E2E_OPT:-1}
. "$(dirname "$0")/../e2e/lib_exim_e2e.sh"
BENCH_MSGS=${BENCH_MSGS:-1000}
BENCH_BULK=${BENCH_BULK:-10000}
BENCH_SAMPLE=${BENCH_SAMPLE:-500}
BENCH_WINDOW=${BENCH_WINDOW:-5}
DOMS="hotmail.test outlook.test live.test msn.test"
BENCH_PARTS=${BENCH_PARTS:-1 2 3}
BENCH_RECOVERY_MAX=${BENCH_RECOVERY_MAX:-120}
DRIVE=${BENCH_PLUGIN_DRIVE:-$RETRYD_ASAN_BUILD/tests/plugin_drive}

e2e_bins
exim_lab_available || { echo "bench_incident_exim: no lab Exim (tests/lab/exim-install.sh)"; exit 1; }
now() { date +%s.%N; }
secs() { awk "BEGIN { printf \"%.2f\", $2 - $1 }"; }

# ---------------------------------------------------------------- helpers
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

# first_delivery TAG: the time the sink wrote its first file for TAG recipients.
first_delivery() {
	grep -l -E "^X-Rcpt-Args: <$1[0-9]+@" -r "$E2E_SINK" | xargs -r stat -c '%.9Y' | sort -n | head -1
}

# cpu PID: user and system seconds of PID so far, then those of its
# waited-for children (exim, hooks).
cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f %.2f %.2f %.2f", $14 / hz, $15 / hz, $16 / hz, $17 / hz }' \
		"/proc/$1/stat"
}

# submit_both PLAIN-TAG RETRYD-TAG: BENCH_MSGS to each Exim at once.
submit_both() {
	local sp sm
	E2E_EXIM_SUBMIT_MODE=-odb e2e_exim_smtp_submit plain "$BENCH_MSGS" "$1" $DOMS >"$E2E_DIR/sp" &
	sm=$(E2E_EXIM_SUBMIT_MODE=-odb e2e_exim_smtp_submit mta "$BENCH_MSGS" "$2" $DOMS)
	wait $!
	sp=$(cat "$E2E_DIR/sp")
	echo "$sp $sm"
}

# ---------------------------------------------------------------- part 1
part1() {
echo "part 1: $BENCH_MSGS messages to $DOMS at a stale negative cache (plain Exim vs Exim + retryd)"
local d rpid t_sub t_sub_end t_tried t_start t_last t_ok counts
for d in $DOMS; do e2e_poison "$d" 54 55; done
t_sub=$(now)
counts=$(submit_both plain good)
t_sub_end=$(now)
echo "  submitted over SMTP (exim -bs -odb): plain ${counts% *}, retryd side ${counts#* }, in $(secs "$t_sub" "$t_sub_end") s"
e2e_exim_wait_count plain bounced 'plain[0-9]+@' "$BENCH_MSGS" 300
e2e_exim_wait_count mta deferred 'good[0-9]+@' "$BENCH_MSGS" 300
t_tried=$(now)
echo "  Exim's first tries done $(secs "$t_sub" "$t_tried") s after the submission began:" \
	"plain bounced $(e2e_exim_count plain bounced 'plain[0-9]+@'), the other deferred $(e2e_exim_count mta deferred 'good[0-9]+@')"
healthy_watch "$E2E_DIR/healthy1"
t_start=$(now)
e2e_exim_retryd_start
rpid=$E2E_RETRYD_PID
e2e_wait_sink "$BENCH_MSGS" 300 'good[0-9]+@'
t_last=$(last_delivery good)
e2e_exim_wait_count mta delivered 'good[0-9]+@' "$BENCH_MSGS" 30
e2e_wait_pass $(($(e2e_passes_since_start) + 2)) 30
read -r ut st cut cst < <(cpu "$rpid")
e2e_retryd_stop
t_ok=$(cat "$E2E_DIR/healthy1" 2>/dev/null || echo "$t_last")
report "plain[0-9]+@" "good[0-9]+@" "$t_ok" "$t_last" "the flush hook made the MTA's resolver healthy"
echo "  from retryd's start to the flush: $(secs "$t_start" "$t_ok") s; first delivery" \
	"$(secs "$t_ok" "$(first_delivery good)") s after the flush, the last $(secs "$(first_delivery good)" "$t_last") s" \
	"later (exim -M delivers the batch one message at a time)"
}

# ---------------------------------------------------------------- part 2
part2() {
echo "part 2: $BENCH_MSGS messages while the MX is gone at the authoritative server, then fixed"
local d t_fix t_last n rpid
for d in $DOMS; do dns_zone_set "$d" "www IN A $(dns_addr 25)"; done
dns_unbound_reset mta1; dns_unbound_reset mta2; dns_unbound_reset ind
e2e_exim_retryd_start
rpid=$E2E_RETRYD_PID
submit_both outp outg >/dev/null
e2e_exim_wait_count plain bounced 'outp[0-9]+@' "$BENCH_MSGS" 180
e2e_wait_count 180 "$BENCH_MSGS" e2e_exim_frozen_count mta
echo "  retryd holds $(e2e_exim_frozen_count mta) messages (frozen); the outage lasts two verify windows"
sleep $((2 * BENCH_WINDOW))
for d in $DOMS; do dns_zone_set "$d"; done
t_fix=$(now)
if e2e_wait_sink "$BENCH_MSGS" "$BENCH_RECOVERY_MAX" 'outg[0-9]+@'; then
	t_last=$(last_delivery outg)
	echo "  first delivery $(secs "$t_fix" "$(first_delivery outg)") s after the fix (the next fresh verification, the flush), the last" \
		"$(secs "$(first_delivery outg)" "$t_last") s later (exim -M delivers the batch one message at a time)"
else
	n=$(e2e_sink_count 'outg[0-9]+@')
	echo "  NOT RECOVERED: $n of $BENCH_MSGS delivered $BENCH_RECOVERY_MAX s after the fix"
	t_last=$(now)
fi
e2e_exim_wait_count mta delivered 'outg[0-9]+@' "$BENCH_MSGS" 30
e2e_wait_pass $(($(e2e_passes_since_start) + 2)) 30
read -r ut st cut cst < <(cpu "$rpid")
e2e_retryd_stop
report "outp[0-9]+@" "outg[0-9]+@" "$t_fix" "$t_last" "the MX was back at the authoritative server"
}

# report PLAIN-RE RETRYD-RE T_HEALTHY T_LAST WHAT: the figures of a part.
report() {
	local pb ps rb rs rec
	pb=$(e2e_exim_count plain bounced "$1")
	ps=$(e2e_exim_count plain delivered "$1")
	rb=$(e2e_exim_count mta bounced "$2")
	rs=$(e2e_exim_count mta delivered "$2")
	rec=$(secs "$3" "$4")
	echo "  plain Exim:    good recipients bounced: $pb of $BENCH_MSGS, delivered: $ps"
	echo "  Exim + retryd: good recipients bounced: $rb of $BENCH_MSGS, delivered: $rs" \
		"(sink: $(e2e_sink_count "$2"), duplicate Message-IDs: $(e2e_sink_dups))"
	echo "  recovery: last delivery $rec s after $5 (verify_window ${BENCH_WINDOW}s, scan_interval 1s)"
	echo "  retryd (this run): DNS queries sent: $(e2e_sum_since queries)" \
		"($(e2e_sum_since verified) fresh verifications), hooks run: $(e2e_sum_since hooks)," \
		"adopted: $(e2e_sum_since adopted), passes: $(e2e_passes_since_start)"
	echo "  retryd CPU: $(awk "BEGIN { printf \"%.2f\", $ut + $st }") s (user $ut, system $st);" \
		"its children (exim -bpr/-Mf/-M, hooks): $(awk "BEGIN { printf \"%.2f\", $cut + $cst }") s"
	echo "  targets: 0 bounced with retryd [$([ "$rb" = 0 ] && echo met || echo MISSED)]," \
		"recovery within one verify window + one pass [$(awk "BEGIN { print ($rec <= $BENCH_WINDOW + 1) ? \"met\" : \"MISSED\" }")]"
}

# ---------------------------------------------------------------- part 3
# done_of OUTPUT: the "done" count plugin_drive printed.
done_of() { sed -n 's/.*"done": *\([0-9]*\).*/\1/p' <<<"$1" | awk '{ s += $1 } END { print s + 0 }'; }

part3() {
echo "part 3: freeze and thaw $BENCH_BULK messages, batched (exim.so) vs one exim process per id"
if [ ! -x "$DRIVE" ]; then
	echo "  skipped: $DRIVE not built (make asan)"
	return 0
fi
local t0 t1 t2 n h r bh bH ph pH eh eH left pids nb
e2e_exim_start bulk 54 no || { echo "bulk Exim config refused"; exit 1; }
e2e_exim_use bulk
t0=$(now)
# Exim takes at most 1,000 messages per SMTP connection
# (smtp_accept_max_per_connection): sessions of 1,000, 4 at a time.
left=$BENCH_BULK
n=0
while [ "$left" -gt 0 ]; do
	pids=""
	for _ in 1 2 3 4; do
		[ "$left" -gt 0 ] || break
		h=$((left > 1000 ? 1000 : left))
		e2e_exim_smtp_submit bulk "$h" "bulk$left-" corp.test >"$E2E_DIR/bulk.$left" &
		pids="$pids $!"
		left=$((left - h))
	done
	# shellcheck disable=SC2086
	wait $pids
done
n=$(cat "$E2E_DIR"/bulk.[0-9]* | awk '{ s += $1 } END { print s + 0 }')
"$EXIM_BIN" -C "$EXIM_CONF" -bpr 2>/dev/null |
	awk '$1 !~ /^[DS+]/ && $3 ~ /^[0-9A-Za-z]+-[0-9A-Za-z]+-[0-9A-Za-z]+$/ {print $3}' >"$E2E_DIR/bulk.ids"
echo "  $(wc -l <"$E2E_DIR/bulk.ids") messages queued ($n accepted) in $(secs "$t0" "$(now)") s"
drive() {
	"$DRIVE" --binary "$EXIM_BIN" --config "$EXIM_CONF" --log-file "$EXIM_LOG" \
		--state-dir "$E2E_DIR/bulkstate" "$E2E_PLUGIN_DIR/exim.so" "$@" 2>/dev/null
}
mkdir -p "$E2E_DIR/bulkstate"
# shellcheck disable=SC2046
t0=$(now); h=$(drive hold $(cat "$E2E_DIR/bulk.ids")); t1=$(now)
# shellcheck disable=SC2046
r=$(drive release $(cat "$E2E_DIR/bulk.ids")); t2=$(now)
bh=$(secs "$t0" "$t1")
bH=$(secs "$t1" "$t2")
echo "  batched (exim.so, exim -Mf / -Mt, ids on argv): freeze $bh s ($(done_of "$h") confirmed), thaw $bH s ($(done_of "$r") confirmed)"

head -n "$BENCH_SAMPLE" "$E2E_DIR/bulk.ids" >"$E2E_DIR/sample.ids"
t0=$(now)
while read -r id; do "$EXIM_BIN" -C "$EXIM_CONF" -Mf "$id" >/dev/null 2>&1; done <"$E2E_DIR/sample.ids"
t1=$(now)
h=$("$EXIM_BIN" -C "$EXIM_CONF" -bpr 2>/dev/null | grep -c '\*\*\* frozen \*\*\*$')
while read -r id; do "$EXIM_BIN" -C "$EXIM_CONF" -Mt "$id" >/dev/null 2>&1; done <"$E2E_DIR/sample.ids"
t2=$(now)
ph=$(secs "$t0" "$t1")
pH=$(secs "$t1" "$t2")
eh=$(awk "BEGIN { printf \"%.1f\", $ph * $BENCH_BULK / $BENCH_SAMPLE }")
eH=$(awk "BEGIN { printf \"%.1f\", $pH * $BENCH_BULK / $BENCH_SAMPLE }")
echo "  one process per id: -Mf on $BENCH_SAMPLE ids: $ph s ($h frozen), -Mt: $pH s"
echo "    extrapolated to $BENCH_BULK ids (x$((BENCH_BULK / BENCH_SAMPLE))): -Mf $eh s, -Mt $eH s"
echo "  speed-up of batching (freeze + thaw): $(awk "BEGIN { printf \"%.0f\", ($eh + $eH) / ($bh + $bH) }")x" \
	"[target >= 50x: $(awk "BEGIN { print (($eh + $eH) / ($bh + $bH) >= 50) ? \"met\" : \"MISSED\" }")]"
nb=$(wc -l <"$E2E_DIR/bulk.ids")
echo "  per message: batched $(awk "BEGIN { printf \"%.2f\", ($bh + $bH) * 1000 / $nb }") ms (Exim's own work:" \
	"each -Mf/-Mt rewrites the spool header file with an fsync), one process per id" \
	"$(awk "BEGIN { printf \"%.2f\", ($ph + $pH) * 1000 / $BENCH_SAMPLE }") ms (+ exec and configuration of exim)"
}

case " $BENCH_PARTS " in *" "[123]" "*) ;; *) echo "BENCH_PARTS: 1, 2 and/or 3"; exit 1 ;; esac
if case " $BENCH_PARTS " in *" 1 "* | *" 2 "*) true ;; *) false ;; esac; then
	e2e_exim_ready || { echo "bench_incident_exim: parts 1 and 2 need retryd, retryctl and exim.so (make all)"; exit 1; }
fi
E2E_VERIFY_WINDOW=${BENCH_WINDOW}s
E2E_TIER_EVERY=2s
# an Exim daemon's defaults for mail arriving by SMTP, minus the limit
# that queues everything after the 10th message of one connection
E2E_EXIM_MAIN_EXTRA="smtp_accept_queue_per_connection = 0"
e2e_init bench_incident_exim ind mta2
e2e_exim_policy_write || exit 1
e2e_exim_start plain 55 no || { echo "plain Exim config refused"; exit 1; }
e2e_exim_start mta 54 yes || { echo "Exim config refused"; exit 1; }
e2e_sink_start || { echo "smtp-sink did not start"; exit 1; }
case " $BENCH_PARTS " in *" 1 "*) part1 ;; esac
case " $BENCH_PARTS " in *" 2 "*) part2 ;; esac
case " $BENCH_PARTS " in *" 3 "*) part3 ;; esac
exit 0

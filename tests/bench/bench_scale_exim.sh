#!/bin/bash
# bench_scale_exim.sh — issue 13: held mail at scale on a real Exim 4.96,
# run by `make bench` beside bench_scale.sh (Postfix). For each size N of
# BENCH_SCALE_EXIM_SIZES (default "10000 100000"), in one run, on one lab
# Exim (-O2 build; contrib/exim applied: windowslive.test, group
# microsoft, is in fail_defer_domains, so its NXDOMAIN defers) whose mail
# goes to windowslive.test, NXDOMAIN at the authoritative server while
# broken (retryd's verdict: domain, so it holds and waits):
#
#   plain Exim: N messages submitted over SMTP (exim -bs -odb, 1,000 a
#     session, delivery started at once as an Exim daemon does) and
#     deferred (==). Then, on that queue:
#     - freeze and thaw: every id through exim.so (plugin_drive: -Mf/-Mt,
#       up to EXIM_ACTION_PARALLEL processes at once, each confirmed from
#       Exim's output) against one exim process per id on BENCH_SAMPLE ids,
#       extrapolated to N (said so);
#     - Exim's CPU for one forced queue run (exim -qf: one retry of every
#       message; children included). Its CPU per hour = 2 such runs (a
#       Debian daemon runs -q30m; contrib's retry rule F,6d,15m makes each
#       run retry every message);
#     - the fix (domain published, resolvers flushed) and exim -qff: time
#       to the last of the N deliveries (=> lines);
#     - with BENCH_SCALE_EXIM_RUNNERS (default 8) > 1, N more deferred and
#       the same fix with that many exim -qff at once: plain Exim at
#       retryd's parallelism.
#   retryd: the DNS broken again, N more messages deferred; retryd starts
#     (tier 0s every 1h: nothing due while held; verify_window 5 s;
#     scan_interval BENCH_SCALE_EXIM_INTERVAL; reconcile_every 10):
#     adoption time (start to N "frozen by root"); then everything held
#     for BENCH_SCALE_EXIM_WINDOW s: retryd's CPU with its children per
#     pass, per hour at the defaults (30 s scans: 120 passes an hour, one
#     full listing in 10), plus what Exim's own queue runner still spends
#     on the frozen queue (exim -q measured once, twice an hour); then the
#     fix: the domain watch sees it healthy within a verify window, makes
#     every held message due, retryd delivers them (exim -M batches, up
#     to 8 exim processes at once; exim -qff is one serial runner): time
#     from the fix to the last delivery.
#   retryd's peak RSS (VmHWM) and its state directory per held message.
# Waits follow Exim's main log from the phase's first line (one tail -F
# and grep -m N): no whole-log grep per look, which at 10k messages took
# about a core from the very processes measured, on both sides.
# Then a growth table and the ratios the issue asks for. Benchmarks
# measure; nothing here passes or fails on a number. Exit 1 only when the
# benchmark could not run.
E2E_OPT=${E2E_OPT:-1}
. "$(dirname "$0")/../e2e/lib_exim_e2e.sh"
SIZES=${BENCH_SCALE_EXIM_SIZES:-10000 100000}
WINDOW=${BENCH_SCALE_EXIM_WINDOW:-40}
INTERVAL=${BENCH_SCALE_EXIM_INTERVAL:-2}
SAMPLE=${BENCH_SAMPLE:-200}
RUNNERS=${BENCH_SCALE_EXIM_RUNNERS:-8}
DRIVE=${BENCH_PLUGIN_DRIVE:-$RETRYD_ASAN_BUILD/tests/plugin_drive}
e2e_bins
exim_lab_available || { echo "bench_scale_exim: no lab Exim (tests/lab/exim-install.sh)"; exit 1; }
e2e_exim_ready || { echo "bench_scale_exim: needs retryd, retryctl and exim.so (make all)"; exit 1; }
[ -x "$DRIVE" ] || { echo "bench_scale_exim: needs $DRIVE (make asan)"; exit 1; }
now() { date +%s.%N; }
fsub() { awk "BEGIN { printf \"%.2f\", $1 - $2 }"; }
# exim_cpu ARGS...: run exim ARGS in the instance's resolver namespace;
# print the CPU seconds of it and of everything it waited for.
exim_cpu() {
	perl -e 'system @ARGV; my @t = times; printf "%.3f\n", $t[2] + $t[3]' -- \
		unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$EXIM_RESOLV" "$EXIM_BIN" -C "$EXIM_CONF" "$@"
}

# Copies of the binaries: a rebuild meanwhile changes nothing here.
E2E_EXIM_MAIN_EXTRA="smtp_accept_queue_per_connection = 0"
e2e_init scale_exim ind
mkdir -p "$E2E_DIR/bin/plugins"
cp "$E2E_RETRYD" "$E2E_RETRYCTL" "$E2E_DIR/bin/" && cp "$E2E_PLUGIN_DIR"/*.so "$E2E_DIR/bin/plugins/"
E2E_RETRYD=$E2E_DIR/bin/retryd E2E_RETRYCTL=$E2E_DIR/bin/retryctl E2E_PLUGIN_DIR=$E2E_DIR/bin/plugins
e2e_sink_start || { echo "bench_scale_exim: smtp-sink did not start"; exit 1; }

break_dns() { e2e_domain_gone; dns_unbound_reset mta1; dns_unbound_reset ind; }
fix_dns() { e2e_domain_back; dns_unbound_reset mta1; dns_unbound_reset ind; }
# inject NAME N TAG: N messages to TAG<s>-NNNNN@windowslive.test, two
# SMTP sessions of at most 1,000 at a time, delivery started at once.
inject() {
	local left=$2 s=0 h pids
	while [ "$left" -gt 0 ]; do
		pids=""
		for _ in 1 2; do
			[ "$left" -gt 0 ] || break
			h=$((left > 1000 ? 1000 : left))
			E2E_EXIM_SUBMIT_MODE=-odb e2e_exim_smtp_submit "$1" "$h" "$3$s-" windowslive.test >/dev/null &
			pids="$pids $!"
			left=$((left - h)) s=$((s + 1))
		done
		# shellcheck disable=SC2086
		wait $pids
	done
}
count() { e2e_exim_count "$1" "$2" "$3[0-9]+-[0-9]+@windowslive\\.test"; }
# wait_log NAME FROM REGEX N SECONDS: until N lines of Exim NAME's main log
# after line FROM match REGEX. One tail -F and one grep follow the log
# as it grows: polling with a grep of the whole log every 0.1 s (as
# e2e_wait_count does) costs ~N x 10 kB a look, about a core at 10k
# messages, taken from the very processes being measured.
wait_log() {
	local fd tpid c
	exec {fd}< <(exec tail -n +"$(($2 + 1))" -F -s 0.2 "$(e2e_exim_log "$1")" 2>/dev/null)
	tpid=$!
	c=$(timeout "$5" grep -E -m "$4" -c -- "$3" <&"$fd")
	kill "$tpid" 2>/dev/null
	exec {fd}<&-
	[ "${c:-0}" -ge "$4" ]
}
lines() { local f; f=$(e2e_exim_log "$1"); if [ -f "$f" ]; then wc -l <"$f"; else echo 0; fi; }
# wait_kind NAME KIND TAG N SECONDS FROM: KIND lines (as count) after FROM
wait_kind() {
	local flag
	case $2 in delivered) flag='(=>|->)' ;; deferred) flag='==' ;; *) return 1 ;; esac
	wait_log "$1" "$6" "^[0-9-]+ [0-9:.]+ [0-9A-Za-z-]+ $flag [^ ]*($3[0-9]+-[0-9]+@windowslive\\.test)[^ ]* " "$4" "$5"
}
drive() {
	"$DRIVE" --binary "$EXIM_BIN" --config "$EXIM_CONF" --log-file "$EXIM_LOG" \
		--state-dir "$E2E_DIR/drivestate" "$E2E_PLUGIN_DIR/exim.so" "$@" 2>/dev/null
}
# ids_of NAME TAG: the Exim ids of TAG messages still queued
ids_of() {
	grep -E " == $2[0-9]+-[0-9]+@windowslive\\.test " "$(e2e_exim_log "$1")" | awk '{print $3}' | sort -u
}

declare -A R
# freeze_ratio NAME N: batched vs one process per id, on the plain queue
freeze_ratio() {
	local N=$2 t0 t1 t2 ids
	mkdir -p "$E2E_DIR/drivestate"
	ids_of "$1" p >"$E2E_DIR/ids"
	# shellcheck disable=SC2046
	t0=$(now); drive hold $(cat "$E2E_DIR/ids") >/dev/null; t1=$(now)
	# shellcheck disable=SC2046
	drive release $(cat "$E2E_DIR/ids") >/dev/null; t2=$(now)
	R[$N,fz_batch]=$(fsub "$t2" "$t0")
	head -n "$SAMPLE" "$E2E_DIR/ids" >"$E2E_DIR/sample"
	t0=$(now)
	while read -r id; do "$EXIM_BIN" -C "$EXIM_CONF" -Mf "$id" >/dev/null 2>&1; done <"$E2E_DIR/sample"
	while read -r id; do "$EXIM_BIN" -C "$EXIM_CONF" -Mt "$id" >/dev/null 2>&1; done <"$E2E_DIR/sample"
	t1=$(now)
	R[$N,fz_one]=$(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) * $(wc -l <"$E2E_DIR/ids") / $SAMPLE }")
	R[$N,fz_ratio]=$(awk "BEGIN { printf \"%.0f\", ${R[$N,fz_one]} / ${R[$N,fz_batch]} }")
}

# plain_runners NAME N: the same recovery with RUNNERS exim -qff at once
# (as retryd runs up to 8 exim -M at once): N more messages deferred,
# the fix, then RUNNERS queue runners started together; each skips the
# messages another one has locked. Time to the last delivery.
plain_runners() {
	local N=$2 off t0 pids="" i
	break_dns
	off=$(lines "$1")
	inject "$1" "$N" q
	wait_kind "$1" deferred q "$N" 3600 "$off" || return 1
	off=$(lines "$1"); fix_dns; t0=$(now)
	for ((i = 0; i < RUNNERS; i++)); do
		exim_cmd -qff &
		pids="$pids $!"
	done
	wait_kind "$1" delivered q "$N" 3600 "$off"
	R[$N,ex_par]=$(fsub "$(now)" "$t0")
	# shellcheck disable=SC2086
	wait $pids
}

run_size() {
	local N=$1 name="n$1" t0 c0 c1 rpid passes_before passes off qpid
	echo "--- $N held messages"
	E2E_EXIM_NAME=$name
	E2E_TIER_EVERY=1h E2E_VERIFY_WINDOW=5s e2e_exim_policy_write || return 1
	sed -i "s/^scan_interval = .*/scan_interval = ${INTERVAL}s/" "$E2E_POLICY"
	e2e_exim_start "$name" 54 yes || { echo "  Exim config refused"; return 1; }
	break_dns

	# plain Exim
	t0=$(now); off=$(lines "$name")
	inject "$name" "$N" p
	wait_kind "$name" deferred p "$N" 3600 "$off" || { echo "  not all deferred ($(count "$name" deferred p))"; return 1; }
	R[$N,inject]=$(fsub "$(now)" "$t0")
	freeze_ratio "$name" "$N"
	R[$N,ex_retry]=$(exim_cpu -qf)
	R[$N,ex_hour]=$(awk "BEGIN { printf \"%.1f\", ${R[$N,ex_retry]} * 2 }")
	off=$(lines "$name"); fix_dns; t0=$(now)
	exim_cmd -qff &
	qpid=$!
	wait_kind "$name" delivered p "$N" 3600 "$off"
	R[$N,ex_recover]=$(fsub "$(now)" "$t0")
	wait "$qpid"
	[ "$RUNNERS" -gt 1 ] && plain_runners "$name" "$N"

	# retryd
	break_dns
	off=$(lines "$name")
	inject "$name" "$N" r
	wait_kind "$name" deferred r "$N" 3600 "$off" || { echo "  not all deferred"; return 1; }
	off=$(lines "$name")
	t0=$(now)
	e2e_exim_retryd_start; rpid=$E2E_RETRYD_PID
	wait_log "$name" "$off" ' frozen by root$' "$N" 3600
	R[$N,adopt]=$(fsub "$(now)" "$t0")
	sleep $((2 * INTERVAL + 2))
	passes_before=$(e2e_passes_since_start)
	c0=$(e2e_tree_cpu "$rpid")
	sleep "$WINDOW"
	c1=$(e2e_tree_cpu "$rpid")
	passes=$(($(e2e_passes_since_start) - passes_before))
	R[$N,passes]=$passes
	R[$N,pass_cpu]=$(awk "BEGIN { printf \"%.4f\", ($c1 - $c0) / ($passes ? $passes : 1) }")
	R[$N,full_passes]=$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep ' pass: scanned=' |
		tail -n "$passes" | grep -c -v '(log)')
	R[$N,ex_frozen_run]=$(exim_cpu -q)
	R[$N,r_hour]=$(awk "BEGIN { printf \"%.1f\", ${R[$N,pass_cpu]} * 120 + ${R[$N,ex_frozen_run]} * 2 }")
	off=$(lines "$name"); fix_dns; t0=$(now)
	wait_kind "$name" delivered r "$N" 3600 "$off"
	R[$N,r_recover]=$(fsub "$(now)" "$t0")
	R[$N,rss]=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$rpid/status")
	R[$N,disk]=$(du -sb "$E2E_STATE" | awk -v n="$N" '{ printf "%.0f", $1 / n }')
	e2e_retryd_stop
	echo "  submitted and deferred: ${R[$N,inject]} s; retryd's adoption (start to $N frozen): ${R[$N,adopt]} s"
	echo "  freeze+thaw of $N: batched (exim.so) ${R[$N,fz_batch]} s, one exim per id ~${R[$N,fz_one]} s" \
		"(measured on $SAMPLE, extrapolated): ${R[$N,fz_ratio]}x"
	echo "  plain Exim: one forced retry of the queue (exim -qf) ${R[$N,ex_retry]} s CPU; per hour (-q30m) ~${R[$N,ex_hour]} s"
	echo "  retryd held: $passes passes in ${WINDOW} s (${R[$N,full_passes]} full listings), ${R[$N,pass_cpu]} s CPU" \
		"per pass (retryd + its exim children); Exim's queue run over the frozen queue ${R[$N,ex_frozen_run]} s;" \
		"per hour at 30 s scans ~${R[$N,r_hour]} s"
	echo "  recovery: exim -qff ${R[$N,ex_recover]} s, retryd ${R[$N,r_recover]} s (verify_window 5 s)" \
		"${R[$N,ex_par]:+; $RUNNERS exim -qff at once ${R[$N,ex_par]} s}"
	echo "  retryd peak RSS ${R[$N,rss]} MB; state on disk ${R[$N,disk]} bytes per held message"
}

for n in $SIZES; do run_size "$n" || echo "  size $n: could not run to the end"; done
echo "--- growth table (Exim)"
printf '%9s %9s %10s %10s %11s %10s %10s %8s %8s %9s\n' held adopt_s pass_cpu_s r_cpu_h_s exim_cpu_h_s r_recov_s qff_s ratio freeze_x rss_MB
for n in $SIZES; do
	[ -n "${R[$n,r_recover]:-}" ] || continue
	printf '%9s %9s %10s %10s %11s %10s %10s %8s %8s %9s\n' "$n" "${R[$n,adopt]}" "${R[$n,pass_cpu]}" \
		"${R[$n,r_hour]}" "${R[$n,ex_hour]}" "${R[$n,r_recover]}" "${R[$n,ex_recover]}" \
		"$(awk "BEGIN { printf \"%.2f\", ${R[$n,r_recover]} / ${R[$n,ex_recover]} }")" "${R[$n,fz_ratio]}" "${R[$n,rss]}"
done
set -- $SIZES
if [ $# -ge 2 ] && [ -n "${R[$1,pass_cpu]:-}" ] && [ -n "${R[$2,pass_cpu]:-}" ]; then
	echo "pass CPU at $2 / at $1: $(awk "BEGIN { printf \"%.2f\", ${R[$2,pass_cpu]} / ${R[$1,pass_cpu]} }") (target <= 2)"
fi
for n in $SIZES; do
	[ -n "${R[$n,r_recover]:-}" ] || continue
	echo "at $n: retryd CPU/h / plain Exim CPU/h = $(awk "BEGIN { printf \"%.2f\", ${R[$n,r_hour]} / (${R[$n,ex_hour]} > 0 ? ${R[$n,ex_hour]} : 0.01) }") (target <= 1);" \
		"recovery retryd / exim -qff = $(awk "BEGIN { printf \"%.2f\", ${R[$n,r_recover]} / ${R[$n,ex_recover]} }") (target <= 1.25);" \
		"freeze+thaw batched vs per id ${R[$n,fz_ratio]}x (target >= 50)"
	[ -n "${R[$n,ex_par]:-}" ] && echo "at $n: recovery retryd / $RUNNERS exim -qff at once =" \
		"$(awk "BEGIN { printf \"%.2f\", ${R[$n,r_recover]} / ${R[$n,ex_par]} }") (same parallelism as retryd's exim -M)"
done

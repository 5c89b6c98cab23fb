#!/bin/bash
# bench_mem_postfix.sh — issue 13: retryd's memory with N held messages on
# a REAL Postfix queue, for each N of BENCH_MEMPF_SIZES (default "10000
# 100000 1000000"), side by side in one run.
#
# For each N: a lab Postfix 3.7 (status filter: windowslive.test is
# NXDOMAIN, so its mail is deferred) is filled with N real deferred
# messages by tests/bench/postfix_fill.sh (a few submitted and deferred by
# Postfix, multiplied, renamed to their inodes by postsuper -s). Then the
# real daemon (-O2, root start, privilege separation with user retryd,
# postfix.so; tier "0s every 1h": nothing due, verify_window 1h,
# scan_interval 2 s, reconcile_interval 1h) starts on that queue and the
# bench prints:
#   - adoption: time from the start to N messages in hold/, the passes
#     and the full listings it took (its "scan: full listing" lines);
#   - held passes: for BENCH_MEMPF_WINDOW s (default 30), the passes and
#     the CPU per pass of retryd (with its helper and the commands it
#     runs) plus the whole Postfix instance;
#   - one reconciliation (SIGHUP: the next pass lists the whole queue):
#     its messages listed, complete or "(partial)", its wall time;
#   - peak RSS (VmHWM) of the daemon and of its helper after the adoption
#     and after the reconciliation;
#   - the state directory and the Postfix queue on disk per message.
# The queue is deleted after each size. Heavy: with BENCH_LOCK=FILE each
# size's fill and its retryd run take a shared flock on FILE in turn (a
# box shared with ratio benchmarks that take it exclusively); the load
# average is printed at the start and the end of each size. Figures only: nothing
# passes or fails on a number; exit 1 only when it could not run.
# BENCH_MEMPF_CACHE=MB sets [retryd] store_cache_mb (default: the
# policy's default). Needs root, the user retryd and postfix_clone (make
# asan).
E2E_OPT=${E2E_OPT:-1}
. "$(dirname "$0")/../e2e/lib_e2e.sh"
. "$(dirname "$0")/lib_bench.sh"
SIZES=${BENCH_MEMPF_SIZES:-10000 100000 1000000}
WINDOW=${BENCH_MEMPF_WINDOW:-30}
FILL=$(cd "$(dirname "$0")" && pwd)/postfix_fill.sh
export POSTFIX_CLONE=${POSTFIX_CLONE:-$(cd "${RETRYD_ASAN_BUILD:-$E2E_LIB_DIR/../../build/asan}" 2>/dev/null && pwd)/tests/postfix_clone}
e2e_bins
e2e_ready || { echo "bench_mem_postfix: needs retryd, retryctl, postfix.so (make all), postfix, nsd, unbound"; exit 1; }
[ -x "$POSTFIX_CLONE" ] || { echo "bench_mem_postfix: $POSTFIX_CLONE missing (make asan)"; exit 1; }
[ "$(id -u)" = 0 ] && getent passwd retryd >/dev/null ||
	{ echo "bench_mem_postfix: needs root and the user retryd (privilege separation as deployed)"; exit 1; }
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo -; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
since_start() { tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log"; }
summaries() { since_start | grep ' pass: scanned='; }
full_listings() { since_start | grep -c ' scan: full listing: '; }
held_count() { find "$PF_QUEUE/hold" -type f | wc -l; }
# wait_until SECONDS STEP COMMAND...: poll until COMMAND succeeds.
wait_until() {
	local end=$((SECONDS + $1)) step=$2
	shift 2
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		kill -0 "$RPID" 2>/dev/null || return 1
		sleep "$step"
	done
}
all_held() { [ "$(held_count)" -ge "$1" ]; }
passes_past() { [ "$(status_passes)" -gt "$1" ]; }

# Copies of the binaries: a rebuild meanwhile changes nothing here.
e2e_init mempf ind
mkdir -p "$E2E_DIR/bin/plugins"
cp "$E2E_RETRYD" "$E2E_RETRYCTL" "$E2E_DIR/bin/" && cp "$E2E_PLUGIN_DIR"/*.so "$E2E_DIR/bin/plugins/"
E2E_RETRYD=$E2E_DIR/bin/retryd E2E_RETRYCTL=$E2E_DIR/bin/retryctl E2E_PLUGIN_DIR=$E2E_DIR/bin/plugins
e2e_domain_gone
dns_unbound_reset mta1

declare -A R
RPID=
# phase_lock / phase_unlock: the shared bench lock around a heavy phase
# (lib_bench.sh's bench_lock: held by a process of its own, not inherited
# by the Postfix or retryd started here).
phase_lock() {
	[ -n "${BENCH_LOCK:-}" ] || return 0
	bench_lock sh
	echo "  (shared lock $BENCH_LOCK taken $(date +%T), load $(loadavg))"
}
phase_unlock() { bench_lock un; }
run_size() {
	local N=$1 name="m$1" t0 passes0 passes off helper master
	echo "--- $N held messages (real Postfix queue)"
	echo "  uptime at start: $(uptime)"
	R[$N,load0]=$(loadavg)
	E2E_PF_NAME=$name
	E2E_RECONCILE_EVERY=0 E2E_TIER_EVERY=1h E2E_VERIFY_WINDOW=1h e2e_policy_write || return 1
	sed -i "s/^scan_interval = .*/scan_interval = 2s/; s/^\[retryd\]$/[retryd]\nuser = retryd/" "$E2E_POLICY"
	[ -n "${BENCH_MEMPF_CACHE:-}" ] &&
		sed -i "s/^\[retryd\]$/[retryd]\nstore_cache_mb = $BENCH_MEMPF_CACHE/" "$E2E_POLICY"
	echo "  store_cache_mb: $("$E2E_RETRYD" -c "$E2E_POLICY" -t | sed -n 's/^store_cache_mb = //p')"
	e2e_postfix_start "$name" 54 yes || { echo "  Postfix did not start"; return 1; }
	e2e_pf_use "$name"
	master=$PF_MASTER_PID
	phase_lock
	t0=$(now)
	"$FILL" "$PF_CONF" "$N" "$E2E_SENDER" "r@windowslive.test" 16 | sed 's/^/  /' ||
		{ echo "  postfix_fill failed"; return 1; }
	R[$N,fill]=$(fsub "$(now)" "$t0")
	R[$N,pfdisk]=$(du -sb "$PF_QUEUE" | awk -v n="$N" '{ printf "%.0f", $1 / n }')
	R[$N,listed_pf]=$(postqueue -c "$PF_CONF" -j | grep -c '"queue_name": "deferred"')
	phase_unlock
	phase_lock

	# adoption of the whole queue
	t0=$(now)
	e2e_retryd_start
	RPID=$E2E_RETRYD_PID
	wait_until 7200 5 all_held "$N" || echo "  only $(held_count) of $N held"
	R[$N,adopt]=$(fsub "$(now)" "$t0")
	R[$N,adopt_passes]=$(status_passes)
	R[$N,adopt_full]=$(full_listings)
	passes0=$(status_passes)
	wait_until 600 1 passes_past "$((passes0 + 1))"
	helper=$(pgrep -P "$RPID" | head -n 1)
	R[$N,rss_a]=$(hwm "$RPID")
	R[$N,hrss_a]=$(hwm "$helper")

	# everything held: CPU per pass, retryd (+ helper, + its commands) + Postfix
	bench_held_cpu "$N" "$WINDOW" "$RPID" "$master"
	passes=${R[$N,passes]}

	# one reconciliation: a reload makes the next pass list everything
	off=$(wc -l <"$E2E_DIR/retryd.log")
	t0=$(now)
	kill -HUP "$RPID"
	wait_until 3600 1 eval "tail -n +$((off + 1)) \"\$E2E_DIR/retryd.log\" | grep -q ' scan: full listing: '"
	R[$N,recon_t]=$(fsub "$(now)" "$t0")
	R[$N,recon]=$(tail -n +"$((off + 1))" "$E2E_DIR/retryd.log" | grep ' scan: full listing: ' | head -n 1 |
		sed 's/.*full listing: \([0-9]*\) messages\( (partial)\)\{0,1\} in \([0-9]*\) ms.*/\1\2 (\3 ms)/')
	R[$N,rss_r]=$(hwm "$RPID")
	R[$N,hrss_r]=$(hwm "$helper")
	R[$N,partial]=$(since_start | grep -c -E ' pass: scanned=.*\(partial\)| scan: full listing: [0-9]+ messages \(partial\)')
	R[$N,disk]=$(du -sb "$E2E_STATE" | awk -v n="$N" '{ printf "%.0f", $1 / n }')
	R[$N,errors]=$(since_start | grep -c -E ' (error|fatal)')
	e2e_retryd_stop
	RPID=
	R[$N,load1]=$(loadavg)
	echo "  filled in ${R[$N,fill]} s (postqueue -j lists ${R[$N,listed_pf]} deferred); Postfix queue ${R[$N,pfdisk]} B/message"
	echo "  adoption: ${R[$N,adopt]} s to $N held, ${R[$N,adopt_passes]} passes, ${R[$N,adopt_full]} full listings"
	echo "  held: $passes passes in $WINDOW s, ${R[$N,pass_cpu]} s CPU per pass (retryd + helper + commands; Postfix apart: ${R[$N,mta_cpu]} s)"
	echo "  reconciliation (SIGHUP): listed ${R[$N,recon]} in ${R[$N,recon_t]} s; partial listings since start: ${R[$N,partial]}"
	echo "  peak RSS after adoption: daemon ${R[$N,rss_a]} MB, helper ${R[$N,hrss_a]} MB;" \
		"after the reconciliation: daemon ${R[$N,rss_r]} MB, helper ${R[$N,hrss_r]} MB"
	echo "  state on disk ${R[$N,disk]} B per held message; error/fatal lines in retryd's log: ${R[$N,errors]}"
	since_start | grep -E ' (warning|error|fatal)' | sed 's/^[^ ]* //' | sort | uniq -c | sort -rn | head -3
	echo "  uptime at the end: $(uptime)"
	e2e_postfix_stop "$name"
	rm -rf "$E2E_DIR/pf-$name" "$E2E_STATE"
	phase_unlock
}

for n in $SIZES; do
	run_size "$n" || echo "  size $n: could not run to the end"
	[ -n "$RPID" ] && { kill "$RPID"; wait "$RPID"; RPID=; }
done
echo "--- real Postfix, held messages (MB; s; B/message)"
printf '%9s %9s %7s %5s %10s %9s %9s %9s %9s %9s %12s %8s %8s\n' held adopt_s passes full pass_cpu_s daemon_a helper_a daemon_r helper_r complete listed disk_B pf_B
for n in $SIZES; do
	[ -n "${R[$n,rss_r]:-}" ] || continue
	printf '%9s %9s %7s %5s %10s %9s %9s %9s %9s %9s %12s %8s %8s\n' "$n" "${R[$n,adopt]}" "${R[$n,adopt_passes]}" \
		"${R[$n,adopt_full]}" "${R[$n,pass_cpu]}" "${R[$n,rss_a]}" "${R[$n,hrss_a]}" "${R[$n,rss_r]}" "${R[$n,hrss_r]}" \
		"$([ "${R[$n,partial]}" = 0 ] && echo yes || echo no)" "${R[$n,recon]%% *}" "${R[$n,disk]}" "${R[$n,pfdisk]}"
done

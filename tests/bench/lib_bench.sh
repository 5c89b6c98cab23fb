# lib_bench.sh — what the scale benchmarks share (sourced after
# lib_e2e.sh): wall clock, load lines, the shared bench lock and the cost
# of one reconciliation. Benchmarks measure; nothing here passes or fails.

now() { date +%s.%N; }
fsub() { awk "BEGIN { printf \"%.2f\", $1 - $2 }"; }
load() { echo "  [$(date +%T) $1: load$(uptime | sed 's/.*load average://')]"; }

# bench_lock sh|x|un: BENCH_LOCK (a file) held shared (heavy phases),
# exclusive (a wall-time ratio) or released; nothing without BENCH_LOCK.
# The lock is held by a flock process of its own (-o: not even its child
# has it), not by a descriptor of this shell: no MTA or tail started by
# the bench inherits it, and it ends with the bench (flock's child checks
# every 2 s that the bench still runs).
BENCH_LOCK_PID=
bench_lock() {
	local fd
	[ -n "${BENCH_LOCK:-}" ] || return 0
	if [ -n "$BENCH_LOCK_PID" ]; then
		pkill -P "$BENCH_LOCK_PID" 2>/dev/null
		kill "$BENCH_LOCK_PID" 2>/dev/null
		while kill -0 "$BENCH_LOCK_PID" 2>/dev/null; do sleep 0.05; done
		BENCH_LOCK_PID=
	fi
	[ "$1" = un ] && return 0
	# flock -s (shared) or -x; "-sh" would be -s -h: flock's usage, no lock
	exec {fd}< <(exec flock -o "-${1:0:1}" "$BENCH_LOCK" sh -c 'echo locked; while kill -0 "$0" 2>/dev/null; do sleep 2; done' "$$")
	BENCH_LOCK_PID=$!
	read -r -u "$fd" _
	exec {fd}<&-
}

# status_passes: retryd's own pass counter (retryd.status). The log leaves
# out idle passes that repeat the last idle summary (daemon_report.c).
status_passes() { sed -n 's/^passes //p' "$E2E_STATE/retryd.status" 2>/dev/null || echo 0; }

# bench_wait_log_pass: wait (at most 600 s) for the first pass that read
# only the log, the steady held state.
bench_wait_log_pass() {
	local i
	for i in $(seq 1 600); do
		tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep ' pass: scanned=' | tail -n 1 | grep -q '(log)' && return 0
		sleep 1
	done
	return 1
}

# bench_mta_quiet MASTER: wait (at most BENCH_QUIET_MAX s, default 200)
# until the MTA's transient processes have exited: the delivery agents,
# cleanup, showq... of the last burst idle out after max_idle (100 s for
# Postfix), and their work would otherwise land in the held window. Only
# the long-lived ones (Postfix's qmgr, pickup, tlsmgr, postscreen, postlogd; an
# Exim daemon's own children) may stay. Prints how long it waited and
# what was left when it gave up.
bench_mta_quiet() {
	local left t0=$SECONDS
	while :; do
		left=$(pgrep -l -P "$1" | awk '$2 !~ /^(qmgr|pickup|tlsmgr|postscreen|postlogd)$/ { printf " %s", $2 }')
		[ -z "$left" ] || [ $((SECONDS - t0)) -ge "${BENCH_QUIET_MAX:-200}" ] && break
		sleep 1
	done
	echo "  MTA quiet after $((SECONDS - t0)) s${left:+ (still running:$left)}"
}

# bench_held_cpu N SECONDS RPID MASTER: once the MTA is quiet
# (bench_mta_quiet), for SECONDS the passes of the running retryd
# (R[N,passes]), the CPU per pass of retryd with its children (its
# helper, the MTA commands it runs: R[N,pass_cpu]) and, apart, of the
# MTA's own process tree (R[N,mta_cpu]): the MTA's idle work is not
# retryd's pass cost, and adding it in hid whose share grew.
bench_held_cpu() {
	local passes c0 c1 p0 p1
	bench_mta_quiet "$4"
	passes=$(status_passes)
	c0=$(e2e_tree_cpu "$3"); p0=$(e2e_tree_cpu "$4")
	sleep "$2"
	c1=$(e2e_tree_cpu "$3"); p1=$(e2e_tree_cpu "$4")
	passes=$(($(status_passes) - passes))
	R[$1,passes]=$passes
	R[$1,pass_cpu]=$(awk "BEGIN { printf \"%.4f\", ($c1 - $c0) / ($passes ? $passes : 1) }")
	R[$1,mta_cpu]=$(awk "BEGIN { printf \"%.4f\", ($p1 - $p0) / ($passes ? $passes : 1) }")
	R[$1,mta_hour]=$(awk "BEGIN { printf \"%.1f\", ($p1 - $p0) / $2 * 3600 }")
}

# bench_reconcile_cost N RPID [PID...]: one reconciliation (a reload asks
# for the full listing, made by the next pass): CPU of retryd and its
# children plus the process trees of PID... (the MTA) from the reload to
# the end of that pass, into R[N,recon_cpu], and its wall time into
# R[N,recon_t]. R must be an associative array of the caller's.
bench_reconcile_cost() {
	local n=$1 rpid=$2 off c0 t0 i p1= pid
	shift 2
	off=$(wc -l <"$E2E_DIR/retryd.log")
	c0=$(e2e_tree_cpu "$rpid")
	for pid in "$@"; do c0=$(awk "BEGIN { print $c0 + $(e2e_tree_cpu "$pid") }"); done
	t0=$(now)
	kill -HUP "$rpid"
	for i in $(seq 1 24000); do
		if [ -z "$p1" ]; then
			tail -n +"$((off + 1))" "$E2E_DIR/retryd.log" | grep -q ' reloaded ' && p1=$(status_passes)
		elif [ "$(status_passes)" -gt "$p1" ]; then
			break
		fi
		sleep 0.1
	done
	R[$n,recon_t]=$(fsub "$(now)" "$t0")
	local c1
	c1=$(e2e_tree_cpu "$rpid")
	for pid in "$@"; do c1=$(awk "BEGIN { print $c1 + $(e2e_tree_cpu "$pid") }"); done
	R[$n,recon_cpu]=$(awk "BEGIN { printf \"%.3f\", $c1 - $c0 }")
}

# bench_hour N: CPU per hour with retryd holding the queue, at the shipped
# defaults, from R[N,pass_cpu] (a pass that reads the log) and
# R[N,recon_cpu]/recon_t: 120 passes (30 s scans) and one reconciliation
# per reconcile_interval (1 h) or 100 x the listing's own duration if
# longer; plus the MTA's own idle work meanwhile (R[N,mta_hour]), as the
# plain MTA's figure counts its idle work too.
bench_hour() {
	awk "BEGIN { w = ${R[$1,recon_t]:-0} * 100; printf \"%.1f\", ${R[$1,pass_cpu]} * 120 + ${R[$1,recon_cpu]:-0} * 3600 / (w > 3600 ? w : 3600) + ${R[$1,mta_hour]:-0} }"
}

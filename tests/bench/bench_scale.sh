#!/bin/bash
# bench_scale.sh — issue 13: held mail at scale on a real Postfix, run by
# `make bench`. For each size N of BENCH_SCALE_SIZES (default
# "10000 100000"), in one run, on one Postfix instance (-O2 build, status
# filter: the domain's NXDOMAIN is deferred, not bounced) whose mail goes
# to windowslive.test (group microsoft), NXDOMAIN at the authoritative
# server while broken (retryd's verdict: domain, so it holds and waits):
#
#   plain Postfix: N messages deferred (postfix_fill.sh: real deferred
#     queue files cloned, when build/asan/tests/postfix_clone is built;
#     else smtp-source over SMTP, ~440 s per 100k); CPU of the
#     whole instance (master + every live daemon + the reaped ones) idle for
#     BENCH_SCALE_WINDOW s, and for one retry of the whole deferred queue
#     (postqueue -f, until N more deferrals are logged); its CPU per hour =
#     idle rate x 3600 + one retry x 3600 / maximal_backoff_time (the lab's
#     3600 s; Postfix's default is 4000 s: each message retried about once
#     an hour in the steady state, more while young, so this underestimates
#     plain Postfix's cost). Then the
#     fix (the domain published again, every resolver flushed) and
#     `postqueue -f`: time to the last of the N deliveries (maillog).
#   retryd: the DNS broken again, N more messages deferred; retryd starts
#     (tier 0s every 1h: nothing due while held, verify_window 5 s,
#     scan_interval BENCH_SCALE_INTERVAL, reconcile_interval 1h as
#     shipped): adoption time (start to N held); then everything held for
#     BENCH_SCALE_WINDOW s: retryd's CPU (with its children) plus the
#     instance's, per pass; then one reconciliation (a reload: its full
#     listing), its CPU; per hour at the defaults = 120 passes (30 s scans)
#     + one reconciliation (reconcile_interval 1h, or 100 x the listing's
#     duration when that is longer); then the fix: the domain watch,
#     which verifies a failing domain afresh every scan, sees it healthy,
#     makes every held message due, retryd releases them LIMIT_PASS_DUE a
#     pass back to back (hold files touched, postsuper -H, one deferred
#     queue scan asked of qmgr: postfix_kick.c): time from the fix to the
#     last delivery.
#   retryd's peak RSS (VmHWM of the daemon, which parses the streamed
#   listing, and of its privileged helper) and its state directory per held
#   message. retryd runs as it is deployed: privilege separation with
#   [retryd] user = retryd when that user exists (tests/deps.sh).
#   The load average is printed with each size and each recovery (the box
#   is shared); with BENCH_LOCK=FILE the run holds FILE shared and each
#   recovery (the wall-time ratio) exclusive.
# Sizes above BENCH_SCALE_ONE_QUEUE_ABOVE (default 100000, i.e. 1,000,000)
# run on one queue for both sides and measure what fits (run_one_queue).
# Then a growth table and the ratios the issue asks for. Benchmarks
# measure; nothing here passes or fails on a number. Exit 1 only when the
# benchmark could not run.
E2E_OPT=${E2E_OPT:-1}
. "$(dirname "$0")/../e2e/lib_e2e.sh"
. "$(dirname "$0")/lib_bench.sh"
SIZES=${BENCH_SCALE_SIZES:-10000 100000}
WINDOW=${BENCH_SCALE_WINDOW:-40}
# 0: skip plain Postfix's side / the recoveries (a quicker run of the
# held-mail figures: adoption, pass CPU, RSS, disk)
PLAIN=${BENCH_SCALE_PLAIN:-1}
RECOVERY=${BENCH_SCALE_RECOVERY:-1}
# sizes above this run the quick way (e.g. 10000: 10k in full, 100k held
# only, in one run that fits an hour)
QUICK_ABOVE=${BENCH_SCALE_QUICK_ABOVE:-0}
INTERVAL=${BENCH_SCALE_INTERVAL:-2}
# sizes above ONE_QUEUE_ABOVE (1,000,000: a whole retry or recovery of
# plain Postfix takes ~50 min here) run on ONE queue for both sides and
# measure what fits: plain Postfix's retry for at most RETRY_MAX s (its
# CPU per message x N), each recovery up to RECOVER_K deliveries or
# RECOVER_MAX s (run_one_queue)
ONE_QUEUE_ABOVE=${BENCH_SCALE_ONE_QUEUE_ABOVE:-100000}
RETRY_MAX=${BENCH_SCALE_RETRY_MAX:-300}
RECOVER_K=${BENCH_SCALE_RECOVER_K:-100000}
RECOVER_MAX=${BENCH_SCALE_RECOVER_MAX:-600}
# the fast real injector (tests/bench/postfix_fill.sh: real deferred queue
# files cloned) when its tool is built, else smtp-source; BENCH_LOCK
# (e.g. /work/notes/bench.lock): shared for the heavy phases, exclusive
# for each recovery (the wall-time ratio)
FILL=$(cd "$(dirname "$0")" && pwd)/postfix_fill.sh
[ -x "${POSTFIX_CLONE:-${RETRYD_ASAN_BUILD:-}/tests/postfix_clone}" ] || FILL=
LOCK=${BENCH_LOCK:-}
e2e_bins
postfix_lab_available || { echo "bench_scale: postfix is not installed (make deps)"; exit 1; }
e2e_ready || { echo "bench_scale: needs retryd, retryctl and postfix.so (make all)"; exit 1; }
command -v smtp-source >/dev/null || { echo "bench_scale: smtp-source missing"; exit 1; }


# Copies of the binaries: a rebuild meanwhile changes nothing here.
e2e_init scale ind
mkdir -p "$E2E_DIR/bin/plugins"
cp "$E2E_RETRYD" "$E2E_RETRYCTL" "$E2E_DIR/bin/" && cp "$E2E_PLUGIN_DIR"/*.so "$E2E_DIR/bin/plugins/"
E2E_RETRYD=$E2E_DIR/bin/retryd E2E_RETRYCTL=$E2E_DIR/bin/retryctl E2E_PLUGIN_DIR=$E2E_DIR/bin/plugins
PF_SINK_ADDR=$(dns_addr 25)
postfix_sink_start || { echo "bench_scale: smtp-sink did not start"; exit 1; }

break_dns() { e2e_domain_gone; dns_unbound_reset mta1; dns_unbound_reset ind; }
fix_dns() { e2e_domain_back; dns_unbound_reset mta1; dns_unbound_reset ind; }
# inject NAME N RCPT: N deferred messages: cloned from real ones
# (postfix_fill.sh), or over SMTP (smtp-source, 20 sessions) and then
# logged as deferred.
inject() {
	local left=$2 n port
	if [ -n "$FILL" ]; then
		"$FILL" "$PF_CONF" "$2" "$E2E_SENDER" "$3" | sed 's/^/  /'
		return "${PIPESTATUS[0]}"
	fi
	eval "port=\$E2E_SMTPD_PORT_$1"
	while [ "$left" -gt 0 ]; do
		n=$((left > 5000 ? 5000 : left))
		smtp-source -s 20 -m "$n" -f "$E2E_SENDER" -t "$3" "127.0.0.1:$port" || return 1
		left=$((left - n))
	done
	wait_status "$1" "$(echo "$3" | sed 's/[.]/\\./g')" "$2" 1800 deferred
}
status_count() { grep -c -E "to=<$2>,.* status=$3" "$(e2e_pf_log "$1")"; }
wait_status() { e2e_wait_count "$4" "$3" status_count "$1" "$2" "$5"; }
held_count() { find "$PF_QUEUE/hold" -type f | wc -l; }

declare -A R
# log_watch FILE REGEX: from the current end of FILE on, its lines
# matching REGEX go to $E2E_DIR/watch.lines (tail -F + grep of their own,
# no re-reading of a maillog of hundreds of MB); log_watched: how many so
# far; log_watch_end: stop both.
WATCH_PIDS=
log_watch() {
	local fd
	exec {fd}< <(exec tail -c +$(($(stat -c %s "$1") + 1)) -F "$1" 2>/dev/null)
	WATCH_PIDS=$!
	grep --line-buffered -E "$2" <&"$fd" >"$E2E_DIR/watch.lines" &
	WATCH_PIDS="$WATCH_PIDS $!"
	exec {fd}<&-
	lab_track "$WATCH_PIDS"
}
log_watched() { wc -l <"$E2E_DIR/watch.lines"; }
log_watch_end() { kill $WATCH_PIDS 2>/dev/null; wait $WATCH_PIDS 2>/dev/null; WATCH_PIDS=; }
# watch_until N SECONDS: wait (1 s polls) until N lines were watched or
# SECONDS passed; prints the elapsed time and the count.
watch_until() {
	local t0 n
	t0=$(now)
	while n=$(log_watched) && [ "$n" -lt "$1" ] && [ "$(fsub "$(now)" "$t0" | cut -d. -f1)" -lt "$2" ]; do sleep 1; done
	echo "$(fsub "$(now)" "$t0") $(log_watched)"
}
# wait_logged NAME RCPT STATUS N CMD...: CMD run, then wait (0.1 s polls,
# at most 1800 s) until N lines "to=<RCPT>, ... status=STATUS" were logged
# from then on. The maillog is followed (log_watch), not grepped whole
# at each poll: at 100k that grep took 13% of the box during both
# recoveries. fix_then CMD...: the fix, t0 taken, then CMD.
wait_logged() {
	log_watch "$(e2e_pf_log "$1")" "to=<$2>,.* status=$3"
	shift 3
	local n=$1 rc
	shift
	"$@"
	e2e_wait_count 1800 "$n" log_watched
	rc=$?
	log_watch_end
	return $rc
}
fix_then() { fix_dns; t0=$(now); "$@"; }
queue_busy() { [ -n "$(find "$PF_QUEUE/active" "$PF_QUEUE/incoming" -type f -print -quit)" ]; }
# settle SECONDS: wait until active/ and incoming/ are empty.
settle() { local i; for ((i = 0; i < $1; i++)); do queue_busy || return 0; sleep 1; done; return 1; }
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo -; }

# size_start NAME: an empty state directory, the policy (tier 0s every
# 1h, verify_window 5 s, scan every INTERVAL s, privilege separation when
# the user retryd exists),
# the DNS broken, Postfix instance NAME started (PF_* and PF_MASTER_PID).
size_start() {
	E2E_PF_NAME=$1
	# a fresh state directory per size: one left by the last size keeps
	# that instance's log position, so retryd would read this instance's
	# maillog from its start ("rotated") and adopt from the plain side's
	# deferrals messages delivered since (82,113 at 100k in one run)
	rm -rf "$E2E_DIR/state"
	E2E_RECONCILE_EVERY=0 E2E_TIER_EVERY=1h E2E_VERIFY_WINDOW=5s e2e_policy_write || return 1
	sed -i "s/^scan_interval = .*/scan_interval = ${INTERVAL}s/" "$E2E_POLICY"
	getent passwd retryd >/dev/null && sed -i "s/^\[retryd\]$/[retryd]\nuser = retryd/" "$E2E_POLICY"
	load "start"
	break_dns
	e2e_postfix_start "$1" 54 yes 4 || { echo "Postfix did not start"; return 1; }
	e2e_pf_use "$1"
}

run_size() {
	local N=$1 name="n$1" t0 t1 c0 c1 rpid passes i
	local PLAIN=$PLAIN RECOVERY=$RECOVERY
	[ "$QUICK_ABOVE" -gt 0 ] && [ "$N" -gt "$QUICK_ABOVE" ] && PLAIN=0 RECOVERY=0
	echo "--- $N held messages$([ "$PLAIN$RECOVERY" = 00 ] && echo ' (quick: held only)')"
	size_start "$name" || return 1
	local master=$PF_MASTER_PID

	# plain Postfix
	if [ "$PLAIN" = 1 ]; then
	t0=$(now)
	inject "$name" "$N" "p@windowslive.test" || { echo "  not all deferred"; return 1; }
	R[$N,inject]=$(fsub "$(now)" "$t0")
	c0=$(e2e_tree_cpu "$master"); sleep "$WINDOW"; c1=$(e2e_tree_cpu "$master")
	R[$N,pf_idle]=$(fsub "$c1" "$c0")
	c0=$(e2e_tree_cpu "$master"); t0=$(now)
	wait_logged "$name" 'p@windowslive\.test' deferred "$N" postqueue -c "$PF_CONF" -f
	sleep 2; c1=$(e2e_tree_cpu "$master")
	R[$N,pf_retry]=$(fsub "$c1" "$c0"); R[$N,pf_retry_t]=$(fsub "$(now)" "$t0")
	local backoff; backoff=$(postconf -c "$PF_CONF" -h maximal_backoff_time | tr -dc 0-9)
	R[$N,pf_hour]=$(awk "BEGIN { printf \"%.1f\", ${R[$N,pf_idle]} / $WINDOW * 3600 + ${R[$N,pf_retry]} * 3600 / ${backoff:-4000} }")
	bench_lock x; load "plain Postfix recovery (exclusive)"
	wait_logged "$name" 'p@windowslive\.test' sent "$N" fix_then postqueue -c "$PF_CONF" -f
	R[$N,pf_recover]=$(fsub "$(now)" "$t0")
	load "end"; bench_lock sh
	fi

	# retryd
	break_dns
	t0=$(now)
	inject "$name" "$N" "r@windowslive.test" || { echo "  not all deferred"; return 1; }
	R[$N,inject]=$(fsub "$(now)" "$t0")
	t0=$(now)
	e2e_retryd_start; rpid=$E2E_RETRYD_PID
	e2e_wait_count 1800 "$N" held_count
	R[$N,adopt]=$(fsub "$(now)" "$t0")
	# the adoption's last full listing (after a cap) is adoption, not a
	# held pass: measure from the first pass that read only the log
	bench_wait_log_pass
	sleep $((2 * INTERVAL + 2))
	local logged_before; logged_before=$(e2e_passes_since_start)
	bench_held_cpu "$N" "$WINDOW" "$rpid" "$master"
	passes=${R[$N,passes]}
	local logged=$(($(e2e_passes_since_start) - logged_before))
	R[$N,full_passes]=$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep ' pass: scanned=' | tail -n "$logged" | grep -c -v '(log)')
	bench_reconcile_cost "$N" "$rpid" "$master"
	R[$N,r_hour]=$(bench_hour "$N")
	if [ "$RECOVERY" = 1 ]; then
	bench_lock x; load "retryd recovery (exclusive)"
	wait_logged "$name" 'r@windowslive\.test' sent "$N" fix_then
	R[$N,r_recover]=$(fsub "$(now)" "$t0")
	load "end"; bench_lock sh
	fi
	R[$N,rss]=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$rpid/status")
	local helper; helper=$(pgrep -P "$rpid" | head -n 1)
	R[$N,rss_helper]=$([ -n "$helper" ] && awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$helper/status" || echo -)
	R[$N,load]=$(cut -d' ' -f1-3 /proc/loadavg)
	R[$N,disk]=$(du -sb "$E2E_STATE" | awk -v n="$N" '{ printf "%.0f", $1 / n }')
	e2e_retryd_stop
	echo "  injected and deferred: ${R[$N,inject]:--} s; adoption: ${R[$N,adopt]:--} s"
	echo "  plain Postfix: idle ${R[$N,pf_idle]:--} s CPU in ${WINDOW} s; one retry of the queue ${R[$N,pf_retry]:--} s CPU (${R[$N,pf_retry_t]:--} s); per hour ~${R[$N,pf_hour]:--} s"
	echo "  retryd held: $passes passes in ${WINDOW} s (${R[$N,full_passes]:--} full listings), ${R[$N,pass_cpu]:--} s CPU per pass" \
		"(retryd, its helper and commands; Postfix's own processes ${R[$N,mta_cpu]:--} s per pass beside)"
	echo "  one reconciliation (full listing after a reload): ${R[$N,recon_cpu]:--} s CPU, ${R[$N,recon_t]:--} s; per hour at 30 s scans + hourly reconciliation ~${R[$N,r_hour]:--} s"
	echo "  recovery: postqueue -f ${R[$N,pf_recover]:--} s, retryd ${R[$N,r_recover]:--} s (verify_window 5 s)"
	echo "  retryd peak RSS ${R[$N,rss]:--} MB (its privileged helper ${R[$N,rss_helper]:--} MB); state on disk ${R[$N,disk]:--} bytes per held message"
	echo "  load average at the end: ${R[$N,load]}"
	e2e_postfix_stop "$name"
}

# run_one_queue N: a size too big for two queues and whole recoveries
# (1,000,000): ONE queue of N deferred messages (postfix_fill.sh) serves
# both sides, in this order:
#   plain Postfix: idle CPU for WINDOW s; its retry of the queue
#     (postqueue -f) for at most RETRY_MAX s: CPU per retried message x N
#     = one retry of the whole queue (extrapolated when cut, printed with
#     the count); Postfix is then restarted to end the retry (qmgr puts
#     its active messages back, retried at once: waited for);
#   retryd: adoption of the whole queue, held passes, one reconciliation
#     (its full listing: size, complete or partial), as run_size;
#   recovery (exclusive lock): the fix, retryd's time to RECOVER_K
#     deliveries (or what RECOVER_MAX s allowed); retryd and Postfix
#     stopped, the rest made deferred again (postsuper -H ALL, untimed;
#     mail released but not yet delivered stays), Postfix started, then
#     `postqueue -f`: time to RECOVER_K
#     deliveries of that queue (N - what retryd delivered). The ratio is
#     of the times to the same count, or of the rates when a side was cut.
#   the daemon's peak RSS (VmHWM) at the end (adoption, reconciliation and
#   recovery behind it), state and Postfix queue on disk per message.
run_one_queue() {
	local N=$1 name="n$1" t0 c0 c1 rpid master passes off helper x log
	[ -n "$FILL" ] || { echo "  $N needs postfix_fill.sh (postfix_clone: make asan)"; return 1; }
	echo "--- $N held messages (one queue for both sides)"
	size_start "$name" || return 1
	master=$PF_MASTER_PID log=$(e2e_pf_log "$name")
	t0=$(now)
	inject "$name" "$N" "r@windowslive.test" || { echo "  not all deferred"; return 1; }
	R[$N,inject]=$(fsub "$(now)" "$t0")
	R[$N,pfdisk]=$(du -sb "$PF_QUEUE" | awk -v n="$N" '{ printf "%.0f", $1 / n }')

	# plain Postfix holding the queue: idle, then its own retry
	c0=$(e2e_tree_cpu "$master"); sleep "$WINDOW"; c1=$(e2e_tree_cpu "$master")
	R[$N,pf_idle]=$(fsub "$c1" "$c0")
	load "plain Postfix retry (at most $RETRY_MAX s)"
	log_watch "$log" 'to=<r@windowslive\.test>,.* status=deferred'
	c0=$(e2e_tree_cpu "$master"); t0=$(now)
	postqueue -c "$PF_CONF" -f
	watch_until "$N" "$RETRY_MAX" >/dev/null
	# the count and the time taken after the CPU reading (which takes
	# seconds with 50 smtp processes on a loaded box): CPU per message
	c1=$(e2e_tree_cpu "$master")
	R[$N,pf_retry_n]=$(log_watched) R[$N,pf_retry_t]=$(fsub "$(now)" "$t0")
	log_watch_end
	R[$N,pf_retry]=$(awk "BEGIN { n = ${R[$N,pf_retry_n]}; printf \"%.1f\", ($c1 - $c0) * $N / (n ? n : 1) }")
	local backoff; backoff=$(postconf -c "$PF_CONF" -h maximal_backoff_time | tr -dc 0-9)
	R[$N,pf_hour]=$(awk "BEGIN { printf \"%.1f\", ${R[$N,pf_idle]} / $WINDOW * 3600 + ${R[$N,pf_retry]} * 3600 / ${backoff:-4000} }")
	echo "  plain retry: ${R[$N,pf_retry_n]} of $N retried in ${R[$N,pf_retry_t]} s, $(fsub "$c1" "$c0") s CPU"
	if [ "${R[$N,pf_retry_n]}" -lt "$N" ]; then
		postfix_lab_stop
		postfix_lab_start || { echo "  Postfix did not start again"; return 1; }
		master=$PF_MASTER_PID
		settle 1800 || echo "  active/incoming not empty after 1800 s"
	fi

	# retryd: adoption, held passes, one reconciliation
	t0=$(now)
	e2e_retryd_start; rpid=$E2E_RETRYD_PID
	while [ "$(held_count)" -lt "$N" ] && kill -0 "$rpid" 2>/dev/null && [ "$(fsub "$(now)" "$t0" | cut -d. -f1)" -lt 3600 ]; do sleep 5; done
	R[$N,adopt]=$(fsub "$(now)" "$t0")
	R[$N,adopt_passes]=$(status_passes)
	echo "  adoption: $(held_count) of $N held after ${R[$N,adopt]} s, ${R[$N,adopt_passes]} passes"
	bench_wait_log_pass
	sleep $((2 * INTERVAL + 2))
	bench_held_cpu "$N" "$WINDOW" "$rpid" "$master"
	passes=${R[$N,passes]}
	off=$(wc -l <"$E2E_DIR/retryd.log")
	bench_reconcile_cost "$N" "$rpid" "$master"
	R[$N,r_hour]=$(bench_hour "$N")
	R[$N,listed]=$(tail -n +"$((off + 1))" "$E2E_DIR/retryd.log" | grep ' scan: full listing: ' | head -n 1 |
		sed 's/.*full listing: \([0-9]*\) messages\( (partial)\)\{0,1\} in \([0-9]*\) ms.*/\1\2 (\3 ms)/')
	helper=$(pgrep -P "$rpid" | head -n 1)
	R[$N,rss_recon]=$(hwm "$rpid")
	echo "  held: $passes passes in $WINDOW s; reconciliation listed ${R[$N,listed]:-?}; daemon VmHWM ${R[$N,rss_recon]} MB"

	# recovery, each side up to RECOVER_K deliveries (exclusive lock)
	local k=$((N < RECOVER_K ? N : RECOVER_K))
	R[$N,rec_n]=$k
	bench_lock x; load "retryd recovery, $k of $N (exclusive)"
	log_watch "$log" 'to=<r@windowslive\.test>,.* status=sent'
	fix_dns
	x=$(watch_until "$k" "$RECOVER_MAX")
	log_watch_end
	R[$N,r_recover]=${x% *} R[$N,r_recover_n]=${x#* }
	load "end"
	R[$N,rss]=$(hwm "$rpid")
	R[$N,rss_helper]=$(hwm "$helper")
	R[$N,partial]=$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" |
		grep -c -E ' pass: scanned=.*\(partial\)| scan: full listing: [0-9]+ messages \(partial\)')
	R[$N,disk]=$(du -sb "$E2E_STATE" | awk -v n="$N" '{ printf "%.0f", $1 / n }')
	e2e_retryd_stop
	# what retryd released and Postfix did not deliver yet stays in the
	# queue for plain Postfix (a restart puts active mail back)
	postfix_lab_stop
	t0=$(now); postsuper -c "$PF_CONF" -H ALL 2>/dev/null
	echo "  retryd and Postfix stopped; postsuper -H ALL of the rest: $(fsub "$(now)" "$t0") s (untimed)"
	local rest; rest=$(find "$PF_QUEUE/deferred" "$PF_QUEUE/active" "$PF_QUEUE/incoming" -type f | wc -l)
	postfix_lab_start || { echo "  Postfix did not start again"; return 1; }
	local kp=$((rest < k ? rest : k))
	load "plain Postfix recovery, $kp of $rest (exclusive)"
	log_watch "$log" 'to=<r@windowslive\.test>,.* status=sent'
	postqueue -c "$PF_CONF" -f
	x=$(watch_until "$kp" "$RECOVER_MAX")
	log_watch_end
	R[$N,pf_recover]=${x% *} R[$N,pf_recover_n]=${x#* }
	load "end"
	e2e_postfix_stop "$name"
	bench_lock sh
	R[$N,load]=$(cut -d' ' -f1-3 /proc/loadavg)
	R[$N,ratio]=$(awk "BEGIN { r = ${R[$N,r_recover]}; p = ${R[$N,pf_recover]}; rn = ${R[$N,r_recover_n]}; pn = ${R[$N,pf_recover_n]};
		if (rn >= $k && pn >= $k) printf \"%.2f\", r / p; else if (rn && pn) printf \"%.2f(rates)\", (pn / p) / (rn / r); else print \"-\" }")
	echo "  injected and deferred: ${R[$N,inject]} s (Postfix queue ${R[$N,pfdisk]} B/message); adoption: ${R[$N,adopt]} s"
	echo "  plain Postfix: idle ${R[$N,pf_idle]} s CPU in ${WINDOW} s; one retry of the queue ${R[$N,pf_retry]} s CPU" \
		"(measured over ${R[$N,pf_retry_n]} of $N in ${R[$N,pf_retry_t]} s$([ "${R[$N,pf_retry_n]}" -lt "$N" ] && echo ', x N / that count')); per hour ~${R[$N,pf_hour]} s"
	echo "  retryd held: $passes passes in ${WINDOW} s, ${R[$N,pass_cpu]} s CPU per pass" \
		"(retryd, its helper and commands; Postfix's own processes ${R[$N,mta_cpu]} s per pass beside)"
	echo "  one reconciliation (full listing after a reload): ${R[$N,recon_cpu]} s CPU, ${R[$N,recon_t]} s; per hour at 30 s scans + hourly reconciliation ~${R[$N,r_hour]} s"
	echo "  recovery: postqueue -f ${R[$N,pf_recover_n]} delivered in ${R[$N,pf_recover]} s, retryd ${R[$N,r_recover_n]} in ${R[$N,r_recover]} s (target count $k; verify_window 5 s) -> ${R[$N,ratio]}"
	echo "  retryd peak RSS ${R[$N,rss]} MB (after the reconciliation ${R[$N,rss_recon]} MB; its privileged helper ${R[$N,rss_helper]} MB);" \
		"partial listings since start: ${R[$N,partial]}; state on disk ${R[$N,disk]} bytes per held message"
	echo "  load average at the end: ${R[$N,load]}"
	t0=$(now); rm -rf "$PF_DIR" "$E2E_STATE"
	echo "  queue and state removed in $(fsub "$(now)" "$t0") s"
}

echo "bench_scale: $(uptime)"
echo "main $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?'), injection: $([ -n "$FILL" ] && echo "postfix_fill.sh (cloned real queue files)" || echo smtp-source), lock: ${LOCK:-none}"
bench_lock sh
for n in $SIZES; do
	if [ "$n" -gt "$ONE_QUEUE_ABOVE" ]; then
		run_one_queue "$n" || echo "  size $n: could not run to the end"
	else
		run_size "$n" || echo "  size $n: could not run to the end"
	fi
done
bench_lock un
echo "bench_scale: $(uptime)"
echo "--- growth table (load: 1/5/15 min at the end of each size; pass_cpu_s: retryd with its helper and commands per"
echo "    held pass; pf_own_s: Postfix's own processes meanwhile, per pass, apart; r_cpu_h_s counts both)"
printf '%9s %8s %10s %10s %11s %10s %10s %11s %8s %10s %10s %8s %7s %9s %s\n' held adopt_s pass_cpu_s pf_own_s recon_cpu_s recon_t_s r_cpu_h_s pf_cpu_h_s recov_n \
	r_recov_s pf_recov_s ratio rss_MB disk_B/msg load
for n in $SIZES; do
	[ -n "${R[$n,pass_cpu]:-}" ] || continue
	[ -n "${R[$n,ratio]:-}" ] || R[$n,ratio]=$(awk "BEGIN { r = \"${R[$n,r_recover]:-}\"; p = \"${R[$n,pf_recover]:-}\"; if (r == \"\" || p == \"\") print \"-\"; else printf \"%.2f\", r / p }")
	printf '%9s %8s %10s %10s %11s %10s %10s %11s %8s %10s %10s %8s %7s %9s %s\n' "$n" "${R[$n,adopt]:--}" "${R[$n,pass_cpu]:--}" "${R[$n,mta_cpu]:--}" "${R[$n,recon_cpu]:--}" \
		"${R[$n,recon_t]:--}" "${R[$n,r_hour]:--}" "${R[$n,pf_hour]:--}" "${R[$n,rec_n]:-$n}" "${R[$n,r_recover]:--}" "${R[$n,pf_recover]:--}" \
		"${R[$n,ratio]}" "${R[$n,rss]:--}" "${R[$n,disk]:--}" "${R[$n,load]:--}"
done
set -- $SIZES
for n in $SIZES; do
	[ "$n" != "$1" ] && [ -n "${R[$1,pass_cpu]:-}" ] && [ -n "${R[$n,pass_cpu]:-}" ] &&
		echo "pass CPU at $n / at $1: $(awk "BEGIN { printf \"%.2f\", ${R[$n,pass_cpu]} / ${R[$1,pass_cpu]} }") (target <= 2 for 100000 / 10000)"
	[ -n "${R[$n,r_hour]:-}" ] && [ -n "${R[$n,pf_hour]:-}" ] &&
		echo "at $n: retryd CPU/h / plain Postfix CPU/h = $(awk "BEGIN { printf \"%.2f\", ${R[$n,r_hour]} / (${R[$n,pf_hour]} > 0 ? ${R[$n,pf_hour]} : 0.01) }") (target <= 1)"
	[ "${R[$n,ratio]:--}" != - ] &&
		echo "at $n: recovery retryd / postqueue -f = ${R[$n,ratio]} over ${R[$n,rec_n]:-$n} deliveries (target <= 1.25 at 10k and 100k)"
	[ -n "${R[$n,partial]:-}" ] &&
		echo "at $n: daemon peak RSS ${R[$n,rss]} MB (target <= 64), listing $([ "${R[$n,partial]}" = 0 ] && echo complete || echo "PARTIAL ${R[$n,partial]} times") (${R[$n,listed]:-?})"
done
case " $SIZES " in *" 1000000 "*) ;; *) echo "not measured in this run: 1,000,000 held (BENCH_SCALE_SIZES=\"10000 100000 1000000\"; one queue, ~50 min here)" ;; esac

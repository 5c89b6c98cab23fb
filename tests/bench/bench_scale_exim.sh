#!/bin/bash
# bench_scale_exim.sh — issue 13: held mail at scale on a real Exim 4.96,
# run by `make bench` beside bench_scale.sh (Postfix). All sizes of
# BENCH_SCALE_EXIM_SIZES (default "10000 100000") in ONE run, printed side
# by side. Lab: -O2 build; contrib/exim applied (windowslive.test, group
# microsoft, in fail_defer_domains, so its NXDOMAIN defers); mail to
# windowslive.test, NXDOMAIN at the authoritative server while broken
# (retryd's verdict: domain, so it holds and waits).
#
# For each size N, three Exim instances, one configuration, one resolver,
# one sink (own spool and main log each): p (plain Exim, serial runner),
# q (plain Exim, BENCH_SCALE_EXIM_RUNNERS runners at once, only where
# recovery runs) and r (retryd's).
#   injection (tests/bench/exim_spool_clone.pl): BENCH_SCALE_EXIM_TEMPLATES
#     real messages submitted over SMTP (exim -bs -odb) and deferred (==)
#     by Exim itself, multiplied into N real spool messages (-H, -D,
#     msglog under new unique ids; tests/e2e/exim_spool_clone.t shows Exim
#     lists, retryd adopts and Exim delivers such clones). The clones have
#     no == line in the main log: retryd adopts them from its full listing
#     at start (reconciliation), not from log discovery.
#   plain Exim, on p:
#     - freeze and thaw of every id through exim.so (plugin_drive) against
#       one exim process per id on BENCH_SAMPLE ids, extrapolated (said
#       so); up to BENCH_SCALE_EXIM_FREEZE_MAX held; a wall-time ratio, so
#       measured after retryd's held window, just before recovery, in the
#       same BENCH_SCALE_EXIM_RATIO_LOCK hold of BENCH_LOCK (x,
#       exclusive, by default; sh when the machine cannot be had quiet:
#       the load is printed beside it); the CPU of both sides (with their
#       exim children) and its ratio are printed too;
#     - holding by domain instead (retryd's [exim] held_domains_file, p's
#       configuration has `hold_domains = +retryd_held` on an empty file):
#       hold = tests/tools/domhold_tool writes windowslive.test into the
#       file (retryd's own writer), release = it empties it; wall and CPU
#       beside the freeze/thaw sides, in the same lock hold; not timed:
#       an exim -q over the first 20 ids shows them held ("domain is
#       held", nothing delivered or bounced), and the CPU of one exim -q
#       over the domain-held queue (sampled as below) is printed beside
#       the one over the frozen queue: the trade-off of that mode;
#     - CPU of one queue run `exim -q` (retry times honoured: what a
#       Debian daemon's -q30m does; children included); plain Exim CPU/h
#       = 2 such runs. Here it routes every deferred message again (one
#       == line each: printed), ~30 ms of CPU a message, so above
#       BENCH_SCALE_EXIM_QRUN_SAMPLE messages the run covers only the
#       first that many ids (exim -q FIRST LAST, ids in byte order, as
#       Exim compares them) and is scaled to N (said so).
#   retryd, on r (tier 0s every 1h: nothing due while held; verify_window
#     5 s; scan_interval BENCH_SCALE_EXIM_INTERVAL; reconciliation as
#     shipped: reconcile_every 0, reconcile_interval 1h):
#     adoption time (start to N "frozen by root"); then, from the first
#     pass that reads only the log, everything held for
#     BENCH_SCALE_EXIM_WINDOW s: retryd's CPU with its children per pass;
#     one reconciliation (a reload: its full listing), CPU and wall time;
#     per hour at the defaults (30 s scans: 120 passes, one
#     reconciliation per hour or per 100 x its duration, lib_bench.sh's
#     bench_hour) plus what Exim's own runner still spends on the
#     frozen queue (exim -q, twice an hour; sampled as above: Exim's
#     runner forks a delivery process for every message, frozen or
#     not, queue.c); peak RSS (VmHWM) of daemon
#     and helper after adoption and after the window; state on disk per
#     held message.
#   recovery, for sizes from BENCH_SCALE_EXIM_RECOVER_MIN (default 0) up to
#     BENCH_SCALE_EXIM_RECOVER_MAX, all sides in one
#     exclusive hold of BENCH_LOCK (flock -x; other phases take it shared;
#     BENCH_SCALE_EXIM_RATIO_LOCK=sh: a shared one, said so):
#     retryd stopped (SIGSTOP); the fix (domain published, resolvers
#     flushed); exim -qff on p (time and CPU to the last => of N; only up
#     to BENCH_SCALE_EXIM_SERIAL_MAX, default RECOVER_MAX: one serial
#     runner at 100k is ~40 min); with RUNNERS > 1 as many exim -qff at
#     once on q, each over the whole queue, or with
#     BENCH_SCALE_EXIM_SPLIT=1 each over its own 1/RUNNERS of the ids
#     (exim -qff FIRST LAST, ids in byte order: no runner skips messages
#     another holds, the way Exim's own parallel runs are usually given
#     disjoint work); each side waits at most BENCH_SCALE_EXIM_RECOVER_WAIT
#     (and, with BENCH_SCALE_EXIM_DEADLINE, a time of day such as 17:00,
#     at most its share of the time left before it)
#     s (default 3600; then its runners are stopped, below the process
#     that counts their CPU, and the messages delivered by then are
#     printed with the rate; the serial side too); the resolvers flushed
#     again, retryd continued (SIGCONT): its domain watch sees the domain
#     healthy, makes every held message due, retryd delivers them (exim -M
#     batches, up to 8 exim at once): time to the last =>.
# Waits follow each instance's main log from the phase's first line (one
# tail -F and grep -m N): no whole-log grep per look.
# `uptime` is printed at the start and end of the run and of each phase.
# Benchmarks measure; nothing here passes or fails on a number. Exit 1
# only when the benchmark could not run.
E2E_OPT=${E2E_OPT:-1}
. "$(dirname "$0")/../e2e/lib_exim_e2e.sh"
. "$(dirname "$0")/lib_bench.sh"
SIZES=${BENCH_SCALE_EXIM_SIZES:-10000 100000}
WINDOW=${BENCH_SCALE_EXIM_WINDOW:-40}
INTERVAL=${BENCH_SCALE_EXIM_INTERVAL:-2}
SAMPLE=${BENCH_SAMPLE:-200}
RUNNERS=${BENCH_SCALE_EXIM_RUNNERS:-8}
TEMPLATES=${BENCH_SCALE_EXIM_TEMPLATES:-20}
RECOVER_MAX=${BENCH_SCALE_EXIM_RECOVER_MAX:-10000}
FREEZE_MAX=${BENCH_SCALE_EXIM_FREEZE_MAX:-10000}
QRUN_SAMPLE=${BENCH_SCALE_EXIM_QRUN_SAMPLE:-2000}
RECOVER_MIN=${BENCH_SCALE_EXIM_RECOVER_MIN:-0}
SERIAL_MAX=${BENCH_SCALE_EXIM_SERIAL_MAX:-$RECOVER_MAX}
SPLIT=${BENCH_SCALE_EXIM_SPLIT:-0}
RECOVER_WAIT=${BENCH_SCALE_EXIM_RECOVER_WAIT:-3600}
RATIO_LOCK=${BENCH_SCALE_EXIM_RATIO_LOCK:-x}
DEADLINE=${BENCH_SCALE_EXIM_DEADLINE:+$(date -d "$BENCH_SCALE_EXIM_DEADLINE" +%s)}
LOCK=${BENCH_LOCK:-}
DRIVE=${BENCH_PLUGIN_DRIVE:-$RETRYD_ASAN_BUILD/tests/plugin_drive}
DOMHOLD=${BENCH_DOMHOLD_TOOL:-$RETRYD_ASAN_BUILD/tests/domhold_tool}
CLONE=$(cd "$(dirname "$0")" && pwd)/exim_spool_clone.pl
e2e_bins
exim_lab_available || { echo "bench_scale_exim: no lab Exim (tests/lab/exim-install.sh)"; exit 1; }
e2e_exim_ready || { echo "bench_scale_exim: needs retryd, retryctl and exim.so (make all)"; exit 1; }
[ -x "$DRIVE" ] || { echo "bench_scale_exim: needs $DRIVE (make asan)"; exit 1; }
[ -x "$DOMHOLD" ] || { echo "bench_scale_exim: needs $DOMHOLD (make asan)"; exit 1; }
# exim_cpu ARGS...: run exim ARGS in the current instance's resolver
# namespace; print the CPU seconds of it and of everything it waited for.
exim_cpu() {
	perl -e 'system @ARGV; my @t = times; printf "%.3f\n", $t[2] + $t[3]' -- \
		unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$EXIM_RESOLV" "$EXIM_BIN" -C "$EXIM_CONF" "$@"
}
# cpu_of CMD...: run CMD (its standard output dropped, its errors
# kept); print the CPU seconds of it and of everything it waited for
cpu_of() {
	perl -e 'system @ARGV; my @t = times; open(my $o, ">&=", 3) or die; printf $o "%.3f\n", $t[2] + $t[3]' -- "$@" 3>&1 >/dev/null
}
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo -; }

echo "bench_scale_exim: sizes $SIZES; start $(uptime)"
# Copies of the binaries: a rebuild meanwhile changes nothing here.
export E2E_EXIM_MAIN_EXTRA="smtp_accept_queue_per_connection = 0"
e2e_init scale_exim ind
mkdir -p "$E2E_DIR/bin/plugins"
cp "$E2E_RETRYD" "$E2E_RETRYCTL" "$DOMHOLD" "$E2E_DIR/bin/" && cp "$E2E_PLUGIN_DIR"/*.so "$E2E_DIR/bin/plugins/"
DOMHOLD=$E2E_DIR/bin/$(basename "$DOMHOLD")
E2E_RETRYD=$E2E_DIR/bin/retryd E2E_RETRYCTL=$E2E_DIR/bin/retryctl E2E_PLUGIN_DIR=$E2E_DIR/bin/plugins
echo "bench_scale_exim: retryd $(git -C "$LAB_ROOT" rev-parse --short HEAD 2>/dev/null) ($E2E_RETRYD)"
e2e_sink_start || { echo "bench_scale_exim: smtp-sink did not start"; exit 1; }

break_dns() { e2e_domain_gone; dns_unbound_reset mta1; dns_unbound_reset ind; }
fix_dns() { e2e_domain_back; dns_unbound_reset mta1; dns_unbound_reset ind; }
lines() { local f; f=$(e2e_exim_log "$1"); if [ -f "$f" ]; then wc -l <"$f"; else echo 0; fi; }
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
	# a grep killed by timeout prints no count: count once from the log
	[ -n "$c" ] || c=$(tail -n +"$(($2 + 1))" "$(e2e_exim_log "$1")" | grep -E -c -- "$3")
	WAIT_COUNT=${c:-0}
	[ "${c:-0}" -ge "$4" ]
}
# kill_tree PID: PID and every process below it
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2>/dev/null
}
# stop_runner PID: PID runs exim_cpu (in the background): stop the exim
# processes below its perl, not the perl itself, which then still prints
# the CPU of what it waited for (a runner killed with the perl printed
# nothing: the cut side's CPU read 0.0)
stop_runner() {
	local c e
	for c in $(pgrep -P "$1"); do
		if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = perl ]; then
			for e in $(pgrep -P "$c"); do kill_tree "$e"; done
		else
			stop_runner "$c"
		fi
	done
}
# wait_kind NAME KIND TAG N SECONDS FROM: KIND lines after FROM
wait_kind() {
	local flag
	case $2 in delivered) flag='(=>|->)' ;; deferred) flag='==' ;; *) return 1 ;; esac
	wait_log "$1" "$6" "^[0-9-]+ [0-9:.]+ [0-9A-Za-z-]+ $flag [^ ]*($3[0-9]+-[0-9]+@windowslive\\.test)[^ ]* " "$4" "$5"
}
drive() {
	"$DRIVE" --binary "$EXIM_BIN" --config "$EXIM_CONF" --log-file "$EXIM_LOG" \
		--state-dir "$E2E_DIR/drivestate" "$E2E_PLUGIN_DIR/exim.so" "$@" 2>/dev/null
}

declare -A R
# inject NAME N TAG: Exim instance NAME (started), TEMPLATES real messages
# to TAG0-NNNNN@windowslive.test submitted over SMTP and deferred, then
# multiplied into N in all (TAG9-NNNNNN). Ids in $E2E_DIR/ids-NAME.
inject() {
	local name=$1 N=$2 tag=$3 T off t0 t1 tpl extra=$E2E_EXIM_MAIN_EXTRA
	T=$((N < TEMPLATES ? N : TEMPLATES))
	if [ "${name#p}" != "$name" ]; then
		# the plain queue can also be held by domain (freeze_ratio)
		: >"$E2E_DIR/held-$name"
		extra="$extra
domainlist retryd_held = $E2E_DIR/held-$name
hold_domains = +retryd_held"
	fi
	E2E_EXIM_MAIN_EXTRA=$extra e2e_exim_start "$name" 54 yes || { echo "  Exim $name: config refused"; return 1; }
	t0=$(now); off=$(lines "$name")
	E2E_EXIM_SUBMIT_MODE=-odb e2e_exim_smtp_submit "$name" "$T" "${tag}0-" windowslive.test >/dev/null
	wait_kind "$name" deferred "$tag" "$T" 600 "$off" || { echo "  Exim $name: templates not deferred"; return 1; }
	tpl=$(e2e_exim_queue "$name")
	echo "$tpl" >"$E2E_DIR/ids-$name"
	t1=$(now)
	if [ "$N" -gt "$T" ]; then
		# shellcheck disable=SC2086
		"$CLONE" "$EXIM_SPOOL" $((N - T)) "${tag}9-%06d@windowslive.test" $tpl >>"$E2E_DIR/ids-$name" || return 1
	fi
	R[$N,tpl]=$(fsub "$t1" "$t0")
	R[$N,clone]=$(fsub "$(now)" "$t1")
	[ "$(exim_cmd -bpc)" = "$N" ] || { echo "  Exim $name: exim -bpc says $(exim_cmd -bpc), not $N"; return 1; }
}

# freeze_ratio N: batched vs one process per id, on the plain queue
freeze_ratio() {
	local N=$1 t0 t1 t1b t2 c0 c1 ids=$E2E_DIR/ids-p$1
	mkdir -p "$E2E_DIR/drivestate"
	# LIMIT_BATCH_IDS (10,000) ids per plugin_drive: what exim.so runs
	# per batch anyway, and 100,000 ids do not fit one argv (E2BIG)
	load "freeze+thaw start ($RATIO_LOCK lock)"
	t0=$(now)
	c0=$(cpu_of xargs -n 10000 "$DRIVE" --binary "$EXIM_BIN" --config "$EXIM_CONF" --log-file "$EXIM_LOG" \
		--state-dir "$E2E_DIR/drivestate" "$E2E_PLUGIN_DIR/exim.so" hold <"$ids" 2>"$E2E_DIR/fz.err")
	[ -s "$E2E_DIR/fz.err" ] && echo "  freeze: plugin_drive hold: $(grep -v '^{' "$E2E_DIR/fz.err" | head -n 3)"
	t1=$(now)
	R[$N,fz_frozen]=$(exim_cmd -bpr | grep -c '\*\*\* frozen \*\*\*') # not timed
	t1b=$(now)
	c1=$(cpu_of xargs -n 10000 "$DRIVE" --binary "$EXIM_BIN" --config "$EXIM_CONF" --log-file "$EXIM_LOG" \
		--state-dir "$E2E_DIR/drivestate" "$E2E_PLUGIN_DIR/exim.so" release <"$ids" 2>"$E2E_DIR/fz.err")
	[ -s "$E2E_DIR/fz.err" ] && echo "  thaw: plugin_drive release: $(grep -v '^{' "$E2E_DIR/fz.err" | head -n 3)"
	t2=$(now)
	R[$N,fz_batch]=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 + $t2 - $t1b }")
	R[$N,fz_batch_cpu]=$(awk "BEGIN { printf \"%.2f\", $c0 + $c1 }")
	head -n "$SAMPLE" "$ids" >"$E2E_DIR/sample"
	export EXIM_BIN EXIM_CONF
	t0=$(now)
	# shellcheck disable=SC2016 # expanded by that sh
	c0=$(cpu_of sh -c 'while read -r id; do "$EXIM_BIN" -C "$EXIM_CONF" -Mf "$id"; done; ' <"$E2E_DIR/sample")
	# shellcheck disable=SC2016
	c1=$(cpu_of sh -c 'while read -r id; do "$EXIM_BIN" -C "$EXIM_CONF" -Mt "$id"; done; ' <"$E2E_DIR/sample")
	t1=$(now)
	R[$N,fz_one]=$(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) * $N / $SAMPLE }")
	domhold_ratio "$N"
	load "freeze+thaw end"
	R[$N,fz_load]=$(cut -d ' ' -f 1 /proc/loadavg)
	R[$N,fz_one_cpu]=$(awk "BEGIN { printf \"%.1f\", ($c0 + $c1) * $N / $SAMPLE }")
	R[$N,fz_ratio]=$(awk "BEGIN { printf \"%.0f\", ${R[$N,fz_one]} / ${R[$N,fz_batch]} }")
	R[$N,fz_cpu_ratio]=$(awk "BEGIN { printf \"%.0f\", ${R[$N,fz_one_cpu]} / (${R[$N,fz_batch_cpu]} > 0 ? ${R[$N,fz_batch_cpu]} : 0.01) }")
}

# domhold_ratio N: hold and release the N messages of p by domain (the
# held-domains file, retryd's writer), beside freeze_ratio's sides
domhold_ratio() {
	local N=$1 t0 t1 t1b t2 c0 c1 held=$E2E_DIR/held-p$1 off first last
	t0=$(now)
	c0=$(cpu_of "$DOMHOLD" "$held" add windowslive.test)
	t1=$(now)
	# not timed: Exim holds them now (20 ids tried, none frozen)
	off=$(lines "p$N")
	LC_ALL=C sort "$E2E_DIR/ids-p$N" >"$E2E_DIR/ids-sorted"
	first=$(head -n 1 "$E2E_DIR/ids-sorted")
	last=$(sed -n '20p' "$E2E_DIR/ids-sorted")
	exim_cmd -q "$first" ${last:+"$last"} >/dev/null 2>&1
	R[$N,dh_held]=$(tail -n +"$((off + 1))" "$(e2e_exim_log "p$N")" | grep -c ' defer (-23): domain is held$')
	R[$N,dh_gone]=$(tail -n +"$((off + 1))" "$(e2e_exim_log "p$N")" | grep -E -c ' (=>|\*\*) ')
	R[$N,dh_frozen]=$(exim_cmd -bpr | grep -c '\*\*\* frozen \*\*\*')
	qrun "$N" "p$N" ex_held_q # Exim's runner over the domain-held queue
	t1b=$(now)
	c1=$(cpu_of "$DOMHOLD" "$held" set)
	t2=$(now)
	R[$N,dh_wall]=$(awk "BEGIN { printf \"%.4f\", $t1 - $t0 + $t2 - $t1b }")
	R[$N,dh_cpu]=$(awk "BEGIN { printf \"%.4f\", $c0 + $c1 }")
	R[$N,dh_x_batch]=$(awk "BEGIN { printf \"%.0f\", ${R[$N,fz_batch]} / (${R[$N,dh_wall]} > 0 ? ${R[$N,dh_wall]} : 0.0001) }")
	R[$N,dh_x_one]=$(awk "BEGIN { printf \"%.0f\", ${R[$N,fz_one]} / (${R[$N,dh_wall]} > 0 ? ${R[$N,dh_wall]} : 0.0001) }")
}

# qrun N NAME KEY: CPU of one exim -q on instance NAME (current) in
# R[N,KEY] scaled to N, R[N,KEY_n] messages covered, R[N,KEY_tried]
# == lines it wrote. Above QRUN_SAMPLE messages: the first QRUN_SAMPLE
# ids in byte order only (exim -q FIRST LAST).
qrun() {
	local N=$1 name=$2 key=$3 off cpu m first last
	off=$(lines "$name")
	LC_ALL=C sort "$E2E_DIR/ids-$name" >"$E2E_DIR/ids-sorted"
	m=$(grep -c . "$E2E_DIR/ids-sorted")
	if [ "$m" -gt "$QRUN_SAMPLE" ]; then
		m=$QRUN_SAMPLE
		first=$(head -n 1 "$E2E_DIR/ids-sorted")
		last=$(sed -n "${m}p" "$E2E_DIR/ids-sorted")
		cpu=$(exim_cpu -q "$first" "$last")
	else
		cpu=$(exim_cpu -q)
	fi
	R[$N,${key}_n]=$m
	R[$N,${key}_tried]=$(tail -n +"$((off + 1))" "$(e2e_exim_log "$name")" | grep -c ' == ')
	R[$N,$key]=$(awk "BEGIN { printf \"%.1f\", $cpu * $N / $m }")
}

# side_wait SIDES: the seconds one of SIDES recovery sides still to run
# may wait: RECOVER_WAIT, or its share of the time left before DEADLINE
side_wait() {
	local w=$RECOVER_WAIT r
	if [ -n "$DEADLINE" ]; then
		r=$(((DEADLINE - $(date +%s)) / $1))
		[ "$r" -lt "$w" ] && w=$r
		[ "$w" -lt 10 ] && w=10
	fi
	echo "$w"
}

# recover N RPID: the exclusive phase (see the header)
recover() {
	local N=$1 rpid=$2 off t0 pids="" i sides=1
	[ "$N" -le "$SERIAL_MAX" ] && sides=$((sides + 1))
	[ "$RUNNERS" -gt 1 ] && sides=$((sides + 1))
	kill -STOP "$rpid"
	fix_dns
	if [ "$N" -le "$SERIAL_MAX" ]; then
		e2e_exim_use "p$N"; off=$(lines "p$N")
		dns_unbound_reset mta1; dns_unbound_reset ind; t0=$(now)
		exim_cpu -qff >"$E2E_DIR/cpu-qff" &
		i=$!
		wait_kind "p$N" delivered p "$N" "$(side_wait "$sides")" "$off"
		sides=$((sides - 1))
		R[$N,ex_recover]=$(fsub "$(now)" "$t0")
		R[$N,ex_n]=$WAIT_COUNT
		[ "$WAIT_COUNT" -lt "$N" ] && stop_runner "$i"
		wait "$i"
		R[$N,qff_cpu]=$(cat "$E2E_DIR/cpu-qff")
	fi
	if [ "$RUNNERS" -gt 1 ]; then
		e2e_exim_use "q$N"; off=$(lines "q$N")
		LC_ALL=C sort "$E2E_DIR/ids-q$N" >"$E2E_DIR/ids-sorted"
		local per=$(((N + RUNNERS - 1) / RUNNERS)) first last
		dns_unbound_reset mta1; dns_unbound_reset ind; t0=$(now)
		for ((i = 0; i < RUNNERS; i++)); do
			if [ "$SPLIT" = 1 ]; then
				first=$(sed -n "$((i * per + 1))p" "$E2E_DIR/ids-sorted")
				last=$(sed -n "$(((i + 1) * per))p" "$E2E_DIR/ids-sorted")
				[ -n "$first" ] || continue
				exim_cpu -qff "$first" ${last:+"$last"} >"$E2E_DIR/cpu-par$i" &
			else
				exim_cpu -qff >"$E2E_DIR/cpu-par$i" &
			fi
			pids="$pids $!"
		done
		wait_kind "q$N" delivered q "$N" "$(side_wait "$sides")" "$off"
		R[$N,ex_par]=$(fsub "$(now)" "$t0")
		R[$N,ex_par_n]=$WAIT_COUNT
		if [ "$WAIT_COUNT" -lt "$N" ]; then for i in $pids; do stop_runner "$i"; done; fi
		# shellcheck disable=SC2086
		wait $pids
		# one line per runner (cpu-qff, the serial side's, is not one)
		R[$N,par_cpu]=$(cat "$E2E_DIR"/cpu-par* | awk '{ s += $1; n++ } END { printf "%.1f", s }')
		R[$N,par_cpu_n]=$(cat "$E2E_DIR"/cpu-par* | grep -c .)
		rm -f "$E2E_DIR"/cpu-par*
	fi
	off=$(lines "r$N")
	dns_unbound_reset mta1; dns_unbound_reset ind; t0=$(now)
	local c0
	c0=$(e2e_tree_cpu "$rpid")
	kill -CONT "$rpid"
	wait_kind "r$N" delivered r "$N" "$(side_wait 1)" "$off"
	R[$N,r_recover]=$(fsub "$(now)" "$t0")
	R[$N,r_n]=$WAIT_COUNT
	R[$N,r_rec_cpu]=$(awk "BEGIN { printf \"%.1f\", $(e2e_tree_cpu "$rpid") - $c0 }")
}

run_size() {
	local N=$1 t0 c0 c1 rpid helper passes_before passes logged logged_before off
	echo "--- $N held messages"
	load "size $N start"
	bench_lock sh
	export E2E_EXIM_NAME=r$N
	rm -rf "$E2E_DIR/state"
	E2E_RECONCILE_EVERY=0 E2E_TIER_EVERY=1h E2E_VERIFY_WINDOW=5s e2e_exim_policy_write || return 1
	sed -i "s/^scan_interval = .*/scan_interval = ${INTERVAL}s/" "$E2E_POLICY"
	break_dns
	inject "p$N" "$N" p || return 1
	echo "  injected p$N: $TEMPLATES real in ${R[$N,tpl]} s, clones to $N in ${R[$N,clone]} s"
	if [ "$N" -le "$RECOVER_MAX" ] && [ "$N" -ge "$RECOVER_MIN" ] && [ "$RUNNERS" -gt 1 ]; then inject "q$N" "$N" q || return 1; fi
	inject "r$N" "$N" r || return 1
	R[$N,inject]=$(awk "BEGIN { printf \"%.1f\", ${R[$N,tpl]} + ${R[$N,clone]} }")
	load "injected"

	# plain Exim
	e2e_exim_use "p$N"
	qrun "$N" "p$N" ex_q
	R[$N,ex_hour]=$(awk "BEGIN { printf \"%.1f\", ${R[$N,ex_q]} * 2 }")
	load "plain Exim measured"

	# retryd
	e2e_exim_use "r$N"
	off=$(lines "r$N")
	t0=$(now)
	e2e_exim_retryd_start; rpid=$E2E_RETRYD_PID
	wait_log "r$N" "$off" ' frozen by root$' "$N" 3600
	R[$N,adopt]=$(fsub "$(now)" "$t0")
	helper=$(pgrep -P "$rpid" -x retryd | head -n 1)
	R[$N,rss_adopt]="$(hwm "$rpid")/$(hwm "$helper")"
	R[$N,adopt_passes]=$(status_passes)
	bench_wait_log_pass
	sleep $((2 * INTERVAL + 2))
	passes_before=$(status_passes)
	logged_before=$(e2e_passes_since_start)
	c0=$(e2e_tree_cpu "$rpid")
	sleep "$WINDOW"
	c1=$(e2e_tree_cpu "$rpid")
	passes=$(($(status_passes) - passes_before))
	logged=$(($(e2e_passes_since_start) - logged_before))
	R[$N,passes]=$passes
	R[$N,pass_cpu]=$(awk "BEGIN { printf \"%.4f\", ($c1 - $c0) / ($passes ? $passes : 1) }")
	R[$N,full_passes]=$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep ' pass: scanned=' |
		tail -n "$logged" | grep -c -v '(log)')
	R[$N,rss_held]="$(hwm "$rpid")/$(hwm "$helper")"
	R[$N,disk]=$(du -sb "$E2E_STATE" | awk -v n="$N" '{ printf "%.0f", $1 / n }')
	bench_reconcile_cost "$N" "$rpid"
	qrun "$N" "r$N" ex_frozen_q
	R[$N,r_hour]=$(awk "BEGIN { printf \"%.1f\", $(bench_hour "$N") + ${R[$N,ex_frozen_q]} * 2 }")
	load "retryd held"
	# the wall-time ratios, in one hold of the lock: freeze/thaw on the
	# plain queue p (retryd, held on r, idles meanwhile), then recovery
	if [ "$N" -le "$FREEZE_MAX" ] || { [ "$N" -le "$RECOVER_MAX" ] && [ "$N" -ge "$RECOVER_MIN" ]; }; then
		bench_lock "$RATIO_LOCK"
	fi
	if [ "$N" -le "$FREEZE_MAX" ]; then
		e2e_exim_use "p$N"
		freeze_ratio "$N"
	fi
	if [ "$N" -le "$RECOVER_MAX" ] && [ "$N" -ge "$RECOVER_MIN" ]; then
		load "recovery start ($RATIO_LOCK lock)"
		recover "$N" "$rpid"
		load "recovery end"
		R[$N,rss_end]="$(hwm "$rpid")/$(hwm "$helper")"
	fi
	bench_lock un
	e2e_retryd_stop
	echo "  submitted and deferred: $TEMPLATES real messages in ${R[$N,tpl]} s, multiplied to $N in ${R[$N,clone]} s"
	echo "  retryd's adoption (start to $N frozen): ${R[$N,adopt]} s, ${R[$N,adopt_passes]} passes"
	if [ -n "${R[$N,fz_ratio]:-}" ]; then
		echo "  freeze+thaw of $N ($RATIO_LOCK lock, load ${R[$N,fz_load]} at its end): batched (exim.so) ${R[$N,fz_batch]} s (${R[$N,fz_frozen]} frozen between)," \
			"one exim per id ~${R[$N,fz_one]} s (measured on $SAMPLE, extrapolated): ${R[$N,fz_ratio]}x;" \
			"CPU with the exim children ${R[$N,fz_batch_cpu]} s vs ~${R[$N,fz_one_cpu]} s: ${R[$N,fz_cpu_ratio]}x"
		echo "  hold+release by domain (held-domains file, retryd's writer, 2 writes): ${R[$N,dh_wall]} s wall, ${R[$N,dh_cpu]} s CPU:" \
			"${R[$N,dh_x_batch]}x faster than batched freeze+thaw, ${R[$N,dh_x_one]}x than one exim per id;" \
			"held: exim -q over 20 ids logged ${R[$N,dh_held]} 'domain is held', ${R[$N,dh_gone]} delivered/bounced, ${R[$N,dh_frozen]} frozen;" \
			"Exim's queue run over the domain-held queue ${R[$N,ex_held_q]} s CPU (run over ${R[$N,ex_held_q_n]}, scaled)"
	else
		echo "  freeze+thaw ratio: not measured above $FREEZE_MAX held (BENCH_SCALE_EXIM_FREEZE_MAX)"
	fi
	echo "  plain Exim: one queue run (exim -q, retry times honoured) ${R[$N,ex_q]} s CPU" \
		"(run over ${R[$N,ex_q_n]} of $N messages, scaled; it routed ${R[$N,ex_q_tried]} again: ==);" \
		"per hour (-q30m) ~${R[$N,ex_hour]} s"
	echo "  retryd held: $passes passes in ${WINDOW} s ($logged logged, ${R[$N,full_passes]} of them full listings), ${R[$N,pass_cpu]} s CPU" \
		"per pass (retryd + helper + its exim children); Exim's queue run over the frozen queue ${R[$N,ex_frozen_q]} s" \
		"(run over ${R[$N,ex_frozen_q_n]}, scaled);" \
		"one reconciliation (full listing after a reload) ${R[$N,recon_cpu]:--} s CPU, ${R[$N,recon_t]:--} s;" \
		"per hour at 30 s scans + hourly reconciliation ~${R[$N,r_hour]} s"
	echo "  peak RSS daemon/helper (MB): after adoption ${R[$N,rss_adopt]}, after the held window ${R[$N,rss_held]}" \
		"${R[$N,rss_end]:+, after recovery ${R[$N,rss_end]}}; state on disk ${R[$N,disk]} bytes per held message"
	if [ -n "${R[$N,r_recover]:-}" ]; then
		if [ -n "${R[$N,ex_recover]:-}" ]; then
			echo "  recovery: exim -qff ${R[$N,ex_recover]} s (${R[$N,qff_cpu]} s CPU, $(awk "BEGIN { printf \"%.1f\", ${R[$N,qff_cpu]} * 1000 / (${R[$N,ex_n]} > 0 ? ${R[$N,ex_n]} : 1) }") ms a delivery)"
			[ "${R[$N,ex_n]}" -lt "$N" ] && echo "  recovery: exim -qff delivered ONLY ${R[$N,ex_n]} of $N within ${R[$N,ex_recover]} s:" \
				"$(awk "BEGIN { printf \"%.1f\", ${R[$N,ex_n]} / ${R[$N,ex_recover]} }") msg/s"
		else
			echo "  recovery: serial exim -qff NOT RUN at $N (above BENCH_SCALE_EXIM_SERIAL_MAX=$SERIAL_MAX)"
		fi
		[ "${R[$N,r_n]}" -lt "$N" ] && echo "  recovery: retryd delivered ONLY ${R[$N,r_n]} of $N within ${R[$N,r_recover]} s:" \
			"$(awk "BEGIN { printf \"%.1f\", ${R[$N,r_n]} / ${R[$N,r_recover]} }") msg/s"
		[ -n "${R[$N,ex_par_n]:-}" ] && [ "${R[$N,ex_par_n]}" -lt "$N" ] && echo "  recovery: $RUNNERS exim -qff delivered ONLY" \
			"${R[$N,ex_par_n]} of $N within ${R[$N,ex_par]} s: $(awk "BEGIN { printf \"%.1f\", ${R[$N,ex_par_n]} / ${R[$N,ex_par]} }") msg/s"
		echo "  recovery: retryd ${R[$N,r_recover]} s (${R[$N,r_rec_cpu]} s CPU of retryd with its exim children; verify_window 5 s)${R[$N,ex_par]:+; $RUNNERS exim -qff at once$([ "$SPLIT" = 1 ] && echo ", each over 1/$RUNNERS of the ids,") ${R[$N,ex_par]} s (${R[$N,par_cpu]} s CPU, of ${R[$N,par_cpu_n]} runners)}"
	else
		echo "  recovery at $N: NOT RUN (outside BENCH_SCALE_EXIM_RECOVER_MIN..MAX=$RECOVER_MIN..$RECOVER_MAX)${MS_DELIVERY:+: at $MS_DELIVERY ms of Exim CPU a delivery (measured above), $N deliveries are $(awk "BEGIN { printf \"%.1f\", $MS_DELIVERY * $N / 60000 }") min of CPU per side, and the exclusive bench lock is held at most ~25 min}"
	fi
	[ -n "${R[$N,qff_cpu]:-}" ] && MS_DELIVERY=$(awk "BEGIN { printf \"%.1f\", ${R[$N,qff_cpu]} * 1000 / $N }")
	load "size $N end"
}

for n in $SIZES; do run_size "$n" || { bench_lock un; echo "  size $n: could not run to the end"; }; done
bench_lock un
echo "--- growth table (Exim)"
printf '%8s %8s %8s %8s %10s %9s %9s %9s %9s %7s %6s %13s %8s\n' held inject_s adopt_s passes pass_cpu_s r_cpu_h ex_cpu_h r_recov qff_s ratio frz_x rss_d/h_MB disk_B
for n in $SIZES; do
	[ -n "${R[$n,pass_cpu]:-}" ] || continue
	ratio=-
	[ -n "${R[$n,ex_recover]:-}" ] && ratio=$(awk "BEGIN { r = ${R[$n,r_n]}; q = ${R[$n,ex_n]}; if (r < 1 || q < 1) print \"-\"; else printf \"%.2f\", (${R[$n,r_recover]} / r) / (${R[$n,ex_recover]} / q) }")
	printf '%8s %8s %8s %8s %10s %9s %9s %9s %9s %7s %6s %13s %8s\n' "$n" "${R[$n,inject]}" "${R[$n,adopt]}" \
		"${R[$n,adopt_passes]}" "${R[$n,pass_cpu]}" "${R[$n,r_hour]}" "${R[$n,ex_hour]}" \
		"${R[$n,r_recover]:--}" "${R[$n,ex_recover]:--}" "$ratio" "${R[$n,fz_ratio]:--}" "${R[$n,rss_held]}" "${R[$n,disk]}"
done
# shellcheck disable=SC2086
set -- $(printf '%s\n' $SIZES | sort -n | sed -n '1p;$p')
if [ $# -ge 2 ] && [ -n "${R[$1,pass_cpu]:-}" ] && [ -n "${R[$2,pass_cpu]:-}" ]; then
	echo "pass CPU at $2 / at $1: $(awk "BEGIN { printf \"%.2f\", ${R[$2,pass_cpu]} / ${R[$1,pass_cpu]} }") (target <= 2)"
fi
for n in $SIZES; do
	[ -n "${R[$n,pass_cpu]:-}" ] || continue
	echo "at $n: retryd CPU/h / plain Exim CPU/h = $(awk "BEGIN { printf \"%.2f\", ${R[$n,r_hour]} / (${R[$n,ex_hour]} > 0 ? ${R[$n,ex_hour]} : 0.01) }") (target <= 1)"
	[ -n "${R[$n,ex_recover]:-}" ] && echo "at $n: recovery retryd / exim -qff =" \
		"$(awk "BEGIN { r = ${R[$n,r_n]}; q = ${R[$n,ex_n]}; if (r < 1 || q < 1) print \"-\"; else printf \"%.2f\", (${R[$n,r_recover]} / r) / (${R[$n,ex_recover]} / q) }")" \
		"(time per delivered message; ${R[$n,r_n]} and ${R[$n,ex_n]} of $n delivered) (target <= 1.25)"
	# time per delivered message: the ratio of times when both
	# finished, of rates when RECOVER_WAIT cut one
	[ -n "${R[$n,ex_par]:-}" ] && echo "at $n: recovery retryd / $RUNNERS exim -qff at once =" \
		"$(awk "BEGIN { r = ${R[$n,r_n]}; q = ${R[$n,ex_par_n]}; if (r < 1 || q < 1) print \"-\"; else printf \"%.2f\", (${R[$n,r_recover]} / r) / (${R[$n,ex_par]} / q) }")" \
		"(${R[$n,r_n]} and ${R[$n,ex_par_n]} of $n delivered) (same parallelism as retryd's exim -M$([ "$SPLIT" = 1 ] && echo "; runners on disjoint id ranges"))"
	[ -n "${R[$n,fz_ratio]:-}" ] && echo "at $n: freeze+thaw batched vs per id ${R[$n,fz_ratio]}x wall, ${R[$n,fz_cpu_ratio]}x CPU ($RATIO_LOCK lock, load ${R[$n,fz_load]}) (target >= 50)"
	[ -n "${R[$n,dh_wall]:-}" ] && echo "at $n: hold+release by domain ${R[$n,dh_wall]} s vs batched freeze+thaw ${R[$n,fz_batch]} s (${R[$n,dh_x_batch]}x) vs one exim per id ~${R[$n,fz_one]} s (${R[$n,dh_x_one]}x) (target >= 50 vs per id);" \
		"Exim's own queue run: over the domain-held queue ${R[$n,ex_held_q]} s CPU, over the frozen queue ${R[$n,ex_frozen_q]} s, plain ${R[$n,ex_q]} s;" \
		"so retryd CPU/h holding by domain ~$(awk "BEGIN { printf \"%.1f\", ${R[$n,r_hour]} + 2 * (${R[$n,ex_held_q]} - ${R[$n,ex_frozen_q]}) }") s" \
		"($(awk "BEGIN { printf \"%.2f\", (${R[$n,r_hour]} + 2 * (${R[$n,ex_held_q]} - ${R[$n,ex_frozen_q]})) / (${R[$n,ex_hour]} > 0 ? ${R[$n,ex_hour]} : 0.01) }") of plain Exim's; freezing: ${R[$n,r_hour]} s)"
done
echo "bench_scale_exim: end $(uptime)"

#!/bin/bash
# bench_mem.sh — issue 13: retryd's peak memory with N held messages, for
# each N of BENCH_MEM_SIZES (default "10000 100000 1000000"), side by side
# in one run. The real daemon (the -O2 build, postfix.so) runs as it is
# deployed: root starts it, privilege separation (a root helper runs the
# Postfix commands and streams postqueue's output; the daemon, as user
# retryd, parses it). What it talks to is built by tests/bench/bench_mem.c
# and says so:
#   - its store: N messages it holds, written by "bench_mem seed" in the
#     daemon's own format (the state a real adoption leaves);
#   - "postqueue -j" (first in PATH): a SYNTHETIC listing of the same N
#     held messages in Postfix 3.7's format, ~360 bytes each (not a real
#     Postfix queue: see bench_scale.sh for that, at 10k and 100k);
#   - "postsuper": reports every id it is given as held;
#   - the maillog: after the first full listing, BENCH_MEM_DISCOVER
#     (default 20,000, the discovery bound) "status=deferred" lines of new
#     messages, which the daemon discovers from the log and adopts (the
#     listing shows them deferred until postsuper held them).
# scan_interval 1 s, reconcile_every 3: full listings and log-only passes
# alternate. For each N it prints the peak RSS (VmHWM) of the daemon and
# of its helper after the first full listing and at the end (after the
# discovery, the adoption and BENCH_MEM_FULL complete listings, default
# 3), whether every full listing was complete (scanned=N, never
# "(partial)"), the time of a full pass and the store on disk per message.
# BENCH_MEM_CACHE sets [retryd] store_cache_mb (default: the policy's, 16)
# and the seeded environment's cache (the size is fixed at its creation).
# Figures only: nothing passes or fails on a number; exit 1 only when the
# benchmark could not run. Needs root and the user retryd (tests/deps.sh).
cd "$(dirname "$0")/../.." || exit 1
B=$(cd "${RETRYD_BUILD:-build}" 2>/dev/null && pwd) || { echo "bench_mem: no build (make bench)"; exit 1; }
TOOL=$B/bench/bench_mem
SIZES=${BENCH_MEM_SIZES:-10000 100000 1000000}
DISC=${BENCH_MEM_DISCOVER:-20000}
FULL=${BENCH_MEM_FULL:-3}
CACHE=${BENCH_MEM_CACHE:-} # store_cache_mb; empty: the default
[ -x "$TOOL" ] && [ -x "$B/retryd" ] && [ -f "$B/plugins/postfix.so" ] ||
	{ echo "bench_mem: $TOOL, $B/retryd or postfix.so not built (make bench)"; exit 1; }
[ "$(id -u)" = 0 ] && getent passwd retryd >/dev/null ||
	{ echo "bench_mem: needs root and the user retryd (privilege separation as deployed)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_mem.XXXXXX") || exit 1
chmod 755 "$TMP"
RPID=
trap '[ -n "$RPID" ] && kill "$RPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
TOOL=$(cd "$(dirname "$TOOL")" && pwd)/bench_mem

hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo -; }
# passes made (retryd.status; idle passes log no summary line)
passes() { awk '$1 == "passes" { print $2 + 0; f = 1 } END { if (!f) print 0 }' "$1/retryd.status" 2>/dev/null || echo 0; }
full_logged() { grep ' pass: scanned=' "$1" | grep -v -c '(log)'; }
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (0) or time is up (1).
wait_for() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		kill -0 "$RPID" 2>/dev/null || return 1
		sleep 0.5
	done
}
at_least() { [ "$($1 "$2")" -ge "$3" ]; }
# sum FIELD LOG: FIELD=N summed over the summary lines
sum() { awk -F"$1=" '/ pass: scanned=/ { split($2, a, ","); s += a[1] } END { print s + 0 }' "$2"; }
adopted() { sum adopted "$1"; }

declare -A R
run_size() {
	local N=$1 D="$TMP/n$1" t0 helper
	mkdir -p "$D/bin" "$D/state"
	echo "--- $N held messages"
	t0=$SECONDS
	"$TOOL" seed "$D/state" "$N" 0 "${CACHE:-0}" || return 1
	R[$N,seed]=$((SECONDS - t0))
	chown -R retryd: "$D/state"
	: >"$D/held"
	printf '#!/bin/sh\nexec %s postqueue %s 0 %s\n' "$TOOL" "$N" "$D/held" >"$D/bin/postqueue"
	printf '#!/bin/sh\nexec %s postsuper %s "$@"\n' "$TOOL" "$D/held" >"$D/bin/postsuper"
	chmod 755 "$D/bin/postqueue" "$D/bin/postsuper"
	: >"$D/maillog"
	cat >"$D/retryd.ini" <<EOF
[retryd]
mta = postfix
plugin_dir = $B/plugins
state_dir = $D/state
scan_interval = 1s
reconcile_every = 3
host_id = bench-mem
user = retryd
${CACHE:+store_cache_mb = $CACHE}
[postfix]
log_file = $D/maillog
[resolvers]
mta = 127.0.0.1:9
independent = 127.0.0.1:9
authoritative = no
tcp = no
timeout = 1s
verify_window = 1h
[backoff]
tier = 0s every 1h
give_up = 5d
jitter = 0%
[group microsoft]
domains = windowslive.test
EOF
	PATH="$D/bin:$PATH" "$B/retryd" -c "$D/retryd.ini" -f >"$D/log" 2>&1 &
	RPID=$!
	t0=$SECONDS
	if ! wait_for 3600 at_least full_logged "$D/log" 1; then
		echo "  no full listing (see below)"; tail -5 "$D/log"; return 1
	fi
	R[$N,first]=$((SECONDS - t0))
	helper=$(pgrep -P "$RPID" | head -n 1)
	R[$N,rss1]=$(hwm "$RPID"); R[$N,hrss1]=$(hwm "$helper")
	# new deferrals, seen only in the log: discovered, adopted, then listed
	printf '#!/bin/sh\nexec %s postqueue %s %s %s\n' "$TOOL" "$N" "$DISC" "$D/held" >"$D/bin/postqueue"
	"$TOOL" maillog "$N" "$DISC" >>"$D/maillog"
	wait_for 3600 eval '[ "$(adopted "$D/log")" -ge "$DISC" ]' ||
		echo "  adopted only $(adopted "$D/log") of $DISC discovered"
	# reconcile_every 3: FULL more full listings in 3 x FULL passes
	local p0; p0=$(passes "$D/state")
	wait_for 3600 at_least passes "$D/state" $((p0 + 3 * FULL)) ||
		echo "  fewer than $((3 * FULL)) more passes"
	R[$N,rss]=$(hwm "$RPID"); R[$N,hrss]=$(hwm "$helper")
	R[$N,passes]=$(passes "$D/state"); R[$N,full]=$(full_logged "$D/log")
	R[$N,partial]=$(grep -c ' pass: scanned=.*(partial)' "$D/log")
	R[$N,scanned]=$(grep ' pass: scanned=' "$D/log" | grep -v '(log)' | tail -n 1 | sed 's/.*scanned=\([0-9]*\).*/\1/')
	R[$N,adopted]=$(adopted "$D/log"); R[$N,gone]=$(sum gone "$D/log")
	R[$N,time]=$((SECONDS - t0))
	kill "$RPID"; wait "$RPID"; RPID=
	R[$N,disk]=$(du -sb "$D/state" | awk -v n=$((N + DISC)) '{ printf "%.0f", $1 / n }')
	echo "  store seeded in ${R[$N,seed]} s; first full listing after ${R[$N,first]} s"
	echo "  peak RSS after the first full listing: daemon ${R[$N,rss1]} MB, helper ${R[$N,hrss1]} MB"
	echo "  peak RSS at the end: daemon ${R[$N,rss]} MB, helper ${R[$N,hrss]} MB" \
		"(${R[$N,passes]} passes, ${R[$N,full]} full listings logged, ${R[$N,partial]} partial; last listed ${R[$N,scanned]};" \
		"adopted from the log ${R[$N,adopted]} of $DISC; marked gone ${R[$N,gone]}, must be 0)"
	echo "  state on disk ${R[$N,disk]} bytes per held message"
	grep -E ' (warning|error|fatal)' "$D/log" | sort | uniq -c | sort -rn | head -5
	rm -rf "$D"
}

echo "bench_mem: the real daemon with privilege separation; its store seeded," \
	"the listing SYNTHETIC (bench_mem postqueue), discovery from a written maillog"
for n in $SIZES; do run_size "$n" || echo "  size $n: could not run to the end"; done
echo "--- memory table (MB; complete = every full listing complete)"
printf '%9s %13s %13s %11s %11s %9s %9s %11s\n' held daemon_first helper_first daemon_end helper_end complete listed disk_B/msg
for n in $SIZES; do
	[ -n "${R[$n,rss]:-}" ] || continue
	printf '%9s %13s %13s %11s %11s %9s %9s %11s\n' "$n" "${R[$n,rss1]}" "${R[$n,hrss1]}" "${R[$n,rss]}" \
		"${R[$n,hrss]}" "$([ "${R[$n,partial]}" = 0 ] && echo yes || echo no)" "${R[$n,scanned]}" "${R[$n,disk]}"
done

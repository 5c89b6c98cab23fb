#!/bin/bash
# postfix_plugin.t — postfix.so against a real Postfix 3.7 (private instance,
# loopback) and Postfix's own smtp-sink.
#
# Messages are relayed to [127.$LAB_NET.0.25]:25 where nothing listens yet
# (deferred, "Connection refused"). Through tests/tools/plugin_drive: scan
# (exact count, recipients, reasons), hold (in the hold queue; Postfix does
# not deliver them even after the sink starts and a flush), deliver a chosen
# subset (exactly those reach the sink, the others stay held), outcomes (from
# the maillog, once), give back with expire (returned to the sender once),
# give back with release, and hostile ids refused before postsuper runs. A
# second instance on another net runs beside the first. Figures (# diag):
# scan of 1,000 messages, hold+release of 1,000 batched vs one postsuper per
# id, deliver of 1,000 through the flush service per id
# (RETRYD_POSTFIX_KICK=0) with one postqueue -i at a time vs
# POSTFIX_FLUSH_CONCURRENCY at once, then by the default (hold files
# touched, released, one deferred queue scan asked of qmgr) (each round:
# exactly the 1,000 retried, the two other deferred messages not), then 500
# of the 1,000 delivered to the sink the default way: exactly those arrive,
# the other 500 stay held. POSTFIX_FLUSH_SWEEP="1 2 4 8 16" measures more.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix.sh"

DRIVE=$RETRYD_ASAN_BUILD/tests/plugin_drive
PLUGIN=$RETRYD_ASAN_BUILD/plugins/postfix.so
postfix_lab_available || skip_all "Postfix not installed (tests/deps.sh)"
[ -x "$DRIVE" ] && [ -f "$PLUGIN" ] || skip_all "build plugin_drive and postfix.so first (make asan)"
command -v jq >/dev/null || skip_all "jq missing (tests/deps.sh)"
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || skip_all "no smtp-sink"

lab_init postfix_plugin
postfix_lab_init
STATE=$LAB_DIR/state
SINK=$LAB_DIR/sink
mkdir -p "$STATE"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
postfix_lab_start || { echo "Bail out! postfix did not start"; exit 1; }

drive() {
	"$DRIVE" --config-dir "$PF_CONF" --log-file "$PF_LOG" --state-dir "$STATE" \
		"$PLUGIN" "$@"
}
done_of() { printf '%s\n' "$1" | jq -s -r '[.[] | select(has("done")) | .done] | add // "none"'; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
sorted() { tr ' ' '\n' | grep . | sort | tr '\n' ' '; }
sink_count() { find "$SINK" -type f 2>/dev/null | wc -l; }
# the number of postsuper runs Postfix logged (each logs a summary line)
postsuper_runs() { grep -c 'postsuper\[[0-9]*\]: \(Placed on\|Released from\|Force-expired\)' "$PF_LOG"; }
sleep_log() { sleep 0.3; } # postlogd writes asynchronously

# the first open remembers where the log ends: only what follows counts
out=$(drive outcomes)
is "$(printf '%s\n' "$out" | jq -r '.outcomes')" 0 "outcomes before any mail: none"
ok "$([ -s "$STATE/plugin_drive.pos" ] && [ ! -e "$STATE/postfix-log.offset" ]; echo $?)" \
	"the position is the host's (plugin_drive.pos), the plugin saves none"

# ---- a queue with deferred mail ----
m1=$(postfix_submit alice@lab.test u1@hotmail.test u2@live.test)
m2=$(postfix_submit '<>' u3@outlook.test)
m3=$(postfix_submit bob@lab.test u4@msn.test)
m4=$(postfix_submit bob@lab.test u5@hotmail.test)
m5=$(postfix_submit carol@lab.test u6@live.test)
all="$m1 $m2 $m3 $m4 $m5"
is "$(echo $all | wc -w)" 5 "five messages queued"
wait_for 10 bash -c "[ \$(grep -c 'status=deferred (connect to $PF_SINK_ADDR' '$PF_LOG') -ge 6 ]"
is "$(postfix_count_status deferred)" 6 "six recipients deferred by the real Postfix"

# ---- scan ----
out=$(drive scan)
is "$?" 0 "scan runs"
scan=$(printf '%s\n' "$out" | jq -c 'select(.queue_id != null)')
is "$(printf '%s\n' "$scan" | grep -c .)" 5 "scan lists exactly 5 messages"
is "$(printf '%s\n' "$out" | jq -r 'select(has("complete")) | "\(.complete) \(.skipped)"')" \
	"true 0" "listing complete, nothing skipped"
is "$(printf '%s\n' "$scan" | jq -r '.queue_id' | sorted)" "$(echo $all | sorted)" "the right ids"
is "$(printf '%s\n' "$scan" | jq -r "select(.queue_id == \"$m1\") | [.rcpts[].address] | join(\",\")")" \
	"u1@hotmail.test,u2@live.test" "m1 has both recipients"
is "$(printf '%s\n' "$scan" | jq -r "select(.queue_id == \"$m2\") | .sender")" "" \
	"null sender (showq: MAILER-DAEMON) is empty"
is "$(printf '%s\n' "$scan" | jq -r "select(.queue_id == \"$m3\") | .sender")" "bob@lab.test" "m3 sender"
is "$(printf '%s\n' "$scan" | jq -r '.rcpts[].reason' | sort | uniq -c | sed 's/^ *//')" \
	"6 connect to $PF_SINK_ADDR[$PF_SINK_ADDR]:25: Connection refused" \
	"each of the 6 recipients has its delay reason"
is "$(printf '%s\n' "$scan" | jq -r 'select(.deferred == true and .held == false) | .queue_id' | wc -l)" 5 \
	"all in the deferred queue, none held"
arrival=$(printf '%s\n' "$scan" | jq -r "select(.queue_id == \"$m1\") | .arrival")
ok "$([ $((arrival - $(date +%s))) -le 1 ] && [ $(($(date +%s) - arrival)) -le 60 ] && echo 0 || echo 1)" \
	"arrival time is now-ish ($arrival)"

# ---- hold ----
unknown=DEADBEEF12 # a valid id no message has
out=$(drive hold $all $unknown)
is "$(done_of "$out")" 5 "hold: 5 confirmed by postsuper (the unknown id not counted)"
is "$(postfix_queue_ids hold | sorted)" "$(echo $all | sorted)" "all five in Postfix's hold queue"
scan=$(drive scan | jq -c 'select(.queue_id != null)')
is "$(printf '%s\n' "$scan" | jq -r 'select(.held == true) | .queue_id' | wc -l)" 5 "scan shows them held"

# ---- held mail is not delivered, even after the sink starts and a flush ----
postfix_sink_start "$SINK" || diag "smtp-sink did not start"
postfix_cmd postqueue -f
sleep 1
is "$(sink_count)" 0 "postqueue -f with the sink up: nothing delivered"
is "$(postfix_queue_ids hold | wc -l)" 5 "still 5 held"

# ---- deliver a chosen subset ----
out=$(drive deliver $m1 $m3)
is "$(done_of "$out")" 2 "deliver: 2 released (confirmed by postsuper)"
wait_for 10 bash -c "[ \$(find '$SINK' -type f | wc -l) -ge 2 ]"
sleep 0.5
is "$(sink_count)" 2 "the sink received exactly 2 messages"
# smtp-sink -d writes each message with an X-Rcpt-Args header per RCPT
is "$(cat "$SINK"/* | grep -c '^X-Rcpt-Args:')" 3 "...with 3 recipients"
is "$(cat "$SINK"/* | sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' | sorted)" \
	"u1@hotmail.test u2@live.test u4@msn.test " "...the right ones"
is "$(postfix_queue_ids | sorted)" "$(echo $m2 $m4 $m5 | sorted)" "m1 and m3 left the queue"
is "$(postfix_queue_ids hold | wc -l)" 3 "the other three stay held"

# ---- outcomes ----
out=$(drive outcomes $m1 $m3)
is "$(printf '%s\n' "$out" | jq -r 'select(.status == "delivered") | .address' | sorted)" \
	"u1@hotmail.test u2@live.test u4@msn.test " "outcomes: the 3 recipients delivered"
is "$(printf '%s\n' "$out" | jq -r 'select(.status == "delivered") | .dsn' | sort -u)" "2.0.0" "dsn 2.0.0"
is "$(printf '%s\n' "$out" | jq -r 'select(.status == "delivered") | .text' | sort -u)" "250 2.0.0 Ok" \
	"the sink's reply as text"
is "$(printf '%s\n' "$out" | jq -r 'select(.status == "deferred") | .queue_id' | sort -u | sorted)" \
	"$(echo $m1 $m3 | sorted)" "the earlier defers of m1 and m3 are reported too"
is "$(printf '%s\n' "$out" | jq -r 'select(.queue_id != null) | .queue_id' | grep -c -e "$m2" -e "$m4" -e "$m5")" 0 \
	"only the ids asked for"
out=$(drive outcomes $m1 $m3)
is "$(printf '%s\n' "$out" | jq -r '.outcomes // empty')" 0 "outcomes are not reported twice"

# ---- give back: expire (returned to the sender now) ----
out=$(drive giveback expire $m4)
is "$(done_of "$out")" 1 "giveback expire: confirmed"
wait_for 10 grep -q "$m4: from=<bob@lab.test>, status=force-expired, returned to sender" "$PF_LOG"
wait_for 10 bash -c "[ \$(find '$SINK' -type f | wc -l) -ge 3 ]"
sleep 0.5
is "$(grep -c "$m4: from=<.*returned to sender" "$PF_LOG")" 1 "m4 returned to its sender once"
is "$(cat "$SINK"/* | grep -c '^X-Rcpt-Args: <bob@lab.test>')" 1 "the bounce reached the sender (via the sink)"
is "$(postfix_queue_ids | grep -c "$m4")" 0 "m4 left the queue"
out=$(drive outcomes $m4)
is "$(printf '%s\n' "$out" | jq -r "select(.queue_id == \"$m4\") | \"\(.status)|\(.address)|\(.text)\"")" \
	"bounced||force-expired, returned to sender" "outcomes: m4 bounced once (whole message)"

# ---- give back: release; release ----
out=$(drive giveback release $m2)
is "$(done_of "$out")" 1 "giveback release: confirmed"
is "$(postfix_queue_ids deferred | grep -c "$m2")" 1 "m2 back in the deferred queue"
out=$(drive release $m5 $m5)
is "$(done_of "$out")" 1 "release: m5 once, even named twice"
is "$(postfix_queue_ids hold | wc -l)" 0 "nothing held any more"

# ---- hostile ids: refused before postsuper runs ----
sleep_log
for bad in ALL -x -h -d -- '' all 'DEADBEEF12;' "$(printf 'DEADBEEF12\nALL')" \
	"DEADBEEF12 -d" deadbeef12 4jcXtg1bpAz1bZ8Q 123456789ABCDEF0123456 ../x; do
	for op in hold release deliver "giveback expire"; do
		before=$(postsuper_runs)
		drive $op "$m5" "$bad" >/dev/null 2>&1
		rc=$?
		sleep 0.05
		ok "$([ $rc = 1 ] && [ "$(postsuper_runs)" = "$before" ] && echo 0 || echo 1)" \
			"$op with id '$(printf '%s' "$bad" | tr '\n' '|')' refused, postsuper not run"
	done
done
before=$(postsuper_runs)
drive hold "$unknown" >/dev/null 2>&1
sleep_log
ok "$([ "$(postsuper_runs)" -gt "$before" ] && echo 0 || echo 1)" \
	"(the witness works: a valid unknown id does run postsuper)"
is "$(postfix_queue_ids deferred | grep -c "$m5")" 1 "m5 untouched"
out=$(drive outcomes ALL 2>/dev/null)
is "$?" 1 "outcomes refuses a bad id too"

# ---- a second instance beside the first (no shared state) ----
(
	exec 9>&-
	lab_claim_net
	PF2=$LAB_DIR/postfix2
	postfix_lab_init "$PF2"
	postfix_lab_start >/dev/null 2>&1 || { echo FAIL-START; exit 1; }
	id=$(postfix_submit dave@lab.test u7@hotmail.test)
	sleep 0.5
	echo "net=$LAB_NET master=$PF_MASTER_PID id=$id queue=$(postfix_queue_ids | tr '\n' ' ')"
	postfix_lab_stop
) >"$LAB_DIR/second.out" 2>&1
second=$(cat "$LAB_DIR/second.out")
id2=$(sed -n 's/.* id=\([^ ]*\) .*/\1/p' <<<"$second")
ok "$([ -n "$id2" ] && grep -q "queue=$id2 " <<<"$second" && echo 0 || echo 1)" \
	"second instance ran on its own net and queue ($second)"
is "$(postfix_queue_ids | grep -c "^$id2\$")" 0 "...its message is not in the first instance's queue"
ok "$([ "$(postfix_master_pid)" = "$PF_MASTER_PID" ] && echo 0 || echo 1)" "first instance's master still up"
like "$(grep -c "u7@hotmail.test" "$PF_LOG")" '^0$' "...and its log untouched by the second"

# ---- figures: 1,000 messages ----
kill "$PF_SINK_PID" 2>/dev/null; wait "$PF_SINK_PID" 2>/dev/null
seq 1 1000 | xargs -P 8 -I{} sh -c \
	'printf "Subject: {}\n\nx\n" | sendmail -C "$0" -f s{}@lab.test r{}@hotmail.test' "$PF_CONF"
wait_for 60 bash -c "[ \$(postqueue -c '$PF_CONF' -j | jq -r 'select(.queue_name == \"deferred\") | .queue_id' | wc -l) -ge 1002 ]"
ids=$(postfix_queue_ids deferred | grep -v -e "$m2" -e "$m5")
n=$(echo $ids | wc -w)
is "$n" 1000 "1,000 more messages deferred"
t0=$(now); out=$(drive scan); t1=$(now)
is "$(printf '%s\n' "$out" | jq -c 'select(.queue_id != null)' | wc -l)" "$((n + 2))" "scan lists them all"
diag "scan of $((n + 2)) messages (postqueue -j + parse, ASan build): $(secs $t0 $t1) s"
t0=$(now); h=$(drive hold $ids); t1=$(now); r=$(drive release $ids); t2=$(now)
is "$(done_of "$h")/$(done_of "$r")" "$n/$n" "batched: $n held and released"
fig_batch="hold $n batched (1 postsuper): $(secs $t0 $t1) s, release: $(secs $t1 $t2) s"
diag "$fig_batch"
sub=$(echo $ids | tr ' ' '\n' | head -100)
t0=$(now)
for id in $sub; do postsuper -c "$PF_CONF" -h "$id" 2>/dev/null; postsuper -c "$PF_CONF" -H "$id" 2>/dev/null; done
t1=$(now)
fig_each="hold+release 100 messages one postsuper per id: $(secs $t0 $t1) s (x10 for 1,000: $(echo "($t1 - $t0) * 10" | bc) s)"
diag "$fig_each"
drive hold $ids >/dev/null
printf '%s\n' $ids | sort >"$LAB_DIR/ids"
flush_default=$(sed -n 's/^#define POSTFIX_FLUSH_CONCURRENCY[ \t]*\([0-9]*\).*/\1/p' \
	"$LAB_ROOT/plugins/postfix_cmd.c")
like "$flush_default" '^[0-9]+$' "POSTFIX_FLUSH_CONCURRENCY read from plugins/postfix_cmd.c"
deferred_n() { postqueue -c "$PF_CONF" -j | jq -r 'select(.queue_name == "deferred") | .queue_id' | wc -l; }
fig_deliver=""
# the relay is down: every message flushed is tried and deferred again
for k in ${POSTFIX_FLUSH_SWEEP:-1 $flush_default}; do
	l0=$(wc -l <"$PF_LOG")
	t0=$(now); d=$(RETRYD_POSTFIX_KICK=0 RETRYD_POSTFIX_FLUSH_CONCURRENCY=$k drive deliver $ids); t1=$(now)
	is "$(done_of "$d")" "$n" "deliver of $n, $k postqueue -i at once: all released"
	wait_for 60 bash -c "[ \$(tail -n +$((l0 + 1)) '$PF_LOG' | grep -c 'status=deferred') -ge $n ]"
	t2=$(now)
	sleep 0.5 # a stray retry would be logged by now
	is "$(tail -n +$((l0 + 1)) "$PF_LOG" | sed -n 's/.*: \([0-9A-Za-z]*\): to=.*status=deferred.*/\1/p' |
		sort -u | cmp - "$LAB_DIR/ids" && echo same)" same \
		"...exactly the $n chosen were tried (m2, m5 not)"
	f="deliver $n, $k postqueue -i at once$([ "$k" = "$flush_default" ] &&
		echo ' (POSTFIX_FLUSH_CONCURRENCY)'): $(secs $t0 $t1) s, all tried after $(secs $t0 $t2) s"
	diag "$f"
	fig_deliver="$fig_deliver$f"$'\n'
	wait_for 60 bash -c "[ \$(postqueue -c '$PF_CONF' -j | jq -r 'select(.queue_name == \"deferred\") | .queue_id' | wc -l) -ge $((n + 2)) ]"
	drive hold $ids >/dev/null
done
is "$(postfix_queue_ids hold | wc -l)" "$n" "the $n held again"
# the same with the default: hold files touched, released, ONE deferred
# queue scan asked of the queue manager (no flush request per id)
l0=$(wc -l <"$PF_LOG")
t0=$(now); d=$(drive deliver $ids); t1=$(now)
is "$(done_of "$d")" "$n" "deliver of $n by one deferred queue scan: all released"
wait_for 60 bash -c "[ \$(tail -n +$((l0 + 1)) '$PF_LOG' | grep -c 'status=deferred') -ge $n ]"
t2=$(now)
sleep 0.5
is "$(tail -n +$((l0 + 1)) "$PF_LOG" | sed -n 's/.*: \([0-9A-Za-z]*\): to=.*status=deferred.*/\1/p' |
	sort -u | cmp - "$LAB_DIR/ids" && echo same)" same \
	"...exactly the $n chosen were tried (m2, m5, deferred and not due, not)"
f="deliver $n by one deferred queue scan (default): $(secs $t0 $t1) s, all tried after $(secs $t0 $t2) s"
diag "$f"
fig_deliver="$fig_deliver$f"$'\n'
wait_for 60 bash -c "[ \$(postqueue -c '$PF_CONF' -j | jq -r 'select(.queue_name == \"deferred\") | .queue_id' | wc -l) -ge $((n + 2)) ]"
drive hold $ids >/dev/null
is "$(postfix_queue_ids hold | wc -l)" "$n" "the $n held again"

# ---- exactly the chosen ids delivered (one deferred queue scan) ----
# a fresh queue manager forgets the dead relay (throttled for minimal_backoff_time)
postfix_lab_stop
postfix_lab_start || { echo "Bail out! postfix did not restart"; exit 1; }
SINK2=$LAB_DIR/sink2
postfix_sink_start "$SINK2" || diag "smtp-sink did not start"
awk 'NR % 2' "$LAB_DIR/ids" >"$LAB_DIR/chosen"
awk 'NR % 2 == 0' "$LAB_DIR/ids" >"$LAB_DIR/others"
half=$(wc -l <"$LAB_DIR/chosen")
postqueue -c "$PF_CONF" -j | jq -r '"\(.queue_id) \(.recipients[].address)"' |
	awk 'NR == FNR { c[$1] = 1; next } ($1 in c) { print $2 }' "$LAB_DIR/chosen" - |
	sort >"$LAB_DIR/want"
is "$(wc -l <"$LAB_DIR/want")" "$half" "the $half chosen have $half recipients"
t0=$(now); d=$(drive deliver $(cat "$LAB_DIR/chosen")); t1=$(now)
is "$(done_of "$d")" "$half" "deliver $half of the $n (one deferred queue scan): all released"
wait_for 60 bash -c "[ \$(find '$SINK2' -type f | wc -l) -ge $half ]"
t2=$(now)
sleep 1 # anything else would arrive by now
is "$(find "$SINK2" -type f | wc -l)" "$half" "the sink received exactly $half messages"
is "$(cat "$SINK2"/* | sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' | sort | cmp - "$LAB_DIR/want" && echo same)" \
	same "...for exactly the chosen recipients"
is "$(postfix_queue_ids hold | sort | cmp - "$LAB_DIR/others" && echo same)" same \
	"the other $((n - half)) stay held"
is "$(postfix_queue_ids | grep -c -x -F -f "$LAB_DIR/chosen")" 0 "the chosen left the queue"

# ---- postqueue -i failing: the flush stops early and says so ----
# (postsuper works on a stopped Postfix, postqueue -i does not)
postfix_lab_stop
few=$(head -20 "$LAB_DIR/others")
d=$(drive deliver $few 2>/dev/null)
is "$?" 1 "deliver with Postfix stopped fails"
like "$(printf '%s\n' "$d" | jq -r '.error')" \
	'^postqueue -i [0-9A-F]+: .*mail system is down.* \(20 of 20 ids not flushed; they go at their next retry\)$' \
	"...with postqueue's reason and the count not flushed"
is "$(postfix_queue_ids hold 2>/dev/null | grep -c -x -F -f <(printf '%s\n' $few))" 0 "...after releasing them (done = released)"

fig_half="deliver $half of $n to the sink (one deferred queue scan): $(secs $t0 $t1) s, all at the sink after $(secs $t0 $t2) s"
diag "$fig_half"
mkdir -p "$RETRYD_BUILD"
printf '%s\n' "$(date -u +%FT%TZ) postfix_plugin.t (load $(cut -d' ' -f1-3 /proc/loadavg))" \
	"$fig_batch" "$fig_each" "$fig_deliver$fig_half" >>"$RETRYD_BUILD/postfix-figures.txt"

done_testing

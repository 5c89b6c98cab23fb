#!/bin/bash
# exim_plugin.t — exim.so against a real Exim 4.96 (private spool, loopback).
#
# Messages are queued with -odq and tried once against 127.$LAB_NET.0.25:25
# where nothing listens (deferred, "Connection refused"). Through
# tests/tools/plugin_drive: scan (exact count, recipients, reasons), hold
# (frozen in -bp), deliver a chosen subset once Postfix's smtp-sink listens
# (exactly those reach the sink, the others stay frozen), outcomes (from the
# main log, once), give back with bounce (one "cancelled", once), and
# hostile ids refused before exim runs. Figures (# diag): scan of 1,000
# messages, freeze+thaw of 1,000 batched vs one exim process per id.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exim.sh"

DRIVE=$RETRYD_ASAN_BUILD/tests/plugin_drive
PLUGIN=$RETRYD_ASAN_BUILD/plugins/exim.so
exim_lab_available || skip_all "no lab Exim (run tests/lab/exim-install.sh)"
[ -x "$DRIVE" ] && [ -f "$PLUGIN" ] || skip_all "build plugin_drive and exim.so first (make asan)"
command -v jq >/dev/null || skip_all "jq missing (tests/deps.sh)"

lab_init exim_plugin
exim_lab_init manual
STATE=$LAB_DIR/state
mkdir -p "$STATE" "$LAB_DIR/sink"
chown postfix "$LAB_DIR/sink" # smtp-sink -u postfix writes the dumps
# ASan: the plugin's own leaks would fail the run
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# drive CMD ARGS...: plugin_drive with the lab's Exim, inside its namespace.
drive() {
	exim_ns "$DRIVE" --binary "$EXIM_BIN" --config "$EXIM_CONF" \
		--log-file "$EXIM_LOG" --state-dir "$STATE" "$PLUGIN" "$@"
}
# done_of JSON: the "done" count a batch command printed.
done_of() { printf '%s\n' "$1" | jq -s -r '[.[] | select(has("done")) | .done] | add // "none"'; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
log_lines() { wc -l <"$EXIM_LOG"; }

# ---- a queue with deferred mail ----
m1=$(exim_submit alice@lab.test u1@hotmail.test u2@live.test)
m2=$(exim_submit '<>' u3@outlook.test)
m3=$(exim_submit bob@lab.test u4@msn.test)
m4=$(exim_submit bob@lab.test u5@hotmail.test)
m5=$(exim_submit carol@lab.test u6@live.test)
all="$m1 $m2 $m3 $m4 $m5"
is "$(echo $all | wc -w)" 5 "five messages queued"
exim_cmd -qf >/dev/null 2>&1 # one try each: connection refused
is "$(grep -c ' == .*defer (111): Connection refused' "$EXIM_LOG")" 6 \
	"six recipients deferred by the real Exim"

# ---- scan ----
out=$(drive scan)
is "$?" 0 "scan runs"
scan=$(printf '%s\n' "$out" | jq -c 'select(.queue_id != null)')
is "$(printf '%s\n' "$scan" | grep -c .)" 5 "scan lists exactly 5 messages"
is "$(printf '%s\n' "$out" | jq -s -r '[.[] | select(has("complete")) | .complete] | first')" true \
	"listing complete"
is "$(printf '%s\n' "$scan" | jq -r "select(.queue_id == \"$m1\") | [.rcpts[].address] | join(\",\")")" \
	"u1@hotmail.test,u2@live.test" "m1 has both recipients"
is "$(printf '%s\n' "$scan" | jq -r "select(.queue_id == \"$m2\") | .sender")" "" "bounce sender is empty"
is "$(printf '%s\n' "$scan" | jq -r '.rcpts[].reason' | sort | uniq -c | sed 's/^ *//')" \
	"6 Connection refused" "each of the 6 recipients has its defer reason"
is "$(printf '%s\n' "$scan" | jq -r 'select(.held == true or .held == 1) | .queue_id' | wc -l)" 0 \
	"none frozen yet"
# (exim -bpr lists in directory order: compared sorted)
is "$(drive scan-each | sort)" "$(printf '%s\n' "$out" | sort)" \
	"scan_each (the daemon's full listing) tells exactly what scan lists"
arrival=$(printf '%s\n' "$scan" | jq -r "select(.queue_id == \"$m1\") | .arrival")
rcvd=$(date -d "$(grep " $m1 <= " "$EXIM_LOG" | cut -c1-19)" +%s)
# the id's time is when reception began, the "<=" line is logged when it
# ended: under load they can be a second or two apart
ok "$([ -n "$arrival" ] && [ "$arrival" -le "$rcvd" ] && [ $((rcvd - arrival)) -le 2 ]; echo $?)" \
	"arrival time is the one Exim logged (got $arrival, log $rcvd)"

# ---- hold ----
out=$(drive hold $all 1xXQMR-0004tV-1a)
is "$(done_of "$out")" 5 "hold: 5 confirmed (the unknown id not counted)"
is "$(exim_frozen_ids | sort | tr '\n' ' ')" "$(echo $all | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"all five frozen in exim -bp"
out=$(drive hold $m1)
is "$(done_of "$out")" 1 "hold again: already frozen counts"
scan=$(drive scan | jq -c 'select(.queue_id != null)')
is "$(drive scan-each | jq -c 'select(.queue_id != null)' | sort)" "$(printf '%s\n' "$scan" | sort)" \
	"scan_each tells the same with every message frozen"
is "$(printf '%s\n' "$scan" | jq -r 'select(.held == true or .held == 1) | .queue_id' | wc -l)" 5 \
	"scan shows them held"

# ---- deliver a subset to a real SMTP sink ----
/usr/sbin/smtp-sink -u postfix -d "$LAB_DIR/sink/%H%M%S." "$EXIM_SINK_ADDR:25" 100 \
	>/dev/null 2>&1 &
lab_track $!
wait_for 5 bash -c "exec 3<>/dev/tcp/$EXIM_SINK_ADDR/25" || diag "smtp-sink did not start"
out=$(drive deliver $m1 $m3)
is "$(done_of "$out")" 2 "deliver: 2 confirmed from the log"
is "$(ls "$LAB_DIR/sink" | wc -l)" 2 "the sink received exactly 2 messages"
is "$(cat "$LAB_DIR/sink"/* | grep -c '^X-Rcpt-Args:')" 3 "...with 3 recipients"
is "$(cat "$LAB_DIR/sink"/* | grep -o -e "$m1" -e "$m2" -e "$m3" -e "$m4" -e "$m5" | sort -u | tr '\n' ' ')" \
	"$(echo $m1 $m3 | tr ' ' '\n' | sort | tr '\n' ' ')" "...and they are m1 and m3"
is "$(exim_queue_ids | sort | tr '\n' ' ')" "$(echo $m2 $m4 $m5 | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"m1 and m3 left the queue"
is "$(exim_frozen_ids | wc -l)" 3 "the other three stay frozen"

# ---- outcomes ----
out=$(drive outcomes $m1 $m3)
delivered=$(printf '%s\n' "$out" | jq -r 'select(.status == "delivered") | .address' | sort | tr '\n' ' ')
is "$delivered" "u1@hotmail.test u2@live.test u4@msn.test " "outcomes: the 3 recipients delivered"
is "$(printf '%s\n' "$out" | jq -r 'select(.status == "delivered") | .dsn' | sort -u)" "2.0.0" \
	"dsn 2.0.0 from C=\"250 2.0.0 Ok\""
# the tries before the plugin's first open are not outcomes: reading
# starts at the end of the log as it was then
is "$(printf '%s\n' "$out" | jq -r 'select(.status == "deferred") | .queue_id' | wc -l)" 0 \
	"defers logged before the first open are not reported"
out=$(drive outcomes $m1 $m3)
is "$(printf '%s\n' "$out" | jq -r 'select(.queue_id != null) | .queue_id' | wc -l)" 0 \
	"outcomes are not reported twice"

# ---- give back: bounce ----
out=$(drive giveback bounce $m2)
is "$(done_of "$out")" 1 "giveback bounce: confirmed"
is "$(exim_queue_ids | grep -c "$m2")" 0 "m2 left the queue"
out=$(drive outcomes $m2)
is "$(printf '%s\n' "$out" | jq -r "select(.queue_id == \"$m2\" and .status == \"bounced\") | .text")" \
	"cancelled by root" "outcomes: m2 failed once (cancelled by root)"
out=$(drive outcomes $m2)
is "$(printf '%s\n' "$out" | jq -r 'select(.queue_id != null) | .queue_id' | wc -l)" 0 \
	"...and not again"

# ---- release ----
out=$(drive release $m5)
is "$(done_of "$out")" 1 "release: thawed"
is "$(exim_frozen_ids | grep -c "$m5")" 0 "m5 no longer frozen"
is "$(exim_frozen_ids | grep -c "$m4")" 1 "m4 still frozen"

# ---- hostile ids are refused before exim runs ----
# witness: had exim -Mf run, it would log "Spool file 1xXQMR-0004tV-1a-D not found"
witness=1xXQMR-0004tV-1a
seen() { grep -c "$witness" "$EXIM_LOG"; }
for bad in -Mf ALL '1xXQMR-0004tV-1a;' '../x' "$m4 -Mrm" "$(printf '%s\nrm' "$m4")" \
	1xXQMR-0004tV-1 16VDhn-000000001bo-D34 ''; do
	before=$(seen)
	drive hold "$m4" "$witness" "$bad" >/dev/null 2>&1
	rc=$?
	ok "$([ $rc != 0 ] && [ "$(seen)" = "$before" ] && echo 0 || echo 1)" \
		"hold with id '$(printf '%s' "$bad" | tr '\n' '|')' refused, exim not run"
done
before=$(seen)
drive hold "$witness" >/dev/null 2>&1
ok "$([ "$(seen)" -gt "$before" ] && echo 0 || echo 1)" "(the witness works: a valid unknown id does run exim)"
is "$(exim_frozen_ids | grep -c "$m4")" 1 "m4 untouched"

# ---- figures: 1,000 messages ----
gen() {
	echo "HELO lab"
	for i in $(seq 1 "$1"); do
		printf 'MAIL FROM:<s%d@lab.test>\r\nRCPT TO:<r%d@hotmail.test>\r\nDATA\r\nSubject: %d\r\n\r\nx\r\n.\r\n' \
			"$i" "$i" "$i"
	done
	echo QUIT
}
gen 1000 | exim_cmd -odq -bs >/dev/null 2>&1
ids=$(exim_queue_ids | grep -v -e "$m4" -e "$m5")
n=$(echo $ids | wc -w)
ok "$([ "$n" -ge 1000 ] && echo 0 || echo 1)" "1,000 more messages queued ($n)"
t0=$(now); out=$(drive scan); t1=$(now)
is "$(printf '%s\n' "$out" | jq -c 'select(.queue_id != null)' | wc -l)" "$((n + 2))" "scan lists them all"
diag "scan of $((n + 2)) messages (exim -bpr + msglogs, ASan build): $(secs $t0 $t1) s"
t0=$(now); h=$(drive hold $ids); r=$(drive release $ids); t1=$(now)
is "$(done_of "$h")/$(done_of "$r")" "$n/$n" "batched: $n frozen and thawed"
diag "freeze+thaw $n messages batched (exim.so: -Mf, then -Mt, each split over up to 8 exim processes at once): $(secs $t0 $t1) s"
sub=$(echo $ids | tr ' ' '\n' | head -100)
t0=$(now)
for id in $sub; do exim_cmd -Mf "$id" >/dev/null; exim_cmd -Mt "$id" >/dev/null; done
t1=$(now)
diag "freeze+thaw 100 messages one exim process per id: $(secs $t0 $t1) s" \
	"(x10 for 1,000: $(echo "($t1 - $t0) * 10" | bc) s)"

done_testing

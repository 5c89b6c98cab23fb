#!/bin/bash
# postfix_outcomes_once.t — outcomes exactly once (issue #10, part 5), on
# real Postfix, real Berkeley DB, retryd privilege-separated when run as
# root (the daemon parses the log through the helper's descriptor). The
# plugin saves no log position: retryd commits it in the same transaction
# as the outcomes it read. The ASan build's fault points stop retryd with
# SIGKILL at the exact moment (RETRYD_FAULT, compiled only into the test
# build):
#   hotmail.test  outcomes-read: the first outcomes read from the maillog,
#                 not yet committed. Before this change the plugin had
#                 already saved its position there: those outcomes were
#                 lost (records settled from the listing, no evidence).
#   outlook.test  outcomes-committed: the first outcomes that settled a
#                 message committed (Postfix's own earlier deferral lines
#                 settle nothing), the next ones not read yet: none may be
#                 recorded twice.
# Each round: K messages deferred by a stale negative cache, retryd
# adopts, flushes, releases; it dies at the fault point; a restarted
# retryd finishes. Then every recipient has exactly ONE "delivered"
# evidence record, every message is done, the sink got each once, and no
# position file is left in state_dir (positions.db holds it).
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
"$E2E_RETRYD" --version >/dev/null 2>&1 || skip_all "retryd does not run"
K=6
E2E_VERIFY_WINDOW=2s
e2e_standard postfix_outcomes_once yes
# An old plugin's position file (an upgrade): taken into the store once.
printf 'garbage\n' >"$E2E_STATE/postfix-log.offset"
total=0

# delivered_evidence ADDRESS: how many "delivered" evidence records.
delivered_evidence() {
	e2e_ctl show "$1" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for e in d.get("evidence", []) if e.get("outcome") == "delivered"))'
}

# logged DOMAIN: outcome lines "delivered" retryd logged for DOMAIN (one
# per outcome recorded: the line follows the commit).
OUTCOME='action=attempt, status=delivered'
logged() { grep -c "@${1//./\\.}>.*$OUTCOME" "$E2E_DIR/retryd.log"; }

# round DOMAIN FAULT
round() {
	local dom=$1 fault=$2 i rc n bad=0
	e2e_poison "$dom" 54
	for i in $(seq 1 $K); do e2e_submit mta "o$i@$dom" "once-${dom%%.*}-$i"; done
	total=$((total + K))
	e2e_wait_queue mta deferred $K 20
	export RETRYD_FAULT=$fault
	e2e_retryd_start
	unset RETRYD_FAULT
	# bounded: a fault point never reached is a failure, not a hang
	for i in $(seq 1 600); do kill -0 "$E2E_RETRYD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$E2E_RETRYD_PID" 2>/dev/null && { diag "$dom: $fault never reached"; e2e_retryd_stop; }
	wait "$E2E_RETRYD_PID"
	rc=$?
	is "$rc" 137 "$dom: retryd died of SIGKILL (at its fault point)"
	like "$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log")" "fault point $fault: SIGKILL" \
		"$dom: ... at $fault"
	n=$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep -c "@${dom//./\\.}>.*$OUTCOME")
	if [ "$fault" = outcomes-read ]; then
		is "$n" 0 "$dom: no outcome recorded before the kill"
	else
		ok "$([ "$n" -ge 1 ] && echo 0 || echo 1)" "$dom: $n outcome(s) recorded before the kill"
	fi
	e2e_retryd_start
	# its signals are its own once it logged "started: " (a SIGTERM before
	# that would end it by the default action: nothing may be left to do)
	wait_for 30 sh -c "tail -n +$((E2E_LOG_OFF + 1)) '$E2E_DIR/retryd.log' | grep -q 'started: '"
	e2e_wait_sink $K 40 "@${dom//./\\.}"
	e2e_wait_queue mta all 0 20
	e2e_wait_count 20 $K logged "$dom"
	e2e_retryd_stop
	is "$E2E_RETRYD_RC" 0 "$dom: the restarted retryd finished the round and stopped cleanly"
	is "$(e2e_sink_count "@${dom//./\\.}")" $K "$dom: all $K delivered"
	is "$(logged "$dom")" $K \
		"$dom: $K outcomes recorded in all (logged once each)"
	for i in $(seq 1 $K); do
		[ "$(delivered_evidence "o$i@$dom")" = 1 ] || { bad=$((bad + 1)); diag "o$i@$dom: $(delivered_evidence "o$i@$dom") delivered evidence records"; }
	done
	is "$bad" 0 "$dom: every recipient has exactly one delivered evidence record"
}

round hotmail.test outcomes-read
round outlook.test outcomes-committed

is "$(e2e_sink_dups)" 0 "no Message-ID delivered twice"
is "$(e2e_sink_count '@(hotmail|outlook)\.test')" $total "sink: $total messages, none lost"
is "$(e2e_log_count mta bounced '@(hotmail|outlook)\.test')" 0 "none bounced"
is "$(e2e_ctl list --json | grep -c '"queue_id"')" 0 "retryctl list: nothing pending"
ok "$([ ! -e "$E2E_STATE/postfix-log.offset" ] && echo 0 || echo 1)" "the old position file was taken into the store and removed"
ok "$([ -f "$E2E_STATE/positions.db" ] && echo 0 || echo 1)" "positions.db holds the log position"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

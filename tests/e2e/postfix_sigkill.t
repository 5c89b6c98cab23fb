#!/bin/bash
# postfix_sigkill.t — retryd SIGKILLed mid-pass and restarted loses
# nothing (issue #4, scenario 4; DESIGN.md promises 1 and 2). Four rounds,
# each on its own group domain with a real stale negative cache at the
# MTA's resolver, K messages deferred by the status filter; a foreground
# retryd (ASan build) is SIGKILLed at one point of its pass, restarted, and
# must finish the round:
#   hotmail.test  when postsuper logs its first "placed on hold" (adopt
#                 intents written, hold batch under way, HELD not yet
#                 recorded); then, in the next run, right after its first
#                 pass (reconciliation done, nothing due yet)
#   outlook.test  right after the flush hook ran (verified local-path,
#                 release batch about to start)
#   live.test     when postsuper logs its first "released from hold"
#                 (release intent written, postqueue -i not yet run); then
#                 right after the first attempt is logged (released and
#                 delivering; outcomes not yet read)
#   msn.test      at startup (store just recovered), then again at the
#                 first attempt of the next run
# A kill point that never comes (the previous run already did that step)
# is reported as a failure: every listed point must be hit.
# At the end: every message delivered exactly once (sink count == total,
# no Message-ID twice, one status=sent per queue id), nothing left in the
# queue and nothing on hold.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
K=8
E2E_VERIFY_WINDOW=2s
e2e_standard postfix_sigkill yes
total=0

# settled DOMAIN: 1 when queued + delivered == K for DOMAIN, else 0.
settled() {
	[ "$(($(e2e_queue_count mta all) + $(e2e_sink_count "@${1//./\\.}")))" = $K ] && echo 1 || echo 0
}

# round DOMAIN KILL-REGEX [KILL-REGEX...]
round() {
	local dom=$1 i re killed
	shift
	e2e_poison "$dom" 54
	for i in $(seq 1 $K); do e2e_submit mta "r$i@$dom" "kill-${dom%%.*}-$i"; done
	total=$((total + K))
	e2e_wait_queue mta deferred $K 20
	e2e_wait_log_count mta deferred "@${dom//./\\.}" $K
	for re in "$@"; do
		e2e_retryd_start
		case $re in
		maillog:*) e2e_kill_on "${re#maillog:}" 30 maillog ;;
		*) e2e_kill_on "$re" 30 ;;
		esac
		killed=$?
		ok $killed "$dom: retryd SIGKILLed at /$re/"
		# Nothing lost at the kill: each message is still queued or
		# delivered (Postfix may be delivering a released message right
		# now, counted in both for a moment: poll until it settles).
		e2e_wait_count 10 1 settled "$dom"
		is "$(settled "$dom")" 1 "$dom: after the kill, queued + delivered == $K"
		[ $killed = 0 ] || e2e_retryd_stop
	done
	e2e_retryd_start
	e2e_wait_pass 2
	e2e_wait_sink $K 40 "@${dom//./\\.}"
	e2e_wait_queue mta all 0 10
	e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "$dom: the restarted retryd finished the round and stopped cleanly"
	is "$(e2e_sink_count "@${dom//./\\.}")" $K "$dom: all $K delivered"
	is "$(e2e_queue_count mta held)" 0 "$dom: nothing left on hold"
}

round hotmail.test 'maillog:postsuper\[[0-9]+\]: [0-9A-F]+: placed on hold' ' pass: scanned='
round outlook.test 'flush_resolver hook for outlook\.test'
round live.test 'maillog:postsuper\[[0-9]+\]: [0-9A-F]+: released from hold' 'action=attempt'
round msn.test 'started: ' 'action=attempt'

is "$(e2e_sink_count '@(hotmail|outlook|live|msn)\.test')" $total "sink: $total messages in all, none lost"
is "$(e2e_sink_dups)" 0 "no Message-ID delivered twice"
is "$(e2e_sink_ids | sort -u | wc -l)" $total "$total distinct Message-IDs"
e2e_wait_log_count mta sent . $total 10
is "$(e2e_log_count mta sent .)" $total "maillog: $total status=sent"
is "$(grep -E 'status=sent' "$(e2e_pf_log mta)" | sed -E 's/.*: ([0-9A-Za-z]+): to=.*/\1/' | sort | uniq -d | wc -l)" 0 \
	"no queue id delivered twice"
is "$(e2e_log_count mta bounced '@(hotmail|outlook|live|msn)\.test')" 0 "none bounced"
is "$(e2e_queue_count mta all)" 0 "the queue is empty"
is "$(e2e_queue_count mta held)" 0 "postqueue -j: no held message"
# The last run may have been stopped before it read its outcomes: one more
# pass reads them from the log and settles every record.
sleep 1
e2e_once >/dev/null
is "$(e2e_ctl list --json | grep -c '"queue_id"')" 0 "after one more pass, retryctl list: no pending retry"
is "$(e2e_sum bounced)" 0 "retryd recorded no bounce"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

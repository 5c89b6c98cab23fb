#!/bin/bash
# exim_sigkill.t — retryd SIGKILLed mid-pass and restarted, with Exim,
# loses nothing, leaves nothing frozen by us and delivers nothing twice
# (issue #5, scenario 4; DESIGN.md promises 1 and 2). Four rounds, each on
# its own group domain with a real stale negative cache at the MTA's
# resolver and K messages deferred by Exim (fail_defer_domains); a
# foreground retryd (ASan build, in Exim's resolver namespace) is
# SIGKILLed at one point of its pass, restarted, and must finish the round:
#   hotmail.test  when Exim logs its first "frozen by root" (adopt intents
#                 written, the -Mf batch under way, HELD not yet recorded);
#                 then, in the next run, right after its first pass
#   outlook.test  right after the flush hook ran (verified local-path,
#                 the -M batch about to start)
#   live.test     when Exim logs its first "Unfrozen by forced delivery"
#                 (release intent written, exim -M delivering, outcomes
#                 not read); then right after the first attempt is logged
#   msn.test      at startup (store just recovered), then again at the
#                 first attempt of the next run
# A kill point that never comes is a failure: every point must be hit.
# Beside them sits a bounce Exim froze itself (sender <>, permanent
# failure): not ours, it must stay frozen and untouched through every
# crash and restart.
# At the end: every message delivered exactly once (sink count == total,
# no Message-ID twice, one "=>" per id), nothing of ours left in the queue
# or frozen.
. "$(dirname "$0")/lib_exim_e2e.sh"
e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
K=8
E2E_VERIFY_WINDOW=2s
e2e_exim_standard exim_sigkill
total=0

printf 'From: <>\nSubject: dsn\nMessage-ID: <own-frozen@e2e.test>\n\nx\n' |
	{ e2e_exim_use mta; exim_cmd -odi -oi -f '<>' -- postmaster@nullmx.test >/dev/null 2>&1; }
own=$(e2e_exim_msgid_ids mta own-frozen)
is "$(e2e_exim_frozen mta)" "$own" "Exim froze its own undeliverable bounce $own"

# queued_of IDS...: how many of IDS are still in the queue
queued_of() { e2e_exim_queue mta | grep -c -x -F "$(printf '%s\n' "$@")"; }

# round DOMAIN KILL-REGEX [KILL-REGEX...] (mainlog:REGEX watches Exim's log)
round() {
	local dom=$1 tag=kill-${1%%.*} i re killed ids sum
	shift
	e2e_poison "$dom" 54
	for i in $(seq 1 $K); do e2e_exim_submit mta "r$i@$dom" "$tag-$i" >/dev/null; done
	total=$((total + K))
	ids=$(e2e_exim_msgid_ids mta "$tag-[0-9]+")
	is "$(grep -c -E " == r[0-9]+@${dom//./\\.} R=dnslookup defer \(-1\): missing MX" "$(e2e_exim_log mta)")" $K \
		"$dom: $K messages deferred by Exim"
	for re in "$@"; do
		e2e_exim_retryd_start
		case $re in
		mainlog:*) e2e_exim_kill_on "${re#mainlog:}" 30 mainlog ;;
		*) e2e_exim_kill_on "$re" 30 ;;
		esac
		killed=$?
		ok $killed "$dom: retryd SIGKILLed at /$re/"
		# Nothing lost at the kill: each message is still queued or delivered.
		# (an exim -M that retryd started goes on without it: until it has
		# removed a delivered message's spool files, that message counts
		# twice; a lost one would keep the sum below K)
		for i in $(seq 1 100); do
			sum=$(($(queued_of $ids) + $(e2e_sink_count "@${dom//./\\.}")))
			[ "$sum" = $K ] && break
			sleep 0.1
		done
		is "$sum" $K "$dom: after the kill, queued + delivered == $K"
		[ $killed = 0 ] || e2e_retryd_stop
	done
	e2e_exim_retryd_start
	e2e_wait_pass 2
	e2e_wait_sink $K 40 "@${dom//./\\.}"
	for i in $(seq 1 100); do [ "$(queued_of $ids)" = 0 ] && break; sleep 0.1; done
	e2e_retryd_stop
	is "$E2E_RETRYD_RC" 0 "$dom: the restarted retryd finished the round and stopped cleanly"
	is "$(e2e_sink_count "@${dom//./\\.}")" $K "$dom: all $K delivered"
	is "$(queued_of $ids)" 0 "$dom: none left in the queue (frozen or not)"
}

round hotmail.test 'mainlog: frozen by root$' ' pass: scanned='
round outlook.test 'flush_resolver hook for outlook\.test'
round live.test 'mainlog: Unfrozen by forced delivery$' 'action=attempt'
round msn.test 'started: ' 'action=attempt'

is "$(e2e_sink_count '@(hotmail|outlook|live|msn)\.test')" $total "sink: $total messages in all, none lost"
is "$(e2e_sink_dups)" 0 "no Message-ID delivered twice"
is "$(e2e_sink_ids | grep -c '^<kill-')" $total "$total distinct Message-IDs"
is "$(e2e_exim_count mta delivered '@(hotmail|outlook|live|msn)\.test')" $total "mainlog: $total '=>' lines"
is "$(grep -E ' => r[0-9]+@' "$(e2e_exim_log mta)" | awk '{print $3}' | sort | uniq -d | wc -l)" 0 \
	"no message id delivered twice"
is "$(e2e_exim_count mta bounced '@(hotmail|outlook|live|msn)\.test')" 0 "none bounced"
is "$(e2e_exim_queue mta)" "$own" "the queue holds only Exim's own frozen bounce"
is "$(e2e_exim_frozen mta)" "$own" "... still frozen: nothing else frozen, ours never touched it"
is "$(grep -c " $own \(Unfrozen\|unfrozen\|=>\|cancelled\)" "$(e2e_exim_log mta)")" 0 \
	"... never thawed, delivered or cancelled"
# The last run may have been stopped before it read its outcomes: one more
# pass reads them from the log and settles every record.
sleep 1
e2e_exim_once >/dev/null
is "$(e2e_exim_ctl list --json | grep -c '"queue_id"')" 0 "after one more pass, retryctl list: no pending retry"
is "$(e2e_sum bounced)" 0 "retryd recorded no bounce"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

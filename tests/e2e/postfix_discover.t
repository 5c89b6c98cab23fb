#!/bin/bash
# postfix_discover.t — incremental discovery on a real Postfix (issue 13).
# A foreground retryd with reconcile_every = 100000: after the full
# listing at start, every pass reads only the Postfix log (summary
# "scanned=N (log)") and never lists the queue.
#   1. a deferral seen only in the log: windowslive.test is NXDOMAIN, a
#      message is deferred while retryd runs; it is adopted (held) by a
#      pass that read the log, and no full listing ran since the start;
#   2. a log gap: retryd is stopped (SIGSTOP), a second message is
#      deferred, the maillog is truncated (its deferral line lost);
#      after SIGCONT the gap is noticed and, instead of a full listing,
#      the deferred queue directory is read through the privileged
#      helper (names in deferred/X/, recipients and reasons from the
#      defer log): the message is adopted with no listing of the queue;
#   3. a message that left the queue while retryd was down: retryd stops,
#      a held message is deleted (postsuper -d), retryd starts: the full
#      listing at start and the one confirming it mark it done ("gone").
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
E2E_RECONCILE_EVERY=100000
e2e_standard postfix_discover yes
e2e_domain_gone
PFLOG=$(e2e_pf_log mta)

e2e_retryd_start
e2e_wait_pass 3 30
is "$(e2e_full_listings_since_start)" 1 "one full listing at start, then passes read the log"
like "$(grep 'running as' "$E2E_DIR/retryd.log" | tail -1)" 'privileged helper' \
	"retryd runs privilege-separated (deferred/ is 0700 postfix: only the helper opens it)"

# 1. a deferral seen only in the log
e2e_submit mta u1@windowslive.test disc-1
e2e_wait_queue mta held 1 30
q1=$(e2e_queue_ids mta held)
ok "$([ -n "$q1" ]; echo $?)" "the message deferred while retryd ran is held ($q1)"
is "$(e2e_full_listings_since_start)" 1 "... and no full listing ran since the start"
like "$(grep ' pass: scanned=' "$E2E_DIR/retryd.log" | grep 'adopted=1' | tail -1)" \
	'scanned=1 \(log\)' "... it was adopted by a pass that read the log"
like "$(e2e_ctl show "$q1" 2>&1)" 'windowslive' "retryctl show knows it"

# 2. a log gap
kill -STOP "$E2E_RETRYD_PID"
e2e_submit mta u2@windowslive.test disc-2
e2e_wait_log_count mta deferred 'u2@windowslive\.test' 1 30
e2e_wait_queue mta deferred 1 20
: >"$PFLOG"
kill -CONT "$E2E_RETRYD_PID"
e2e_wait_queue mta held 2 30
is "$(e2e_queue_count mta held)" 2 "after a gap in the log the second message is held too"
e2e_wait_log 'read the deferred queue directory instead of a full listing' 10
like "$(grep 'lines of the log may be missing' "$E2E_DIR/retryd.log" | tail -1)" \
	'deferred queue directory' "retryd noticed the gap and read deferred/ (through the helper)"
like "$(grep ' pass: scanned=' "$E2E_DIR/retryd.log" | grep 'adopted=1' | tail -1)" \
	'scanned=[0-9]+ \(log\)' "... the message was adopted by a pass with no listing"
is "$(e2e_full_listings_since_start)" 1 "... and no full listing ran for the gap"
q2=$(e2e_queue_ids mta held | grep -v -x "$q1")
like "$(e2e_ctl show "$q2" 2>&1)" 'u2@windowslive' \
	"its recipient and reason came from the defer log"

# 3. a message that left the queue while retryd was down
e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "retryd stops cleanly"
postsuper -c "$(e2e_pf_conf mta)" -d "$q1" 2>/dev/null
is "$(e2e_queue_count mta held)" 1 "one held message deleted behind retryd's back"
e2e_retryd_start
e2e_wait_log "$q1: gone from the MTA queue" 30
like "$(grep "$q1: gone" "$E2E_DIR/retryd.log")" 'absent from two complete listings' \
	"retryd marks it done: gone, from two complete listings after the start"
like "$(e2e_ctl show "$q1" 2>&1)" 'gone' "retryctl show says gone"
is "$(e2e_queue_count mta held)" 1 "the other message is still held"
e2e_wait_pass 3 30
ok "$([ "$(e2e_full_listings_since_start)" -le 3 ]; echo $?)" "then passes read the log again ($(e2e_full_listings_since_start) full listings)"
e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "retryd stops cleanly on SIGTERM"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

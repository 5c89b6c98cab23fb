#!/bin/bash
# exim_domhold.t — holding by domain with a real Exim 4.96 (issue 13): no
# per-message freeze. retryd's policy sets [exim] held_domains_file; Exim
# reads that file as `domainlist retryd_held` with `hold_domains =
# +retryd_held` (contrib/exim/README.exim). windowslive.test (group
# microsoft) is NXDOMAIN at NSD; Exim (fail_defer_domains) defers N
# messages; a foreground retryd adopts them by writing windowslive.test
# into the file — no exim -Mf runs, nothing is frozen.
#  - While held, Exim's own queue runs (exim -q, twice) neither deliver
#    nor bounce them although a TEST-ONLY retry rule `*@windowslive.test *
#    F,5s,1s` has timed out (they are older than 5 s): each run logs
#    `== ... defer (-23): domain is held`. Control: a second Exim with the
#    same rule and no hold_domains bounces its windowslive.test message
#    (`** ...: retry timeout exceeded`) in the same conditions.
#  - New mail for the held domain (submitted while held) is held by Exim
#    at once (`domain is held`), discovered from that main-log line and
#    adopted by retryd (no freeze either).
#  - retryd restarted while held reads the file back: no message is held
#    again ("found released"), nothing frozen.
#  - The domain comes back: every message (N + 1) is delivered exactly
#    once (exim -M overrides hold_domains), none bounced, the queue is
#    empty, and once no held mail is left windowslive.test leaves the
#    file.
. "$(dirname "$0")/lib_exim_e2e.sh"
e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
N=3
WINDOW=3
E2E_VERIFY_WINDOW=${WINDOW}s
e2e_init exim_domhold ind
HELD_DIR=$E2E_DIR/retryd-exim
HELD=$HELD_DIR/held-domains
# as the operator does before the Exim configuration names the file: a
# directory retryd's user writes, the file there (Exim fails every
# delivery while a named list file is missing)
mkdir -p "$HELD_DIR"
: >"$HELD"
if getent passwd retryd >/dev/null; then chown retryd "$HELD_DIR" "$HELD"; fi
chmod 755 "$HELD_DIR"
chmod 644 "$HELD"
E2E_EXIM_POLICY_EXIM="held_domains_file = $HELD"
e2e_exim_policy_write || { echo "Bail out! policy refused"; exit 1; }
E2E_EXIM_MAIN_EXTRA="domainlist retryd_held = $HELD
hold_domains = +retryd_held" e2e_exim_start mta 54 yes ||
	{ echo "Bail out! Exim config refused"; exit 1; }
e2e_exim_start ctl 54 yes || { echo "Bail out! control Exim config refused"; exit 1; }
# the test-only short rule, first in both Exims' retry sections
for c in "$E2E_DIR/exim-mta/exim.conf" "$E2E_DIR/exim-ctl/exim.conf"; do
	sed -i 's/^begin retry$/begin retry\n*@windowslive.test   *   F,5s,1s/' "$c"
done
e2e_exim_use mta
like "$(exim_cmd -brt u@windowslive.test 2>/dev/null)" "F,5s,1s" "the short test rule applies to windowslive.test"
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }
e2e_domain_gone
is "$(dig +time=1 +tries=1 @"$(dns_addr 53)" windowslive.test MX | grep -o 'status: [A-Z]*')" \
	"status: NXDOMAIN" "NSD: windowslive.test is NXDOMAIN"

for i in $(seq 1 $N); do e2e_exim_submit mta "u$i@windowslive.test" "dh-$i" >/dev/null; done
e2e_exim_submit ctl "c1@windowslive.test" "ctl-1" >/dev/null
ids=$(e2e_exim_msgid_ids mta 'dh-[0-9]+')
is "$(e2e_exim_count mta deferred '@windowslive\.test')" $N "$N messages deferred by Exim while the domain is gone"

e2e_exim_retryd_start
e2e_wait_count 20 1 grep -c '^windowslive\.test$' "$HELD"
is "$(grep -v '^#' "$HELD")" "windowslive.test" "retryd held the domain: the file lists windowslive.test"
e2e_wait_log "verdict=domain, action=wait" 20
is "$(e2e_sum adopted)" $N "retryd adopted the $N messages"
is "$(e2e_exim_frozen_count mta)" 0 "... none frozen (exim -bp)"
is "$(grep -c ' frozen by ' "$(e2e_exim_log mta)")" 0 "mainlog: no 'frozen by' line (no exim -Mf ran)"

# New mail for the held domain: held by Exim at once, adopted by retryd.
id5=$(e2e_exim_submit mta "u5@windowslive.test" "dh-5")
like "$(grep " $id5 == " "$(e2e_exim_log mta)")" "== u5@windowslive\.test defer \(-23\): domain is held" \
	"new mail: Exim holds it at once ('domain is held')"
e2e_wait_log "$id5.*action=adopt" 20
like "$(grep "$id5" "$E2E_DIR/retryd.log" | grep 'action=adopt')" "domain=windowslive\.test" \
	"... discovered from the main log and adopted by retryd"

# Held past the (test) retry cutoff: Exim's own queue runs neither
# deliver nor bounce. The control Exim (no hold_domains) bounces.
sleep 6
mark=$(wc -l <"$(e2e_exim_log mta)")
e2e_exim_use mta
exim_cmd -q >/dev/null 2>&1
exim_cmd -q >/dev/null 2>&1
held=$(tail -n +"$((mark + 1))" "$(e2e_exim_log mta)" | grep -c ' == u[0-9]@windowslive\.test defer (-23): domain is held$')
is "$held" $((2 * (N + 1))) "two queue runs: each of the $((N + 1)) messages logged 'domain is held' twice"
is "$(tail -n +"$((mark + 1))" "$(e2e_exim_log mta)" | grep -E -c ' (\*\*|=>) ')" 0 \
	"... nothing delivered or bounced by them"
e2e_exim_use ctl
exim_cmd -q >/dev/null 2>&1
like "$(grep ' \*\* c1@windowslive\.test' "$(e2e_exim_log ctl)")" "retry timeout exceeded" \
	"control (same rule, no hold_domains): '** c1@windowslive.test: retry timeout exceeded'"
is "$(e2e_exim_count mta bounced '@windowslive\.test')" 0 "held: none bounced"
is "$(e2e_exim_queue_count mta)" $((N + 1)) "held: all $((N + 1)) still queued"
is "$(e2e_sum attempted)" 0 "retryd attempted nothing while the domain is gone"

# A restart while held: the file is read back, nothing is held again
# (no "found released" re-hold of every message), nothing frozen.
e2e_retryd_stop
e2e_exim_retryd_start
# the first pass after the start: a full listing and its reconciliation
# shellcheck disable=SC2016 # expanded by that sh
wait_for 30 sh -c 'tail -n +"$1" "$2" | grep -E -q "pass: scanned=[0-9]+, "' _ \
	"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log"
like "$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep -E 'pass: scanned=[0-9]+, ' | head -1)" \
	"scanned=$((N + 1)), .*reheld=0," "after a restart: the first pass lists the $((N + 1)) messages, re-holds none"
is "$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep -c 'held again')" 0 \
	"after a restart: no message held again (the file said they were held)"
is "$(grep -v '^#' "$HELD")" "windowslive.test" "... the file still lists windowslive.test"
is "$(e2e_exim_frozen_count mta)" 0 "... none frozen"

# The domain comes back.
e2e_domain_back
e2e_wait_sink $((N + 1)) $((WINDOW + 1 + 15)) '@windowslive\.test'
is "$(e2e_sink_count '@windowslive\.test')" $((N + 1)) "every message delivered after the return: $((N + 1))"
is "$(e2e_sink_dups)" 0 "no Message-ID twice"
is "$(e2e_exim_count mta delivered '@windowslive\.test')" $((N + 1)) "mainlog: $((N + 1)) '=>' lines"
is "$(e2e_exim_count mta bounced '@windowslive\.test')" 0 "mainlog: none bounced"
e2e_exim_wait_queue mta 0 5
is "$(e2e_exim_queue_count mta)" 0 "the queue is empty"
# no held mail left: the domain leaves the file (the watch's rebuild)
wait_for 30 sh -c '! grep -q "^windowslive\.test$" "$0"' "$HELD"
is "$(grep -c '^windowslive\.test$' "$HELD")" 0 "windowslive.test left the held-domains file"
like "$(stat -c %a "$HELD")" "^644$" "the file is mode 644 (Exim reads it)"
e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "retryd stops cleanly on SIGTERM"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

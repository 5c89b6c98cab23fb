#!/bin/bash
# fleet_suppress.t — fleet-wide suppression on a real PostgreSQL 15 with
# two Postfix hosts and two retryd (issue 15): an address refused twice on
# host A and once on host B while DNS is healthy is suppressed on both,
# and each host's smtpd rejects it at RCPT through the pgsql: table;
# `unsuppress` on B clears it everywhere.
#
# As in postfix_suppress.t, mail reaches retryd through a routing
# deferral (a stale negative cache at the host's resolver), and the MX
# answers RCPT TO:<gone@hotmail.test> with 450 4.1.1 "User unknown"
# (mailbox-unknown): each retryd attempt is one more failure. The first
# attempt on each host is made while its resolver is still failing
# (local-path): excluded. Policy: min_failures = 3, min_span = 1s,
# healthy DNS required. Neither host alone reaches 3 (A: 2, B: 1).
. "$(dirname "$0")/lib_fleet.sh"
fleet_ready || skip_all "retryd, postfix.so, PostgreSQL 15 or postfix-pgsql missing"
BAD=gone@hotmail.test
GOOD=alice@hotmail.test

E2E_VERIFY_WINDOW=1s E2E_TIER_EVERY=2s fleet_init fleet_suppress \
	"[suppression]" "categories = mailbox-unknown, mailbox-disabled" \
	"min_failures = 3" "min_span = 1s" "require_healthy_dns = yes" \
	"on_suppress = bounce"
printf '%s %s\n' "$BAD" "450 4.1.1 <$BAD>: Recipient address rejected: unverified address: User unknown in virtual mailbox table" \
	>"$LAB_DIR/rejects"

like "$(fleet_ctl A fleet init)" "^fleet schema: version 0 -> 1" "retryctl fleet init creates the schema (version 1)"
like "$(fleet_ctl B fleet init)" "^fleet schema: version 1, up to date" "... a second init finds it up to date"

rcpt_refusals() { grep -c -F "REJECT <$BAD>" "$E2E_SINK/rcpt.log" 2>/dev/null; }
sup() { # sup HOST EXPR: over `show BAD --json`'s suppression object
	fleet_ctl "$1" show "$BAD" --json | python3 -c 'import json,sys; d=json.load(sys.stdin)["suppression"]; print(eval(sys.argv[1]))' "$2"
}
suppressed() { fleet_ctl "$1" suppressed --json | python3 -c 'import json,sys; print([s["address"] for s in json.load(sys.stdin)])'; }
attempt() { sleep 2.1; fleet_once "$1" >/dev/null; }

# ---- host A: two counted failures ----
e2e_poison hotmail.test 54
fleet_submit A a1 "$BAD"
fleet_use A
e2e_wait_queue mta deferred 1 20
like "$(fleet_once A)" "adopted=1," "A: message adopted (routing deferral)"
attempt A
is "$(rcpt_refusals)" 1 "A: attempt 1 refused by the MX (local-path then: excluded)"
attempt A
attempt A
is "$(rcpt_refusals)" 3 "A: attempts 2 and 3 refused"
is "$(sup A '(d["suppressed"], d["counted"])')" "(False, 2)" "A: 2 counted failures: not suppressed by A alone"

# ---- host B: one counted failure ----
e2e_poison hotmail.test 55
fleet_submit B b1 "$BAD"
fleet_use B
e2e_wait_queue mta deferred 1 20
like "$(fleet_once B)" "adopted=1," "B: message adopted (routing deferral)"
attempt B
attempt B
is "$(rcpt_refusals)" 5 "B: attempts 1 (excluded) and 2 refused"
is "$(pg_sql "SELECT count(*) FROM fleet_suppressed WHERE address = '$BAD' AND cleared_at IS NULL")" 1 \
	"fleet: decided over both hosts' evidence (2 on A + 1 on B)"
like "$(pg_sql "SELECT reason FROM fleet_suppressed WHERE address = '$BAD'")" \
	"^suppress: 3 of 3 failures \(mailbox-unknown\) .*fleet-wide; from fleet-a, fleet-b" \
	"fleet: the reason names the rule and both hosts"
like "$(grep 'fleet: suppress ' "$LAB_DIR/B/retryd.log")" "fleet: suppress $BAD: suppress: 3 of 3" "B logged the decision"
is "$(suppressed B)" "['$BAD']" "B: pulled into B's store (retryctl suppressed)"
is "$(sup B 'd["suppressed"]')" "True" "B: retryctl show says suppressed"

# ---- A pulls it ----
like "$(fleet_ctl A fleet sync)" "pulled=1," "A: fleet sync pulls the decision"
is "$(suppressed A)" "['$BAD']" "A: suppressed in A's store too"
like "$(fleet_ctl A suppressed)" "fleet: suppress: 3 of 3" "A: with the fleet's reason"

# ---- both smtpds reject at RCPT through pgsql: ----
like "$(fleet_rcpt A "$BAD")" "^5[0-9][0-9] 5\.1\.1 <$BAD>: Recipient address rejected: recipient suppressed by retryd \(fleet\)" \
	"A: RCPT TO:<gone@> rejected 5.1.1 (pgsql: lookup)"
like "$(fleet_rcpt B "$BAD")" "^5[0-9][0-9] 5\.1\.1 <$BAD>: Recipient address rejected: recipient suppressed by retryd \(fleet\)" \
	"B: RCPT TO:<gone@> rejected 5.1.1 (pgsql: lookup)"
like "$(fleet_rcpt A "$GOOD")" "^250 " "A: RCPT TO:<alice@> accepted"

# ---- every record shipped once: PostgreSQL vs each store, record by record ----
for h in A B; do
	id=fleet-$(echo $h | tr AB ab)
	fleet_ctl $h show "$BAD" --json | python3 -c 'import json,sys; [print(e["time"], e["queue_id"], e["outcome"], e["category"]) for e in json.load(sys.stdin)["evidence"]]' | sort >"$LAB_DIR/$h.local"
	pg_sql "SELECT to_char(to_timestamp(time) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), queue_id, outcome, category FROM fleet_evidence WHERE host_id = '$id' AND address = '$BAD'" | tr '|' ' ' | sort >"$LAB_DIR/$h.pg"
	ok "$(diff "$LAB_DIR/$h.local" "$LAB_DIR/$h.pg" >&2; echo $?)" "$h: PostgreSQL holds exactly $h's evidence for gone@ ($(wc -l <"$LAB_DIR/$h.pg") records)"
done
like "$(fleet_ctl A fleet status)" "fleet-a .* 0 +0 +0 " "fleet status: host A listed, its outbox empty"
like "$(fleet_ctl A fleet status)" "fleet-b .* 0 +0 +0 " "fleet status: host B listed, its outbox empty"

# ---- unsuppress on B clears it fleet-wide ----
like "$(fleet_ctl B unsuppress "$BAD")" "unsuppressed $BAD fleet-wide" "B: retryctl unsuppress clears it fleet-wide"
is "$(suppressed B)" "[]" "B: gone from B's store"
like "$(fleet_rcpt A "$BAD")" "^250 " "A: RCPT TO:<gone@> accepted again at once (pgsql:)"
like "$(fleet_ctl A fleet sync)" "cleared=1" "A: the clear is pulled"
is "$(suppressed A)" "[]" "A: gone from A's store"
is "$(fleet_ctl A show "$BAD" --json | grep -o 'unsuppressed fleet-wide (cleared by fleet-b)' | wc -l)" 1 \
	"A: an operator-reset record in A's own evidence (A's older failures no longer count)"
is "$(pg_sql "SELECT count(*) FROM fleet_evidence WHERE address = '$BAD' AND category = 'operator-reset' AND host_id = 'fleet-b'")" 1 \
	"B's operator-reset evidence was shipped (restarts the count everywhere)"
like "$(fleet_ctl A fleet sync)" "decided=0," "no new decision from the old failures after the reset"
ok "$(fleet_asan_clean; echo $?)" "retryd A and B: no sanitizer report"
done_testing

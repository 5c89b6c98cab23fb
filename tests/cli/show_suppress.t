#!/bin/bash
# show_suppress.t — retryctl show ADDRESS explains the suppression
# decision: suppress_decide() over the address's evidence in a real
# Berkeley DB store (filled by tests/tools/store_seed) with the loaded
# policy (min_failures 3, min_span 1d, DNS must be healthy). Each evidence
# line is marked counted / excluded (why) / not a failure / reset, the
# decision line says "N of 3 failures ... K excluded: ...", and --json
# carries a "suppression" object {suppressed, since, reason, counted,
# needed, span, excluded[]}. Cases: not yet (one local-path failure and
# a routing one excluded), criteria met but not recorded yet, recorded,
# a count restarted by a delivery, and an evidence text where a guarded
# rule stepped aside for an address guard (named under the table and as
# "stepped_aside").
. "$(dirname "$0")/../lab/lib.sh"
CTL=$RETRYD_ASAN_BUILD/retryctl
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
[ -x "$CTL" ] && [ -x "$SEED" ] ||
	skip_all "retryctl or store_seed not built (make asan)"
command -v python3 >/dev/null || skip_all "python3 missing"
lab_init show_suppress

P=$LAB_DIR/retryd.ini
cat >"$P" <<EOF
[retryd]
mta = postfix
state_dir = $LAB_DIR/state

[suppression]
categories = mailbox-unknown, mailbox-disabled
min_failures = 3
min_span = 1d
require_healthy_dns = yes
EOF
C() { "$CTL" -c "$P" "$@"; }
pyj() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
U='text="550 5.1.1 user unknown" dsn=5.1.1 outcome=bounced category=mailbox-unknown'

"$SEED" "$LAB_DIR/state" <<EOF
evidence address=a@x.test time=now-3h id=AAA111 host=h1 verdict=healthy $U
evidence address=a@x.test time=now-2h id=AAA112 host=h1 verdict=local-path $U
evidence address=a@x.test time=now-90m id=AAA113 host=h1 verdict=healthy outcome=deferred dsn=4.4.4 text="no mail hosts" category=routing
evidence address=a@x.test time=now-1h id=AAA114 host=h1 verdict=healthy $U
evidence address=a@x.test time=now-30m id=AAA115 host=h1 verdict=dns-outage outcome=none text="no attempt"
evidence address=b@x.test time=now-3d id=BBB111 verdict=healthy $U
evidence address=b@x.test time=now-2d id=BBB112 verdict=healthy $U
evidence address=b@x.test time=now-1d id=BBB113 verdict=healthy $U
evidence address=c@x.test time=now-3d id=CCC111 verdict=healthy $U
evidence address=c@x.test time=now-2d id=CCC112 verdict=healthy $U
evidence address=c@x.test time=now-1d id=CCC113 verdict=healthy $U
suppressed address=c@x.test time=now-1d reason="suppress: 3 of 3 failures (mailbox-unknown) over 2d of 1d, DNS healthy each time" evidence="3 counted: ..."
evidence address=d@x.test time=now-3d id=DDD111 verdict=healthy $U
evidence address=d@x.test time=now-2d id=DDD112 verdict=healthy $U
evidence address=d@x.test time=now-1d id=DDD113 verdict=healthy outcome=delivered dsn=2.0.0 text="250 2.0.0 Ok"
evidence address=d@x.test time=now-1h id=DDD114 verdict=healthy $U
evidence address=e@x.test time=now-1h id=EEE111 verdict=healthy outcome=bounced dsn=5.0.0 text="550 Your account alice is not registered" category=other
EOF
is "$?" 0 "store_seed fills the store"

# ---- not yet: 2 of 3, one local-path and one routing failure excluded ----
out=$(C show a@x.test); rc=$?
is "$rc" 0 "show a@x.test: exit 0"
like "$out" "suppressed: +no" "not suppressed"
like "$out" "decision: +not yet: 2 of 3 failures over 2h of 1d; 2 excluded, latest: category routing never counts" \
	"the decision: 2 of 3 failures, 2 excluded, the latest named"
like "$out" "Z +counted +AAA111 +h1 +healthy +bounced +5\.1\.1 +mailbox-unknown" "a healthy 5.1.1 line is counted"
like "$out" "Z +excluded: DNS local-path +AAA112 +h1 +local-path" "the local-path line is excluded, with why"
like "$out" "Z +excluded: routing never counts +AAA113" "the routing line is excluded, with why"
like "$out" "Z +not a failure +AAA115 +h1 +dns-outage +none" "a no-attempt line is not a failure"
J=$(C show a@x.test --json)
is "$(pyj 'd["suppression"]["suppressed"], d["suppression"]["counted"], d["suppression"]["needed"], d["suppression"]["span"], d["suppression"]["since"]' <<<"$J")" \
	"(False, 2, 3, 7200, None)" "--json: suppression {suppressed, counted, needed, span, since}"
is "$(pyj '[e["queue_id"] for e in d["suppression"]["excluded"]]' <<<"$J")" "['AAA112', 'AAA113']" \
	"--json: excluded[] lists both, oldest first"
like "$(pyj 'd["suppression"]["excluded"][0]["why"]' <<<"$J")" "^excluded: DNS was local-path at [0-9-]+T[0-9:]+Z$" \
	"--json: excluded[].why says DNS was local-path at TIME"
is "$(pyj '[e["suppression"] for e in d["evidence"]]' <<<"$J")" \
	"['counted', 'excluded', 'excluded', 'counted', 'not-a-failure']" "--json: every evidence line marked"
like "$(pyj 'd["suppression"]["reason"]' <<<"$J")" "^not yet: 2 of 3 failures" "--json: reason = the decision when not suppressed"
# each evidence line carries what decides its category (no [classifier] here: the built-in rules)
like "$out" "mailbox-unknown +classifier\.ini \(built in\):[0-9]+ +550 5\.1\.1 user unknown" \
	"an evidence line names the built-in rule that classifies it"
like "$out" "routing +classifier\.ini \(built in\):[0-9]+ +no mail hosts" "the routing line names its rule"
like "$(pyj 'd["evidence"][0]["decided_by"], d["evidence"][0]["category_now"]' <<<"$J")" \
	"^\('classifier\.ini \(built in\):[0-9]+', 'mailbox-unknown'\)$" "--json: decided_by and category_now per evidence line"

# ---- met, not recorded (the daemon records it at the next counted failure) ----
out=$(C show b@x.test)
like "$out" "decision: +suppress: 3 of 3 failures \(mailbox-unknown\) over 2d of 1d, DNS healthy each time" \
	"criteria met: 3 of 3 over 2d"
like "$out" "note: +the criteria are met" "says the record is not written yet"
is "$(C show b@x.test --json | pyj 'd["suppression"]["criteria_met"], d["suppression"]["suppressed"], d["suppression"]["span"]')" \
	"(True, False, 172800)" "--json: criteria_met but not suppressed, span 2d"

# ---- recorded ----
out=$(C show c@x.test)
like "$out" "suppressed: +yes, since [0-9-]+T[0-9:]+Z: suppress: 3 of 3 failures" "a suppressed address: since when and why"
is "$(C show c@x.test --json | pyj 'd["suppression"]["suppressed"], d["suppression"]["since"] is not None, d["suppression"]["excluded"]')" \
	"(True, True, [])" "--json: suppressed, since, nothing excluded"

# ---- a delivery restarts the count ----
out=$(C show d@x.test)
like "$out" "decision: +not yet: 1 of 3 failures .*count restarted by a delivery at" "a delivery restarts the count"
like "$out" "Z +reset by a later delivery +DDD111" "failures before the delivery are marked reset"
like "$out" "Z +not a failure +DDD113 .*delivered" "the delivery is not a failure"
is "$(C show d@x.test --json | pyj 'd["suppression"]["counted"], d["suppression"]["reset_at"] is not None')" \
	"(1, True)" "--json: counted 1, reset_at set"

# ---- a guarded rule that stepped aside for an address guard is named ----
out=$(C show e@x.test)
like "$out" "Z EEE111: guarded rule classifier\.ini \(built in\):[0-9]+ stepped aside: guard classifier\.ini \(built in\):[0-9]+ matched" \
	"a line under the table names the guarded rule that stepped aside and the guard"
like "$(C show e@x.test --json | pyj 'd["evidence"][0]["stepped_aside"]')" \
	"^guarded rule classifier\.ini \(built in\):[0-9]+ stepped aside: guard classifier\.ini \(built in\):[0-9]+ matched$" \
	"--json: stepped_aside on that evidence line"
is "$(C show a@x.test --json | pyj '[("stepped_aside" in e) for e in d["evidence"]]')" \
	"[False, False, False, False, False]" "--json: no stepped_aside where none stepped aside"
is "$(C show a@x.test | grep -c "stepped aside")" 0 "no note where none stepped aside"

done_testing

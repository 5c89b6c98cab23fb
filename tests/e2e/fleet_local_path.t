#!/bin/bash
# fleet_local_path.t — cross-host verdicts (issue 15): hotmail.test is
# broken only at host A's resolver (unbound mta1 answers NXDOMAIN for it:
# local_zone always_nxdomain, which no flush removes) while host B's
# resolver serves it. A's retryd verifies local-path and keeps its mail
# held; B delivers throughout and verifies it healthy. The fleet report,
# read from either host, names A and A's resolver node; diagnose --fleet
# shows both hosts side by side; list --fleet shows A's waiting recipient.
. "$(dirname "$0")/lib_fleet.sh"
fleet_ready || skip_all "retryd, postfix.so, PostgreSQL 15 or postfix-pgsql missing"

E2E_VERIFY_WINDOW=1s E2E_TIER_EVERY=1s fleet_init fleet_local_path
like "$(fleet_ctl A fleet init)" "version 0 -> 1" "fleet init"
NODE_A=$(dns_addr 54)

# ---- B: a routing deferral that heals (B's cache flushed), then healthy ----
e2e_poison hotmail.test 55
fleet_submit B b1 bob@hotmail.test
fleet_use B
e2e_wait_queue mta deferred 1 20
dns_unbound_reset mta2
like "$(fleet_once B)" "adopted=1," "B: a message deferred for routing adopted"
sleep 1.1
fleet_once B >/dev/null
e2e_wait_sink 1 20 bob@
is "$(e2e_sink_count bob@)" 1 "B: verified healthy and delivered"

# ---- A: its resolver node refuses hotmail.test ----
dns_unbound_ctl mta1 local_zone hotmail.test. always_nxdomain >/dev/null
fleet_submit A a1 alice@hotmail.test
fleet_use A
e2e_wait_queue mta deferred 1 20
like "$(fleet_once A)" "adopted=1," "A: the NXDOMAIN deferral adopted"
sleep 1.1
fleet_once A >/dev/null
sleep 1.1
fleet_once A >/dev/null
like "$(grep 'verdict=' "$LAB_DIR/A/retryd.log" | tail -1)" "verdict=local-path" "A: verified local-path"
is "$(e2e_sink_count alice@)" 0 "A: nothing delivered through the broken node"

# ---- B delivers throughout ----
fleet_submit B b2 carol@hotmail.test
e2e_wait_sink 1 20 carol@
is "$(e2e_sink_count carol@)" 1 "B: new mail to hotmail.test delivered while A's node fails"

# ---- cross-host views ----
fleet_ctl B fleet sync >/dev/null
report=$(fleet_ctl B report --fleet)
diag "$report"
like "$report" "hotmail\.test +local-path of fleet-a \(local-path at resolver node $NODE_A(:53)?\); healthy from fleet-b" \
	"report --fleet: hotmail.test is a local path of A, naming A's resolver node; healthy from B"
is "$(fleet_ctl A report --fleet --json | python3 -c 'import json,sys; d=[x for x in json.load(sys.stdin)["domains"] if x["domain"]=="hotmail.test"][0]; print(d["fleet_verdict"], [h["host"] for h in d["hosts"] if h["failing"]], d["healthy_from"])')" \
	"local-path ['fleet-a'] fleet-b" "report --fleet --json: the same, for tools"
d=$(fleet_ctl A diagnose hotmail.test --fleet)
diag "$d"
like "$(grep '^fleet-a ' <<<"$d")" "local-path +$NODE_A" "diagnose --fleet: A's latest verification, local-path at its node"
like "$(grep '^fleet-b ' <<<"$d")" "healthy +-$" "diagnose --fleet: B's, healthy"
like "$(fleet_ctl B list --fleet)" "alice@hotmail\.test +fleet-a " "list --fleet: A's waiting recipient, seen from B"
is "$(fleet_ctl B list --fleet | grep -c 'carol@')" 0 "list --fleet: delivered recipients are not listed"
ok "$(fleet_asan_clean; echo $?)" "retryd A and B: no sanitizer report"
done_testing

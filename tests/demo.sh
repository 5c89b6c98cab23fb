#!/bin/bash
# demo.sh — `make demo`: the incident retryd exists for, played end to end
# on the loopback lab with the -O2 build (build/), narrated as it goes.
#
# A stale negative cache at the MTA's resolver for hotmail.test (group
# microsoft): plain Postfix bounces good recipients with 5.4.4; Postfix
# with retryd's status filter defers them, retryd adopts them, verifies
# fresh (local-path: only the MTA's resolver is wrong), flushes that
# resolver through the hook, releases and delivers every message. Shows
# `retryctl list --group microsoft`, `retryctl diagnose hotmail.test` and
# `retryctl show` for one recipient. Everything it starts is stopped on
# exit (lab_cleanup, trap). Prints one final result line; exit 0 when every
# message was delivered and none bounced.
E2E_OPT=1
. "$(dirname "$0")/e2e/lib_e2e.sh"
N=${DEMO_MSGS:-5}
T_START=$(date +%s)

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD= PLAIN=; fi
say() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
show() { sed 's/^/    /'; }
fail() {
	echo
	echo "demo: FAILED — $*"
	LAB_FAILED=1
	exit 1
}

e2e_ready || fail "build first: make (retryd, retryctl, plugins/postfix.so), and make deps"

say "Starting the loopback lab"
e2e_init demo ind mta2
e2e_policy_write || fail "the demo policy was refused"
e2e_postfix_start plain 55 no || fail "plain Postfix did not start"
e2e_postfix_start mta 54 yes || fail "Postfix did not start"
e2e_sink_start || fail "smtp-sink did not start"
cat <<EOF | show
NSD (authoritative for hotmail.test, outlook.test, live.test, msn.test)  $(dns_addr 53)
unbound "mta1", the resolver of the Postfix that retryd serves           $(dns_addr 54)
unbound "mta2", the resolver of a plain Postfix (no retryd)              $(dns_addr 55)
unbound "ind", an independent resolver                                   $(dns_addr 56)
smtp-sink, every MX of the lab                                           $(dns_addr 25)
two isolated Postfix 3.7 instances under $E2E_DIR
retryd policy: $E2E_POLICY
EOF

say "The incident: hotmail.test's MX is removed at the authoritative server"
dns_zone_set hotmail.test "www IN A $(dns_addr 25)"
echo "NSD now: hotmail.test MX -> '$(dns_ask 53 hotmail.test MX)' (nothing)" | show
echo "Both MTA resolvers are asked (mail is flowing): they cache 'no MX' for the SOA negative TTL (300 s)" | show
for r in 54 55; do dns_ask $r hotmail.test MX >/dev/null; dns_ask $r hotmail.test A >/dev/null; done
dns_zone_set hotmail.test
echo "The MX is put back at the authoritative server:" | show
cat <<EOF | show
  NSD (authoritative)        hotmail.test MX: $(dns_ask 53 hotmail.test MX)
  independent resolver       hotmail.test MX: $(dns_ask 56 hotmail.test MX)
  the MTA's resolver (mta1)  hotmail.test MX: '$(dns_ask 54 hotmail.test MX)'   <- stale "no MX" from its cache
EOF

say "Plain Postfix (no retryd) gets $N messages for good hotmail.test recipients"
for i in $(seq 1 "$N"); do e2e_submit plain "user$i@hotmail.test" "demo-plain-$i"; done
e2e_wait_log_count plain bounced '@hotmail\.test' "$N" 30
plain_bounced=$(e2e_log_count plain bounced '@hotmail\.test')
echo "plain Postfix would bounce: $plain_bounced of $N good recipients lost, for example:" | show
grep 'to=<user1@hotmail.test>' "$(e2e_pf_log plain)" | sed 's/^.*: to=/to=/' | cut -c1-220 | show

say "Postfix with retryd's status filter gets the same $N messages"
echo "main.cf: smtp_delivery_status_filter = regexp:.../retryd_status_filter (from 'retryctl export postfix-filter')" | show
grep -m1 '^/' "$(e2e_pf_conf mta)/retryd_status_filter" | cut -c1-160 | show
for i in $(seq 1 "$N"); do e2e_submit mta "user$i@hotmail.test" "demo-$i"; done
e2e_wait_queue mta deferred "$N" 30 || fail "the messages were not deferred"
e2e_wait_log_count mta deferred '@hotmail\.test' "$N" 30
echo "the same failure is now a deferral, the message stays queued:" | show
grep -m1 'to=<user[0-9]*@hotmail.test>.*status=deferred' "$(e2e_pf_log mta)" | sed 's/^.*: to=/to=/' | cut -c1-200 | show

say "retryd, pass 1: scan the deferred queue, adopt (hold in Postfix, record in Berkeley DB)"
s=$(e2e_once)
grep 'action=adopt' "$E2E_DIR/retryd.log" | sed 's/^.*retryd[^:]*: //' | head -3 | show
echo "$s" | sed 's/^.*retryd[^:]*: //' | show
echo "postqueue -j: $(e2e_queue_count mta held) messages on hold (Postfix's own queue runner leaves them alone)" | show

say "retryctl list --group microsoft"
e2e_ctl list --group microsoft | show

say "retryctl diagnose hotmail.test (fresh lookups: the MTA's resolver vs independent vs authoritative)"
e2e_ctl diagnose hotmail.test | show

say "retryd, pass 2: verify fresh, flush the stale resolver, release and deliver"
sleep 1
for _ in 1 2 3 4 5; do
	e2e_once >/dev/null
	[ "$(e2e_sink_count '@hotmail\.test')" -ge "$N" ] && break
	sleep 1
done
grep -E 'flush_resolver hook|action=attempt|action=delivered|verdict=local-path' "$E2E_DIR/retryd.log" |
	sed 's/^.*retryd[^:]*: //' | awk '!seen[$0]++' | head -8 | show
e2e_summaries | tail -1 | sed 's/^.*retryd[^:]*: //' | show
echo "the MTA's resolver after the hook: hotmail.test MX: $(dns_ask 54 hotmail.test MX)" | show
e2e_wait_sink "$N" 20 '@hotmail\.test'
delivered=$(e2e_sink_count '@hotmail\.test')
e2e_wait_log_count mta sent '@hotmail\.test' "$N" 10
grep -m1 'to=<user[0-9]*@hotmail.test>.*status=sent' "$(e2e_pf_log mta)" | sed 's/^.*: to=/to=/' | cut -c1-200 | show
echo "smtp-sink received $delivered of $N messages; Postfix bounced $(e2e_log_count mta bounced '@hotmail\.test')" | show

say "retryctl show user1@hotmail.test (the evidence, per attempt)"
e2e_ctl show user1@hotmail.test | show

bounced=$(e2e_log_count mta bounced '@hotmail\.test')
secs=$(($(date +%s) - T_START))
echo
if [ "$delivered" = "$N" ] && [ "$bounced" = 0 ] && [ "$(e2e_sink_dups)" = 0 ]; then
	echo "demo: PASS — stale negative cache for hotmail.test: plain Postfix bounced $plain_bounced of $N good recipients; Postfix + retryd delivered $delivered of $N, bounced 0 (local-path, resolver flushed) in ${secs}s"
	exit 0
fi
fail "Postfix + retryd delivered $delivered of $N, bounced $bounced (lab kept: $E2E_DIR)"

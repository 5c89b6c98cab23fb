#!/bin/bash
# exim_stale_cache.t — the incident of the mission with Exim, end to end
# (issue #5, scenario 1). A real stale negative cache for hotmail.test
# (group microsoft) at the MTA's unbound: NSD serves the MX again, the
# MTA's resolver still answers "no MX" (NODATA cached for 300 s).
#  (a) plain Exim 4.96 (no fail_defer_domains, resolver mta2, just as
#      stale) bounces every message at once: `** u@hotmail.test:
#      Unrouteable address`, and the sender gets N DSNs: N good recipients
#      lost;
#  (b) Exim with contrib/exim (fail_defer_domains = the list `retryctl
#      export exim-domains` wrote from the policy, retry rule) defers each
#      (`== ... defer (-1): missing MX ... defer requested`); retryd (ASan
#      build, --once passes in Exim's resolver namespace) adopts them
#      (frozen in exim -bp), verifies local-path (MTA unbound stale, NSD and
#      the independent unbound have the MX), runs the flush hook
#      (contrib/flush-unbound on mta1's control channel) and delivers with
#      exim -M to smtp-sink: sink == N, unique Message-IDs, no bounce, queue
#      empty, and `retryctl show ADDRESS` has the local-path evidence.
#      retryd's first pass runs before the mail comes (its main-log cursor
#      then predates Exim's own first tries): those tries are not taken
#      for outcomes of retryd's attempt (deferred=0, one evidence record) —
#      the regression test of that bug (retryd/outcome.c, stale outcomes).
. "$(dirname "$0")/lib_exim_e2e.sh"
e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
N=6
e2e_init exim_stale_cache ind mta2
e2e_exim_policy_write || { echo "Bail out! policy refused"; exit 1; }
e2e_exim_start plain 55 no || { echo "Bail out! plain Exim config refused"; exit 1; }
e2e_exim_start mta 54 yes || { echo "Bail out! Exim config refused"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }

# The incident: both MTA resolvers cache "no MX" (and no A) for hotmail.test.
e2e_poison hotmail.test 54 55
is "$(dns_ask 53 hotmail.test MX)" "10 mx1.hotmail.test." "NSD serves hotmail.test's MX"
is "$(dns_ask 56 hotmail.test MX)" "10 mx1.hotmail.test." "the independent resolver has it"
is "$(dns_ask 54 hotmail.test MX)" "" "the MTA's resolver answers from its stale negative cache"
is "$(dns_ask 55 hotmail.test MX)" "" "... and so does the plain Exim's"

# (a) plain Exim: every good recipient bounced.
for i in $(seq 1 $N); do e2e_exim_submit plain "user$i@hotmail.test" "plain-$i" >/dev/null; done
is "$(e2e_exim_count plain bounced '@hotmail\.test')" $N "(a) plain Exim: $N recipients bounced"
is "$(grep -c ' \*\* user[0-9]*@hotmail\.test: Unrouteable address$' "$(e2e_exim_log plain)")" $N \
	"(a) ... each '** user@hotmail.test: Unrouteable address'"
is "$(e2e_exim_count plain delivered '@hotmail\.test')" 0 "(a) ... none delivered"
e2e_wait_sink $N 20 'sender@senders\.test'
is "$(e2e_sink_count 'sender@senders\.test')" $N "(a) the sender got $N DSNs at the sink"
is "$(e2e_exim_queue_count plain)" 0 "(a) nothing left in the plain Exim's queue"

# (b) fail_defer_domains + retryd, running before the mail comes (its
# first pass sets the main-log cursor: Exim's own first tries below come
# after it and must not pass for the outcome of retryd's attempt).
s=$(e2e_exim_once)
like "$s" "scanned=0," "(b) retryd's first pass: an empty queue"
for i in $(seq 1 $N); do e2e_exim_submit mta "user$i@hotmail.test" "good-$i" >/dev/null; done
ids=$(e2e_exim_msgid_ids mta 'good-[0-9]+')
is "$(echo "$ids" | grep -c .)" $N "(b) $N messages received"
is "$(grep -c ' == user[0-9]*@hotmail\.test R=dnslookup defer (-1): missing MX, or all MXs point to missing A records, and defer requested$' \
	"$(e2e_exim_log mta)")" $N "(b) each deferred: 'defer (-1): missing MX ... defer requested'"
is "$(e2e_exim_count mta bounced '@hotmail\.test')" 0 "(b) ... none bounced"
is "$(e2e_exim_queue mta)" "$ids" "(b) all $N in the queue"

s=$(e2e_exim_once)
like "$s" "adopted=$N," "pass 1 adopts $N messages"
is "$(e2e_exim_frozen mta)" "$ids" "(b) exactly those $N are frozen (exim -bp: *** frozen ***)"
is "$(grep -c ' frozen by root$' "$(e2e_exim_log mta)")" $N "(b) mainlog: $N 'frozen by root'"
j=$(e2e_exim_ctl list --group microsoft --json)
is "$(printf '%s' "$j" | grep -o '"queue_id"' | wc -l)" $N "retryctl list --group microsoft: $N records"

# Passes until delivered (the first due pass verifies, flushes, attempts).
for _ in 1 2 3 4 5 6; do
	sleep 1
	e2e_exim_once >/dev/null
	[ "$(e2e_sink_count '@hotmail\.test')" -ge $N ] && break
done
e2e_wait_sink $N 10 '@hotmail\.test'
is "$(e2e_sink_count '@hotmail\.test')" $N "(b) every message delivered to the sink: $N"
is "$(e2e_sink_dups)" 0 "(b) no Message-ID delivered twice"
is "$(e2e_sink_ids | grep -c '^<good-')" $N "(b) ... $N distinct good-N Message-IDs"
is "$(e2e_exim_count mta delivered '@hotmail\.test')" $N "(b) mainlog: $N '=>' lines"
like "$(grep ' => user1@hotmail\.test' "$(e2e_exim_log mta)")" \
	"R=dnslookup T=remote_smtp H=mx1\.hotmail\.test \[$(dns_addr 25 | sed 's/\./\\./g')\]" \
	"(b) ... routed by MX through the (flushed) MTA resolver"
is "$(e2e_exim_count mta bounced '@hotmail\.test')" 0 "(b) mainlog: none bounced"
is "$(e2e_exim_queue_count mta)" 0 "(b) the queue is empty (nothing frozen, nothing deferred)"
is "$(e2e_sum adopted)" $N "summaries: adopted=$N in all"
is "$(e2e_sum delivered)" $N "summaries: delivered=$N in all"
is "$(e2e_sum bounced)" 0 "summaries: bounced=0"
is "$(e2e_sum deferred)" 0 "summaries: deferred=0 (Exim's own first tries, before adoption, are not outcomes of retryd's attempt)"
ok "$([ "$(e2e_sum hooks)" -ge 1 ]; echo $?)" "the flush hook ran"
like "$(grep 'flush_resolver hook for hotmail.test' "$E2E_DIR/retryd.log" | head -1)" \
	"hotmail\.test \($(dns_addr 54 | sed 's/\./\\./g'):53\): done" \
	"... for the MTA's resolver node $(dns_addr 54):53, exit 0"
is "$(dns_ask 54 hotmail.test MX)" "10 mx1.hotmail.test." "the MTA's resolver has the MX again (flushed)"
is "$(grep -c 'action=attempt, status=delivered' "$E2E_DIR/retryd.log")" $N \
	"retryd's log: $N recipients delivered"

j=$(e2e_exim_ctl show user1@hotmail.test --json)
like "$j" '"verdict": ?"local-path"' "retryctl show user1@hotmail.test: evidence verdict local-path"
like "$j" "$(dns_addr 54 | sed 's/\./\\./g')" "... naming the stale node"
like "$j" '"mta": ?"exim"' "... on the exim record"
is "$(printf '%s' "$j" | jq -r '[.evidence[]? // empty] | length' 2>/dev/null)" 1 \
	"... exactly one evidence record: the attempt, delivered"
t=$(e2e_exim_ctl show user1@hotmail.test)
like "$t" "local-path" "retryctl show (table) shows local-path"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
if [ "$(id -u)" = 0 ]; then
	is "$(grep -c 'as root (the daemon has no parsing instance)' "$E2E_DIR/retryd.log")" 0 \
		"started as root: exim -bpr, the main log and the msglogs were parsed by the dropped daemon, not the helper"
	ok "$([ "$(grep -c 'running as retryd; privileged helper' "$E2E_DIR/retryd.log")" -ge 1 ]; echo $?)" \
		"... and it did drop to retryd with a helper"
fi
done_testing

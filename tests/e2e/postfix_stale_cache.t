#!/bin/bash
# postfix_stale_cache.t — the incident of the mission, end to end (issue #4,
# scenario 1). A real stale negative cache for hotmail.test (group
# microsoft) at the MTA's unbound: NSD serves the MX again, the MTA's
# resolver still answers "no MX".
#  (a) plain Postfix (no status filter, no retryd) bounces every message
#      with dsn=5.4.4: N good recipients lost;
#  (b) Postfix with `retryctl export postfix-filter` as
#      smtp_delivery_status_filter and smtp_defer_if_no_mx_address_found,
#      plus retryd (ASan build, --once passes): every message deferred
#      4.4.4, adopted (held), verified local-path (MTA unbound stale, NSD and
#      the independent unbound have the MX), flush hook (contrib/flush-unbound
#      on mta1's control channel), released and delivered to smtp-sink:
#      sink == N, no bounce, no duplicate, nothing left in the queue, and
#      `retryctl show ADDRESS` has the local-path evidence.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
N=5
e2e_init postfix_stale_cache ind mta2
# Started as root, the flush hook runs as [hooks] user (nobody) with a
# clean environment: a wrapper records its uid and environment, then runs
# the real hook. RETRYD_E2E_MARKER is in retryd's environment, not the hook's.
if [ "$(id -u)" = 0 ]; then
	mkdir -m 1777 "$E2E_DIR/hookout"
	printf '#!/bin/sh\n{ id -u; env; } >"%s/hook.env"\nexec "$@"\n' \
		"$E2E_DIR/hookout" >"$E2E_DIR/hookwrap"
	chmod 755 "$E2E_DIR/hookwrap"
	export RETRYD_E2E_MARKER=leaked
	e2e_policy_write "user = nobody" || { echo "Bail out! policy refused"; exit 1; }
	# nobody may not traverse the checkout (a clone in a 0700 mktemp dir):
	# the hook it runs is a copy in the lab dir.
	install -m 755 "$LAB_ROOT/contrib/flush-unbound" "$E2E_DIR/flush-unbound"
	sed -i -e "s|^flush_resolver = |flush_resolver = $E2E_DIR/hookwrap |" \
		-e "s|$LAB_ROOT/contrib/flush-unbound|$E2E_DIR/flush-unbound|" "$E2E_POLICY"
else
	e2e_policy_write || { echo "Bail out! policy refused"; exit 1; }
fi
e2e_postfix_start plain 55 no || { echo "Bail out! plain Postfix did not start"; exit 1; }
e2e_postfix_start mta 54 yes || { echo "Bail out! Postfix did not start"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }

# The incident: both MTA resolvers cache "no MX" for hotmail.test.
e2e_poison hotmail.test 54 55
is "$(dns_ask 53 hotmail.test MX)" "10 mx1.hotmail.test." "NSD serves hotmail.test's MX"
is "$(dns_ask 56 hotmail.test MX)" "10 mx1.hotmail.test." "the independent resolver has it"
is "$(dns_ask 54 hotmail.test MX)" "" "the MTA's resolver answers from its stale negative cache"

# (a) plain Postfix: every good recipient bounced 5.4.4.
for i in $(seq 1 $N); do e2e_submit plain "user$i@hotmail.test" "plain-$i"; done
e2e_wait_queue plain all 0 20
e2e_wait_log_count plain bounced '@hotmail\.test' $N
is "$(e2e_log_count plain 'bounced' '@hotmail\.test')" $N "(a) plain Postfix: $N recipients bounced"
is "$(grep -c 'to=<user[0-9]*@hotmail\.test>.*dsn=5\.4\.4, status=bounced (Host or domain name not found' \
	"$(e2e_pf_log plain)")" $N "(a) ... each with dsn=5.4.4 'Host or domain name not found'"
is "$(e2e_log_count plain sent '@hotmail\.test')" 0 "(a) ... none delivered"

# (b) filter + retryd.
for i in $(seq 1 $N); do e2e_submit mta "user$i@hotmail.test" "good-$i"; done
e2e_wait_queue mta deferred $N 20
e2e_wait_log_count mta deferred '@hotmail\.test' $N
is "$(e2e_queue_count mta deferred)" $N "(b) $N messages deferred by the filter"
# Postfix defers the first ones 4.4.4 (the filter) and, the destination
# now marked dead, the rest "delivery temporarily suspended: <that text>".
is "$(grep -E -c 'to=<user[0-9]+@hotmail\.test>.*dsn=4\.[04]\.[04], status=deferred \((delivery temporarily suspended: )?Host or domain name not found' \
	"$(e2e_pf_log mta)")" $N "(b) ... each status=deferred, Host or domain name not found"
ok "$([ "$(grep -c 'to=<user[0-9]*@hotmail\.test>.*dsn=4\.4\.4, status=deferred' "$(e2e_pf_log mta)")" -ge 1 ]; echo $?)" \
	"(b) ... the filter turned 5.4.4 into dsn=4.4.4"
is "$(e2e_log_count mta bounced '@hotmail\.test')" 0 "(b) ... none bounced"

s=$(e2e_once)
like "$s" "adopted=$N," "pass 1 adopts $N messages"
is "$(e2e_queue_count mta held)" $N "(b) the $N messages are on hold"
ids=$(e2e_ctl list --group microsoft --json)
is "$(printf '%s' "$ids" | grep -o '"queue_id"' | wc -l)" $N "retryctl list --group microsoft: $N records"

# Passes until delivered (the first due pass verifies, flushes, attempts).
for _ in 1 2 3 4 5 6; do
	sleep 1
	e2e_once >/dev/null
	[ "$(e2e_sink_count '@hotmail\.test')" -ge $N ] && break
done
e2e_wait_sink $N 10 '@hotmail\.test'
is "$(e2e_sink_count '@hotmail\.test')" $N "(b) every message delivered to the sink: $N"
is "$(e2e_sink_dups)" 0 "(b) no Message-ID delivered twice"
is "$(e2e_log_count mta sent '@hotmail\.test')" $N "(b) maillog: $N status=sent"
is "$(e2e_log_count mta bounced '@hotmail\.test')" 0 "(b) maillog: none bounced"
is "$(e2e_queue_count mta all)" 0 "(b) the queue is empty (nothing held, nothing deferred)"
is "$(e2e_sum adopted)" $N "summaries: adopted=$N in all"
is "$(e2e_sum delivered)" $N "summaries: delivered=$N in all"
is "$(e2e_sum bounced)" 0 "summaries: bounced=0"
ok "$([ "$(e2e_sum hooks)" -ge 1 ]; echo $?)" "the flush hook ran"
like "$(grep 'flush_resolver hook for hotmail.test' "$E2E_DIR/retryd.log" | head -1)" \
	"hotmail\.test \($(dns_addr 54 | sed 's/\./\\./g'):53\): done" \
	"... for the MTA's resolver node $(dns_addr 54):53, exit 0"
is "$(dns_ask 54 hotmail.test MX)" "10 mx1.hotmail.test." "the MTA's resolver has the MX again (flushed)"
if [ "$(id -u)" = 0 ]; then
	is "$(head -1 "$E2E_DIR/hookout/hook.env" 2>&1)" "$(id -u nobody)" \
		"the hook ran as [hooks] user nobody (started as root)"
	like "$(cat "$E2E_DIR/hookout/hook.env")" "RETRYD_HOOK=flush_resolver" \
		"... with its RETRYD_* variables"
	is "$(grep -c 'RETRYD_E2E_MARKER\|^HOME=/root' "$E2E_DIR/hookout/hook.env")" 0 \
		"... and nothing of retryd's own environment"
fi

j=$(e2e_ctl show user1@hotmail.test --json)
like "$j" '"verdict": ?"local-path"' "retryctl show user1@hotmail.test: evidence verdict local-path"
like "$j" "$(dns_addr 54 | sed 's/\./\\./g')" "... naming the stale node"
t=$(e2e_ctl show user1@hotmail.test)
like "$t" "local-path" "retryctl show (table) shows local-path"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

#!/bin/bash
# postfix_fill.t — tests/bench/postfix_fill.sh makes REAL deferred Postfix
# messages (issue 13: 100k / 1M held without an hour of SMTP injection).
# windowslive.test is NXDOMAIN (the status filter defers it). Two
# instances: "mta" with short queue ids (Postfix's default), "long" with
# enable_long_queue_ids = yes. On each, postfix_fill submits a few
# messages, waits until Postfix deferred them, multiplies them and lets
# postsuper rename the copies; then:
#   1. postqueue -j lists exactly the count asked, all deferred, ids
#      distinct, each with the deferral reason (delay_reason);
#   2. postqueue -p shows the reason for every message;
#   3. the domain is published again and the resolver flushed: after
#      postqueue -f Postfix delivers every listed id (maillog status=sent
#      for each of them, the sink receives them all), the queue is empty.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
CLONE=${RETRYD_ASAN_BUILD:-$E2E_LIB_DIR/../../build/asan}/tests/postfix_clone
[ -x "$CLONE" ] || skip_all "postfix_clone not built (make asan)"
FILL=$E2E_LIB_DIR/../bench/postfix_fill.sh
e2e_standard postfix_fill yes
E2E_PF_EXTRA="enable_long_queue_ids = yes" e2e_postfix_start long 54 yes ||
	{ echo "Bail out! the second Postfix did not start"; exit 1; }
e2e_domain_gone
dns_unbound_reset mta1

declare -A want=([mta]=300 [long]=120)
for pf in mta long; do
	n=${want[$pf]}
	conf=$(e2e_pf_conf "$pf")
	out=$(POSTFIX_CLONE=$CLONE "$FILL" "$conf" "$n" "$E2E_SENDER" "fill-$pf@windowslive.test" 4 2>&1)
	is "$?" 0 "$pf: postfix_fill $n ($out)"
	is "$(e2e_queue_count "$pf" deferred)" "$n" "$pf: postqueue -j lists $n deferred messages"
	e2e_queue_ids "$pf" all >"$E2E_DIR/ids-$pf"
	is "$(sort -u "$E2E_DIR/ids-$pf" | wc -l)" "$n" "$pf: ... with $n distinct queue ids"
	is "$(e2e_queue_json "$pf" | jq -r '.recipients[].delay_reason' | grep -c 'Host or domain name not found')" "$n" \
		"$pf: ... each with its deferral reason"
	is "$(postqueue -c "$conf" -p | grep -c '^ *(.*Host or domain name not found')" "$n" \
		"$pf: postqueue -p shows the reason of every message"
done
like "$(head -n 1 "$E2E_DIR/ids-long")" '^[0-9A-Za-z]{10,}z[0-9A-Za-y]+$' "long: the ids are long ones"
like "$(head -n 1 "$E2E_DIR/ids-mta")" '^[0-9A-F]{6,}$' "mta: the ids are short ones"

# 3. Postfix delivers the copies once the domain works
e2e_domain_back
dns_unbound_reset mta1
for pf in mta long; do postqueue -c "$(e2e_pf_conf "$pf")" -f; done
for pf in mta long; do
	n=${want[$pf]}
	e2e_wait_log_count "$pf" sent "fill-$pf@windowslive\\.test" "$n" 120
	is "$(e2e_log_count "$pf" sent "fill-$pf@windowslive\\.test")" "$n" "$pf: Postfix delivered $n messages"
	e2e_log_lines "$pf" 'status=sent' | sed -n 's/.*: \([0-9A-Za-z]*\): to=.*/\1/p' | sort -u >"$E2E_DIR/sent-$pf"
	is "$(sort -u "$E2E_DIR/ids-$pf" | comm -23 - "$E2E_DIR/sent-$pf" | wc -l)" 0 \
		"$pf: ... every listed queue id among them"
	e2e_wait_queue "$pf" all 0 30
	is "$(e2e_queue_count "$pf")" 0 "$pf: the queue is empty"
done
e2e_wait_sink $((want[mta] + want[long])) 30 'fill-'
is "$(e2e_sink_count 'fill-')" $((want[mta] + want[long])) "the sink received them all"
done_testing

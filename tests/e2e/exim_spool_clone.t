#!/bin/bash
# exim_spool_clone.t — the Exim scale bench's fast injector
# (tests/bench/exim_spool_clone.pl) makes REAL spool messages: a real
# Exim 4.96 lists them, retryd adopts them, and after the DNS fix Exim
# delivers them to the sink.
#   1. windowslive.test NXDOMAIN; 2 messages submitted over SMTP, both
#      deferred (==); the injector multiplies them into 30 clones (new
#      ids, one recipient each);
#   2. Exim itself: exim -bpc counts 32, exim -bp shows every clone's id
#      and recipient, exim -Mvh reads a clone's header file;
#   3. the injector refuses to write an id that exists (run again: the
#      same ids), and nothing in the queue changes;
#   4. one retryd pass adopts (freezes) all 32;
#   5. the domain back, the resolvers flushed, exim -qff: 32 deliveries
#      (=>) including the 30 clones, the sink receives the 30 clone
#      recipients, the queue is empty.
. "$(dirname "$0")/lib_exim_e2e.sh"
e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
CLONE=$LAB_ROOT/tests/bench/exim_spool_clone.pl
N=30
E2E_EXIM_MAIN_EXTRA="smtp_accept_queue_per_connection = 0"
e2e_exim_standard exim_spool_clone
e2e_domain_gone
e2e_exim_use mta

# 1. two real deferred messages, then the clones
is "$(E2E_EXIM_SUBMIT_MODE=-odb e2e_exim_smtp_submit mta 2 tpl- windowslive.test)" 2 "Exim accepted 2 messages"
e2e_exim_wait_count mta deferred 'tpl-[0-9]+@windowslive\.test' 2 30
is "$(e2e_exim_count mta deferred 'tpl-[0-9]+@windowslive\.test')" 2 "both deferred (==) on the broken DNS"
tpl=$(e2e_exim_queue mta)
# shellcheck disable=SC2086
"$CLONE" "$EXIM_SPOOL" "$N" 'cl9-%05d@windowslive.test' $tpl >"$E2E_DIR/ids" 2>"$E2E_DIR/clone.err"
is "$?" 0 "the injector ran ($(cat "$E2E_DIR/clone.err"))"
is "$(grep -c -E '^[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}$' "$E2E_DIR/ids")" $N "it printed $N Exim 4.96 ids"
is "$(sort -u "$E2E_DIR/ids" | grep -c . )" $N "... all different"
is "$(sort "$E2E_DIR/ids" | comm -12 - <(echo "$tpl") | grep -c .)" 0 "... none of them a template's"

# 2. what Exim itself says of them
is "$(exim_cmd -bpc 2>&1)" $((N + 2)) "exim -bpc counts $((N + 2))"
exim_cmd -bp >"$E2E_DIR/bp" 2>&1
is "$(grep -c -E '^ +cl9-[0-9]{5}@windowslive\.test$' "$E2E_DIR/bp")" $N "exim -bp lists the $N clone recipients"
is "$(e2e_exim_queue mta)" "$(sort "$E2E_DIR/ids" <(echo "$tpl"))" "exim -bpr's ids: the clones and the templates"
id=$(sed -n 7p "$E2E_DIR/ids")
like "$(exim_cmd -Mvh "$id" 2>&1)" "for cl9-00007@windowslive\\.test;" "exim -Mvh reads clone 7's header (Received ... for its recipient)"
is "$(cat "$EXIM_LOG" "$EXIM_DIR/log/paniclog" 2>/dev/null | grep -c -i 'format error\|spool error\|spool read')" 0 \
	"no spool format or read error in Exim's logs"

# 3. an id that exists is never overwritten
# shellcheck disable=SC2086
"$CLONE" "$EXIM_SPOOL" 3 'dup9-%05d@windowslive.test' $tpl >/dev/null 2>"$E2E_DIR/clone2.err"
is "$?" 1 "run again, the injector fails (same ids)"
like "$(cat "$E2E_DIR/clone2.err")" 'File exists' "... saying the file exists"
is "$(exim_cmd -bpc 2>&1)" $((N + 2)) "... and the queue still counts $((N + 2))"
is "$(grep -c 'dup9-' "$EXIM_SPOOL"/input/*-H | grep -v ':0$' | grep -c .)" 0 "... no header file names its recipient"

# 4. retryd adopts them
s=$(e2e_exim_once)
like "$s" "adopted=$((N + 2))," "one retryd pass adopts all $((N + 2))"
is "$(e2e_exim_frozen_count mta)" $((N + 2)) "... and Exim shows them frozen"

# 5. after the fix Exim delivers the clones
e2e_domain_back
dns_unbound_reset mta1
exim_cmd -qff >/dev/null 2>&1
e2e_exim_wait_count mta delivered '(tpl-|cl9-)[0-9]+@windowslive\.test' $((N + 2)) 60
is "$(e2e_exim_count mta delivered 'cl9-[0-9]+@windowslive\.test')" $N "exim -qff delivered (=>) the $N clones"
e2e_wait_sink $((N + 2)) 30 'windowslive\.test'
is "$(e2e_sink_count 'cl9-[0-9]+@windowslive\.test')" $N "the sink received the $N clone recipients"
is "$(e2e_sink_count 'cl9-00030@windowslive\.test')" 1 "... clone 30 exactly once"
is "$(e2e_exim_queue_count mta)" 0 "the queue is empty"
done_testing

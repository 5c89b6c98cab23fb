#!/bin/bash
# postfix_store_lost.t — retryd gone is not mail stranded (issue #10,
# part 6): `retryctl release --all` returns every message retryd holds
# even when its store is corrupted beyond recovery or deleted, from the
# hold journal (state_dir/hold.journal, appended and fsynced before each
# hold), and never a message held by someone else. Real Postfix, real
# Berkeley DB, a real stale negative cache for hotmail.test (the K
# messages stay deferred, so retryd holds them).
#  (a) retryd holds K; an operator holds one more by hand (postsuper -h);
#      every database file is overwritten with garbage: release --all
#      releases the K from the journal, the operator's stays held.
#  (b) the store is deleted; retryd starts on an empty one and holds the
#      K again; the store is deleted again: release --all (on the fresh,
#      empty store it opens) still releases the K, not the operator's.
#  (c) a release --all while retryd runs and its store is unusable is
#      refused (exit 75): nothing is released behind a running daemon.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
K=5
E2E_VERIFY_WINDOW=2s
E2E_TIER_EVERY=1h # held, never due during the test
e2e_standard postfix_store_lost yes

e2e_poison hotmail.test 54
for i in $(seq 1 $K); do e2e_submit mta "u$i@hotmail.test" "lost-$i"; done
e2e_wait_queue mta deferred $K 20
e2e_wait_log_count mta deferred '@hotmail\.test' $K

# The operator's own hold: a message retryd never saw.
e2e_submit mta "op@hotmail.test" "lost-op"
e2e_wait_queue mta deferred $((K + 1)) 20
op=$(e2e_msgid_qid mta lost-op)
postsuper -c "$(e2e_pf_conf mta)" -h "$op" 2>/dev/null
ok "$([ -n "$op" ] && [ "$(e2e_queue_ids mta held)" = "$op" ]; echo $?)" \
	"the operator holds $op by hand"
ours_held() { e2e_queue_ids mta held | grep -v -x -c "$op"; }

# ---- (a) corrupted beyond recovery ----
e2e_retryd_start
e2e_wait_count 60 $K ours_held
e2e_retryd_stop
is "$(ours_held)" $K "(a) retryd holds the $K"
is "$(grep -c '^hold postfix ' "$E2E_STATE/hold.journal")" $K "(a) each hold is journaled"
for f in "$E2E_STATE"/*.db "$E2E_STATE"/__db.0*; do
	head -c "$(stat -c %s "$f")" /dev/urandom >"$f"
done
out=$(e2e_ctl release --all 2>"$E2E_DIR/ctl.err")
rc=$?
diag "$(cat "$E2E_DIR/ctl.err")"
is $rc 0 "(a) release --all on a corrupted store: exit 0"
is "$(grep -c ': released (hold journal)' <<<"$out")" $K "(a) it names the $K"
is "$(ours_held)" 0 "(a) none of retryd's messages is held any more"
is "$(e2e_queue_ids mta held)" "$op" "(a) the operator's message is still held"
is "$(e2e_queue_count mta all)" $((K + 1)) "(a) nothing left the queue"

# ---- (b) deleted ----
rm -f "$E2E_STATE"/*.db "$E2E_STATE"/__db.* "$E2E_STATE"/log.*
e2e_retryd_start
e2e_wait_count 60 $K ours_held
e2e_retryd_stop
is "$(ours_held)" $K "(b) retryd on a new store holds the $K again"
rm -f "$E2E_STATE"/*.db "$E2E_STATE"/__db.* "$E2E_STATE"/log.*
out=$(e2e_ctl release --all 2>"$E2E_DIR/ctl.err")
rc=$?
is $rc 0 "(b) release --all on a deleted store: exit 0"
is "$(grep -c ': released (hold journal)' <<<"$out")" $K "(b) it names the $K"
is "$(ours_held)" 0 "(b) none of retryd's messages is held any more"
is "$(e2e_queue_ids mta held)" "$op" "(b) the operator's message is still held"

# ---- (c) never behind a running daemon ----
e2e_retryd_start
e2e_wait_count 60 $K ours_held
for f in "$E2E_STATE"/*.db; do head -c "$(stat -c %s "$f")" /dev/urandom >"$f"; done
sleep 1
held_before=$(ours_held)
e2e_ctl release --all >/dev/null 2>"$E2E_DIR/ctl.err"
rc=$?
diag "$(cat "$E2E_DIR/ctl.err")"
kill -KILL "$E2E_RETRYD_PID" 2>/dev/null
wait "$E2E_RETRYD_PID" 2>/dev/null
ok "$([ $rc = 75 ] || [ $rc = 0 ]; echo $?)" "(c) release --all with retryd running: refused (75) or done through the store"
if [ $rc = 75 ]; then
	is "$(ours_held)" "$held_before" "(c) refused: nothing released behind the daemon"
	like "$(cat "$E2E_DIR/ctl.err")" "in use by pid $E2E_RETRYD_PID" "(c) the refusal names the daemon"
fi
out=$(e2e_ctl release --all 2>/dev/null)
is "$(ours_held)" 0 "(c) once retryd is gone, release --all returns them"
is "$(e2e_queue_ids mta held)" "$op" "(c) the operator's message is still held"
ok "$(! grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$E2E_DIR/ctl.err"; echo $?)" \
	"retryctl: no sanitizer report"
done_testing

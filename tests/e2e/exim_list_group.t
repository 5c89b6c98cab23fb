#!/bin/bash
# exim_list_group.t — `retryctl list --group microsoft --json` lists
# exactly the pending Microsoft-group retries, with Exim (issue #5,
# scenario 5). A real Exim defers mail to hotmail.test and outlook.test
# (stale negative caches at its resolver, fail_defer_domains from the
# policy) and to corp.test (no group: its MX host has no address; an
# operator-added fail_defer_domains entry); live.test (group microsoft)
# defers too but for a connection failure (its MX host refuses), which is
# not a routing failure: retryd leaves it to Exim. One retryd pass adopts
# the 7 routing failures; the group listing has exactly the hotmail/outlook
# message ids and recipients, nothing of corp.test or live.test, and
# --domain / the plain listing agree.
. "$(dirname "$0")/lib_exim_e2e.sh"
e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
E2E_EXIM_EXTRA_WATCHED=corp.test
e2e_exim_standard exim_list_group
e2e_poison hotmail.test 54
e2e_poison outlook.test 54
dns_zone_set live.test "@ IN MX 10 mx1" "mx1 IN A $(dns_addr 26)" # nothing listens there

n=0
for r in ann@hotmail.test bob@hotmail.test cy@hotmail.test dee@outlook.test eve@outlook.test \
	fay@corp.test gus@corp.test hal@live.test; do
	n=$((n + 1))
	e2e_exim_submit mta "$r" "list-$n" >/dev/null
done
is "$(e2e_exim_queue_count mta)" 8 "8 messages in Exim's queue"
is "$(e2e_exim_count mta deferred '@(hotmail|outlook)\.test')" 5 "5 group messages deferred (missing MX)"
like "$(grep ' == fay@corp\.test' "$(e2e_exim_log mta)")" 'defer \(-1\): .*all MXs point to missing A records' \
	"corp.test deferred: its MX host has no address"
like "$(grep ' == hal@live\.test' "$(e2e_exim_log mta)")" 'Connection refused' \
	"live.test deferred: connection refused (not routing)"

# The expected pairs "ID RECIPIENT", from Exim's own log.
pairs() { # TAG-NUMBERS... -> sorted pairs
	local i
	for i in "$@"; do
		grep -E " <= .* id=list-$i@e2e\.test for " "$(e2e_exim_log mta)" | awk '{print $3, $NF}'
	done | sort
}
want_ms=$(pairs 1 2 3 4 5)
want_corp=$(pairs 6 7)
is "$(wc -l <<<"$want_ms")" 5 "five group message ids read from the main log"

s=$(e2e_exim_once)
like "$s" "adopted=7," "one pass adopts the 7 routing failures"
is "$(e2e_exim_frozen_count mta)" 7 "7 frozen"
live_id=$(pairs 8 | awk '{print $1}')
is "$(e2e_exim_frozen mta | grep -c -x "$live_id")" 0 "the live.test message (connection refused) is not frozen"

json_pairs() { # JSON array on stdin -> sorted "queue_id recipient [group]"
	perl -MJSON::PP -e '
		my $a = JSON::PP->new->decode(join "", <STDIN>);
		print "$_->{queue_id} $_->{recipient}", ($ENV{G} ? " " . ($_->{group} // "null") : ""), "\n" for @$a;
	' | sort
}
j=$(e2e_exim_ctl list --group microsoft --json); rc=$?
is "$rc" 0 "list --group microsoft --json exits 0"
is "$(json_pairs <<<"$j")" "$want_ms" "exactly the 5 Microsoft retries: ids and recipients"
is "$(G=1 json_pairs <<<"$j" | awk '{print $3}' | sort -u)" microsoft "each row says group microsoft"
is "$(perl -MJSON::PP -e 'my $a = JSON::PP->new->decode(join "", <STDIN>); print join(",", sort map { $_->{domain} } @$a)' <<<"$j")" \
	"hotmail.test,hotmail.test,hotmail.test,outlook.test,outlook.test" "their domains"

j=$(e2e_exim_ctl list --json)
is "$(json_pairs <<<"$j")" "$(sort <<<"$want_ms
$want_corp")" "list --json: all 7 retries, not live.test"
j=$(e2e_exim_ctl list --domain corp.test --json)
is "$(G=1 json_pairs <<<"$j")" "$(sed 's/$/ null/' <<<"$want_corp")" "list --domain corp.test: the 2 others, no group"
j=$(e2e_exim_ctl list --group nosuch --json 2>/dev/null)
is "$(json_pairs <<<"$j" | grep -c .)" 0 "an unknown group lists nothing"

t=$(e2e_exim_ctl list --group microsoft)
ok "$(for q in $(awk '{print $1}' <<<"$want_ms"); do grep -q -- "$q" <<<"$t" || exit 1; done; echo 0)" \
	"the table lists every Microsoft message id"
ok "$(grep -q -e 'corp\.test' -e 'live\.test' <<<"$t"; [ $? = 1 ]; echo $?)" "... and nothing of corp.test or live.test"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

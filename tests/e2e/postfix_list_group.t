#!/bin/bash
# postfix_list_group.t — `retryctl list --group microsoft --json` lists
# exactly the pending Microsoft-group retries (issue #4, scenario 5): a real
# Postfix defers mail to hotmail.test and outlook.test (stale negative
# caches at its resolver, status filter) and to corp.test (no group: its MX
# host has no address, smtp_defer_if_no_mx_address_found); one retryd pass
# adopts all of them; the group listing has exactly the hotmail/outlook
# queue ids and recipients, nothing of corp.test, and --domain / the plain
# listing agree.
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
e2e_standard postfix_list_group yes
e2e_poison hotmail.test 54
e2e_poison outlook.test 54

want=""
n=0
for r in ann@hotmail.test bob@hotmail.test cy@hotmail.test dee@outlook.test eve@outlook.test \
	fay@corp.test gus@corp.test; do
	n=$((n + 1))
	e2e_submit mta "$r" "list-$n"
done
e2e_wait_queue mta deferred 7 20
is "$(e2e_queue_count mta deferred)" 7 "7 messages deferred (5 group microsoft, 2 corp.test)"
e2e_wait_log_count mta deferred . 7

# The expected pairs "QUEUEID RECIPIENT", from Postfix itself.
pairs() { # TAGS... -> sorted pairs
	local i r
	for i in "$@"; do
		r=$(sed -n "s/.*to=<\([^>]*\)>.*/\1/p" <<<"$(grep -F "$(e2e_msgid_qid mta "list-$i"): to=<" "$(e2e_pf_log mta)" | head -1)")
		echo "$(e2e_msgid_qid mta "list-$i") $r"
	done | sort
}
want_ms=$(pairs 1 2 3 4 5)
want_corp=$(pairs 6 7)
is "$(wc -l <<<"$want_ms")" 5 "five group queue ids read from the maillog"

s=$(e2e_once)
like "$s" "adopted=7," "one pass adopts all 7"
is "$(e2e_queue_count mta held)" 7 "all 7 on hold"

json_pairs() { # JSON array on stdin -> sorted "queue_id recipient [group]"
	perl -MJSON::PP -e '
		my $a = JSON::PP->new->decode(join "", <STDIN>);
		print "$_->{queue_id} $_->{recipient}", ($ENV{G} ? " " . ($_->{group} // "null") : ""), "\n" for @$a;
	' | sort
}
j=$(e2e_ctl list --group microsoft --json); rc=$?
is "$rc" 0 "list --group microsoft --json exits 0"
is "$(json_pairs <<<"$j")" "$want_ms" "exactly the 5 Microsoft retries: ids and recipients"
is "$(G=1 json_pairs <<<"$j" | awk '{print $3}' | sort -u)" microsoft "each row says group microsoft"
is "$(perl -MJSON::PP -e 'my $a = JSON::PP->new->decode(join "", <STDIN>); print join(",", sort map { $_->{domain} } @$a)' <<<"$j")" \
	"hotmail.test,hotmail.test,hotmail.test,outlook.test,outlook.test" "their domains"

j=$(e2e_ctl list --json)
is "$(json_pairs <<<"$j")" "$(sort <<<"$want_ms
$want_corp")" "list --json: all 7 retries"
j=$(e2e_ctl list --domain corp.test --json)
is "$(G=1 json_pairs <<<"$j")" "$(sed 's/$/ null/' <<<"$want_corp")" "list --domain corp.test: the 2 others, no group"
j=$(e2e_ctl list --group nosuch --json 2>/dev/null)
is "$(json_pairs <<<"$j" | grep -c .)" 0 "an unknown group lists nothing"

t=$(e2e_ctl list --group microsoft)
ok "$(for q in $(awk '{print $1}' <<<"$want_ms"); do grep -q "$q" <<<"$t" || exit 1; done; echo 0)" \
	"the table lists every Microsoft queue id"
ok "$(grep -q 'corp\.test' <<<"$t"; [ $? = 1 ]; echo $?)" "... and nothing of corp.test"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

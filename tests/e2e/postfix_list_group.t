#!/bin/bash
# postfix_list_group.t — `retryctl list --group microsoft --json` lists
# exactly the pending Microsoft-group retries (issue #4, scenario 5): a real
# Postfix defers mail to hotmail.test and outlook.test (stale negative
# caches at its resolver, status filter) and to corp.test (no group: its MX
# host has no address, smtp_defer_if_no_mx_address_found); one retryd pass
# adopts all of them; the group listing has exactly the hotmail/outlook
# queue ids and recipients, nothing of corp.test, and --domain / the plain
# listing agree. One more message carries two recipients of two domains
# with different failures (Hal@HotMail.Test: routing at the poisoned
# resolver; ivy@corp.test: no address for its MX): each of its rows gives
# its own recipient's normalised domain, group and reason, and
# --group/--domain pick the recipient, not the message (issue 17).
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
printf 'From: <%s>\nTo: <Hal@HotMail.Test>, <ivy@corp.test>\nSubject: e2e mix\nMessage-ID: <list-mix@e2e.test>\n\nmixed\n' \
	"$E2E_SENDER" | sendmail -C "$(e2e_pf_conf mta)" -f "$E2E_SENDER" Hal@HotMail.Test ivy@corp.test
e2e_wait_queue mta deferred 8 20
is "$(e2e_queue_count mta deferred)" 8 "8 messages deferred (5 group microsoft, 2 corp.test, 1 both)"
e2e_wait_log_count mta deferred . 9

# The expected pairs "QUEUEID RECIPIENT", from Postfix itself.
pairs() { # TAGS... -> sorted pairs
	local i r
	for i in "$@"; do
		r=$(sed -n "s/.*to=<\([^>]*\)>.*/\1/p" <<<"$(grep -F "$(e2e_msgid_qid mta "list-$i"): to=<" "$(e2e_pf_log mta)" | head -1)")
		echo "$(e2e_msgid_qid mta "list-$i") $r"
	done | sort
}
MIX=$(e2e_msgid_qid mta list-mix)
want_ms=$( (pairs 1 2 3 4 5; echo "$MIX Hal@HotMail.Test") | sort)
want_corp=$( (pairs 6 7; echo "$MIX ivy@corp.test") | sort)
is "$(wc -l <<<"$want_ms")" 6 "six group recipients (five from the maillog, the mixed one)"

s=$(e2e_once)
like "$s" "adopted=8," "one pass adopts all 8"
is "$(e2e_queue_count mta held)" 8 "all 8 on hold"

json_pairs() { # JSON array on stdin -> sorted "queue_id recipient [group]"
	perl -MJSON::PP -e '
		my $a = JSON::PP->new->decode(join "", <STDIN>);
		print "$_->{queue_id} $_->{recipient}", ($ENV{G} ? " " . ($_->{group} // "null") : ""), "\n" for @$a;
	' | sort
}
j=$(e2e_ctl list --group microsoft --json); rc=$?
is "$rc" 0 "list --group microsoft --json exits 0"
is "$(json_pairs <<<"$j")" "$want_ms" "exactly the 6 Microsoft recipients (the mixed message's hotmail one): ids and recipients"
is "$(G=1 json_pairs <<<"$j" | awk '{print $3}' | sort -u)" microsoft "each row says group microsoft"
is "$(perl -MJSON::PP -e 'my $a = JSON::PP->new->decode(join "", <STDIN>); print join(",", sort map { $_->{domain} } @$a)' <<<"$j")" \
	"hotmail.test,hotmail.test,hotmail.test,hotmail.test,outlook.test,outlook.test" "their domains, normalised (HotMail.Test -> hotmail.test)"
mixrow() { # RECIPIENT: "domain group reason" of the mixed message's row
	e2e_ctl list --json | perl -MJSON::PP -e '
		for (@{JSON::PP->new->decode(join "", <STDIN>)}) {
			print "$_->{domain}|", ($_->{group} // "null"), "|$_->{last_reason}\n"
				if $_->{queue_id} eq $ENV{MIX} && $_->{recipient} eq $ARGV[0];
		}' "$1"
}
export MIX
like "$(mixrow Hal@HotMail.Test)" '^hotmail\.test\|microsoft\|.*([Hh]ot[Mm]ail\.[Tt]est|no mail host|[Nn]ame|not found)' \
	"mixed message, hotmail row: its own domain, group and routing reason"
like "$(mixrow ivy@corp.test)" '^corp\.test\|null\|.*corp\.test' "mixed message, corp.test row: no group, its own reason"
ok "$(mixrow ivy@corp.test | grep -qi 'hotmail'; [ $? = 1 ]; echo $?)" "... never the hotmail reason"

j=$(e2e_ctl list --json)
is "$(json_pairs <<<"$j")" "$(sort <<<"$want_ms
$want_corp")" "list --json: all 9 recipients of the 8 retries"
j=$(e2e_ctl list --domain corp.test --json)
is "$(G=1 json_pairs <<<"$j")" "$(sed 's/$/ null/' <<<"$want_corp")" "list --domain corp.test: the 3 corp.test recipients, no group"
j=$(e2e_ctl list --group nosuch --json 2>/dev/null)
is "$(json_pairs <<<"$j" | grep -c .)" 0 "an unknown group lists nothing"

t=$(e2e_ctl list --group microsoft)
ok "$(for q in $(awk '{print $1}' <<<"$want_ms"); do grep -q "$q" <<<"$t" || exit 1; done; echo 0)" \
	"the table lists every Microsoft queue id"
ok "$(grep -q 'corp\.test' <<<"$t"; [ $? = 1 ]; echo $?)" "... and nothing of corp.test"
ok "$(e2e_asan_clean; echo $?)" "retryd: no sanitizer report"
done_testing

#!/bin/bash
# shape.t — retryctl shape (qshape's buckets) and per-recipient listings,
# against a real store seeded by store_seed.
#
# Held messages of several ages, one of them with recipients of two
# domains with different failures (HotMail.Test. deferred for routing,
# example.org for a full mailbox), a done message, a delivered recipient:
# shape counts each message once per row, in the right age bucket, with
# the row's current verdict, by domain, verdict and MX host, in text and
# JSON, and --group keeps the group's recipients only; list gives every
# row its own recipient's normalised domain, group, verdict and reason,
# and --group/--domain filter by recipient.
. "$(dirname "$0")/../lab/lib.sh"
CTL=$RETRYD_ASAN_BUILD/retryctl
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
for t in "$CTL" "$SEED"; do
	[ -x "$t" ] || skip_all "$t not built (make asan)"
done
command -v jq >/dev/null || skip_all "jq missing"
lab_init shape

P=$LAB_DIR/retryd.ini
S=$LAB_DIR/state
cat >"$P" <<EOF
[retryd]
mta = postfix
state_dir = $S

[group microsoft]
domains = hotmail.test, outlook.test, live.test
mx = *.protection.outlook.test
EOF
C() { "$CTL" -c "$P" "$@"; }

# ---- no store yet: an empty shape ----
is "$(C shape --json | jq -c '[.total.T, (.rows|length), (.buckets|join(" "))]')" \
	'[0,0,"5 10 20 40 80 160 320 640 1280 1280+"]' "no state_dir: empty shape, qshape's buckets"

"$SEED" "$S" <<'EOF'
domain domain=hotmail.test verdict=local-path first_failing=now-3h last_mx=hotmail-com.olc.protection.outlook.test
domain domain=outlook.test verdict=local-path first_failing=now-3h last_mx=outlook-com.olc.protection.outlook.test
domain domain=corp.example verdict=healthy last_mx=corp-example.mail.protection.outlook.test
domain domain=example.org verdict=healthy last_mx=mx.example.org
message id=A00001 first_failure=now-2m verdict=local-path rcpt=a@hotmail.test
message id=A00002 first_failure=now-7m verdict=local-path rcpt=b@hotmail.test rcpt=c@hotmail.test
message id=A00003 first_failure=now-50m verdict=local-path rcpt=d@outlook.test
message id=A00004 domain=hotmail.test group=microsoft first_failure=now-3h verdict=local-path reason="no mail hosts" rcpt=e@HotMail.Test. rreason="4.4.4 no mail hosts for HotMail.Test" rcpt=f@example.org rreason="452 4.2.2 mailbox full"
message id=A00005 first_failure=now-30h rcpt=g@corp.example rreason="4.4.1 connection timed out"
message id=A00006 first_failure=now-3h rcpt=h@hotmail.test rstate=delivered rcpt=i@example.org
message id=A00007 state=done first_failure=now-3h rcpt=j@hotmail.test
EOF
is "$?" 0 "messages seeded"

# ---- shape by domain ----
j=$(C shape --json); rc=$?
is "$rc" 0 "shape --json: exit 0"
J() { jq -c "$1" <<<"$j"; }
is "$(J '.by')" '"domain"' "by domain by default"
is "$(J '.total.T')" 6 "six held messages (the done one is not held)"
is "$(J '.total.counts')" '[1,1,0,0,1,0,2,0,0,1]' "TOTAL: 2m, 7m, 50m, 3h, 3h, 30h in their buckets"
is "$(J '[.rows[] | .key]')" '["hotmail.test","example.org","corp.example","outlook.test"]' \
	"rows by total, largest first; HotMail.Test. normalised"
is "$(J '.rows[0] | [.T, .verdict, .counts]')" '[3,"local-path",[1,1,0,0,0,0,1,0,0,0]]' \
	"hotmail.test: 3 messages (2 recipients of one message count once; the delivered one not)"
is "$(J '.rows[1] | [.T, .verdict, .counts]')" '[2,"healthy",[0,0,0,0,0,0,2,0,0,0]]' \
	"example.org: the mixed message and A00006 (both 3 h), with example.org's own verdict"
is "$(J '.rows[2] | [.T, .counts[9]]')" '[1,1]' "corp.example: 30 h old in 1280+"

t=$(C shape)
like "$(head -1 <<<"$t")" '^DOMAIN +VERDICT +T +5 +10 +20 +40 +80 +160 +320 +640 +1280 +1280\+$' "text: qshape's header"
like "$(sed -n 2p <<<"$t")" '^TOTAL +6 +1 +1 +0 +0 +1 +0 +2 +0 +0 +1$' "text: TOTAL row"
like "$t" 'hotmail.test +local-path +3 +1 +1 ' "text: hotmail.test row with its verdict"

# ---- by verdict, by host, group ----
is "$(C shape --by verdict --json | jq -c '[.rows[] | [.key, .T]]')" '[["local-path",4],["healthy",3]]' \
	"by verdict: each message once per verdict of its recipients' domains"
is "$(C shape --by host --json | jq -c '[.rows[] | [.key, .T]] | sort')" \
	'[["corp-example.mail.protection.outlook.test",1],["hotmail-com.olc.protection.outlook.test",3],["mx.example.org",2],["outlook-com.olc.protection.outlook.test",1]]' \
	"by host: the domains' last MX hosts"
g=$(C shape --group microsoft --json)
is "$(jq -c '[.rows[] | [.key, .T]]' <<<"$g")" '[["hotmail.test",3],["corp.example",1],["outlook.test",1]]' \
	"--group microsoft: its domains, corp.example by its Microsoft MX, not example.org"
is "$(jq -c .total.T <<<"$g")" 5 "--group: five messages"
C shape --by mx 2>/dev/null; is "$?" 2 "--by mx: usage, exit 2"
C shape --group nosuch 2>/dev/null; is "$?" 2 "unknown group: exit 2"

# ---- list: each row is its own recipient ----
l=$(C list --json)
is "$(jq -r '.[] | select(.queue_id=="A00004") | [.recipient, .domain, (.group // "-"), .last_verdict, .last_reason] | join("|")' <<<"$l")" \
	"e@HotMail.Test.|hotmail.test|microsoft|local-path|4.4.4 no mail hosts for HotMail.Test
f@example.org|example.org|-|healthy|452 4.2.2 mailbox full" \
	"list: the mixed message's rows each carry their own domain, group, verdict and reason"
is "$(C list --group microsoft --json | jq -r '[.[] | .recipient] | sort | join(" ")')" \
	"a@hotmail.test b@hotmail.test c@hotmail.test d@outlook.test e@HotMail.Test. g@corp.example" \
	"list --group microsoft: by recipient (not f@example.org of the same message)"
is "$(C list --domain HOTMAIL.test. --json | jq -r '[.[] | .recipient] | sort | join(" ")')" \
	"a@hotmail.test b@hotmail.test c@hotmail.test e@HotMail.Test." "list --domain: normalised on both sides"
is "$(C list --domain example.org --json | jq -r '[.[] | .queue_id] | sort | join(" ")')" "A00004 A00006" \
	"list --domain example.org: the other recipient of the mixed message, and A00006's pending one"
t=$(C list --domain example.org)
like "$t" 'A00004 +f@example.org +example.org +- +.* +healthy +452 4.2.2 mailbox full' "list text: f's own row"
ok "$(grep -q 'HotMail.Test.' <<<"$(C list | awk '{print $3}')"; [ $? = 1 ]; echo $?)" \
	"list text: the DOMAIN column never shows the raw form"

done_testing

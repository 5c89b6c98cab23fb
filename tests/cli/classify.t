#!/bin/bash
# classify.t — retryctl classify, end to end with the shipped policy.
#
# The whole labelled corpus (tests/data/bounce-corpus.tsv) goes through
# `retryctl -c policy/retryd.ini classify` on stdin and every output label
# must equal the corpus label (or one of "A|B" where both are defensible,
# docs/classifier-labels.md), line for line. Then: --json objects checked
# with jq (category, status or null, permanent, text); TEXT arguments and
# `--`; a line over LIMIT_LOG_LINE (8192) reported with its line number on
# stderr while the lines around it are still classified (exit 1); CRLF
# input; control bytes and NUL shown as '?'; a local rule placed before the
# included classifier.ini wins; --explain names the deciding rule (FILE:LINE,
# built-in rules as "classifier.ini (built in):LINE", a fallback rule as
# "fallback rule FILE:LINE") or the status code, and after the text the
# guarded rules that stepped aside for an address guard (JSON:
# stepped_aside); a bad option exits 2 and a broken policy 78.
. "$(dirname "$0")/../lab/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
CTL=${RETRYD_ASAN_BUILD:-build/asan}/retryctl
[ -x "$CTL" ] || skip_all "retryctl not built (make asan)"
LAB_TESTNUM=0
LAB_FAILED=0
T=$(mktemp -d /tmp/retryd-classify.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
P=policy/retryd.ini
CORPUS=tests/data/bounce-corpus.tsv

# 1-4: the corpus, line for line (and the A|B matcher)
grep -v '^#' "$CORPUS" | grep -v '^$' >"$T/corpus"
cut -f2- "$T/corpus" >"$T/texts"
"$CTL" -c "$P" classify <"$T/texts" >"$T/out" 2>"$T/err"
is "$?" 0 "corpus: exit 0"
cut -f1 "$T/corpus" >"$T/want"
cut -f1 "$T/out" >"$T/got"
# a label is "A" or "A|B": the output must be one of them
corpus_miss() { # WANT OUT: the lines whose output is none of the labels
	paste "$1" "$2" | awk -F'\t' '{
		n = split($1, w, "|"); hit = 0
		for (i = 1; i <= n; i++) if (w[i] == $2) hit = 1
		if (!hit) print }'
}
if [ "$(wc -l <"$T/want")" = "$(wc -l <"$T/got")" ] && [ -z "$(corpus_miss "$T/want" "$T/out")" ]; then
	ok 0 "corpus: all $(wc -l <"$T/want") labels come out of retryctl classify"
else
	ok 1 "corpus: labels differ"
	corpus_miss "$T/want" "$T/out" | head -5 >&2
fi
# the matcher itself: one of two labels passes, a third category does not
printf 'routing|other\nmailbox-full\ncontent|policy-reputation\n' >"$T/w3"
printf 'other\tx\nmailbox-full\ty\nrouting\tz\n' >"$T/o3"
is "$(corpus_miss "$T/w3" "$T/o3" | cut -f1,2 | tr '\t\n' ' /')" \
	"content|policy-reputation routing/" "corpus: a category outside A|B is a miss"

is "$(cut -f2- "$T/out" | cmp - "$T/texts" >/dev/null && echo same)" same \
	"corpus: texts echoed unchanged after the tab"

# 5-10: --json
if command -v jq >/dev/null; then
	printf '550 5.1.1 <anna@example.com>: User unknown\nconnect to mx[192.0.2.1]:25: Connection refused\n' |
		"$CTL" -c "$P" classify --json >"$T/json"
	is "$?" 0 "json: exit 0"
	is "$(wc -l <"$T/json")" 2 "json: one object per line"
	is "$(sed -n 1p "$T/json" | jq -r '[.category, .status, .permanent] | @tsv')" \
		"$(printf 'mailbox-unknown\t5.1.1\ttrue')" "json: category, status, permanent"
	is "$(sed -n 1p "$T/json" | jq -r .text)" \
		"550 5.1.1 <anna@example.com>: User unknown" "json: text"
	is "$(sed -n 2p "$T/json" | jq -c '[.category, .status, .permanent]')" \
		'["connection",null,false]' "json: no enhanced code: status null"
	is "$(sed -n 1p "$T/json" | jq -r 'keys_unsorted | join(",")')" \
		"category,status,permanent,text" "json: exactly the four keys"
else
	for i in 1 2 3 4 5 6; do ok 0 "# SKIP jq missing"; done
fi

# 11-13: TEXT arguments
is "$("$CTL" -c "$P" classify "550 5.4.4 <anna@outlook.com>: user does not exist")" \
	"$(printf 'routing\t550 5.4.4 <anna@outlook.com>: user does not exist')" \
	"argument: a 5.4.4 is routing"
is "$("$CTL" -c "$P" classify -- --json | cut -f2)" "--json" \
	"argument: after --, --json is a text"
is "$("$CTL" -c "$P" classify "Unrouteable address" "552 5.2.2 Over quota" | cut -f1 | tr '\n' ' ')" \
	"routing mailbox-full " "argument: several texts, in order"

# 14-17: a line over 8192 bytes between two good ones
{
	echo "all relevant MX records point to non-existent hosts"
	head -c 9000 /dev/zero | tr '\0' x
	echo
	echo "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
} >"$T/long"
"$CTL" -c "$P" classify <"$T/long" >"$T/out" 2>"$T/err"
is "$?" 1 "long line: exit 1"
like "$(cat "$T/err")" "line 2: longer than 8192 bytes, skipped" "long line: error names line 2"
is "$(cut -f1 "$T/out" | tr '\n' ' ')" "routing mailbox-unknown " \
	"long line: the lines around it are classified"
printf '%8192s\n' "" | tr ' ' y | "$CTL" -c "$P" classify >/dev/null 2>&1
is "$?" 0 "a line of exactly 8192 bytes is accepted"

# 18-19: CRLF, control bytes and NUL
is "$(printf 'Host or domain name not found\r\n' | "$CTL" -c "$P" classify | od -c | grep -c '\\r')" 0 \
	"CRLF: the CR is dropped"
is "$(printf 'a\001b\000c User unknown\n' | "$CTL" -c "$P" classify)" \
	"$(printf 'mailbox-unknown\ta?b?c User unknown')" "control bytes and NUL shown as ?"

# 20: a local rule before the shipped ones wins
cat >"$T/local.ini" <<EOF
[classifier]
rule = content /User unknown/
include = $PWD/policy/classifier.ini
EOF
is "$("$CTL" -c "$T/local.ini" classify "550 5.1.1 User unknown" | cut -f1)" content \
	"a local rule placed first wins"

# 21-28: --explain names the rule (FILE:LINE), the fallback rule or the status code that decided
printf '[classifier]\nrule = content /local words/\nfallback_rule = rate-limit /\\bwobbled\\b/\n' >"$T/local2.ini"
out=$("$CTL" -c "$T/local2.ini" classify --explain "550 local words" "552 5.2.2 <x@example.com>" "554 nothing here" \
	"550 5.1.1 <x@example.com>: Recipient address rejected: User unknown in local recipient table" \
	"554 it wobbled" "554 5.0.0 it wobbled")
is "$(echo "$out" | sed -n 1p)" "$(printf 'content\t%s:2\t550 local words' "$T/local2.ini")" "--explain: a local rule as FILE:LINE"
is "$(echo "$out" | sed -n 2p | cut -f1,2)" "$(printf 'mailbox-full\tstatus code 5.2.2')" "--explain: the status code fallback"
is "$(echo "$out" | sed -n 3p | cut -f1,2)" "$(printf 'other\tno rule, no status code')" "--explain: neither"
like "$(echo "$out" | sed -n 4p | cut -f1,2)" "^mailbox-unknown	classifier\.ini \(built in\):[0-9]+\$" "--explain: a built-in rule with its line"
line=$(echo "$out" | sed -n 4p | cut -f2 | sed 's/.*://')
like "$(sed -n "${line}p" policy/classifier.ini)" '^rule = mailbox-unknown /' "--explain: the line named is that rule in policy/classifier.ini"
is "$(echo "$out" | sed -n 5p)" "$(printf 'rate-limit\tfallback rule %s:3\t554 it wobbled' "$T/local2.ini")" \
	"--explain: a fallback rule, no code in the text: 'fallback rule FILE:LINE'"
is "$(echo "$out" | sed -n 6p | cut -f1,2)" "$(printf 'other\tstatus code 5.0.0')" \
	"--explain: a text with a code is not read by a fallback rule"
out=$("$CTL" -c "$P" classify --explain "the link was lost")
like "$(echo "$out" | cut -f1,2)" "^connection	fallback rule classifier\.ini \(built in\):[0-9]+\$" \
	"--explain: a built-in fallback rule (the lastresort block) with its line"
line=$(echo "$out" | cut -f2 | sed 's/.*://')
like "$(sed -n "${line}p" policy/classifier.ini)" '^fallback_rule = connection /' \
	"--explain: the line named is that fallback_rule in policy/classifier.ini"
# a local address guard keeps a guarded rule from deciding a text about the sender
printf '[classifier]\nbuiltin_rules = no\naddress_guard = /\\bsender\\b/i\nguarded_rule = mailbox-unknown /no such user/i\nrule = other /no such/i\n' >"$T/guard.ini"
out=$("$CTL" -c "$T/guard.ini" classify --explain "550 no such user" "550 sender <a@example.org>: no such user")
is "$(echo "$out" | sed -n 1p | cut -f1,2)" "$(printf 'mailbox-unknown\t%s:4' "$T/guard.ini")" "a guarded rule decides where no guard matches"
is "$(echo "$out" | sed -n 2p | cut -f1,2)" "$(printf 'other\t%s:5' "$T/guard.ini")" "a guard matches: the guarded rule steps aside, the next rule decides"
# --explain says which guarded rule stepped aside and which guard made it: a fourth field after the text
is "$(echo "$out" | sed -n 1p | awk -F'\t' '{print NF}')" 3 "--explain: no guarded rule stepped aside: three fields"
is "$(echo "$out" | sed -n 2p | cut -f3-)" \
	"$(printf '550 sender <a@example.org>: no such user\tguarded rule %s:4 stepped aside: guard %s:3 matched' "$T/guard.ini" "$T/guard.ini")" \
	"--explain: the text, then 'guarded rule FILE:LINE stepped aside: guard FILE:LINE matched'"
printf '[classifier]\nbuiltin_rules = no\naddress_guard = /\\bsender\\b/i\nguarded_rule = mailbox-unknown /user unknown/i\n' >"$T/guard2.ini"
is "$("$CTL" -c "$T/guard2.ini" classify --explain "550 5.1.1 sender <a@example.org>: user unknown" | cut -f2,4)" \
	"$(printf 'status code 5.1.1 not trusted: its reply says '"'"'sender'"'"'\tguarded rule %s:4 stepped aside: guard %s:3 matched' "$T/guard2.ini" "$T/guard2.ini")" \
	"--explain: said too when the status code decides after it"
if command -v jq >/dev/null; then
	is "$("$CTL" -c "$T/guard.ini" classify --json --explain "550 sender <a@example.org>: no such user" "550 no such user" |
		jq -r '.stepped_aside // "none"' | tr '\n' '|')" \
		"guarded rule $T/guard.ini:4 stepped aside: guard $T/guard.ini:3 matched|none|" \
		"--explain --json: stepped_aside, absent where none did"
else
	ok 0 "# SKIP jq not installed"
fi
if command -v jq >/dev/null; then
	is "$("$CTL" -c "$T/local2.ini" classify --json --explain "552 5.2.2 x" | jq -r .decided_by)" "status code 5.2.2" \
		"--explain --json: decided_by"
else
	ok 0 "# SKIP jq not installed"
fi

# classify_rule_reach.py reads the fourth field: per guarded rule the texts it stepped aside in, per guard
# the guarded rules it made step aside (their sum), and a guard's own row
if python3 -c 'import regex' 2>/dev/null; then
	printf '[classifier]\naddress_guard = /\\bsender\\b/i\nguarded_rule = mailbox-unknown /\\bnot a recogni[sz]ed user\\b/i\nguarded_rule = mailbox-unknown /\\brecogni[sz]ed\\b/i\n' >"$T/reach.ini"
	tests/tools/classify_rule_reach.py --build "$(dirname "$CTL")" --rules "$T/reach.ini" --tsv >"$T/reach" 2>"$T/err"
	is "$?" 0 "classify_rule_reach.py: exit 0"
	is "$(awk -F'\t' '$2 == "guard" {g += $5; d += $3} $2 ~ /\^$/ {r += $5; n++} END {print n, (r > 0), (g == r), (d > 0 && d <= g)}' "$T/reach")" \
		"2 1 1 1" "classify_rule_reach.py: the guard made the guarded rules (shown CATEGORY^) step aside, counted on both sides"
else
	ok 0 "# SKIP python3 regex module missing"
	ok 0 "# SKIP python3 regex module missing"
fi

# 27-28: an address-level code whose reply speaks of something else is not trusted (classify_guard.c)
printf '[classifier]\nbuiltin_rules = no\n' >"$T/norules.ini"
out=$("$CTL" -c "$T/norules.ini" classify --explain "550 5.2.1 Subject is Mandatory." "550 5.2.1 <x@example.com>: Account disabled")
is "$(echo "$out" | sed -n 1p | cut -f1,2)" "$(printf "other\tstatus code 5.2.1 not trusted: its reply says 'subject'")" \
	"--explain: the guard names the word that kept a 5.2.1 from deciding"
is "$(echo "$out" | sed -n 2p | cut -f1,2)" "$(printf 'mailbox-disabled\tstatus code 5.2.1')" "--explain: a 5.2.1 whose words agree decides"

# usage and policy errors
"$CTL" -c "$P" classify --bogus >/dev/null 2>&1
is "$?" 2 "bad option: exit 2"
printf '[classifier]\nrule = spam /x/\n' >"$T/bad.ini"
"$CTL" -c "$T/bad.ini" classify x >/dev/null 2>"$T/err"
is "$?" 78 "unknown category in the policy: exit 78"

done_testing

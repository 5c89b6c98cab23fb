#!/bin/bash
# policy_check.t — retryd -c FILE -t on the policy corpora (TAP).
#
# Every tests/data/policy-bad/*.ini names its expected error in its first
# line ("; expect: [PATH:]LINE: SUBSTRING"): retryd -t must exit 78, print
# nothing on stdout, and say "FILE:LINE: ...SUBSTRING..." on stderr. Every
# tests/data/policy-good/*.ini and the shipped policy/retryd.ini must exit 0,
# and what -t prints must load again and print the same text (round trip).
# Uses the ASan build of retryd when there is one.
. "$(dirname "$0")/../lab/lib.sh"

RETRYD=$RETRYD_ASAN_BUILD/retryd
[ -x "$RETRYD" ] || RETRYD=$RETRYD_BUILD/retryd
if [ ! -x "$RETRYD" ]; then
	echo "Bail out! no retryd binary (make build/retryd or make asan)"
	exit 1
fi
TMP=$(mktemp -d /tmp/retryd-policy_check.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$LAB_ROOT" || exit 1

# check_bad FILE: exit 78, the expected FILE:LINE: message, empty stdout
check_bad() {
	local f=$1 expect where sub file line rc
	expect=$(head -n 1 "$f" | sed -n 's/^; expect: //p')
	if [ -z "$expect" ]; then
		ok 1 "$f: has an '; expect:' line"
		return
	fi
	where=${expect%%: *}
	sub=${expect#*: }
	case $where in
	*:*) file=$(dirname "$f")/${where%:*}; line=${where##*:} ;;
	*) file=$f; line=$where ;;
	esac
	"$RETRYD" -c "$f" -t >"$TMP/out" 2>"$TMP/err"
	rc=$?
	is "$rc" 78 "$f: exit 78"
	if grep -F -- "$file:$line: " "$TMP/err" | grep -qF -- "$sub"; then
		ok 0 "$f: $file:$line: ...$sub"
	else
		ok 1 "$f: $file:$line: ...$sub"
		diag "stderr: $(cat "$TMP/err")"
	fi
	is "$(wc -c <"$TMP/out")" 0 "$f: nothing on stdout"
}

# check_good FILE: exit 0, then the printed policy round-trips
check_good() {
	local f=$1 rc
	"$RETRYD" -c "$f" -t >"$TMP/p1.ini" 2>"$TMP/err"
	rc=$?
	is "$rc" 0 "$f: exit 0"
	[ "$rc" = 0 ] || diag "stderr: $(cat "$TMP/err")"
	"$RETRYD" -c "$TMP/p1.ini" -t >"$TMP/p2.ini" 2>"$TMP/err"
	is "$?" 0 "$f: the printed policy loads"
	if cmp -s "$TMP/p1.ini" "$TMP/p2.ini"; then
		ok 0 "$f: load, print, load, print gives the same text"
	else
		ok 1 "$f: load, print, load, print gives the same text"
		diag "$(diff "$TMP/p1.ini" "$TMP/p2.ini")"
	fi
	is "$(awk 'length($0) > 197' "$TMP/p1.ini" | wc -l)" 0 "$f: printed lines fit 197 bytes"
}

nbad=0
for f in tests/data/policy-bad/*.ini; do
	check_bad "$f"
	nbad=$((nbad + 1))
done
ok "$([ $nbad -ge 30 ] && echo 0 || echo 1)" "at least 30 bad policies ($nbad)"

for f in tests/data/policy-good/*.ini; do
	check_good "$f"
done

# The shipped default: valid, classifier.ini expanded, the Microsoft group.
check_good policy/retryd.ini
"$RETRYD" -c policy/retryd.ini -t >"$TMP/default.ini" 2>/dev/null
like "$(cat "$TMP/default.ini")" '; rule = routing /' "default: the built-in classifier rules are listed"
like "$(cat "$TMP/default.ini")" '; [0-9]+ rules: 0 local, [0-9]+ built in' "default: -t says how many rules come from where"

# The shipped rules are compiled in: retryd.ini copied alone still checks, and a
# short policy without [classifier] gets the same rules; builtin_rules = no opts out.
mkdir -p "$TMP/etc-alone"
cp policy/retryd.ini "$TMP/etc-alone/retryd.ini"
"$RETRYD" -c "$TMP/etc-alone/retryd.ini" -t >"$TMP/alone.out" 2>"$TMP/alone.err"
is "$?" 0 "retryd.ini copied alone to a new directory: -t exit 0"
printf '[retryd]\nmta = postfix\n' >"$TMP/short.ini"
"$RETRYD" -c "$TMP/short.ini" -t >"$TMP/short.out" 2>&1
n_default=$(grep -cE '^; (fallback_|guarded_)?rule = ' "$TMP/default.ini")
is "$(grep -cE '^; (fallback_|guarded_)?rule = ' "$TMP/short.out")" "$n_default" "a policy without [classifier]: the same built-in rules"
printf '[classifier]\nrule = other /local/i\n' >"$TMP/local.ini"
"$RETRYD" -c "$TMP/local.ini" -t >"$TMP/local.out" 2>&1
like "$(cat "$TMP/local.out")" "; $((n_default + 1)) rules: 1 local, $n_default built in" "local rules come first, the built-in ones after"
printf '[classifier]\nbuiltin_rules = no\nrule = other /local/i\n' >"$TMP/nobuiltin.ini"
"$RETRYD" -c "$TMP/nobuiltin.ini" -t >"$TMP/nobuiltin.out" 2>&1
like "$(cat "$TMP/nobuiltin.out")" '; 1 rules: 1 local, 0 built in' "builtin_rules = no: only the local rules"
printf '[classifier]\nbuiltin_rules = no\nfallback_rule = other /local/i\nrule = content /words/\n' >"$TMP/fallback.ini"
"$RETRYD" -c "$TMP/fallback.ini" -t >"$TMP/fallback.out" 2>&1
like "$(cat "$TMP/fallback.out")" '; 2 rules: 2 local, 0 built in \(.*\); 1 of them fallback rules' "-t counts the fallback rules"
like "$(cat "$TMP/fallback.out")" 'fallback_rule = other /local/i' "-t prints a fallback rule as fallback_rule ="
like "$(cat "$TMP/default.ini")" '; [0-9]+ of them fallback rules' "default: -t says how many rules are fallback rules"
printf '[classifier]\nbuiltin_rules = no\naddress_guard = /\\bsender\\b/i\nguarded_rule = mailbox-unknown /no such user/i\n' >"$TMP/guard.ini"
"$RETRYD" -c "$TMP/guard.ini" -t >"$TMP/guard.out" 2>&1
is "$?" 0 "address_guard and guarded_rule: -t exit 0"
like "$(cat "$TMP/guard.out")" '; 1 rules: 1 local, 0 built in \(.*\); 0 of them fallback rules, 1 guarded rules' "-t counts the guarded rules"
like "$(cat "$TMP/guard.out")" 'guarded_rule = mailbox-unknown /no such user/i' "-t prints a guarded rule as guarded_rule ="
like "$(cat "$TMP/guard.out")" '; 1 address guards .*
address_guard = /\\bsender\\b/i' "-t prints the address guards"
printf '[classifier]\nguarded_rule = routing /x/\n' >"$TMP/badguard.ini"
"$RETRYD" -c "$TMP/badguard.ini" -t >"$TMP/badguard.out" 2>&1
is "$?" 78 "a guarded rule that is not address-level: exit 78"
like "$(cat "$TMP/badguard.out")" 'badguard\.ini:2: guarded_rule: .routing. is not address-level' "... at its FILE:LINE"
like "$(cat "$TMP/nobuiltin.out")" 'builtin_rules = no' "builtin_rules = no is printed"
like "$(cat "$TMP/default.ini")" 'domains = hotmail\.\*, outlook\.\*, live\.\*, msn\.com' "default: [group microsoft]"
like "$(grep -c '^tier = ' "$TMP/default.ini")" '^3$' "default: three backoff tiers"
is "$(awk 'length($0) > 197' policy/retryd.ini policy/classifier.ini | wc -l)" 0 \
	"policy/*.ini lines fit 197 bytes"

# Errors outside the corpora.
"$RETRYD" -c "$TMP/nonexistent.ini" -t >/dev/null 2>"$TMP/err"
is "$?" 78 "a missing policy file: exit 78"
like "$(cat "$TMP/err")" "nonexistent.ini: cannot open: No such file or directory" \
	"a missing policy file: named with errno"
printf '[retryd]\nmta = qmail\n[backoff]\ngive_up = 0s\ngive_up = 1d\n' >"$TMP/multi.ini"
"$RETRYD" -c "$TMP/multi.ini" -t >/dev/null 2>"$TMP/err"
is "$?" 78 "several errors: exit 78"
is "$(cut -d: -f2 "$TMP/err" | tr '\n' ' ')" "2 4 5 " "several errors: all reported, in order"

# Command line.
"$RETRYD" -h >"$TMP/out" 2>&1
is "$?" 0 "-h: exit 0"
like "$(cat "$TMP/out")" "usage: retryd" "-h: usage"
"$RETRYD" -x >/dev/null 2>&1
is "$?" 64 "an unknown option: exit 64"
"$RETRYD" -c policy/retryd.ini -t -f >/dev/null 2>&1
is "$?" 64 "-t with -f: exit 64"
"$RETRYD" -c policy/retryd.ini -t extra >/dev/null 2>&1
is "$?" 64 "a stray argument: exit 64"

done_testing

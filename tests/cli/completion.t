#!/bin/bash
# completion.t — contrib/bash-completion/retryctl: commands, options, groups
# and domains from the policy, queue ids from a real store (seeded), each
# asked as bash asks it (COMP_WORDS, COMP_CWORD, _retryctl, COMPREPLY).
. "$(dirname "$0")/../lab/lib.sh"
CTL=$RETRYD_ASAN_BUILD/retryctl
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
COMP=$LAB_ROOT/contrib/bash-completion/retryctl
for t in "$CTL" "$SEED"; do
	[ -x "$t" ] || skip_all "$t not built (make asan)"
done
lab_init completion
mkdir -p "$LAB_DIR/bin"
ln -s "$CTL" "$LAB_DIR/bin/retryctl"
P=$LAB_DIR/retryd.ini
cat >"$P" <<EOF
[retryd]
mta = postfix
state_dir = $LAB_DIR/state

[group microsoft]
domains = hotmail.test, outlook.test, live.*

[group yahoo]
domains = yahoo.test
EOF
"$SEED" "$LAB_DIR/state" <<'EOF'
message id=AB12C3 first_failure=now-1h rcpt=a@hotmail.test
message id=DE45F6 first_failure=now-1h rcpt=b@yahoo.test
EOF
# comp WORD...: what bash offers for the last word
comp() {
	PATH=$LAB_DIR/bin:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _retryctl; echo "${COMPREPLY[*]}"' _ "$COMP" "$@"
}
is "$(comp retryctl s)" "show suppressed sentinel shape" "commands starting with s"
is "$(comp retryctl -c "$P" li)" "list" "a command after -c FILE"
is "$(comp retryctl -c "$P" list --)" "--group --domain --due --json" "list options"
is "$(comp retryctl -c "$P" list --group '')" "microsoft yahoo" "groups from the policy"
is "$(comp retryctl -c "$P" report --domain '')" "hotmail.test outlook.test yahoo.test" "domains from the policy (patterns left out)"
is "$(comp retryctl -c "$P" shape --by '')" "domain verdict host" "shape --by keys"
is "$(comp retryctl -c "$P" report --format h)" "html" "report formats"
is "$(comp retryctl -c "$P" show '')" "--json AB12C3 DE45F6" "queue ids from the store"
is "$(comp retryctl -c "$P" release D)" "DE45F6" "release: a queue id"
done_testing

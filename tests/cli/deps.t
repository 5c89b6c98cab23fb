#!/bin/bash
# deps.t — tests/deps.sh never removes or replaces an installed MTA (TAP).
#
# Runs a copy of deps.sh against fake dpkg-query, apt-get and
# debconf-set-selections (first in PATH), so nothing on this host changes:
# the fakes read the "installed" packages from $TMP/installed and log every
# apt-get call to $TMP/apt.log. Checks: another MTA installed -> postfix is
# not installed and the message says why; apt would remove a package -> the
# install is refused; every apt-get call waits for the dpkg lock; build-only
# never asks for lab packages; demo asks for no test-only tool.
. "$(dirname "$0")/../lab/lib.sh"

TMP=$(mktemp -d /tmp/retryd-deps.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin" "$TMP/tests"
cp "$LAB_ROOT/tests/deps.sh" "$TMP/tests/deps.sh"   # no lab/exim-install.sh beside it

cat >"$TMP/bin/dpkg-query" <<'F'
#!/bin/sh
# dpkg-query -W -f=FMT [PKG]: lines "pkg|provides" in $FAKE/installed
case "$2" in
*Provides*) while IFS='|' read -r p prov; do echo "$p install ok installed $prov"; done <"$FAKE/installed" ;;
*) grep -q "^$3|" "$FAKE/installed" && printf 'install ok installed' ;;
esac
exit 0
F
cat >"$TMP/bin/apt-get" <<'F'
#!/bin/sh
echo "apt-get $*" >>"$FAKE/apt.log"
case " $* " in
*" -s "*) for p in $(cat "$FAKE/removes" 2>/dev/null); do echo "Remv $p [1.0]"; done ;;
esac
exit 0
F
printf '#!/bin/sh\ncat >/dev/null\n' >"$TMP/bin/debconf-set-selections"
chmod +x "$TMP/bin/"*
export FAKE=$TMP PATH="$TMP/bin:$PATH" POLICY_RC_D=$TMP/policy-rc.d

all_but() { # every package of deps.sh's lists except $*
	sed -n '/^[A-Z_]*PACKAGES="$/,/^"$/p; /^LAB_MTA=/p' "$TMP/tests/deps.sh" |
		sed 's/^LAB_MTA="\(.*\)"/\1/' | tr ' ' '\n' | grep -v '"' | grep -vxF "$(printf '%s\n' "$@")" | sed 's/$/|/'
}

# 1. Exim is the host's MTA, postfix missing: postfix is left out, with a message.
{ all_but postfix; echo "exim4-daemon-light|mail-transport-agent, exim4-localscanapi-6.0"; } >"$TMP/installed"
: >"$TMP/apt.log"
out=$("$TMP/tests/deps.sh" all 2>&1); rc=$?
is "$rc" 0 "exim host: deps.sh all succeeds"
like "$out" "not installing postfix: this host's MTA is exim4-daemon-light" "exim host: says why postfix is left out"
like "$out" "throwaway Debian 12 container" "exim host: says how to run the Postfix scenarios anyway"
ok "$(grep -c postfix "$TMP/apt.log")" "exim host: apt-get never asked for postfix"

# 2. Nothing installed but an MTA-less base, a lab package whose install would remove something.
{ all_but nsd; } >"$TMP/installed"
echo "bind9" >"$TMP/removes"
: >"$TMP/apt.log"
out=$("$TMP/tests/deps.sh" lab 2>&1); rc=$?
is "$rc" 1 "install that would remove a package: refused"
like "$out" "refusing: installing nsd would remove: bind9" "refusal names what would be removed"
is "$(grep -c ' install -y' "$TMP/apt.log")" 0 "refused: no real install ran"
rm -f "$TMP/removes"

# 3. Postfix missing on an MTA-less host: installed, every apt-get call waits for the lock.
{ all_but postfix nsd; } >"$TMP/installed"
: >"$TMP/apt.log"
out=$("$TMP/tests/deps.sh" all 2>&1); rc=$?
is "$rc" 0 "no MTA: deps.sh all succeeds"
like "$(grep ' install -y' "$TMP/apt.log")" "postfix" "no MTA: postfix installed"
is "$(grep -vc 'DPkg::Lock::Timeout=900' "$TMP/apt.log")" 0 "every apt-get call waits for the dpkg lock"
[ ! -e "$TMP/policy-rc.d" ]; ok $? "policy-rc.d removed after the install"

# 4. build only: never asks for a lab package, even when all are missing.
: >"$TMP/installed"
: >"$TMP/apt.log"
"$TMP/tests/deps.sh" build >/dev/null 2>&1
got=$(grep ' install -y' "$TMP/apt.log")
like "$got" "libgetdns-dev" "build: installs build packages"
if printf '%s' "$got" | grep -Eq 'nsd|unbound|postfix|cmocka'; then ok 1 "build: no lab or test package"; else ok 0 "build: no lab or test package"; fi

# 5. demo (make demo): what the demo uses, not the test suite's heavy tools.
: >"$TMP/installed"
: >"$TMP/apt.log"
"$TMP/tests/deps.sh" demo >/dev/null 2>&1
got=$(grep ' install -y' "$TMP/apt.log")
like "$got" "libgetdns-dev.* jq .*nsd.*unbound.*postfix" "demo: build packages, jq, the lab's DNS servers and Postfix"
if printf '%s' "$got" | grep -Eq 'chromium|clang|lintian|cmocka'; then ok 1 "demo: no chromium, clang, lintian, cmocka"; else ok 0 "demo: no chromium, clang, lintian, cmocka"; fi
done_testing

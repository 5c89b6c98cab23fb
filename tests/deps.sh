#!/bin/sh
# deps.sh — install the Debian packages retryd's build, tests and lab need.
#
#   tests/deps.sh [build|test|lab|all|demo] (default: all; `make deps` runs all)
#
#   build  compile retryd, retryctl and the plugins (BUILD_PACKAGES)
#   test   + unit/cli tests, fuzzing, packaging checks (TEST_PACKAGES)
#   lab    + the loopback lab: DNS servers and tools (LAB_PACKAGES), Postfix
#          (LAB_MTA) and a private Exim (tests/lab/exim-install.sh)
#   demo   what `make demo` uses: build + DEMO_TOOLS + LAB_PACKAGES + LAB_MTA,
#          no Exim (on a fresh Debian 12: 15 min for `all`, 475 packages with
#          chromium and clang, against a few minutes for `demo`)
#
# Adding a package: one line in the list for its purpose. Idempotent: installs
# only what is missing. Runs as root; as another user it prints what is missing.
#
# Safety on a real host: nothing installed here may remove or replace what is
# there. Every install is simulated first and refused if apt would remove any
# package; Postfix is not installed when another MTA (Exim, Sendmail, OpenSMTPD,
# ...) provides mail-transport-agent: the Postfix scenarios then skip, and the
# Exim ones run against the private Exim. Services of packages installed here
# are neither started (policy-rc.d) nor left enabled (systemd hosts), so no lab
# resolver takes over port 53 or /etc/resolv.conf.
set -eu

BUILD_PACKAGES="
build-essential
pkg-config
libdb-dev
libgetdns-dev
libinih-dev
libjansson-dev
libpcre2-dev
libsystemd-dev
libpq-dev
"

TEST_PACKAGES="
libcmocka-dev
git
db5.3-util
perl
python3
jq
bc
clang
clang-format
libclang-rt-14-dev
lintian
python3-prometheus-client
util-linux
procps
systemd
chromium
systemd-journal-remote
"

LAB_PACKAGES="
nsd
dns-root-data
unbound
bind9-dnsutils
getdns-utils
libidn12
iproute2
postgresql
libmariadb3
libspf2-2
"

# Test tools tests/demo.sh and the lab it starts call (tests/lab/dns.sh,
# postfix.sh, tests/e2e/lib_e2e.sh).
DEMO_TOOLS="
jq
perl
"

# The lab's Postfix. Debian's MTAs conflict with each other: see mta_guard.
LAB_MTA="postfix postfix-pgsql"

APT="apt-get -o DPkg::Lock::Timeout=900"
POLICY_RC_D=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
HERE=$(dirname "$0")
WHAT=${1:-all}

case $WHAT in
build) WANT="$BUILD_PACKAGES" ;;
test) WANT="$BUILD_PACKAGES $TEST_PACKAGES" ;;
lab | all) WANT="$BUILD_PACKAGES $TEST_PACKAGES $LAB_PACKAGES $LAB_MTA" ;;
demo) WANT="$BUILD_PACKAGES $DEMO_TOOLS $LAB_PACKAGES $LAB_MTA" ;;
*)
	echo "usage: tests/deps.sh [build|test|lab|all|demo]" >&2
	exit 64
	;;
esac

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Other installed packages that provide mail-transport-agent (exim4-daemon-*,
# sendmail-bin, opensmtpd, ...), one per line.
other_mtas() {
	dpkg-query -W -f='${Package} ${Status} ${Provides}\n' 2>/dev/null |
		awk '/install ok installed/ && /mail-transport-agent/ && $1 != "postfix" { print $1 }'
}

# Drop Postfix from the wanted list when another MTA is installed.
mta_guard() {
	installed postfix && return 0
	mtas=$(other_mtas | tr '\n' ' ')
	[ -z "$mtas" ] && return 0
	WANT=$(echo "$WANT" | tr ' ' '\n' | grep -vx -e postfix -e postfix-pgsql || true)
	cat >&2 <<EOF
deps.sh: not installing postfix: this host's MTA is ${mtas% }, and Debian's
  postfix package would remove it. Nothing was changed. The Postfix lab and e2e
  scenarios will skip ("Postfix not installed"); the Exim ones run against the
  private Exim (tests/lab/exim-install.sh). To run the Postfix scenarios too,
  run make check in a throwaway Debian 12 container or VM without an MTA.
EOF
}

# Refuse when installing $* would remove anything.
removal_guard() {
	# shellcheck disable=SC2086
	sim=$($APT -s install --no-install-recommends "$@" 2>&1) || {
		$APT update -qq
		# shellcheck disable=SC2086
		sim=$($APT -s install --no-install-recommends "$@" 2>&1) || {
			echo "$sim" >&2
			exit 1
		}
	}
	removed=$(echo "$sim" | awk '/^Remv / { print $2 }' | tr '\n' ' ')
	if [ -n "$removed" ]; then
		echo "deps.sh: refusing: installing $* would remove: $removed" >&2
		echo "  Nothing was changed. Install by hand if that is really meant." >&2
		exit 1
	fi
}

[ "$WHAT" = build ] || [ "$WHAT" = test ] || mta_guard

missing=""
for p in $WANT; do
	installed "$p" || missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	# shellcheck disable=SC2086
	removal_guard $missing
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Postfix must not configure or start a system instance: tests run their own.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	# No service of a package installed here starts (a lab resolver must not
	# take over the host's port 53), unless the host has its own policy.
	policy=""
	if [ ! -e "$POLICY_RC_D" ]; then
		policy=$POLICY_RC_D
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		trap 'rm -f "$policy"' EXIT INT TERM
	fi
	# shellcheck disable=SC2086
	$APT install -y -qq --no-install-recommends $missing ||
		{ $APT update -qq && $APT install -y -qq --no-install-recommends $missing; }
	if [ -d /run/systemd/system ]; then
		for p in $missing; do
			case $p in
			nsd | unbound) systemctl disable --now "$p" unbound-resolvconf 2>/dev/null || true ;;
			esac
		done
	fi
	[ -n "$policy" ] && rm -f "$policy"
fi

# The unprivileged user the daemon drops to ([retryd] user, default retryd):
# a scenario started as root runs the daemon as this user.
if [ "$WHAT" != build ] && [ "$(id -u)" = 0 ] && ! getent passwd retryd >/dev/null; then
	getent group retryd >/dev/null && useradd -r -g retryd -s /usr/sbin/nologin retryd ||
		useradd -r -U -s /usr/sbin/nologin retryd
fi

# Exim lives beside Postfix in a private directory (the packages conflict).
if [ "$WHAT" = lab ] || [ "$WHAT" = all ]; then
	if [ -x "$HERE/lab/exim-install.sh" ] && [ "$(id -u)" = 0 ]; then
		"$HERE/lab/exim-install.sh"
	fi
fi
exit 0

#!/bin/sh
# deps.sh — install every Debian package the build, the tests and the lab need.
# Idempotent: installs only what is missing; `apt-get update` only when needed.
# Runs as root (CI, a fresh box); as another user it prints what is missing.
set -eu

PACKAGES="
build-essential
pkg-config
libdb-dev
db5.3-util
libgetdns-dev
getdns-utils
libinih-dev
libjansson-dev
libpcre2-dev
libcmocka-dev
nsd
unbound
bind9-dnsutils
postfix
libidn12
iproute2
util-linux
perl
python3
jq
clang
clang-format
libclang-rt-14-dev
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Postfix must not configure or start a system instance: tests run their own.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

# Exim lives beside Postfix in a private directory (the packages conflict).
if [ -x "$(dirname "$0")/lab/exim-install.sh" ]; then
	"$(dirname "$0")/lab/exim-install.sh"
fi
exit 0

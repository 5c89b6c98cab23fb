#!/bin/sh
# exim-install.sh — a private Exim 4 beside Debian's Postfix, for the lab.
#
# Debian's exim4 packages conflict with postfix (installing one removes the
# other), so the lab unpacks exim4-daemon-light and exim4-base with dpkg -x
# into a private root and runs that binary with -C CONF. Idempotent: does
# nothing when the binary is there and runs. Needs root and Debian's apt.
#
#   EXIM_LAB_ROOT   where to unpack (default /opt/retryd-lab/exim)
#   EXIM_LAB_CACHE  where the .deb files are kept (default /var/cache/retryd-lab)
#
# Result: $EXIM_LAB_ROOT/usr/sbin/exim4, the Debian-exim user and group.
set -eu

ROOT=${EXIM_LAB_ROOT:-/opt/retryd-lab/exim}
CACHE=${EXIM_LAB_CACHE:-/var/cache/retryd-lab}
BIN=$ROOT/usr/sbin/exim4
# Shared libraries exim4-daemon-light links against (apt-cache depends).
RUNTIME_DEPS="libidn12 libidn2-0 libgnutls30 libgnutls-dane0 libnsl2 libdb5.3 libpcre2-8-0 libcrypt1"

if [ "$(id -u)" != 0 ]; then
	echo "exim-install.sh: must run as root" >&2
	exit 1
fi

# 1. The system user Exim looks up before reading any configuration.
if ! getent group Debian-exim >/dev/null; then
	groupadd -r Debian-exim
fi
if ! getent passwd Debian-exim >/dev/null; then
	useradd -r -g Debian-exim -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim
fi

# 2. Runtime libraries.
missing=""
for p in $RUNTIME_DEPS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing ||
		{ apt-get -o DPkg::Lock::Timeout=900 update -qq && apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing; }
fi

# 3. The packages, unpacked (never installed: they would remove postfix).
if [ -x "$BIN" ] && "$BIN" -bV -C /dev/null >/dev/null 2>&1; then
	exit 0
fi
mkdir -p "$CACHE" "$ROOT"
for p in exim4-daemon-light exim4-base; do
	if ! ls "$CACHE/${p}"_*.deb >/dev/null 2>&1; then
		(cd "$CACHE" && { apt-get download "$p" >/dev/null 2>&1 ||
			{ apt-get -o DPkg::Lock::Timeout=900 update -qq && apt-get download "$p"; }; })
	fi
	deb=$(ls "$CACHE/${p}"_*.deb | sort -V | tail -n 1)
	dpkg -x "$deb" "$ROOT"
done

if ! "$BIN" -bV -C /dev/null >/dev/null 2>&1; then
	echo "exim-install.sh: $BIN does not run:" >&2
	"$BIN" -bV -C /dev/null >&2 || true
	ldd "$BIN" | grep 'not found' >&2 || true
	exit 1
fi
echo "exim-install.sh: $("$BIN" -bV -C /dev/null | head -n 1) in $ROOT"

#!/bin/bash
# clean_debian.sh - the retryd .deb on a clean Debian 12, with systemd as
# PID 1, taking over a stale-cache incident in observe then act mode: one
# run, one transcript (docs/transcripts/clean-debian.md is its output).
#
#   tests/tools/clean_debian.sh [-d WORKDIR] [-p DEB] [-b BASE.tar] [-o OUT.md] [-k]
#   tests/tools/clean_debian.sh -m [-d WORKDIR] [-b BASE.tar] [-o OUT.md] [-k]
#
# -m: `make demo` instead, as README's "Two commands" says, on the same kind
# of fresh root (not booted: the demo starts its servers itself): apt-get
# install make (a fresh Debian has none), the source tree (git archive
# HEAD), `make deps-demo` (what make demo runs first) with the host's network, then `make -j2 demo` with
# --private-network (its deps step finds everything; the lab's 127.N
# addresses are the container's own, never the host's loopback).
#
# 1. debootstrap --variant=minbase bookworm (or -b: a saved tarball of one)
# 2. with the host's network, no boot (systemd-nspawn): apt-get update,
#    install systemd + systemd-sysv (the init every Debian 12 host has;
#    minbase leaves it out), and DOWNLOAD ONLY what the rest needs
#    (Postfix, unbound, NSD, dig, the .deb's dependencies)
# 3. boot it: systemd-nspawn --boot --private-network (only a loopback of
#    its own: nothing inside can reach any other address, so the shipped
#    policy's public resolvers can never be queried), then inside, through
#    nsenter: tests/tools/clean_debian_incident.sh install (apt installs
#    everything offline from step 2's cache, `apt install ./retryd.deb`,
#    the incident under the packaged unit, observe then act), then
#    `enable`; power off
# 4. boot it again: `clean_debian_incident.sh boot` (retryd started by
#    the boot, after postfix.service)
#
# Host safety: systemd-nspawn itself runs in a private mount namespace
# with its own tmpfs on /run and /tmp (it would otherwise create
# /run/systemd/nspawn/ on the host); the container's systemd has its own
# /, /dev, /run, /tmp (inside WORKDIR), and its own network namespace.
# Nothing of the host's /tmp, /run, /var or /dev is touched; WORKDIR
# (default /var/tmp/retryd-clean-debian.PID) is removed at the end unless -k.
#
# Needs root, debootstrap, systemd-container (systemd-nspawn), util-linux
# and the Debian mirror (deb.debian.org) for steps 1-2. Takes 3-8 minutes
# (debootstrap is most of it): too slow for make check, run it by hand.
# Exit 0 when every CHECK inside passed.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=/var/tmp/retryd-clean-debian.$$
DEB=
BASE=
OUT=
KEEP=0
DEMO=0
MIRROR=http://deb.debian.org/debian
HOST_PKGS="postfix unbound dns-root-data nsd bind9-dnsutils"

usage() {
	echo "usage: clean_debian.sh [-d WORKDIR] [-p DEB] [-b BASE.tar] [-o OUT.md] [-k]" >&2
	exit 2
}
while getopts d:p:b:o:km opt; do
	case $opt in
	d) WORK=$OPTARG ;;
	p) DEB=$OPTARG ;;
	b) BASE=$OPTARG ;;
	o) OUT=$OPTARG ;;
	k) KEEP=1 ;;
	m) DEMO=1 ;;
	*) usage ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "clean_debian.sh: needs root" >&2; exit 2; }
for c in debootstrap systemd-nspawn unshare nsenter; do
	command -v $c >/dev/null || { echo "clean_debian.sh: $c missing (apt-get install debootstrap systemd-container)" >&2; exit 2; }
done
if [ -z "$DEB" ] && [ "$DEMO" = 0 ]; then
	make -s -C "$TOP" deb >/dev/null || { echo "clean_debian.sh: make deb failed" >&2; exit 1; }
	DEB=$(ls "$TOP"/build/retryd_*.deb | head -n 1)
fi
[ "$DEMO" = 1 ] || [ -f "$DEB" ] || { echo "clean_debian.sh: $DEB: no such package" >&2; exit 2; }
[ -e "$WORK" ] && { echo "clean_debian.sh: $WORK exists" >&2; exit 2; }
mkdir -p "$WORK"
ROOT=$WORK/root
LOG=$WORK/transcript.log
NSPAWN_PID=

cleanup() {
	[ -n "$NSPAWN_PID" ] && kill -TERM "$NSPAWN_PID" 2>/dev/null && wait "$NSPAWN_PID" 2>/dev/null
	[ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '%s\n' "$*" | tee -a "$LOG"; }
# nspawn: systemd-nspawn in a private mount namespace with a tmpfs /run
# and /tmp of its own (the host's are never written). Replaces the
# calling (sub)shell: run it as ( nspawn ... ).
nspawn() {
	exec unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0755 retryd-clean-run /run &&
		mount -t tmpfs -o mode=1777 retryd-clean-tmp /tmp &&
		exec systemd-nspawn -q -D "$0" --register=no --keep-unit --link-journal=no \
			--timezone=off --hostname=mx "$@"' "$ROOT" "$@"
}

say "## 1. A clean Debian 12: debootstrap --variant=minbase bookworm"
t0=$(date +%s)
if [ -n "$BASE" ]; then
	mkdir "$ROOT" && tar -C "$ROOT" -xf "$BASE" || exit 1
	say "\$ tar -xf $BASE    (a debootstrap --variant=minbase bookworm made earlier, never booted)"
else
	debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
		{ tail "$WORK/debootstrap.log"; exit 1; }
	say "\$ debootstrap --variant=minbase bookworm root $MIRROR"
	say "$(tail -n 1 "$WORK/debootstrap.log")"
fi
say "($(($(date +%s) - t0)) s; $(chroot "$ROOT" dpkg-query -W | wc -l) packages; $(du -sh "$ROOT" | cut -f1))"

# demo: make demo on the fresh root, as README says (exits)
demo() {
	local rc
	say ""
	say "## 2. With the host's network, not booted: make, the source, make deps-demo"
	mkdir -p "$ROOT/root/retryd"
	git -C "$TOP" archive HEAD | tar -x -C "$ROOT/root/retryd" || exit 1
	say "\$ git archive HEAD | tar -x -C /root/retryd    ($(git -C "$TOP" log -1 --format='%h %cd' --date=iso))"
	t0=$(date +%s)
	(nspawn --resolv-conf=copy-host -E DEBIAN_FRONTEND=noninteractive sh -c "
		apt-get -q update >/dev/null &&
		apt-get install -y -q --no-install-recommends make >/root/apt-make.log 2>&1") ||
		{ tail "$ROOT/root/apt-make.log"; exit 1; }
	say "\$ apt-get install --no-install-recommends make"
	say "$(grep -E '^Setting up make ' "$ROOT/root/apt-make.log") ($(($(date +%s) - t0)) s)"
	t0=$(date +%s)
	(nspawn --resolv-conf=copy-host --chdir=/root/retryd make deps-demo) >"$WORK/deps.log" 2>&1
	rc=$?
	say "\$ cd /root/retryd && make deps-demo    (what make demo runs first)"
	say "$(grep -vE '^(Get|Preparing|Unpacking|Selecting|Setting up|Processing|Created symlink|update-alternatives|debconf|\(Reading|Reading|Building|invoke-rc.d|  )' "$WORK/deps.log" | tail -n 25)"
	say "($(($(date +%s) - t0)) s, exit $rc; $(grep -c '^Setting up ' "$WORK/deps.log") packages set up)"
	: >"$ROOT/etc/resolv.conf"
	say ""
	say "## 3. Loopback only (--private-network), not booted: make -j2 demo"
	t0=$(date +%s)
	(nspawn --private-network --resolv-conf=off --chdir=/root/retryd make -j2 demo) >"$WORK/demo.log" 2>&1
	rc=$?
	say "\$ cd /root/retryd && make -j2 demo"
	say "$(grep -vE '^(cc |ar |mkdir |gcc |rm -f build)' "$WORK/demo.log" | sed 's/\x1b\[[0-9;]*m//g')"
	say "($(($(date +%s) - t0)) s, exit $rc)"
	if [ -n "$OUT" ]; then
		{
			echo "# make demo on a clean Debian 12"
			echo
			echo "Made by \`tests/tools/clean_debian.sh -m\` on $(date -u '+%Y-%m-%d %H:%M UTC'): a fresh"
			echo "\`debootstrap --variant=minbase bookworm\` (not booted: the demo starts its servers"
			echo "itself), \`apt-get install make\` (a fresh Debian has no make), the source tree, \`make"
			echo "deps-demo\` (make demo's first step) with the network, then \`make -j2 demo\` in systemd-nspawn with"
			echo "\`--private-network\` (its own loopback only). Compiler lines are left out."
			echo
			echo '```'
			cat "$LOG"
			echo '```'
		} >"$OUT"
	fi
	exit $rc
}
[ "$DEMO" = 1 ] && demo

say ""
say "## 2. With the host's network, not booted: systemd, and downloads only"
cp "$DEB" "$ROOT/root/"
install -m 0755 "$TOP/tests/tools/clean_debian_incident.sh" "$ROOT/root/"
t0=$(date +%s)
(nspawn --resolv-conf=copy-host -E DEBIAN_FRONTEND=noninteractive sh -c "
	apt-get -q update >/dev/null &&
	apt-get install -y -q --no-install-recommends systemd systemd-sysv >/root/apt-systemd.log 2>&1 &&
	apt-get install -y -q --download-only --no-install-recommends $HOST_PKGS /root/$(basename "$DEB") >/root/apt-download.log 2>&1 &&
	apt-get install -y -q --download-only /root/$(basename "$DEB") >>/root/apt-download.log 2>&1") ||
	{ tail "$ROOT"/root/apt-*.log; exit 1; }
say "\$ apt-get update; apt-get install --no-install-recommends systemd systemd-sysv"
say "$(grep -E '^Setting up systemd(-sysv)? ' "$ROOT/root/apt-systemd.log")"
say "\$ apt-get install --download-only $HOST_PKGS ./$(basename "$DEB")"
say "$(grep -E '^(Fetched|Download complete)' "$ROOT/root/apt-download.log" | tr '\n' ' ')"
say "($(($(date +%s) - t0)) s)"
# from now on nothing inside can reach the network
: >"$ROOT/etc/resolv.conf"

# boot PART...: boot the root with a loopback-only network, run
# clean_debian_incident.sh PART... inside, power off. 0 when all passed.
boot() {
	local pid1= state= rc=0 part
	(nspawn --boot --private-network --resolv-conf=off --console=passive) \
		>"$WORK/console.$1.log" 2>&1 </dev/null &
	NSPAWN_PID=$!
	for _ in $(seq 1 100); do
		pid1=$(ps -o pid= --ppid "$NSPAWN_PID" | tr -d ' ')
		[ -n "$pid1" ] && state=$(nsenter -t "$pid1" -a systemctl is-system-running 2>/dev/null)
		case $state in running | degraded) break ;; esac
		sleep 0.3
	done
	say "\$ systemd-nspawn --boot --private-network -D root    (boot: $state)"
	case $state in running | degraded) ;; *)
		tail -n 20 "$WORK/console.$1.log"
		return 1
		;;
	esac
	for part in "$@"; do
		nsenter -t "$pid1" -a env -i /root/clean_debian_incident.sh "$part" 2>&1 | tee -a "$LOG"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	done
	# (no D-Bus here: systemctl says so on stderr, then powers off)
	nsenter -t "$pid1" -a systemctl poweroff 2>/dev/null
	wait "$NSPAWN_PID"
	NSPAWN_PID=
	say "\$ systemctl poweroff"
	return $rc
}

say ""
say "## 3. Booted, loopback only: the MTA host, the package, the incident"
t0=$(date +%s)
boot install enable
rc1=$?
say "(boot 1: $(($(date +%s) - t0)) s)"
say ""
say "## 4. Booted again: enabled, retryd starts with the system"
boot boot
rc2=$?
FAILED=$(grep -c '^CHECK FAILED' "$LOG")
PASSED=$(grep -c '^CHECK ok' "$LOG")
say ""
say "checks: $PASSED ok, $FAILED failed"

if [ -n "$OUT" ]; then
	{
		echo "# retryd on a clean Debian 12: install, observe, act (one run)"
		echo
		echo "Made by \`tests/tools/clean_debian.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (host kernel $(uname -r));"
		echo "the in-container steps are \`tests/tools/clean_debian_incident.sh\`. A fresh"
		echo "\`debootstrap --variant=minbase bookworm\`, given systemd (every Debian 12 host has it;"
		echo "minbase leaves it out) and a download-only apt cache, is booted with"
		echo "\`systemd-nspawn --boot --private-network\`: systemd is PID 1 and the only network is"
		echo "the container's own loopback. Inside: Postfix and unbound (the MTA host), NSD and"
		echo "smtp-sink as hotmail.test's authoritative server and MX, a second unbound as the"
		echo "independent resolver; then \`apt install ./retryd_*.deb\`, the shipped policy edited"
		echo "for the lab (the diff is below), and the packaged retryd.service takes over a stale"
		echo "negative cache, first in observe mode, then in act mode; then \`systemctl enable\` and"
		echo "a second boot. Times are wall-clock on a shared 2-core machine. Delays in Postfix"
		echo "log lines are cut (\`...\`)."
		echo
		echo '```'
		cat "$LOG"
		echo '```'
	} >"$OUT"
fi
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$FAILED" = 0 ]

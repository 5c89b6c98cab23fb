# lib.sh — shared by every lab and e2e scenario (sourced, not run).
#
# Gives a scenario: a private temp dir ($LAB_DIR), a private loopback
# network 127.$LAB_NET.0.0/16 claimed with flock so scenarios run in
# parallel without sharing an address, PID tracking with cleanup on exit,
# and TAP output helpers (plan/ok/is/diag/skip_all/done_testing).
#
# Servers run in the foreground as root; every started PID is recorded
# with lab_track and killed (TERM, then KILL) when the script exits.

set -u

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RETRYD_BUILD=${RETRYD_BUILD:-$LAB_ROOT/build}
RETRYD_ASAN_BUILD=${RETRYD_ASAN_BUILD:-$LAB_ROOT/build/asan}
LAB_PIDS=""
LAB_TESTNUM=0
LAB_FAILED=0
LAB_CLEANUPS=""

# Claim a free /16 inside 127.0.0.0/8 (10..250) for this scenario.
lab_claim_net() {
	local n
	for n in $(seq 10 250); do
		exec 9>"/tmp/retryd-lab-net.$n.lock"
		if flock -n 9; then
			LAB_NET=$n
			return 0
		fi
		exec 9>&-
	done
	echo "Bail out! no free lab network" && exit 1
}

# lab_init NAME: temp dir, network, cleanup trap.
lab_init() {
	LAB_NAME=$1
	LAB_DIR=$(mktemp -d "/tmp/retryd-$1.XXXXXX")
	chmod 755 "$LAB_DIR"
	# The daemon started as root drops to [retryd] user (tests/deps.sh).
	if [ "$(id -u)" = 0 ] && ! getent passwd retryd >/dev/null; then
		useradd -r -U -s /usr/sbin/nologin retryd 2>/dev/null ||
			getent passwd retryd >/dev/null
	fi
	lab_claim_net
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
}

lab_track() { LAB_PIDS="$LAB_PIDS $1"; }

# lab_on_exit CMD...: run CMD (a function name and words) at cleanup, LIFO.
lab_on_exit() { LAB_CLEANUPS="$*;$LAB_CLEANUPS"; }

lab_cleanup() {
	local rc=$? pid c
	local IFS_SAVE=$IFS
	IFS=';'
	for c in $LAB_CLEANUPS; do
		IFS=$IFS_SAVE
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
		IFS=';'
	done
	IFS=$IFS_SAVE
	for pid in $LAB_PIDS; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $LAB_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	if [ "${LAB_KEEP:-0}" = 1 ] || [ "$LAB_FAILED" != 0 ]; then
		echo "# lab dir kept: $LAB_DIR" >&2
	else
		rm -rf "$LAB_DIR"
	fi
	exit $rc
}

# ---- TAP ----
plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { echo "# $*" >&2; }
ok() {
	local cond=$1; shift
	LAB_TESTNUM=$((LAB_TESTNUM + 1))
	if [ "$cond" = 0 ]; then
		echo "ok $LAB_TESTNUM - $*"
	else
		echo "not ok $LAB_TESTNUM - $*"
		LAB_FAILED=$((LAB_FAILED + 1))
	fi
}
# is GOT WANT NAME
is() {
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "  got:  '$got'"
		diag "  want: '$want'"
	fi
}
# like GOT REGEX NAME (grep -E)
like() {
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "  got:  '$got'"
		diag "  want match: '$re'"
	fi
}
done_testing() {
	echo "1..$LAB_TESTNUM"
	[ "$LAB_FAILED" = 0 ]
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local limit=$1; shift
	local i=0 n=$((limit * 10))
	while [ $i -lt $n ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

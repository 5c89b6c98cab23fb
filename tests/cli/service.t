#!/bin/bash
# service.t — the systemd unit and the notify protocol (TAP).
#
# contrib/systemd/retryd.service: systemd-analyze security --offline=true
# --threshold=45 passes (exposure <= 4.5), Type=notify with WatchdogSec;
# OnFailure=retryd-release.service, a oneshot retryctl release --all that
# systemd-analyze verify accepts.
# The unit itself is started by a real systemd (PID 1 of a namespace) in
# tests/e2e/postfix_systemd.t; here, without systemd, retryd -f runs with NOTIFY_SOCKET pointing at a datagram socket this
# test reads (python3) and WATCHDOG_USEC=200000, and must send READY=1,
# WATCHDOG=1, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM.
# Its passes (a Postfix config that does not exist: every listing fails,
# nothing changes) are idle: one summary line, not one per pass.
. "$(dirname "$0")/../lab/lib.sh"

UNIT=$LAB_ROOT/contrib/systemd/retryd.service
REL=$LAB_ROOT/contrib/systemd/retryd-release.service
RETRYD=$RETRYD_ASAN_BUILD/retryd
[ -x "$RETRYD" ] || RETRYD=$RETRYD_BUILD/retryd
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
TMP=$(mktemp -d /tmp/retryd-service.XXXXXX)
trap 'kill $RPID $LPID 2>/dev/null; rm -rf "$TMP"' EXIT

if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze security --offline=true --threshold=45 "$UNIT" 2>&1); rc=$?
	is "$rc" 0 "systemd-analyze security --threshold=45 passes"
	like "$(echo "$out" | tail -n 1)" "exposure level for retryd.service: [0-4]\.[0-9] " "exposure below 4.5"
	echo "$out" | tail -n 1 | sed 's/^/# /' >&2
	systemd-analyze verify "$UNIT" >"$TMP/verify" 2>&1
	if grep -Ei "unknown|invalid|failed to parse" "$TMP/verify" | grep -v "Command /usr/sbin/retryd is not executable" >&2; then
		ok 1 "systemd-analyze verify: no unknown or invalid setting"
	else
		ok 0 "systemd-analyze verify: no unknown or invalid setting"
	fi
	# the OnFailure= unit, verified beside the main unit (which names it)
	systemd-analyze verify "$UNIT" "$REL" >"$TMP/verify-rel" 2>&1
	if grep -Ei "unknown|invalid|failed to parse|not found|not loaded" "$TMP/verify-rel" |
		grep -Ev "Command /usr/sbin/retry(d|ctl) is not executable" >&2; then
		ok 1 "systemd-analyze verify retryd-release.service: no unknown or invalid setting"
	else
		ok 0 "systemd-analyze verify retryd-release.service: no unknown or invalid setting"
	fi
else
	ok 0 "# SKIP systemd-analyze not installed"
fi
grep -qx "OnFailure=retryd-release.service" "$UNIT"; ok $? "unit sets OnFailure=retryd-release.service"
for k in "Type=oneshot" "ExecStart=/usr/sbin/retryctl -c /etc/retryd/retryd.ini release --all"; do
	grep -qx "$k" "$REL"; ok $? "release unit sets $k"
done
for k in "Type=notify" "WatchdogSec=" "ProtectSystem=strict" "UMask=0027" "CapabilityBoundingSet=" \
	"SystemCallArchitectures=native" "RestrictNamespaces=yes" "LockPersonality=yes" "PrivateDevices=yes"; do
	grep -q "^$k" "$UNIT"; ok $? "unit sets $k"
done

# the notify protocol, read by a datagram listener
mkdir -p "$TMP/state"
cat >"$TMP/r.ini" <<INI
[retryd]
mta = postfix
plugin_dir = $(dirname "$RETRYD")/plugins
state_dir = $TMP/state
scan_interval = 1s
[postfix]
config_dir = $TMP/no-postfix
log_file = $TMP/maillog
[resolvers]
mta = 127.0.0.1
independent = 127.0.0.1
INI
: >"$TMP/maillog"
"$PY" - "$TMP/notify.sock" >"$TMP/notes" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
while True:
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        break
    print(m, flush=True)
    if m == "STOPPING=1":
        break
PYEOF
LPID=$!
wait_for 10 test -S "$TMP/notify.sock"
# retryd started as root drops to [retryd] user (privilege separation):
# like systemd's own notify socket, this one must be writable by it
chmod 0755 "$TMP"
chmod 0777 "$TMP/notify.sock"
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=200000 "$RETRYD" -c "$TMP/r.ini" -f 2>"$TMP/log" &
RPID=$!
wait_for 20 grep -q "READY=1" "$TMP/notes"
ok $? "READY=1 sent"
wait_for 20 sh -c "[ \$(grep -c WATCHDOG=1 '$TMP/notes') -ge 3 ]"
ok $? "WATCHDOG=1 sent repeatedly (WATCHDOG_USEC=200000)"
wait_for 20 sh -c "[ \$(sed -n 's/^passes //p' '$TMP/state/retryd.status' 2>/dev/null || echo 0) -ge 4 ]"
kill -HUP $RPID
wait_for 20 grep -q "RELOADING=1" "$TMP/notes"
ok $? "RELOADING=1 on SIGHUP"
wait_for 20 sh -c "sed -n '/RELOADING=1/,\$p' '$TMP/notes' | grep -q '^READY=1\$'"
ok $? "READY=1 after the reload"
kill -TERM $RPID
wait $RPID; rc=$?
is "$rc" 0 "retryd exits 0 on SIGTERM"
wait_for 10 grep -q "STOPPING=1" "$TMP/notes"
ok $? "STOPPING=1 on SIGTERM"
passes=$(sed -n 's/^passes //p' "$TMP/state/retryd.status")
is "$(grep -c ' pass: scanned=' "$TMP/log")" 1 "idle: $passes passes, one summary line"
done_testing

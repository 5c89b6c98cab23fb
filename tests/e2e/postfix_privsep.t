#!/bin/bash
# postfix_privsep.t — privilege separation (issue #9). retryd started as
# root forks its privileged helper and drops to [retryd] user: the process
# that holds the store (has the Berkeley DB region files open) and talks
# DNS (owns the UDP sockets of its verifications) is not uid 0, the store's
# files are the user's (dirs 0750, files 0640), the helper (uid 0) holds
# no store file, and mail actions still happen (adopt = postsuper -h by the
# helper). A user in group retryd lists the live store but may not
# release (exit 77); retryctl run as root leaves no root-owned file. The
# MTA listing and log are parsed by the daemon (the helper only runs
# postqueue -j and opens the log for it).
# SIGHUP reloads the policy (both sides). To keep a DNS socket
# open long enough to be seen, one independent resolver is a UDP
# "blackhole" that never answers (each verification waits its 1s timeout).
. "$(dirname "$0")/lib_e2e.sh"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
[ "$(id -u)" = 0 ] || skip_all "needs root (the daemon drops from root)"
getent passwd retryd >/dev/null || skip_all "no retryd user (tests/deps.sh)"
N=2
e2e_standard postfix_privsep yes
RUID=$(id -u retryd)
BH=$(dns_addr 99)
python3 -c "import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('$BH',53)); time.sleep(900)" &
lab_track $!
sed -i "s/^independent = .*/independent = $(dns_addr 56), $BH/" "$E2E_POLICY"
"$E2E_RETRYD" -c "$E2E_POLICY" -t >/dev/null || { echo "Bail out! policy"; exit 1; }

dns_zone_set msn.test "www IN A $(dns_addr 25)"
for i in $(seq 1 $N); do e2e_submit mta "p$i@msn.test" "privsep-$i"; done
e2e_wait_queue mta deferred $N 20

e2e_retryd_start
PID=$E2E_RETRYD_PID
e2e_wait_pass 1 60
uid_of() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }
is "$(uid_of "$PID")" "$RUID $RUID $RUID $RUID" "the daemon runs as retryd (real, effective, saved, fs uid)"
HELPER=$(cat "/proc/$PID/task/$PID/children" | awk '{ print $1 }')
ok "$([ -n "$HELPER" ] && echo 0 || echo 1)" "it has one child: the privileged helper"
is "$(uid_of "$HELPER")" "0 0 0 0" "... which is root"
is "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$PID/status")" 1 "the daemon has no_new_privs"
is "$(awk '/^Seccomp:/ { print $2 }' "/proc/$PID/status")" 2 "... and a seccomp filter (no exec)"
fds() { ls -l "/proc/$1/fd" 2>/dev/null; }
ok "$(fds "$PID" | grep -q "$E2E_STATE/__db\.001" && echo 0 || echo 1)" "the daemon holds the store (__db.001 open)"
ok "$(fds "$HELPER" | grep -q "$E2E_STATE/.*\(__db\|\.db\|log\.\)" && echo 1 || echo 0)" "the helper holds no store file"

# A UDP socket of the daemon, towards a resolver, owned by retryd.
udp_seen() {
	local ino
	for ino in $(fds "$PID" | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p'); do
		awk -v i="$ino" -v u="$RUID" '$8 == u && $10 == i { f = 1 } END { exit !f }' \
			/proc/net/udp && return 0
	done
	return 1
}
seen=1
for _ in $(seq 1 600); do udp_seen && { seen=0; break; }; sleep 0.05; done
ok $seen "the daemon's DNS queries go out on UDP sockets owned by retryd"
helper_udp=$(fds "$HELPER" | grep -c 'socket:' || true)
is "$helper_udp" 1 "the helper has one socket only: its end of the socketpair"
is "$(e2e_queue_count mta held)" $N "mail actions still happen: the helper held the $N messages"

# The listing and the log are parsed by the daemon, not by the helper:
# the helper only ran postqueue -j and opened the log for it.
if grep -q "as root (the daemon has no parsing instance)" "$E2E_DIR/retryd.log"; then
	ok 1 "the helper parsed nothing (no 'parsing ... as root')"
else
	ok 0 "the helper parsed nothing (no 'parsing ... as root')"
fi
is "$(stat -c %U "$E2E_STATE/positions.db" 2>&1)" retryd \
	"the log position is the daemon's (in the store: positions.db owned by retryd)"
ok "$([ ! -e "$E2E_STATE/postfix-log.offset" ]; echo $?)" "no position file of the plugin's"

# The store's files are the user's, not root's.
is "$(find "$E2E_STATE" -maxdepth 1 \( -name '__db.*' -o -name '*.db' -o -name 'log.*' \) \
	! -user retryd | wc -l)" 0 "every store file (__db.*, *.db, log.*) is owned by retryd"
is "$(stat -c %U:%G:%a "$E2E_STATE")" "retryd:retryd:750" "state_dir is retryd:retryd 0750"
is "$(find "$E2E_STATE" -maxdepth 1 -type f -name '*.db' -perm /027 | wc -l)" 0 \
	"store files are at most 0640"

# A monitoring user (in group retryd) reads the live store; writes refused.
chmod o+r "$E2E_POLICY"
G="setpriv --reuid=nobody --regid=nogroup --groups=retryd"
like "$($G "$E2E_RETRYCTL" -c "$E2E_POLICY" list 2>&1)" "msn.test" \
	"a member of group retryd lists the live store"
$G "$E2E_RETRYCTL" -c "$E2E_POLICY" release --all >/dev/null 2>&1
is "$?" 77 "... and may not release (exit 77)"
is "$(e2e_queue_count mta held)" $N "... nothing was released"

# Reload: both the daemon and the helper re-read the policy.
kill -HUP "$PID"
e2e_wait_log "reloaded $E2E_POLICY" 20
like "$(tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log")" "reloaded $E2E_POLICY" "SIGHUP reloads the policy"
like "$(e2e_ctl list 2>&1)" "msn.test" "retryctl (root) still reads the store"
is "$(find "$E2E_STATE" ! -user retryd | wc -l)" 0 \
	"retryctl run as root left no root-owned file in state_dir"
e2e_retryd_stop
is "$E2E_RETRYD_RC" 0 "retryd stops cleanly"
ok "$([ -e "/proc/$HELPER" ] && echo 1 || echo 0)" "the helper is gone with it"
ok "$(e2e_asan_clean && echo 0 || echo 1)" "no sanitizer report"
done_testing

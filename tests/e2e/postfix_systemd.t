#!/bin/bash
# postfix_systemd.t — retryd started by systemd with its installed,
# hardened unit takes over a stale-cache incident on a real Postfix (TAP).
#
# systemd 252 runs as PID 1 of private namespaces on this host
# (tests/e2e/lib_systemd.sh: the installed files over /usr, private
# /etc, /var, /run, /tmp, /dev, cgroups, a unit path of its own).
# The lab Postfix runs at the paths a real host has (/etc/postfix,
# /var/spool/postfix, /var/lib/postfix, /var/log/mail.log: bind mounts
# of the scenario's instance), so the unit's ProtectSystem=strict,
# ReadWritePaths and PrivateTmp apply to it unchanged.
#
# Checked: `systemctl start retryd` returns once READY=1 came (Type=notify)
# after ExecStartPre's `retryd -t`; the main process runs as the retryd
# user with no_new_privs, a seccomp filter and the unit's capability
# bounding set, in its own mount namespace where /etc and /usr are
# read-only, /var/lib/retryd and /var/spool/postfix writable, /tmp
# private and /dev without disks; in observe mode it would hold each
# deferred message and changes nothing; after mode = act and `systemctl
# reload` it holds them, runs the flush hook and every message reaches the sink (none
# bounced, none twice); retryctl status sees the pid systemd has; the
# watchdog is fed; `systemctl reload` and `systemctl stop` are clean
# (Result=success, status 0, no error in the journal). Under
# MemoryDenyWriteExecute=yes the classifier says once that it runs
# without PCRE2's JIT. The OnFailure= unit: retryd.service names
# retryd-release.service, which runs (retryctl release --all, sandboxed)
# when started by hand and when retryd fails for good (a drop-in with
# Restart=no, then SIGKILL): systemd starts it and it exits 0.
# E2E_SD_DEB=FILE.deb tests the package's files instead of make install.
# E2E_SD_HOLD=SECONDS pauses before the takeover checks, to look around
# with nsenter -t SD_PID -m -p (the pid is printed).
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_systemd.sh"

e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
[ -x "$RETRYD_BUILD/retryd" ] || skip_all "make all first"
sd_preconditions "$@"

N=3
e2e_init postfix_systemd ind
# 1-2. make install, as an operator would (or the files of a .deb:
#    E2E_SD_DEB=build/retryd_VERSION_ARCH.deb), the host paths private
sd_install

# 3. the incident on a Postfix at the usual paths
e2e_policy_write || { echo "Bail out! policy refused"; exit 1; }
e2e_postfix_start mta 54 yes || { echo "Bail out! Postfix did not start"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }
e2e_pf_use mta
postfix_lab_stop
# Debian's meta_directory is /etc/postfix: its files go with the config
for f in postfix-files postfix-files.d dynamicmaps.cf dynamicmaps.cf.d; do
	[ -e /etc/postfix/$f ] && cp -a /etc/postfix/$f "$PF_CONF/"
done
mkdir -p /var/spool/postfix /var/lib/postfix /etc/postfix /var/log
: >/var/log/mail.log
mount --bind "$PF_CONF" /etc/postfix && mount --bind "$PF_QUEUE" /var/spool/postfix &&
	mount --bind "$PF_DATA" /var/lib/postfix && mount --bind "$PF_LOG" /var/log/mail.log
ok $? "Postfix at /etc/postfix, /var/spool/postfix, /var/lib/postfix, /var/log/mail.log"
postfix_conf queue_directory=/var/spool/postfix data_directory=/var/lib/postfix \
	maillog_file=/var/log/mail.log maillog_file_prefixes=/var/log \
	smtp_delivery_status_filter=regexp:/etc/postfix/retryd_status_filter
postfix_lab_start || { echo "Bail out! Postfix did not restart at /var/spool/postfix"; exit 1; }

# the unbound control file the flush hook uses, where the unit sees it
install -d /etc/unbound
cp "$DNS_DIR/unbound-mta1/unbound.conf" /etc/unbound/retryd-lab-mta1.conf
# the installed policy, pointed at this lab
sed -e "s|^plugin_dir = .*|plugin_dir = /usr/lib/retryd|" \
	-e "s|^state_dir = .*|state_dir = /var/lib/retryd|" \
	-e "s|^config_dir = .*|config_dir = /etc/postfix|" \
	-e "s|^log_file = .*|log_file = /var/log/mail.log|" \
	-e "s|^flush_resolver = .*|flush_resolver = /usr/lib/retryd/flush-unbound -c /etc/unbound/retryd-lab-mta1.conf %r %d|" \
	-e "s|^scan_interval = 1s\$|scan_interval = 1s\nmode = observe|" \
	"$E2E_POLICY" >/etc/retryd/retryd.ini
/usr/sbin/retryd -c /etc/retryd/retryd.ini -t >/dev/null
ok $? "the lab policy in /etc/retryd/retryd.ini passes retryd -t"

e2e_poison hotmail.test 54
for i in $(seq 1 $N); do e2e_submit mta "user$i@hotmail.test" "sd-$i"; done
e2e_wait_queue mta deferred $N 20
is "$(e2e_queue_count mta deferred)" $N "$N messages deferred by the filter (stale NODATA at the MTA's resolver)"

# 4. systemd as PID 1
sd_boot

# 5. systemctl start
sd systemctl start retryd >"$SD/start.out" 2>&1
ok $? "systemctl start retryd (returns after READY=1)" || diag "$(cat "$SD/start.out")"
is "$(sd systemctl is-active retryd)" active "retryd.service is active"
sd_unit_checks /var/spool/postfix
MAIN=$SD_MAIN
show() { sd_show "$1"; }

[ -n "${E2E_SD_HOLD:-}" ] && { echo "# hold: SD_PID=$SD_PID" >&2; sleep "$E2E_SD_HOLD"; }
# 6. observe first: it sees the incident and changes nothing
jr() { sd_journal; }
e2e_wait_count 30 $N sh -c "nsenter -t $SD_PID -m -p -- journalctl -u retryd -o cat | grep -c 'observe: would hold '"
is "$(jr | grep 'observe: would hold ' | awk '{print $NF}' | sort -u | wc -l)" $N "observe: would hold each of the $N messages"
is "$(e2e_queue_count mta held)" 0 "observe: nothing held in Postfix"
is "$(e2e_sink_count '@hotmail\.test')" 0 "observe: nothing delivered"
like "$(sd /usr/sbin/retryctl status)" "running, pid $MAIN, mode observe" "observe: retryctl status says so"
# then act, by editing the policy and `systemctl reload`
sed -i 's/^mode = observe$/mode = act/' /etc/retryd/retryd.ini
sd systemctl reload retryd
ok $? "mode = act + systemctl reload retryd"
e2e_wait_count 20 1 sh -c "nsenter -t $SD_PID -m -p -- journalctl -u retryd -o cat | grep -c 'mode: act (was observe)'"
ok $? "journal: mode: act (was observe)"
# 7. act: it takes the incident over
e2e_wait_sink $N 60 '@hotmail\.test'
is "$(e2e_sink_count '@hotmail\.test')" $N "every message delivered to the sink: $N"
is "$(e2e_sink_dups)" 0 "no Message-ID delivered twice"
is "$(e2e_log_count mta bounced '@hotmail\.test')" 0 "none bounced"
wait_for 20 sh -c "[ \$(postqueue -c /etc/postfix -j | wc -l) = 0 ]"
is "$(e2e_queue_count mta all)" 0 "the queue is empty"
sd journalctl -u retryd --no-pager -o cat >"$SD/journal.1" 2>&1
ok "$(grep -q 'held' "$SD/journal.1"; echo $?)" "journal: messages held"
ok "$(grep -q 'flush_resolver hook for hotmail.test.*done' "$SD/journal.1"; echo $?)" "journal: the flush hook ran"
is "$(dns_ask 54 hotmail.test MX)" "10 mx1.hotmail.test." "the MTA's resolver has the MX again"
st=$(sd /usr/sbin/retryctl status); rc=$?
is "$rc" 0 "retryctl status: exit 0"
like "$st" "running, pid $MAIN" "retryctl status: the pid systemd has"
wait_for 10 sh -c "[ -n \"\$(nsenter -t $SD_PID -m -p -- systemctl show retryd -p WatchdogTimestampMonotonic --value | grep -v '^0\$')\" ]"
ok $? "watchdog: systemd got WATCHDOG=1"

# 8. reload again, and stop
passes() { sed -n 's/^passes //p' /var/lib/retryd/retryd.status; }
sd systemctl reload retryd
ok $? "systemctl reload retryd"
e2e_wait_count 20 1 sh -c "nsenter -t $SD_PID -m -p -- journalctl -u retryd -o cat | grep -c 'reloaded /etc/retryd/retryd.ini'"
p0=$(passes)
wait_for 20 sh -c "[ \$(sed -n 's/^passes //p' /var/lib/retryd/retryd.status) -ge \$(( $p0 + 2 )) ]"
ok $? "passes go on after the reload (the status file is rewritten)"
is "$(sed -n 's/^result //p' /var/lib/retryd/retryd.status)" ok "last pass after the reload: ok"
is "$(stat -c %U /var/lib/retryd /var/lib/retryd/messages.db | sort -u)" retryd \
	"state directory still owned by retryd after the reload"
is "$(sd systemctl is-active retryd)" active "still active after the reload"
is "$(show MainPID)" "$MAIN" "same main process after the reload"
sd systemctl stop retryd
ok $? "systemctl stop retryd"
is "$(sd systemctl is-active retryd)" inactive "inactive after stop"
is "$(show Result)" success "Result=success"
is "$(show ExecMainStatus)" 0 "main process exited 0"
sd journalctl -u retryd --no-pager -o cat >"$SD/journal.2" 2>&1
ok "$(grep -Eq 'SIGKILL|Killing|core-dump|status=[1-9]|^(error|warning|fatal|panic):|RUNRECOVERY' "$SD/journal.2"; [ $? != 0 ]; echo $?)" \
	"no error, warning, kill or failure in the journal"
# MemoryDenyWriteExecute=yes: no executable memory, so PCRE2's JIT is
# refused; the classifier falls back to the interpreter, said once
is "$(grep -c 'rules run without PCRE2 JIT' "$SD/journal.2")" 1 \
	"MemoryDenyWriteExecute: the classifier runs without JIT, logged once (start + reload)"
st=$(sd /usr/sbin/retryctl status); rc=$?
is "$rc" 2 "retryctl status: exit 2 after stop"
# 9. the OnFailure= unit: named by retryd.service, and it runs (sandboxed,
#    as systemd would start it once retryd has failed for good)
is "$(show OnFailure)" retryd-release.service "OnFailure=retryd-release.service"
sd systemctl start retryd-release >"$SD/release.out" 2>&1
ok $? "systemctl start retryd-release (retryctl release --all)" || diag "$(cat "$SD/release.out")"
is "$(sd systemctl show retryd-release -p Result --value)" success "retryd-release: Result=success"
is "$(e2e_queue_count mta held)" 0 "nothing held after retryd-release"
#    and systemd starts it when retryd fails for good (here: Restart=no
#    in a drop-in, then SIGKILL)
mkdir -p "$SD/units/retryd.service.d"
printf '[Service]\nRestart=no\n' >"$SD/units/retryd.service.d/no-restart.conf"
sd systemctl daemon-reload
sd systemctl start retryd >>"$SD/start.out" 2>&1
ok $? "systemctl start retryd (again, Restart=no)"
r0=$(sd systemctl show retryd-release -p ExecMainExitTimestampMonotonic --value)
sd systemctl kill -s SIGKILL retryd
wait_for 20 sh -c "[ \"\$(nsenter -t $SD_PID -m -p -- systemctl is-failed retryd)\" = failed ]"
ok $? "retryd.service failed (SIGKILL, no restart)"
wait_for 20 sh -c "[ \"\$(nsenter -t $SD_PID -m -p -- systemctl show retryd-release -p ExecMainExitTimestampMonotonic --value)\" != '$r0' ]"
ok $? "OnFailure= started retryd-release.service, and it finished" || diag "$(sd systemctl status retryd-release retryd --no-pager 2>&1 | tail -n 20)"
is "$(sd systemctl show retryd-release -p ExecMainStatus --value)" 0 "retryd-release after the failure: exit 0"
is "$(sd systemctl show retryd-release -p Result --value)" success "retryd-release after the failure: Result=success"
[ "$LAB_FAILED" = 0 ] || { diag "journal:"; sed 's/^/#   /' "$SD/journal.2" >&2; }
done_testing

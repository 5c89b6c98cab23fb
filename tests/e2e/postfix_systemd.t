#!/bin/bash
# postfix_systemd.t — retryd started by systemd with its installed,
# hardened unit takes over a stale-cache incident on a real Postfix (TAP).
#
# This machine has no systemd as PID 1, so the test boots one: systemd
# 252 (Debian's /lib/systemd/systemd) runs as PID 1 of a new PID, mount and
# cgroup namespace (unshare), on the host's own file system with:
#   - /usr: an overlay of `make install PREFIX=/usr DESTDIR=...` over the
#     host's /usr, read-only (the installed retryd, retryctl, plugins,
#     flush-unbound; the unit file is used as installed, from DESTDIR);
#   - /etc and /var: writable overlays whose upper layers live in the
#     scenario's directory (the host's /etc and /var are never written);
#   - /run, /tmp, /sys/fs/cgroup: private (its own cgroup2 + name=systemd
#     hierarchies below a cgroup of this scenario);
#   - a unit search path (SYSTEMD_UNIT_PATH) holding only empty
#     sysinit/basic/network targets, journald and the installed
#     retryd.service: nothing of the host (tmpfiles, sysctl, remount-fs,
#     networking, postfix.service...) can be pulled in.
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

[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, mounts)"
SYSTEMD=/lib/systemd/systemd
[ -x "$SYSTEMD" ] || skip_all "systemd not installed"
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip_all "util-linux unshare/nsenter missing"
e2e_ready || skip_all "retryd, retryctl or postfix.so not built (make all asan)"
[ -x "$RETRYD_BUILD/retryd" ] || skip_all "make all first"
# systemd refuses to be PID 1 in a chroot (it compares / with /proc/1/root)
PID1_ROOT=$(stat -L -c %d:%i /proc/1/root 2>/dev/null)
[ -z "$PID1_ROOT" ] || [ "$(stat -c %d:%i /)" = "$PID1_ROOT" ] ||
	skip_all "running in a chroot: systemd will not run as PID 1 here"
grep -q 'name=systemd' /proc/self/cgroup || [ -f /sys/fs/cgroup/cgroup.controllers ] ||
	skip_all "no cgroup hierarchy systemd could use"

# Everything below runs in a private mount namespace of its own.
if [ -z "${E2E_SD_NS:-}" ]; then
	exec env E2E_SD_NS=1 unshare --mount --propagation private "$BASH" "$0" "$@"
fi

N=3
e2e_init postfix_systemd ind
SD=$E2E_DIR/sd
ROOT=$E2E_DIR/root
mkdir -p "$SD/units" "$ROOT"

# 1. make install, as an operator would (or the files of a .deb:
#    E2E_SD_DEB=build/retryd_VERSION_ARCH.deb)
if [ -n "${E2E_SD_DEB:-}" ]; then
	dpkg-deb -x "$E2E_SD_DEB" "$ROOT" >"$SD/install.out" 2>&1
	ok $? "dpkg-deb -x $E2E_SD_DEB (the package's files)" || { cat "$SD/install.out" >&2; exit 1; }
else
	make -s -C "$LAB_ROOT" install PREFIX=/usr DESTDIR="$ROOT" >"$SD/install.out" 2>&1
	ok $? "make install PREFIX=/usr DESTDIR=..." || { cat "$SD/install.out" >&2; exit 1; }
fi
UNITDIR=$ROOT/lib/systemd/system
[ -f "$UNITDIR/retryd.service" ]; ok $? "installed unit: $UNITDIR/retryd.service"

# 2. the host paths, private to this namespace
ov() { # ov DIR [rw]: overlay DIR (upper layer under $SD/ov)
	local d=$1 name=${1//\//_}
	if [ "${2:-}" = rw ]; then
		mkdir -p "$SD/ov/$name.up" "$SD/ov/$name.work"
		mount -t overlay "retryd-lab$name" \
			-o "lowerdir=$d,upperdir=$SD/ov/$name.up,workdir=$SD/ov/$name.work" "$d"
	else
		mount -t overlay "retryd-lab$name" -o "lowerdir=$ROOT$d:$d" "$d"
	fi
}
ov /usr && ov /etc rw && ov /var rw
ok $? "overlays: /usr (installed files, read-only), /etc and /var (writable, private)" || exit 1
[ -x /usr/sbin/retryd ] && /usr/sbin/retryd --version >/dev/null
ok $? "/usr/sbin/retryd is the installed one"
rm -rf /etc/retryd && cp -a "$ROOT/etc/retryd" /etc/retryd

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
for u in sysinit.target basic.target network-online.target network.target shutdown.target; do
	printf '[Unit]\nDescription=%s (retryd lab, empty)\n' "$u" >"$SD/units/$u"
done
printf '[Unit]\nDescription=retryd lab\nWants=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service\n' \
	>"$SD/units/retryd-lab.target"
cp /lib/systemd/system/systemd-journald.service /lib/systemd/system/systemd-journald-audit.socket \
	/lib/systemd/system/systemd-journald.socket /lib/systemd/system/systemd-journald-dev-log.socket \
	"$SD/units/" 2>/dev/null
CG=retryd-lab-$LAB_NET.$$
# the cgroup hierarchies this scenario gets a cgroup of its own in: a
# unified (cgroup2-only) host, or the hybrid layout (this lab's machine)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	CG_HIER=.
	CG_MOUNT='mount -t cgroup2 retryd-lab-cg2 /sys/fs/cgroup'
else
	CG_HIER="systemd unified"
	CG_MOUNT='mount -t tmpfs -o mode=0755 retryd-lab-cg /sys/fs/cgroup
mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/systemd
mount -t cgroup2 retryd-lab-cg2 /sys/fs/cgroup/unified
mount -t cgroup -o none,name=systemd retryd-lab-cg1 /sys/fs/cgroup/systemd'
fi
for h in $CG_HIER; do
	[ -d /sys/fs/cgroup/$h ] && mkdir -p /sys/fs/cgroup/$h/$CG
done
cat >"$SD/boot.sh" <<EOF
#!/bin/bash
# runs as PID 1's parent-to-be inside the new namespaces
set -e
mount -t tmpfs -o mode=0755 retryd-lab-run /run
mkdir -p /run/retryd-lab
mount --bind "$E2E_DIR" /run/retryd-lab
mount -t tmpfs -o mode=1777 retryd-lab-tmp /tmp
mkdir -p "$E2E_DIR"
mount --bind /run/retryd-lab "$E2E_DIR"
umount /run/retryd-lab
# a /dev of its own (journald's /dev/log symlink must not reach the host)
mkdir /run/hostdev
mount --bind /dev /run/hostdev
mount -t tmpfs -o mode=0755,nosuid retryd-lab-dev /dev
for n in null zero full random urandom tty; do
	touch /dev/\$n
	mount --bind /run/hostdev/\$n /dev/\$n
done
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 retryd-lab-pts /dev/pts
mount -t tmpfs -o mode=1777 retryd-lab-shm /dev/shm
ln -s pts/ptmx /dev/ptmx
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
touch /dev/retryd-lab-marker
umount -l /run/hostdev
rmdir /run/hostdev
$CG_MOUNT
export container=retryd-lab SYSTEMD_UNIT_PATH="$SD/units:$UNITDIR"
exec $SYSTEMD --system --unit=retryd-lab.target --log-level=info --log-target=console
EOF
chmod 755 "$SD/boot.sh"
(
	for h in $CG_HIER; do
		[ -d /sys/fs/cgroup/$h/$CG ] && echo $BASHPID >/sys/fs/cgroup/$h/$CG/cgroup.procs
	done
	exec unshare --pid --mount --cgroup --uts --fork --mount-proc "$SD/boot.sh"
) >"$SD/systemd.out" 2>&1 </dev/null &
UNSHARE_PID=$!
sd_stop() {
	[ -n "${SD_PID:-}" ] && kill -KILL "$SD_PID" 2>/dev/null
	kill -KILL "$UNSHARE_PID" 2>/dev/null
	wait "$UNSHARE_PID" 2>/dev/null
	for h in $CG_HIER; do
		[ -d /sys/fs/cgroup/$h/$CG ] &&
			find /sys/fs/cgroup/$h/$CG -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}
lab_on_exit sd_stop
SD_PID=
wait_for 10 sh -c "ps -o pid= --ppid $UNSHARE_PID | grep -q ." && SD_PID=$(ps -o pid= --ppid $UNSHARE_PID | tr -d ' ')
sd() { nsenter -t "$SD_PID" -m -p -- "$@"; }
state=
for _ in $(seq 1 100); do
	state=$(sd systemctl is-system-running 2>/dev/null)
	case $state in running | degraded) break ;; esac
	sleep 0.1
done
like "$state" "^(running|degraded)$" "systemd runs as PID 1 of the namespace ($state)"
case $state in running | degraded) ;; *)
	diag "$(tail -20 "$SD/systemd.out")"
	echo "Bail out! systemd did not come up as PID 1 of the namespace"
	exit 1
	;;
esac
is "$(sd cat /proc/1/comm)" systemd "PID 1 there is systemd"

# 5. systemctl start
sd systemctl start retryd >"$SD/start.out" 2>&1
ok $? "systemctl start retryd (returns after READY=1)" || diag "$(cat "$SD/start.out")"
is "$(sd systemctl is-active retryd)" active "retryd.service is active"
show() { sd systemctl show retryd -p "$1" --value; }
MAIN=$(show MainPID)
ok "$([ "${MAIN:-0}" -gt 1 ]; echo $?)" "MainPID $MAIN"
is "$(show Type)" notify "Type=notify"
st=$(sd cat /proc/"$MAIN"/status)
is "$(echo "$st" | awk '/^Uid:/ {print $2}')" "$(id -u retryd)" "main process runs as the retryd user"
is "$(echo "$st" | awk '/^NoNewPrivs:/ {print $2}')" 1 "main process: no_new_privs"
is "$(echo "$st" | awk '/^Seccomp:/ {print $2}')" 2 "main process: seccomp filter"
# CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER KILL SETGID SETUID = bits 0-3,5-7
is "$(echo "$st" | awk '/^CapBnd:/ {print $2}')" 00000000000000ef "capability bounding set of the unit"
ok "$([ "$(sd readlink /proc/"$MAIN"/ns/mnt)" != "$(sd readlink /proc/1/ns/mnt)" ]; echo $?)" \
	"main process in a mount namespace of its own"
in_unit() { sd nsenter -t "$MAIN" -m -- "$@"; }
in_unit touch /etc/retryd/x 2>/dev/null
ok "$([ $? != 0 ]; echo $?)" "ProtectSystem=strict: /etc is read-only for the service"
in_unit touch /usr/lib/retryd/x 2>/dev/null
ok "$([ $? != 0 ]; echo $?)" "ProtectSystem=strict: /usr is read-only for the service"
in_unit sh -c 'touch /var/lib/retryd/.w && rm /var/lib/retryd/.w && touch /var/spool/postfix/.w && rm /var/spool/postfix/.w'
ok $? "ReadWritePaths: /var/lib/retryd and /var/spool/postfix writable"
in_unit test -e "$E2E_DIR"
ok "$([ $? != 0 ]; echo $?)" "PrivateTmp: the lab's /tmp directory is not visible"
sd test -e /dev/retryd-lab-marker && ! in_unit test -e /dev/retryd-lab-marker &&
	in_unit test -c /dev/null
ok $? "PrivateDevices: a /dev of its own (null, no other node of systemd's /dev)"

[ -n "${E2E_SD_HOLD:-}" ] && { echo "# hold: SD_PID=$SD_PID" >&2; sleep "$E2E_SD_HOLD"; }
# 6. observe first: it sees the incident and changes nothing
jr() { nsenter -t "$SD_PID" -m -p -- journalctl -u retryd -o cat 2>/dev/null; }
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

# lib_systemd.sh — a real systemd 252 as PID 1 of private namespaces,
# starting retryd with its installed unit (sourced, never run).
#
# Sourced by tests/e2e/postfix_systemd.t and exim_systemd.t after
# lib_e2e.sh (or lib_exim_e2e.sh). This machine has no systemd as PID 1,
# so the scenario boots one: Debian's /lib/systemd/systemd runs as PID 1
# of a new PID, mount and cgroup namespace (unshare), on the host's own
# file system with:
#   - /usr: an overlay of `make install PREFIX=/usr DESTDIR=...` (or the
#     .deb's files) over the host's /usr, read-only;
#   - /etc and /var: writable overlays whose upper layers live in the
#     scenario's directory (the host's /etc and /var are never written);
#   - /run, /tmp, /dev, /sys/fs/cgroup: private (its own cgroup2 +
#     name=systemd hierarchies below a cgroup of this scenario);
#   - a unit search path (SYSTEMD_UNIT_PATH) holding only empty
#     sysinit/basic/network targets, journald and the installed units:
#     nothing of the host (tmpfiles, sysctl, networking, postfix.service,
#     exim4.service...) can be pulled in.
#
# Functions:
#   sd_preconditions          skip_all unless root, systemd, unshare, no chroot,
#                             a cgroup hierarchy; then re-exec the scenario in a
#                             private mount namespace of its own (call first)
#   sd_install [LOWER...]     install retryd under $ROOT (E2E_SD_DEB=FILE.deb:
#                             the package's files), overlay /usr ($ROOT/usr,
#                             then each LOWER dir, then the host's), /etc, /var;
#                             the installed /etc/retryd
#   sd_boot                   systemd as PID 1 ($SD_PID), journald, the units
#                             of $UNITDIR; bails out when it does not come up
#   sd CMD...                 CMD inside systemd's namespaces
#   sd_show PROP              systemctl show retryd -p PROP --value
#   sd_journal                journalctl -u retryd -o cat
#   sd_unit_checks RW-PATH    the sandbox of the running main process
#                             ($SD_MAIN): user, no_new_privs, seccomp,
#                             capabilities, read-only /etc and /usr,
#                             /var/lib/retryd and RW-PATH writable, private
#                             /tmp and /dev
#
# Variables: $SD (the scenario's systemd dir), $ROOT (the DESTDIR), $UNITDIR.

SYSTEMD=/lib/systemd/systemd

sd_preconditions() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, mounts)"
	[ -x "$SYSTEMD" ] || skip_all "systemd not installed"
	command -v unshare >/dev/null && command -v nsenter >/dev/null ||
		skip_all "util-linux unshare/nsenter missing"
	# systemd refuses to be PID 1 in a chroot (it compares / with /proc/1/root)
	local pid1_root
	pid1_root=$(stat -L -c %d:%i /proc/1/root 2>/dev/null)
	[ -z "$pid1_root" ] || [ "$(stat -c %d:%i /)" = "$pid1_root" ] ||
		skip_all "running in a chroot: systemd will not run as PID 1 here"
	grep -q 'name=systemd' /proc/self/cgroup || [ -f /sys/fs/cgroup/cgroup.controllers ] ||
		skip_all "no cgroup hierarchy systemd could use"
	# everything after this runs in a private mount namespace of its own
	if [ -z "${E2E_SD_NS:-}" ]; then
		exec env E2E_SD_NS=1 unshare --mount --propagation private "$BASH" "$0" "$@"
	fi
}

# sd_ov DIR [rw|LOWER...]: overlay DIR: rw = writable, upper layer under
# $SD/ov; otherwise read-only, $ROOT/DIR over each LOWER over DIR.
sd_ov() {
	local d=$1 name=${1//\//_} lower
	shift
	if [ "${1:-}" = rw ]; then
		mkdir -p "$SD/ov/$name.up" "$SD/ov/$name.work"
		mount -t overlay "retryd-lab$name" \
			-o "lowerdir=$d,upperdir=$SD/ov/$name.up,workdir=$SD/ov/$name.work" "$d"
	else
		lower=$ROOT$d
		for l in "$@"; do lower=$lower:$l; done
		mount -t overlay "retryd-lab$name" -o "lowerdir=$lower:$d" "$d"
	fi
}

sd_install() {
	SD=$E2E_DIR/sd
	ROOT=$E2E_DIR/root
	mkdir -p "$SD/units" "$ROOT"
	if [ -n "${E2E_SD_DEB:-}" ]; then
		dpkg-deb -x "$E2E_SD_DEB" "$ROOT" >"$SD/install.out" 2>&1
		ok $? "dpkg-deb -x $E2E_SD_DEB (the package's files)" || { cat "$SD/install.out" >&2; exit 1; }
	else
		make -s -C "$LAB_ROOT" install PREFIX=/usr DESTDIR="$ROOT" >"$SD/install.out" 2>&1
		ok $? "make install PREFIX=/usr DESTDIR=..." || { cat "$SD/install.out" >&2; exit 1; }
	fi
	UNITDIR=$ROOT/lib/systemd/system
	[ -f "$UNITDIR/retryd.service" ]
	ok $? "installed unit: $UNITDIR/retryd.service"
	sd_ov /usr "$@" && sd_ov /etc rw && sd_ov /var rw
	ok $? "overlays: /usr (installed files, read-only), /etc and /var (writable, private)" || exit 1
	[ -x /usr/sbin/retryd ] && /usr/sbin/retryd --version >/dev/null
	ok $? "/usr/sbin/retryd is the installed one"
	rm -rf /etc/retryd && cp -a "$ROOT/etc/retryd" /etc/retryd
}

# sd_boot_script: the script that becomes PID 1 (mounts, then exec systemd)
sd_boot_script() {
	cat <<EOF
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
$SD_CG_MOUNT
export container=retryd-lab SYSTEMD_UNIT_PATH="$SD/units:$UNITDIR"
exec $SYSTEMD --system --unit=retryd-lab.target --log-level=info --log-target=console
EOF
}

sd_boot() {
	local u h state
	for u in sysinit.target basic.target network-online.target network.target shutdown.target; do
		printf '[Unit]\nDescription=%s (retryd lab, empty)\n' "$u" >"$SD/units/$u"
	done
	printf '[Unit]\nDescription=retryd lab\nWants=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service\n' \
		>"$SD/units/retryd-lab.target"
	cp /lib/systemd/system/systemd-journald.service /lib/systemd/system/systemd-journald-audit.socket \
		/lib/systemd/system/systemd-journald.socket /lib/systemd/system/systemd-journald-dev-log.socket \
		"$SD/units/" 2>/dev/null
	SD_CG=retryd-lab-$LAB_NET.$$
	# the cgroup hierarchies this scenario gets a cgroup of its own in: a
	# unified (cgroup2-only) host, or the hybrid layout (this lab's machine)
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		SD_CG_HIER=.
		SD_CG_MOUNT='mount -t cgroup2 retryd-lab-cg2 /sys/fs/cgroup'
	else
		SD_CG_HIER="systemd unified"
		SD_CG_MOUNT='mount -t tmpfs -o mode=0755 retryd-lab-cg /sys/fs/cgroup
mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/systemd
mount -t cgroup2 retryd-lab-cg2 /sys/fs/cgroup/unified
mount -t cgroup -o none,name=systemd retryd-lab-cg1 /sys/fs/cgroup/systemd'
	fi
	for h in $SD_CG_HIER; do
		[ -d /sys/fs/cgroup/$h ] && mkdir -p /sys/fs/cgroup/$h/$SD_CG
	done
	sd_boot_script >"$SD/boot.sh"
	chmod 755 "$SD/boot.sh"
	(
		for h in $SD_CG_HIER; do
			[ -d /sys/fs/cgroup/$h/$SD_CG ] && echo $BASHPID >/sys/fs/cgroup/$h/$SD_CG/cgroup.procs
		done
		exec unshare --pid --mount --cgroup --uts --fork --mount-proc "$SD/boot.sh"
	) >"$SD/systemd.out" 2>&1 </dev/null &
	SD_UNSHARE_PID=$!
	lab_on_exit sd_stop
	SD_PID=
	wait_for 10 sh -c "ps -o pid= --ppid $SD_UNSHARE_PID | grep -q ." &&
		SD_PID=$(ps -o pid= --ppid $SD_UNSHARE_PID | tr -d ' ')
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
}

sd_stop() {
	local h
	[ -n "${SD_PID:-}" ] && kill -KILL "$SD_PID" 2>/dev/null
	kill -KILL "$SD_UNSHARE_PID" 2>/dev/null
	wait "$SD_UNSHARE_PID" 2>/dev/null
	for h in $SD_CG_HIER; do
		[ -d /sys/fs/cgroup/$h/$SD_CG ] &&
			find /sys/fs/cgroup/$h/$SD_CG -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}

sd() { nsenter -t "$SD_PID" -m -p -- "$@"; }
sd_show() { sd systemctl show retryd -p "$1" --value; }
sd_journal() { nsenter -t "$SD_PID" -m -p -- journalctl -u retryd -o cat 2>/dev/null; }

# sd_unit_checks RW-PATH: the sandbox of retryd's running main process
sd_unit_checks() {
	local rw=$1 st
	SD_MAIN=$(sd_show MainPID)
	ok "$([ "${SD_MAIN:-0}" -gt 1 ]; echo $?)" "MainPID $SD_MAIN"
	is "$(sd_show Type)" notify "Type=notify"
	st=$(sd cat /proc/"$SD_MAIN"/status)
	is "$(echo "$st" | awk '/^Uid:/ {print $2}')" "$(id -u retryd)" "main process runs as the retryd user"
	is "$(echo "$st" | awk '/^NoNewPrivs:/ {print $2}')" 1 "main process: no_new_privs"
	is "$(echo "$st" | awk '/^Seccomp:/ {print $2}')" 2 "main process: seccomp filter"
	# CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER KILL SETGID SETUID = bits 0-3,5-7
	is "$(echo "$st" | awk '/^CapBnd:/ {print $2}')" 00000000000000ef "capability bounding set of the unit"
	ok "$([ "$(sd readlink /proc/"$SD_MAIN"/ns/mnt)" != "$(sd readlink /proc/1/ns/mnt)" ]; echo $?)" \
		"main process in a mount namespace of its own"
	sd nsenter -t "$SD_MAIN" -m -- touch /etc/retryd/x 2>/dev/null
	ok "$([ $? != 0 ]; echo $?)" "ProtectSystem=strict: /etc is read-only for the service"
	sd nsenter -t "$SD_MAIN" -m -- touch /usr/lib/retryd/x 2>/dev/null
	ok "$([ $? != 0 ]; echo $?)" "ProtectSystem=strict: /usr is read-only for the service"
	sd nsenter -t "$SD_MAIN" -m -- sh -c "touch /var/lib/retryd/.w && rm /var/lib/retryd/.w && touch $rw/.w && rm $rw/.w"
	ok $? "ReadWritePaths: /var/lib/retryd and $rw writable"
	sd nsenter -t "$SD_MAIN" -m -- test -e "$E2E_DIR"
	ok "$([ $? != 0 ]; echo $?)" "PrivateTmp: the lab's /tmp directory is not visible"
	sd test -e /dev/retryd-lab-marker && ! sd nsenter -t "$SD_MAIN" -m -- test -e /dev/retryd-lab-marker &&
		sd nsenter -t "$SD_MAIN" -m -- test -c /dev/null
	ok $? "PrivateDevices: a /dev of its own (null, no other node of systemd's /dev)"
}

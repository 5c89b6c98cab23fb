#!/bin/bash
# exim_systemd.t — retryd started by systemd with its installed, hardened
# unit takes over a stale-cache incident on a real Exim 4.96 (TAP): the
# Exim twin of postfix_systemd.t.
#
# systemd 252 runs as PID 1 of private namespaces on this host
# (tests/e2e/lib_systemd.sh). Exim is where Debian's exim4-daemon-light
# puts it: /usr/sbin/exim4 (set-uid root; the lab's unpacked copy,
# tests/lab/exim-install.sh, as a layer of the private /usr), its
# configuration /etc/exim4/exim4.conf (the binary's own default: the
# policy names no [exim] config, so no -C and Exim keeps root), spool
# /var/spool/exim4 and log /var/log/exim4/mainlog (bind mounts of the
# scenario's instance), /etc/resolv.conf naming the lab's MTA resolver
# (the private /etc). So ProtectSystem=strict with the unit's
# ReadWritePaths (/var/spool/exim4, /var/log/exim4), the seccomp filter,
# the capability bounding set and the no_new_privs the sandbox implies
# apply to exim -bp/-Mf/-M exactly as on a host.
#
# Checked: the sandbox of the main process (as in postfix_systemd.t,
# /var/spool/exim4 writable); the privileged helper runs as root without
# no_new_privs (the unit sets no NoNewPrivileges=, and its seccomp and
# Protect* settings were seen not to imply it; retryd sets it for the
# dropped daemon only): Exim's set-uid re-exec is not blocked; observe:
# would freeze each deferred message, nothing frozen, nothing delivered; mode = act + systemctl
# reload: frozen by root, the flush hook, exim -M delivers every message
# to the sink (none bounced, none twice), the queue is empty, Exim's
# panic log is empty; systemctl stop is clean, no error in the journal.
. "$(dirname "$0")/lib_exim_e2e.sh"
. "$(dirname "$0")/lib_systemd.sh"

e2e_exim_ready || skip_all "retryd, retryctl, exim.so or the lab Exim missing (make all asan; tests/lab/exim-install.sh)"
[ -x "$RETRYD_BUILD/retryd" ] || skip_all "make all first"
sd_preconditions "$@"

N=3
e2e_init exim_systemd ind
EXIM_USR=$(dirname "$(dirname "$EXIM_BIN")")
# 1-2. make install (or E2E_SD_DEB), the lab Exim's /usr under it
sd_install "$EXIM_USR"
[ -u /usr/sbin/exim4 ] && [ "$(stat -c %u /usr/sbin/exim4)" = 0 ]
ok $? "/usr/sbin/exim4: Debian's Exim, set-uid root"

# 3. Exim at the usual paths, with the lab's resolver
e2e_exim_policy_write || { echo "Bail out! policy refused"; exit 1; }
e2e_exim_start mta 54 yes || { echo "Bail out! Exim config refused"; exit 1; }
e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }
e2e_exim_use mta
rm -f /etc/resolv.conf
cp "$EXIM_RESOLV" /etc/resolv.conf
mkdir -p /etc/exim4 /var/spool/exim4 /var/log/exim4
cp "$EXIM_DIR/retryd-domains" /etc/exim4/retryd-domains
sed -e "s|^exim_path = .*|exim_path = /usr/sbin/exim4|" \
	-e "s|^spool_directory = .*|spool_directory = /var/spool/exim4|" \
	-e "s|^log_file_path = .*|log_file_path = /var/log/exim4/%slog|" \
	-e "s|^domainlist retryd_watched = .*|domainlist retryd_watched = /etc/exim4/retryd-domains|" \
	"$EXIM_CONF" >/etc/exim4/exim4.conf
chmod 644 /etc/exim4/exim4.conf
mount --bind "$EXIM_SPOOL" /var/spool/exim4 && mount --bind "$EXIM_DIR/log" /var/log/exim4
ok $? "Exim at /etc/exim4/exim4.conf, /var/spool/exim4, /var/log/exim4"
# from here on every exim command of the test is the one at /usr/sbin,
# with its default configuration (the mount namespace's resolv.conf)
EXIM_BIN=/usr/sbin/exim4
exim_cmd() { "$EXIM_BIN" "$@"; }
is "$(exim_cmd -bP configure_file 2>&1)" /etc/exim4/exim4.conf \
	"exim4 -bP configure_file: its default file, no -C"

# the unbound control file the flush hook uses, where the unit sees it
install -d /etc/unbound
cp "$DNS_DIR/unbound-mta1/unbound.conf" /etc/unbound/retryd-lab-mta1.conf
sed -e "s|^plugin_dir = .*|plugin_dir = /usr/lib/retryd|" \
	-e "s|^state_dir = .*|state_dir = /var/lib/retryd|" \
	-e "s|^binary = .*|binary = /usr/sbin/exim4|" \
	-e "/^config = /d" \
	-e "s|^log_file = .*|log_file = /var/log/exim4/mainlog|" \
	-e "s|^include = .*|include = classifier.ini|" \
	-e "s|^flush_resolver = .*|flush_resolver = /usr/lib/retryd/flush-unbound -c /etc/unbound/retryd-lab-mta1.conf %r %d|" \
	-e "s|^scan_interval = 1s\$|scan_interval = 1s\nmode = observe|" \
	"$E2E_POLICY" >/etc/retryd/retryd.ini
/usr/sbin/retryd -c /etc/retryd/retryd.ini -t >/dev/null
ok $? "the lab policy in /etc/retryd/retryd.ini (mta = exim, no [exim] config) passes retryd -t"

e2e_poison hotmail.test 54
for i in $(seq 1 $N); do e2e_exim_submit mta "user$i@hotmail.test" "sd-$i" >/dev/null; done
ids=$(e2e_exim_msgid_ids mta 'sd-[0-9]+')
is "$(echo "$ids" | grep -c .)" $N "$N messages received"
is "$(grep -c ' == user[0-9]*@hotmail\.test R=dnslookup defer (-1): missing MX' /var/log/exim4/mainlog)" $N \
	"each deferred by fail_defer_domains (stale NODATA at the MTA's resolver)"

# 4-5. systemd as PID 1, systemctl start
sd_boot
sd systemctl start retryd >"$SD/start.out" 2>&1
ok $? "systemctl start retryd (returns after READY=1)" || diag "$(cat "$SD/start.out")"
is "$(sd systemctl is-active retryd)" active "retryd.service is active"
sd_unit_checks /var/spool/exim4
helper=$(sd ps -o pid= --ppid "$SD_MAIN" | head -n 1 | tr -d ' ')
st=$(sd cat /proc/"$helper"/status 2>/dev/null)
is "$(echo "$st" | awk '/^Uid:/ {print $2}')" 0 "the privileged helper runs as root"
is "$(echo "$st" | awk '/^NoNewPrivs:/ {print $2}')" 0 \
	"... without no_new_privs (the unit sets no NoNewPrivileges=; only the dropped daemon sets it): a set-uid re-exec of exim4 would keep root"

# 6. observe
e2e_wait_count 30 $N sh -c "nsenter -t $SD_PID -m -p -- journalctl -u retryd -o cat | grep -c 'observe: would hold '"
is "$(sd_journal | grep 'observe: would hold ' | awk '{print $NF}' | sort)" "$ids" \
	"observe: would hold (freeze) each of the $N messages"
is "$(e2e_exim_frozen_count mta)" 0 "observe: nothing frozen in Exim"
is "$(e2e_sink_count '@hotmail\.test')" 0 "observe: nothing delivered"
like "$(sd /usr/sbin/retryctl status)" "running, pid $SD_MAIN, mode observe" "observe: retryctl status says so"

# 7. act
sed -i 's/^mode = observe$/mode = act/' /etc/retryd/retryd.ini
sd systemctl reload retryd
ok $? "mode = act + systemctl reload retryd"
e2e_wait_sink $N 60 '@hotmail\.test'
is "$(e2e_sink_count '@hotmail\.test')" $N "every message delivered to the sink: $N"
is "$(e2e_sink_dups)" 0 "no Message-ID delivered twice"
is "$(grep -c ' frozen by root$' /var/log/exim4/mainlog)" $N "mainlog: $N 'frozen by root' (the helper's exim -Mf)"
is "$(e2e_exim_count mta delivered '@hotmail\.test')" $N "mainlog: $N '=>' lines (exim -M under the unit)"
is "$(e2e_exim_count mta bounced '@hotmail\.test')" 0 "none bounced"
wait_for 20 sh -c "[ -z \"\$(/usr/sbin/exim4 -bpr 2>/dev/null)\" ]"
is "$(e2e_exim_queue_count mta)" 0 "the queue is empty"
ok "$(sd_journal | grep -q 'flush_resolver hook for hotmail.test.*done'; echo $?)" "journal: the flush hook ran"
is "$(dns_ask 54 hotmail.test MX)" "10 mx1.hotmail.test." "the MTA's resolver has the MX again"
ok "$([ ! -s /var/log/exim4/paniclog ]; echo $?)" "Exim's paniclog is empty" ||
	diag "$(head -n 5 /var/log/exim4/paniclog)"
is "$(sd_journal | grep -c 'status=delivered')" $N "journal: $N recipients delivered"

# 8. stop
sd systemctl stop retryd
ok $? "systemctl stop retryd"
is "$(sd_show Result)" success "Result=success"
is "$(sd_show ExecMainStatus)" 0 "main process exited 0"
sd_journal >"$SD/journal" 2>&1
ok "$(grep -Eq 'SIGKILL|Killing|core-dump|status=[1-9]|^(error|fatal|panic):|RUNRECOVERY|ermission denied' "$SD/journal"; [ $? != 0 ]; echo $?)" \
	"no error, kill or failure in the journal"
[ "$LAB_FAILED" = 0 ] || { diag "journal:"; sed 's/^/#   /' "$SD/journal" >&2; }
done_testing

#!/bin/sh
# clean_debian_incident.sh - runs INSIDE the booted clean Debian 12 that
# tests/tools/clean_debian.sh made (systemd as PID 1, loopback only): sets
# up an MTA host (Postfix, unbound as its resolver) and the lab's stand-in
# for the Internet (NSD authoritative for hotmail.test, a second unbound
# as the independent resolver, smtp-sink as hotmail.test's MX), installs
# the retryd .deb with apt and has the packaged unit take over a
# stale-cache incident, first in observe mode, then in act mode.
#
#   clean_debian_incident.sh install     packages, the .deb, the incident
#   clean_debian_incident.sh enable      systemctl enable retryd
#   clean_debian_incident.sh boot        after a reboot: started by the boot,
#                                        after postfix.service
#
# Prints a transcript: "$ command" lines, their output (exit status when
# not 0), "### step" headings and "CHECK ok|FAILED: what" lines; exits 1
# when a check failed. Every address is on 127.0.0.0/8 of the container's
# own network namespace; the shipped policy's public resolvers are
# replaced before retryd starts.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH LC_ALL=C DEBIAN_FRONTEND=noninteractive
DEB=$(ls /root/retryd_*.deb 2>/dev/null | head -n 1)
POLICY=/etc/retryd/retryd.ini
FAILED=0
N=3

step() { printf '\n### %s\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@" 2>&1
	rc=$?
	[ $rc = 0 ] || printf '(exit %d)\n' $rc
	return $rc
}
check() { # check WHAT CMD...: one CHECK line
	what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "CHECK ok: $what"
	else
		echo "CHECK FAILED: $what"
		FAILED=1
	fi
}
wait_for() { # wait_for SECONDS CMD...
	n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
jcount() { journalctl -u retryd -o cat | grep -c -- "$1"; }
ge() { [ "$("$@" 2>/dev/null | tail -n 1)" -ge "$GE" ]; }
queue_count() { postqueue -j | grep -c "\"queue_name\": \"$1\""; }
sent_count() { journalctl -t postfix/smtp -o cat | grep -c 'to=<user[0-9]*@hotmail.test>.*status=sent'; }

zone() { # zone SERIAL with|without: hotmail.test at NSD
	{
		echo '$TTL 300'
		echo "@ IN SOA ns1.hotmail.test. hostmaster.hotmail.test. $1 3600 600 86400 300"
		echo '@ IN NS ns1'
		echo 'ns1 IN A 127.0.1.53'
		[ "$2" = with ] && echo '@ IN MX 10 mx1'
		echo 'mx1 IN A 127.0.3.25'
	} >/etc/nsd/hotmail.test.zone
}

lab_files() {
	mkdir -p /etc/nsd/nsd.conf.d /etc/unbound/unbound.conf.d /etc/systemd/system
	cat >/etc/nsd/nsd.conf.d/lab.conf <<'EOF'
# the lab's stand-in for hotmail.test's authoritative server
server:
  ip-address: 127.0.1.53
zone:
  name: hotmail.test
  zonefile: /etc/nsd/hotmail.test.zone
EOF
	zone 1 with
	cat >/etc/unbound/unbound.conf.d/lab.conf <<'EOF'
# this host's resolver (the MTA's): 127.0.0.1, Debian's default address;
# hotmail.test is reached through a stub zone (no Internet here)
server:
  interface: 127.0.0.1
  do-not-query-localhost: no
  domain-insecure: "test."
  local-zone: "test." nodefault
  qname-minimisation: no
remote-control:
  control-interface: 127.0.0.1
  control-use-cert: no
stub-zone:
  name: "hotmail.test."
  stub-addr: 127.0.1.53
EOF
	cat >/etc/unbound/independent.conf <<'EOF'
# the independent resolver retryd compares with (a second unbound)
server:
  interface: 127.0.2.53
  do-daemonize: no
  use-syslog: yes
  chroot: ""
  pidfile: ""
  do-not-query-localhost: no
  domain-insecure: "test."
  local-zone: "test." nodefault
  qname-minimisation: no
  module-config: "iterator"
remote-control:
  control-enable: no
stub-zone:
  name: "hotmail.test."
  stub-addr: 127.0.1.53
EOF
	cat >/etc/systemd/system/lab-independent.service <<'EOF'
[Unit]
Description=lab: independent resolver (unbound on 127.0.2.53)
[Service]
ExecStart=/usr/sbin/unbound -d -c /etc/unbound/independent.conf
[Install]
WantedBy=multi-user.target
EOF
	cat >/etc/systemd/system/lab-sink.service <<'EOF'
[Unit]
Description=lab: hotmail.test's MX (smtp-sink on 127.0.3.25:25)
[Service]
ExecStartPre=/usr/bin/install -d -o postfix /var/tmp/sink
ExecStart=/usr/sbin/smtp-sink -u postfix -d /var/tmp/sink/%%H%%M%%S. 127.0.3.25:25 100
[Install]
WantedBy=multi-user.target
EOF
	echo 'nameserver 127.0.0.1' >/etc/resolv.conf
	echo mx.lab.test >/etc/mailname
}

do_install() {
	step "A clean Debian 12 with systemd as PID 1, loopback only"
	run cat /etc/debian_version
	run sh -c 'echo "PID 1: $(cat /proc/1/comm); state: $(systemctl is-system-running)"'
	run sh -c "awk -F: 'NR > 2 {print \$1}' /proc/net/dev | tr -d ' ' | tr '\n' ' '; echo '<- network interfaces'"
	run sh -c 'echo "$(dpkg-query -W | wc -l) packages installed"'
	check "systemd is PID 1" [ "$(cat /proc/1/comm)" = systemd ]
	check "no network interface but lo" [ "$(awk -F: 'NR > 2 {print $1}' /proc/net/dev | tr -d ' ')" = lo ]

	step "The MTA host: Postfix and unbound (its resolver), from Debian; NSD and smtp-sink play hotmail.test"
	lab_files
	echo 'postfix postfix/main_mailer_type select Internet Site' | debconf-set-selections
	echo 'postfix postfix/mailname string mx.lab.test' | debconf-set-selections
	t0=$(date +%s)
	printf '$ %s\n' "apt-get install -y --no-install-recommends postfix unbound dns-root-data nsd bind9-dnsutils"
	apt-get install -y --no-download --no-install-recommends postfix unbound dns-root-data nsd bind9-dnsutils \
		>/root/apt-host.log 2>&1
	rc=$?
	grep -E '^(Setting up (postfix|unbound|nsd|bind9-dnsutils) |Created symlink .*(postfix|unbound|nsd).service)' /root/apt-host.log
	echo "($(($(date +%s) - t0)) s, exit $rc)"
	postconf -e inet_interfaces=loopback-only myhostname=mx.lab.test
	systemctl daemon-reload
	systemctl enable --now lab-independent.service lab-sink.service >/dev/null 2>&1
	systemctl restart postfix
	run systemctl is-active postfix unbound nsd lab-independent lab-sink
	run dig +short @127.0.1.53 hotmail.test MX
	run dig +short @127.0.2.53 hotmail.test MX
	check "postfix, unbound, nsd running under systemd" systemctl is-active -q postfix unbound nsd lab-independent lab-sink

	step "Install the package with apt"
	cd /root || return 1
	t0=$(date +%s)
	printf '$ %s\n' "apt install -y ./$(basename "$DEB")"
	apt install -y "./$(basename "$DEB")" >/root/apt-retryd.log 2>&1
	rc=$?
	grep -E '^(Note, selecting|The following NEW|  retryd|Unpacking retryd|Setting up retryd|Created symlink|E: )' /root/apt-retryd.log
	echo "($(($(date +%s) - t0)) s, exit $rc)"
	check "apt install ./$(basename "$DEB"): exit 0" [ $rc = 0 ]
	run id retryd
	run ls -ld /var/lib/retryd
	run ls /etc/retryd
	run systemctl is-enabled retryd
	run systemctl is-active retryd
	run retryd --version
	check "the unit is installed disabled and not running" sh -c '[ "$(systemctl is-enabled retryd)" = disabled ] && ! systemctl is-active -q retryd'
	run sh -c 'retryd -c /etc/retryd/retryd.ini -t >/dev/null && echo "shipped policy: ok"'
	run retryctl status

	step "The lab policy: the shipped file, edited (observe; the lab's resolvers; short timings)"
	cp "$POLICY" /root/retryd.ini.shipped
	sed -i -e 's/^mode = act .*/mode = observe/' \
		-e 's/^scan_interval = 30s .*/scan_interval = 5s/' \
		-e 's|^log_file = /var/log/mail.log .*|log_file = journal:       ; Debian 12: Postfix logs to the journal|' \
		-e 's/^independent = 1.1.1.1, 9.9.9.9 .*/independent = 127.0.2.53/' \
		-e 's/^verify_window = 60s .*/verify_window = 5s/' \
		-e 's/^tier = 0s every 5m .*/tier = 0s every 10s/' \
		-e 's/^domains = hotmail\.\*, .*/domains = hotmail.test   ; the lab has no Internet: no real domain/' \
		-e 's/^watch_names = .*/watch_names = hotmail.test/' \
		-e 's|^; flush_resolver = |flush_resolver = |' "$POLICY"
	run diff /root/retryd.ini.shipped "$POLICY"
	run sh -c "retryd -c $POLICY -t >/dev/null && echo 'lab policy: ok'"
	check "no public resolver left in the policy" sh -c "! grep -Eq '^(independent|mta) = .*(1\\.1\\.1\\.1|9\\.9\\.9\\.9)' $POLICY"

	step "Postfix as contrib/postfix/README.postfix says"
	run retryctl -c "$POLICY" export postfix-filter -o /etc/postfix/retryd_status_filter
	run postconf -e smtp_delivery_status_filter=regexp:/etc/postfix/retryd_status_filter smtp_defer_if_no_mx_address_found=yes
	run systemctl reload postfix

	step "The incident: a stale negative cache for hotmail.test at this host's resolver"
	# restart, not reload: Debian's nsd.service reloads with /bin/kill
	# (procps), which a minimal Debian 12 does not have
	zone 2 without
	run systemctl restart nsd
	wait_for 10 sh -c '[ -z "$(dig +short @127.0.1.53 hotmail.test MX)" ]'
	run unbound-control flush_zone hotmail.test
	run sh -c 'dig @127.0.0.1 hotmail.test MX | grep -E "status:|ANSWER:|IN.SOA"'
	zone 3 with
	run systemctl restart nsd
	wait_for 10 sh -c '[ -n "$(dig +short @127.0.1.53 hotmail.test MX)" ]'
	run dig +short @127.0.1.53 hotmail.test MX
	run sh -c 'dig @127.0.0.1 hotmail.test MX | grep -E "status:|ANSWER:"'
	check "NSD has the MX again, unbound still answers NODATA from its cache" \
		sh -c '[ -n "$(dig +short @127.0.1.53 hotmail.test MX)" ] && [ -z "$(dig +short @127.0.0.1 hotmail.test MX)" ]'
	for i in $(seq 1 $N); do
		printf 'From: <sender@lab.test>\nTo: <user%d@hotmail.test>\nSubject: clean-debian %d\nMessage-ID: <clean-%d@lab.test>\n\nhello %d\n' \
			"$i" "$i" "$i" "$i" | sendmail -f sender@lab.test "user$i@hotmail.test"
	done
	echo "$ sendmail -f sender@lab.test user{1..$N}@hotmail.test"
	GE=$N wait_for 30 ge queue_count deferred
	run sh -c "journalctl -t postfix/smtp -o cat | grep 'status=deferred' | sed 's/, delays=[^,]*, dsn/, ..., dsn/'"
	check "$N messages deferred (4.4.4, the status filter) instead of bounced" [ "$(queue_count deferred)" = $N ]

	step "Observe mode: preflight, systemctl start retryd"
	run retryd -c "$POLICY" --preflight
	run systemctl start retryd
	run systemctl show retryd -p ActiveState -p SubState -p Type -p MainPID -p NRestarts
	main=$(systemctl show retryd -p MainPID --value)
	run sh -c "grep -E '^(Uid|NoNewPrivs|Seccomp|CapBnd):' /proc/$main/status"
	GE=$N wait_for 40 ge jcount 'observe: would hold '
	run sh -c "journalctl -u retryd -o cat | grep -vE '^(Starting|Started) '"
	run retryctl status
	retryctl report >/root/report.txt 2>&1
	run sh -c 'head -n 12 /root/report.txt'
	run sh -c "postqueue -p | grep -c '^[0-9A-F]*!' ; true"
	check "observe: would hold each of the $N messages" [ "$(journalctl -u retryd -o cat | grep 'observe: would hold ' | awk '{print $NF}' | sort -u | wc -l)" = $N ]
	check "observe: nothing held, nothing delivered" sh -c "[ \$(postqueue -j | grep -c '\"queue_name\": \"hold\"') = 0 ] && [ \$(ls /var/tmp/sink | wc -l) = 0 ]"

	step "Act mode: mode = act, systemctl reload retryd"
	run sed -i 's/^mode = observe$/mode = act/' "$POLICY"
	since=$(date '+%Y-%m-%d %H:%M:%S')
	run systemctl reload retryd
	GE=$N wait_for 90 ge sent_count
	wait_for 30 sh -c '[ -z "$(postqueue -j)" ]'
	# the outcomes, read from the journal by the next pass
	GE=$N wait_for 30 ge jcount 'action=attempt, status=delivered'
	run sh -c "journalctl -u retryd -o cat --since '$since' | sed -E 's/, delays=[^,]*//'"
	run sh -c "journalctl -t postfix/smtp -o cat --since '$since' | grep 'status=sent' | sed 's/, delays=[^,]*, dsn/, ..., dsn/'"
	run postqueue -p
	run ls /var/tmp/sink
	run dig +short @127.0.0.1 hotmail.test MX
	run retryctl status
	run retryctl show user1@hotmail.test
	check "act: the $N messages delivered to hotmail.test's MX, none bounced" \
		sh -c "[ \$(ls /var/tmp/sink | wc -l) = $N ] && ! journalctl -t postfix/smtp -o cat | grep -q 'status=bounced'"
	check "act: the flush hook ran; the resolver has the MX again" \
		sh -c "journalctl -u retryd -o cat | grep -q 'flush_resolver hook for hotmail.test.*done' && [ -n \"\$(dig +short @127.0.0.1 hotmail.test MX)\" ]"
	check "the queue is empty" [ -z "$(postqueue -j)" ]
	check "retryd read the $N outcomes from the journal (status=delivered)" [ "$(jcount 'action=attempt, status=delivered')" = $N ]
	run systemctl stop retryd
	run systemctl show retryd -p Result -p ExecMainStatus
	check "stopped cleanly (Result=success, status 0)" sh -c '[ "$(systemctl show retryd -p Result --value)" = success ] && [ "$(systemctl show retryd -p ExecMainStatus --value)" = 0 ]'
}

do_enable() {
	step "systemctl enable retryd, then reboot"
	run systemctl enable retryd
	run systemctl show retryd -p After -p WantedBy
	check "enabled" systemctl is-enabled -q retryd
}

do_boot() {
	step "After the reboot: retryd started by the boot, after Postfix"
	run sh -c 'echo "PID 1: $(cat /proc/1/comm); state: $(systemctl is-system-running)"'
	run systemctl is-active postfix@- postfix retryd
	p=$(systemctl show postfix@- -p ActiveEnterTimestampMonotonic --value)
	u=$(systemctl show unbound -p ActiveEnterTimestampMonotonic --value)
	r=$(systemctl show retryd -p ExecMainStartTimestampMonotonic --value)
	run systemctl show retryd -p ExecMainStartTimestamp
	run systemctl show postfix@- -p ActiveEnterTimestamp
	run systemctl show unbound -p ActiveEnterTimestamp
	run sh -c 'systemd-analyze critical-chain retryd.service 2>&1 | tail -n +3'
	check "retryd is active after the boot" systemctl is-active -q retryd
	check "retryd started after postfix@-.service and unbound.service were up" \
		sh -c "[ ${p:-0} -gt 0 ] && [ ${u:-0} -gt 0 ] && [ ${r:-0} -gt ${p:-0} ] && [ ${r:-0} -gt ${u:-0} ]"
	GE=1 wait_for 30 ge jcount 'pass:'
	run sh -c "journalctl -b -u retryd -o cat | grep -vE '^(Starting|Started) '"
	run retryctl status
	check "retryctl status: running (exit 0)" retryctl status
	run systemctl stop retryd
}

case ${1:-} in
install) do_install ;;
enable) do_enable ;;
boot) do_boot ;;
*)
	echo "usage: clean_debian_incident.sh install|enable|boot" >&2
	exit 2
	;;
esac
exit $FAILED

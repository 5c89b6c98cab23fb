#!/bin/bash
# verify_intercepted.t — issue 11: a host whose DNS is intercepted.
# Reproduces, in a private network namespace (nothing leaves it), what was
# seen on the build machine: the system resolver (127.0.0.53 in
# resolv.conf) and 1.1.1.1 / 9.9.9.9 answer NXDOMAIN for every name (one
# unbound, local-zone "." always_nxdomain, listening on all three) and no
# root server is reachable. `retryctl diagnose hotmail.com` with the
# SHIPPED policy (policy/retryd.ini: independents 1.1.1.1, 9.9.9.9,
# root_hints /usr/share/dns/root.hints) must name the interception
# (filtered), never `domain`.
. "$(dirname "$0")/lib.sh"
CTL=$RETRYD_BUILD/retryctl
[ -x "$CTL" ] || skip_all "retryctl not built"
[ -r /usr/share/dns/root.hints ] || skip_all "dns-root-data not installed"
command -v unshare >/dev/null && command -v ip >/dev/null || skip_all "unshare/ip missing"
lab_init verify_intercepted
D=$LAB_DIR
cat >"$D/unbound.conf" <<EOF
server:
  interface: 127.0.0.53
  interface: 1.1.1.1
  interface: 9.9.9.9
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$D"
  pidfile: "$D/unbound.pid"
  use-syslog: no
  logfile: "$D/unbound.log"
  do-ip6: no
  access-control: 0.0.0.0/0 allow
  module-config: "iterator"
  local-zone: "." always_nxdomain
remote-control:
  control-enable: no
EOF
cat >"$D/inner.sh" <<EOF
set -u
ip link set lo up
ip addr add 1.1.1.1/32 dev lo
ip addr add 9.9.9.9/32 dev lo
echo "nameserver 127.0.0.53" >"$D/resolv.conf"
mount --bind "$D/resolv.conf" /etc/resolv.conf
unbound -d -c "$D/unbound.conf" >"$D/unbound.out" 2>&1 &
pid=\$!
for _ in \$(seq 50); do
	dig +time=1 +tries=1 @1.1.1.1 com NS >/dev/null 2>&1 && break
	sleep 0.1
done
dig +time=1 +tries=1 @9.9.9.9 com NS >"$D/dig.txt" 2>&1
"$CTL" -c "$LAB_ROOT/policy/retryd.ini" diagnose hotmail.com >"$D/diag.txt" 2>&1
echo "rc=\$?" >>"$D/diag.txt"
"$CTL" -c "$LAB_ROOT/policy/retryd.ini" diagnose hotmail.com --json >"$D/diag.json" 2>&1
kill \$pid
wait \$pid
EOF
unshare --net --mount bash "$D/inner.sh" || { echo "Bail out! namespace"; exit 1; }
like "$(cat "$D/dig.txt")" 'status: NXDOMAIN' "in the namespace, 9.9.9.9 answers NXDOMAIN even for com (the interception)"
j=$(cat "$D/diag.json")
is "$(dns_json_get() { printf '%s' "$1" | perl -MJSON::PP -e 'my $d = JSON::PP->new->decode(join "", <STDIN>); print $d->{verdict}'; }; dns_json_get "$j")" \
	filtered "diagnose hotmail.com (shipped policy): filtered, not domain"
t=$(cat "$D/diag.txt")
like "$t" 'verdict: filtered' "the table says filtered"
like "$t" 'intercepted or filtered' "... and names the interception"
like "$t" '127\.0\.0\.53:53 +mta +NOT TRUSTED' "the system resolver is not trusted"
like "$t" '1\.1\.1\.1:53 +independent +NOT TRUSTED' "1.1.1.1 is not trusted"
like "$t" 'why: filters: root SOA nxdomain' "why: the root SOA is NXDOMAIN"
like "$t" 'NOT independent: same answers and TTLs as MTA node 127\.0\.0\.53:53' \
	"the 'independents' are named as the MTA's own interceptor"
like "$t" 'authoritative servers found by: trace failed' "the trace from the root hints failed, and says so"
ok "$(grep -q 'verdict: domain' "$D/diag.txt"; [ $? != 0 ]; echo $?)" "never verdict domain"
diag "$(sed -n '/verdict:/,$p' "$D/diag.txt")"
done_testing

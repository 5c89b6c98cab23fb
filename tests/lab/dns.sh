# dns.sh — the loopback DNS lab (sourced after lib.sh, never run).
#
# One authoritative NSD and up to three unbound resolvers on the
# scenario's private network 127.$LAB_NET.0.0/16:
#
#   127.$LAB_NET.0.52   NSD "root": the lab's root zone (. delegating
#                       test. to ns.test at .53); every unbound's
#                       root-hints point here ($DNS_DIR/root.hints), so
#                       the root SOA canary and the trace stay on loopback
#   127.$LAB_NET.0.53   NSD: zones test. (parent, with delegations),
#                       hotmail.test outlook.test live.test msn.test
#                       nullmx.test (MX 0 .) hosted.test (MX ->
#                       x.mail.protection.outlook.test); MX hosts at .0.25
#   127.$LAB_NET.0.54   unbound "mta1"  (the MTA's resolver, node 1)
#   127.$LAB_NET.0.55   unbound "mta2"  (a second node of the pool)
#   127.$LAB_NET.0.56   unbound "ind"   (an independent resolver)
#
# Every zone has SOA minimum = SOA TTL = 300 s: a cached "no MX" stays for
# the whole test. Servers run in the foreground, are tracked with
# lab_track (killed at exit) and can be stopped early by name.
# Recipes: /work/shared/LAB-NOTES.md.

DNS_ZONES="hotmail.test outlook.test live.test msn.test nullmx.test hosted.test"
DNS_EXTRA_ZONES=${DNS_EXTRA_ZONES:-}

# dns_addr SUFFIX: print 127.$LAB_NET.0.SUFFIX.
dns_addr() { echo "127.$LAB_NET.0.$1"; }

# dns_zone_default ZONE: print the standard records of ZONE (no SOA/NS).
dns_zone_default() {
	local mxhost
	mxhost=$(dns_addr 25)
	case $1 in
	nullmx.test)
		echo "@ IN MX 0 ."
		;;
	hosted.test)
		echo "@ IN MX 10 x.mail.protection.outlook.test."
		;;
	outlook.test)
		echo "@ IN MX 10 mx1"
		echo "mx1 IN A $mxhost"
		echo "x.mail.protection IN A $mxhost"
		;;
	test)
		local z
		echo "ns IN A $(dns_addr 53)"
		for z in $DNS_ZONES $DNS_EXTRA_ZONES; do
			echo "${z%.test} IN NS ns.test."
		done
		;;
	*)
		echo "@ IN MX 10 mx1"
		echo "mx1 IN A $mxhost"
		;;
	esac
}

# dns_zone_write ZONE [RR-LINE...]: (re)write ZONE's zone file with the
# next serial. RR-LINEs (relative to the zone) replace the standard
# records; without them the zone gets dns_zone_default's. Does not reload:
# see dns_zone_set.
dns_zone_write() {
	local zone=$1 serial sf
	shift
	: "${DNS_DIR:=$LAB_DIR/dns}"
	mkdir -p "$DNS_DIR/nsd"
	sf="$DNS_DIR/nsd/$zone.serial"
	serial=$(($(cat "$sf" 2>/dev/null || echo 0) + 1))
	echo "$serial" >"$sf"
	{
		echo "\$ORIGIN $zone."
		echo "\$TTL 300"
		echo "@ IN SOA ns.test. hostmaster.test. $serial 60 60 3600 300"
		echo "@ IN NS ns.test."
		if [ $# -gt 0 ]; then
			printf '%s\n' "$@"
		else
			dns_zone_default "$zone"
		fi
	} >"$DNS_DIR/nsd/$zone.zone"
}

# dns_zone_write_mx_many ZONE N: write ZONE for the lab NSD with N
# domains dNNNNN.ZONE, each with one MX naming mx.ZONE (127.$LAB_NET.0.25).
# For the benches; list ZONE in DNS_EXTRA_ZONES before dns_nsd_start.
dns_zone_write_mx_many() {
	local zone="$1" n="$2" i
	: "${DNS_DIR:=$LAB_DIR/dns}"
	mkdir -p "$DNS_DIR/nsd"
	{
		echo "\$ORIGIN $zone."
		echo "\$TTL 300"
		echo "@ IN SOA ns.test. hostmaster.test. 1 60 60 3600 300"
		echo "@ IN NS ns.test."
		echo "mx IN A $(dns_addr 25)"
		for i in $(seq -f %05g 1 "$n"); do echo "d$i IN MX 10 mx"; done
	} >"$DNS_DIR/nsd/$zone.zone"
}

# dns_zone_set ZONE [RR-LINE...]: rewrite ZONE (as dns_zone_write) and
# make NSD serve it now (nsd-control reload ZONE).
dns_zone_set() {
	dns_zone_write "$@"
	nsd-control -c "$DNS_DIR/nsd/nsd.conf" reload "$1" >/dev/null
}

# dns_nsd_server_conf DIR ADDR: print the server: section of an NSD
# that keeps every file in DIR and answers on ADDR port 53 (no chroot,
# no user switch, no database, no rate limit).
dns_nsd_server_conf() {
	local d="$1" addr="$2"
	echo "server:"
	echo "  ip-address: $addr"
	echo "  port: 53"
	echo "  username: \"\""
	echo "  chroot: \"\""
	echo "  zonesdir: \"$d\""
	echo "  database: \"\""
	echo "  pidfile: \"$d/nsd.pid\""
	echo "  xfrdfile: \"$d/xfrd.state\""
	echo "  zonelistfile: \"$d/zone.list\""
	echo "  logfile: \"$d/nsd.log\""
	echo "  do-ip6: no"
	echo "  rrl-ratelimit: 0"
}

# dns_nsd_start: write every zone, nsd.conf and the control keys, start
# NSD on 127.$LAB_NET.0.53 and wait until it answers. Sets DNS_NSD_PID.
# DNS_EXTRA_ZONES (space-separated) adds zones with the standard records,
# or the records a scenario wrote with dns_zone_write beforehand.
dns_nsd_start() {
	local d="$DNS_DIR/nsd" z addr
	addr=$(dns_addr 53)
	mkdir -p "$d"
	nsd-control-setup -d "$d" >/dev/null 2>&1 || return 1
	{
		dns_nsd_server_conf "$d" "$addr"
		echo "  verbosity: 1"
		echo "remote-control:"
		echo "  control-enable: yes"
		echo "  control-interface: $addr"
		echo "  control-port: 8952"
		echo "  server-key-file: \"$d/nsd_server.key\""
		echo "  server-cert-file: \"$d/nsd_server.pem\""
		echo "  control-key-file: \"$d/nsd_control.key\""
		echo "  control-cert-file: \"$d/nsd_control.pem\""
		for z in test $DNS_ZONES $DNS_EXTRA_ZONES; do
			echo "zone:"
			echo "  name: $z"
			echo "  zonefile: $z.zone"
		done
	} >"$d/nsd.conf"
	for z in test $DNS_ZONES $DNS_EXTRA_ZONES; do
		[ -f "$d/$z.zone" ] || dns_zone_write "$z"
	done
	nsd -c "$d/nsd.conf" -d >"$d/nsd.out" 2>&1 &
	DNS_NSD_PID=$!
	lab_track "$DNS_NSD_PID"
	wait_for 10 dig +time=1 +tries=1 +short @"$addr" hotmail.test SOA
}

# dns_root_start: the lab root on 127.$LAB_NET.0.52 (its own NSD, no
# remote control) and the hints file $DNS_DIR/root.hints naming it.
# Sets DNS_ROOT_PID and DNS_ROOT_HINTS.
dns_root_start() {
	local d="$DNS_DIR/root" addr
	addr=$(dns_addr 52)
	mkdir -p "$d"
	DNS_ROOT_HINTS="$DNS_DIR/root.hints"
	{
		echo ".             3600000 IN NS a.root."
		echo "a.root.       3600000 IN A  $addr"
	} >"$DNS_ROOT_HINTS"
	{
		echo "\$ORIGIN ."
		echo "\$TTL 86400"
		echo "@ IN SOA a.root. hostmaster.root. 1 1800 900 604800 86400"
		echo "@ IN NS a.root."
		echo "a.root. IN A $addr"
		echo "test. 172800 IN NS ns.test."
		echo "ns.test. 172800 IN A $(dns_addr 53)"
	} >"$d/root.zone"
	{
		dns_nsd_server_conf "$d" "$addr"
		echo "remote-control:"
		echo "  control-enable: no"
		echo "zone:"
		echo "  name: \".\""
		echo "  zonefile: root.zone"
	} >"$d/nsd.conf"
	nsd -c "$d/nsd.conf" -d >"$d/nsd.out" 2>&1 &
	DNS_ROOT_PID=$!
	lab_track "$DNS_ROOT_PID"
	wait_for 10 dig +time=1 +tries=1 +short @"$addr" . SOA
}

# dns_nsd_stop: stop NSD by its PID (for outage scenarios).
dns_nsd_stop() {
	kill -TERM "$DNS_NSD_PID" 2>/dev/null
	wait "$DNS_NSD_PID" 2>/dev/null
	return 0
}

# dns_unbound_start NAME SUFFIX [CONF-LINE...]: start an unbound named
# NAME on 127.$LAB_NET.0.SUFFIX with a stub-zone test. -> NSD, remote
# control on its own address, quick failure settings (discard-timeout 0,
# infra-cache-max-rtt 1000). CONF-LINEs go into its server: section.
# Waits until it answers. Sets DNS_PID_<NAME>.
dns_unbound_start() {
	local name=$1 addr d
	addr=$(dns_addr "$2")
	shift 2
	d="$DNS_DIR/unbound-$name"
	mkdir -p "$d"
	{
		echo "server:"
		echo "  interface: $addr"
		echo "  port: 53"
		echo "  do-daemonize: no"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  directory: \"$d\""
		echo "  pidfile: \"$d/unbound.pid\""
		echo "  use-syslog: no"
		echo "  logfile: \"$d/unbound.log\""
		echo "  verbosity: 1"
		echo "  num-threads: 1"
		echo "  do-ip6: no"
		echo "  access-control: 127.0.0.0/8 allow"
		echo "  do-not-query-localhost: no"
		echo "  module-config: \"iterator\""
		echo "  domain-insecure: \"test.\""
		echo "  local-zone: \"test.\" nodefault"
		echo "  qname-minimisation: no"
		echo "  discard-timeout: 0"
		echo "  infra-cache-max-rtt: 1000"
		echo "  prefetch: no"
		echo "  serve-expired: no"
		echo "  root-hints: \"$DNS_DIR/root.hints\""
		[ $# -gt 0 ] && printf '  %s\n' "$@"
		echo "remote-control:"
		echo "  control-enable: yes"
		echo "  control-interface: $addr"
		echo "  control-port: 8953"
		echo "  control-use-cert: no"
		echo "stub-zone:"
		echo "  name: \"test.\""
		echo "  stub-addr: $(dns_addr 53)"
	} >"$d/unbound.conf"
	unbound -d -c "$d/unbound.conf" >"$d/unbound.out" 2>&1 &
	eval "DNS_PID_$name=$!"
	lab_track "$!"
	wait_for 10 unbound-control -c "$d/unbound.conf" status
}

# dns_unbound_stop NAME: stop that unbound by its PID.
dns_unbound_stop() {
	local pid
	eval "pid=\${DNS_PID_$1:-}"
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# dns_unbound_ctl NAME ARGS...: unbound-control for that unbound, e.g.
# `dns_unbound_ctl mta1 flush_negative` or `flush_zone hotmail.test`.
dns_unbound_ctl() {
	local name=$1
	shift
	unbound-control -c "$DNS_DIR/unbound-$name/unbound.conf" "$@"
}

# dns_unbound_reset NAME: forget everything (zone, negative, infra, requests).
dns_unbound_reset() {
	dns_unbound_ctl "$1" flush_zone test. >/dev/null &&
		dns_unbound_ctl "$1" flush_negative >/dev/null &&
		dns_unbound_ctl "$1" flush_infra all >/dev/null &&
		dns_unbound_ctl "$1" flush_requestlist >/dev/null
}

# dns_ask SUFFIX NAME TYPE: what the server at 127.$LAB_NET.0.SUFFIX says
# (dig +short), e.g. to fill a resolver's cache on purpose.
dns_ask() {
	dig +time=2 +tries=1 +short @"$(dns_addr "$1")" "$2" "$3"
}

# dns_lab_start [mta2] [ind]: the lab root, NSD plus unbound mta1 and, when named, the
# second MTA node and the independent resolver. Everything is stopped by
# lab_cleanup at exit.
dns_lab_start() {
	: "${DNS_DIR:=$LAB_DIR/dns}"
	mkdir -p "$DNS_DIR"
	dns_root_start || return 1
	dns_nsd_start || return 1
	dns_unbound_start mta1 54 || return 1
	while [ $# -gt 0 ]; do
		case $1 in
		mta2) dns_unbound_start mta2 55 || return 1 ;;
		ind) dns_unbound_start ind 56 || return 1 ;;
		esac
		shift
	done
}

# dns_verify ARGS...: the ASan verify_tool (JSON lines on stdout).
dns_verify() {
	"$RETRYD_ASAN_BUILD/tests/verify_tool" "$@"
}

# dns_json_get JSON PATH: one value from a JSON document (jq-like path
# such as .verdict or .answers[0].kind), printed raw.
dns_json_get() {
	printf '%s' "$1" | perl -MJSON::PP -e '
		my $d = JSON::PP->new->decode(join "", <STDIN>);
		my $v = $d;
		for my $p ($ARGV[0] =~ /([^.\[\]]+)/g) {
			$v = ref $v eq "ARRAY" ? $v->[$p] : $v->{$p};
		}
		print defined $v ? (ref $v ? JSON::PP->new->canonical->encode($v) : $v) : "null";
	' "$2"
}

# dns_garbage_start SUFFIX: start dns_garbage.pl (a misbehaving server,
# see its header) on 127.$LAB_NET.0.SUFFIX port 53, UDP and TCP. Sets
# DNS_GARBAGE_PID.
dns_garbage_start() {
	local addr
	addr=$(dns_addr "$1")
	perl "$LAB_ROOT/tests/lab/dns_garbage.pl" "$addr" 53 "$(dns_addr 25)" \
		>"$LAB_DIR/garbage.out" 2>&1 &
	DNS_GARBAGE_PID=$!
	lab_track "$DNS_GARBAGE_PID"
	wait_for 10 dig +time=1 +tries=1 +short @"$addr" ok.bad.test MX
}

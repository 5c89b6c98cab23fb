# lib_e2e.sh — the whole mission on the loopback lab (sourced, never run).
#
# Sourced by tests/e2e/postfix_*.t, tests/demo.sh and the incident
# benchmark after nothing else: it sources tests/lab/lib.sh and dns.sh.
# Brings up, on the scenario's private net 127.$LAB_NET.0.0/16:
#
#   127.$LAB_NET.0.53   NSD, the authoritative servers (dns.sh)
#   127.$LAB_NET.0.54   unbound "mta1": the resolver of the MTA
#   127.$LAB_NET.0.55   unbound "mta2": the plain Postfix's resolver (bench)
#   127.$LAB_NET.0.56   unbound "ind": an independent resolver
#   127.$LAB_NET.0.25   smtp-sink: every MX of the lab; one file per
#                       message received under $E2E_SINK (-d)
#
# and a retryd policy ($E2E_POLICY) pointing at them: short tiers,
# scan_interval 1s, a verify window of a few seconds, group microsoft =
# hotmail.test outlook.test live.test msn.test windowslive.test, the
# flush hook = contrib/flush-unbound against mta1's control channel.
#
# windowslive.test is not a zone of its own: its MX lives in the parent
# zone test., so e2e_domain_gone can make it NXDOMAIN at NSD. corp.test
# (no group) has an MX whose host has no address: Postfix with
# smtp_defer_if_no_mx_address_found defers it, a routing failure outside
# every group. senders.test (MX -> the sink) is the senders' domain: the
# bounces Postfix sends back (DSNs) land in the sink, to be read.
#
# Functions (each one's comment below says what it prints):
#   e2e_standard NAME FILTER     the usual setup: e2e_init NAME ind, the
#                                policy, Postfix "mta" on mta1, the sink
#   e2e_init NAME [ind] [mta2]   lab_init + DNS lab + binaries chosen
#   e2e_policy_write [LINES...]  the retryd policy (+ extra lines)
#   e2e_postfix_start NAME RESOLVER-SUFFIX FILTER(yes|no) [SMTPD-K]
#   e2e_sink_start               smtp-sink on .25:25
#   e2e_poison DOMAIN SUFFIX...  a real stale negative cache at resolvers
#   e2e_domain_gone / _back      windowslive.test NXDOMAIN at NSD / back
#   e2e_submit NAME RCPT TAG     one message (Message-ID <TAG@e2e.test>)
#   e2e_smtp_submit NAME COUNT TAG DOMAIN...  many, over SMTP, one session
#   e2e_queue_count / e2e_queue_ids NAME [held|deferred|active|incoming|all]
#   e2e_sink_count [RCPT-REGEX], e2e_sink_ids, e2e_sink_dups
#   e2e_log_count NAME STATUS [RCPT-REGEX]  maillog delivery lines
#   e2e_wait_queue / e2e_wait_sink / e2e_wait_log_count / e2e_wait_log
#   e2e_once [ARGS]              retryd --once; prints its summary line
#   e2e_retryd_start / _stop / _kill, e2e_kill_on REGEX  foreground daemon
#   e2e_summaries, e2e_sum FIELD summary lines, a field summed over them
#   e2e_ctl ARGS...              retryctl -c $E2E_POLICY ARGS
#   e2e_pcpu PID / e2e_tree_cpu PID  CPU seconds (benchmarks)
#
# Binaries: the ASan build ($RETRYD_ASAN_BUILD) unless E2E_OPT=1 (demo,
# bench: the -O2 build in $RETRYD_BUILD), with LeakSanitizer on: every
# scenario ends by checking retryd's log for a sanitizer report.

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_LIB_DIR/../lab/lib.sh"
. "$E2E_LIB_DIR/../lab/dns.sh"
. "$E2E_LIB_DIR/../lab/postfix.sh"

E2E_GROUP_DOMAINS="hotmail.test, outlook.test, live.test, msn.test, windowslive.test"
E2E_SENDER=sender@senders.test
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# e2e_bins: choose the binaries (ASan unless E2E_OPT=1).
e2e_bins() {
	local b=$RETRYD_ASAN_BUILD
	[ "${E2E_OPT:-0}" = 1 ] && b=$RETRYD_BUILD
	E2E_RETRYD=$b/retryd
	E2E_RETRYCTL=$b/retryctl
	E2E_PLUGIN_DIR=$b/plugins
}

# e2e_ready: 0 when every binary this library needs is built.
e2e_ready() {
	e2e_bins
	[ -x "$E2E_RETRYD" ] && [ -x "$E2E_RETRYCTL" ] &&
		[ -f "$E2E_PLUGIN_DIR/postfix.so" ] &&
		postfix_lab_available && command -v smtp-sink >/dev/null &&
		command -v nsd >/dev/null && command -v unbound >/dev/null
}

# The DNS records of test. with windowslive.test in it (an RR-LINE).
e2e_test_zone() {
	dns_zone_default test
	if [ "${1:-present}" = present ]; then
		echo "windowslive IN MX 10 mx1.windowslive"
		echo "mx1.windowslive IN A $(dns_addr 25)"
	fi
}

# e2e_init NAME [ind] [mta2]: temp dir, net, DNS lab (NSD, mta1 and the
# resolvers named), binaries. Bails out when the lab does not start.
e2e_init() {
	local name=$1
	shift
	e2e_bins
	lab_init "$name"
	E2E_DIR=$LAB_DIR
	DNS_DIR=$LAB_DIR/dns
	mkdir -p "$DNS_DIR/nsd"
	DNS_EXTRA_ZONES="corp.test senders.test"
	dns_zone_write corp.test "@ IN MX 10 mx1"
	dns_zone_write test "$(e2e_test_zone present)"
	dns_lab_start "$@" || { echo "Bail out! DNS lab did not start"; exit 1; }
}

# e2e_domain_gone / e2e_domain_back: windowslive.test NXDOMAIN at NSD, or
# served again (MX -> the sink).
e2e_domain_gone() { dns_zone_set test "$(e2e_test_zone gone)"; }
e2e_domain_back() { dns_zone_set test "$(e2e_test_zone present)"; }

# e2e_poison DOMAIN SUFFIX...: remove DOMAIN's MX at NSD, ask each
# resolver 127.$LAB_NET.0.SUFFIX for it (each caches NODATA for the SOA's
# negative TTL, 300 s), put the MX back. NSD then serves the MX while the
# resolvers asked keep answering "no MX": the incident.
e2e_poison() {
	local dom=$1 s
	shift
	dns_zone_set "$dom" "www IN A $(dns_addr 25)"
	for s in "$@"; do
		dns_ask "$s" "$dom" MX >/dev/null
		dns_ask "$s" "$dom" A >/dev/null
	done
	dns_zone_set "$dom"
}

# e2e_pf_conf NAME / e2e_pf_log NAME: config directory and maillog of
# Postfix instance NAME.
e2e_pf_conf() { echo "$E2E_DIR/pf-$1/conf"; }
e2e_pf_log() { echo "$E2E_DIR/pf-$1/maillog"; }

# e2e_pf_use NAME: point postfix.sh's PF_* variables at instance NAME.
e2e_pf_use() {
	PF_DIR=$E2E_DIR/pf-$1
	PF_CONF=$PF_DIR/conf
	PF_QUEUE=$PF_DIR/queue
	PF_DATA=$PF_DIR/data
	PF_LOG=$PF_DIR/maillog
}

# e2e_postfix_start NAME RESOLVER-SUFFIX FILTER [SMTPD-K]: an isolated
# Postfix (tests/lab/postfix.sh) routing by MX through the DNS lab: its
# chrooted smtp client resolves with 127.$LAB_NET.0.RESOLVER-SUFFIX only.
# FILTER=yes: the status filter exported by `retryctl export
# postfix-filter` from $E2E_POLICY (write the policy first) and
# smtp_defer_if_no_mx_address_found = yes. SMTPD-K (1-9): an smtpd on
# 127.0.0.1 port 30000 + 10 * LAB_NET + K (default: none, mail comes in by
# sendmail).
e2e_postfix_start() {
	local name=$1 res=$2 filter=$3 port=${4:-}
	PF_RELAYHOST="" PF_NAMESERVER=$(dns_addr "$res") \
		postfix_lab_init "$E2E_DIR/pf-$name"
	set -- "default_destination_concurrency_limit = 50" \
		"qmgr_message_active_limit = 20000"
	if [ "$filter" = yes ]; then
		"$E2E_RETRYCTL" -c "$E2E_POLICY" export postfix-filter \
			-o "$PF_CONF/retryd_status_filter" || return 1
		set -- "$@" "smtp_delivery_status_filter = regexp:$PF_CONF/retryd_status_filter" \
			"smtp_defer_if_no_mx_address_found = yes"
	fi
	if [ -n "$port" ]; then
		# Postfix binds only addresses an interface has: 127.0.0.1, on
		# a port of this scenario's net.
		port=$((30000 + LAB_NET * 10 + port))
		eval "E2E_SMTPD_PORT_$name=$port"
		set -- "$@" "mynetworks = 127.0.0.0/8"
		echo "127.0.0.1:$port inet n - y - - smtpd" >>"$PF_CONF/master.cf"
	fi
	[ -n "${E2E_PF_EXTRA:-}" ] && set -- "$@" "$E2E_PF_EXTRA"
	printf '%s\n' "$@" >>"$PF_CONF/main.cf"
	postfix_backdate
	postfix_lab_start || return 1
	lab_on_exit e2e_postfix_stop "$name"
}

# e2e_postfix_stop NAME: stop instance NAME (registered at start).
e2e_postfix_stop() {
	e2e_pf_use "$1"
	postfix_lab_stop
}

# e2e_sink_start: smtp-sink on 127.$LAB_NET.0.25:25, one file per message
# under $E2E_SINK.
e2e_sink_start() {
	E2E_SINK=$E2E_DIR/sink
	PF_SINK_ADDR=$(dns_addr 25)
	postfix_sink_start "$E2E_SINK"
}
# e2e_policy_write [LINES...]: the retryd policy in $E2E_POLICY. LINES
# are appended (more sections, e.g. "[backoff]" "tier = ..."); without
# a [backoff] of their own the defaults below are used. Set
# E2E_VERIFY_WINDOW / E2E_TIER_EVERY to change the timings,
# E2E_MTA_RESOLVERS for another [resolvers] mta list (a pool),
# E2E_GROUP_LINES for more keys of [group microsoft] (one a line),
# E2E_RES_IND for another independent, E2E_ROOT_HINTS for the trace,
# E2E_RECONCILE_EVERY for the passes between full listings.
e2e_policy_write() {
	E2E_POLICY=$E2E_DIR/retryd.ini
	E2E_STATE=$E2E_DIR/state
	mkdir -p "$E2E_STATE"
	{
		echo "[retryd]"
		echo "mta = postfix"
		echo "plugin_dir = $E2E_PLUGIN_DIR"
		echo "state_dir = $E2E_STATE"
		echo "scan_interval = 1s"
		echo "reconcile_every = ${E2E_RECONCILE_EVERY:-10}"
		echo "host_id = e2e-$LAB_NET"
		echo "[postfix]"
		echo "config_dir = $E2E_DIR/pf-${E2E_PF_NAME:-mta}/conf"
		echo "log_file = $E2E_DIR/pf-${E2E_PF_NAME:-mta}/maillog"
		echo "[resolvers]"
		echo "mta = ${E2E_MTA_RESOLVERS:-$(dns_addr 54)}"
		echo "independent = ${E2E_RES_IND:-$(dns_addr 56)}"
		[ -n "${E2E_ROOT_HINTS:-}" ] && echo "root_hints = $E2E_ROOT_HINTS"
		echo "authoritative = yes"
		echo "tcp = no"
		echo "timeout = 1s"
		echo "verify_window = ${E2E_VERIFY_WINDOW:-3s}"
		echo "[backoff]"
		echo "tier = 0s every ${E2E_TIER_EVERY:-1s}"
		echo "give_up = 1h"
		echo "jitter = 0%"
		echo "[group microsoft]"
		echo "domains = $E2E_GROUP_DOMAINS"
		[ -n "${E2E_GROUP_LINES:-}" ] && printf '%s\n' "$E2E_GROUP_LINES"
		# no [classifier], no include: the rules compiled into retryd
		# classify (issue 12: a minimal policy works like the shipped one)
		echo "[hooks]"
		echo "flush_resolver = $LAB_ROOT/contrib/flush-unbound -c $DNS_DIR/unbound-mta1/unbound.conf %r %d"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$E2E_POLICY"
	"$E2E_RETRYD" -c "$E2E_POLICY" -t >/dev/null
}

# e2e_submit NAME RCPT TAG: one message to RCPT through Postfix NAME's
# sendmail, Message-ID <TAG@e2e.test>.
e2e_submit() {
	printf 'From: <%s>\nTo: <%s>\nSubject: e2e %s\nMessage-ID: <%s@e2e.test>\n\n%s\n' \
		"$E2E_SENDER" "$2" "$3" "$3" "retryd e2e message $3" |
		sendmail -C "$(e2e_pf_conf "$1")" -f "$E2E_SENDER" "$2"
}

# e2e_smtp_submit NAME COUNT TAG DOMAIN...: COUNT messages over SMTP to
# the smtpd of instance NAME (started with SMTPD-K), one session,
# recipient TAGNNNNN@DOMAIN (domains taken in turn), Message-ID
# <TAG-NNNNN@e2e.test>. Fast (no process per message). Prints how many
# were accepted.
e2e_smtp_submit() {
	local port count=$2 tag=$3
	eval "port=\${E2E_SMTPD_PORT_$1:-}"
	[ -n "$port" ] || return 1
	shift 3
	perl -MNet::SMTP -MSocket=IPPROTO_TCP,TCP_NODELAY -e '
		my ($host, $port, $count, $tag, $from, @doms) = @ARGV;
		my $s = Net::SMTP->new($host, Port => $port, Hello => "e2e.test",
				       Timeout => 30) or die "connect: $@\n";
		# no Nagle: each command is its own small write
		setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
		my $ok = 0;
		for my $i (1 .. $count) {
			my $n = sprintf "%05d", $i;
			my $rcpt = "$tag$n\@" . $doms[($i - 1) % @doms];
			$s->mail($from) && $s->to($rcpt) or next;
			$s->data("From: <$from>\r\nTo: <$rcpt>\r\nSubject: $tag $n\r\n"
				 . "Message-ID: <$tag-$n\@e2e.test>\r\n\r\nretryd e2e\r\n")
			    and $ok++;
		}
		$s->quit;
		print "$ok\n";
	' 127.0.0.1 "$port" "$count" "$tag" "$E2E_SENDER" "$@"
}

# e2e_queue_json NAME: postqueue -j of Postfix NAME.
e2e_queue_json() { postqueue -c "$(e2e_pf_conf "$1")" -j 2>/dev/null; }

# e2e_queue_count NAME [KIND]: messages in the queue. KIND: all
# (default), held (queue_name hold), deferred, active, incoming.
e2e_queue_count() {
	local kind=${2:-all}
	if [ "$kind" = all ]; then
		e2e_queue_json "$1" | grep -c '"queue_id"'
	else
		e2e_queue_json "$1" | grep -c "\"queue_name\": \"${kind/held/hold}\""
	fi
}

# e2e_queue_ids NAME [KIND]: the queue ids, sorted, one a line.
e2e_queue_ids() {
	local kind=${2:-all}
	e2e_queue_json "$1" | E2E_KIND=${kind/held/hold} perl -MJSON::PP -ne '
		my $m = JSON::PP->new->decode($_);
		print "$m->{queue_id}\n"
		    if $ENV{E2E_KIND} eq "all" || $m->{queue_name} eq $ENV{E2E_KIND};
	' | sort
}

# e2e_wait_count SECONDS N CMD...: poll every 0.1 s until CMD prints a
# number >= N (CMD runs each time: never pass a "$(...)" that bash would
# evaluate once).
e2e_wait_count() {
	local i n=$(($1 * 10)) want=$2
	shift 2
	for ((i = 0; i < n; i++)); do
		[ "$("$@")" -ge "$want" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# e2e_wait_queue NAME KIND N [SECONDS]: wait until exactly N messages
# are in KIND.
e2e_wait_queue() {
	local i n=$(( ${4:-20} * 10 ))
	for ((i = 0; i < n; i++)); do
		[ "$(e2e_queue_count "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# e2e_sink_count [RCPT-REGEX]: messages received by the sink whose
# envelope recipient matches RCPT-REGEX (default: any).
e2e_sink_count() {
	local re=${1:-.}
	find "$E2E_SINK" -type f -print0 2>/dev/null |
		xargs -0 -r grep -l -E -- "^X-Rcpt-Args: <[^>]*(${re})[^>]*>" 2>/dev/null |
		wc -l
}

# e2e_sink_ids: every Message-ID received (one a line, unsorted).
e2e_sink_ids() {
	find "$E2E_SINK" -type f -print0 2>/dev/null |
		xargs -0 -r grep -h -i '^Message-ID:' 2>/dev/null |
		sed 's/^[^<]*//; s/\r$//'
}

# e2e_sink_dups: how many Message-IDs the sink received more than once.
e2e_sink_dups() { e2e_sink_ids | sort | uniq -d | wc -l; }

# e2e_wait_sink N [SECONDS] [RCPT-REGEX]: wait until the sink has N.
e2e_wait_sink() {
	local i n=$(( ${2:-30} * 10 ))
	for ((i = 0; i < n; i++)); do
		[ "$(e2e_sink_count "${3:-.}")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# e2e_log_count NAME STATUS [RCPT-REGEX]: delivery lines of Postfix NAME
# with status=STATUS (sent, deferred, bounced, expired) for recipients
# matching RCPT-REGEX.
e2e_log_count() {
	grep -E -c -- "postfix[-a-z0-9]*/[a-z]+\[[0-9]+\]: [0-9A-Za-z]+: to=<[^>]*(${3:-.})[^>]*>,.* status=$2" \
		"$(e2e_pf_log "$1")"
}

# e2e_wait_log_count NAME STATUS RCPT-REGEX N [SECONDS]: wait until
# e2e_log_count reaches N (maillog_file is written by postlogd, a little
# after the queue file moved).
e2e_wait_log_count() {
	local i n=$(( ${5:-20} * 10 ))
	for ((i = 0; i < n; i++)); do
		[ "$(e2e_log_count "$1" "$2" "$3")" -ge "$4" ] && return 0
		sleep 0.1
	done
	return 1
}

# e2e_log_lines NAME REGEX: maillog lines matching REGEX.
e2e_log_lines() { grep -E -- "$2" "$(e2e_pf_log "$1")"; }

# e2e_msgid_qid NAME TAG: the queue id Postfix gave Message-ID <TAG@e2e.test>.
e2e_msgid_qid() {
	sed -n -E "s/.*\/cleanup\[[0-9]+\]: ([0-9A-Za-z]+): message-id=<$2@e2e\.test>.*/\1/p" \
		"$(e2e_pf_log "$1")" | head -1
}

# e2e_once [ARGS]: one `retryd --once` pass; its log is appended to
# $E2E_DIR/retryd.log; prints its summary line; returns retryd's status.
e2e_once() {
	local rc
	echo "== once $(date +%T.%N)" >>"$E2E_DIR/retryd.log"
	"$E2E_RETRYD" -c "$E2E_POLICY" --once "$@" >>"$E2E_DIR/retryd.log" 2>&1
	rc=$?
	grep ' pass: scanned=' "$E2E_DIR/retryd.log" | tail -1
	return $rc
}

# e2e_retryd_start [ARGS]: retryd -f in the background, log appended to
# $E2E_DIR/retryd.log. Sets E2E_RETRYD_PID.
e2e_retryd_start() {
	echo "== start $(date +%T.%N)" >>"$E2E_DIR/retryd.log"
	E2E_LOG_OFF=$(wc -l <"$E2E_DIR/retryd.log")
	E2E_PFLOG_OFF=$(cat "$(e2e_pf_log "${E2E_PF_NAME:-mta}")" 2>/dev/null | wc -l)
	"$E2E_RETRYD" -c "$E2E_POLICY" -f "$@" >>"$E2E_DIR/retryd.log" 2>&1 &
	E2E_RETRYD_PID=$!
	lab_track "$E2E_RETRYD_PID"
}

# e2e_retryd_stop: SIGTERM, wait; sets and returns E2E_RETRYD_RC (its
# exit status). Not in a $(...): wait needs the parent shell.
e2e_retryd_stop() {
	kill -TERM "$E2E_RETRYD_PID" 2>/dev/null
	wait "$E2E_RETRYD_PID" 2>/dev/null
	E2E_RETRYD_RC=$?
	return $E2E_RETRYD_RC
}

# e2e_retryd_kill: SIGKILL now (a crash), wait.
e2e_retryd_kill() {
	kill -KILL "$E2E_RETRYD_PID" 2>/dev/null
	wait "$E2E_RETRYD_PID" 2>/dev/null
	echo "== killed $(date +%T.%N)" >>"$E2E_DIR/retryd.log"
	return 0
}

# e2e_kill_on REGEX [SECONDS] [maillog]: SIGKILL the foreground retryd
# as soon as its log (or, with "maillog", the Postfix maillog: what
# postsuper/postqueue did on its behalf) has, since its start, a line
# matching REGEX (tail -F, no polling gap). 0 when it was killed there, 1
# when the line never came (retryd is left running).
e2e_kill_on() {
	local file=$E2E_DIR/retryd.log off=$E2E_LOG_OFF
	if [ "${3:-}" = maillog ]; then
		file=$(e2e_pf_log "${E2E_PF_NAME:-mta}")
		off=$E2E_PFLOG_OFF
	fi
	if timeout "${2:-30}" grep -m1 -q -E -- "$1" \
		< <(tail -n +"$((off + 1))" -F -s 0.05 --pid="$E2E_RETRYD_PID" \
			"$file" 2>/dev/null); then
		e2e_retryd_kill
		return 0
	fi
	return 1
}

# e2e_passes_since_start: summary lines of the running retryd so far.
e2e_passes_since_start() {
	tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep -c ' pass: scanned='
}

# e2e_full_listings_since_start: summary lines of the running retryd
# that came from a full listing (an incremental pass says "scanned=N (log)").
e2e_full_listings_since_start() {
	tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" |
		grep ' pass: scanned=' | grep -c -v 'scanned=[0-9]* (log)'
}

# e2e_sum_since FIELD: FIELD summed over the running retryd's summaries.
e2e_sum_since() {
	tail -n +"$((E2E_LOG_OFF + 1))" "$E2E_DIR/retryd.log" | grep ' pass: scanned=' |
		sed -n -E "s/.*[ ,]$1=([0-9]+).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

# e2e_wait_pass [N] [SECONDS]: wait until the running retryd has logged N
# (default 1) summary lines since its start.
e2e_wait_pass() { e2e_wait_count "${2:-30}" "${1:-1}" e2e_passes_since_start; }

# e2e_summaries: every summary line retryd logged so far.
e2e_summaries() { grep ' pass: scanned=' "$E2E_DIR/retryd.log"; }

# e2e_sum FIELD: the sum of FIELD (e.g. delivered) over every summary.
e2e_sum() {
	e2e_summaries | sed -n -E "s/.*[ ,]$1=([0-9]+).*/\1/p" |
		awk '{ s += $1 } END { print s + 0 }'
}

# e2e_wait_log REGEX [SECONDS]: wait until retryd's log matches REGEX.
e2e_wait_log() { wait_for "${2:-20}" grep -E -q -- "$1" "$E2E_DIR/retryd.log"; }

# e2e_ctl ARGS...: retryctl with the scenario's policy.
e2e_ctl() { "$E2E_RETRYCTL" -c "$E2E_POLICY" "$@"; }

# e2e_pcpu PID: user+system seconds of PID and of its reaped children.
e2e_pcpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15 + $16 + $17) / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# e2e_tree_cpu PID: e2e_pcpu of PID and of its live children and
# grandchildren (retryd and its privileged helper, which runs the MTA's
# commands).
e2e_tree_cpu() {
	local p s=0 all
	all="$1 $(pgrep -d ' ' -P "$1") "
	for p in $(pgrep -P "$1"); do all="$all $(pgrep -d ' ' -P "$p")"; done
	for p in $all; do s=$(awk "BEGIN { print $s + $(e2e_pcpu "$p") }"); done
	echo "$s"
}

# e2e_asan_clean: 0 when retryd's log shows no sanitizer report.
e2e_asan_clean() {
	! grep -E -q 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		"$E2E_DIR/retryd.log" 2>/dev/null
}

# e2e_standard NAME FILTER: the usual scenario setup: lab with the
# independent resolver, policy, Postfix "mta" on mta1, sink.
e2e_standard() {
	e2e_init "$1" ind
	e2e_policy_write || { echo "Bail out! policy refused"; exit 1; }
	e2e_postfix_start mta 54 "$2" || { echo "Bail out! Postfix did not start"; exit 1; }
	e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }
}

# lib_exim_e2e.sh — the whole mission with Exim on the loopback lab
# (sourced, never run).
#
# Sourced by tests/e2e/exim_*.t and tests/bench/bench_incident_exim.sh
# after nothing else. It sources lib_e2e.sh (the DNS lab, the sink, the
# stale-cache and domain-gone helpers, summaries; see its header) and
# tests/lab/exim.sh (exim_ns, exim_cmd, exim_queue_ids, exim_frozen_ids),
# and adds, on the scenario's private net 127.$LAB_NET.0.0/16:
#
#   Exim instances (private spool and log under $E2E_DIR/exim-NAME), each
#   resolving through one lab resolver only: a private mount namespace
#   binds its resolv.conf on /etc/resolv.conf for every exim command and
#   for whatever runs them — retryd and retryctl included (exim -M routes
#   by DNS inside the plugin's command).
#     hook=yes  contrib/exim/exim4.conf.retryd applied: domainlist
#               retryd_watched = the file `retryctl export exim-domains`
#               wrote from $E2E_POLICY, fail_defer_domains =
#               +retryd_watched (plus $E2E_EXIM_EXTRA_WATCHED), and the
#               retry rule that keeps watched domains past give_up;
#     hook=no   a plain Exim: "Unrouteable address" bounces at once.
#   A retryd policy (mta = exim) pointing at instance "mta".
#
# Functions:
#   e2e_exim_ready               binaries and the lab Exim are there
#   e2e_exim_standard NAME       e2e_init NAME ind, policy, Exim "mta"
#                                (hook) on mta1, the sink
#   e2e_exim_policy_write [LINES...]  the policy ($E2E_POLICY)
#   e2e_exim_start NAME RESOLVER-SUFFIX HOOK(yes|no)
#   e2e_exim_use NAME            point exim.sh's EXIM_* at instance NAME
#   e2e_exim_submit NAME RCPT TAG [MODE]  one message, Message-ID
#                                <TAG@e2e.test>; MODE -odi (default:
#                                delivery tried at once) or -odq; prints id
#   e2e_exim_smtp_submit NAME COUNT TAG DOMAIN...  many in one -bs session
#                                (queued only, unless E2E_EXIM_SUBMIT_MODE),
#                                prints how many accepted
#   e2e_exim_count NAME KIND [RCPT-REGEX]  main log lines: KIND delivered
#                                (=>), bounced (**), deferred (==)
#   e2e_exim_wait_count NAME KIND RCPT-REGEX N [SECONDS]
#   e2e_exim_queue NAME / e2e_exim_frozen NAME   ids, sorted; *_count
#   e2e_exim_wait_queue NAME N [SECONDS]   until exactly N are queued
#   e2e_exim_msgid_ids NAME TAG-REGEX  Exim ids of <TAG@e2e.test> messages
#   e2e_exim_log NAME            the main log's path
#   e2e_exim_once [ARGS]         retryd --once in the namespace; prints
#                                its summary line
#   e2e_exim_retryd_start [ARGS] foreground retryd in the namespace (its
#                                PID is retryd's own: unshare and sh exec)
#   e2e_exim_kill_on REGEX [SECONDS] [mainlog]  SIGKILL retryd at a line
#   e2e_exim_ctl ARGS...         retryctl in the namespace
#
# Binaries: ASan ($RETRYD_ASAN_BUILD) unless E2E_OPT=1, as in lib_e2e.sh.

E2E_EXIM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_EXIM_LIB_DIR/lib_e2e.sh"
. "$E2E_EXIM_LIB_DIR/../lab/exim.sh"

E2E_EXIM_NAME=mta

# e2e_exim_ready: 0 when every binary and the lab Exim are there.
e2e_exim_ready() {
	e2e_bins
	[ -x "$E2E_RETRYD" ] && [ -x "$E2E_RETRYCTL" ] &&
		[ -f "$E2E_PLUGIN_DIR/exim.so" ] && exim_lab_available &&
		command -v smtp-sink >/dev/null && command -v nsd >/dev/null &&
		command -v unbound >/dev/null && getent passwd postfix >/dev/null
}

# e2e_exim_use NAME: exim.sh's EXIM_* variables for instance NAME.
e2e_exim_use() {
	EXIM_DIR=$E2E_DIR/exim-$1
	EXIM_CONF=$EXIM_DIR/exim.conf
	EXIM_SPOOL=$EXIM_DIR/spool
	EXIM_LOG=$EXIM_DIR/log/mainlog
	EXIM_RESOLV=$EXIM_DIR/resolv.conf
}
e2e_exim_log() { echo "$E2E_DIR/exim-$1/log/mainlog"; }

# e2e_exim_policy_write [LINES...]: the retryd policy for Exim "mta" in
# $E2E_POLICY (same timings, group and E2E_RECONCILE_EVERY as
# e2e_policy_write; E2E_EXIM_POLICY_EXIM: more lines of its [exim]
# section). Checked with retryd -t.
e2e_exim_policy_write() {
	E2E_POLICY=$E2E_DIR/retryd.ini
	E2E_STATE=$E2E_DIR/state
	mkdir -p "$E2E_STATE"
	{
		echo "[retryd]"
		echo "mta = exim"
		echo "plugin_dir = $E2E_PLUGIN_DIR"
		echo "state_dir = $E2E_STATE"
		echo "scan_interval = 1s"
		echo "reconcile_every = ${E2E_RECONCILE_EVERY:-10}"
		echo "host_id = e2e-exim-$LAB_NET"
		echo "[exim]"
		echo "binary = $EXIM_BIN"
		echo "config = $E2E_DIR/exim-$E2E_EXIM_NAME/exim.conf"
		echo "log_file = $E2E_DIR/exim-$E2E_EXIM_NAME/log/mainlog"
		[ -z "${E2E_EXIM_POLICY_EXIM:-}" ] || printf '%s\n' "$E2E_EXIM_POLICY_EXIM"
		echo "[resolvers]"
		echo "mta = $(dns_addr 54)"
		echo "independent = $(dns_addr 56)"
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
		echo "include = $LAB_ROOT/policy/classifier.ini"
		echo "[hooks]"
		echo "flush_resolver = $LAB_ROOT/contrib/flush-unbound -c $DNS_DIR/unbound-mta1/unbound.conf %r %d"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$E2E_POLICY"
	"$E2E_RETRYD" -c "$E2E_POLICY" -t >/dev/null
}

# e2e_exim_start NAME RESOLVER-SUFFIX HOOK: write and check Exim NAME's
# configuration (dnslookup through 127.$LAB_NET.0.RESOLVER-SUFFIX only;
# MX targets on 127/8 allowed, since the lab's MX host is the sink).
# HOOK=yes needs $E2E_POLICY written first. Exim runs no daemon: mail
# comes in by the command line and leaves only when a command delivers.
e2e_exim_start() {
	local name=$1 res=$2 hook=$3 fdd="" watched="" retry
	e2e_exim_use "$name"
	mkdir -p "$EXIM_SPOOL" "$EXIM_DIR/log"
	chown Debian-exim:Debian-exim "$EXIM_SPOOL" "$EXIM_DIR/log"
	chmod 750 "$EXIM_SPOOL" "$EXIM_DIR/log"
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$(dns_addr "$res")" \
		>"$EXIM_RESOLV"
	retry="*                   *   F,2h,15m; G,16h,1h,1.5; F,4d,6h"
	if [ "$hook" = yes ]; then
		# contrib/exim/exim4.conf.retryd, with the lab's paths
		"$E2E_RETRYCTL" -c "$E2E_POLICY" export exim-domains \
			-o "$EXIM_DIR/retryd-domains" || return 1
		watched="domainlist retryd_watched = $EXIM_DIR/retryd-domains"
		fdd="  fail_defer_domains = +retryd_watched${E2E_EXIM_EXTRA_WATCHED:+ : $E2E_EXIM_EXTRA_WATCHED}"
		retry="*@+retryd_watched   *   F,6d,15m
$retry"
	fi
	cat >"$EXIM_CONF" <<CONF
# generated by tests/e2e/lib_exim_e2e.sh for $LAB_NAME ($name, hook=$hook)
exim_path = $EXIM_BIN
spool_directory = $EXIM_SPOOL
log_file_path = $EXIM_DIR/log/%slog
primary_hostname = exim-$name.lab.test
qualify_domain = lab.test
keep_environment =
domainlist local_domains = lab.test
$watched
local_interfaces = 127.$LAB_NET.0.1
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
message_logs = true
log_selector = +received_recipients
split_spool_directory = false
acl_smtp_rcpt = lab_rcpt
# no queue runner ever starts here; keep Exim's own bounces of bounces
# frozen (the default), as in production
${E2E_EXIM_MAIN_EXTRA:-}

begin acl
lab_rcpt:
  accept

begin routers
dnslookup:
  driver = dnslookup
  domains = ! +local_domains
  transport = remote_smtp
  ignore_target_hosts =
$fdd
  no_more

begin transports
remote_smtp:
  driver = smtp
  port = 25
  hosts_avoid_tls = *
  allow_localhost
  connect_timeout = 5s

begin retry
$retry

begin rewrite
CONF
	exim_cmd -bV >/dev/null 2>&1 || { exim_cmd -bV >&2; return 1; }
	if [ "$hook" = yes ]; then
		[ "$(exim_cmd -be '${if match_domain{hotmail.test}{+retryd_watched}{yes}{no}}' 2>/dev/null)" = yes ] ||
			return 1
	fi
	return 0
}

# e2e_exim_submit NAME RCPT TAG [MODE]: one message to RCPT from
# $E2E_SENDER, Message-ID <TAG@e2e.test>; MODE -odi (default: Exim tries
# it at once, before this returns) or -odq. Prints the message id.
e2e_exim_submit() {
	local mode=${4:--odi} n
	e2e_exim_use "$1"
	n=$(grep -c ' <= ' "$EXIM_LOG" 2>/dev/null)
	printf 'From: <%s>\nTo: <%s>\nSubject: e2e %s\nMessage-ID: <%s@e2e.test>\n\n%s\n' \
		"$E2E_SENDER" "$2" "$3" "$3" "retryd e2e message $3" |
		exim_cmd "$mode" -oi -f "$E2E_SENDER" -- "$2" >/dev/null 2>&1 || return 1
	grep ' <= ' "$EXIM_LOG" | tail -n +"$((n + 1))" |
		grep -F " id=$3@e2e.test" | awk '{print $3}' | head -1
}

# e2e_exim_smtp_submit NAME COUNT TAG DOMAIN...: COUNT messages in one
# SMTP session on Exim's stdin (-bs, at most 1,000: Exim's
# smtp_accept_max_per_connection), queued only (-odq), recipient
# TAGNNNNN@DOMAIN (domains in turn), Message-ID <TAG-NNNNN@e2e.test>.
# E2E_EXIM_SUBMIT_MODE=-odb: each message's delivery starts at once in
# the background, as an Exim daemon does (set
# smtp_accept_queue_per_connection = 0 in E2E_EXIM_MAIN_EXTRA, or Exim
# only queues the messages after the 10th).
# Prints how many Exim accepted (250 after DATA).
e2e_exim_smtp_submit() {
	local name=$1 count=$2 tag=$3
	shift 3
	e2e_exim_use "$name"
	perl -e '
		my ($count, $tag, $from, @doms) = @ARGV;
		print "HELO e2e.test\r\n";
		for my $i (1 .. $count) {
			my $n = sprintf "%05d", $i;
			my $rcpt = "$tag$n\@" . $doms[($i - 1) % @doms];
			print "MAIL FROM:<$from>\r\nRCPT TO:<$rcpt>\r\nDATA\r\n",
			    "From: <$from>\r\nTo: <$rcpt>\r\nSubject: $tag $n\r\n",
			    "Message-ID: <$tag-$n\@e2e.test>\r\n\r\nretryd e2e\r\n.\r\n";
		}
		print "QUIT\r\n";
	' "$count" "$tag" "$E2E_SENDER" "$@" |
		exim_cmd "${E2E_EXIM_SUBMIT_MODE:--odq}" -bs 2>/dev/null | grep -c '^250 OK id='
}

# e2e_exim_count NAME KIND [RCPT-REGEX]: main log lines of Exim NAME for
# recipients matching RCPT-REGEX. KIND: delivered (=> and ->), bounced
# (**), deferred (==).
e2e_exim_count() {
	local flag
	case $2 in
	delivered) flag='(=>|->)' ;;
	bounced) flag='\*\*' ;;
	deferred) flag='==' ;;
	*) return 1 ;;
	esac
	grep -E -c -- "^[0-9-]+ [0-9:.]+ [0-9A-Za-z-]+ $flag [^ ]*(${3:-.})[^ ]* " \
		"$(e2e_exim_log "$1")"
}

# e2e_exim_wait_count NAME KIND RCPT-REGEX N [SECONDS]
e2e_exim_wait_count() {
	e2e_wait_count "${5:-20}" "$4" e2e_exim_count "$1" "$2" "$3"
}

# e2e_exim_queue NAME / e2e_exim_frozen NAME: ids, sorted, one a line.
e2e_exim_queue() { e2e_exim_use "$1"; exim_queue_ids | sort; }
e2e_exim_frozen() { e2e_exim_use "$1"; exim_frozen_ids | sort; }
e2e_exim_queue_count() { e2e_exim_queue "$1" | grep -c .; }
e2e_exim_frozen_count() { e2e_exim_frozen "$1" | grep -c .; }

# e2e_exim_wait_queue NAME N [SECONDS]: until exactly N are queued.
e2e_exim_wait_queue() {
	local i n=$(( ${3:-20} * 10 ))
	for ((i = 0; i < n; i++)); do
		[ "$(e2e_exim_queue_count "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# e2e_exim_msgid_ids NAME TAG-REGEX: Exim ids of the messages whose
# Message-ID matches <TAG-REGEX@e2e.test> (from the <= lines), sorted.
e2e_exim_msgid_ids() {
	grep -E " <= .* id=($2)@e2e\.test" "$(e2e_exim_log "$1")" |
		awk '{print $3}' | sort
}

# e2e_exim_ns CMD ARGS...: CMD in Exim "mta"'s namespace (its resolver).
e2e_exim_ns() { e2e_exim_use "$E2E_EXIM_NAME"; exim_ns "$@"; }

# e2e_exim_once [ARGS]: one `retryd --once` pass inside the namespace;
# log appended to $E2E_DIR/retryd.log; prints its summary line.
e2e_exim_once() {
	local rc
	echo "== once $(date +%T.%N)" >>"$E2E_DIR/retryd.log"
	e2e_exim_ns "$E2E_RETRYD" -c "$E2E_POLICY" --once "$@" >>"$E2E_DIR/retryd.log" 2>&1
	rc=$?
	grep ' pass: scanned=' "$E2E_DIR/retryd.log" | tail -1
	return $rc
}

# e2e_exim_retryd_start [ARGS]: retryd -f in the background, inside the
# namespace. unshare(1) without --fork and `exec` in sh keep one process:
# E2E_RETRYD_PID is retryd itself (kill -KILL reaches it). The
# e2e_retryd_stop / e2e_retryd_kill / e2e_wait_pass of lib_e2e.sh apply.
e2e_exim_retryd_start() {
	e2e_exim_use "$E2E_EXIM_NAME"
	echo "== start $(date +%T.%N)" >>"$E2E_DIR/retryd.log"
	E2E_LOG_OFF=$(wc -l <"$E2E_DIR/retryd.log")
	E2E_EXIMLOG_OFF=$(cat "$EXIM_LOG" 2>/dev/null | wc -l)
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$EXIM_RESOLV" "$E2E_RETRYD" -c "$E2E_POLICY" -f "$@" \
		>>"$E2E_DIR/retryd.log" 2>&1 &
	E2E_RETRYD_PID=$!
	lab_track "$E2E_RETRYD_PID"
}

# e2e_exim_kill_on REGEX [SECONDS] [mainlog]: as e2e_kill_on, with
# "mainlog" watching Exim "mta"'s main log (what exim -Mf/-M did for
# retryd) instead of retryd's log.
e2e_exim_kill_on() {
	local file=$E2E_DIR/retryd.log off=$E2E_LOG_OFF
	if [ "${3:-}" = mainlog ]; then
		file=$(e2e_exim_log "$E2E_EXIM_NAME")
		off=$E2E_EXIMLOG_OFF
	fi
	if timeout "${2:-30}" grep -m1 -q -E -- "$1" \
		< <(tail -n +"$((off + 1))" -F -s 0.05 --pid="$E2E_RETRYD_PID" \
			"$file" 2>/dev/null); then
		e2e_retryd_kill
		return 0
	fi
	return 1
}

# e2e_exim_ctl ARGS...: retryctl with the policy, inside the namespace
# (release runs exim).
e2e_exim_ctl() { e2e_exim_ns "$E2E_RETRYCTL" -c "$E2E_POLICY" "$@"; }

# e2e_exim_standard NAME: lab with the independent resolver, the policy,
# Exim "mta" (hook) on mta1, the sink.
e2e_exim_standard() {
	e2e_init "$1" ind
	e2e_exim_policy_write || { echo "Bail out! policy refused"; exit 1; }
	e2e_exim_start mta 54 yes || { echo "Bail out! Exim config refused"; exit 1; }
	e2e_sink_start || { echo "Bail out! smtp-sink did not start"; exit 1; }
}

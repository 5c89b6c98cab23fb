# postfix.sh — a private Postfix 3.7 for one lab scenario (sourced after lib.sh).
#
# postfix_lab_available     the Debian postfix package is installed.
# postfix_lab_init [DIR]    writes an instance under DIR (default
#                           $LAB_DIR/postfix): $PF_CONF/main.cf + master.cf
#                           (Debian's, without the smtpd listener and the
#                           pipe services), $PF_QUEUE, $PF_DATA, $PF_LOG.
#                           All mail is relayed to [$PF_SINK_ADDR]:25
#                           (127.$LAB_NET.0.25, set PF_RELAYHOST to change
#                           it, "" for DNS/MX routing); no local delivery.
#                           Retries are an hour apart, so nothing is retried
#                           behind a test's back. The chrooted smtp client
#                           reads $PF_QUEUE/etc/resolv.conf: nameserver
#                           $PF_NAMESERVER (default 127.$LAB_NET.0.54, the
#                           DNS lab's MTA resolver).
# postfix_conf KEY=VALUE... postconf -e on this instance (mtime back-dated).
# postfix_lab_start         starts it (postfix -c CONF start), waits for the
#                           master and for pickup/qmgr to answer.
# postfix_lab_stop          SIGTERM to the master (= postfix abort) + waits for the master pid to go.
#                           Registered with lab_on_exit by postfix_lab_start.
# postfix_submit SENDER RCPT...  one message through sendmail -C; prints its
#                           queue id (read back from the maillog).
# postfix_cmd PROG ARGS...  runs a Postfix command (postqueue, postsuper,
#                           postconf...) with -c $PF_CONF.
# postfix_queue_ids [QUEUE] ids in the queue (or in one of deferred, hold,
#                           active, incoming), one a line.
# postfix_count_status ST [ID...]  maillog lines with status=ST (for IDs).
# postfix_sink_start [DIR]  Postfix's smtp-sink on $PF_SINK_ADDR:25; with
#                           DIR each received message is dumped there
#                           (one file each, -d). Tracked with lab_track.
#
# Two instances run side by side (different LAB_NET, different dirs): the
# queue, data directory (master.lock), pid files, maillog and postlog socket
# all live under the instance's own directories; nothing is read from or
# written to /etc/postfix or /var/spool/postfix except Debian's read-only
# master.cf and the daemon programs. The postdrop group of the host is used
# for the maildrop queue (sendmail runs as root here anyway).

PF_MASTER_CF=${PF_MASTER_CF:-/etc/postfix/master.cf}
[ -f "$PF_MASTER_CF" ] || PF_MASTER_CF=/usr/share/postfix/master.cf.dist

postfix_lab_available() {
	command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || return 1
	[ -f "$PF_MASTER_CF" ] && getent passwd postfix >/dev/null &&
		getent group postdrop >/dev/null
}

# postfix_backdate: Postfix commands wait ~2 s when main.cf looks fresh.
postfix_backdate() { touch -d '-1 minute' "$PF_CONF/main.cf" "$PF_CONF/master.cf"; }

postfix_lab_init() {
	PF_DIR=${1:-$LAB_DIR/postfix}
	PF_CONF=$PF_DIR/conf
	PF_QUEUE=$PF_DIR/queue
	PF_DATA=$PF_DIR/data
	PF_LOG=$PF_DIR/maillog
	PF_SINK_ADDR=127.$LAB_NET.0.25
	PF_NAMESERVER=${PF_NAMESERVER:-127.$LAB_NET.0.54}
	local relay=${PF_RELAYHOST-[$PF_SINK_ADDR]:25}
	export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

	mkdir -p "$PF_CONF" "$PF_QUEUE/etc" "$PF_DATA"
	chmod 755 "$PF_DIR" "$PF_CONF" "$PF_QUEUE"
	chown postfix:postfix "$PF_DATA"
	chmod 700 "$PF_DATA"
	: >"$PF_LOG"
	chown postfix:postfix "$PF_LOG"
	cat >"$PF_CONF/main.cf" <<EOF
# retryd lab instance (tests/lab/postfix.sh), net 127.$LAB_NET
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-lab$LAB_NET
maillog_file = $PF_LOG
maillog_file_prefixes = $PF_DIR
myhostname = mta$LAB_NET.lab.test
mydomain = lab.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:5.1.1 no local delivery in the lab
inet_interfaces = loopback-only
inet_protocols = ipv4
relayhost = $relay
smtp_connect_timeout = 2s
smtp_helo_timeout = 5s
smtp_tls_security_level = none
smtputf8_enable = no
biff = no
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 3600s
maximal_queue_lifetime = 5d
bounce_queue_lifetime = 5d
delay_warning_time = 0
EOF
	# Debian's master.cf without the smtpd listener (we submit with
	# sendmail) and without the pipe services for users this box lacks.
	awk '
	/^[^ \t#]/ { skip = 0
		if (($1 == "smtp" && $2 == "inet") || $1 ~ /^(maildrop|uucp|ifmail|bsmtp|scalemail-backend|mailman)$/) skip = 1 }
	/^#/ { skip = 0 }
	!skip { print }' "$PF_MASTER_CF" >"$PF_CONF/master.cf"
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$PF_NAMESERVER" \
		>"$PF_QUEUE/etc/resolv.conf"
	local f
	for f in services hosts nsswitch.conf localtime host.conf; do
		[ -e /etc/$f ] && cp -L /etc/$f "$PF_QUEUE/etc/" 2>/dev/null
	done
	postfix_backdate
}

postfix_conf() {
	postconf -c "$PF_CONF" -e "$@" && postfix_backdate
}

postfix_cmd() {
	local prog=$1; shift
	"$prog" -c "$PF_CONF" "$@"
}

postfix_master_pid() {
	local p
	p=$(head -1 "$PF_QUEUE/pid/master.pid" 2>/dev/null | tr -d ' ')
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

postfix_lab_start() {
	postfix_backdate
	postfix -c "$PF_CONF" start >"$PF_DIR/start.out" 2>&1 || {
		diag "postfix start failed: $(tail -3 "$PF_DIR/start.out") $(tail -3 "$PF_LOG")"
		return 1
	}
	lab_on_exit postfix_lab_stop
	wait_for 10 postfix_master_pid || { diag "postfix master did not start"; return 1; }
	# ready: the queue manager, pickup and flush listen (Debian: sockets)
	local s
	for s in qmgr pickup flush showq; do
		wait_for 10 test -S "$PF_QUEUE/public/$s" -o -p "$PF_QUEUE/public/$s" ||
			{ diag "postfix: no public/$s"; return 1; }
	done
	PF_MASTER_PID=$(postfix_master_pid)
}

postfix_lab_stop() {
	local p
	p=$(postfix_master_pid) || return 0
	# what "postfix abort" does (SIGTERM to the master: children go at
	# once), without postfix-script's second of overhead
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	return 0
}

# postfix_submit SENDER RCPT...: queue one message, print its queue id.
postfix_submit() {
	local from=$1 tag id
	shift
	tag="lab-$$-$RANDOM$RANDOM"
	printf 'From: <%s>\nSubject: %s\nMessage-ID: <%s@lab.test>\n\nlab message\n' \
		"$from" "$tag" "$tag" |
		sendmail -C "$PF_CONF" -f "$from" -- "$@" || return 1
	for _ in $(seq 1 100); do
		id=$(grep -F "message-id=<$tag@lab.test>" "$PF_LOG" |
			sed -n 's/.*: \([0-9A-Za-z]*\): message-id=.*/\1/p' | head -1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.05
	done
	return 1
}

# postfix_queue_ids [QUEUE]
postfix_queue_ids() {
	if [ $# -gt 0 ]; then
		postqueue -c "$PF_CONF" -j | jq -r "select(.queue_name == \"$1\") | .queue_id"
	else
		postqueue -c "$PF_CONF" -j | jq -r '.queue_id'
	fi
}

# postfix_count_status STATUS [ID...]
postfix_count_status() {
	local st=$1 n=0 id
	shift
	if [ $# -eq 0 ]; then
		grep -c ", status=$st " "$PF_LOG"
		return 0
	fi
	for id in "$@"; do
		n=$((n + $(grep -c ": $id: to=<.*, status=$st " "$PF_LOG")))
	done
	echo $n
}

# postfix_sink_start [DIR]
postfix_sink_start() {
	if [ $# -gt 0 ]; then
		mkdir -p "$1"
		chown postfix "$1"
		smtp-sink -u postfix -d "$1/%H%M%S." "$PF_SINK_ADDR:25" 100 >/dev/null 2>&1 &
	else
		smtp-sink -u postfix "$PF_SINK_ADDR:25" 100 >/dev/null 2>&1 &
	fi
	PF_SINK_PID=$!
	lab_track $PF_SINK_PID
	wait_for 5 bash -c "exec 3<>/dev/tcp/$PF_SINK_ADDR/25"
}

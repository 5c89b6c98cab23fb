#!/bin/bash
# postfix_fill.sh — many REAL deferred messages in a Postfix queue, fast.
#
#   postfix_fill.sh CONF COUNT SENDER RCPT [TEMPLATES]
#
# The Postfix instance of config directory CONF runs and cannot deliver
# to RCPT (the lab's broken DNS + the status filter: deferred). Submits
# TEMPLATES real messages (default 16, at most COUNT) with sendmail,
# waits until Postfix has tried and deferred each (maillog
# "status=deferred", the file in deferred/ and its defer log in defer/),
# then multiplies them into COUNT deferred messages in all: the test tool
# postfix_clone copies each template's queue file and defer log under
# temporary names beside it, and `postsuper -s` (short queue ids, the
# default) or `postsuper -S` (enable_long_queue_ids = yes) renames every
# copy to the queue id of its own inode, as after restoring a queue from
# backup. The result is what Postfix itself would hold: `postqueue -j`
# lists COUNT messages, `postqueue -p` shows each one's deferral reason,
# and once the destination works Postfix delivers every copy
# (tests/e2e/postfix_fill.t checks all three).
#
# Checks before it returns: deferred/ holds COUNT more messages than
# before, no name is left to fix (no "#FIX"), and every name matches its
# inode (short ids: the hex after the 5 time digits; long ids: the base-51
# digits after the last 'z'). Prints one line: counts and timings.
# Exit 1 when anything fails.
#
# Limits: the copies keep their template's time part, so they share its
# hash directory (hash_queue_depth 1: COUNT/TEMPLATES files per directory
# in at most 16 of them; more templates spread them more); short ids are
# unique only by inode, like any short id; 16,000,000 copies per template
# at most. Each copy costs two inodes and two blocks (~8 KB on ext4 with
# 4 KB blocks). Run it while nothing scans the deferred queue (the
# lab's queue_run_delay is an hour; no `postqueue -f` meanwhile) and
# before retryd starts. Speed on this box: see the notes of issue 13.
#
# The tool: $POSTFIX_CLONE, else $RETRYD_ASAN_BUILD/tests/postfix_clone,
# else build/asan/tests/postfix_clone of this tree (make asan).
set -u
[ $# -ge 4 ] || { echo "usage: postfix_fill.sh CONF COUNT SENDER RCPT [TEMPLATES]" >&2; exit 2; }
CONF=$1 COUNT=$2 SENDER=$3 RCPT=$4 TEMPLATES=${5:-16}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLONE=${POSTFIX_CLONE:-${RETRYD_ASAN_BUILD:-$ROOT/build/asan}/tests/postfix_clone}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
fail() { echo "postfix_fill: $*" >&2; exit 1; }
[ -x "$CLONE" ] || fail "$CLONE missing (make asan)"
case $COUNT in '' | *[!0-9]*) fail "COUNT: a number" ;; esac
[ "$TEMPLATES" -gt "$COUNT" ] && TEMPLATES=$COUNT
QUEUE=$(postconf -c "$CONF" -h queue_directory) || fail "postconf -c $CONF"
LOG=$(postconf -c "$CONF" -h maillog_file)
[ -n "$LOG" ] && [ -f "$LOG" ] || fail "needs maillog_file (the deferrals are read there)"
LONG=$(postconf -c "$CONF" -h enable_long_queue_ids)
deferred_count() { find "$QUEUE/deferred" -type f | wc -l; }
now() { date +%s.%N; }
base=$(deferred_count)
t0=$(now)

# 1. TEMPLATES real messages, each tried and deferred by Postfix
declare -a ids=()
tag="fill-$$-$RANDOM"
for i in $(seq 1 "$TEMPLATES"); do
	printf 'From: <%s>\nTo: <%s>\nSubject: %s-%s\nMessage-ID: <%s-%s@fill.test>\n\npostfix_fill template %s\n' \
		"$SENDER" "$RCPT" "$tag" "$i" "$tag" "$i" "$i" |
		sendmail -C "$CONF" -f "$SENDER" -- "$RCPT" || fail "sendmail -C $CONF"
done
for _ in $(seq 1 1200); do
	mapfile -t ids < <(grep -F "message-id=<$tag-" "$LOG" | sed -n 's/.*: \([0-9A-Za-z]*\): message-id=.*/\1/p' | sort -u)
	[ "${#ids[@]}" -ge "$TEMPLATES" ] && break
	sleep 0.1
done
[ "${#ids[@]}" -eq "$TEMPLATES" ] || fail "${#ids[@]} of $TEMPLATES templates were queued (see $LOG)"
declare -a qf=() df=()
for id in "${ids[@]}"; do
	for _ in $(seq 1 1200); do
		if grep -q -E ": $id: to=<.*, status=deferred " "$LOG"; then
			q=$(find "$QUEUE/deferred" -type f -name "$id" -perm -u=x | head -n 1)
			d=$(find "$QUEUE/defer" -type f -name "$id" | head -n 1)
			[ -n "$q" ] && [ -n "$d" ] && break
		fi
		grep -q -E ": $id: to=<.*, status=(sent|bounced) " "$LOG" && fail "template $id was not deferred"
		q=
		sleep 0.1
	done
	[ -n "$q" ] || fail "template $id: not deferred in 120 s (see $LOG)"
	qf+=("$q") df+=("$d")
done
t1=$(now)

# 2. the copies, then Postfix names them
left=$((COUNT - TEMPLATES))
for i in "${!qf[@]}"; do
	n=$((left / TEMPLATES + (i < left % TEMPLATES ? 1 : 0)))
	"$CLONE" "${qf[$i]}" "${df[$i]}" "$n" || fail "postfix_clone ${qf[$i]}"
done
t2=$(now)
fix=-s
[ "$LONG" = yes ] && fix=-S
postsuper -c "$CONF" "$fix" || fail "postsuper $fix"
t3=$(now)

# 3. checks: the count, nothing left to fix, every name its inode
have=$(deferred_count)
[ "$have" -eq $((base + COUNT)) ] || fail "deferred/ holds $have messages, expected $((base + COUNT))"
bad=$(find "$QUEUE/deferred" "$QUEUE/defer" -type f -name '*#FIX' | wc -l)
[ "$bad" -eq 0 ] || fail "$bad names left with #FIX"
bad=$(find "$QUEUE/deferred" -type f -printf '%i %f\n' | awk -v long="$LONG" '
	BEGIN { a = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy" }
	{
		ino = $1; id = $2; v = 0
		if (long == "yes" && (z = match(id, /z[^z]*$/)) > 10) {
			s = substr(id, z + 1)
			for (i = 1; i <= length(s); i++) v = v * 51 + index(a, substr(s, i, 1)) - 1
		} else {
			s = substr(id, 6)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
		}
		if (v != ino) n++
	}
	END { print n + 0 }')
[ "$bad" -eq 0 ] || fail "$bad queue file names do not match their inode"
printf 'postfix_fill: %d deferred messages (%d submitted and deferred by Postfix in %.1f s, %d copies in %.1f s, postsuper %s %.1f s)\n' \
	"$COUNT" "$TEMPLATES" "$(awk "BEGIN { print $t1 - $t0 }")" "$left" \
	"$(awk "BEGIN { print $t2 - $t1 }")" "$fix" "$(awk "BEGIN { print $t3 - $t2 }")"

#!/bin/bash
# log_journal.t — the Postfix plugin reading outcomes from journal files
# (log_file = journal:DIR), end to end through plugin_drive and the real
# postfix.so: journal files are written by systemd-journal-remote from
# export-format input. The first open starts at the journal's end (the
# host, here plugin_drive, keeps the position: plugin ABI 4);
# sent, deferred and bounced lines come through with ids and recipients,
# another program's lookalike line does not; a second read returns
# nothing; a new journal file plus the old one vacuumed loses and
# duplicates nothing.
. "$(dirname "$0")/../lab/lib.sh"
DRIVE=$RETRYD_ASAN_BUILD/tests/plugin_drive
PLUGIN=$RETRYD_ASAN_BUILD/plugins/postfix.so
JR=/lib/systemd/systemd-journal-remote
for t in "$DRIVE" "$PLUGIN" "$JR"; do
	[ -x "$t" ] || skip_all "$t missing (make asan; tests/deps.sh)"
done
command -v postqueue >/dev/null || [ -x /usr/sbin/postqueue ] || skip_all "Postfix not installed"
command -v jq >/dev/null || skip_all "jq missing"
W=$(mktemp -d /tmp/log_journal_t.XXXXXX)
trap 'rm -rf "$W"' EXIT
J=$W/journal
STATE=$W/state
mkdir -p "$J" "$STATE"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
BOOT=4f1c0a6e2b8d4c3aa1e5f7b9c2d4e6f8
T=$(($(date +%s) * 1000000))

# entry IDENT MESSAGE: one export-format entry, one second after the last
entry() {
	T=$((T + 1000000))
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=%s\n_HOSTNAME=mx1\n_PID=4242\nSYSLOG_IDENTIFIER=%s\nMESSAGE=%s\n\n' \
		"$T" "$((T / 1000))" "$BOOT" "$1" "$2"
}
sent() { entry postfix/smtp "$1: to=<$2>, relay=x[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)"; }
deferred() { entry postfix/smtp "$1: to=<$2>, relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to x: Connection refused)"; }
bounced() { entry postfix/smtp "$1: to=<$2>, relay=x[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (550 5.1.1 no such user)"; }
# journal NAME: write $W/in.export's entries as journal file NAME (entries
# are written to it from this shell, not a pipe, so T keeps increasing)
journal() { "$JR" --output="$J/$1.journal" "$W/in.export" 2>/dev/null; }
drive() { "$DRIVE" --log-file "journal:$J" --state-dir "$STATE" "$PLUGIN" outcomes "$@"; }
rows() { printf '%s\n' "$1" | jq -r 'select(has("queue_id")) | "\(.queue_id) \(.address) \(.status)"' | sort | tr '\n' ' '; }

sent A0000000A1 old@ok.test >"$W/in.export"
journal j1
out=$(drive)
is "$(printf '%s\n' "$out" | jq -r 'select(has("outcomes")) | .outcomes')" 0 "first open: starts at the journal's end"
ok "$([ -s "$STATE/plugin_drive.pos" ]; echo $?)" "the host keeps the position (plugin_drive.pos)"
ok "$([ ! -e "$STATE/postfix-journal.cursor" ] && [ ! -e "$STATE/postfix-log.offset" ]; echo $?)" \
	"the plugin saves no position file of its own"

{
	sent A0000000B1 u1@ok.test
	deferred A0000000B2 u2@hotmail.test
	bounced A0000000B3 u3@gone.test
	entry sshd "A0000000B4: to=<evil@x.test>, relay=x, delay=1, delays=0, dsn=2.0.0, status=sent (fake)"
	entry postfix/qmgr "A0000000B1: removed"
} >"$W/in.export"
journal j2
out=$(drive A0000000B1 A0000000B2 A0000000B3 A0000000B4)
like "$(rows "$out")" "^A0000000B1 u1@ok.test delivered A0000000B2 u2@hotmail.test deferred A0000000B3 u3@gone.test bounced $" \
	"sent, deferred, bounced with ids and recipients; sshd's lookalike not read"
out=$(drive A0000000B1 A0000000B2 A0000000B3)
is "$(rows "$out")" "" "second read: nothing new"

# rotation: a new file, the old ones vacuumed before the read
{ sent A0000000C1 r1@ok.test; deferred A0000000C2 r2@ok.test; } >"$W/in.export"
journal j3
rm "$J/j1.journal" "$J/j2.journal"
out=$(drive A0000000B1 A0000000C1 A0000000C2)
is "$(rows "$out")" "A0000000C1 r1@ok.test delivered A0000000C2 r2@ok.test deferred " \
	"after rotation and vacuum: only the new entries, once"
out=$(drive A0000000C1 A0000000C2)
is "$(rows "$out")" "" "and not again"

done_testing

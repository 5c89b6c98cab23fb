#!/bin/bash
# preflight.t — retryd -c FILE --preflight checks what the policy points at (TAP).
#
# A fake exim (a script: -bpr prints an empty queue) and a tiny DNS
# responder (python3, UDP and TCP, on this scenario's 127.N.0.53:5353)
# make a host where everything works: exit 0. Then one fault at a time,
# each reported as FILE:LINE naming the key: a wrong plugin_dir (78), a
# missing log file (78), a hook that is not executable (78), a listing
# command that fails (69), a resolver that does not answer (69), TCP
# refused while UDP answers (69); a log file that does not advance (a
# message queued an hour after its last write: 69); log_file = journal:DIR
# with no MTA entry (69), and with one (written by systemd-journal-remote:
# ok); a resolver the canaries catch lying (this responder says the root
# has no SOA: NODATA for a name that must exist: 69).
. "$(dirname "$0")/../lab/lib.sh"

RETRYD=$RETRYD_ASAN_BUILD/retryd
[ -x "$RETRYD" ] || RETRYD=$RETRYD_BUILD/retryd
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
lab_init preflight
T=$LAB_DIR
DNS=127.$LAB_NET.0.53

# a DNS responder: any query gets its header back with QR set, NOERROR
cat >"$T/dns.py" <<'PYEOF'
import socket, sys, threading
addr, port, tcp = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "tcp"
def reply(q):
    return q[:2] + bytes([q[2] | 0x80, q[3] & 0xf0]) + q[4:]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, port))
def udp():
    while True:
        q, a = u.recvfrom(512); u.sendto(reply(q), a)
threading.Thread(target=udp, daemon=True).start()
if tcp:
    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port)); t.listen(8)
    while True:
        c, _ = t.accept(); c.settimeout(2)
        try:
            d = c.recv(514)
            if len(d) >= 14:
                r = reply(d[2:]); c.sendall(len(r).to_bytes(2, "big") + r)
        except OSError:
            pass
        c.close()
else:
    threading.Event().wait()
PYEOF
"$PY" "$T/dns.py" "$DNS" 5353 tcp &
lab_track $!
"$PY" "$T/dns.py" "$DNS" 5354 udp &
lab_track $!

mkdir -p "$T/spool"
printf '#!/bin/sh\ncase "$*" in *-bP*) echo "spool_directory = %s" ;; esac\nexit 0\n' "$T/spool" >"$T/exim"
printf '#!/bin/sh\ncase "$*" in *-bP*) echo "spool_directory = %s"; exit 0 ;; esac\necho "exim: spool unreadable" >&2\nexit 1\n' "$T/spool" >"$T/exim-broken"
printf '#!/bin/sh\nexit 0\n' >"$T/hook"
printf '#!/bin/sh\nexit 0\n' >"$T/hook-noexec"
chmod 755 "$T/exim" "$T/exim-broken" "$T/hook"
: >"$T/mainlog"
mkdir -p "$T/state"

# policy BINARY LOG HOOK RESOLVER PLUGIN_DIR [EXTRA-LINES]
policy() {
	cat >"$T/r.ini" <<INI
[retryd]
mta = exim
plugin_dir = $5
state_dir = $T/state
[exim]
binary = $1
log_file = $2
[resolvers]
mta = $4
independent = $DNS:5353
timeout = 1s
tcp = yes
[hooks]
flush_resolver = $3 %r %d
${6:-}
INI
}
PLUGINS=$(dirname "$RETRYD")/plugins
wait_for 20 bash -c "exec 3<>/dev/tcp/$DNS/5353" 2>/dev/null
ok $? "the test's DNS responder listens"

run() { out=$("$RETRYD" -c "$T/r.ini" --preflight 2>"$T/err"); rc=$?; err=$(cat "$T/err"); }

policy "$T/exim" "$T/mainlog" "$T/hook" "$DNS:5353" "$PLUGINS"
"$RETRYD" -c "$T/r.ini" -t >/dev/null; ok $? "the policy itself is valid"
run
is "$rc" 0 "everything in place: exit 0"; [ "$rc" = 0 ] || diag "$err"
like "$out" "exim plugin: queue listed, 0 messages" "says the plugin listed the queue"
like "$out" "resolver $DNS:5353 \(mta\) answers over UDP" "resolver answers over UDP"
like "$out" "resolver $DNS:5353 \(mta\) answers over TCP" "resolver answers over TCP"
like "$out" "preflight: ok" "preflight: ok"

policy "$T/exim" "$T/mainlog" "$T/hook" "$DNS:5353" "$T/no-plugins"
run
is "$rc" 78 "wrong plugin_dir: exit 78"
like "$err" "^$T/r.ini:3: \[retryd\] plugin_dir: " "... FILE:LINE names plugin_dir"

policy "$T/exim" "$T/no-mainlog" "$T/hook" "$DNS:5353" "$PLUGINS"
run
is "$rc" 78 "missing log file: exit 78"
like "$err" "$T/r.ini:7: \[exim\] log_file: $T/no-mainlog: No such file" "... FILE:LINE names log_file"

policy "$T/exim" "$T/mainlog" "$T/hook-noexec" "$DNS:5353" "$PLUGINS"
run
is "$rc" 78 "hook not executable: exit 78"
like "$err" "$T/r.ini:14: \[hooks\] flush_resolver: $T/hook-noexec: not executable" "... FILE:LINE names the hook"

policy "$T/exim-broken" "$T/mainlog" "$T/hook" "$DNS:5353" "$PLUGINS"
run
is "$rc" 69 "listing command fails: exit 69"
like "$err" "$T/r.ini:6: \[exim\] binary: the MTA's queue listing failed" "... FILE:LINE names binary"

policy "$T/exim" "$T/mainlog" "$T/hook" "127.$LAB_NET.0.99:5353" "$PLUGINS"
run
is "$rc" 69 "silent resolver: exit 69"
like "$err" "$T/r.ini:9: \[resolvers\] mta: 127.$LAB_NET.0.99:5353 over UDP: no answer" "... names the resolver and UDP"

policy "$T/exim" "$T/mainlog" "$T/hook" "$DNS:5354" "$PLUGINS"
run
is "$rc" 69 "UDP answers, TCP refused: exit 69"
like "$err" "$DNS:5354 over TCP: Connection refused" "... names TCP"
if printf '%s' "$err" | grep -q "5354 over UDP"; then ok 1 "... and not UDP"; else ok 0 "... and not UDP"; fi

# the log does not advance: a message arrived an hour after its last write
ID=$("$PY" -c '
import time
a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def b62(n, w):
    s = ""
    for _ in range(w):
        s = a[n % 62] + s; n //= 62
    return s
print(b62(int(time.time()), 6) + "-" + b62(4242, 6) + "-" + b62(1, 2))')
printf '#!/bin/sh\ncase "$*" in *-bP*) echo "spool_directory = %s"; exit 0 ;; esac\nprintf " 0m   288 %s <a@lab.test>\\n          b@lab.test\\n\\n"\n' \
	"$T/spool" "$ID" >"$T/exim-one"
chmod 755 "$T/exim-one"
touch -d '-1 hour' "$T/mainlog"
policy "$T/exim-one" "$T/mainlog" "$T/hook" "$DNS:5353" "$PLUGINS"
run
like "$out" "exim plugin: queue listed, 1 messages" "a queue of one message, arrived now"
is "$rc" 69 "log file not advancing: exit 69"
like "$err" "$T/r.ini:7: \[exim\] log_file: $T/mainlog is not advancing: last written 36[0-9][0-9]s ago" \
	"... FILE:LINE names log_file, says since when"
touch "$T/mainlog"
run
is "$rc" 0 "written after the arrival: exit 0"
like "$out" "log_file $T/mainlog last written [0-9]+s ago, after the newest arrival: advancing" "... says it advances"

# log_file = journal:DIR
mkdir -p "$T/journal"
policy "$T/exim" "journal:$T/journal" "$T/hook" "$DNS:5353" "$PLUGINS"
"$RETRYD" -c "$T/r.ini" -t >/dev/null; ok $? "log_file = journal:DIR is a valid policy"
run
is "$rc" 69 "journal without an entry from exim: exit 69"
like "$err" "$T/r.ini:7: \[exim\] log_file: the journal in $T/journal has no entry from exim" "... FILE:LINE, says what is missing"
JR=/lib/systemd/systemd-journal-remote
if [ -x "$JR" ]; then
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=1000\n_BOOT_ID=4f1c0a6e2b8d4c3aa1e5f7b9c2d4e6f8\n_HOSTNAME=mx1\nSYSLOG_IDENTIFIER=exim\nMESSAGE=%s\n\n' \
		"$(($(date +%s) * 1000000))" "1xXVIy-0002DP-12 Completed" >"$T/in.export"
	"$JR" --output="$T/journal/x.journal" "$T/in.export" 2>/dev/null
	run
	is "$rc" 0 "journal with a fresh exim entry: exit 0"; [ "$rc" = 0 ] || diag "$err"
	like "$out" "log_file journal:$T/journal readable" "... says it reads the journal"
else
	ok 0 "# SKIP systemd-journal-remote missing (tests/deps.sh)"
	ok 0 "# SKIP systemd-journal-remote missing (tests/deps.sh)"
fi
is "$(ls -A "$T/state" | wc -l)" 0 "preflight wrote nothing in state_dir (no log cursor, no journal cursor)"
policy "$T/exim" "journal:rel" "$T/hook" "$DNS:5353" "$PLUGINS"
"$RETRYD" -c "$T/r.ini" -t >/dev/null 2>"$T/err"
is "$?" 78 "journal:DIR with a relative DIR: refused (78)"

# Postfix with a config_dir that does not exist: postqueue -j fails
if command -v postqueue >/dev/null; then
	cat >"$T/pf.ini" <<INI
[retryd]
mta = postfix
plugin_dir = $PLUGINS
state_dir = $T/state
[postfix]
config_dir = $T/no-postfix
log_file = $T/mainlog
[resolvers]
mta = $DNS:5353
independent = $DNS:5353
timeout = 1s
INI
	"$RETRYD" -c "$T/pf.ini" --preflight >/dev/null 2>"$T/err"; rc=$?
	is "$rc" 69 "postfix: postqueue fails on a missing config_dir: exit 69"
	like "$(cat "$T/err")" "^$T/pf.ini:6: \[postfix\] config_dir: the MTA's queue listing failed: incomplete listing\$" \
		"... FILE:LINE names config_dir, says why (no stale text)"
else
	ok 0 "# SKIP postfix missing"
	ok 0 "# SKIP postfix missing"
fi

# the canaries: this responder answers NOERROR with no record, even for
# the root's SOA: a resolver that lies about a name that must exist
policy "$T/exim" "$T/mainlog" "$T/hook" "$DNS:5353" "$PLUGINS" "[group g]
domains = example.test"
run
is "$rc" 69 "canaries catch the resolver lying: exit 69"
like "$err" "$T/r.ini:9: \[resolvers\] mta: $DNS:5353: the DNS path is intercepted or filtered \(canaries\)" \
	"... FILE:LINE names the resolver and says intercepted"
like "$out" "canaries asked with example.test" "... says which domain the canaries were asked with"
done_testing

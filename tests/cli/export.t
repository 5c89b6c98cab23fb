#!/bin/bash
# export.t — retryctl export against the real consumers of its output.
#
# The Postfix status filter generated from a test policy is queried with
# Postfix's own `postmap -q ... regexp:FILE`, with the exact texts smtp(8)
# writes: a watched domain, a subdomain, a "name.*" pattern (co.uk), an
# MX host under an mx glob become 4.4.4; an unwatched domain, a lookalike
# (nothotmail.test, hotmail.attacker.example), the null-MX text (5.1.0)
# and a mailbox error stay untouched (postmap prints nothing). The
# suppressed table is built with real `postmap hash:` and queried
# (address, upper case, unknown address, a key without a local part that
# must not be there). With the lab's Exim: the exim-domains list file and
# the --inline form through match_domain, contrib's retry rule through
# -brt, the lsearch file through a lookup. CSV and JSON checked field by field; -o leaves no temp file and
# a failed -o keeps the old file.
. "$(dirname "$0")/../lab/lib.sh"
CTL=$RETRYD_ASAN_BUILD/retryctl
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
EXIM=${EXIM_LAB_ROOT:-/opt/retryd-lab/exim}/usr/sbin/exim4
[ -x "$CTL" ] && [ -x "$SEED" ] ||
	skip_all "retryctl or store_seed not built (make asan)"
command -v postmap >/dev/null || skip_all "postfix (postmap) missing"
command -v jq >/dev/null || skip_all "jq missing"
lab_init export

P=$LAB_DIR/retryd.ini
cat >"$P" <<EOF
[retryd]
mta = postfix
state_dir = $LAB_DIR/state
host_id = mx-test-1

[resolvers]
mta = 127.$LAB_NET.0.54
independent = 127.$LAB_NET.0.55

[group microsoft]
domains = hotmail.test, outlook.test, hotmail.*
mx = *.olc.protection.outlook.test

[group other]
domains = live.test
EOF
C() { "$CTL" -c "$P" "$@"; }
# An empty main.cf: postmap needs a config directory, not the host's.
mkdir "$LAB_DIR/pf" && : >"$LAB_DIR/pf/main.cf"
PQ() { postmap -c "$LAB_DIR/pf" -q "$1" "$2" 2>&1; }
NSE="Host or domain name not found. Name service error for name"

# ---- postfix-filter ----
F=$LAB_DIR/retryd_status_filter
C export postfix-filter -o "$F"
is "$?" 0 "export postfix-filter -o: exit 0"
ok "$(ls "$LAB_DIR" | grep -c '\.tmp\.' | grep -qx 0; echo $?)" "no temp file left beside the filter"
like "$(head -n 8 "$F")" "smtp_delivery_status_filter = regexp:" "main.cf line in the header comment"
is "$(grep -c '^/' "$F")" 5 "one rule per watched name (3 domains, 1 mx glob, 1 in group other)"

filt() { # filt NAME TYPE TAIL
	PQ "5.4.4 $NSE=$1 type=$2: $3" "regexp:$F"
}
is "$(filt hotmail.test A 'Host found but no data record of requested type')" \
	"4.4.4 $NSE=hotmail.test type=A: Host found but no data record of requested type" \
	"watched domain, stale NODATA text: 5.4.4 becomes 4.4.4"
is "$(filt hotmail.test MX 'Host not found')" \
	"4.4.4 $NSE=hotmail.test type=MX: Host not found" "watched domain, MX lookup: 4.4.4"
is "$(filt mx1.sub.outlook.test AAAA 'Host not found')" \
	"4.4.4 $NSE=mx1.sub.outlook.test type=AAAA: Host not found" "subdomain of a watched domain: 4.4.4"
is "$(filt hotmail.co.uk A 'Host not found')" \
	"4.4.4 $NSE=hotmail.co.uk type=A: Host not found" "hotmail.* pattern (co.uk): 4.4.4"
is "$(filt mail.hotmail.de A 'Host not found')" \
	"4.4.4 $NSE=mail.hotmail.de type=A: Host not found" "hotmail.* pattern, subdomain: 4.4.4"
is "$(filt hotmail-test.olc.protection.outlook.test A 'Host not found')" \
	"4.4.4 $NSE=hotmail-test.olc.protection.outlook.test type=A: Host not found" \
	"MX host under a group's mx glob: 4.4.4"
is "$(filt live.test A 'Host not found')" "4.4.4 $NSE=live.test type=A: Host not found" \
	"a second group's domain: 4.4.4"
is "$(filt example.test A 'Host found but no data record of requested type')" "" \
	"unwatched domain: untouched (no match)"
is "$(filt nothotmail.test A 'Host not found')" "" "lookalike nothotmail.test: untouched"
is "$(filt hotmail.attacker.example A 'Host not found')" "" \
	"hotmail.attacker.example (not a public suffix): untouched"
is "$(PQ '5.1.0 Domain hotmail.test does not accept mail (nullMX)' "regexp:$F")" "" \
	"null MX (5.1.0) text: untouched, still bounces"
is "$(PQ '5.1.1 host mx1.hotmail.test[127.0.0.1] said: 550 5.1.1 unknown user' "regexp:$F")" "" \
	"mailbox error: untouched"
is "$(PQ "4.4.4 $NSE=hotmail.test type=A: Host not found" "regexp:$F")" "" \
	"already 4.4.4: untouched"

# The same table from stdout is byte-identical (generator, not file I/O).
is "$(C export postfix-filter | md5sum)" "$(md5sum <"$F")" "stdout and -o give the same filter"

# ---- exim-domains ----
C export exim-domains -o "$LAB_DIR/domains"
is "$?" 0 "export exim-domains -o: exit 0"
is "$(grep -v '^#' "$LAB_DIR/domains" | head -n 2 | tr '\n' ' ')" "hotmail.test *.hotmail.test " \
	"exact domain and its subdomains as list items"
inl=$(C export exim-domains --inline | grep '^fail_defer_domains')
like "$inl" '^fail_defer_domains = hotmail\.test : \*\.hotmail\.test : ' "--inline: one config line"
like "$inl" '\\N\^.*\$\\N' "--inline: the regex item protected with \\N...\\N"

# ---- suppressed ----
"$SEED" "$LAB_DIR/state" <<'EOF'
suppressed address=alice@hotmail.test time=now-2h reason="mailbox-unknown x3 over 26h while DNS healthy" evidence="5.1.1 x3"
suppressed address=bob@outlook.test time=now-1h reason="mailbox-disabled, %22closed%22 x3"
suppressed address=nolocal.test time=now-1h reason="a key without a local part"
EOF
is "$?" 0 "seeded 3 suppressed records"
T=$LAB_DIR/retryd_suppressed
err=$(C export suppressed --format postfix -o "$T" 2>&1 >/dev/null); rc=$?
is "$rc" 0 "export suppressed --format postfix: exit 0"
like "$err" "1 address\(es\) skipped" "the key without a local part is skipped, and said so"
like "$(head -n 4 "$T")" "postmap hash:" "the postmap step is in the header"
postmap -c "$LAB_DIR/pf" "hash:$T"
is "$?" 0 "real postmap builds the hash table"
is "$(PQ alice@hotmail.test "hash:$T")" \
	"REJECT 5.1.1 recipient suppressed by retryd: mailbox-unknown x3 over 26h while DNS healthy" \
	"postmap -q: a suppressed address is rejected with 5.1.1 and the reason"
is "$(PQ ALICE@Hotmail.TEST "hash:$T")" \
	"REJECT 5.1.1 recipient suppressed by retryd: mailbox-unknown x3 over 26h while DNS healthy" \
	"postmap -q: case does not matter"
is "$(PQ carol@hotmail.test "hash:$T")" "" "postmap -q: an address not suppressed: no match"
is "$(PQ nolocal.test "hash:$T")" "" "no domain-wide key was written"
is "$(C export suppressed 2>/dev/null | grep -v '^#')" "$(grep -v '^#' "$T")" \
	"default format is the policy's mta (postfix)"

TT=$LAB_DIR/retryd_transport
C export suppressed --format postfix-transport -o "$TT" 2>/dev/null
is "$?" 0 "export suppressed --format postfix-transport: exit 0"
postmap -c "$LAB_DIR/pf" "hash:$TT"
is "$?" 0 "real postmap builds the transport table"
is "$(PQ alice@hotmail.test "hash:$TT")" \
	"error:5.1.1 recipient suppressed by retryd: mailbox-unknown x3 over 26h while DNS healthy" \
	"transport table: a suppressed address goes to error:5.1.1 (local submissions too)"
is "$(PQ carol@hotmail.test "hash:$TT")" "" "transport table: an address not suppressed: no match"
like "$(head -n 6 "$TT")" "transport_maps = hash:/etc/postfix/retryd_transport" "the postconf step is in the header"

csv=$(C export suppressed --format csv 2>/dev/null)
is "$(printf '%s' "$csv" | head -n 1)" $'address,since,reason\r' "CSV header, CRLF"
like "$csv" $'bob@outlook.test,[0-9T:-]+Z,"mailbox-disabled, ""closed"" x3"\r' \
	"CSV: RFC 4180 quoting of comma and quotes"
is "$(printf '%s' "$csv" | grep -c $'\r$')" 4 "CSV: header + 3 records (CSV keeps every address)"

json=$(C export suppressed --format json 2>/dev/null)
is "$(jq -r 'length' <<<"$json")" 3 "JSON: 3 records"
is "$(jq -r '.[0].address + "|" + .[0].reason + "|" + .[0].evidence' <<<"$json")" \
	"alice@hotmail.test|mailbox-unknown x3 over 26h while DNS healthy|5.1.1 x3" "JSON: fields"
like "$(jq -r '.[0].since' <<<"$json")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "JSON: since is ISO 8601 UTC"

# ---- -o keeps the old file on failure; bad usage ----
cp "$T" "$LAB_DIR/keep"
C export suppressed --format nosuch -o "$T" 2>/dev/null
is "$?" 2 "unknown format: exit 2"
is "$(md5sum <"$T")" "$(md5sum <"$LAB_DIR/keep")" "the old table is untouched"
C export suppressed -o "$LAB_DIR/no/such/dir/t" 2>/dev/null
is "$?" 1 "-o into a missing directory: exit 1"
C export 2>/dev/null; is "$?" 2 "export without a kind: exit 2"
C export exim-domains --format csv 2>/dev/null; is "$?" 2 "--format only for suppressed: exit 2"

# ---- the lab's Exim reads what we wrote ----
if [ -x "$EXIM" ] && getent passwd Debian-exim >/dev/null; then
	C export suppressed --format exim -o "$LAB_DIR/exim-suppressed" 2>/dev/null
	mkdir -p "$LAB_DIR/spool" && chown Debian-exim "$LAB_DIR/spool" "$LAB_DIR"
	cat >"$LAB_DIR/exim.conf" <<EOF
exim_path = $EXIM
spool_directory = $LAB_DIR/spool
log_file_path = $LAB_DIR/%slog
primary_hostname = export.test
keep_environment =
domainlist watched = $LAB_DIR/domains
domainlist inline = ${inl#fail_defer_domains = }
domainlist retryd_watched = $LAB_DIR/domains
begin retry
$(grep '^\*@+retryd_watched' "$(dirname "$0")/../../contrib/exim/exim4.conf.retryd")
*                   *   F,2h,15m; G,16h,1h,1.5; F,4d,6h
EOF
	X() { "$EXIM" -C "$LAB_DIR/exim.conf" -be "$1" 2>/dev/null | grep -v 'purging\|keep_environment\|privilege'; }
	for d in hotmail.test sub.hotmail.test hotmail.co.uk mail.hotmail.co.uk live.test; do
		is "$(X "\${if match_domain{$d}{+watched}{yes}{no}}")" yes "exim list file: $d is watched"
		is "$(X "\${if match_domain{$d}{+inline}{yes}{no}}")" yes "exim --inline list: $d is watched"
	done
	for d in nothotmail.test example.test hotmail.attacker.example; do
		is "$(X "\${if match_domain{$d}{+watched}{yes}{no}}")" no "exim list file: $d is not watched"
	done
	is "$("$EXIM" -C "$LAB_DIR/exim.conf" -brt hotmail.co.uk 2>/dev/null | grep '^Retry rule')" \
		"Retry rule: *@+retryd_watched  *  F,6d,15m; " "contrib retry rule covers a watched domain"
	is "$("$EXIM" -C "$LAB_DIR/exim.conf" -brt example.test 2>/dev/null | grep '^Retry rule')" \
		"Retry rule: *  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h; " "and not an unwatched one"
	is "$(X "\${lookup{alice@hotmail.test}lsearch{$LAB_DIR/exim-suppressed}}")" \
		"mailbox-unknown x3 over 26h while DNS healthy" "exim lsearch finds a suppressed address"
	is "$(X "\${lookup{carol@hotmail.test}lsearch{$LAB_DIR/exim-suppressed}{found}{none}}")" none \
		"exim lsearch: an address not suppressed is not found"
else
	diag "lab Exim not installed (tests/lab/exim-install.sh): Exim checks skipped"
fi

done_testing

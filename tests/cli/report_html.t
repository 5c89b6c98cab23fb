#!/bin/bash
# report_html.t — the proof report as a page, rendered in a real headless
# Chromium.
#
# Four incidents (tests/cli/report_incident.py: a stale negative cache on
# the MTA's resolver, one bad node of the MTA's resolver pool, a DNS
# outage, propagation between independent resolvers) are stored as the
# daemon stores verifications (verification_seed), with domain records,
# held messages and evidence (store_seed). Each domain's page is checked
# as written; the group's page is rendered by Chromium (--dump-dom,
# --screenshot, console logging on stderr): no console error, nothing loaded from elsewhere, the
# summary's four questions, the three legends, one timeline per domain
# with the verdict band, the duration shading and one lane per resolver
# coloured by answer, the activity and host charts, the proof folded in
# <details>; the screenshot shows the lane colours (structure, not
# pixels). Then 10,000 verifications across 20 domains: the page stays
# under 1 MB (lanes are runs, not one row per query) and still renders.
. "$(dirname "$0")/../lab/lib.sh"
CTL=$RETRYD_ASAN_BUILD/retryctl
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
VSEED=$RETRYD_ASAN_BUILD/tests/verification_seed
HERE=$(cd "$(dirname "$0")" && pwd)
for t in "$CTL" "$SEED" "$VSEED"; do
	[ -x "$t" ] || skip_all "$t not built (make asan)"
done
CHROME=$(command -v chromium || true)
[ -n "$CHROME" ] || skip_all "chromium missing (tests/deps.sh installs it)"
lab_init report_html

P=$LAB_DIR/retryd.ini
S=$LAB_DIR/state
cat >"$P" <<EOF
[retryd]
mta = postfix
state_dir = $S
host_id = mx-out-1

[resolvers]
mta = 127.0.0.54, 127.0.0.55
independent = 127.0.0.56, 127.0.0.57

[group microsoft]
domains = hotmail.test, outlook.test, live.test, msn.test, microsoft.test
EOF
C() { "$CTL" -c "$P" "$@"; }
# The probe's flags: no background networking on this closed network.
chrome() {
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$LAB_DIR/chrome-profile" "$@"
}
# render PAGE: DOM facts to PAGE.facts, console lines to PAGE.console
render() {
	chrome --enable-logging=stderr --v=0 --dump-dom "file://$1" \
		>"$1.dom" 2>"$1.log"
	grep -E 'CONSOLE|Uncaught' "$1.log" >"$1.console"
	python3 "$HERE/report_page.py" dom "$1.dom" >"$1.facts"
}
# F PAGE KEY: the value of one DOM fact ("" when absent)
F() { awk -v k="$2" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' "$1.facts"; }

# ---- the console detector can fail ----
printf '<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>\n' >"$LAB_DIR/bad.html"
render "$LAB_DIR/bad.html"
like "$(cat "$LAB_DIR/bad.html.console")" 'boom' "a page with a console error is caught"

# ---- the incidents ----
NOW=$(date +%s)
for i in stale-cache pool-node outage propagation; do
	python3 "$HERE/report_incident.py" $i "$NOW"
done | "$VSEED" "$S"
is "$?" 0 "four incidents stored as verifications"
"$SEED" "$S" <<'EOF'
domain domain=hotmail.test verdict=healthy last_healthy=now last_verified=now last_mx=mx1.hotmail.test
domain domain=outlook.test verdict=local-path first_failing=now-5h last_healthy=now-6h last_verified=now last_mx=mx1.outlook.test
domain domain=live.test verdict=healthy last_healthy=now last_verified=now last_mx=mx1.live.test
domain domain=msn.test verdict=healthy last_healthy=now last_verified=now last_mx=mx1.msn.test
message id=AB12C3 group=microsoft first_failure=now-5h adopted_at=now-5h attempts=2 verdict=local-path reason="no mail hosts" rcpt=alice@outlook.test rcpt=bob@outlook.test
message id=DE45F6 group=microsoft first_failure=now-3h adopted_at=now-3h state=done last_attempt=now-50m attempts=1 rcpt=carol@hotmail.test
message id=AA0001 group=microsoft first_failure=now-80m adopted_at=now-80m state=done last_attempt=now-30m attempts=1 rcpt=dan@live.test
evidence address=alice@outlook.test time=now-2h id=AB12C3 host=mx-out-1 verdict=local-path outcome=deferred dsn=4.4.4
evidence address=alice@outlook.test time=now-1h id=AB12C3 host=mx-out-2 verdict=local-path outcome=deferred dsn=4.4.4
evidence address=carol@hotmail.test time=now-50m id=DE45F6 host=mx-out-1 verdict=healthy outcome=delivered dsn=2.0.0
evidence address=dan@live.test time=now-30m id=AA0001 host=mx-out-2 verdict=healthy outcome=delivered dsn=2.0.0
EOF
is "$?" 0 "domains, messages and evidence seeded"

# domain, lanes (mta independent authoritative), the failing colour
for spec in "hotmail.test 1 1 1 a-negative" "outlook.test 2 1 1 a-negative" \
	"live.test 1 1 1 a-transient" "msn.test 1 2 1 a-negative"; do
	set -- $spec
	d=$1
	pg=$LAB_DIR/$d.html
	C report --domain "$d" --format html >"$pg"
	is "$?" 0 "$d: report --format html"
	python3 "$HERE/report_page.py" dom "$pg" >"$pg.facts"
	is "$(grep -c '^external' "$pg.facts")" 0 "$d: no script, link, image, src, href"
	is "$(F "$pg" timelines)" 1 "$d: one timeline"
	is "$(F "$pg" "band $d")" 1 "$d: the verdict band"
	is "$(F "$pg" "lanes $d mta") $(F "$pg" "lanes $d independent") $(F "$pg" "lanes $d authoritative")" \
		"$2 $3 $4" "$d: one lane per resolver ($2 MTA, $3 independent, $4 authoritative)"
	ok "$([ "$(F "$pg" "runs $d a-usable")" -ge 1 ] && [ "$(F "$pg" "runs $d $5")" -ge 1 ]; echo $?)" \
		"$d: lanes coloured usable and $5"
	is "$(grep -c '^legend' "$pg.facts")" 3 "$d: legends for answers, verdicts, durations"
	is "$(grep -c '^question' "$pg.facts")" 4 "$d: the summary answers four questions"
	is "$(grep -c '^details proof-' "$pg.facts")" 6 "$d: six folded proof tables"
done
pg=$LAB_DIR/outlook.test.html
ok "$([ "$(F "$pg" "shade outlook.test d3")" -ge 1 ] && [ "$(F "$pg" "shade outlook.test d1")" -ge 1 ]; echo $?)" \
	"outlook.test (5 h): shaded <1 h, 1-4 h and >4 h"
like "$(cat "$pg")" 'neg ttl 900' "outlook.test: the bad node's negative TTL is written on its lane"
like "$(cat "$pg")" 'Only at the MTA&#39;s resolver: node 127.0.0.55:53 \(60 of 72 answers failed\)' \
	"outlook.test: where = the one pool node"
like "$(cat "$pg")" 'AB12C3' "outlook.test: the queue id is in the proof"
like "$(cat "$LAB_DIR/live.test.html")" 'Beyond the local path' "live.test outage: beyond the local path"
ok "$([ "$(F "$pg" swatches)" -ge 16 ]; echo $?)" "every answer class, verdict and duration has a swatch"

# ---- the group page, screenshot ----
pg=$LAB_DIR/group.html
C report --group microsoft --format html >"$pg"
render "$pg"
is "$(wc -l <"$pg.console")" 0 "group: no console message"
is "$(F "$pg" timelines)" 4 "group: four timelines"
for spec in "hotmail.test 3 a-negative" "outlook.test 4 a-negative" \
	"live.test 3 a-transient" "msn.test 4 a-negative"; do
	set -- $spec
	is "$(F "$pg" "lanes $1") $(F "$pg" "band $1")" "$2 1" "group, rendered: $1 has its band and $2 lanes"
	ok "$([ "$(F "$pg" "runs $1 $3")" -ge 1 ]; echo $?)" "group, rendered: $1 shows $3"
done
is "$(F "$pg" "chart activity") $(F "$pg" "chart hosts") $(F "$pg" held-area)" "1 1 1" \
	"group: held/attempts chart and attempts by sending host"
chrome --screenshot="$LAB_DIR/group.png" --window-size=1000,1700 "file://$pg" >/dev/null 2>&1
python3 "$HERE/report_page.py" png "$LAB_DIR/group.png" >"$LAB_DIR/group.png.facts"
px() { awk -v k="$1" '$1 == "pixels" && $2 == k { print $3 }' "$LAB_DIR/group.png.facts"; }
for c in usable negative transient propagation held; do
	ok "$([ "$(px $c)" -ge 300 ]; echo $?)" "screenshot: $c drawn ($(px $c) px)"
done

# ---- 10,000 verifications: bounded page ----
python3 "$HERE/report_incident.py" large "$NOW" 10000 | "$VSEED" "$S"
is "$?" 0 "10,000 verifications of 20 domains stored"
for i in $(seq -w 0 19); do echo "domain domain=d$i.microsoft.test verdict=healthy last_verified=now"; done | "$SEED" "$S"
pg=$LAB_DIR/large.html
C report --group microsoft --format html >"$pg"
is "$?" 0 "large: report"
size=$(stat -c %s "$pg")
total=$(grep -oE '&middot; [0-9]+ verifications' "$pg" | grep -oE '[0-9]+')
diag "largest incident page: $size bytes for $total verifications"
ok "$([ "$total" -ge 10000 ]; echo $?)" "large: $total verifications in the window"
ok "$([ "$size" -le 1048576 ]; echo $?)" "large: page $size bytes <= 1 MB"
render "$pg"
is "$(wc -l <"$pg.console")" 0 "large: no console message"
n=$(F "$pg" timelines)
ok "$([ "${n:-0}" -ge 4 ] && [ "${n:-0}" -le 20 ]; echo $?)" "large: $n timelines drawn within the page budget"
is "$(F "$pg" not-drawn)" 1 "large: the domains not drawn are named"
like "$(grep '^runs d0[0-9].microsoft.test a-' "$pg.facts")" 'a-(negative|mixed)' \
	"large: the flapping node shows (negative or merged runs)"

done_testing

#!/bin/bash
# fleet_outage.t — PostgreSQL stopped during an incident (issue 15): both
# hosts keep adopting, verifying, retrying and delivering; their outboxes
# grow; when the database returns they drain, and PostgreSQL then holds
# exactly each host's evidence, record by record: nothing lost, nothing
# twice. Then a crash between a batch's commit in PostgreSQL and its
# removal from the outbox is replayed (the store restored from before
# the shipping): the batch ships again and is stored once.
. "$(dirname "$0")/lib_fleet.sh"
fleet_ready || skip_all "retryd, postfix.so, PostgreSQL 15 or postfix-pgsql missing"
N=4 # messages per host

E2E_VERIFY_WINDOW=1s E2E_TIER_EVERY=1s fleet_init fleet_outage
fleet_use A
install -d -m 0755 "$E2E_DIR/metrics"
id retryd >/dev/null 2>&1 && chown retryd:retryd "$E2E_DIR/metrics"
METRICS=$E2E_DIR/metrics/retryd.prom
sed -i "s|^scan_interval = 1s\$|scan_interval = 1s\nmetrics_file = $METRICS|" "$E2E_POLICY"
like "$(fleet_ctl A fleet init)" "version 0 -> 1" "fleet init"

# ---- the database goes away, then the incident ----
pg_stop
e2e_poison hotmail.test 54 55
for i in $(seq 1 $N); do
	fleet_submit A a$i "a$i@hotmail.test"
	fleet_submit B b$i "b$i@hotmail.test"
done
for h in A B; do
	fleet_use $h
	e2e_wait_queue mta deferred $N 30
	is "$(e2e_queue_count mta deferred)" $N "$h: $N messages deferred (stale negative cache)"
	like "$(fleet_once $h)" "adopted=$N," "$h: adopted with PostgreSQL down"
done
sleep 1.1
for h in A B; do
	fleet_once $h >/dev/null
	ok $? "$h: retryd --once exits 0 with PostgreSQL down"
done
e2e_wait_sink $((2 * N)) 30
is "$(e2e_sink_count 'hotmail\.test')" $((2 * N)) "both hosts delivered everything during the outage"
for h in A B; do
	like "$(grep 'fleet: ' "$LAB_DIR/$h/retryd.log" | tail -1)" "fleet: connect: .*local work goes on" \
		"$h: logged that the database is away (no blocking)"
	like "$(fleet_ctl $h fleet status 2>/dev/null | head -1)" "outbox: [1-9][0-9]* evidence, [1-9][0-9]* verifications waiting" \
		"$h: fleet status shows the outbox waiting"
	like "$(fleet_ctl $h status 2>/dev/null)" "outbox: +[1-9][0-9]* evidence, [1-9][0-9]* verifications waiting for the fleet database" \
		"$h: retryctl status shows the outbox waiting"
	is "$(fleet_ctl $h status --json 2>/dev/null | jq -r '(.outbox.evidence > 0) and (.outbox.verifications > 0)')" true \
		"$h: retryctl status --json: outbox.evidence, outbox.verifications"
done
like "$(cat "$METRICS")" 'retryd_fleet_outbox_records\{kind="evidence"\} [1-9]' \
	"A: the metrics show the outbox waiting (retryd_fleet_outbox_records)"

# ---- the database returns: the outboxes drain ----
pg_restart
for h in A B; do
	like "$(fleet_ctl $h fleet sync)" "^shipped=[1-9]" "$h: fleet sync ships the outbox"
	like "$(fleet_ctl $h fleet status | head -1)" "outbox: 0 evidence, 0 verifications waiting, 0 verifications dropped" \
		"$h: outbox empty"
done
like "$(fleet_ctl A status 2>/dev/null)" "outbox: +0 evidence, 0 verifications waiting" "A: retryctl status: outbox drained"

# every record of each store, once, in PostgreSQL
local_ev() { # host: time queue_id address outcome, one per evidence record
	local a
	for a in $(seq 1 $N); do
		fleet_ctl $1 show "$(echo $1 | tr AB ab)$a@hotmail.test" --json |
			python3 -c 'import json,sys; d=json.load(sys.stdin); [print(e["time"], e["queue_id"], d["address"] if "address" in d else "", e["outcome"]) for e in d["evidence"]]'
	done | sort
}
pg_ev() {
	pg_sql "SELECT to_char(to_timestamp(time) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), queue_id, address, outcome FROM fleet_evidence WHERE host_id = 'fleet-$(echo $1 | tr AB ab)'" | tr '|' ' ' | sort
}
for h in A B; do
	local_ev $h >"$LAB_DIR/$h.local"
	pg_ev $h >"$LAB_DIR/$h.pg"
	cut -d' ' -f1,2,4 "$LAB_DIR/$h.local" >"$LAB_DIR/$h.l3"
	cut -d' ' -f1,2,4 "$LAB_DIR/$h.pg" >"$LAB_DIR/$h.p3"
	ok "$([ -s "$LAB_DIR/$h.l3" ] && diff "$LAB_DIR/$h.l3" "$LAB_DIR/$h.p3" >&2; echo $?)" \
		"$h: PostgreSQL holds exactly $h's $(wc -l <"$LAB_DIR/$h.l3") evidence records"
done
is "$(pg_sql "SELECT count(*) FROM (SELECT host_id, address, time, queue_id, outcome, count(*) FROM fleet_evidence GROUP BY 1,2,3,4,5 HAVING count(*) > 1) d")" 0 \
	"no evidence record twice"
ok "$([ "$(pg_sql "SELECT count(DISTINCT host_id) FROM fleet_verifications WHERE domain = 'hotmail.test'")" = 2 ]; echo $?)" \
	"the verifications of both hosts arrived"

# ---- a crash after the commit upstream, before the outbox removal ----
fleet_use A
dns_unbound_reset mta1 # forget the good MX, to cache "no MX" again
e2e_poison hotmail.test 54
fleet_submit A a9 a9@hotmail.test
e2e_wait_queue mta deferred 1 20
fleet_use A
pg_stop
fleet_once A >/dev/null
sleep 1.1
fleet_once A >/dev/null
pg_restart
cp -a "$LAB_DIR/A/state" "$LAB_DIR/A/state.before"
before=$(fleet_ctl A fleet status | head -1)
like "$(fleet_ctl A fleet sync)" "^shipped=[1-9]" "A: a batch shipped"
rows=$(pg_sql "SELECT count(*) FROM fleet_evidence")
vrows=$(pg_sql "SELECT count(*) FROM fleet_verifications")
rm -rf "$LAB_DIR/A/state" && mv "$LAB_DIR/A/state.before" "$LAB_DIR/A/state"
is "$(fleet_ctl A fleet status | head -1)" "$before" "A: store restored from before the shipping (the removal lost)"
like "$(fleet_ctl A fleet sync)" "^shipped=[1-9]" "A: the same batch ships again"
is "$(pg_sql "SELECT count(*) FROM fleet_evidence")/$(pg_sql "SELECT count(*) FROM fleet_verifications")" "$rows/$vrows" \
	"... and is stored once (ON CONFLICT (host_id, seq) DO NOTHING)"
ok "$(fleet_asan_clean; echo $?)" "retryd A and B: no sanitizer report"
done_testing

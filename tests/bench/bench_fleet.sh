#!/bin/bash
# bench_fleet.sh — the fleet tier's figures (build/bench/bench_fleet), on a
# private PostgreSQL 15 cluster started here (tests/lab/pg.sh, loopback):
# evidence ingest per host (local Berkeley DB commits with and without the
# outbox copy, then shipping to PostgreSQL, side by side in one run) and
# fleet-wide suppression evaluation over BENCH_FLEET_GEN (default 1,000,000)
# evidence records. BENCH_FLEET_N (default 100,000) records are committed
# and shipped. Builds nothing (make bench does). Figures only.
cd "$(dirname "$0")/../.." || exit 1
B=${RETRYD_BUILD:-$PWD/build}
BIN=$B/bench/bench_fleet
N=${BENCH_FLEET_N:-100000}
GEN=${BENCH_FLEET_GEN:-1000000}
[ -x "$BIN" ] || { echo "bench_fleet: $BIN not built (make bench)"; exit 1; }
. tests/lab/lib.sh
. tests/lab/pg.sh
pg_available || { echo "bench_fleet: PostgreSQL 15 not installed (tests/deps.sh)"; exit 0; }
lab_init bench_fleet
pg_start || { echo "bench_fleet: PostgreSQL did not start"; exit 1; }
cat >"$LAB_DIR/bench.ini" <<EOF2
[retryd]
state_dir = $LAB_DIR/state
host_id = bench-host
[suppression]
categories = mailbox-unknown, mailbox-disabled
min_failures = 3
min_span = 1h
require_healthy_dns = yes
[fleet]
database = $PG_URL
EOF2
"$BIN" "$LAB_DIR/bench.ini" "$N" "$GEN" 2> >(grep -v "fleet: suppress " >&2) || { echo "bench_fleet: failed"; exit 1; }
echo "bench_fleet: PostgreSQL size: $(pg_sql "SELECT pg_size_pretty(pg_database_size('retryd'))")"

#!/bin/bash
# bench_verify.sh — start a lab NSD serving bench.test with 10,000
# dNNNNN.bench.test MX records (rrl off), run build/bench/bench_verify
# against it (verifier vs raw async vs one-at-a-time getdns; dedup).
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh
. tests/lab/dns.sh
BIN=${RETRYD_BUILD:-build}/bench/bench_verify
[ -x "$BIN" ] || { echo "bench_verify: $BIN not built"; exit 1; }
N=${BENCH_VERIFY_DOMAINS:-10000}
lab_init bench_verify
DNS_EXTRA_ZONES="bench.test"
dns_zone_write_mx_many bench.test "$N"
dns_nsd_start || { echo "bench_verify: NSD did not start"; exit 1; }
ulimit -n 4096 2>/dev/null
"$BIN" "$(dns_addr 53)" "$N"

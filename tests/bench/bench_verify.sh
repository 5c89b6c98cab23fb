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
: "${DNS_DIR:=$LAB_DIR/dns}"
mkdir -p "$DNS_DIR/nsd"
{
	echo "\$ORIGIN bench.test."
	echo "\$TTL 300"
	echo "@ IN SOA ns.test. hostmaster.test. 1 60 60 3600 300"
	echo "@ IN NS ns.test."
	echo "mx IN A $(dns_addr 25)"
	for i in $(seq -f %05g 1 "$N"); do echo "d$i IN MX 10 mx"; done
} >"$DNS_DIR/nsd/bench.test.zone"
dns_nsd_start || { echo "bench_verify: NSD did not start"; exit 1; }
ulimit -n 4096 2>/dev/null
"$BIN" "$(dns_addr 53)" "$N"

#!/bin/bash
# bench_trace.sh — the cost of the trace from the root hints (issue 11):
# the lab root (NSD .52) delegates test. to NSD .53 serving bench.test
# with N dNNNNN.bench.test MX records; an unbound (.56) is the
# independent. build/bench/bench_trace verifies the N domains with the NS
# found through the resolver, then by tracing from the root hints.
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh
. tests/lab/dns.sh
BIN=${RETRYD_BUILD:-build}/bench/bench_trace
[ -x "$BIN" ] || { echo "bench_trace: $BIN not built"; exit 1; }
N=${BENCH_TRACE_DOMAINS:-1000}
lab_init bench_trace
DNS_EXTRA_ZONES="bench.test"
dns_zone_write_mx_many bench.test "$N"
dns_root_start || { echo "bench_trace: root NSD did not start"; exit 1; }
dns_nsd_start || { echo "bench_trace: NSD did not start"; exit 1; }
dns_unbound_start ind 56 || { echo "bench_trace: unbound did not start"; exit 1; }
ulimit -n 4096 2>/dev/null
"$BIN" "$(dns_addr 56)" "$DNS_ROOT_HINTS" "$N"

#!/bin/bash
# run.sh — every benchmark, one after another; each prints its own figures.
# Benchmarks measure; they never pass or fail on a number.
set -u
cd "$(dirname "$0")/../.."
rc=0
for b in tests/bench/bench_*.sh; do
	[ -x "$b" ] || continue
	echo "=== $(basename "$b" .sh)"
	"$b" || { echo "$(basename "$b"): failed to run (exit $?)"; rc=1; }
done
exit $rc

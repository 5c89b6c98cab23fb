#!/bin/bash
# bench_classify.sh — classifier throughput: in process (build/bench/bench_classify
# over the texts of tests/data/classifier-corpus.tsv repeated to 1,000,000 lines,
# rules compiled once, beside one plain PCRE2 alternation of the same rules as
# the reference), then end to end through `retryctl classify` reading the same
# 1,000,000 lines on stdin. In process, side by side: the plain alternation,
# every rule in order (the previous way) and the literal prefilter (classify_text).
# Prints figures; never fails on a number.
cd "$(dirname "$0")/../.." || exit 1
B=${RETRYD_BUILD:-build}
LINES=${BENCH_CLASSIFY_LINES:-1000000}
CORPUS=tests/data/classifier-corpus.tsv
POLICY=policy/retryd.ini
[ -x "$B/bench/bench_classify" ] || { echo "bench_classify: $B/bench/bench_classify not built"; exit 1; }
"$B/bench/bench_classify" "$POLICY" "$CORPUS" "$LINES" || exit 1

[ -x "$B/retryctl" ] || { echo "bench_classify: $B/retryctl not built, end-to-end part skipped"; exit 0; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' "$CORPUS" | awk -F'\t' '{ print $NF }' >"$tmp/one"
n=$(wc -l <"$tmp/one")
awk -v want="$LINES" '{ t[NR] = $0 } END { for (i = 0; i < want; i++) print t[i % NR + 1] }' \
	"$tmp/one" >"$tmp/lines"
t0=$(date +%s.%N)
"$B/retryctl" -c "$POLICY" classify <"$tmp/lines" >"$tmp/out" || { echo "retryctl classify failed"; exit 1; }
t1=$(date +%s.%N)
awk -v n="$LINES" -v t0="$t0" -v t1="$t1" -v c="$n" 'BEGIN {
	dt = t1 - t0
	printf "retryctl classify: %d lines (%d corpus texts repeated) in %.3f s, %.0f lines/s end to end\n", n, c, dt, n / dt
}'
echo "retryctl classify: $(wc -l <"$tmp/out") result lines; categories: $(cut -f1 "$tmp/out" | sort | uniq -c | sort -rn | awk '{printf "%s %s, ", $2, $1}' | sed 's/, $//')"

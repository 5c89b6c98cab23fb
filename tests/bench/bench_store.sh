#!/bin/bash
# bench_store.sh — fill a fresh store with 1,000,000 pending messages and
# time the due selection (build/bench/bench_store): the 10,000 earliest
# due as ids only, as full records, and as ids then one fetch each, cold
# and warm, with the store's default Berkeley DB cache; then the same
# selection again with a BENCH_STORE_BIG_CACHE_MB cache (default 64) to
# show what a cache holding the selection's pages changes. Then, if
# build/retryctl exists, time `retryctl list --due --json` against that
# store and report its peak RSS. Builds nothing (make bench does). Figures
# only, never pass/fail on a number. BENCH_STORE_MESSAGES overrides the
# count; the temporary state directory is removed at the end.
cd "$(dirname "$0")/../.." || exit 1
B=${RETRYD_BUILD:-build}
BIN=$B/bench/bench_store
N=${BENCH_STORE_MESSAGES:-1000000}
BIG=${BENCH_STORE_BIG_CACHE_MB:-64}
[ -x "$BIN" ] || { echo "bench_store: $BIN not built (make bench)"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_store.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

"$BIN" "$TMP/state" "$N" || { echo "bench_store: failed"; exit 1; }
echo "bench_store: store size on disk: $(du -sh "$TMP/state" | cut -f1)"

# Last, as its environment keeps the bigger cache for later openers.
big_cache() {
	[ "$BIG" -gt 0 ] || return 0
	"$BIN" "$TMP/state" 0 "$BIG" >"$TMP/big.out" ||
		{ cat "$TMP/big.out"; echo "bench_store: failed"; exit 1; }
	grep -v '^bench_store: rss after open' "$TMP/big.out"
}

if [ ! -x "$B/retryctl" ]; then
	echo "bench_store: $B/retryctl not built: list --due not timed"
	big_cache
	exit 0
fi
cat >"$TMP/policy.ini" <<EOT
[retryd]
state_dir = $TMP/state
EOT
start=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%M' -o "$TMP/rss" \
		"$B/retryctl" -c "$TMP/policy.ini" list --due --json \
		>"$TMP/list.json" 2>"$TMP/list.err"
	rc=$?
else
	"$B/retryctl" -c "$TMP/policy.ini" list --due --json \
		>"$TMP/list.json" 2>"$TMP/list.err"
	rc=$?
fi
end=$(date +%s.%N)
if [ "$rc" -ne 0 ]; then
	echo "bench_store: retryctl list --due --json failed (exit $rc):"
	head -5 "$TMP/list.err"
	exit 1
fi
awk -v s="$start" -v e="$end" -v b="$(wc -c <"$TMP/list.json")" \
	'BEGIN { printf "bench_store: retryctl list --due --json: %.2f s, %d bytes of JSON", e - s, b }'
if [ -s "$TMP/rss" ]; then
	awk -v k="$(tail -1 "$TMP/rss")" 'BEGIN { printf ", max RSS %.1f MB\n", k / 1024 }'
else
	printf ' (no /usr/bin/time: RSS not measured)\n'
fi
big_cache

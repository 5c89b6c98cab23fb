#!/bin/bash
# bench_pass.sh — one daemon pass over a store holding 1,000,000 done
# messages and 10,000 held ones (1,000 due per pass), against an
# in-process MTA and injected verdicts (build/bench/bench_pass): the
# median time of 3 passes, cache page requests per pass, RSS, and the
# walks the pass made before the state index (every message, and the due
# set with a record fetch each) timed over the same store. Builds nothing
# (make bench does). Figures only, never pass/fail on a number.
# BENCH_PASS_DONE, BENCH_PASS_LIVE and BENCH_PASS_DUE override the counts;
# the temporary directory is removed at the end.
cd "$(dirname "$0")/../.." || exit 1
B=${RETRYD_BUILD:-build}
BIN=$B/bench/bench_pass
DONE=${BENCH_PASS_DONE:-1000000}
LIVE=${BENCH_PASS_LIVE:-10000}
DUE=${BENCH_PASS_DUE:-1000}
[ -x "$BIN" ] || { echo "bench_pass: $BIN not built (make bench)"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_pass.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# The pass's own log (one line per recipient acted on) goes to a file.
if ! "$BIN" "$TMP" "$DONE" "$LIVE" "$DUE" 2>"$TMP/log"; then
	echo "bench_pass: failed:"
	grep -v 'action=' "$TMP/log" | tail -5
	exit 1
fi
echo "bench_pass: store size on disk: $(du -sh "$TMP/state" | cut -f1)" \
	"(state index $(du -h "$TMP/state/state.db" | cut -f1))"
echo "bench_pass: log lines written by the passes: $(wc -l <"$TMP/log")"

# The same passes over a store with no done message: the pass should
# cost the same (it never reads a done record).
mkdir -p "$TMP/empty"
if "$BIN" "$TMP/empty" 0 "$LIVE" "$DUE" >"$TMP/empty.out" 2>/dev/null; then
	sed -n 's/^bench_pass: after: one pass/bench_pass: with 0 done messages instead: one pass/p' \
		"$TMP/empty.out"
else
	echo "bench_pass: the run with 0 done messages failed"
fi

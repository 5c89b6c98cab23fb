#!/bin/bash
# run.sh — run each libFuzzer target for FUZZ_SECONDS (default 60).
#
#   tests/fuzz/run.sh fuzz_store_codec fuzz_policy ...   (make fuzz)
#
# Each target starts from its seed corpus tests/fuzz/corpus/TARGET
# (read only: never written) and keeps what it learns in
# build/fuzz/corpus/TARGET, so later runs go on from there. A crash,
# leak or timeout leaves its input in build/fuzz/artifacts/TARGET/;
# copy it to tests/fuzz/corpus/TARGET/crash-NAME as the regression
# seed once understood. tests/fuzz/TARGET.dict is used when present.
# Prints one summary line per target; exits 1 when any target failed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BF=$ROOT/build/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS_FLAGS=${FUZZ_FLAGS:-}
failed=0

[ $# -gt 0 ] || { echo "usage: $0 TARGET..." >&2; exit 2; }

for t in "$@"; do
	bin=$BF/$t
	seeds=$ROOT/tests/fuzz/corpus/$t
	work=$BF/corpus/$t
	art=$BF/artifacts/$t
	log=$BF/$t.log
	if [ ! -x "$bin" ]; then
		echo "$t: not built (make fuzz-build)"
		failed=1
		continue
	fi
	mkdir -p "$work" "$art" "$seeds"
	dict=()
	[ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$art/" "${dict[@]}" $JOBS_FLAGS \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(printf '%s' "$stats" | grep -oE 'cov: [0-9]+ ft: [0-9]+')
	corp=$(printf '%s' "$stats" | grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*')
	if [ $rc = 0 ]; then
		echo "$t: ok, ${runs:-?} runs, ${rate:-?} exec/s, $cov, $corp"
	else
		echo "$t: FAILED (exit $rc), see $log; inputs in $art/"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -3 |
			sed 's/^/    /'
		failed=1
	fi
done
exit $failed

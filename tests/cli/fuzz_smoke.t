#!/bin/bash
# fuzz_smoke.t — every libFuzzer target over its seed corpus plus 2000
# random inputs (a few seconds in all). The seeds include the
# reproducers of every crash found so far (corpus/TARGET/crash-*), so
# this is also their regression test. Builds the fuzzers itself
# (make fuzz-build, clang); skipped when clang cannot build a fuzzer.
# Long runs: make fuzz (FUZZ_SECONDS each).
. "$(dirname "$0")/../lab/lib.sh"

FUZZ_CC=${FUZZ_CC:-clang}
RUNS=${FUZZ_SMOKE_RUNS:-2000}

command -v "$FUZZ_CC" >/dev/null 2>&1 ||
	skip_all "$FUZZ_CC not installed (tests/deps.sh installs clang)"
lab_init fuzz_smoke

# Can this clang link a fuzzer at all? (libclang-rt-14-dev)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return 0; }\n' \
	>"$LAB_DIR/probe.c"
"$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$LAB_DIR/probe" \
	"$LAB_DIR/probe.c" >"$LAB_DIR/probe.log" 2>&1 ||
	skip_all "$FUZZ_CC cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing?)"

targets=()
for src in "$LAB_ROOT"/tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	targets+=("$t")
done
[ ${#targets[@]} -gt 0 ] || skip_all "no fuzz targets in tests/fuzz"

plan $((1 + ${#targets[@]}))

make -s -C "$LAB_ROOT" fuzz-build FUZZ_CC="$FUZZ_CC" >"$LAB_DIR/build.log" 2>&1
rc=$?
ok $rc "make fuzz-build builds ${#targets[@]} fuzzers with $FUZZ_CC"
[ $rc = 0 ] || sed 's/^/#   /' "$LAB_DIR/build.log" | tail -20 >&2

for t in "${targets[@]}"; do
	bin=$LAB_ROOT/build/fuzz/$t
	seeds=$LAB_ROOT/tests/fuzz/corpus/$t
	if [ ! -x "$bin" ]; then
		ok 1 "$t: built"
		continue
	fi
	# libFuzzer adds what it finds to the first directory: a scratch
	# one, so the seed corpus in the tree is only read.
	mkdir -p "$LAB_DIR/work-$t" "$LAB_DIR/art-$t"
	dict=()
	[ -f "$LAB_ROOT/tests/fuzz/$t.dict" ] &&
		dict=(-dict="$LAB_ROOT/tests/fuzz/$t.dict")
	"$bin" -runs="$RUNS" -seed=1 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$LAB_DIR/art-$t/" "${dict[@]}" \
		"$LAB_DIR/work-$t" "$seeds" >"$LAB_DIR/$t.log" 2>&1
	rc=$?
	nseeds=$(find "$seeds" -type f 2>/dev/null | wc -l)
	ok $rc "$t: $nseeds seeds + $RUNS random inputs, no crash, leak or hang"
	if [ $rc = 0 ]; then
		diag "$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$LAB_DIR/$t.log" |
			grep -oE 'cov: [0-9]+ ft: [0-9]+') $(grep -oE \
			'average_exec_per_sec: *[0-9]+' "$LAB_DIR/$t.log" |
			sed 's/average_exec_per_sec: */exec\/s /')"
	else
		grep -E '==ERROR|SUMMARY|runtime error|^fuzz_|Test unit written' \
			"$LAB_DIR/$t.log" | head -8 | sed 's/^/#   /' >&2
	fi
done
[ "$LAB_FAILED" = 0 ]

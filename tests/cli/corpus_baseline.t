#!/bin/bash
# corpus_baseline.t — the validation floor of test_classify_corpus is held on a
# frozen baseline of texts (tests/data/corpus-val-baseline.txt).
#
# test_classify_corpus reads the corpus, the client translations and the
# baseline from $RETRYD_SRCDIR;
# here it runs on a copy of tests/data and policy/ so its inputs can be bent:
# the copy as committed passes; a baseline validation text taken out, or moved
# to development, fails naming its id; a new validation text outside the
# baseline is counted apart ("added since"); a malformed baseline line fails
# naming FILE:LINE; corpus_baseline.py computes the ids the C test does
# (freeze of the committed corpus lists every baseline id).
. "$(dirname "$0")/../lab/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
TEST=${RETRYD_ASAN_BUILD:-build/asan}/tests/test_classify_corpus
[ -x "$TEST" ] || skip_all "test_classify_corpus not built (make asan)"
LAB_TESTNUM=0
LAB_FAILED=0
T=$(mktemp -d /tmp/retryd-baseline.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
D=tests/data

copy() { # a fresh source tree in $T/src
	rm -rf "$T/src" && mkdir -p "$T/src/tests/data" &&
		cp -r policy "$T/src/" &&
		cp "$D/classifier-corpus.tsv" "$D/classifier-translations.tsv" \
			"$D/corpus-val-baseline.txt" "$T/src/tests/data/"
}
run() { # run the test on $T/src; output in $T/out
	RETRYD_SRCDIR="$T/src" CMOCKA_MESSAGE_OUTPUT=TAP "$TEST" >"$T/out" 2>&1
}
# the first baseline text (a validation line of the committed corpus)
first=$(grep -m1 '^val	' "$D/classifier-corpus.tsv")
src=$(printf '%s' "$first" | cut -f4)
text=$(printf '%s' "$first" | cut -f5-)
id=$(python3 tests/tools/corpus_baseline.py id "$src" "$text")

# 1-2: as committed
copy && run
is "$?" 0 "the committed corpus passes"
grep -q "^# validation baseline (floor [0-9.]*%): [0-9]* texts" "$T/out"
ok $? "the baseline figure is printed"
# the validation texts the committed corpus already adds to the baseline
added=$(sed -n 's/.*added since: \([0-9]*\) texts, \([0-9]*\) right.*/\1 \2/p' "$T/out")
set -- ${added:-0 0}

# 3-4: a baseline text taken out
copy && grep -vxF "$first" "$D/classifier-corpus.tsv" >"$T/src/tests/data/classifier-corpus.tsv"
run
[ "$?" != 0 ]
ok $? "a baseline validation text taken out fails"
grep -q "baseline id $id is no validation text any more" "$T/out"
ok $? "... naming its id ($id)"

# 5: moved to development
copy && awk -v l="$first" -F'\t' 'BEGIN{OFS="\t"} $0 == l {$1 = "dev"} {print}' \
	"$D/classifier-corpus.tsv" >"$T/src/tests/data/classifier-corpus.tsv"
run
[ "$?" != 0 ] && grep -q "baseline id $id is no validation text any more" "$T/out"
ok $? "a baseline validation text moved to development fails"

# 6: a new validation text is counted apart
copy && printf 'val\tmailbox-unknown\ttest\tcorpus_baseline.t\t550 5.1.1 <user@example.com>: Recipient address rejected: User unknown\n' \
	>>"$T/src/tests/data/classifier-corpus.tsv"
run
grep -q "added since: $(($1 + 1)) texts, $(($2 + 1)) right" "$T/out"
ok $? "a validation text outside the baseline is counted apart"

# 7: a malformed baseline line
copy && echo "not-an-id" >>"$T/src/tests/data/corpus-val-baseline.txt"
run
grep -q "corpus-val-baseline.txt:$(wc -l <"$D/corpus-val-baseline.txt" | awk '{print $1 + 1}'): want one id" "$T/out"
ok $? "a malformed baseline line is named FILE:LINE"

# 8: the tool's ids are the test's
python3 tests/tools/corpus_baseline.py freeze "$D/classifier-corpus.tsv" | grep -v '^#' >"$T/ids"
grep -v '^#' "$D/corpus-val-baseline.txt" | sort >"$T/base"
is "$(comm -23 "$T/base" "$T/ids" | wc -l)" 0 "corpus_baseline.py freeze lists every baseline id"

done_testing

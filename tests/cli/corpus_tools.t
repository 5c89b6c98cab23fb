#!/bin/bash
# corpus_tools.t — the classifier corpus is what its tools make of its sources.
#
# tests/data/classifier-corpus.tsv is built by tests/tools/corpus_add.py from
# tests/data/corpus-src/*.tsv and the relabellings of
# tests/data/corpus-label-changes.tsv (docs/classifier-labels.md). Checked here:
# corpus_add.py run again on a copy reproduces the committed corpus byte for
# byte (the texts of the source files with their labels, every relabelling of
# the change list, and the run being idempotent; the sisimai part that
# tests/tools/corpus_build.py made is carried over as it stands); no
# development text is a near-duplicate of a validation text (the guide's
# split rule); a change line whose old label does not match is refused with
# FILE:LINE and leaves the corpus untouched; corpus_blind.py emit shows id and
# text only, for exactly the texts of the split, and corpus_blind.py agree
# measures the second annotation (tests/data/corpus-annotation2.tsv).
. "$(dirname "$0")/../lab/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
command -v python3 >/dev/null || skip_all "python3 not installed"
export PYTHONDONTWRITEBYTECODE=1
LAB_TESTNUM=0
LAB_FAILED=0
T=$(mktemp -d /tmp/retryd-corpus.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
D=tests/data
TOOLS=tests/tools

# 1-2: a rebuild reproduces the corpus
cp "$D/classifier-corpus.tsv" "$D/corpus-label-changes.tsv" "$T/"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$D/corpus-src" >/dev/null 2>"$T/err"
is "$?" 0 "corpus_add.py: exit 0"
cmp -s "$T/classifier-corpus.tsv" "$D/classifier-corpus.tsv"
ok $? "corpus_add.py reproduces classifier-corpus.tsv (sources and change list in sync)"

# 3: the split rule: no development text near a validation text
CORPUS=$PWD/$D/classifier-corpus.tsv
near=$(cd "$TOOLS" && python3 -c '
import sys
from corpus_add import NearSet, skel, read_rows
rows = read_rows(sys.argv[1])
val = NearSet(skel(r[4]) for r in rows if r[0] == "val")
print(sum(1 for r in rows if r[0] == "dev" and val.near(skel(r[4]))))
' "$CORPUS")
is "$near" 0 "no development text is a near-duplicate of a validation text"

# 4-6: a change line that does not fit is refused, naming where
cp "$D/classifier-corpus.tsv" "$T/classifier-corpus.tsv"
head -3 "$D/corpus-label-changes.tsv" |
	awk -F'\t' -v OFS='\t' 'NR == 3 { $3 = "content|routing" } { print }' >"$T/corpus-label-changes.tsv"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$D/corpus-src" >/dev/null 2>"$T/err"
is "$?" 1 "a change whose old label does not match: exit 1"
like "$(cat "$T/err")" "corpus-label-changes.tsv:3: label is " "... and the error names FILE:LINE"
cmp -s "$T/classifier-corpus.tsv" "$D/classifier-corpus.tsv"
ok $? "... and the corpus is left as it was"

# 7-8: emit is blind (id and text, no label) and complete
python3 "$TOOLS/corpus_blind.py" emit val full >"$T/emit" 2>"$T/err"
is "$?" 0 "corpus_blind.py emit: exit 0"
want=$(grep -v '^#' "$D/classifier-corpus.tsv" | awk -F'\t' '$1 == "val" && $3 != "fragment"' | wc -l)
fields=$(awk -F'\t' 'NF != 2' "$T/emit" | wc -l)
is "$(wc -l <"$T/emit") $fields" "$want 0" "emit: one id<TAB>text line per validation full text"

# 9-10: the agreement of the second annotation is measured
python3 "$TOOLS/corpus_blind.py" agree "$D/corpus-annotation2.tsv" >"$T/agree" 2>"$T/err"
is "$?" 0 "corpus_blind.py agree: exit 0"
like "$(grep '^val/full' "$T/agree")" '^val/full +9[0-9]{2} ' "agree: validation full texts compared"

done_testing

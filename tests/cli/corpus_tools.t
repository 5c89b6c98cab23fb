#!/bin/bash
# corpus_tools.t — the classifier corpus is what its tools make of its sources.
#
# tests/data/classifier-corpus.tsv is built by tests/tools/corpus_add.py from
# tests/data/corpus-src/*.tsv and the relabellings of
# tests/data/corpus-label-changes.tsv (docs/classifier-labels.md), and so is
# tests/data/classifier-translations.tsv (mail clients' translated UI strings,
# measured apart). Checked here:
# corpus_add.py run again on a copy reproduces the committed corpus and
# translations byte for byte (the texts of the source files with their labels, every relabelling of
# the change list, the frozen sisimai part tests/data/corpus-base.tsv that
# tests/tools/corpus_build.py made, and the run being idempotent); the frozen
# part is pinned by its digest, and a hand edit of its lines in the corpus does
# not survive a rebuild; no development text is a near-duplicate of a
# validation text (the guide's split rule); a change line whose old label does
# not match is refused with FILE:LINE and leaves the corpus untouched; a new
# text dropped as a same-letters duplicate of another source's text, a corpus
# line displaced that way, and an orphan corpus line (its source in no source
# file) are each warned naming both sources (and nothing is warned for the
# committed sources); corpus_blind.py emit shows id and text only, for exactly
# the texts of the split, and corpus_blind.py agree measures the second
# annotation (tests/data/corpus-annotation2.tsv); every source file opens
# with '#' lines naming its source and licence; a new source file's split is
# md5(its name) (even first hex digit = validation) with no list to edit; a
# text from a client's translation file (po/XX.po, language/*lang-XX.*) goes
# to the translations file, never to the corpus, keeping its split.
. "$(dirname "$0")/../lab/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
command -v python3 >/dev/null || skip_all "python3 not installed"
command -v git >/dev/null || skip_all "git not installed"
export PYTHONDONTWRITEBYTECODE=1
LAB_TESTNUM=0
LAB_FAILED=0
T=$(mktemp -d /tmp/retryd-corpus.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
D=tests/data
TOOLS=tests/tools

# 1-2: a rebuild reproduces the corpus
cp "$D/classifier-corpus.tsv" "$D/classifier-translations.tsv" "$D/corpus-label-changes.tsv" \
	"$D/corpus-base.tsv" "$T/"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$D/corpus-src" >/dev/null 2>"$T/err"
is "$?" 0 "corpus_add.py: exit 0"
cmp -s "$T/classifier-corpus.tsv" "$D/classifier-corpus.tsv" &&
	cmp -s "$T/classifier-translations.tsv" "$D/classifier-translations.tsv"
ok $? "corpus_add.py reproduces classifier-corpus.tsv and classifier-translations.tsv (sources and change list in sync)"
# (a line not committed in git counts as new: outside a git work tree every duplicate is new)
if git -C "$D" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	is "$(grep -c WARNING "$T/err")" 0 "... and warns of nothing for the committed sources"
else
	ok 0 "# SKIP not a git work tree: every duplicate counts as new"
fi

# 4-5: the sisimai part is frozen: its file by digest, its corpus lines by a rebuild
is "$(sha256sum <"$D/corpus-base.tsv" | cut -c1-64)" \
	a002e16693ea4adf75514ff56190ca678525fbf278a839cd521f0a81b598ea85 \
	"corpus-base.tsv is as frozen (relabel through corpus-label-changes.tsv)"
awk -F'\t' -v OFS='\t' '!/^#/ && !done && $3 == "activehunter" { $2 = "content"; done = 1 } { print }' \
	"$D/classifier-corpus.tsv" >"$T/classifier-corpus.tsv"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$D/corpus-src" >/dev/null 2>"$T/err"
cmp -s "$T/classifier-corpus.tsv" "$D/classifier-corpus.tsv"
ok $? "a hand edit of a sisimai line in the corpus does not survive a rebuild"

# 6-9: duplicates and orphans are warned, naming both sources
S=$T/src
mkdir "$S" && cp "$D"/corpus-src/*.tsv "$S/" && git -C "$S" init -q &&
	git -C "$S" add . && git -C "$S" -c user.name=t -c user.email=t@example.org commit -qm src
printf 'policy-reputation\tjames\tnew/thread-1\trelaying DENIED!\n' >>"$S/james.tsv"
printf 'routing\tx\tnew/page-2\tLowest numbered MX record points to local host.\n' >"$S/aaa-new.tsv"
awk -F'\t' -v OFS='\t' '{ print } END { print "dev", "other", "x", "gone/thread-3", "an orphan line" }' \
	"$D/classifier-corpus.tsv" >"$T/classifier-corpus.tsv"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$S" >/dev/null 2>"$T/err"
like "$(grep WARNING "$T/err")" 'james.tsv:[0-9]+ \(new/thread-1\) dropped: same letters as corpus-base.tsv:[0-9]+ \(sisimai/' \
	"a new text dropped as another source's duplicate is warned, both sources named"
like "$(grep WARNING "$T/err")" 'exim-testsuite.tsv:[0-9]+ \(Exim/exim:test/log\) was in the corpus and is displaced now: same letters as aaa-new.tsv:1 \(new/page-2\)' \
	"a corpus line displaced by a new source's same-letters text is warned"
like "$(grep WARNING "$T/err")" 'orphan dropped: corpus line of gone/thread-3 ' "an orphan corpus line is warned"
is "$(grep -c WARNING "$T/err") $(grep -c 'gone/thread-3' "$T/classifier-corpus.tsv")" "3 0" \
	"... and dropped; nothing else is warned"

# 10: the split rule: no development text near a validation text
CORPUS=$PWD/$D/classifier-corpus.tsv
near=$(cd "$TOOLS" && python3 -c '
import sys
from corpus_add import NearSet, skel, read_rows
rows = read_rows(sys.argv[1])
val = NearSet(skel(r[4]) for r in rows if r[0] == "val")
print(sum(1 for r in rows if r[0] == "dev" and val.near(skel(r[4]))))
' "$CORPUS")
is "$near" 0 "no development text is a near-duplicate of a validation text"

# 11-13: a change line that does not fit is refused, naming where
cp "$D/classifier-corpus.tsv" "$T/classifier-corpus.tsv"
head -3 "$D/corpus-label-changes.tsv" |
	awk -F'\t' -v OFS='\t' 'NR == 3 { $3 = "content|routing" } { print }' >"$T/corpus-label-changes.tsv"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$D/corpus-src" >/dev/null 2>"$T/err"
is "$?" 1 "a change whose old label does not match: exit 1"
like "$(cat "$T/err")" "corpus-label-changes.tsv:3: label is " "... and the error names FILE:LINE"
cmp -s "$T/classifier-corpus.tsv" "$D/classifier-corpus.tsv"
ok $? "... and the corpus is left as it was"

# 14-15: emit is blind (id and text, no label) and complete
python3 "$TOOLS/corpus_blind.py" emit val full >"$T/emit" 2>"$T/err"
is "$?" 0 "corpus_blind.py emit: exit 0"
want=$(grep -v '^#' "$D/classifier-corpus.tsv" | awk -F'\t' '$1 == "val" && $3 != "fragment"' | wc -l)
fields=$(awk -F'\t' 'NF != 2' "$T/emit" | wc -l)
is "$(wc -l <"$T/emit") $fields" "$want 0" "emit: one id<TAB>text line per validation full text"

# 16-17: the agreement of the second annotation is measured
python3 "$TOOLS/corpus_blind.py" agree "$D/corpus-annotation2.tsv" >"$T/agree" 2>"$T/err"
is "$?" 0 "corpus_blind.py agree: exit 0"
want=$(cut -f1 "$T/emit" | grep -cFx -f <(grep -v '^#' "$D/corpus-annotation2.tsv" | cut -f1))
is "$(awk '$1 == "val/full" { print $2 }' "$T/agree")" "$want" "agree: every second-annotated validation full text compared"

# 18: every source file opens with '#' lines that name its source and licence
bad=$(for f in "$D"/corpus-src/*.tsv; do
	awk '!/^#/ { exit } { print }' "$f" |
		grep -qiE 'licen|GPL|MIT|BSD|Apache|CC-BY|EPL|Artistic|public domain|IPL' || basename "$f"
done)
is "$bad" "" "every corpus-src file opens with '#' lines naming its source and licence"

# 19-20: a new source file's split is md5(its name)'s first hex digit (even = validation), with no
# list to edit; the older files keep theirs through two closed lists that name only existing files
printf 'other\tx\tnew/page-4\tA wholly new reply zebra quokka\n' >"$S/zz-new.tsv" # md5 4...: validation
printf 'other\tx\tnew/page-5\tA wholly new reply yak narwhal\n' >"$S/c-new.tsv"  # md5 d...: development
cp "$D/classifier-corpus.tsv" "$D/corpus-label-changes.tsv" "$T/"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$S" >/dev/null 2>"$T/err"
is "$(grep -E 'new/page-[45]' "$T/classifier-corpus.tsv" | cut -f1,4 | tr '\t\n' ': ')" \
	"dev:new/page-5 val:new/page-4 " "a new file goes to the side of md5(its name): no list to edit"
SRC=$PWD/$D/corpus-src
old=$(cd "$TOOLS" && python3 -c '
import os, sys
from corpus_add import OLD_VAL, OLD_DEV
print(len(OLD_VAL), len(OLD_DEV), sorted(n for n in OLD_VAL | OLD_DEV if not os.path.exists(os.path.join(sys.argv[1], n))))
' "$SRC")
is "$old" "5 17 []" "the lists of files older than the md5 rule are closed (5 validation, 17 development, all present)"

# 21-22: client translations are written apart, with their split; none stays in the corpus
printf 'other\tx\tnew/app:po/de.po\tEin ganz neuer Fehler Zebra Quokka Wal\n' >"$S/zz-new.tsv" # validation
printf 'other\tx\tnew/app:po/de.po\tEin ganz neuer Fehler Yak Narwal Hund\n' >"$S/c-new.tsv"   # development
cp "$D/classifier-corpus.tsv" "$D/classifier-translations.tsv" "$D/corpus-label-changes.tsv" "$T/"
python3 "$TOOLS/corpus_add.py" "$T/classifier-corpus.tsv" "$S" >/dev/null 2>"$T/err"
is "$(grep -F 'new/app:po/de.po' "$T/classifier-translations.tsv" | cut -f1 | tr '\n' ' ')" \
	"dev val " "a new text of a client's po/XX.po goes to classifier-translations.tsv, with its file's split"
trans=$(cd "$TOOLS" && python3 -c '
import sys
from corpus_add import is_translation, read_rows
c, t = read_rows(sys.argv[1]), read_rows(sys.argv[2])
print(sum(is_translation(r[3]) for r in c), sum(not is_translation(r[3]) for r in t), len(t) > 0)
' "$T/classifier-corpus.tsv" "$T/classifier-translations.tsv")
is "$trans" "0 0 True" "no translation text in the corpus, nothing else in the translations file"

done_testing

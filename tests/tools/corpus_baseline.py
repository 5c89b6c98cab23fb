#!/usr/bin/env python3
"""corpus_baseline.py - the frozen validation subset of tests/data/classifier-corpus.tsv.

Usage:
  corpus_baseline.py freeze [CORPUS]    print the baseline file: one id per validation text,
                                        sorted (tests/data/corpus-val-baseline.txt)
  corpus_baseline.py id SOURCE TEXT     print the id of one text

test_classify_corpus holds its accuracy floor (a regression gate: what the shipped rules reached
when the baseline was frozen) on the validation texts whose ids are in the baseline file, and
requires every one of them to be still there: a validation text may not leave or move to
development silently. Validation texts added later are measured and printed apart; the
safety assertions (no non-address text taken as address-level, recall) and the issue's
target (printed) cover every validation text. The floor compares like with like: a new
validation source never changes the texts it is measured on, and a rule change that loses a
baseline text fails.

An id is the 64-bit FNV-1a hash of SOURCE<TAB>TEXT (UTF-8 bytes) in 16 lower-case hex digits,
the same function as fnv1a64() in tests/unit/test_classify_corpus.c.
"""
import sys

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xffffffffffffffff
    return h


def text_id(source, text):
    return '%016x' % fnv1a64(('%s\t%s' % (source, text)).encode('utf-8'))


def freeze(corpus):
    ids = []
    for line in open(corpus, encoding='utf-8'):
        if line.startswith('#') or not line.strip():
            continue
        f = line.rstrip('\n').split('\t', 4)
        if len(f) == 5 and f[0] == 'val':
            ids.append(text_id(f[3], f[4]))
    if len(set(ids)) != len(ids):
        sys.exit('corpus_baseline.py: two validation texts share an id')
    print('# corpus-val-baseline.txt - the validation texts the accuracy floor of')
    print('# test_classify_corpus is held on (tests/tools/corpus_baseline.py freeze);')
    print('# one id per text: FNV-1a 64 of SOURCE<TAB>TEXT. %d texts.' % len(ids))
    for i in sorted(ids):
        print(i)


def main():
    a = sys.argv[1:]
    if a and a[0] == 'freeze' and len(a) <= 2:
        freeze(a[1] if len(a) == 2 else 'tests/data/classifier-corpus.tsv')
    elif a and a[0] == 'id' and len(a) == 3:
        print(text_id(a[1], a[2]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()

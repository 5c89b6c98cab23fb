#!/usr/bin/env python3
"""corpus_blind.py - a blind second annotation of tests/data/classifier-corpus.tsv and its
inter-annotator agreement.

Usage:
  corpus_blind.py emit SPLIT KIND [CORPUS]     id<TAB>text of the SPLIT (dev|val) texts of KIND
                                               (full|fragment), NO label, NO classifier output:
                                               the second annotator labels from this and the guide
                                               (docs/classifier-labels.md) alone
  corpus_blind.py agree ANNOTATION [CORPUS]    join the second labels (id<TAB>LABELS lines, as in
                                               tests/data/corpus-annotation2.tsv) with the corpus
                                               labels: exact and overlapping agreement per split,
                                               kind and category, Cohen's kappa on first labels
  corpus_blind.py diff ANNOTATION SPLIT [CORPUS]  the disagreements of SPLIT, both labels side by
                                               side, for adjudication against the guide (only after
                                               the whole SPLIT is labelled)

An id is the first 10 hex digits of sha1(SOURCE<TAB>TEXT): stable while the text stays, blind to
the label. LABELS take the corpus's form (one category, or A|B); a second annotation file may use
the short letters of SHORT below (e.g. "U|P").
"""
import collections, hashlib, sys

CATS = ['routing', 'null-mx', 'mailbox-unknown', 'mailbox-disabled', 'mailbox-full',
        'policy-reputation', 'authentication', 'rate-limit', 'connection', 'content', 'other']
SHORT = {'G': 'routing', 'N': 'null-mx', 'U': 'mailbox-unknown', 'D': 'mailbox-disabled',
         'F': 'mailbox-full', 'P': 'policy-reputation', 'A': 'authentication',
         'R': 'rate-limit', 'C': 'connection', 'T': 'content', 'O': 'other'}
ADDR = {'mailbox-unknown', 'mailbox-disabled'}


def tid(src, text):
    return hashlib.sha1(('%s\t%s' % (src, text)).encode('utf-8')).hexdigest()[:10]


def rows(corpus):
    out = []
    for n, line in enumerate(open(corpus, encoding='utf-8'), 1):
        if line.startswith('#'):
            continue
        f = line.rstrip('\n').split('\t')
        if len(f) != 5:
            sys.exit('%s:%d: want 5 tab-separated fields' % (corpus, n))
        kind = 'fragment' if f[2] == 'fragment' else 'full'
        out.append({'id': tid(f[3], f[4]), 'split': f[0], 'labels': f[1], 'kind': kind,
                    'prov': f[2], 'src': f[3], 'text': f[4]})
    return out


def expand(lab, where):
    cats = []
    for p in lab.split('|'):
        p = SHORT.get(p.strip(), p.strip())
        if p not in CATS:
            sys.exit('%s: unknown category %r' % (where, p))
        cats.append(p)
    return cats


def annotation(path):
    ann = {}
    for n, line in enumerate(open(path, encoding='utf-8'), 1):
        if line.startswith('#') or not line.strip():
            continue
        f = line.split()
        if len(f) != 2:
            sys.exit('%s:%d: want id and labels' % (path, n))
        ann[f[0]] = expand(f[1], '%s:%d' % (path, n))
    return ann


def kappa(pairs):
    n = len(pairs)
    if not n:
        return 0.0
    po = sum(a == b for a, b in pairs) / n
    ca = collections.Counter(a for a, _ in pairs)
    cb = collections.Counter(b for _, b in pairs)
    pe = sum(ca[c] * cb[c] for c in CATS) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def agree(ann, corpus):
    groups = collections.OrderedDict()
    for r in rows(corpus):
        if r['id'] not in ann:
            continue
        a, b = expand(r['labels'], corpus), ann[r['id']]
        for g in ((r['split'], r['kind']), (r['split'], 'all')):
            groups.setdefault(g, []).append((a, b))
    print('# agreement of the corpus labels (A) and the blind second annotation (B)')
    print('# exact: same label set; overlap: the sets share a category; first: same first label;')
    print('# kappa: Cohen on first labels; addr: both address-level or both not (any label);')
    print('# B-in-A: B\'s first label is one of A\'s (what test_classify_corpus would count right')
    print('# for a classifier that answered like B), A-in-B the other way round')
    print('%-14s %5s %7s %7s %7s %6s %7s %7s %7s' % ('part', 'n', 'exact', 'overlap', 'first',
                                                    'kappa', 'addr', 'B-in-A', 'A-in-B'))
    for (sp, kind), pairs in groups.items():
        n = len(pairs)
        ex = sum(set(a) == set(b) for a, b in pairs)
        ov = sum(bool(set(a) & set(b)) for a, b in pairs)
        fi = sum(a[0] == b[0] for a, b in pairs)
        ad = sum(bool(set(a) & ADDR) == bool(set(b) & ADDR) for a, b in pairs)
        ba = sum(b[0] in a for a, b in pairs)
        ab = sum(a[0] in b for a, b in pairs)
        print('%-14s %5d %6.1f%% %6.1f%% %6.1f%% %6.3f %6.1f%% %6.1f%% %6.1f%%' %
              ('%s/%s' % (sp, kind), n, 100.0 * ex / n, 100.0 * ov / n, 100.0 * fi / n,
               kappa([(a[0], b[0]) for a, b in pairs]), 100.0 * ad / n, 100.0 * ba / n,
               100.0 * ab / n))
    print('# per category (first label of A): n, exact, overlap; specific agreement: '
          '2*both/(A+B) over any label')
    for sp in ('val', 'dev'):
        pairs = groups.get((sp, 'all'), [])
        if not pairs:
            continue
        for c in CATS:
            sel = [(a, b) for a, b in pairs if a[0] == c]
            na = sum(c in a for a, _ in pairs)
            nb = sum(c in b for _, b in pairs)
            both = sum(c in a and c in b for a, b in pairs)
            if not sel and not nb:
                continue
            ex = sum(set(a) == set(b) for a, b in sel)
            ov = sum(bool(set(a) & set(b)) for a, b in sel)
            print('%s %-18s %4d %6.1f%% %6.1f%%   specific %5.1f%% (A %d, B %d)' %
                  (sp, c, len(sel), 100.0 * ex / max(1, len(sel)),
                   100.0 * ov / max(1, len(sel)), 200.0 * both / max(1, na + nb), na, nb))


def diff(ann, split, corpus):
    for r in rows(corpus):
        if r['split'] != split or r['id'] not in ann:
            continue
        a, b = expand(r['labels'], corpus), ann[r['id']]
        if set(a) != set(b):
            print('%s\t%s\t%s\t%s\t%s\t%s' % (r['id'], 'overlap' if set(a) & set(b) else 'DISJOINT',
                                              '|'.join(a), '|'.join(b), r['src'], r['text']))


def main():
    a = sys.argv[1:]
    corpus = 'tests/data/classifier-corpus.tsv'
    if len(a) >= 3 and a[0] == 'emit':
        corpus = a[3] if len(a) > 3 else corpus
        for r in rows(corpus):
            if r['split'] == a[1] and r['kind'] == a[2]:
                print('%s\t%s' % (r['id'], r['text']))
    elif len(a) >= 2 and a[0] == 'agree':
        agree(annotation(a[1]), a[2] if len(a) > 2 else corpus)
    elif len(a) >= 3 and a[0] == 'diff':
        diff(annotation(a[1]), a[2], a[3] if len(a) > 3 else corpus)
    else:
        sys.exit(__doc__)


main()

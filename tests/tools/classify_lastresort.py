#!/usr/bin/env python3
"""classify_lastresort.py - candidate words for the classifier's last-resort layer.

    tests/tools/classify_lastresort.py [--rules FILE] [--build DIR] [--min-texts N]
                                       [--min-precision P] [--min-providers K]
                                       [--max-break B] [--word W] [--loso]

The last-resort layer (the `; --- (lastresort: ...)` block at the end of
policy/classifier.ini, docs/classifier-labels.md "The last-resort layer")
reads only texts that no other rule reads and that hold no enhanced status
code: today they fall to `other` ("no rule, no status code" in
`retryctl classify --explain`). This script lists the single words that
would predict a NON-address category C strongly enough to decide such a
text, from the DEVELOPMENT part of tests/data/classifier-corpus.tsv only
(the validation part is never classified, read or counted here; the client
translations take no part).

For each word (a run of letters, lower-cased, 3 letters or more; a run of
CJK, kana or Hangul characters gives its character pairs instead) and
category C (never mailbox-unknown, mailbox-disabled or other), over the
development full texts (sisimai's wording fragments are left out, as in
`classify_dev_errors.py --loso --strict`: one source's list):

  texts      full texts holding the word
  prec       share of them whose labels hold C (what the corpus test counts right)
  provs      distinct providers among the texts that carry C
  srcs       distinct sources among them
  fix        development full texts that fall through today (with --rules),
             wrongly, and would be right as C
  break      development texts that fall through today, rightly, and do not
             carry C: what a rule for the word would break (fragments too)
  lbreak     the same over the texts that fall through under strict
             leave-one-source-out (each provider without the rules only it
             supports), with lfix: the texts an unseen provider would send
             to the layer
  frag       wording fragments that fall through today and would be fixed

A word is a candidate when texts >= --min-texts (10), prec >= --min-precision
(0.9), provs >= --min-providers (4) and break + lbreak <= --max-break (0).
Candidates are then read by hand against the labels guide: a word goes into
the policy only when it MEANS the category (not when it only co-occurs with
it), as one fallback_rule of the lastresort block.

--loso estimates the whole procedure on unseen providers: for each provider
P, the candidates are chosen again from the development texts WITHOUT P and
applied (as the first matching candidate, most precise first) to P's texts
that fall through under strict leave-one-source-out; it prints how many of
them would be fixed and broken. No hand review happens there, so it is an
estimate for the automatic list, an upper bound on what the review keeps.
--word W prints the development texts holding W (to review a candidate).
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classify_dev_errors as cde  # noqa: E402

NEVER = cde.ADDR | {'other'}
FALL = 'no rule, no status code'
CJK = re.compile(r'[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+')
LETTERS = re.compile(r'[^\W\d_]{3,}')


def words(text):
    """the words of a text: Latin-script words, CJK character pairs"""
    t = re.sub(r'\S+@\S+|https?://\S+', ' ', text.lower())
    out = set()
    for run in CJK.findall(t):
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    out.update(w for w in LETTERS.findall(CJK.sub(' ', t)))
    return out


def gain(labels, cat):
    """a text that falls to other, wrongly, and is right as cat"""
    ls = labels.split('|')
    return cat in ls and 'other' not in ls


def loss(labels, cat):
    """a text that falls to other, rightly, and is wrong as cat"""
    ls = labels.split('|')
    return cat not in ls and 'other' in ls


def stats(rows, keep):
    """{word: (texts, {cat: count}, {cat: providers}, {cat: sources})} over rows[i], i in keep"""
    n = collections.Counter()
    per = collections.defaultdict(collections.Counter)
    provs = collections.defaultdict(lambda: collections.defaultdict(set))
    srcs = collections.defaultdict(lambda: collections.defaultdict(set))
    for i in keep:
        labels = rows[i][1].split('|')
        for w in words(rows[i][4]):
            n[w] += 1
            for c in labels:
                per[w][c] += 1
                provs[w][c].add(rows[i][2])
                srcs[w][c].add(rows[i][3])
    return n, per, provs, srcs


def candidates(rows, keep, fallen, a):
    """[(word, cat, texts, prec, provs, srcs, fix, break)] that pass the thresholds,
    most precise first; fallen: {index: True} of the texts that fall through"""
    n, per, provs, srcs = stats(rows, keep)
    fw = collections.defaultdict(list)
    for i in fallen:
        for w in words(rows[i][4]):
            fw[w].append(i)
    out = []
    for w, k in n.items():
        if k < a.min_texts:
            continue
        for c, m in per[w].items():
            if c in NEVER or m / k < a.min_precision or len(provs[w][c]) < a.min_providers:
                continue
            fix = sum(gain(rows[i][1], c) for i in fw[w])
            brk = sum(loss(rows[i][1], c) for i in fw[w])
            out.append((w, c, k, m / k, len(provs[w][c]), len(srcs[w][c]), fix, brk))
    return sorted(out, key=lambda x: (-x[3], -x[2], x[0]))


def main():
    root, ap = cde.tool_parser()
    ap.add_argument('--min-texts', type=int, default=10)
    ap.add_argument('--min-precision', type=float, default=0.9)
    ap.add_argument('--min-providers', type=int, default=4)
    ap.add_argument('--max-break', type=int, default=0)
    ap.add_argument('--word')
    ap.add_argument('--loso', action='store_true')
    a = ap.parse_args()
    rows = [r for r in cde.load_corpus(os.path.join(root, cde.CORPUS)) if r[0] == 'dev']
    retryctl = os.path.join(a.build, 'retryctl')
    got = cde.classify(retryctl, a.rules, [r[4] for r in rows])
    decided, _only = cde.loso_decisions(retryctl, a.rules, rows, got, True)
    lfall = {}
    for _prov, (idx, again) in decided.items():
        lfall.update({i: why == FALL for i, (_c, why) in zip(idx, again)})
    full = [i for i, r in enumerate(rows) if r[2] != 'fragment']
    fall = [i for i, (_c, why) in enumerate(got) if why == FALL]
    lfallen = [i for i in full if lfall.get(i)]

    if a.word:
        for i in full:
            if a.word in words(rows[i][4]):
                print('%s [%s] %s %s%s\n    %s' %
                      (rows[i][2], rows[i][1], got[i][0], got[i][1],
                       ' (loso: falls through)' if lfall.get(i) else '', rows[i][4][:300]))
        return

    if a.loso:
        fixed = broken = seen = 0
        for prov in sorted({rows[i][2] for i in full}):
            mine = [i for i in lfallen if rows[i][2] == prov]
            if not mine:
                continue
            others = [i for i in full if rows[i][2] != prov]
            ofall = [i for i in fall + lfallen if rows[i][2] != prov]
            cand = candidates(rows, others, sorted(set(ofall)), a)
            cand = [x for x in cand if x[7] <= a.max_break]
            for i in mine:
                ws = words(rows[i][4])
                hit = next((x for x in cand if x[0] in ws), None)
                if hit is None:
                    continue
                seen += 1
                fix, brk = gain(rows[i][1], hit[1]), loss(rows[i][1], hit[1])
                fixed += fix
                broken += brk
                kind = 'FIX' if fix else 'BREAK' if brk else \
                    'SAME' if hit[1] in rows[i][1].split('|') else 'MOVE'
                print('%s %s: %s -> %s [%s]\n    %s' %
                      (kind, prov, hit[0], hit[1], rows[i][1], rows[i][4][:200]))
        print('loso: %d falling-through full texts of unseen providers; the candidates '
              'decided %d: %d fixed, %d broken' % (len(lfallen), seen, fixed, broken))
        return

    cand = candidates(rows, full, sorted(set(fall) | set(lfallen)), a)
    print('%-20s %-17s %5s %5s %5s %4s %4s %5s %6s %4s %6s' %
          ('word', 'category', 'texts', 'prec', 'provs', 'srcs', 'fix', 'break', 'lfix',
           'lbrk', 'frag'))
    for w, c, k, p, np, ns, _fix, _brk in cand:
        fx = sum(w in words(rows[i][4]) and gain(rows[i][1], c) for i in fall
                 if rows[i][2] != 'fragment')
        bk = sum(w in words(rows[i][4]) and loss(rows[i][1], c) for i in fall)
        lfx = sum(w in words(rows[i][4]) and gain(rows[i][1], c) for i in lfallen)
        lbk = sum(w in words(rows[i][4]) and loss(rows[i][1], c) for i in lfallen)
        fr = sum(w in words(rows[i][4]) and gain(rows[i][1], c) for i in fall
                 if rows[i][2] == 'fragment')
        if bk + lbk > a.max_break:
            continue
        print('%-20s %-17s %5d %5.2f %5d %4d %4d %5d %6d %4d %6d' %
              (w, c, k, p, np, ns, fx, bk, lfx, lbk, fr))
    print('development: %d full texts, %d texts fall through (%d under strict loso)' %
          (len(full), len(fall), len(lfallen)))


if __name__ == '__main__':
    main()

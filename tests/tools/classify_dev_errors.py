#!/usr/bin/env python3
"""classify_dev_errors.py - the DEVELOPMENT texts the classifier rules get wrong.

    tests/tools/classify_dev_errors.py [--rules FILE] [--build DIR] [--save F | --diff F] [--sum]
                                       [--translations]
    tests/tools/classify_dev_errors.py --loso [--strict] [--sum] [--rules FILE] [--build DIR]
    tests/tools/classify_dev_errors.py --batch REF [--rules FILE] [--build DIR]

Runs every text of tests/data/classifier-corpus.tsv through `retryctl classify
--explain` with a policy holding only FILE's rules (default policy/classifier.ini,
read as it is now: no rebuild needed) and `builtin_rules = no`. Prints each
development text whose category is not one of its labels (labels, got, the rule
line or status code that decided, the text), a count by (first label, got),
then one line of totals for each part and one for the client translations.

The validation part is only counted, never listed: rules are written against
the development part (docs/classifier-labels.md, test_classify_corpus.c).

The client translations (tests/data/classifier-translations.tsv: mail
clients' translated UI strings, which never reach retryd) are a set apart:
always counted on their own line (both splits, and each), never in the
development or validation totals, and left out of the development list and
--diff unless --translations adds their development texts (their validation
texts are never listed). --loso and --batch read the corpus only.

--save F keeps the decisions in F; --diff F prints the development texts
whose category changed since F (FIX, BREAK or MOVE), to see what one rule
change does, and of the validation part and of the client translations only
how many texts it fixed and broke (development texts are matched by text,
validation texts and translations by an id of source and text; a file saved
before session 14 has no ids: its validation counts are compared only when
the part holds as many texts as then). --sum prints the totals only. Exit 2 when retryctl fails.

--loso estimates how the rules do on a provider they were NOT written
against (leave one source out, development part only): for each provider P,
the rules that decide right only texts of P (no other provider's
development text) are taken out, as if P had never been seen, and P's texts
are classified again (each text lost is printed, unless --sum). The sum over the full texts is the cross-source
estimate (fragments, sisimai's wording lists, count as one source; with
--strict they support no rule). It prints the providers that lose texts
and the rules that only one provider keeps.

--batch REF measures a batch of new texts: the development texts of the
corpus that the corpus at git REF did not hold (same source and text). It
prints the batch's texts the rules get wrong, its accuracy, and its strict
leave-one-source-out accuracy. Run it when a batch lands, BEFORE writing
rules for it: rules that never saw the batch are the honest predictor of
validation. (--rules FILE, e.g. the rules file at an older commit, replays
the figure later.)
"""
import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ADDR = {'mailbox-unknown', 'mailbox-disabled'}
CORPUS = 'tests/data/classifier-corpus.tsv'
TRANSLATIONS = 'tests/data/classifier-translations.tsv'  # client translations, a set apart


def load_corpus(path):
    rows = []
    with open(path, encoding='utf-8', errors='surrogateescape') as fp:
        for n, ln in enumerate(fp, 1):
            if ln.startswith('#') or not ln.strip():
                continue
            f = ln.rstrip('\n').split('\t', 4)
            if len(f) != 5:
                sys.exit('%s:%d: want 5 tab-separated fields' % (path, n))
            rows.append(f)
    return rows


def text_id(row):
    """an id of a row's source and text that shows neither (--save keeps it)"""
    return hashlib.sha256(('%s\t%s' % (row[3], row[4])).encode('utf-8', 'surrogateescape'))\
        .hexdigest()[:16]


def totals(name, s):
    return ('%s: %.2f%% (%d/%d, %d wrong), non-address taken as address-level %d, '
            'address-level recall %.1f%% (%d/%d)' %
            (name, 100 * s['ok'] / max(1, s['n']), s['ok'], s['n'], s['n'] - s['ok'],
             s['false_addr'], 100 * s['addr_found'] / max(1, s['addr']), s['addr_found'],
             s['addr']))


def count(s, want, cat):
    """count one text whose labels are want and category cat in the Counter s"""
    s['n'] += 1
    s['ok'] += cat in want
    s['false_addr'] += cat in ADDR and not any(w in ADDR for w in want)
    if all(w in ADDR for w in want):
        s['addr'] += 1
        s['addr_found'] += cat in ADDR


def changes(before, now):
    """(fixed, broken) between two lists of (labels, category, id), matched by id"""
    was = {i: c for _l, c, i in before}
    fix = broke = 0
    for labels, cat, i in now:
        if i in was:
            want = labels.split('|')
            fix += cat in want and was[i] not in want
            broke += was[i] in want and cat not in want
    return fix, broke


def run_classify(retryctl, policy, option, texts):
    """retryctl classify OPTION over TEXTS (one a line) under a temporary
    policy file holding POLICY: its output lines, one a text, and that file's
    path (gone by then; --explain names it). Exits 2 when retryctl fails."""
    with tempfile.NamedTemporaryFile('w', suffix='.ini', delete=False) as pol:
        pol.write(policy)
    try:
        run = subprocess.run([retryctl, '-c', pol.name, 'classify', option],
                             input='\n'.join(texts).encode('utf-8', 'surrogateescape') + b'\n',
                             capture_output=True)
    finally:
        os.unlink(pol.name)
    out = run.stdout.decode('utf-8', 'surrogateescape').split('\n')
    if run.returncode != 0 or len(out) < len(texts):
        sys.stderr.write(run.stderr.decode('utf-8', 'replace'))
        sys.exit(2)
    return out[:len(texts)], pol.name


def classify_aside(retryctl, rules, texts):
    """[(category, what decided, the guarded rules that stepped aside or '')]
    for each text, the temporary policy's name written 'line' (line:N is the
    policy's line N: the rules file's line N - 3)"""
    with open(rules) as fp:
        policy = '[retryd]\nmta = postfix\n\n' + fp.read() + '\nbuiltin_rules = no\n'
    out, name = run_classify(retryctl, policy, '--explain', texts)
    # category, decider, text and, where a guarded rule stepped aside, a 4th field
    return [(f[0], f[1].replace(name, 'line'), f[3].replace(name, 'line') if len(f) > 3 else '')
            for f in (o.split('\t') for o in out)]


def classify(retryctl, rules, texts):
    """[(category, what decided)] for each text (classify_aside without the third)"""
    return [(cat, why) for cat, why, _aside in classify_aside(retryctl, rules, texts)]


def rule_lines(path):
    """{line number: line} of each rule line in FILE (rule =, fallback_rule = and guarded_rule =)"""
    with open(path) as fp:
        return {n: ln for n, ln in enumerate(fp, 1)
                if ln.startswith(('rule', 'fallback_rule', 'guarded_rule'))}


def rule_line(why):
    """the line (in the temporary policy) of the rule or fallback rule that
    decided, from classify()'s 'line:N' or 'fallback rule line:N'; None when
    the status code or nothing decided"""
    if why.startswith('fallback rule '):
        why = why[len('fallback rule '):]
    return int(why[5:]) if why.startswith('line:') else None


def loso_decisions(retryctl, rules, rows, got, strict):
    """{provider: (indexes of its development rows, their (category, why)
    with the rules only that provider supports taken out)}, and {provider:
    those rule lines}"""
    with open(rules) as fp:
        lines = fp.read().split('\n')
    # the temporary policy has 3 lines before the rules file
    used = collections.defaultdict(set)  # rule line -> providers decided right
    for (split, labels, prov, _s, _t), (cat, why) in zip(rows, got):
        if split == 'dev' and cat in labels.split('|') and rule_line(why) is not None:
            if prov == 'fragment' and strict:
                continue
            used[rule_line(why) - 3].add(prov)
    only = collections.defaultdict(set)
    for ln, provs in used.items():
        if len(provs) == 1:
            only[next(iter(provs))].add(ln)
    out = {}
    for prov in sorted({r[2] for r in rows if r[0] == 'dev'}):
        idx = [i for i, r in enumerate(rows) if r[0] == 'dev' and r[2] == prov]
        if only.get(prov):
            kept = [ln if n + 1 not in only[prov] else ';' for n, ln in enumerate(lines)]
            with tempfile.NamedTemporaryFile('w', suffix='.ini', delete=False) as rf:
                rf.write('\n'.join(kept))
            try:
                again = classify(retryctl, rf.name, [rows[i][4] for i in idx])
            finally:
                os.unlink(rf.name)
        else:
            again = [got[i] for i in idx]
        out[prov] = (idx, again)
    return out, only


def loso(retryctl, rules, rows, got, strict, show):
    """leave-one-source-out estimate on the development part"""
    tot = collections.Counter()
    lost = []
    decided, only = loso_decisions(retryctl, rules, rows, got, strict)
    for prov, (idx, again) in decided.items():
        ok0 = sum(got[i][0] in rows[i][1].split('|') for i in idx)
        ok1 = sum(c in rows[i][1].split('|') for i, (c, _w) in zip(idx, again))
        fa = sum(c in ADDR and not any(w in ADDR for w in rows[i][1].split('|'))
                 for i, (c, _w) in zip(idx, again))
        part = 'frag' if prov == 'fragment' else 'full'
        tot[part + 'n'] += len(idx)
        tot[part + 'ok0'] += ok0
        tot[part + 'ok1'] += ok1
        tot[part + 'fa'] += fa
        for i, (c, w) in zip(idx, again):
            if show and got[i][0] in rows[i][1].split('|') and c not in rows[i][1].split('|'):
                print('LOST %s [%s] %s -> %s (%s, was %s)\n    %s' %
                      (prov, rows[i][1], got[i][0], c, w, got[i][1], rows[i][4][:300]))
        if ok1 != ok0:
            lost.append((ok0 - ok1, prov, len(idx), sorted(only[prov])))
    for n, prov, size, lns in sorted(lost, reverse=True):
        print('%3d lost of %3d  %-18s rules only it keeps: %s' %
              (n, size, prov, ' '.join(str(x) for x in lns)))
    for part, name in (('full', 'full texts'), ('frag', 'fragments')):
        n = max(1, tot[part + 'n'])
        print('loso %s: %.2f%% (%d/%d) vs %.2f%% with every rule; '
              'non-address taken as address-level %d' %
              (name, 100 * tot[part + 'ok1'] / n, tot[part + 'ok1'], tot[part + 'n'],
               100 * tot[part + 'ok0'] / n, tot[part + 'fa']))


def batch(retryctl, rules, rows, got, ref, root):
    """accuracy of the development texts new since git REF"""
    old = subprocess.run(['git', '-C', root, 'show', ref + ':tests/data/classifier-corpus.tsv'],
                         capture_output=True)
    if old.returncode != 0:
        sys.exit('git show %s: %s' % (ref, old.stderr.decode('utf-8', 'replace').strip()))
    seen = set()
    for ln in old.stdout.decode('utf-8', 'surrogateescape').split('\n'):
        f = ln.split('\t', 4)
        if len(f) == 5 and not ln.startswith('#'):
            seen.add((f[3], f[4]))
    new = {i for i, r in enumerate(rows) if r[0] == 'dev' and (r[3], r[4]) not in seen}
    decided, _only = loso_decisions(retryctl, rules, rows, got, True)
    again = {}
    for idx, dec in decided.values():
        again.update(zip(idx, dec))
    n = ok = lo = fa = lfa = 0
    provs = collections.Counter()
    for i in sorted(new):
        want = rows[i][1].split('|')
        cat, why = got[i]
        n += 1
        ok += cat in want
        lo += again[i][0] in want
        fa += cat in ADDR and not any(w in ADDR for w in want)
        lfa += again[i][0] in ADDR and not any(w in ADDR for w in want)
        provs[rows[i][2]] += 1
        if cat not in want:
            print('%-18s -> %-18s [%s] %s %s\n    %s' %
                  (want[0], cat, rows[i][1], rows[i][2], why, rows[i][4][:400]))
    print('batch since %s: %d development texts from %d providers' % (ref, n, len(provs)))
    print('batch: %.2f%% (%d/%d), non-address taken as address-level %d; '
          'strict loso %.2f%% (%d/%d), non-address taken as address-level %d' %
          (100 * ok / max(1, n), ok, n, fa, 100 * lo / max(1, n), lo, n, lfa))


def tool_parser():
    """the source tree's root and an argument parser with the --rules and --build
    every classifier tool takes"""
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../..'))
    ap = argparse.ArgumentParser()
    ap.add_argument('--rules', default=os.path.join(root, 'policy/classifier.ini'))
    ap.add_argument('--build', default=os.path.join(root, 'build'))
    return root, ap


def main():
    root, ap = tool_parser()
    ap.add_argument('--save')
    ap.add_argument('--diff')
    ap.add_argument('--sum', action='store_true')
    ap.add_argument('--loso', action='store_true')
    ap.add_argument('--strict', action='store_true')
    ap.add_argument('--batch', metavar='REF')
    ap.add_argument('--translations', action='store_true',
                    help='list (and --diff) the development texts of the client translations too')
    a = ap.parse_args()
    rows = load_corpus(os.path.join(root, CORPUS))
    trows = load_corpus(os.path.join(root, TRANSLATIONS))
    got = classify(os.path.join(a.build, 'retryctl'), a.rules, [r[4] for r in rows + trows])
    got, tgot = got[:len(rows)], got[len(rows):]
    if a.batch:
        batch(os.path.join(a.build, 'retryctl'), a.rules, rows, got, a.batch, root)
        return
    if a.loso:
        loso(os.path.join(a.build, 'retryctl'), a.rules, rows, got, a.strict, not a.sum)
        return
    st = {k: collections.Counter() for k in ('dev', 'val', 'trans', 'trans-dev', 'trans-val')}
    dev, errs, val, trans = [], [], [], []
    for r, (cat, why) in zip(rows, got):
        count(st[r[0]], r[1].split('|'), cat)
        if r[0] == 'val':
            val.append((r[1], cat, text_id(r)))
    for r, (cat, why) in zip(trows, tgot):
        count(st['trans'], r[1].split('|'), cat)
        count(st['trans-' + r[0]], r[1].split('|'), cat)
        trans.append((r[1], cat, text_id(r)))
    listed = [(r, g) for r, g in zip(rows, got) if r[0] == 'dev']
    if a.translations:
        listed += [(r, g) for r, g in zip(trows, tgot) if r[0] == 'dev']
    for (_split, labels, prov, _src, text), (cat, why) in listed:
        dev.append((labels, cat, why, text))
        if cat not in labels.split('|'):
            errs.append((labels.split('|')[0], cat, labels, prov, why, text))
    if a.diff:
        with open(a.diff) as fp:
            before = json.load(fp)
        if isinstance(before, dict):
            # validation and translations: counts only, never a text
            bval = before['val']
            if bval and len(bval[0]) == 3:
                print('val changes: %d fixed, %d broken (counts only)' % changes(bval, val))
            elif len(bval) == len(val):
                print('val changes: %d fixed, %d broken (counts only)' %
                      changes([v + [i] for i, v in enumerate(bval)],
                              [v[:2] + (i,) for i, v in enumerate(val)]))
            else:
                print('val changes: not compared (%s was saved with %d validation texts, '
                      'now %d: save it again, with --rules FILE for the rules it was saved with)' % (a.diff, len(bval), len(val)))
            if 'trans' in before:
                print('translations changes: %d fixed, %d broken (counts only)' %
                      changes(before['trans'], trans))
            before = before['dev']
        was = {t: (labels, c) for labels, c, _w, t in before}
        for labels, cat, why, text in dev:
            if text in was and was[text][1] != cat:
                was_cat = was[text][1]
                kind = 'FIX' if cat in labels.split('|') else \
                    'BREAK' if was_cat in labels.split('|') else 'MOVE'
                print('%s %s: %s -> %s (%s)\n    %s' %
                      (kind, labels, was_cat, cat, why, text[:300]))
    elif not a.sum:
        for e in sorted(errs, key=lambda e: (e[0], e[1])):
            print('%-18s -> %-18s [%s] %s %s\n    %s' % (e[0], e[1], e[2], e[3], e[4], e[5][:400]))
        for k, v in collections.Counter((e[0], e[1]) for e in errs).most_common():
            print('%4d %s -> %s' % (v, k[0], k[1]))
    if a.save:
        with open(a.save, 'w') as fp:
            json.dump({'dev': dev, 'val': val, 'trans': trans}, fp)
    print(totals('dev', st['dev']))
    print(totals('val', st['val']))
    td, tv = st['trans-dev'], st['trans-val']
    print(totals('translations', st['trans']) +
          ' (apart; dev %d/%d, val %d/%d)' % (td['ok'], td['n'], tv['ok'], tv['n']))


if __name__ == '__main__':
    main()

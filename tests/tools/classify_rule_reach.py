#!/usr/bin/env python3
"""classify_rule_reach.py - what each classifier rule decides, and how broad it is.

    tests/tools/classify_rule_reach.py [--rules FILE] [--build DIR] [--top N]
                                       [--sort decides|wrong|breadth|matches] [--rule LINE] [--tsv]

Runs the DEVELOPMENT texts of tests/data/classifier-corpus.tsv and every
constructed set (tests/data/classifier-*.tsv but the corpus and the client
translations: the files of adv_sets in tests/unit/test_classify_adversarial.c)
through `retryctl classify --explain` with a policy holding only FILE's rules
(default policy/classifier.ini, read as it is: no rebuild) and
`builtin_rules = no`, and prints for each rule (FILE:LINE):

  dec     texts it decides (it is the first rule that matches)
  wrong   of those, texts whose labels do not hold the rule's category
  match   texts its regex matches anywhere, first or not (Python's `regex`
          module on the raw text: an estimate, as classify.c also skips
          matches inside addresses and URLs and reads a normalised text);
          for a fallback_rule (category shown as CATEGORY*) only texts in
          which retryctl reads no enhanced status code, the only ones it
          may read
  xmatch  of those, texts whose labels do not hold the rule's category: how
          often its words occur in texts meaning something else (shadowed
          today by an earlier rule, or decided wrongly)
  short   letters of its shortest top-level alternative (escapes, classes
          and groups' syntax left out): a short trigger is a broad one
  bare    top-level alternatives with no \\b, lookaround or anchor
  breadth a score: match-weighted, higher for short triggers, bare
          alternatives and an early line (more texts reach it)

The validation part is never read (its texts are neither classified nor
matched here): the figures are development and constructed texts only.
--rule LINE prints the texts one rule decides wrongly and those it matches
with another meaning (to write counter-examples from), then stops.
"""
import collections
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classify_dev_errors as cde  # noqa: E402

try:
    import regex  # PCRE-like: possessive, atomic, variable lookbehind
except ImportError:  # pragma: no cover
    regex = None

RULE = re.compile(r'^(fallback_|guarded_)?rule\s*=\s*([a-z-]+)\s+/(.*)/([a-z]*)\s*$')
SKIP = {'classifier-corpus.tsv', 'classifier-translations.tsv'}


def load_sets(root):
    """[(file, labels, text)] of every constructed set (LABELS WHY TEXT)"""
    out = []
    d = os.path.join(root, 'tests/data')
    for name in sorted(os.listdir(d)):
        if not (name.startswith('classifier-') and name.endswith('.tsv')) or name in SKIP:
            continue
        with open(os.path.join(d, name), encoding='utf-8', errors='surrogateescape') as fp:
            for ln in fp:
                if ln.startswith('#') or not ln.strip():
                    continue
                f = ln.rstrip('\n').split('\t', 2)
                if len(f) == 3:
                    out.append((name, f[0], f[2]))
    return out


def top_alternatives(rx):
    """the top-level alternatives of a regex (split at | outside groups and classes)"""
    alts, depth, cls, cur, i = [], 0, False, '', 0
    while i < len(rx):
        c = rx[i]
        if c == '\\' and i + 1 < len(rx):
            cur += rx[i:i + 2]
            i += 2
            continue
        if cls:
            cls = c != ']'
        elif c == '[':
            cls = True
            if rx[i + 1:i + 2] == ']' or rx[i + 1:i + 3] == '^]':
                cur += rx[i:i + 2]
                i += 2
                continue
        elif c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        elif c == '|' and depth == 0:
            alts.append(cur)
            cur = ''
            i += 1
            continue
        cur += c
        i += 1
    alts.append(cur)
    return alts


def letters(alt):
    """letters an alternative needs at least (optional parts, classes, escapes dropped; a group's
    alternation counted by its shortest branch)"""
    s = re.sub(r'\\[a-zA-Z]', '', alt)            # \b \s \w \d ...
    s = re.sub(r'\\.', 'x', s)                    # an escaped literal counts one
    s = re.sub(r'\[(\^?\].*?|.*?)\]', '', s)      # character classes
    s = re.sub(r'\(\?<?[=!][^()]*\)', '', s)      # simple lookarounds
    # innermost groups first: optional ones vanish, alternations keep their shortest branch
    for _ in range(8):
        def grp(m):
            body, q = m.group(1), m.group(2) or ''
            if q[:1] in ('?', '*') or q.startswith('{0'):
                return ''
            branches = body.split('|')
            return min(branches, key=lambda b: len(re.sub(r'[\W\d_]', '', b)))
        s2 = re.sub(r'\((?:\?[:>i-]*:?)?([^()]*)\)(\?|\*|\+|\{\d+(?:,\d*)?\})?\??', grp, s)
        if s2 == s:
            break
        s = s2
    s = re.sub(r'\w[?*]', '', s)                  # an optional letter
    return len(re.sub(r'[\W\d_]', '', s))


def anchored(alt):
    return bool(re.search(r'\\b|\(\?<?[=!]|\^|\$|\\[sdD]|[:;<>=\[]', alt))


def rules_of(path):
    """[(line number, category, regex, flags, fallback)] of each rule line in FILE"""
    out = []
    for n, ln in cde.rule_lines(path).items():
        m = RULE.match(ln.rstrip('\n'))
        if m:
            out.append((n, m.group(2), m.group(3), m.group(4), m.group(1) == 'fallback_'))
    return out


def coded(retryctl, texts):
    """[does retryctl read an enhanced status code in the text] for each text
    (classify --json's status, no rules: the engine's own reading, never a copy)"""
    out, _ = cde.run_classify(retryctl, '[retryd]\nmta = postfix\n\n[classifier]\nbuiltin_rules = no\n',
                              '--json', texts)
    return [json.loads(o)['status'] is not None for o in out]


def compile_rule(rx, flags):
    if regex is None:
        return None
    try:
        return regex.compile(rx, (regex.I if 'i' in flags else 0) | regex.V0)
    except regex.error:
        return None


def main():
    root, ap = cde.tool_parser()
    ap.add_argument('--top', type=int, default=60)
    ap.add_argument('--sort', default='breadth', choices=('decides', 'wrong', 'breadth', 'matches'))
    ap.add_argument('--rule', type=int, help='list one rule\'s wrong decisions and cross-meaning matches')
    ap.add_argument('--tsv', action='store_true', help='every rule, tab-separated')
    a = ap.parse_args()
    rows = [r for r in cde.load_corpus(os.path.join(root, cde.CORPUS)) if r[0] == 'dev']
    texts = [('corpus-dev', r[1], r[4]) for r in rows] + load_sets(root)
    got = cde.classify(os.path.join(a.build, 'retryctl'), a.rules, [t[2] for t in texts])
    rules = rules_of(a.rules)
    nrules = len(rules)
    code = coded(os.path.join(a.build, 'retryctl'), [t[2] for t in texts]) \
        if any(r[4] for r in rules) else [False] * len(texts)
    dec, wrong = collections.Counter(), collections.Counter()
    wrong_texts = collections.defaultdict(list)
    for (src, labels, text), (cat, why) in zip(texts, got):
        if cde.rule_line(why) is not None:
            ln = cde.rule_line(why) - 3  # the temporary policy has 3 lines before the rules
            dec[ln] += 1
            if cat not in labels.split('|'):
                wrong[ln] += 1
                wrong_texts[ln].append((src, labels, cat, text))
    stats = []
    for pos, (ln, cat, rx, flags, fallback) in enumerate(rules):
        if a.rule and ln != a.rule:
            continue
        alts = top_alternatives(rx)
        short = min(letters(x) for x in alts)
        bare = sum(not anchored(x) for x in alts)
        crx = compile_rule(rx, flags)
        match = xmatch = 0
        xs = []
        if crx is not None:
            for (src, labels, text), (gcat, why), has in zip(texts, got, code):
                if not (fallback and has) and crx.search(text):
                    match += 1
                    if cat not in labels.split('|'):
                        xmatch += 1
                        xs.append((src, labels, gcat, why, text))
        early = 1.0 + (nrules - pos) / nrules   # 2 at the top of the file, 1 at its end
        breadth = (math.log1p(match) + 2 * math.log1p(xmatch)) * early * \
            (1 + bare / len(alts)) * (1 + 8 / (4 + short))
        stats.append(dict(line=ln, cat=cat + ('*' if fallback else ''), dec=dec[ln], wrong=wrong[ln], match=match,
                          xmatch=xmatch if crx is not None else -1, short=short, bare=bare,
                          alts=len(alts), breadth=breadth, rx=rx))
        if a.rule:
            print('rule %d (%s): decides %d, %d wrongly; matches %d, %d with another meaning' %
                  (ln, cat, dec[ln], wrong[ln], match, xmatch))
            for src, labels, gcat, text in wrong_texts[ln]:
                print('WRONG %s [%s] -> %s\n    %s' % (src, labels, gcat, text[:300]))
            for src, labels, gcat, why, text in xs:
                print('XMATCH %s [%s] decided %s (%s)\n    %s' % (src, labels, gcat, why, text[:300]))
            return
    key = {'decides': 'dec', 'wrong': 'wrong', 'breadth': 'breadth', 'matches': 'match'}[a.sort]
    stats.sort(key=lambda s: (-s[key], s['line']))
    base = os.path.relpath(a.rules, root)
    if a.tsv:
        print('rule\tcategory\tdecides\twrong\tmatches\txmatches\tshort\tbare\talts\tbreadth')
        for s in stats:
            print('%s:%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f' %
                  (base, s['line'], s['cat'], s['dec'], s['wrong'], s['match'], s['xmatch'],
                   s['short'], s['bare'], s['alts'], s['breadth']))
        return
    print('%d texts (%d development, %d constructed), %d rules; sorted by %s' %
          (len(texts), len(rows), len(texts) - len(rows), nrules, a.sort))
    print('%-26s %-17s %5s %5s %5s %6s %5s %4s %7s  %s' %
          ('rule', 'category', 'dec', 'wrong', 'match', 'xmatch', 'short', 'bare', 'breadth', 'regex'))
    for s in stats[:a.top]:
        print('%-26s %-17s %5d %5d %5d %6d %5d %2d/%-2d %6.1f  %s' %
              ('%s:%d' % (base, s['line']), s['cat'], s['dec'], s['wrong'], s['match'], s['xmatch'],
               s['short'], s['bare'], s['alts'], s['breadth'], s['rx'][:70]))
    tot_dec = sum(dec.values())
    print('rules decide %d of %d texts, %d wrongly; %d rules decide none' %
          (tot_dec, len(texts), sum(wrong.values()), sum(1 for r in rules if dec[r[0]] == 0)))


if __name__ == '__main__':
    main()

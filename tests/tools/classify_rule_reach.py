#!/usr/bin/env python3
"""classify_rule_reach.py - what each classifier rule decides, and how broad it is.

    tests/tools/classify_rule_reach.py [--rules FILE] [--build DIR] [--top N]
                                       [--sort decides|wrong|breadth|matches|aside] [--rule LINE]
                                       [--tsv]

Runs the DEVELOPMENT texts of tests/data/classifier-corpus.tsv and every
constructed set (tests/data/classifier-*.tsv but the corpus and the client
translations: the files of adv_sets in tests/unit/test_classify_adversarial.c)
through `retryctl classify --explain` with a policy holding only FILE's rules
(default policy/classifier.ini, read as it is: no rebuild) and
`builtin_rules = no`, and prints for each rule (FILE:LINE):

  dec     texts it decides (it is the first rule that matches)
  wrong   of those, texts whose labels do not hold the rule's category
  aside   for a guarded_rule (category shown as CATEGORY^): texts it matched
          before the decision and stepped aside in, because an address
          guard matched (the fourth field of --explain; the engine's own
          count, of the first 4 rules that stepped aside in a text)
  match   texts its regex matches anywhere, first or not (Python's `regex`
          module on the raw text: an estimate, as classify.c also skips
          matches inside addresses and URLs and reads a normalised text);
          for a fallback_rule (category shown as CATEGORY*) only texts in
          which retryctl reads no enhanced status code, the only ones it
          may read; for a guarded_rule only texts no address guard's regex
          matches (the same estimate), the only ones it may decide
  xmatch  of those, texts whose labels do not hold the rule's category: how
          often its words occur in texts meaning something else (shadowed
          today by an earlier rule, or decided wrongly)

and for each address guard (address_guard, category shown as "guard"):

  dec     texts in which it is the guard that made a guarded rule step aside
  wrong   of those, texts whose labels hold the category of a rule that
          stepped aside: a right decision the guard took away
  aside   guarded rules it made step aside, over all texts
  match   texts its regex matches anywhere (the same estimate)
  xmatch  of those, texts labelled address-level only: texts about the
          recipient's mailbox in which it would keep every guarded rule
          from deciding
  short   letters of its shortest top-level alternative (escapes, classes
          and groups' syntax left out): a short trigger is a broad one
  bare    top-level alternatives with no \\b, lookaround or anchor
  breadth a score: match-weighted, higher for short triggers, bare
          alternatives and an early line (more texts reach it)

The validation part is never read (its texts are neither classified nor
matched here): the figures are development and constructed texts only.
--rule LINE prints the texts one rule decides wrongly, those it stepped aside
in, and those it matches with another meaning (to write counter-examples
from), then stops; for a guard's LINE, the texts it made a guarded rule step
aside in and those it matches that are labelled address-level only.
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
GUARD = re.compile(r'^address_guard\s*=\s*/(.*)/([a-z]*)\s*$')
ASIDE = re.compile(r'^guarded rules? (.*?)(?: and (\d+) more)? stepped aside: guard line:(\d+) matched$')
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
    """[(line number, category, regex, flags, fallback, guarded)] of each rule line in FILE"""
    out = []
    for n, ln in cde.rule_lines(path).items():
        m = RULE.match(ln.rstrip('\n'))
        if m:
            out.append((n, m.group(2), m.group(3), m.group(4), m.group(1) == 'fallback_',
                        m.group(1) == 'guarded_'))
    return out


def guards_of(path):
    """[(line number, regex, flags)] of each address_guard line in FILE"""
    with open(path) as fp:
        return [(n, m.group(1), m.group(2)) for n, m in
                ((n, GUARD.match(ln.rstrip('\n'))) for n, ln in enumerate(fp, 1)) if m]


def aside_of(aside):
    """(rules file lines of the guarded rules named, how many more, the guard's
    line) from --explain's fourth field ('' when none stepped aside: ([], 0, None))"""
    m = ASIDE.match(aside)
    if not m:
        return [], 0, None
    return ([int(x) - 3 for x in re.findall(r'line:(\d+)', m.group(1))],
            int(m.group(2) or 0), int(m.group(3)) - 3)


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
    ap.add_argument('--sort', default='breadth',
                    choices=('decides', 'wrong', 'breadth', 'matches', 'aside'))
    ap.add_argument('--rule', type=int, help='list one rule\'s (or guard\'s) wrong decisions, the '
                    'texts it stepped aside in (made step aside) and cross-meaning matches')
    ap.add_argument('--tsv', action='store_true', help='every rule, tab-separated')
    a = ap.parse_args()
    dev = [r for r in cde.load_corpus(os.path.join(root, cde.CORPUS)) if r[0] == 'dev']
    texts = [('corpus-dev', r[1], r[4]) for r in dev] + load_sets(root)
    got3 = cde.classify_aside(os.path.join(a.build, 'retryctl'), a.rules, [t[2] for t in texts])
    got = [(cat, why) for cat, why, _aside in got3]
    rules = rules_of(a.rules)
    guards = guards_of(a.rules)
    category = {r[0]: r[1] for r in rules}
    nrules = len(rules)
    code = coded(os.path.join(a.build, 'retryctl'), [t[2] for t in texts]) \
        if any(r[4] for r in rules) else [False] * len(texts)
    # the guards' own estimate per text, for the guarded rules' match counts
    cguards = [(g, compile_rule(rx, flags)) for g, rx, flags in guards]
    guard_hit = [any(c is not None and c.search(t[2]) for _g, c in cguards) for t in texts] \
        if any(r[5] for r in rules) else [False] * len(texts)
    dec, wrong, aside = collections.Counter(), collections.Counter(), collections.Counter()
    wrong_texts = collections.defaultdict(list)
    aside_texts = collections.defaultdict(list)  # guard or guarded rule line -> texts
    aside_right = 0  # texts where a rule that stepped aside held a right category
    for (src, labels, text), (cat, why, asd) in zip(texts, got3):
        if cde.rule_line(why) is not None:
            ln = cde.rule_line(why) - 3  # the temporary policy has 3 lines before the rules
            dec[ln] += 1
            if cat not in labels.split('|'):
                wrong[ln] += 1
                wrong_texts[ln].append((src, labels, cat, text))
        lines, more, g = aside_of(asd)
        if g is None:
            continue
        right = any(category.get(x) in labels.split('|') for x in lines)
        dec[g] += 1
        wrong[g] += right
        aside[g] += len(lines) + more
        aside_right += right
        for x in lines:
            aside[x] += 1
            aside_texts[x].append((src, labels, cat, why, text))
        aside_texts[g].append((src, labels, cat, why, text))
    stats = []
    rows = [(ln, cat, rx, flags, fallback, guarded, pos) for pos, (ln, cat, rx, flags, fallback, guarded)
            in enumerate(rules)] + [(g, None, rx, flags, False, False, -1) for g, rx, flags in guards]
    for ln, cat, rx, flags, fallback, guarded, pos in rows:
        if a.rule and ln != a.rule:
            continue
        alts = top_alternatives(rx)
        short = min(letters(x) for x in alts)
        bare = sum(not anchored(x) for x in alts)
        crx = compile_rule(rx, flags)
        match = xmatch = 0
        xs = []
        if crx is not None:
            for (src, labels, text), (gcat, why), has, ghit in zip(texts, got, code, guard_hit):
                if (fallback and has) or (guarded and ghit) or not crx.search(text):
                    continue
                match += 1
                # a guard's other meaning: a text about the recipient's mailbox
                if (all(w in cde.ADDR for w in labels.split('|')) if cat is None
                        else cat not in labels.split('|')):
                    xmatch += 1
                    xs.append((src, labels, gcat, why, text))
        # 2 at the top of the file, 1 at its end; a guard is read for every guarded rule
        early = 2.0 if pos < 0 else 1.0 + (nrules - pos) / nrules
        breadth = (math.log1p(match) + 2 * math.log1p(xmatch)) * early * \
            (1 + bare / len(alts)) * (1 + 8 / (4 + short))
        shown = 'guard' if cat is None else cat + ('*' if fallback else '^' if guarded else '')
        stats.append(dict(line=ln, cat=shown, dec=dec[ln], wrong=wrong[ln], aside=aside[ln],
                          match=match, xmatch=xmatch if crx is not None else -1, short=short,
                          bare=bare, alts=len(alts), breadth=breadth, rx=rx))
        if a.rule:
            if cat is None:
                print('guard %d: made a guarded rule step aside in %d texts (%d rules), in %d of them '
                      'a rule with a right category; matches %d, %d labelled address-level only' %
                      (ln, dec[ln], aside[ln], wrong[ln], match, xmatch))
            else:
                print('rule %d (%s): decides %d, %d wrongly; %smatches %d, %d with another meaning' %
                      (ln, shown, dec[ln], wrong[ln],
                       'stepped aside in %d texts; ' % aside[ln] if guarded else '', match, xmatch))
            for src, labels, gcat, text in wrong_texts[ln]:
                print('WRONG %s [%s] -> %s\n    %s' % (src, labels, gcat, text[:300]))
            for src, labels, gcat, why, text in aside_texts[ln]:
                print('ASIDE %s [%s] decided %s (%s)\n    %s' % (src, labels, gcat, why, text[:300]))
            for src, labels, gcat, why, text in xs:
                print('XMATCH %s [%s] decided %s (%s)\n    %s' % (src, labels, gcat, why, text[:300]))
            return
    key = {'decides': 'dec', 'wrong': 'wrong', 'breadth': 'breadth', 'matches': 'match',
           'aside': 'aside'}[a.sort]
    stats.sort(key=lambda s: (-s[key], s['line']))
    base = os.path.relpath(a.rules, root)
    if a.tsv:
        print('rule\tcategory\tdecides\twrong\taside\tmatches\txmatches\tshort\tbare\talts\tbreadth')
        for s in stats:
            print('%s:%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f' %
                  (base, s['line'], s['cat'], s['dec'], s['wrong'], s['aside'], s['match'],
                   s['xmatch'], s['short'], s['bare'], s['alts'], s['breadth']))
        return
    print('%d texts (%d development, %d constructed), %d rules (%d guarded), %d address guards; '
          'sorted by %s' % (len(texts), len(dev), len(texts) - len(dev), nrules,
                            sum(1 for r in rules if r[5]), len(guards), a.sort))
    print('%-26s %-17s %5s %5s %5s %5s %6s %5s %4s %7s  %s' %
          ('rule', 'category', 'dec', 'wrong', 'aside', 'match', 'xmatch', 'short', 'bare', 'breadth',
           'regex'))
    for s in stats[:a.top]:
        print('%-26s %-17s %5d %5d %5d %5d %6d %5d %2d/%-2d %6.1f  %s' %
              ('%s:%d' % (base, s['line']), s['cat'], s['dec'], s['wrong'], s['aside'], s['match'],
               s['xmatch'], s['short'], s['bare'], s['alts'], s['breadth'], s['rx'][:70]))
    tot_dec = sum(dec[r[0]] for r in rules)
    print('rules decide %d of %d texts, %d wrongly; %d rules decide none' %
          (tot_dec, len(texts), sum(wrong[r[0]] for r in rules),
           sum(1 for r in rules if dec[r[0]] == 0)))
    print('guarded rules stepped aside in %d texts, in %d of them a rule whose category the '
          'labels hold (a right decision a guard took away)' %
          (sum(dec[g[0]] for g in guards), aside_right))


if __name__ == '__main__':
    main()

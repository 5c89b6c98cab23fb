#!/usr/bin/env python3
"""classify_words_loso.py - would a WORD-LEVEL fallback help the rules on unseen sources?

    tests/tools/classify_words_loso.py [--rules FILE] [--build DIR] [--loose] [--show]

An experiment, development part only (the validation part is never read; the
client translations of tests/data/classifier-translations.tsv are not in the
corpus and take no part). For
each development provider P (strict leave-one-source-out, as
`classify_dev_errors.py --loso --strict`): the rules only P supports are taken
out, P's texts are classified again, and where no rule decided and the status
code said nothing (the text came out `other` without a rule) a word-level
fallback may decide instead. The fallback never answers mailbox-unknown or
mailbox-disabled (address-level stays rule-only): those categories only count
as evidence against the others. Variants:

  nb-M        naive Bayes over the words and word pairs of the development
              texts WITHOUT P (and without the wording fragments unless
              --loose), Bernoulli presence, Laplace smoothing, flat prior; it
              decides category C (not other, not address-level) only when
              C's score beats `other`'s by at least M (natural log)
  keywords    a hand-written generic keyword layer (block list, relay, MX,
              rate, TLS, virus...): it decides when exactly one category's
              keywords are in the text

Prints per variant: the strict LOSO accuracy on the full development texts
(baseline: no fallback), how many texts it made right and wrong, and how many
texts it made address-level (always 0 by construction).
--show lists the texts each variant changed.
"""
import collections
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classify_dev_errors as cde  # noqa: E402

ADDR = cde.ADDR
NEVER = ADDR | {'other', 'null-mx'}

KEYWORDS = [
    ('routing', r'\b(no mx|mx (record|lookup|server)|dns|name ?server|nxdomain|servfail|'
     r'host (name )?lookup|host not found|unknown host|no such (host|domain)|unroutable|loop(ing)?\b)'),
    ('rate-limit', r'\b(rate|too (many|fast|quickly)|limit (exceeded|reached)|exceeded .{0,30}limit|'
     r'per (hour|minute|day)|throttl|slow down)'),
    ('authentication', r'\b(auth(entication)?\b|password|credentials|spf|dkim|domainkeys|dmarc|'
     r'starttls|encryption|unauthenticated)'),
    ('content', r'\b(virus|malware|attachment|message (size|too (big|large|long))|'
     r'lines? too long|bare lf|line ending|content|phish)'),
    ('connection', r'\b(timed? ?out|timeout|connection (reset|refused|closed|lost|dropped)|'
     r'disconnect|unreachable|network)'),
    ('policy-reputation', r'\b(block(ed|list)?|black ?list(ed)?|listed|rbl|dnsbl|spam\w*|reputation|'
     r'denied|prohibited|relaying|karma|helo|reverse dns|rdns|ptr)\b'),
]


def words(text):
    """the words and word pairs of a text (addresses, paths and key=value dropped)"""
    t = re.sub(r'\S+@\S+|\S*[=/\\$]\S*', ' ', text.lower())
    w = re.findall(r"[a-z][a-z']+", t)
    return set(w) | {a + ' ' + b for a, b in zip(w, w[1:])}


class Bayes:
    """Bernoulli naive Bayes with counts that can leave one provider out"""

    def __init__(self, rows, use_fragments):
        self.df = collections.defaultdict(collections.Counter)    # (word, prov) -> cat
        self.nc = collections.defaultdict(collections.Counter)    # prov -> cat
        self.tot_df = collections.defaultdict(collections.Counter)
        self.tot_nc = collections.Counter()
        for _split, labels, prov, _s, text in rows:
            if prov == 'fragment' and not use_fragments:
                continue
            ls = labels.split('|')
            for lab in ls:
                self.nc[prov][lab] += 1 / len(ls)
                self.tot_nc[lab] += 1 / len(ls)
                for x in words(text):
                    self.df[(x, prov)][lab] += 1 / len(ls)
                    self.tot_df[x][lab] += 1 / len(ls)

    def scores(self, text, without):
        nc = self.tot_nc.copy()
        nc.subtract(self.nc[without])
        s = {c: 0.0 for c in nc if nc[c] > 0}
        for x in words(text):
            d = self.tot_df.get(x)
            if not d:
                continue
            d = d.copy()
            d.subtract(self.df.get((x, without), {}))
            if sum(d.values()) < 2:
                continue
            for c in s:
                s[c] += math.log((d[c] + 1) / (nc[c] + 2))
        return s


def bayes_decide(model, text, without, margin):
    s = model.scores(text, without)
    best = max((c for c in s if c not in NEVER), key=lambda c: s[c], default=None)
    if best is None or s[best] < max(s[c] for c in s if c != best):
        return None  # other or an address-level category is as likely
    return best if s[best] - s.get('other', -1e9) >= margin else None


def keywords_decide(text):
    t = text.lower()
    hits = [c for c, rx in KEYWORDS if re.search(rx, t)]
    return hits[0] if len(hits) == 1 else None


def main():
    root, ap = cde.tool_parser()
    ap.add_argument('--loose', action='store_true')
    ap.add_argument('--show', action='store_true')
    a = ap.parse_args()
    rows = [r for r in cde.load_corpus(os.path.join(root, cde.CORPUS))
            if r[0] == 'dev']
    retryctl = os.path.join(a.build, 'retryctl')
    got = cde.classify(retryctl, a.rules, [r[4] for r in rows])
    decided, _only = cde.loso_decisions(retryctl, a.rules, rows, got, not a.loose)
    model = Bayes(rows, a.loose)
    variants = [('nb-%g' % m, lambda t, p, m=m: bayes_decide(model, t, p, m))
                for m in (0, 2, 4, 6, 8)]
    variants.append(('keywords', lambda t, p: keywords_decide(t)))
    base = n = 0
    res = {name: collections.Counter() for name, _f in variants}
    for prov, (idx, again) in decided.items():
        if prov == 'fragment':
            continue
        for i, (cat, why) in zip(idx, again):
            labels = rows[i][1].split('|')
            n += 1
            base += cat in labels
            for name, decide in variants:
                new = cat
                if cat == 'other' and cde.rule_line(why) is None:
                    new = decide(rows[i][4], prov) or cat
                r = res[name]
                r['ok'] += new in labels
                r['fixed'] += new != cat and new in labels
                r['broken'] += new != cat and cat in labels
                r['moved'] += new != cat and new not in labels and cat not in labels
                r['addr'] += new != cat and new in ADDR
                if a.show and new != cat:
                    print('%-9s %s [%s] %s -> %s\n    %s' %
                          (name, prov, rows[i][1], cat, new, rows[i][4][:200]))
    print('%s LOSO, full development texts: %d; no fallback: %.2f%% (%d)' %
          ('loose' if a.loose else 'strict', n, 100 * base / n, base))
    for name, _f in variants:
        r = res[name]
        print('%-9s %.2f%% (%+d): fixed %d, broken %d, wrong to wrong %d, '
              'address-level from the fallback %d' %
              (name, 100 * r['ok'] / n, r['ok'] - base, r['fixed'], r['broken'],
               r['moved'], r['addr']))


if __name__ == '__main__':
    main()

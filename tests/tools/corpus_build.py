#!/usr/bin/env python3
"""corpus_build.py - rebuild tests/data/classifier-corpus.tsv from public bounce collections.

Its part, as reviewed (session 8), is frozen in tests/data/corpus-base.tsv, which corpus_add.py
reads; a rerun here would only serve to make that file anew.

Usage: corpus_build.py MIRROR_DIR SISIMAI_DUMP_JSONL... > new.tsv

Sources (public, read as data only; each corpus line names its source file):
  * sisimai/set-of-emails (BSD-2): real bounce mails from many MTAs and providers.
    Their per-recipient diagnostic text is taken from a JSON-lines dump made by running
    the sisimai/p5-sisimai parser over the mails (tests/tools/corpus_dump.pl), with the
    reason sisimai's test suite expects for that mail as the starting label.
  * rjbs/Mail-DeliveryStatus-BounceParser t/corpus, prasad83/node-bounce-handler eml,
    yaslama/bouncehammer examples: more real bounce mails, same dump.
  * sisimai/p5-sisimai lib/Sisimai/Rhost/*.pm: the provider texts quoted in its comments
    (Google, Yahoo, Apple, GoDaddy, Orange/FrancePTT ...), quoted from provider documentation.
Labels: the starting label is mapped from the sisimai reason (REASON_MAP); every line was then
read and the label corrected by hand where the wording says otherwise.  Lines already present
in the existing corpus (--keep FILE) keep their reviewed label: re-running never loses a review.

Output columns: LABELS<TAB>PROVIDER<TAB>SOURCE<TAB>TEXT
LABELS is one category or two separated by '|' where both are defensible.
"""
import json, re, sys, os, glob
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus_add import NearSet  # the near-duplicate rule, shared

REASON_MAP = {
    'userunknown': 'mailbox-unknown', 'suspend': 'mailbox-disabled',
    'mailboxfull': 'mailbox-full', 'hostunknown': 'routing', 'notaccept': 'null-mx|routing',
    'blocked': 'policy-reputation', 'rejected': 'policy-reputation', 'norelaying': 'policy-reputation',
    'policyviolation': 'policy-reputation|content', 'requireptr': 'policy-reputation',
    'badreputation': 'policy-reputation', 'spamdetected': 'content', 'spandetected': 'content',
    'virusdetected': 'content', 'contenterror': 'content', 'mesgtoobig': 'content',
    'exceedlimit': 'content', 'notcompliantrfc': 'content', 'securityerror': 'authentication',
    'authfailure': 'authentication', 'toomanyconn': 'rate-limit', 'speeding': 'rate-limit',
    'ratelimited': 'rate-limit', 'networkerror': 'connection', 'expired': 'other|connection',
    'systemerror': 'other', 'systemfull': 'other', 'undefined': 'other', 'onhold': 'other',
    'mailererror': 'other', 'filtered': 'policy-reputation', 'syntaxerror': 'other',
    'failedstarttls': 'connection', 'emptyrcpt': 'other',
}
SKIP = {'delivered', 'feedback', 'vacation'}

# Reviewed labels: after reading every full text, the wording decides where the starting label
# (sisimai's reason, which also weighs where in the session a refusal came) says something else.
# First match wins; applied to full texts and fragments alike.
REVIEW = [
    (r'sender account is disabled|sender address \S+ is not a valid', 'policy-reputation|content'),
    (r'find the recipient domain|unrouteable mail domain', 'routing'),
    (r'not a valid RFC 5321 address', 'other|mailbox-unknown'),
    (r'\d+ hops|loops back to myself|mail loop', 'routing|connection'),
    (r'unusual rate of mail', 'rate-limit|policy-reputation'),
    (r'rate limited because this message wasn.t sent over a TLS', 'rate-limit|authentication'),
    (r'TLS required for RCPT domain', 'authentication|connection'),
    (r'STARTTLS', 'other|connection'),
    (r'failed due to a full mailbox', 'mailbox-full'),
    (r'Too much mail data', 'mailbox-full|content'),
    (r'user not found|Nonexistent user|Rcpt <[^>]*> does not exist', 'mailbox-unknown'),
    (r'procmail: .*No such user', 'other|mailbox-unknown'),
    (r'badrcptto', 'mailbox-unknown|policy-reputation'),
    (r'procmail|vdelivermail: account is locked', None),
    (r'group you tried to contact|groupe que vous|Gruppe, die Sie|grupo con el que|skupina, kterou|グループ', 'mailbox-unknown|policy-reputation'),
    (r'recipient no longer on server', 'mailbox-unknown|mailbox-disabled'),
    (r'inactive email address|account (is|has been) (disabled|locked|suspended)|is a deactivated mailbox', 'mailbox-disabled|mailbox-unknown'),
    (r'sender (address )?rejected|Domain of sender|sender was rejected|my name was rejected|Sender not pre-approved', 'policy-reputation'),
    (r'too many recipients this hour|frequency limited|rate limit', None),
    # "Access denied" on a recipient is address-level only with Microsoft's documented codes
    # (5.4.1 DBEB, 5.7.504/5.7.505: "the recipient address ... isn't valid"); elsewhere a refusal
    (r'5\.(4\.1|7\.50[45])\b.*(Recipient address(es)? rejected ?: Access denied|banned recipient)',
     'mailbox-unknown|policy-reputation'),
    (r'Recipient address rejected: Access denied|All recipient addresses rejected ?: Access denied',
     'policy-reputation'),
    (r'user unknown|unknown user|no such user|No such address|doesn.t have an? \S+ account|Mailbox does not exist|address not found|'
     r'email account that you tried to reach does not exist|Recip(ient)?NotFound|Recipient Not Found|not our (user|customer)|'
     r'not a registered gateway user|unknown recipient', 'mailbox-unknown'),
    (r'Each of the following recipients was rejected by a remote mail server\.$|^Recipient address rejected\.|'
     r'Recipient address rejected\. \(in reply|recipient rejected$|Did not reach the following recipient|could not be delivered due to a recipient error',
     'other|mailbox-unknown'),
    (r'returned Null MX|does not accept mail|indicated no SMTP service', 'null-mx'),
    (r'couldn.t find a mail exchanger|No MX found|No mx record found|Name service error|lookup of \S+ responded with code|'
     r'host name lookup failure|DNS query failed|Host unknown|Domain does not exist|No such domain', 'routing'),
    (r'account or domain may not exist', 'routing|other'),
    (r'Too many hops|hop count exceeded', 'routing|connection'),
    (r'Could not find a gateway', 'routing|other'),
    (r'Connection refused by|Host not reachable|Connection timed out', 'connection|other'),
    (r'Service refuse', 'other|policy-reputation'),
    (r'Email flagged as Spam', 'content'),
    (r'unexpected volume or user complaints|rate limited due to IP reputation', 'rate-limit|policy-reputation'),
    (r'^550 5\.7\.[69] (Failed to delivery|Rejected)$', 'policy-reputation|other'),
    (r'Message Filtered', 'content|policy-reputation'),
    (r'^<[^>]+>$', 'other|mailbox-full'),
    (r'Email address is not verified', 'policy-reputation|authentication'),
]

def review(label, text):
    for rx, lab in REVIEW:
        if re.search(rx, text, re.I):
            return lab or label
    return label

def norm(t):
    return re.sub(r'\s+', ' ', t).strip()

def key(t):
    return re.sub(r'[^a-z]+', '', t.lower())

def provider_of(d):
    f = os.path.basename(d['file'])
    m = re.match(r'(lhost|rhost)-([a-z0-9]+)-\d+', f)
    if m:
        return m.group(2)
    m = re.match(r'([a-z]+)', f)
    return m.group(1) if m else 'unknown'

def from_dumps(paths, out):
    for p in paths:
        for line in open(p, encoding='utf-8', errors='replace'):
            d = json.loads(line)
            if d['reason'] in SKIP or not d.get('diag'):
                continue
            t = norm(d['diag'])
            if len(t) < 6:
                continue
            src = d['file']
            out.append((review(REASON_MAP.get(d['reason'], 'other'), t), provider_of(d), src, t))

def from_rhost(mirror, out):
    for pm in sorted(glob.glob(os.path.join(mirror, 'lib/Sisimai/Rhost/*.pm'))):
        prov = os.path.basename(pm)[:-3].lower()
        lines = open(pm, encoding='utf-8', errors='replace').read().split('\n')
        reason = None
        i = 0
        while i < len(lines):
            l = lines[i]
            m = re.match(r"\s*'([a-z]+)'\s*=>\s*\[", l)
            if m:
                reason = m.group(1)
            m = re.match(r'\s*# - ((?:[245]\d\d)[ -].*)', l)
            if m:
                text = [m.group(1)]
                j = i + 1
                while j < len(lines) and re.match(r'\s*#   \S', lines[j]) and not re.match(r'\s*#   - ', lines[j]):
                    text.append(lines[j].strip()[1:].strip())
                    j += 1
                r = reason
                for k in range(j, min(j + 4, len(lines))):
                    mm = re.match(r"\s*'[^']+'\s*=>\s*'([a-z]+)'", lines[k])
                    if mm:
                        r = mm.group(1)
                        break
                t = norm(' '.join(text))
                t = re.sub(r'(\w)- (\w)', r'\1\2', t)  # words hyphenated across comment lines
                if r and r not in SKIP:
                    out.append((review(REASON_MAP.get(r, 'other'), t), prov,
                                'sisimai/p5-sisimai:lib/Sisimai/Rhost/%s' % os.path.basename(pm), t))
                i = j
                continue
            i += 1

def from_index(mirror, out):
    """Wording fragments: the phrase lists of Reason/*.pm and the message arrays of Rhost/*.pm.
    Fragments of real texts, lower-cased by sisimai: kept for development only (FRAGMENT)."""
    for pm in sorted(glob.glob(os.path.join(mirror, 'lib/Sisimai/Reason/*.pm'))):
        src = os.path.basename(pm)
        reason = src[:-3].lower()
        body = open(pm, encoding='utf-8', errors='replace').read()
        m = re.search(r'state \$index = \[(.*?)\];', body, re.S)
        if not m:
            continue
        for q in re.findall(r"'([^'\n]{8,})'" + '|' + r'"([^"\n]{8,})"', m.group(1)):
            t = q[0] or q[1]
            out.append((review(REASON_MAP.get(reason, 'other'), t), 'fragment',
                        'sisimai/p5-sisimai:lib/Sisimai/Reason/' + src, t))
    for pm in sorted(glob.glob(os.path.join(mirror, 'lib/Sisimai/Rhost/*.pm'))):
        src = os.path.basename(pm)
        reason = None
        for l in open(pm, encoding='utf-8', errors='replace'):
            m = re.match(r"\s*'([a-z]+)'\s*=>\s*\[", l)
            if m:
                reason = m.group(1)
            m = re.match(r"\s*\['([245]\.\d+\.\d+)',\s*\d+,\s*\d+,\s*'([^']{12,})'\]", l)
            if m and reason and reason not in SKIP:
                t = m.group(1) + ' ' + m.group(2)
                out.append((review(REASON_MAP.get(reason, 'other'), t), 'fragment',
                            'sisimai/p5-sisimai:lib/Sisimai/Rhost/' + src, t))

def main():
    args = sys.argv[1:]
    keep = {}
    if args and args[0] == '--keep':
        for line in open(args[1], encoding='utf-8'):
            if line.startswith('#') or '\t' not in line:
                continue
            f = line.rstrip('\n').split('\t')
            keep[key(f[4])] = f[1]
        args = args[2:]
    mirror, dumps = args[0], args[1:]
    rows = []
    from_dumps(dumps, rows)
    from_rhost(mirror, rows)
    if os.environ.get('CORPUS_FRAGMENTS', '1') == '1':
        from_index(mirror, rows)
    seen = set()
    kept = []
    for lab, prov, src, t in rows:
        k = key(t)
        if k in seen or len(k) < 5:
            continue
        seen.add(k)
        kept.append((keep.get(k, lab), prov, src, t.replace('\t', ' ')[:900]))
    # Split by provider: a provider's texts are all development or all validation, so the
    # same provider's near-identical wording never sits on both sides.  Fragments are
    # development only.  A validation text near a development text (corpus_add.py's rule:
    # wording skeletons, letters only with addresses and hosts removed, first 80, equal, or
    # the shorter one of at least NEAR_MIN letters starting the longer) moves to development.
    def split_of(prov):
        if prov == 'fragment':
            return 'dev'
        h = 0
        for ch in prov:
            h = (h * 31 + ord(ch)) % 1000003
        return 'val' if h % 5 in (0, 2) or h % 7 in (3, 5) else 'dev'
    def skel(t):
        t = re.sub(r'\S+@\S+|\[[^\]]*\]|\S+\.\S+\.\S+', ' ', t.lower())
        return re.sub(r'[^a-z]+', '', t)[:80]
    devsk = NearSet(skel(t) for lab, prov, src, t in kept if split_of(prov) == 'dev')
    print('# classifier-corpus.tsv - real bounce and delay texts, labelled; built by tests/tools/corpus_build.py')
    print('# SPLIT<TAB>LABELS<TAB>PROVIDER<TAB>SOURCE<TAB>TEXT; LABELS: one category, or two joined by | where both are defensible')
    print('# dev: rules are written against these; val: only measured (tests/unit/test_classify_corpus.c)')
    for lab, prov, src, t in kept:
        sp = split_of(prov)
        if sp == 'val' and devsk.near(skel(t)):
            sp = 'dev'
        print('%s\t%s\t%s\t%s\t%s' % (sp, lab, prov, src, t))

main()

#!/usr/bin/env python3
"""corpus_add.py - merge the hand-labelled sources of tests/data/corpus-src/*.tsv into
tests/data/classifier-corpus.tsv and tests/data/classifier-translations.tsv (idempotent: lines
from those sources are replaced).

Usage: corpus_add.py [CORPUS [SRCDIR]]
       corpus_add.py --split NAME...   (prints the split each source file name gets)

Each source file holds LABELS<TAB>PROVIDER<TAB>SOURCE<TAB>TEXT lines (a '#' line says where the
texts come from and their licence). Labels were set by reading each text (not by running the
classifier). The corpus is made of tests/data/corpus-base.tsv (BASE: the part corpus_build.py made
from the sisimai collections, frozen with its reviewed labels; SPLIT LABELS PROVIDER SOURCE TEXT)
first, then the source files' lines in file order, then the relabellings of
corpus-label-changes.tsv; nothing else of the old corpus is carried over but its '#' head and which
texts were validation (below).
A text already taken (same letters, any case) is skipped; where the two sources differ it is warned,
naming both (FILE:LINE and SOURCE each), when the skipped line is new (not in its file as committed
in git; every line where there is no git copy) or was in the corpus before the run (a new source
displaced it). A corpus line whose SOURCE is in no source file nor BASE (an orphan: its source
line was taken out) is warned and dropped.

Client translations (session 14): a text whose SOURCE is a translation file of a mail client's
own UI strings (is_translation: gettext po/XX.po, PHPMailer's language/phpmailer.lang-XX.php;
Mutt, NeoMutt, Evolution, Balsa, Sylpheed, PHPMailer) goes to classifier-translations.tsv, beside
the corpus, in the same format, not to the corpus. retryd reads what an MTA records (its own
errors and the remote server's reply, in whatever language the server writes); a client's
translated message never reaches it, so those texts are measured apart (test_classify_corpus's
third set) and count in neither the development nor the validation figures. They go through
every step below like any other text (split, same-letters duplicates, near-duplicates, label
changes) and keep the SPLIT they get there; only the file they are written to differs. The
client's English strings (its source code) stay in the corpus.

Split (the corpus's SPLIT column): a whole source is validation or development, so wording
the rules were written against never stands for unseen wording:
  * smtp-field-manual.tsv and smtp-codes.tsv (providers' raw SMTP responses), github-issues.tsv (texts users
    quoted in issues) and web-pages.tsv (replies quoted on provider/hosting help pages):
    validation, never read while writing rules; threads and pages added later are split
    by source: md5(URL) first hex digit even = validation (those files), odd = development
    (github-issues-dev.tsv, web-pages-dev.tsv); sisimai and smtp-field-manual threads are
    always validation (their data is), and so is sisimai-go-rhost.tsv (go-sisimai's quoted
    provider replies, like the Perl Rhost quotes);
  * postfix-smtpd-ref.tsv, postfix-smtp-source.tsv, haraka-outbound.tsv (MTA source texts)
    and exim-testsuite.tsv (Exim's test suite logs), flufl-bounce.tsv (GNU Mailman's
    bounce test set), bmh-samples.tsv (PHPMailer-BMH samples), zone-mta-bounces.tsv (ZoneMTA's
    bounce rule examples) and haraka-plugins.tsv (Haraka plugins' reply texts): development;
  * added in session 7, all development (validation is fixed): php-bounce-handler.tsv
    (cfortune/PHP-Bounce-Handler's sample bounces), qpsmtpd.tsv (qpsmtpd's reply texts),
    chasquid.tsv (chasquid's replies and courier errors), opensmtpd.tsv (OpenSMTPD's delivery
    errors and replies), james.tsv (Apache James), postal.tsv (Postal), dovecot.tsv
    (Dovecot LMTP/submission), sendmail-cf.tsv (sendmail's cf rulesets and C source), exchange-server.tsv
    (Microsoft's Exchange NDR documentation), smtp-libs.tsv (go-smtp, aiosmtpd, MailKit,
    Python smtplib), policy-daemons.tsv (pypolicyd-spf, iRedAPD, policyd-weight), mox.tsv (mox), node-smtp.tsv
    (nodemailer and smtp-server), maddy.tsv (maddy), esp-payloads.tsv (django-anymail's ESP webhook samples), courier.tsv (Courier), exim-debian.tsv (Debian's Exim ACL texts), web-pages-s7.tsv (pages quoting
    replies) and github-issues-s7.tsv (GitHub threads quoting them);
  * added in session 8: cyrus.tsv (Cyrus IMAP's LMTP replies) and indimail.tsv (IndiMail's
    qmail-smtpd replies and qmail-remote/qmail-local errors), development. Validation must stay
    at least a third of the real texts (test_classify_corpus), so from the second batch on a new
    source FILE goes to validation when md5(file name)'s first hex digit is even, development
    when odd (decided by the name, before any classifier run): zimbra.tsv (Zimbra's LMTP
    replies), go-guerrilla.tsv (go-guerrilla's responses), twisted.tsv (Twisted mail's replies
    and client errors), msmtp.tsv (msmtp's errors), web-pages-s8.tsv (pages quoting replies):
    validation; aiosmtplib.tsv (aiosmtplib's errors), dma.tsv (DragonFly Mail Agent's delivery
    errors), clamsmtp.tsv (ClamSMTP's replies), sqlgrey.tsv (SQLgrey's greylisting texts) and
    rspamd.tsv (Rspamd's reject messages), haraka-plugins-s8.tsv (Haraka's dns-list,
    spamassassin and attachment plugins), vsmtp.tsv (vSMTP's replies), smtpserver.tsv (the .NET
    SmtpServer library's replies), email-sender.tsv (Perl Email::Sender's failures),
    postfix-src-s8.tsv (Postfix delivery agents' status texts not taken before), mailu.tsv
    (Mailu's Rspamd messages and limiter), mailcow.tsv (mailcow's Rspamd messages), nginx.tsv
    (nginx's SMTP proxy replies), exim-src.tsv (Exim source messages not in its test logs),
    go-net-smtp.tsv (Go's net/smtp, net and TLS errors), amavisd-new.tsv (amavisd-new's
    blocked-message responses and SMTP replies), commons-email.tsv (Apache Commons Email's
    send failures), opendmarc.tsv (OpenDMARC's reject reply), fetchmail.tsv (fetchmail's
    listener/MDA refusal messages): development;
  * from session 9 the tool computes that rule itself (split_of): every file not in the two closed
    lists of older files (OLD_VAL, OLD_DEV) gets the side of md5(its name), so a new file needs no
    list entry; its name is chosen from its source (e.g. gh-OWNER-REPO.tsv, web-DOMAIN.tsv) before
    the digest is looked at.
  * val-read.tsv (READ_DEV, session 11): validation texts that were read while being landed (the
    rules failed them at first contact, they were held out as '# PENDING' lines and their words
    printed in commit messages): development, since read wording cannot stand for unseen wording;
    so are hmailserver.tsv and kopano.tsv (session 12), held out at first contact and read to fix
    the rules that took their non-address texts as address-level.
Near-duplicates (no leak from development into validation): a text's wording skeleton is its
letters a-z only, addresses and hosts removed, the first 80 (a text with fewer than 12 of them,
one in Chinese alone, keeps its letters of every script; same-letters duplicates are told by
the letters of every script, session 13: before, a text without five letters a-z was never taken); two texts are near-duplicates when
their skeletons are equal or the shorter one, at least NEAR_MIN (40) letters long, is the start
of the longer one (the same reply cut shorter, or a template such as "Service unavailable;
Client host [..] blocked using" with only a list or host name after it). A new validation text
near a development text moves to development, as in corpus_build.py; a development text near a
validation text is left out of the corpus (it stays in its source file; it would be validation
wording the rules were written against). A text that is validation in the corpus before the run
stays validation, so adding texts never moves validation texts away; the development twin is
the one left out, also when it was in the corpus before (session 6: 35 such development texts,
26 full texts and 9 fragments, left out by this rule; the count is printed at each run).
"""
import hashlib, os, re, subprocess, sys

CHANGES = 'corpus-label-changes.tsv'
TRANSLATIONS = 'classifier-translations.tsv'  # beside the corpus: the client translations
TRANSLATIONS_HEAD = (
    '# classifier-translations.tsv - translations of mail clients\' own UI strings (po/XX.po, '
    'language/*lang-XX.*), labelled;\n'
    '# written by tests/tools/corpus_add.py (is_translation), never by hand; not bounce texts an MTA '
    'records: measured apart\n'
    '# SPLIT<TAB>LABELS<TAB>PROVIDER<TAB>SOURCE<TAB>TEXT, as classifier-corpus.tsv; dev: may be read, '
    'val: only measured (tests/unit/test_classify_corpus.c)\n')
# SOURCE of a client translation: OWNER/REPO:PATH ending in a gettext catalogue po/LANG.po or in
# PHPMailer's language/phpmailer.lang-LANG.php (LANG: xx, xxx, xx_YY, xx@script)
TRANSLATION_RE = re.compile(r'^[^\s:/]+/[^\s:]+:(?:\S*/)?'
                            r'(?:po/[a-z]{2,3}(?:_[A-Za-z]{2,4})?(?:@\w+)?\.po'
                            r'|language/[^\s/]*lang-[a-z]{2,3}(?:_[A-Za-z]{2,4})?\.\w+)$')
BASE = 'corpus-base.tsv'  # the frozen part corpus_build.py made (the sisimai collections)
SKEL_LATIN_MIN = 12  # Latin letters: fewer, and a text's skeleton is all its letters
NEAR_MIN = 40  # letters: a shorter skeleton that starts a longer one makes a near-duplicate
# the split of a source file is md5(file name)'s first hex digit: even = validation, odd =
# development (session 8), except for the files older than that rule, which keep the side they had
# (these two lists are closed: a new file never goes in them)
OLD_VAL = {'smtp-field-manual.tsv', 'smtp-codes.tsv', 'github-issues.tsv', 'web-pages.tsv',
           'sisimai-go-rhost.tsv'}
OLD_DEV = {'bmh-samples.tsv', 'chasquid.tsv', 'esp-payloads.tsv', 'exim-debian.tsv',
           'github-issues-dev.tsv', 'haraka-outbound.tsv', 'haraka-plugins.tsv', 'indimail.tsv',
           'maddy.tsv', 'mox.tsv', 'node-smtp.tsv', 'php-bounce-handler.tsv', 'policy-daemons.tsv',
           'sendmail-cf.tsv', 'smtp-libs.tsv', 'web-pages-s7.tsv', 'zone-mta-bounces.tsv'}
# validation texts READ while they were landed (held out as '# PENDING' lines because the rules
# failed them, their words printed): development from then on, never validation (session 11)
# session 12: hmailserver.tsv and kopano.tsv (labels9), validation by name, were held at first contact
# (hMailServer 46/58 right, 3 non-address texts taken as address-level, 1 of 3 address-level found;
# Kopano 10/12, 1 taken as address-level), then read by the lead to fix those rules: development
READ_DEV = {'val-read.tsv', 'hmailserver.tsv', 'kopano.tsv'}


def split_of(name):
    """split_of - the split of source file name: 'val' or 'dev'"""
    if name in OLD_VAL:
        return 'val'
    if name in OLD_DEV or name in READ_DEV:
        return 'dev'
    return 'val' if int(hashlib.md5(name.encode('utf-8')).hexdigest()[0], 16) % 2 == 0 else 'dev'


def is_translation(source):
    """is_translation - whether SOURCE is a translation file of a mail client's own UI strings
    (po/LANG.po, language/*lang-LANG.*): its texts go to TRANSLATIONS, not to the corpus"""
    return TRANSLATION_RE.match(source) is not None


def key(t):
    """key - t's letters in any script, lower case: two texts with the same key are the same text
    (a text in Chinese alone has a key too; it once had none and was never taken)"""
    return ''.join(c for c in t.lower() if c.isalpha())


def skel(t):
    """skel - t's wording skeleton: its letters a-z only (accented letters dropped, so a text
    mangled in another charset still meets its twin; a wrapper in another script hides nothing),
    addresses and hosts removed, the first 80;
    a text with fewer than SKEL_LATIN_MIN Latin letters is read in all its letters"""
    t = re.sub(r'\S+@\S+|\[[^\]]*\]|\S+\.\S+\.\S+', ' ', t.lower())
    latin = re.sub(r'[^a-z]+', '', t)
    if len(latin) >= SKEL_LATIN_MIN:
        return latin[:80]
    return ''.join(c for c in t if c.isalpha())[:80]


class NearSet:
    """NearSet - skeletons of one split, asked whether a skeleton is a near-duplicate of one"""

    def __init__(self, skels=()):
        self.full, self.starts = set(), set()
        for sk in skels:
            self.add(sk)

    def add(self, sk):
        self.full.add(sk)
        self.starts.update(sk[:n] for n in range(NEAR_MIN, len(sk) + 1))

    def near(self, sk):
        """@return whether sk equals a skeleton of the set or one starts the other"""
        return (sk in self.full or sk in self.starts or
                any(sk[:n] in self.full for n in range(NEAR_MIN, len(sk))))


def apply_changes(path, rows, gone=lambda split, text: False):
    """apply_changes - relabel rows (lists SPLIT LABELS PROVIDER SOURCE TEXT) from the change
    list at path, in its order (a later line may change the same text again: a chain); a
    change to a text left out of the corpus (gone(split, text) true) is skipped;
    @return (changed now, already changed)"""
    if not os.path.exists(path):
        return (0, 0)
    at = {}
    for r in rows:
        at.setdefault((r[3], r[4]), []).append(r)
    changes = []
    for n, line in enumerate(open(path, encoding='utf-8'), 1):
        if line.startswith('#') or not line.strip():
            continue
        f = line.rstrip('\n').split('\t')
        if len(f) != 6:
            sys.exit('%s:%d: want 6 tab-separated fields' % (path, n))
        changes.append((n, f))
    now = done = 0
    for i, (n, (split, old, new, _rule, src, text)) in enumerate(changes):
        hits = [r for r in at.get((src, text), []) if r[0] == split]
        if not hits and gone(split, text):
            continue
        if not hits:
            sys.exit('%s:%d: no %s corpus line with that source and text' % (path, n, split))
        # labels a later line of the chain for this text gives or takes
        later = set()
        for _m, g in changes[i + 1:]:
            if (g[0], g[4], g[5]) == (split, src, text):
                later |= {g[1], g[2]}
        for r in hits:
            if r[1] == old:
                r[1] = new
                now += 1
            elif r[1] == new or r[1] in later:
                done += 1
            else:
                sys.exit('%s:%d: label is %s, neither %s nor %s' % (path, n, r[1], old, new))
    return (now, done)


def read_rows(corpus):
    """read_rows - the corpus's data lines as lists of fields"""
    return [l.rstrip('\n').split('\t') for l in open(corpus, encoding='utf-8')
            if not l.startswith('#')]


def read_base(path):
    """read_base - the frozen part (BASE: SPLIT LABELS PROVIDER SOURCE TEXT);
    @return a list of (row, FILE:LINE)"""
    rows = []
    for n, line in enumerate(open(path, encoding='utf-8'), 1):
        if line.startswith('#') or not line.strip():
            continue
        f = line.rstrip('\n').split('\t')
        if len(f) != 5 or f[0] not in ('dev', 'val'):
            sys.exit('%s:%d: want SPLIT (dev or val) and 4 more tab-separated fields' % (path, n))
        rows.append((f, '%s:%d' % (BASE, n)))
    return rows


def read_sources(srcdir):
    """read_sources - the lines of srcdir/*.tsv; @return a list of
    ((SPLIT, LABELS, PROVIDER, SOURCE, TEXT), FILE:LINE, whether the line is new: not in the
    file as committed in git (every line is new where git has no committed copy)"""
    new = []
    for f in sorted(f for f in os.listdir(srcdir) if f.endswith('.tsv')):
        committed = git_committed(srcdir, f)
        for n, line in enumerate(open(os.path.join(srcdir, f), encoding='utf-8'), 1):
            if line.startswith('#') or not line.strip():
                continue
            parts = line.rstrip('\n').split('\t')
            if len(parts) != 4:
                sys.exit('%s/%s:%d: want 4 tab-separated fields' % (srcdir, f, n))
            new.append(((split_of(f),) + tuple(parts), '%s:%d' % (f, n),
                        committed is None or line not in committed))
    return new


def git_committed(srcdir, name):
    """git_committed - the lines of srcdir/name as committed (git HEAD), None when there is none"""
    try:
        r = subprocess.run(['git', '-C', srcdir, 'show', 'HEAD:./' + name], capture_output=True)
    except OSError:
        return None
    if r.returncode != 0:
        return None
    return set(r.stdout.decode('utf-8', 'replace').splitlines(True))


def warn(msg):
    print('corpus_add: WARNING: ' + msg, file=sys.stderr)


def short(t):
    return t if len(t) <= 70 else t[:67] + '...'


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--split':
        for name in sys.argv[2:]:
            print('%s\t%s' % (split_of(os.path.basename(name)), os.path.basename(name)))
        return
    corpus = sys.argv[1] if len(sys.argv) > 1 else 'tests/data/classifier-corpus.tsv'
    srcdir = sys.argv[2] if len(sys.argv) > 2 else 'tests/data/corpus-src'
    new = read_sources(srcdir)
    base = read_base(os.path.join(os.path.dirname(corpus), BASE))
    sources = set(r[3] for r, _w, _n in new) | set(r[3] for r, _w in base)
    translations = os.path.join(os.path.dirname(corpus), TRANSLATIONS)
    head, prev = [], []
    for line in open(corpus, encoding='utf-8'):
        if line.startswith('#'):
            head.append(line)
        else:
            prev.append(line.rstrip('\n').split('\t'))
    # the texts written apart before are part of what the corpus was (validation stays validation)
    if os.path.exists(translations):
        prev += read_rows(translations)
    # a corpus line whose source is in no source file would be carried by nothing: it goes
    orphans = [f for f in prev if f[3] not in sources]
    for f in orphans:
        warn('orphan dropped: corpus line of %s is in no source file (nor %s): %s' %
             (f[3], BASE, short(f[4])))
    old = [list(r) for r, _w in base]
    seen = {}
    for r, where in base:
        seen.setdefault(key(r[4]), (r[3], where))
    devsk = NearSet(skel(f[4]) for f in old if f[0] == 'dev')
    for r, _w, _n in new:
        if r[0] == 'dev':
            devsk.add(skel(r[4]))
    # a text that is validation in the corpus now stays validation: a development text near it
    # is left out instead (adding texts never shrinks validation)
    wasval = set(key(f[4]) for f in prev if f[0] == 'val')
    valsk = NearSet(skel(f[4]) for f in old if f[0] == 'val')
    for r, _w, _n in new:
        if r[0] == 'val' and (key(r[4]) in wasval or not devsk.near(skel(r[4]))):
            valsk.add(skel(r[4]))
    was = set((f[3], f[4]) for f in prev)
    added = []
    left = dups = 0
    for (sp, lab, prov, src, text), where, fresh in new:
        k = key(text)
        if len(k) < 5:
            continue
        if k in seen:
            other, owhere = seen[k]
            if other != src:
                dups += 1
                if (src, text) in was:
                    warn('%s (%s) was in the corpus and is displaced now: same letters as %s (%s), '
                         'taken instead: %s' % (where, src, owhere, other, short(text)))
                elif fresh:
                    warn('%s (%s) dropped: same letters as %s (%s), taken instead: %s' %
                         (where, src, owhere, other, short(text)))
            continue
        if sp == 'dev' and valsk.near(skel(text)):
            left += 1
            continue
        seen[k] = (src, where)
        if sp == 'val' and devsk.near(skel(text)) and k not in wasval:
            sp = 'dev'
        added.append([sp, lab, prov, src, text])
    changed = apply_changes(os.path.join(os.path.dirname(corpus), CHANGES), old + added,
                            lambda split, text: split == 'dev' and valsk.near(skel(text)))
    # development texts already in the corpus that are near a validation text leave it too
    keep = [f for f in old + added if f[0] != 'dev' or not valsk.near(skel(f[4]))]
    left += len(old) + len(added) - len(keep)
    trans, corpus_rows = [], []
    for f in keep:
        (trans if is_translation(f[3]) else corpus_rows).append(f)
    with open(corpus, 'w', encoding='utf-8') as out:
        out.writelines(head)
        for f in corpus_rows:
            out.write('\t'.join(f) + '\n')
    with open(translations, 'w', encoding='utf-8') as out:
        out.write(TRANSLATIONS_HEAD)
        for f in trans:
            out.write('\t'.join(f) + '\n')
    print('corpus_add: %d lines from %s, %d added (%d validation), %d development texts left out '
          '(near a validation text), %d same-letters duplicates of another source\'s text dropped '
          '(new ones warned above), %d orphans dropped; %d client translations (%d validation) '
          'written to %s' %
          (len(old), BASE, len(added), sum(1 for a in added if a[0] == 'val'), left, dups,
           len(orphans), len(trans), sum(1 for f in trans if f[0] == 'val'), TRANSLATIONS),
          file=sys.stderr)
    print('corpus_add: %d label changes applied (%d already applied)' % changed, file=sys.stderr)


if __name__ == '__main__':
    main()

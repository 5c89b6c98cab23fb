/*
 * NAME
 *	classify_guard 3
 * SUMMARY
 *	does an address-level status code speak alone, or do its words say more
 * SYNOPSIS
 *	#include "classify/classify_int.h"
 * DESCRIPTION
 *	Where no rule reads a text, its enhanced status code decides the
 *	category (classify.c). Two codes would make the text address-level:
 *	5.1.1 (mailbox unknown) and 5.2.1 (mailbox disabled). Words over codes
 *	(docs/classifier-labels.md): such a code never makes a text
 *	address-level when its words say something else (quota, sender,
 *	policy, rate, the login or originator ...): "5.2.1 Subject is
 *	Mandatory" is no disabled mailbox, "550 5.1.1 IP address literals are
 *	not supported" no unknown one. classify_guard_word() finds the first word of the reply that
 *	carries the code that belongs to another category's wording
 *	(guard_other below); the code is then not trusted and the text is
 *	"other".
 *
 *	The reply is the text from the code to the next reply code (a 3-digit
 *	[245]xx before a space or '-') or enhanced code, so a later "503 5.0.0
 *	Need RCPT" does not count; when no word follows the code (qmail's
 *	"(#5.1.1)" at the end), the words before it, back to the previous
 *	code. A word is a run of 2 or more ASCII letters, ' allowed inside
 *	("over-quota" is two words), in a blank-separated token that holds
 *	no digit, '@', '.', '/', '\', ':', '=' or '_' once its outer
 *	punctuation is stripped (addresses, host names, URLs, queue ids);
 *	text between < and > is skipped. Bytes above 0x7f separate words.
 *	Nor is the code trusted under RFC 7504's 521 (the host does not accept
 *	mail) or 556 (the domain does not): "521 5.2.1" refuses this client,
 *	not one mailbox; the "word" is then that reply code.
 *
 *	Why a list of other-category words and not the stricter "no word
 *	outside SMTP and recipient-address wording": measured on the
 *	development corpus, the stricter guard also overruled codes whose
 *	other words were neutral ("550 5.1.1 email address lookup in domain
 *	map failed", sendmail's unknown-user text), while this list overrules
 *	every non-address text that the code alone made address-level there
 *	and no text the shipped rules leave to the code.
 *
 *	Beside the address guards (policy/classifier.ini's address_guard
 *	lines, classify.c): both keep a text about the sender's address or
 *	a login account from being address-level, but they are two gates on
 *	different evidence and stay two lists. This one decides whether a
 *	bare status code may speak, when no rule read the wording: any other
 *	category's word in the code's own reply vetoes it (sender and login
 *	words are 23 of its words), read word by word, with no policy at all
 *	(builtin_rules = no, a NULL classifier): an engine rule (Words over
 *	codes) no policy can switch off. The address guards decide whether a
 *	guarded rule's address-level WORDING is the recipient's: sender and
 *	login words only, a regex over the whole text outside names, in the
 *	policy where an operator may change them, and they read phrases no
 *	word list can ("your account" but not "your message"). Their login
 *	words are the same stems (the guard's passw-, credent-, auth- but not
 *	author-, sasl, login, log in, logon; this list's whole words of
 *	them); their sender words differ on purpose: "from",
 *	"sending" and the "your X" phrases only in the guards (with a
 *	guarded rule's recipient words; a code's reply names the reporting
 *	host "from"), and other languages' sender words, originator, origin,
 *	return and mailfrom only here (any language's reply to a code; the
 *	guarded rules are English wordings, and other languages' rules keep
 *	their own sender lookaheads, docs/classifier-labels.md). Measured
 *	(session 18): moving either side's words to the other, or letting
 *	this guard also ask the address guards, changed no decision on the
 *	development, validation (counts), constructed or bounce-corpus sets.
 *
 *	Pure: no allocation, no I/O. Owns nothing.
 * DIAGNOSTICS
 *	None. A word of CLASSIFY_WORD_LEN bytes or more is in no list.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify_int.h"

/* Sorted (strcmp): words of the other categories' wording
 * (docs/classifier-labels.md): a full mailbox, the sender side, policy
 * and reputation, rates, content, authentication and TLS, routing, the
 * connection; and the address's form (syntax, format, characters), which
 * the guide reads as other whatever the code. No recipient-address or SMTP
 * word belongs here. The sender and login words overlap the shipped
 * address guards (see "Beside the address guards" above): the login words
 * are the same in both; test_classify's test_guard_vocabulary pins the
 * shared words and the deliberate differences, so a word added to or taken
 * from one side fails there until the other side is decided. */
static const char *const guard_other[] = {
    "absender",
    "abuse",
    "afzender",
    "attachment",
    "auth",
    "authenticated",
    "authentication",
    "banned",
    "blacklist",
    "blacklisted",
    "block",
    "blocked",
    "blocklist",
    "blocklisted",
    "body",
    "certificate",
    "characters",
    "client",
    "connection",
    "content",
    "credential",
    "credentials",
    "dkim",
    "dmarc",
    "dns",
    "dnsbl",
    "encryption",
    "exceeded",
    "expediteur",
    "filter",
    "filtered",
    "forgery",
    "format",
    "frequency",
    "full",
    "greylisted",
    "greylisting",
    "header",
    "headers",
    "helo",
    "hostname",
    "internal",
    "ip",
    "limit",
    "limits",
    "listed",
    "literal",
    "literals",
    "login",
    "logon",
    "mailfrom",
    "malware",
    "many",
    "mittente",
    "mx",
    "organisation",
    "organization",
    "origin",
    "originator",
    "over",
    "overquota",
    "passwd",
    "password",
    "passwords",
    "policy",
    "preference",
    "preferences",
    "ptr",
    "quarantine",
    "quarantined",
    "quota",
    "rate",
    "rbl",
    "relay",
    "relaying",
    "remetente",
    "remitente",
    "reputation",
    "return",
    "reverse",
    "route",
    "routing",
    "sasl",
    "sender",
    "senders",
    "size",
    "space",
    "spam",
    "spf",
    "starttls",
    "storage",
    "subject",
    "syntax",
    "tenant",
    "throttled",
    "throttling",
    "timeout",
    "tls",
    "too",
    "virus",
};

#define GUARD_NOTHER (sizeof(guard_other) / sizeof(guard_other[0]))

static int guard_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static int guard_is_letter(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int guard_is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static int guard_is_blank(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* guard_is_code - a reply code or enhanced code starts at s[i] */
static int guard_is_code(const unsigned char *s, size_t len, size_t i)
{
	unsigned char prev = i > 0 ? s[i - 1] : ' ';

	if ((s[i] != '2' && s[i] != '4' && s[i] != '5') || prev == '.' ||
	    guard_is_letter(prev) || guard_is_digit(prev) || prev == '_')
		return 0;
	if (i + 2 < len && s[i + 1] == '.' && guard_is_digit(s[i + 2]))
		return 1;
	return i + 3 < len && guard_is_digit(s[i + 1]) &&
	       guard_is_digit(s[i + 2]) && (s[i + 3] == ' ' || s[i + 3] == '-');
}

/* guard_strip - a token's outer punctuation */
static int guard_outer(unsigned char ch)
{
	return strchr(".,;:!?()[]\"'`-=*#", ch) != NULL && ch != '\0';
}

/*
 * guard_token - the first other-category word of the token s[b, e):
 * @return its length (copied, lower case, to @param out), 0 when it has
 * none. @param any is set when the token holds a word at all.
 */
static size_t guard_token(const unsigned char *s, size_t b, size_t e, char *out,
			  size_t outlen, int *any)
{
	while (b < e && guard_outer(s[b]))
		b++;
	while (e > b && guard_outer(s[e - 1]))
		e--;
	for (size_t i = b; i < e; i++)
		if (guard_is_digit(s[i]) || strchr("@./\\:=_", s[i]) != NULL)
			return 0;
	for (size_t i = b; i < e;) {
		size_t j = i, n = 0, wb, we;

		if (!guard_is_letter(s[i])) {
			i++;
			continue;
		}
		while (j < e && (guard_is_letter(s[j]) || s[j] == '\''))
			j++;
		wb = i;
		we = j;
		while (we > wb && s[we - 1] == '\'')
			we--;
		i = j;
		if (we - wb < 2)
			continue;
		*any = 1;
		for (size_t k = wb; k < we && n + 1 < outlen; k++)
			out[n++] = (char)classify_literal_fold(s[k]);
		out[n] = '\0';
		if (we - wb < outlen &&
		    bsearch(out, guard_other, GUARD_NOTHER,
			    sizeof(guard_other[0]), guard_cmp) != NULL)
			return n;
	}
	return 0;
}

/* guard_words - the first other-category word of s[b, e); 0 if none */
static size_t guard_words(const unsigned char *s, size_t b, size_t e, char *out,
			  size_t outlen, int *any)
{
	size_t i = b;

	while (i < e) {
		size_t t, n;

		if (guard_is_blank(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '<') {
			const unsigned char *gt = memchr(s + i, '>', e - i);

			if (gt != NULL) {
				i = (size_t)(gt - s) + 1;
				continue;
			}
		}
		for (t = i; t < e && !guard_is_blank(s[t]) && s[t] != '<'; t++)
			;
		if ((n = guard_token(s, i, t, out, outlen, any)) > 0)
			return n;
		i = t > i ? t : i + 1;
	}
	return 0;
}

/*
 * guard_host_code - the reply code just before the enhanced code at
 * s[at], "521 5.2.1" or "556-5.1.1", when it is one of RFC 7504's
 * whole-host or whole-domain refusals (521 the host, 556 the domain does
 * not accept mail): the enhanced code after it cannot speak of one
 * mailbox. @return its text, or NULL.
 */
static const char *guard_host_code(const unsigned char *s, size_t at)
{
	if (at < 4 || (s[at - 1] != ' ' && s[at - 1] != '-') ||
	    (at > 4 && (guard_is_digit(s[at - 5]) || s[at - 5] == '.')))
		return NULL;
	if (memcmp(s + at - 4, "521", 3) == 0)
		return "521";
	if (memcmp(s + at - 4, "556", 3) == 0)
		return "556";
	return NULL;
}

size_t classify_guard_word(const char *text, size_t len, size_t code_start,
			   size_t code_end, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t e = code_end, b = 0, n;
	const char *host;
	int any = 0;

	out[0] = '\0';
	if (outlen < 4)
		return 0;
	if ((host = guard_host_code(s, code_start)) != NULL) {
		memcpy(out, host, 4);
		return 3;
	}
	while (e < len && !guard_is_code(s, len, e))
		e++;
	if ((n = guard_words(s, code_end, e, out, outlen, &any)) > 0)
		return n;
	memset(out, 0, outlen);
	if (any)
		return 0;
	/* No word after the code: the words before it, from the end of the
	 * previous code (its digits and dots). */
	for (size_t i = 0; i < code_start; i++)
		if (guard_is_code(s, len, i)) {
			for (b = i; b < code_start &&
				    (guard_is_digit(s[b]) || s[b] == '.');
			     b++)
				;
			i = b > i ? b - 1 : i;
		}
	if ((n = guard_words(s, b, code_start, out, outlen, &any)) == 0)
		memset(out, 0, outlen);
	return n;
}

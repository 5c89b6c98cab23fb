/*
 * NAME
 *	classify_norm 3
 * SUMMARY
 *	the part of a bounce text that is the report, in plain letters
 * SYNOPSIS
 *	#include "classify/classify_int.h"
 * DESCRIPTION
 *	A whole bounce (a DSN, an NDR, an Exim or qmail report) carries the
 *	returned message after its report: the original's headers, Subject
 *	and body are the SENDER's words ("Subject: Re: user unknown errors",
 *	"your account is disabled" in a phish), not the receiver's reply.
 *	classify_norm() copies the report alone, so that no rule and no
 *	status code reads the returned message (tests/data/classifier-
 *	adversarial-blind8.tsv):
 *
 *	- the text is cut at the first line (a line starts the text, follows
 *	  a newline, or follows the two characters '\' 'n' of a text
 *	  flattened to one line) that opens the returned message: Exim's
 *	  "------ This is a copy of the message", qmail's and Yahoo's "---
 *	  Below this line is a copy of the message", Exchange's "Original
 *	  message headers:", "----- Original message -----" (Gmail, Outlook),
 *	  "Original message follows", a MIME part "Content-Description:
 *	  Undelivered Message", "Content-Type: message/rfc822" or
 *	  "text/rfc822-headers", or a header line "Return-Path:" or
 *	  "Received: from" - unless nothing but blanks comes before it;
 *	- a line that quotes the original's subject loses its content: one
 *	  that starts (after blanks) with "Subject:", "Original subject:" or
 *	  Exim's "The subject of the message is:", and the first non-blank
 *	  line after one that ends with Mailman's "with the subject";
 *	- each line break, with the blanks before and after it, becomes one
 *	  space, as Postfix joins the lines of a multi-line reply and a mail
 *	  reader unfolds an indented report line ("Mailbox\n    full" reads
 *	  "Mailbox full"): a word after a flattened "\n" is a word ("\nI
 *	  am away" holds no word "nI");
 *	- invisible characters are dropped (U+200B-U+200D zero-width spaces
 *	  and joiners, U+2060 word joiner, U+FEFF, U+00AD soft hyphen) and a
 *	  no-break space (U+00A0, U+202F) becomes a space: "Sen\u200bder
 *	  address rejected" is the sender refused;
 *	- in a word that mixes ASCII letters with Cyrillic or Greek letters
 *	  that look like them (a spoof: "\u0405\u0435nder"), those letters
 *	  become their ASCII twins. A word wholly in Cyrillic or Greek is
 *	  left alone (the Russian and Greek rules read it).
 *
 *	The copy is never longer than the text.
 *
 *	Pure: no allocation, no I/O. Owns nothing.
 * DIAGNOSTICS
 *	None: a text longer than the buffer is not copied (the caller reads
 *	it as it came).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "classify/classify_int.h"

/* Lines that open the returned message, matched caseless at the start of
 * a line's content, after blanks and '-' (CUT) or after blanks only
 * (HEADER: a header of the original). */
static const char *const norm_cut[] = {
    "this is a copy of the message",
    "this is a copy of the body of the message",
    "below this line is a copy of the message",
    "original message headers",
    "original message follows",
    "original message -",
    "original message:",
    "original message-",
    "content-description: undelivered message",
    "content-type: message/rfc822",
    "content-type: text/rfc822-headers",
};

static const char *const norm_header[] = {
    "return-path:",
    "received: from ",
};

static const char *const norm_subject[] = {
    "subject:",
    "original subject:",
    "the subject of the message is:",
};

/* norm_break - the length of the line break at @param s[i] ("\n", "\r\n"
 * or the two characters '\' 'n'), 0 if none */
static size_t norm_break(const char *s, size_t len, size_t i)
{
	if (s[i] == '\n')
		return 1;
	if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
		return 2;
	if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'n')
		return 2;
	return 0;
}

/* norm_starts - does [@param s, +@param len) start with @param word
 * (caseless)? */
static int norm_starts(const char *s, size_t len, const char *word)
{
	size_t n;

	/* every word starts with a lower-case ASCII letter: a byte that
	 * is not that letter in either case rules it out at once */
	if (len == 0 || ((unsigned char)s[0] | 0x20) != (unsigned char)word[0])
		return 0;
	n = strlen(word);
	return len >= n && strncasecmp(s, word, n) == 0;
}

/* norm_any - does the line content at @param s start with one of @param
 * n @param words */
static int norm_any(const char *s, size_t len, const char *const *words,
		    size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (norm_starts(s, len, words[k]))
			return 1;
	return 0;
}

#define NORM_N(a) (sizeof(a) / sizeof((a)[0]))

/* norm_skip - past blanks (and '-' when @param dash) from @param i */
static size_t norm_skip(const char *s, size_t len, size_t i, int dash)
{
	while (i < len &&
	       (s[i] == ' ' || s[i] == '\t' || (dash && s[i] == '-')))
		i++;
	return i;
}

/* norm_eol - the end of the line that starts at @param i (the first line
 * break, or @param len): the first '\n' (or the '\r' of a "\r\n"
 * there), unless a flattened "\\n" comes before it */
static size_t norm_eol(const char *s, size_t len, size_t i)
{
	const char *nl = i < len ? memchr(s + i, '\n', len - i) : NULL;
	size_t e = nl != NULL ? (size_t)(nl - s) : len;

	if (e > i && e < len && s[e - 1] == '\r')
		e--;
	for (size_t k = i; k < e;) {
		const char *bs = memchr(s + k, '\\', e - k);

		if (bs == NULL)
			break;
		k = (size_t)(bs - s);
		if (k + 1 < len && s[k + 1] == 'n')
			return k;
		k++;
	}
	return e;
}

/* norm_report_len - where the returned message starts (@param len when
 * it does not) */
static size_t norm_report_len(const char *s, size_t len)
{
	int seen = 0; /* a non-blank byte before this line */

	for (size_t i = 0; i < len;) {
		size_t c = norm_skip(s, len, i, 1), h = norm_skip(s, len, i, 0);
		size_t e = norm_eol(s, len, i), b;

		if (seen &&
		    (norm_any(s + c, len - c, norm_cut, NORM_N(norm_cut)) ||
		     norm_any(s + h, len - h, norm_header,
			      NORM_N(norm_header))))
			return i;
		for (size_t k = i; k < e && !seen; k++)
			seen = s[k] != ' ' && s[k] != '\t';
		if (e >= len)
			break;
		b = norm_break(s, len, e);
		i = e + b;
	}
	return len;
}

/* norm_invisible - the length of an invisible character at @param s[i]
 * (dropped), 0 if none; @param space is set to 1 for a no-break space
 * (written as ' ') */
static size_t norm_invisible(const unsigned char *s, size_t len, size_t i,
			     int *space)
{
	*space = 0;
	if (s[i] == 0xc2 && i + 1 < len &&
	    (s[i + 1] == 0xa0 || s[i + 1] == 0xad)) {
		*space = s[i + 1] == 0xa0;
		return 2;
	}
	if (i + 2 >= len)
		return 0;
	if (s[i] == 0xe2 && s[i + 1] == 0x80 &&
	    (s[i + 2] >= 0x8b && s[i + 2] <= 0x8d))
		return 3;
	if (s[i] == 0xe2 && s[i + 1] == 0x80 && s[i + 2] == 0xaf) {
		*space = 1;
		return 3;
	}
	if (s[i] == 0xe2 && s[i + 1] == 0x81 && s[i + 2] == 0xa0)
		return 3;
	if (s[i] == 0xef && s[i + 1] == 0xbb && s[i + 2] == 0xbf)
		return 3;
	return 0;
}

/* Cyrillic and Greek letters that look like an ASCII letter: the 2-byte
 * UTF-8 sequence and its twin. */
static const struct {
	unsigned char b0, b1;
	char ascii;
} norm_twin[] = {
    {0xce, 0x91, 'A'}, {0xce, 0x92, 'B'}, {0xce, 0x95, 'E'}, {0xce, 0x96, 'Z'},
    {0xce, 0x97, 'H'}, {0xce, 0x99, 'I'}, {0xce, 0x9a, 'K'}, {0xce, 0x9c, 'M'},
    {0xce, 0x9d, 'N'}, {0xce, 0x9f, 'O'}, {0xce, 0xa1, 'P'}, {0xce, 0xa4, 'T'},
    {0xce, 0xa5, 'Y'}, {0xce, 0xa7, 'X'}, {0xce, 0xb1, 'a'}, {0xce, 0xbf, 'o'},
    {0xd0, 0x85, 'S'}, {0xd0, 0x86, 'I'}, {0xd0, 0x88, 'J'}, {0xd0, 0x90, 'A'},
    {0xd0, 0x92, 'B'}, {0xd0, 0x95, 'E'}, {0xd0, 0x9a, 'K'}, {0xd0, 0x9c, 'M'},
    {0xd0, 0x9d, 'H'}, {0xd0, 0x9e, 'O'}, {0xd0, 0xa0, 'P'}, {0xd0, 0xa1, 'C'},
    {0xd0, 0xa2, 'T'}, {0xd0, 0xa5, 'X'}, {0xd0, 0xb0, 'a'}, {0xd0, 0xb5, 'e'},
    {0xd0, 0xbe, 'o'}, {0xd1, 0x80, 'p'}, {0xd1, 0x81, 'c'}, {0xd1, 0x83, 'y'},
    {0xd1, 0x85, 'x'}, {0xd1, 0x95, 's'}, {0xd1, 0x96, 'i'}, {0xd1, 0x98, 'j'},
};

/* norm_twin_of - the ASCII twin of the letter at @param s[i], 0 if none */
static char norm_twin_of(const unsigned char *s, size_t len, size_t i)
{
	/* every twin's first byte is 0xce, 0xd0 or 0xd1 */
	if (i + 1 >= len || (s[i] != 0xce && s[i] != 0xd0 && s[i] != 0xd1))
		return 0;
	for (size_t k = 0; k < NORM_N(norm_twin); k++)
		if (s[i] == norm_twin[k].b0 && s[i + 1] == norm_twin[k].b1)
			return norm_twin[k].ascii;
	return 0;
}

/* norm_letter - the length of a letter at @param s[i]: 1 for ASCII, 2 for
 * a Greek or Cyrillic one (lead byte 0xce-0xd4), 0 for anything else */
static size_t norm_letter(const unsigned char *s, size_t len, size_t i)
{
	if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
		return 1;
	if (s[i] >= 0xce && s[i] <= 0xd4 && i + 1 < len &&
	    (s[i + 1] & 0xc0) == 0x80)
		return 2;
	return 0;
}

/* norm_unspoof - rewrite, in place, every word of @param s that mixes ASCII
 * letters with look-alike letters; @return the new length */
static size_t norm_unspoof(unsigned char *s, size_t len)
{
	size_t w = 0;

	for (size_t i = 0; i < len;) {
		size_t e = i, n;
		int ascii = 0, twin = 0;

		while (e < len && (n = norm_letter(s, len, e)) > 0) {
			ascii |= n == 1;
			twin |= n == 2 && !twin && norm_twin_of(s, len, e) != 0;
			e += n;
		}
		if (e == i) {
			s[w++] = s[i++];
			continue;
		}
		while (i < e) {
			char t = ascii && twin ? norm_twin_of(s, len, i) : 0;

			n = norm_letter(s, len, i);
			if (t != 0)
				s[w++] = (unsigned char)t;
			else
				memmove(s + w, s + i, n), w += n;
			i += n;
		}
	}
	return w;
}

/* norm_high - the bytes [@param i, @param e) of @param s OR-ed together
 * (bit 7: one is above 0x7f), eight at a time */
static unsigned char norm_high(const unsigned char *s, size_t i, size_t e)
{
	uint64_t acc = 0, word;
	unsigned char tail = 0;

	for (; i + 8 <= e; i += 8) {
		memcpy(&word, s + i, 8);
		acc |= word;
	}
	for (; i < e; i++)
		tail |= s[i];
	acc &= UINT64_C(0x8080808080808080);
	return (unsigned char)(tail | (acc != 0 ? 0x80 : 0));
}

/* norm_copy_line - the bytes [@param i, @param e) of @param s to @param
 * out at @param w without invisible characters, a no-break space as ' '
 * (@param high: norm_high of those bytes; without bit 7 they are ASCII
 * and copied as they are); @return the new @param w */
static size_t norm_copy_line(const unsigned char *s, size_t i, size_t e,
			     unsigned char high, char *out, size_t w)
{
	if (!(high & 0x80)) {
		memcpy(out + w, s + i, e - i);
		return w + (e - i);
	}
	for (size_t k = i; k < e;) {
		int space;
		size_t n, run = k;

		/* an invisible character starts with 0xc2 or above: the bytes
		 * before one are copied as they are */
		while (run < e && s[run] < 0xc2)
			run++;
		memcpy(out + w, s + k, run - k);
		w += run - k;
		if ((k = run) >= e)
			break;
		if ((n = norm_invisible(s, e, k, &space)) == 0)
			out[w++] = (char)s[k++];
		else {
			if (space)
				out[w++] = ' ';
			k += n;
		}
	}
	return w;
}

size_t classify_norm(const char *text, size_t len, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t w = 0, i = 0;
	int after_with_subject = 0;
	unsigned char high = 0; /* bit 7: a byte above 0x7f was copied */

	if (len > cap)
		return (size_t)-1;
	len = norm_report_len(text, len);
	while (i < len) {
		size_t e = norm_eol(text, len, i),
		       h = norm_skip(text, len, i, 0);
		int blank = h >= e, quoted;

		quoted = norm_any(text + h, e - h, norm_subject,
				  NORM_N(norm_subject)) ||
			 (after_with_subject && !blank);
		if (!blank)
			after_with_subject = 0;
		if (e - i >= 16 &&
		    strncasecmp(text + e - 16, "with the subject", 16) == 0)
			after_with_subject = 1;
		/* a quoted subject line is the sender's words: not copied */
		if (!quoted) {
			unsigned char line_high = norm_high(s, i, e);

			high |= line_high;
			w = norm_copy_line(s, i, e, line_high, out, w);
		}
		if (e >= len)
			break;
		/* the break and the blanks around it become one space: a
		 * reply folded as "Mailbox\n    full" reads "Mailbox full" */
		while (w > 0 && (out[w - 1] == ' ' || out[w - 1] == '\t'))
			w--;
		out[w++] = ' ';
		i = norm_skip(text, len, e + norm_break(text, len, e), 0);
	}
	/* a look-alike letter is two bytes above 0x7f: none, no change */
	return high & 0x80 ? norm_unspoof((unsigned char *)out, w) : w;
}

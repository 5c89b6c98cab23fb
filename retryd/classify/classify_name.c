/*
 * NAME
 *	classify_name 3
 * SUMMARY
 *	does a rule's match lie inside an address, URL or host name
 * SYNOPSIS
 *	#include "classify/classify_int.h"
 * DESCRIPTION
 *	Words wholly inside a name are a name's, not the reply's:
 *	"<over-quota@example.org>", "mx-ratelimit.example.net",
 *	".../kb/mailbox-does-not-exist". classify.c asks classify_name_in()
 *	of each rule's match (and each address guard's) and looks on in the
 *	rest of the text when the match does not count. A token is a run of
 *	bytes that may be part of an address, host name or URL (no blanks,
 *	quotes, brackets, ',' or ';'), a sentence's or field's punctuation
 *	after it left out.
 *
 *	Pure: no allocation, no I/O. Owns nothing.
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "classify/classify_int.h"

/* classify_name_byte - may @param ch be part of an address, host name or
 * URL token (classify_name_in): anything but blanks, quotes, brackets and
 * the separators , ; that end such a token in a reply */
static int classify_name_byte(unsigned char ch)
{
	return ch > ' ' && ch < 0x7f && strchr("<>\"'()[]{},;", ch) == NULL;
}

/* classify_name_host - is [@param s, @param e) a host name: labels of
 * letters, digits, '-' and '_' joined by dots, the last one 2 to 24 lower
 * case letters ("mx-blocklist.example.net", "invoice_disabled.zip"; not
 * "RESOLVER.ADR.RecipientNotFound", not "5.1.1") */
static int classify_name_host(const char *s, size_t e_len)
{
	size_t dot = 0, last = 0;

	for (size_t i = 0; i < e_len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (i == 0 || s[i - 1] == '.')
				return 0;
			dot = 1;
			last = i + 1;
		} else if (!(ch == '-' || ch == '_' ||
			     (ch >= '0' && ch <= '9') ||
			     (ch >= 'a' && ch <= 'z') ||
			     (ch >= 'A' && ch <= 'Z')))
			return 0;
	}
	if (!dot || e_len - last < 2 || e_len - last > 24)
		return 0;
	for (size_t i = last; i < e_len; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

/*
 * classify_name_in - does the match [@param ms, @param me) of @param text
 * lie wholly inside one address ('@'), URL ("://", or a host name and a
 * '/' path) or host name (classify_name_host) token? Its words are then
 * a name's, not the reply's: "<over-quota@example.org>",
 * "mx-ratelimit.example.net", ".../kb/mailbox-does-not-exist".
 * @return 0 (not inside a name), 1 (it does not count: an address, or
 * any name when @param addr, for an address-level rule) or 2 (a URL or
 * host name: it counts only when no rule matches outside names).
 */
int classify_name_in(const char *text, size_t len, size_t ms, size_t me,
		     int addr)
{
	size_t ts = ms, te = me, slash;

	if (me <= ms)
		return 0;
	for (size_t i = ms; i < me; i++)
		if (!classify_name_byte((unsigned char)text[i]))
			return 0;
	while (ts > 0 && classify_name_byte((unsigned char)text[ts - 1]))
		ts--;
	while (te < len && classify_name_byte((unsigned char)text[te]))
		te++;
	/* a sentence's or a field's punctuation after the token */
	while (te > me && strchr(".:?!", text[te - 1]) != NULL)
		te--;
	if (te < me)
		return 0;
	if (memchr(text + ts, '@', te - ts) != NULL)
		return 1;
	for (size_t i = ts; i + 3 <= te; i++)
		if (memcmp(text + i, "://", 3) == 0)
			return addr ? 1 : 2;
	for (slash = ts; slash < te && text[slash] != '/'; slash++)
		;
	if (!classify_name_host(text + ts, slash - ts))
		return 0;
	return addr ? 1 : 2;
}

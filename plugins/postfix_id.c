/*
 * NAME
 *	postfix_id 3
 * SUMMARY
 *	validate Postfix queue ids (short and long forms)
 * DESCRIPTION
 *	postfix_id_valid() applies the two forms Postfix creates
 *	(mail_queue.h, MQID_SH_* and MQID_LG_*), stricter than Postfix's own
 *	mail_queue_id_ok() (which takes any alphanumerics): short = 5 hex
 *	microsecond digits + 1..16 hex inode digits, upper case only; long =
 *	10..12 base-52 time digits, 'z', 1..12 base-51 inode digits.
 *
 *	postfix_id_confirm() reads postsuper's report lines; postsuper
 *	exits 0 whatever it did, so these lines are the only confirmation.
 * DIAGNOSTICS
 *	None: the answers are yes/no and a count.
 */
#include <stdlib.h>
#include <string.h>

#include "postfix_id.h"

/* 1 for 0-9 A-F. */
static int postfix_id_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* 1 for a base-52 digit: 0-9 and the letters without vowels. */
static int postfix_id_b52(char c)
{
	if (c >= '0' && c <= '9')
		return 1;
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return strchr("AEIOUaeiou", c) == NULL;
	return 0;
}

int postfix_id_valid_n(const char *s, size_t len)
{
	const char *sep;
	size_t i;

	if (s == NULL || len == 0 || len > POSTFIX_ID_MAX)
		return 0;
	sep = memrchr(s, 'z', len);
	if (sep == NULL) {
		/* short form */
		if (len <= POSTFIX_ID_SHORT_USEC || len > POSTFIX_ID_SHORT_MAX)
			return 0;
		for (i = 0; i < len; i++)
			if (!postfix_id_hex(s[i]))
				return 0;
		return 1;
	}
	/* long form: TIME 'z' INODE, the separator is the last 'z' */
	size_t tlen = (size_t)(sep - s), ilen = len - tlen - 1;
	if (tlen < POSTFIX_ID_LONG_TIME || tlen > POSTFIX_ID_LONG_TIME_MAX ||
	    ilen == 0 || ilen > POSTFIX_ID_LONG_INODE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!postfix_id_b52(s[i]))
			return 0;
	return 1;
}

int postfix_id_valid(const char *id)
{
	if (id == NULL)
		return 0;
	return postfix_id_valid_n(id, strnlen(id, POSTFIX_ID_MAX + 1));
}

/* Index of the id s[0..len) in @param sorted, or -1. */
static long postfix_id_find(const char *s, size_t len,
			    const char *const *sorted, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(sorted[mid], s, len);
		if (c == 0 && sorted[mid][len] != '\0')
			c = 1; /* sorted[mid] is longer: it sorts after s */
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

size_t postfix_id_confirm(const char *out, size_t len,
			  const char *const *phrases, size_t nphrases,
			  const char *const *sorted, size_t n,
			  unsigned char *seen)
{
	size_t count = 0;
	const char *p = out, *end = out + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *c1 = memchr(p, ':', (size_t)(eol - p));

		/* "PROG: ID: PHRASE" */
		if (c1 && eol - c1 > 2 && c1[1] == ' ') {
			const char *id = c1 + 2;
			const char *c2 = memchr(id, ':', (size_t)(eol - id));
			if (c2 && eol - c2 > 2 && c2[1] == ' ' &&
			    postfix_id_valid_n(id, (size_t)(c2 - id))) {
				const char *ph = c2 + 2;
				size_t phlen = (size_t)(eol - ph);
				for (size_t k = 0; k < nphrases; k++) {
					if (strlen(phrases[k]) != phlen ||
					    memcmp(phrases[k], ph, phlen) != 0)
						continue;
					long i = postfix_id_find(
					    id, (size_t)(c2 - id), sorted, n);
					if (i >= 0 && !seen[i]) {
						seen[i] = 1;
						count++;
					}
					break;
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	return count;
}

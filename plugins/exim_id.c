/*
 * NAME
 *	exim_id 3
 * SUMMARY
 *	validate Exim message ids (4.96 and 4.97+ forms)
 * DESCRIPTION
 *	The same patterns Exim itself applies (its regex_ismsgid):
 *	6 base-62 digits, '-', 6 digits, '-', 2 digits (16 characters), or
 *	6, '-', 11, '-', 4 (23 characters). Anything else is refused: no
 *	leading '-', no other length, no byte outside 0-9A-Za-z.
 * DIAGNOSTICS
 *	None: the answer is yes or no.
 */
#include <string.h>

#include "exim_id.h"

/* One base-62 digit's value, or -1. */
static int exim_id_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

/* 1 when s[0..n) are base-62 digits. */
static int exim_id_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (exim_id_digit(s[i]) < 0)
			return 0;
	return 1;
}

int exim_id_valid(const char *id)
{
	size_t pid_len, frac_len;
	size_t len;

	if (id == NULL)
		return 0;
	len = strnlen(id, EXIM_ID_LEN_NEW + 1);
	if (len == EXIM_ID_LEN_OLD) {
		pid_len = 6;
		frac_len = 2;
	} else if (len == EXIM_ID_LEN_NEW) {
		pid_len = 11;
		frac_len = 4;
	} else {
		return 0;
	}
	return exim_id_run(id, EXIM_ID_TIME_LEN) &&
	       id[EXIM_ID_TIME_LEN] == '-' &&
	       exim_id_run(id + EXIM_ID_TIME_LEN + 1, pid_len) &&
	       id[EXIM_ID_TIME_LEN + 1 + pid_len] == '-' &&
	       exim_id_run(id + EXIM_ID_TIME_LEN + 2 + pid_len, frac_len);
}

int exim_id_time(const char *id, int64_t *when)
{
	int64_t t = 0;

	if (!exim_id_valid(id))
		return -1;
	for (int i = 0; i < EXIM_ID_TIME_LEN; i++)
		t = t * 62 + exim_id_digit(id[i]);
	*when = t;
	return 0;
}

/*
 * NAME
 *	postfix_id 3h
 * SUMMARY
 *	Postfix queue ids: strict validation; postsuper's per-id confirmations
 * DESCRIPTION
 *	Short ids (the default): the microseconds of the queue file's
 *	creation as exactly 5 upper-case hex digits, then its inode number in
 *	upper-case hex (Postfix: "6 or more hex chars", typically 10 to 12),
 *	e.g. A1E2DA7254D. Long ids (enable_long_queue_ids = yes): the seconds
 *	(6 or more characters) and microseconds (exactly 4) in base 52, the
 *	separator 'z', then the inode number in base 51, e.g.
 *	4dRmBH2VqzzJ3dQ8. Base 52 is 0-9 and the letters without vowels,
 *	upper then lower case (its last digit is 'z'); base 51 drops the 'z',
 *	so the separator is the last 'z' (Postfix's mail_queue.h). Anything
 *	else is refused: "ALL" (postsuper's every message), a leading '-',
 *	lower-case hex, vowels, control bytes, the empty string, more than
 *	POSTFIX_ID_MAX bytes. Pure functions: no I/O, no globals.
 */
#ifndef RETRYD_POSTFIX_ID_H
#define RETRYD_POSTFIX_ID_H

#include <stddef.h>

#include "util/limits.h"

#define POSTFIX_ID_SHORT_USEC	  5  /* hex digits of microseconds */
#define POSTFIX_ID_SHORT_MAX	  21 /* 5 + 16 hex digits of a 64-bit inode */
#define POSTFIX_ID_LONG_TIME	  10 /* minimum: 6 seconds + 4 microseconds */
#define POSTFIX_ID_LONG_TIME_MAX  12
#define POSTFIX_ID_LONG_INODE_MAX 12 /* 51^12 > 2^64 */
#define POSTFIX_ID_MAX		  25 /* 12 + 'z' + 12; <= LIMIT_QUEUE_ID */

/** 1 when @param id (NUL-terminated, may be NULL) is one Postfix queue id. */
int postfix_id_valid(const char *id);

/** The same for @param len bytes at @param s (not NUL-terminated). */
int postfix_id_valid_n(const char *s, size_t len);

/**
 * Count the ids postsuper confirmed in its standard error @param out
 * (@param len bytes): lines "postsuper: ID: PHRASE" where PHRASE is one
 * of @param phrases (@param nphrases, e.g. "placed on hold") and ID one
 * of the @param n ids in @param sorted (strcmp order). @param seen (n
 * bytes, zeroed by the caller) marks each confirmed id; an id is
 * counted once however often it is named.
 * @return the number of ids newly marked.
 */
size_t postfix_id_confirm(const char *out, size_t len,
			  const char *const *phrases, size_t nphrases,
			  const char *const *sorted, size_t n,
			  unsigned char *seen);

#endif

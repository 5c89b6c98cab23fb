/*
 * NAME
 *	fuzz_postfix_log 1
 * SUMMARY
 *	libFuzzer target: Postfix log lines (postfix_log_parse)
 * DESCRIPTION
 *	The first byte picks the local time offset; the rest is one log line
 *	(an exact-size heap copy, so ASan sees any read past it), parsed at a
 *	fixed "now". Besides the sanitizers, an entry must keep
 *	postfix_log.h's promises: fields terminated, text masked (no control
 *	byte), a DSN "" or D.D.D, a known status, a valid queue id
 *	(postfix_id_valid) for every delivery kind, a reason for MALFORMED.
 * DIAGNOSTICS
 *	abort() with the field on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/postfix_id.h"
#include "plugins/postfix_log.h"

#define FUZZ_NOW 1795834800 /* 2026-11-29 */

static const long fuzz_tzoffs[4] = {0, 3600, -5 * 3600 - 1800, 14 * 3600};

static void fuzz_fail(const char *why, const char *field)
{
	fprintf(stderr, "fuzz_postfix_log: %s: '%.120s'\n", why, field);
	abort();
}

static void fuzz_field(const char *what, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		fuzz_fail("field not terminated", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fuzz_fail("control byte in", what);
}

static void fuzz_dsn(const char *dsn)
{
	const char *p = dsn;

	if (*p == 0)
		return;
	for (int part = 0; part < 3; part++) {
		size_t n = strspn(p, "0123456789");

		if (n == 0 || (part == 0 && n != 1))
			fuzz_fail("DSN not D.D.D", dsn);
		p += n;
		if (part < 2 && *p++ != '.')
			fuzz_fail("DSN not D.D.D", dsn);
	}
	if (*p != 0)
		fuzz_fail("DSN with trailing bytes", dsn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct postfix_log_entry e;
	enum postfix_log_kind k;
	char *line;

	if (size < 1 || size > LIMIT_LOG_LINE + 1)
		return 0;
	if ((line = malloc(size - 1 ? size - 1 : 1)) == NULL)
		abort();
	memcpy(line, data + 1, size - 1);
	memset(&e, 0x5a, sizeof(e)); /* nothing may depend on prior content */
	k = postfix_log_parse(line, size - 1, FUZZ_NOW,
			      fuzz_tzoffs[data[0] & 3], &e);
	if (k != e.kind || k < POSTFIX_LOG_MALFORMED || k > POSTFIX_LOG_EXPIRED)
		fuzz_fail("kind out of range", "");
	if (k == POSTFIX_LOG_MALFORMED && (e.why == NULL || e.why[0] == 0))
		fuzz_fail("MALFORMED without a reason", "");
	if (k == POSTFIX_LOG_RCPT || k == POSTFIX_LOG_EXPIRED) {
		fuzz_field("id", e.id, sizeof(e.id));
		fuzz_field("address", e.address, sizeof(e.address));
		fuzz_field("dsn", e.dsn, sizeof(e.dsn));
		fuzz_field("text", e.text, sizeof(e.text));
		fuzz_dsn(e.dsn);
		if (!postfix_id_valid(e.id))
			fuzz_fail("entry with an invalid queue id", e.id);
		if (e.status != MTA_OUTCOME_DELIVERED &&
		    e.status != MTA_OUTCOME_DEFERRED &&
		    e.status != MTA_OUTCOME_BOUNCED)
			fuzz_fail("unknown status", e.id);
	}
	free(line);
	return 0;
}

/*
 * NAME
 *	fuzz_exim_log 1
 * SUMMARY
 *	libFuzzer target: Exim main log and message log lines
 * DESCRIPTION
 *	The first byte picks the parser (exim_log_parse for a main log line,
 *	exim_log_parse_msglog for a message log line) and the local time
 *	offset; the rest is one line. exim_log_find_dsn() also gets the
 *	line as a C string. Besides the sanitizers, a parsed entry must
 *	keep exim_log.h's promises: every field terminated; text masked
 *	(no control byte survives); an id, when the kind needs one, valid
 *	by exim_id_valid(); an address without controls; a DSN either
 *	empty or "D.D.D".
 * DIAGNOSTICS
 *	abort() with the field on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/exim_id.h"
#include "plugins/exim_log.h"

static const long fuzz_tzoffs[4] = {0, 3600, -5 * 3600 - 1800, 14 * 3600};

static void fuzz_fail(const char *why, const char *field)
{
	fprintf(stderr, "fuzz_exim_log: %s: '%.120s'\n", why, field);
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

/* "" or digit '.' digits '.' digits */
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

static void fuzz_entry(const struct exim_log_entry *e)
{
	fuzz_field("id", e->id, sizeof(e->id));
	fuzz_field("address", e->address, sizeof(e->address));
	fuzz_field("dsn", e->dsn, sizeof(e->dsn));
	fuzz_field("text", e->text, sizeof(e->text));
	fuzz_dsn(e->dsn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exim_log_entry e;
	char *line, dsn[LIMIT_DSN + 1];
	long tzoff;

	if (size < 1 || size > LIMIT_LOG_LINE + 1)
		return 0;
	tzoff = fuzz_tzoffs[data[0] >> 1 & 3];
	/* An exact-size copy, so ASan sees any read past the line. */
	if ((line = malloc(size - 1 ? size - 1 : 1)) == NULL)
		abort();
	memcpy(line, data + 1, size - 1);
	memset(&e, 0x5a, sizeof(e)); /* nothing may depend on prior content */
	if (data[0] & 1) {
		if (exim_log_parse_msglog(line, size - 1, tzoff, &e)) {
			if (e.kind != EXIM_LOG_DEFERRED)
				fuzz_fail("msglog defer of another kind", "");
			fuzz_entry(&e);
			if (e.address[0] == 0)
				fuzz_fail("msglog defer without address", "");
		}
	} else {
		enum exim_log_kind k =
		    exim_log_parse(line, size - 1, tzoff, &e);

		if (k != e.kind || k < EXIM_LOG_MALFORMED ||
		    k > EXIM_LOG_CANCELLED)
			fuzz_fail("kind out of range", "");
		fuzz_entry(&e);
		if (k >= EXIM_LOG_DELIVERED && !exim_id_valid(e.id))
			fuzz_fail("entry with an invalid id", e.id);
		if (k >= EXIM_LOG_DELIVERED && k <= EXIM_LOG_FAILED &&
		    e.address[0] == 0)
			fuzz_fail("delivery entry without address", "");
	}
	free(line);
	/* exim_log_find_dsn() takes a C string: the line up to any NUL. */
	if ((line = malloc(size)) == NULL)
		abort();
	memcpy(line, data + 1, size - 1);
	line[size - 1] = 0;
	exim_log_find_dsn(line, dsn, sizeof(dsn));
	fuzz_field("find_dsn", dsn, sizeof(dsn));
	fuzz_dsn(dsn);
	free(line);
	return 0;
}

/*
 * NAME
 *	fuzz_exim_queue 1
 * SUMMARY
 *	libFuzzer target: exim -bp output and message logs
 *	(exim_queue_parse, exim_queue_apply_msglog)
 * DESCRIPTION
 *	Input: one flag byte (bit 0: the msglog is partial; bits 1-2: the
 *	time offset), two bytes giving where the -bp text ends, then the -bp
 *	text, then the message log text applied to every parsed message.
 *	Besides the sanitizers, the listing must keep exim_queue.h's
 *	promises: every kept message has a valid id (exim_id_valid: ids go
 *	to exim commands) whose time is its arrival, 1..LIMIT_RCPTS_PER_MESSAGE
 *	recipients, addresses non-empty and free of controls, NUL and
 *	overlong bytes; a reason from a message log is terminated and masked.
 * DIAGNOSTICS
 *	abort() with the field on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/exim_id.h"
#include "plugins/exim_queue.h"

static const long fuzz_tzoffs[4] = {0, 3600, -5 * 3600 - 1800, 14 * 3600};

static void fuzz_fail(const char *why, const char *field)
{
	fprintf(stderr, "fuzz_exim_queue: %s: '%.120s'\n", why, field);
	abort();
}

static void fuzz_text(const char *what, const char *s, size_t cap, int nonempty)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		fuzz_fail("not terminated", what);
	if (nonempty && n == 0)
		fuzz_fail("empty", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fuzz_fail("control byte", s);
}

static void fuzz_bad(void *ctx, size_t lineno, const char *why)
{
	size_t *nbad = ctx;

	if (lineno == 0 || why == NULL || why[0] == 0)
		fuzz_fail("bad line reported without line or reason", "");
	(*nbad)++;
}

/* An exact-size heap copy, so ASan sees any read past the end. */
static char *fuzz_copy(const uint8_t *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	if (c == NULL)
		abort();
	memcpy(c, p, n);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mta_listing l;
	char err[256], *bp, *msglog;
	size_t split, nbad = 0, bplen, loglen;
	int rc;

	if (size < 3)
		return 0;
	split = ((size_t)data[1] << 8 | data[2]) % (size - 2);
	bplen = split;
	loglen = size - 3 - split;
	bp = fuzz_copy(data + 3, bplen);
	msglog = fuzz_copy(data + 3 + split, loglen);
	rc = exim_queue_parse(bp, bplen, &l, fuzz_bad, &nbad, err, sizeof(err));
	if (rc < 0)
		fuzz_fail("parse failed", err);
	if (l.complete)
		fuzz_fail("parser set complete", "");
	for (size_t i = 0; i < l.n; i++) {
		struct mta_message *m = &l.msgs[i];
		int64_t t;

		if (!exim_id_valid(m->queue_id))
			fuzz_fail("listed an invalid id", m->queue_id);
		if (exim_id_time(m->queue_id, &t) < 0 || t != m->arrival)
			fuzz_fail("arrival is not the id's time", m->queue_id);
		fuzz_text("sender", m->sender, sizeof(m->sender), 0);
		if (m->nrcpts == 0 || m->nrcpts > LIMIT_RCPTS_PER_MESSAGE)
			fuzz_fail("recipient count out of range", m->queue_id);
		for (size_t j = 0; j < m->nrcpts; j++)
			fuzz_text("address", m->rcpts[j].address,
				  sizeof(m->rcpts[j].address), 1);
		exim_queue_apply_msglog(m, msglog, loglen, data[0] & 1,
					fuzz_tzoffs[data[0] >> 1 & 3]);
		for (size_t j = 0; j < m->nrcpts; j++)
			fuzz_text("reason", m->rcpts[j].reason,
				  sizeof(m->rcpts[j].reason), 0);
	}
	/* The message log alone, against a fixed message. */
	{
		struct mta_rcpt r[2] = {{"later@nowhere.test", ""},
					{"full@soft.test", ""}};
		struct mta_message m = {
		    .queue_id = "1xXVIy-0002DP-12", .nrcpts = 2, .rcpts = r};

		exim_queue_apply_msglog(&m, msglog, loglen, data[0] & 1,
					fuzz_tzoffs[data[0] >> 1 & 3]);
		for (size_t j = 0; j < 2; j++)
			fuzz_text("reason", r[j].reason, sizeof(r[j].reason),
				  0);
	}
	exim_queue_free(&l);
	free(bp);
	free(msglog);
	return 0;
}

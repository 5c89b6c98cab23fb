/*
 * NAME
 *	fuzz_postfix_queue 1
 * SUMMARY
 *	libFuzzer target: postqueue -j output (postfix_queue_parse)
 * DESCRIPTION
 *	The input is the whole listing (JSON lines, parsed with jansson
 *	inside), as an exact-size heap copy so ASan sees any read past it.
 *	Besides the sanitizers, the listing must keep postfix_queue.h's and
 *	STYLE.md's promises: every message has a valid queue id
 *	(postfix_id_valid: never ALL, never '-'), at most
 *	LIMIT_RCPTS_PER_MESSAGE recipients (0 is kept: postqueue lists
 *	"recipients": [] and the parser passes it on) whose addresses pass
 *	postfix_queue_address_ok, terminated, control-free sender and
 *	reasons, and complete only when the text ends with a newline (or
 *	is empty).
 * DIAGNOSTICS
 *	abort() with the field on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/postfix_id.h"
#include "plugins/postfix_queue.h"

static void fuzz_fail(const char *why, const char *field)
{
	fprintf(stderr, "fuzz_postfix_queue: %s: '%.120s'\n", why, field);
	abort();
}

static void fuzz_text(const char *what, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		fuzz_fail("not terminated", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fuzz_fail("control byte", what);
}

static void fuzz_bad(void *ctx, size_t lineno, const char *id, const char *why)
{
	(void)ctx;
	if (lineno == 0 || id == NULL || why == NULL || why[0] == 0)
		fuzz_fail("bad line reported without line, id or reason", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mta_listing l;
	char err[256], *text = malloc(size ? size : 1);

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	if (postfix_queue_parse(text, size, &l, fuzz_bad, NULL, err,
				sizeof(err)) < 0)
		fuzz_fail("parse failed", err);
	if (l.complete && size > 0 && data[size - 1] != '\n')
		fuzz_fail("complete without a final newline", "");
	for (size_t i = 0; i < l.n; i++) {
		const struct mta_message *m = &l.msgs[i];

		if (!postfix_id_valid(m->queue_id))
			fuzz_fail("listed an invalid id", m->queue_id);
		fuzz_text("sender", m->sender, sizeof(m->sender));
		if (m->nrcpts > LIMIT_RCPTS_PER_MESSAGE)
			fuzz_fail("recipient count out of range", m->queue_id);
		for (size_t j = 0; j < m->nrcpts; j++) {
			const struct mta_rcpt *r = &m->rcpts[j];

			fuzz_text("address", r->address, sizeof(r->address));
			if (!postfix_queue_address_ok(r->address,
						      strlen(r->address)))
				fuzz_fail("address refused by its own check",
					  r->address);
			fuzz_text("reason", r->reason, sizeof(r->reason));
		}
	}
	postfix_queue_free(&l);
	free(text);
	return 0;
}

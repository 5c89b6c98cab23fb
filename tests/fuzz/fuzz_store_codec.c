/*
 * NAME
 *	fuzz_store_codec 1
 * SUMMARY
 *	libFuzzer target: the store's record decoders
 * DESCRIPTION
 *	The first byte picks a decoder (message, evidence, domain,
 *	verification, suppressed); the rest is the stored value, as it would
 *	come out of Berkeley DB. Besides the sanitizers, every value a
 *	decoder accepts must encode back to exactly the same bytes (the
 *	codec is strict: one encoding per record), and the due-index reader
 *	must agree with the message decoder about next_attempt.
 * DIAGNOSTICS
 *	abort() with a message on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

static void fuzz_fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_store_codec: %s: %s\n", what, err);
	abort();
}

/* The re-encoded value must be the input, byte for byte. */
static void fuzz_same(const char *what, int rc, struct store_codec_buf *out,
		      const uint8_t *buf, size_t len, const char *err)
{
	if (rc != 0)
		fuzz_fail(what, err);
	if (out->len != len || memcmp(out->data, buf, len) != 0)
		fuzz_fail(what, "re-encoding differs from the accepted value");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_codec_buf out = {0};
	char err[256];
	const uint8_t *buf;
	size_t len, off;

	if (size < 1)
		return 0;
	buf = data + 1;
	len = size - 1;
	err[0] = 0;

	switch (data[0] % 5) {
	case 0: {
		struct store_message *m = NULL;
		int due = store_codec_message_due(buf, len, &off);

		if (store_codec_message_decode(buf, len, &m, err,
					       sizeof(err)) != 0) {
			if (m != NULL)
				fuzz_fail("message", "refused but *out set");
			break;
		}
		if (due != (m->next_attempt > 0))
			fuzz_fail("message",
				  "due index disagrees with decoder");
		if (due && off + STORE_CODEC_DUE_SIZE > len)
			fuzz_fail("message", "due offset out of the value");
		fuzz_same("message",
			  store_codec_message_encode(m, &out, err, sizeof(err)),
			  &out, buf, len, err);
		store_message_free(m);
		break;
	}
	case 1: {
		struct store_evidence ev;

		if (store_codec_evidence_decode(buf, len, &ev, err,
						sizeof(err)) == 0)
			fuzz_same("evidence",
				  store_codec_evidence_encode(&ev, &out, err,
							      sizeof(err)),
				  &out, buf, len, err);
		break;
	}
	case 2: {
		struct store_domain d;

		if (store_codec_domain_decode(buf, len, &d, err, sizeof(err)) ==
		    0)
			fuzz_same("domain",
				  store_codec_domain_encode(&d, &out, err,
							    sizeof(err)),
				  &out, buf, len, err);
		break;
	}
	case 3: {
		struct store_verification v;

		if (store_codec_verification_decode(buf, len, &v, err,
						    sizeof(err)) == 0) {
			fuzz_same("verification",
				  store_codec_verification_encode(&v, &out, err,
								  sizeof(err)),
				  &out, buf, len, err);
			free(v.answers);
		}
		break;
	}
	case 4: {
		struct store_suppressed s;

		if (store_codec_suppressed_decode(buf, len, &s, err,
						  sizeof(err)) == 0)
			fuzz_same("suppressed",
				  store_codec_suppressed_encode(&s, &out, err,
								sizeof(err)),
				  &out, buf, len, err);
		break;
	}
	}
	free(out.data);
	return 0;
}

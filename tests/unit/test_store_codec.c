/*
 * test_store_codec - the store's record and key formats, no Berkeley DB.
 *
 * Round trips every record type, small and at every field's maximum;
 * then corrupts encoded values every way a disk or a bug could (cut at
 * every byte, unknown version, over-long and lying length prefixes,
 * trailing bytes, NUL inside strings, unknown enum values, garbage) and
 * requires the strict decoders to refuse each one without crashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

#define FILL(arr, c)                                                           \
	do {                                                                   \
		memset((arr), (c), sizeof(arr) - 1);                           \
		(arr)[sizeof(arr) - 1] = 0;                                    \
	} while (0)

static struct store_message *msg_small(size_t nrcpts)
{
	struct store_message *m = store_message_new(nrcpts);

	strcpy(m->mta, "postfix");
	strcpy(m->queue_id, "4Bx1Yz0fQzz9");
	strcpy(m->sender, "news@example.org");
	strcpy(m->domain, "hotmail.com");
	strcpy(m->group, "microsoft");
	m->state = STORE_MSG_HELD;
	m->arrival = 1700000000;
	m->first_failure = 1700000060;
	m->adopted_at = 1700000090;
	m->next_attempt = 1700000390;
	m->last_attempt = 0;
	m->attempts = 7;
	strcpy(m->last_verdict, "local-path");
	strcpy(m->last_reason, "Host or domain name not found");
	for (size_t i = 0; i < nrcpts; i++) {
		snprintf(m->rcpts[i].address, sizeof(m->rcpts[i].address),
			 "user%zu@hotmail.com", i);
		m->rcpts[i].state = STORE_RCPT_PENDING + (int)(i % 5);
		strcpy(m->rcpts[i].dsn, "4.4.4");
		strcpy(m->rcpts[i].reason, "deferred");
	}
	return m;
}

static struct store_message *msg_max(void)
{
	struct store_message *m = store_message_new(LIMIT_RCPTS_PER_MESSAGE);

	FILL(m->mta, 'm');
	FILL(m->queue_id, 'Q');
	FILL(m->sender, 's');
	FILL(m->domain, 'd');
	FILL(m->group, 'g');
	m->state = STORE_MSG_DONE;
	m->arrival = INT64_MIN;
	m->first_failure = INT64_MAX;
	m->adopted_at = -1;
	m->next_attempt = INT64_MAX;
	m->last_attempt = 1;
	m->attempts = UINT32_MAX;
	FILL(m->last_verdict, 'v');
	FILL(m->last_reason, 'r');
	for (size_t i = 0; i < m->nrcpts; i++) {
		FILL(m->rcpts[i].address, 'a' + (int)(i % 26));
		m->rcpts[i].state = STORE_RCPT_GIVEN_BACK;
		FILL(m->rcpts[i].dsn, '5');
		FILL(m->rcpts[i].reason, 'x');
	}
	return m;
}

static void assert_msg_equal(const struct store_message *a,
			     const struct store_message *b)
{
	assert_string_equal(a->mta, b->mta);
	assert_string_equal(a->queue_id, b->queue_id);
	assert_string_equal(a->sender, b->sender);
	assert_string_equal(a->domain, b->domain);
	assert_string_equal(a->group, b->group);
	assert_int_equal(a->state, b->state);
	assert_true(a->arrival == b->arrival);
	assert_true(a->first_failure == b->first_failure);
	assert_true(a->adopted_at == b->adopted_at);
	assert_true(a->next_attempt == b->next_attempt);
	assert_true(a->last_attempt == b->last_attempt);
	assert_int_equal(a->attempts, b->attempts);
	assert_string_equal(a->last_verdict, b->last_verdict);
	assert_string_equal(a->last_reason, b->last_reason);
	assert_int_equal(a->nrcpts, b->nrcpts);
	for (size_t i = 0; i < a->nrcpts; i++) {
		assert_string_equal(a->rcpts[i].address, b->rcpts[i].address);
		assert_int_equal(a->rcpts[i].state, b->rcpts[i].state);
		assert_string_equal(a->rcpts[i].dsn, b->rcpts[i].dsn);
		assert_string_equal(a->rcpts[i].reason, b->rcpts[i].reason);
	}
}

static struct store_codec_buf encode_msg(const struct store_message *m)
{
	struct store_codec_buf b = {NULL, 0, 0};
	char err[256];

	assert_int_equal(store_codec_message_encode(m, &b, err, sizeof(err)),
			 0);
	return b;
}

static int decode_msg_fails(const uint8_t *p, size_t len)
{
	struct store_message *m = (void *)1;
	char err[256] = "";
	int rc = store_codec_message_decode(p, len, &m, err, sizeof(err));

	if (rc == 0) {
		store_message_free(m);
		return 0;
	}
	assert_null(m);
	assert_true(err[0] != 0);
	return 1;
}

static void test_message_round_trip(void **state)
{
	struct store_message *in[] = {msg_small(0), msg_small(3), msg_max()};
	char err[256];

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct store_codec_buf b = encode_msg(in[k]);
		struct store_message *out;

		assert_int_equal(b.data[0], STORE_FORMAT_VERSION);
		assert_int_equal(store_codec_message_decode(b.data, b.len, &out,
							    err, sizeof(err)),
				 0);
		assert_msg_equal(in[k], out);
		store_message_free(out);
		free(b.data);
		store_message_free(in[k]);
	}
}

static void test_message_truncated_at_every_byte(void **state)
{
	struct store_message *m = msg_small(3);
	struct store_codec_buf b = encode_msg(m);

	(void)state;
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* ASan sees overreads */

		memcpy(copy, b.data, len);
		assert_true(decode_msg_fails(copy, len));
		free(copy);
	}
	free(b.data);
	store_message_free(m);

	/* The largest record: cut at a stride through it. */
	m = msg_max();
	b = encode_msg(m);
	for (size_t len = 0; len < b.len; len += 97)
		assert_true(decode_msg_fails(b.data, len));
	assert_true(decode_msg_fails(b.data, b.len - 1));
	free(b.data);
	store_message_free(m);
}

static void test_message_corruptions_refused(void **state)
{
	struct store_message *m = msg_small(2);
	struct store_codec_buf b = encode_msg(m);
	uint8_t *c = malloc(b.len + 1);
	size_t mta_len_off = 1 + 8; /* version, next_attempt */
	size_t qid_off = mta_len_off + 2 + strlen(m->mta);

	(void)state;
	/* Unknown versions. */
	for (unsigned v = 0; v < 256; v++) {
		if (v == STORE_FORMAT_VERSION)
			continue;
		memcpy(c, b.data, b.len);
		c[0] = (uint8_t)v;
		assert_true(decode_msg_fails(c, b.len));
	}
	/* Trailing byte. */
	memcpy(c, b.data, b.len);
	c[b.len] = 0;
	assert_true(decode_msg_fails(c, b.len + 1));
	/* Length prefix over the field's limit. */
	memcpy(c, b.data, b.len);
	c[mta_len_off] = 0;
	c[mta_len_off + 1] = LIMIT_MTA_NAME + 1;
	assert_true(decode_msg_fails(c, b.len));
	memcpy(c, b.data, b.len);
	c[mta_len_off] = 0xff;
	c[mta_len_off + 1] = 0xff;
	assert_true(decode_msg_fails(c, b.len));
	/* Length prefix within the limit but past the end / shifted. */
	memcpy(c, b.data, b.len);
	c[qid_off + 1] = LIMIT_QUEUE_ID;
	assert_true(decode_msg_fails(c, b.len));
	/* Empty key field. */
	memcpy(c, b.data, b.len);
	c[mta_len_off + 1] = 0;
	assert_true(decode_msg_fails(c, b.len));
	/* NUL inside a string. */
	memcpy(c, b.data, b.len);
	c[mta_len_off + 2 + 1] = 0;
	assert_true(decode_msg_fails(c, b.len));
	free(c);
	free(b.data);

	/* Unknown message and recipient states, too many recipients. */
	{
		struct store_codec_buf e = {NULL, 0, 0};
		char err[256];

		m->state = 0;
		assert_int_equal(
		    store_codec_message_encode(m, &e, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "state"));
		free(e.data);
		memset(&e, 0, sizeof(e));
		m->state = STORE_MSG_HELD;
		b = encode_msg(m);
		/* state byte: after the five strings */
		{
			size_t off = 1 + 8;

			for (int i = 0; i < 5; i++)
				off += 2 + ((size_t)b.data[off] << 8 |
					    b.data[off + 1]);
			assert_int_equal(b.data[off], STORE_MSG_HELD);
			b.data[off] = 7;
			assert_true(decode_msg_fails(b.data, b.len));
			b.data[off] = 0;
			assert_true(decode_msg_fails(b.data, b.len));
		}
		free(b.data);
		m->rcpts[1].state = 9;
		assert_int_equal(
		    store_codec_message_encode(m, &e, err, sizeof(err)), -1);
		free(e.data);
	}
	store_message_free(m);
}

static void test_message_count_lies_refused(void **state)
{
	struct store_message *m = msg_small(1);
	struct store_codec_buf b = encode_msg(m);
	/* nrcpts sits before the one recipient: address, state, dsn, reason */
	size_t rc_len = 2 + strlen(m->rcpts[0].address) + 1 + 2 +
			strlen(m->rcpts[0].dsn) + 2 +
			strlen(m->rcpts[0].reason);
	size_t n_off = b.len - rc_len - 2;

	(void)state;
	assert_int_equal(b.data[n_off + 1], 1);
	b.data[n_off] = 0xff; /* 65281 recipients claimed */
	assert_true(decode_msg_fails(b.data, b.len));
	b.data[n_off] = (LIMIT_RCPTS_PER_MESSAGE + 1) >> 8;
	b.data[n_off + 1] = (LIMIT_RCPTS_PER_MESSAGE + 1) & 0xff;
	assert_true(decode_msg_fails(b.data, b.len));
	b.data[n_off] = 0;
	b.data[n_off + 1] = 2; /* claims two, holds one */
	assert_true(decode_msg_fails(b.data, b.len));
	b.data[n_off + 1] = 0; /* claims none, holds one: trailing */
	assert_true(decode_msg_fails(b.data, b.len));
	free(b.data);
	store_message_free(m);
}

static void test_encoder_refuses_unterminated(void **state)
{
	struct store_message *m = msg_small(1);
	struct store_codec_buf b = {NULL, 0, 0};
	char err[256];

	(void)state;
	memset(m->queue_id, 'Q', sizeof(m->queue_id)); /* no NUL */
	assert_int_equal(store_codec_message_encode(m, &b, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "queue_id"));
	free(b.data);
	memset(&b, 0, sizeof(b));
	m->queue_id[0] = 0; /* empty key part */
	assert_int_equal(store_codec_message_encode(m, &b, err, sizeof(err)),
			 -1);
	free(b.data);
	store_message_free(m);
	assert_null(store_message_new(LIMIT_RCPTS_PER_MESSAGE + 1));
}

static void test_garbage_never_crashes(void **state)
{
	uint8_t buf[600];
	unsigned seed = 12345;
	struct store_evidence ev;
	struct store_domain d;
	struct store_verification v;
	struct store_suppressed s;
	char err[256];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		if (round % 2 && len > 0)
			buf[0] = STORE_FORMAT_VERSION;
		else if (len > 0 && buf[0] == STORE_FORMAT_VERSION)
			buf[0] = 0;
		if (!(round % 2)) {
			assert_true(decode_msg_fails(buf, len));
			assert_int_equal(store_codec_evidence_decode(
					     buf, len, &ev, err, sizeof(err)),
					 -1);
			assert_int_equal(store_codec_domain_decode(
					     buf, len, &d, err, sizeof(err)),
					 -1);
			assert_int_equal(store_codec_verification_decode(
					     buf, len, &v, err, sizeof(err)),
					 -1);
			assert_int_equal(store_codec_suppressed_decode(
					     buf, len, &s, err, sizeof(err)),
					 -1);
			continue;
		}
		/* A valid version byte: whatever happens, no crash/leak. */
		decode_msg_fails(buf, len);
		store_codec_evidence_decode(buf, len, &ev, err, sizeof(err));
		store_codec_domain_decode(buf, len, &d, err, sizeof(err));
		if (store_codec_verification_decode(buf, len, &v, err,
						    sizeof(err)) == 0)
			free(v.answers);
		store_codec_suppressed_decode(buf, len, &s, err, sizeof(err));
	}
}

/*
 * For the fixed-size records: round trip, then every truncation, every
 * wrong version and a trailing byte must be refused.
 */
typedef int (*decode_fn)(const void *, size_t, void *, char *, size_t);

static int dec_evidence(const void *b, size_t l, void *o, char *e, size_t el)
{
	return store_codec_evidence_decode(b, l, o, e, el);
}

static int dec_domain(const void *b, size_t l, void *o, char *e, size_t el)
{
	return store_codec_domain_decode(b, l, o, e, el);
}

static int dec_verification(const void *b, size_t l, void *o, char *e,
			    size_t el)
{
	return store_codec_verification_decode(b, l, o, e, el);
}

static int dec_suppressed(const void *b, size_t l, void *o, char *e, size_t el)
{
	return store_codec_suppressed_decode(b, l, o, e, el);
}

static void check_strict(const struct store_codec_buf *b, decode_fn dec,
			 void *out, size_t outsize, int frees_answers)
{
	char err[256];
	uint8_t *c = malloc(b->len + 1);

	for (size_t len = 0; len < b->len; len++) {
		memcpy(c, b->data, len);
		assert_int_equal(dec(c, len, out, err, sizeof(err)), -1);
	}
	memcpy(c, b->data, b->len);
	c[b->len] = 'x';
	assert_int_equal(dec(c, b->len + 1, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "trailing"));
	c[0] = STORE_FORMAT_VERSION + 1;
	assert_int_equal(dec(c, b->len, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "version"));
	/* The first field is a key name: its length over the limit. */
	memcpy(c, b->data, b->len);
	c[1] = 0xff;
	assert_int_equal(dec(c, b->len, out, err, sizeof(err)), -1);
	c[1] = 0;
	c[2] = 0; /* empty key name */
	assert_int_equal(dec(c, b->len, out, err, sizeof(err)), -1);
	free(c);
	(void)outsize;
	(void)frees_answers;
}

static void test_evidence_round_trip_and_strict(void **state)
{
	struct store_evidence in, out;
	struct store_codec_buf b = {NULL, 0, 0};
	char err[256];

	(void)state;
	memset(&in, 0, sizeof(in));
	FILL(in.address, 'a');
	in.time = INT64_MAX;
	FILL(in.queue_id, 'q');
	FILL(in.host_id, 'h');
	FILL(in.verdict, 'v');
	in.outcome = STORE_OUTCOME_BOUNCED;
	FILL(in.dsn, '5');
	FILL(in.text, 't');
	FILL(in.category, 'c');
	FILL(in.dns, 'n');
	assert_int_equal(store_codec_evidence_encode(&in, &b, err, sizeof(err)),
			 0);
	assert_int_equal(
	    store_codec_evidence_decode(b.data, b.len, &out, err, sizeof(err)),
	    0);
	assert_memory_equal(&in, &out, sizeof(in));
	check_strict(&b, dec_evidence, &out, sizeof(out), 0);
	free(b.data);
	memset(&b, 0, sizeof(b));
	in.outcome = 4;
	assert_int_equal(store_codec_evidence_encode(&in, &b, err, sizeof(err)),
			 -1);
	free(b.data);
	memset(&b, 0, sizeof(b));
	in.outcome = STORE_OUTCOME_NONE;
	in.time = -1;
	assert_int_equal(store_codec_evidence_encode(&in, &b, err, sizeof(err)),
			 -1);
	free(b.data);
}

static void test_domain_round_trip_and_strict(void **state)
{
	struct store_domain in, out;
	struct store_codec_buf b = {NULL, 0, 0};
	char err[256];

	(void)state;
	memset(&in, 0, sizeof(in));
	FILL(in.domain, 'd');
	in.last_verified = 1;
	FILL(in.verdict, 'v');
	in.first_failing = INT64_MIN;
	in.last_healthy = INT64_MAX;
	FILL(in.last_mx, 'm');
	in.last_escalated = 42;
	assert_int_equal(store_codec_domain_encode(&in, &b, err, sizeof(err)),
			 0);
	assert_int_equal(
	    store_codec_domain_decode(b.data, b.len, &out, err, sizeof(err)),
	    0);
	assert_memory_equal(&in, &out, sizeof(in));
	check_strict(&b, dec_domain, &out, sizeof(out), 0);
	free(b.data);
}

static void test_verification_round_trip_and_strict(void **state)
{
	struct store_verification in, out;
	struct store_codec_buf b = {NULL, 0, 0};
	char err[256];
	char *answers = malloc(LIMIT_STORE_ANSWERS + 2);

	(void)state;
	memset(&in, 0, sizeof(in));
	FILL(in.domain, 'd');
	in.time = 1700000000;
	FILL(in.verdict, 'v');
	memset(answers, '{', LIMIT_STORE_ANSWERS);
	answers[LIMIT_STORE_ANSWERS] = 0;
	in.answers = answers;
	assert_int_equal(
	    store_codec_verification_encode(&in, &b, err, sizeof(err)), 0);
	assert_int_equal(store_codec_verification_decode(b.data, b.len, &out,
							 err, sizeof(err)),
			 0);
	assert_string_equal(out.domain, in.domain);
	assert_true(out.time == in.time);
	assert_string_equal(out.verdict, in.verdict);
	assert_string_equal(out.answers, answers);
	free(out.answers);
	free(b.data);

	/* One byte more is refused by the encoder. */
	memset(&b, 0, sizeof(b));
	answers[LIMIT_STORE_ANSWERS] = '{';
	answers[LIMIT_STORE_ANSWERS + 1] = 0;
	assert_int_equal(
	    store_codec_verification_encode(&in, &b, err, sizeof(err)), -1);
	free(b.data);

	/* NULL answers store as "", and a small one is strict. */
	memset(&b, 0, sizeof(b));
	strcpy(in.domain, "hotmail.com");
	in.answers = NULL;
	assert_int_equal(
	    store_codec_verification_encode(&in, &b, err, sizeof(err)), 0);
	assert_int_equal(store_codec_verification_decode(b.data, b.len, &out,
							 err, sizeof(err)),
			 0);
	assert_string_equal(out.answers, "");
	free(out.answers);
	free(b.data);
	memset(&b, 0, sizeof(b));
	in.answers = "{\"mta\":\"nodata\"}";
	assert_int_equal(
	    store_codec_verification_encode(&in, &b, err, sizeof(err)), 0);
	check_strict(&b, dec_verification, &out, sizeof(out), 1);
	/* An answers length over the limit. */
	b.data[b.len - strlen(in.answers) - 4] = 0x7f;
	assert_int_equal(store_codec_verification_decode(b.data, b.len, &out,
							 err, sizeof(err)),
			 -1);
	free(b.data);
	free(answers);
}

static void test_suppressed_round_trip_and_strict(void **state)
{
	struct store_suppressed in, out;
	struct store_codec_buf b = {NULL, 0, 0};
	char err[256];

	(void)state;
	memset(&in, 0, sizeof(in));
	FILL(in.address, 'a');
	in.time = 1700000000;
	FILL(in.reason, 'r');
	FILL(in.evidence, 'e');
	assert_int_equal(
	    store_codec_suppressed_encode(&in, &b, err, sizeof(err)), 0);
	assert_int_equal(store_codec_suppressed_decode(b.data, b.len, &out, err,
						       sizeof(err)),
			 0);
	assert_memory_equal(&in, &out, sizeof(in));
	check_strict(&b, dec_suppressed, &out, sizeof(out), 0);
	free(b.data);
}

static void test_due_offset(void **state)
{
	struct store_message *m = msg_small(1);
	struct store_codec_buf b;
	size_t off = 99;

	(void)state;
	b = encode_msg(m);
	assert_int_equal(store_codec_message_due(b.data, b.len, &off), 1);
	assert_int_equal(off, STORE_CODEC_DUE_OFFSET);
	assert_true(store_codec_get_be64(b.data + off) ==
		    (uint64_t)m->next_attempt);
	b.data[0] = 0;
	assert_int_equal(store_codec_message_due(b.data, b.len, &off), 0);
	assert_int_equal(store_codec_message_due(b.data, 8, &off), 0);
	free(b.data);
	m->next_attempt = 0;
	b = encode_msg(m);
	assert_int_equal(store_codec_message_due(b.data, b.len, &off), 0);
	free(b.data);
	m->next_attempt = -5;
	b = encode_msg(m);
	assert_int_equal(store_codec_message_due(b.data, b.len, &off), 0);
	free(b.data);
	store_message_free(m);
}

static void test_keys(void **state)
{
	uint8_t k[STORE_CODEC_EVIDENCE_KEY_MAX],
	    k2[STORE_CODEC_EVIDENCE_KEY_MAX];
	char longname[LIMIT_ADDRESS + 2];
	size_t n, n2;

	(void)state;
	n = store_codec_message_key("exim", "1xXQMR-0004tV-1a", k, sizeof(k));
	assert_int_equal(n, 4 + 1 + 16);
	assert_memory_equal(k,
			    "exim\0"
			    "1xXQMR-0004tV-1a",
			    n);
	assert_int_equal(store_codec_message_key("", "A", k, sizeof(k)), 0);
	assert_int_equal(store_codec_message_key("postfix", "", k, sizeof(k)),
			 0);
	assert_int_equal(store_codec_message_key("postfix", "ABC", k, 5), 0);

	/* Evidence keys sort by time, then seq, within one address. */
	n = store_codec_evidence_key("u@x.test", 1000, 7, k, sizeof(k));
	n2 = store_codec_evidence_key("u@x.test", 1001, 0, k2, sizeof(k2));
	assert_int_equal(n, 9 + 12);
	assert_int_equal(n, n2);
	assert_true(memcmp(k, k2, n) < 0);
	n2 = store_codec_evidence_key("u@x.test", 1000, 8, k2, sizeof(k2));
	assert_true(memcmp(k, k2, n) < 0);
	assert_int_equal(
	    store_codec_evidence_key("u@x.test", -1, 0, k, sizeof(k)), 0);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(store_codec_evidence_key(longname, 1, 0, k, sizeof(k)),
			 0);
	longname[LIMIT_ADDRESS] = 0;
	assert_int_equal(store_codec_evidence_key(longname, 1, 0, k, sizeof(k)),
			 LIMIT_ADDRESS + 13);
	n = store_codec_verification_key("hotmail.com", 5, k, sizeof(k));
	assert_int_equal(n, 12 + 8);
	assert_int_equal(store_codec_name_prefix("hotmail.com", LIMIT_DOMAIN,
						 k2, sizeof(k2)),
			 12);
	assert_memory_equal(k, k2, 12);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(store_msg_state_name(STORE_MSG_HELD), "held");
	assert_string_equal(store_msg_state_name(99), "unknown");
	assert_string_equal(store_rcpt_state_name(STORE_RCPT_DELIVERED),
			    "delivered");
	assert_string_equal(store_outcome_name(STORE_OUTCOME_DEFERRED),
			    "deferred");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message_round_trip),
	    cmocka_unit_test(test_message_truncated_at_every_byte),
	    cmocka_unit_test(test_message_corruptions_refused),
	    cmocka_unit_test(test_message_count_lies_refused),
	    cmocka_unit_test(test_encoder_refuses_unterminated),
	    cmocka_unit_test(test_garbage_never_crashes),
	    cmocka_unit_test(test_evidence_round_trip_and_strict),
	    cmocka_unit_test(test_domain_round_trip_and_strict),
	    cmocka_unit_test(test_verification_round_trip_and_strict),
	    cmocka_unit_test(test_suppressed_round_trip_and_strict),
	    cmocka_unit_test(test_due_offset),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

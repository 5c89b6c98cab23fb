/*
 * test_postfix_queue - postqueue -j output: real lines captured from the
 * lab Postfix 3.7, and hostile ones, to exact messages and skip counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/postfix_queue.h"
#include "listing_fx.h"

/* Real lines (lab Postfix 3.7.11, short and long queue ids). */
#define REAL_A                                                                 \
	"{\"queue_name\": \"deferred\", \"queue_id\": \"A1E2DA7254D\", "       \
	"\"arrival_time\": 1795923285, \"message_size\": 270, "                \
	"\"forced_expire\": false, \"sender\": \"alice@lab.test\", "           \
	"\"recipients\": [{\"address\": \"u1@hotmail.test\", "                 \
	"\"delay_reason\": \"connect to 127.11.0.25[127.11.0.25]:25: "         \
	"Connection refused\"}, {\"address\": \"u2@live.test\", "              \
	"\"delay_reason\": \"connect to 127.11.0.25[127.11.0.25]:25: "         \
	"Connection refused\"}]}"
#define REAL_B                                                                 \
	"{\"queue_name\": \"hold\", \"queue_id\": \"4jcXtg2558z1bZ94\", "      \
	"\"arrival_time\": 1795923515, \"message_size\": 279, "                \
	"\"forced_expire\": false, \"sender\": \"MAILER-DAEMON\", "            \
	"\"recipients\": [{\"address\": \"u3@outlook.test\", "                 \
	"\"delay_reason\": \"connect to 127.10.0.25[127.10.0.25]:25: "         \
	"Connection refused\"}]}"
#define REAL_C                                                                 \
	"{\"queue_name\": \"deferred\", \"queue_id\": \"4jcXtg2HXMz1bZ9g\", "  \
	"\"arrival_time\": 1795923515, \"message_size\": 273, "                \
	"\"forced_expire\": false, \"sender\": \"bob@lab.test\", "             \
	"\"recipients\": [{\"address\": \"y@live.test\", \"delay_reason\": "   \
	"\"connect to 127.10.0.25[127.10.0.25]:25: Connection refused\"}, "    \
	"{\"address\": \"j??rgen@msn.test\", \"delay_reason\": \"connect to "  \
	"127.10.0.25[127.10.0.25]:25: Connection refused\"}, {\"address\": "   \
	"\"x@mta10.lab.test\", \"delay_reason\": \"connect to "                \
	"127.10.0.25[127.10.0.25]:25: Connection refused\"}]}"
/* active, not yet tried: no delay_reason */
#define REAL_D                                                                 \
	"{\"queue_name\": \"active\", \"queue_id\": \"B453BA72B2C\", "         \
	"\"arrival_time\": 1795923285, \"message_size\": 274, "                \
	"\"forced_expire\": false, \"sender\": \"s@lab.test\", "               \
	"\"recipients\": [{\"address\": \"u3@outlook.test\"}]}"

struct bad_log {
	size_t n;
	size_t lines[64];
	char why[64][80];
};

static void bad_cb(void *ctx, size_t lineno, const char *id, const char *why)
{
	struct bad_log *b = ctx;
	(void)id;
	if (b->n < 64) {
		b->lines[b->n] = lineno;
		snprintf(b->why[b->n], sizeof(b->why[0]), "%s", why);
	}
	b->n++;
}

static void parse(const char *text, struct mta_listing *l, struct bad_log *b)
{
	char err[256];
	memset(b, 0, sizeof(*b));
	assert_int_equal(postfix_queue_parse(text, strlen(text), l, bad_cb, b,
					     err, sizeof(err)),
			 0);
}

static void test_real(void **state)
{
	const char *text = REAL_A "\n" REAL_B "\n" REAL_C "\n" REAL_D "\n";
	struct mta_listing l;
	struct bad_log b;
	const struct mta_message *m;
	(void)state;

	parse(text, &l, &b);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.skipped, 0);
	assert_int_equal(b.n, 0);
	assert_true(l.complete);

	m = listing_fx_find(&l, "A1E2DA7254D");
	assert_non_null(m);
	assert_string_equal(m->sender, "alice@lab.test");
	assert_int_equal(m->arrival, 1795923285);
	assert_true(m->deferred);
	assert_false(m->held);
	assert_int_equal(m->nrcpts, 2);
	assert_string_equal(m->rcpts[0].address, "u1@hotmail.test");
	assert_string_equal(m->rcpts[1].address, "u2@live.test");
	assert_string_equal(
	    m->rcpts[1].reason,
	    "connect to 127.11.0.25[127.11.0.25]:25: Connection refused");

	m = listing_fx_find(&l, "4jcXtg2558z1bZ94");
	assert_non_null(m);
	assert_string_equal(m->sender, ""); /* MAILER-DAEMON = null sender */
	assert_true(m->held);
	assert_false(m->deferred);

	m = listing_fx_find(&l, "4jcXtg2HXMz1bZ9g");
	assert_non_null(m);
	assert_int_equal(m->nrcpts, 3);
	assert_string_equal(m->rcpts[1].address,
			    "j??rgen@msn.test"); /* masked */

	m = listing_fx_find(&l, "B453BA72B2C");
	assert_non_null(m);
	assert_false(m->held);
	assert_false(m->deferred);
	assert_string_equal(m->rcpts[0].reason, "");
	postfix_queue_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.msgs);
}

static void test_empty(void **state)
{
	struct mta_listing l;
	struct bad_log b;
	(void)state;
	parse("", &l, &b);
	assert_int_equal(l.n, 0);
	assert_true(l.complete);
	postfix_queue_free(&l);
}

/* Each hostile line alone after a good one: exactly one skip, at line 2. */
static void test_hostile(void **state)
{
	static const char *const hostile[] = {
	    /* duplicate key: jansson would take the last ("ALL") */
	    "{\"queue_name\":\"hold\",\"queue_id\":\"B453BA72B2C\",\"queue_"
	    "id\":\"ALL\",\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":"
	    "[]}",
	    "{\"queue_name\":\"hold\",\"queue_name\":\"deferred\",\"queue_id\":"
	    "\"B453BA72B2C\",\"arrival_time\":1,\"sender\":\"a@b\","
	    "\"recipients\":[]}",
	    /* NUL escapes */
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[{"
	    "\"address\":\"u\\u0000@x.test\"}]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\\u0000\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[]}",
	    /* CR/LF and other controls in addresses */
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[{"
	    "\"address\":\"u@x.test\\r\\nRCPT TO:<v@y>\"}]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a\\u001b@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[{"
	    "\"address\":\"\"}]}",
	    /* wrong types */
	    "{\"queue_name\":\"deferred\",\"queue_id\":12345678,\"arrival_"
	    "time\":1,\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":\"1\",\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1.5,\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":-1,\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":null,\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":{}}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[\"u@x\"]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[{"
	    "\"address\":\"u@x\",\"delay_reason\":5}]}",
	    "{\"queue_name\":[],\"queue_id\":\"B453BA72B2C\",\"arrival_time\":"
	    "1,\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"corrupt\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[]}",
	    /* missing members */
	    "{\"queue_name\":\"deferred\",\"arrival_time\":1,\"sender\":\"a@"
	    "b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
	    "\"arrival_time\":1,\"sender\":\"a@b\"}",
	    /* bad ids */
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"ALL\",\"arrival_"
	    "time\":1,\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"-h\",\"arrival_time\":"
	    "1,\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"b453ba72b2c\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[]}",
	    "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\\n\","
	    "\"arrival_time\":1,\"sender\":\"a@b\",\"recipients\":[]}",
	    /* truncated / not an object / junk */
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"A1E2",
	    "[1, 2, 3]",
	    "\"B453BA72B2C\"",
	    "Mail queue is empty",
	    "",
	    "{} {}",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		size_t len = strlen(REAL_A) + strlen(hostile[i]) + 3;
		char *text = malloc(len);
		struct mta_listing l;
		struct bad_log b;

		snprintf(text, len, "%s\n%s\n", REAL_A, hostile[i]);
		parse(text, &l, &b);
		if (l.n != 1 || l.skipped != 1 || b.n != 1 || b.lines[0] != 2)
			fail_msg(
			    "hostile line #%zu: n=%zu skipped=%zu reports=%zu",
			    i, l.n, l.skipped, b.n);
		assert_string_equal(l.msgs[0].queue_id, "A1E2DA7254D");
		assert_true(l.complete); /* bad lines are skipped, not fatal */
		postfix_queue_free(&l);
		free(text);
	}
}

/* A JSON line with @param nrcpts recipients. */
static char *many_rcpts(size_t nrcpts)
{
	size_t cap = 200 + nrcpts * 40, len;
	char *s = malloc(cap);
	len = (size_t)snprintf(
	    s, cap,
	    "{\"queue_name\":\"deferred\",\"queue_id\":"
	    "\"B453BA72B2C\",\"arrival_time\":1,\"sender\":\"a@b\","
	    "\"recipients\":[");
	for (size_t i = 0; i < nrcpts; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"%s{\"address\":\"r%zu@x.test\"}",
					i ? "," : "", i);
	snprintf(s + len, cap - len, "]}\n");
	return s;
}

static void test_bounds(void **state)
{
	struct mta_listing l;
	struct bad_log b;
	char *s;
	(void)state;

	s = many_rcpts(LIMIT_RCPTS_PER_MESSAGE);
	parse(s, &l, &b);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.msgs[0].nrcpts, LIMIT_RCPTS_PER_MESSAGE);
	postfix_queue_free(&l);
	free(s);

	s = many_rcpts(LIMIT_RCPTS_PER_MESSAGE + 1);
	parse(s, &l, &b);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 1);
	assert_true(l.complete);
	postfix_queue_free(&l);
	free(s);

	/* a huge array makes a line over LIMIT_LISTING_LINE: skipped unparsed
	 */
	s = many_rcpts(5000);
	assert_true(strlen(s) > LIMIT_LISTING_LINE);
	parse(s, &l, &b);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 1);
	assert_string_equal(b.why[0], "line longer than LIMIT_LISTING_LINE");
	postfix_queue_free(&l);
	free(s);

	/* address of LIMIT_ADDRESS bytes accepted, one more refused */
	for (size_t extra = 0; extra < 2; extra++) {
		size_t alen = LIMIT_ADDRESS + extra;
		char *addr = malloc(alen + 1), *text = malloc(alen + 300);
		memset(addr, 'a', alen);
		memcpy(addr + alen - 7, "@x.test", 7);
		addr[alen] = '\0';
		snprintf(
		    text, alen + 300,
		    "{\"queue_name\":\"deferred\",\"queue_id\":"
		    "\"B453BA72B2C\",\"arrival_time\":1,\"sender\":\"a@b\","
		    "\"recipients\":[{\"address\":\"%s\"}]}\n",
		    addr);
		parse(text, &l, &b);
		assert_int_equal(l.n, extra ? 0 : 1);
		assert_int_equal(l.skipped, extra);
		postfix_queue_free(&l);
		free(addr);
		free(text);
	}
}

static void test_reason_masked_and_cut(void **state)
{
	char text[2048], reason[1001];
	struct mta_listing l;
	struct bad_log b;
	(void)state;

	memset(reason, 'r', 1000);
	reason[1000] = '\0';
	snprintf(text, sizeof(text),
		 "{\"queue_name\":\"deferred\",\"queue_id\":"
		 "\"B453BA72B2C\",\"arrival_time\":1,\"sender\":\"a@b\","
		 "\"recipients\":[{\"address\":\"u@x\",\"delay_reason\":"
		 "\"a\\u001b[31mb\\tc\"},{\"address\":\"v@x\",\"delay_reason\":"
		 "\"%s\"}],"
		 "\"unknown\":{\"nested\":[1,2,{\"x\":null}]}}\n",
		 reason);
	parse(text, &l, &b);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.msgs[0].rcpts[0].reason, "a?[31mb?c");
	assert_int_equal(strlen(l.msgs[0].rcpts[1].reason), LIMIT_REASON);
	postfix_queue_free(&l);
}

static void test_duplicates_and_partial(void **state)
{
	struct mta_listing l;
	struct bad_log b;
	const struct mta_message *m;
	/* listed twice (moved deferred -> hold during the listing), then a
	 * partial last line: the later line wins; the listing is incomplete */
	const char *text =
	    REAL_A "\n"
		   "{\"queue_name\":\"hold\",\"queue_id\":\"A1E2DA7254D\","
		   "\"arrival_time\":1795923285,"
		   "\"sender\":\"alice@lab.test\",\"recipients\":[{\"address\":"
		   "\"u2@live.test\"}]}\n" REAL_D "\n"
		   "{\"queue_name\":\"deferred\",\"queue_id\":\"B453BA72B2C\","
		   "\"arrival_time\":1,\"sen";
	(void)state;

	parse(text, &l, &b);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.skipped, 1);
	assert_false(l.complete);
	assert_int_equal(b.lines[0], 4);
	m = listing_fx_find(&l, "A1E2DA7254D");
	assert_non_null(m);
	assert_true(m->held);
	assert_int_equal(m->nrcpts, 1);
	assert_string_equal(m->rcpts[0].address, "u2@live.test");
	m = listing_fx_find(&l, "B453BA72B2C");
	assert_non_null(m);
	assert_false(m->held);
	postfix_queue_free(&l);

	/* a complete JSON object without its newline is still a partial line */
	parse(REAL_A, &l, &b);
	assert_int_equal(l.n, 0);
	assert_false(l.complete);
	postfix_queue_free(&l);
}

static void test_address_ok(void **state)
{
	(void)state;
	assert_true(postfix_queue_address_ok("", 0));
	assert_true(postfix_queue_address_ok("j??rgen@x", 9));
	assert_false(postfix_queue_address_ok("a\r@x", 4));
	assert_false(postfix_queue_address_ok("a\n@x", 4));
	assert_false(postfix_queue_address_ok("a\0@x", 4));
	assert_false(postfix_queue_address_ok("a\x7f@x", 4));
}

/* ---- the stream (postfix_queue_stream_*) ---- */

struct told {
	size_t n, rcpts, held, deferred;
	int stop_at; /* > 0: say stop at this message */
	char first[LIMIT_QUEUE_ID + 1], last[LIMIT_QUEUE_ID + 1];
};

static int told_cb(void *arg, const struct mta_message *m)
{
	struct told *t = arg;

	if (t->stop_at > 0 && t->n + 1 == (size_t)t->stop_at)
		return -1;
	if (t->n == 0)
		snprintf(t->first, sizeof(t->first), "%s", m->queue_id);
	snprintf(t->last, sizeof(t->last), "%s", m->queue_id);
	t->n++;
	t->rcpts += m->nrcpts;
	t->held += m->held != 0;
	t->deferred += m->deferred != 0;
	return 0;
}

/* The same text fed whole, byte by byte and in odd chunks: same result. */
static void test_stream_chunks(void **state)
{
	const char *text = REAL_A "\n" REAL_B "\n" REAL_C "\n" REAL_D "\n";
	size_t len = strlen(text), sizes[] = {1, 2, 7, 64, 333, 100000};
	(void)state;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct told t = {0};
		struct bad_log b = {0};
		struct postfix_queue_stream *s =
		    postfix_queue_stream_new(told_cb, &t, bad_cb, &b);
		char err[256];
		size_t skipped = 9;

		assert_non_null(s);
		for (size_t off = 0; off < len; off += sizes[k]) {
			size_t n = len - off < sizes[k] ? len - off : sizes[k];
			assert_int_equal(
			    postfix_queue_stream_feed(s, text + off, n, err,
						      sizeof(err)),
			    0);
		}
		assert_int_equal(postfix_queue_stream_end(s, &skipped), 1);
		postfix_queue_stream_free(s);
		assert_int_equal(skipped, 0);
		assert_int_equal(b.n, 0);
		assert_int_equal(t.n, 4);
		assert_int_equal(t.rcpts, 7);
		assert_int_equal(t.held, 1);
		assert_int_equal(t.deferred, 2);
		assert_string_equal(t.first, "A1E2DA7254D");
		assert_string_equal(t.last, "B453BA72B2C");
	}
}

/* A line longer than LIMIT_LISTING_LINE cut across chunks: skipped whole,
 * the next line parsed; a last line with no newline: incomplete. */
static void test_stream_overlong_and_partial(void **state)
{
	char *big = many_rcpts(5000), err[256];
	struct told t = {0};
	struct bad_log b = {0};
	struct postfix_queue_stream *s =
	    postfix_queue_stream_new(told_cb, &t, bad_cb, &b);
	size_t len = strlen(big), skipped = 0;
	(void)state;

	assert_true(len > LIMIT_LISTING_LINE);
	for (size_t off = 0; off < len; off += 4096)
		assert_int_equal(postfix_queue_stream_feed(
				     s, big + off,
				     len - off < 4096 ? len - off : 4096, err,
				     sizeof(err)),
				 0);
	assert_int_equal(postfix_queue_stream_feed(s, REAL_A "\n",
						   strlen(REAL_A) + 1, err,
						   sizeof(err)),
			 0);
	assert_int_equal(
	    postfix_queue_stream_feed(s, REAL_B, 20, err, sizeof(err)), 0);
	assert_int_equal(postfix_queue_stream_end(s, &skipped), 0);
	postfix_queue_stream_free(s);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.first, "A1E2DA7254D");
	assert_int_equal(skipped, 2);
	assert_string_equal(b.why[0], "line longer than LIMIT_LISTING_LINE");
	assert_int_equal(b.lines[0], 1);
	assert_string_equal(b.why[1], "partial last line (no newline)");
	assert_int_equal(b.lines[1], 3);
	free(big);
}

/* The caller says stop: feed says so, the listing is not complete. */
static void test_stream_stop(void **state)
{
	const char *text = REAL_A "\n" REAL_B "\n" REAL_C "\n";
	struct told t = {.stop_at = 2};
	struct bad_log b = {0};
	struct postfix_queue_stream *s =
	    postfix_queue_stream_new(told_cb, &t, bad_cb, &b);
	char err[256] = "";
	size_t skipped = 0;
	(void)state;

	assert_int_equal(
	    postfix_queue_stream_feed(s, text, strlen(text), err, sizeof(err)),
	    -1);
	assert_string_equal(err, "");
	assert_int_equal(postfix_queue_stream_end(s, &skipped), 0);
	postfix_queue_stream_free(s);
	assert_int_equal(t.n, 1);
}

/*
 * More than SPAWN_OUTPUT_MAX (64 MiB, where the buffered listing was cut
 * at ~176k messages) of postqueue -j, made up as it is fed in pipe-sized
 * chunks: every message told, complete, and nothing of it kept.
 */
#define BIG_STREAM_BYTES ((64u << 20) + (4u << 20))
static void test_stream_over_64mib(void **state)
{
	struct told t = {0};
	struct bad_log b = {0};
	struct postfix_queue_stream *s =
	    postfix_queue_stream_new(told_cb, &t, bad_cb, &b);
	char *chunk = malloc(65536 + 1024), err[256], id[32], last[32] = "";
	size_t total = 0, made = 0, skipped = 0;
	(void)state;

	assert_non_null(s);
	while (total < BIG_STREAM_BYTES) {
		size_t len = 0;

		while (len < 65536) {
			/* short ids: 5 hex digits + hex inode digits */
			snprintf(id, sizeof(id), "%05X%06zX", 0xABCDEu, made);
			len += (size_t)snprintf(
			    chunk + len, 1024,
			    "{\"queue_name\": \"%s\", \"queue_id\": \"%s\", "
			    "\"arrival_time\": 1795923285, \"message_size\": "
			    "270, \"forced_expire\": false, \"sender\": "
			    "\"alice@lab.test\", \"recipients\": [{\"address\":"
			    " \"u%zu@hotmail.test\", \"delay_reason\": \"Host "
			    "or domain name not found. Name service error for "
			    "name=hotmail.test type=MX: Host found but no data "
			    "record of requested type\"}]}\n",
			    made % 2 ? "hold" : "deferred", id, made);
			snprintf(last, sizeof(last), "%s", id);
			made++;
		}
		/* cut the chunk anywhere: feed it in two odd pieces */
		assert_int_equal(
		    postfix_queue_stream_feed(s, chunk, 1000, err, sizeof(err)),
		    0);
		assert_int_equal(postfix_queue_stream_feed(s, chunk + 1000,
							   len - 1000, err,
							   sizeof(err)),
				 0);
		total += len;
	}
	assert_int_equal(postfix_queue_stream_end(s, &skipped), 1);
	postfix_queue_stream_free(s);
	free(chunk);
	assert_true(total > (64u << 20));
	assert_true(made > 176000);
	assert_int_equal(skipped, 0);
	assert_int_equal(t.n, made);
	assert_int_equal(t.rcpts, made);
	assert_int_equal(t.held, made / 2);
	assert_string_equal(t.last, last);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_reason_masked_and_cut),
	    cmocka_unit_test(test_duplicates_and_partial),
	    cmocka_unit_test(test_address_ok),
	    cmocka_unit_test(test_stream_chunks),
	    cmocka_unit_test(test_stream_overlong_and_partial),
	    cmocka_unit_test(test_stream_stop),
	    cmocka_unit_test(test_stream_over_64mib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

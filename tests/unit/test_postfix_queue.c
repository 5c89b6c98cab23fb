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

static const struct mta_message *find(const struct mta_listing *l,
				      const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->msgs[i].queue_id, id) == 0)
			return &l->msgs[i];
	return NULL;
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

	m = find(&l, "A1E2DA7254D");
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

	m = find(&l, "4jcXtg2558z1bZ94");
	assert_non_null(m);
	assert_string_equal(m->sender, ""); /* MAILER-DAEMON = null sender */
	assert_true(m->held);
	assert_false(m->deferred);

	m = find(&l, "4jcXtg2HXMz1bZ9g");
	assert_non_null(m);
	assert_int_equal(m->nrcpts, 3);
	assert_string_equal(m->rcpts[1].address,
			    "j??rgen@msn.test"); /* masked */

	m = find(&l, "B453BA72B2C");
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
	m = find(&l, "A1E2DA7254D");
	assert_non_null(m);
	assert_true(m->held);
	assert_int_equal(m->nrcpts, 1);
	assert_string_equal(m->rcpts[0].address, "u2@live.test");
	m = find(&l, "B453BA72B2C");
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

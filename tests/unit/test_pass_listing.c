/*
 * test_pass_listing - the pass's index of a big listing (issue 13): 8
 * bytes an entry, sorted in place by queue id (no scratch copy), a
 * message listed twice merged (flags or'ed, the later one's kept), and
 * every id found by pass_listing_find(); told through scan_each by a
 * plugin that lists 200,000 held messages in a scrambled order, 1,000 of
 * them twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass/pass_int.h"

#define BIG  200000
#define DUPS 1000

static int big_valid_id(const char *id)
{
	return strlen(id) == 11 && strspn(id, "0123456789ABCDEF") == 11;
}

/* Index k of the listing order -> message number (a permutation). */
static size_t big_order(size_t k)
{
	return (k * 7919u + 13u) %
	       BIG; /* 7919 is prime, BIG is not a multiple */
}

static int big_scan_each(void *state, mta_message_fn fn, void *arg,
			 int *complete, size_t *skipped, char *err,
			 size_t errlen)
{
	struct mta_message m;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (size_t k = 0; k < BIG + DUPS; k++) {
		size_t i = k < BIG ? big_order(k) : (k - BIG) * 97;

		snprintf(m.queue_id, sizeof(m.queue_id), "%05X%06zX", 0xABCDEu,
			 i);
		m.held = 1;
		m.deferred = k >= BIG; /* the second listing: deferred too */
		if (fn(arg, &m) < 0)
			return -1;
	}
	*complete = 1;
	*skipped = 0;
	return 0;
}

static const struct mta_plugin big_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "big",
    .valid_id = big_valid_id,
    .scan_each = big_scan_each,
};

static void test_big_listing(void **state)
{
	struct pass_ctx ctx;
	struct pass_listing l;
	char id[32];
	size_t deferred = 0;

	(void)state;
	assert_int_equal(sizeof(struct pass_lentry), 8);
	memset(&ctx, 0, sizeof(ctx));
	ctx.plugin = &big_plugin;
	assert_int_equal(pass_listing_scan(&ctx, &l), 0);
	assert_true(l.complete);
	assert_int_equal(l.n, BIG);
	for (size_t i = 1; i < l.n; i++)
		assert_true(strcmp(pass_lentry_id(&l, &l.e[i - 1]),
				   pass_lentry_id(&l, &l.e[i])) < 0);
	for (size_t i = 0; i < BIG; i++) {
		struct pass_lentry *e;

		snprintf(id, sizeof(id), "%05X%06zX", 0xABCDEu, i);
		e = pass_listing_find(&l, id);
		assert_non_null(e);
		assert_string_equal(pass_lentry_id(&l, e), id);
		assert_true(e->held);
		deferred += e->deferred;
		assert_int_equal(e->deferred, i % 97 == 0 && i / 97 < DUPS);
	}
	assert_int_equal(deferred, DUPS);
	assert_null(pass_listing_find(&l, "ABCDEFFFFFF"));
	pass_listing_free(&ctx, &l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_big_listing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

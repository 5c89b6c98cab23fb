/*
 * test_postfix_id - Postfix queue id validation and postsuper's
 * per-id confirmations (ids and stderr captured from the lab Postfix 3.7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/postfix_id.h"

static void test_good_ids(void **state)
{
	static const char *const good[] = {
	    /* short, from the lab Postfix */
	    "A1E2DA7254D",
	    "B453BA72B2C",
	    "3E55BA72F28",
	    "11756A74127",
	    "000001",		     /* 5 microsecond digits + 1 inode digit */
	    "FFFFFFFFFFFFFFFFFFFFF", /* 5 + 16: a 64-bit inode */
	    /* long (enable_long_queue_ids = yes), from the lab Postfix */
	    "4jcXtg1bpYz1bZ8Q",
	    "4jcXtg2558z1bZ94",
	    "4jcXtg2HXMz1bZ9g",
	    "4dRmBH2Vqzz1", /* time ends in 'z' (a base-52 digit) */
	    "zzzzzzzzzzzZ",
	    "0000000000z0",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!postfix_id_valid(good[i]))
			fail_msg("refused good id #%zu \"%s\"", i, good[i]);
}

static void test_bad_ids(void **state)
{
	static const char *const bad[] = {
	    "",
	    "ALL",
	    "-h",
	    "-",
	    "-H",
	    "-A1E2DA7254D",
	    "all",
	    "a1e2da7254d",	      /* lower-case hex */
	    "A1E2DA7254G",	      /* not hex, no 'z' */
	    "12345",		      /* only the microseconds */
	    "FFFFFFFFFFFFFFFFFFFFFF", /* 22 hex digits */
	    "A1E2DA7254D ",
	    " A1E2DA7254D",
	    "A1E2DA7254D\n",
	    "A1E2DA7254D\r",
	    "A1E2DA7254D;",
	    "A1E2D\tA7254D",
	    "A1E2DA7254D,B453BA72B2C",
	    "4jcXtg1bpAz1bZ8Q",		/* vowel A */
	    "4jcXtg1bpez1bZ8Q",		/* vowel e */
	    "4jcXtg1bpz1bZ8Q",		/* time part 9 */
	    "4jcXtg1bpYz",		/* no inode */
	    "4jcXtg1bpYz1bZ8Q1bZ8Q1bZ", /* inode 13 */
	    "4jcXtg1bpYXYZz1bZ8Q",	/* time part 13 */
	    "4jcXtg1bpYz1b-8Q",
	    "4jcXtg1bpYz1b_8Q",
	    "../../etc/passwd",
	    "A1E2DA7254D/../x",
	    "A1E2DA7254D\xc3\xa9",
	    "\xff\xff\xff\xff\xff\xff",
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (postfix_id_valid(bad[i]))
			fail_msg("accepted bad id #%zu \"%s\"", i, bad[i]);
	assert_false(postfix_id_valid(NULL));
	assert_false(
	    postfix_id_valid_n("A1E2D\0A7254D", 12));	      /* a NUL inside */
	assert_true(postfix_id_valid_n("A1E2DA7254D;x", 11)); /* length given */
	assert_false(postfix_id_valid_n("A1E2DA7254D", 0));
}

static void test_confirm(void **state)
{
	/* real postsuper -h / -f stderr, plus an id we did not ask for */
	static const char out[] =
	    "postsuper: 3E55BA72F28: placed on hold\n"
	    "postsuper: 52241A72F34: placed on hold\n"
	    "postsuper: 6B541A72F38: placed on hold\n"
	    "postsuper: 3E55BA72F28: placed on hold\n"
	    "postsuper: warning: 52241A72F34: placed on hold\n"
	    "postsuper: 52241A72F34: placed on hold later\n"
	    "postsuper: Placed on hold: 3 messages\n"
	    "postsuper: 4jcXtg2558z1bZ94: expired\n"
	    "postsuper: 4jcXtg2558z1bZ94: released from hold";
	const char *sorted[] = {"3E55BA72F28", "4jcXtg2558z1bZ94",
				"6B541A72F38", "DEADBEEF12"};
	const char *hold[] = {"placed on hold"};
	const char *expire[] = {"expired", "released from hold"};
	unsigned char seen[4];
	(void)state;

	memset(seen, 0, sizeof(seen));
	assert_int_equal(
	    postfix_id_confirm(out, strlen(out), hold, 1, sorted, 4, seen), 2);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[2], 1);
	assert_int_equal(seen[3], 0);
	/* counted once, even named twice (expired + released, no newline) */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(
	    postfix_id_confirm(out, strlen(out), expire, 2, sorted, 4, seen),
	    1);
	assert_int_equal(seen[1], 1);
	/* a prefix of a requested id is not that id */
	const char *longer[] = {"3E55BA72F289"};
	memset(seen, 0, sizeof(seen));
	assert_int_equal(
	    postfix_id_confirm(out, strlen(out), hold, 1, longer, 1, seen), 0);
	assert_int_equal(postfix_id_confirm("", 0, hold, 1, sorted, 4, seen),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_ids),
	    cmocka_unit_test(test_bad_ids),
	    cmocka_unit_test(test_confirm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_exim_id - Exim message id validation (4.96 and 4.97+ forms).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugins/exim_id.h"

static void test_good_ids(void **state)
{
	(void)state;
	assert_true(exim_id_valid("1xXQMR-0004tV-1a"));	       /* 4.96 */
	assert_true(exim_id_valid("1xXVIy-0002DP-12"));	       /* lab Exim */
	assert_true(exim_id_valid("16VDhn-000000001bo-D342")); /* 4.97+ */
	assert_true(exim_id_valid("000000-000000-00"));
	assert_true(exim_id_valid("zzzzzz-zzzzzzzzzzz-zzzz"));
	assert_true(exim_id_valid("ABCDEF-GHIJKL-MN")); /* base 36 */
}

static void test_bad_ids(void **state)
{
	static const char *const bad[] = {
	    "",
	    "-M",
	    "-Mf",
	    "ALL",
	    "-1xXQMR-0004tV-1",
	    "1xXQMR-0004tV-1",	 /* 15 */
	    "1xXQMR-0004tV-1aa", /* 17 */
	    "1xXQMR-0004tV-1a ", /* trailing space */
	    "1xXQMR-0004tV-1a\n",
	    " 1xXQMR-0004tV-1a",
	    "1xXQMR_0004tV-1a", /* wrong separator */
	    "1xXQMR0-004tV-1a", /* hyphen misplaced, length 16 */
	    "1xXQMR-0004tV-1!", /* wrong alphabet */
	    "1xXQMR-0004t.-1a",
	    "1xXQMR-0004tV-1\xc3",	/* non-ASCII */
	    "16VDhn-000000001bo-D34",	/* 22 */
	    "16VDhn-000000001bo-D3422", /* 24 */
	    "16VDhn-00000001bo-D3422",	/* 23, groups 6-10-5 */
	    "16VDhn-000000001bo_D342",
	    "16VDhn-000000001b/-D342",
	    "../../etc/passwd",
	    "1xXQMR-0004tV-1a-H", /* a spool file name */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (exim_id_valid(bad[i]))
			fail_msg("accepted bad id #%zu \"%s\"", i, bad[i]);
	}
	assert_false(exim_id_valid(NULL));
	/* an embedded NUL makes it a 15-byte string */
	assert_false(exim_id_valid("1xXQMR-0004tV-1\0a"));
}

static void test_id_time(void **state)
{
	int64_t t = 0;

	(void)state;
	/* the -H file of this lab message said 1795921402 */
	assert_int_equal(exim_id_time("1xXVCE-0001eh-1q", &t), 0);
	assert_int_equal(t, 1795921402);
	assert_int_equal(exim_id_time("000001-000000-00", &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(exim_id_time("000010-000000000AB-0000", &t), 0);
	assert_int_equal(t, 62);
	assert_int_equal(exim_id_time("-M", &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_ids),
	    cmocka_unit_test(test_bad_ids),
	    cmocka_unit_test(test_id_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_intern - the string set that keeps repeated delay reasons once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/intern.h"

static void test_same_text_same_copy(void **state)
{
	struct intern *t = intern_new();
	const char *a, *b, *c;
	size_t bytes;
	(void)state;

	assert_non_null(t);
	a = intern_str(t, "Host or domain name not found", 29);
	b = intern_str(t, "Host or domain name not found. Name", 29);
	c = intern_str(t, "Host or domain name not", 23);
	assert_non_null(a);
	assert_ptr_equal(a, b); /* only len bytes count */
	assert_ptr_not_equal(a, c);
	assert_string_equal(c, "Host or domain name not");
	assert_string_equal(intern_str(t, "", 0), "");
	assert_int_equal(intern_count(t, &bytes), 3);
	assert_int_equal(bytes, 30 + 24 + 1);
	intern_free(t);
}

/* Many distinct texts (the table grows), each found again. */
static void test_grow(void **state)
{
	struct intern *t = intern_new();
	const char *first[5000];
	char buf[64];
	(void)state;

	for (int i = 0; i < 5000; i++) {
		int n = snprintf(buf, sizeof(buf), "reason %d", i);
		first[i] = intern_str(t, buf, (size_t)n);
		assert_non_null(first[i]);
	}
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(buf, sizeof(buf), "reason %d", i);
		assert_ptr_equal(intern_str(t, buf, (size_t)n), first[i]);
	}
	assert_int_equal(intern_count(t, NULL), 5000);
	intern_free(t);
	intern_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_text_same_copy),
	    cmocka_unit_test(test_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_exim_list - exim.so's full listing collected from a stream
 * (exim_list_bytes, issue 13): a parsing instance whose host streams
 * exim -bpr in small chunks gets the whole text, exactly; a host with
 * no list_stream gets list's bytes; a listing that exited non-zero is
 * an error naming the exit and stderr; a failed stream is an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/exim_cmd.h"

static const char listing[] =
    " 3m   377 1xaAuy-0005e4-0U <sender@senders.test> *** frozen ***\n"
    "          r0-00001@windowslive.test\n\n"
    " 2m   377 1xaAuz-0005e9-1a <>\n"
    "        D d@live.test\n"
    "          a@live.test\n\n";

struct fake {
	int exit_code, fail;
	size_t chunk;
};

static int fake_stream(void *arg, mta_bytes_fn fn, void *fnarg,
		       struct mta_raw *raw, char *err, size_t errlen)
{
	struct fake *f = arg;

	memset(raw, 0, sizeof(*raw));
	if (f->fail) {
		snprintf(err, errlen, "helper: gone");
		return -1;
	}
	for (size_t off = 0; off < sizeof(listing) - 1; off += f->chunk) {
		size_t n = sizeof(listing) - 1 - off;

		if (fn(fnarg, listing + off, n < f->chunk ? n : f->chunk) < 0)
			break;
	}
	raw->exited = 1;
	raw->exit_code = f->exit_code;
	raw->err = strdup(f->exit_code ? "exim: spool gone\n" : "");
	return 0;
}

static int fake_list(void *arg, struct mta_raw *raw, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	memset(raw, 0, sizeof(*raw));
	raw->out = strdup(listing);
	raw->outlen = sizeof(listing) - 1;
	raw->exited = 1;
	return 0;
}

static void test_stream(void **state)
{
	struct fake f = {.chunk = 7};
	struct mta_host h = {
	    .arg = &f, .list = fake_list, .list_stream = fake_stream};
	struct exim_state st;
	struct spawn_result res;
	char err[256];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.host = &h;
	assert_int_equal(exim_list_bytes(&st, &res, err, sizeof(err)), 0);
	assert_int_equal(res.outlen, sizeof(listing) - 1);
	assert_string_equal(res.out, listing);
	assert_int_equal(res.out_truncated, 0);
	spawn_result_free(&res);

	/* exim exited 1: an error with its stderr */
	f.exit_code = 1;
	assert_int_equal(exim_list_bytes(&st, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exit 1"));
	assert_non_null(strstr(err, "spool gone"));

	/* the stream failed */
	f.fail = 1;
	assert_int_equal(exim_list_bytes(&st, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "helper: gone"));

	/* one chunk */
	f.fail = 0;
	f.exit_code = 0;
	f.chunk = sizeof(listing);
	assert_int_equal(exim_list_bytes(&st, &res, err, sizeof(err)), 0);
	assert_string_equal(res.out, listing);
	spawn_result_free(&res);

	/* a host with no list_stream: list's bytes */
	h.list_stream = NULL;
	assert_int_equal(exim_list_bytes(&st, &res, err, sizeof(err)), 0);
	assert_string_equal(res.out, listing);
	spawn_result_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

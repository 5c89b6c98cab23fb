/*
 * test_store_journal - the hold journal's compaction: line by line, each
 * held id once, another MTA's lines dropped, and not before the journal
 * is past both LIMIT_JOURNAL_COMPACT and the caller's size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store_journal.h"

#define IDS 40000 /* ids journaled, twice each: > LIMIT_JOURNAL_COMPACT */

struct kept {
	unsigned char *seen;
	size_t asked;
};

/* Held: the even ids; each kept once. */
static int keep_even(const char *id, void *arg)
{
	struct kept *k = arg;
	unsigned long v = strtoul(id + 1, NULL, 16);

	k->asked++;
	if (v % 2 != 0 || v >= IDS || k->seen[v])
		return 0;
	k->seen[v] = 1;
	return 1;
}

static void fill(const char *dir)
{
	char *idv = malloc((size_t)IDS * 16);
	const char **ids = malloc(IDS * sizeof(*ids));
	char err[512];

	for (size_t i = 0; i < IDS; i++) {
		snprintf(idv + i * 16, 16, "A%06zX", i);
		ids[i] = idv + i * 16;
	}
	for (int round = 0; round < 2; round++)
		assert_int_equal(store_journal_append(dir, "postfix", ids, IDS,
						      1700000000 + round, err,
						      sizeof(err)),
				 0);
	assert_int_equal(store_journal_append(dir, "exim", ids, 10, 1700000000,
					      err, sizeof(err)),
			 0);
	free(ids);
	free(idv);
}

static void test_compact(void **state)
{
	char dir[] = "/tmp/test_store_journal.XXXXXX", err[512], path[300];
	struct store_journal_ids j;
	struct kept k = {calloc(IDS, 1), 0};
	struct stat sb;
	(void)state;

	assert_non_null(mkdtemp(dir));
	fill(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_JOURNAL_FILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > (off_t)LIMIT_JOURNAL_COMPACT);

	/* below the caller's size: left alone */
	assert_int_equal(store_journal_compact(dir, "postfix", keep_even, &k,
					       (size_t)sb.st_size, 1800000000,
					       err, sizeof(err)),
			 0);
	assert_int_equal(k.asked, 0);

	assert_int_equal(store_journal_compact(dir, "postfix", keep_even, &k, 0,
					       1800000000, err, sizeof(err)),
			 1);
	assert_int_equal(k.asked, 2 * IDS); /* the exim lines never asked */
	assert_int_equal(
	    store_journal_read(dir, "postfix", &j, err, sizeof(err)), IDS / 2);
	assert_true(store_journal_has(&j, "A000000"));
	assert_false(store_journal_has(&j, "A000001"));
	store_journal_ids_free(&j);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, (off_t)(IDS / 2) * 32); /* once each */
	assert_int_equal(store_journal_read(dir, "exim", &j, err, sizeof(err)),
			 0);
	store_journal_ids_free(&j);

	unlink(path);
	rmdir(dir);
	free(k.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

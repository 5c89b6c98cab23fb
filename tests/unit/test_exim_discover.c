/*
 * test_exim_discover - Exim incremental discovery (issue 13).
 * Pure line handling (exim_discover_line into a table): a deferral with
 * its reason, the sender of the <= line and the arrival from the id; a
 * delivered or bounced recipient no longer pending; Completed, removed
 * and cancelled messages left out; frozen and thawed; the null sender;
 * junk ignored. Over a real log file (exim_discover): the cursor saved
 * and reloaded, a gap on first start, on truncation and on a rotation
 * whose old file is gone (none when LOG.0 is kept), the per-call bound
 * with nothing lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/exim_discover.h"
#include "plugins/exim_id.h"
#include "plugins/exim_queue.h"
#include "tmpdir_fx.h"
#include "listing_fx.h"

#define T   "2026-12-06 02:53:34 "
#define ID1 "1xa2NV-0003cl-38"
#define ID2 "1xa2NW-0003cu-0r"
#define ID3 "1xa2NW-0003d4-1s"
#define ID4 "1xa2Nb-0003g0-2n"
#define DEFER(id, rcpt, why)                                                   \
	T id " == " rcpt " R=dnslookup defer (-1): " why "\n"

static void feed(struct mta_discover *t, const char *text)
{
	const char *p = text, *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		assert_int_equal(exim_discover_line(t, p, (size_t)(nl - p), 0),
				 0);
		p = nl + 1;
	}
}

static void test_lines(void **state)
{
	struct mta_discover t;
	struct mta_listing l;
	const struct mta_message *m;
	int64_t arrival;

	(void)state;
	memset(&t, 0, sizeof(t));
	feed(&t, T ID1 " <= alice@senders.test U=root P=local S=256 for "
		       "u1@hotmail.test u2@hotmail.test\n" DEFER(
			   ID1, "u1@hotmail.test",
			   "missing MX, or all MXs point to missing A records,"
			   " and defer requested") DEFER(ID1, "u2@hotmail.test",
							 "host lookup did not "
							 "complete") T ID1
	     " => u2@hotmail.test R=dnslookup T=remote_smtp H=mx [1.2.3.4] "
	     "C=\"250 2.0.0 Ok\"\n"
	     /* ID2: deferred, then gone (Completed) */
	     DEFER(ID2, "v@live.test", "Connection refused") T ID2
	     " ** v@live.test: Unrouteable address\n" T ID2 " Completed\n"
	     /* ID3: deferred and frozen, ID4 frozen then thawed */
	     T ID3 " <= <> R=" ID2 " U=Debian-exim P=local S=1504\n" DEFER(
		 ID3, "w@msn.test", "retry time not reached") T ID3
	     " frozen by root\n" DEFER(ID4, "x@msn.test", "no route") T ID4
	     " Frozen (delivery error message)\n" T ID4
	     " Unfrozen by forced delivery\n"
	     /* junk and lines about no message */
	     "garbage line\n" T "exim user lost privilege for using -C "
	     "option\n" T ID4 " == \n");
	memset(&l, 0, sizeof(l));
	assert_int_equal(mta_discover_each(&t, mta_discover_collect, &l), 0);
	mta_discover_free(&t);
	assert_int_equal(l.complete, 0);
	assert_int_equal(l.n, 3);
	m = listing_fx_find(&l, ID1);
	assert_non_null(m);
	assert_string_equal(m->sender, "alice@senders.test");
	assert_int_equal(m->nrcpts, 1); /* u2 was delivered */
	assert_string_equal(m->rcpts[0].address, "u1@hotmail.test");
	assert_string_equal(m->rcpts[0].reason,
			    "missing MX, or all MXs point to missing A records,"
			    " and defer requested");
	assert_int_equal(m->deferred, 1);
	assert_int_equal(m->held, 0);
	assert_int_equal(exim_id_time(ID1, &arrival), 0);
	assert_int_equal(m->arrival, arrival);
	assert_null(listing_fx_find(&l, ID2)); /* Completed */
	m = listing_fx_find(&l, ID3);
	assert_non_null(m);
	assert_string_equal(m->sender, ""); /* <> */
	assert_int_equal(m->held, 1);
	m = listing_fx_find(&l, ID4);
	assert_non_null(m);
	assert_int_equal(m->held, 0); /* thawed by the forced delivery */
	assert_string_equal(m->sender, "");
	exim_queue_free(&l);

	/* removed by an administrator, cancelled (-Mg): left out */
	memset(&t, 0, sizeof(t));
	feed(&t, DEFER(ID1, "u@live.test", "a") DEFER(ID2, "v@live.test", "b")
		     T ID1 " removed by root\n" T ID2 " cancelled by root\n");
	memset(&l, 0, sizeof(l));
	assert_int_equal(mta_discover_each(&t, mta_discover_collect, &l), 0);
	mta_discover_free(&t);
	assert_int_equal(l.n, 0);
	exim_queue_free(&l);
}

struct fx {
	char dir[64], log[128];
	struct exim_state st;
};

static void fx_open(struct fx *f)
{
	char err[256];

	free(f->st.dcursor_file);
	memset(&f->st, 0, sizeof(f->st));
	f->st.log_file = f->log;
	assert_int_equal(exim_discover_open(&f->st, f->dir, err, sizeof(err)),
			 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_eximdisc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/mainlog", f->dir);
	tmpdir_fx_append(f->log, T "exim 4.96 daemon started\n");
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->st.dcursor_file);
	assert_int_equal(tmpdir_fx_remove(f->dir), 0);
	free(f);
	return 0;
}

/* One discover call: @return the number of messages, gap in *gap. */
static size_t discover(struct fx *f, int *gap, const char *want_id)
{
	struct mta_listing l;
	char err[256];
	size_t n;

	*gap = 0; /* in: no full listing follows (plugin.h) */
	assert_int_equal(exim_discover(&f->st, &l, gap, err, sizeof(err)), 0);
	n = l.n;
	if (want_id != NULL)
		assert_non_null(listing_fx_find(&l, want_id));
	exim_queue_free(&l);
	return n;
}

static void test_cursor(void **state)
{
	struct fx *f = *state;
	int gap;

	tmpdir_fx_append(f->log, DEFER(ID1, "u1@hotmail.test", "x"));
	assert_int_equal(discover(f, &gap, ID1), 1);
	assert_int_equal(gap, 1); /* first call: no saved cursor before */
	assert_int_equal(discover(f, &gap, NULL), 0);
	assert_int_equal(gap, 0);

	/* a restart loads the saved cursor: no gap, nothing read again */
	fx_open(f);
	tmpdir_fx_append(f->log, DEFER(ID2, "v@live.test", "y"));
	assert_int_equal(discover(f, &gap, ID2), 1);
	assert_int_equal(gap, 0);
}

static void test_gaps(void **state)
{
	struct fx *f = *state;
	char old[160];
	int gap;

	discover(f, &gap, NULL);
	tmpdir_fx_append(f->log, DEFER(ID1, "u1@hotmail.test", "x"));
	assert_int_equal(discover(f, &gap, ID1), 1);
	assert_int_equal(gap, 0);

	/* truncated: a gap */
	assert_int_equal(truncate(f->log, 0), 0);
	tmpdir_fx_append(f->log, DEFER(ID2, "v@live.test", "y"));
	assert_int_equal(discover(f, &gap, ID2), 1);
	assert_int_equal(gap, 1);

	/* rotated, the old file kept as .0 (exicyclog): no gap, its tail
	 * is read */
	tmpdir_fx_append(f->log, DEFER(ID3, "w@live.test", "z"));
	snprintf(old, sizeof(old), "%s.0", f->log);
	assert_int_equal(rename(f->log, old), 0);
	tmpdir_fx_append(f->log, DEFER(ID4, "x@live.test", "z"));
	assert_int_equal(discover(f, &gap, ID3), 2);
	assert_int_equal(gap, 0);

	/* rotated and the old file gone: a gap */
	tmpdir_fx_append(f->log, DEFER(ID1, "y@live.test", "z"));
	assert_int_equal(unlink(old), 0);
	assert_int_equal(rename(f->log, old), 0);
	/* the new file made while the old one exists: never its inode */
	tmpdir_fx_append(f->log, DEFER(ID2, "z@live.test", "z"));
	assert_int_equal(unlink(old), 0);
	assert_int_equal(discover(f, &gap, ID2), 1);
	assert_int_equal(gap, 1);
}

static void test_bound(void **state)
{
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	    "klmnopqrstuvwxyz";
	struct fx *f = *state;
	char line[300], id[EXIM_ID_LEN_OLD + 1];
	FILE *fp = fopen(f->log, "a");
	int gap;
	size_t total, n;

	discover(f, &gap, NULL);
	assert_non_null(fp);
	for (int i = 0; i < LIMIT_DISCOVER_MESSAGES + 10; i++) {
		snprintf(id, sizeof(id), "1xa2NV-00%c%c%c%c-38",
			 b62[i / 238328 % 62], b62[i / 3844 % 62],
			 b62[i / 62 % 62], b62[i % 62]);
		snprintf(line, sizeof(line), DEFER("%s", "u@live.test", "q"),
			 id);
		fputs(line, fp);
	}
	fclose(fp);
	n = discover(f, &gap, NULL);
	assert_int_equal(n, LIMIT_DISCOVER_MESSAGES);
	total = n + discover(f, &gap, NULL); /* the rest in the next call */
	assert_int_equal(total, LIMIT_DISCOVER_MESSAGES + 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test_setup_teardown(test_cursor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gaps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

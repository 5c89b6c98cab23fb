/*
 * test_pass_backlog - adopting a big deferred queue from ONE full listing
 * (issue 13): a listing keeps LIMIT_LISTING_CANDIDATES messages whole and
 * a pass adopts LIMIT_PASS_ADOPT; the rest goes to the adoption backlog
 * (an unlinked file in the state directory) and the next passes, run at
 * once (capped), adopt it with no full listing. Before, each capped pass
 * asked for a full listing: a million deferred messages were listed a
 * hundred times.
 *   - 25,000 deferred messages told by a streamed listing (scan_each);
 *     pass 1 lists once and adopts 10,000, 15,000 wait in the backlog;
 *   - one of those is deferred again and discovered from the log before
 *     the backlog reaches it: adopted once, never held twice;
 *   - passes 2 and 3 read only the log and adopt the rest; every message
 *     is HELD, each held exactly once; the backlog is gone (its file
 *     closed) and no pass asks for the next at once any more;
 *   - a full listing (a reload) drops a backlog and makes a new one from
 *     what it lists: nothing adopted twice, nothing lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass.h"
#include "pass/pass_int.h"
#include "big_queue.h"
#include "fake_mta.h"
#include "pass_fx.h"

#define T0  1700000000LL
#define BIG 25000

static struct big_queue q; /* BIG deferred messages */
static struct mta_plugin big_plugin;

static int fx_setup(void **state)
{
	struct fx *fx;

	memset(&q, 0, sizeof(q));
	q.n = BIG;
	q.arrival = T0 - 60;
	big_queue_plugin(&big_plugin);
	/* nothing due for an hour: adoption only */
	fx = fx_new_tier("test_pass_backlog", &big_plugin, "0s every 1h");
	fx->ctx.plugin_state = &q;
	fx->dns.verdict = VERDICT_DOMAIN; /* held mail waits */
	*state = fx;
	return 0;
}

/* Every message held once and HELD in the store. */
static void assert_all_held_once(struct fx *fx)
{
	char id[32];

	for (size_t i = 0; i < BIG; i++) {
		assert_int_equal(q.holds[i], 1);
		big_queue_id(i, id, sizeof(id));
		assert_int_equal(fx_state(fx, id), STORE_MSG_HELD);
	}
}

static void test_one_listing_adopts_all(void **state)
{
	struct fx *fx = *state;
	size_t adopted;

	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(q.scans, 1);
	assert_int_equal(fx->ctx.stats.adopted, LIMIT_PASS_ADOPT);
	assert_int_equal(fx->ctx.stats.capped, 1); /* the next pass at once */
	assert_int_equal(fx->ctx.want_full, 0);	   /* ... with no listing */
	assert_int_equal(pass_backlog_left(&fx->ctx), BIG - LIMIT_PASS_ADOPT);
	adopted = fx->ctx.stats.adopted;

	/* a message of the backlog is deferred again and discovered */
	for (size_t i = 0; i < BIG && q.nnews == 0; i++)
		if (!q.held[i])
			q.news[q.nnews++] = i;
	assert_int_equal(q.nnews, 1);
	for (int pass = 1; pass <= 2; pass++) {
		assert_int_equal(pass_run(&fx->ctx, T0 + pass), 0);
		assert_int_equal(fx->ctx.stats.incremental, 1);
		adopted += fx->ctx.stats.adopted;
	}
	assert_int_equal(q.scans, 1); /* one full listing for everything */
	assert_int_equal(adopted, BIG);
	assert_int_equal(fx->ctx.stats.capped, 0);
	assert_int_equal(pass_backlog_left(&fx->ctx), 0);
	assert_null(fx->ctx.backlog); /* read to its end: closed */
	assert_int_equal(pass_run(&fx->ctx, T0 + 3), 0);
	assert_int_equal(fx->ctx.stats.adopted, 0);
	assert_int_equal(q.scans, 1);
	assert_all_held_once(fx);
}

static void test_full_listing_replaces_backlog(void **state)
{
	struct fx *fx = *state;
	size_t adopted;

	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	adopted = fx->ctx.stats.adopted;
	assert_int_equal(pass_backlog_left(&fx->ctx), BIG - LIMIT_PASS_ADOPT);
	fx->ctx.want_full = 1; /* a reload: the next pass lists everything */
	assert_int_equal(pass_run(&fx->ctx, T0 + 1), 0);
	assert_int_equal(q.scans, 2);
	adopted += fx->ctx.stats.adopted;
	assert_int_equal(pass_backlog_left(&fx->ctx), BIG - adopted);
	for (int pass = 2; pass < 6 && fx->ctx.stats.capped; pass++) {
		assert_int_equal(pass_run(&fx->ctx, T0 + pass), 0);
		adopted += fx->ctx.stats.adopted;
	}
	assert_int_equal(q.scans, 2);
	assert_int_equal(adopted, BIG);
	assert_all_held_once(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_listing_adopts_all,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_full_listing_replaces_backlog,
					    fx_setup, fx_teardown),
	};

	log_open("test_pass_backlog", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

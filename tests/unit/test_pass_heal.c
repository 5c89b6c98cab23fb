/*
 * test_pass_heal - a healed domain's held mail made due in bounded steps
 * (issue 13, pass_watch.c): before, the pass that saw the domain heal
 * wrote every held message of it due before the first release (a million
 * records, minutes at 1M held, and at most LIMIT_PASS_TRACKED of them);
 * the watched set was also rebuilt (O(held)) once per verify_window
 * during the release burst.
 *   - BIG held messages, most of example.test, some of other.test (still
 *     failing): the pass that sees example.test heal makes PASS_HEAL_DUE
 *     of them due, not all, and releases them itself (before, the first
 *     release waited for the next pass: a pass of latency at every
 *     size, bench_scale 10k); each next pass (run at once) makes the
 *     next step due and releases it; every message of example.test is
 *     delivered exactly once, none of other.test;
 *   - the watched set is not rebuilt while the passes release back to
 *     back, only after: other.test alone stays watched;
 *   - a domain failing again during its healing stops it: the rest stays
 *     scheduled, only the first step was released.
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
#define BIG (2 * PASS_HEAL_DUE + 1000)

static struct big_queue q; /* BIG deferred; every 50th of other.test */
static struct mta_plugin big_plugin;

static size_t nother(void)
{
	size_t n = 0;

	for (size_t i = 0; i < BIG; i++)
		n += big_queue_other(&q, i);
	return n;
}

static int fx_setup(void **state)
{
	struct fx *fx;

	memset(&q, 0, sizeof(q));
	q.n = BIG;
	q.other_every = 50;
	q.arrival = T0 - 60;
	big_queue_plugin(&big_plugin);
	/* nothing due for an hour: only the watch makes mail due */
	fx = fx_new_tier("test_pass_heal", &big_plugin, "0s every 1h");
	fx->ctx.plugin_state = &q;
	fx->dns.verdict = VERDICT_DOMAIN; /* held mail waits */
	*state = fx;
	return 0;
}

static int count_one(int64_t next_attempt, const char *mta,
		     const char *queue_id, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

/* Messages due by @param t (the due index). */
static size_t due_by(struct fx *fx, int64_t t)
{
	size_t n = 0;
	char err[256];

	assert_int_equal(store_walk_due_ids(fx->store, t, 0, count_one, &n, err,
					    sizeof(err)),
			 STORE_OK);
	return n;
}

static void adopt_all(struct fx *fx)
{
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx->ctx.stats.adopted, BIG);
	assert_int_equal(due_by(fx, T0 + 60), 0);
}

static void test_heal_in_bounded_steps(void **state)
{
	struct fx *fx = *state;
	size_t attempted = 0, passes = 0;
	int64_t t = T0 + 30, loaded_at;

	adopt_all(fx);
	fx->dns.verdict = VERDICT_HEALTHY;
	fx->dns.fail = "other.test";
	/* the pass that sees the healing: one step made due and released */
	assert_int_equal(pass_run(&fx->ctx, t), 0);
	assert_int_equal(fx->ctx.stats.attempted, PASS_HEAL_DUE);
	assert_int_equal(fx->ctx.stats.capped, 1); /* the next pass at once */
	assert_int_equal(due_by(fx, t), 0);
	assert_int_equal(fx->ctx.watch.healing, 1);
	attempted = fx->ctx.stats.attempted;
	loaded_at = fx->ctx.watch.loaded_at;
	/* each next pass makes the next step due and releases it; a window
	 * apart: the watched set waits for the burst's end */
	while (fx->ctx.stats.capped) {
		t += fx->policy->verify_window + 1;
		assert_int_equal(pass_run(&fx->ctx, t), 0);
		assert_true(fx->ctx.stats.attempted <= PASS_HEAL_DUE);
		if (passes++ == 0)
			assert_int_equal(fx->ctx.stats.attempted,
					 PASS_HEAL_DUE);
		attempted += fx->ctx.stats.attempted;
		if (fx->ctx.stats.capped)
			assert_int_equal(fx->ctx.watch.loaded_at, loaded_at);
		assert_true(passes <= BIG / PASS_HEAL_DUE + 2);
	}
	assert_int_equal(attempted, BIG - nother());
	for (size_t i = 0; i < BIG; i++)
		assert_int_equal(q.delivered[i],
				 big_queue_other(&q, i) ? 0 : 1);
	assert_int_equal(fx->ctx.watch.healing, 0);
	assert_int_equal(due_by(fx, t), 0);
	/* the burst over (a pass that does not follow a capped one):
	 * rebuilt, the healed domain has no held mail left */
	assert_int_equal(fx->ctx.watch.loaded_at, loaded_at);
	t += fx->policy->verify_window + 1;
	assert_int_equal(pass_run(&fx->ctx, t), 0);
	assert_int_equal(fx->ctx.stats.attempted, 0);
	assert_int_equal(fx->ctx.watch.loaded_at, t);
	assert_int_equal(fx->ctx.watch.n, 1);
	assert_string_equal(fx->ctx.watch.d[0].name, "other.test");
}

static void test_heal_stops_when_failing_again(void **state)
{
	struct fx *fx = *state;
	size_t delivered = 0;

	adopt_all(fx);
	fx->dns.verdict = VERDICT_HEALTHY;
	assert_int_equal(pass_run(&fx->ctx, T0 + 30), 0);
	assert_int_equal(fx->ctx.stats.attempted, PASS_HEAL_DUE);
	assert_int_equal(due_by(fx, T0 + 30), 0);
	/* failing again before the next pass (its verification a window
	 * old): the healing stops, nothing more is made due or released */
	fx->dns.verdict = VERDICT_DOMAIN;
	assert_int_equal(pass_run(&fx->ctx, T0 + 100), 0);
	assert_int_equal(fx->ctx.stats.attempted, 0);
	assert_int_equal(fx->ctx.stats.due, 0);
	assert_int_equal(fx->ctx.watch.healing, 0);
	assert_int_equal(pass_run(&fx->ctx, T0 + 101), 0);
	assert_int_equal(fx->ctx.stats.due, 0);
	assert_int_equal(fx->ctx.stats.capped, 0);
	assert_int_equal(due_by(fx, T0 + 101), 0);
	for (size_t i = 0; i < BIG; i++)
		delivered += q.delivered[i];
	assert_int_equal(delivered, PASS_HEAL_DUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_heal_in_bounded_steps,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_heal_stops_when_failing_again,
					    fx_setup, fx_teardown),
	};

	log_open("test_pass_heal", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

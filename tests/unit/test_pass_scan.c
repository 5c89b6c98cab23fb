/*
 * test_pass_scan - when a pass lists the whole queue (issue 13): by time
 * and bounded by the listing's own cost, not every N passes, so a pass
 * with everything held reads only the log however many are held; and an
 * attempt with no outcome asks for no listing while the outcomes of the
 * others still arrive (a big release), so recovery has no gaps.
 *   - pass_scan_decide() and pass_reconcile_overdue() /
 *     pass_reconcile_wants_listing() as tables (pure);
 *   - with a discovering MTA (fake_discover_plugin): twenty held passes
 *     make no full listing, the one after reconcile_interval does; a gap
 *     in the log makes one at once; a give-up waits for a listing, gets
 *     it two scan intervals later and hands the message back.
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
#include "pass/pass_reconcile.h"
#include "fake_mta.h"
#include "pass_fx.h"

#define T0   1700000000LL
#define QID  "A1B2C3D4"
#define RCPT "user@example.test"
#define ROUTING                                                                \
	"Host or domain name not found. Name service error for "               \
	"name=example.test type=A: Host found but no data record of "          \
	"requested type"

static int fx_setup(void **state)
{
	struct fx *fx = fx_new_short("test_pass_scan", &fake_discover_plugin);

	fx->dns.verdict = VERDICT_DOMAIN; /* held mail waits */
	*state = fx;
	return 0;
}

static void test_scan_decide_table(void **state)
{
	struct pass_scan_input in = {.now = T0,
				     .last_full = T0 - 60,
				     .full_cost_ms = 10,
				     .since_full = 9,
				     .scan_interval = 30,
				     .reconcile_interval = 3600};

	(void)state;
	/* the 10th pass after a listing: no listing (by time, not count) */
	assert_int_equal(pass_scan_decide(&in), 0);
	in.reconcile_every = 10; /* an old policy's count, when set */
	assert_int_equal(pass_scan_decide(&in), 1);
	in.reconcile_every = 0;
	in.now = T0 - 60 + 3600; /* reconcile_interval passed */
	assert_int_equal(pass_scan_decide(&in), 1);
	in.full_cost_ms = 60000; /* a listing of 60 s: at most every 6000 s */
	assert_int_equal(pass_scan_decide(&in), 0);
	in.now = T0 - 60 + 6000;
	assert_int_equal(pass_scan_decide(&in), 1);
	/* a step waits for a listing: two scan intervals and the cost */
	in = (struct pass_scan_input){.now = T0 + 59,
				      .last_full = T0,
				      .full_cost_ms = 100,
				      .scan_interval = 30,
				      .reconcile_interval = 3600,
				      .want_reconcile = 1};
	assert_int_equal(pass_scan_decide(&in), 0);
	in.now = T0 + 60;
	assert_int_equal(pass_scan_decide(&in), 1);
	in.full_cost_ms = 5000; /* 5 s listings: at most every 500 s */
	assert_int_equal(pass_scan_decide(&in), 0);
	in.now = T0 + 500;
	assert_int_equal(pass_scan_decide(&in), 1);
	/* at once: start, reload/gap/cap, a clock that went back */
	in = (struct pass_scan_input){.now = T0,
				      .last_full = T0 - 1,
				      .full_cost_ms = 5000,
				      .scan_interval = 30,
				      .reconcile_interval = 3600,
				      .want_full = 1};
	assert_int_equal(pass_scan_decide(&in), 1);
	in.want_full = 0;
	assert_int_equal(pass_scan_decide(&in), 0);
	in.last_full = 0;
	assert_int_equal(pass_scan_decide(&in), 1);
	in.last_full = T0 + 100;
	assert_int_equal(pass_scan_decide(&in), 1);
}

static void test_overdue_while_outcomes_arrive(void **state)
{
	struct reconcile_input in = {.state = STORE_MSG_ATTEMPTING,
				     .listed = 1,
				     .deferred = 1,
				     .complete = 1,
				     .now = T0,
				     .last_attempt = T0 - 10,
				     .outcome_wait = 4,
				     .last_outcome = T0 - 2};

	(void)state;
	/* past the wait, but others' outcomes arrived 2 s ago: not yet */
	assert_int_equal(pass_reconcile_overdue(&in), 0);
	assert_int_equal(pass_reconcile_wants_listing(&in), 0);
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_NONE);
	in.last_outcome = T0 - 30; /* a loaded pass later: still arriving */
	assert_int_equal(pass_reconcile_overdue(&in), 0);
	in.last_outcome = T0 - RECONCILE_OUTCOME_ARRIVING; /* none since */
	assert_int_equal(pass_reconcile_overdue(&in), 1);
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_REHOLD);
	in.listed = 0;
	in.complete = 0;
	assert_int_equal(pass_reconcile_wants_listing(&in), 1);
	in.last_outcome = 0; /* never any */
	assert_int_equal(pass_reconcile_wants_listing(&in), 1);
	/* outcomes arriving for ever do not make it wait for ever */
	in.last_outcome = T0;
	assert_int_equal(pass_reconcile_overdue(&in), 0);
	in.last_attempt = T0 - RECONCILE_OUTCOME_WAIT_MAX;
	assert_int_equal(pass_reconcile_overdue(&in), 1);
	/* within the wait: never overdue */
	in = (struct reconcile_input){.state = STORE_MSG_ATTEMPTING,
				      .now = T0,
				      .last_attempt = T0 - 3,
				      .outcome_wait = 4};
	assert_int_equal(pass_reconcile_overdue(&in), 0);
	assert_int_equal(pass_reconcile_wants_listing(&in), 0);
	/* intents still need a listing */
	in.state = STORE_MSG_ADOPT_INTENT;
	assert_int_equal(pass_reconcile_wants_listing(&in), 1);
}

static void test_held_passes_list_nothing(void **state)
{
	struct fx *fx = *state;

	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 60);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	assert_int_equal(fx->mta.scans, 1); /* at start */
	for (int i = 1; i <= 20; i++) {
		assert_int_equal(pass_run(&fx->ctx, T0 + 30 * i), 0);
		assert_int_equal(fx->ctx.stats.incremental, 1);
	}
	assert_int_equal(fx->mta.scans, 1); /* 20 passes read the log only */
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	assert_int_equal(pass_run(&fx->ctx, T0 + 3600), 0);
	assert_int_equal(fx->mta.scans, 2); /* reconcile_interval (1h) */
	assert_int_equal(fx->ctx.stats.incremental, 0);
}

static void test_gap_lists_at_once(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx->mta.gap_in, 1); /* start: listed anyway */
	assert_int_equal(pass_run(&fx->ctx, T0 + 30), 0);
	assert_int_equal(fx->mta.gap_in, 0); /* cover a gap yourself */
	assert_int_equal(fx->mta.scans, 1);
	fx->mta.gap = 1;
	assert_int_equal(pass_run(&fx->ctx, T0 + 60), 0);
	assert_int_equal(fx->mta.scans, 2);
	assert_int_equal(pass_run(&fx->ctx, T0 + 90), 0);
	assert_int_equal(fx->mta.scans, 2);
}

static void test_giveup_gets_its_listing(void **state)
{
	struct fx *fx = *state;
	const struct fake_call *c;

	/* deferred 5 days less 200 s ago: give_up (5d) 200 s after T0 */
	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 5 * 86400 + 200);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	assert_int_equal(pass_run(&fx->ctx, T0 + 400), 0); /* due: give-up */
	assert_int_equal(fx->ctx.stats.incremental, 1);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	assert_int_equal(fx->ctx.want_reconcile, 1);
	assert_int_equal(fx->mta.scans, 1);
	assert_int_equal(pass_run(&fx->ctx, T0 + 430), 0); /* 2 intervals */
	assert_int_equal(fx->mta.scans, 2);
	c = fake_last(&fx->mta, "giveback");
	assert_non_null(c);
	assert_int_equal(c->how, MTA_GIVEBACK_EXPIRE);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(fx->ctx.want_reconcile, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_decide_table),
	    cmocka_unit_test(test_overdue_while_outcomes_arrive),
	    cmocka_unit_test_setup_teardown(test_held_passes_list_nothing,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_gap_lists_at_once, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_giveup_gets_its_listing,
					    fx_setup, fx_teardown),
	};

	log_open("test_pass_scan", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

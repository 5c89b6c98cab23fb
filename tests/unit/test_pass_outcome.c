/*
 * test_pass_outcome - outcomes exactly once (issue #10, part 5) against a
 * real Berkeley DB store: the outcome reader's position is committed in
 * the same transaction as the evidence of the outcomes read up to it, so
 * a retryd killed between reading and committing reads them again after
 * the restart (nothing lost), and one killed after the commit does not
 * record them twice (no duplicate evidence). The MTA is the positional
 * fake (fake_log_plugin): an append-only outcome log read from a
 * position that only the store keeps; a "restart" reopens the store with
 * recovery and hands the plugin a position it did not choose (the end of
 * the log, or its start: the worst cases).
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
#include "fake_mta.h"
#include "pass_fx.h"

#define T0    1700000000LL
#define QID   "A1B2C3D4"
#define QID2  "B1B2C3D4"
#define RCPT  "user@example.test"
#define RCPT2 "other@example.test"
#define ROUTING                                                                \
	"Host or domain name not found. Name service error for "               \
	"name=example.test type=A: Host found but no data record of "          \
	"requested type"

static int fx_setup(void **state)
{
	*state = fx_new_short("test_pass_outcome", &fake_log_plugin);
	return 0;
}

static int ev_count_fn(const struct store_evidence *ev, void *arg)
{
	(void)ev;
	++*(size_t *)arg;
	return 0;
}

static size_t fx_evidence_n(struct fx *fx, const char *addr)
{
	size_t n = 0;
	char err[256];

	assert_int_equal(store_walk_evidence(fx->store, addr, ev_count_fn, &n,
					     err, sizeof(err)),
			 STORE_OK);
	return n;
}

/* A restart: the store closed (as by a crash: nothing of the pass's
 * memory kept) and opened again with recovery; the plugin reopened at
 * @param rpos, a position of its own choosing the store must override. */
static void fx_restart(struct fx *fx, size_t rpos)
{
	char path[512], err[1024];

	store_close(fx->store);
	snprintf(path, sizeof(path), "%s/state", fx->dir);
	assert_int_equal(store_open(path, STORE_OPEN_DAEMON, 1u << 20,
				    &fx->store, err, sizeof(err)),
			 STORE_OK);
	fx->ctx.store = fx->store;
	fx->mta.store = fx->store;
	fx->ctx.pos_synced = 0;
	memset(&fx->ctx.pos, 0, sizeof(fx->ctx.pos));
	fx->mta.rpos = rpos;
}

/* Two messages adopted at T0 and attempted at T0+300. */
static void fx_attempt_two(struct fx *fx)
{
	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 60);
	fake_add(&fx->mta, QID2, RCPT2, NULL, ROUTING, T0 - 60);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_ATTEMPTING);
	assert_int_equal(fx_state(fx, QID2), STORE_MSG_ATTEMPTING);
}

/* Killed after reading the outcomes, before committing them. */
static void test_killed_before_commit_reads_again(void **state)
{
	struct fx *fx = *state;
	const char *ids[2] = {QID, QID2};
	struct mta_outcomes out;
	char err[256];

	fx_attempt_two(fx);
	fake_log_add(&fx->mta, QID, RCPT, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", T0 + 301);
	fake_log_add(&fx->mta, QID2, RCPT2, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", T0 + 302);
	/* the read the crash interrupts: the plugin has moved on, in
	 * memory only (a plugin before ABI 4 saved its file here) */
	memset(&out, 0, sizeof(out));
	assert_int_equal(
	    fake_log_plugin.outcomes(&fx->mta, ids, 2, &out, err, sizeof(err)),
	    0);
	assert_int_equal(out.n, 2);
	fake_outcomes_free(&out);
	/* restarted at the end of the log: what a plugin with no position
	 * file of its own would do; the store's position wins */
	fx_restart(fx, fx->mta.nlog);
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(fx_state(fx, QID2), STORE_MSG_DONE);
	assert_int_equal(fx_evidence_n(fx, RCPT), 1);
	assert_int_equal(fx_evidence_n(fx, RCPT2), 1);
}

/* While a per-pass cap keeps the passes releasing, a pass reads one call
 * of outcomes (the MTA gets the next release first); the pass after
 * the releases reads the rest. Fails if a releasing pass reads them all. */
static void test_releasing_pass_reads_one_call(void **state)
{
	struct fx *fx = *state;

	fx_attempt_two(fx);
	fake_log_add(&fx->mta, QID, RCPT, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", T0 + 301);
	fake_log_add(&fx->mta, QID2, RCPT2, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", T0 + 302);
	fx->mta.log_per_call = 1;
	fx->ctx.stats.capped = 1; /* the pass before hit a cap */
	assert_int_equal(pass_run(&fx->ctx, T0 + 310), 0);
	assert_true(fx->ctx.releasing);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(fx_state(fx, QID2), STORE_MSG_ATTEMPTING);
	assert_int_equal(pass_run(&fx->ctx, T0 + 320), 0); /* not capped */
	assert_false(fx->ctx.releasing);
	assert_int_equal(fx_state(fx, QID2), STORE_MSG_DONE);
	assert_int_equal(fx_evidence_n(fx, RCPT), 1);
	assert_int_equal(fx_evidence_n(fx, RCPT2), 1);
}

/* Killed after the commit: the outcomes are never recorded twice, even
 * when the plugin restarts from the very start of its log. */
static void test_killed_after_commit_no_duplicate(void **state)
{
	struct fx *fx = *state;
	struct mta_pos pos;
	char err[256];
	size_t len = 0;

	fx_attempt_two(fx);
	fake_log_add(&fx->mta, QID, RCPT, MTA_OUTCOME_DEFERRED, "4.4.4",
		     ROUTING, T0 + 301);
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	assert_int_equal(fx_evidence_n(fx, RCPT), 1);
	assert_int_equal(store_get_position(fx->store, NULL, "postfix:outcomes",
					    pos.data, sizeof(pos.data), &len,
					    err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(len, 4 + sizeof(size_t));
	fx_restart(fx, 0);
	fake_log_add(&fx->mta, QID2, RCPT2, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", T0 + 331);
	assert_int_equal(pass_run(&fx->ctx, T0 + 360), 0);
	assert_int_equal(fx_evidence_n(fx, RCPT), 1); /* not read twice */
	assert_int_equal(fx_evidence_n(fx, RCPT2), 1);
	assert_int_equal(fx_state(fx, QID2), STORE_MSG_DONE);
	assert_int_equal(fx->mta.rpos, fx->mta.nlog);
}

/* No position in the store yet (first start, or an upgrade): the
 * plugin's own is committed before the first pass releases anything,
 * so outcomes logged after it are read even across a crash. */
static void test_first_start_commits_plugin_position(void **state)
{
	struct fx *fx = *state;
	struct mta_pos pos;
	char err[256];
	size_t len = 0, at;

	fake_log_add(&fx->mta, "C0C0C0C0", "old@example.test",
		     MTA_OUTCOME_DELIVERED, "2.0.0", "before us", T0 - 100);
	fx->mta.rpos = 1; /* where the plugin found itself at open */
	assert_int_equal(pass_run(&fx->ctx, T0 - 50), 0);
	assert_int_equal(store_get_position(fx->store, NULL, "postfix:outcomes",
					    pos.data, sizeof(pos.data), &len,
					    err, sizeof(err)),
			 STORE_OK);
	memcpy(&at, pos.data + 4, sizeof(at));
	assert_int_equal(at, 1);
	fx_attempt_two(fx);
	fake_log_add(&fx->mta, QID, RCPT, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", T0 + 301);
	fx_restart(fx, fx->mta.nlog); /* killed before reading them */
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(fx_evidence_n(fx, RCPT), 1);
	assert_int_equal(fx_evidence_n(fx, "old@example.test"), 0);
}

/* An MTA that delivers while it is asked (exim -M): its outcomes are in
 * the log when deliver() returns, logged in the second the pass began.
 * They are recorded by that same pass, not one scan_interval later. */
static void test_sync_delivery_recorded_same_pass(void **state)
{
	struct fx *fx = *state;

	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 60);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	fx->mta.deliver_logs_at = T0 + 300;
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	assert_int_equal(fx->ctx.stats.attempted, 1);
	assert_int_equal(fx->ctx.stats.delivered, 1);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(fx_evidence_n(fx, RCPT), 1);
}

/* A reload asks for a full listing: with discovery from the log, what
 * observe only pretended to hold would otherwise never be held in the
 * MTA once the reload switched to act. */
static void test_reload_wants_full_listing(void **state)
{
	struct fx *fx = *state;
	char err[256];

	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	fx->ctx.want_full = 0;
	assert_int_equal(
	    pass_ctx_set_policy(&fx->ctx, fx->ctx.policy, err, sizeof(err)), 0);
	assert_int_equal(fx->ctx.want_full, 1);
	assert_int_equal(fx->ctx.pos_synced, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_killed_before_commit_reads_again, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_killed_after_commit_no_duplicate, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_first_start_commits_plugin_position, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_sync_delivery_recorded_same_pass, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_reload_wants_full_listing,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_releasing_pass_reads_one_call,
					    fx_setup, fx_teardown),
	};

	log_open("test_pass_outcome", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_backoff - backoff_next: tiers, jitter, give-up, clock jumps.
 *
 * The backoff is pure, so the policy's [backoff] is built by hand here:
 * the shipped default (0s every 5m; 1h every 15m check-resolver; 4h
 * every 1h escalate; give_up 5d; jitter 10%) and a group's own override.
 * Every tier start is checked exactly at, one second before and one
 * second after; the jitter at both ends of the random range and over a
 * sweep; give-up at and after its age; the clamp of the next attempt to
 * the give-up time; and clocks that jump backwards and far forwards.
 * Two more tests go through the real policy loader: the shipped
 * policy/retryd.ini yields exactly the default used here, and a group's
 * own tier/give_up lines in an INI file reach backoff_next through
 * policy_group_for() and policy_backoff_for() (run from the source tree).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff/backoff.h"
#include "srcdir_fx.h"

#define MIN  60
#define HOUR 3600
#define DAY  86400
#define T0   ((int64_t)1700000000) /* first failure in most tests */

/* The shipped default, with the given jitter. */
static struct policy_backoff default_backoff(unsigned jitter)
{
	struct policy_backoff b;

	memset(&b, 0, sizeof(b));
	b.tiers[0] = (struct policy_tier){0, 5 * MIN, POLICY_TIER_RETRY};
	b.tiers[1] =
	    (struct policy_tier){HOUR, 15 * MIN, POLICY_TIER_CHECK_RESOLVER};
	b.tiers[2] = (struct policy_tier){4 * HOUR, HOUR, POLICY_TIER_ESCALATE};
	b.ntiers = 3;
	b.give_up = 5 * DAY;
	b.jitter_percent = jitter;
	return b;
}

/* A group's own backoff: faster, escalates sooner, gives up sooner. */
static struct policy_backoff group_backoff(void)
{
	struct policy_backoff b;

	memset(&b, 0, sizeof(b));
	b.tiers[0] = (struct policy_tier){0, MIN, POLICY_TIER_RETRY};
	b.tiers[1] =
	    (struct policy_tier){30 * MIN, 10 * MIN, POLICY_TIER_ESCALATE};
	b.ntiers = 2;
	b.give_up = 2 * HOUR;
	b.jitter_percent = 0;
	return b;
}

/* Check one decision at failure age @age with no jitter. */
static void expect_tier(const struct policy_backoff *b, int64_t age, int tier)
{
	struct backoff_decision d = backoff_next(b, T0, T0 + age, 0);

	assert_int_equal(d.age, age);
	assert_int_equal(d.tier, tier);
	assert_int_equal(d.action, b->tiers[tier].action);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.next_attempt, T0 + age + b->tiers[tier].every);
}

static void test_backoff_tier_boundaries(void **state)
{
	struct policy_backoff b = default_backoff(0);

	(void)state;
	expect_tier(&b, 0, 0);
	expect_tier(&b, 1, 0);
	expect_tier(&b, HOUR - 1, 0);
	expect_tier(&b, HOUR, 1);
	expect_tier(&b, HOUR + 1, 1);
	expect_tier(&b, 4 * HOUR - 1, 1);
	expect_tier(&b, 4 * HOUR, 2);
	expect_tier(&b, 4 * HOUR + 1, 2);
	expect_tier(&b, 3 * DAY, 2);
}

static void test_backoff_single_tier(void **state)
{
	struct policy_backoff b = default_backoff(0);

	(void)state;
	b.ntiers = 1;
	expect_tier(&b, 0, 0);
	expect_tier(&b, 4 * HOUR + 1, 0);
}

static void test_backoff_group_override(void **state)
{
	struct policy_backoff def = default_backoff(0), grp = group_backoff();
	struct backoff_decision d;

	(void)state;
	/* 45 minutes: the group escalates every 10m, the default retries. */
	d = backoff_next(&grp, T0, T0 + 45 * MIN, 0);
	assert_int_equal(d.tier, 1);
	assert_int_equal(d.action, POLICY_TIER_ESCALATE);
	assert_int_equal(d.next_attempt, T0 + 55 * MIN);
	d = backoff_next(&def, T0, T0 + 45 * MIN, 0);
	assert_int_equal(d.tier, 0);
	assert_int_equal(d.action, POLICY_TIER_RETRY);
	assert_int_equal(d.next_attempt, T0 + 50 * MIN);

	/* The group's own tier boundary at 30m. */
	expect_tier(&grp, 30 * MIN - 1, 0);
	expect_tier(&grp, 30 * MIN, 1);
	expect_tier(&grp, 30 * MIN + 1, 1);

	/* 2h: the group gives up, the default is only at check-resolver. */
	d = backoff_next(&grp, T0, T0 + 2 * HOUR, 0);
	assert_int_equal(d.give_up, 1);
	d = backoff_next(&def, T0, T0 + 2 * HOUR, 0);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.action, POLICY_TIER_CHECK_RESOLVER);
}

static void test_backoff_give_up(void **state)
{
	struct policy_backoff b = default_backoff(10);
	struct backoff_decision d;

	(void)state;
	/* One second before: not yet, and the next attempt is the give-up. */
	d = backoff_next(&b, T0, T0 + 5 * DAY - 1, UINT32_MAX);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.next_attempt, T0 + 5 * DAY);
	assert_int_equal(d.action, POLICY_TIER_ESCALATE);

	/* Exactly at give_up: hand back now. */
	d = backoff_next(&b, T0, T0 + 5 * DAY, 0);
	assert_int_equal(d.give_up, 1);
	assert_int_equal(d.next_attempt, T0 + 5 * DAY);
	assert_int_equal(d.age, 5 * DAY);
	assert_int_equal(d.tier, 2);

	/* After it (e.g. the daemon was down): still now, never later. */
	d = backoff_next(&b, T0, T0 + 5 * DAY + 1, 12345);
	assert_int_equal(d.give_up, 1);
	assert_int_equal(d.next_attempt, T0 + 5 * DAY + 1);
}

static void test_backoff_clamped_to_give_up(void **state)
{
	struct policy_backoff b = default_backoff(0);
	struct backoff_decision d;

	(void)state;
	/* 10 minutes before give-up, the tier says every 1h. */
	d = backoff_next(&b, T0, T0 + 5 * DAY - 10 * MIN, 0);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.next_attempt, T0 + 5 * DAY);

	/* Exactly one interval before give-up: lands on it, not past. */
	d = backoff_next(&b, T0, T0 + 5 * DAY - HOUR, 0);
	assert_int_equal(d.next_attempt, T0 + 5 * DAY);

	/* With jitter at its top, the clamp still holds. */
	b.jitter_percent = 50;
	for (int64_t before = 1; before <= 2 * HOUR; before += 97) {
		d = backoff_next(&b, T0, T0 + 5 * DAY - before, UINT32_MAX);
		assert_int_equal(d.give_up, 0);
		assert_true(d.next_attempt <= T0 + 5 * DAY);
		assert_true(d.next_attempt >= T0 + 5 * DAY - before + 1);
	}
}

static void test_backoff_jitter_ends(void **state)
{
	struct policy_backoff b = default_backoff(10);
	struct backoff_decision d;

	(void)state;
	d = backoff_next(&b, T0, T0, 0);
	assert_int_equal(d.next_attempt, T0 + 270); /* 5m - 10% */
	d = backoff_next(&b, T0, T0, UINT32_MAX);
	assert_int_equal(d.next_attempt, T0 + 330); /* 5m + 10% */
	d = backoff_next(&b, T0, T0, UINT32_MAX / 2);
	assert_in_range(d.next_attempt, T0 + 299, T0 + 300);

	/* In the escalate tier: 1h +/- 6m. */
	d = backoff_next(&b, T0, T0 + 5 * HOUR, 0);
	assert_int_equal(d.next_attempt, T0 + 5 * HOUR + 54 * MIN);
	d = backoff_next(&b, T0, T0 + 5 * HOUR, UINT32_MAX);
	assert_int_equal(d.next_attempt, T0 + 5 * HOUR + 66 * MIN);
}

static void test_backoff_jitter_sweep(void **state)
{
	static const int64_t everies[] = {1, 2, 3, 7, 59, 300, 3600, 86400};
	static const unsigned jitters[] = {0, 1, 10, 33, 50};
	struct policy_backoff b = default_backoff(0);

	(void)state;
	b.ntiers = 1;
	b.give_up = 365 * DAY;
	for (size_t e = 0; e < sizeof(everies) / sizeof(everies[0]); e++) {
		for (size_t j = 0; j < sizeof(jitters) / sizeof(jitters[0]);
		     j++) {
			int64_t prev = 0, lo = INT64_MAX, hi = 0;
			int64_t delta = everies[e] * jitters[j] / 100;

			b.tiers[0].every = everies[e];
			b.jitter_percent = jitters[j];
			for (uint64_t r = 0; r <= UINT32_MAX;
			     r += UINT32_MAX / 1009) {
				struct backoff_decision d =
				    backoff_next(&b, T0, T0 + 10, (uint32_t)r);
				int64_t iv = d.next_attempt - (T0 + 10);
				int64_t dev = iv > everies[e] ? iv - everies[e]
							      : everies[e] - iv;

				assert_true(iv >= 1);
				/* within +/- jitter_percent of the interval */
				assert_true(dev * 100 <=
					    everies[e] * (int64_t)jitters[j]);
				/* a larger random value never shortens it */
				assert_true(iv >= prev);
				prev = iv;
				lo = iv < lo ? iv : lo;
				hi = iv > hi ? iv : hi;
			}
			/* both ends of the range are reached */
			assert_int_equal(lo, everies[e] - delta < 1
						 ? 1
						 : everies[e] - delta);
			assert_int_equal(
			    backoff_next(&b, T0, T0 + 10, UINT32_MAX)
				    .next_attempt -
				(T0 + 10),
			    everies[e] + delta);
			assert_true(hi <= everies[e] + delta);
		}
	}
}

static void test_backoff_never_below_one_second(void **state)
{
	struct policy_backoff b = default_backoff(100); /* beyond policy's 50 */
	struct backoff_decision d;

	(void)state;
	b.tiers[0].every = 1;
	d = backoff_next(&b, T0, T0, 0);
	assert_int_equal(d.next_attempt, T0 + 1);
	b.jitter_percent = 250; /* nonsense: treated as 100% */
	d = backoff_next(&b, T0, T0, 0);
	assert_int_equal(d.next_attempt, T0 + 1);
	d = backoff_next(&b, T0, T0, UINT32_MAX);
	assert_int_equal(d.next_attempt, T0 + 2);
}

static void test_backoff_clock_backwards(void **state)
{
	struct policy_backoff b = default_backoff(0);
	struct backoff_decision d;

	(void)state;
	/* now is an hour before the recorded first failure. */
	d = backoff_next(&b, T0, T0 - HOUR, 0);
	assert_int_equal(d.age, 0);
	assert_int_equal(d.tier, 0);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.next_attempt, T0 - HOUR + 5 * MIN);

	/* Absurd: first failure at the end of time, now at its start. */
	d = backoff_next(&b, INT64_MAX, INT64_MIN, 0);
	assert_int_equal(d.age, 0);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.next_attempt, INT64_MIN + 5 * MIN);
}

static void test_backoff_clock_forwards(void **state)
{
	struct policy_backoff b = default_backoff(10);
	struct backoff_decision d;

	(void)state;
	/* Ten years later: give up at once, from the last tier. */
	d = backoff_next(&b, T0, T0 + 3650 * (int64_t)DAY, UINT32_MAX);
	assert_int_equal(d.give_up, 1);
	assert_int_equal(d.tier, 2);
	assert_int_equal(d.next_attempt, T0 + 3650 * (int64_t)DAY);

	/* An age that overflows int64 saturates, and still gives up. */
	d = backoff_next(&b, INT64_MIN, INT64_MAX, UINT32_MAX);
	assert_int_equal(d.give_up, 1);
	assert_int_equal(d.age, INT64_MAX);
	assert_int_equal(d.next_attempt, INT64_MAX);

	/* A fresh failure at the very end of time: no overflow. */
	d = backoff_next(&b, INT64_MAX - 10, INT64_MAX - 10, UINT32_MAX);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.next_attempt, INT64_MAX);
}

static void test_backoff_action_names(void **state)
{
	(void)state;
	assert_string_equal(backoff_action_name(POLICY_TIER_RETRY), "retry");
	assert_string_equal(backoff_action_name(POLICY_TIER_CHECK_RESOLVER),
			    "check-resolver");
	assert_string_equal(backoff_action_name(POLICY_TIER_ESCALATE),
			    "escalate");
	assert_string_equal(backoff_action_name((enum policy_tier_action)9),
			    "unknown");
}

/* The shipped policy's [backoff] is the default these tests assume. */
static void test_backoff_shipped_policy(void **state)
{
	struct policy_backoff want = default_backoff(10);
	const struct policy_backoff *got;
	struct policy *p = NULL;
	char err[4096];

	(void)state;
	if (policy_load(srcdir_fx_path("policy/retryd.ini"), &p, err,
			sizeof(err)) != 0)
		fail_msg("policy/retryd.ini: %s", err);
	got = policy_backoff_for(p, NULL);
	assert_int_equal(got->ntiers, want.ntiers);
	for (size_t i = 0; i < want.ntiers; i++) {
		assert_int_equal(got->tiers[i].after, want.tiers[i].after);
		assert_int_equal(got->tiers[i].every, want.tiers[i].every);
		assert_int_equal(got->tiers[i].action, want.tiers[i].action);
	}
	assert_int_equal(got->give_up, want.give_up);
	assert_int_equal(got->jitter_percent, want.jitter_percent);
	policy_free(p);
}

/* A group's own backoff, written in a policy file, drives the decision. */
static void test_backoff_group_from_policy(void **state)
{
	static const char ini[] = "[backoff]\n"
				  "tier = 0s every 5m\n"
				  "tier = 1h every 15m check-resolver\n"
				  "tier = 4h every 1h escalate\n"
				  "give_up = 5d\n"
				  "jitter = 0%\n"
				  "[group microsoft]\n"
				  "domains = hotmail.test, outlook.test\n"
				  "tier = 0s every 1m\n"
				  "tier = 30m every 10m escalate\n"
				  "give_up = 2h\n"
				  "jitter = 0%\n"
				  "[group patient]\n"
				  "domains = slow.test\n"
				  "give_up = 7d\n";
	char path[] = "/tmp/test_backoff.XXXXXX";
	const struct policy_group *g;
	struct backoff_decision d;
	struct policy *p = NULL;
	char err[4096];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, ini, sizeof(ini) - 1),
			 (ssize_t)sizeof(ini) - 1);
	close(fd);
	if (policy_load(path, &p, err, sizeof(err)) != 0) {
		unlink(path);
		fail_msg("%s", err);
	}
	unlink(path);

	/* hotmail.test: the group's tiers (45 min: escalate every 10m). */
	g = policy_group_for(p, "hotmail.test", NULL);
	assert_non_null(g);
	d = backoff_next(policy_backoff_for(p, g), T0, T0 + 45 * MIN, 0);
	assert_int_equal(d.action, POLICY_TIER_ESCALATE);
	assert_int_equal(d.next_attempt, T0 + 55 * MIN);
	d = backoff_next(policy_backoff_for(p, g), T0, T0 + 2 * HOUR, 0);
	assert_int_equal(d.give_up, 1);

	/* example.org: in no group, the default. */
	g = policy_group_for(p, "example.org", NULL);
	assert_null(g);
	d = backoff_next(policy_backoff_for(p, g), T0, T0 + 45 * MIN, 0);
	assert_int_equal(d.action, POLICY_TIER_RETRY);
	assert_int_equal(d.next_attempt, T0 + 50 * MIN);
	d = backoff_next(policy_backoff_for(p, g), T0, T0 + 2 * HOUR, 0);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.action, POLICY_TIER_CHECK_RESOLVER);

	/* slow.test: only give_up overridden, the default tiers kept. */
	g = policy_group_for(p, "slow.test", NULL);
	assert_non_null(g);
	d = backoff_next(policy_backoff_for(p, g), T0, T0 + 6 * DAY, 0);
	assert_int_equal(d.give_up, 0);
	assert_int_equal(d.action, POLICY_TIER_ESCALATE);
	assert_int_equal(d.next_attempt, T0 + 6 * DAY + HOUR);
	d = backoff_next(policy_backoff_for(p, g), T0, T0 + 7 * DAY, 0);
	assert_int_equal(d.give_up, 1);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff_tier_boundaries),
	    cmocka_unit_test(test_backoff_single_tier),
	    cmocka_unit_test(test_backoff_group_override),
	    cmocka_unit_test(test_backoff_give_up),
	    cmocka_unit_test(test_backoff_clamped_to_give_up),
	    cmocka_unit_test(test_backoff_jitter_ends),
	    cmocka_unit_test(test_backoff_jitter_sweep),
	    cmocka_unit_test(test_backoff_never_below_one_second),
	    cmocka_unit_test(test_backoff_clock_backwards),
	    cmocka_unit_test(test_backoff_clock_forwards),
	    cmocka_unit_test(test_backoff_action_names),
	    cmocka_unit_test(test_backoff_shipped_policy),
	    cmocka_unit_test(test_backoff_group_from_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

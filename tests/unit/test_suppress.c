/*
 * test_suppress - the suppression criteria, a pure decision.
 *
 * The shipped criteria (mailbox-unknown and mailbox-disabled, 3
 * failures, 24h span, DNS healthy) against hand-made evidence: three
 * 5.1.10 while healthy over a day suppress; three 5.4.4 never do, even
 * when the policy lists routing; a failure while DNS was local-path is
 * excluded (and counts when require_healthy_dns = no); a span too short
 * is not enough however old the evidence; a delivery restarts the
 * count; no evidence, unlisted categories, "none", records without an
 * attempt; and the explanation names what counted and what did not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suppress/suppress.h"

#define MIN   60
#define HOUR  3600
#define DAY   86400
#define T0    ((int64_t)1795856400) /* 2026-11-28T09:00Z */
#define T1042 ((int64_t)1795948920) /* 2026-11-29T10:42Z */

static const char *const shipped_cats[] = {"mailbox-unknown",
					   "mailbox-disabled"};

static struct suppress_criteria shipped(void)
{
	struct suppress_criteria c = {shipped_cats, 2, 3, DAY, 1};

	return c;
}

static struct store_evidence ev(int64_t t, enum store_outcome o,
				const char *cat, const char *verdict,
				const char *dsn)
{
	struct store_evidence e;

	memset(&e, 0, sizeof(e));
	snprintf(e.address, sizeof(e.address), "anna@hotmail.com");
	e.time = t;
	snprintf(e.queue_id, sizeof(e.queue_id), "4A7B2C0D99");
	snprintf(e.host_id, sizeof(e.host_id), "mx-out-1");
	snprintf(e.verdict, sizeof(e.verdict), "%s", verdict);
	e.outcome = o;
	snprintf(e.dsn, sizeof(e.dsn), "%s", dsn);
	snprintf(e.category, sizeof(e.category), "%s", cat);
	return e;
}

#define BOUNCE(t, cat, v) ev((t), STORE_OUTCOME_BOUNCED, (cat), (v), "5.1.10")
#define DEFER(t, cat, v)  ev((t), STORE_OUTCOME_DEFERRED, (cat), (v), "4.4.4")

static void expect_in(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* Three 5.1.10 while healthy, spanning more than min_span: suppress. */
static void test_three_unknown_healthy(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence e[3] = {
	    BOUNCE(T0, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + 12 * HOUR, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + DAY + HOUR, "mailbox-unknown", "healthy"),
	};
	enum suppress_mark m[3];
	struct suppress_decision d;
	char why[SUPPRESS_WHY];

	(void)state;
	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 1);
	assert_int_equal(d.suppress, 1);
	assert_int_equal(d.counted, 3);
	assert_int_equal(d.excluded, 0);
	assert_true(d.first == T0 && d.last == T0 + DAY + HOUR);
	for (int i = 0; i < 3; i++)
		assert_int_equal(m[i], SUPPRESS_COUNTED);
	expect_in(d.explanation, "suppress: 3 of 3 failures (mailbox-unknown) "
				 "over 1d1h of 1d, DNS healthy each time");
	suppress_mark_explain(&c, &e[0], m[0], why, sizeof(why));
	assert_string_equal(why,
			    "counted: mailbox-unknown at 2026-11-28T09:00Z, "
			    "DNS healthy");
	/* exactly min_span is enough */
	e[2].time = T0 + DAY;
	assert_int_equal(suppress_decide(&c, e, 3, NULL, &d), 1);
}

/* Three 5.4.4 routing failures never suppress, even when listed. */
static void test_three_routing_never(void **state)
{
	static const char *const cats[] = {"mailbox-unknown", "routing",
					   "null-mx", "rate-limit",
					   "connection"};
	struct suppress_criteria c = shipped();
	struct store_evidence e[3] = {
	    DEFER(T0, "routing", "healthy"),
	    DEFER(T0 + DAY, "routing", "healthy"),
	    DEFER(T0 + 3 * DAY, "routing", "healthy"),
	};
	enum suppress_mark m[3];
	struct suppress_decision d;
	char why[SUPPRESS_WHY];

	(void)state;
	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 0);
	assert_int_equal(d.counted, 0);
	assert_int_equal(d.excluded, 3);
	assert_int_equal(m[0], SUPPRESS_EXCLUDED_NEVER);
	expect_in(d.explanation, "not yet: 0 of 3 failures");
	expect_in(d.explanation,
		  "3 excluded, latest: category routing never counts");
	suppress_mark_explain(&c, &e[0], m[0], why, sizeof(why));
	assert_string_equal(why, "excluded: category routing never counts "
				 "(2026-11-28T09:00Z)");

	c.categories = cats;
	c.ncategories = 5;
	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 0);
	assert_int_equal(m[2], SUPPRESS_EXCLUDED_NEVER);
	for (int i = 0; i < 3; i++)
		strcpy(e[i].category, i == 0   ? "null-mx"
				      : i == 1 ? "rate-limit"
					       : "connection");
	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 0);
	assert_int_equal(d.excluded, 3);
	/* a listed category naming DNS is refused as well */
	assert_int_equal(suppress_category_may_count("dns-outage"), 0);
	assert_int_equal(suppress_category_may_count(""), 0);
	assert_int_equal(suppress_category_may_count("mailbox-full"), 1);
	/* routing alone listed: nothing can ever count */
	c.categories = cats + 1;
	c.ncategories = 4;
	assert_int_equal(suppress_decide(&c, e, 3, NULL, &d), 0);
	expect_in(d.explanation, "never: no address-level category");
}

/* Two 5.1.1 while healthy and one while local-path: not yet. */
static void test_local_path_excluded(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence e[3] = {
	    BOUNCE(T0, "mailbox-unknown", "healthy"),
	    BOUNCE(T1042, "mailbox-unknown", "local-path"),
	    BOUNCE(T0 + 2 * DAY, "mailbox-unknown", "healthy"),
	};
	enum suppress_mark m[3];
	struct suppress_decision d;
	char why[SUPPRESS_WHY];

	(void)state;
	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 0);
	assert_int_equal(d.counted, 2);
	assert_int_equal(d.excluded, 1);
	assert_int_equal(m[1], SUPPRESS_EXCLUDED_DNS);
	assert_string_equal(
	    d.explanation,
	    "not yet: 2 of 3 failures over 2d of 1d; 1 excluded: "
	    "DNS was local-path at 2026-11-29T10:42Z");
	suppress_mark_explain(&c, &e[1], m[1], why, sizeof(why));
	assert_string_equal(
	    why, "excluded: DNS was local-path at 2026-11-29T10:42Z");
	/* a record without a verification is not healthy either */
	strcpy(e[1].verdict, "-");
	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 0);
	suppress_mark_explain(&c, &e[1], m[1], why, sizeof(why));
	assert_string_equal(why, "excluded: DNS was not verified at "
				 "2026-11-29T10:42Z");
}

/* require_healthy_dns = no: the local-path failure counts too. */
static void test_no_healthy_required(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence e[3] = {
	    BOUNCE(T0, "mailbox-unknown", "healthy"),
	    BOUNCE(T1042, "mailbox-disabled", "local-path"),
	    BOUNCE(T0 + 2 * DAY, "mailbox-unknown", "dns-outage"),
	};
	struct suppress_decision d;

	(void)state;
	c.require_healthy_dns = 0;
	assert_int_equal(suppress_decide(&c, e, 3, NULL, &d), 1);
	assert_int_equal(d.counted, 3);
	expect_in(d.explanation, "suppress: 3 of 3 failures");
	assert_null(strstr(d.explanation, "healthy"));
}

/* Enough failures but too close together: not yet, however old. */
static void test_span_too_short(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence e[4] = {
	    BOUNCE(T0, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + MIN, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + HOUR, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + 2 * HOUR, "mailbox-unknown", "healthy"),
	};
	struct suppress_decision d;

	(void)state;
	assert_int_equal(suppress_decide(&c, e, 4, NULL, &d), 0);
	assert_int_equal(d.counted, 4);
	assert_string_equal(
	    d.explanation,
	    "not yet: 4 of 3 failures over 2h of 1d (span too short)");
	/* one failure, long ago: elapsed time since then is not a span */
	assert_int_equal(suppress_decide(&c, e, 1, NULL, &d), 0);
	expect_in(d.explanation, "1 of 3 failures over 0s of 1d");
	/* min_failures 1, min_span 0: one healthy failure is enough */
	c.min_failures = 1;
	c.min_span = 0;
	assert_int_equal(suppress_decide(&c, e, 1, NULL, &d), 1);
	/* min_failures 0 is taken as 1: no evidence never suppresses */
	c.min_failures = 0;
	assert_int_equal(suppress_decide(&c, e, 0, NULL, &d), 0);
}

/* A delivery in between restarts the count. */
static void test_delivered_resets(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence e[7] = {
	    BOUNCE(T0, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + DAY, "mailbox-unknown", "healthy"),
	    ev(T1042, STORE_OUTCOME_DELIVERED, "", "healthy", "2.0.0"),
	    BOUNCE(T0 + 2 * DAY, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + 3 * DAY, "mailbox-unknown", "healthy"),
	    ev(T0 + 3 * DAY + 1, STORE_OUTCOME_NONE, "", "local-path", ""),
	    BOUNCE(T0 + 4 * DAY, "mailbox-unknown", "healthy"),
	};
	enum suppress_mark m[7];
	struct suppress_decision d;

	(void)state;
	assert_int_equal(suppress_decide(&c, e, 5, m, &d), 0);
	assert_int_equal(d.counted, 2);
	assert_int_equal(d.reset_at, T1042);
	assert_int_equal(m[0], SUPPRESS_RESET);
	assert_int_equal(m[1], SUPPRESS_RESET);
	assert_int_equal(m[2], SUPPRESS_NOT_FAILURE);
	assert_int_equal(m[3], SUPPRESS_COUNTED);
	assert_string_equal(d.explanation,
			    "not yet: 2 of 3 failures over 1d of 1d; count "
			    "restarted by a delivery at 2026-11-29T10:42Z");
	/* a third failure after the delivery; a record without an attempt
	 * in between neither counts nor resets */
	assert_int_equal(suppress_decide(&c, e, 7, m, &d), 1);
	assert_int_equal(d.counted, 3);
	assert_int_equal(m[5], SUPPRESS_NOT_FAILURE);
	assert_true(d.first == T0 + 2 * DAY && d.last == T0 + 4 * DAY);
}

/* retryctl unsuppress writes an operator-reset record: the count restarts. */
static void test_operator_reset_restarts(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence e[6] = {
	    BOUNCE(T0, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + DAY, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + 2 * DAY, "mailbox-unknown", "healthy"),
	    ev(T0 + 2 * DAY + 60, STORE_OUTCOME_NONE, SUPPRESS_OPERATOR_RESET,
	       "", ""),
	    BOUNCE(T0 + 3 * DAY, "mailbox-unknown", "healthy"),
	    BOUNCE(T0 + 4 * DAY, "mailbox-unknown", "healthy"),
	};
	enum suppress_mark m[6];
	struct suppress_decision d;

	(void)state;
	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 1);
	assert_int_equal(suppress_decide(&c, e, 6, m, &d), 0);
	assert_int_equal(d.counted, 2);
	assert_int_equal(d.reset_at, T0 + 2 * DAY + 60);
	assert_true(d.reset_by_operator);
	assert_int_equal(m[0], SUPPRESS_RESET);
	assert_int_equal(m[3], SUPPRESS_NOT_FAILURE);
	assert_non_null(strstr(d.explanation, "count restarted by unsuppress"));
	/* an ordinary record without an attempt does not reset */
	snprintf(e[3].category, sizeof(e[3].category), "%s", "");
	assert_int_equal(suppress_decide(&c, e, 6, m, &d), 1);
}

/* No evidence; unlisted and missing categories; categories = none. */
static void test_empty_and_unlisted(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence e[3] = {
	    BOUNCE(T0, "mailbox-full", "healthy"),
	    BOUNCE(T0 + DAY, "", "healthy"),
	    BOUNCE(T0 + 2 * DAY, "policy-reputation", "healthy"),
	};
	enum suppress_mark m[3];
	struct suppress_decision d;
	char why[SUPPRESS_WHY];

	(void)state;
	assert_int_equal(suppress_decide(&c, NULL, 0, NULL, &d), 0);
	assert_string_equal(d.explanation, "not yet: no evidence");
	assert_int_equal(d.counted + d.excluded, 0);

	assert_int_equal(suppress_decide(&c, e, 3, m, &d), 0);
	assert_int_equal(d.excluded, 3);
	assert_int_equal(m[0], SUPPRESS_EXCLUDED_CATEGORY);
	suppress_mark_explain(&c, &e[0], m[0], why, sizeof(why));
	assert_string_equal(why,
			    "excluded: category mailbox-full is not in "
			    "[suppression] categories (2026-11-28T09:00Z)");
	suppress_mark_explain(&c, &e[1], m[1], why, sizeof(why));
	assert_string_equal(why, "excluded: no category recorded "
				 "(2026-11-29T09:00Z)");

	c.ncategories = 0; /* categories = none */
	e[0] = BOUNCE(T0, "mailbox-unknown", "healthy");
	e[1] = BOUNCE(T0 + DAY, "mailbox-unknown", "healthy");
	e[2] = BOUNCE(T0 + 2 * DAY, "mailbox-unknown", "healthy");
	assert_int_equal(suppress_decide(&c, e, 3, NULL, &d), 0);
	expect_in(d.explanation, "never:");
}

/* The most evidence one address can hold: bounded explanation. */
static void test_many(void **state)
{
	struct suppress_criteria c = shipped();
	struct store_evidence *e = calloc(LIMIT_EVIDENCE_PER_RCPT, sizeof(*e));
	struct suppress_decision d;

	(void)state;
	assert_non_null(e);
	for (size_t i = 0; i < LIMIT_EVIDENCE_PER_RCPT; i++)
		e[i] = i % 2 ? DEFER(T0 + (int64_t)i * MIN, "routing",
				     "local-path")
			     : BOUNCE(T0 + (int64_t)i * MIN, "mailbox-unknown",
				      "healthy");
	assert_int_equal(
	    suppress_decide(&c, e, LIMIT_EVIDENCE_PER_RCPT, NULL, &d), 0);
	assert_int_equal(d.counted, LIMIT_EVIDENCE_PER_RCPT / 2);
	assert_int_equal(d.excluded, LIMIT_EVIDENCE_PER_RCPT / 2);
	assert_true(strlen(d.explanation) < sizeof(d.explanation));
	expect_in(d.explanation, "(span too short); 500 excluded, latest: "
				 "category routing never counts");
	free(e);
}

/* The criteria come straight from a policy's [suppression]. */
static void test_from_policy(void **state)
{
	static char *cats[] = {"mailbox-unknown"};
	struct policy *p = calloc(1, sizeof(*p));
	struct suppress_criteria c;

	(void)state;
	assert_non_null(p);
	p->suppress_categories.items = cats;
	p->suppress_categories.n = 1;
	p->min_failures = 3;
	p->min_span = DAY;
	p->require_healthy_dns = 1;
	suppress_criteria_from_policy(p, &c);
	assert_int_equal(c.ncategories, 1);
	assert_string_equal(c.categories[0], "mailbox-unknown");
	assert_int_equal(c.min_failures, 3);
	assert_int_equal(c.min_span, DAY);
	assert_int_equal(c.require_healthy_dns, 1);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_three_unknown_healthy),
	    cmocka_unit_test(test_three_routing_never),
	    cmocka_unit_test(test_local_path_excluded),
	    cmocka_unit_test(test_no_healthy_required),
	    cmocka_unit_test(test_span_too_short),
	    cmocka_unit_test(test_delivered_resets),
	    cmocka_unit_test(test_operator_reset_restarts),
	    cmocka_unit_test(test_empty_and_unlisted),
	    cmocka_unit_test(test_many),
	    cmocka_unit_test(test_from_policy),
	};

	return cmocka_run_group_tests_name("suppress", tests, NULL, NULL);
}

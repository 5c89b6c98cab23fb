/*
 * NAME
 *	backoff 3
 * SUMMARY
 *	when to try again: duration-based tiers, jitter, give-up (pure)
 * SYNOPSIS
 *	#include "backoff/backoff.h"
 * DESCRIPTION
 *	backoff_next() takes the age of a failure (now - first_failure,
 *	clamped to 0 when the clock went backwards), finds the last tier
 *	whose start is at or below that age, scales the tier's interval by
 *	a jitter factor in [1 - j, 1 + j] chosen by the caller's random
 *	value, and clamps the result to [now + 1, first_failure + give_up].
 *	Once the age reaches give_up the decision says "give up" and the
 *	next attempt is now: the caller hands the message back at once.
 *
 *	Owns nothing: no clock, no randomness, no I/O, no global. Every
 *	sum is computed with overflow checks and saturates, so absurd
 *	times (a clock far in the future or the past) still give a sane,
 *	bounded decision.
 * DIAGNOSTICS
 *	A backoff without tiers or with a non-positive interval violates
 *	the policy interface (policy_load never produces one): abort().
 */
#include "backoff/backoff.h"

#include <stdlib.h>

/* a + b, saturated to the int64_t range. */
static int64_t backoff_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* a - b, saturated to the int64_t range. */
static int64_t backoff_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/*
 * The tier's interval scaled by the jitter: every +/- every * j / 100,
 * where random32 = 0 gives the low end and UINT32_MAX the high end.
 * Never below 1 second.
 */
static int64_t backoff_jitter(int64_t every, unsigned jitter_percent,
			      uint32_t random32)
{
	unsigned pct = jitter_percent > 100 ? 100 : jitter_percent;
	int64_t delta = (int64_t)(((unsigned __int128)every * pct) / 100);
	unsigned __int128 span = (unsigned __int128)delta * 2;
	int64_t offset = (int64_t)((span * random32) / UINT32_MAX) - delta;
	int64_t interval = backoff_add(every, offset);

	return interval < 1 ? 1 : interval;
}

struct backoff_decision backoff_next(const struct policy_backoff *b,
				     int64_t first_failure, int64_t now,
				     uint32_t random32)
{
	struct backoff_decision d = {0};
	int64_t give_up_at, interval, next;
	size_t t = 0;

	if (b == NULL || b->ntiers == 0 || b->ntiers > LIMIT_POLICY_TIERS)
		abort();

	d.age = backoff_sub(now, first_failure);
	if (d.age < 0)
		d.age = 0;
	for (size_t i = 1; i < b->ntiers; i++)
		if (b->tiers[i].after <= d.age)
			t = i;
	d.tier = (int)t;
	d.action = b->tiers[t].action;
	if (b->tiers[t].every <= 0)
		abort();

	if (d.age >= b->give_up) {
		d.give_up = 1;
		d.next_attempt = now;
		return d;
	}
	interval =
	    backoff_jitter(b->tiers[t].every, b->jitter_percent, random32);
	next = backoff_add(now, interval);
	/*
	 * age < give_up here, so give_up_at > now (also when the clock went
	 * backwards: then first_failure > now): the clamp keeps next > now.
	 */
	give_up_at = backoff_add(first_failure, b->give_up);
	if (next > give_up_at)
		next = give_up_at;
	d.next_attempt = next;
	return d;
}

const char *backoff_action_name(enum policy_tier_action a)
{
	switch (a) {
	case POLICY_TIER_RETRY:
		return "retry";
	case POLICY_TIER_CHECK_RESOLVER:
		return "check-resolver";
	case POLICY_TIER_ESCALATE:
		return "escalate";
	}
	return "unknown";
}

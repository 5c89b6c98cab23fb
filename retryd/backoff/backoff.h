/*
 * NAME
 *	backoff 3h
 * SUMMARY
 *	when to try again: duration-based tiers, jitter, give-up (pure)
 * DESCRIPTION
 *	backoff_next() maps the age of a failure (now - first_failure) to
 *	the policy tier that covers it and returns the next attempt time,
 *	the tier's action and whether the message has reached give_up.
 *	No clock, no randomness of its own: time and a random value are
 *	passed in, so every decision can be replayed in a test.
 */
#ifndef RETRYD_BACKOFF_H
#define RETRYD_BACKOFF_H

#include <stdint.h>

#include "policy/policy.h"

struct backoff_decision {
	int64_t next_attempt;		/* wall seconds; <= give-up time */
	enum policy_tier_action action; /* of the tier covering the age */
	int tier;			/* index into backoff->tiers */
	int give_up;			/* 1: age >= give_up: hand back now */
	int64_t age;			/* now - first_failure, clamped >= 0 */
};

/**
 * Decide the next attempt.
 * @param b the backoff of the domain's group (or the default).
 * @param first_failure when the failure was first seen (wall seconds).
 * @param now the current wall time. A clock that went backwards
 *	(now < first_failure) is treated as age 0, never as a negative age.
 * @param random32 a uniformly random 32-bit value for the jitter:
 *	the interval is scaled by a factor in [1 - j, 1 + j], j =
 *	jitter_percent / 100, and never drops below 1 second.
 * The next attempt never lies past first_failure + give_up (then the
 * give-up pass happens on time) and never before now + 1.
 */
struct backoff_decision backoff_next(const struct policy_backoff *b,
				     int64_t first_failure, int64_t now,
				     uint32_t random32);

/** Name of a tier action: "retry", "check-resolver", "escalate". */
const char *backoff_action_name(enum policy_tier_action a);

#endif

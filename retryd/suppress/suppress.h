/*
 * NAME
 *	suppress 3h
 * SUMMARY
 *	does the evidence for one address meet the [suppression] criteria?
 * DESCRIPTION
 *	suppress_decide() is pure: it reads the policy's [suppression]
 *	settings and one address's evidence, oldest first, and says whether
 *	to suppress, which failures counted, which were left out and why,
 *	with a one-line explanation fit for store_suppressed.reason. No
 *	store, no clock: "now" never enters, so elapsed wall time alone can
 *	never satisfy min_span; only the span between counted failures can.
 *
 *	A failure counts when its outcome is BOUNCED or DEFERRED, its
 *	category is listed in [suppression] categories and is address-level
 *	(routing, null-mx, rate-limit and connection never count, even when
 *	listed), and, with require_healthy_dns, its DNS verdict was
 *	"healthy". A DELIVERED outcome restarts the count: a mailbox that
 *	accepted mail exists.
 */
#ifndef RETRYD_SUPPRESS_H
#define RETRYD_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"
#include "policy/policy.h"
#include "store/store.h"

#define SUPPRESS_WHY 160 /* bytes of one evidence item's explanation */

/*
 * The category of the evidence record `retryctl unsuppress` writes
 * (outcome NONE): like a delivery, it restarts the count, so an address
 * the operator vouched for needs min_failures new failures to be
 * suppressed again.
 */
#define SUPPRESS_OPERATOR_RESET "operator-reset"

/* The [suppression] settings the decision reads. */
struct suppress_criteria {
	const char *const
	    *categories; /* listed categories; may be NULL if n=0 */
	size_t ncategories;
	unsigned min_failures; /* 0 is taken as 1 */
	int64_t min_span;      /* seconds, last - first counted failure */
	int require_healthy_dns;
};

/* What became of one piece of evidence. */
enum suppress_mark {
	SUPPRESS_COUNTED = 1, /* counts towards the criteria */
	SUPPRESS_NOT_FAILURE, /* delivered or no attempt: not a failure */
	SUPPRESS_RESET,	      /* counted, then a delivery restarted the count */
	SUPPRESS_EXCLUDED_NEVER, /* category never counts (routing, DNS, ...) */
	SUPPRESS_EXCLUDED_CATEGORY, /* category not listed, or none recorded */
	SUPPRESS_EXCLUDED_DNS, /* DNS verdict was not healthy at the time */
};

struct suppress_decision {
	int suppress;	       /* 1: the criteria are met */
	unsigned counted;      /* failures counted (since the last delivery) */
	unsigned excluded;     /* failures excluded (any time) */
	int64_t first, last;   /* times of the first/last counted failure */
	int64_t reset_at;      /* time of the last delivery or unsuppress, 0 */
	int reset_by_operator; /* 1 when that reset was `retryctl unsuppress` */
	char explanation[LIMIT_REASON + 1]; /* one line, for operators */
};

/** The criteria of a loaded policy; points into @param p (keep it alive). */
void suppress_criteria_from_policy(const struct policy *p,
				   struct suppress_criteria *out);

/**
 * Decide for one address. @param ev holds @param n evidence records,
 * oldest first. @param marks, when not NULL, receives one mark per
 * record. @return 1 when the criteria are met, else 0 (also in out).
 */
int suppress_decide(const struct suppress_criteria *c,
		    const struct store_evidence *ev, size_t n,
		    enum suppress_mark *marks, struct suppress_decision *out);

/**
 * Explain one record's mark in @param buf, e.g. "counted: mailbox-unknown
 * at 2026-11-29T10:42Z" or "excluded: DNS was local-path at
 * 2026-11-29T10:42Z". @return buf.
 */
char *suppress_mark_explain(const struct suppress_criteria *c,
			    const struct store_evidence *ev,
			    enum suppress_mark mark, char *buf, size_t len);

/** 1 when @param category may ever count (address-level), else 0. */
int suppress_category_may_count(const char *category);

#endif

/*
 * NAME
 *	suppress 3
 * SUMMARY
 *	the suppression criteria: a pure decision over one address's evidence
 * SYNOPSIS
 *	#include "suppress/suppress.h"
 * DESCRIPTION
 *	suppress_decide() walks the evidence oldest first. Each record is
 *	marked: a failure (BOUNCED or DEFERRED) is counted, or excluded with
 *	its reason (category never counts, category not listed, DNS not
 *	healthy at the time); a DELIVERED record restarts the count, and the
 *	failures counted before it are marked RESET. The criteria are met
 *	when at least min_failures failures count and the span from the
 *	first to the last counted failure is at least min_span. The time of
 *	the decision is not an input: waiting alone satisfies nothing.
 *
 *	Categories that describe the route, not the address (routing,
 *	null-mx, rate-limit, connection, and anything naming DNS) are refused
 *	here even when the policy lists them: a routing failure must never
 *	suppress a recipient.
 *
 *	Owns nothing: the caller owns the evidence, the marks and the
 *	decision. No I/O, no clock, no global.
 * DIAGNOSTICS
 *	None: every outcome, including "no evidence", is a decision with an
 *	explanation.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "suppress/suppress.h"

/* Categories that never count against an address. */
static const char *const suppress_never[] = {
    "routing",
    "null-mx",
    "rate-limit",
    "connection",
};

int suppress_category_may_count(const char *category)
{
	if (category == NULL || *category == '\0')
		return 0;
	for (size_t i = 0;
	     i < sizeof(suppress_never) / sizeof(suppress_never[0]); i++)
		if (strcmp(category, suppress_never[i]) == 0)
			return 0;
	return strcasestr(category, "dns") == NULL;
}

void suppress_criteria_from_policy(const struct policy *p,
				   struct suppress_criteria *out)
{
	memset(out, 0, sizeof(*out));
	out->categories = (const char *const *)p->suppress_categories.items;
	out->ncategories = p->suppress_categories.n;
	out->min_failures = p->min_failures;
	out->min_span = p->min_span;
	out->require_healthy_dns = p->require_healthy_dns;
}

static int suppress_listed(const struct suppress_criteria *c, const char *cat)
{
	for (size_t i = 0; i < c->ncategories; i++)
		if (c->categories[i] && strcmp(c->categories[i], cat) == 0)
			return 1;
	return 0;
}

/* suppress_when - "2026-11-29T10:42Z" (UTC), or "time unknown" */
static const char *suppress_when(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%MZ", &tm) == 0)
		snprintf(buf, len, "time unknown");
	return buf;
}

/* A delivery, or the operator's unsuppress, restarts the count. */
static int suppress_is_reset(const struct store_evidence *ev)
{
	return ev->outcome == STORE_OUTCOME_DELIVERED ||
	       (ev->outcome == STORE_OUTCOME_NONE &&
		strcmp(ev->category, SUPPRESS_OPERATOR_RESET) == 0);
}

/* suppress_classify - the mark of one record, before resets */
static enum suppress_mark suppress_classify(const struct suppress_criteria *c,
					    const struct store_evidence *ev)
{
	if (ev->outcome != STORE_OUTCOME_BOUNCED &&
	    ev->outcome != STORE_OUTCOME_DEFERRED)
		return SUPPRESS_NOT_FAILURE;
	if (ev->category[0] != '\0' &&
	    !suppress_category_may_count(ev->category))
		return SUPPRESS_EXCLUDED_NEVER;
	if (ev->category[0] == '\0' || !suppress_listed(c, ev->category))
		return SUPPRESS_EXCLUDED_CATEGORY;
	if (c->require_healthy_dns && strcmp(ev->verdict, "healthy") != 0)
		return SUPPRESS_EXCLUDED_DNS;
	return SUPPRESS_COUNTED;
}

char *suppress_mark_explain(const struct suppress_criteria *c,
			    const struct store_evidence *ev,
			    enum suppress_mark mark, char *buf, size_t len)
{
	char when[32];

	suppress_when(ev->time, when, sizeof(when));
	switch (mark) {
	case SUPPRESS_COUNTED:
		snprintf(buf, len, "counted: %.23s at %s%s", ev->category, when,
			 c->require_healthy_dns ? ", DNS healthy" : "");
		break;
	case SUPPRESS_NOT_FAILURE:
		snprintf(buf, len, "not a failure: %s at %s",
			 ev->outcome == STORE_OUTCOME_DELIVERED ? "delivered"
			 : suppress_is_reset(ev)
			     ? "unsuppressed by the operator"
			     : "no attempt",
			 when);
		break;
	case SUPPRESS_RESET:
		snprintf(buf, len,
			 "reset: %.23s at %s, a later delivery or unsuppress "
			 "restarted the count",
			 ev->category, when);
		break;
	case SUPPRESS_EXCLUDED_NEVER:
		snprintf(buf, len, "excluded: category %.23s never counts (%s)",
			 ev->category, when);
		break;
	case SUPPRESS_EXCLUDED_CATEGORY:
		if (ev->category[0] == '\0')
			snprintf(buf, len,
				 "excluded: no category recorded (%s)", when);
		else
			snprintf(buf, len,
				 "excluded: category %.23s is not in "
				 "[suppression] categories (%s)",
				 ev->category, when);
		break;
	case SUPPRESS_EXCLUDED_DNS:
		if (ev->verdict[0] == '\0' || strcmp(ev->verdict, "-") == 0)
			snprintf(buf, len,
				 "excluded: DNS was not verified at %s", when);
		else
			snprintf(buf, len, "excluded: DNS was %.15s at %s",
				 ev->verdict, when);
		break;
	default:
		snprintf(buf, len, "unknown mark %d", (int)mark);
		break;
	}
	return buf;
}

int suppress_decide(const struct suppress_criteria *c,
		    const struct store_evidence *ev, size_t n,
		    enum suppress_mark *marks, struct suppress_decision *out)
{
	unsigned need = c->min_failures ? c->min_failures : 1;
	size_t last_excluded = n, since = 0, nlisted = 0;
	char span[32], want[32], why[SUPPRESS_WHY], when[32];
	const char *lastcat = "";
	int64_t s;
	int len;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->ncategories; i++)
		nlisted += suppress_category_may_count(c->categories[i]);
	for (size_t i = 0; i < n; i++) {
		enum suppress_mark m = suppress_classify(c, &ev[i]);

		if (suppress_is_reset(&ev[i])) {
			for (size_t k = since; marks && k < i; k++)
				if (marks[k] == SUPPRESS_COUNTED)
					marks[k] = SUPPRESS_RESET;
			since = i + 1;
			out->counted = 0;
			out->first = out->last = 0;
			out->reset_at = ev[i].time;
			out->reset_by_operator =
			    ev[i].outcome != STORE_OUTCOME_DELIVERED;
		} else if (m == SUPPRESS_COUNTED) {
			if (out->counted++ == 0 || ev[i].time < out->first)
				out->first = ev[i].time;
			if (ev[i].time > out->last)
				out->last = ev[i].time;
			lastcat = ev[i].category;
		} else if (m != SUPPRESS_NOT_FAILURE) {
			out->excluded++;
			last_excluded = i;
		}
		if (marks)
			marks[i] = m;
	}
	s = out->counted ? out->last - out->first : 0;
	out->suppress = nlisted > 0 && out->counted >= need && s >= c->min_span;

	policy_format_duration(s, span, sizeof(span));
	policy_format_duration(c->min_span, want, sizeof(want));
	if (nlisted == 0)
		len = snprintf(out->explanation, sizeof(out->explanation),
			       "never: no address-level category is listed in "
			       "[suppression] categories");
	else if (out->suppress)
		len = snprintf(
		    out->explanation, sizeof(out->explanation),
		    "suppress: %u of %u failures (%s) over %s of %s%s",
		    out->counted, need, lastcat, span, want,
		    c->require_healthy_dns ? ", DNS healthy each time" : "");
	else if (n == 0)
		len = snprintf(out->explanation, sizeof(out->explanation),
			       "not yet: no evidence");
	else
		len = snprintf(out->explanation, sizeof(out->explanation),
			       "not yet: %u of %u failures over %s of %s%s",
			       out->counted, need, span, want,
			       out->counted >= need ? " (span too short)" : "");
	if (len > 0 && (size_t)len < sizeof(out->explanation) &&
	    out->excluded) {
		const char *w = suppress_mark_explain(
		    c, &ev[last_excluded],
		    suppress_classify(c, &ev[last_excluded]), why, sizeof(why));

		if (strncmp(w, "excluded: ", 10) == 0)
			w += 10;
		len +=
		    snprintf(out->explanation + len,
			     sizeof(out->explanation) - (size_t)len,
			     out->excluded == 1 ? "; %u excluded: %s"
						: "; %u excluded, latest: %s",
			     out->excluded, w);
	}
	if (len > 0 && (size_t)len < sizeof(out->explanation) && out->reset_at)
		snprintf(out->explanation + len,
			 sizeof(out->explanation) - (size_t)len,
			 "; count restarted by %s at %s",
			 out->reset_by_operator ? "unsuppress" : "a delivery",
			 suppress_when(out->reset_at, when, sizeof(when)));
	return out->suppress;
}

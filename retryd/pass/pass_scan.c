/*
 * NAME
 *	pass_scan 3
 * SUMMARY
 *	the pass's view of the queue: the log's news, or a full listing
 * DESCRIPTION
 *	pass_scan() gives the pass either what the plugin discovered in the
 *	MTA log since the last call (no listing of everything) or a full
 *	listing (reconciliation). pass_scan_decide() (pure: no I/O, no
 *	clock) says which:
 *	  - a full listing at once: at start, after a reload, after an
 *	    incomplete listing or an adoption cap (ctx->want_full), and after
 *	    a gap in the log (lines rotated away, truncated, no position);
 *	  - by time: when reconcile_interval has passed since the last one,
 *	    or PASS_RECONCILE_COST_FACTOR times the last listing's own
 *	    duration if that is longer (a queue whose listing takes 5 s is
 *	    listed at most every 500 s: listings cost at most 1% of the time
 *	    however big the queue);
 *	  - when a step waits for one (ctx->want_reconcile: a give-up, a
 *	    null-MX or max_hold hand-back, an intent to settle, an attempt
 *	    with no outcome while none arrive, absence to confirm): once
 *	    two scan intervals and the same cost bound have passed since
 *	    the last one;
 *	  - every reconcile_every passes when that is set (0: off).
 *	A pass with everything held thus reads only the log, whatever the
 *	number held. Each full listing logs one line (its size, whether it
 *	was complete, its duration, what it left in the adoption backlog):
 *	at the defaults about one an hour. A full pass drains the discovery first, so its position
 *	stays current and nothing falls between; it tells the plugin that
 *	a listing follows (*gap = 1 on entry), so a gap at start is not
 *	covered twice (Postfix: no read of every defer log in deferred/).
 *
 *	Owns: nothing past the call (the listing is the caller's).
 * DIAGNOSTICS
 *	A failed discovery is logged by pass_listing_discover() and a full
 *	listing follows in the same pass.
 */
#include <string.h>

#include "util/log.h"
#include "util/monotime.h"
#include "pass/pass_int.h"

/* Seconds at least between two full listings that took @param cost_ms. */
static int64_t scan_cost_floor(int64_t cost_ms)
{
	return (cost_ms * PASS_RECONCILE_COST_FACTOR + 999) / 1000;
}

int pass_scan_decide(const struct pass_scan_input *in)
{
	int64_t age = in->now - in->last_full;
	int64_t floor = scan_cost_floor(in->full_cost_ms);
	int64_t soft = 2 * in->scan_interval;

	if (in->want_full || in->last_full == 0 || age < 0)
		return 1; /* start, reload, gap, cap; or the clock went back */
	if (in->reconcile_every && in->since_full + 1 >= in->reconcile_every)
		return 1;
	if (age >=
	    (in->reconcile_interval > floor ? in->reconcile_interval : floor))
		return 1;
	return in->want_reconcile && age >= (soft > floor ? soft : floor);
}

/* The full listing, timed: its duration bounds how often it runs. */
static void scan_full(struct pass_ctx *ctx, struct pass_listing *l, int64_t now)
{
	int64_t t0 = monotime_ms();

	pass_listing_scan_spill(ctx, l);
	ctx->full_cost_ms = monotime_ms() - t0;
	if (l->ok)
		log_info("scan: full listing: %zu messages%s in %lld ms, %zu "
			 "more to adopt in the backlog",
			 l->n, l->complete ? "" : " (partial)",
			 (long long)ctx->full_cost_ms, pass_backlog_left(ctx));
	ctx->last_full = now;
	ctx->since_full = 0;
	ctx->want_reconcile = 0; /* the steps ask again if still waiting */
	ctx->want_full = !l->complete;
}

void pass_scan(struct pass_ctx *ctx, struct pass_listing *l, int64_t now)
{
	const struct policy *p = ctx->policy;
	struct pass_scan_input in = {
	    .now = now,
	    .last_full = ctx->last_full,
	    .full_cost_ms = ctx->full_cost_ms,
	    .since_full = ctx->since_full,
	    .want_full = ctx->want_full,
	    .want_reconcile = ctx->want_reconcile,
	    .scan_interval = p->scan_interval,
	    .reconcile_interval = p->reconcile_interval,
	    .reconcile_every = p->reconcile_every,
	};
	int full = pass_scan_decide(&in);
	int gap = full; /* in: the plugin need not read its queue for a gap */

	if (ctx->plugin->discover != NULL) {
		int rc = pass_listing_discover(ctx, l, &gap);

		if (rc == 0 && !gap && !full) {
			ctx->since_full++;
			ctx->stats.incremental = 1;
			return;
		}
		if (gap && !full)
			log_info(
			    "discover: lines of the MTA log may be missing "
			    "(rotated away, truncated, no saved position):"
			    " full listing");
		pass_listing_free(ctx, l);
	}
	scan_full(ctx, l, now);
}

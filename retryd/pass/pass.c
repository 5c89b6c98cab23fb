/*
 * NAME
 *	pass 3
 * SUMMARY
 *	one full pass: scan, reconcile (+ outcomes), adopt, due, summary
 * DESCRIPTION
 *	pass_run() is the order of DESIGN.md's data flow:
 *	  1. scan: the plugin's discovery (new deferrals read from the MTA
 *	     log, no listing) or the full listing (pass_scan.c): at start,
 *	     every reconcile_interval (cost-bounded), after a gap in the
 *	     log, and when a step needs one; indexed by queue id;
 *	  2. reconcile: every live record against the listing, outcomes of
 *	     released messages, intents replayed or rolled back, gone ids;
 *	     after a discovery only the records in flight (not HELD) and
 *	     the discovered ids: a pass with everything held costs the same
 *	     however many are held;
 *	  3. adopt: routing-deferred messages not held, in batches;
 *	  4. watch: domains with held mail verified once per window; a
 *	     healed one's held mail made due PASS_HEAL_DUE a pass, each
 *	     step released by the due step of the same pass, the next pass
 *	     run at once (pass_watch.c); then due messages whose pending
 *	     recipients are suppressed are marked and, with nothing else
 *	     pending, handed back (pass_suppress.c);
 *	  5. due: give up, verify per domain (the watch's verification of
 *	     this pass reused), wait / bounce / attempt;
 *	  6. outcomes, after a pass that attempted: what the MTA logged
 *	     already (exim -M delivers before it returns) is recorded in
 *	     this pass, not a scan_interval later;
 *	  7. retention: a bounded batch of old done messages and old
 *	     verifications deleted (pass_retention.c).
 *	No step walks every message: reconcile and outcomes read the live
 *	ids from the state index, the due step the due index; a store
 *	holding a million done messages costs a pass what an empty one does.
 *	ctx->stats tells what it did; pass_log_summary() writes the one
 *	summary line the e2e tests and the benchmark read ("scanned=N (log)"
 *	after a discovery). A per-pass cap hit sets stats.capped: the daemon
 *	runs the next pass at once, and that pass (ctx->releasing), like the
 *	capped one itself, reads at most PASS_OUTCOME_CALLS_RELEASING calls of
 *	outcomes (pass_outcome.c): releasing the rest comes first, the MTA
 *	is kept busy, and the outcomes are read once the releases are done.
 *	A store that runs out of space (ENOSPC) sets ctx->nospace for the
 *	rest of the pass; every pass tries to write again: retryd resumes by
 *	itself when space comes back.
 * DIAGNOSTICS
 *	Steps log their own errors and only delay; -1 only when the store
 *	cannot even be walked.
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"
#include "pass/pass_suppress.h"

int pass_stats_idle(const struct pass_stats *s)
{
	return s->adopted == 0 && s->due == 0 && s->attempted == 0 &&
	       s->delivered == 0 && s->deferred == 0 && s->bounced == 0 &&
	       s->waited == 0 && s->given_back == 0 && s->released == 0 &&
	       s->gone == 0 && s->reheld == 0 && s->hooks_run == 0 &&
	       s->domains_verified == 0 && !s->nospace;
}

void pass_log_summary(const struct pass_stats *s)
{
	log_info(
	    "pass: scanned=%zu%s, adopted=%zu, due=%zu, verified=%zu, "
	    "queries=%llu, attempted=%zu, delivered=%zu, deferred=%zu, "
	    "bounced=%zu, waited=%zu, given_back=%zu, released=%zu, gone=%zu, "
	    "reheld=%zu, hooks=%zu%s",
	    s->scanned,
	    s->incremental ? " (log)"
	    : s->complete  ? ""
			   : " (partial)",
	    s->adopted, s->due, s->domains_verified,
	    (unsigned long long)s->queries, s->attempted, s->delivered,
	    s->deferred, s->bounced, s->waited, s->given_back, s->released,
	    s->gone, s->reheld, s->hooks_run, s->nospace ? ", store=full" : "");
}

int pass_run(struct pass_ctx *ctx, int64_t now)
{
	struct pass_listing l;
	struct pass_idset attempting = {0};
	int rc;

	ctx->releasing = ctx->stats.capped; /* before the reset */
	memset(&ctx->stats, 0, sizeof(ctx->stats));
	ctx->nospace = 0;
	pass_space_check(ctx);	 /* below the reserve: no-space mode */
	pass_hooks_reap(ctx);	 /* hooks that ended since: one line each */
	pass_outcomes_sync(ctx); /* before any release: the log position */
	pass_scan(ctx, &l, now);
	ctx->stats.scanned = l.n;
	ctx->stats.complete = l.complete;
	rc = pass_reconcile(ctx, &l, now, &attempting);
	pass_idset_free(&attempting);
	if (rc < 0) {
		log_error("pass: the store cannot be read: no mail action in "
			  "this pass");
		pass_listing_free(ctx, &l);
		return -1;
	}
	pass_journal_compact(ctx, &l, now);
	pass_adopt(ctx, &l, now);
	/* healed domains: a step of their held mail due, released below */
	pass_watch_run(ctx, now);
	pass_suppress_due(ctx, &l,
			  now); /* suppressed recipients: not attempted */
	pass_due(ctx, &l, now);
	/* An MTA that delivers while it is asked (exim -M) has logged the
	 * outcomes already: read them now, not a scan_interval later. */
	if (ctx->stats.attempted > 0)
		(void)pass_collect_outcomes(ctx, now); /* logs its errors */
	pass_watch_note(ctx); /* held mail left: the watched set rebuilt */
	pass_listing_free(ctx, &l);
	pass_retention(ctx, now);
	ctx->stats.nospace = ctx->nospace;
	return 0; /* the caller logs the summary (after --once outcomes) */
}

struct collect_arg {
	const char *mta;
	struct pass_idset *ids;
};

static int collect_attempting(enum store_msg_state state, int64_t finished,
			      const char *mta, const char *queue_id, void *arg)
{
	struct collect_arg *a = arg;

	(void)state;
	(void)finished;
	if (strcmp(mta, a->mta) == 0)
		pass_idset_add(a->ids, queue_id);
	return 0;
}

long pass_collect_outcomes(struct pass_ctx *ctx, int64_t now)
{
	struct pass_idset ids = {0};
	struct collect_arg a = {ctx->policy->mta, &ids};
	char err[512];
	long left;

	/* The state index alone: O(attempting), not O(store). */
	if (store_walk_live_ids(ctx->store,
				STORE_STATE_BIT(STORE_MSG_ATTEMPTING) |
				    STORE_STATE_BIT(STORE_MSG_RELEASE_INTENT),
				collect_attempting, &a, err,
				sizeof(err)) != STORE_OK) {
		log_error("outcomes: %.400s", err);
		pass_idset_free(&ids);
		return -1;
	}
	pass_idset_sort(&ids);
	left = pass_outcomes(ctx, &ids, now);
	pass_idset_free(&ids);
	return left;
}

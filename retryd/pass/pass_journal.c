/*
 * NAME
 *	pass_journal 3
 * SUMMARY
 *	journal each hold before it is made; keep the journal small
 * DESCRIPTION
 *	pass_journal_hold() appends the ids about to be held to the hold
 *	journal (store_journal.c) and fsyncs it: adoption and re-hold call
 *	it before plugin->hold(), and hold nothing when it fails (Promise:
 *	never hold what `retryctl release --all` could not find without
 *	the store). A failure puts the pass in no-space mode (a full disk is
 *	the usual cause): nothing is adopted, due mail is handed back.
 *
 *	pass_journal_compact() rewrites a journal grown past
 *	LIMIT_JOURNAL_COMPACT and past twice what the held messages need
 *	with the ids a COMPLETE listing shows held (an incomplete one could
 *	drop an id still held), each once.
 * DIAGNOSTICS
 *	One warning per failure, rate-limited; never fatal.
 */
#include "pass/pass_int.h"
#include "store/store_journal.h"
#include "util/log.h"

#define PASS_JOURNAL_LOG_INTERVAL 60
/* A journal line's size, about ("hold postfix 4jcXtg2558z1bZ94 1795923515"):
 * compacted when twice what the held messages need, so the rewrite
 * costs O(1) per hold however many are held. */
#define PASS_JOURNAL_LINE_BYTES 48

int pass_journal_hold(struct pass_ctx *ctx, const char *const *ids, size_t n,
		      int64_t now)
{
	char err[LIMIT_PATH + 128];

	if (store_journal_append(ctx->state_dir, ctx->policy->mta, ids, n, now,
				 err, sizeof(err)) == 0)
		return 0;
	log_warn_limited("hold-journal", PASS_JOURNAL_LOG_INTERVAL,
			 "%.600s: %zu messages not held (never hold what "
			 "could not be journaled): no-space mode",
			 err, n);
	ctx->nospace = 1;
	return -1;
}

/* Keep a line of an id the listing shows held, once. */
static int pass_journal_keep(const char *id, void *arg)
{
	struct pass_lentry *e = pass_listing_find(arg, id);

	if (e == NULL || !e->held || e->journaled)
		return 0;
	e->journaled = 1;
	return 1;
}

void pass_journal_compact(struct pass_ctx *ctx, const struct pass_listing *l,
			  int64_t now)
{
	char err[LIMIT_PATH + 128];
	size_t held = 0;
	int rc;

	if (!l->ok || !l->complete)
		return;
	for (size_t i = 0; i < l->n; i++)
		held += l->e[i].held;
	rc = store_journal_compact(
	    ctx->state_dir, ctx->policy->mta, pass_journal_keep, (void *)l,
	    2 * held * PASS_JOURNAL_LINE_BYTES, now, err, sizeof(err));
	if (rc < 0)
		log_warn_limited("hold-journal-compact",
				 PASS_JOURNAL_LOG_INTERVAL, "%.600s", err);
	else if (rc > 0)
		log_info("hold journal compacted to the messages held now");
}

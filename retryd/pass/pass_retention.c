/*
 * NAME
 *	retention 3
 * SUMMARY
 *	bound the store: delete old done messages and old verifications
 * DESCRIPTION
 *	Done messages are kept for show (retryctl show, reports), then
 *	deleted. A record does not say when it finished, only its adoption
 *	and last attempt: pass_retention_keep_done() counts from the later of
 *	the two and is LIMIT_KEEP_DONE plus the policy's largest give_up,
 *	as a message finishes at most about give_up after either (given
 *	back at give_up, delivered or gone earlier). So a done message is
 *	kept at least LIMIT_KEEP_DONE after it finished, and an id given
 *	back to the MTA is still known as refused (never adopted again)
 *	while the MTA may still hold it. Each pass takes at most
 *	LIMIT_RETENTION_BATCH of the oldest from the state index
 *	(store_walk_done_ids: a range scan, O(batch)), checks each again
 *	inside the deleting transaction (still DONE, still that old: an id
 *	adopted again meanwhile is live and stays) and deletes it with its
 *	index entries, in one transaction. Nothing live is ever deleted
 *	here.
 *
 *	Verifications older than LIMIT_KEEP_VERIFICATIONS are deleted at
 *	most LIMIT_RETENTION_STEPS keys per pass by a cursor that goes round
 *	the domains (store_prune_verifications); ctx->prune_cursor keeps its
 *	place between passes.
 *
 *	Evidence and suppressed addresses are the proof and are kept: the
 *	store already bounds evidence per address.
 *
 *	Owns: nothing between calls but ctx->prune_cursor.
 * DIAGNOSTICS
 *	Store failures are logged (pass_update, or "retention: ...") and
 *	only delay: the next pass tries again. One info line per pass that
 *	deleted anything.
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"

int64_t pass_retention_keep_done(const struct policy *p)
{
	int64_t give_up = p->backoff.give_up;

	for (size_t i = 0; i < p->ngroups; i++)
		if (p->groups[i].backoff.give_up > give_up)
			give_up = p->groups[i].backoff.give_up;
	return LIMIT_KEEP_DONE + (give_up > 0 ? give_up : 0);
}

/* The later of adoption and last attempt: when a done message finished. */
static int64_t retention_finished(const struct store_message *m)
{
	return m->last_attempt > m->adopted_at ? m->last_attempt
					       : m->adopted_at;
}

struct expire_arg {
	const char *mta;
	int64_t before;
	struct pass_idset ids;
	unsigned char *del; /* per id: deleted (set again on a retry) */
};

static int expire_collect(enum store_msg_state state, int64_t finished,
			  const char *mta, const char *queue_id, void *arg)
{
	struct expire_arg *a = arg;

	(void)state;
	(void)finished;
	if (strcmp(mta, a->mta) == 0)
		pass_idset_add(&a->ids, queue_id);
	return 0;
}

static int expire_one(struct pass_ctx *ctx, struct store_txn *txn,
		      struct store_message *m, size_t i, void *arg, char *err,
		      size_t errlen)
{
	struct expire_arg *a = arg;

	a->del[i] = 0;
	if (m->state != STORE_MSG_DONE || retention_finished(m) >= a->before)
		return 0; /* adopted again, or changed meanwhile: kept */
	a->del[i] = 1;
	return PASS_UPDATE_DELETE;
}

static int retention_messages(struct pass_ctx *ctx, int64_t now)
{
	struct expire_arg a;
	const char **ids;
	char err[512];
	int rc;

	memset(&a, 0, sizeof(a));
	a.mta = ctx->policy->mta;
	a.before = now - pass_retention_keep_done(ctx->policy);
	if (store_walk_done_ids(ctx->store, a.before, LIMIT_RETENTION_BATCH,
				expire_collect, &a, err,
				sizeof(err)) != STORE_OK) {
		log_warn_limited("retention", 300, "retention: %.400s", err);
		pass_idset_free(&a.ids);
		return -1;
	}
	if (a.ids.n == 0) {
		pass_idset_free(&a.ids);
		return 0;
	}
	ids = pass_idset_ptrs(&a.ids);
	a.del = calloc(a.ids.n, 1);
	if (ids == NULL || a.del == NULL) {
		free(ids);
		free(a.del);
		pass_idset_free(&a.ids);
		return -1;
	}
	rc = pass_update(ctx, ids, a.ids.n, expire_one, &a,
			 "retention: delete done messages");
	for (size_t i = 0; rc == STORE_OK && i < a.ids.n; i++)
		ctx->stats.expired += a.del[i];
	free(ids);
	free(a.del);
	pass_idset_free(&a.ids);
	return rc == STORE_OK ? 0 : -1;
}

static int retention_verifications(struct pass_ctx *ctx, int64_t now)
{
	size_t deleted = 0;
	char err[512];

	if (store_prune_verifications(ctx->store,
				      now - LIMIT_KEEP_VERIFICATIONS,
				      LIMIT_RETENTION_STEPS, ctx->prune_cursor,
				      sizeof(ctx->prune_cursor), &deleted, err,
				      sizeof(err)) != STORE_OK) {
		log_warn_limited("retention-verifications", 300,
				 "retention: %.400s", err);
		return -1;
	}
	ctx->stats.pruned += deleted;
	return 0;
}

int pass_retention(struct pass_ctx *ctx, int64_t now)
{
	int rc = 0;

	if (retention_messages(ctx, now) < 0)
		rc = -1;
	if (retention_verifications(ctx, now) < 0)
		rc = -1;
	if (ctx->stats.expired || ctx->stats.pruned)
		log_info(
		    "retention: deleted %zu done messages finished more than "
		    "%llds ago and %zu verifications older than %llds",
		    ctx->stats.expired,
		    (long long)pass_retention_keep_done(ctx->policy),
		    ctx->stats.pruned, (long long)LIMIT_KEEP_VERIFICATIONS);
	return rc;
}

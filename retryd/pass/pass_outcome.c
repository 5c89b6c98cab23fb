/*
 * NAME
 *	outcome 3
 * SUMMARY
 *	what the MTA did with the messages we released: evidence, states
 * DESCRIPTION
 *	pass_outcomes() asks the plugin for the outcomes logged for the
 *	messages being attempted (ATTEMPTING, or RELEASE_INTENT after a
 *	crash) and, per message in one transaction per batch, writes one
 *	evidence record per outcome (time, queue id, host_id, the verdict of
 *	the attempt and the DNS summary of the verification it used, outcome,
 *	DSN, text, classifier category) and updates the recipient: delivered,
 *	bounced, or still pending when deferred. All recipients final: DONE.
 *	Deferred again: the MTA put the message back in its deferred queue;
 *	it is held again and rescheduled from the ORIGINAL first_failure
 *	(pass_rehold). An outcome for an address we do not track (an alias
 *	expansion, a masked byte) is still recorded as evidence. An outcome
 *	logged before the message's last attempt (the MTA's own tries before
 *	adoption, read from the log only now) is no outcome of ours: skipped.
 *
 *	Suppression (issue #6): after a batch's evidence is committed, every
 *	address that got new failure evidence (bounced or deferred) goes to
 *	pass_suppress_outcomes(): suppress_decide() over its stored evidence,
 *	then ONE transaction records the suppression and marks the pending
 *	recipients, then the messages left with no pending recipient are
 *	handed back per on_suppress (suppress_act.c has the multi-recipient
 *	rule). A message whose only open recipients were suppressed before
 *	is not marked done when the others become final: the MTA still has
 *	it for them, so it is handed back too (pass_suppress_ready()).
 *
 *	Exactly once (issue #10): the plugin saves no log position. Each
 *	outcomes() call returns at most LIMIT_OUTCOMES_PER_CALL outcomes
 *	(so at most LIMIT_PASS_BATCH ids) and the position after them; their
 *	evidence and that position are written in ONE transaction
 *	(pass_update_then). Killed before the commit, retryd reads the same
 *	lines again at restart; killed after, it reads on from there. A
 *	failed commit seeks the plugin back to the committed position. At
 *	most LIMIT_OUTCOMES_CALLS calls per pass, PASS_OUTCOME_CALLS_RELEASING
 *	while a per-pass cap keeps the passes releasing (ctx->releasing, or
 *	stats.capped in this pass): the releases go first, so the MTA
 *	delivers while retryd records; the rest is read once they are done. pass_outcomes_sync() hands
 *	the committed position to the plugin after a start or a reload
 *	("MTA:outcomes" in positions.db), or first commits the plugin's own
 *	(its pre-upgrade position file, or the end of the log).
 * DIAGNOSTICS
 *	A store failure loses nothing but time: the message stays
 *	ATTEMPTING and its outcomes are read again at the next pass.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/fault.h"
#include "util/log.h"
#include "pass/pass_int.h"
#include "suppress/suppress.h"
#include "pass/pass_suppress.h"

struct outcome_batch {
	const struct mta_outcome **o;	     /* sorted by queue id */
	size_t *start, *end;		     /* per id: range in o */
	char (*dns)[LIMIT_EVIDENCE_DNS + 1]; /* per id: verification summary */
	unsigned char *ok, *rehold, *done;
	unsigned char *settled;	      /* per id: handed back (suppressed) */
	unsigned char *counts;	      /* per outcome (index in o): the
					     * evidence counts for suppression */
	unsigned char *stale;	      /* per outcome: logged before our
					     * attempt, not its outcome */
	const struct pass_listing *l; /* the pass's listing, or NULL */
	int64_t now;
};

static enum store_outcome outcome_map(enum mta_outcome_status s)
{
	switch (s) {
	case MTA_OUTCOME_DELIVERED:
		return STORE_OUTCOME_DELIVERED;
	case MTA_OUTCOME_BOUNCED:
		return STORE_OUTCOME_BOUNCED;
	default:
		return STORE_OUTCOME_DEFERRED;
	}
}

static const char *outcome_status_name(enum mta_outcome_status s)
{
	return s == MTA_OUTCOME_DELIVERED ? "delivered"
	       : s == MTA_OUTCOME_BOUNCED ? "bounced"
					  : "deferred";
}

/* Would @param ev count for suppression? Only then can a decision change. */
static int outcome_counts(const struct pass_ctx *ctx,
			  const struct store_evidence *ev)
{
	struct suppress_criteria c;
	struct suppress_decision d;
	enum suppress_mark mark = SUPPRESS_NOT_FAILURE;

	suppress_criteria_from_policy(ctx->policy, &c);
	suppress_decide(&c, ev, 1, &mark, &d);
	return mark == SUPPRESS_COUNTED;
}

static int outcome_apply(struct pass_ctx *ctx, struct store_txn *txn,
			 struct store_message *m, size_t i, void *arg,
			 char *err, size_t errlen)
{
	struct outcome_batch *b = arg;
	int deferred = 0, pending = 0;
	size_t ndel = 0, nbounce = 0;

	b->ok[i] = b->rehold[i] = b->done[i] = b->settled[i] = 0;
	if (m->state != STORE_MSG_ATTEMPTING &&
	    m->state != STORE_MSG_RELEASE_INTENT)
		return 0;
	for (size_t k = b->start[i]; k < b->end[i]; k++) {
		const struct mta_outcome *o = b->o[k];
		struct classify_result cr;
		struct store_evidence ev;
		struct store_rcpt *r = NULL;

		/* The MTA's own tries before we adopted it (read from the log
		 * only now) are no outcome of our attempt: not evidence. */
		b->stale[k] = o->time > 0 && o->time < m->last_attempt;
		if (b->stale[k])
			continue;
		cr = classify_text(ctx->classifier, o->text,
				   strnlen(o->text, LIMIT_REASON));
		for (size_t j = 0; j < m->nrcpts && r == NULL; j++)
			if (strcasecmp(m->rcpts[j].address, o->address) == 0)
				r = &m->rcpts[j];
		store_evidence_fill(
		    &ev,
		    &(struct store_evidence_src){
			.address = o->address,
			.time = o->time > 0 ? o->time : b->now,
			.queue_id = m->queue_id,
			.host_id = ctx->policy->host_id,
			.verdict = m->last_verdict[0] ? m->last_verdict : "-",
			.outcome = outcome_map(o->status),
			.dsn = o->dsn[0] ? o->dsn : cr.status,
			.category = o->status != MTA_OUTCOME_DELIVERED
					? classify_category_name(cr.category)
					: NULL,
			.dns = b->dns[i]},
		    "%s", o->text);
		if (store_add_evidence(ctx->store, txn, &ev, err, errlen) !=
		    STORE_OK)
			return -1;
		b->counts[k] = outcome_counts(ctx, &ev);
		if (r == NULL)
			continue;
		snprintf(r->dsn, sizeof(r->dsn), "%s", ev.dsn);
		snprintf(r->reason, sizeof(r->reason), "%s", o->text);
		if (o->status == MTA_OUTCOME_DELIVERED)
			r->state = STORE_RCPT_DELIVERED;
		else if (o->status == MTA_OUTCOME_BOUNCED)
			r->state = STORE_RCPT_BOUNCED;
	}
	for (size_t j = 0; j < m->nrcpts; j++) {
		pending += m->rcpts[j].state == STORE_RCPT_PENDING;
		ndel += m->rcpts[j].state == STORE_RCPT_DELIVERED;
		nbounce += m->rcpts[j].state == STORE_RCPT_BOUNCED;
	}
	for (size_t k = b->start[i]; k < b->end[i]; k++)
		if (!b->stale[k] && b->o[k]->status == MTA_OUTCOME_DEFERRED)
			deferred = 1;
	b->ok[i] = 1;
	if (pending == 0 && pass_suppress_ready(m)) {
		pass_suppress_intent(ctx,
				     m); /* the MTA still has it for them */
		b->settled[i] = 1;
	} else if (pending == 0) {
		m->state = STORE_MSG_DONE;
		m->next_attempt = 0;
		snprintf(m->last_reason, sizeof(m->last_reason),
			 "done: %zu delivered, %zu bounced by the MTA", ndel,
			 nbounce);
		b->done[i] = 1;
	} else if (deferred) {
		b->rehold[i] = 1; /* back in the MTA's deferred queue */
	}
	return 1;
}

static int outcome_cmp(const void *a, const void *b)
{
	const struct mta_outcome *const *x = a, *const *y = b;
	int c = strcmp((*x)->queue_id, (*y)->queue_id);

	if (c)
		return c;
	if ((*x)->time != (*y)->time)
		return (*x)->time < (*y)->time ? -1 : 1;
	return *x < *y ? -1 : *x > *y;
}

static void outcome_log(const struct outcome_batch *b, size_t i,
			const char *verdict, const char *domain)
{
	for (size_t k = b->start[i]; k < b->end[i]; k++) {
		const struct mta_outcome *o = b->o[k];
		char text[121];

		if (b->stale[k])
			continue;
		pass_log_rcpt(o->queue_id, o->address, domain, verdict,
			      "attempt", "status=%s, dsn=%s, text=%.120s",
			      outcome_status_name(o->status),
			      o->dsn[0] ? o->dsn : "-",
			      log_printable(text, sizeof(text), o->text));
	}
}

/*
 * Suppression over the evidence just committed: the distinct addresses
 * with a failure in this chunk that counts (only a counted failure can
 * change a decision; routing, DNS, rate-limit never count), then the
 * hand-back of messages left with suppressed recipients only (decided
 * in outcome_apply, or now).
 */
static int outcome_addr_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static void outcome_suppress(struct pass_ctx *ctx, struct outcome_batch *b,
			     const char **ids, size_t n, int64_t now)
{
	const char **addrs, **back;
	unsigned char *settled;
	size_t na = 0, nb = 0, total = 0, *map;
	int intents = 0;

	for (size_t i = 0; i < n; i++) {
		intents |= b->settled[i];
		total += b->ok[i] ? b->end[i] - b->start[i] : 0;
	}
	if (total == 0 && !intents)
		return;
	addrs = calloc(total + 1, sizeof(*addrs));
	settled = calloc(n + 1, 1);
	back = calloc(n + 1, sizeof(*back));
	map = calloc(n + 1, sizeof(*map));
	if (addrs == NULL || settled == NULL || back == NULL || map == NULL) {
		log_error("outcome: suppress: out of memory (decided at the "
			  "next failure)");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = b->start[i]; b->ok[i] && k < b->end[i]; k++)
			if (b->counts[k] && b->o[k]->address[0] != '\0')
				addrs[na++] = b->o[k]->address;
	if (na > 1) { /* distinct addresses */
		size_t u = 1;

		qsort(addrs, na, sizeof(*addrs), outcome_addr_cmp);
		for (size_t j = 1; j < na; j++)
			if (strcasecmp(addrs[j], addrs[u - 1]) != 0)
				addrs[u++] = addrs[j];
		na = u;
	}
	/*
	 * Recipients are marked only in messages the MTA has back (deferred
	 * again: rehold) or that we already decided to hand back; one still
	 * waiting for other outcomes is marked when they come, or when due.
	 */
	for (size_t i = 0; i < n; i++)
		if (b->ok[i] && (b->rehold[i] || b->settled[i])) {
			settled[nb] = b->settled[i];
			map[nb] = i;
			back[nb++] = ids[i];
		}
	if (na || intents) {
		pass_suppress_outcomes(ctx, b->l, back, nb, addrs, na, now,
				       settled);
		for (size_t j = 0; j < nb; j++)
			b->settled[map[j]] |= settled[j];
	}
out:
	free(addrs);
	free(settled);
	free(back);
	free(map);
}

/* "MTA:outcomes": the name of the outcome position in the store. */
static void outcome_pos_name(const struct pass_ctx *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "%s:outcomes", ctx->policy->mta);
}

static int outcome_keeps_pos(const struct pass_ctx *ctx)
{
	return ctx->plugin->outcomes_tell != NULL &&
	       ctx->plugin->outcomes_seek != NULL;
}

/* pass_then_fn: the position @param arg (NULL: none) in the same txn. */
static int outcome_pos_put(struct pass_ctx *ctx, struct store_txn *txn,
			   void *arg, char *err, size_t errlen)
{
	const struct mta_pos *pos = arg;
	char name[STORE_POSITION_NAME_MAX + 1];

	if (pos == NULL)
		return STORE_OK;
	outcome_pos_name(ctx, name, sizeof(name));
	return store_put_position(ctx->store, txn, name, pos->data, pos->len,
				  err, errlen);
}

int pass_outcomes_sync(struct pass_ctx *ctx)
{
	struct mta_pos pos;
	char name[STORE_POSITION_NAME_MAX + 1], err[512];
	size_t len = 0;
	int rc;

	if (ctx->pos_synced || !outcome_keeps_pos(ctx))
		return 0;
	memset(&pos, 0, sizeof(pos));
	outcome_pos_name(ctx, name, sizeof(name));
	rc = store_get_position(ctx->store, NULL, name, pos.data,
				sizeof(pos.data), &len, err, sizeof(err));
	if (rc == STORE_OK) {
		pos.len = (uint32_t)len;
		if (ctx->plugin->outcomes_seek(ctx->plugin_state, &pos, err,
					       sizeof(err)) == 0) {
			ctx->pos = pos;
			ctx->pos_synced = 1;
			return 0;
		}
		log_warn("outcomes: %.400s: reading from where the plugin "
			 "started (outcomes before are settled by the listing)",
			 err);
	} else if (rc != STORE_NOTFOUND) {
		log_error("outcomes: %.400s (outcomes wait for the next pass)",
			  err);
		return -1;
	}
	if (ctx->plugin->outcomes_tell(ctx->plugin_state, &pos, err,
				       sizeof(err)) < 0) {
		log_error("outcomes: %.400s (outcomes wait for the next pass)",
			  err);
		return -1;
	}
	if (pass_update_then(ctx, NULL, 0, NULL, NULL, outcome_pos_put, &pos,
			     "outcomes: record the log position") != STORE_OK)
		return -1;
	if (ctx->plugin->outcomes_seek(ctx->plugin_state, &pos, err,
				       sizeof(err)) < 0) {
		log_error("outcomes: %.400s (outcomes wait for the next pass)",
			  err);
		return -1;
	}
	log_info("outcomes: the %s log position is kept in the store",
		 ctx->policy->mta);
	ctx->pos = pos;
	ctx->pos_synced = 1;
	return 0;
}

/*
 * Apply the outcomes of @param n distinct ids (ranges in b), with the
 * position @param pos (NULL: none) in the same transaction.
 * @return STORE_OK when that transaction committed.
 */
static int outcome_chunk(struct pass_ctx *ctx, struct outcome_batch *b,
			 const char **ids, size_t n, const struct mta_pos *pos,
			 int64_t now)
{
	const char *rehold[LIMIT_PASS_BATCH];
	size_t nr = 0;
	char doms[LIMIT_PASS_BATCH][LIMIT_DOMAIN + 1];
	char verdicts[LIMIT_PASS_BATCH][LIMIT_VERDICT + 1];

	for (size_t i = 0; i < n; i++) {
		struct store_message *m = NULL;
		char err[256];

		b->dns[i][0] = doms[i][0] = '\0';
		snprintf(verdicts[i], sizeof(verdicts[i]), "-");
		if (store_get_message(ctx->store, NULL, ctx->policy->mta,
				      ids[i], &m, err, sizeof(err)) != STORE_OK)
			continue;
		snprintf(doms[i], sizeof(doms[i]), "%s", m->domain);
		snprintf(verdicts[i], sizeof(verdicts[i]), "%s",
			 m->last_verdict[0] ? m->last_verdict : "-");
		if (i > 0 && strcmp(doms[i], doms[i - 1]) == 0 &&
		    b->dns[i - 1][0])
			memcpy(b->dns[i], b->dns[i - 1], sizeof(b->dns[i]));
		else
			pass_verify_summary(ctx, m->domain, m->last_attempt,
					    b->dns[i], sizeof(b->dns[i]));
		store_message_free(m);
	}
	if (pass_update_then(ctx, ids, n, outcome_apply, b, outcome_pos_put,
			     (void *)pos, "outcome: record") != STORE_OK)
		return STORE_ERROR;
	for (size_t i = 0; i < n; i++) {
		if (!b->ok[i])
			continue;
		outcome_log(b, i, verdicts[i], doms[i]);
		for (size_t k = b->start[i]; k < b->end[i]; k++) {
			enum mta_outcome_status st = b->o[k]->status;
			if (b->stale[k])
				continue;
			ctx->stats.delivered += st == MTA_OUTCOME_DELIVERED;
			ctx->stats.bounced += st == MTA_OUTCOME_BOUNCED;
			ctx->stats.deferred += st == MTA_OUTCOME_DEFERRED;
		}
	}
	outcome_suppress(ctx, b, ids, n, now); /* after the outcome lines */
	for (size_t i = 0; i < n; i++)
		if (b->ok[i] && b->rehold[i] && !b->settled[i])
			rehold[nr++] = ids[i];
	if (nr)
		pass_rehold(ctx, rehold, nr, now);
	return STORE_OK;
}

long pass_outcomes(struct pass_ctx *ctx, const struct pass_idset *ids,
		   int64_t now)
{
	return pass_outcomes_listed(ctx, ids, NULL, now);
}

_Static_assert(LIMIT_OUTCOMES_PER_CALL <= LIMIT_PASS_BATCH,
	       "one call's outcomes commit in one transaction");

static int outcome_batch_alloc(struct outcome_batch *b, size_t nout)
{
	b->start = calloc(LIMIT_PASS_BATCH, sizeof(size_t));
	b->end = calloc(LIMIT_PASS_BATCH, sizeof(size_t));
	b->dns = calloc(LIMIT_PASS_BATCH, sizeof(*b->dns));
	b->ok = calloc(LIMIT_PASS_BATCH, 1);
	b->rehold = calloc(LIMIT_PASS_BATCH, 1);
	b->done = calloc(LIMIT_PASS_BATCH, 1);
	b->settled = calloc(LIMIT_PASS_BATCH, 1);
	b->counts = calloc(nout + 1, 1);
	b->stale = calloc(nout + 1, 1);
	b->o = calloc(nout + 1, sizeof(*b->o));
	return b->start && b->end && b->dns && b->ok && b->rehold && b->done &&
		       b->settled && b->counts && b->stale && b->o
		   ? 0
		   : -1;
}

static void outcome_batch_free(struct outcome_batch *b)
{
	free(b->o);
	free(b->start);
	free(b->end);
	free(b->dns);
	free(b->ok);
	free(b->rehold);
	free(b->done);
	free(b->settled);
	free(b->counts);
	free(b->stale);
}

/*
 * Record the outcomes of one call (@param out) for the ids of @param ids,
 * with its position when the plugin has one. *@param finished counts the
 * ids settled. @return 0 when it committed (or there was nothing to
 * commit), -1 when not: the caller reads the same lines again.
 */
static int outcome_apply_call(struct pass_ctx *ctx,
			      const struct pass_idset *ids,
			      const struct pass_listing *l,
			      const struct mta_outcomes *out, int64_t now,
			      size_t *finished)
{
	struct outcome_batch b = {.now = now, .l = l};
	const char *chunk[LIMIT_PASS_BATCH];
	const struct mta_pos *pos = NULL;
	size_t nchunk = 0;
	int rc = 0;

	if (outcome_keeps_pos(ctx) &&
	    (out->pos.len != ctx->pos.len ||
	     memcmp(out->pos.data, ctx->pos.data, out->pos.len) != 0))
		pos = &out->pos;
	if (outcome_batch_alloc(&b, out->n) < 0) {
		log_error("outcomes: out of memory (read again next pass)");
		outcome_batch_free(&b);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++)
		b.o[i] = &out->items[i];
	if (out->n > 1)
		qsort(b.o, out->n, sizeof(*b.o), outcome_cmp);
	for (size_t k = 0; k < out->n;) {
		size_t e = k;

		while (e < out->n &&
		       strcmp(b.o[e]->queue_id, b.o[k]->queue_id) == 0)
			e++;
		if (pass_idset_has(ids, b.o[k]->queue_id)) {
			chunk[nchunk] = b.o[k]->queue_id;
			b.start[nchunk] = k;
			b.end[nchunk] = e;
			nchunk++;
		}
		k = e;
		if (nchunk == LIMIT_PASS_BATCH || (k == out->n && nchunk)) {
			/* the position goes with the last chunk */
			if (outcome_chunk(ctx, &b, chunk, nchunk,
					  k == out->n ? pos : NULL,
					  now) != STORE_OK) {
				rc = -1;
				break;
			}
			if (k == out->n)
				pos = NULL; /* committed */
			for (size_t i = 0; i < nchunk; i++)
				*finished +=
				    b.done[i] || b.rehold[i] || b.settled[i];
			nchunk = 0;
		}
	}
	/* Nothing of ours in these lines: the position alone. */
	if (rc == 0 && pos != NULL &&
	    pass_update_then(ctx, NULL, 0, NULL, NULL, outcome_pos_put,
			     (void *)pos,
			     "outcomes: record the log position") != STORE_OK)
		rc = -1;
	outcome_batch_free(&b);
	return rc;
}

long pass_outcomes_listed(struct pass_ctx *ctx, const struct pass_idset *ids,
			  const struct pass_listing *l, int64_t now)
{
	const char **want;
	size_t finished = 0;
	char err[512];
	int more = 1;
	/* while a cap keeps the passes releasing: a bounded share */
	int max_calls = ctx->releasing || ctx->stats.capped
			    ? PASS_OUTCOME_CALLS_RELEASING
			    : LIMIT_OUTCOMES_CALLS;

	if (ids->n == 0)
		return 0;
	if (pass_outcomes_sync(ctx) < 0)
		return (long)ids->n;
	if ((want = pass_idset_ptrs(ids)) == NULL)
		return -1;
	for (int calls = 0; more && calls < max_calls; calls++) {
		struct mta_outcomes out;
		size_t settled_before = finished;

		memset(&out, 0, sizeof(out));
		if (ctx->plugin->outcomes(ctx->plugin_state, want, ids->n, &out,
					  err, sizeof(err)) < 0) {
			log_warn("outcomes: %.400s (tried again next pass)",
				 err);
			break;
		}
		if (out.n > 0)
			FAULT_POINT("outcomes-read"); /* read, not committed */
		more = out.more;
		if (outcome_apply_call(ctx, ids, l, &out, now, &finished) ==
		    0) {
			if (outcome_keeps_pos(ctx))
				ctx->pos = out.pos;
			/* committed (one settled at least), not read on */
			if (finished > settled_before)
				FAULT_POINT("outcomes-committed");
		} else {
			more = 0;
			if (outcome_keeps_pos(ctx) &&
			    ctx->plugin->outcomes_seek(ctx->plugin_state,
						       &ctx->pos, err,
						       sizeof(err)) < 0) {
				log_error("outcomes: %.400s", err);
				ctx->pos_synced = 0; /* from the store, next */
			}
		}
		ctx->plugin->outcomes_free(&out);
	}
	free(want);
	if (finished > 0) /* outcomes arrive: the others wait for theirs */
		ctx->last_outcome = now;
	return (long)(ids->n > finished ? ids->n - finished : 0);
}

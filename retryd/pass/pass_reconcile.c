/*
 * NAME
 *	reconcile 3
 * SUMMARY
 *	bring the store in line with the MTA's real queue, every pass
 * DESCRIPTION
 *	pass_reconcile() walks the live (not done) ids once, from the state
 *	index (store_walk_live_ids: O(live), index pages only, however many
 *	done messages the store keeps), looks each one up in the listing
 *	just made and decides with pass_reconcile_decide() (pure). The index gives
 *	the state; only ATTEMPTING and GIVEBACK_INTENT records are fetched by
 *	key (their last_attempt and decision). The clamp below reads the due
 *	index alone (store_walk_due_ids). The decisions:
 *	  - ADOPT_INTENT (crash between intent and hold): held -> HELD;
 *	    deferred, not held -> hold again; absent from two consecutive
 *	    complete listings -> rolled back (done, "gone").
 *	  - HELD but listed deferred and not held (someone released it, or a
 *	    hold did not take) -> hold again.
 *	  - RELEASE_INTENT (crash around deliver): still held -> HELD, due
 *	    now; otherwise -> ATTEMPTING (outcome or listing decides).
 *	  - ATTEMPTING with no outcome after PASS_OUTCOME_WAIT_INTERVALS scan
 *	    intervals while no outcome of any message arrived in that time (at
 *	    least RECONCILE_OUTCOME_ARRIVING)
 *	    (or after RECONCILE_OUTCOME_WAIT_MAX): held -> HELD rescheduled;
 *	    deferred, not held -> hold again.
 *	  - GIVEBACK_INTENT: the decision is committed; replayed when the id
 *	    is in a complete listing (Promise 1).
 *	  - any live record absent from TWO consecutive complete listings ->
 *	    done ("gone"), logged. A partial listing never concludes absence.
 *	It also clamps next attempts further than now + the largest tier
 *	interval (a wall clock that jumped back) and logs, once per id,
 *	held messages unknown to the store: not held by us, left alone.
 *	After a discovery (incremental pass, l->incremental) only records
 *	not HELD are walked, each discovered id is looked up by key (known;
 *	HELD and deferred again -> hold again), the clamp waits for a full
 *	listing, and a record whose decision needs the listing sets
 *	ctx->want_reconcile (pass_scan.c: the next listing the cost bound
 *	allows, not necessarily the next pass). A complete listing with
 *	live ids missing asks for the confirming listing the same way.
 *	Outcomes of the messages being attempted are applied between the
 *	census and the settling, so evidence is never lost to a re-hold.
 *
 *	Owns: the census lists for the length of the call; ctx->missing_prev
 *	and ctx->foreign_prev between passes.
 * DIAGNOSTICS
 *	Store errors are logged by pass_update() and only delay.
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"
#include "pass/pass_reconcile.h"

enum reconcile_action pass_reconcile_decide(const struct reconcile_input *in)
{
	int absent = !in->listed;

	if (in->state == STORE_MSG_DONE)
		return RECONCILE_NONE;
	if (absent && in->complete && in->missing_before)
		return RECONCILE_GONE;
	switch (in->state) {
	case STORE_MSG_ADOPT_INTENT:
		if (in->listed && in->held)
			return RECONCILE_MARK_HELD;
		if (in->listed && in->deferred && !in->nospace)
			return RECONCILE_REHOLD;
		return RECONCILE_NONE;
	case STORE_MSG_HELD:
		if (in->listed && !in->held && in->deferred && !in->nospace)
			return RECONCILE_REHOLD;
		return RECONCILE_NONE;
	case STORE_MSG_RELEASE_INTENT:
		if (in->listed && in->held)
			return RECONCILE_MARK_DUE;
		return RECONCILE_TO_ATTEMPTING;
	case STORE_MSG_ATTEMPTING:
		if (!pass_reconcile_overdue(in))
			return RECONCILE_NONE;
		if (in->listed && in->held)
			return RECONCILE_MARK_HELD;
		if (in->listed && in->deferred && !in->nospace)
			return RECONCILE_REHOLD;
		return RECONCILE_NONE;
	case STORE_MSG_GIVEBACK_INTENT:
		if (in->listed && in->complete)
			return RECONCILE_GIVEBACK;
		return RECONCILE_NONE;
	default:
		return RECONCILE_NONE;
	}
}

int pass_reconcile_overdue(const struct reconcile_input *in)
{
	int64_t age = in->now - in->last_attempt;
	int64_t arriving = in->outcome_wait > RECONCILE_OUTCOME_ARRIVING
			       ? in->outcome_wait
			       : RECONCILE_OUTCOME_ARRIVING;

	if (age < in->outcome_wait)
		return 0;
	if (age >= RECONCILE_OUTCOME_WAIT_MAX)
		return 1;
	return in->last_outcome == 0 || in->now - in->last_outcome >= arriving;
}

/*
 * In a pass with only discovered messages (no full listing), a record
 * whose decision needs the listing asks for one: an adoption or
 * hand-back not settled, an attempt with no outcome past the wait while
 * no outcome arrives (pass_scan.c makes it when the cost bound allows).
 */
int pass_reconcile_wants_listing(const struct reconcile_input *in)
{
	if (pass_reconcile_decide(in) != RECONCILE_NONE)
		return 0;
	return in->state == STORE_MSG_ADOPT_INTENT ||
	       in->state == STORE_MSG_GIVEBACK_INTENT ||
	       (in->state == STORE_MSG_ATTEMPTING &&
		pass_reconcile_overdue(in));
}

struct census {
	struct pass_ctx *ctx;
	struct pass_listing *l;
	int64_t now, clamp_to, wait;
	struct pass_idset *attempting;
	struct pass_idset missing, gone, held, due, rehold, toattempt, clamp;
	struct pass_idset giveback[3]; /* by enum mta_giveback */
	size_t live;
};

static void census_add(struct pass_idset *s, const char *id)
{
	if (s->n < LIMIT_PASS_ACTIONS)
		pass_idset_add(s, id); /* full: the rest waits for next pass */
}

/*
 * The record of a live id, when the decision needs more than its state
 * and the listing (ATTEMPTING: last_attempt; GIVEBACK_INTENT: how).
 * @return 1 fetched, 0 gone or done meanwhile, -1 unreadable (logged,
 * rate-limited: the id is left as it is, which only delays).
 */
static int census_fetch(struct census *c, const char *id,
			struct store_message **m)
{
	char err[512], qid[LIMIT_QUEUE_ID + 1];
	int rc = store_get_message(c->ctx->store, NULL, c->ctx->policy->mta, id,
				   m, err, sizeof(err));

	if (rc == STORE_OK && (*m)->state != STORE_MSG_DONE)
		return 1;
	store_message_free(*m);
	*m = NULL;
	if (rc == STORE_OK || rc == STORE_NOTFOUND)
		return 0;
	log_warn_limited("reconcile-fetch", 300, "reconcile: %s: %.400s",
			 log_printable(qid, sizeof(qid), id), err);
	return -1;
}

/*
 * Discovered messages (incremental pass): the census walked no HELD
 * record, so each discovered id is looked up by key: a live record makes
 * it known, and a HELD one deferred again (released behind our back) is
 * held again. O(discovered), not O(held).
 */
static void census_discovered(struct census *c)
{
	for (size_t i = 0; i < c->l->n; i++) {
		struct pass_lentry *e = &c->l->e[i];
		struct store_message *m = NULL;
		int r;

		if (e->known)
			continue;
		r = census_fetch(c, pass_lentry_id(c->l, e), &m);
		if (r != 0)
			e->known = 1; /* ours (or unreadable): never adopted */
		if (r > 0 && m->state == STORE_MSG_HELD && e->deferred &&
		    !e->held && !e->domheld && !c->ctx->nospace)
			census_add(&c->rehold, pass_lentry_id(c->l, e));
		store_message_free(m);
	}
}

/* One live id of the state index (store_walk_live_ids). */
static int census_one(enum store_msg_state state, int64_t finished,
		      const char *mta, const char *queue_id, void *arg)
{
	struct census *c = arg;
	struct store_message *m = NULL;
	struct pass_lentry *e;
	struct reconcile_input in;
	enum mta_giveback how = MTA_GIVEBACK_EXPIRE;

	(void)finished;
	if (strcmp(mta, c->ctx->policy->mta) != 0)
		return 0; /* another MTA's record: not in this listing */
	e = pass_listing_find(c->l, queue_id);
	if (state == STORE_MSG_ATTEMPTING ||
	    state == STORE_MSG_GIVEBACK_INTENT) {
		int r = census_fetch(c, queue_id, &m);

		if (r < 0 && e)
			e->known = 1; /* ours, unreadable: never adopted over */
		if (r <= 0)
			return 0;
		state = m->state;
	}
	c->live++;
	if (e)
		e->known = 1;
	memset(&in, 0, sizeof(in));
	in.state = state;
	in.listed = e != NULL;
	in.held = e && (e->held || e->domheld); /* frozen or domain held */
	in.deferred = e && e->deferred;
	in.complete = c->l->complete;
	in.missing_before = pass_idset_has(&c->ctx->missing_prev, queue_id);
	in.nospace = c->ctx->nospace;
	in.now = c->now;
	in.last_attempt = m ? m->last_attempt : 0;
	in.outcome_wait = c->wait;
	in.last_outcome = c->ctx->last_outcome;
	if (m && state == STORE_MSG_GIVEBACK_INTENT &&
	    pass_giveback_parse(m->last_reason, &how) < 0)
		how = MTA_GIVEBACK_EXPIRE;
	store_message_free(m);

	if (!e && c->l->complete)
		pass_idset_add(&c->missing, queue_id);
	if (state == STORE_MSG_ATTEMPTING || state == STORE_MSG_RELEASE_INTENT)
		pass_idset_add(c->attempting, queue_id);

	if (c->l->incremental && pass_reconcile_wants_listing(&in))
		c->ctx->want_reconcile = 1;
	switch (pass_reconcile_decide(&in)) {
	case RECONCILE_GONE:
		census_add(&c->gone, queue_id);
		break;
	case RECONCILE_MARK_HELD:
		census_add(&c->held, queue_id);
		break;
	case RECONCILE_MARK_DUE:
		census_add(&c->due, queue_id);
		break;
	case RECONCILE_REHOLD:
		census_add(&c->rehold, queue_id);
		break;
	case RECONCILE_TO_ATTEMPTING:
		census_add(&c->toattempt, queue_id);
		break;
	case RECONCILE_GIVEBACK:
		census_add(&c->giveback[how], queue_id);
		break;
	case RECONCILE_NONE:
		break;
	}
	return 0;
}

/* Held messages scheduled further than clamp_to (the due index only). */
static int census_clamp_one(int64_t next_attempt, const char *mta,
			    const char *queue_id, void *arg)
{
	struct census *c = arg;

	if (next_attempt > c->clamp_to && strcmp(mta, c->ctx->policy->mta) == 0)
		census_add(&c->clamp, queue_id);
	return 0;
}

struct settle_arg {
	int64_t now, clamp_to;
	int due_now;
};

static int settle_gone(struct pass_ctx *ctx, struct store_txn *txn,
		       struct store_message *m, size_t i, void *arg, char *err,
		       size_t errlen)
{
	char qid[LIMIT_QUEUE_ID + 1];

	if (m->state == STORE_MSG_DONE)
		return 0;
	log_info("%s: gone from the MTA queue (absent from two complete "
		 "listings) while %s: marked done",
		 log_printable(qid, sizeof(qid), m->queue_id),
		 store_msg_state_name(m->state));
	snprintf(m->last_reason, sizeof(m->last_reason),
		 PASS_REASON_GONE " absent from two complete listings while %s",
		 store_msg_state_name(m->state));
	m->state = STORE_MSG_DONE;
	m->next_attempt = 0;
	return 1;
}

static int settle_held(struct pass_ctx *ctx, struct store_txn *txn,
		       struct store_message *m, size_t i, void *arg, char *err,
		       size_t errlen)
{
	struct settle_arg *a = arg;
	struct backoff_decision d;

	if (m->state != STORE_MSG_ADOPT_INTENT &&
	    m->state != STORE_MSG_ATTEMPTING &&
	    m->state != STORE_MSG_RELEASE_INTENT)
		return 0;
	d = backoff_next(pass_backoff(ctx, m->group), m->first_failure, a->now,
			 pass_random32(ctx));
	m->state = STORE_MSG_HELD;
	m->next_attempt = a->due_now ? a->now : d.next_attempt;
	return 1;
}

static int settle_attempting(struct pass_ctx *ctx, struct store_txn *txn,
			     struct store_message *m, size_t i, void *arg,
			     char *err, size_t errlen)
{
	struct settle_arg *a = arg;

	if (m->state != STORE_MSG_RELEASE_INTENT)
		return 0;
	m->state = STORE_MSG_ATTEMPTING;
	m->next_attempt = 0;
	if (m->last_attempt == 0)
		m->last_attempt = a->now;
	return 1;
}

static int settle_clamp(struct pass_ctx *ctx, struct store_txn *txn,
			struct store_message *m, size_t i, void *arg, char *err,
			size_t errlen)
{
	struct settle_arg *a = arg;

	if (m->state != STORE_MSG_HELD || m->next_attempt <= a->clamp_to)
		return 0;
	m->next_attempt = a->clamp_to;
	return 1;
}

static int apply(struct pass_ctx *ctx, const struct pass_idset *s,
		 pass_update_fn fn, struct settle_arg *a, const char *what)
{
	const char **ids;
	int rc = STORE_OK;

	if (s->n == 0)
		return STORE_OK;
	if ((ids = pass_idset_ptrs(s)) == NULL)
		return STORE_ERROR;
	for (size_t off = 0; off < s->n && rc == STORE_OK;
	     off += LIMIT_PASS_BATCH) {
		size_t k = s->n - off < LIMIT_PASS_BATCH ? s->n - off
							 : LIMIT_PASS_BATCH;
		rc = pass_update(ctx, ids + off, k, fn, a, what);
	}
	free(ids);
	return rc;
}

static void census_foreign(struct pass_ctx *ctx, struct pass_listing *l)
{
	struct pass_idset now = {0};
	char qid[LIMIT_QUEUE_ID + 1];

	for (size_t i = 0; i < l->n; i++) {
		if (!l->e[i].held || l->e[i].known)
			continue;
		if (!pass_idset_has(&ctx->foreign_prev,
				    pass_lentry_id(l, &l->e[i])))
			log_info(
			    "%s: held in the MTA but not by retryd: left alone",
			    log_printable(qid, sizeof(qid),
					  pass_lentry_id(l, &l->e[i])));
		pass_idset_add(&now, pass_lentry_id(l, &l->e[i]));
	}
	pass_idset_sort(&now);
	pass_idset_free(&ctx->foreign_prev);
	ctx->foreign_prev = now;
}

int pass_reconcile(struct pass_ctx *ctx, struct pass_listing *l, int64_t now,
		   struct pass_idset *attempting)
{
	struct census c;
	struct settle_arg a;
	char err[512];
	int rc;

	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.l = l;
	c.now = now;
	c.clamp_to = now + pass_max_interval(ctx->policy);
	c.wait = PASS_OUTCOME_WAIT_INTERVALS * ctx->policy->scan_interval;
	c.attempting = attempting;
	/* Incremental: the HELD records (nearly all) are not walked, and the
	 * clamp (a walk of the due index) waits for the next full listing. */
	rc = store_walk_live_ids(ctx->store,
				 l->incremental
				     ? STORE_STATES_LIVE &
					   ~STORE_STATE_BIT(STORE_MSG_HELD)
				     : STORE_STATES_LIVE,
				 census_one, &c, err, sizeof(err));
	if (rc == STORE_OK && !l->incremental)
		rc = store_walk_due_ids(ctx->store, INT64_MAX, 0,
					census_clamp_one, &c, err, sizeof(err));
	if (rc != STORE_OK) {
		log_error("reconcile: %.400s", err);
		rc = -1;
		goto out;
	}
	if (l->incremental)
		census_discovered(&c);
	else if (l->ok)
		census_foreign(ctx, l);
	if (l->complete) {
		if (c.missing.n) /* confirm absence (outcomes come first) */
			ctx->want_reconcile = 1;
		pass_idset_sort(&c.missing);
		pass_idset_free(&ctx->missing_prev);
		ctx->missing_prev = c.missing;
		memset(&c.missing, 0, sizeof(c.missing));
	}
	/* Outcomes before settling: evidence first, the listing second. */
	pass_idset_sort(attempting);
	pass_outcomes_listed(ctx, attempting, l, now);
	a = (struct settle_arg){.now = now, .clamp_to = c.clamp_to};
	apply(ctx, &c.gone, settle_gone, &a, "reconcile: mark gone");
	ctx->stats.gone += c.gone.n;
	apply(ctx, &c.held, settle_held, &a, "reconcile: settle held");
	a.due_now = 1;
	apply(ctx, &c.due, settle_held, &a,
	      "reconcile: release intent, still held");
	a.due_now = 0;
	apply(ctx, &c.toattempt, settle_attempting, &a,
	      "reconcile: release intent");
	if (c.clamp.n)
		log_warn(
		    "reconcile: %zu next attempts lay further than the largest "
		    "interval (wall clock jumped?): clamped",
		    c.clamp.n);
	apply(ctx, &c.clamp, settle_clamp, &a, "reconcile: clamp");
	if (c.rehold.n && !ctx->nospace) {
		const char **ids = pass_idset_ptrs(&c.rehold);
		if (ids)
			pass_rehold(ctx, ids, c.rehold.n, now);
		free(ids);
	}
	for (int how = 0; how < 3 && l->complete; how++) {
		const char **ids;
		if (c.giveback[how].n == 0 ||
		    (ids = pass_idset_ptrs(&c.giveback[how])) == NULL)
			continue;
		pass_giveback(ctx, ids, c.giveback[how].n,
			      (enum mta_giveback)how, "-", "",
			      "replayed after restart", now);
		free(ids);
	}
	rc = 0;
out:
	pass_idset_free(&c.missing);
	pass_idset_free(&c.gone);
	pass_idset_free(&c.held);
	pass_idset_free(&c.due);
	pass_idset_free(&c.rehold);
	pass_idset_free(&c.toattempt);
	pass_idset_free(&c.clamp);
	for (int i = 0; i < 3; i++)
		pass_idset_free(&c.giveback[i]);
	return rc;
}

/*
 * NAME
 *	adopt 3
 * SUMMARY
 *	take routing-deferred messages from the MTA: intent, hold, HELD
 * DESCRIPTION
 *	pass_adopt_eligible() (pure) says whether a listed message is ours to
 *	take: deferred, not held, at most LIMIT_RCPTS_PER_MESSAGE recipients,
 *	and at least one recipient whose delay reason the classifier calls
 *	"routing" — or "null-mx" when the recipient's domain is in a policy
 *	group (by name). The message's domain is the first such recipient's.
 *	A recipient whose domain is not strict LDH (lower-cased, no trailing
 *	dot; pass_address_domain) never makes a message ours: it stays with
 *	the MTA, is never verified and never reaches a hook.
 *
 *	pass_adopt() takes at most LIMIT_PASS_ADOPT messages a pass: the
 *	listing's candidates, then the adoption backlog (pass_backlog.c:
 *	what a listing told beyond the candidates it keeps, and what a
 *	capped adoption did not reach, kept on disk), so a queue of a
 *	million deferred messages is adopted pass after pass, each pass
 *	started at once, from ONE full listing. It writes ADOPT_INTENT
 *	records for a whole batch in ONE
 *	transaction, then holds the batch with ONE plugin call, then marks the
 *	batch HELD in one transaction and schedules each message with
 *	backoff_next(). first_failure is the message's arrival time (when it
 *	is sane: > 0 and not in the future; else now): the failure began at
 *	the first delivery attempt, the choice survives restarts without
 *	extra state, and give_up then never keeps mail longer than give_up
 *	after it arrived. A message already past give_up is left to the MTA.
 *	An id whose record says it was given back (or released by the
 *	operator) is never taken again.
 *
 *	A message with a recipient suppressed before is adopted like any
 *	other, then at once given to pass_suppress_known(): that recipient is
 *	never attempted, and a message with nothing else pending is handed
 *	back per on_suppress (decision committed first).
 *
 *	pass_rehold() holds messages again (deferred again after an attempt,
 *	or found released while we hold them), keeping first_failure.
 * DIAGNOSTICS
 *	A failed hold leaves ADOPT_INTENT records: reconcile settles them.
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"
#include "pass/pass_suppress.h"

int pass_adopt_eligible(const struct policy *p, const struct classifier *c,
			const struct mta_message *msg, char *domain,
			size_t domainlen)
{
	if (!msg->deferred || msg->held || msg->nrcpts == 0 ||
	    msg->nrcpts > LIMIT_RCPTS_PER_MESSAGE)
		return 0;
	for (size_t i = 0; i < msg->nrcpts; i++) {
		const struct mta_rcpt *r = &msg->rcpts[i];
		char dom[LIMIT_DOMAIN + 1];
		struct classify_result cr;

		if (r->reason[0] == '\0' ||
		    pass_address_domain(r->address, dom, sizeof(dom)) < 0)
			continue;
		cr = classify_text(c, r->reason,
				   strnlen(r->reason, LIMIT_REASON));
		if (cr.category == CLASSIFY_ROUTING ||
		    (cr.category == CLASSIFY_NULL_MX &&
		     policy_group_for(p, dom, NULL) != NULL)) {
			snprintf(domain, domainlen, "%s", dom);
			return 1;
		}
	}
	return 0;
}

/* One adoption batch: records built in memory, written twice. */
struct adopt_batch {
	struct store_message *m[LIMIT_PASS_BATCH];
	const char *ids[LIMIT_PASS_BATCH];
	const char *domains[LIMIT_PASS_BATCH]; /* m[i]->domain */
	int64_t next[LIMIT_PASS_BATCH];
	size_t n, rcpts;
};

static void adopt_batch_clear(struct adopt_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		store_message_free(b->m[i]);
	b->n = b->rcpts = 0;
}

static int adopt_write(struct pass_ctx *ctx, struct adopt_batch *b,
		       const char *what)
{
	char err[512] = "";

	for (int tries = 0; tries < LIMIT_STORE_DEADLOCK_TRIES; tries++) {
		struct store_txn *txn;
		int rc = STORE_OK;

		if (store_txn_begin(ctx->store, &txn, err, sizeof(err)) !=
		    STORE_OK) {
			log_error("%s: %.400s", what, err);
			return STORE_ERROR;
		}
		for (size_t i = 0; i < b->n && rc == STORE_OK; i++)
			rc = store_put_message(ctx->store, txn, b->m[i], err,
					       sizeof(err));
		rc = pass_commit(ctx, txn, rc, what, err);
		if (rc != STORE_RETRY)
			return rc;
	}
	return STORE_ERROR;
}

/* Intent (one txn) -> hold (one call) -> HELD (one txn). */
static int adopt_flush(struct pass_ctx *ctx, struct adopt_batch *b,
		       const struct pass_listing *l, int64_t now)
{
	char err[512];
	size_t done = 0;
	int rc;

	if (b->n == 0)
		return 0;
	if (pass_space_check(ctx) < 0)
		return 0; /* below the reserve: no-space mode, nothing held */
	if (pass_journal_hold(ctx, b->ids, b->n, now) < 0)
		return 0; /* not journaled: not held (no-space mode) */
	if (adopt_write(ctx, b, "adopt: intent") != STORE_OK)
		return -1;
	if (pass_domhold_hold_ids(ctx, b->ids, b->domains, b->n, &done, err,
				  sizeof(err)) < 0) {
		log_error("adopt: hold: %.400s (intents kept: reconcile "
			  "settles them)",
			  err);
		return -1;
	}
	if (done < b->n)
		log_warn("adopt: the MTA confirmed %zu of %zu holds; the next "
			 "listing settles the rest",
			 done, b->n);
	for (size_t i = 0; i < b->n; i++) {
		b->m[i]->state = STORE_MSG_HELD;
		b->m[i]->next_attempt = b->next[i];
	}
	rc = adopt_write(ctx, b, "adopt: held");
	if (rc != STORE_OK)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		const struct store_message *m = b->m[i];
		pass_watch_add(ctx, m->domain);
		for (size_t r = 0; r < m->nrcpts; r++)
			pass_log_rcpt(m->queue_id, m->rcpts[r].address,
				      m->domain, "none", "adopt",
				      "group=%s, age=%llds, next=+%llds",
				      m->group[0] ? m->group : "-",
				      (long long)(now - m->first_failure),
				      (long long)(m->next_attempt - now));
	}
	ctx->stats.adopted += b->n;
	/* recipients suppressed before: never attempted, handed back */
	pass_suppress_known(ctx, l, b->ids, b->n, now);
	return 0;
}

/* Was this id given back or released by the operator? Then not again. */
static int adopt_refused_before(struct pass_ctx *ctx, const char *id)
{
	struct store_message *old = NULL;
	char err[256];
	int refused = 0;

	if (store_get_message(ctx->store, NULL, ctx->policy->mta, id, &old, err,
			      sizeof(err)) != STORE_OK)
		return 0;
	if (old->state != STORE_MSG_DONE ||
	    strncmp(old->last_reason, PASS_REASON_GIVEBACK,
		    strlen(PASS_REASON_GIVEBACK)) == 0 ||
	    strncmp(old->last_reason, PASS_REASON_OPERATOR,
		    strlen(PASS_REASON_OPERATOR)) == 0)
		refused = 1;
	store_message_free(old);
	return refused;
}

static struct store_message *adopt_build(struct pass_ctx *ctx,
					 const struct mta_message *msg,
					 const char *domain, int64_t now,
					 int64_t *next)
{
	struct store_message *m = store_message_new(msg->nrcpts);
	struct store_domain d;
	const struct policy_group *g;
	struct backoff_decision bd;
	char err[256];

	if (m == NULL)
		return NULL;
	memset(&d, 0, sizeof(d));
	if (store_get_domain(ctx->store, NULL, domain, &d, err, sizeof(err)) !=
	    STORE_OK)
		d.last_mx[0] = '\0';
	g = policy_group_for(ctx->policy, domain,
			     d.last_mx[0] ? d.last_mx : NULL);
	snprintf(m->mta, sizeof(m->mta), "%s", ctx->policy->mta);
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", msg->queue_id);
	snprintf(m->sender, sizeof(m->sender), "%s", msg->sender);
	snprintf(m->domain, sizeof(m->domain), "%s", domain);
	snprintf(m->group, sizeof(m->group), "%s", g ? g->name : "");
	m->state = STORE_MSG_ADOPT_INTENT;
	m->arrival = msg->arrival;
	m->first_failure =
	    msg->arrival > 0 && msg->arrival <= now ? msg->arrival : now;
	m->adopted_at = now;
	m->next_attempt = 0;
	m->nrcpts = msg->nrcpts;
	for (size_t i = 0; i < msg->nrcpts; i++) {
		struct store_rcpt *r = &m->rcpts[i];
		struct classify_result cr;

		snprintf(r->address, sizeof(r->address), "%s",
			 msg->rcpts[i].address);
		snprintf(r->reason, sizeof(r->reason), "%s",
			 msg->rcpts[i].reason);
		r->state = STORE_RCPT_PENDING;
		cr = classify_text(ctx->classifier, r->reason,
				   strlen(r->reason));
		snprintf(r->dsn, sizeof(r->dsn), "%s", cr.status);
		if (m->last_reason[0] == '\0' &&
		    cr.category == CLASSIFY_ROUTING)
			snprintf(m->last_reason, sizeof(m->last_reason), "%s",
				 r->reason);
	}
	bd = backoff_next(policy_backoff_for(ctx->policy, g), m->first_failure,
			  now, pass_random32(ctx));
	if (bd.give_up) {
		log_debug("%s: past give_up already: left to the MTA",
			  m->queue_id);
		store_message_free(m);
		return NULL;
	}
	*next = bd.next_attempt;
	return m;
}

/* @param msg into the batch when it is eligible; a full batch is held.
 * @return 1 taken, 0 not, -1 the batch failed. */
static int adopt_take(struct pass_ctx *ctx, struct adopt_batch *b,
		      const struct mta_message *msg,
		      const struct pass_listing *l, int64_t now)
{
	char domain[LIMIT_DOMAIN + 1];
	struct store_message *m = NULL;
	int rc, domheld = 0;

	if (pass_adopt_eligible(ctx->policy, ctx->classifier, msg, domain,
				sizeof(domain)) ||
	    (domheld =
		 pass_domhold_eligible(ctx, msg, domain, sizeof(domain))) != 0)
		m = adopt_build(ctx, msg, domain, now, &b->next[b->n]);
	if (m == NULL)
		return 0;
	/* new mail Exim held by its domain was never tried: due now (the
	 * domain's verdict, shared per window, decides) */
	if (domheld)
		b->next[b->n] = now;
	b->m[b->n] = m;
	b->ids[b->n] = m->queue_id;
	b->domains[b->n] = m->domain;
	b->n++;
	b->rcpts += m->nrcpts;
	if (b->n < LIMIT_PASS_BATCH && b->rcpts < LIMIT_PASS_BATCH_RCPTS)
		return 1;
	rc = adopt_flush(ctx, b, l, now);
	adopt_batch_clear(b);
	return rc < 0 ? -1 : 1;
}

/* The listing's candidates from @param from on (not reached: the cap)
 * into the backlog. @return 0, or -1: not all of them kept. */
static int adopt_defer_rest(struct pass_ctx *ctx, const struct pass_listing *l,
			    size_t from)
{
	for (size_t i = from; i < l->n; i++) {
		const struct pass_lentry *e = &l->e[i];
		struct mta_message msg;
		int rc;

		if (e->known || e->held || !e->deferred || e->cand == 0 ||
		    pass_listing_message(l, e, &msg) < 0)
			continue;
		rc = pass_backlog_put(ctx, &msg);
		free(msg.rcpts);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Adopt from the backlog: at most @param room, examining at most
 * LIMIT_PASS_BACKLOG records. A message this pass's listing tells with
 * its data (a discovery), or as known, held or not deferred, is the
 * listing's: the listing is newer. */
static int adopt_backlog(struct pass_ctx *ctx, struct adopt_batch *b,
			 const struct pass_listing *l, int64_t now, size_t room)
{
	size_t taken = 0;

	for (size_t k = 0; k < LIMIT_PASS_BACKLOG && taken < room; k++) {
		const struct pass_lentry *e;
		struct mta_message msg;
		int rc = pass_backlog_next(ctx, &msg);

		if (rc <= 0)
			break;
		e = pass_listing_find(l, msg.queue_id);
		if ((e == NULL ||
		     (!e->cand && !e->known && !e->held && e->deferred)) &&
		    !adopt_refused_before(ctx, msg.queue_id))
			rc = adopt_take(ctx, b, &msg, l, now);
		else
			rc = 0;
		free(msg.rcpts);
		if (rc < 0)
			return -1;
		taken += (size_t)rc;
		if (ctx->nospace)
			break;
	}
	return (int)taken;
}

int pass_adopt(struct pass_ctx *ctx, struct pass_listing *l, int64_t now)
{
	struct adopt_batch *b;
	size_t total = 0, i;
	int rc = 0, lost = l->cand_cut;

	if (ctx->nospace || !l->ok)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	for (i = 0; i < l->n && total < LIMIT_PASS_ADOPT && rc == 0; i++) {
		const struct pass_lentry *e = &l->e[i];
		struct mta_message msg;

		if (e->known || e->held || !e->deferred || e->cand == 0 ||
		    adopt_refused_before(ctx, pass_lentry_id(l, e)) ||
		    pass_listing_message(l, e, &msg) < 0)
			continue;
		rc = adopt_take(ctx, b, &msg, l, now);
		free(msg.rcpts);
		total += rc > 0;
		rc = rc < 0 ? -1 : 0;
		if (ctx->nospace)
			break;
	}
	/* not reached: the next passes take them from the backlog */
	if (total >= LIMIT_PASS_ADOPT &&
	    (!l->spill || adopt_defer_rest(ctx, l, i) < 0))
		lost = 1;
	if (rc == 0 && !ctx->nospace && total < LIMIT_PASS_ADOPT) {
		int n = adopt_backlog(ctx, b, l, now, LIMIT_PASS_ADOPT - total);

		rc = n < 0 ? -1 : 0;
		total += n > 0 ? (size_t)n : 0;
	}
	if (rc == 0 && !ctx->nospace)
		rc = adopt_flush(ctx, b, l, now);
	adopt_batch_clear(b);
	free(b);
	/* More in the backlog: the next pass, at once, with no listing.
	 * Candidates kept nowhere (no backlog: disk full) wait for a full
	 * listing (when this one took some, or discovered ones: those are
	 * not discovered again). */
	if (total >= LIMIT_PASS_ADOPT || pass_backlog_left(ctx) > 0)
		ctx->stats.capped = 1;
	if (lost && (total > 0 || l->incremental)) {
		ctx->stats.capped = 1;
		ctx->want_full = 1;
	}
	if (l->incremental && (rc < 0 || ctx->nospace))
		ctx->want_full = 1;
	return rc;
}

struct rehold_arg {
	int64_t now;
	unsigned char *ok;
	char (*domain)[LIMIT_DOMAIN + 1]; /* per id, for holding by domain */
	int second;
};

static int rehold_mark(struct pass_ctx *ctx, struct store_txn *txn,
		       struct store_message *m, size_t i, void *arg, char *err,
		       size_t errlen)
{
	struct rehold_arg *a = arg;
	struct backoff_decision d;
	char qid[LIMIT_QUEUE_ID + 1];

	if (!a->second) {
		a->ok[i] = 0;
		snprintf(a->domain[i], sizeof(a->domain[i]), "%s", m->domain);
		switch (m->state) {
		case STORE_MSG_HELD:
			a->ok[i] = 1;
			return 0;
		case STORE_MSG_ADOPT_INTENT:
		case STORE_MSG_ATTEMPTING:
		case STORE_MSG_RELEASE_INTENT:
			a->ok[i] = 1;
			m->state = STORE_MSG_ADOPT_INTENT;
			m->next_attempt = 0;
			return 1;
		default:
			return 0;
		}
	}
	if (!a->ok[i] ||
	    (m->state != STORE_MSG_ADOPT_INTENT && m->state != STORE_MSG_HELD))
		return 0;
	d = backoff_next(pass_backoff(ctx, m->group), m->first_failure, a->now,
			 pass_random32(ctx));
	if (m->state == STORE_MSG_HELD && m->next_attempt > 0)
		d.next_attempt =
		    m->next_attempt; /* found released: keep its turn */
	m->state = STORE_MSG_HELD;
	m->next_attempt = d.next_attempt;
	pass_watch_add(ctx, m->domain);
	log_info("%s: held again, domain=%.100s, age=%llds, next=+%llds",
		 log_printable(qid, sizeof(qid), m->queue_id), m->domain,
		 (long long)(a->now - m->first_failure),
		 (long long)(m->next_attempt - a->now));
	return 1;
}

/* One batch of pass_rehold (k <= LIMIT_PASS_BATCH ids). */
static int rehold_batch(struct pass_ctx *ctx, const char *const *ids, size_t k,
			int64_t now, char (*domain)[LIMIT_DOMAIN + 1])
{
	unsigned char ok[LIMIT_PASS_BATCH];
	const char *hold[LIMIT_PASS_BATCH], *hdom[LIMIT_PASS_BATCH];
	struct rehold_arg a = {.now = now, .ok = ok, .domain = domain};
	size_t nh = 0, done = 0;
	char err[512];

	memset(ok, 0, sizeof(ok));
	if (pass_update(ctx, ids, k, rehold_mark, &a, "rehold: intent") !=
	    STORE_OK)
		return -1;
	for (size_t i = 0; i < k; i++)
		if (ok[i]) {
			hdom[nh] = domain[i];
			hold[nh++] = ids[i];
		}
	if (nh == 0)
		return 0;
	if (pass_journal_hold(ctx, hold, nh, now) < 0)
		return -1; /* not held; the next pass tries again */
	if (pass_domhold_hold_ids(ctx, hold, hdom, nh, &done, err,
				  sizeof(err)) < 0) {
		log_error("rehold: hold: %.400s (the next pass tries again)",
			  err);
		return -1;
	}
	a.second = 1;
	if (pass_update(ctx, ids, k, rehold_mark, &a, "rehold: held") !=
	    STORE_OK)
		return -1;
	ctx->stats.reheld += nh;
	return 0;
}

int pass_rehold(struct pass_ctx *ctx, const char *const *ids, size_t n,
		int64_t now)
{
	char(*domain)[LIMIT_DOMAIN + 1] =
	    calloc(LIMIT_PASS_BATCH, sizeof(*domain));
	int rc = 0;

	if (domain == NULL) {
		log_error("rehold: out of memory (the next pass tries again)");
		return -1;
	}
	for (size_t off = 0; off < n && rc == 0; off += LIMIT_PASS_BATCH)
		rc = rehold_batch(ctx, ids + off,
				  n - off < LIMIT_PASS_BATCH ? n - off
							     : LIMIT_PASS_BATCH,
				  now, domain);
	free(domain);
	return rc;
}

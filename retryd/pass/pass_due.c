/*
 * NAME
 *	pass_due 3
 * SUMMARY
 *	the due set: give up, verify, wait, bounce or attempt
 * DESCRIPTION
 *	pass_due() takes at most LIMIT_PASS_DUE ids from the due index alone
 *	(store_walk_due_ids, earliest first: this also bounds the release
 *	burst after a forward jump of the wall clock), fetches each message
 *	by key (one that moved meanwhile is dropped), releases to the MTA a
 *	message held max_hold since adoption (pass_giveback_max_hold), decides
 *	give-up with backoff_next(), gets
 *	one verification per distinct domain (pass_verify.c) and acts per
 *	verdict:
 *	  healthy, transport  attempt
 *	  local-path    flush_resolver hook for each failing MTA node, attempt
 *	  propagation   the same (the hook only when an MTA node fails)
 *	  domain, dns-outage, unverified   no attempt: evidence (outcome
 *	                NONE) per recipient, rescheduled
 *	  filtered      the same, and the escalate hook at once (a lying
 *	                resolver is a policy: no flush hook)
 *	  null-mx       decision recorded, then handed back to bounce
 *	A tier with "escalate" runs the escalate hook (pass_hooks.c). An attempt
 *	is RELEASE_INTENT for the whole batch in one transaction, ONE
 *	plugin->deliver() call, then ATTEMPTING in one transaction; outcomes
 *	are read by pass_outcome.c. Give-up and bounce need the id in a complete
 *	listing made in this pass; otherwise they wait (Promise 1).
 *	With the store out of space (ctx->nospace) the due messages are only
 *	released back to the MTA (plugin->release), no record written.
 * DIAGNOSTICS
 *	Every failure only delays: the message stays due.
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"

struct due_entry {
	char id[LIMIT_QUEUE_ID + 1];
	char domain[LIMIT_DOMAIN + 1];
	char group[LIMIT_POLICY_GROUP_NAME + 1];
	char last_verdict[LIMIT_VERDICT + 1];
	enum store_msg_state state;
	int64_t first_failure;
	int64_t adopted_at; /* when retryd first held it: max_hold */
	struct backoff_decision d;
	long dom; /* index in the domain table, -1: none this pass */
};

struct due_set {
	struct due_entry *e;
	size_t n;
	struct pass_domain *doms;
	size_t ndoms;
	int64_t now;
	unsigned char *ok;
	const size_t *map; /* index in the id list -> entry */
	int second;
	const char *mta; /* the policy's: due ids of others are skipped */
};

/* Take one due id (store_walk_due_ids): the index alone, no record. */
static int pass_due_collect_id(int64_t next_attempt, const char *mta,
			       const char *queue_id, void *arg)
{
	struct due_set *s = arg;

	(void)next_attempt;
	if (s->n == LIMIT_PASS_DUE)
		return 1;
	if (strcmp(mta, s->mta) != 0)
		return 0; /* another MTA's record: not ours to act on */
	snprintf(s->e[s->n++].id, sizeof(s->e[0].id), "%s", queue_id);
	return 0;
}

/*
 * Fetch each selected id by key and fill its entry; ids that moved
 * meanwhile (gone, no longer due) or do not read are dropped.
 */
static void pass_due_fetch(struct pass_ctx *ctx, struct due_set *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct due_entry *e = &s->e[k];
		struct store_message *m = NULL;
		char err[512], qid[LIMIT_QUEUE_ID + 1];
		int rc;

		if (k != i)
			memcpy(e->id, s->e[i].id, sizeof(e->id));
		rc = store_get_message(ctx->store, NULL, ctx->policy->mta,
				       e->id, &m, err, sizeof(err));
		if (rc != STORE_OK) {
			if (rc != STORE_NOTFOUND)
				log_warn_limited(
				    "due-fetch", 300, "due: %s: %.400s",
				    log_printable(qid, sizeof(qid), e->id),
				    err);
			continue;
		}
		if (m->next_attempt <= 0 || m->next_attempt > s->now) {
			store_message_free(m);
			continue;
		}
		snprintf(e->domain, sizeof(e->domain), "%s", m->domain);
		snprintf(e->group, sizeof(e->group), "%s", m->group);
		snprintf(e->last_verdict, sizeof(e->last_verdict), "%s",
			 m->last_verdict[0] ? m->last_verdict : "-");
		e->state = m->state;
		e->first_failure = m->first_failure;
		e->adopted_at = m->adopted_at;
		e->dom = -1;
		store_message_free(m);
		k++;
	}
	s->n = k;
}

static long pass_due_domain(struct due_set *s, const char *name)
{
	for (size_t i = 0; i < s->ndoms; i++)
		if (strcmp(s->doms[i].name, name) == 0)
			return (long)i;
	if (s->ndoms == LIMIT_PASS_DOMAINS)
		return -1;
	memset(&s->doms[s->ndoms], 0, sizeof(s->doms[0]));
	snprintf(s->doms[s->ndoms].name, sizeof(s->doms[0].name), "%s", name);
	return (long)s->ndoms++;
}

/* The oldest first failure among the held messages of domain @dom. */
static int64_t due_oldest(const struct due_set *s, size_t dom)
{
	int64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].dom == (long)dom &&
		    (t == 0 || s->e[i].first_failure < t))
			t = s->e[i].first_failure;
	return t;
}

/* Run one pass_update over the entries listed in @param sel. */
static int pass_due_update(struct pass_ctx *ctx, struct due_set *s,
			   const size_t *sel, size_t n, pass_update_fn fn,
			   const char *what)
{
	const char **ids = calloc(n + 1, sizeof(*ids));
	int rc;

	if (ids == NULL)
		return STORE_ERROR;
	for (size_t i = 0; i < n; i++)
		ids[i] = s->e[sel[i]].id;
	s->map = sel;
	rc = pass_update(ctx, ids, n, fn, s, what);
	free(ids);
	return rc;
}

static int pass_due_wait(struct pass_ctx *ctx, struct store_txn *txn,
			 struct store_message *m, size_t i, void *arg,
			 char *err, size_t errlen)
{
	struct due_set *s = arg;
	const struct due_entry *e = &s->e[s->map[i]];
	const struct pass_domain *pd = &s->doms[e->dom];
	const char *vn = verify_verdict_name(pd->verdict);

	if (m->state != STORE_MSG_HELD)
		return 0;
	for (size_t r = 0; r < m->nrcpts; r++) {
		struct store_evidence ev;

		if (m->rcpts[r].state != STORE_RCPT_PENDING)
			continue;
		store_evidence_fill(&ev,
				    &(struct store_evidence_src){
					.address = m->rcpts[r].address,
					.time = s->now,
					.queue_id = m->queue_id,
					.host_id = ctx->policy->host_id,
					.verdict = vn,
					.outcome = STORE_OUTCOME_NONE,
					.dns = pd->summary},
				    "no attempt: %s: %.400s", vn, pd->detail);
		if (store_add_evidence(ctx->store, txn, &ev, err, errlen) !=
		    STORE_OK)
			return -1;
		if (!s->second)
			pass_log_rcpt(m->queue_id, m->rcpts[r].address,
				      m->domain, vn, "wait",
				      "age=%llds, next=+%llds",
				      (long long)e->d.age,
				      (long long)(e->d.next_attempt - s->now));
	}
	s->ok[i] = 1;
	snprintf(m->last_verdict, sizeof(m->last_verdict), "%s", vn);
	m->next_attempt = e->d.next_attempt;
	return 1;
}

static int pass_due_release_intent(struct pass_ctx *ctx, struct store_txn *txn,
				   struct store_message *m, size_t i, void *arg,
				   char *err, size_t errlen)
{
	struct due_set *s = arg;
	const struct due_entry *e = &s->e[s->map[i]];

	s->ok[i] = 0;
	if (m->state != STORE_MSG_HELD)
		return 0;
	s->ok[i] = 1;
	m->state = STORE_MSG_RELEASE_INTENT;
	snprintf(m->last_verdict, sizeof(m->last_verdict), "%s",
		 verify_verdict_name(s->doms[e->dom].verdict));
	return 1;
}

static int pass_due_attempting(struct pass_ctx *ctx, struct store_txn *txn,
			       struct store_message *m, size_t i, void *arg,
			       char *err, size_t errlen)
{
	struct due_set *s = arg;
	const struct due_entry *e = &s->e[s->map[i]];

	if (!s->ok[i] || m->state != STORE_MSG_RELEASE_INTENT)
		return 0;
	m->state = STORE_MSG_ATTEMPTING;
	m->last_attempt = s->now;
	m->attempts++;
	m->next_attempt = 0;
	for (size_t r = 0; r < m->nrcpts; r++)
		if (m->rcpts[r].state == STORE_RCPT_PENDING)
			pass_log_rcpt(m->queue_id, m->rcpts[r].address,
				      m->domain, m->last_verdict, "attempt",
				      "age=%llds, attempts=%u, tier=%s",
				      (long long)e->d.age, m->attempts,
				      backoff_action_name(e->d.action));
	return 1;
}

static void pass_due_release_all(struct pass_ctx *ctx, struct due_set *s)
{
	const char **ids = calloc(s->n + 1, sizeof(*ids));
	size_t done = 0;
	char err[512];

	if (ids == NULL || s->n == 0) {
		free(ids);
		return;
	}
	for (size_t i = 0; i < s->n; i++)
		ids[i] = s->e[i].id;
	if (ctx->plugin->release(ctx->plugin_state, ids, s->n, &done, err,
				 sizeof(err)) < 0)
		log_error("release (store full): %.400s", err);
	else
		ctx->stats.released += s->n;
	log_warn_limited(
	    "store-nospace-release", 300,
	    "store full: %zu due messages released back to the MTA", s->n);
	free(ids);
}

/* Release the entries in @param sel back to the MTA (store full). */
static void pass_due_release_sel(struct pass_ctx *ctx, const struct due_set *s,
				 const size_t *sel, size_t n)
{
	struct due_set only = *s;
	struct due_entry *e = calloc(n, sizeof(*e));

	for (size_t i = 0; e && i < n; i++)
		e[i] = s->e[sel[i]];
	only.e = e;
	only.n = e ? n : 0;
	pass_due_release_all(ctx, &only);
	free(e);
}

static void pass_due_attempt(struct pass_ctx *ctx, struct due_set *s,
			     const size_t *sel, size_t n)
{
	const char **ids = calloc(n + 1, sizeof(*ids));
	size_t k = 0, done = 0;
	char err[512];
	int rc;

	if (ids == NULL)
		return;
	rc = pass_due_update(ctx, s, sel, n, pass_due_release_intent,
			     "attempt: release intent");
	if (rc != STORE_OK) {
		if (rc == STORE_NOSPACE)
			pass_due_release_sel(ctx, s, sel, n);
		free(ids);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (s->ok[i])
			ids[k++] = s->e[sel[i]].id;
	if (k && ctx->plugin->deliver(ctx->plugin_state, ids, k, &done, err,
				      sizeof(err)) < 0)
		log_error(
		    "attempt: deliver: %.400s (outcome or listing settles it)",
		    err);
	pass_due_update(ctx, s, sel, n, pass_due_attempting,
			"attempt: attempting");
	ctx->stats.attempted += k;
	free(ids);
}

static int pass_due_listed(const struct pass_listing *l, const char *id)
{
	return l->complete && pass_listing_find(l, id) != NULL;
}

/* Hand back the entries in @param sel with @param how, per domain. */
static void pass_due_giveback(struct pass_ctx *ctx, struct due_set *s,
			      const struct pass_listing *l, const size_t *sel,
			      size_t n, enum mta_giveback how)
{
	const char **ids = calloc(n + 1, sizeof(*ids));
	unsigned char *taken = calloc(n + 1, 1);

	for (size_t i = 0; ids && taken && i < n; i++) {
		const struct due_entry *e = &s->e[sel[i]];
		const struct pass_domain *pd =
		    e->dom >= 0 ? &s->doms[e->dom] : NULL;
		char why[128];
		size_t k = 0;

		if (taken[i])
			continue;
		for (size_t j = i; j < n; j++) {
			const struct due_entry *f = &s->e[sel[j]];
			if (!taken[j] && f->dom == e->dom &&
			    (e->dom >= 0 ||
			     strcmp(f->last_verdict, e->last_verdict) == 0)) {
				taken[j] = 1;
				if (pass_due_listed(l, f->id))
					ids[k++] = f->id;
			}
		}
		if (k == 0)
			continue;
		if (how == MTA_GIVEBACK_EXPIRE)
			snprintf(why, sizeof(why),
				 "give_up reached (failing for %llds)",
				 (long long)e->d.age);
		else
			snprintf(why, sizeof(why),
				 "null MX published (RFC 7505)");
		pass_giveback(ctx, ids, k, how,
			      pd ? verify_verdict_name(pd->verdict)
				 : e->last_verdict,
			      pd ? pd->summary : "", why, s->now);
	}
	free(ids);
	free(taken);
}

/* The due set of one pass and the entries sorted by what happens to them. */
struct due_plan {
	struct due_set s;
	size_t *giveup, *wait, *bounce, *attempt, *maxhold;
	size_t ng, nw, nb, na, nm;
};

static int pass_due_alloc(struct due_plan *p)
{
	p->s.e = calloc(LIMIT_PASS_DUE, sizeof(*p->s.e));
	p->s.doms = calloc(LIMIT_PASS_DOMAINS, sizeof(*p->s.doms));
	p->s.ok = calloc(LIMIT_PASS_DUE, 1);
	p->giveup = calloc(LIMIT_PASS_DUE, sizeof(size_t));
	p->wait = calloc(LIMIT_PASS_DUE, sizeof(size_t));
	p->bounce = calloc(LIMIT_PASS_DUE, sizeof(size_t));
	p->attempt = calloc(LIMIT_PASS_DUE, sizeof(size_t));
	p->maxhold = calloc(LIMIT_PASS_DUE, sizeof(size_t));
	return p->s.e && p->s.doms && p->s.ok && p->giveup && p->wait &&
		       p->bounce && p->attempt && p->maxhold
		   ? 0
		   : -1;
}

static void pass_due_free(struct due_plan *p)
{
	free(p->s.e);
	free(p->s.doms);
	free(p->s.ok);
	free(p->giveup);
	free(p->wait);
	free(p->bounce);
	free(p->attempt);
	free(p->maxhold);
}

/* Step 2: the due ids from the index alone, then each record by key. */
static int pass_due_2_select(struct pass_ctx *ctx, struct due_set *s)
{
	char err[512];

	if (store_walk_due_ids(ctx->store, s->now, LIMIT_PASS_DUE,
			       pass_due_collect_id, s, err, sizeof(err)) < 0) {
		log_error("due: %.400s", err);
		return -1;
	}
	pass_due_fetch(ctx, s);
	if (s->n == LIMIT_PASS_DUE)
		ctx->stats.capped = 1; /* more are due: the next pass now */
	return 0;
}

/* Step 3: backoff for each held entry; give-up, or its domain's slot
 * (escalation episodes noted per domain). */
static void pass_due_3_backoff(struct pass_ctx *ctx, struct due_plan *p)
{
	struct due_set *s = &p->s;

	for (size_t i = 0; i < s->n; i++) {
		struct due_entry *e = &s->e[i];

		if (e->state != STORE_MSG_HELD)
			continue;
		if (e->adopted_at > 0 &&
		    s->now - e->adopted_at >= ctx->policy->max_hold) {
			p->maxhold[p->nm++] = i; /* e->dom stays -1 */
			continue;
		}
		e->d =
		    backoff_next(pass_backoff(ctx, e->group), e->first_failure,
				 s->now, pass_random32(ctx));
		if (e->d.give_up) {
			p->giveup[p->ng++] = i;
			continue;
		}
		if ((e->dom = pass_due_domain(s, e->domain)) < 0)
			continue; /* too many domains: next pass */
		s->doms[e->dom].nmsgs++;
		if (e->d.action == POLICY_TIER_ESCALATE) {
			struct pass_domain *pd = &s->doms[e->dom];
			if (!pd->escalate || e->first_failure < pd->episode)
				pd->episode = e->first_failure;
			pd->escalate = 1;
		}
	}
}

/* Step 3b: max_hold reached: released to the MTA (complete listing) */
static void pass_due_max_hold(struct pass_ctx *ctx, struct due_plan *p,
			      const struct pass_listing *l)
{
	for (size_t i = 0; i < p->nm; i++) {
		const struct due_entry *e = &p->s.e[p->maxhold[i]];

		if (pass_due_listed(l, e->id))
			pass_giveback_max_hold(ctx, e->id, e->last_verdict,
					       e->adopted_at, p->s.now);
	}
	if (p->nm && !l->complete)
		ctx->want_reconcile = 1; /* the hand-back: a listing */
	if (p->nm && !l->complete)
		log_info("due: %zu messages reached max_hold; handing back "
			 "waits for a complete listing",
			 p->nm);
}

/* Step 4: one verification per domain, then its hooks (escalate,
 * flush of failing MTA nodes). */
static void pass_due_4_verify(struct pass_ctx *ctx, struct due_plan *p)
{
	struct due_set *s = &p->s;

	pass_verify_domains(ctx, s->doms, s->ndoms, s->now);
	for (size_t i = 0; i < s->ndoms; i++) {
		struct pass_domain *pd = &s->doms[i];
		if (!pd->have)
			continue;
		if (pd->verdict == VERDICT_FILTERED && !pd->escalate) {
			/* a lying path is a policy: escalate it at once,
			 * with its proof; no flush (a cache is not at fault) */
			pd->escalate = 1;
			pd->episode = due_oldest(s, i);
		}
		if (pd->escalate)
			pass_hooks_escalate(ctx, pd, s->now);
		/* propagation with an MTA node still saying "no": the
		 * authoritative servers publish a route, so the node's
		 * cached negative answer can only be stale (a domain back
		 * from NXDOMAIN while the independents still cache it). */
		if (pd->verdict == VERDICT_LOCAL_PATH ||
		    (pd->verdict == VERDICT_PROPAGATION && pd->nnodes > 0))
			pass_hooks_flush(ctx, pd);
	}
	/* The flush hooks run at once, beside each other; the attempt
	 * waits for them a bounded time, never for a hung one. */
	pass_hooks_settle(ctx);
}

/* Step 5: sort each verified entry by its domain's verdict. */
static void pass_due_5_route(struct due_plan *p)
{
	struct due_set *s = &p->s;

	for (size_t i = 0; i < s->n; i++) {
		struct due_entry *e = &s->e[i];

		if (e->state != STORE_MSG_HELD || e->d.give_up || e->dom < 0 ||
		    !s->doms[e->dom].have)
			continue;
		switch (s->doms[e->dom].verdict) {
		case VERDICT_HEALTHY:
		case VERDICT_PROPAGATION:
		case VERDICT_TRANSPORT:
		case VERDICT_LOCAL_PATH:
			p->attempt[p->na++] = i;
			break;
		case VERDICT_NULL_MX:
			p->bounce[p->nb++] = i;
			break;
		case VERDICT_DOMAIN:
		case VERDICT_DNS_OUTAGE:
		case VERDICT_UNVERIFIED: /* never a bounce without the
					  * authoritative servers' word */
		case VERDICT_FILTERED:
		default:
			p->wait[p->nw++] = i;
			break;
		}
	}
}

/* Step 6: act: reschedule the waiting, bounce null-MX (complete
 * listing only), attempt the rest (or release them when full). */
static void pass_due_6_act(struct pass_ctx *ctx, struct due_plan *p,
			   const struct pass_listing *l)
{
	struct due_set *s = &p->s;

	if (p->nw) {
		memset(s->ok, 0, LIMIT_PASS_DUE);
		if (pass_due_update(ctx, s, p->wait, p->nw, pass_due_wait,
				    "wait: reschedule") == STORE_OK)
			for (size_t i = 0; i < p->nw; i++)
				ctx->stats.waited += s->ok[i];
	}
	if (p->nb) {
		if (!l->complete)
			ctx->want_reconcile = 1; /* the hand-back: a listing */
		if (!l->complete)
			log_info("due: %zu null-MX messages: bounce waits for "
				 "a complete listing",
				 p->nb);
		else
			pass_due_giveback(ctx, s, l, p->bounce, p->nb,
					  MTA_GIVEBACK_BOUNCE);
	}
	if (p->na && !ctx->nospace) {
		memset(s->ok, 0, LIMIT_PASS_DUE);
		pass_due_attempt(ctx, s, p->attempt, p->na);
	} else if (p->na) {
		pass_due_release_sel(ctx, s, p->attempt, p->na);
	}
}

/*
 * One pass over the due set, in named steps (as Postfix's
 * qmgr_active_done -> _2_generic -> _3_generic): pass_due_2_select,
 * _3_backoff (and the give-ups), _4_verify, _5_route, _6_act.
 */
int pass_due(struct pass_ctx *ctx, struct pass_listing *l, int64_t now)
{
	struct due_plan p = {.s = {.now = now, .mta = ctx->policy->mta}};
	int rc = -1;

	if (pass_due_alloc(&p) < 0)
		goto out;
	if (pass_due_2_select(ctx, &p.s) < 0)
		goto out;
	ctx->stats.due += p.s.n;
	if (ctx->nospace) {
		pass_due_release_all(ctx, &p.s);
		rc = 0;
		goto out;
	}
	pass_due_3_backoff(ctx, &p);
	pass_due_max_hold(ctx, &p, l);
	if (p.ng) {
		if (!l->complete)
			ctx->want_reconcile = 1; /* the hand-back: a listing */
		if (!l->complete)
			log_info("due: %zu messages reached give_up; handing "
				 "back waits for a complete listing",
				 p.ng);
		else
			pass_due_giveback(ctx, &p.s, l, p.giveup, p.ng,
					  MTA_GIVEBACK_EXPIRE);
	}
	pass_due_4_verify(ctx, &p);
	pass_due_5_route(&p);
	pass_due_6_act(ctx, &p, l);
	/* A due set full of hand-backs waiting for a listing would starve
	 * the rest (and spin: a capped pass runs the next at once): the
	 * listing then comes at the next pass, whatever its cost. */
	if (!l->complete && p.s.n == LIMIT_PASS_DUE && (p.ng || p.nb || p.nm))
		ctx->want_full = 1;
	rc = 0;
out:
	pass_due_free(&p);
	return rc;
}

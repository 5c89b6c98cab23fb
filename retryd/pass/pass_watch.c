/*
 * NAME
 *	pass_watch 3
 * SUMMARY
 *	watch every domain with held mail; when it heals, all its held
 *	messages are due at once
 * DESCRIPTION
 *	ctx->watch is the set of domains retryd holds mail for: filled at
 *	the first pass from the HELD records (one walk, O(held), once per
 *	start) and by every adoption (pass_watch_add()).
 *
 *	pass_watch_run(), after the due step of each pass, verifies each
 *	watched domain once per verify_window, whether or not any of its
 *	messages is due (pass_verify_domains(): the stored verification when
 *	it is younger than the window, so the due step and the watch share
 *	one verification per domain and window). A domain whose last verdict
 *	was failing is verified afresh at the next scan instead (want_fresh:
 *	its healing is seen within a scan_interval, not a window later), at
 *	most PASS_WATCH_EARLY of them sooner than their window per pass, from
 *	a cursor that turns (watch_pick). The cost is per domain, not per
 *	message. When a domain's verdict turns attemptable (healthy,
 *	propagation, transport, local-path: the due step runs the flush hook
 *	and attempts), every HELD message of that domain scheduled later is
 *	made due now: one walk of the due index for all the domains that
 *	turned in this pass, O(held) once per healing, never per pass; the
 *	pass then asks for the next pass at once (stats.capped) and the due
 *	step takes them LIMIT_PASS_DUE at a time. The first verdict of a
 *	domain after it is watched (adoption, restart) is its baseline:
 *	only a change seen by this process makes mail due early. The set is
 *	rebuilt from the HELD records every LIMIT_WATCH_RELOAD_S (one walk,
 *	O(held), once an hour), and at most once per verify_window after a
 *	pass in which held mail left the held state (attempted, released,
 *	handed back, gone): domains with no held mail left drop out, so an
 *	idle retryd verifies nothing. A pass with everything held and
 *	nothing leaving never walks the HELD records.
 *
 *	Owns: ctx->watch between passes (pass_watch_free()).
 * DIAGNOSTICS
 *	Store errors are logged and only delay (the domain is looked at
 *	again in the next window).
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"

static struct pass_watch_dom *watch_find(struct pass_watch *w,
					 const char *domain)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->d[i].name, domain) == 0)
			return &w->d[i];
	return NULL;
}

void pass_watch_add(struct pass_ctx *ctx, const char *domain)
{
	struct pass_watch *w = &ctx->watch;
	struct pass_watch_dom *d;

	if (domain[0] == '\0' || watch_find(w, domain) != NULL)
		return;
	if (w->n >= LIMIT_PASS_WATCH) {
		log_warn_limited("watch-full", 3600,
				 "watch: more than %d domains with held mail: "
				 "the others are verified when their mail is "
				 "due",
				 LIMIT_PASS_WATCH);
		return;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		d = realloc(w->d, cap * sizeof(*d));
		if (d == NULL)
			return;
		w->d = d;
		w->cap = cap;
	}
	d = &w->d[w->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", domain);
}

void pass_watch_free(struct pass_watch *w)
{
	free(w->d);
	memset(w, 0, sizeof(*w));
}

struct watch_load {
	struct pass_ctx *ctx;
};

static int watch_load_one(enum store_msg_state state, int64_t finished,
			  const char *mta, const char *queue_id, void *arg)
{
	struct watch_load *a = arg;
	struct store_message *m = NULL;
	char err[256];

	(void)state;
	(void)finished;
	if (strcmp(mta, a->ctx->policy->mta) != 0)
		return 0;
	if (store_get_message(a->ctx->store, NULL, mta, queue_id, &m, err,
			      sizeof(err)) == STORE_OK &&
	    m->state == STORE_MSG_HELD)
		pass_watch_add(a->ctx, m->domain);
	store_message_free(m);
	return 0;
}

/* (Re)build the set from the HELD records, keeping what is known of the
 * domains still in it; the others (no held mail left) are dropped. */
static void watch_load(struct pass_ctx *ctx, int64_t now)
{
	struct pass_watch old = ctx->watch;
	struct watch_load a = {ctx};
	char err[512];

	memset(&ctx->watch, 0, sizeof(ctx->watch));
	if (store_walk_live_ids(ctx->store, STORE_STATE_BIT(STORE_MSG_HELD),
				watch_load_one, &a, err,
				sizeof(err)) != STORE_OK) {
		log_error("watch: %.400s (tried again next pass)", err);
		pass_watch_free(&ctx->watch);
		ctx->watch = old;
		return;
	}
	for (size_t i = 0; i < ctx->watch.n; i++) {
		struct pass_watch_dom *o =
		    watch_find(&old, ctx->watch.d[i].name);
		if (o)
			ctx->watch.d[i] = *o;
	}
	ctx->watch.loaded = 1;
	ctx->watch.loaded_at = now;
	ctx->watch.dirty = 0;
	if (ctx->watch.n != old.n)
		log_info("watch: %zu domains with held mail", ctx->watch.n);
	pass_watch_free(&old);
}

static int watch_attemptable(enum verify_verdict v)
{
	return v == VERDICT_HEALTHY || v == VERDICT_PROPAGATION ||
	       v == VERDICT_TRANSPORT || v == VERDICT_LOCAL_PATH;
}

struct watch_due {
	int64_t now;
	const char *mta;
	struct pass_idset later; /* held, scheduled after now */
	const struct pass_domain *turned;
	size_t nturned;
	unsigned char *marked; /* per id of later: made due */
	size_t off;	       /* of the batch in later */
};

static int watch_due_collect(int64_t next_attempt, const char *mta,
			     const char *queue_id, void *arg)
{
	struct watch_due *a = arg;

	if (next_attempt > a->now && strcmp(mta, a->mta) == 0)
		pass_idset_add(&a->later, queue_id);
	return 0;
}

static int watch_due_mark(struct pass_ctx *ctx, struct store_txn *txn,
			  struct store_message *m, size_t i, void *arg,
			  char *err, size_t errlen)
{
	struct watch_due *a = arg;

	if (m->state != STORE_MSG_HELD || m->next_attempt <= a->now)
		return 0;
	for (size_t k = 0; k < a->nturned; k++)
		if (strcmp(m->domain, a->turned[k].name) == 0) {
			m->next_attempt = a->now;
			a->marked[a->off + i] = 1; /* idempotent on a retry */
			return 1;
		}
	return 0;
}

/* Every HELD message of the turned domains scheduled later: due now. */
static size_t watch_make_due(struct pass_ctx *ctx,
			     const struct pass_domain *turned, size_t n,
			     int64_t now)
{
	struct watch_due a = {.now = now,
			      .mta = ctx->policy->mta,
			      .turned = turned,
			      .nturned = n};
	const char **ids;
	char err[512];
	size_t made = 0;

	if (store_walk_due_ids(ctx->store, INT64_MAX, 0, watch_due_collect, &a,
			       err, sizeof(err)) != STORE_OK) {
		log_error("watch: %.400s", err);
		pass_idset_free(&a.later);
		return 0;
	}
	ids = pass_idset_ptrs(&a.later);
	a.marked = calloc(a.later.n + 1, 1);
	for (size_t off = 0; ids && a.marked && off < a.later.n;
	     off += LIMIT_PASS_BATCH) {
		size_t k = a.later.n - off < LIMIT_PASS_BATCH
			       ? a.later.n - off
			       : LIMIT_PASS_BATCH;
		a.off = off;
		if (pass_update(ctx, ids + off, k, watch_due_mark, &a,
				"watch: due now") != STORE_OK)
			break;
	}
	for (size_t i = 0; a.marked && i < a.later.n; i++)
		made += a.marked[i];
	free(a.marked);
	free(ids);
	pass_idset_free(&a.later);
	return made;
}

/* How soon a failing watched domain is verified again. */
static int64_t watch_prompt(const struct policy *p)
{
	return p->scan_interval < p->verify_window ? p->scan_interval
						   : p->verify_window;
}

/*
 * The watched domains to verify in this pass, in @param doms: those whose
 * check is due, from a cursor that turns each pass. A failing one asks a
 * fresh verification; sooner than verify_window after the one it last
 * used, only PASS_WATCH_EARLY of them per pass (the others wait for
 * their window). @return how many.
 */
static size_t watch_pick(struct pass_ctx *ctx, struct pass_domain *doms,
			 int64_t now)
{
	struct pass_watch *w = &ctx->watch;
	size_t n = 0, early = 0;

	for (size_t k = 0; k < w->n && n < LIMIT_PASS_DOMAINS; k++) {
		struct pass_watch_dom *d = &w->d[(w->cursor + k) % w->n];
		int failing = d->known && !d->attemptable;

		if (d->next_check > now)
			continue;
		if (failing && d->verified_at <= now &&
		    now - d->verified_at < ctx->policy->verify_window) {
			if (early == PASS_WATCH_EARLY)
				continue;
			early++;
		}
		doms[n].want_fresh = failing;
		snprintf(doms[n++].name, sizeof(doms[0].name), "%s", d->name);
	}
	w->cursor = (w->cursor + 1) % w->n;
	return n;
}

void pass_watch_run(struct pass_ctx *ctx, int64_t now)
{
	struct pass_watch *w = &ctx->watch;
	struct pass_domain *doms, *turned;
	size_t n = 0, nt = 0, made;

	/* Held mail left (attempted, released, handed back, gone): its
	 * domain may have none left; rebuilt at most once per window. */
	if (ctx->stats.attempted || ctx->stats.released ||
	    ctx->stats.given_back || ctx->stats.gone)
		w->dirty = 1;
	if (!w->loaded || now - w->loaded_at >= LIMIT_WATCH_RELOAD_S ||
	    now < w->loaded_at ||
	    (w->dirty && now - w->loaded_at >= ctx->policy->verify_window))
		watch_load(ctx, now);
	if (w->n == 0 || ctx->nospace)
		return;
	doms = calloc(LIMIT_PASS_DOMAINS, sizeof(*doms));
	turned = calloc(LIMIT_PASS_DOMAINS, sizeof(*turned));
	if (doms && turned)
		n = watch_pick(ctx, doms, now);
	if (n)
		pass_verify_domains(ctx, doms, n, now);
	for (size_t i = 0; i < n; i++) {
		struct pass_watch_dom *d = watch_find(w, doms[i].name);
		int att;

		if (d == NULL || !doms[i].have)
			continue;
		att = watch_attemptable(doms[i].verdict);
		/* failing: looked at again next scan (watch_pick bounds it) */
		d->next_check = now + (att ? ctx->policy->verify_window
					   : watch_prompt(ctx->policy));
		d->verified_at = doms[i].checked_at;
		if (att && d->known && !d->attemptable)
			turned[nt++] = doms[i];
		d->attemptable = att;
		d->known = 1; /* the first verdict is the baseline */
	}
	if (nt) {
		made = watch_make_due(ctx, turned, nt, now);
		if (made) {
			log_info("watch: %zu held messages of %zu domain(s) "
				 "turned attemptable (%s%s) due now",
				 made, nt, turned[0].name,
				 nt > 1 ? ", ..." : "");
			ctx->stats.capped = 1; /* the due step, now */
		}
	}
	free(doms);
	free(turned);
}

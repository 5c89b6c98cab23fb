/*
 * NAME
 *	pass_watch 3
 * SUMMARY
 *	watch every domain with held mail; when it heals, all its held
 *	messages are made due, a bounded step a pass, passes back to back
 * DESCRIPTION
 *	ctx->watch is the set of domains retryd holds mail for: filled at
 *	the first pass from the HELD records (one walk, O(held), once per
 *	start) and by every adoption (pass_watch_add()).
 *
 *	pass_watch_run(), before the due step of each pass, verifies each
 *	watched domain once per verify_window, whether or not any of its
 *	messages is due (pass_verify_domains(): the stored verification when
 *	it is younger than the window, so the due step and the watch share one
 *	verification per domain and window). A domain whose last verdict was
 *	failing is verified afresh at the next scan instead (want_fresh: its
 *	healing is seen within a scan_interval, not a window later), at most
 *	PASS_WATCH_EARLY of them sooner than their window per pass, from a
 *	cursor that turns (watch_pick). The cost is per domain, not per
 *	message. When a domain's verdict turns attemptable (healthy,
 *	propagation, transport, local-path: the due step runs the flush hook
 *	and attempts), its HELD messages scheduled later are made due now in
 *	bounded steps (watch_heal_step): each pass walks the HELD ids in key
 *	order from a cursor (store_walk_state_ids_after: the index alone, the
 *	records by key in order) until PASS_HEAL_DUE of them were made due or
 *	PASS_HEAL_WALK ids were looked at; the due step of the same pass
 *	releases them, and the next pass is asked for at once (stats.capped):
 *	the first releases start in the pass that sees the healing, whatever
 *	the number held, the due set never grows past what a pass releases,
 *	and each held message is written due once per healing. A domain that
 *	fails again stops its healing (its mail stays scheduled); one that
 *	turns during a healing restarts the walk from the first id. The first
 *	verdict of a domain after it is watched (adoption, restart) is its
 *	baseline: only a change seen by this process makes mail due early. The
 *	set is rebuilt from the HELD records every LIMIT_WATCH_RELOAD_S (one
 *	walk, O(held), once an hour), and after a pass in which held mail left
 *	the held state (attempted, released, handed back, gone:
 *	pass_watch_note() at the pass's end): domains with no held mail left
 *	drop out, so an idle retryd verifies nothing. That rebuild waits while
 *	passes run back to back (a release burst, a healing: the pass follows
 *	a capped one or is capped) and comes at most once per verify_window
 *	and per PASS_WATCH_COST_FACTOR times its own last duration: a pass
 *	with everything held and nothing leaving never walks the HELD records,
 *	and a release never pays O(held) per pass.
 *
 *	Owns: ctx->watch between passes (pass_watch_free()).
 * DIAGNOSTICS
 *	Store errors are logged and only delay (the domain is looked at
 *	again in the next window).
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/monotime.h"
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
	struct pass_domhold held; /* every HELD domain (not capped by
				   * LIMIT_PASS_WATCH), for the file */
	int held_bad;		  /* one did not fit: keep the file */
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
	    m->state == STORE_MSG_HELD) {
		pass_watch_add(a->ctx, m->domain);
		if (!a->held_bad &&
		    pass_domhold_insert(&a->held, m->domain) < 0)
			a->held_bad = 1;
	}
	store_message_free(m);
	return 0;
}

/* (Re)build the set from the HELD records, keeping what is known of the
 * domains still in it; the others (no held mail left) are dropped. */
static void watch_load(struct pass_ctx *ctx, int64_t now)
{
	struct pass_watch old = ctx->watch;
	struct watch_load a = {.ctx = ctx};
	int64_t t0 = monotime_ms();
	char err[512];

	memset(&ctx->watch, 0, sizeof(ctx->watch));
	if (store_walk_live_ids(ctx->store, STORE_STATE_BIT(STORE_MSG_HELD),
				watch_load_one, &a, err,
				sizeof(err)) != STORE_OK) {
		log_error("watch: %.400s (tried again next pass)", err);
		pass_watch_free(&ctx->watch);
		pass_domhold_free(&a.held);
		ctx->watch = old;
		return;
	}
	/* held by domain: domains with no HELD mail left leave the file */
	if (!a.held_bad)
		pass_domhold_rebuild(ctx, &a.held);
	pass_domhold_free(&a.held);
	for (size_t i = 0; i < ctx->watch.n; i++) {
		struct pass_watch_dom *o =
		    watch_find(&old, ctx->watch.d[i].name);
		if (o)
			ctx->watch.d[i] = *o;
	}
	ctx->watch.loaded = 1;
	ctx->watch.loaded_at = now;
	ctx->watch.dirty = 0;
	ctx->watch.load_ms = monotime_ms() - t0;
	ctx->watch.healing = old.healing;
	ctx->watch.heal_made = old.heal_made;
	memcpy(ctx->watch.heal_after, old.heal_after, sizeof(old.heal_after));
	if (ctx->watch.n != old.n)
		log_info("watch: %zu domains with held mail", ctx->watch.n);
	pass_watch_free(&old);
}

static int watch_attemptable(enum verify_verdict v)
{
	return v == VERDICT_HEALTHY || v == VERDICT_PROPAGATION ||
	       v == VERDICT_TRANSPORT || v == VERDICT_LOCAL_PATH;
}

struct watch_heal {
	int64_t now;
	const char *mta;
	struct pass_idset ids;	  /* HELD ids of this step, key order */
	const char *const *names; /* the healing domains */
	size_t nnames;
	unsigned char marked[LIMIT_PASS_BATCH]; /* per id: made due */
};

static int watch_heal_collect(enum store_msg_state state, int64_t finished,
			      const char *mta, const char *queue_id, void *arg)
{
	struct watch_heal *a = arg;

	(void)state;
	(void)finished;
	(void)mta; /* the walk is of the policy's MTA only */
	return pass_idset_add(&a->ids, queue_id) < 0 ? -1 : 0;
}

static int watch_heal_mark(struct pass_ctx *ctx, struct store_txn *txn,
			   struct store_message *m, size_t i, void *arg,
			   char *err, size_t errlen)
{
	struct watch_heal *a = arg;

	a->marked[i] = 0; /* a deadlock retry starts the batch again */
	if (m->state != STORE_MSG_HELD || m->next_attempt <= a->now)
		return 0;
	for (size_t k = 0; k < a->nnames; k++)
		if (strcmp(m->domain, a->names[k]) == 0) {
			m->next_attempt = a->now;
			a->marked[i] = 1;
			return 1;
		}
	return 0;
}

/*
 * One step of a healing: HELD ids after w->heal_after, a batch at a time,
 * those of the healing domains scheduled later made due now, until
 * PASS_HEAL_DUE were or PASS_HEAL_WALK ids were looked at. @return how
 * many were made due; *@param end set when the walk reached the last id.
 */
static size_t watch_heal_step(struct pass_ctx *ctx, int64_t now, int *end)
{
	struct pass_watch *w = &ctx->watch;
	const char *names[LIMIT_PASS_DOMAINS];
	struct watch_heal *a = calloc(1, sizeof(*a));
	size_t made = 0, walked = 0;
	char err[512];

	*end = 0;
	if (a == NULL)
		return 0;
	a->now = now;
	a->mta = ctx->policy->mta;
	a->names = names;
	for (size_t i = 0; i < w->n && a->nnames < LIMIT_PASS_DOMAINS; i++)
		if (w->d[i].healing)
			names[a->nnames++] = w->d[i].name;
	while (!*end && made < PASS_HEAL_DUE && walked < PASS_HEAL_WALK) {
		/* never more than PASS_HEAL_DUE made due in one step */
		size_t want = PASS_HEAL_DUE - made < LIMIT_PASS_BATCH
				  ? PASS_HEAL_DUE - made
				  : LIMIT_PASS_BATCH;
		const char **ids;
		size_t n;

		pass_idset_clear(&a->ids);
		if (store_walk_state_ids_after(
			ctx->store, STORE_MSG_HELD, a->mta, w->heal_after, want,
			watch_heal_collect, a, err, sizeof(err)) != STORE_OK) {
			log_error("watch: %.400s (next pass)", err);
			break;
		}
		if ((n = a->ids.n) < want)
			*end = 1;
		if (n == 0 || (ids = pass_idset_ptrs(&a->ids)) == NULL)
			break;
		if (pass_update(ctx, ids, n, watch_heal_mark, a,
				"watch: due now") != STORE_OK) {
			free(ids);
			*end = 0; /* the same batch again next pass */
			break;
		}
		for (size_t i = 0; i < n; i++)
			made += a->marked[i];
		snprintf(w->heal_after, sizeof(w->heal_after), "%s",
			 ids[n - 1]);
		walked += n;
		free(ids);
	}
	pass_idset_free(&a->ids);
	free(a);
	return made;
}

/* Domains that turned attemptable in this pass: a healing (re)starts
 * from the first HELD id; failing ones left it. Then one step. */
static void watch_heal(struct pass_ctx *ctx, const struct pass_domain *turned,
		       size_t nt, int64_t now)
{
	struct pass_watch *w = &ctx->watch;
	size_t healing = 0, made;
	int end;

	if (nt) {
		log_info("watch: %s%s turned attemptable: its held mail due, "
			 "%d a pass",
			 turned[0].name, nt > 1 ? " and others" : "",
			 PASS_HEAL_DUE);
		w->heal_after[0] = '\0';
		if (!w->healing)
			w->heal_made = 0;
		w->healing = 1;
	}
	for (size_t i = 0; i < w->n; i++)
		healing += w->d[i].healing;
	if (!w->healing || healing == 0) {
		w->healing = 0;
		return;
	}
	made = watch_heal_step(ctx, now, &end);
	w->heal_made += made;
	if (!end) /* the due step releases this step: the next one at once */
		ctx->stats.capped = 1;
	if (!end)
		return;
	log_info("watch: %zu held messages made due (healing done)",
		 w->heal_made);
	for (size_t i = 0; i < w->n; i++)
		w->d[i].healing = 0;
	w->healing = 0;
	w->heal_after[0] = '\0';
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

/* A rebuild after held mail left: not while passes run back to back
 * (a release burst, a healing: it would cost O(held) a pass; this pass
 * follows a capped one, or hit a cap itself), at most once per window
 * and per PASS_WATCH_COST_FACTOR times its last cost. */
static int watch_rebuild_due(const struct pass_ctx *ctx, int64_t now)
{
	const struct pass_watch *w = &ctx->watch;
	int64_t gap = w->load_ms * PASS_WATCH_COST_FACTOR / 1000;

	if (gap < ctx->policy->verify_window)
		gap = ctx->policy->verify_window;
	return w->dirty && !w->healing && !ctx->releasing &&
	       !ctx->stats.capped && now - w->loaded_at >= gap;
}

void pass_watch_note(struct pass_ctx *ctx)
{
	/* Held mail left (attempted, released, handed back, gone): its
	 * domain may have none left (watch_rebuild_due). */
	if (ctx->stats.attempted || ctx->stats.released ||
	    ctx->stats.given_back || ctx->stats.gone)
		ctx->watch.dirty = 1;
}

void pass_watch_run(struct pass_ctx *ctx, int64_t now)
{
	struct pass_watch *w = &ctx->watch;
	struct pass_domain *doms, *turned;
	size_t n = 0, nt = 0;

	if (!w->loaded || now - w->loaded_at >= LIMIT_WATCH_RELOAD_S ||
	    now < w->loaded_at || watch_rebuild_due(ctx, now))
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
		if (att && d->known && !d->attemptable) {
			turned[nt++] = doms[i];
			d->healing = 1;
		}
		if (!att)
			d->healing = 0; /* failing again: its mail stays */
		d->attemptable = att;
		d->known = 1; /* the first verdict is the baseline */
	}
	if (nt || w->healing)
		watch_heal(ctx, turned, nt, now);
	free(doms);
	free(turned);
}

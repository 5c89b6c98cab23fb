/*
 * NAME
 *	pass_sentinel 3
 * SUMMARY
 *	the sentinel: verify the watched domains at every MTA resolver node
 *	before mail defers, flush a stale negative cache at once
 * SYNOPSIS
 *	#include "pass/pass.h"
 * DESCRIPTION
 *	pass_sentinel_names() (pure) lists the domains the sentinel watches:
 *	every concrete name of every [group] with watch = yes, and the
 *	group's watch_names (concrete names for patterns such as
 *	"hotmail.*"), each once.
 *
 *	pass_sentinel_run() verifies them like due domains
 *	(pass_verify_domains(): a verification younger than verify_window is
 *	shared with the scheduler, so a domain is never verified twice in a
 *	window) and acts per verdict:
 *	  healthy     nothing; a failure seen before is recorded as ended
 *	  local-path  the flush hook for each failing MTA node only (with its
 *	              answer and the negative TTL it still had), then a fresh
 *	              re-check: one event per node says whether that fixed it
 *	  other       logged when it begins, counted, escalated per the
 *	              group's tiers measured from when the sentinel first saw
 *	              it (pass_hooks_escalate), ended when healthy again
 *	Each domain's watch state (verdict, since when, each MTA node's
 *	answer and negative TTL) and the run (time, domains, queries, ms)
 *	are kept in the store's events database (store_event.c), read by
 *	`retryctl sentinel` and the report. The sentinel never touches mail
 *	in the queue: no plugin verb is called from here.
 * DIAGNOSTICS
 *	Every failure is logged and only skips a domain until the next run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "backoff/backoff.h"
#include "pass/pass_int.h"
#include "util/log.h"

size_t pass_sentinel_names(const struct policy *p, const char **names,
			   size_t max)
{
	size_t n = 0;

	for (size_t g = 0; g < p->ngroups; g++) {
		const struct policy_group *pg = &p->groups[g];
		const struct policy_strlist *lists[2] = {&pg->domains,
							 &pg->watch_names};

		if (!pg->watch)
			continue;
		for (size_t l = 0; l < 2; l++)
			for (size_t i = 0; i < lists[l]->n; i++) {
				const char *d = lists[l]->items[i];
				size_t j;

				if (strchr(d, '*') != NULL)
					continue; /* a pattern: see watch_names */
				for (j = 0; j < n; j++)
					if (strcmp(names[j], d) == 0)
						break;
				if (j == n && n < max)
					names[n++] = d;
			}
	}
	return n;
}

/* The previous watch state of a domain, as the sentinel left it. */
struct watch_prev {
	enum verify_verdict verdict; /* 0: none recorded */
	int64_t since;		     /* first seen failing, 0: healthy */
};

static void watch_prev_load(struct pass_ctx *ctx, const char *domain,
			    struct watch_prev *w)
{
	char *text = NULL, err[256];
	json_t *o, *v;

	memset(w, 0, sizeof(*w));
	if (store_get_watch(ctx->store, NULL, domain, &text, err,
			    sizeof(err)) != STORE_OK)
		return;
	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	v = json_object_get(o, "verdict");
	if (!json_is_string(v) ||
	    verify_verdict_parse(json_string_value(v), &w->verdict) < 0)
		w->verdict = 0;
	v = json_object_get(o, "since");
	w->since = json_is_integer(v) ? json_integer_value(v) : 0;
	json_decref(o);
}

/* Negative TTL left now for an answer checked at @param checked_at. */
int64_t pass_sentinel_ttl_left(int64_t ttl, int64_t seen_at, int64_t now)
{
	int64_t left;

	if (ttl < 0)
		return -1;
	left = ttl - (now > seen_at ? now - seen_at : 0);
	return left > 0 ? left : 0;
}

/* Node answer @param a of @param r into @param o: answer, neg_ttl and
 * neg_ttl_left (at @param now), the last two null without a negative TTL. */
static void answer_json(json_t *o, const struct verify_answer *a,
			const struct verify_result *r, int64_t now)
{
	json_object_set_new(o, "answer",
			    json_string(verify_kind_name(a->kind)));
	json_object_set_new(o, "neg_ttl",
			    a->neg_ttl < 0 ? json_null()
					   : json_integer(a->neg_ttl));
	json_object_set_new(o, "neg_ttl_left",
			    a->neg_ttl < 0
				? json_null()
				: json_integer(pass_sentinel_ttl_left(
				      a->neg_ttl, r->checked_at, now)));
}

/* The UDP answer of MTA node @param node in @param r, or NULL. */
static const struct verify_answer *node_answer(const struct verify_result *r,
					       const char *node)
{
	const struct verify_answer *best = NULL;

	for (size_t i = 0; i < r->nanswers; i++) {
		const struct verify_answer *a = &r->answers[i];

		if (a->role != VERIFY_ROLE_MTA || strcmp(a->server, node) != 0)
			continue;
		if (best == NULL || a->transport == VERIFY_UDP)
			best = a;
	}
	return best;
}

/* The watch state of a domain: verdict, since, each MTA node's answer. */
static void watch_state_save(struct pass_ctx *ctx,
			     const struct verify_result *r,
			     const struct watch_prev *w, int64_t now)
{
	json_t *o = json_object(), *nodes = json_array();
	char err[256], *text;

	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "domain", json_string(r->domain));
	json_object_set_new(o, "last_run", json_integer(now));
	json_object_set_new(o, "checked_at", json_integer(r->checked_at));
	json_object_set_new(o, "verdict",
			    json_string(verify_verdict_name(r->verdict)));
	json_object_set_new(o, "since", json_integer(w->since));
	json_object_set_new(o, "detail", json_string(r->detail));
	for (size_t i = 0; i < r->nanswers; i++) {
		const struct verify_answer *a = &r->answers[i];
		json_t *n;

		if (a->role != VERIFY_ROLE_MTA || a->transport != VERIFY_UDP)
			continue;
		n = json_object();
		json_object_set_new(n, "node", json_string(a->server));
		answer_json(n, a, r, now);
		json_array_append_new(nodes, n);
	}
	json_object_set_new(o, "nodes", nodes);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL || store_put_watch(ctx->store, NULL, r->domain, text,
					    err, sizeof(err)) != STORE_OK)
		log_warn_limited("sentinel-state", 300,
				 "sentinel: %s: state not saved: %.200s",
				 r->domain, text ? err : "out of memory");
	free(text);
}

/* One event: KIND "flush" (at NODE), "began" or "ended". */
static void event_record(struct pass_ctx *ctx, const char *kind,
			 const struct verify_result *r, const char *node,
			 const struct verify_answer *a, int fixed,
			 const char *after, int64_t now)
{
	struct store_event ev;
	json_t *o = json_object();
	char err[256], *text;

	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "domain", json_string(r->domain));
	json_object_set_new(o, "time", json_integer(now));
	json_object_set_new(o, "verdict",
			    json_string(verify_verdict_name(r->verdict)));
	json_object_set_new(o, "detail", json_string(r->detail));
	if (node != NULL)
		json_object_set_new(o, "node", json_string(node));
	if (a != NULL)
		answer_json(o, a, r, now);
	if (after != NULL) {
		json_object_set_new(o, "fixed", json_boolean(fixed));
		json_object_set_new(o, "after", json_string(after));
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.domain, sizeof(ev.domain), "%s", r->domain);
	snprintf(ev.node, sizeof(ev.node), "%s", node ? node : "");
	ev.time = now;
	ev.json = text;
	if (text == NULL || store_add_event(ctx->store, NULL, &ev, err,
					    sizeof(err)) != STORE_OK)
		log_warn_limited("sentinel-event", 300,
				 "sentinel: %s: event not recorded: %.200s",
				 r->domain, text ? err : "out of memory");
	free(text);
}

/* Is @param node still failing in @param r? */
static int node_failing(const struct verify_result *r, const char *node)
{
	const struct verify_answer *a = node_answer(r, node);

	return a == NULL ||
	       (a->kind != VERIFY_KIND_MX && a->kind != VERIFY_KIND_IMPLICIT);
}

/* local-path: flush each failing node, re-check, one event per node. */
static void sentinel_flush(struct pass_ctx *ctx, struct pass_domain *d,
			   const struct verify_result *before, int64_t now)
{
	struct verify_result *after = malloc(sizeof(*after));
	char nodes[LIMIT_POLICY_RESOLVERS][64];
	size_t n = d->nnodes;

	if (after == NULL)
		return;
	memcpy(nodes, d->nodes, sizeof(nodes));
	for (size_t i = 0; i < n; i++) {
		const struct verify_answer *a = node_answer(before, nodes[i]);

		log_info(
		    "sentinel: %s: MTA node %s answers %s (negative TTL "
		    "left %llds): flushing",
		    d->name, nodes[i],
		    a ? verify_kind_name(a->kind) : "nothing",
		    (long long)(a ? pass_sentinel_ttl_left(
					a->neg_ttl, before->checked_at, now)
				  : -1));
	}
	ctx->sentinel.flushes += n;
	pass_hooks_flush(ctx, d);
	pass_hooks_settle(ctx); /* the re-check needs the flush done */
	if (pass_verify_fresh(ctx, d, now, after) < 0) {
		free(after);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int fixed = !node_failing(after, nodes[i]);

		event_record(ctx, "flush", before, nodes[i],
			     node_answer(before, nodes[i]), fixed,
			     verify_verdict_name(after->verdict), now);
		log_info("sentinel: %s: node %s %s (now %s)", d->name, nodes[i],
			 fixed ? "fixed" : "still failing",
			 verify_verdict_name(after->verdict));
	}
	free(after);
}

/* A failure that flushing does not fix: log when it begins, escalate by
 * the group's tiers from when the sentinel first saw it. */
static void sentinel_watch_failure(struct pass_ctx *ctx, struct pass_domain *d,
				   const struct verify_result *r,
				   struct watch_prev *w, int64_t now)
{
	const struct policy_group *g;
	struct backoff_decision bd;

	if (w->since == 0 || w->verdict != r->verdict) {
		log_warn("sentinel: %s: %s (%.200s)", d->name,
			 verify_verdict_name(r->verdict), r->detail);
		event_record(ctx, "began", r, NULL, NULL, 0, NULL, now);
	}
	if (w->since == 0)
		w->since = now;
	g = policy_group_for(ctx->policy, d->name, NULL);
	bd = backoff_next(policy_backoff_for(ctx->policy, g), w->since, now, 0);
	if (bd.action == POLICY_TIER_ESCALATE) {
		d->episode = w->since;
		pass_hooks_escalate(ctx, d, now);
	}
}

/* One watched domain after its verification. */
static void sentinel_domain(struct pass_ctx *ctx, struct pass_domain *d,
			    struct verify_result *r, int64_t now)
{
	struct watch_prev w;

	watch_prev_load(ctx, d->name, &w);
	if (pass_verify_load(ctx, d->name, d->checked_at, r) < 0) {
		log_warn_limited("sentinel-load", 300,
				 "sentinel: %s: verification not readable",
				 d->name);
		return;
	}
	ctx->sentinel.verdicts[(unsigned)r->verdict < PASS_VERDICTS
				   ? (unsigned)r->verdict
				   : 0]++;
	if (r->verdict == VERDICT_HEALTHY) {
		if (w.since != 0) {
			log_info("sentinel: %s: healthy again", d->name);
			event_record(ctx, "ended", r, NULL, NULL, 1,
				     verify_verdict_name(r->verdict), now);
		}
		w.since = 0;
	} else if (r->verdict == VERDICT_LOCAL_PATH) {
		sentinel_flush(ctx, d, r, now);
		if (d->verdict == VERDICT_HEALTHY) /* the re-check */
			w.since = 0;
		else if (w.since == 0)
			w.since = now;
		if (pass_verify_load(ctx, d->name, d->checked_at, r) < 0)
			return;
	} else {
		sentinel_watch_failure(ctx, d, r, &w, now);
	}
	watch_state_save(ctx, r, &w, now);
}

static void sentinel_run_record(struct pass_ctx *ctx, size_t n,
				uint64_t queries, int64_t ms, int64_t now)
{
	char err[256], text[256];

	snprintf(text, sizeof(text),
		 "{\"v\":1,\"last_run\":%lld,\"domains\":%zu,\"queries\":%llu,"
		 "\"ms\":%lld,\"interval\":%lld}",
		 (long long)now, n, (unsigned long long)queries, (long long)ms,
		 (long long)ctx->policy->sentinel_interval);
	if (store_put_watch(ctx->store, NULL, "", text, err, sizeof(err)) !=
	    STORE_OK)
		log_warn_limited("sentinel-run", 300,
				 "sentinel: run not recorded: %.200s", err);
}

static int64_t sentinel_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pass_sentinel_run(struct pass_ctx *ctx, int64_t now)
{
	const char *names[LIMIT_SENTINEL_DOMAINS];
	struct pass_domain *doms;
	struct verify_result *r;
	uint64_t q0 = ctx->stats.queries;
	int64_t t0 = sentinel_mono_ms();
	size_t n;

	if (!ctx->policy->sentinel_enabled || ctx->nospace)
		return 0;
	n = pass_sentinel_names(ctx->policy, names, LIMIT_SENTINEL_DOMAINS);
	if (n == 0)
		return 0;
	doms = calloc(n, sizeof(*doms));
	r = malloc(sizeof(*r));
	if (doms == NULL || r == NULL) {
		free(doms);
		free(r);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(doms[i].name, sizeof(doms[i].name), "%s", names[i]);
	if (pass_verify_domains(ctx, doms, n, now) == 0)
		for (size_t i = 0; i < n; i++)
			if (doms[i].have)
				sentinel_domain(ctx, &doms[i], r, now);
	ctx->sentinel.runs++;
	sentinel_run_record(ctx, n, ctx->stats.queries - q0,
			    sentinel_mono_ms() - t0, now);
	free(r);
	free(doms);
	return 0;
}

/*
 * NAME
 *	status_sentinel 3
 * SUMMARY
 *	the sentinel's state for retryctl status and the metrics
 * SYNOPSIS
 *	#include "status/status.h"

#include "pass/pass.h"
 * DESCRIPTION
 *	status_sentinel() reads the watch states the sentinel keeps in the
 *	store (store_walk_watch): its last run, and per watched domain and
 *	MTA resolver node the last verdict, the node's answer and, for a
 *	negative answer, the negative TTL the node had left at the check
 *	(aged to @param now), at most STATUS_SENTINEL_ROWS rows.
 * DIAGNOSTICS
 *	A record whose JSON does not parse is skipped; -1 with @param err
 *	when the store cannot be walked.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "pass/pass.h"
#include "status/status.h"

struct ss_walk {
	struct status_census *c;
	int64_t now;
};

static int64_t ss_int(const json_t *o, const char *k, int64_t dflt)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static const char *ss_str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static void ss_rows(struct ss_walk *w, const char *domain, const json_t *o)
{
	struct status_census *c = w->c;
	int64_t at = ss_int(o, "last_run", w->now);
	const json_t *n;
	size_t i;

	json_array_foreach(json_object_get(o, "nodes"), i, n)
	{
		struct status_sentinel_row *r;

		if (c->nsentinel == STATUS_SENTINEL_ROWS)
			return;
		r = &c->sentinel[c->nsentinel++];
		snprintf(r->domain, sizeof(r->domain), "%s", domain);
		snprintf(r->node, sizeof(r->node), "%s", ss_str(n, "node"));
		snprintf(r->verdict, sizeof(r->verdict), "%s",
			 ss_str(o, "verdict"));
		snprintf(r->answer, sizeof(r->answer), "%s",
			 ss_str(n, "answer"));
		r->neg_left = pass_sentinel_ttl_left(
		    ss_int(n, "neg_ttl_left", -1), at, w->now);
	}
}

static int ss_one(const struct store_event *ev, void *arg)
{
	struct ss_walk *w = arg;
	json_t *o = json_loads(ev->json, JSON_REJECT_DUPLICATES, NULL);

	if (json_is_object(o)) {
		if (ev->domain[0] == '\0') {
			w->c->sentinel_last_run = ss_int(o, "last_run", 0);
			w->c->sentinel_domains =
			    (size_t)ss_int(o, "domains", 0);
		} else {
			ss_rows(w, ev->domain, o);
		}
	}
	json_decref(o);
	return 0;
}

int status_sentinel(struct store *st, struct status_census *c, int64_t now,
		    char *err, size_t errlen)
{
	struct ss_walk w = {c, now};

	c->nsentinel = 0;
	return store_walk_watch(st, ss_one, &w, err, errlen) == STORE_OK ? 0
									 : -1;
}

/*
 * NAME
 *	report_sentinel 3
 * SUMMARY
 *	the sentinel's events in the report: collected from the store,
 *	printed as text
 * SYNOPSIS
 *	#include "report/report.h"
 * DESCRIPTION
 *	report_sentinel_collect() adds "sentinel_events" to a report document:
 *	every event the sentinel recorded (store_walk_events) since the
 *	report's start for the domains in scope (one domain, a policy group's
 *	domains by policy_group_for(), or all), oldest first, each the
 *	sentinel's own object (kind flush/began/ended, domain, node, answer,
 *	negative TTL left, fixed, verdict after) plus "at", its time in ISO
 *	8601 UTC, and "result" ("fixed" or "not fixed") for a flush. At most LIMIT_REPORT_SENTINEL_EVENTS, the newest kept.
 *	report_sentinel_print_text() prints them as one line each; the HTML
 *	page lists them in its proof section (report_html.c).
 * DIAGNOSTICS
 *	An event whose JSON does not parse is skipped; store errors and
 *	ENOMEM return -1 with @param err.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report.h"

struct rsent_walk {
	const struct policy *p;
	enum report_scope_kind kind;
	const char *name;
	json_t *events;
};

static int rsent_in_scope(const struct rsent_walk *w, const char *domain)
{
	const struct policy_group *g;

	switch (w->kind) {
	case REPORT_SCOPE_DOMAIN:
		return strcmp(domain, w->name) == 0;
	case REPORT_SCOPE_GROUP:
		g = w->p ? policy_group_for(w->p, domain, NULL) : NULL;
		return g != NULL && strcmp(g->name, w->name) == 0;
	default:
		return 1;
	}
}

static int rsent_one(const struct store_event *ev, void *arg)
{
	struct rsent_walk *w = arg;
	char at[32];
	time_t t = (time_t)ev->time;
	struct tm tm;
	json_t *o;

	if (!rsent_in_scope(w, ev->domain))
		return 0;
	o = json_loads(ev->json, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	if (gmtime_r(&t, &tm) != NULL &&
	    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		json_object_set_new(o, "at", json_string(at));
	if (json_is_boolean(json_object_get(o, "fixed")))
		json_object_set_new(
		    o, "result",
		    json_string(json_is_true(json_object_get(o, "fixed"))
				    ? "fixed"
				    : "not fixed"));
	if (json_array_size(w->events) >= LIMIT_REPORT_SENTINEL_EVENTS)
		json_array_remove(w->events, 0);
	return json_array_append_new(w->events, o) < 0 ? -1 : 0;
}

/* Oldest first: the store walks domain by domain. */
static int rsent_cmp(const void *a, const void *b)
{
	json_int_t x = json_integer_value(
		       json_object_get(*(json_t *const *)a, "time")),
		   y = json_integer_value(
		       json_object_get(*(json_t *const *)b, "time"));

	return x < y ? -1 : x > y;
}

static json_t *rsent_sorted(json_t *events)
{
	size_t n = json_array_size(events), i;
	json_t **v = n ? calloc(n, sizeof(*v)) : NULL, *out = json_array();

	if (out == NULL || (n && v == NULL)) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(events, i);
	if (n > 1)
		qsort(v, n, sizeof(*v), rsent_cmp);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

int report_sentinel_collect(json_t *doc, struct store *st,
			    const struct policy *p, enum report_scope_kind kind,
			    const char *name, int64_t since, char *err,
			    size_t errlen)
{
	struct rsent_walk w = {p, kind, name, json_array()};
	char serr[512];
	json_t *sorted;
	int rc;

	if (w.events == NULL) {
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	rc = store_walk_events(st, kind == REPORT_SCOPE_DOMAIN ? name : NULL,
			       since, rsent_one, &w, serr, sizeof(serr));
	if (rc != STORE_OK) {
		snprintf(err, errlen, "report: sentinel events: %s",
			 rc == STORE_ERROR || rc == STORE_RETRY
			     ? serr
			     : "out of memory");
		json_decref(w.events);
		return -1;
	}
	sorted = rsent_sorted(w.events);
	json_decref(w.events);
	if (sorted == NULL ||
	    json_object_set_new(doc, "sentinel_events", sorted) < 0) {
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	return 0;
}

static const char *rsent_str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

void report_sentinel_print_text(FILE *out, const json_t *doc)
{
	const json_t *events = json_object_get(doc, "sentinel_events"), *e;
	size_t i;

	if (json_array_size(events) == 0)
		return;
	fputs("\nsentinel events (checks of the watched domains at each MTA "
	      "resolver node):\n",
	      out);
	json_array_foreach(events, i, e)
	{
		const json_t *left = json_object_get(e, "neg_ttl_left"),
			     *fixed = json_object_get(e, "fixed");

		fprintf(out, "  %s %.64s %s", rsent_str(e, "at"),
			rsent_str(e, "domain"), rsent_str(e, "kind"));
		fprintf(out, " verdict=%s", rsent_str(e, "verdict"));
		if (json_is_string(json_object_get(e, "node")))
			fprintf(out, " node=%.64s answer=%s",
				rsent_str(e, "node"), rsent_str(e, "answer"));
		if (json_is_integer(left))
			fprintf(out, " negative-ttl-left=%llds",
				(long long)json_integer_value(left));
		if (json_is_boolean(fixed))
			fprintf(out, " %s (now %s)",
				json_is_true(fixed) ? "fixed" : "not fixed",
				rsent_str(e, "after"));
		fputc('\n', out);
	}
}

/*
 * NAME
 *	report_lanes 3
 * SUMMARY
 *	the report's pictures as data: resolver lanes, verdict band, series
 * SYNOPSIS
 *	#include "report/report_int.h"
 * DESCRIPTION
 *	A timeline per domain is kept as runs of equal answers, never one
 *	entry per query: each resolver (role, server, transport) is a lane,
 *	and consecutive verifications in which that resolver gave the same
 *	kind of answer extend one run {class, kind, from, to, n, ttl_min,
 *	ttl_max, neg_ttl}. The verdicts of the domain form the same kind of
 *	runs (the band on top). A lane keeps at most LIMIT_REPORT_RUNS runs:
 *	past that, the two adjacent runs that together last the shortest
 *	are merged (class "mixed" when they differ), so a flapping resolver
 *	stays visible as such and the page stays bounded whatever the number
 *	of verifications. At most LIMIT_REPORT_LANES lanes per domain; more
 *	are counted.
 *
 *	The series divide the window into LIMIT_REPORT_BUCKETS buckets: the
 *	messages retryd held during each (from adoption to the last attempt
 *	of a finished message) and the attempts' outcomes (delivered,
 *	deferred, bounced) from the evidence.
 *
 *	report_answer_class() names the colour of an answer: usable (an MX
 *	or an implicit MX), negative (NXDOMAIN, NODATA, MX without
 *	address), null (RFC 7505 null MX), transient (timeouts, SERVFAIL,
 *	REFUSED, truncation, malformed, unreachable) and filtered (a
 *	negative answer from a resolver on our path in a verification whose
 *	verdict is "filtered", or a kind the verifier names as filtered).
 *
 *	Pure: no I/O, no clock, no globals.
 * DIAGNOSTICS
 *	Out of memory sets r->nomem (report_json() then fails).
 */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

static int rl_cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *report_answer_class(const char *kind, const char *verdict,
				const char *role)
{
	static const char *const usable[] = {"mx", "implicit-mx", NULL};
	static const char *const negative[] = {"nodata", "nxdomain",
					       "mx-noaddr", NULL};
	const char *const *k;

	for (k = usable; *k; k++)
		if (strcmp(kind, *k) == 0)
			return "usable";
	if (strcmp(kind, "null-mx") == 0)
		return "null";
	if (strstr(kind, "filter") != NULL || strstr(kind, "forged") != NULL ||
	    strstr(kind, "rewrit") != NULL)
		return "filtered";
	for (k = negative; *k; k++)
		if (strcmp(kind, *k) == 0)
			return verdict && strcmp(verdict, "filtered") == 0 &&
				       strcmp(role, "authoritative") != 0
				   ? "filtered"
				   : "negative";
	return "transient";
}

static int64_t rl_int(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static void rl_set(struct report *r, json_t *o, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(o, k, v) < 0)
		r->nomem = 1;
}

/* Merge the runs @param i and @param i + 1 of @param runs into one. */
static void rl_merge(struct report *r, json_t *runs, size_t i)
{
	json_t *a = json_array_get(runs, i), *b = json_array_get(runs, i + 1);
	int64_t ta = rl_int(a, "ttl_min"), tb = rl_int(b, "ttl_min");

	if (strcmp(report_get_str(a, "class"), report_get_str(b, "class")))
		rl_set(r, a, "class", json_string("mixed"));
	if (strcmp(report_get_str(a, "kind"), report_get_str(b, "kind")))
		rl_set(r, a, "kind", json_string("mixed"));
	rl_set(r, a, "to", json_integer(rl_int(b, "to")));
	rl_set(r, a, "n", json_integer(rl_int(a, "n") + rl_int(b, "n")));
	if (tb >= 0 && (ta < 0 || tb < ta))
		rl_set(r, a, "ttl_min", json_integer(tb));
	if (rl_int(b, "ttl_max") > rl_int(a, "ttl_max"))
		rl_set(r, a, "ttl_max", json_integer(rl_int(b, "ttl_max")));
	if (rl_int(b, "neg_ttl") >= 0)
		rl_set(r, a, "neg_ttl", json_integer(rl_int(b, "neg_ttl")));
	json_array_remove(runs, i + 1);
}

/* Over the bound: merge the adjacent pair that lasts the shortest. */
static void rl_squeeze(struct report *r, json_t *runs)
{
	size_t i, best = 0;
	int64_t span, best_span = -1;

	for (i = 0; i + 1 < json_array_size(runs); i++) {
		span = rl_int(json_array_get(runs, i + 1), "to") -
		       rl_int(json_array_get(runs, i), "from");
		if (best_span < 0 || span < best_span) {
			best_span = span;
			best = i;
		}
	}
	rl_merge(r, runs, best);
}

/* Extend the last run of @param runs, or start a new one, at @param t. */
static void rl_run_add(struct report *r, json_t *runs, const char *cls,
		       const char *kind, int64_t t, int64_t ttl, int64_t neg)
{
	json_t *last = json_array_get(runs, json_array_size(runs) - 1);

	if (last != NULL && strcmp(report_get_str(last, "class"), cls) == 0 &&
	    strcmp(report_get_str(last, "kind"), kind) == 0) {
		if (t > rl_int(last, "to"))
			rl_set(r, last, "to", json_integer(t));
		if (t < rl_int(last, "from"))
			rl_set(r, last, "from", json_integer(t));
		rl_set(r, last, "n", json_integer(rl_int(last, "n") + 1));
		if (ttl >= 0 && (rl_int(last, "ttl_min") < 0 ||
				 ttl < rl_int(last, "ttl_min")))
			rl_set(r, last, "ttl_min", json_integer(ttl));
		if (ttl > rl_int(last, "ttl_max"))
			rl_set(r, last, "ttl_max", json_integer(ttl));
		if (neg >= 0)
			rl_set(r, last, "neg_ttl", json_integer(neg));
		return;
	}
	if (json_array_append_new(
		runs, json_pack("{s:s, s:s, s:I, s:I, s:i, s:I, s:I, s:I}",
				"class", cls, "kind", kind, "from",
				(json_int_t)t, "to", (json_int_t)t, "n", 1,
				"ttl_min", (json_int_t)ttl, "ttl_max",
				(json_int_t)ttl, "neg_ttl", (json_int_t)neg)) <
	    0) {
		r->nomem = 1;
		return;
	}
	if (json_array_size(runs) > LIMIT_REPORT_RUNS)
		rl_squeeze(r, runs);
}

/* The timeline of @param domain, created empty when missing. */
static json_t *rl_timeline(struct report *r, const char *domain)
{
	json_t *tl = json_object_get(r->timelines, domain);

	if (tl != NULL)
		return tl;
	if (json_object_size(r->timelines) >= LIMIT_REPORT_DOMAINS)
		return NULL;
	tl = json_pack("{s:[], s:{}, s:i}", "verdict_runs", "lanes",
		       "lanes_not_shown", 0);
	if (tl == NULL || json_object_set_new(r->timelines, domain, tl) < 0) {
		r->nomem = 1;
		return NULL;
	}
	return tl;
}

static int rl_role_rank(const char *role)
{
	if (strcmp(role, "mta") == 0)
		return 1;
	if (strcmp(role, "independent") == 0)
		return 2;
	return 3;
}

/* The lane of answer @param a in @param tl, created when missing. */
static json_t *rl_lane(struct report *r, json_t *tl, const json_t *a)
{
	const char *role = report_get_str(a, "role"),
		   *server = report_get_str(a, "server"),
		   *tr = report_get_str(a, "transport");
	json_t *lanes = json_object_get(tl, "lanes"), *lane;
	char key[160];

	/* The rank first: the lanes come out mta, independent, auth. */
	snprintf(key, sizeof(key), "%d %s %s %s", rl_role_rank(role), role,
		 server, tr);
	if ((lane = json_object_get(lanes, key)) != NULL)
		return json_object_get(lane, "runs");
	if (json_object_size(lanes) >= LIMIT_REPORT_LANES) {
		rl_set(r, tl, "lanes_not_shown",
		       json_integer(rl_int(tl, "lanes_not_shown") + 1));
		return NULL;
	}
	lane = json_pack("{s:s, s:s, s:s, s:[]}", "role", role, "server",
			 server, "transport", tr, "runs");
	if (lane == NULL || json_object_set_new(lanes, key, lane) < 0) {
		r->nomem = 1;
		return NULL;
	}
	return json_object_get(lane, "runs");
}

void report_lanes_add(struct report *r, const char *domain, const char *verdict,
		      int64_t t, const json_t *answers)
{
	json_t *tl = rl_timeline(r, domain), *a, *runs;
	size_t i;

	if (tl == NULL)
		return;
	rl_run_add(r, json_object_get(tl, "verdict_runs"), verdict, verdict, t,
		   -1, -1);
	json_array_foreach(answers, i, a)
	{
		const char *kind = report_get_str(a, "kind"),
			   *cls = report_answer_class(
			       kind, verdict, report_get_str(a, "role"));
		json_t *neg = json_object_get(a, "neg_ttl");

		if ((runs = rl_lane(r, tl, a)) == NULL)
			continue;
		rl_run_add(r, runs, cls, kind, t,
			   strcmp(cls, "usable") == 0 ? rl_int(a, "ttl") : -1,
			   json_is_integer(neg) ? json_integer_value(neg) : -1);
	}
}

/* The bucket of time @param t, or -1 outside the window. */
static int rl_bucket(const struct report *r, int64_t t)
{
	int64_t span = r->now - r->since;

	if (span <= 0 || t < r->since || t > r->now)
		return -1;
	if (t == r->now)
		return LIMIT_REPORT_BUCKETS - 1;
	return (int)((t - r->since) * LIMIT_REPORT_BUCKETS / span);
}

void report_series_message(struct report *r, const struct store_message *m)
{
	int64_t span = r->now - r->since,
		start = m->adopted_at ? m->adopted_at : m->first_failure,
		end = r->now;

	if (m->state == STORE_MSG_DONE)
		end = m->last_attempt > start ? m->last_attempt : start;
	if (span <= 0 || start <= 0)
		return;
	for (int b = 0; b < LIMIT_REPORT_BUCKETS; b++) {
		int64_t bs = r->since + span * b / LIMIT_REPORT_BUCKETS,
			be = r->since + span * (b + 1) / LIMIT_REPORT_BUCKETS;

		if (start < be && end >= bs)
			r->held[b]++;
	}
}

void report_series_evidence(struct report *r, const struct store_evidence *ev)
{
	int b = rl_bucket(r, ev->time);

	if (b < 0)
		return;
	if (ev->outcome == STORE_OUTCOME_DELIVERED)
		r->delivered[b]++;
	else if (ev->outcome == STORE_OUTCOME_DEFERRED)
		r->deferred[b]++;
	else if (ev->outcome == STORE_OUTCOME_BOUNCED)
		r->bounced[b]++;
}

static json_t *rl_counts(const int64_t *v)
{
	json_t *a = json_array();

	for (int b = 0; a && b < LIMIT_REPORT_BUCKETS; b++)
		if (json_array_append_new(a, json_integer(v[b])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *report_series_json(const struct report *r)
{
	return json_pack(
	    "{s:I, s:I, s:i, s:o, s:o, s:o, s:o}", "start_unix",
	    (json_int_t)r->since, "end_unix", (json_int_t)r->now, "buckets",
	    LIMIT_REPORT_BUCKETS, "held", rl_counts(r->held), "delivered",
	    rl_counts(r->delivered), "deferred", rl_counts(r->deferred),
	    "bounced", rl_counts(r->bounced));
}

/* One domain's timeline: lanes in role order (mta, independent, auth). */
static json_t *rl_timeline_json(const char *domain, const json_t *tl)
{
	json_t *lanes = json_array(), *lane;
	const char **keys;
	size_t n = json_object_size(json_object_get(tl, "lanes")), i = 0;
	const char *key;

	keys = lanes ? calloc(n + 1, sizeof(*keys)) : NULL;
	if (keys == NULL) {
		json_decref(lanes);
		return NULL;
	}
	json_object_foreach((json_t *)json_object_get(tl, "lanes"), key, lane)
	    keys[i++] = key;
	qsort(keys, n, sizeof(*keys), rl_cmp_key);
	for (i = 0; i < n; i++)
		json_array_append(
		    lanes,
		    json_object_get(json_object_get(tl, "lanes"), keys[i]));
	free(keys);
	return json_pack("{s:s, s:O, s:o, s:O}", "domain", domain,
			 "verdict_runs", json_object_get(tl, "verdict_runs"),
			 "lanes", lanes, "lanes_not_shown",
			 json_object_get(tl, "lanes_not_shown"));
}

json_t *report_timelines_json(const struct report *r)
{
	json_t *out = json_array(), *tl;
	const char *domain;

	if (out == NULL)
		return NULL;
	json_object_foreach(r->timelines, domain, tl)
	{
		if (json_array_append_new(out, rl_timeline_json(domain, tl)) <
		    0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

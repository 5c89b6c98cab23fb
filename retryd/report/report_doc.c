/*
 * NAME
 *	report_doc 3
 * SUMMARY
 *	the report document: duration class and the runbook's next action
 * SYNOPSIS
 *	#include "report/report.h"
 * DESCRIPTION
 *	report_json() turns what report.c accumulated into the document of
 *	report.h: times as ISO 8601 UTC, the duration class of the earliest
 *	current failure, the failing MTA resolver nodes and the next action
 *	(retry and watch; check the local path naming the failing nodes;
 *	escalate to the DNS team or the domain's provider with the proof).
 *
 *	Pure: no I/O, no clock, no globals. The document belongs to the
 *	caller.
 * DIAGNOSTICS
 *	NULL only when out of memory.
 */
#include <string.h>
#include <time.h>

#include "report/report.h"
#include "report/report_int.h"

enum report_duration report_duration_class(int64_t first_failing, int64_t now)
{
	int64_t age = now - first_failing;

	if (first_failing <= 0)
		return REPORT_DURATION_NONE;
	if (age < 3600)
		return REPORT_DURATION_UNDER_1H;
	if (age <= 4 * 3600)
		return REPORT_DURATION_1H_4H;
	return REPORT_DURATION_OVER_4H;
}

const char *report_duration_name(enum report_duration d)
{
	switch (d) {
	case REPORT_DURATION_UNDER_1H:
		return "under-1h";
	case REPORT_DURATION_1H_4H:
		return "1h-4h";
	case REPORT_DURATION_OVER_4H:
		return "over-4h";
	case REPORT_DURATION_NONE:
		break;
	}
	return "none";
}

/* ISO 8601 UTC, or JSON null for 0 (unknown). */
static json_t *report_time(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static int64_t report_int(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

/* The runbook's next step for @param cls and what the nodes show. */
static json_t *report_action(enum report_duration cls, const json_t *nodes,
			     int other_failed)
{
	char list[768] = "", text[1200];
	const char *code = "retry-and-watch";
	size_t used = 0, i, nmta = 0;
	json_t *n;

	json_array_foreach(nodes, i, n)
	{
		int w;

		if (strcmp(report_get_str(n, "role"), "mta") != 0 ||
		    report_int(n, "failed") == 0)
			continue;
		nmta++;
		w = snprintf(list + used, sizeof(list) - used,
			     "%s%.64s (%lld of %lld answers failed)",
			     used ? ", " : "", report_get_str(n, "server"),
			     (long long)report_int(n, "failed"),
			     (long long)report_int(n, "answers"));
		if (w < 0 || (size_t)w >= sizeof(list) - used)
			break;
		used += (size_t)w;
	}
	switch (cls) {
	case REPORT_DURATION_NONE:
		snprintf(text, sizeof(text),
			 "no failure in progress: nothing to escalate; retryd "
			 "keeps verifying DNS before every attempt");
		break;
	case REPORT_DURATION_UNDER_1H:
		snprintf(text, sizeof(text),
			 "failing for under 1 h: retry and watch; retryd "
			 "re-verifies DNS freshly before every attempt");
		break;
	case REPORT_DURATION_1H_4H:
		code = "check-local-path";
		if (nmta > 0)
			snprintf(
			    text, sizeof(text),
			    "failing for 1-4 h: check the local resolver "
			    "cache (flush negative entries), the resolver "
			    "pool and the DNS transport (UDP/TCP); failing "
			    "MTA resolver nodes: %s",
			    list);
		else
			snprintf(text, sizeof(text),
				 "failing for 1-4 h: check the local resolver "
				 "cache, the resolver pool and the DNS "
				 "transport (UDP/TCP); no MTA resolver node "
				 "failed in this window");
		break;
	case REPORT_DURATION_OVER_4H:
		code = "escalate";
		if (nmta > 0 && !other_failed)
			snprintf(text, sizeof(text),
				 "failing for over 4 h, only at the MTA's "
				 "resolver nodes %s: escalate to your DNS team "
				 "with this proof",
				 list);
		else if (other_failed)
			snprintf(text, sizeof(text),
				 "failing for over 4 h, also at independent or "
				 "authoritative servers: escalate to the "
				 "domain's provider (or your DNS team) with "
				 "this proof%s%s",
				 nmta ? "; failing MTA resolver nodes: " : "",
				 list);
		else
			snprintf(text, sizeof(text),
				 "failing for over 4 h: escalate to the "
				 "provider or DNS team with this proof");
		break;
	}
	return json_pack("{s:s, s:s}", "code", code, "text", text);
}

/* The domains with their duration class; *@param first gets the
 * earliest current failure (0: none). */
static json_t *report_doc_domains(const struct report *r, int64_t *first)
{
	json_t *domains = json_array(), *d;
	const char *key;

	*first = 0;
	if (domains == NULL)
		return NULL;
	json_object_foreach(r->domains, key, d)
	{
		int64_t ff = report_int(d, "first_failing");

		if (ff > 0 && (*first == 0 || ff < *first))
			*first = ff;
		json_array_append_new(
		    domains,
		    json_pack("{s:O, s:O, s:o, s:o, s:o, s:O, s:o, s:o, s:s}",
			      "domain", json_object_get(d, "domain"), "verdict",
			      json_object_get(d, "verdict"), "first_failing",
			      report_time(ff), "last_healthy",
			      report_time(report_int(d, "last_healthy")),
			      "last_verified",
			      report_time(report_int(d, "last_verified")),
			      "last_mx", json_object_get(d, "last_mx"),
			      "last_escalated",
			      report_time(report_int(d, "last_escalated")),
			      "failing_for",
			      ff > 0 ? json_integer(r->now - ff) : json_null(),
			      "duration_class",
			      report_duration_name(
				  report_duration_class(ff, r->now))));
	}
	return domains;
}

/* Verdicts over time: count, first and last seen. */
static json_t *report_doc_verdicts(const struct report *r)
{
	json_t *verdicts = json_array(), *v;
	const char *key;

	if (verdicts == NULL)
		return NULL;
	json_object_foreach(r->verdicts, key, v) json_array_append_new(
	    verdicts,
	    json_pack("{s:O, s:O, s:O, s:o, s:o}", "domain",
		      json_object_get(v, "domain"), "verdict",
		      json_object_get(v, "verdict"), "count",
		      json_object_get(v, "count"), "first_seen",
		      report_time(report_int(v, "first_seen")), "last_seen",
		      report_time(report_int(v, "last_seen"))));
	return verdicts;
}

/* The verifications kept in full; *@param shown gets their number. */
static json_t *report_doc_verifications(const struct report *r, size_t *shown)
{
	json_t *verifs = json_array(), *list, *v;
	const char *key;
	size_t i;

	*shown = 0;
	if (verifs == NULL)
		return NULL;
	json_object_foreach(r->vkept, key, list) json_array_foreach(list, i, v)
	{
		json_array_append_new(
		    verifs,
		    json_pack("{s:O, s:o, s:I, s:O, s:O, s:O}", "domain",
			      json_object_get(v, "domain"), "checked_at",
			      report_time(report_int(v, "checked_at")),
			      "checked_at_unix",
			      (json_int_t)report_int(v, "checked_at"),
			      "verdict", json_object_get(v, "verdict"),
			      "detail", json_object_get(v, "detail"), "answers",
			      json_object_get(v, "answers")));
		(*shown)++;
	}
	return verifs;
}

/* Resolver nodes; the failing MTA nodes into @param failing;
 * *@param other_failed: an independent or authoritative one failed. */
static json_t *report_doc_nodes(const struct report *r, json_t *failing,
				int *other_failed)
{
	json_t *nodes = json_array(), *v;
	const char *key;

	*other_failed = 0;
	if (nodes == NULL)
		return NULL;
	json_object_foreach(r->nodes, key, v)
	{
		json_array_append(nodes, v);
		if (report_int(v, "failed") == 0)
			continue;
		if (strcmp(report_get_str(v, "role"), "mta") == 0)
			json_array_append(failing,
					  json_object_get(v, "server"));
		else
			*other_failed = 1;
	}
	return nodes;
}

/* The sending hosts and the sample, times as ISO 8601. */
static int report_doc_people(const struct report *r, json_t *hosts,
			     json_t *sample)
{
	json_t *v;
	const char *key;
	size_t i;

	json_object_foreach(r->hosts, key, v) json_array_append(hosts, v);
	json_array_foreach(r->sample, i, v)
	{
		json_t *c = json_deep_copy(v);

		if (c == NULL)
			return -1;
		json_object_set_new(
		    c, "first_failure",
		    report_time(report_int(v, "first_failure")));
		json_array_append_new(sample, c);
	}
	return 0;
}

json_t *report_json(const struct report *r)
{
	json_t *domains = NULL, *verdicts = NULL, *verifs = NULL, *nodes = NULL,
	       *failing = json_array(), *hosts = json_array(),
	       *sample = json_array(), *timelines = NULL, *series = NULL;
	int64_t first = 0;
	int other_failed = 0;
	size_t shown = 0;
	enum report_duration cls;

	if (r->nomem || !failing || !hosts || !sample ||
	    !(domains = report_doc_domains(r, &first)) ||
	    !(verdicts = report_doc_verdicts(r)) ||
	    !(verifs = report_doc_verifications(r, &shown)) ||
	    !(nodes = report_doc_nodes(r, failing, &other_failed)) ||
	    report_doc_people(r, hosts, sample) < 0 ||
	    !(timelines = report_timelines_json(r)) ||
	    !(series = report_series_json(r)))
		goto nomem;
	cls = report_duration_class(first, r->now);
	return json_pack(
	    "{s:s, s:s, s:o, s:{s:s, s:s?}, s:{s:o, s:o, s:I, s:I},"
	    " s:o, s:I, s:{s:o, s:o, s:s}, s:o, s:I, s:I, s:I, s:o,"
	    " s:o, s:o, s:I, s:{s:I, s:I, s:I, s:o}, s:o, s:o, s:o, s:o}",
	    "report", "retryd proof bundle", "host_id", r->host_id,
	    "generated_at", report_time(r->now), "scope", "kind",
	    r->kind == REPORT_SCOPE_DOMAIN  ? "domain"
	    : r->kind == REPORT_SCOPE_GROUP ? "group"
					    : "all",
	    "name", r->kind == REPORT_SCOPE_ALL ? NULL : r->name, "window",
	    "since", report_time(r->since), "until", report_time(r->now),
	    "since_unix", (json_int_t)r->since, "until_unix",
	    (json_int_t)r->now, "domains", domains, "domains_not_shown",
	    (json_int_t)r->domains_dropped, "duration", "first_failing",
	    report_time(first), "failing_for",
	    first > 0 ? json_integer(r->now - first) : json_null(), "class",
	    report_duration_name(cls), "verdicts", verdicts,
	    "verifications_total", (json_int_t)r->vtotal, "verifications_shown",
	    (json_int_t)shown, "verifications_unreadable", (json_int_t)r->vbad,
	    "verifications", verifs, "resolver_nodes", nodes,
	    "failing_mta_nodes", failing, "resolver_nodes_not_shown",
	    (json_int_t)r->nodes_dropped, "messages", "total",
	    (json_int_t)r->msgs_total, "recipients_total",
	    (json_int_t)r->rcpts_total, "sample_size",
	    (json_int_t)json_array_size(sample), "sample", sample,
	    "sending_hosts", hosts, "action",
	    report_action(cls, nodes, other_failed), "timelines", timelines,
	    "series", series);
nomem:
	json_decref(domains);
	json_decref(verdicts);
	json_decref(verifs);
	json_decref(nodes);
	json_decref(failing);
	json_decref(hosts);
	json_decref(sample);
	json_decref(timelines);
	json_decref(series);
	return NULL;
}

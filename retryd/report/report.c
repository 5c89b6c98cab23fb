/*
 * NAME
 *	report 3
 * SUMMARY
 *	build the escalation proof from store records (pure)
 * SYNOPSIS
 *	#include "report/report.h"
 * DESCRIPTION
 *	A struct report accumulates what the store says about a scope over
 *	a window: domain records, verifications (each resolver's answer,
 *	parsed from the verifier's JSON with JSON_REJECT_DUPLICATES and
 *	reduced to known, type-checked fields), affected messages and
 *	evidence. It keeps per domain only the latest verifications in full,
 *	a bounded sample of recipients and bounded tables of resolver nodes
 *	and sending hosts; everything else is counted. report_json() makes
 *	the document, including the duration class (from the domains'
 *	first_failing) and the recommended next action (report_doc.c).
 *
 *	Pure: no I/O, no clock, no globals. Owns its jansson values.
 * DIAGNOSTICS
 *	Only ENOMEM fails; unreadable verification JSON is counted in
 *	verifications_unreadable.
 */
#include "report/report.h"
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

struct report *report_new(enum report_scope_kind kind, const char *name,
			  const char *host_id, int64_t since, int64_t now,
			  const struct report_options *opt)
{
	struct report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->kind = kind;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	snprintf(r->host_id, sizeof(r->host_id), "%s", host_id ? host_id : "");
	r->since = since;
	r->now = now;
	r->max_verifications = opt && opt->max_verifications
				   ? opt->max_verifications
				   : LIMIT_REPORT_VERIFICATIONS;
	r->max_sample =
	    opt && opt->max_sample ? opt->max_sample : LIMIT_REPORT_SAMPLE;
	r->domains = json_object();
	r->verdicts = json_object();
	r->vkept = json_object();
	r->nodes = json_object();
	r->sample = json_array();
	r->hosts = json_object();
	r->timelines = json_object();
	if (!r->domains || !r->verdicts || !r->vkept || !r->nodes ||
	    !r->sample || !r->hosts || !r->timelines) {
		report_free(r);
		return NULL;
	}
	return r;
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	json_decref(r->domains);
	json_decref(r->verdicts);
	json_decref(r->vkept);
	json_decref(r->nodes);
	json_decref(r->sample);
	json_decref(r->hosts);
	json_decref(r->timelines);
	free(r);
}

/* A JSON string for store text: as is when UTF-8, else masked ASCII. */
static json_t *report_str(const char *s)
{
	char masked[LIMIT_REASON + 1];
	json_t *j = json_string(s);
	size_t i;

	if (j != NULL)
		return j;
	for (i = 0; s[i] && i + 1 < sizeof(masked); i++)
		masked[i] =
		    ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
			? s[i]
			: '?';
	masked[i] = '\0';
	return json_string(masked);
}

static int report_set(struct report *r, json_t *o, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(o, k, v) < 0) {
		r->nomem = 1;
		return -1;
	}
	return 0;
}

/* Add @param n to the integer o[k] (created at 0). */
static void report_count(struct report *r, json_t *o, const char *k,
			 json_int_t n)
{
	json_t *v = json_object_get(o, k);

	report_set(r, o, k, json_integer(json_integer_value(v) + n));
}

/* The entry of @param domain, created (all times 0) when missing. */
static json_t *report_domain(struct report *r, const char *domain)
{
	json_t *d = json_object_get(r->domains, domain);

	if (d != NULL)
		return d;
	if (json_object_size(r->domains) >= LIMIT_REPORT_DOMAINS) {
		r->domains_dropped++;
		return NULL;
	}
	d = json_pack("{s:o, s:s, s:I, s:I, s:I, s:s, s:I}", "domain",
		      report_str(domain), "verdict", "", "first_failing",
		      (json_int_t)0, "last_healthy", (json_int_t)0,
		      "last_verified", (json_int_t)0, "last_mx", "",
		      "last_escalated", (json_int_t)0);
	if (d == NULL || json_object_set_new(r->domains, domain, d) < 0) {
		r->nomem = 1;
		return NULL;
	}
	return d;
}

int report_add_domain(struct report *r, const struct store_domain *sd)
{
	json_t *d = report_domain(r, sd->domain);

	if (d == NULL)
		return r->nomem ? -1 : 0;
	report_set(r, d, "verdict", report_str(sd->verdict));
	report_set(r, d, "first_failing", json_integer(sd->first_failing));
	report_set(r, d, "last_healthy", json_integer(sd->last_healthy));
	report_set(r, d, "last_verified", json_integer(sd->last_verified));
	report_set(r, d, "last_mx", report_str(sd->last_mx));
	report_set(r, d, "last_escalated", json_integer(sd->last_escalated));
	report_set(r, d, "from_store", json_true());
	return r->nomem ? -1 : 0;
}

/* A string field of @param o, or NULL when missing or not a string. */
const char *report_get_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An answer reduced to known, type-checked fields; NULL when malformed. */
static json_t *report_answer(const json_t *a)
{
	const char *role = report_get_str(a, "role"),
		   *server = report_get_str(a, "server"),
		   *transport = report_get_str(a, "transport"),
		   *rname = report_get_str(a, "rcode_name"),
		   *kind = report_get_str(a, "kind"),
		   *reason = report_get_str(a, "reason");
	json_t *rcode = json_object_get(a, "rcode"),
	       *ttl = json_object_get(a, "ttl"),
	       *neg = json_object_get(a, "neg_ttl"),
	       *mx = json_object_get(a, "mx"), *out, *omx, *m;
	size_t i;

	if (!json_is_object(a) || !role || !server || !transport || !kind ||
	    !(json_is_integer(rcode) || json_is_null(rcode)) ||
	    !json_is_integer(ttl) ||
	    !(json_is_integer(neg) || json_is_null(neg)) ||
	    !json_is_array(mx) || json_array_size(mx) > LIMIT_VERIFY_MX)
		return NULL;
	if ((omx = json_array()) == NULL)
		return NULL;
	json_array_foreach(mx, i, m)
	{
		json_t *pref = json_object_get(m, "preference");
		const char *host = report_get_str(m, "host");

		if (!json_is_integer(pref) || host == NULL) {
			json_decref(omx);
			return NULL;
		}
		json_array_append_new(omx, json_pack("{s:I, s:s}", "preference",
						     json_integer_value(pref),
						     "host", host));
	}
	out = json_pack("{s:s, s:s, s:s, s:O, s:s, s:s, s:o, s:O, s:O, s:s}",
			"role", role, "server", server, "transport", transport,
			"rcode", rcode, "rcode_name", rname ? rname : "-",
			"kind", kind, "mx", omx, "ttl", ttl, "neg_ttl", neg,
			"reason", reason ? reason : "");
	return out;
}

static int report_kind_failed(const char *kind)
{
	return strcmp(kind, "mx") != 0 && strcmp(kind, "implicit-mx") != 0 &&
	       strcmp(kind, "null-mx") != 0;
}

/* Count one answer against its resolver node. */
static void report_node(struct report *r, const json_t *a)
{
	const char *role = report_get_str(a, "role"),
		   *server = report_get_str(a, "server"),
		   *kind = report_get_str(a, "kind");
	char key[128];
	json_t *n;

	snprintf(key, sizeof(key), "%s %s", role, server);
	n = json_object_get(r->nodes, key);
	if (n == NULL) {
		if (json_object_size(r->nodes) >= LIMIT_REPORT_NODES) {
			r->nodes_dropped++;
			return;
		}
		n = json_pack("{s:s, s:s, s:i, s:i, s:{}}", "role", role,
			      "server", server, "answers", 0, "failed", 0,
			      "failures");
		if (n == NULL || json_object_set_new(r->nodes, key, n) < 0) {
			r->nomem = 1;
			return;
		}
	}
	report_count(r, n, "answers", 1);
	if (report_kind_failed(kind)) {
		report_count(r, n, "failed", 1);
		report_count(r, json_object_get(n, "failures"), kind, 1);
	}
}

/* Verdicts over time: count, first and last seen per domain and verdict. */
static void report_verdict(struct report *r, const char *domain,
			   const char *verdict, int64_t t)
{
	char key[LIMIT_DOMAIN + LIMIT_VERDICT + 2];
	json_t *v;

	snprintf(key, sizeof(key), "%s %s", domain, verdict);
	v = json_object_get(r->verdicts, key);
	if (v == NULL) {
		v = json_pack("{s:o, s:o, s:i, s:I, s:I}", "domain",
			      report_str(domain), "verdict",
			      report_str(verdict), "count", 0, "first_seen",
			      (json_int_t)t, "last_seen", (json_int_t)t);
		if (v == NULL || json_object_set_new(r->verdicts, key, v) < 0) {
			r->nomem = 1;
			return;
		}
	}
	report_count(r, v, "count", 1);
	if (t < json_integer_value(json_object_get(v, "first_seen")))
		report_set(r, v, "first_seen", json_integer(t));
	if (t > json_integer_value(json_object_get(v, "last_seen")))
		report_set(r, v, "last_seen", json_integer(t));
}

int report_add_verification(struct report *r,
			    const struct store_verification *v)
{
	json_t *doc, *answers, *a, *clean, *kept, *d;
	json_error_t jerr;
	size_t i;

	if (v->time < r->since || v->time > r->now)
		return 0;
	r->vtotal++;
	doc = v->answers ? json_loads(v->answers, JSON_REJECT_DUPLICATES, &jerr)
			 : NULL;
	answers = json_object_get(doc, "answers");
	clean = json_array();
	if (!json_is_array(answers) || clean == NULL) {
		r->vbad++;
		json_decref(doc);
		json_decref(clean);
		return 0;
	}
	json_array_foreach(answers, i, a)
	{
		json_t *one =
		    i < LIMIT_VERIFY_ANSWERS ? report_answer(a) : NULL;

		if (one == NULL || json_array_append_new(clean, one) < 0) {
			r->vbad++;
			json_decref(doc);
			json_decref(clean);
			return 0;
		}
	}
	json_array_foreach(clean, i, a) report_node(r, a);
	report_verdict(r, v->domain, v->verdict, v->time);
	report_lanes_add(r, v->domain, v->verdict, v->time, clean);
	if ((d = report_domain(r, v->domain)) != NULL &&
	    json_object_get(d, "from_store") == NULL) {
		report_set(r, d, "verdict", report_str(v->verdict));
		report_set(r, d, "last_verified", json_integer(v->time));
	}
	kept = json_object_get(r->vkept, v->domain);
	if (d != NULL && kept == NULL) {
		kept = json_array();
		if (kept == NULL ||
		    json_object_set_new(r->vkept, v->domain, kept) < 0)
			r->nomem = 1;
	}
	if (d != NULL && kept != NULL) {
		const char *detail = report_get_str(doc, "detail");

		if (json_array_size(kept) >= r->max_verifications)
			json_array_remove(kept, 0);
		if (json_array_append_new(
			kept, json_pack("{s:o, s:I, s:o, s:o, s:O}", "domain",
					report_str(v->domain), "checked_at",
					(json_int_t)v->time, "verdict",
					report_str(v->verdict), "detail",
					report_str(detail ? detail : ""),
					"answers", clean)) < 0)
			r->nomem = 1;
	}
	json_decref(clean);
	json_decref(doc);
	return r->nomem ? -1 : 0;
}

int report_add_message(struct report *r, const struct store_message *m)
{
	r->msgs_total++;
	r->rcpts_total += m->nrcpts;
	report_series_message(r, m);
	report_domain(r, m->domain);
	for (size_t i = 0; i < m->nrcpts; i++) {
		if (json_array_size(r->sample) >= r->max_sample)
			break;
		if (json_array_append_new(
			r->sample,
			json_pack("{s:o, s:o, s:o, s:o, s:s, s:s, s:I, s:i}",
				  "mta", report_str(m->mta), "queue_id",
				  report_str(m->queue_id), "domain",
				  report_str(m->domain), "recipient",
				  report_str(m->rcpts[i].address), "state",
				  store_rcpt_state_name(m->rcpts[i].state),
				  "message_state",
				  store_msg_state_name(m->state),
				  "first_failure", (json_int_t)m->first_failure,
				  "attempts", (int)m->attempts)) < 0)
			r->nomem = 1;
	}
	return r->nomem ? -1 : 0;
}

int report_add_evidence(struct report *r, const struct store_evidence *ev)
{
	const char *host = ev->host_id[0] ? ev->host_id : "-";
	const char *what = "no_attempt";
	json_t *h;

	if (ev->time < r->since || ev->time > r->now)
		return 0;
	report_series_evidence(r, ev);
	h = json_object_get(r->hosts, host);
	if (h == NULL) {
		if (json_object_size(r->hosts) >= LIMIT_REPORT_NODES)
			return 0;
		h = json_pack("{s:o, s:i, s:i, s:i, s:i, s:i}", "host_id",
			      report_str(host), "attempts", 0, "delivered", 0,
			      "deferred", 0, "bounced", 0, "no_attempt", 0);
		if (h == NULL || json_object_set_new(r->hosts, host, h) < 0)
			return -1;
	}
	switch (ev->outcome) {
	case STORE_OUTCOME_DELIVERED:
		what = "delivered";
		break;
	case STORE_OUTCOME_DEFERRED:
		what = "deferred";
		break;
	case STORE_OUTCOME_BOUNCED:
		what = "bounced";
		break;
	case STORE_OUTCOME_NONE:
		break;
	}
	if (ev->outcome != STORE_OUTCOME_NONE)
		report_count(r, h, "attempts", 1);
	report_count(r, h, what, 1);
	return r->nomem ? -1 : 0;
}

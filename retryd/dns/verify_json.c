/*
 * NAME
 *	verify_json 3
 * SUMMARY
 *	names, JSON and one-line summaries of verification results
 * SYNOPSIS
 *	#include "dns/verify.h"
 * DESCRIPTION
 *	verify_verdict_name() and friends map enums to the names DESIGN.md
 *	uses. verify_result_json() builds the JSON object that the store
 *	keeps and `retryctl diagnose --json` prints (jansson; every string
 *	in a result is either ours or a normalized domain name).
 *	verify_result_summary() writes the bounded one-line form kept with
 *	each piece of evidence; it never cuts an answer in the middle.
 *
 *	Owns nothing; the JSON text returned belongs to the caller.
 */
#include "dns/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <getdns/getdns.h>
#include <jansson.h>

static const char *const verdict_names[] = {
    [VERDICT_HEALTHY] = "healthy",	   [VERDICT_LOCAL_PATH] = "local-path",
    [VERDICT_PROPAGATION] = "propagation", [VERDICT_DOMAIN] = "domain",
    [VERDICT_NULL_MX] = "null-mx",	   [VERDICT_TRANSPORT] = "transport",
    [VERDICT_DNS_OUTAGE] = "dns-outage",   [VERDICT_UNVERIFIED] = "unverified",
    [VERDICT_FILTERED] = "filtered",
};

static const char *const kind_names[] = {
    [VERIFY_KIND_MX] = "mx",
    [VERIFY_KIND_IMPLICIT] = "implicit-mx",
    [VERIFY_KIND_NULL_MX] = "null-mx",
    [VERIFY_KIND_NODATA] = "nodata",
    [VERIFY_KIND_NXDOMAIN] = "nxdomain",
    [VERIFY_KIND_SERVFAIL] = "servfail",
    [VERIFY_KIND_REFUSED] = "refused",
    [VERIFY_KIND_TIMEOUT] = "timeout",
    [VERIFY_KIND_TRUNCATED] = "truncated",
    [VERIFY_KIND_MALFORMED] = "malformed",
    [VERIFY_KIND_UNREACHABLE] = "unreachable",
    [VERIFY_KIND_MX_NOADDR] = "mx-noaddr",
};

#define VERIFY_NAMES(a) (sizeof(a) / sizeof((a)[0]))

const char *verify_verdict_name(enum verify_verdict v)
{
	if ((size_t)v < VERIFY_NAMES(verdict_names) && verdict_names[v])
		return verdict_names[v];
	return "unknown";
}

int verify_verdict_parse(const char *name, enum verify_verdict *out)
{
	for (size_t i = 0; name && i < VERIFY_NAMES(verdict_names); i++)
		if (verdict_names[i] && strcmp(verdict_names[i], name) == 0) {
			*out = (enum verify_verdict)i;
			return 0;
		}
	return -1;
}

const char *verify_kind_name(enum verify_kind k)
{
	if ((size_t)k < VERIFY_NAMES(kind_names) && kind_names[k])
		return kind_names[k];
	return "unknown";
}

const char *verify_role_name(enum verify_role r)
{
	switch (r) {
	case VERIFY_ROLE_MTA:
		return "mta";
	case VERIFY_ROLE_INDEPENDENT:
		return "independent";
	case VERIFY_ROLE_AUTHORITATIVE:
		return "authoritative";
	}
	return "unknown";
}

/* "NOERROR", "SERVFAIL", ... or "-" when there was no reply. */
static const char *verify_rcode_name(int rcode, char *buf, size_t len)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};

	if (rcode < 0)
		return "-";
	if ((size_t)rcode < VERIFY_NAMES(names))
		return names[rcode];
	snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}

static json_t *verify_answer_json(const struct verify_answer *a)
{
	json_t *o = json_object(), *mx = json_array();
	char rb[16];

	if (o == NULL || mx == NULL) {
		json_decref(o);
		json_decref(mx);
		return NULL;
	}
	for (size_t i = 0; i < a->nmx && i < LIMIT_VERIFY_MX; i++)
		json_array_append_new(mx,
				      json_pack("{s:i, s:s, s:i}", "preference",
						(int)a->mx[i].preference,
						"host", a->mx[i].host, "naddrs",
						(int)a->mx[i].naddrs));
	json_object_set_new(o, "role", json_string(verify_role_name(a->role)));
	json_object_set_new(o, "server", json_string(a->server));
	json_object_set_new(
	    o, "transport",
	    json_string(a->transport == VERIFY_TCP ? "tcp" : "udp"));
	json_object_set_new(o, "status", json_integer(a->status));
	json_object_set_new(
	    o, "rcode", a->rcode < 0 ? json_null() : json_integer(a->rcode));
	json_object_set_new(
	    o, "rcode_name",
	    json_string(verify_rcode_name(a->rcode, rb, sizeof(rb))));
	json_object_set_new(o, "kind", json_string(verify_kind_name(a->kind)));
	json_object_set_new(o, "mx", mx);
	json_object_set_new(o, "ttl", json_integer(a->ttl));
	json_object_set_new(o, "neg_ttl",
			    a->neg_ttl < 0 ? json_null()
					   : json_integer(a->neg_ttl));
	json_object_set_new(o, "truncated", json_boolean(a->truncated));
	json_object_set_new(o, "ms", json_integer(a->ms));
	json_object_set_new(o, "reason", json_string(a->reason));
	if (a->distrusted)
		json_object_set_new(o, "distrusted", json_true());
	return o;
}

/* One resolver's canary results: {role, server, trusted, why, same_as,
 * probes[] {name, type, kind, ttl, addrs, lying}}. */
static json_t *verify_check_json(const struct verify_check *c)
{
	json_t *o = json_object(), *probes = json_array();

	if (o == NULL || probes == NULL) {
		json_decref(o);
		json_decref(probes);
		return NULL;
	}
	for (size_t i = 0; i < c->nprobes && i < LIMIT_VERIFY_PROBES; i++) {
		const struct verify_probe *p = &c->probes[i];

		json_array_append_new(
		    probes,
		    json_pack("{s:s, s:s, s:s, s:i, s:s, s:b}", "name", p->name,
			      "type",
			      p->qtype == GETDNS_RRTYPE_SOA ? "SOA" : "A",
			      "kind",
			      p->kind == VERIFY_KIND_IMPLICIT
				  ? "answer"
				  : verify_kind_name(p->kind),
			      "ttl", (int)p->ttl, "addrs", p->addrs, "lying",
			      p->lying));
	}
	json_object_set_new(o, "role", json_string(verify_role_name(c->role)));
	json_object_set_new(o, "server", json_string(c->server));
	json_object_set_new(o, "trusted", json_boolean(!c->filtering));
	json_object_set_new(o, "why", json_string(c->why));
	json_object_set_new(o, "same_as",
			    c->same_as[0] ? json_string(c->same_as)
					  : json_null());
	json_object_set_new(o, "probes", probes);
	return o;
}

/* ISO 8601 UTC, "2024-05-01T12:00:00Z". */
static void verify_iso8601(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

char *verify_result_json(const struct verify_result *r)
{
	json_t *o = json_object(), *answers = json_array();
	char when[32];
	char *text;

	if (o == NULL || answers == NULL) {
		json_decref(o);
		json_decref(answers);
		return NULL;
	}
	for (size_t i = 0; i < r->nanswers && i < LIMIT_VERIFY_ANSWERS; i++) {
		json_t *a = verify_answer_json(&r->answers[i]);

		if (a == NULL || json_array_append_new(answers, a) < 0) {
			json_decref(o);
			json_decref(answers);
			return NULL;
		}
	}
	verify_iso8601(r->checked_at, when, sizeof(when));
	json_object_set_new(o, "domain", json_string(r->domain));
	json_object_set_new(o, "verdict",
			    json_string(verify_verdict_name(r->verdict)));
	json_object_set_new(o, "detail", json_string(r->detail));
	json_object_set_new(o, "checked_at", json_string(when));
	json_object_set_new(o, "checked_at_unix", json_integer(r->checked_at));
	json_object_set_new(o, "best_mx", json_string(r->best_mx));
	json_object_set_new(o, "queries", json_integer((json_int_t)r->queries));
	json_object_set_new(o, "answers", answers);
	json_object_set_new(o, "ns_path", json_string(r->ns_path));
	json_object_set_new(o, "trace_queries",
			    json_integer((json_int_t)r->trace_queries));
	json_object_set_new(o, "trace_ms", json_integer(r->trace_ms));
	if (r->nchecks > 0) {
		json_t *checks = json_array();

		for (size_t i = 0;
		     checks && i < r->nchecks && i < 2 * LIMIT_POLICY_RESOLVERS;
		     i++)
			json_array_append_new(checks,
					      verify_check_json(&r->checks[i]));
		json_object_set_new(o, "resolvers", checks);
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

void verify_result_summary(const struct verify_result *r, char *buf,
			   size_t buflen)
{
	size_t used = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < r->nanswers && i < LIMIT_VERIFY_ANSWERS; i++) {
		const struct verify_answer *a = &r->answers[i];
		char one[512], rb[16];
		size_t len;
		int n;

		n = snprintf(one, sizeof(one), "%s%.3s %s/%s %s %s",
			     used ? "; " : "", verify_role_name(a->role),
			     a->server,
			     a->transport == VERIFY_TCP ? "tcp" : "udp",
			     verify_rcode_name(a->rcode, rb, sizeof(rb)),
			     verify_kind_name(a->kind));
		for (size_t j = 0;
		     j < a->nmx && n > 0 && (size_t)n < sizeof(one); j++)
			n += snprintf(one + n, sizeof(one) - (size_t)n,
				      "%s%u:%.64s",
				      j ? "," : " mx=", a->mx[j].preference,
				      a->mx[j].host);
		if (n > 0 && (size_t)n < sizeof(one) &&
		    (a->kind == VERIFY_KIND_MX ||
		     a->kind == VERIFY_KIND_IMPLICIT ||
		     a->kind == VERIFY_KIND_NULL_MX))
			n += snprintf(one + n, sizeof(one) - (size_t)n,
				      " ttl=%u", a->ttl);
		if (n > 0 && (size_t)n < sizeof(one) && a->neg_ttl >= 0)
			n += snprintf(one + n, sizeof(one) - (size_t)n,
				      " neg=%lld", (long long)a->neg_ttl);
		if (n > 0 && (size_t)n < sizeof(one) && a->distrusted)
			n += snprintf(one + n, sizeof(one) - (size_t)n,
				      " filtering");
		if (n < 0)
			continue;
		len = strlen(one);
		if (used + len + 1 > buflen)
			break; /* whole answers only */
		memcpy(buf + used, one, len + 1);
		used += len;
	}
}

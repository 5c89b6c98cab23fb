/*
 * NAME
 *	ctl_diagnose 3
 * SUMMARY
 *	retryctl diagnose DOMAIN | --group NAME [--json]
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	Verifies the domain (or every exact domain name of the group; "x.*"
 *	patterns are skipped with a note) freshly, right now, with the
 *	policy's [resolvers], and prints per domain a side-by-side table of
 *	every answer (resolver, role, transport, rcode, MX list, TTL,
 *	negative TTL, ms), which path found the authoritative servers (a
 *	trace from the root hints or a resolver), each recursive resolver's
 *	canary results (root SOA, the TLD, [resolvers] canary names) with
 *	why it is or is not trusted and whether an independent shares the
 *	MTA's path, the verdict, what it means and the next action.
 *	For a group, one sentence says where the fault is ("only the local
 *	resolver fails for every domain of group microsoft").
 *
 *	--json prints one object: for a domain, verify_result_json()'s
 *	(domain, verdict, detail, checked_at ISO 8601, answers[]); for a
 *	group, {"group", "pattern", "skipped", "domains": [...]}.
 *
 *	Owns: the verifier and the results for the length of the command.
 * DIAGNOSTICS
 *	Exit 0 whatever the verdict (an unreachable resolver is a result);
 *	2 on bad usage (no domain, an invalid name, an unknown group); 1 when
 *	the verifier cannot be created. Messages: "retryctl: diagnose: ...".
 */
#include "ctl/ctl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "dns/verify.h"
#include "dns/verify_answer.h"

struct diagnose_advice {
	const char *means;
	const char *next;
};

static struct diagnose_advice diagnose_advice(enum verify_verdict v)
{
	struct diagnose_advice a = {"unknown", "escalate"};

	switch (v) {
	case VERDICT_HEALTHY:
		a.means = "every resolver asked gives a usable MX route";
		a.next = "retry now; if the MTA still fails, its own cache or "
			 "timing was at fault";
		break;
	case VERDICT_LOCAL_PATH:
		a.means = "only the MTA's resolver (or a node of its pool) "
			  "fails; the domain is fine";
		a.next = "flush the local resolver cache (e.g. unbound-control "
			 "flush_negative, "
			 "flush_zone DOMAIN), then retry";
		break;
	case VERDICT_PROPAGATION:
		a.means = "resolvers or authoritative servers disagree: a "
			  "change is propagating";
		a.next = "retry and monitor";
		break;
	case VERDICT_DOMAIN:
		a.means = "the domain publishes no MX and no address "
			  "(NXDOMAIN/NODATA)";
		a.next = "do not retry now; escalate with this proof if it "
			 "lasts (domain-level, "
			 "never address-level evidence)";
		break;
	case VERDICT_NULL_MX:
		a.means = "the domain publishes a null MX (RFC 7505): it "
			  "accepts no mail";
		a.next =
		    "hand the message back to the MTA to bounce (permanent)";
		break;
	case VERDICT_TRANSPORT:
		a.means = "UDP fails or truncates but TCP answers";
		a.next = "retry if the MTA can use TCP; check firewalls and "
			 "EDNS buffer sizes";
		break;
	case VERDICT_DNS_OUTAGE:
		a.means = "timeouts, SERVFAIL or malformed answers everywhere";
		a.next = "defer and retry later; escalate with proof if it "
			 "lasts over 4h";
		break;
	case VERDICT_UNVERIFIED:
		a.means = "resolvers say no usable MX, but the domain's "
			  "authoritative servers could not confirm it";
		a.next = "defer; never evidence, never a bounce; check that "
			 "the authoritative servers (or the root hints) are "
			 "reachable";
		break;
	case VERDICT_FILTERED:
		a.means = "a resolver on our path answers negatively for names "
			  "that must exist, or rewrites answers: the DNS path "
			  "is intercepted or filtered (a policy, not a cache)";
		a.next = "defer; escalate with this proof to whoever runs the "
			 "resolver, firewall or DNS filter; flushing will not "
			 "help";
		break;
	}
	return a;
}

static const char *diagnose_rcode(int rcode, char *buf, size_t len)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};

	if (rcode < 0)
		return "-";
	if ((size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}

/* Each recursive resolver's canary results and why it is trusted. */
static void diagnose_checks(FILE *out, const struct verify_result *r)
{
	if (r->nchecks == 0)
		return;
	fprintf(out, "  canaries (names that must exist):\n");
	for (size_t i = 0; i < r->nchecks; i++) {
		const struct verify_check *c = &r->checks[i];

		fprintf(out, "    %-22s %-11s %s\n", c->server,
			verify_role_name(c->role),
			c->filtering ? "NOT TRUSTED" : "trusted");
		for (size_t k = 0; k < c->nprobes; k++) {
			const struct verify_probe *p = &c->probes[k];

			fprintf(out, "      %-4s %-30s %-10s ttl=%-6u %s%s\n",
				p->qtype == 6 ? "SOA" : "A", p->name,
				p->kind == VERIFY_KIND_IMPLICIT
				    ? "answer"
				    : verify_kind_name(p->kind),
				p->ttl, p->addrs, p->lying ? "  LIES" : "");
		}
		fprintf(out, "      why: %s\n", c->why);
	}
}

static void diagnose_table(FILE *out, const struct verify_result *r)
{
	char when[32];
	time_t t = (time_t)r->checked_at;
	struct tm tm;
	struct diagnose_advice adv = diagnose_advice(r->verdict);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)r->checked_at);
	fprintf(out, "%s (checked %s, %llu queries)\n", r->domain, when,
		(unsigned long long)r->queries);
	fprintf(out, "  %-22s %-13s %-4s %-8s %-11s %-34s %6s %6s %5s\n",
		"RESOLVER", "ROLE", "TR", "RCODE", "ANSWER", "MX", "TTL",
		"NEGTTL", "MS");
	for (size_t i = 0; i < r->nanswers; i++) {
		const struct verify_answer *a = &r->answers[i];
		char mx[256] = "-", ttl[24] = "-", neg[24] = "-", rb[16];
		size_t used = 0;

		for (size_t j = 0; j < a->nmx && used + 1 < sizeof(mx); j++) {
			int n = snprintf(
			    mx + used, sizeof(mx) - used, "%s%u:%s%s",
			    j ? "," : "", a->mx[j].preference, a->mx[j].host,
			    a->mx[j].naddrs == 0 && a->kind == VERIFY_KIND_MX &&
				    a->role != VERIFY_ROLE_AUTHORITATIVE
				? "(noaddr)"
				: "");
			if (n < 0)
				break;
			used += (size_t)n;
		}
		if (a->kind == VERIFY_KIND_MX ||
		    a->kind == VERIFY_KIND_IMPLICIT ||
		    a->kind == VERIFY_KIND_NULL_MX ||
		    a->kind == VERIFY_KIND_MX_NOADDR)
			snprintf(ttl, sizeof(ttl), "%u", a->ttl);
		if (a->neg_ttl >= 0)
			snprintf(neg, sizeof(neg), "%lld",
				 (long long)a->neg_ttl);
		fprintf(out,
			"  %-22s %-13s %-4s %-8s %-11s %-34s %6s %6s %5u%s%s\n",
			a->server, verify_role_name(a->role),
			a->transport == VERIFY_TCP ? "tcp" : "udp",
			diagnose_rcode(a->rcode, rb, sizeof(rb)),
			verify_kind_name(a->kind), mx, ttl, neg, a->ms,
			a->reason[0] ? "  " : "", a->reason);
	}
	fprintf(out, "  authoritative servers found by: %s\n",
		r->ns_path[0] ? r->ns_path : "-");
	diagnose_checks(out, r);
	fprintf(out, "  verdict: %s (%s)\n", verify_verdict_name(r->verdict),
		r->detail);
	fprintf(out, "  means:   %s\n", adv.means);
	fprintf(out, "  next:    %s\n", adv.next);
}

/* The group's one-sentence pattern. */
static void diagnose_pattern(const char *group, const struct verify_result *res,
			     size_t n, char *buf, size_t len)
{
	size_t count[VERDICT_LAST + 1] = {0}, bad = 0, last_bad = 0;

	for (size_t i = 0; i < n; i++) {
		if (res[i].verdict >= VERDICT_HEALTHY &&
		    res[i].verdict <= VERDICT_LAST)
			count[res[i].verdict]++;
		if (res[i].verdict != VERDICT_HEALTHY) {
			bad++;
			last_bad = i;
		}
	}
	if (n == 0)
		snprintf(buf, len, "group %s has no exact domain name to check",
			 group);
	else if (bad == 0)
		snprintf(buf, len, "every domain of group %s is healthy",
			 group);
	else if (count[VERDICT_FILTERED] == n)
		snprintf(buf, len,
			 "the DNS path is filtered or intercepted for every "
			 "domain of group %s (canaries)",
			 group);
	else if (count[VERDICT_LOCAL_PATH] == n && n > 1)
		snprintf(buf, len,
			 "only the local resolver fails for every domain of "
			 "group %s",
			 group);
	else if (bad == 1 && n > 1 &&
		 res[last_bad].verdict == VERDICT_LOCAL_PATH)
		snprintf(buf, len,
			 "only %s fails, and only at the local resolver",
			 res[last_bad].domain);
	else if (bad == 1 && n > 1)
		snprintf(buf, len, "only %s fails everywhere (%s)",
			 res[last_bad].domain,
			 verify_verdict_name(res[last_bad].verdict));
	else {
		size_t used = (size_t)snprintf(buf, len, "group %s:", group);

		const char *sep = " ";

		for (int v = VERDICT_HEALTHY; v <= VERDICT_LAST && used < len;
		     v++)
			if (count[v]) {
				used += (size_t)snprintf(
				    buf + used, len - used, "%s%zu %s", sep,
				    count[v],
				    verify_verdict_name(
					(enum verify_verdict)v));
				sep = ", ";
			}
	}
}

static json_t *diagnose_json_result(const struct verify_result *r)
{
	char *text = verify_result_json(r);
	json_t *j =
	    text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;

	free(text);
	return j;
}

static int diagnose_usage(void)
{
	fprintf(stderr,
		"usage: retryctl diagnose DOMAIN | --group NAME [--json]\n");
	return CTL_EXIT_USAGE;
}

int ctl_diagnose(struct ctl_context *ctx, int argc, char **argv)
{
	const char *domain = NULL, *group = NULL;
	const char *names[LIMIT_POLICY_LIST];
	const char *skipped[LIMIT_POLICY_LIST];
	size_t n = 0, nskipped = 0;
	struct verify_result *res;
	struct verifier *v = NULL;
	char err[256], norm[LIMIT_DOMAIN + 2];
	int json = 0, rc = CTL_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc &&
			 !group)
			group = argv[++i];
		else if (argv[i][0] != '-' && domain == NULL)
			domain = argv[i];
		else
			return diagnose_usage();
	}
	if ((domain == NULL) == (group == NULL))
		return diagnose_usage();
	if (domain != NULL) {
		if (verify_name_normalize(domain, norm, sizeof(norm)) < 0 ||
		    strcmp(norm, ".") == 0) {
			fprintf(
			    stderr,
			    "retryctl: diagnose: not a domain name: %.100s\n",
			    domain);
			return CTL_EXIT_USAGE;
		}
		names[n++] = domain;
	} else {
		const struct policy_group *g =
		    policy_group_named(ctx->policy, group);

		if (g == NULL) {
			fprintf(stderr,
				"retryctl: diagnose: no group %.40s in the "
				"policy\n",
				group);
			return CTL_EXIT_USAGE;
		}
		for (size_t i = 0; i < g->domains.n && n < LIMIT_POLICY_LIST;
		     i++) {
			if (strchr(g->domains.items[i], '*') != NULL)
				skipped[nskipped++] = g->domains.items[i];
			else
				names[n++] = g->domains.items[i];
		}
	}
	if (verifier_new(ctx->policy, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: diagnose: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	res = calloc(n ? n : 1, sizeof(*res));
	if (res == NULL ||
	    verify_domains(v, names, n, ctx->now, res, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: diagnose: %s\n",
			res ? err : "out of memory");
		free(res);
		verifier_free(v);
		return CTL_EXIT_ERROR;
	}
	if (group == NULL && json) {
		char *text = verify_result_json(&res[0]);

		fprintf(ctx->out, "%s\n", text ? text : "null");
		rc = text ? CTL_EXIT_OK : CTL_EXIT_ERROR;
		free(text);
	} else if (group == NULL) {
		diagnose_table(ctx->out, &res[0]);
	} else {
		char pattern[512];

		diagnose_pattern(group, res, n, pattern, sizeof(pattern));
		if (json) {
			json_t *o = json_object(), *doms = json_array(),
			       *sk = json_array();
			char *text;

			for (size_t i = 0; i < n; i++)
				json_array_append_new(
				    doms, diagnose_json_result(&res[i]));
			for (size_t i = 0; i < nskipped; i++)
				json_array_append_new(sk,
						      json_string(skipped[i]));
			json_object_set_new(o, "group", json_string(group));
			json_object_set_new(o, "pattern", json_string(pattern));
			json_object_set_new(o, "skipped", sk);
			json_object_set_new(o, "domains", doms);
			text =
			    json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fprintf(ctx->out, "%s\n", text ? text : "null");
			rc = text ? CTL_EXIT_OK : CTL_EXIT_ERROR;
			free(text);
			json_decref(o);
		} else {
			for (size_t i = 0; i < n; i++) {
				diagnose_table(ctx->out, &res[i]);
				fputc('\n', ctx->out);
			}
			for (size_t i = 0; i < nskipped; i++)
				fprintf(ctx->out,
					"skipped %s: a pattern, not a domain "
					"name\n",
					skipped[i]);
			fprintf(ctx->out, "%s\n", pattern);
		}
	}
	free(res);
	verifier_free(v);
	return rc;
}

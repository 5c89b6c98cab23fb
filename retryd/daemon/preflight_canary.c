/*
 * NAME
 *	preflight_canary 3
 * SUMMARY
 *	retryd --preflight: is the DNS path intercepted?
 * DESCRIPTION
 *	preflight_canaries() runs one verification as a pass would
 *	(verify_domains(), dns/verify_canary.c), for the first concrete
 *	domain of the policy's groups (a watched name for "x.*"), or else
 *	the first [resolvers] canary name: each recursive resolver is asked
 *	the root SOA, that domain's TLD SOA and the canary names. A resolver
 *	found filtering (NXDOMAIN or NODATA for a name that must exist, or
 *	addresses a majority of the others do not give: a sinkhole) is a
 *	problem naming it and why; an "independent" resolver found to share
 *	an MTA node's path (one interceptor, or one cache seen twice) is a
 *	problem with the independent key. A resolver that does not answer at
 *	all is not judged here (preflight.c reports it).
 * DIAGNOSTICS
 *	Through preflight_problem(): an intercepted path is the environment
 *	(69); an independent that is not independent is the policy (78).
 */
#include "daemon/preflight_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/verify.h"

/* @return the domain the canaries are asked with, or NULL. */
static const char *preflight_canary_domain(const struct policy *p)
{
	for (size_t g = 0; g < p->ngroups; g++) {
		const struct policy_group *gr = &p->groups[g];

		for (size_t i = 0; i < gr->domains.n; i++)
			if (strchr(gr->domains.items[i], '*') == NULL)
				return gr->domains.items[i];
		if (gr->watch_names.n > 0)
			return gr->watch_names.items[0];
	}
	return p->canaries.n > 0 ? p->canaries.items[0] : NULL;
}

static void preflight_canary_check(struct preflight *pf,
				   const struct verify_check *c)
{
	const char *key = c->role == VERIFY_ROLE_MTA ? "mta" : "independent";

	if (c->filtering)
		preflight_problem(pf, 0, "resolvers", key,
				  "%s: the DNS path is intercepted or "
				  "filtered (canaries): %s",
				  c->server, c->why);
	else if (c->same_as[0])
		preflight_problem(pf, 1, "resolvers", "independent",
				  "%s is not independent: it shares the "
				  "path of MTA node %s (%s)",
				  c->server, c->same_as, c->why);
	else
		fprintf(pf->out, "preflight: canaries: resolver %s (%s): %s\n",
			c->server, key, c->why);
}

void preflight_canaries(struct preflight *pf)
{
	const char *dom = preflight_canary_domain(pf->p);
	struct verify_result *res;
	struct verifier *v = NULL;
	char err[512] = "";

	if (dom == NULL) {
		fprintf(pf->out, "preflight: canaries: no group domain nor "
				 "canary name to ask with: skipped\n");
		return;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL ||
	    verifier_new(pf->p, &v, err, sizeof(err)) < 0 ||
	    verify_domains(v, &dom, 1, (int64_t)time(NULL), res, err,
			   sizeof(err)) < 0) {
		preflight_problem(pf, 0, "resolvers", "mta",
				  "the canaries could not be asked: %s",
				  res ? err : "out of memory");
	} else {
		for (size_t i = 0; i < res->nchecks; i++)
			preflight_canary_check(pf, &res->checks[i]);
		fprintf(pf->out,
			"preflight: canaries asked with %s (verdict now: "
			"%s)\n",
			dom, verify_verdict_name(res->verdict));
	}
	verifier_free(v);
	free(res);
}

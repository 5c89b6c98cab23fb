/*
 * NAME
 *	ctl_rcpt 3
 * SUMMARY
 *	what retryctl says about one recipient: its own domain, group, verdict
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	A held message can carry recipients of several domains with
 *	different failures. The listings (list, shape) describe each
 *	recipient by its own domain, never by the message's routing domain:
 *
 *	ctl_domain_normalise() lowercases a domain and drops trailing dots;
 *	ctl_rcpt_domain() normalises the part after the last '@'; an
 *	address without one takes the message's domain.
 *
 *	ctl_domains_load() reads every domain record of the store once,
 *	before the message walk (no store read nested in a walk), and
 *	ctl_domains_view() gives a recipient its domain, the domain's
 *	current verdict and last MX from that record, and its policy group
 *	(policy_group_for() on the recipient's domain and last MX), and the
 *	recipient's own last reason. A domain without a record or group, and
 *	a recipient without a reason, take the message's verdict, group and
 *	last reason only when the recipient's domain is the message's own
 *	routing domain (what the message records is about that domain);
 *	else they stay empty.
 *
 *	Owns: the cache (ctl_domains_free()).
 * DIAGNOSTICS
 *	ctl_domains_load() returns the store's error (err filled).
 */
#include "ctl/ctl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct ctl_domains {
	const struct policy *policy;
	json_t *byname; /* domain -> {verdict, mx} */
};

void ctl_domain_normalise(const char *d, char *out, size_t len)
{
	size_t n;

	for (n = 0; d[n] && n + 1 < len; n++)
		out[n] = (char)tolower((unsigned char)d[n]);
	out[n] = '\0';
	while (n > 1 && out[n - 1] == '.')
		out[--n] = '\0';
}

void ctl_rcpt_domain(const struct store_message *m, const char *address,
		     char *out, size_t len)
{
	const char *at = strrchr(address, '@');

	ctl_domain_normalise(at && at[1] ? at + 1 : m->domain, out, len);
}

static int ctl_domains_one(const struct store_domain *d, void *arg)
{
	struct ctl_domains *c = arg;
	char name[LIMIT_DOMAIN + 1];

	ctl_domain_normalise(d->domain, name, sizeof(name));
	return json_object_set_new(c->byname, name,
				   json_pack("{s:s, s:s}", "verdict",
					     d->verdict, "mx", d->last_mx)) < 0
		   ? -1
		   : 0;
}

struct ctl_domains *ctl_domains_load(const struct ctl_context *ctx,
				     struct store *st, char *err, size_t errlen)
{
	struct ctl_domains *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->byname = json_object()) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->policy = ctx->policy;
	if (st != NULL && store_walk_domains(st, ctl_domains_one, c, err,
					     errlen) != STORE_OK) {
		ctl_domains_free(c);
		return NULL;
	}
	return c;
}

void ctl_domains_free(struct ctl_domains *c)
{
	if (c == NULL)
		return;
	json_decref(c->byname);
	free(c);
}

void ctl_domains_view(const struct ctl_domains *c,
		      const struct store_message *m, const struct store_rcpt *r,
		      struct ctl_rcpt_view *out)
{
	char mdomain[LIMIT_DOMAIN + 1];
	const json_t *rec;
	const struct policy_group *g;
	int own;

	ctl_rcpt_domain(m, r->address, out->domain, sizeof(out->domain));
	ctl_domain_normalise(m->domain, mdomain, sizeof(mdomain));
	own = strcmp(out->domain, mdomain) == 0;
	rec = json_object_get(c->byname, out->domain);
	out->mx = rec ? json_string_value(json_object_get(rec, "mx")) : "";
	out->verdict =
	    rec ? json_string_value(json_object_get(rec, "verdict")) : "";
	if ((out->verdict == NULL || !out->verdict[0]) && own)
		out->verdict = m->last_verdict;
	g = policy_group_for(c->policy, out->domain,
			     out->mx && out->mx[0] ? out->mx : NULL);
	out->group = g ? g->name : own ? m->group : "";
	out->reason = r->reason[0] || !own ? r->reason : m->last_reason;
}

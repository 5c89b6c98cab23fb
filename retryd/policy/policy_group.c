/*
 * NAME
 *	policy_group 3
 * SUMMARY
 *	which [group NAME] a domain belongs to (pure)
 * SYNOPSIS
 *	#include "policy/policy.h"
 *
 *	const struct policy_group *policy_group_for(const struct policy *p,
 *			const char *domain, const char *mx_host);
 * DESCRIPTION
 *	By name first, over every group in file order: the domain (lower-
 *	cased, a trailing dot ignored) equals a listed domain or is a
 *	subdomain of it; a listed "name.*" matches name.SUFFIX and its
 *	subdomains, where SUFFIX is a public suffix: one label (com, test),
 *	or two labels whose first is a registry's second level (co.uk,
 *	com.au, ...) — so hotmail.co.uk matches, hotmail.attacker.example
 *	does not. Then by MX: the MX host against each group's mx patterns,
 *	exact or "*.suffix" (one or more labels before the suffix).
 *	Nothing here allocates; the returned group lives in the policy.
 */
#include <ctype.h>
#include <string.h>

#include "policy/policy.h"

/* Second-level labels under which registries sell names (co.uk ...). */
static const char *const policy_sld_labels[] = {
    "co", "com", "net", "org", "ac", "gov", "edu", "ne",
    "or", "gen", "ltd", "plc", "me", "nom", "biz", "info",
};

/* lower_host - lower-case copy without a trailing dot; -1 if too long */
static int lower_host(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return 0;
}

/* public_suffix - @param s looks like a public suffix (see DESCRIPTION) */
static int public_suffix(const char *s)
{
	const char *dot = strchr(s, '.');

	if (*s == '\0')
		return 0;
	if (dot == NULL)
		return 1;
	if (strchr(dot + 1, '.') != NULL || dot[1] == '\0')
		return 0;
	for (size_t i = 0;
	     i < sizeof(policy_sld_labels) / sizeof(policy_sld_labels[0]); i++)
		if (strlen(policy_sld_labels[i]) == (size_t)(dot - s) &&
		    strncmp(s, policy_sld_labels[i], (size_t)(dot - s)) == 0)
			return 1;
	return 0;
}

/* ends_with_label - @param d is @param suffix or ends with ".suffix" */
static int ends_with_label(const char *d, const char *suffix)
{
	size_t dl = strlen(d), sl = strlen(suffix);

	if (dl == sl)
		return strcmp(d, suffix) == 0;
	return dl > sl && d[dl - sl - 1] == '.' &&
	       strcmp(d + dl - sl, suffix) == 0;
}

/* domain_matches - @param d (lower case) against one listed domain */
static int domain_matches(const char *d, const char *pattern)
{
	size_t pl = strlen(pattern), bl;

	if (pl < 3 || strcmp(pattern + pl - 2, ".*") != 0)
		return ends_with_label(d, pattern);
	bl = pl - 2; /* "name" of "name.*": try it at every label start */
	for (const char *s = d; s != NULL;
	     s = strchr(s, '.') ? strchr(s, '.') + 1 : NULL)
		if (strncmp(s, pattern, bl) == 0 && s[bl] == '.' &&
		    public_suffix(s + bl + 1))
			return 1;
	return 0;
}

/* mx_matches - @param h (lower case) against one mx pattern */
static int mx_matches(const char *h, const char *pattern)
{
	size_t hl = strlen(h), sl;

	if (strncmp(pattern, "*.", 2) != 0)
		return strcmp(h, pattern) == 0;
	sl = strlen(pattern + 1); /* ".suffix" */
	return hl > sl && strcmp(h + hl - sl, pattern + 1) == 0;
}

const struct policy_group *policy_group_for(const struct policy *p,
					    const char *domain,
					    const char *mx_host)
{
	char d[LIMIT_DOMAIN + 1], h[LIMIT_DOMAIN + 1];

	if (domain != NULL && lower_host(domain, d, sizeof(d)) == 0)
		for (size_t i = 0; i < p->ngroups; i++)
			for (size_t j = 0; j < p->groups[i].domains.n; j++)
				if (domain_matches(
					d, p->groups[i].domains.items[j]))
					return &p->groups[i];
	if (mx_host != NULL && lower_host(mx_host, h, sizeof(h)) == 0)
		for (size_t i = 0; i < p->ngroups; i++)
			for (size_t j = 0; j < p->groups[i].mx.n; j++)
				if (mx_matches(h, p->groups[i].mx.items[j]))
					return &p->groups[i];
	return NULL;
}

const struct policy_group *policy_group_named(const struct policy *p,
					      const char *name)
{
	for (size_t i = 0; i < p->ngroups; i++)
		if (strcmp(p->groups[i].name, name) == 0)
			return &p->groups[i];
	return NULL;
}

const struct policy_backoff *policy_backoff_for(const struct policy *p,
						const struct policy_group *g)
{
	return g != NULL ? &g->backoff : &p->backoff;
}

/*
 * NAME
 *	verify_canary 3
 * SUMMARY
 *	canaries: is each recursive resolver on our path telling the truth?
 * SYNOPSIS
 *	#include "dns/verify_int.h"
 * DESCRIPTION
 *	Before the domains of a verify_domains() call are asked anything,
 *	verify_canary_run() asks every recursive resolver (MTA nodes and
 *	independents) names that must exist: the root SOA, the SOA of the
 *	TLD of each domain being verified, and the [resolvers] canary names
 *	(A). A TLD must exist when the root server (root hints) refers or
 *	answers for it, or when another resolver answers it (a typo such as
 *	gmail.con makes nobody a liar). A resolver that answers NXDOMAIN or
 *	NODATA for any of them, or
 *	an address set for a canary that differs from the one a strict
 *	majority of the other resolvers give, is filtering: its answers for
 *	the domains are marked distrusted (never evidence, and never used to
 *	find NS), and the verdict may become `filtered` (verdict.c). A
 *	resolver that does not answer the canaries at all is not judged: its
 *	domain answers will be transient anyway.
 *
 *	An independent is not independent when (a) it filters exactly like
 *	an MTA node (the same answer to every canary, at least one a lie:
 *	the same interceptor), or
 *	(b) it gives every canary the same answer with the same TTLs as an
 *	MTA node, at least two of them TTLs lower than the freshest seen for
 *	that name (the root server's own SOA TTL when root hints are set):
 *	one cache seen twice. Its check names that node (same_as).
 *
 *	Owns: the canary state (struct verify_canary, v->can), reused by
 *	every call; verify_canary_apply() copies a domain's part into its
 *	result.
 * DIAGNOSTICS
 *	None: canary failures are results.
 */
#include "dns/verify_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <getdns/getdns.h>

#include "dns/verify_answer.h"
#include "dns/verify_loop.h"

#define CANARY_NRES (2 * LIMIT_POLICY_RESOLVERS)
#define CANARY_TLD0 128	 /* probe slots: 0 root, 1.. canaries, 128.. TLDs */
#define CANARY_ROOT (-1) /* tag of the root server's own SOA */

struct verify_canary {
	char names[LIMIT_POLICY_CANARIES][LIMIT_VERIFY_PROBE_NAME + 1];
	size_t nnames;
	char tlds[LIMIT_VERIFY_TLDS][LIMIT_VERIFY_PROBE_NAME + 1];
	size_t ntlds;
	struct verify_check checks[CANARY_NRES]; /* root + canaries */
	struct verify_probe tld[LIMIT_VERIFY_TLDS][CANARY_NRES];
	struct verify_probe root_ref; /* the root server's SOA */
	struct verify_probe tld_ref[LIMIT_VERIFY_TLDS]; /* root on each TLD */
	int tld_exists[LIMIT_VERIFY_TLDS];
};

int verify_canary_new(struct verifier *v, const struct policy *p)
{
	struct verify_canary *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	for (size_t i = 0; i < p->canaries.n && i < LIMIT_POLICY_CANARIES; i++)
		if (verify_name_normalize(p->canaries.items[i],
					  c->names[c->nnames],
					  sizeof(c->names[0])) == 0)
			c->nnames++;
	v->can = c;
	return 0;
}

void verify_canary_free(struct verifier *v)
{
	free(v->can);
	v->can = NULL;
}

static void verify_probe_init(struct verify_probe *p, const char *name,
			      uint16_t qtype)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->qtype = qtype;
	p->kind = VERIFY_KIND_TIMEOUT;
}

static struct verify_probe *verify_canary_slot(struct verify_canary *c, int tag)
{
	int i = tag / 256, slot = tag % 256;

	if (tag == CANARY_ROOT)
		return &c->root_ref;
	if (tag < CANARY_ROOT && (size_t)(CANARY_ROOT - 1 - tag) < c->ntlds)
		return &c->tld_ref[CANARY_ROOT - 1 - tag];
	if (tag < 0 || i >= CANARY_NRES)
		return NULL;
	if (slot >= CANARY_TLD0)
		return (size_t)(slot - CANARY_TLD0) < c->ntlds
			   ? &c->tld[slot - CANARY_TLD0][i]
			   : NULL;
	return (size_t)slot < c->checks[i].nprobes ? &c->checks[i].probes[slot]
						   : NULL;
}

/* The A records of @response as "a b c" (sorted, bounded). */
static void verify_canary_addrs(const getdns_dict *response, char *out,
				size_t len)
{
	getdns_list *ans = NULL;
	size_t n = 0, k = 0;
	char ips[16][INET_ADDRSTRLEN];

	out[0] = '\0';
	if (getdns_dict_get_list(response, "/replies_tree/0/answer", &ans) !=
		GETDNS_RETURN_GOOD ||
	    getdns_list_get_length(ans, &n) != GETDNS_RETURN_GOOD)
		return;
	for (size_t i = 0; i < n && k < 16; i++) {
		getdns_dict *rr = NULL;
		getdns_bindata *b = NULL;
		uint32_t type = 0;

		if (getdns_list_get_dict(ans, i, &rr) == GETDNS_RETURN_GOOD &&
		    getdns_dict_get_int(rr, "type", &type) ==
			GETDNS_RETURN_GOOD &&
		    type == GETDNS_RRTYPE_A &&
		    getdns_dict_get_bindata(rr, "/rdata/ipv4_address", &b) ==
			GETDNS_RETURN_GOOD &&
		    b->size == 4)
			inet_ntop(AF_INET, b->data, ips[k++], sizeof(ips[0]));
	}
	qsort(ips, k, sizeof(ips[0]),
	      (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < k; i++) {
		size_t used = strlen(out);

		if (used + strlen(ips[i]) + 2 > len)
			break;
		snprintf(out + used, len - used, "%s%s", i ? " " : "", ips[i]);
	}
}

void verify_canary_on_reply(struct verify_query *q, const getdns_dict *response,
			    getdns_callback_type_t cbtype)
{
	struct verify_probe *p = verify_canary_slot(q->job->v->can, q->tag);
	struct verify_reply rep;

	if (p == NULL)
		return;
	verify_answer_parse(response, cbtype, q->qname, q->qtype, &rep);
	p->kind = rep.kind;
	p->ttl = rep.kind == VERIFY_KIND_IMPLICIT ? rep.ttl : 0;
	if (rep.kind == VERIFY_KIND_IMPLICIT && q->qtype == GETDNS_RRTYPE_A)
		verify_canary_addrs(response, p->addrs, sizeof(p->addrs));
}

static int verify_probe_negative(const struct verify_probe *p)
{
	return p->kind == VERIFY_KIND_NXDOMAIN || p->kind == VERIFY_KIND_NODATA;
}

/* Canary @k's address set given by a strict majority, or NULL. */
static const char *verify_canary_majority(const struct verify_canary *c,
					  size_t nres, size_t k)
{
	size_t pos = 0;

	for (size_t i = 0; i < nres; i++)
		pos += c->checks[i].probes[k].kind == VERIFY_KIND_IMPLICIT;
	for (size_t i = 0; i < nres; i++) {
		const struct verify_probe *p = &c->checks[i].probes[k];
		size_t same = 0;

		if (p->kind != VERIFY_KIND_IMPLICIT)
			continue;
		for (size_t j = 0; j < nres; j++)
			same +=
			    c->checks[j].probes[k].kind ==
				VERIFY_KIND_IMPLICIT &&
			    strcmp(c->checks[j].probes[k].addrs, p->addrs) == 0;
		if (2 * same > pos)
			return p->addrs;
	}
	return NULL;
}

static void verify_why_add(char *why, size_t len, const struct verify_probe *p,
			   const char *what)
{
	size_t used = strlen(why);

	if (used + 1 < len)
		snprintf(why + used, len - used, "%s%s %s %s",
			 used ? ", " : "filters: ",
			 strcmp(p->name, ".") == 0 ? "root" : p->name,
			 p->qtype == GETDNS_RRTYPE_SOA ? "SOA" : "A", what);
}

/* Which TLDs must exist: the root says so, or some resolver answers. */
static void verify_canary_tld_exists(struct verify_canary *c, size_t nres)
{
	for (size_t t = 0; t < c->ntlds; t++) {
		c->tld_exists[t] = c->tld_ref[t].kind == VERIFY_KIND_IMPLICIT ||
				   c->tld_ref[t].kind == VERIFY_KIND_NODATA;
		for (size_t i = 0; i < nres; i++)
			c->tld_exists[t] |=
			    c->tld[t][i].kind == VERIFY_KIND_IMPLICIT;
	}
}

/* Mark lying probes and filtering resolvers; say why. */
static void verify_canary_judge(struct verify_canary *c, size_t nres)
{
	verify_canary_tld_exists(c, nres);
	for (size_t i = 0; i < nres; i++) {
		struct verify_check *ck = &c->checks[i];
		size_t answered = 0;

		ck->why[0] = '\0';
		ck->filtering = 0;
		for (size_t k = 0; k < ck->nprobes + c->ntlds; k++) {
			struct verify_probe *p =
			    k < ck->nprobes ? &ck->probes[k]
					    : &c->tld[k - ck->nprobes][i];
			const char *maj = NULL;

			if (k > 0 && k < ck->nprobes)
				maj = verify_canary_majority(c, nres, k);
			p->lying =
			    (verify_probe_negative(p) &&
			     (k < ck->nprobes ||
			      c->tld_exists[k - ck->nprobes])) ||
			    (maj != NULL && p->kind == VERIFY_KIND_IMPLICIT &&
			     strcmp(maj, p->addrs) != 0);
			answered += p->kind == VERIFY_KIND_IMPLICIT ||
				    verify_probe_negative(p);
			if (p->lying) {
				ck->filtering = 1;
				verify_why_add(ck->why, sizeof(ck->why), p,
					       verify_probe_negative(p)
						   ? verify_kind_name(p->kind)
						   : "other addresses");
			}
		}
		if (!ck->filtering)
			snprintf(ck->why, sizeof(ck->why), "%s",
				 answered ? "trusted: every name that must "
					    "exist was answered"
					  : "not judged: canaries unanswered");
	}
}

/* Same answers (kind, TTL, addresses) for every probe both answered? */
static int verify_canary_twins(const struct verify_canary *c, size_t nres,
			       size_t a, size_t b)
{
	size_t compared = 0, odd = 0, lying = 0;

	for (size_t k = 0; k < c->checks[a].nprobes + c->ntlds; k++) {
		const struct verify_probe *pa, *pb;
		uint32_t fresh = 0;

		pa = k < c->checks[a].nprobes
			 ? &c->checks[a].probes[k]
			 : &c->tld[k - c->checks[a].nprobes][a];
		pb = k < c->checks[b].nprobes
			 ? &c->checks[b].probes[k]
			 : &c->tld[k - c->checks[b].nprobes][b];
		if (pa->kind == VERIFY_KIND_TIMEOUT ||
		    pb->kind == VERIFY_KIND_TIMEOUT)
			continue;
		if (pa->kind != pb->kind || pa->ttl != pb->ttl ||
		    strcmp(pa->addrs, pb->addrs) != 0)
			return 0;
		compared++;
		lying += pa->lying;
		for (size_t i = 0; i < nres; i++) {
			const struct verify_probe *p =
			    k < c->checks[i].nprobes
				? &c->checks[i].probes[k]
				: &c->tld[k - c->checks[i].nprobes][i];

			if (p->ttl > fresh)
				fresh = p->ttl;
		}
		if (k == 0 && c->root_ref.kind == VERIFY_KIND_IMPLICIT &&
		    c->root_ref.ttl > fresh)
			fresh = c->root_ref.ttl;
		odd += pa->kind == VERIFY_KIND_IMPLICIT && pa->ttl < fresh;
	}
	return compared > 0 && (lying > 0 || odd >= 2);
}

static void verify_canary_twins_all(struct verifier *v)
{
	struct verify_canary *c = v->can;

	for (size_t j = 0; j < v->nres && j < CANARY_NRES; j++) {
		c->checks[j].same_as[0] = '\0';
		if (v->res_role[j] != VERIFY_ROLE_INDEPENDENT)
			continue;
		for (size_t m = 0; m < v->nres && m < CANARY_NRES; m++) {
			size_t used = strlen(c->checks[j].why);

			if (v->res_role[m] != VERIFY_ROLE_MTA ||
			    !verify_canary_twins(c, v->nres, j, m))
				continue;
			snprintf(c->checks[j].same_as,
				 sizeof(c->checks[j].same_as), "%s",
				 v->res[m].text);
			snprintf(c->checks[j].why + used,
				 sizeof(c->checks[j].why) - used,
				 "; NOT independent: same answers and TTLs "
				 "as MTA node %s",
				 v->res[m].text);
			break;
		}
	}
}

/* The TLDs of @domains (strict names only), once each. */
static void verify_canary_tlds(struct verify_canary *c,
			       const char *const *domains, size_t n)
{
	c->ntlds = 0;
	for (size_t d = 0; d < n && c->ntlds < LIMIT_VERIFY_TLDS; d++) {
		char name[LIMIT_DOMAIN + 1];
		const char *tld;
		size_t t;

		if (verify_domain_ldh(domains[d], name, sizeof(name)) < 0)
			continue;
		tld = strrchr(name, '.');
		tld = tld ? tld + 1 : name;
		for (t = 0; t < c->ntlds; t++)
			if (strcmp(c->tlds[t], tld) == 0)
				break;
		if (t == c->ntlds && strlen(tld) <= LIMIT_VERIFY_PROBE_NAME)
			snprintf(c->tlds[c->ntlds++], sizeof(c->tlds[0]),
				 "%.*s", LIMIT_VERIFY_PROBE_NAME, tld);
	}
}

void verify_canary_run(struct verifier *v, const char *const *domains, size_t n)
{
	struct verify_canary *c = v->can;
	struct verify_job *job = calloc(1, sizeof(*job));

	if (c == NULL || job == NULL) {
		free(job);
		return;
	}
	job->v = v;
	verify_canary_tlds(c, domains, n);
	verify_probe_init(&c->root_ref, ".", GETDNS_RRTYPE_SOA);
	for (size_t i = 0; i < v->nres && i < CANARY_NRES; i++) {
		struct verify_check *ck = &c->checks[i];

		memset(ck, 0, sizeof(*ck));
		ck->role = v->res_role[i];
		snprintf(ck->server, sizeof(ck->server), "%s", v->res[i].text);
		verify_probe_init(&ck->probes[ck->nprobes++], ".",
				  GETDNS_RRTYPE_SOA);
		for (size_t k = 0; k < c->nnames; k++)
			verify_probe_init(&ck->probes[ck->nprobes++],
					  c->names[k], GETDNS_RRTYPE_A);
		for (size_t t = 0; t < c->ntlds; t++)
			verify_probe_init(&c->tld[t][i], c->tlds[t],
					  GETDNS_RRTYPE_SOA);
		for (size_t k = 0; k < ck->nprobes; k++)
			verify_send_tagged(
			    job, &v->res[i], VQ_PROBE, (int)(i * 256 + k),
			    ck->probes[k].name, ck->probes[k].qtype);
		for (size_t t = 0; t < c->ntlds; t++)
			verify_send_tagged(job, &v->res[i], VQ_PROBE,
					   (int)(i * 256 + CANARY_TLD0 + t),
					   c->tlds[t], GETDNS_RRTYPE_SOA);
	}
	if (v->nroots > 0) {
		struct verify_ctx *vc = verify_ns_ctx(job, &v->roots[0]);

		for (size_t t = 0; t < c->ntlds; t++)
			verify_probe_init(&c->tld_ref[t], c->tlds[t],
					  GETDNS_RRTYPE_SOA);
		if (vc != NULL) {
			verify_send_tagged(job, vc, VQ_PROBE, CANARY_ROOT, ".",
					   GETDNS_RRTYPE_SOA);
			for (size_t t = 0; t < c->ntlds; t++)
				verify_send_tagged(
				    job, vc, VQ_PROBE, CANARY_ROOT - 1 - (int)t,
				    c->tlds[t], GETDNS_RRTYPE_SOA);
		}
	} else {
		for (size_t t = 0; t < c->ntlds; t++)
			verify_probe_init(&c->tld_ref[t], c->tlds[t],
					  GETDNS_RRTYPE_SOA);
	}
	verify_loop_run(v->loop);
	verify_canary_judge(c, v->nres < CANARY_NRES ? v->nres : CANARY_NRES);
	verify_canary_twins_all(v);
	free(job);
}

int verify_canary_filtering(const struct verifier *v, size_t i)
{
	return v->can != NULL && i < CANARY_NRES && i < v->nres &&
	       v->can->checks[i].filtering;
}

void verify_canary_apply(const struct verifier *v, struct verify_result *res)
{
	const struct verify_canary *c = v->can;
	const char *tld;
	size_t t;

	res->nchecks = 0;
	if (c == NULL)
		return;
	tld = strrchr(res->domain, '.');
	tld = tld ? tld + 1 : res->domain;
	for (t = 0; t < c->ntlds; t++)
		if (strcmp(c->tlds[t], tld) == 0)
			break;
	for (size_t i = 0; i < v->nres && i < CANARY_NRES; i++) {
		struct verify_check *ck = &res->checks[res->nchecks++];

		*ck = c->checks[i];
		if (t < c->ntlds && ck->nprobes < LIMIT_VERIFY_PROBES)
			ck->probes[ck->nprobes++] = c->tld[t][i];
		if (!ck->filtering)
			continue;
		for (size_t a = 0; a < res->nanswers; a++)
			if (res->answers[a].role == ck->role &&
			    strcmp(res->answers[a].server, ck->server) == 0)
				res->answers[a].distrusted = 1;
	}
}

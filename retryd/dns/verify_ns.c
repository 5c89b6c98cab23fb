/*
 * NAME
 *	verify_ns 3
 * SUMMARY
 *	finding a domain's authoritative servers for the verifier
 * SYNOPSIS
 *	#include "dns/verify_int.h"
 * DESCRIPTION
 *	With authoritative = yes and no root hints (or when the trace of
 *	verify_trace.c failed), verify.c calls verify_ns_find() for each
 *	domain: an NS query for job->zone through the first trusted
 *	independent resolver (else the first trusted MTA node; trusted: its
 *	canaries passed), recorded in res->ns_path. verify_ns_on_ns() takes the NS
 *	answer: on NXDOMAIN/NODATA it walks up to the parent name (at most
 *	LIMIT_VERIFY_NS_WALK steps), otherwise it asks the A record of up to
 *	LIMIT_VERIFY_NS NS hosts. verify_ns_on_addr() takes each address and
 *	asks that server the domain's MX directly (UDP; TCP too with
 *	tcp = yes), as an answer with role AUTHORITATIVE; two NS names with
 *	one address are asked once.
 *
 *	Owns: the verifier's authoritative contexts (v->auth), created on
 *	demand here and kept up to LIMIT_VERIFY_AUTH_CONTEXTS (verify.c
 *	closes them when a pass used more than half); job->zone, ns_steps,
 *	nauth and note of each job.
 * DIAGNOSTICS
 *	No errors: why a domain got no authoritative answer (no NS for any
 *	parent, NS lookup failed, too many servers, a context that getdns
 *	refused) is written to job->note and ends up in the result's detail.
 */
#include "dns/verify_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

#include "dns/verify_answer.h"

struct verify_ctx *verify_ns_ctx(struct verify_job *job,
				 const struct verify_addr *a)
{
	struct verifier *v = job->v;
	struct verify_ctx *vc;
	size_t alen = a->family == AF_INET ? 4 : 16;
	char ip[INET6_ADDRSTRLEN], err[160];

	for (size_t i = 0; i < v->nauth; i++)
		if (v->auth[i].family == a->family &&
		    memcmp(v->auth[i].addr, a->addr, alen) == 0)
			return &v->auth[i];
	if (v->nauth >= LIMIT_VERIFY_AUTH_CONTEXTS) {
		snprintf(job->note, sizeof(job->note),
			 "too many authoritative servers in one pass");
		return NULL;
	}
	vc = &v->auth[v->nauth];
	memset(vc, 0, sizeof(*vc));
	vc->family = a->family;
	memcpy(vc->addr, a->addr, alen);
	vc->port = 53;
	inet_ntop(a->family, a->addr, ip, sizeof(ip));
	snprintf(vc->text, sizeof(vc->text),
		 a->family == AF_INET ? "%s:53" : "[%s]:53", ip);
	if (verify_ctx_open(v, vc, err, sizeof(err)) < 0) {
		snprintf(job->note, sizeof(job->note), "%.90s", err);
		return NULL;
	}
	v->nauth++;
	return vc;
}

void verify_ns_ask(struct verify_job *job, const struct verify_addr *a)
{
	struct verify_ctx *vc;

	if (job->nauth >= LIMIT_VERIFY_NS ||
	    (vc = verify_ns_ctx(job, a)) == NULL)
		return;
	for (size_t i = 0; i < job->res->nanswers; i++)
		if (job->res->answers[i].role == VERIFY_ROLE_AUTHORITATIVE &&
		    strcmp(job->res->answers[i].server, vc->text) == 0)
			return; /* two NS names, one address */
	job->nauth++;
	verify_ask_mx(job, VERIFY_ROLE_AUTHORITATIVE, vc, VERIFY_UDP);
	if (job->v->tcp)
		verify_ask_mx(job, VERIFY_ROLE_AUTHORITATIVE, vc, VERIFY_TCP);
}

/* The NS answer: ask each NS host's address (A), or walk up. */
void verify_ns_on_ns(struct verify_query *q, const getdns_dict *response,
		     getdns_callback_type_t cbtype)
{
	struct verify_job *job = q->job;
	struct verify_reply rep;
	getdns_list *ans = NULL;
	size_t n = 0, asked = 0;

	verify_answer_parse(response, cbtype, q->qname, GETDNS_RRTYPE_NS, &rep);
	if (rep.kind == VERIFY_KIND_NODATA ||
	    rep.kind == VERIFY_KIND_NXDOMAIN) {
		const char *dot = strchr(job->zone, '.');

		if (dot != NULL && ++job->ns_steps < LIMIT_VERIFY_NS_WALK) {
			memmove(job->zone, dot + 1, strlen(dot + 1) + 1);
			verify_ns_find(job);
		} else {
			snprintf(job->note, sizeof(job->note),
				 "no NS found for any parent name");
		}
		return;
	}
	if (rep.kind != VERIFY_KIND_IMPLICIT || response == NULL ||
	    getdns_dict_get_list(response, "/replies_tree/0/answer", &ans) ||
	    getdns_list_get_length(ans, &n)) {
		snprintf(job->note, sizeof(job->note), "NS lookup %s via %s",
			 verify_kind_name(rep.kind), q->vc->text);
		return;
	}
	for (size_t i = 0; i < n && asked < LIMIT_VERIFY_NS; i++) {
		getdns_bindata *b = NULL;
		uint32_t type = 0;
		char *fqdn = NULL, host[LIMIT_DOMAIN + 2];

		if (getdns_list_get_dict(ans, i, (getdns_dict **)&response) ||
		    getdns_dict_get_int(response, "type", &type) ||
		    type != GETDNS_RRTYPE_NS ||
		    getdns_dict_get_bindata(response, "/rdata/nsdname", &b) ||
		    getdns_convert_dns_name_to_fqdn(b, &fqdn) || fqdn == NULL)
			continue;
		if (verify_name_normalize(fqdn, host, sizeof(host)) == 0 &&
		    strcmp(host, ".") != 0) {
			verify_follow(job, q->vc, q->tr, VQ_NSADDR, -1, -1,
				      host, GETDNS_RRTYPE_A);
			asked++;
		}
		free(fqdn);
	}
}

void verify_ns_on_addr(struct verify_query *q, const getdns_dict *response,
		       getdns_callback_type_t cbtype)
{
	struct verify_reply rep;
	getdns_list *ans = NULL;
	size_t n = 0;

	verify_answer_parse(response, cbtype, q->qname, GETDNS_RRTYPE_A, &rep);
	if (rep.kind != VERIFY_KIND_IMPLICIT ||
	    getdns_dict_get_list(response, "/replies_tree/0/answer", &ans) ||
	    getdns_list_get_length(ans, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		getdns_dict *rr = NULL;
		getdns_bindata *b = NULL;
		uint32_t type = 0;

		if (getdns_list_get_dict(ans, i, &rr) == GETDNS_RETURN_GOOD &&
		    getdns_dict_get_int(rr, "type", &type) ==
			GETDNS_RETURN_GOOD &&
		    type == GETDNS_RRTYPE_A &&
		    getdns_dict_get_bindata(rr, "/rdata/ipv4_address", &b) ==
			GETDNS_RETURN_GOOD &&
		    b->size == 4) {
			struct verify_addr a = {.family = AF_INET};

			memcpy(a.addr, b->data, 4);
			verify_ns_ask(q->job, &a);
		}
	}
}

/* NS of job->zone through the first trusted independent (else MTA)
 * resolver: one that failed its canaries would lead us to its own
 * servers. */
void verify_ns_find(struct verify_job *job)
{
	struct verifier *v = job->v;
	struct verify_ctx *via = NULL;

	for (size_t i = 0; i < v->nres && via == NULL; i++)
		if (v->res_role[i] == VERIFY_ROLE_INDEPENDENT &&
		    !verify_canary_filtering(v, i))
			via = &v->res[i];
	for (size_t i = 0; i < v->nres && via == NULL; i++)
		if (!verify_canary_filtering(v, i))
			via = &v->res[i];
	if (via == NULL) {
		snprintf(job->note, sizeof(job->note),
			 v->nres ? "no trusted resolver to find NS (every one "
				   "filters)"
				 : "no resolver to find NS");
		return;
	}
	if (strstr(job->res->ns_path, "resolver ") == NULL) {
		size_t used = strlen(job->res->ns_path);

		snprintf(job->res->ns_path + used,
			 sizeof(job->res->ns_path) - used, "%sresolver %s",
			 used ? "; then NS via " : "NS via ", via->text);
	}
	verify_follow(job, via, VERIFY_UDP, VQ_NS, -1, -1, job->zone,
		      GETDNS_RRTYPE_NS);
}

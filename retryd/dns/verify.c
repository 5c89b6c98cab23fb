/*
 * NAME
 *	verify 3
 * SUMMARY
 *	fresh DNS verification of mail routes with getdns, many domains at once
 * SYNOPSIS
 *	#include "dns/verify.h"
 * DESCRIPTION
 *	verifier_new() creates, per configured resolver, one getdns STUB
 *	context for UDP and one for TCP (explicit single upstream, no
 *	search suffix, no cache: stub mode has none), all attached to one
 *	shared poll loop (verify_loop.c) so that queries on every server run
 *	concurrently. Authoritative servers get contexts on demand, kept up
 *	to LIMIT_VERIFY_AUTH_CONTEXTS.
 *
 *	verify_domains() issues, per domain, an MX query to every MTA node
 *	and independent resolver (UDP; TCP too with tcp = yes) and, with
 *	authoritative = yes, starts the authoritative-server discovery of
 *	verify_ns.c (NS lookup, parent walk, NS host addresses; up to
 *	LIMIT_VERIFY_NS servers, each asked the MX directly). Follow-ups:
 *	A + AAAA for each MX host (or for the domain itself when there is no
 *	MX: the implicit MX), TCP after a truncated UDP reply, one retry
 *	after a timeout. At most LIMIT_VERIFY_INFLIGHT queries are in flight;
 *	the rest wait in a FIFO. Each answer is checked by verify_answer.c;
 *	the verdict comes from verdict_decide().
 *
 *	Owns: the contexts, the loop, the queries in flight (the structs are
 *	in verify_int.h, shared with verify_ns.c only). Results go into
 *	the caller's array. verify_unique_domains() is the caller's dedup
 *	helper (one verification per domain).
 * DIAGNOSTICS
 *	verifier_new fails (with a reason) when getdns cannot create or
 *	configure a context. An unreachable or misbehaving server is an
 *	answer (TIMEOUT, UNREACHABLE, MALFORMED ...), never an error.
 */
#include "dns/verify.h"
#include "util/monotime.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

#include "dns/verdict.h"
#include "dns/verify_answer.h"
#include "dns/verify_int.h"
#include "dns/verify_loop.h"

static void verify_issue(struct verify_query *q);

/* One stub context with one upstream and one transport. */
static getdns_context *verify_context(struct verifier *v,
				      const struct verify_ctx *vc,
				      getdns_transport_list_t tr, char *err,
				      size_t errlen)
{
	getdns_context *ctx = NULL;
	getdns_dict *up = NULL;
	getdns_list *ups = NULL;
	getdns_bindata type, data;
	getdns_return_t r;

	if ((r = getdns_context_create(&ctx, 0)) != GETDNS_RETURN_GOOD) {
		snprintf(err, errlen, "getdns_context_create: %s",
			 getdns_get_errorstr_by_id(r));
		return NULL;
	}
	type.data = (uint8_t *)(vc->family == AF_INET6 ? "IPv6" : "IPv4");
	type.size = 4;
	data.data = (uint8_t *)vc->addr;
	data.size = vc->family == AF_INET6 ? 16 : 4;
	if ((up = getdns_dict_create()) == NULL ||
	    (ups = getdns_list_create()) == NULL)
		r = GETDNS_RETURN_MEMORY_ERROR;
	else if ((r = getdns_dict_set_bindata(up, "address_type", &type)) ==
		     0 &&
		 (r = getdns_dict_set_bindata(up, "address_data", &data)) ==
		     0 &&
		 (r = getdns_dict_set_int(up, "port", vc->port)) == 0 &&
		 (r = getdns_list_set_dict(ups, 0, up)) == 0 &&
		 (r = getdns_context_set_resolution_type(
		      ctx, GETDNS_RESOLUTION_STUB)) == 0 &&
		 (r = getdns_context_set_upstream_recursive_servers(
		      ctx, ups)) == 0 &&
		 (r = getdns_context_set_dns_transport_list(ctx, 1, &tr)) ==
		     0 &&
		 (r = getdns_context_set_timeout(ctx, v->timeout_ms)) == 0 &&
		 (r = getdns_context_set_append_name(
		      ctx, GETDNS_APPEND_NAME_NEVER)) == 0)
		r = getdns_context_set_eventloop(ctx,
						 verify_loop_getdns(v->loop));
	getdns_dict_destroy(up);
	getdns_list_destroy(ups);
	if (r != GETDNS_RETURN_GOOD) {
		snprintf(err, errlen, "getdns context for %s: %s", vc->text,
			 getdns_get_errorstr_by_id(r));
		getdns_context_destroy(ctx);
		return NULL;
	}
	return ctx;
}

int verify_ctx_open(struct verifier *v, struct verify_ctx *vc, char *err,
		    size_t errlen)
{
	if ((vc->udp = verify_context(v, vc, GETDNS_TRANSPORT_UDP, err,
				      errlen)) == NULL)
		return -1;
	if ((vc->tcp = verify_context(v, vc, GETDNS_TRANSPORT_TCP, err,
				      errlen)) == NULL) {
		getdns_context_destroy(vc->udp);
		vc->udp = NULL;
		return -1;
	}
	return 0;
}

static void verify_ctx_close(struct verify_ctx *vc)
{
	if (vc->udp)
		getdns_context_destroy(vc->udp);
	if (vc->tcp)
		getdns_context_destroy(vc->tcp);
	vc->udp = vc->tcp = NULL;
}

int verifier_new(const struct policy *p, struct verifier **out, char *err,
		 size_t errlen)
{
	struct verifier *v = calloc(1, sizeof(*v));
	const struct policy_resolver_list *lists[2] = {
	    &p->resolvers_mta, &p->resolvers_independent};
	enum verify_role roles[2] = {VERIFY_ROLE_MTA, VERIFY_ROLE_INDEPENDENT};

	*out = NULL;
	if (v == NULL || (v->loop = verify_loop_new()) == NULL ||
	    (v->auth = calloc(LIMIT_VERIFY_AUTH_CONTEXTS, sizeof(*v->auth))) ==
		NULL) {
		snprintf(err, errlen, "verifier: %s", strerror(ENOMEM));
		verifier_free(v);
		return -1;
	}
	v->authoritative = p->authoritative;
	v->tcp = p->tcp;
	if (verify_canary_new(v, p) < 0) {
		snprintf(err, errlen, "verifier: %s", strerror(ENOMEM));
		verifier_free(v);
		return -1;
	}
	if (p->root_hints != NULL &&
	    verify_trace_hints(v, p->root_hints, err, errlen) < 0) {
		verifier_free(v);
		return -1;
	}
	v->timeout_ms = p->timeout_ms > 0 ? (uint64_t)p->timeout_ms : 2000;
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0;
		     i < lists[l]->n && i < LIMIT_POLICY_RESOLVERS; i++) {
			const struct policy_resolver *pr = &lists[l]->items[i];
			struct verify_ctx *vc = &v->res[v->nres];

			vc->family = pr->family;
			memcpy(vc->addr, pr->addr, sizeof(vc->addr));
			vc->port = pr->port ? pr->port : 53;
			snprintf(vc->text, sizeof(vc->text), "%s", pr->text);
			if (verify_ctx_open(v, vc, err, errlen) < 0) {
				verifier_free(v);
				return -1;
			}
			v->res_role[v->nres++] = roles[l];
		}
	}
	*out = v;
	return 0;
}

void verifier_free(struct verifier *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nres; i++)
		verify_ctx_close(&v->res[i]);
	for (size_t i = 0; v->auth && i < v->nauth; i++)
		verify_ctx_close(&v->auth[i]);
	free(v->auth);
	verify_canary_free(v);
	verify_loop_free(v->loop);
	free(v);
}

uint64_t verifier_queries(const struct verifier *v)
{
	return v->queries;
}

/* ---- queries ---------------------------------------------------------- */

static struct verify_query *
verify_query_new(struct verify_job *job, struct verify_ctx *vc,
		 enum verify_transport tr, enum verify_purpose purpose, int ai,
		 int mxi, const char *qname, uint16_t qtype)
{
	struct verify_query *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->job = job;
	q->vc = vc;
	q->tr = tr;
	q->purpose = purpose;
	q->ai = ai;
	q->mxi = mxi;
	q->qtype = qtype;
	snprintf(q->qname, sizeof(q->qname), "%s", qname);
	return q;
}

static void verify_callback(getdns_context *ctx, getdns_callback_type_t cbtype,
			    getdns_dict *response, void *userarg,
			    getdns_transaction_t tid);

/* Send @q now, or queue it behind LIMIT_VERIFY_INFLIGHT queries. */
static void verify_issue(struct verify_query *q)
{
	struct verifier *v = q->job->v;
	getdns_transaction_t tid;
	getdns_return_t r;

	if (v->inflight >= LIMIT_VERIFY_INFLIGHT) {
		q->next = NULL;
		if (v->wait_tail)
			v->wait_tail->next = q;
		else
			v->wait_head = q;
		v->wait_tail = q;
		return;
	}
	v->inflight++;
	v->queries++;
	if (q->job->res != NULL)
		q->job->res->queries++;
	if (q->purpose == VQ_TRACE)
		q->job->res->trace_queries++;
	q->attempt++;
	r = getdns_general(q->tr == VERIFY_TCP ? q->vc->tcp : q->vc->udp,
			   q->qname, q->qtype, NULL, q, &tid, verify_callback);
	if (r != GETDNS_RETURN_GOOD)
		verify_callback(NULL, GETDNS_CALLBACK_ERROR, NULL, q, 0);
}

static void verify_drain(struct verifier *v)
{
	while (v->wait_head && v->inflight < LIMIT_VERIFY_INFLIGHT) {
		struct verify_query *q = v->wait_head;

		v->wait_head = q->next;
		if (v->wait_head == NULL)
			v->wait_tail = NULL;
		verify_issue(q);
	}
}

/* Start a follow-up query for answer @ai (counted as pending). */
void verify_follow(struct verify_job *job, struct verify_ctx *vc,
		   enum verify_transport tr, enum verify_purpose purpose,
		   int ai, int mxi, const char *qname, uint16_t qtype)
{
	struct verify_query *q =
	    verify_query_new(job, vc, tr, purpose, ai, mxi, qname, qtype);

	if (q == NULL) {
		if (ai >= 0 && job->track[ai].addr_fail == 0)
			job->track[ai].addr_fail = VERIFY_KIND_UNREACHABLE;
		return;
	}
	if (ai >= 0)
		job->track[ai].pending++;
	verify_issue(q);
}

void verify_send_tagged(struct verify_job *job, struct verify_ctx *vc,
			enum verify_purpose purpose, int tag, const char *qname,
			uint16_t qtype)
{
	struct verify_query *q = verify_query_new(job, vc, VERIFY_UDP, purpose,
						  -1, -1, qname, qtype);

	if (q == NULL)
		return; /* out of memory: no answer, like a lost packet */
	q->tag = tag;
	verify_issue(q);
}

/* A new answer slot for (@role, @vc, @tr), or -1 when full. */
static int verify_answer_new(struct verify_job *job, enum verify_role role,
			     const struct verify_ctx *vc,
			     enum verify_transport tr)
{
	struct verify_result *res = job->res;
	struct verify_answer *a;
	int ai;

	if (res->nanswers >= LIMIT_VERIFY_ANSWERS)
		return -1;
	ai = (int)res->nanswers++;
	a = &res->answers[ai];
	memset(a, 0, sizeof(*a));
	a->role = role;
	snprintf(a->server, sizeof(a->server), "%s", vc->text);
	a->transport = tr;
	a->rcode = -1;
	a->neg_ttl = -1;
	a->kind = VERIFY_KIND_TIMEOUT;
	memset(&job->track[ai], 0, sizeof(job->track[ai]));
	job->track[ai].started_ms = monotime_ms();
	return ai;
}

void verify_ask_mx(struct verify_job *job, enum verify_role role,
		   struct verify_ctx *vc, enum verify_transport tr)
{
	int ai = verify_answer_new(job, role, vc, tr);

	if (ai >= 0)
		verify_follow(job, vc, tr, VQ_MX, ai, -1, job->res->domain,
			      GETDNS_RRTYPE_MX);
}

/* Every follow-up of answer @ai is back: settle its kind. */
static void verify_answer_settle(struct verify_job *job, int ai)
{
	struct verify_answer *a = &job->res->answers[ai];
	struct verify_track *t = &job->track[ai];
	int any = 0;

	a->ms = (uint32_t)(monotime_ms() - t->started_ms);
	if (a->kind == VERIFY_KIND_MX) {
		for (size_t i = 0; i < a->nmx; i++)
			any |= a->mx[i].naddrs > 0;
		if (!any && a->role != VERIFY_ROLE_AUTHORITATIVE) {
			a->kind =
			    t->addr_fail ? t->addr_fail : VERIFY_KIND_MX_NOADDR;
			snprintf(a->reason, sizeof(a->reason), "%s",
				 t->addr_fail ? "MX host address lookup failed"
					      : "no MX host has an address");
		}
	} else if (a->kind == VERIFY_KIND_NODATA) {
		if (t->implicit_addrs > 0) {
			a->kind = VERIFY_KIND_IMPLICIT;
			a->ttl = t->implicit_ttl;
			a->neg_ttl = -1;
		} else if (t->addr_fail) {
			a->kind = t->addr_fail;
			snprintf(a->reason, sizeof(a->reason),
				 "no MX; address lookup failed");
		}
	}
}

static void verify_on_mx(struct verify_query *q, const getdns_dict *response,
			 getdns_callback_type_t cbtype)
{
	struct verify_job *job = q->job;
	struct verify_answer *a = &job->res->answers[q->ai];
	struct verify_reply rep;

	verify_answer_parse(response, cbtype, q->qname, GETDNS_RRTYPE_MX, &rep);
	a->status = rep.status;
	a->rcode = rep.rcode;
	a->kind = rep.kind;
	a->ttl = rep.ttl;
	a->neg_ttl = rep.neg_ttl;
	a->truncated |= rep.truncated;
	snprintf(a->reason, sizeof(a->reason), "%s", rep.reason);
	a->nmx = rep.kind == VERIFY_KIND_MX || rep.kind == VERIFY_KIND_NULL_MX
		     ? rep.nmx
		     : 0;
	memcpy(a->mx, rep.mx, sizeof(a->mx));
	if (a->role == VERIFY_ROLE_AUTHORITATIVE && !rep.aa &&
	    (rep.kind == VERIFY_KIND_NODATA ||
	     rep.kind == VERIFY_KIND_NXDOMAIN)) {
		a->kind = VERIFY_KIND_MALFORMED;
		snprintf(a->reason, sizeof(a->reason),
			 "negative answer without AA bit (referral?)");
		return;
	}
	if (rep.truncated && q->tr == VERIFY_UDP && !job->v->tcp &&
	    !job->track[q->ai].tcp_fallback) {
		job->track[q->ai].tcp_fallback = 1;
		verify_ask_mx(job, a->role, q->vc, VERIFY_TCP);
	}
	if (rep.kind == VERIFY_KIND_MX) {
		for (size_t i = 0; i < a->nmx; i++) {
			if (strcmp(a->mx[i].host, ".") == 0)
				continue;
			verify_follow(job, q->vc, q->tr, VQ_ADDR, q->ai, (int)i,
				      a->mx[i].host, GETDNS_RRTYPE_A);
			verify_follow(job, q->vc, q->tr, VQ_ADDR, q->ai, (int)i,
				      a->mx[i].host, GETDNS_RRTYPE_AAAA);
		}
	} else if (rep.kind == VERIFY_KIND_NODATA) {
		verify_follow(job, q->vc, q->tr, VQ_ADDR, q->ai, -1,
			      job->res->domain, GETDNS_RRTYPE_A);
		verify_follow(job, q->vc, q->tr, VQ_ADDR, q->ai, -1,
			      job->res->domain, GETDNS_RRTYPE_AAAA);
	}
}

static void verify_on_addr(struct verify_query *q, const getdns_dict *response,
			   getdns_callback_type_t cbtype)
{
	struct verify_track *t = &q->job->track[q->ai];
	struct verify_answer *a = &q->job->res->answers[q->ai];
	struct verify_reply rep;

	verify_answer_parse(response, cbtype, q->qname, q->qtype, &rep);
	if (rep.kind == VERIFY_KIND_IMPLICIT) {
		if (q->mxi >= 0) {
			a->mx[q->mxi].naddrs += rep.nrecords;
		} else {
			if (t->implicit_addrs == 0 || rep.ttl < t->implicit_ttl)
				t->implicit_ttl = rep.ttl;
			t->implicit_addrs += rep.nrecords;
		}
	} else if (rep.kind != VERIFY_KIND_NODATA &&
		   rep.kind != VERIFY_KIND_NXDOMAIN && t->addr_fail == 0) {
		t->addr_fail = rep.kind;
	}
}

static void verify_callback(getdns_context *ctx, getdns_callback_type_t cbtype,
			    getdns_dict *response, void *userarg,
			    getdns_transaction_t tid)
{
	struct verify_query *q = userarg;
	struct verify_job *job = q->job;
	struct verifier *v = job->v;
	uint32_t status = 0;
	int timed_out;

	(void)ctx;
	(void)tid;
	v->inflight--;
	timed_out = cbtype == GETDNS_CALLBACK_TIMEOUT ||
		    (response != NULL &&
		     getdns_dict_get_int(response, "status", &status) ==
			 GETDNS_RETURN_GOOD &&
		     status == GETDNS_RESPSTATUS_ALL_TIMEOUT);
	if (timed_out && q->attempt < LIMIT_VERIFY_ATTEMPTS) {
		getdns_dict_destroy(response);
		verify_issue(q); /* one retry, same server and transport */
		verify_drain(v);
		return;
	}
	switch (q->purpose) {
	case VQ_MX:
		verify_on_mx(q, response, cbtype);
		break;
	case VQ_ADDR:
		verify_on_addr(q, response, cbtype);
		break;
	case VQ_NS:
		verify_ns_on_ns(q, response, cbtype);
		break;
	case VQ_NSADDR:
		verify_ns_on_addr(q, response, cbtype);
		break;
	case VQ_PROBE:
		verify_canary_on_reply(q, response, cbtype);
		break;
	case VQ_TRACE:
		verify_trace_on_reply(q, response, cbtype);
		break;
	}
	getdns_dict_destroy(response);
	if (q->ai >= 0 && --job->track[q->ai].pending == 0)
		verify_answer_settle(job, q->ai);
	free(q);
	verify_drain(v);
}

static void verify_finish(struct verify_job *job)
{
	struct verify_result *res = job->res;
	size_t used;

	verify_canary_apply(job->v, res);
	res->verdict = verdict_decide(res->answers, res->nanswers, res->detail,
				      sizeof(res->detail));
	used = strlen(res->detail);
	if (job->v->authoritative && job->nauth == 0 &&
	    used + 4 < sizeof(res->detail))
		snprintf(res->detail + used, sizeof(res->detail) - used,
			 "; no authoritative answer: %s",
			 job->note[0] ? job->note : "no NS address");
	if (!job->v->authoritative)
		snprintf(res->ns_path, sizeof(res->ns_path),
			 "not asked (authoritative = no)");
	else if (job->nauth == 0) {
		used = strlen(res->ns_path);
		snprintf(res->ns_path + used, sizeof(res->ns_path) - used,
			 "%snone found: %.100s", used ? "; " : "",
			 job->note[0] ? job->note : "no NS address");
	}
	free(job->trace);
	job->trace = NULL;
	for (size_t i = 0; i < res->nanswers && res->best_mx[0] == '\0'; i++) {
		const struct verify_answer *a = &res->answers[i];

		for (size_t j = 0; j < a->nmx; j++)
			if (a->kind == VERIFY_KIND_MX && a->mx[j].naddrs > 0) {
				snprintf(res->best_mx, sizeof(res->best_mx),
					 "%s", a->mx[j].host);
				break;
			}
	}
}

int verify_domains(struct verifier *v, const char *const *domains, size_t n,
		   int64_t now, struct verify_result *out, char *err,
		   size_t errlen)
{
	struct verify_job *jobs = calloc(n ? n : 1, sizeof(*jobs));

	if (jobs == NULL) {
		snprintf(err, errlen, "verify: %s", strerror(ENOMEM));
		return -1;
	}
	verify_canary_run(v, domains, n); /* first: who may be believed */
	for (size_t d = 0; d < n; d++) {
		struct verify_job *job = &jobs[d];
		struct verify_result *res = &out[d];

		/* not the whole struct: answers are cleared as they are used */
		memset(res, 0, offsetof(struct verify_result, answers));
		res->nanswers = 0;
		res->queries = 0;
		job->v = v;
		job->res = res;
		res->checked_at = now;
		res->nchecks = 0;
		res->ns_path[0] = '\0';
		res->trace_queries = 0;
		res->trace_ms = 0;
		if (verify_domain_ldh(domains[d], res->domain,
				      sizeof(res->domain)) < 0) {
			snprintf(res->domain, sizeof(res->domain), "%.*s",
				 LIMIT_DOMAIN, domains[d]);
			res->verdict = VERDICT_UNVERIFIED;
			snprintf(res->detail, sizeof(res->detail),
				 "not a strict LDH domain name: not asked, "
				 "left to the MTA");
			job->v = NULL;
			continue;
		}
		for (size_t i = 0; i < v->nres; i++) {
			verify_ask_mx(job, v->res_role[i], &v->res[i],
				      VERIFY_UDP);
			if (v->tcp)
				verify_ask_mx(job, v->res_role[i], &v->res[i],
					      VERIFY_TCP);
		}
		if (v->authoritative) {
			snprintf(job->zone, sizeof(job->zone), "%s",
				 res->domain);
			if (v->nroots > 0)
				verify_trace_start(job);
			else
				verify_ns_find(job);
		}
	}
	verify_loop_run(v->loop);
	for (size_t d = 0; d < n; d++)
		if (jobs[d].v != NULL)
			verify_finish(&jobs[d]);
		else
			free(jobs[d].trace);
	free(jobs);
	if (v->nauth > LIMIT_VERIFY_AUTH_CONTEXTS / 2) {
		for (size_t i = 0; i < v->nauth; i++)
			verify_ctx_close(&v->auth[i]);
		v->nauth = 0;
	}
	return 0;
}

/* Domain names equal but for case and a trailing dot? strcmp-like. */
static int verify_name_cmp(const char *s, const char *t)
{
	size_t ls = strlen(s), lt = strlen(t);
	int c;

	if (ls > 1 && s[ls - 1] == '.')
		ls--;
	if (lt > 1 && t[lt - 1] == '.')
		lt--;
	c = strncasecmp(s, t, ls < lt ? ls : lt);
	if (c == 0 && ls != lt)
		c = ls < lt ? -1 : 1;
	return c;
}

static int verify_unique_cmp(const void *a, const void *b, void *arg)
{
	const char *const *in = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = verify_name_cmp(in[x], in[y]);

	return c != 0 ? c : (x > y) - (x < y);
}

static int verify_index_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

int verify_unique_domains(const char *const *in, size_t n, const char **out,
			  size_t *nout)
{
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx)), k = 0;

	*nout = 0;
	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* sort by name (then position), keep the first of each run */
	qsort_r(idx, n, sizeof(*idx), verify_unique_cmp, (void *)in);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || verify_name_cmp(in[idx[k - 1]], in[idx[i]]) != 0)
			idx[k++] = idx[i];
	qsort(idx, k, sizeof(*idx), verify_index_cmp); /* first-seen order */
	for (size_t i = 0; i < k; i++)
		out[i] = in[idx[i]];
	*nout = k;
	free(idx);
	return 0;
}

/*
 * NAME
 *	verify_int 3h
 * SUMMARY
 *	verifier internals shared by verify.c and verify_ns.c
 * DESCRIPTION
 *	Not an interface for callers (they include verify.h): the verifier,
 *	its per-server contexts, the per-domain job and the query record,
 *	plus the few functions verify.c lends to the authoritative-server
 *	discovery in verify_ns.c. Only verify*.c include this header.
 *
 *	Ownership: the verifier owns its contexts (res[], auth[]) and the
 *	queries in flight; a job belongs to one verify_domains() call.
 */
#ifndef RETRYD_VERIFY_INT_H
#define RETRYD_VERIFY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <getdns/getdns.h>

#include "util/limits.h"
#include "dns/verify.h"

struct verify_ctx {
	getdns_context *udp, *tcp;
	char text[64];
	int family;
	unsigned char addr[16];
	uint16_t port;
};

enum verify_purpose { VQ_MX, VQ_ADDR, VQ_NS, VQ_NSADDR, VQ_PROBE, VQ_TRACE };

/* A server address met while tracing (root hints, glue). */
struct verify_addr {
	int family;
	unsigned char addr[16];
};

struct verify_job;

struct verify_query {
	struct verify_query *next;
	struct verify_job *job;
	struct verify_ctx *vc;
	enum verify_transport tr;
	enum verify_purpose purpose;
	int ai;	 /* answer index (VQ_MX, VQ_ADDR) */
	int mxi; /* MX host index; -1: the domain itself */
	uint16_t qtype;
	int attempt;
	int tag; /* VQ_PROBE: resolver * 256 + probe slot; -1 the root */
	char qname[LIMIT_DOMAIN + 1];
};

/* Bookkeeping for one answer while its follow-ups run. */
struct verify_track {
	unsigned pending; /* queries still out for this answer */
	int64_t started_ms;
	enum verify_kind addr_fail; /* first transient address failure */
	unsigned implicit_addrs;
	uint32_t implicit_ttl;
	int tcp_fallback; /* a TCP answer was added after TC */
};

/* One level of a trace: who we ask for which name (verify_trace.c). */
struct verify_trace_frame {
	char qname[LIMIT_DOMAIN + 1];
	uint16_t qtype;		     /* NS (the domain) or A (an NS host) */
	char zone[LIMIT_DOMAIN + 1]; /* the zone srv[] serves */
	struct verify_addr srv[LIMIT_VERIFY_NS];
	size_t nsrv, next;
	char cut[LIMIT_DOMAIN + 1]; /* referral waiting for NS addresses */
	char hosts[LIMIT_VERIFY_NS][LIMIT_DOMAIN + 1]; /* its glueless NS */
	size_t nhosts, nexthost;
};

struct verify_trace {
	struct verify_trace_frame f[1 + LIMIT_VERIFY_TRACE_GLUELESS];
	size_t depth;
	unsigned steps;
	int64_t started_ms;
};

struct verify_job {
	struct verifier *v;
	struct verify_result *res;  /* NULL for the canary round */
	struct verify_trace *trace; /* while tracing from the root hints */
	struct verify_track track[LIMIT_VERIFY_ANSWERS];
	char zone[LIMIT_DOMAIN + 1]; /* name whose NS we are asking */
	unsigned ns_steps;
	size_t nauth;  /* authoritative servers asked */
	char note[96]; /* why there is no authoritative answer */
};

struct verifier {
	struct verify_loop *loop;
	struct verify_ctx res[2 * LIMIT_POLICY_RESOLVERS];
	enum verify_role res_role[2 * LIMIT_POLICY_RESOLVERS];
	size_t nres;
	struct verify_ctx *auth;
	size_t nauth;
	int authoritative, tcp;
	uint64_t timeout_ms;
	uint64_t queries;
	size_t inflight;
	struct verify_query *wait_head, *wait_tail;
	struct verify_addr roots[LIMIT_ROOT_HINTS]; /* from root_hints */
	size_t nroots;
	struct verify_canary *can; /* verify_canary.c */
};

/**
 * Open the UDP and TCP stub contexts of @param vc (address, port and
 * text already set) on @param v's loop.
 * @return 0, or -1 with a reason in @param err (nothing left open).
 */
int verify_ctx_open(struct verifier *v, struct verify_ctx *vc, char *err,
		    size_t errlen);

/**
 * Start a query for @param qname / @param qtype on @param vc over
 * @param tr; with @param ai >= 0 it is a follow-up counted as pending
 * on that answer. The verifier owns the query until its callback ends.
 */
void verify_follow(struct verify_job *job, struct verify_ctx *vc,
		   enum verify_transport tr, enum verify_purpose purpose,
		   int ai, int mxi, const char *qname, uint16_t qtype);

/** A new answer slot for (@param role, @param vc, @param tr) and its MX
 * query; nothing when the job's answers are full. */
void verify_ask_mx(struct verify_job *job, enum verify_role role,
		   struct verify_ctx *vc, enum verify_transport tr);

/** As verify_follow, with @param tag kept in the query (VQ_PROBE). */
void verify_send_tagged(struct verify_job *job, struct verify_ctx *vc,
			enum verify_purpose purpose, int tag, const char *qname,
			uint16_t qtype);

/* verify_ns.c: authoritative-server discovery */

/** The context for server @param a (port 53), opened on demand and
 * cached in v->auth; NULL with a reason in job->note. */
struct verify_ctx *verify_ns_ctx(struct verify_job *job,
				 const struct verify_addr *a);

/** Ask authoritative server @param a the domain's MX (once per address). */
void verify_ns_ask(struct verify_job *job, const struct verify_addr *a);

/** Ask the NS of job->zone through the first independent (else MTA)
 * resolver; on failure a reason goes to job->note. */
void verify_ns_find(struct verify_job *job);

/** Handle the NS answer of @param q: ask each NS host's A record, or
 * walk up to the parent name on NXDOMAIN/NODATA. */
void verify_ns_on_ns(struct verify_query *q, const getdns_dict *response,
		     getdns_callback_type_t cbtype);

/** Handle an NS host's A answer: ask each address the domain's MX. */
void verify_ns_on_addr(struct verify_query *q, const getdns_dict *response,
		       getdns_callback_type_t cbtype);

/* verify_trace.c: the independent route from the root hints */

/** Read the A/AAAA records of hints file @param path into v->roots.
 * @return 0, or -1 with @param err naming the file and line. */
int verify_trace_hints(struct verifier *v, const char *path, char *err,
		       size_t errlen);

/** Start tracing job->res->domain from the root hints; on failure fall
 * back to verify_ns_find() (recorded in res->ns_path). */
void verify_trace_start(struct verify_job *job);

/** Handle one reply of the trace. */
void verify_trace_on_reply(struct verify_query *q, const getdns_dict *response,
			   getdns_callback_type_t cbtype);

/* verify_canary.c: is each recursive resolver telling the truth? */

/** Canary state for @param v (names from the policy). @return 0 or -1. */
int verify_canary_new(struct verifier *v, const struct policy *p);
void verify_canary_free(struct verifier *v);

/** Ask every recursive resolver the root SOA, the TLD of each of
 * @param domains and the canaries; run to completion; judge them. */
void verify_canary_run(struct verifier *v, const char *const *domains,
		       size_t n);

/** Handle one canary reply. */
void verify_canary_on_reply(struct verify_query *q, const getdns_dict *response,
			    getdns_callback_type_t cbtype);

/** 1 when resolver @param i (index into v->res) failed its canaries. */
int verify_canary_filtering(const struct verifier *v, size_t i);

/** Copy the canary results relevant to @param res (its TLD) into
 * res->checks and mark distrusted answers. */
void verify_canary_apply(const struct verifier *v, struct verify_result *res);

#endif

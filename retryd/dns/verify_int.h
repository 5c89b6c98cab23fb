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

enum verify_purpose { VQ_MX, VQ_ADDR, VQ_NS, VQ_NSADDR };

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

struct verify_job {
	struct verifier *v;
	struct verify_result *res;
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

/* verify_ns.c: authoritative-server discovery */

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

#endif

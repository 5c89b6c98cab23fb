/*
 * NAME
 *	verify 3h
 * SUMMARY
 *	fresh DNS verification of mail routes with getdns, many domains at once
 * DESCRIPTION
 *	For each domain, verify_domains() asks, at the same moment and with
 *	no cache of ours (getdns stub mode, one context per server): every
 *	[resolvers] mta address (node by node), every independent resolver
 *	and, when authoritative = yes, the domain's authoritative servers
 *	(NS found through an independent resolver). UDP always; TCP too when
 *	tcp = yes or on truncation. Each answer is checked (rcode, owner
 *	name, field presence: see STYLE.md hazards) and reduced to a
 *	struct verify_answer; verdict_decide() (verdict.h) turns the set
 *	into one verdict per domain.
 *
 *	Ownership: the verifier owns its getdns contexts; results are
 *	written into caller-owned arrays.
 */
#ifndef RETRYD_VERIFY_H
#define RETRYD_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"
#include "policy/policy.h"

enum verify_role {
	VERIFY_ROLE_MTA = 1,
	VERIFY_ROLE_INDEPENDENT = 2,
	VERIFY_ROLE_AUTHORITATIVE = 3,
};

enum verify_transport { VERIFY_UDP = 1, VERIFY_TCP = 2 };

/* What one server said about the domain's mail route. */
enum verify_kind {
	VERIFY_KIND_MX = 1,	  /* usable MX set (at least one host) */
	VERIFY_KIND_IMPLICIT = 2, /* no MX, but the domain has A/AAAA */
	VERIFY_KIND_NULL_MX = 3,  /* RFC 7505 "MX 0 ." */
	VERIFY_KIND_NODATA = 4,	  /* NOERROR, no MX, no address */
	VERIFY_KIND_NXDOMAIN = 5,
	VERIFY_KIND_SERVFAIL = 6,
	VERIFY_KIND_REFUSED = 7,
	VERIFY_KIND_TIMEOUT = 8,
	VERIFY_KIND_TRUNCATED = 9,    /* TC set and no usable answer */
	VERIFY_KIND_MALFORMED = 10,   /* garbage, wrong owner, missing fields */
	VERIFY_KIND_UNREACHABLE = 11, /* could not send/connect */
	VERIFY_KIND_MX_NOADDR = 12,   /* MX hosts, but none has an address */
};

struct verify_mx {
	uint16_t preference;
	char host[LIMIT_DOMAIN + 1];
	unsigned naddrs; /* A/AAAA found for host (0: unresolvable) */
};

struct verify_answer {
	enum verify_role role;
	char server[64]; /* "127.0.0.53:53" */
	enum verify_transport transport;
	int status; /* getdns return status */
	int rcode;  /* DNS rcode, -1 when no reply */
	enum verify_kind kind;
	struct verify_mx mx[LIMIT_VERIFY_MX];
	size_t nmx;
	uint32_t ttl;	  /* of the MX RRset (or A when implicit) */
	int64_t neg_ttl;  /* SOA minimum on NXDOMAIN/NODATA, else -1 */
	int truncated;	  /* TC bit seen */
	uint32_t ms;	  /* time taken */
	char reason[128]; /* for MALFORMED/UNREACHABLE etc. */
	int distrusted;	  /* its server failed the canaries: not evidence */
};

enum verify_verdict {
	VERDICT_HEALTHY = 1,
	VERDICT_LOCAL_PATH = 2,
	VERDICT_PROPAGATION = 3,
	VERDICT_DOMAIN = 4,
	VERDICT_NULL_MX = 5,
	VERDICT_TRANSPORT = 6,
	VERDICT_DNS_OUTAGE = 7,
	VERDICT_UNVERIFIED = 8, /* negative, but no authoritative word */
	VERDICT_FILTERED = 9,	/* a resolver on our path lies (canaries) */
};
#define VERDICT_LAST VERDICT_FILTERED

/* One canary question put to one recursive resolver. */
struct verify_probe {
	char name[LIMIT_VERIFY_PROBE_NAME + 1]; /* ".", a TLD, a canary */
	uint16_t qtype;	       /* SOA (root, TLD) or A (canary) */
	enum verify_kind kind; /* IMPLICIT: records present */
	uint32_t ttl;
	char addrs[LIMIT_VERIFY_PROBE_ADDRS]; /* sorted A set, canaries */
	int lying; /* negative for a name that must exist, or other addrs */
};

/* What the canaries say about one recursive resolver (MTA or independent). */
struct verify_check {
	enum verify_role role;
	char server[64];
	struct verify_probe probes[LIMIT_VERIFY_PROBES];
	size_t nprobes;
	int filtering;	  /* 1: its answers are not evidence */
	char why[160];	  /* why it is or is not trusted */
	char same_as[64]; /* independent that shares this MTA node's path */
};

struct verify_result {
	char domain[LIMIT_DOMAIN + 1];
	int64_t checked_at; /* wall seconds when the queries were sent */
	enum verify_verdict verdict;
	char detail[256]; /* e.g. "mta node 127.0.0.54:53 stale NODATA" */
	char best_mx[LIMIT_DOMAIN + 1]; /* lowest-preference MX host, "" */
	struct verify_answer answers[LIMIT_VERIFY_ANSWERS];
	size_t nanswers;
	uint64_t queries;	/* DNS queries sent for this domain */
	char ns_path[192];	/* which path found the authoritative servers */
	uint64_t trace_queries; /* of which spent tracing from the root */
	uint32_t trace_ms;	/* time the trace took */
	struct verify_check checks[2 * LIMIT_POLICY_RESOLVERS];
	size_t nchecks;
};

struct verifier;

/**
 * Create a verifier for the [resolvers] settings of @param p.
 * @return 0 and *out (free with verifier_free), or -1 with @param err.
 */
int verifier_new(const struct policy *p, struct verifier **out, char *err,
		 size_t errlen);
void verifier_free(struct verifier *v);

/**
 * Verify @param n domains concurrently (at most LIMIT_VERIFY_INFLIGHT
 * queries in flight), one result each into @param out[i].
 * @param now wall seconds recorded as checked_at.
 * A server that cannot be reached is a result, never an error.
 * @return 0, or -1 only when the verifier itself failed (err says why).
 */
int verify_domains(struct verifier *v, const char *const *domains, size_t n,
		   int64_t now, struct verify_result *out, char *err,
		   size_t errlen);

/**
 * The distinct domains of @param in (case and a trailing dot ignored),
 * in first-seen order: @param out (caller-allocated, @param n entries)
 * receives pointers into @param in, *@param nout their number. Callers
 * verify each domain once, whatever the number of due messages.
 * @return 0, or -1 when out of memory.
 */
int verify_unique_domains(const char *const *in, size_t n, const char **out,
			  size_t *nout);

/**
 * Strict LDH form of a recipient domain: lower case, trailing dot removed,
 * letters, digits and inner hyphens only, labels 1..63 not starting or
 * ending with '-', at least two labels, total <= LIMIT_DOMAIN. Anything
 * else is left to the MTA: never verified, never given to a hook.
 * @return 0 with @param out filled, or -1.
 */
int verify_domain_ldh(const char *in, char *out, size_t outlen);

/** Total DNS queries sent by this verifier since verifier_new. */
uint64_t verifier_queries(const struct verifier *v);

/** "healthy", "local-path", ... as in DESIGN.md. */
const char *verify_verdict_name(enum verify_verdict v);
/** Parse a verdict name; @return 0 and *out, or -1. */
int verify_verdict_parse(const char *name, enum verify_verdict *out);
const char *verify_kind_name(enum verify_kind k);
const char *verify_role_name(enum verify_role r);

/**
 * Serialize a result as a JSON object (domain, verdict, detail,
 * checked_at, answers[...]) for the store and for diagnose --json.
 * @return a malloc'd NUL-terminated string the caller frees, or NULL.
 */
char *verify_result_json(const struct verify_result *r);

/**
 * One line per answer, compact, bounded by @param buflen:
 * "mta 127.0.0.54:53/udp NOERROR nodata neg=300; ind ... mx=10:mx1.x ttl=300"
 * for evidence records (store_evidence.dns).
 */
void verify_result_summary(const struct verify_result *r, char *buf,
			   size_t buflen);

#endif

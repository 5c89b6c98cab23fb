/*
 * NAME
 *	verify_answer 3h
 * SUMMARY
 *	one getdns reply reduced to checked facts (pure)
 * DESCRIPTION
 *	verify_answer_parse() reads a getdns response dict for one query
 *	(MX, A, AAAA, NS or SOA) and applies every check STYLE.md's getdns hazards
 *	ask for: the rcode decides NXDOMAIN vs SERVFAIL vs REFUSED (getdns
 *	gives all of them status 901), the question and every answer's owner
 *	name must be ours (a CNAME chain is followed), rdata fields must be
 *	present and well formed ("ErrorMissingDname", truncated rdata, a
 *	compression loop). Anything odd is VERIFY_KIND_MALFORMED, a transient,
 *	never NXDOMAIN. No I/O, no clock.
 */
#ifndef RETRYD_VERIFY_ANSWER_H
#define RETRYD_VERIFY_ANSWER_H

#include <getdns/getdns.h>
#include <stdint.h>

#include "dns/verify.h"

/* What one reply says, for any of MX, A, AAAA, NS, SOA. */
struct verify_reply {
	int status;	       /* getdns status (900 good, 901, 902 ...) */
	int rcode;	       /* -1 when no reply */
	int truncated;	       /* TC bit */
	int aa;		       /* AA bit (authoritative answer) */
	enum verify_kind kind; /* MX: MX / NULL_MX; A, AAAA: IMPLICIT means
				  "records present" (also NS); else NODATA,
				  NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT,
				  TRUNCATED, MALFORMED, UNREACHABLE */
	unsigned nrecords;     /* records of the asked type */
	uint32_t ttl;	       /* lowest TTL of those records */
	int64_t neg_ttl;       /* min(SOA TTL, SOA minimum), else -1 */
	struct verify_mx mx[LIMIT_VERIFY_MX]; /* MX only, by preference */
	size_t nmx;
	char reason[128]; /* why MALFORMED / SERVFAIL etc. */
};

/**
 * Reduce @param response (may be NULL) delivered with callback type
 * @param cbtype for the question @param qname / @param qtype.
 * @param out is filled completely. The caller owns everything.
 */
void verify_answer_parse(const getdns_dict *response, int cbtype,
			 const char *qname, uint16_t qtype,
			 struct verify_reply *out);

/**
 * Normalize a domain name: lower case, no trailing dot (except the root
 * "."), letters, digits, '-', '_', '.' only, labels 1..63, total
 * <= LIMIT_DOMAIN. @return 0 with @param out filled, or -1.
 */
int verify_name_normalize(const char *in, char *out, size_t outlen);

#endif

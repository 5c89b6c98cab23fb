/*
 * NAME
 *	verdict 3
 * SUMMARY
 *	one verdict from a set of answers (pure)
 * SYNOPSIS
 *	#include "dns/verdict.h"
 * DESCRIPTION
 *	Answers are first grouped by server (role + address): a server's
 *	outcome is the best over its transports (usable > null MX >
 *	negative > transient), and the server has a "transport fault" when
 *	a UDP answer failed (timeout, truncated, malformed, unreachable,
 *	SERVFAIL/REFUSED, or the TC bit) while a TCP answer was usable.
 *
 *	  usable    MX with an address (authoritative: any MX host), IMPLICIT
 *	  null      NULL_MX
 *	  negative  NODATA, NXDOMAIN, MX_NOADDR        (conclusive)
 *	  transient TIMEOUT, SERVFAIL, REFUSED, TRUNCATED, MALFORMED,
 *	            UNREACHABLE                        (never evidence)
 *
 *	The reference R is the set of conclusive authoritative servers; if
 *	there is none, the conclusive independent resolvers; if none, the
 *	conclusive MTA nodes. The first matching row wins:
 *
 *	 # | condition                                        | verdict
 *	 --+--------------------------------------------------+-----------
 *	 1 | no server gave a conclusive answer               | dns-outage
 *	 2 | every server in R says null MX                   | null-mx
 *	 3 | every server in R is negative                    | domain
 *	 4 | R mixes usable and negative/null answers         | propagation
 *	 5 | R is authoritative; conclusive independents mix | propagation
 *	   | usable and not usable, or none of them is usable |
 *	 6 | some MTA node is not usable (transport faults    |
 *	   | aside) and every independent configured failed   | dns-outage
 *	   | transiently (the authoritative servers answer)   |
 *	 7 | some MTA node is not usable (transport faults    | local-path
 *	   | aside); detail names the node(s)                 |
 *	 8 | some server has a transport fault                | transport
 *	 9 | otherwise (R usable, every MTA node usable)      | healthy
 *
 *	Edge cases: with only MTA nodes configured, R is the MTA nodes, so a
 *	single node saying NODATA gives `domain` (no comparison possible:
 *	defer, not suppress) while one bad node among good ones gives
 *	`local-path`. Independents or authoritative servers that fail
 *	transiently while the rest is usable do not change `healthy`; the
 *	detail mentions them. Malformed answers are transient: they can give
 *	dns-outage, local-path or transport, never domain or null-mx.
 *
 *	Owns nothing; writes only into the caller's detail buffer.
 */
#include "dns/verdict.h"

#include <stdio.h>
#include <string.h>

enum verdict_class {
	CLASS_TRANSIENT = 0,
	CLASS_NEGATIVE,
	CLASS_NULL,
	CLASS_USABLE
};

struct verdict_server {
	const struct verify_answer *first;
	enum verdict_class best;
	enum verify_kind best_kind;
	int udp_failed;
	int tcp_usable;
};

static enum verdict_class verdict_class_of(const struct verify_answer *a)
{
	switch (a->kind) {
	case VERIFY_KIND_MX:
		if (a->role == VERIFY_ROLE_AUTHORITATIVE)
			return a->nmx > 0 ? CLASS_USABLE : CLASS_NEGATIVE;
		for (size_t i = 0; i < a->nmx; i++)
			if (a->mx[i].naddrs > 0)
				return CLASS_USABLE;
		return CLASS_NEGATIVE;
	case VERIFY_KIND_IMPLICIT:
		return CLASS_USABLE;
	case VERIFY_KIND_NULL_MX:
		return CLASS_NULL;
	case VERIFY_KIND_NODATA:
	case VERIFY_KIND_NXDOMAIN:
	case VERIFY_KIND_MX_NOADDR:
		return CLASS_NEGATIVE;
	default:
		return CLASS_TRANSIENT;
	}
}

/* Group answers by server; @return the number of servers. */
static size_t verdict_group(const struct verify_answer *answers, size_t n,
			    struct verdict_server *srv)
{
	size_t ns = 0;

	for (size_t i = 0; i < n; i++) {
		const struct verify_answer *a = &answers[i];
		enum verdict_class c = verdict_class_of(a);
		size_t j;

		for (j = 0; j < ns; j++)
			if (srv[j].first->role == a->role &&
			    strcmp(srv[j].first->server, a->server) == 0)
				break;
		if (j == ns) {
			memset(&srv[ns], 0, sizeof(srv[ns]));
			srv[ns].first = a;
			srv[ns].best = c;
			srv[ns].best_kind = a->kind;
			ns++;
		} else if (c > srv[j].best) {
			srv[j].best = c;
			srv[j].best_kind = a->kind;
		}
		if (a->transport == VERIFY_UDP &&
		    (c == CLASS_TRANSIENT || a->truncated))
			srv[j].udp_failed = 1;
		if (a->transport == VERIFY_TCP && c == CLASS_USABLE)
			srv[j].tcp_usable = 1;
	}
	return ns;
}

/* Append "role server kind" of @s to @buf (bounded, comma separated). */
static void verdict_name(char *buf, size_t len, const struct verdict_server *s)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s %s %s", used ? ", " : "",
		 verify_role_name(s->first->role), s->first->server,
		 verify_kind_name(s->best_kind));
}

static enum verify_verdict verdict_say(enum verify_verdict v, char *detail,
				       size_t len, const char *what,
				       const char *names)
{
	if (detail != NULL && len > 0)
		snprintf(detail, len, "%s%s%s", what, names[0] ? ": " : "",
			 names);
	return v;
}

enum verify_verdict verdict_decide(const struct verify_answer *answers,
				   size_t n, char *detail, size_t detaillen)
{
	struct verdict_server srv[LIMIT_VERIFY_ANSWERS];
	char names[256] = "";
	size_t ns, i, nr = 0, r_use = 0, r_null = 0, r_neg = 0, nconcl = 0;
	size_t ind = 0, ind_concl = 0, ind_use = 0, mta_bad = 0, tfault = 0;
	enum verify_role ref = VERIFY_ROLE_AUTHORITATIVE;
	const char *refname;

	if (n > LIMIT_VERIFY_ANSWERS)
		n = LIMIT_VERIFY_ANSWERS;
	ns = verdict_group(answers, n, srv);

	/* The reference: authoritative, else independent, else MTA. */
	for (i = 0; i < ns; i++)
		if (srv[i].best != CLASS_TRANSIENT)
			nconcl++;
	if (nconcl == 0) {
		for (i = 0; i < ns; i++)
			verdict_name(names, sizeof(names), &srv[i]);
		return verdict_say(VERDICT_DNS_OUTAGE, detail, detaillen,
				   ns ? "no server gave a conclusive answer"
				      : "no server was asked",
				   names);
	}
	for (;;) {
		for (i = 0; i < ns; i++)
			if (srv[i].first->role == ref &&
			    srv[i].best != CLASS_TRANSIENT)
				nr++;
		if (nr > 0 || ref == VERIFY_ROLE_MTA)
			break;
		ref = ref == VERIFY_ROLE_AUTHORITATIVE ? VERIFY_ROLE_INDEPENDENT
						       : VERIFY_ROLE_MTA;
	}
	refname = ref == VERIFY_ROLE_AUTHORITATIVE ? "authoritative servers"
		  : ref == VERIFY_ROLE_INDEPENDENT ? "independent resolvers"
						   : "MTA resolver nodes";
	for (i = 0; i < ns; i++) {
		const struct verdict_server *s = &srv[i];

		if (s->first->role == ref && s->best != CLASS_TRANSIENT) {
			r_use += s->best == CLASS_USABLE;
			r_null += s->best == CLASS_NULL;
			r_neg += s->best == CLASS_NEGATIVE;
		}
		if (s->first->role == VERIFY_ROLE_INDEPENDENT) {
			ind++;
			ind_concl += s->best != CLASS_TRANSIENT;
			ind_use += s->best == CLASS_USABLE;
		}
		if (s->udp_failed && s->tcp_usable)
			tfault++;
		else if (s->first->role == VERIFY_ROLE_MTA &&
			 s->best != CLASS_USABLE)
			mta_bad++;
	}

	/* Rows 2-4: what the reference says. */
	if (r_null == nr || r_neg == nr) {
		for (i = 0; i < ns; i++)
			if (srv[i].first->role == ref &&
			    srv[i].best != CLASS_TRANSIENT)
				verdict_name(names, sizeof(names), &srv[i]);
		if (r_null == nr)
			return verdict_say(VERDICT_NULL_MX, detail, detaillen,
					   "null MX (RFC 7505) published",
					   names);
		return verdict_say(VERDICT_DOMAIN, detail, detaillen,
				   ref == VERIFY_ROLE_MTA
				       ? "no MX and no address (only the MTA "
					 "resolver answered)"
				       : "no MX and no address",
				   names);
	}
	if (r_use != nr) {
		for (i = 0; i < ns; i++)
			if (srv[i].first->role == ref &&
			    srv[i].best != CLASS_TRANSIENT)
				verdict_name(names, sizeof(names), &srv[i]);
		if (ref != VERIFY_ROLE_MTA) {
			char what[96];

			snprintf(what, sizeof(what), "%s disagree", refname);
			return verdict_say(VERDICT_PROPAGATION, detail,
					   detaillen, what, names);
		}
		/* MTA-only reference: the bad nodes are the local path (row 7).
		 */
	}
	/* Row 5: authoritative usable, independents lag or disagree. */
	if (ref == VERIFY_ROLE_AUTHORITATIVE && ind_concl > 0 &&
	    ind_use != ind_concl) {
		for (i = 0; i < ns; i++)
			if (srv[i].first->role == VERIFY_ROLE_INDEPENDENT &&
			    srv[i].best != CLASS_TRANSIENT)
				verdict_name(names, sizeof(names), &srv[i]);
		return verdict_say(
		    VERDICT_PROPAGATION, detail, detaillen,
		    ind_use
			? "independent resolvers disagree"
			: "independent resolvers lag the authoritative servers",
		    names);
	}
	/* Rows 6-7: MTA nodes that fail while the reference is usable. */
	if (mta_bad > 0) {
		for (i = 0; i < ns; i++)
			if (srv[i].first->role == VERIFY_ROLE_MTA &&
			    srv[i].best != CLASS_USABLE &&
			    !(srv[i].udp_failed && srv[i].tcp_usable))
				verdict_name(names, sizeof(names), &srv[i]);
		if (ref == VERIFY_ROLE_AUTHORITATIVE && ind > 0 &&
		    ind_concl == 0)
			return verdict_say(VERDICT_DNS_OUTAGE, detail,
					   detaillen,
					   "resolvers fail, only the "
					   "authoritative servers answer",
					   names);
		return verdict_say(VERDICT_LOCAL_PATH, detail, detaillen,
				   "only the MTA resolver fails", names);
	}
	/* Row 8: UDP fails or truncates, TCP answers. */
	if (tfault > 0) {
		for (i = 0; i < ns; i++)
			if (srv[i].udp_failed && srv[i].tcp_usable)
				verdict_name(names, sizeof(names), &srv[i]);
		return verdict_say(VERDICT_TRANSPORT, detail, detaillen,
				   "UDP fails or truncates, TCP answers",
				   names);
	}
	for (i = 0; i < ns; i++)
		if (srv[i].best != CLASS_USABLE)
			verdict_name(names, sizeof(names), &srv[i]);
	return verdict_say(
	    VERDICT_HEALTHY, detail, detaillen,
	    names[0] ? "usable MX; ignored" : "usable MX everywhere", names);
}

int verdict_allows_attempt(enum verify_verdict v)
{
	switch (v) {
	case VERDICT_HEALTHY:
	case VERDICT_LOCAL_PATH:
	case VERDICT_PROPAGATION:
	case VERDICT_TRANSPORT:
		return 1;
	default:
		return 0;
	}
}

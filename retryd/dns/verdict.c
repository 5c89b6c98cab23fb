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
 *	SERVFAIL/REFUSED, or the TC bit) while a TCP answer was usable. A
 *	server whose answers are marked distrusted (its canaries showed it
 *	filtering: verify_canary.c) is set aside: its answers are never
 *	evidence, only the reason for `filtered`.
 *
 *	  usable    MX with an address (authoritative: any MX host), IMPLICIT
 *	  null      NULL_MX
 *	  negative  NODATA, NXDOMAIN, MX_NOADDR        (conclusive)
 *	  transient TIMEOUT, SERVFAIL, REFUSED, TRUNCATED, MALFORMED,
 *	            UNREACHABLE                        (never evidence)
 *
 *	A is the set of conclusive authoritative servers. Only A can make a
 *	verdict destructive (null-mx) or final (domain). Without A, the
 *	reference R is the trusted conclusive independents, else the trusted
 *	conclusive MTA nodes. The first matching row wins, one named step
 *	each:
 *
 *	 # | condition                                        | verdict
 *	 --+--------------------------------------------------+-----------
 *	 1 | no trusted server gave a conclusive answer: a    | filtered
 *	   | distrusted server explains it / nothing does     | dns-outage
 *	 2 | every server in A says null MX                   | null-mx
 *	 3 | every server in A is negative                    | domain
 *	 4 | A mixes usable and negative/null answers         | propagation
 *	 5 | no A, some server in R is not usable: a          | filtered
 *	   | distrusted server explains it; R independents    | propagation
 *	   | that mix; otherwise (nobody with the             | unverified
 *	   | authority to say no said no)                     |
 *	 6 | A usable; trusted conclusive independents mix    | propagation
 *	   | usable and not usable, or none of them is usable |
 *	 7 | some MTA node is distrusted                      | filtered
 *	 8 | some MTA node is not usable (transport faults    |
 *	   | aside) and every independent configured failed   | dns-outage
 *	   | transiently (the authoritative servers answer)   |
 *	 9 | some MTA node is not usable (transport faults    | local-path
 *	   | aside); detail names the node(s)                 |
 *	10 | some server has a transport fault                | transport
 *	11 | otherwise (reference usable, MTA nodes usable)   | healthy
 *
 *	Consequences: no combination of answers without a conclusive
 *	authoritative null MX gives null-mx (tests/unit/test_verdict.c
 *	checks every combination); a forged null MX or NXDOMAIN at a
 *	resolver, with the authoritative servers silent, gives unverified.
 *	Independents or authoritative servers that fail transiently while
 *	the rest is usable do not change `healthy`; the detail mentions
 *	them, and distrusted independents. Malformed answers are transient.
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
	int distrusted;
};

/* Counts over the grouped servers, filled by verdict_tally(). */
struct verdict_tally {
	struct verdict_server srv[LIMIT_VERIFY_ANSWERS];
	size_t ns;
	size_t concl;	   /* trusted servers with a conclusive answer */
	size_t distrusted; /* servers set aside by the canaries */
	size_t a, a_use, a_null, a_neg; /* conclusive authoritative */
	enum verify_role ref;		/* R when there is no A */
	size_t r, r_use;		/* conclusive trusted servers in R */
	size_t ind, ind_concl, ind_use; /* trusted independents */
	size_t mta_bad, mta_distrusted, tfault;
};

struct verdict_out {
	char *detail;
	size_t len;
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

/* Step 0: group answers by server; @return the number of servers. */
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
		/* canaries judge recursive resolvers only */
		if (a->distrusted && a->role != VERIFY_ROLE_AUTHORITATIVE)
			srv[j].distrusted = 1;
		if (a->transport == VERIFY_UDP &&
		    (c == CLASS_TRANSIENT || a->truncated))
			srv[j].udp_failed = 1;
		if (a->transport == VERIFY_TCP && c == CLASS_USABLE)
			srv[j].tcp_usable = 1;
	}
	return ns;
}

static int verdict_concl(const struct verdict_server *s)
{
	return !s->distrusted && s->best != CLASS_TRANSIENT;
}

/* Step 1: count what every trusted server says, and pick R. */
static void verdict_tally(struct verdict_tally *t)
{
	size_t nind = 0, nmta = 0;

	for (size_t i = 0; i < t->ns; i++) {
		const struct verdict_server *s = &t->srv[i];
		enum verify_role role = s->first->role;

		if (s->distrusted) {
			t->distrusted++;
			t->mta_distrusted += role == VERIFY_ROLE_MTA;
			continue;
		}
		t->concl += verdict_concl(s);
		if (role == VERIFY_ROLE_AUTHORITATIVE && verdict_concl(s)) {
			t->a++;
			t->a_use += s->best == CLASS_USABLE;
			t->a_null += s->best == CLASS_NULL;
			t->a_neg += s->best == CLASS_NEGATIVE;
		}
		if (role == VERIFY_ROLE_INDEPENDENT) {
			t->ind++;
			t->ind_concl += verdict_concl(s);
			t->ind_use += s->best == CLASS_USABLE;
		}
		nind += role == VERIFY_ROLE_INDEPENDENT && verdict_concl(s);
		nmta += role == VERIFY_ROLE_MTA && verdict_concl(s);
		if (s->udp_failed && s->tcp_usable)
			t->tfault++;
		else if (role == VERIFY_ROLE_MTA && s->best != CLASS_USABLE)
			t->mta_bad++;
	}
	t->ref = t->a > 0   ? VERIFY_ROLE_AUTHORITATIVE
		 : nind > 0 ? VERIFY_ROLE_INDEPENDENT
			    : VERIFY_ROLE_MTA;
	for (size_t i = 0; i < t->ns; i++)
		if (t->srv[i].first->role == t->ref &&
		    verdict_concl(&t->srv[i])) {
			t->r++;
			t->r_use += t->srv[i].best == CLASS_USABLE;
		}
}

/* Append "role server kind" of @s to @buf (bounded, comma separated). */
static void verdict_name(char *buf, size_t len, const struct verdict_server *s)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s %s %s%s", used ? ", " : "",
		 verify_role_name(s->first->role), s->first->server,
		 verify_kind_name(s->best_kind),
		 s->distrusted ? " (filtering)" : "");
}

/* Names of the servers for which @pick says yes. */
static void verdict_names(const struct verdict_tally *t, char *buf, size_t len,
			  int (*pick)(const struct verdict_tally *,
				      const struct verdict_server *))
{
	buf[0] = '\0';
	for (size_t i = 0; i < t->ns; i++)
		if (pick(t, &t->srv[i]))
			verdict_name(buf, len, &t->srv[i]);
}

static enum verify_verdict verdict_say(const struct verdict_out *o,
				       enum verify_verdict v, const char *what,
				       const char *names)
{
	if (o->detail != NULL && o->len > 0)
		snprintf(o->detail, o->len, "%s%s%s", what,
			 names[0] ? ": " : "", names);
	return v;
}

static int pick_any(const struct verdict_tally *t,
		    const struct verdict_server *s)
{
	(void)t;
	(void)s;
	return 1;
}

static int pick_distrusted(const struct verdict_tally *t,
			   const struct verdict_server *s)
{
	(void)t;
	return s->distrusted;
}

static int pick_ref(const struct verdict_tally *t,
		    const struct verdict_server *s)
{
	return s->first->role == t->ref && verdict_concl(s);
}

static int pick_ind(const struct verdict_tally *t,
		    const struct verdict_server *s)
{
	(void)t;
	return s->first->role == VERIFY_ROLE_INDEPENDENT && verdict_concl(s);
}

static int pick_mta_bad(const struct verdict_tally *t,
			const struct verdict_server *s)
{
	(void)t;
	return s->first->role == VERIFY_ROLE_MTA &&
	       (s->distrusted ||
		(s->best != CLASS_USABLE && !(s->udp_failed && s->tcp_usable)));
}

static int pick_tfault(const struct verdict_tally *t,
		       const struct verdict_server *s)
{
	(void)t;
	return !s->distrusted && s->udp_failed && s->tcp_usable;
}

static int pick_ignored(const struct verdict_tally *t,
			const struct verdict_server *s)
{
	(void)t;
	return s->distrusted || s->best != CLASS_USABLE;
}

/* Row 1: no trusted server gave a conclusive answer. @return 0: go on. */
static enum verify_verdict verdict_no_answer(const struct verdict_tally *t,
					     const struct verdict_out *o)
{
	char names[256];

	if (t->concl > 0)
		return 0;
	if (t->distrusted > 0) {
		verdict_names(t, names, sizeof(names), pick_distrusted);
		return verdict_say(o, VERDICT_FILTERED,
				   "resolvers on our path filter (canaries) "
				   "and nothing else answered",
				   names);
	}
	verdict_names(t, names, sizeof(names), pick_any);
	return verdict_say(o, VERDICT_DNS_OUTAGE,
			   t->ns ? "no server gave a conclusive answer"
				 : "no server was asked",
			   names);
}

/* Rows 2-4: the authoritative servers' word. @return 0: go on. */
static enum verify_verdict verdict_authoritative(const struct verdict_tally *t,
						 const struct verdict_out *o)
{
	char names[256];

	if (t->a == 0 || t->a_use == t->a)
		return 0;
	verdict_names(t, names, sizeof(names), pick_ref);
	if (t->a_null == t->a)
		return verdict_say(o, VERDICT_NULL_MX,
				   "null MX (RFC 7505) published by the "
				   "authoritative servers",
				   names);
	if (t->a_neg == t->a)
		return verdict_say(o, VERDICT_DOMAIN,
				   "no MX and no address at the "
				   "authoritative servers",
				   names);
	return verdict_say(o, VERDICT_PROPAGATION,
			   "authoritative servers disagree", names);
}

/* Row 5: no authoritative word and the resolvers say no. */
static enum verify_verdict verdict_unconfirmed(const struct verdict_tally *t,
					       const struct verdict_out *o)
{
	char names[256];

	if (t->a > 0 || t->r_use == t->r)
		return 0;
	if (t->distrusted > 0) {
		verdict_names(t, names, sizeof(names), pick_distrusted);
		return verdict_say(o, VERDICT_FILTERED,
				   "resolvers on our path filter (canaries); "
				   "no authoritative answer",
				   names);
	}
	verdict_names(t, names, sizeof(names), pick_ref);
	if (t->ref == VERIFY_ROLE_INDEPENDENT && t->r_use > 0)
		return verdict_say(o, VERDICT_PROPAGATION,
				   "independent resolvers disagree", names);
	if (t->ref == VERIFY_ROLE_MTA && t->r_use > 0)
		return 0; /* one bad node among good ones: the local path */
	return verdict_say(o, VERDICT_UNVERIFIED,
			   "resolvers say no usable MX, but no authoritative "
			   "server confirmed it",
			   names);
}

/* Row 6: authoritative usable, independents lag or disagree. */
static enum verify_verdict verdict_lag(const struct verdict_tally *t,
				       const struct verdict_out *o)
{
	char names[256];

	if (t->ref != VERIFY_ROLE_AUTHORITATIVE || t->ind_concl == 0 ||
	    t->ind_use == t->ind_concl)
		return 0;
	verdict_names(t, names, sizeof(names), pick_ind);
	return verdict_say(
	    o, VERDICT_PROPAGATION,
	    t->ind_use ? "independent resolvers disagree"
		       : "independent resolvers lag the authoritative servers",
	    names);
}

/* Rows 7-9: MTA nodes that lie or fail while the reference is usable. */
static enum verify_verdict verdict_mta_nodes(const struct verdict_tally *t,
					     const struct verdict_out *o)
{
	char names[256];

	if (t->mta_bad == 0 && t->mta_distrusted == 0)
		return 0;
	verdict_names(t, names, sizeof(names), pick_mta_bad);
	if (t->mta_distrusted > 0)
		return verdict_say(o, VERDICT_FILTERED,
				   "the MTA resolver filters (canaries): a "
				   "policy, not a cache",
				   names);
	if (t->ref == VERIFY_ROLE_AUTHORITATIVE && t->ind > 0 &&
	    t->ind_concl == 0)
		return verdict_say(o, VERDICT_DNS_OUTAGE,
				   "resolvers fail, only the authoritative "
				   "servers answer",
				   names);
	return verdict_say(o, VERDICT_LOCAL_PATH, "only the MTA resolver fails",
			   names);
}

/* Rows 10-11. */
static enum verify_verdict verdict_rest(const struct verdict_tally *t,
					const struct verdict_out *o)
{
	char names[256];

	if (t->tfault > 0) {
		verdict_names(t, names, sizeof(names), pick_tfault);
		return verdict_say(o, VERDICT_TRANSPORT,
				   "UDP fails or truncates, TCP answers",
				   names);
	}
	verdict_names(t, names, sizeof(names), pick_ignored);
	return verdict_say(
	    o, VERDICT_HEALTHY,
	    names[0] ? "usable MX; ignored" : "usable MX everywhere", names);
}

enum verify_verdict verdict_decide(const struct verify_answer *answers,
				   size_t n, char *detail, size_t detaillen)
{
	static const struct verdict_tally zero;
	struct verdict_tally t = zero;
	struct verdict_out o = {detail, detaillen};
	enum verify_verdict v;

	if (n > LIMIT_VERIFY_ANSWERS)
		n = LIMIT_VERIFY_ANSWERS;
	t.ns = verdict_group(answers, n, t.srv);
	verdict_tally(&t);
	if ((v = verdict_no_answer(&t, &o)) != 0 ||
	    (v = verdict_authoritative(&t, &o)) != 0 ||
	    (v = verdict_unconfirmed(&t, &o)) != 0 ||
	    (v = verdict_lag(&t, &o)) != 0 ||
	    (v = verdict_mta_nodes(&t, &o)) != 0)
		return v;
	return verdict_rest(&t, &o);
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

int verdict_is_evidence(enum verify_verdict v)
{
	return v == VERDICT_HEALTHY || v == VERDICT_LOCAL_PATH ||
	       v == VERDICT_PROPAGATION || v == VERDICT_DOMAIN ||
	       v == VERDICT_NULL_MX || v == VERDICT_TRANSPORT;
}

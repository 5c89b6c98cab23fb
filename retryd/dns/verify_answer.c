/*
 * NAME
 *	verify_answer 3
 * SUMMARY
 *	one getdns reply reduced to checked facts (pure)
 * SYNOPSIS
 *	#include "dns/verify_answer.h"
 * DESCRIPTION
 *	verify_answer_parse() turns the response dict of one getdns query
 *	into a struct verify_reply. The order of checks:
 *
 *	1. callback type: TIMEOUT -> TIMEOUT, CANCEL/ERROR -> UNREACHABLE;
 *	2. status 902 or no reply -> TIMEOUT; no replies_tree -> MALFORMED;
 *	3. the question must be present and be ours (name and type), else
 *	   MALFORMED (a reply for another name is never NXDOMAIN);
 *	4. rcode: 3 NXDOMAIN, 2 SERVFAIL, 5 REFUSED, other non-zero SERVFAIL
 *	   with the rcode named in the reason;
 *	5. NOERROR: the answer section is walked, following CNAMEs from the
 *	   question name; a record of the asked type for another owner, a
 *	   missing or empty rdata field, a name getdns could not decode
 *	   ("ErrorMissingDname", truncated rdata, compression loop) or an
 *	   address of the wrong size, or an answer count (header) that does
 *	   not match the records present (unless TC is set) -> MALFORMED;
 *	6. no record of the asked type: TC set -> TRUNCATED, else NODATA with
 *	   the negative TTL (SOA minimum, at most the SOA's own TTL) from the
 *	   authority section;
 *	7. MX: exactly one record, preference 0, exchange "." -> NULL_MX;
 *	   otherwise the hosts sorted by preference, at most LIMIT_VERIFY_MX.
 *
 *	Owns nothing after it returns.
 * DIAGNOSTICS
 *	None: every oddity is a kind with a reason.
 */
#include "dns/verify_answer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getdns/getdns_extra.h>

int verify_name_normalize(const char *in, char *out, size_t outlen)
{
	size_t n, i, label = 0;

	if (in == NULL || outlen < 2)
		return -1;
	n = strlen(in);
	if (n == 1 && in[0] == '.') {
		strcpy(out, ".");
		return 0;
	}
	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > LIMIT_DOMAIN || n >= outlen)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -1;
		} else {
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	if (label == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* Wire name -> normalized text. @return 0 or -1 (undecodable/garbage). */
int verify_domain_ldh(const char *in, char *out, size_t outlen)
{
	size_t n, i, label = 0, labels = 1;

	if (in == NULL || outlen < 2)
		return -1;
	n = strlen(in);
	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > LIMIT_DOMAIN || n >= outlen)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)in[i]);

		if (c == '.') {
			if (label == 0 || out[i - 1] == '-')
				return -1;
			label = 0;
			labels++;
		} else if (c == '-') {
			if (label == 0)
				return -1;
			label++;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			label++;
		} else {
			return -1;
		}
		if (label > 63)
			return -1;
		out[i] = (char)c;
	}
	if (label == 0 || out[n - 1] == '-' || labels > LIMIT_DOMAIN)
		return -1;
	out[n] = '\0';
	return 0;
}

static int verify_answer_name(const getdns_bindata *b, char *out, size_t outlen)
{
	char *fqdn = NULL;
	int rc;

	if (b == NULL || b->size == 0 || b->data == NULL)
		return -1;
	if (getdns_convert_dns_name_to_fqdn(b, &fqdn) != GETDNS_RETURN_GOOD ||
	    fqdn == NULL)
		return -1;
	rc = strstr(fqdn, "ErrorMissingDname")
		 ? -1
		 : verify_name_normalize(fqdn, out, outlen);
	free(fqdn);
	return rc;
}

static void verify_reply_set(struct verify_reply *r, enum verify_kind k,
			     const char *reason)
{
	r->kind = k;
	if (reason != NULL)
		snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static int verify_mx_cmp(const void *a, const void *b)
{
	const struct verify_mx *x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return strcmp(x->host, y->host);
}

/* The negative TTL from the authority section's SOA, or -1. */
static int64_t verify_answer_neg_ttl(const getdns_dict *reply)
{
	getdns_list *auth = NULL;
	size_t i, n = 0;
	int64_t best = -1;

	if (getdns_dict_get_list(reply, "authority", &auth) !=
		GETDNS_RETURN_GOOD ||
	    getdns_list_get_length(auth, &n) != GETDNS_RETURN_GOOD)
		return -1;
	for (i = 0; i < n; i++) {
		getdns_dict *rr = NULL;
		uint32_t type = 0, ttl = 0, min = 0;
		int64_t v;

		if (getdns_list_get_dict(auth, i, &rr) != GETDNS_RETURN_GOOD ||
		    getdns_dict_get_int(rr, "type", &type) !=
			GETDNS_RETURN_GOOD ||
		    type != GETDNS_RRTYPE_SOA)
			continue;
		if (getdns_dict_get_int(rr, "ttl", &ttl) !=
			GETDNS_RETURN_GOOD ||
		    getdns_dict_get_int(rr, "/rdata/minimum", &min) !=
			GETDNS_RETURN_GOOD)
			continue;
		v = min < ttl ? min : ttl;
		if (best < 0 || v < best)
			best = v;
	}
	return best;
}

/* One record of the asked type: fill @r; @return 0 or -1 (MALFORMED set). */
static int verify_answer_record(const getdns_dict *rr, uint16_t qtype,
				struct verify_reply *r, struct verify_mx *all,
				size_t *nall, size_t cap)
{
	getdns_bindata *b = NULL;
	uint32_t pref = 0;

	if (qtype == GETDNS_RRTYPE_A || qtype == GETDNS_RRTYPE_AAAA) {
		const char *field = qtype == GETDNS_RRTYPE_A
					? "/rdata/ipv4_address"
					: "/rdata/ipv6_address";
		size_t want = qtype == GETDNS_RRTYPE_A ? 4 : 16;

		if (getdns_dict_get_bindata(rr, field, &b) !=
			GETDNS_RETURN_GOOD ||
		    b->size != want) {
			verify_reply_set(
			    r, VERIFY_KIND_MALFORMED,
			    "address record with missing or bad rdata");
			return -1;
		}
		return 0;
	}
	if (qtype == GETDNS_RRTYPE_SOA) {
		uint32_t serial = 0;

		if (getdns_dict_get_int(rr, "/rdata/serial", &serial) !=
		    GETDNS_RETURN_GOOD) {
			verify_reply_set(r, VERIFY_KIND_MALFORMED,
					 "SOA record without serial");
			return -1;
		}
		return 0;
	}
	if (qtype != GETDNS_RRTYPE_MX) {
		char host[LIMIT_DOMAIN + 2];

		if (getdns_dict_get_bindata(rr, "/rdata/nsdname", &b) !=
			GETDNS_RETURN_GOOD ||
		    verify_answer_name(b, host, sizeof(host)) < 0) {
			verify_reply_set(r, VERIFY_KIND_MALFORMED,
					 "NS record with missing or bad name");
			return -1;
		}
		return 0;
	}
	if (getdns_dict_get_int(rr, "/rdata/preference", &pref) !=
		GETDNS_RETURN_GOOD ||
	    pref > 65535 ||
	    getdns_dict_get_bindata(rr, "/rdata/exchange", &b) !=
		GETDNS_RETURN_GOOD) {
		verify_reply_set(r, VERIFY_KIND_MALFORMED,
				 "MX record without preference or exchange");
		return -1;
	}
	if (*nall >= cap)
		return 0; /* more than we keep: counted, not stored */
	if (verify_answer_name(b, all[*nall].host, sizeof(all[*nall].host)) <
	    0) {
		verify_reply_set(
		    r, VERIFY_KIND_MALFORMED,
		    "MX exchange undecodable (truncated or looping name)");
		return -1;
	}
	all[*nall].preference = (uint16_t)pref;
	all[*nall].naddrs = 0;
	(*nall)++;
	return 0;
}

/* Walk the answer section of a NOERROR reply. */
static void verify_answer_section(const getdns_dict *reply, const char *qname,
				  uint16_t qtype, struct verify_reply *r)
{
	getdns_list *ans = NULL;
	size_t i, n = 0, nall = 0, cname_hops = 0;
	char owner[LIMIT_DOMAIN + 2], name[LIMIT_DOMAIN + 2];
	struct verify_mx all[4 * LIMIT_VERIFY_MX];
	int ttl_set = 0;
	uint32_t ancount = 0;

	snprintf(owner, sizeof(owner), "%s", qname);
	if (getdns_dict_get_list(reply, "answer", &ans) != GETDNS_RETURN_GOOD ||
	    getdns_list_get_length(ans, &n) != GETDNS_RETURN_GOOD) {
		verify_reply_set(r, VERIFY_KIND_MALFORMED,
				 "reply without answer section");
		return;
	}
	if (!r->truncated &&
	    (getdns_dict_get_int(reply, "/header/ancount", &ancount) !=
		 GETDNS_RETURN_GOOD ||
	     ancount != n)) {
		verify_reply_set(
		    r, VERIFY_KIND_MALFORMED,
		    "answer count does not match the records sent");
		return;
	}
	/* CNAMEs first, in order: the chain may be listed in any order. */
	for (cname_hops = 0; cname_hops < 8; cname_hops++) {
		int moved = 0;

		for (i = 0; i < n; i++) {
			getdns_dict *rr = NULL;
			getdns_bindata *b = NULL;
			uint32_t type = 0;

			if (getdns_list_get_dict(ans, i, &rr) !=
				GETDNS_RETURN_GOOD ||
			    getdns_dict_get_int(rr, "type", &type) !=
				GETDNS_RETURN_GOOD ||
			    type != GETDNS_RRTYPE_CNAME ||
			    getdns_dict_get_bindata(rr, "name", &b) !=
				GETDNS_RETURN_GOOD ||
			    verify_answer_name(b, name, sizeof(name)) < 0 ||
			    strcmp(name, owner) != 0)
				continue;
			if (getdns_dict_get_bindata(rr, "/rdata/cname", &b) !=
				GETDNS_RETURN_GOOD ||
			    verify_answer_name(b, owner, sizeof(owner)) < 0) {
				verify_reply_set(
				    r, VERIFY_KIND_MALFORMED,
				    "CNAME without a valid target");
				return;
			}
			moved = 1;
			break;
		}
		if (!moved)
			break;
	}
	for (i = 0; i < n; i++) {
		getdns_dict *rr = NULL;
		getdns_bindata *b = NULL;
		uint32_t type = 0, ttl = 0;

		if (getdns_list_get_dict(ans, i, &rr) != GETDNS_RETURN_GOOD ||
		    getdns_dict_get_int(rr, "type", &type) !=
			GETDNS_RETURN_GOOD) {
			verify_reply_set(r, VERIFY_KIND_MALFORMED,
					 "answer record without type");
			return;
		}
		if (type != qtype)
			continue; /* CNAME, RRSIG, ...: not ours to judge */
		if (getdns_dict_get_bindata(rr, "name", &b) !=
			GETDNS_RETURN_GOOD ||
		    verify_answer_name(b, name, sizeof(name)) < 0 ||
		    strcmp(name, owner) != 0) {
			verify_reply_set(
			    r, VERIFY_KIND_MALFORMED,
			    "answer record for another owner name");
			return;
		}
		if (getdns_dict_get_int(rr, "ttl", &ttl) !=
		    GETDNS_RETURN_GOOD) {
			verify_reply_set(r, VERIFY_KIND_MALFORMED,
					 "answer record without TTL");
			return;
		}
		if (verify_answer_record(rr, qtype, r, all, &nall,
					 sizeof(all) / sizeof(all[0])) < 0)
			return;
		if (!ttl_set || ttl < r->ttl)
			r->ttl = ttl;
		ttl_set = 1;
		r->nrecords++;
	}
	if (r->nrecords == 0) {
		r->neg_ttl = verify_answer_neg_ttl(reply);
		if (r->truncated)
			verify_reply_set(r, VERIFY_KIND_TRUNCATED,
					 "TC set, no answer");
		else
			verify_reply_set(r, VERIFY_KIND_NODATA, NULL);
		return;
	}
	if (qtype != GETDNS_RRTYPE_MX) {
		verify_reply_set(r, VERIFY_KIND_IMPLICIT, NULL);
		return;
	}
	if (r->nrecords == 1 && nall == 1 && all[0].preference == 0 &&
	    strcmp(all[0].host, ".") == 0) {
		verify_reply_set(r, VERIFY_KIND_NULL_MX, NULL);
		r->mx[0] = all[0];
		r->nmx = 1;
		return;
	}
	qsort(all, nall, sizeof(all[0]), verify_mx_cmp);
	for (i = 0; i < nall && r->nmx < LIMIT_VERIFY_MX; i++)
		r->mx[r->nmx++] = all[i];
	verify_reply_set(r, VERIFY_KIND_MX, NULL);
}

void verify_answer_parse(const getdns_dict *response, int cbtype,
			 const char *qname, uint16_t qtype,
			 struct verify_reply *r)
{
	getdns_dict *reply = NULL;
	getdns_bindata *b = NULL;
	uint32_t status = 0, rcode = 0, tc = 0, qt = 0;
	char want[LIMIT_DOMAIN + 2], got[LIMIT_DOMAIN + 2];

	memset(r, 0, sizeof(*r));
	r->rcode = -1;
	r->neg_ttl = -1;
	if (cbtype == GETDNS_CALLBACK_TIMEOUT) {
		verify_reply_set(r, VERIFY_KIND_TIMEOUT, "no reply in time");
		r->status = GETDNS_RESPSTATUS_ALL_TIMEOUT;
		return;
	}
	if (cbtype == GETDNS_CALLBACK_CANCEL ||
	    cbtype == GETDNS_CALLBACK_ERROR) {
		verify_reply_set(r, VERIFY_KIND_UNREACHABLE,
				 cbtype == GETDNS_CALLBACK_CANCEL
				     ? "query cancelled"
				     : "query failed");
		return;
	}
	if (verify_name_normalize(qname, want, sizeof(want)) < 0) {
		verify_reply_set(r, VERIFY_KIND_MALFORMED, "bad question name");
		return;
	}
	if (response == NULL) {
		verify_reply_set(r, VERIFY_KIND_MALFORMED, "no response");
		return;
	}
	if (getdns_dict_get_int(response, "status", &status) ==
	    GETDNS_RETURN_GOOD)
		r->status = (int)status;
	if (status == GETDNS_RESPSTATUS_ALL_TIMEOUT) {
		verify_reply_set(r, VERIFY_KIND_TIMEOUT, "no reply in time");
		return;
	}
	if (getdns_dict_get_dict(response, "/replies_tree/0", &reply) !=
	    GETDNS_RETURN_GOOD) {
		verify_reply_set(r, VERIFY_KIND_MALFORMED,
				 "response without reply");
		return;
	}
	if (getdns_dict_get_int(reply, "/header/rcode", &rcode) !=
	    GETDNS_RETURN_GOOD) {
		verify_reply_set(r, VERIFY_KIND_MALFORMED,
				 "reply without header");
		return;
	}
	r->rcode = (int)rcode;
	if (getdns_dict_get_int(reply, "/header/tc", &tc) == GETDNS_RETURN_GOOD)
		r->truncated = tc != 0;
	if (getdns_dict_get_int(reply, "/header/aa", &tc) == GETDNS_RETURN_GOOD)
		r->aa = tc != 0;
	if (getdns_dict_get_bindata(reply, "/question/qname", &b) !=
		GETDNS_RETURN_GOOD ||
	    getdns_dict_get_int(reply, "/question/qtype", &qt) !=
		GETDNS_RETURN_GOOD ||
	    verify_answer_name(b, got, sizeof(got)) < 0 ||
	    strcmp(got, want) != 0 || qt != qtype) {
		verify_reply_set(r, VERIFY_KIND_MALFORMED,
				 "reply for another question");
		return;
	}
	switch (rcode) {
	case GETDNS_RCODE_NOERROR:
		verify_answer_section(reply, want, qtype, r);
		return;
	case GETDNS_RCODE_NXDOMAIN:
		r->neg_ttl = verify_answer_neg_ttl(reply);
		verify_reply_set(r, VERIFY_KIND_NXDOMAIN, NULL);
		return;
	case GETDNS_RCODE_SERVFAIL:
		verify_reply_set(r, VERIFY_KIND_SERVFAIL, "SERVFAIL");
		return;
	case GETDNS_RCODE_REFUSED:
		verify_reply_set(r, VERIFY_KIND_REFUSED, "REFUSED");
		return;
	default:
		r->kind = VERIFY_KIND_SERVFAIL;
		snprintf(r->reason, sizeof(r->reason), "rcode %u", rcode);
		return;
	}
}

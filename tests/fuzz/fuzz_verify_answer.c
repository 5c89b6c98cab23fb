/*
 * NAME
 *	fuzz_verify_answer 1
 * SUMMARY
 *	libFuzzer target: DNS wire replies through verify_answer_parse()
 * DESCRIPTION
 *	The first byte picks the question type (MX, A, AAAA, NS), the status
 *	getdns would report (900, 901, 902) and whether the question name is
 *	taken from the reply itself (so the owner checks pass and the answer
 *	section is reached) or fixed ("hotmail.test"). The rest is a DNS
 *	message in wire format, decoded by getdns itself
 *	(getdns_wire2msg_dict, as the stub does for a UDP/TCP reply) and
 *	wrapped like a stub response. Besides the sanitizers, the result
 *	must keep the promises of verify_answer.h and DESIGN.md ("bad data
 *	is never evidence"): NXDOMAIN only for rcode 3 and the asked name,
 *	MX / NULL_MX / IMPLICIT / NODATA only for rcode 0, at most
 *	LIMIT_VERIFY_MX hosts, sorted, normalized, a null MX alone.
 *
 *	getdns 1.6.0 itself reads past the end of the wire message when a
 *	compressed name points into the header and its label runs past the
 *	end (corpus/fuzz_verify_answer/crash-getdns-overread: owner pointer
 *	to offset 1, where the id's low byte reads as a 52-byte label). The
 *	stub parses replies inside a larger receive buffer, so there it reads
 *	stale bytes rather than crashing; this target does the same: the
 *	message sits in a static buffer with FUZZ_WIRE_SLACK zero bytes after
 *	it, so the fuzzer keeps testing retryd's code, not that library bug.
 * DIAGNOSTICS
 *	abort() with a message on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getdns/getdns_extra.h>

#include "dns/verify_answer.h"

#define FUZZ_WIRE_MAX	65535 /* largest DNS message (TCP) */
#define FUZZ_WIRE_SLACK 1024  /* > 255-byte name + a 63-byte label */

static const uint16_t fuzz_qtypes[4] = {GETDNS_RRTYPE_MX, GETDNS_RRTYPE_A,
					GETDNS_RRTYPE_AAAA, GETDNS_RRTYPE_NS};
static const uint32_t fuzz_status[4] = {900, 901, 902, 900};

static void fuzz_fail(const char *why, const struct verify_reply *r)
{
	fprintf(stderr,
		"fuzz_verify_answer: %s (kind %d rcode %d nmx %zu: %s)\n", why,
		(int)r->kind, r->rcode, r->nmx, r->reason);
	abort();
}

static void fuzz_check(const struct verify_reply *r, uint16_t qtype,
		       const char *qname)
{
	char norm[LIMIT_DOMAIN + 2];

	if (memchr(r->reason, 0, sizeof(r->reason)) == NULL)
		fuzz_fail("reason not terminated", r);
	if (r->kind < VERIFY_KIND_MX || r->kind > VERIFY_KIND_MX_NOADDR)
		fuzz_fail("kind out of range", r);
	if (r->nmx > LIMIT_VERIFY_MX)
		fuzz_fail("more MX hosts than LIMIT_VERIFY_MX", r);
	switch (r->kind) {
	case VERIFY_KIND_NXDOMAIN:
		if (r->rcode != 3 ||
		    verify_name_normalize(qname, norm, sizeof(norm)) < 0)
			fuzz_fail("NXDOMAIN without rcode 3 for our name", r);
		break;
	case VERIFY_KIND_MX:
	case VERIFY_KIND_NULL_MX:
	case VERIFY_KIND_IMPLICIT:
	case VERIFY_KIND_NODATA:
		if (r->rcode != 0)
			fuzz_fail("an answer kind without NOERROR", r);
		break;
	default:
		break;
	}
	if ((r->kind == VERIFY_KIND_MX || r->kind == VERIFY_KIND_NULL_MX) &&
	    (qtype != GETDNS_RRTYPE_MX || r->nmx == 0 || r->nrecords == 0))
		fuzz_fail("MX kind without MX hosts", r);
	if (r->kind == VERIFY_KIND_NULL_MX &&
	    (r->nmx != 1 || r->nrecords != 1 || r->mx[0].preference != 0 ||
	     strcmp(r->mx[0].host, ".") != 0))
		fuzz_fail("null MX that is not a lone MX 0 .", r);
	if (r->kind != VERIFY_KIND_MX && r->kind != VERIFY_KIND_NULL_MX &&
	    r->nmx != 0)
		fuzz_fail("MX hosts kept for a non-MX kind", r);
	for (size_t i = 0; i < r->nmx; i++) {
		const struct verify_mx *m = &r->mx[i];

		if (memchr(m->host, 0, sizeof(m->host)) == NULL)
			fuzz_fail("MX host not terminated", r);
		if (strcmp(m->host, ".") != 0 &&
		    (verify_name_normalize(m->host, norm, sizeof(norm)) < 0 ||
		     strcmp(norm, m->host) != 0))
			fuzz_fail("MX host not normalized", r);
		if (i > 0 && m->preference < r->mx[i - 1].preference)
			fuzz_fail("MX hosts not sorted by preference", r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	getdns_dict *msg = NULL, *resp;
	getdns_list *tree;
	getdns_bindata *qb = NULL;
	char *fqdn = NULL;
	const char *qname = "hotmail.test";
	struct verify_reply r;
	uint16_t qtype;

	static uint8_t wire[FUZZ_WIRE_MAX + FUZZ_WIRE_SLACK];

	if (size < 1 || size - 1 > FUZZ_WIRE_MAX)
		return 0;
	qtype = fuzz_qtypes[data[0] & 3];
	memcpy(wire, data + 1, size - 1);
	memset(wire + size - 1, 0, FUZZ_WIRE_SLACK);
	if (getdns_wire2msg_dict(wire, size - 1, &msg) != GETDNS_RETURN_GOOD)
		return 0;
	if ((data[0] & 4) &&
	    getdns_dict_get_bindata(msg, "/question/qname", &qb) ==
		GETDNS_RETURN_GOOD &&
	    getdns_convert_dns_name_to_fqdn(qb, &fqdn) == GETDNS_RETURN_GOOD)
		qname = fqdn;
	resp = getdns_dict_create();
	tree = getdns_list_create();
	if (resp == NULL || tree == NULL ||
	    getdns_list_set_dict(tree, 0, msg) != GETDNS_RETURN_GOOD ||
	    getdns_dict_set_list(resp, "replies_tree", tree) !=
		GETDNS_RETURN_GOOD ||
	    getdns_dict_set_int(resp, "status",
				fuzz_status[data[0] >> 3 & 3]) !=
		GETDNS_RETURN_GOOD)
		abort(); /* out of memory: not the code under test */
	verify_answer_parse(resp, GETDNS_CALLBACK_COMPLETE, qname, qtype, &r);
	fuzz_check(&r, qtype, qname);
	free(fqdn);
	getdns_dict_destroy(msg);
	getdns_list_destroy(tree);
	getdns_dict_destroy(resp);
	return 0;
}

/*
 * test_verify_answer — real DNS wire replies (built here, decoded by
 * getdns itself with getdns_wire2msg_dict) through verify_answer_parse():
 * every getdns hazard of STYLE.md; plus verify_name_normalize,
 * verify_unique_domains, verify_result_json and verify_result_summary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <getdns/getdns_extra.h>
#include <jansson.h>

#include "dns/verify_answer.h"

struct wire {
	uint8_t b[4096];
	size_t n;
};

static void w8(struct wire *w, unsigned v)
{
	w->b[w->n++] = (uint8_t)v;
}
static void w16(struct wire *w, unsigned v)
{
	w8(w, v >> 8);
	w8(w, v & 0xff);
}
static void w32(struct wire *w, uint32_t v)
{
	w16(w, v >> 16);
	w16(w, v & 0xffff);
}

static void wname(struct wire *w, const char *s)
{
	while (*s && strcmp(s, ".") != 0) {
		const char *d = strchr(s, '.');
		size_t l = d ? (size_t)(d - s) : strlen(s);

		w8(w, (unsigned)l);
		memcpy(w->b + w->n, s, l);
		w->n += l;
		s += l;
		if (*s)
			s++;
	}
	w8(w, 0);
}

/* Header: flags given whole (QR|AA|TC|RD|RA|rcode). */
static void whdr(struct wire *w, unsigned flags, unsigned an, unsigned ns)
{
	w->n = 0;
	w16(w, 0x1234);
	w16(w, flags);
	w16(w, 1);
	w16(w, an);
	w16(w, ns);
	w16(w, 0);
}

static void wq(struct wire *w, const char *name, unsigned type)
{
	wname(w, name);
	w16(w, type);
	w16(w, 1);
}

/* RR header; returns the offset of RDLENGTH to patch. */
static size_t wrr(struct wire *w, const char *owner, unsigned type,
		  uint32_t ttl)
{
	size_t at;

	wname(w, owner);
	w16(w, type);
	w16(w, 1);
	w32(w, ttl);
	at = w->n;
	w16(w, 0);
	return at;
}

static void wlen(struct wire *w, size_t at)
{
	size_t len = w->n - at - 2;

	w->b[at] = (uint8_t)(len >> 8);
	w->b[at + 1] = (uint8_t)(len & 0xff);
}

static void wmx(struct wire *w, const char *owner, uint32_t ttl, unsigned pref,
		const char *host)
{
	size_t at = wrr(w, owner, 15, ttl);

	w16(w, pref);
	wname(w, host);
	wlen(w, at);
}

static void wa(struct wire *w, const char *owner, uint32_t ttl, unsigned last)
{
	size_t at = wrr(w, owner, 1, ttl);

	w8(w, 127);
	w8(w, 0);
	w8(w, 0);
	w8(w, last);
	wlen(w, at);
}

static void wsoa(struct wire *w, const char *zone, uint32_t ttl, uint32_t min)
{
	size_t at = wrr(w, zone, 6, ttl);

	wname(w, "ns.test");
	wname(w, "hostmaster.test");
	w32(w, 1);
	w32(w, 60);
	w32(w, 60);
	w32(w, 3600);
	w32(w, min);
	wlen(w, at);
}

#define F_OK 0x8580u /* QR AA RD RA, NOERROR */

/* Wrap the wire message like a getdns stub response and parse it. */
static void parse(struct wire *w, uint32_t status, const char *qname,
		  uint16_t qtype, struct verify_reply *r)
{
	getdns_dict *msg = NULL, *resp = getdns_dict_create();
	getdns_list *tree = getdns_list_create();

	assert_int_equal(getdns_wire2msg_dict(w->b, w->n, &msg),
			 GETDNS_RETURN_GOOD);
	assert_int_equal(getdns_list_set_dict(tree, 0, msg),
			 GETDNS_RETURN_GOOD);
	assert_int_equal(getdns_dict_set_list(resp, "replies_tree", tree),
			 GETDNS_RETURN_GOOD);
	assert_int_equal(getdns_dict_set_int(resp, "status", status),
			 GETDNS_RETURN_GOOD);
	verify_answer_parse(resp, GETDNS_CALLBACK_COMPLETE, qname, qtype, r);
	getdns_dict_destroy(msg);
	getdns_list_destroy(tree);
	getdns_dict_destroy(resp);
}

static struct wire W;
static struct verify_reply R;

static void test_mx_sorted(void **state)
{
	(void)state;
	whdr(&W, F_OK, 3, 0);
	wq(&W, "Hotmail.TEST", 15);
	wmx(&W, "hotmail.test", 300, 20, "mx2.hotmail.test");
	wmx(&W, "hotmail.test", 120, 10, "MX1.hotmail.test");
	wa(&W, "mx1.hotmail.test", 300, 25); /* other type: ignored */
	parse(&W, 900, "hotmail.test.", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MX);
	assert_int_equal(R.rcode, 0);
	assert_int_equal(R.nmx, 2);
	assert_int_equal(R.mx[0].preference, 10);
	assert_string_equal(R.mx[0].host, "mx1.hotmail.test");
	assert_string_equal(R.mx[1].host, "mx2.hotmail.test");
	assert_int_equal(R.ttl, 120);
	assert_int_equal(R.neg_ttl, -1);
	assert_int_equal(R.aa, 1);
}

static void test_null_mx(void **state)
{
	(void)state;
	whdr(&W, F_OK, 1, 0);
	wq(&W, "nullmx.test", 15);
	wmx(&W, "nullmx.test", 300, 0, ".");
	parse(&W, 900, "nullmx.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_NULL_MX);
	assert_int_equal(R.nmx, 1);
	assert_string_equal(R.mx[0].host, ".");
}

static void test_null_mx_not_alone(void **state)
{
	(void)state;
	whdr(&W, F_OK, 2, 0);
	wq(&W, "d.test", 15);
	wmx(&W, "d.test", 300, 0, ".");
	wmx(&W, "d.test", 300, 10, "mx.d.test");
	parse(&W, 900, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MX);
	assert_int_equal(R.nmx, 2);

	whdr(&W, F_OK, 1, 0); /* preference 5 "." is not a null MX */
	wq(&W, "d.test", 15);
	wmx(&W, "d.test", 300, 5, ".");
	parse(&W, 900, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MX);
}

static void test_nodata_neg_ttl(void **state)
{
	(void)state;
	whdr(&W, F_OK, 0, 1);
	wq(&W, "hotmail.test", 15);
	wsoa(&W, "hotmail.test", 600, 300);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_NODATA);
	assert_int_equal(R.neg_ttl, 300);

	whdr(&W, F_OK, 0, 1); /* the SOA's own TTL caps the minimum */
	wq(&W, "hotmail.test", 15);
	wsoa(&W, "hotmail.test", 100, 300);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.neg_ttl, 100);

	whdr(&W, F_OK, 0, 0); /* no SOA: unknown */
	wq(&W, "hotmail.test", 15);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_NODATA);
	assert_int_equal(R.neg_ttl, -1);
}

static void test_nxdomain(void **state)
{
	(void)state;
	whdr(&W, F_OK | 3, 0, 1);
	wq(&W, "gone.test", 15);
	wsoa(&W, "test", 300, 60);
	parse(&W, 901, "gone.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_NXDOMAIN);
	assert_int_equal(R.rcode, 3);
	assert_int_equal(R.neg_ttl, 60);
}

/* getdns says 901 (NO_NAME) for SERVFAIL too: only the rcode tells. */
static void test_servfail_is_not_nxdomain(void **state)
{
	(void)state;
	whdr(&W, 0x8182, 0, 0);
	wq(&W, "hotmail.test", 15);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_SERVFAIL);
	assert_int_equal(R.rcode, 2);

	whdr(&W, 0x8185, 0, 0);
	wq(&W, "hotmail.test", 15);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_REFUSED);

	whdr(&W, 0x8181, 0, 0);
	wq(&W, "hotmail.test", 15);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_SERVFAIL);
	assert_string_equal(R.reason, "rcode 1");
}

static void test_other_owner(void **state)
{
	(void)state;
	whdr(&W, F_OK, 1, 0);
	wq(&W, "hotmail.test", 15);
	wmx(&W, "evil.test", 300, 10, "mx.evil.test");
	parse(&W, 900, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
	assert_non_null(strstr(R.reason, "another owner"));
}

static void test_other_question(void **state)
{
	(void)state;
	whdr(&W, F_OK | 3, 0, 0); /* an NXDOMAIN for someone else's name */
	wq(&W, "other.test", 15);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
	assert_non_null(strstr(R.reason, "another question"));

	whdr(&W, F_OK, 0, 0); /* right name, wrong type */
	wq(&W, "hotmail.test", 1);
	parse(&W, 901, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
}

/* A truncated MX rdata: getdns leaves "exchange" out. */
static void test_truncated_rdata(void **state)
{
	size_t at;

	(void)state;
	whdr(&W, F_OK, 1, 0);
	wq(&W, "hotmail.test", 15);
	at = wrr(&W, "hotmail.test", 15, 300);
	w16(&W, 10);
	w8(&W, 10); /* label of 10 bytes, only one follows */
	w8(&W, 'm');
	w8(&W, 0);
	wlen(&W, at);
	parse(&W, 900, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
	assert_int_not_equal(R.kind, VERIFY_KIND_NXDOMAIN);
}

/* A compression loop: getdns answers GOOD with "ErrorMissingDname". */
static void test_compression_loop(void **state)
{
	size_t at, self;

	(void)state;
	whdr(&W, F_OK, 1, 0);
	wq(&W, "hotmail.test", 15);
	at = wrr(&W, "hotmail.test", 15, 300);
	w16(&W, 10);
	self = W.n;
	w8(&W, 0xc0 | (unsigned)(self >> 8));
	w8(&W, self & 0xff);
	wlen(&W, at);
	parse(&W, 900, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
	assert_non_null(strstr(R.reason, "undecodable"));
}

/* The header claims more records than the reply carries. */
static void test_count_mismatch(void **state)
{
	(void)state;
	whdr(&W, F_OK, 3, 0);
	wq(&W, "hotmail.test", 15);
	wmx(&W, "hotmail.test", 300, 10, "mx1.hotmail.test");
	parse(&W, 900, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
	assert_non_null(strstr(R.reason, "count"));
}

static void test_tc_no_answer(void **state)
{
	(void)state;
	whdr(&W, F_OK | 0x0200, 0, 0);
	wq(&W, "hotmail.test", 15);
	parse(&W, 900, "hotmail.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_TRUNCATED);
	assert_int_equal(R.truncated, 1);
}

static void test_cname_chain(void **state)
{
	size_t at;

	(void)state;
	whdr(&W, F_OK, 2, 0);
	wq(&W, "alias.test", 15);
	wmx(&W, "real.test", 300, 10,
	    "mx.real.test"); /* listed before the CNAME */
	at = wrr(&W, "alias.test", 5, 300);
	wname(&W, "real.test");
	wlen(&W, at);
	parse(&W, 900, "alias.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MX);
	assert_string_equal(R.mx[0].host, "mx.real.test");
}

static void test_addresses(void **state)
{
	size_t at;

	(void)state;
	whdr(&W, F_OK, 2, 0);
	wq(&W, "mx1.hotmail.test", 1);
	wa(&W, "mx1.hotmail.test", 300, 25);
	wa(&W, "mx1.hotmail.test", 200, 26);
	parse(&W, 900, "mx1.hotmail.test", 1, &R);
	assert_int_equal(R.kind, VERIFY_KIND_IMPLICIT);
	assert_int_equal(R.nrecords, 2);
	assert_int_equal(R.ttl, 200);

	whdr(&W, F_OK, 1, 0); /* an A record of 3 bytes */
	wq(&W, "mx1.hotmail.test", 1);
	at = wrr(&W, "mx1.hotmail.test", 1, 300);
	w8(&W, 127);
	w8(&W, 0);
	w8(&W, 0);
	wlen(&W, at);
	parse(&W, 900, "mx1.hotmail.test", 1, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
}

static void test_no_reply(void **state)
{
	getdns_dict *resp = getdns_dict_create();

	(void)state;
	verify_answer_parse(NULL, GETDNS_CALLBACK_TIMEOUT, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_TIMEOUT);
	assert_int_equal(R.rcode, -1);
	verify_answer_parse(NULL, GETDNS_CALLBACK_ERROR, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_UNREACHABLE);
	verify_answer_parse(NULL, GETDNS_CALLBACK_CANCEL, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_UNREACHABLE);
	verify_answer_parse(NULL, GETDNS_CALLBACK_COMPLETE, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
	getdns_dict_set_int(resp, "status", 902);
	verify_answer_parse(resp, GETDNS_CALLBACK_COMPLETE, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_TIMEOUT);
	getdns_dict_set_int(resp, "status", 900); /* no replies_tree */
	verify_answer_parse(resp, GETDNS_CALLBACK_COMPLETE, "d.test", 15, &R);
	assert_int_equal(R.kind, VERIFY_KIND_MALFORMED);
	getdns_dict_destroy(resp);
}

static void test_normalize(void **state)
{
	char out[LIMIT_DOMAIN + 2];
	char big[300];

	(void)state;
	assert_int_equal(
	    verify_name_normalize("Hotmail.TEST.", out, sizeof(out)), 0);
	assert_string_equal(out, "hotmail.test");
	assert_int_equal(verify_name_normalize(".", out, sizeof(out)), 0);
	assert_string_equal(out, ".");
	assert_int_equal(verify_name_normalize("", out, sizeof(out)), -1);
	assert_int_equal(verify_name_normalize("a..b", out, sizeof(out)), -1);
	assert_int_equal(verify_name_normalize("a b.test", out, sizeof(out)),
			 -1);
	assert_int_equal(verify_name_normalize("-opt", out, sizeof(out)), 0);
	assert_int_equal(verify_name_normalize("x\n.test", out, sizeof(out)),
			 -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(verify_name_normalize(big, out, sizeof(out)), -1);
}

static void test_unique_domains(void **state)
{
	static const char *names[] = {
	    "hotmail.test", "d0.test", "d1.test", "d2.test", "d3.test",
	    "d4.test",	    "d5.test", "d6.test", "d7.test", "d8.test"};
	const char **in = malloc(100000 * sizeof(*in));
	const char **out = malloc(100000 * sizeof(*out));
	const char *mixed[] = {"B.test", "a.test", "b.TEST.", "a.test",
			       "c.test"};
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < 100000; i++)
		in[i] = names[(i * 7) % 10];
	assert_int_equal(verify_unique_domains(in, 100000, out, &n), 0);
	assert_int_equal(n, 10);
	assert_string_equal(out[0], "hotmail.test"); /* first seen first */
	assert_string_equal(out[1], "d6.test");
	assert_int_equal(verify_unique_domains(mixed, 5, out, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0], "B.test");
	assert_string_equal(out[1], "a.test");
	assert_string_equal(out[2], "c.test");
	assert_int_equal(verify_unique_domains(mixed, 0, out, &n), 0);
	assert_int_equal(n, 0);
	free(in);
	free(out);
}

static void fill_result(struct verify_result *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->domain, sizeof(r->domain), "hotmail.test");
	r->checked_at = 1700000000;
	r->verdict = VERDICT_LOCAL_PATH;
	snprintf(r->detail, sizeof(r->detail), "only the MTA resolver fails");
	r->nanswers = 2;
	r->answers[0].role = VERIFY_ROLE_MTA;
	snprintf(r->answers[0].server, sizeof(r->answers[0].server),
		 "127.0.0.54:53");
	r->answers[0].transport = VERIFY_UDP;
	r->answers[0].rcode = 0;
	r->answers[0].kind = VERIFY_KIND_NODATA;
	r->answers[0].neg_ttl = 300;
	r->answers[1].role = VERIFY_ROLE_AUTHORITATIVE;
	snprintf(r->answers[1].server, sizeof(r->answers[1].server),
		 "127.0.0.53:53");
	r->answers[1].transport = VERIFY_TCP;
	r->answers[1].rcode = -1;
	r->answers[1].kind = VERIFY_KIND_MX;
	r->answers[1].nmx = 1;
	r->answers[1].neg_ttl = -1;
	r->answers[1].ttl = 300;
	snprintf(r->answers[1].mx[0].host, sizeof(r->answers[1].mx[0].host),
		 "mx1.hotmail.test");
	r->answers[1].mx[0].preference = 10;
}

static void test_json(void **state)
{
	static struct verify_result r;
	json_error_t e;
	char *text;
	json_t *j;

	(void)state;
	fill_result(&r);
	text = verify_result_json(&r);
	assert_non_null(text);
	j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")),
			    "local-path");
	assert_string_equal(json_string_value(json_object_get(j, "checked_at")),
			    "2023-11-14T22:13:20Z");
	assert_int_equal(json_array_size(json_object_get(j, "answers")), 2);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(j, "answers"), 0), "kind")),
	    "nodata");
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(j, "answers"), 0), "neg_ttl")),
	    300);
	assert_true(json_is_null(json_object_get(
	    json_array_get(json_object_get(j, "answers"), 1), "rcode")));
	json_decref(j);
	free(text);
}

static void test_summary_bounded(void **state)
{
	static struct verify_result r;
	char buf[LIMIT_EVIDENCE_DNS], small[60];

	(void)state;
	fill_result(&r);
	verify_result_summary(&r, buf, sizeof(buf));
	assert_string_equal(
	    buf, "mta 127.0.0.54:53/udp NOERROR nodata neg=300; "
		 "aut 127.0.0.53:53/tcp - mx mx=10:mx1.hotmail.test ttl=300");
	verify_result_summary(&r, small,
			      sizeof(small)); /* whole answers only */
	assert_string_equal(small,
			    "mta 127.0.0.54:53/udp NOERROR nodata neg=300");
	verify_result_summary(&r, small, 5);
	assert_string_equal(small, "");
}

/* Issue 11: strict LDH recipient domains; anything else stays with the
 * MTA. */
static void test_domain_ldh(void **state)
{
	char out[LIMIT_DOMAIN + 1], big[300];
	static const char *const bad[] = {
	    "-evil.test", "evil-.test", "a..test",	    ".test",
	    "",		  ".",		"under_score.test", "sp ace.test",
	    "x@y.test",	  "evil.-test", "ex\xc3\xa9.test",  "a.test..",
	    NULL};

	(void)state;
	assert_int_equal(verify_domain_ldh("Hotmail.TEST.", out, sizeof(out)),
			 0);
	assert_string_equal(out, "hotmail.test");
	assert_int_equal(
	    verify_domain_ldh("xn--bcher-kva.ex-ample.test", out, sizeof(out)),
	    0);
	for (size_t i = 0; bad[i]; i++)
		assert_int_equal(verify_domain_ldh(bad[i], out, sizeof(out)),
				 -1);
	memset(big, 'a', 64);
	snprintf(big + 64, sizeof(big) - 64, ".test");
	assert_int_equal(verify_domain_ldh(big, out, sizeof(out)), -1);
	memset(big, 'a', 63);
	snprintf(big + 63, sizeof(big) - 63, ".test");
	assert_int_equal(verify_domain_ldh(big, out, sizeof(out)), 0);
	for (size_t i = 0; i < 254; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[253] = 'a';
	big[254] = '\0'; /* 254 characters: too long */
	assert_int_equal(verify_domain_ldh(big, out, sizeof(out)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_domain_ldh),
	    cmocka_unit_test(test_mx_sorted),
	    cmocka_unit_test(test_null_mx),
	    cmocka_unit_test(test_null_mx_not_alone),
	    cmocka_unit_test(test_nodata_neg_ttl),
	    cmocka_unit_test(test_nxdomain),
	    cmocka_unit_test(test_servfail_is_not_nxdomain),
	    cmocka_unit_test(test_other_owner),
	    cmocka_unit_test(test_other_question),
	    cmocka_unit_test(test_truncated_rdata),
	    cmocka_unit_test(test_compression_loop),
	    cmocka_unit_test(test_count_mismatch),
	    cmocka_unit_test(test_tc_no_answer),
	    cmocka_unit_test(test_cname_chain),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_no_reply),
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_unique_domains),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_summary_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

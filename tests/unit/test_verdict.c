/*
 * test_verdict — every row of verdict.c's table, plus edge cases: no
 * authoritative answer, one resolver only, mixed malformed answers,
 * transport faults, verdict names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/verdict.h"

static struct verify_answer A[LIMIT_VERIFY_ANSWERS];
static size_t N;
static char detail[256];

/* add(role, "server", transport, kind): usable MX answers get one host
 * with an address. */
static struct verify_answer *add(enum verify_role role, const char *server,
				 enum verify_transport tr,
				 enum verify_kind kind)
{
	struct verify_answer *a = &A[N++];

	memset(a, 0, sizeof(*a));
	a->role = role;
	snprintf(a->server, sizeof(a->server), "%s", server);
	a->transport = tr;
	a->kind = kind;
	a->rcode = 0;
	a->neg_ttl = -1;
	if (kind == VERIFY_KIND_MX) {
		a->nmx = 1;
		a->mx[0].preference = 10;
		snprintf(a->mx[0].host, sizeof(a->mx[0].host), "mx1.d.test");
		a->mx[0].naddrs = 1;
	}
	if (kind == VERIFY_KIND_NULL_MX) {
		a->nmx = 1;
		snprintf(a->mx[0].host, sizeof(a->mx[0].host), ".");
	}
	return a;
}

#define M  VERIFY_ROLE_MTA
#define I  VERIFY_ROLE_INDEPENDENT
#define AU VERIFY_ROLE_AUTHORITATIVE
#define U  VERIFY_UDP
#define T  VERIFY_TCP

static int setup(void **state)
{
	(void)state;
	N = 0;
	detail[0] = '\0';
	return 0;
}

static enum verify_verdict decide(void)
{
	return verdict_decide(A, N, detail, sizeof(detail));
}

/* Row 9: everything usable. */
static void test_healthy(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(I, "i2", U, VERIFY_KIND_IMPLICIT);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_HEALTHY);
	assert_string_equal(detail, "usable MX everywhere");
}

/* Row 1: nothing conclusive. */
static void test_outage(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_TIMEOUT);
	add(I, "i1", U, VERIFY_KIND_SERVFAIL);
	add(AU, "a1", U, VERIFY_KIND_MALFORMED);
	add(I, "i2", U, VERIFY_KIND_REFUSED);
	add(M, "m2", U, VERIFY_KIND_UNREACHABLE);
	add(M, "m3", U, VERIFY_KIND_TRUNCATED);
	assert_int_equal(decide(), VERDICT_DNS_OUTAGE);
	assert_non_null(strstr(detail, "no server gave a conclusive answer"));
}

static void test_no_answers(void **state)
{
	(void)state;
	assert_int_equal(decide(), VERDICT_DNS_OUTAGE);
	assert_non_null(strstr(detail, "no server was asked"));
}

/* Row 2. */
static void test_null_mx(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NULL_MX);
	add(I, "i1", U, VERIFY_KIND_NULL_MX);
	add(AU, "a1", U, VERIFY_KIND_NULL_MX);
	add(AU, "a2", U,
	    VERIFY_KIND_TIMEOUT); /* a silent server changes nothing */
	assert_int_equal(decide(), VERDICT_NULL_MX);
	assert_non_null(strstr(detail, "authoritative a1 null-mx"));
}

/* Row 3 and the authoritative view winning over stale resolvers. */
static void test_domain(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX); /* cached old answer */
	add(I, "i1", U, VERIFY_KIND_NODATA);
	add(AU, "a1", U, VERIFY_KIND_NXDOMAIN);
	add(AU, "a2", U, VERIFY_KIND_NODATA);
	assert_int_equal(decide(), VERDICT_DOMAIN);
	assert_non_null(strstr(detail, "a1 nxdomain"));
	assert_non_null(strstr(detail, "a2 nodata"));
}

/* Row 4: authoritative servers disagree. */
static void test_propagation_auth(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	add(AU, "a2", U, VERIFY_KIND_NODATA);
	assert_int_equal(decide(), VERDICT_PROPAGATION);
	assert_non_null(strstr(detail, "authoritative servers disagree"));
}

/* Row 5: independents disagree while the authority is usable. */
static void test_propagation_independents(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(I, "i2", U, VERIFY_KIND_NODATA);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_PROPAGATION);
	assert_non_null(strstr(detail, "independent resolvers disagree"));
	assert_non_null(strstr(detail, "i2 nodata"));
}

/* Row 4 without authoritative answers: independents are the reference. */
static void test_propagation_no_auth(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(I, "i2", U, VERIFY_KIND_NXDOMAIN);
	add(AU, "a1", U, VERIFY_KIND_TIMEOUT);
	assert_int_equal(decide(), VERDICT_PROPAGATION);
	assert_non_null(strstr(detail, "independent resolvers disagree"));
}

/* Row 6: the MTA and every independent fail; only the authority answers. */
static void test_outage_resolvers(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_SERVFAIL);
	add(I, "i1", U, VERIFY_KIND_TIMEOUT);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_DNS_OUTAGE);
	assert_non_null(
	    strstr(detail, "only the authoritative servers answer"));
}

/* Row 7: the stale negative cache of the incident. */
static void test_local_path(void **state)
{
	struct verify_answer *a;

	(void)state;
	a = add(M, "127.0.0.54:53", U, VERIFY_KIND_NODATA);
	a->neg_ttl = 300;
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
	assert_string_equal(
	    detail, "only the MTA resolver fails: mta 127.0.0.54:53 nodata");
}

/* Row 7: one bad node of a pool is named, the good one is not. */
static void test_local_path_pool(void **state)
{
	(void)state;
	add(M, "node1", U, VERIFY_KIND_MX);
	add(M, "node2", U, VERIFY_KIND_MX_NOADDR);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
	assert_non_null(strstr(detail, "node2"));
	assert_null(strstr(detail, "node1"));
}

/* Row 7 with no authoritative answers and a timing-out MTA node. */
static void test_local_path_timeout_no_auth(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_TIMEOUT);
	add(I, "i1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
}

/* Row 8: UDP times out / truncates, TCP answers. */
static void test_transport(void **state)
{
	struct verify_answer *a;

	(void)state;
	add(M, "m1", U, VERIFY_KIND_TIMEOUT);
	add(M, "m1", T, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_MX);
	a = add(I, "i2", U, VERIFY_KIND_TRUNCATED);
	a->truncated = 1;
	add(I, "i2", T, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_TRANSPORT);
	assert_non_null(strstr(detail, "mta m1"));
	assert_non_null(strstr(detail, "independent i2"));
}

/* A usable UDP answer with TC set (partial) and a TCP answer: transport. */
static void test_transport_tc_usable(void **state)
{
	struct verify_answer *a;

	(void)state;
	a = add(M, "m1", U, VERIFY_KIND_MX);
	a->truncated = 1;
	add(M, "m1", T, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_TRANSPORT);
}

/* TCP failing too is not a transport fault but a failing node. */
static void test_udp_tcp_both_fail(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_TIMEOUT);
	add(M, "m1", T, VERIFY_KIND_TIMEOUT);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
}

/* Only one resolver configured (the MTA's). */
static void test_only_mta_usable(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_HEALTHY);
}

static void test_only_mta_nodata(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NODATA);
	assert_int_equal(decide(), VERDICT_DOMAIN);
	assert_non_null(strstr(detail, "only the MTA resolver answered"));
}

static void test_only_mta_pool_one_bad(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(M, "m2", U, VERIFY_KIND_NXDOMAIN);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
	assert_non_null(strstr(detail, "m2"));
}

static void test_only_independent_timeout(void **state)
{
	(void)state;
	add(I, "i1", U, VERIFY_KIND_TIMEOUT);
	assert_int_equal(decide(), VERDICT_DNS_OUTAGE);
}

/* Mixed malformed answers never make `domain` or `null-mx`. */
static void test_malformed_mixed(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_MALFORMED);
	add(I, "i2", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MALFORMED);
	assert_int_equal(decide(), VERDICT_HEALTHY);
	assert_non_null(strstr(detail, "i1 malformed"));
}

static void test_malformed_everywhere(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MALFORMED);
	add(I, "i1", U, VERIFY_KIND_MALFORMED);
	add(AU, "a1", U, VERIFY_KIND_MALFORMED);
	assert_int_equal(decide(), VERDICT_DNS_OUTAGE);
}

static void test_malformed_mta_is_local(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MALFORMED);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
}

/* An authoritative MX whose hosts we could not resolve there is usable. */
static void test_auth_mx_without_addr(void **state)
{
	struct verify_answer *a;

	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	a = add(AU, "a1", U, VERIFY_KIND_MX);
	a->mx[0].naddrs = 0;
	assert_int_equal(decide(), VERDICT_HEALTHY);
}

/* A resolver MX answer with no address anywhere is not usable. */
static void test_resolver_mx_without_addr(void **state)
{
	struct verify_answer *a;

	(void)state;
	a = add(M, "m1", U, VERIFY_KIND_MX);
	a->mx[0].naddrs = 0;
	add(I, "i1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
}

/* Independents stale-negative, authority usable, MTA fine: propagation. */
static void test_independents_lag(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_NODATA);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_PROPAGATION);
	assert_non_null(strstr(detail, "lag"));
}

/* MTA says null MX while everyone else gives MX: local (stale). */
static void test_mta_stale_null(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NULL_MX);
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_LOCAL_PATH);
}

/* The detail never overflows, however many servers are named. */
static void test_detail_bounded(void **state)
{
	char small[24];
	char name[32];

	(void)state;
	for (int i = 0; i < LIMIT_VERIFY_ANSWERS; i++) {
		snprintf(name, sizeof(name), "server-number-%02d", i);
		add(i % 2 ? M : I, name, U, VERIFY_KIND_TIMEOUT);
	}
	assert_int_equal(verdict_decide(A, N, small, sizeof(small)),
			 VERDICT_DNS_OUTAGE);
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(verdict_decide(A, N, NULL, 0), VERDICT_DNS_OUTAGE);
}

static void test_allows_attempt(void **state)
{
	(void)state;
	assert_true(verdict_allows_attempt(VERDICT_HEALTHY));
	assert_true(verdict_allows_attempt(VERDICT_LOCAL_PATH));
	assert_true(verdict_allows_attempt(VERDICT_PROPAGATION));
	assert_true(verdict_allows_attempt(VERDICT_TRANSPORT));
	assert_false(verdict_allows_attempt(VERDICT_DOMAIN));
	assert_false(verdict_allows_attempt(VERDICT_NULL_MX));
	assert_false(verdict_allows_attempt(VERDICT_DNS_OUTAGE));
}

static void test_names(void **state)
{
	enum verify_verdict v;

	(void)state;
	for (int i = VERDICT_HEALTHY; i <= VERDICT_DNS_OUTAGE; i++) {
		assert_int_equal(
		    verify_verdict_parse(verify_verdict_name(i), &v), 0);
		assert_int_equal(v, i);
	}
	assert_string_equal(verify_verdict_name(VERDICT_LOCAL_PATH),
			    "local-path");
	assert_string_equal(verify_verdict_name(VERDICT_NULL_MX), "null-mx");
	assert_string_equal(verify_verdict_name(VERDICT_DNS_OUTAGE),
			    "dns-outage");
	assert_int_equal(verify_verdict_parse("bogus", &v), -1);
	assert_int_equal(verify_verdict_parse(NULL, &v), -1);
	assert_string_equal(verify_kind_name(VERIFY_KIND_MX_NOADDR),
			    "mx-noaddr");
	assert_string_equal(verify_kind_name((enum verify_kind)99), "unknown");
	assert_string_equal(verify_role_name(VERIFY_ROLE_AUTHORITATIVE),
			    "authoritative");
}

#define T_(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T_(test_healthy),
	    T_(test_outage),
	    T_(test_no_answers),
	    T_(test_null_mx),
	    T_(test_domain),
	    T_(test_propagation_auth),
	    T_(test_propagation_independents),
	    T_(test_propagation_no_auth),
	    T_(test_outage_resolvers),
	    T_(test_local_path),
	    T_(test_local_path_pool),
	    T_(test_local_path_timeout_no_auth),
	    T_(test_transport),
	    T_(test_transport_tc_usable),
	    T_(test_udp_tcp_both_fail),
	    T_(test_only_mta_usable),
	    T_(test_only_mta_nodata),
	    T_(test_only_mta_pool_one_bad),
	    T_(test_only_independent_timeout),
	    T_(test_malformed_mixed),
	    T_(test_malformed_everywhere),
	    T_(test_malformed_mta_is_local),
	    T_(test_auth_mx_without_addr),
	    T_(test_resolver_mx_without_addr),
	    T_(test_independents_lag),
	    T_(test_mta_stale_null),
	    T_(test_detail_bounded),
	    T_(test_allows_attempt),
	    T_(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

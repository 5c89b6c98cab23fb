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
	/* issue 11: only the authoritative servers can say "no domain" */
	assert_int_equal(decide(), VERDICT_UNVERIFIED);
	assert_non_null(strstr(detail, "no authoritative server confirmed"));
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
	for (int i = VERDICT_HEALTHY; i <= VERDICT_LAST; i++) {
		assert_int_equal(
		    verify_verdict_parse(verify_verdict_name(i), &v), 0);
		assert_int_equal(v, i);
	}
	assert_string_equal(verify_verdict_name(VERDICT_LOCAL_PATH),
			    "local-path");
	assert_string_equal(verify_verdict_name(VERDICT_NULL_MX), "null-mx");
	assert_string_equal(verify_verdict_name(VERDICT_DNS_OUTAGE),
			    "dns-outage");
	assert_string_equal(verify_verdict_name(VERDICT_UNVERIFIED),
			    "unverified");
	assert_string_equal(verify_verdict_name(VERDICT_FILTERED), "filtered");
	assert_false(verdict_allows_attempt(VERDICT_UNVERIFIED));
	assert_false(verdict_allows_attempt(VERDICT_FILTERED));
	assert_false(verdict_is_evidence(VERDICT_UNVERIFIED));
	assert_false(verdict_is_evidence(VERDICT_FILTERED));
	assert_int_equal(verify_verdict_parse("bogus", &v), -1);
	assert_int_equal(verify_verdict_parse(NULL, &v), -1);
	assert_string_equal(verify_kind_name(VERIFY_KIND_MX_NOADDR),
			    "mx-noaddr");
	assert_string_equal(verify_kind_name((enum verify_kind)99), "unknown");
	assert_string_equal(verify_role_name(VERIFY_ROLE_AUTHORITATIVE),
			    "authoritative");
}

/* Issue 11: a forged null MX at the only independent while the
 * authoritative servers are silent is never null-mx. */
static void test_forged_null_mx_no_auth(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_SERVFAIL);
	add(I, "i1", U, VERIFY_KIND_NULL_MX);
	add(AU, "a1", U, VERIFY_KIND_TIMEOUT);
	assert_int_equal(decide(), VERDICT_UNVERIFIED);
}

static void test_forged_nxdomain_no_auth(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NXDOMAIN);
	add(I, "i1", U, VERIFY_KIND_NXDOMAIN);
	assert_int_equal(decide(), VERDICT_UNVERIFIED);
}

static void test_filtered_mta(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NXDOMAIN)->distrusted = 1;
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_FILTERED);
	assert_non_null(strstr(detail, "m1"));
}

/* A sinkhole answers "usable" addresses: still not evidence. */
static void test_filtered_sinkhole_mta(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_IMPLICIT)->distrusted = 1;
	add(I, "i1", U, VERIFY_KIND_MX);
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_FILTERED);
}

static void test_filtered_everywhere_auth_down(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NXDOMAIN)->distrusted = 1;
	add(I, "i1", U, VERIFY_KIND_NXDOMAIN)->distrusted = 1;
	add(AU, "a1", U, VERIFY_KIND_TIMEOUT);
	assert_int_equal(decide(), VERDICT_FILTERED);
}

static void test_filtered_with_honest_negative(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NXDOMAIN)->distrusted = 1;
	add(I, "i1", U, VERIFY_KIND_NODATA);
	assert_int_equal(decide(), VERDICT_FILTERED);
}

/* The authoritative word stands whatever the resolvers do. */
static void test_filtered_but_auth_null(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NXDOMAIN)->distrusted = 1;
	add(AU, "a1", U, VERIFY_KIND_NULL_MX);
	assert_int_equal(decide(), VERDICT_NULL_MX);
}

static void test_filtering_independent_ignored(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_MX);
	add(I, "i1", U, VERIFY_KIND_NXDOMAIN)->distrusted = 1;
	add(AU, "a1", U, VERIFY_KIND_MX);
	assert_int_equal(decide(), VERDICT_HEALTHY);
	assert_non_null(strstr(detail, "filtering"));
}

/* Canaries judge recursive resolvers only. */
static void test_distrusted_auth_flag_ignored(void **state)
{
	(void)state;
	add(M, "m1", U, VERIFY_KIND_NXDOMAIN);
	add(AU, "a1", U, VERIFY_KIND_NXDOMAIN)->distrusted = 1;
	assert_int_equal(decide(), VERDICT_DOMAIN);
}

/* Property: over every combination of per-server outcomes (an MTA node
 * and two independents: absent, any kind, trusted or filtering; two
 * authoritative servers, one asked over UDP and TCP), null-mx needs a
 * conclusive authoritative null MX and no conclusive authoritative
 * non-null answer; domain needs a conclusive authoritative negative
 * answer and nothing else conclusive from them. */
static const enum verify_kind prop_kinds[] = {
    0, /* absent */
    VERIFY_KIND_MX,
    VERIFY_KIND_NULL_MX,
    VERIFY_KIND_NODATA,
    VERIFY_KIND_NXDOMAIN,
    VERIFY_KIND_SERVFAIL,
    VERIFY_KIND_TIMEOUT,
    VERIFY_KIND_MALFORMED,
};
#define PROP_NK (sizeof(prop_kinds) / sizeof(prop_kinds[0]))

static void prop_add(enum verify_role role, const char *srv,
		     enum verify_transport tr, size_t code)
{
	size_t k = code % PROP_NK;

	if (k == 0)
		return;
	add(role, srv, tr, prop_kinds[k])->distrusted = (int)(code / PROP_NK);
}

static int prop_auth(enum verify_kind k, int *null, int *neg, int *use)
{
	*null += k == VERIFY_KIND_NULL_MX;
	*neg += k == VERIFY_KIND_NODATA || k == VERIFY_KIND_NXDOMAIN;
	*use += k == VERIFY_KIND_MX;
	return 0;
}

static void test_property_every_combination(void **state)
{
	const size_t nr = 2 * PROP_NK - 1; /* recursive: kinds x trust */
	size_t combos = 0, null_mx = 0, domain = 0;

	(void)state;
	for (size_t m = 0; m < nr; m++)
		for (size_t i1 = 0; i1 < nr; i1++)
			for (size_t i2 = 0; i2 < nr; i2++)
				for (size_t a = 0;
				     a < PROP_NK * PROP_NK * PROP_NK; a++) {
					size_t au = a % PROP_NK,
					       at = (a / PROP_NK) % PROP_NK,
					       a2 = a / (PROP_NK * PROP_NK);
					int null = 0, neg = 0, use = 0;
					enum verify_verdict v;

					N = 0;
					prop_add(M, "m1", U,
						 m + (m >= PROP_NK));
					prop_add(I, "i1", U,
						 i1 + (i1 >= PROP_NK));
					prop_add(I, "i2", U,
						 i2 + (i2 >= PROP_NK));
					prop_add(AU, "a1", U, au);
					prop_add(AU, "a1", T, at);
					prop_add(AU, "a2", U, a2);
					/* a1's outcome is its best transport */
					prop_auth(
					    prop_kinds[au] == VERIFY_KIND_MX ||
						    prop_kinds[at] ==
							VERIFY_KIND_MX
						? VERIFY_KIND_MX
					    : prop_kinds[au] ==
							VERIFY_KIND_NULL_MX ||
						    prop_kinds[at] ==
							VERIFY_KIND_NULL_MX
						? VERIFY_KIND_NULL_MX
					    : prop_kinds[au] ==
							VERIFY_KIND_NODATA ||
						    prop_kinds[au] ==
							VERIFY_KIND_NXDOMAIN
						? prop_kinds[au]
						: prop_kinds[at],
					    &null, &neg, &use);
					prop_auth(prop_kinds[a2], &null, &neg,
						  &use);
					v = verdict_decide(A, N, NULL, 0);
					combos++;
					if (v == VERDICT_NULL_MX) {
						null_mx++;
						if (null == 0 || neg > 0 ||
						    use > 0)
							fail_msg(
							    "null-mx without "
							    "the authoritative "
							    "word (combo %zu)",
							    combos);
					}
					if (v == VERDICT_DOMAIN) {
						domain++;
						if (neg == 0 || null > 0 ||
						    use > 0)
							fail_msg(
							    "domain without "
							    "the authoritative "
							    "word (combo %zu)",
							    combos);
					}
				}
	print_message("# %zu combinations: %zu null-mx, %zu domain, all "
		      "with the authoritative word\n",
		      combos, null_mx, domain);
	assert_true(null_mx > 0);
	assert_true(domain > 0);
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
	    T_(test_forged_null_mx_no_auth),
	    T_(test_forged_nxdomain_no_auth),
	    T_(test_filtered_mta),
	    T_(test_filtered_sinkhole_mta),
	    T_(test_filtered_everywhere_auth_down),
	    T_(test_filtered_with_honest_negative),
	    T_(test_filtered_but_auth_null),
	    T_(test_filtering_independent_ignored),
	    T_(test_distrusted_auth_flag_ignored),
	    T_(test_property_every_combination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

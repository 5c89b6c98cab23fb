/*
 * test_policy - the policy loader, its value parsers, printing and groups.
 *
 * Real inih (Debian's libinih 55) and real PCRE2 underneath. Data files:
 * tests/data/policy-bad/ (each names its expected error in its first
 * line: "; expect: [PATH:]LINE: SUBSTRING"), tests/data/policy-good/,
 * policy/retryd.ini, found by srcdir_fx_path().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy_int.h"
#include "srcdir_fx.h"
#include "tmpdir_fx.h"

static char tmpdir[256];
static char err[16384];

/* write_tmp - write @param text to a file in the test's temp dir */
static const char *write_tmp(const char *name, const char *text)
{
	static char path[4][512];
	static int i;
	FILE *fp;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tmpdir, name);
	fp = fopen(path[i], "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	return path[i];
}

static struct policy *load_ok(const char *path)
{
	struct policy *p = NULL;
	int rc = policy_load_from(
	    path, write_tmp("resolv.conf", "nameserver 127.0.0.1\n"), &p, err,
	    sizeof(err));

	if (rc != 0)
		fprintf(stderr, "# unexpected errors:\n%s", err);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

static struct policy *load_text_ok(const char *text)
{
	return load_ok(write_tmp("t.ini", text));
}

/* load_text_err - must fail; @return the error text */
static const char *load_text_err(const char *text)
{
	struct policy *p = (struct policy *)1;

	assert_int_equal(
	    policy_load(write_tmp("t.ini", text), &p, err, sizeof(err)), -1);
	assert_null(p);
	return err;
}

/* has_error - a line "FILE:LINE: ...SUBSTRING..." in err */
static int has_error(const char *errs, const char *file, int line,
		     const char *sub)
{
	char prefix[2048];
	const char *s = errs;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	while (*s != '\0') {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);
		char one[4096];

		snprintf(one, sizeof(one), "%.*s", (int)len, s);
		if (strncmp(one, prefix, strlen(prefix)) == 0 &&
		    strstr(one, sub) != NULL)
			return 1;
		s += len + (eol != NULL);
	}
	fprintf(stderr, "# wanted %s...%s in:\n%s", prefix, sub, errs);
	return 0;
}

/* print_text - policy_print() to a string (caller frees); NULL with errno
 * when it fails (nothing left allocated) */
static char *print_text(const struct policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int rc, saved;

	if (fp == NULL)
		return NULL;
	rc = policy_print(p, fp);
	saved = errno;
	fclose(fp);
	if (rc == 0)
		return buf;
	free(buf);
	errno = saved;
	return NULL;
}

static char *print_to_string(const struct policy *p)
{
	char *buf = print_text(p);

	assert_non_null(buf);
	return buf;
}

static int strlist_equal(const struct policy_strlist *a,
			 const struct policy_strlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return 0;
	return 1;
}

static int str_equal(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int argv_equal(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return 0;
	return *a == NULL && *b == NULL;
}

static int resolvers_equal(const struct policy_resolver_list *a,
			   const struct policy_resolver_list *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->items[i].family != b->items[i].family ||
		    a->items[i].port != b->items[i].port ||
		    memcmp(a->items[i].addr, b->items[i].addr, 16) != 0 ||
		    strcmp(a->items[i].text, b->items[i].text) != 0)
			return 0;
	return 1;
}

static int backoff_equal(const struct policy_backoff *a,
			 const struct policy_backoff *b)
{
	if (a->ntiers != b->ntiers || a->give_up != b->give_up ||
	    a->jitter_percent != b->jitter_percent)
		return 0;
	for (size_t i = 0; i < a->ntiers; i++)
		if (a->tiers[i].after != b->tiers[i].after ||
		    a->tiers[i].every != b->tiers[i].every ||
		    a->tiers[i].action != b->tiers[i].action)
			return 0;
	return 1;
}

/* policy_equal - every setting equal; where things were written is not compared
 */
static void assert_policy_equal(const struct policy *a, const struct policy *b)
{
	assert_string_equal(a->mta, b->mta);
	assert_true(str_equal(a->plugin_dir, b->plugin_dir));
	assert_true(str_equal(a->state_dir, b->state_dir));
	assert_int_equal(a->observe, b->observe);
	assert_true(str_equal(a->metrics_file, b->metrics_file));
	assert_int_equal(a->scan_interval, b->scan_interval);
	assert_int_equal(a->max_hold, b->max_hold);
	assert_string_equal(a->host_id, b->host_id);
	assert_true(str_equal(a->postfix_config_dir, b->postfix_config_dir));
	assert_true(str_equal(a->postfix_log_file, b->postfix_log_file));
	assert_true(str_equal(a->exim_binary, b->exim_binary));
	assert_true(str_equal(a->exim_config, b->exim_config));
	assert_true(str_equal(a->exim_log_file, b->exim_log_file));
	assert_true(
	    str_equal(a->exim_held_domains_file, b->exim_held_domains_file));
	assert_true(resolvers_equal(&a->resolvers_mta, &b->resolvers_mta));
	assert_true(resolvers_equal(&a->resolvers_independent,
				    &b->resolvers_independent));
	assert_int_equal(a->authoritative, b->authoritative);
	assert_int_equal(a->tcp, b->tcp);
	assert_int_equal(a->timeout_ms, b->timeout_ms);
	assert_int_equal(a->verify_window, b->verify_window);
	assert_true(backoff_equal(&a->backoff, &b->backoff));
	assert_int_equal(a->ngroups, b->ngroups);
	for (size_t i = 0; i < a->ngroups; i++) {
		assert_string_equal(a->groups[i].name, b->groups[i].name);
		assert_true(strlist_equal(&a->groups[i].domains,
					  &b->groups[i].domains));
		assert_true(strlist_equal(&a->groups[i].mx, &b->groups[i].mx));
		assert_true(backoff_equal(&a->groups[i].backoff,
					  &b->groups[i].backoff));
		assert_int_equal(a->groups[i].has_own_backoff,
				 b->groups[i].has_own_backoff);
	}
	assert_true(
	    strlist_equal(&a->suppress_categories, &b->suppress_categories));
	assert_int_equal(a->min_failures, b->min_failures);
	assert_int_equal(a->min_span, b->min_span);
	assert_int_equal(a->require_healthy_dns, b->require_healthy_dns);
	assert_int_equal(a->on_suppress, b->on_suppress);
	assert_int_equal(a->nrules, b->nrules);
	for (size_t i = 0; i < a->nrules; i++) {
		assert_string_equal(a->rules[i].category, b->rules[i].category);
		assert_string_equal(a->rules[i].regex, b->rules[i].regex);
		assert_int_equal(a->rules[i].caseless, b->rules[i].caseless);
		assert_int_equal(a->rules[i].fallback, b->rules[i].fallback);
		assert_int_equal(a->rules[i].guarded, b->rules[i].guarded);
	}
	assert_int_equal(a->nguards, b->nguards);
	for (size_t i = 0; i < a->nguards; i++) {
		assert_string_equal(a->guards[i].regex, b->guards[i].regex);
		assert_int_equal(a->guards[i].caseless, b->guards[i].caseless);
	}
	assert_true(argv_equal(a->hook_flush_resolver, b->hook_flush_resolver));
	assert_true(argv_equal(a->hook_escalate, b->hook_escalate));
}

/* What a round trip holds: a failed assertion leaves the test at once, so
 * round_trip_teardown() frees what is left (ASan counted it as leaked). */
static struct {
	struct policy *a, *b;
	char *t1, *t2;
} rt;

static void round_trip_free(void)
{
	policy_free(rt.a);
	policy_free(rt.b);
	free(rt.t1);
	free(rt.t2);
	memset(&rt, 0, sizeof(rt));
}

static int round_trip_teardown(void **state)
{
	(void)state;
	round_trip_free();
	return 0;
}

/* round_trip - load @param path, print, load the print: equal, same text;
 * every printed line within LIMIT_INI_LINE (the loader refuses longer) */
static void round_trip(const char *path)
{
	round_trip_free();
	rt.a = load_ok(path);
	rt.t1 = print_to_string(rt.a);
	for (const char *s = rt.t1; *s != '\0';) {
		size_t n = strcspn(s, "\n");

		if (n > LIMIT_INI_LINE)
			fail_msg("%s: a printed line of %zu bytes: %.60s...",
				 path, n, s);
		s += n + (s[n] == '\n');
	}
	rt.b = load_ok(write_tmp("printed.ini", rt.t1));
	assert_policy_equal(rt.a, rt.b);
	rt.t2 = print_to_string(rt.b);
	assert_string_equal(rt.t1, rt.t2);
	round_trip_free();
}

/* ---- durations ---- */

static void test_duration_parse(void **state)
{
	static const struct {
		const char *text;
		int64_t want;
	} good[] = {
	    {"0", 0},
	    {"0s", 0},
	    {"30s", 30},
	    {"5m", 300},
	    {"1h", 3600},
	    {"4d", 345600},
	    {"1h30m", 5400},
	    {"90m", 5400},
	    {"1d2h3m4s", 93784},
	    {"3650d", 315360000},
	    {"007s", 7},
	};
	static const char *const bad[] = {
	    "",
	    "-5s",
	    "5",
	    "1x",
	    "s",
	    "1h30",
	    "30m1h",
	    "1h1h",
	    "1h 30m",
	    " 1h",
	    "+1h",
	    "1.5h",
	    "1H",
	    "3650d1s",
	    "99999999999999999999s",
	    "9223372036854775807s",
	    "0x10s",
	    "1w",
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		assert_int_equal(policy_parse_duration(good[i].text, &v), 0);
		assert_int_equal(v, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		if (policy_parse_duration(bad[i], &v) != -1)
			fail_msg("duration '%s' accepted", bad[i]);
		assert_int_equal(v, 42);
	}
}

static void test_duration_format(void **state)
{
	static const struct {
		int64_t s;
		const char *want;
	} cases[] = {
	    {0, "0s"},
	    {59, "59s"},
	    {60, "1m"},
	    {5400, "1h30m"},
	    {86401, "1d1s"},
	    {93784, "1d2h3m4s"},
	    {315360000, "3650d"},
	};
	char buf[32];
	int64_t back;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		policy_format_duration(cases[i].s, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	for (int64_t s = 0; s < 200000; s += 997) {
		policy_format_duration(s, buf, sizeof(buf));
		assert_int_equal(policy_parse_duration(buf, &back), 0);
		assert_int_equal(back, s);
	}
	policy_format_duration(INT64_MIN, buf, sizeof(buf)); /* no overflow */
	assert_int_equal(buf[0], '-');
	policy_format_duration(3600, buf, 3); /* truncated, still terminated */
	assert_true(strlen(buf) < 3);
}

/* ---- resolvers and other scalar values ---- */

static void test_resolver_parse(void **state)
{
	static const struct {
		const char *text;
		int family;
		unsigned port;
		const char *canon;
	} good[] = {
	    {"1.2.3.4", AF_INET, 53, "1.2.3.4:53"},
	    {"127.0.10.54:5353", AF_INET, 5353, "127.0.10.54:5353"},
	    {"::1", AF_INET6, 53, "[::1]:53"},
	    {"[::1]", AF_INET6, 53, "[::1]:53"},
	    {"[2001:DB8:0:0::1]:5300", AF_INET6, 5300, "[2001:db8::1]:5300"},
	    {"2001:db8::53", AF_INET6, 53, "[2001:db8::53]:53"},
	    {"9.9.9.9:65535", AF_INET, 65535, "9.9.9.9:65535"},
	};
	static const char *const bad[] = {
	    "",
	    "1.2.3",
	    "1.2.3.4:",
	    "1.2.3.4:0",
	    "1.2.3.4:65536",
	    "1.2.3.4:53x",
	    "1.2.3.4:+53",
	    "[::1]:",
	    "[::1",
	    "[::1]x",
	    "[1.2.3.4]:53",
	    "fe80::1%eth0",
	    "resolver.example",
	    "1.2.3.4.5",
	    "[::1]:100000",
	    "256.1.1.1",
	};
	struct policy_resolver r;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(policy_parse_resolver(good[i].text, &r), 0);
		assert_int_equal(r.family, good[i].family);
		assert_int_equal(r.port, good[i].port);
		assert_string_equal(r.text, good[i].canon);
	}
	assert_int_equal(policy_parse_resolver("10.1.2.3", &r), 0);
	assert_memory_equal(r.addr, "\x0a\x01\x02\x03", 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (policy_parse_resolver(bad[i], &r) != -1)
			fail_msg("resolver '%s' accepted", bad[i]);
}

static void test_scalars(void **state)
{
	int b;
	unsigned u;

	(void)state;
	assert_int_equal(policy_parse_bool("YES", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(policy_parse_bool("off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(policy_parse_bool("0", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(policy_parse_bool("y", &b), -1);
	assert_int_equal(policy_parse_bool("2", &b), -1);
	assert_int_equal(policy_parse_bool("", &b), -1);
	assert_int_equal(policy_parse_percent("10%", &u), 0);
	assert_int_equal(u, 10);
	assert_int_equal(policy_parse_percent("50", &u), 0);
	assert_int_equal(u, 50);
	assert_int_equal(policy_parse_percent("0%", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(policy_parse_percent("51%", &u), -1);
	assert_int_equal(policy_parse_percent("-1%", &u), -1);
	assert_int_equal(policy_parse_percent("%", &u), -1);
	assert_int_equal(policy_parse_percent("10%%", &u), -1);
	assert_int_equal(policy_parse_percent("99999999999", &u), -1);
	assert_int_equal(policy_parse_uint("4294967296", 0, 1000, &u), -1);
}

static void test_tier_parse(void **state)
{
	struct policy_tier t;
	char msg[256];

	(void)state;
	assert_int_equal(policy_parse_tier("1h  every 15m\tcheck-resolver", &t,
					   msg, sizeof(msg)),
			 0);
	assert_int_equal(t.after, 3600);
	assert_int_equal(t.every, 900);
	assert_int_equal(t.action, POLICY_TIER_CHECK_RESOLVER);
	assert_int_equal(
	    policy_parse_tier("4h every 1h escalate", &t, msg, sizeof(msg)), 0);
	assert_int_equal(t.action, POLICY_TIER_ESCALATE);
	assert_int_equal(policy_parse_tier("0 every 5m", &t, msg, sizeof(msg)),
			 0);
	assert_int_equal(t.action, POLICY_TIER_RETRY);
	assert_int_equal(policy_parse_tier("0s each 5m", &t, msg, sizeof(msg)),
			 -1);
	assert_non_null(strstr(msg, "expected"));
	assert_int_equal(policy_parse_tier("0s every", &t, msg, sizeof(msg)),
			 -1);
	assert_int_equal(
	    policy_parse_tier("0s every 5m escalate now", &t, msg, sizeof(msg)),
	    -1);
	assert_int_equal(policy_parse_tier("0s every 0s", &t, msg, sizeof(msg)),
			 -1);
	assert_non_null(strstr(msg, "longer than 0s"));
	assert_int_equal(
	    policy_parse_tier("0s every 5m retry-harder", &t, msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "unknown action 'retry-harder'"));
	assert_int_equal(policy_parse_tier("x every 5m", &t, msg, sizeof(msg)),
			 -1);
	assert_non_null(strstr(msg, "bad age"));
}

static void test_list_parse(void **state)
{
	struct policy_strlist l;
	char msg[256], big[4096];
	size_t used = 0;

	(void)state;
	assert_int_equal(
	    policy_parse_list("Hotmail.*, outlook.COM  live.*,msn.com",
			      POLICY_LIST_DOMAINS, &l, msg, sizeof(msg)),
	    0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.items[0], "hotmail.*");
	assert_string_equal(l.items[1], "outlook.com");
	assert_string_equal(l.items[3], "msn.com");
	policy_strlist_free(&l);
	assert_int_equal(policy_parse_list("a.test,,b.test",
					   POLICY_LIST_DOMAINS, &l, msg,
					   sizeof(msg)),
			 -1);
	assert_int_equal(policy_parse_list("a.test,", POLICY_LIST_DOMAINS, &l,
					   msg, sizeof(msg)),
			 -1);
	assert_int_equal(policy_parse_list("*.com", POLICY_LIST_DOMAINS, &l,
					   msg, sizeof(msg)),
			 -1);
	assert_int_equal(
	    policy_parse_list("*", POLICY_LIST_DOMAINS, &l, msg, sizeof(msg)),
	    -1);
	assert_int_equal(policy_parse_list("a..test", POLICY_LIST_DOMAINS, &l,
					   msg, sizeof(msg)),
			 -1);
	assert_int_equal(policy_parse_list("*.mail.protection.outlook.com",
					   POLICY_LIST_MX, &l, msg,
					   sizeof(msg)),
			 0);
	policy_strlist_free(&l);
	assert_int_equal(policy_parse_list("hotmail.*", POLICY_LIST_MX, &l, msg,
					   sizeof(msg)),
			 -1);
	assert_int_equal(
	    policy_parse_list("*", POLICY_LIST_MX, &l, msg, sizeof(msg)), -1);
	assert_int_equal(policy_parse_list("none", POLICY_LIST_CATEGORIES, &l,
					   msg, sizeof(msg)),
			 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(policy_parse_list("routing other",
					   POLICY_LIST_CATEGORIES, &l, msg,
					   sizeof(msg)),
			 0);
	assert_int_equal(l.n, 2);
	policy_strlist_free(&l);
	/* LIMIT_POLICY_LIST items pass, one more is refused */
	for (int i = 0; i < LIMIT_POLICY_LIST; i++)
		used += (size_t)snprintf(big + used, sizeof(big) - used,
					 "d%d.t,", i);
	big[used - 1] = '\0';
	assert_int_equal(
	    policy_parse_list(big, POLICY_LIST_DOMAINS, &l, msg, sizeof(msg)),
	    0);
	assert_int_equal(l.n, LIMIT_POLICY_LIST);
	policy_strlist_free(&l);
	snprintf(big + used - 1, sizeof(big) - used + 1, ",x.t");
	assert_int_equal(
	    policy_parse_list(big, POLICY_LIST_DOMAINS, &l, msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "too many list items"));
	assert_null(l.items);
}

static void test_rule_and_hook_parse(void **state)
{
	struct policy_rule r;
	char msg[256];
	char **argv;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    policy_parse_rule("routing /a/b|c;d/i", &r, msg, sizeof(msg)), 0);
	assert_string_equal(r.category, "routing");
	assert_string_equal(r.regex, "a/b|c;d");
	assert_int_equal(r.caseless, 1);
	free(r.regex);
	assert_int_equal(
	    policy_parse_rule("routing /x(/", &r, msg, sizeof(msg)), -1);
	assert_non_null(
	    strstr(msg, "bad regex at offset 2: missing closing parenthesis"));
	assert_int_equal(
	    policy_parse_rule("routing /x/ii", &r, msg, sizeof(msg)), -1);
	assert_int_equal(policy_parse_rule("routing x/", &r, msg, sizeof(msg)),
			 -1);
	assert_int_equal(policy_parse_rule("spam /x/", &r, msg, sizeof(msg)),
			 -1);
	assert_int_equal(policy_parse_rule("/x/", &r, msg, sizeof(msg)), -1);

	assert_int_equal(
	    policy_parse_hook("/usr/lib/retryd/flush-unbound  %r\t%d", &argv,
			      msg, sizeof(msg)),
	    0);
	assert_string_equal(argv[0], "/usr/lib/retryd/flush-unbound");
	assert_string_equal(argv[1], "%r");
	assert_string_equal(argv[2], "%d");
	assert_null(argv[3]);
	policy_argv_free(argv);
	assert_int_equal(
	    policy_parse_hook("/bin/a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
			      &argv, msg, sizeof(msg)),
	    0);
	policy_argv_free(argv);
	assert_int_equal(
	    policy_parse_hook("/bin/a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
			      &argv, msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "too many words"));
	assert_int_equal(
	    policy_parse_hook("/bin/a 50%", &argv, msg, sizeof(msg)), -1);
	assert_int_equal(
	    policy_parse_hook("/bin/a 50%%", &argv, msg, sizeof(msg)), 0);
	policy_argv_free(argv);
}

/* ---- loading ---- */

static void test_defaults(void **state)
{
	const char *rc = write_tmp(
	    "resolv.test",
	    "# comment\nsearch example\nnameserver 10.1.2.3\n"
	    "nameserver fe80::1%eth0\nnameserver ::1\noptions edns0\n");
	struct policy *p = NULL;
	char host[256] = "", want[LIMIT_HOST_ID + 1];

	(void)state;
	assert_int_equal(policy_load_from(write_tmp("empty.ini", ""), rc, &p,
					  err, sizeof(err)),
			 0);
	assert_string_equal(p->mta, "postfix");
	assert_string_equal(p->plugin_dir, "/usr/lib/retryd");
	assert_string_equal(p->state_dir, "/var/lib/retryd");
	assert_int_equal(p->observe, 0);
	assert_null(p->metrics_file);
	assert_int_equal(p->scan_interval, 30);
	assert_int_equal(p->max_hold, 6 * 86400);
	gethostname(host, sizeof(host));
	snprintf(want, sizeof(want), "%.*s", LIMIT_HOST_ID, host);
	assert_string_equal(p->host_id, want);
	assert_string_equal(p->postfix_config_dir, "/etc/postfix");
	assert_string_equal(p->postfix_log_file, "/var/log/mail.log");
	assert_string_equal(p->exim_binary, "/usr/sbin/exim4");
	assert_null(p->exim_config);
	assert_null(p->exim_held_domains_file);
	assert_string_equal(p->exim_log_file, "/var/log/exim4/mainlog");
	assert_int_equal(p->resolvers_mta.n, 2); /* the %scope one is skipped */
	assert_string_equal(p->resolvers_mta.items[0].text, "10.1.2.3:53");
	assert_string_equal(p->resolvers_mta.items[1].text, "[::1]:53");
	assert_int_equal(p->resolvers_independent.n, 2);
	assert_string_equal(p->resolvers_independent.items[0].text,
			    "1.1.1.1:53");
	assert_string_equal(p->resolvers_independent.items[1].text,
			    "9.9.9.9:53");
	assert_int_equal(p->authoritative, 1);
	assert_int_equal(p->tcp, 1);
	assert_int_equal(p->timeout_ms, 2000);
	assert_int_equal(p->verify_window, 60);
	assert_int_equal(p->backoff.ntiers, 3);
	assert_int_equal(p->backoff.tiers[0].after, 0);
	assert_int_equal(p->backoff.tiers[0].every, 300);
	assert_int_equal(p->backoff.tiers[0].action, POLICY_TIER_RETRY);
	assert_int_equal(p->backoff.tiers[1].after, 3600);
	assert_int_equal(p->backoff.tiers[1].every, 900);
	assert_int_equal(p->backoff.tiers[1].action,
			 POLICY_TIER_CHECK_RESOLVER);
	assert_int_equal(p->backoff.tiers[2].after, 14400);
	assert_int_equal(p->backoff.tiers[2].every, 3600);
	assert_int_equal(p->backoff.tiers[2].action, POLICY_TIER_ESCALATE);
	assert_int_equal(p->backoff.give_up, 5 * 86400);
	assert_int_equal(p->backoff.jitter_percent, 10);
	assert_int_equal(p->ngroups, 0);
	assert_int_equal(p->suppress_categories.n, 2);
	assert_string_equal(p->suppress_categories.items[0], "mailbox-unknown");
	assert_string_equal(p->suppress_categories.items[1],
			    "mailbox-disabled");
	assert_int_equal(p->min_failures, 3);
	assert_int_equal(p->min_span, 86400);
	assert_int_equal(p->require_healthy_dns, 1);
	assert_int_equal(p->on_suppress, POLICY_SUPPRESS_BOUNCE);
	/* no [classifier]: the shipped rules alone, built in */
	assert_int_equal(p->builtin_rules, 1);
	assert_true(p->nrules_builtin >= 20);
	assert_int_equal(p->nrules, p->nrules_builtin);
	assert_int_equal(p->rules[0].builtin, 1);
	assert_string_equal(p->rules[0].file, "classifier.ini (built in)");
	assert_null(p->hook_flush_resolver);
	assert_null(p->hook_escalate);
	policy_free(p);

	/* no resolv.conf at all: 127.0.0.1 */
	assert_int_equal(policy_load_from(write_tmp("empty.ini", ""),
					  "/nonexistent/resolv.conf", &p, err,
					  sizeof(err)),
			 0);
	assert_int_equal(p->resolvers_mta.n, 1);
	assert_string_equal(p->resolvers_mta.items[0].text, "127.0.0.1:53");
	policy_free(p);
}

static void test_full_file(void **state)
{
	struct policy *p =
	    load_ok(srcdir_fx_path("tests/data/policy-good/03-full.ini"));
	const struct policy_group *slow, *ms;

	(void)state;
	assert_string_equal(p->mta, "exim");
	assert_int_equal(p->scan_interval, 90);
	assert_string_equal(p->host_id, "mx-out-7.example");
	assert_int_equal(p->observe, 1);
	assert_string_equal(p->metrics_file, "/srv/retryd/retryd.prom");
	{
		const char *where;

		assert_int_equal(
		    policy_key_where(p, "retryd", "state_dir", &where), 5);
		assert_non_null(strstr(where, "03-full.ini"));
		assert_int_equal(policy_key_where(p, "hooks", "nokey", &where),
				 0);
		assert_string_equal(where, p->file);
	}
	assert_string_equal(p->exim_config, "/etc/exim4/retry.conf");
	assert_string_equal(p->exim_held_domains_file,
			    "/var/lib/retryd/exim/held-domains");
	assert_int_equal(p->resolvers_mta.n, 3);
	assert_string_equal(p->resolvers_mta.items[1].text, "127.0.0.54:5353");
	assert_string_equal(p->resolvers_mta.items[2].text, "[::1]:5300");
	assert_int_equal(p->resolvers_independent.n, 3);
	assert_int_equal(p->resolvers_independent.items[1].family, AF_INET6);
	assert_int_equal(p->authoritative, 0);
	assert_int_equal(p->tcp, 0);
	assert_int_equal(p->timeout_ms, 3000);
	assert_int_equal(p->verify_window, 0);
	assert_int_equal(p->backoff.ntiers, 3);
	assert_int_equal(p->backoff.tiers[1].after, 1800);
	assert_int_equal(p->backoff.give_up, 7 * 86400);
	assert_int_equal(p->backoff.jitter_percent, 0);
	assert_int_equal(p->ngroups, 2);
	ms = policy_group_named(p, "microsoft");
	slow = policy_group_named(p, "slow");
	assert_non_null(ms);
	assert_non_null(slow);
	assert_null(policy_group_named(p, "Microsoft"));
	assert_int_equal(ms->has_own_backoff, 0);
	assert_true(backoff_equal(&ms->backoff, &p->backoff));
	assert_int_equal(ms->line, 36);
	assert_int_equal(slow->has_own_backoff, 1);
	assert_int_equal(slow->backoff.ntiers, 1);
	assert_int_equal(slow->backoff.tiers[0].every, 3600);
	assert_int_equal(slow->backoff.give_up, 2 * 86400);
	assert_int_equal(slow->backoff.jitter_percent, 25);
	assert_string_equal(slow->domains.items[0], "example.org");
	assert_ptr_equal(policy_backoff_for(p, slow), &slow->backoff);
	assert_ptr_equal(policy_backoff_for(p, NULL), &p->backoff);
	assert_int_equal(p->suppress_categories.n, 1);
	assert_int_equal(p->min_failures, 5);
	assert_int_equal(p->require_healthy_dns, 0);
	assert_int_equal(p->on_suppress, POLICY_SUPPRESS_RELEASE);
	assert_int_equal(p->nrules - p->nrules_builtin, 3);
	assert_string_equal(p->rules[0].regex, "5\\.1\\.1 .*user unknown");
	assert_int_equal(p->rules[1].caseless, 0);
	assert_string_equal(p->rules[2].regex, "a;b");
	assert_int_equal(p->rules[2].line, 56);
	assert_string_equal(p->hook_escalate[1], "--domain=%d");
	assert_string_equal(p->hook_escalate[4], "100%%");
	assert_null(p->hook_escalate[5]);
	policy_free(p);
}

static void test_includes(void **state)
{
	const char *top =
	    srcdir_fx_path("tests/data/policy-good/04-include.ini");
	struct policy *p = load_ok(top);
	char want[2048];

	(void)state;
	assert_string_equal(
	    p->mta, "exim"); /* from inc/sections.ini, before its header */
	assert_int_equal(p->ngroups, 1);
	assert_int_equal(p->nrules - p->nrules_builtin, 4);
	assert_string_equal(p->rules[0].category, "null-mx");
	assert_string_equal(p->rules[1].category, "routing");
	assert_string_equal(p->rules[2].category, "mailbox-full");
	assert_string_equal(p->rules[3].category, "other");
	snprintf(want, sizeof(want), "%s",
		 srcdir_fx_path("tests/data/policy-good/inc/rules.ini"));
	assert_string_equal(p->rules[1].file, want);
	assert_int_equal(p->rules[1].line, 2);
	assert_string_equal(p->rules[0].file, top);
	policy_free(p);

	/* the shipped policy: classifier.ini built in, after any local rule */
	p = load_ok(srcdir_fx_path("policy/retryd.ini"));
	assert_true(p->nrules >= 2);
	assert_non_null(strstr(p->rules[0].file, "classifier.ini"));
	assert_int_equal(p->rules[p->nrules - 1].builtin, 1);
	assert_non_null(policy_group_named(p, "microsoft"));
	policy_free(p);
}

/* ---- groups ---- */

static void test_group_membership(void **state)
{
	struct policy *p = load_text_ok(
	    "[group microsoft]\n"
	    "domains = hotmail.*, outlook.*, live.*, msn.com\n"
	    "mx = *.olc.protection.outlook.com, *.mail.protection.outlook.com\n"
	    "[group google]\n"
	    "domains = gmail.com\n"
	    "mx = aspmx.l.google.com\n");
	const struct policy_group *ms = policy_group_named(p, "microsoft");
	const struct policy_group *g = policy_group_named(p, "google");

	(void)state;
	assert_ptr_equal(policy_group_for(p, "hotmail.com", NULL), ms);
	assert_ptr_equal(policy_group_for(p, "HOTMAIL.COM.", NULL), ms);
	assert_ptr_equal(policy_group_for(p, "hotmail.co.uk", NULL), ms);
	assert_ptr_equal(policy_group_for(p, "hotmail.test", NULL), ms);
	assert_ptr_equal(policy_group_for(p, "hotmail.com.br", NULL), ms);
	assert_ptr_equal(policy_group_for(p, "eu.hotmail.fr", NULL), ms);
	assert_ptr_equal(policy_group_for(p, "msn.com", NULL), ms);
	assert_ptr_equal(policy_group_for(p, "email.msn.com", NULL), ms);
	assert_null(policy_group_for(p, "notmsn.com", NULL));
	assert_null(policy_group_for(p, "msn.com.evil.test", NULL));
	assert_null(policy_group_for(p, "nothotmail.com", NULL));
	assert_null(policy_group_for(p, "hotmailx.com", NULL));
	assert_null(policy_group_for(p, "hotmail.attacker.example", NULL));
	assert_null(policy_group_for(p, "hotmail", NULL));
	assert_null(policy_group_for(p, "", NULL));
	assert_ptr_equal(policy_group_for(p, "gmail.com", NULL), g);
	/* by MX */
	assert_ptr_equal(
	    policy_group_for(p, "contoso.example",
			     "contoso-example.mail.protection.outlook.com"),
	    ms);
	assert_ptr_equal(
	    policy_group_for(p, "x.test",
			     "HOTMAIL-COM.OLC.PROTECTION.OUTLOOK.COM."),
	    ms);
	assert_ptr_equal(
	    policy_group_for(p, "x.test", "a.b.mail.protection.outlook.com"),
	    ms);
	assert_null(
	    policy_group_for(p, "x.test", "mail.protection.outlook.com"));
	assert_null(
	    policy_group_for(p, "x.test", "evilmail.protection.outlook.com"));
	assert_ptr_equal(policy_group_for(p, "x.test", "ASPMX.L.google.com"),
			 g);
	assert_null(policy_group_for(p, "x.test", "alt1.aspmx.l.google.com"));
	assert_null(policy_group_for(p, "x.test", NULL));
	/* the name wins over the MX */
	assert_ptr_equal(
	    policy_group_for(p, "gmail.com", "x.mail.protection.outlook.com"),
	    g);
	assert_null(policy_group_named(p, "yahoo"));
	policy_free(p);
}

/* builtin_rules = no: only the local rules, explicitly */
static void test_builtin_rules_no(void **state)
{
	struct policy *p = load_ok(
	    write_tmp("nobuiltin.ini", "[classifier]\nbuiltin_rules = no\n"
				       "rule = other /x/\n"));

	(void)state;
	assert_int_equal(p->builtin_rules, 0);
	assert_int_equal(p->nrules, 1);
	assert_int_equal(p->nrules_builtin, 0);
	policy_free(p);
}

/*
 * fallback_rule = CATEGORY /REGEX/: the rule syntax, kept in file order
 * among the rules (local before built in), never address-level: refused
 * at its own line, mailbox-unknown and mailbox-disabled alike.
 */
static void test_fallback_rule(void **state)
{
	struct policy *p;
	const char *e;
	char path[600];
	size_t nfallback = 0;

	(void)state;
	p = load_ok(
	    srcdir_fx_path("tests/data/policy-good/13-fallback-rule.ini"));
	assert_int_equal(p->nrules - p->nrules_builtin, 4);
	assert_int_equal(p->rules[0].fallback, 0);
	assert_int_equal(p->rules[1].fallback, 1);
	assert_string_equal(p->rules[1].category, "connection");
	assert_string_equal(p->rules[1].regex, "\\blost\\b");
	assert_int_equal(p->rules[1].caseless, 1);
	assert_int_equal(p->rules[1].line, 4);
	assert_int_equal(p->rules[1].builtin, 0);
	assert_int_equal(p->rules[2].fallback, 0);
	assert_int_equal(p->rules[3].fallback, 1);
	assert_int_equal(p->rules[3].caseless, 0);
	/* the built-in ones, fallback rules among them, come after */
	for (size_t i = 4; i < p->nrules; i++) {
		assert_int_equal(p->rules[i].builtin, 1);
		nfallback += (size_t)p->rules[i].fallback;
	}
	assert_true(nfallback < p->nrules_builtin);
	policy_free(p);
	round_trip(
	    srcdir_fx_path("tests/data/policy-good/13-fallback-rule.ini"));

	e = load_text_err("[classifier]\n"
			  "fallback_rule = mailbox-unknown /unknown/i\n"
			  "fallback_rule = rate-limit /rate/i\n"
			  "fallback_rule = mailbox-disabled /disabled/i\n"
			  "fallback_rule = spam /x/\n"
			  "fallback_rule = other x\n");
	snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
	assert_true(has_error(e, path, 2,
			      "fallback_rule: 'mailbox-unknown' is "
			      "address-level"));
	assert_true(has_error(e, path, 4,
			      "fallback_rule: 'mailbox-disabled' is "
			      "address-level"));
	assert_true(has_error(e, path, 5, "unknown category 'spam'"));
	assert_true(has_error(e, path, 6, "the regex must be written"));
	assert_null(strstr(e, "t.ini:3:"));
}

/*
 * address_guard = /REGEX/ (repeats) and guarded_rule = CATEGORY /REGEX/:
 * the guards in file order (local before built in), guarded rules among
 * the rules; a guarded rule must be address-level, a guard must not match
 * an empty text (it would keep every guarded rule from deciding); each
 * mistake is refused at its own line. retryd -t prints them back.
 */
static void test_address_guard(void **state)
{
	struct policy *p;
	const char *e;
	char path[600], *text;
	size_t nguarded = 0;

	(void)state;
	p = load_ok(
	    srcdir_fx_path("tests/data/policy-good/14-address-guard.ini"));
	assert_int_equal(p->nrules - p->nrules_builtin, 3);
	assert_int_equal(p->rules[0].guarded, 0);
	assert_int_equal(p->rules[1].guarded, 1);
	assert_string_equal(p->rules[1].category, "mailbox-unknown");
	assert_int_equal(p->rules[1].line, 5);
	assert_int_equal(p->rules[2].guarded, 1);
	assert_true(p->nguards >= 2);
	assert_string_equal(p->guards[0].regex, "\\bsender\\b");
	assert_int_equal(p->guards[0].caseless, 1);
	assert_int_equal(p->guards[0].line, 3);
	assert_int_equal(p->guards[0].builtin, 0);
	assert_string_equal(p->guards[1].regex, "log ?in");
	assert_int_equal(p->guards[1].caseless, 0);
	assert_int_equal(p->guards[1].line, 6);
	/* the shipped ones come after, marked built in */
	for (size_t i = 2; i < p->nguards; i++)
		assert_int_equal(p->guards[i].builtin, 1);
	for (size_t i = 3; i < p->nrules; i++)
		nguarded += (size_t)p->rules[i].guarded;
	assert_true(nguarded < p->nrules_builtin);
	text = print_to_string(p);
	assert_non_null(strstr(text, "\naddress_guard = /\\bsender\\b/i\n"));
	assert_non_null(strstr(text, "\naddress_guard = /log ?in/\n"));
	assert_non_null(strstr(
	    text, "\nguarded_rule = mailbox-unknown /\\bno such user\\b/i\n"));
	free(text);
	policy_free(p);
	round_trip(
	    srcdir_fx_path("tests/data/policy-good/14-address-guard.ini"));

	e = load_text_err("[classifier]\n"
			  "guarded_rule = routing /x/\n"
			  "guarded_rule = mailbox-disabled /disabled/i\n"
			  "address_guard = /(sender/i\n"
			  "address_guard = /a*/\n"
			  "address_guard = sender\n"
			  "address_guard = /x/q\n"
			  "guarded_rule = other /y/\n");
	snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
	assert_true(has_error(e, path, 2,
			      "guarded_rule: 'routing' is not address-level"));
	assert_null(strstr(e, "t.ini:3:"));
	assert_true(has_error(e, path, 4, "address_guard: bad regex"));
	assert_true(has_error(e, path, 5,
			      "address_guard: the regex matches an empty "
			      "text"));
	assert_true(has_error(e, path, 6, "address_guard: expected"));
	assert_true(has_error(e, path, 7, "address_guard: bad flags"));
	assert_true(has_error(e, path, 8,
			      "guarded_rule: 'other' is not address-level"));
}

/*
 * test_rule_limit - LIMIT_POLICY_RULES rules load, one more is refused at
 * its own line; local and built-in rules count together, and a policy that
 * also includes a copy of the shipped classifier.ini (as one written for an
 * older retryd does) still loads with room to spare.
 */
static void test_rule_limit(void **state)
{
	size_t cap = 64 + (size_t)LIMIT_POLICY_RULES * 24, used;
	char *text = malloc(cap), inc[PATH_MAX + 40], abs[PATH_MAX];
	struct policy *p;
	const char *e;

	(void)state;
	assert_non_null(text);
	used =
	    (size_t)snprintf(text, cap, "[classifier]\nbuiltin_rules = no\n");
	for (int i = 0; i < LIMIT_POLICY_RULES; i++)
		used += (size_t)snprintf(text + used, cap - used,
					 "rule = other /r%d/\n", i);
	p = load_text_ok(text);
	assert_int_equal(p->nrules, LIMIT_POLICY_RULES);
	policy_free(p);
	snprintf(text + used, cap - used, "rule = other /one-more/\n");
	e = load_text_err(text);
	assert_true(has_error(e, write_tmp("t.ini", text),
			      LIMIT_POLICY_RULES + 3, "too many rules"));
	/* fallback rules count against the same limit */
	snprintf(text + used, cap - used, "fallback_rule = other /one-more/\n");
	e = load_text_err(text);
	assert_true(has_error(e, write_tmp("t.ini", text),
			      LIMIT_POLICY_RULES + 3, "too many rules"));
	free(text);

	assert_non_null(realpath(srcdir_fx_path("policy/classifier.ini"), abs));
	snprintf(inc, sizeof(inc), "[classifier]\ninclude = %s\n", abs);
	p = load_text_ok(inc);
	assert_true(p->nrules_builtin > 0);
	assert_int_equal(p->nrules, 2 * p->nrules_builtin);
	assert_true(p->nrules <= LIMIT_POLICY_RULES / 2);
	policy_free(p);
}

/* ---- round trips ---- */

static void test_round_trip_default(void **state)
{
	(void)state;
	round_trip(srcdir_fx_path("policy/retryd.ini"));
	round_trip(write_tmp("empty.ini", ""));
}

static void test_round_trip_good_corpus(void **state)
{
	DIR *d = opendir(srcdir_fx_path("tests/data/policy-good"));
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char rel[512];

		if (strlen(e->d_name) < 5 ||
		    strcmp(e->d_name + strlen(e->d_name) - 4, ".ini") != 0)
			continue;
		snprintf(rel, sizeof(rel), "tests/data/policy-good/%s",
			 e->d_name);
		round_trip(srcdir_fx_path(rel));
		n++;
	}
	closedir(d);
	assert_true(n >= 10);
}

static void test_print_compacts_long_lists(void **state)
{
	char text[512], line[256];
	size_t used;
	struct policy *p;
	char *printed;

	(void)state;
	/* 196 bytes written compactly: "domains = a, b" would be longer */
	used = (size_t)snprintf(line, sizeof(line), "domains=");
	for (int i = 0; used + 7 <= 196; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used,
					 "%sd%02d.t", i ? "," : "", i);
	assert_true(strlen(line) <= LIMIT_INI_LINE);
	snprintf(text, sizeof(text), "[group big]\n%s\n", line);
	p = load_text_ok(text);
	printed = print_to_string(p);
	assert_non_null(strstr(printed, line));
	free(printed);
	policy_free(p);
	round_trip(write_tmp("big.ini", text));
}

/* long_rule - "KEY = CATEGORY /x.../i" of exactly @param len bytes in
 * @param buf (a guard when @param category is "") */
static const char *long_rule(char *buf, size_t len, const char *key,
			     const char *category)
{
	int n = snprintf(buf, len + 1, "%s = %s%s/", key, category,
			 category[0] ? " " : "");

	memset(buf + n, 'x', len - (size_t)n - 2);
	memcpy(buf + len - 2, "/i", 3);
	return buf;
}

/* a built-in rule printed as a comment stays within LIMIT_INI_LINE, never
 * cut (the shipped file's lines had to stay 2 bytes shorter: "; " was
 * added to a line the loader took at LIMIT_INI_LINE); local rule lines of
 * LIMIT_INI_LINE bytes round-trip; a longer one is refused where it is,
 * and a longer regex is never printed cut */
static void test_print_long_rules(void **state)
{
	char text[4 * LIMIT_INI_LINE], l1[LIMIT_INI_LINE + 1],
	    l2[LIMIT_INI_LINE + 1], l3[LIMIT_INI_LINE + 1], *printed, *big;
	struct policy *p;
	const char *e;
	size_t n = 0;

	(void)state;
	/* local lines of exactly LIMIT_INI_LINE bytes */
	snprintf(
	    text, sizeof(text), "[classifier]\n%s\n%s\n%s\n",
	    long_rule(l1, LIMIT_INI_LINE, "rule", "content"),
	    long_rule(l2, LIMIT_INI_LINE, "guarded_rule", "mailbox-unknown"),
	    long_rule(l3, LIMIT_INI_LINE, "address_guard", ""));
	round_trip(write_tmp("long.ini", text));

	/* the same rules taken as built in: comments of LIMIT_INI_LINE
	 * bytes at most, whole; the print loads back */
	/* rt holds what a failed assertion would leave (the teardown frees) */
	rt.a = p = load_text_ok(text);
	p->rules[0].builtin = p->rules[1].builtin = p->guards[0].builtin = 1;
	rt.t1 = printed = print_to_string(p);
	assert_non_null(strstr(printed, "\n;rule=content /xxx"));
	assert_non_null(
	    strstr(printed, "\n;guarded_rule=mailbox-unknown /xxx"));
	assert_non_null(strstr(printed, "\n;address_guard=/xxx"));
	for (const char *s = printed; *s != '\0'; s += n + (s[n] == '\n'))
		assert_in_range(n = strcspn(s, "\n"), 0, LIMIT_INI_LINE);
	policy_free(load_ok(write_tmp("printed.ini", printed)));
	free(printed);
	rt.t1 = NULL;

	/* a built-in regex of 4,000 bytes: over several comment lines, each
	 * within LIMIT_INI_LINE, together the whole rule */
	assert_non_null(big = malloc(4001));
	memset(big, 'y', 4000);
	big[4000] = '\0';
	free(p->rules[0].regex);
	p->rules[0].regex = big;
	rt.t1 = printed = print_to_string(p);
	{
		char joined[8192] = "";
		size_t used = 0;
		int in = 0; /* 1: on the rule's comment lines */

		for (const char *s = printed; *s != '\0';
		     s += n + (s[n] == '\n')) {
			n = strcspn(s, "\n");
			assert_in_range(n, 0, LIMIT_INI_LINE);
			in = strncmp(s, ";rule=content /y", 16) == 0 ||
			     (in && s[0] == ';' && s[1] != ' ' &&
			      memchr(s, '=', n) == NULL);
			if (in)
				used += (size_t)snprintf(
				    joined + used, sizeof(joined) - used,
				    "%.*s", (int)n - 1, s + 1);
		}
		assert_string_equal(joined + 4000 + 14, "/i");
		assert_int_equal(strlen(joined),
				 strlen("rule=content //i") + 4000);
		assert_int_equal(strspn(joined + 14, "y"), 4000);
	}
	policy_free(load_ok(write_tmp("printed.ini", printed)));
	free(printed);
	rt.t1 = NULL;

	/* the same regex as a local rule cannot be printed on one line: the
	 * print fails with E2BIG, nothing cut, nothing left allocated */
	p->rules[0].builtin = 0;
	errno = 0;
	assert_null(print_text(p));
	assert_int_equal(errno, E2BIG);
	policy_free(p);
	rt.a = NULL;

	/* a rule line of 4,000 bytes in a file: refused with its FILE:LINE
	 * (inih r55 would split it, docs: STYLE.md), nothing leaked */
	assert_non_null(big = malloc(4096));
	snprintf(big, 4096, "[classifier]\nrule = content /");
	memset(big + strlen(big), 'z', 4000);
	memcpy(big + 13 + 16 + 4000, "/\n", 3);
	e = load_text_err(big);
	free(big);
	snprintf(text, sizeof(text), "%s/t.ini", tmpdir);
	assert_true(has_error(e, text, 2, "line longer than 197 bytes (4017)"));
}

/* ---- errors ---- */

/* every file of the bad corpus fails with its expected FILE:LINE: message */
static void test_bad_corpus(void **state)
{
	DIR *d = opendir(srcdir_fx_path("tests/data/policy-bad"));
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char rel[512], path[2048], first[512], file[2048];
		const char *expect, *sub;
		struct policy *p = (struct policy *)1;
		FILE *fp;
		int line;

		if (strlen(e->d_name) < 5 ||
		    strcmp(e->d_name + strlen(e->d_name) - 4, ".ini") != 0)
			continue;
		snprintf(rel, sizeof(rel), "tests/data/policy-bad/%s",
			 e->d_name);
		snprintf(path, sizeof(path), "%s", srcdir_fx_path(rel));
		fp = fopen(path, "r");
		assert_non_null(fp);
		assert_non_null(fgets(first, sizeof(first), fp));
		fclose(fp);
		first[strcspn(first, "\n")] = '\0';
		if (strncmp(first, "; expect: ", 10) != 0)
			fail_msg("%s: no '; expect:' line", rel);
		expect = first + 10;
		snprintf(file, sizeof(file), "%s", path);
		if (strncmp(expect, "inc/", 4) ==
		    0) { /* PATH:LINE: in an included file */
			const char *colon = strchr(expect, ':');

			snprintf(file, sizeof(file), "%s/%.*s",
				 srcdir_fx_path("tests/data/policy-bad"),
				 (int)(colon - expect), expect);
			expect = colon + 1;
		}
		line = atoi(expect);
		sub = strstr(expect, ": ");
		assert_non_null(sub);
		sub += 2;
		if (policy_load(path, &p, err, sizeof(err)) != -1)
			fail_msg("%s: loaded", rel);
		assert_null(p);
		if (!has_error(err, file, line, sub))
			fail_msg("%s: expected error missing", rel);
		/* one mistake, one message: no cascades */
		assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
		n++;
	}
	closedir(d);
	assert_true(n >= 30);
}

static void test_errors_collected(void **state)
{
	const char *e;

	(void)state;
	e = load_text_err("[retryd]\n"				       /* 1 */
			  "mta = qmail\n"			       /* 2 */
			  "scan_interval = soon\n"		       /* 3 */
			  "[backoff]\n"				       /* 4 */
			  "tier = 0s every 5m\n"		       /* 5 */
			  "tier = 0s every 10m\n"		       /* 6 */
			  "[nosuch]\n"				       /* 7 */
			  "ignored = because the section is unknown\n" /* 8 */
			  "[suppression]\n"			       /* 9 */
			  "on_suppress = bounce\n"		       /* 10 */
			  "on_suppress = release\n"		       /* 11 */
			  "[resolvers]\n"			       /* 12 */
			  "mta = 1.2.3.4:99999\n");		       /* 13 */
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
		assert_true(has_error(e, path, 2, "unknown mta"));
		assert_true(has_error(e, path, 3, "bad duration"));
		assert_true(has_error(e, path, 6, "increasing ages"));
		assert_true(has_error(e, path, 7, "unknown section [nosuch]"));
		assert_true(
		    has_error(e, path, 11,
			      "duplicate key 'on_suppress' in [suppression]"));
		assert_true(has_error(e, path, 13, "bad resolver address"));
	}
	{ /* in file order, exactly six */
		int lines = 0;

		for (const char *s = e; *s; s++)
			lines += *s == '\n';
		assert_int_equal(lines, 6);
	}
}

static void test_inih_hazards(void **state)
{
	char text[1024], path[512], name[64];
	struct policy *p;
	const char *e;

	(void)state;
	snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
	/* 197 bytes pass, 198 are refused */
	snprintf(text, sizeof(text), "[retryd]\nstate_dir = /%0184d\n", 0);
	assert_int_equal(strlen(strchr(text, '\n') + 1), 198);
	p = load_text_ok(text);
	assert_int_equal(strlen(p->state_dir), 197 - strlen("state_dir = "));
	policy_free(p);
	snprintf(text, sizeof(text), "[retryd]\nstate_dir = /%0185d\n", 0);
	e = load_text_err(text);
	assert_true(has_error(e, path, 2, "line longer than 197 bytes (198)"));

	/* a long comment whose tail raw inih would read as give_up = 0s */
	snprintf(text, sizeof(text), "[backoff]\n; %0197d give_up = 0s\n", 0);
	e = load_text_err(text);
	assert_true(has_error(e, path, 2, "line longer than 197 bytes"));
	assert_null(strstr(e, "give_up"));

	/* section names: 48 bytes reach us whole, 49 are refused */
	memset(name, 's', 48);
	name[48] = '\0';
	snprintf(text, sizeof(text), "[%s]\n", name);
	e = load_text_err(text);
	assert_true(has_error(e, path, 1, "unknown section"));
	assert_non_null(strstr(e, name));
	snprintf(text, sizeof(text), "[%ss]\nk = v\n", name);
	e = load_text_err(text);
	assert_true(has_error(e, path, 1, "section name longer than 48 bytes"));
	/* key names likewise */
	snprintf(text, sizeof(text), "[retryd]\n%sk = v\n", name);
	e = load_text_err(text);
	assert_true(has_error(e, path, 2, "key name longer than 48 bytes"));

	/* an indented key = value (inih would append it to mta's value) */
	e = load_text_err("[retryd]\nmta = postfix\n    state_dir = /tmp\n");
	assert_true(has_error(e, path, 3, "indented line"));
	/* an indented comment or blank line is fine */
	p = load_text_ok("[retryd]\nmta = exim\n   ; comment\n\t\n");
	assert_string_equal(p->mta, "exim");
	policy_free(p);

	/* a duplicate key (inih calls the handler twice) */
	e = load_text_err("[retryd]\nmta = postfix\nmta = exim\n");
	assert_true(has_error(e, path, 3, "duplicate key 'mta' in [retryd]"));

	/* inline comments: after a blank only */
	p = load_text_ok("[backoff]\ngive_up = 4d ; four "
			 "days\n[classifier]\nrule = other /a;b/\n");
	assert_int_equal(p->backoff.give_up, 4 * 86400);
	assert_string_equal(p->rules[0].regex, "a;b");
	policy_free(p);
}

static void test_missing_file_and_small_buffer(void **state)
{
	struct policy *p = (struct policy *)1;
	char small[40];
	const char *text = "[retryd]\nmta = a\nscan_interval = b\nmode = c\n";

	(void)state;
	assert_int_equal(
	    policy_load("/nonexistent/retryd.ini", &p, err, sizeof(err)), -1);
	assert_null(p);
	assert_string_equal(err, "/nonexistent/retryd.ini: cannot open: No "
				 "such file or directory\n");
	/* errors never overflow the caller's buffer, and the load still fails
	 */
	memset(small, 'Z', sizeof(small));
	assert_int_equal(policy_load(write_tmp("t.ini", text), &p, small, 20),
			 -1);
	assert_null(p);
	assert_true(strlen(small) < 20);
	assert_int_equal(small[20], 'Z');
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_policy.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_fx_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_parse),
	    cmocka_unit_test(test_duration_format),
	    cmocka_unit_test(test_resolver_parse),
	    cmocka_unit_test(test_scalars),
	    cmocka_unit_test(test_tier_parse),
	    cmocka_unit_test(test_list_parse),
	    cmocka_unit_test(test_rule_and_hook_parse),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_includes),
	    cmocka_unit_test(test_group_membership),
	    cmocka_unit_test(test_builtin_rules_no),
	    cmocka_unit_test_teardown(test_fallback_rule, round_trip_teardown),
	    cmocka_unit_test_teardown(test_address_guard, round_trip_teardown),
	    cmocka_unit_test(test_rule_limit),
	    cmocka_unit_test_teardown(test_round_trip_default,
				      round_trip_teardown),
	    cmocka_unit_test_teardown(test_round_trip_good_corpus,
				      round_trip_teardown),
	    cmocka_unit_test_teardown(test_print_compacts_long_lists,
				      round_trip_teardown),
	    cmocka_unit_test_teardown(test_print_long_rules,
				      round_trip_teardown),
	    cmocka_unit_test(test_bad_corpus),
	    cmocka_unit_test(test_errors_collected),
	    cmocka_unit_test(test_inih_hazards),
	    cmocka_unit_test(test_missing_file_and_small_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

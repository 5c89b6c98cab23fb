/*
 * test_export - the generators behind `retryctl export`.
 *
 * Names to expressions (and the refusals), the expressions against
 * policy_group_for() on many names so the filter cannot drift from the
 * policy, the Postfix filter and Exim list text, and each suppressed
 * format: unsafe keys skipped, texts masked, CSV quoting, JSON read
 * back with jansson. Real postmap/Exim checks: tests/cli/export.t.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "export/export.h"

/* A policy with one group, built by hand (a fake for pure logic). */
static struct policy *mk_policy(char **domains, size_t nd, char **mx, size_t nm)
{
	struct policy *p = calloc(1, sizeof(*p));

	p->ngroups = 1;
	strcpy(p->groups[0].name, "microsoft");
	p->groups[0].domains.items = domains;
	p->groups[0].domains.n = nd;
	p->groups[0].mx.items = mx;
	p->groups[0].mx.n = nm;
	return p;
}

/* Run @param fn's output into a string the caller frees. */
static char *capture_filter(const struct policy *p, int exim, int inl, int *rc,
			    char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	*rc = exim ? export_exim_domains(p, "t.ini", inl, fp, err, errlen)
		   : export_postfix_filter(p, "t.ini", fp, err, errlen);
	fclose(fp);
	return buf;
}

static void test_name_regex(void **state)
{
	char re[600], err[256];

	(void)state;
	assert_int_equal(export_name_regex("hotmail.com", 0, re, sizeof(re),
					   err, sizeof(err)),
			 0);
	assert_string_equal(re, "([-_a-z0-9]+\\.)*hotmail\\.com");
	assert_int_equal(export_name_regex("*.olc.protection.outlook.com", 1,
					   re, sizeof(re), err, sizeof(err)),
			 0);
	assert_string_equal(
	    re, "([-_a-z0-9]+\\.)+olc\\.protection\\.outlook\\.com");
	assert_int_equal(export_name_regex("mx1.example.test", 1, re,
					   sizeof(re), err, sizeof(err)),
			 0);
	assert_string_equal(re, "mx1\\.example\\.test");
	assert_int_equal(
	    export_name_regex("hotmail.*", 0, re, sizeof(re), err, sizeof(err)),
	    0);
	assert_non_null(strstr(re, "hotmail(\\.[-_a-z0-9]+|\\.(co|com|"));
}

static void test_name_regex_refuses(void **state)
{
	static const char *const bad_domains[] = {"Hotmail.com",
						  "hot mail.com",
						  "a/b.com",
						  "a$.com",
						  "(x).com",
						  "a+b.com",
						  "a\\.com",
						  "*.hotmail.com",
						  "a.*.com",
						  "a..b",
						  ".a.com",
						  "a.com.",
						  "",
						  "*",
						  "a|b.com",
						  "a[b].com",
						  "a\nb.com",
						  "é.com"};
	static const char *const bad_mx[] = {"hotmail.*", "a.*.b",  "*",
					     "*.",	  "x*.a.b", "*.a..b"};
	char re[600], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_domains) / sizeof(*bad_domains);
	     i++) {
		err[0] = 0;
		assert_int_equal(export_name_regex(bad_domains[i], 0, re,
						   sizeof(re), err,
						   sizeof(err)),
				 -1);
		assert_true(err[0] != 0);
	}
	for (size_t i = 0; i < sizeof(bad_mx) / sizeof(*bad_mx); i++)
		assert_int_equal(export_name_regex(bad_mx[i], 1, re, sizeof(re),
						   err, sizeof(err)),
				 -1);
	/* a name too long for the buffer is refused, not cut */
	assert_int_equal(
	    export_name_regex("hotmail.com", 0, re, 10, err, sizeof(err)), -1);
}

/*
 * The anti-drift check: for many names, the generated expression
 * matches exactly when policy_group_for() puts the name in the group.
 */
static void test_regex_agrees_with_policy(void **state)
{
	static char *domains[] = {"hotmail.com", "live.test", "hotmail.*",
				  "msn.*"};
	static char *mx[] = {"*.olc.protection.outlook.com", "mx1.example.net"};
	static const char *const names[] = {
	    "hotmail.com",
	    "HOTMAIL.COM",
	    "a.hotmail.com",
	    "a.b.hotmail.com",
	    "nothotmail.com",
	    "hotmail.com.evil",
	    "hotmail.co.uk",
	    "mail.hotmail.co.uk",
	    "hotmail.attacker.example",
	    "hotmail.de",
	    "hotmail",
	    "live.test",
	    "x.live.test",
	    "live.test.x",
	    "xlive.test",
	    "msn.com",
	    "msn.com.au",
	    "msn.au.com",
	    "msn.x.y",
	    "a.msn.net",
	    "hotmail-com.olc.protection.outlook.com",
	    "olc.protection.outlook.com",
	    "x.y.olc.protection.outlook.com",
	    "mx1.example.net",
	    "a.mx1.example.net",
	    "example.net",
	    "hotmail.org.uk",
	    "hotmail.ltd.uk",
	    "hotmail.zz.uk",
	    "under_score.hotmail.com",
	    "hotmail.co"};
	struct policy *p = mk_policy(domains, 4, mx, 2);
	char re[700], full[720], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		int want_d = policy_group_for(p, names[i], NULL) != NULL;
		int want_m = policy_group_for(p, NULL, names[i]) != NULL;
		int got_d = 0, got_m = 0;

		for (int kind = 0; kind < 2; kind++) {
			char **items = kind ? mx : domains;
			size_t n = kind ? 2 : 4;

			for (size_t j = 0; j < n; j++) {
				regex_t rx;
				int m;

				assert_int_equal(
				    export_name_regex(items[j], kind, re,
						      sizeof(re), err,
						      sizeof(err)),
				    0);
				snprintf(full, sizeof(full), "^%s$", re);
				/* Postfix regexp: tables are caseless */
				assert_int_equal(regcomp(&rx, full,
							 REG_EXTENDED |
							     REG_ICASE |
							     REG_NOSUB),
						 0);
				m = regexec(&rx, names[i], 0, NULL, 0) == 0;
				regfree(&rx);
				if (kind)
					got_m |= m;
				else
					got_d |= m;
			}
		}
		if (got_d != want_d || got_m != want_m)
			fail_msg("%s: regex domain=%d mx=%d, policy domain=%d "
				 "mx=%d",
				 names[i], got_d, got_m, want_d, want_m);
	}
	free(p);
}

static void test_postfix_filter_text(void **state)
{
	static char *domains[] = {"hotmail.test", "hotmail.*"};
	static char *mx[] = {"*.olc.protection.outlook.test"};
	struct policy *p = mk_policy(domains, 2, mx, 1);
	char err[256];
	int rc;
	char *out = capture_filter(p, 0, 0, &rc, err, sizeof(err));

	(void)state;
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out,
			       "#   smtp_delivery_status_filter = "
			       "regexp:/etc/postfix/retryd_status_filter\n"));
	assert_non_null(strstr(
	    out, "\n/^5\\.4\\.4 (Host or domain name not found\\. Name service "
		 "error for name=([-_a-z0-9]+\\.)*hotmail\\.test type=[A-Z]+: "
		 ".*)$/ 4.4.4 $1\n"));
	assert_non_null(strstr(out, "name=([-_a-z0-9]+\\.)+olc\\.protection"
				    "\\.outlook\\.test type=[A-Z]+: .*)$/ "
				    "4.4.4 $1\n"));
	assert_non_null(strstr(out, "\n# group microsoft\n"));
	/* every non-comment line is one rewrite rule, 3 in all */
	{
		size_t rules = 0;

		for (char *l = out; l && *l;
		     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (*l == '/')
				rules++;
			else
				assert_true(*l == '#' || *l == '\n');
		assert_int_equal(rules, 3);
	}
	free(out);
	free(p);
}

static void test_filter_refuses_bad_policy_name(void **state)
{
	static char *domains[] = {"good.test", "bad$(x).test"};
	struct policy *p = mk_policy(domains, 2, NULL, 0);
	char err[256];
	int rc;
	char *out;

	(void)state;
	out = capture_filter(p, 0, 0, &rc, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "group microsoft: domain 'bad$(x).test'"));
	free(out);
	out = capture_filter(p, 1, 0, &rc, err, sizeof(err));
	assert_int_equal(rc, -1);
	free(out);
	free(p);
}

static void test_exim_domains_text(void **state)
{
	static char *domains[] = {"hotmail.test", "live.*"};
	static char *mx[] = {"*.olc.protection.outlook.test"};
	struct policy *p = mk_policy(domains, 2, mx, 1);
	char err[256];
	int rc;
	char *out = capture_filter(p, 1, 0, &rc, err, sizeof(err));

	(void)state;
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out,
			       "\nhotmail.test\n*.hotmail.test\n^([-_a-z0-9]+"
			       "\\.)*live(\\.[-_a-z0-9]+|\\.(co|"));
	assert_non_null(strstr(out, ")\\.[-_a-z0-9]+)$\n"));
	assert_non_null(strstr(out, "*.olc.protection.outlook.test"));
	free(out);
	out = capture_filter(p, 1, 1, &rc, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out,
			       "\nfail_defer_domains = hotmail.test : "
			       "*.hotmail.test : \\N^([-_a-z0-9]+\\.)*live("));
	assert_non_null(strstr(out, ")$\\N\n"));
	free(out);
	free(p);
}

static const struct store_suppressed recs[] = {
    {"alice@hotmail.test", 1714557600, "mailbox-unknown x3 over 26h", "e1"},
    {"hotmail.test", 1714557600, "no local part: would reject a domain", ""},
    {"@hotmail.test", 1714557600, "empty local part", ""},
    {"bob@", 1714557600, "empty domain", ""},
    {"a b@hotmail.test", 1714557600, "space", ""},
    {"#c@hotmail.test", 1714557600, "comment", ""},
    {"d:e@hotmail.test", 1714557600, "colon, bad for exim", ""},
    {"f@hotmail.test", 1714557600, "line\nbreak, \"quoted\", \x01 ctl", "e2"},
    {"g@hotmail.test", 1714557600, "", ""},
};
#define NRECS (sizeof(recs) / sizeof(recs[0]))

static char *capture_suppressed(enum export_format f, struct export_sink *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	export_suppressed_begin(s, fp, f, 1714600000);
	for (size_t i = 0; i < NRECS; i++)
		export_suppressed_add(s, &recs[i]);
	assert_int_equal(export_suppressed_end(s), 0);
	fclose(fp);
	return buf;
}

static void test_suppressed_postfix(void **state)
{
	struct export_sink s;
	char *out = capture_suppressed(EXPORT_POSTFIX, &s);

	(void)state;
	assert_int_equal(s.written, 4);
	assert_int_equal(s.skipped, 5);
	assert_non_null(
	    strstr(out, "#   postmap hash:/etc/postfix/retryd_suppressed\n"));
	assert_non_null(strstr(out,
			       "\nalice@hotmail.test REJECT 5.1.1 recipient "
			       "suppressed by retryd: mailbox-unknown x3 "
			       "over 26h\n"));
	assert_non_null(strstr(out, "\nd:e@hotmail.test REJECT 5.1.1 "));
	assert_non_null(strstr(out, "\nf@hotmail.test REJECT 5.1.1 recipient "
				    "suppressed by retryd: line?break, "
				    "\"quoted\", ? ctl\n"));
	assert_non_null(strstr(out, "\ng@hotmail.test REJECT 5.1.1 recipient "
				    "suppressed by retryd: suppressed\n"));
	assert_null(strstr(out, "\nhotmail.test "));
	assert_null(strstr(out, "\n@hotmail.test"));
	assert_null(strstr(out, "a b@"));
	assert_null(strstr(out, "\n#c@"));
	free(out);
}

static void test_suppressed_exim(void **state)
{
	struct export_sink s;
	char *out = capture_suppressed(EXPORT_EXIM, &s);

	(void)state;
	assert_int_equal(s.written, 3);
	assert_int_equal(s.skipped, 6);
	assert_non_null(
	    strstr(out, "\nalice@hotmail.test: mailbox-unknown x3 over 26h\n"));
	assert_non_null(strstr(out, "$recipient_data"));
	assert_null(strstr(out, "d:e@"));
	free(out);
}

static void test_suppressed_csv(void **state)
{
	struct export_sink s;
	char *out = capture_suppressed(EXPORT_CSV, &s);

	(void)state;
	assert_int_equal(s.written, NRECS);
	assert_int_equal(strncmp(out, "address,since,reason\r\n", 22), 0);
	assert_non_null(strstr(out,
			       "\r\nalice@hotmail.test,2024-05-01T10:00:00Z,"
			       "mailbox-unknown x3 over 26h\r\n"));
	assert_non_null(
	    strstr(out, "\r\nf@hotmail.test,2024-05-01T10:00:00Z,"
			"\"line\nbreak, \"\"quoted\"\", \x01 ctl\"\r\n"));
	assert_non_null(
	    strstr(out, "\r\ng@hotmail.test,2024-05-01T10:00:00Z,\r\n"));
	free(out);
}

static void test_suppressed_json(void **state)
{
	struct export_sink s;
	char *out = capture_suppressed(EXPORT_JSON, &s);
	json_error_t jerr;
	json_t *doc = json_loads(out, JSON_REJECT_DUPLICATES, &jerr), *f;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(json_array_size(doc), NRECS);
	f = json_array_get(doc, 7);
	assert_string_equal(json_string_value(json_object_get(f, "address")),
			    "f@hotmail.test");
	assert_string_equal(json_string_value(json_object_get(f, "reason")),
			    "line\nbreak, \"quoted\", \x01 ctl");
	assert_string_equal(json_string_value(json_object_get(f, "since")),
			    "2024-05-01T10:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(f, "since_unix")),
			 1714557600);
	assert_string_equal(json_string_value(json_object_get(f, "evidence")),
			    "e2");
	json_decref(doc);
	free(out);
}

static void test_suppressed_json_empty_and_bad_utf8(void **state)
{
	struct store_suppressed r = {"u@x.test", 5, "bad \xff\xfe utf8", ""};
	struct export_sink s;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	json_error_t jerr;
	json_t *doc;

	(void)state;
	export_suppressed_begin(&s, fp, EXPORT_JSON, 0);
	assert_int_equal(export_suppressed_end(&s), 0);
	fflush(fp);
	assert_string_equal(buf, "[]\n");
	fclose(fp);
	free(buf);
	buf = NULL;
	fp = open_memstream(&buf, &len);
	export_suppressed_begin(&s, fp, EXPORT_JSON, 0);
	assert_int_equal(export_suppressed_add(&s, &r), 0);
	assert_int_equal(export_suppressed_end(&s), 0);
	fclose(fp);
	doc = json_loads(buf, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(doc, 0), "reason")),
			    "bad ?? utf8");
	json_decref(doc);
	free(buf);
}

static void test_format_parse(void **state)
{
	enum export_format f;

	(void)state;
	assert_int_equal(export_format_parse("postfix", &f), 0);
	assert_int_equal(f, EXPORT_POSTFIX);
	assert_int_equal(export_format_parse("json", &f), 0);
	assert_int_equal(f, EXPORT_JSON);
	assert_int_equal(export_format_parse("JSON", &f), -1);
	assert_int_equal(export_format_parse("", &f), -1);
	assert_int_equal(export_format_parse(NULL, &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_regex),
	    cmocka_unit_test(test_name_regex_refuses),
	    cmocka_unit_test(test_regex_agrees_with_policy),
	    cmocka_unit_test(test_postfix_filter_text),
	    cmocka_unit_test(test_filter_refuses_bad_policy_name),
	    cmocka_unit_test(test_exim_domains_text),
	    cmocka_unit_test(test_suppressed_postfix),
	    cmocka_unit_test(test_suppressed_exim),
	    cmocka_unit_test(test_suppressed_csv),
	    cmocka_unit_test(test_suppressed_json),
	    cmocka_unit_test(test_suppressed_json_empty_and_bad_utf8),
	    cmocka_unit_test(test_format_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

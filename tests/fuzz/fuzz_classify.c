/*
 * NAME
 *	fuzz_classify 1
 * SUMMARY
 *	libFuzzer target: classify_text() with the shipped classifier rules
 * DESCRIPTION
 *	Loads policy/classifier.ini (found from the executable's path,
 *	ROOT/build/fuzz/fuzz_classify, or named by $RETRYD_CLASSIFIER_INI)
 *	once, compiles it with classify_new(), then classifies each input as
 *	a bounce or delay text (any bytes, not NUL-terminated: an exact-size
 *	heap copy so ASan sees any read past the end). Besides the
 *	sanitizers: the category is known, a matching rule's index is in
 *	range and gives that rule's category, the status is "" or
 *	[245].D.D (and so is the fallback code, empty exactly when status
 *	is) and permanent is exactly "status starts with 5", the same
 *	text classifies the same twice (the match data is reused), and a
 *	text whose status is 5.4.4 or 4.4.4 is never address-level (DESIGN.md:
 *	a 5.4.4 is routing; words naming the sender may make it policy), a guard
 *	word (classify_guard.c) comes only with "other", no rule and a status
 *	code, and is a lower-case word (or RFC 7504's 521/556), and the
 *	literal prefilter changes nothing (classify_text_each, every rule in
 *	order, gives the same result).
 * DIAGNOSTICS
 *	abort() with the text on stderr when a property does not hold.
 */
#include <limits.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/classify.h"
#include "policy/policy_int.h"

static struct policy *fuzz_policy;
static struct classifier *fuzz_cls;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char err[8192];
	char exe[PATH_MAX], path[PATH_MAX + 64];
	const char *ini = getenv("RETRYD_CLASSIFIER_INI");
	ssize_t n;

	(void)argc;
	(void)argv;
	if (ini == NULL) {
		if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <
		    0) {
			perror("fuzz_classify: /proc/self/exe");
			abort();
		}
		exe[n] = 0;
		/* ROOT/build/fuzz/fuzz_classify -> ROOT */
		snprintf(path, sizeof(path), "%s/policy/classifier.ini",
			 dirname(dirname(dirname(exe))));
		ini = path;
	}
	if (policy_load_from(ini, "/nonexistent", &fuzz_policy, err,
			     sizeof(err)) < 0 ||
	    classify_new(fuzz_policy, &fuzz_cls, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_classify: %s: %s\n", ini, err);
		abort();
	}
	if (fuzz_policy->nrules == 0) {
		fprintf(stderr, "fuzz_classify: %s: no rules\n", ini);
		abort();
	}
	return 0;
}

static void fuzz_fail(const char *why, const char *text, size_t len,
		      const struct classify_result *r)
{
	fprintf(stderr,
		"fuzz_classify: %s (category %d rule %d status '%s' "
		"permanent %d) for '%.*s'\n",
		why, (int)r->category, r->rule, r->status, r->permanent,
		(int)(len > 300 ? 300 : len), text);
	abort();
}

/* "" or [245].D{1,3}.D{1,3} */
static int fuzz_status_ok(const char *s)
{
	size_t a, b;

	if (memchr(s, 0, 16) == NULL)
		return 0;
	if (*s == 0)
		return 1;
	if (strchr("245", *s) == NULL || s[1] != '.')
		return 0;
	a = strspn(s + 2, "0123456789");
	if (a < 1 || a > 3 || s[2 + a] != '.')
		return 0;
	b = strspn(s + 3 + a, "0123456789");
	return b >= 1 && b <= 3 && s[3 + a + b] == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct classify_result r, again;
	enum classify_category want;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	r = classify_text(fuzz_cls, text, size);
	if (r.category < CLASSIFY_ROUTING || r.category > CLASSIFY_OTHER ||
	    classify_category_name(r.category) == NULL)
		fuzz_fail("unknown category", text, size, &r);
	if (r.rule < -1 || r.rule >= (int)fuzz_policy->nrules)
		fuzz_fail("rule index out of range", text, size, &r);
	if (r.rule >= 0 &&
	    (classify_category_parse(fuzz_policy->rules[r.rule].category,
				     &want) < 0 ||
	     want != r.category))
		fuzz_fail("category is not the matching rule's", text, size,
			  &r);
	if (!fuzz_status_ok(r.status))
		fuzz_fail("status not [245].D.D", text, size, &r);
	if (!fuzz_status_ok(r.code) || (r.code[0] == 0) != (r.status[0] == 0))
		fuzz_fail("fallback code not [245].D.D, or without status",
			  text, size, &r);
	if (r.permanent != (r.status[0] == '5'))
		fuzz_fail("permanent disagrees with status", text, size, &r);
	if ((strcmp(r.status, "5.4.4") == 0 ||
	     strcmp(r.status, "4.4.4") == 0) &&
	    (r.category == CLASSIFY_MAILBOX_UNKNOWN ||
	     r.category == CLASSIFY_MAILBOX_DISABLED))
		fuzz_fail("x.4.4 classified address-level", text, size, &r);
	if (r.guard[0] != '\0' &&
	    (r.category != CLASSIFY_OTHER || r.rule != -1 ||
	     r.status[0] == '\0' ||
	     (strspn(r.guard, "abcdefghijklmnopqrstuvwxyz'") !=
		  strlen(r.guard) &&
	      strcmp(r.guard, "521") != 0 && strcmp(r.guard, "556") != 0)))
		fuzz_fail("a guard word without an overruled code, or not a "
			  "lower-case word or 521/556",
			  text, size, &r);
	again = classify_text(fuzz_cls, text, size);
	if (memcmp(&r, &again, sizeof(r)) != 0)
		fuzz_fail("not deterministic", text, size, &r);
	again = classify_text_each(fuzz_cls, text, size);
	if (memcmp(&r, &again, sizeof(r)) != 0)
		fuzz_fail("the literal prefilter skipped the deciding rule",
			  text, size, &r);
	free(text);
	return 0;
}

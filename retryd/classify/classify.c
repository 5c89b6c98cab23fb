/*
 * NAME
 *	classify 3
 * SUMMARY
 *	bounce and delay texts to categories, with the policy's PCRE2 rules
 * SYNOPSIS
 *	#include "classify/classify.h"
 * DESCRIPTION
 *	classify_new() compiles every [classifier] rule of a loaded policy
 *	once (PCRE2, caseless for /i, JIT where the library has it) and
 *	keeps one match data block, one match context with bounded match
 *	and depth limits, and one JIT stack for all of them.
 *
 *	classify_text() first keeps the report part of the text in plain
 *	letters (classify_norm.c: a whole bounce without its returned message
 *	and quoted Subject lines, line breaks as spaces, invisible characters
 *	dropped; the classifier's buffer of LIMIT_CLASSIFY_NORM bytes, a
 *	longer text is read as it came), then tries the rules in policy order; the first rule that
 *	matches gives the category, except that an x.4.4 code (no mail host,
 *	unable to route: the failure retryd exists for) is never
 *	address-level: an address-level rule matching its words gives way to
 *	routing, decided by the code. Words wholly inside a name are not the
 *	reply's (classify_name.c): a match that lies inside an address
 *	("<over-quota@example.org>", a Message-ID) does not count, nor, for
 *	an address-level rule (mailbox-unknown, mailbox-disabled), one inside
 *	a URL or host name (".../kb/mailbox-does-not-exist",
 *	"mx.user-unknown.example.net"); the rule looks on from there. For the
 *	other rules a match inside a URL or host name counts only when no
 *	rule matches the reply's own words: the first such rule then decides
 *	(a block list's host or help page may be the only reason given). A
 *	guarded rule (guarded_rule: address-level words that could be the
 *	sender's or a login account's) does not decide a text that an address
 *	guard (address_guard) matches outside a name: the text goes on to the
 *	next rules; the guards run once a text, when a guarded rule first
 *	matches (classify_guarded), and the result names the guarded rules
 *	that stepped aside and the guard (result.aside, aside_guard;
 *	classify_explain_aside says it for retryctl classify --explain and
 *	show). One pass of the literal prefilter
 *	(classify_prefilter.c) first marks the rules that can match at all:
 *	a rule whose text lacks every literal of one of its required sets
 *	is skipped without running its regex. classify_text_each() runs every regex in order
 *	(the previous way, kept as the reference for tests and the bench). Where no rule matches, the enhanced
 *	status code found in the text decides (classify_by_code below): the
 *	first one, or a later more specific one when the first is generic
 *	(x.0.0, x.Y.0). A code that would
 *	make the text address-level (5.1.1, 5.2.1) does not decide when its
 *	reply holds a word of another category, quota, sender, policy ...
 *	(classify_guard.c): the text is "other" and result.guard names the
 *	word. A text without an enhanced code (any, as classify_find_status
 *	reads it: a 2.0.0 too) goes on to the fallback rules (fallback_rule:
 *	weak words, never address-level, policy_keys.c), tried in policy order
 *	the same way, a match in a name last; then it is "other". The code is
 *	also returned as status/permanent whatever decided the category.
 *
 *	Texts come from remote MTAs and may hold any byte: the patterns are
 *	compiled without PCRE2_UTF, so matching is byte-wise and an invalid
 *	UTF-8 sequence is just bytes (a non-ASCII literal in a rule still
 *	matches its own bytes). The text need not be NUL-terminated.
 *
 *	Owns: the compiled rules and address guards, the match data, the match
 *	context, the JIT stack, the prefilter and its scratch rule set, all
 *	freed by classify_free(). Not thread-safe: one
 *	classifier per thread.
 * DIAGNOSTICS
 *	classify_new() fails with "FILE:LINE: ..." for an unknown category,
 *	a regex PCRE2 refuses, a fallback rule that is address-level or a
 *	guarded rule that is not (policy_load() checks them first), or
 *	"out of memory". A rule that hits the match or depth limit on a
 *	text counts as not matching that text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "classify/classify.h"
#include "classify/classify_int.h"
#include "util/limits.h"

struct classify_rule {
	pcre2_code *code;
	enum classify_category category;
	int jit;      /* 1: JIT-compiled, use the fast path */
	int fallback; /* 1: fallback_rule, tried only after the status code */
	int guarded;  /* 1: guarded_rule, not where an address guard matches */
	char *where;  /* owned: "FILE:LINE" of the rule, for explanations */
};

struct classifier {
	struct classify_rule *rules; /* in policy order, fallback ones too */
	size_t nrules;
	struct classify_rule *guards; /* address_guard lines, policy order */
	size_t nguards;
	size_t first_fallback; /* the first fallback rule's index, or nrules */
	pcre2_match_data *md;  /* one, reused: sized for the largest rule */
	pcre2_match_context *mctx;     /* match/depth limits, JIT stack */
	pcre2_jit_stack *jit_stack;    /* NULL when JIT is not available */
	struct classify_prefilter *pf; /* which rules may match a text */
	uint64_t *cand;		       /* scratch: the rules that may match */
	char *
	    norm; /* scratch: the text's report (classify_norm), LIMIT_CLASSIFY_NORM */
};

static const char *const classify_names[] = {
    [CLASSIFY_ROUTING] = "routing",
    [CLASSIFY_NULL_MX] = "null-mx",
    [CLASSIFY_MAILBOX_UNKNOWN] = "mailbox-unknown",
    [CLASSIFY_MAILBOX_DISABLED] = "mailbox-disabled",
    [CLASSIFY_MAILBOX_FULL] = "mailbox-full",
    [CLASSIFY_POLICY_REPUTATION] = "policy-reputation",
    [CLASSIFY_AUTHENTICATION] = "authentication",
    [CLASSIFY_RATE_LIMIT] = "rate-limit",
    [CLASSIFY_CONNECTION] = "connection",
    [CLASSIFY_CONTENT] = "content",
    [CLASSIFY_OTHER] = "other",
};

#define CLASSIFY_NNAMES (sizeof(classify_names) / sizeof(classify_names[0]))

const char *classify_category_name(enum classify_category c)
{
	if ((size_t)c >= CLASSIFY_NNAMES || classify_names[c] == NULL)
		return "other";
	return classify_names[c];
}

int classify_category_parse(const char *name, enum classify_category *out)
{
	for (size_t i = 1; i < CLASSIFY_NNAMES; i++)
		if (classify_names[i] && strcmp(name, classify_names[i]) == 0) {
			*out = (enum classify_category)i;
			return 0;
		}
	return -1;
}

/* classify_address_level - can @param cat suppress a recipient */
static int classify_address_level(enum classify_category cat)
{
	return cat == CLASSIFY_MAILBOX_UNKNOWN ||
	       cat == CLASSIFY_MAILBOX_DISABLED;
}

void classify_free(struct classifier *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nrules; i++) {
		pcre2_code_free(c->rules[i].code);
		free(c->rules[i].where);
	}
	free(c->rules);
	for (size_t i = 0; i < c->nguards; i++) {
		pcre2_code_free(c->guards[i].code);
		free(c->guards[i].where);
	}
	free(c->guards);
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	pcre2_jit_stack_free(c->jit_stack);
	classify_prefilter_free(c->pf);
	free(c->cand);
	free(c->norm);
	free(c);
}

/* classify_compile_regex - @param r's regex and "FILE:LINE" into @param out;
 * @param key names the line in errors. @return 0 or -1 with err. */
static int classify_compile_regex(const struct policy_rule *r, const char *key,
				  struct classify_rule *out, char *err,
				  size_t errlen)
{
	PCRE2_UCHAR emsg[160];
	PCRE2_SIZE erroff;
	int errcode;

	out->code = pcre2_compile((PCRE2_SPTR)r->regex, PCRE2_ZERO_TERMINATED,
				  r->caseless ? PCRE2_CASELESS : 0, &errcode,
				  &erroff, NULL);
	if (out->code == NULL) {
		pcre2_get_error_message(errcode, emsg, sizeof(emsg));
		snprintf(err, errlen, "%s:%d: %s: bad regex at offset %zu: %s",
			 r->file ? r->file : "(policy)", r->line, key,
			 (size_t)erroff, (const char *)emsg);
		return -1;
	}
	if (asprintf(&out->where, "%s:%d", r->file ? r->file : "(policy)",
		     r->line) < 0) {
		out->where = NULL;
		pcre2_code_free(out->code);
		out->code = NULL;
		snprintf(err, errlen, "classifier: out of memory");
		return -1;
	}
	/* No JIT (not built in, or no executable memory): interpreter. */
	out->jit = pcre2_jit_compile(out->code, PCRE2_JIT_COMPLETE) == 0;
	return 0;
}

/* classify_compile - one rule; @return 0 or -1 with err "FILE:LINE: ..." */
static int classify_compile(const struct policy_rule *r,
			    struct classify_rule *out, char *err, size_t errlen)
{
	if (classify_category_parse(r->category, &out->category) < 0) {
		snprintf(err, errlen, "%s:%d: rule: unknown category '%.30s'",
			 r->file ? r->file : "(policy)", r->line, r->category);
		return -1;
	}
	out->fallback = r->fallback;
	out->guarded = r->guarded;
	if (out->guarded && !classify_address_level(out->category)) {
		snprintf(err, errlen,
			 "%s:%d: guarded_rule: '%s' is not address-level",
			 r->file ? r->file : "(policy)", r->line, r->category);
		return -1;
	}
	if (out->fallback && classify_address_level(out->category)) {
		snprintf(err, errlen,
			 "%s:%d: fallback_rule: '%s' is address-level",
			 r->file ? r->file : "(policy)", r->line, r->category);
		return -1;
	}
	return classify_compile_regex(r, "rule", out, err, errlen);
}

int classify_new(const struct policy *p, struct classifier **out, char *err,
		 size_t errlen)
{
	struct classifier *c;
	const char **regexes = NULL;
	uint32_t jit = 0;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto oom;
	if (p->nrules > 0 &&
	    (c->rules = calloc(p->nrules, sizeof(*c->rules))) == NULL)
		goto oom;
	for (size_t i = 0; i < p->nrules; i++) {
		if (classify_compile(&p->rules[i], &c->rules[i], err, errlen) <
		    0)
			goto fail;
		c->nrules++;
	}
	if (p->nguards > 0 &&
	    (c->guards = calloc(p->nguards, sizeof(*c->guards))) == NULL)
		goto oom;
	for (size_t i = 0; i < p->nguards; i++) {
		/* read like an address-level rule's words: a match inside
		 * any name (address, URL, host) does not count */
		c->guards[i].category = CLASSIFY_MAILBOX_UNKNOWN;
		if (classify_compile_regex(&p->guards[i], "address_guard",
					   &c->guards[i], err, errlen) < 0)
			goto fail;
		c->nguards++;
	}
	c->first_fallback = c->nrules;
	for (size_t i = c->nrules; i-- > 0;)
		if (c->rules[i].fallback)
			c->first_fallback = i;
	/* Match data with room for any rule's captures (we use none). */
	if ((c->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (c->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto oom;
	pcre2_set_match_limit(c->mctx, LIMIT_CLASSIFY_MATCH);
	pcre2_set_depth_limit(c->mctx, LIMIT_CLASSIFY_DEPTH);
	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit) {
		c->jit_stack = pcre2_jit_stack_create(
		    32 * 1024, LIMIT_CLASSIFY_JIT_STACK, NULL);
		if (c->jit_stack == NULL)
			goto oom;
		pcre2_jit_stack_assign(c->mctx, NULL, c->jit_stack);
	}
	if ((regexes = calloc(p->nrules + 1, sizeof(*regexes))) == NULL)
		goto oom;
	for (size_t i = 0; i < p->nrules; i++)
		regexes[i] = p->rules[i].regex;
	if ((c->norm = malloc(LIMIT_CLASSIFY_NORM)) == NULL)
		goto oom;
	if ((c->pf = classify_prefilter_new(regexes, p->nrules)) == NULL ||
	    (c->cand = calloc(classify_prefilter_words(c->pf),
			      sizeof(*c->cand))) == NULL)
		goto oom;
	free(regexes);
	*out = c;
	return 0;
oom:
	snprintf(err, errlen, "classifier: out of memory");
fail:
	free(regexes);
	classify_free(c);
	return -1;
}

/* classify_digits - 1-3 digits at s[i]; @return their count, 0 if none */
static size_t classify_digits(const char *s, size_t len, size_t i,
			      unsigned *val)
{
	size_t n = 0;

	*val = 0;
	while (i + n < len && n < 4 && s[i + n] >= '0' && s[i + n] <= '9')
		*val = *val * 10 + (unsigned)(s[i + n++] - '0');
	return n >= 1 && n <= 3 ? n : 0;
}

/*
 * classify_find_status - the first enhanced status code in the text at or
 * after @param from: [245].D{1,3}.D{1,3} not inside a longer dotted number
 * (an IP address, Yahoo's 4.16.55.1), nor a name: not glued to a letter,
 * digit or '@' before it nor to a letter or digit after it ("a@4.4.4am"
 * is a host); a quoted-printable space before it ("550=205.1.1=20...", a
 * reply pasted from an encoded message) separates like a space. @return
 * the offset just past it and the code in @param out (class/subject/
 * detail), else 0.
 */
static size_t classify_find_status(const char *s, size_t len, size_t from,
				   char *out, size_t outlen, unsigned *cls,
				   unsigned *subj, unsigned *det)
{
	for (size_t i = from; i + 5 <= len; i++) {
		size_t a, b, end;
		char prev;

		if ((s[i] != '2' && s[i] != '4' && s[i] != '5') ||
		    s[i + 1] != '.')
			continue;
		prev = i > 0 ? s[i - 1] : ' ';
		if (i >= 3 && s[i - 3] == '=' && s[i - 2] == '2' && prev == '0')
			prev = ' ';
		if (prev == '.' || prev == '@' ||
		    (prev >= '0' && prev <= '9') ||
		    (prev >= 'a' && prev <= 'z') ||
		    (prev >= 'A' && prev <= 'Z'))
			continue;
		if ((a = classify_digits(s, len, i + 2, subj)) == 0 ||
		    i + 2 + a >= len || s[i + 2 + a] != '.' ||
		    (b = classify_digits(s, len, i + 3 + a, det)) == 0)
			continue;
		end = i + 3 + a + b;
		if (end < len && ((s[end] >= '0' && s[end] <= '9') ||
				  (s[end] >= 'a' && s[end] <= 'z') ||
				  (s[end] >= 'A' && s[end] <= 'Z')))
			continue;
		if (end + 1 < len && s[end] == '.' && s[end + 1] >= '0' &&
		    s[end + 1] <= '9')
			continue;
		*cls = (unsigned)(s[i] - '0');
		snprintf(out, outlen, "%.*s", (int)(end - i), s + i);
		return end;
	}
	return 0;
}

/*
 * classify_find_specific - the code the fallback goes by: the first one,
 * unless it is generic (x.0.0, or x.Y.0) and a later code in the text says
 * more (sendmail's "554 5.4.0 <host #4.4.1>", "550 5.0.0 ... (#5.1.1)"): a
 * later code with a detail, and a subject where the first had none, or the
 * same subject. @param end is where the first code ended. @return where
 * the code taken ends (@param end when the first one stays).
 */
static size_t classify_find_specific(const char *s, size_t len, size_t end,
				     char *out, size_t outlen, unsigned *cls,
				     unsigned *subj, unsigned *det)
{
	char code[CLASSIFY_STATUS_LEN];
	unsigned c2, s2, d2;
	size_t at = end;

	for (int n = 0; *det == 0 && n < LIMIT_CLASSIFY_LATER_CODES; n++) {
		if ((end = classify_find_status(s, len, end, code, sizeof(code),
						&c2, &s2, &d2)) == 0)
			break;
		if (d2 == 0 || s2 == 0 || (*subj != 0 && s2 != *subj))
			continue;
		snprintf(out, outlen, "%s", code);
		*cls = c2;
		*subj = s2;
		*det = d2;
		at = end;
	}
	return at;
}

/*
 * classify_by_code7 - x.7.DET: credentials, SPF, DKIM, DMARC, ARC and
 * TLS demands are authentication; 28 (mail flood) a rate; the rest
 * (7.1 delivery not authorized, 7.25 reverse DNS, 7.27 the sender's
 * null MX, providers' own x.7.5xx "Access denied") policy.
 */
static enum classify_category classify_by_code7(unsigned det)
{
	switch (det) {
	case 8:	  /* authentication credentials invalid */
	case 9:	  /* mechanism too weak */
	case 10:  /* encryption needed */
	case 11:  /* encryption required for the mechanism */
	case 20:  /* no passing DKIM signature */
	case 21:  /* no acceptable DKIM signature */
	case 22:  /* no valid author-matched DKIM signature */
	case 23:  /* SPF validation failed */
	case 24:  /* SPF validation error */
	case 26:  /* multiple authentication checks failed */
	case 29:  /* ARC validation failure */
	case 30:  /* REQUIRETLS support required */
	case 32:  /* (as before: a sender authentication code) */
	case 509: /* Microsoft: DMARC */
		return CLASSIFY_AUTHENTICATION;
	case 28: /* mail flood */
		return CLASSIFY_RATE_LIMIT;
	default:
		return CLASSIFY_POLICY_REPUTATION;
	}
}

/*
 * classify_by_code - the category an enhanced status code implies when
 * no rule matched the wording (docs/classifier-labels.md, "Words over
 * codes", after RFC 3463 and the IANA enhanced status code registry).
 * Only the address-level codes map to mailbox categories, and only when
 * permanent: a 4.1.1 alone is not trusted to say the mailbox is unknown,
 * nor a 4.2.1 that it is disabled (Gmail's 4.2.1 says the mailbox
 * receives too fast). 5.1.10 is RFC 7505's null MX (Microsoft's 5.1.10
 * comes with "RecipientNotFound", which a rule reads first).
 */
static enum classify_category classify_by_code(unsigned cls, unsigned subj,
					       unsigned det)
{
	switch (subj) {
	case 1:
		if (cls == 5 && det == 1)
			return CLASSIFY_MAILBOX_UNKNOWN;
		if (det == 10)
			return CLASSIFY_NULL_MX;
		if (det == 2)
			return CLASSIFY_ROUTING; /* bad destination system */
		if (det == 7 || det == 8)
			return CLASSIFY_POLICY_REPUTATION; /* the sender */
		return CLASSIFY_OTHER;
	case 2:
		if (cls == 5 && det == 1)
			return CLASSIFY_MAILBOX_DISABLED;
		if (det == 2)
			return CLASSIFY_MAILBOX_FULL;
		if (det == 3)
			return CLASSIFY_CONTENT; /* message length over limit */
		return CLASSIFY_OTHER;
	case 3:
		return det == 4 ? CLASSIFY_CONTENT : CLASSIFY_OTHER;
	case 4:
		if (det == 1 || det == 2)
			return CLASSIFY_CONNECTION;
		if (det == 3 || det == 4 || det == 6)
			return CLASSIFY_ROUTING;
		return CLASSIFY_OTHER;
	case 5:
		/* 5.3: too many recipients */
		return det == 3 ? CLASSIFY_RATE_LIMIT : CLASSIFY_OTHER;
	case 6:
		return CLASSIFY_CONTENT;
	case 7:
		return classify_by_code7(det);
	default:
		return CLASSIFY_OTHER;
	}
}

const char *classify_explain(const struct classifier *c,
			     const struct classify_result *r, char *buf,
			     size_t len)
{
	if (c != NULL && r->rule >= 0 && (size_t)r->rule < c->nrules)
		snprintf(buf, len, "%s%s",
			 c->rules[r->rule].fallback ? "fallback rule " : "",
			 c->rules[r->rule].where);
	else if (r->guard[0] != '\0')
		snprintf(buf, len,
			 "status code %s not trusted: its reply says '%s'",
			 r->code, r->guard);
	else if (r->code[0] != '\0' && strcmp(r->code, r->status) != 0)
		snprintf(buf, len, "status code %s (after %s)", r->code,
			 r->status);
	else if (r->status[0] != '\0')
		snprintf(buf, len, "status code %s", r->status);
	else
		snprintf(buf, len, "no rule, no status code");
	return buf;
}

const char *classify_explain_aside(const struct classifier *c,
				   const struct classify_result *r, char *buf,
				   size_t len)
{
	size_t used;
	int n = r->naside < CLASSIFY_ASIDE_MAX ? r->naside : CLASSIFY_ASIDE_MAX;

	buf[0] = '\0';
	if (c == NULL || n <= 0 || r->aside_guard < 0 ||
	    (size_t)r->aside_guard >= c->nguards)
		return buf;
	used = (size_t)snprintf(buf, len, "guarded rule%s",
				r->naside > 1 ? "s" : "");
	for (int i = 0; i < n && used < len; i++)
		if (r->aside[i] >= 0 && (size_t)r->aside[i] < c->nrules)
			used += (size_t)snprintf(buf + used, len - used,
						 "%s %s", i > 0 ? "," : "",
						 c->rules[r->aside[i]].where);
	if (r->naside > n && used < len)
		used += (size_t)snprintf(buf + used, len - used, " and %d more",
					 r->naside - n);
	if (used < len)
		snprintf(buf + used, len - used,
			 " stepped aside: guard %s matched",
			 c->guards[r->aside_guard].where);
	return buf;
}

/*
 * classify_next - the first rule from @param i on to try: every one, or
 * with @param prefilter the next candidate (a word of the candidate set
 * at a time: most rules are not); c->nrules when none is left.
 */
static size_t classify_next(const struct classifier *c, int prefilter, size_t i)
{
	if (c == NULL)
		return 0;
	while (prefilter && i < c->nrules) {
		uint64_t m = c->cand[i / 64] >> (i % 64);

		if (m != 0)
			return i + (size_t)__builtin_ctzll(m);
		i = (i / 64 + 1) * 64;
	}
	return i < c->nrules ? i : c->nrules;
}

/*
 * classify_match - does @param rule match @param text outside a name
 * (classify_name_in)? A match that counts only as a name's sets
 * *@param in_name to 1, and the rule looks on.
 */
static int classify_match(const struct classifier *c,
			  const struct classify_rule *rule, const char *text,
			  size_t len, int *in_name)
{
	PCRE2_SPTR subject = (PCRE2_SPTR)(text ? text : "");
	PCRE2_SIZE *ov = NULL;
	int rc, in;

	/* pcre2_jit_match skips pcre2_match's per-call checks; both honour
	 * the match context's limits and JIT stack. */
	for (size_t from = 0;; from = ov[0] + 1) {
		rc = rule->jit ? pcre2_jit_match(rule->code, subject, len, from,
						 0, c->md, c->mctx)
			       : pcre2_match(rule->code, subject, len, from, 0,
					     c->md, c->mctx);
		if (rc < 0)
			return 0; /* no match, or a limit hit: not this rule */
		/* words inside a name are not the reply's: look on */
		ov = pcre2_get_ovector_pointer(c->md);
		in = classify_name_in(text, len, ov[0], ov[1],
				      classify_address_level(rule->category));
		if (in == 0 || ov[0] >= len)
			return 1;
		if (in == 2)
			*in_name = 1;
	}
}

/*
 * classify_rule_match - classify_match for rule @param i; a match that
 * counts only as a name's sets *@param name_rule when it is still -1.
 */
static int classify_rule_match(const struct classifier *c, size_t i,
			       const char *text, size_t len, int *name_rule)
{
	int in_name = 0;

	if (classify_match(c, &c->rules[i], text, len, &in_name))
		return 1;
	if (in_name && *name_rule < 0)
		*name_rule = (int)i;
	return 0;
}

/*
 * classify_guarded - the first address guard (address_guard: the sender's
 * address, a login account) that matches @param text outside a name: its
 * index, or -1 when none does. Asked once a text, when a guarded rule
 * first matches: *@param memo is -2 until then, then the answer.
 */
static int classify_guarded(const struct classifier *c, const char *text,
			    size_t len, int *memo)
{
	int in_name = 0;

	if (*memo == -2) {
		*memo = -1;
		for (size_t g = 0; g < c->nguards && *memo < 0; g++)
			if (classify_match(c, &c->guards[g], text, len,
					   &in_name))
				*memo = (int)g;
	}
	return *memo;
}

/*
 * classify_run - the first rule in order that matches; with @param
 * prefilter, rules the literal scan ruled out are skipped (they cannot
 * match, so the first match is the same). Ordinary rules first (a match
 * in a name after them), then the status code, then, for a text without
 * one, the fallback rules the same way, then other.
 */
static struct classify_result classify_run(const struct classifier *c,
					   const char *text, size_t len,
					   int prefilter)
{
	struct classify_result r;
	unsigned cls = 0, subj = 0, det = 0;
	size_t end;
	int have_code, name_rule = -1, guarded = -2;

	memset(&r, 0, sizeof(r));
	r.rule = -1;
	r.aside_guard = -1;
	if (text == NULL)
		len = 0;
	/* a whole bounce is read without its returned message */
	if (c != NULL && text != NULL) {
		size_t n =
		    classify_norm(text, len, c->norm, LIMIT_CLASSIFY_NORM);

		if (n != (size_t)-1) {
			text = c->norm;
			len = n;
		}
	}
	end = classify_find_status(text, len, 0, r.status, sizeof(r.status),
				   &cls, &subj, &det);
	have_code = end > 0;
	r.permanent = have_code && cls == 5;
	snprintf(r.code, sizeof(r.code), "%s", r.status);
	if (have_code)
		end = classify_find_specific(text, len, end, r.code,
					     sizeof(r.code), &cls, &subj, &det);
	if (c != NULL && prefilter)
		classify_prefilter_scan(c->pf, text, len, c->cand);
	for (size_t i = classify_next(c, prefilter, 0);
	     c != NULL && i < c->nrules;
	     i = classify_next(c, prefilter, i + 1)) {
		if (c->rules[i].fallback ||
		    !classify_rule_match(c, i, text, len, &name_rule))
			continue;
		/* the sender's address or a login account: a guarded rule
		 * does not decide, the text goes on to the next rules (the
		 * result names it for the explanation) */
		if (c->rules[i].guarded && (r.aside_guard = classify_guarded(
						c, text, len, &guarded)) >= 0) {
			if (r.naside < CLASSIFY_ASIDE_MAX)
				r.aside[r.naside] = (int)i;
			r.naside++;
			continue;
		}
		if (subj == 4 && det == 4 &&
		    classify_address_level(c->rules[i].category)) {
			/* x.4.4 (no mail host, unable to route) is the routing
			 * failure retryd exists for: never address-level, the
			 * code decides against the words (DESIGN.md) */
			r.category = CLASSIFY_ROUTING;
			return r;
		}
		r.category = c->rules[i].category;
		r.rule = (int)i;
		return r;
	}
	if (name_rule >= 0) {
		r.category = c->rules[name_rule].category;
		r.rule = name_rule;
		return r;
	}
	if (have_code) {
		r.category = cls != 2 ? classify_by_code(cls, subj, det)
				      : CLASSIFY_OTHER;
		/* An address-level code never decides against its own words. */
		if (classify_address_level(r.category) &&
		    classify_guard_word(text, len, end - strlen(r.code), end,
					r.guard, sizeof(r.guard)) > 0)
			r.category = CLASSIFY_OTHER;
		return r;
	}
	/* No code: the fallback rules (never address-level), in order. */
	for (size_t i = classify_next(c, prefilter, c ? c->first_fallback : 0);
	     c != NULL && i < c->nrules;
	     i = classify_next(c, prefilter, i + 1)) {
		if (!c->rules[i].fallback ||
		    !classify_rule_match(c, i, text, len, &name_rule))
			continue;
		r.category = c->rules[i].category;
		r.rule = (int)i;
		return r;
	}
	r.category =
	    name_rule >= 0 ? c->rules[name_rule].category : CLASSIFY_OTHER;
	r.rule = name_rule;
	return r;
}

struct classify_result classify_text(const struct classifier *c,
				     const char *text, size_t len)
{
	return classify_run(c, text, len, 1);
}

struct classify_result classify_text_each(const struct classifier *c,
					  const char *text, size_t len)
{
	return classify_run(c, text, len, 0);
}

size_t classify_rules_filtered(const struct classifier *c)
{
	return c != NULL ? classify_prefilter_filtered(c->pf) : 0;
}

size_t classify_prefilter_size(const struct classifier *c, size_t *states,
			       size_t *classes)
{
	if (c == NULL) {
		if (states != NULL)
			*states = 0;
		if (classes != NULL)
			*classes = 0;
		return 0;
	}
	return classify_prefilter_bytes(c->pf, states, classes);
}

size_t classify_rules_jit(const struct classifier *c, size_t *total)
{
	size_t n = 0;

	if (total)
		*total = c ? c->nrules : 0;
	for (size_t i = 0; c && i < c->nrules; i++)
		n += c->rules[i].jit ? 1 : 0;
	return n;
}

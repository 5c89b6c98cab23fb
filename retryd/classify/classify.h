/*
 * NAME
 *	classify 3h
 * SUMMARY
 *	bounce and delay texts to categories, with the policy's PCRE2 rules
 * DESCRIPTION
 *	classify_new() compiles the policy's [classifier] rules once (JIT
 *	where available); classify_text() returns the first matching rule's
 *	category, using the enhanced status code in the text where no rule
 *	matches the wording, and the fallback rules where the text has no
 *	code. A guarded rule steps aside where an address guard matches
 *	(result.aside names it). The wording wins where providers misuse
 *	codes (a 5.4.4 is routing, never mailbox).
 */
#ifndef RETRYD_CLASSIFY_H
#define RETRYD_CLASSIFY_H

#include <stddef.h>

#include "policy/policy.h"

enum classify_category {
	CLASSIFY_ROUTING = 1,
	CLASSIFY_NULL_MX,
	CLASSIFY_MAILBOX_UNKNOWN,
	CLASSIFY_MAILBOX_DISABLED,
	CLASSIFY_MAILBOX_FULL,
	CLASSIFY_POLICY_REPUTATION,
	CLASSIFY_AUTHENTICATION,
	CLASSIFY_RATE_LIMIT,
	CLASSIFY_CONNECTION,
	CLASSIFY_CONTENT,
	CLASSIFY_OTHER,
};

#define CLASSIFY_STATUS_LEN 16 /* "5.123.123" and its NUL, with room */
#define CLASSIFY_WORD_LEN   32 /* a guard word and its NUL (cut) */
#define CLASSIFY_ASIDE_MAX  4  /* guarded rules that stepped aside, named */

struct classify_result {
	enum classify_category category;
	/* the first enhanced status code in the text, "" */
	char status[CLASSIFY_STATUS_LEN];
	/* the code a fallback goes by: status, or a later more specific one
	 * when status is generic (x.0.0, x.Y.0); "" without a code */
	char code[CLASSIFY_STATUS_LEN];
	int permanent; /* 1: 5.x.x, 0: 4.x.x or unknown */
	int rule; /* index of the rule (or fallback rule) that matched in the
		   * policy's rules[], -1: by code/none */
	/* no rule matched and code is address-level (5.1.1, 5.2.1) but its
	 * reply holds this word of another category (quota, sender ...), or
	 * comes under a 521/556 reply (RFC 7504): the code did not decide,
	 * the text is other (classify_guard.c); else "" */
	char guard[CLASSIFY_WORD_LEN];
	/* guarded rules (guarded_rule) that matched the text before the
	 * result was decided and stepped aside because an address guard
	 * matched it: the first CLASSIFY_ASIDE_MAX of them as indexes in the
	 * policy's rules[], how many in all (0: none), and that guard's index
	 * in the policy's guards[] (-1 when none stepped aside) */
	int aside[CLASSIFY_ASIDE_MAX];
	int naside;
	int aside_guard;
};

struct classifier;

/** Compile @param p's rules. @return 0 and *out, or -1 with err. */
int classify_new(const struct policy *p, struct classifier **out, char *err,
		 size_t errlen);
void classify_free(struct classifier *c);

/**
 * Classify @param text (@param len bytes, need not be NUL-terminated, any
 * bytes). @param c may be NULL: then the status code alone decides.
 * status is the first [245].D{1,3}.D{1,3} not part of a longer dotted
 * number (an IP address) nor glued to a letter or digit before it.
 */
struct classify_result classify_text(const struct classifier *c,
				     const char *text, size_t len);

/**
 * The same result as classify_text(), found by running every rule's regex
 * in order without the literal prefilter: the reference the tests compare
 * with and the bench times side by side.
 */
struct classify_result classify_text_each(const struct classifier *c,
					  const char *text, size_t len);

/** How many of @param c's rules the literal prefilter can skip. */
size_t classify_rules_filtered(const struct classifier *c);

/**
 * The bytes of @param c's prefilter transition table; its automaton's
 * states in @param states and byte classes in @param classes (either may
 * be NULL). For the bench: the table is most of the classifier's memory.
 */
size_t classify_prefilter_size(const struct classifier *c, size_t *states,
			       size_t *classes);

/**
 * How many of @param c's rules run JIT-compiled. Fewer than its rules when
 * the library has no JIT or the process may not map executable memory
 * (systemd's MemoryDenyWriteExecute=yes): those run by PCRE2's
 * interpreter, with the same results, about 4x slower (make bench).
 * @param total receives the number of rules (may be NULL).
 */
size_t classify_rules_jit(const struct classifier *c, size_t *total);

/* room for classify_explain(): a policy path, ':' and a line number */
#define CLASSIFY_EXPLAIN_LEN 4200

/**
 * What decided @param r (from classify_text with @param c): the rule as
 * "FILE:LINE" (a built-in rule is "classifier.ini (built in):LINE"), a
 * fallback rule as "fallback rule FILE:LINE", or
 * "status code X.Y.Z" when no rule matched and the code decided,
 * "status code X.Y.Z not trusted: its reply says 'WORD'" when the guard
 * kept an address-level code from deciding, or "no rule, no status code". Written to @param buf (always terminated).
 * @return buf.
 */
const char *classify_explain(const struct classifier *c,
			     const struct classify_result *r, char *buf,
			     size_t len);

/**
 * Which guarded rules of @param c matched the text of @param r and
 * stepped aside, and the address guard that made them:
 * "guarded rule FILE:LINE stepped aside: guard FILE:LINE matched" (with
 * several, "guarded rules FILE:LINE, FILE:LINE stepped aside: ...", past
 * CLASSIFY_ASIDE_MAX "... and N more stepped aside: ..."), or "" when none
 * did (or @param c is NULL). Written to @param buf (always terminated; a
 * longer text is cut). @return buf.
 */
const char *classify_explain_aside(const struct classifier *c,
				   const struct classify_result *r, char *buf,
				   size_t len);

const char *classify_category_name(enum classify_category c);
/** @return 0 and *out for a known name, else -1. */
int classify_category_parse(const char *name, enum classify_category *out);

#endif

/*
 * NAME
 *	policy_int 3h
 * SUMMARY
 *	helpers shared by the policy_*.c files and their unit test
 * DESCRIPTION
 *	Not an interface for the rest of retryd (use policy.h). The value
 *	parsers are pure: no I/O, no globals; on error they fill @param msg
 *	with a message that does not name the file or line (the loader
 *	adds "FILE:LINE: "). Strings they return are malloc'd and owned by
 *	the caller.
 */
#ifndef RETRYD_POLICY_INT_H
#define RETRYD_POLICY_INT_H

#include <stddef.h>

#include "policy/policy.h"

/** Where the MTA's resolvers come from when [resolvers] mta is unset. */
#define POLICY_RESOLV_CONF "/etc/resolv.conf"

/** policy_load() with the resolv.conf path as a parameter (for tests). */
int policy_load_from(const char *path, const char *resolv_conf,
		     struct policy **out, char *err, size_t errlen);

/**
 * Read the "nameserver" lines of @param path into @param out (at most
 * LIMIT_POLICY_RESOLVERS; unparsable ones, e.g. with a %scope, skipped).
 * When the file is missing or names none, @param out holds 127.0.0.1:53.
 * @return the number of nameservers read from the file.
 */
size_t policy_read_resolv_conf(const char *path,
			       struct policy_resolver_list *out);

/**
 * Split @param text in place on blanks into at most @param max words.
 * @return the number of words, max + 1 when there are more.
 */
size_t policy_split_words(char *text, char **words, size_t max);

/** yes/no/true/false/on/off/1/0, any case. @return 0 or -1. */
int policy_parse_bool(const char *text, int *out);

/** "10%" or "10", 0..50. @return 0 or -1. */
int policy_parse_percent(const char *text, unsigned *out);

/** Decimal digits only, @param min..@param max. @return 0 or -1. */
int policy_parse_uint(const char *text, unsigned min, unsigned max,
		      unsigned *out);

/** "AGE every INTERVAL [check-resolver|escalate]". @return 0 or -1+msg. */
int policy_parse_tier(const char *text, struct policy_tier *out, char *msg,
		      size_t msglen);

/**
 * "CATEGORY /REGEX/flags": the category must be known, flags "" or "i",
 * the regex must compile with PCRE2. Fills out->category, out->regex
 * (malloc'd), out->caseless; file/line are left alone. @return 0 or -1+msg.
 */
int policy_parse_rule(const char *text, struct policy_rule *out, char *msg,
		      size_t msglen);

/**
 * "/REGEX/flags" alone (policy_parse_rule's part after the category): fills
 * out->regex (malloc'd) and out->caseless. @return 0 or -1+msg.
 */
int policy_parse_regex(const char *text, struct policy_rule *out, char *msg,
		       size_t msglen);

/** @return 1 when @param regex (compiled, caseless or not) matches "". */
int policy_regex_matches_empty(const char *regex, int caseless);

/* How the built-in rules are named in FILE:LINE locations (retryctl
 * classify --explain, retryd -t). */
#define POLICY_BUILTIN_NAME "classifier.ini (built in)"

/**
 * The shipped classifier rules compiled into the program (policy_builtin.c):
 * the text of policy/classifier.ini, NUL-terminated, @param len its length.
 * @return static read-only data.
 */
const char *policy_builtin_text(size_t *len);

/** @return 1 when @param name is one of the classifier categories. */
int policy_category_known(const char *name);

enum policy_list_kind {
	POLICY_LIST_DOMAINS,	/* host names; "name.*" allowed */
	POLICY_LIST_MX,		/* host names; "*.suffix" allowed */
	POLICY_LIST_CATEGORIES, /* classifier categories; "none" = empty */
};

/**
 * Split a comma- and/or space-separated list, check every item for
 * @param kind, lower-case host names, at most LIMIT_POLICY_LIST items.
 * @param out receives malloc'd items (free with policy_strlist_free).
 * @return 0 or -1+msg (then @param out is empty).
 */
int policy_parse_list(const char *text, enum policy_list_kind kind,
		      struct policy_strlist *out, char *msg, size_t msglen);

/** A list of resolver addresses, at most LIMIT_POLICY_RESOLVERS. */
int policy_parse_resolver_list(const char *text,
			       struct policy_resolver_list *out, char *msg,
			       size_t msglen);

/**
 * Hook argv: words split on blanks, no quoting, at most LIMIT_HOOK_ARGS,
 * the first an absolute path, placeholders %d %r %f %% only.
 * @param out receives a NULL-terminated malloc'd vector. @return 0 or -1+msg.
 */
int policy_parse_hook(const char *text, char ***out, char *msg, size_t msglen);

/** [group NAME]: 1..LIMIT_POLICY_GROUP_NAME of [a-z0-9_-]. @return 0/-1. */
int policy_check_group_name(const char *name);

/** host_id: 1..LIMIT_HOST_ID of [A-Za-z0-9._-]. @return 0 or -1. */
int policy_check_host_id(const char *text);

/** Resolver as printed: "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353". */
void policy_format_resolver(const struct policy_resolver *r, char *buf,
			    size_t buflen);

void policy_strlist_free(struct policy_strlist *l);
void policy_argv_free(char **argv);

#endif

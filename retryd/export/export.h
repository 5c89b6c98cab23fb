/*
 * NAME
 *	export 3h
 * SUMMARY
 *	tables for the MTA and for list hygiene, generated from the policy
 *	and the suppressed addresses
 * DESCRIPTION
 *	Pure generators: each function writes text to the FILE * it is
 *	given and does no other I/O; time comes in as a parameter.
 *
 *	export_postfix_filter() writes a Postfix regexp: table for
 *	smtp_delivery_status_filter that turns "5.4.4 Host or domain name
 *	not found. Name service error for name=D type=T: ..." into 4.4.4
 *	(deferred) for the policy's watched names only (every group's
 *	domains, their subdomains, "name.*" patterns and mx globs), so the
 *	filter cannot drift from the policy.
 *
 *	export_exim_domains() writes the same names as an Exim domain list
 *	for the dnslookup router's fail_defer_domains: one item per line
 *	(a list file, not expanded by Exim) or one inline colon list.
 *
 *	export_suppressed_*() stream the suppressed addresses as a Postfix
 *	check_recipient_access table, an Exim lsearch file, CSV (RFC 4180)
 *	or a JSON array.
 */
#ifndef RETRYD_EXPORT_H
#define RETRYD_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"
#include "store/store.h"

/* Longest reason text written into an MTA table (SMTP reply text). */
#define EXPORT_REASON_MAX 200

enum export_format {
	EXPORT_POSTFIX = 1, /* check_recipient_access hash source */
	EXPORT_EXIM = 2,    /* lsearch file "address: reason" */
	EXPORT_CSV = 3,	    /* address,since,reason (RFC 4180, CRLF) */
	EXPORT_JSON = 4,    /* array of objects */
	EXPORT_POSTFIX_TRANSPORT = 5, /* transport_maps: ADDRESS error:5.1.1 */
};

/** Parse "postfix", "postfix-transport", "exim", "csv", "json".
 *  @return 0 and *out, or -1. */
int export_format_parse(const char *name, enum export_format *out);

/**
 * A regular expression (POSIX ERE, also valid PCRE) matching exactly
 * the host names that policy item @param item covers: "a.b" -> a.b and
 * its subdomains; "a.*" (domains) -> a.SUFFIX and subdomains, SUFFIX a public
 * suffix exactly as policy_group_for() reads it (one label, or co.uk-like two);
 * "*.a.b" (mx) -> any name under a.b. No anchors. @param is_mx selects the mx
 * rules for '*'. @return 0, or -1 with @param err when the item has a
 * character outside [a-z0-9._*-] or a misplaced '*'.
 */
int export_name_regex(const char *item, int is_mx, char *buf, size_t buflen,
		      char *err, size_t errlen);

/**
 * Write the Postfix status filter for every group of @param p.
 * @param source names the policy file in the header comment.
 * @return 0, or -1 with @param err (a bad name: nothing usable written
 * - the caller must discard the output; or a write error).
 */
int export_postfix_filter(const struct policy *p, const char *source, FILE *out,
			  char *err, size_t errlen);

/**
 * Write the Exim domain list: with @param inline_list 0, a list file
 * (comments, one item per line); with 1, one line
 * "fail_defer_domains = a : *.a : \N^...$\N". mx globs cannot be
 * expressed for fail_defer_domains (it matches the routed domain) and
 * are listed in a comment. @return 0, or -1 with @param err.
 */
int export_exim_domains(const struct policy *p, const char *source,
			int inline_list, FILE *out, char *err, size_t errlen);

/* A stream of suppressed addresses in one format. */
struct export_sink {
	FILE *out;
	enum export_format format;
	size_t written; /* records written */
	size_t skipped; /* records that the format cannot carry safely */
	int failed;	/* a write or encoding failed */
};

/**
 * Start a stream: header comments (postfix, exim), the CSV header or
 * "[". @param now is the generation time shown in comments.
 */
void export_suppressed_begin(struct export_sink *s, FILE *out,
			     enum export_format format, int64_t now);

/**
 * Write one record. An address that would change the table's meaning
 * (no local part or domain, whitespace, control bytes, a leading '#',
 * ':' or '"' for exim) is skipped and counted, never written.
 * @return 0 written, 1 skipped, -1 failed.
 */
int export_suppressed_add(struct export_sink *s,
			  const struct store_suppressed *rec);

/** Finish ("]" for JSON). @return 0, or -1 when anything failed. */
int export_suppressed_end(struct export_sink *s);

#endif

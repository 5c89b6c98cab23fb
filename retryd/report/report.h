/*
 * NAME
 *	report 3h
 * SUMMARY
 *	the escalation proof bundle: what failed, where, since when, for whom
 * DESCRIPTION
 *	A report covers one domain, one policy group or every domain over a
 *	time window [since, now]. It is built in three steps:
 *
 *	1. report_new() and the report_add_*() functions take store records
 *	   one by one (pure: no I/O, no clock; memory bounded by the
 *	   LIMIT_REPORT_* constants, what is not kept is counted);
 *	2. report_json() turns them into one JSON document, the report
 *	   itself (fields below);
 *	3. report_print_text() / report_print_html() render that document.
 *
 *	report_collect() is the shell that walks a store for a scope and
 *	feeds step 1; report_write_file() writes the text report for the
 *	daemon's escalate hook (%f) with temp file, fsync, rename.
 *
 *	The document: report, host_id, generated_at, scope {kind, name},
 *	window {since, until, since_unix, until_unix}, domains[] {domain,
 *	verdict, first_failing, last_healthy, last_verified, last_mx,
 *	last_escalated, failing_for, duration_class}, duration
 *	{first_failing, failing_for, class}, verdicts[] {domain, verdict,
 *	count, first_seen, last_seen}, verifications_total,
 *	verifications_shown, verifications_unreadable, verifications[]
 *	{domain, checked_at, verdict, detail, answers[] {role, server,
 *	transport, rcode, rcode_name, kind, mx[] {preference, host}, ttl,
 *	neg_ttl, reason}}, resolver_nodes[] {role, server, answers, failed,
 *	failures {KIND: n}}, failing_mta_nodes[], timelines[] {domain,
 *	verdict_runs[], lanes[] {role, server, transport, runs[] {class,
 *	kind, from, to, n, ttl_min, ttl_max, neg_ttl}}, lanes_not_shown}
 *	(times in unix seconds; a verdict run's class is the verdict),
 *	series {start_unix, end_unix, buckets, held[], delivered[],
 *	deferred[], bounced[]}, messages {total,
 *	recipients_total, sample[] {mta, queue_id, domain, recipient,
 *	state, first_failure, attempts}}, sending_hosts[] {host_id,
 *	attempts, delivered, deferred, bounced, no_attempt}, action {code,
 *	text}. Times are ISO 8601 UTC strings (null when unknown).
 */
#ifndef RETRYD_REPORT_H
#define RETRYD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "policy/policy.h"
#include "store/store.h"

enum report_scope_kind {
	REPORT_SCOPE_ALL = 0,	 /* every domain with a failure or a check */
	REPORT_SCOPE_DOMAIN = 1, /* one domain */
	REPORT_SCOPE_GROUP = 2,	 /* every domain of one policy group */
};

/* How long a failure has lasted: the runbook's three classes. */
enum report_duration {
	REPORT_DURATION_NONE = 0, /* not failing */
	REPORT_DURATION_UNDER_1H = 1,
	REPORT_DURATION_1H_4H = 2,
	REPORT_DURATION_OVER_4H = 3,
};

/* Bounds of one report (0: the LIMIT_REPORT_* default). */
struct report_options {
	size_t max_verifications; /* per domain, the latest shown in full */
	size_t max_sample;	  /* affected recipients listed */
};

struct report;

/**
 * Start a report for @param kind / @param name (NULL for ALL) over
 * [@param since, @param now], made on @param host_id.
 * @return a report the caller frees with report_free(), or NULL (ENOMEM).
 */
struct report *report_new(enum report_scope_kind kind, const char *name,
			  const char *host_id, int64_t since, int64_t now,
			  const struct report_options *opt);
void report_free(struct report *r);

/** Add a domain record (first_failing, last_healthy, ...). @return 0/-1. */
int report_add_domain(struct report *r, const struct store_domain *d);

/**
 * Add one verification: its answers JSON is parsed with
 * JSON_REJECT_DUPLICATES; an unreadable one is counted, not fatal.
 * Verifications outside the window are ignored. @return 0, -1 (ENOMEM).
 */
int report_add_verification(struct report *r,
			    const struct store_verification *v);

/** Add an affected message (counted; recipients sampled). @return 0/-1. */
int report_add_message(struct report *r, const struct store_message *m);

/** Add one evidence record (outside the window: ignored). @return 0/-1. */
int report_add_evidence(struct report *r, const struct store_evidence *ev);

/** The class of a failure that started at @param first_failing (0: none). */
enum report_duration report_duration_class(int64_t first_failing, int64_t now);
/** "none", "under-1h", "1h-4h", "over-4h". */
const char *report_duration_name(enum report_duration d);

/**
 * The colour class of one answer: "usable", "negative", "null",
 * "transient" or "filtered" (report_lanes.c). @param verdict (may be
 * NULL) is the verification's; @param role the answer's.
 */
const char *report_answer_class(const char *kind, const char *verdict,
				const char *role);

/** The report document. @return a new reference, or NULL (ENOMEM). */
json_t *report_json(const struct report *r);

/* Opens every rendering of a document whose "mode" is "observe". */
#define REPORT_OBSERVE_BANNER                                                  \
	"OBSERVE MODE: retryd only recorded what it would do; held, "          \
	"attempted, suppressed and handed back below are what act mode "       \
	"would have done. The MTA's queue was not changed."

/** Render @param doc as text / as one self-contained HTML page. A doc
 * with "mode": "observe" opens with REPORT_OBSERVE_BANNER. @return 0/-1.
 */
int report_print_text(const json_t *doc, FILE *out);
int report_print_html(const json_t *doc, FILE *out);

/**
 * Walk @param st for the scope and feed a new report (every message,
 * the verifications of the scope's domains since @param since, the
 * evidence of the affected recipients). A GROUP scope needs @param p.
 * @return the document (caller json_decref's it), or NULL with @param err.
 */
json_t *report_collect(struct store *st, const struct policy *p,
		       enum report_scope_kind kind, const char *name,
		       int64_t since, int64_t now,
		       const struct report_options *opt, char *err,
		       size_t errlen);

/**
 * Add "sentinel_events" to @param doc: the sentinel's events since
 * @param since for the scope's domains (report_sentinel.c).
 * @return 0, or -1 with @param err.
 */
int report_sentinel_collect(json_t *doc, struct store *st,
			    const struct policy *p, enum report_scope_kind kind,
			    const char *name, int64_t since, char *err,
			    size_t errlen);
/** The "sentinel_events" of @param doc as text lines (none: nothing). */
void report_sentinel_print_text(FILE *out, const json_t *doc);

/**
 * The escalate hook's report: @param domain_or_group names a policy
 * group when @param p has a group of that name, else a domain. Writes
 * the text report, at most LIMIT_REPORT_BYTES, to
 * @param dir/report-NAME-NOW.txt (temp, fsync, rename, fsync dir) and
 * copies that path to @param path_out. @return 0, or -1 with @param err.
 */
int report_write_file(struct store *st, const struct policy *p,
		      const char *domain_or_group, int64_t since, int64_t now,
		      const char *dir, char *path_out, size_t pathlen,
		      char *err, size_t errlen);

#endif

/*
 * NAME
 *	report_int 3h
 * SUMMARY
 *	what report.c (records in) and report_doc.c (document out) share
 * DESCRIPTION
 *	The accumulated state of one report. Private to report*.c.
 */
#ifndef RETRYD_REPORT_INT_H
#define RETRYD_REPORT_INT_H

#include <jansson.h>

#include "report/report.h"

struct report {
	enum report_scope_kind kind;
	char name[LIMIT_DOMAIN + 1];
	char host_id[LIMIT_HOST_ID + 1];
	int64_t since, now;
	size_t max_verifications, max_sample;
	json_t *domains; /* domain -> record (unix times) */
	size_t domains_dropped;
	json_t *verdicts; /* "domain verdict" -> {count, first, last} */
	json_t *vkept;	  /* domain -> [verification, ...] latest last */
	size_t vtotal, vbad;
	json_t *nodes; /* "role server" -> counts */
	size_t nodes_dropped;
	size_t msgs_total, rcpts_total;
	json_t *sample; /* [recipient, ...] */
	json_t *hosts;	/* host_id -> counts */
	json_t
	    *timelines; /* domain -> {verdict_runs, lanes} (report_lanes.c) */
	int64_t held[LIMIT_REPORT_BUCKETS], delivered[LIMIT_REPORT_BUCKETS],
	    deferred[LIMIT_REPORT_BUCKETS], bounced[LIMIT_REPORT_BUCKETS];
	int nomem;
};

/** The string field @param k of @param o, or NULL. */
const char *report_get_str(const json_t *o, const char *k);

/* report_lanes.c: the timelines and the series. */
void report_lanes_add(struct report *r, const char *domain, const char *verdict,
		      int64_t t, const json_t *answers);
void report_series_message(struct report *r, const struct store_message *m);
void report_series_evidence(struct report *r, const struct store_evidence *ev);
/** New references, or NULL (ENOMEM). */
json_t *report_timelines_json(const struct report *r);
json_t *report_series_json(const struct report *r);

/* report_html.c: escape @param s for HTML text and attributes. */
void report_html_text(FILE *out, const char *s);

/* report_svg.c: the page's pictures (report_svg_timeline returns the
 * number of segments drawn). */
void report_svg_legend(FILE *out);
size_t report_svg_timeline(FILE *out, const json_t *tl, int64_t since,
			   int64_t until, int64_t first_failing);
void report_svg_activity(FILE *out, const json_t *series);
void report_svg_hosts(FILE *out, const json_t *hosts);

/* report_summary.c: the four sentences, each cut at @param len bytes. */
#define REPORT_SENTENCE 1400
void report_summary(const json_t *doc, char *what, char *where, char *since,
		    char *next, size_t len);

#endif

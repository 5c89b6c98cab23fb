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
	int nomem;
};

/** The string field @param k of @param o, or NULL. */
const char *report_get_str(const json_t *o, const char *k);

#endif

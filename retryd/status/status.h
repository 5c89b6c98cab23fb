/*
 * NAME
 *	status 3h
 * SUMMARY
 *	a census of the store, and the Prometheus textfile made from it
 */
#ifndef RETRYD_STATUS_H
#define RETRYD_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pass/pass_ctx.h"
#include "store/store.h"

#define STATUS_BUCKETS	   256 /* distinct (group, verdict) pairs counted */
#define STATUS_STATE_SLOTS 8   /* > every enum store_msg_state */

/* Live (held) messages of one group with one last verdict. */
struct status_bucket {
	char group[LIMIT_POLICY_GROUP_NAME + 1]; /* "" = in no group */
	char verdict[LIMIT_VERDICT + 1];	 /* "" = not verified yet */
	size_t n;
};

#define STATUS_SENTINEL_ROWS 64 /* (domain, node) rows of the sentinel */

/* One watched domain at one MTA resolver node, as the sentinel last saw it. */
struct status_sentinel_row {
	char domain[LIMIT_DOMAIN + 1];
	char node[64];
	char verdict[LIMIT_VERDICT + 1];
	char answer[16];
	int64_t neg_left; /* negative TTL left now, -1: not negative */
};

struct status_census {
	size_t live;			     /* messages not done */
	size_t by_state[STATUS_STATE_SLOTS]; /* live, by store state */
	struct status_bucket buckets[STATUS_BUCKETS];
	size_t nbuckets;
	size_t other;		/* live messages beyond STATUS_BUCKETS pairs */
	int64_t oldest_failure; /* earliest first_failure of a live one, 0 */
	size_t suppressed;	/* suppressed addresses */
	int64_t sentinel_last_run; /* 0: never */
	size_t sentinel_domains;
	struct status_sentinel_row sentinel[STATUS_SENTINEL_ROWS];
	size_t nsentinel;
	int fleet; /* the store queues for a [fleet] database: outbox below */
	uint64_t outbox_evidence, outbox_verifications, outbox_dropped;
};

/**
 * Read the sentinel's state into @param c (status_sentinel.c), negative
 * TTLs aged to @param now. @return 0, or -1 with @param err.
 */
int status_sentinel(struct store *st, struct status_census *c, int64_t now,
		    char *err, size_t errlen);

/**
 * Count the live messages (state index, one fetch each: O(live)), the
 * suppressed addresses and, in a fleet (outbox enabled on @param st), the
 * records waiting in the outbox. @return 0, or -1 with @param err.
 */
int status_census(struct store *st, struct status_census *c, char *err,
		  size_t errlen);

/* What the daemon keeps between passes for the metrics' counters. */
struct status_totals {
	uint64_t passes;
	uint64_t verdicts[PASS_VERDICT_SLOTS];
	uint64_t answers_by_role[PASS_ROLE_SLOTS];
	uint64_t hook_failures;
	uint64_t delivered, bounced, given_back;
	int64_t last_pass;    /* wall seconds */
	double last_duration; /* seconds */
	int last_ok;	      /* 1: the pass could read the store */
	int observe;	      /* mode */
};

/** Add the pass @param s to @param t. */
void status_totals_add(struct status_totals *t, const struct pass_stats *s);

/**
 * Write the Prometheus text exposition of @param c and @param t to
 * @param path atomically (PATH.tmp, fsync, rename), mode 0644.
 * @param now: wall seconds for the ages. @return 0, or -1 with err.
 */
int status_metrics_write(const char *path, const struct status_census *c,
			 const struct status_totals *t, int64_t now, char *err,
			 size_t errlen);

/** The same text to @param fp. @return 0 or -1 (write error). */
int status_metrics_print(FILE *fp, const struct status_census *c,
			 const struct status_totals *t, int64_t now);

#endif

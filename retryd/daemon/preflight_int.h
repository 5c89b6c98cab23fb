/*
 * preflight_int.h - what the preflight files share (not an interface).
 */
#ifndef RETRYD_PREFLIGHT_INT_H
#define RETRYD_PREFLIGHT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "daemon/preflight.h"

struct preflight {
	const struct policy *p;
	FILE *out, *err;
	int config, unavailable; /* problems found, by kind */
	int listed;		 /* 1: the MTA's queue was listed */
	int64_t newest_arrival;	 /* of a listed message, 0 when none */
};

/** One "FILE:LINE: [section] key: message" problem; @param config 1 for
 * a key pointing at something missing or wrong (78), 0 for the
 * environment (69). */
void preflight_problem(struct preflight *pf, int config, const char *section,
		       const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** preflight_log.c: the MTA log file, or the journal, and whether it
 * advances. */
void preflight_log(struct preflight *pf);

/** preflight_canary.c: the canaries find no lying resolver. */
void preflight_canaries(struct preflight *pf);

#endif

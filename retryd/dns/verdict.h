/*
 * NAME
 *	verdict 3h
 * SUMMARY
 *	one verdict from a set of answers (pure): the table in DESIGN.md
 * DESCRIPTION
 *	verdict_decide() looks at every answer for one domain, by role and
 *	transport, and returns healthy, local-path, propagation, domain,
 *	null-mx, transport, dns-outage, unverified or filtered, with a
 *	one-line detail naming the resolver(s) responsible. Only conclusive
 *	answers of the authoritative servers give null-mx or domain; answers
 *	marked distrusted (canaries) are never evidence. No I/O, no clock.
 */
#ifndef RETRYD_VERDICT_H
#define RETRYD_VERDICT_H

#include <stddef.h>

#include "dns/verify.h"

/**
 * @param answers the answers for one domain (any order).
 * @param detail receives a short human explanation (may be NULL).
 * @return the verdict.
 */
enum verify_verdict verdict_decide(const struct verify_answer *answers,
				   size_t n, char *detail, size_t detaillen);

/** 1 when @param v allows an attempt now (healthy, local-path after
 *  flush, propagation, transport), 0 when it says wait or hand back. */
int verdict_allows_attempt(enum verify_verdict v);

/** 1 when a failure seen under @param v may count as evidence (the
 *  verdict came from servers we trust), 0 for dns-outage, unverified and
 *  filtered: those only delay. */
int verdict_is_evidence(enum verify_verdict v);

#endif

/*
 * NAME
 *	reconcile 3h
 * SUMMARY
 *	what to do with one store record given the MTA's listing (pure)
 * DESCRIPTION
 *	pass_reconcile_decide() is the decision table of reconcile.c: no I/O,
 *	no clock, no global. Absence counts only in complete listings, and
 *	only when the id was also absent from the previous complete one.
 */
#ifndef RETRYD_RECONCILE_H
#define RETRYD_RECONCILE_H

#include <stdint.h>

#include "store/store.h"

enum reconcile_action {
	RECONCILE_NONE = 0,
	RECONCILE_GONE,	     /* absent from two complete listings: done */
	RECONCILE_MARK_HELD, /* it is held: record HELD, reschedule */
	RECONCILE_MARK_DUE, /* still held after a release intent: HELD, due now */
	RECONCILE_REHOLD,   /* deferred and not held: hold it again */
	RECONCILE_TO_ATTEMPTING, /* release intent, not held: wait for outcome */
	RECONCILE_GIVEBACK,	 /* committed giveback decision: replay it */
};

struct reconcile_input {
	enum store_msg_state state;
	int listed;	    /* the id is in this pass's listing */
	int held, deferred; /* as listed */
	int complete;	    /* the listing is complete */
	int missing_before; /* absent from the previous complete listing */
	int nospace;	    /* the store is out of space: no new holds */
	int64_t now, last_attempt, outcome_wait;
};

enum reconcile_action pass_reconcile_decide(const struct reconcile_input *in);

#endif
